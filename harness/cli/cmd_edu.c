// SPDX-License-Identifier: GPL-2.0-only
/* Helpers shared by the dma and domain commands. */
#include <errno.h>

#include "cli.h"
#include "cmd_edu.h"

int shl_edu_pick(const char *want, char bdf[SHL_BDF_LEN])
{
	int ret = shl_edu_find(want, bdf);

	if (ret == -EINVAL)
		return shl_err("'%s' is not a PCI address (DDDD:BB:DD.F)", want);
	if (ret && want)
		return shl_err("%s: no such device bound to %s", want, SHL_EDU_DRIVER);
	if (ret)
		return shl_err("no device bound to %s (is the module loaded?)", SHL_EDU_DRIVER);
	return SHL_EXIT_OK;
}
