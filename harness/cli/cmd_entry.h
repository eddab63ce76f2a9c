/* SPDX-License-Identifier: GPL-2.0-only */
/* smmu-hil ste / cd: the verbs both objects share (cmd_entry.c). */
#ifndef SMMU_HIL_CLI_CMD_ENTRY_H
#define SMMU_HIL_CLI_CMD_ENTRY_H

#include "cli.h"
#include "smmu_hil/entry.h"

/*
 * shl_entry_cmd() - `smmu-hil ste|cd VERB ...` for @kind (SHL_KIND_STE or
 * SHL_KIND_CD): decode, encode, plan, verify, rules. argv[0] is the object.
 * Returns an SHL_EXIT_* code.
 */
int shl_entry_cmd(enum shl_entry_kind kind, int argc, char **argv, const struct shl_cli *cli);

#endif /* SMMU_HIL_CLI_CMD_ENTRY_H */
