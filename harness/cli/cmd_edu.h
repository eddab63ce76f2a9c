/* SPDX-License-Identifier: GPL-2.0-only */
/* Helpers shared by the dma and domain commands (harness/cli/cmd_edu.c). */
#ifndef SMMU_HIL_CMD_EDU_H
#define SMMU_HIL_CMD_EDU_H

#include "smmu_hil/dut.h"

/*
 * shl_edu_pick() - choose the edu device for a command: @want (--dev) or
 * the first device bound to smmu_hil_edu; write its BDF to @bdf.
 * Returns SHL_EXIT_OK, or SHL_EXIT_USAGE after printing why not.
 */
int shl_edu_pick(const char *want, char bdf[SHL_BDF_LEN]);

#endif /* SMMU_HIL_CMD_EDU_H */
