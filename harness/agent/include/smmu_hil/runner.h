/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The scenario executor of `smmu-hil run` (harness/agent/runner.c): runs
 * one validated scenario (scenario.h) on this machine and fills its result
 * (run.h). Driver mode moves the device among IOMMU domains through the
 * kernel; raw mode stores the oracle's planned STE/CD sequences through
 * smmu_hil_inject; the event ring is cleared before and read after, and
 * judged against the scenario's `expect` (docs/scenarios.md).
 */
#ifndef SMMU_HIL_RUNNER_H
#define SMMU_HIL_RUNNER_H

#include <stdbool.h>
#include <stddef.h>

#include "smmu_hil/check.h"
#include "smmu_hil/device.h"
#include "smmu_hil/entry.h"
#include "smmu_hil/run.h"
#include "smmu_hil/scenario.h"

/* raw mode: one planned update per step and the way back */
#define SHL_RUN_MAX_BODY	((SHL_SCN_MAX_STEPS + 1) * SHL_PLAN_MAX_OPS)

/*
 * Everything a run needs between scenarios: the DUT's SMMU feature names
 * (read once) and raw mode's work buffers (a prologue to the scenario's
 * start entry, the body's ops, one target entry per step and the return).
 * Allocated by shl_run_ctx_new(); too large for a stack.
 */
struct shl_run_ctx {
	char **feat;				/* the DUT's SMMU features (dut.h) */
	size_t nfeat;
	const char *device;			/* overrides each scenario's device (--device) */
	struct shl_dev_guard guard;		/* what must not be moved (device.h) */
	struct shl_op pro[SHL_PLAN_MAX_OPS];
	struct shl_op body[SHL_RUN_MAX_BODY];
	struct shl_entry targets[SHL_SCN_MAX_STEPS + 1];
};

/*
 * shl_run_ctx_new() - a context with the DUT's features (shl_dut_features();
 * none on a machine without an SMMU) and the device guard (@force: protect
 * neither the root disk nor the SSH NIC). Returns NULL when out of memory.
 */
struct shl_run_ctx *shl_run_ctx_new(bool force);

/*
 * shl_run_stage2_ste() - raw mode's `s2` (@nested false) or `nested` STE
 * (docs/scenarios.md) over the live STE @live: Config 6 with @live's
 * stage-1 fields cleared, or Config 7 keeping them; the stage 2 an empty
 * one-page table at physical address @zero_table (S2T0SZ 25, S2SL0 1,
 * 4 KiB granule, S2PS 40 bits, S2R) and @live's S2VMID, so that from the
 * driver's S1 STE only Config changes among the bits in use (the kernel's
 * arm_smmu_write_entry() then updates hitlessly). When @live is already a
 * stage-2 STE (the driver's, on an SMMU without stage 1) and not @nested,
 * only its S2TTB moves to @zero_table (again one in-use qword), provided
 * its start-level table is one 4 KiB page. Returns 0, or -1 when a value
 * does not fit its field or @live's stage 2 needs more than one page.
 */
int shl_run_stage2_ste(const struct shl_entry *live, uint64_t zero_table, bool nested,
		       struct shl_entry *out);

/* shl_run_ctx_free() - free @ctx (NULL-safe). */
void shl_run_ctx_free(struct shl_run_ctx *ctx);

/*
 * shl_run_scenario() - run @s (validated by shl_scenario_load()) and fill
 * @o (initialised here with shl_run_init(); the caller shl_run_free()s it):
 * "skip" with the reason when the DUT lacks a required feature or the
 * device, "fail" with the reason, or "pass"; metrics as docs/scenarios.md
 * lists them, and o->duration_s in seconds. Needs the smmu_hil modules
 * (evtmon; edu for DMA; inject for raw mode and the recorder).
 */
void shl_run_scenario(struct shl_run_ctx *ctx, const struct shl_scenario *s,
		      struct shl_run_result *o);

#endif /* SMMU_HIL_RUNNER_H */
