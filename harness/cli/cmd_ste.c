// SPDX-License-Identifier: GPL-2.0-only
/* smmu-hil ste: the STE oracle (decode, encode, plan, verify, rules). */
#include "cmd_entry.h"

int shl_cmd_ste(int argc, char **argv, const struct shl_cli *cli)
{
	return shl_entry_cmd(SHL_KIND_STE, argc, argv, cli);
}
