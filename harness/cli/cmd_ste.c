// SPDX-License-Identifier: GPL-2.0-only
/* smmu-hil ste: placeholder until the handler lands. */
#include "smmu_hil/cli.h"

int shl_cmd_ste(int argc, char **argv, const struct shl_cli *cli)
{
	(void)argc;
	(void)argv;
	(void)cli;
	return shl_err("'ste' is not implemented yet");
}
