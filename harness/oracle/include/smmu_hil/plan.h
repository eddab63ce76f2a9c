/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The Linux entry-update planner: arm_smmu_write_entry() of Linux 7.1.5
 * (facts §4), for STEs and CDs, with or without update-safe bits, over
 * 64-bit or 128-bit single-copy-atomic quanta.
 */
#ifndef SMMU_HIL_PLAN_H
#define SMMU_HIL_PLAN_H

#include <stdbool.h>

#include "smmu_hil/entry.h"

#define SHL_PLAN_MAX_STEPS 3

/* One single-copy-atomic store of @nq (1 or 2) qwords starting at @qword. */
struct shl_store {
	uint8_t qword;
	uint8_t nq;
	uint64_t v[2];
};

/* Stores followed by one sync (CMD_CFGI_STE/CD + CMD_SYNC). */
struct shl_plan_step {
	unsigned int nstores;
	struct shl_store st[SHL_ENTRY_QWORDS];
};

enum shl_path {
	SHL_PATH_NOCHANGE,	/* no used bit changes: one entry_set of the target */
	SHL_PATH_HITLESS,	/* unused bits, one critical quantum, cleanup */
	SHL_PATH_BREAKING,	/* V=0, the rest, then qword 0 */
	SHL_PATH_COUNT,
};

struct shl_plan_opts {
	unsigned int quanta;	/* 64 or 128 (bits) */
	bool update_safe;	/* use arm_smmu_get_ste_update_safe() (STEs only) */
};

struct shl_plan {
	enum shl_path path;
	int critical_qword;	/* first qword of the critical quantum, or -1 */
	unsigned int nsteps;	/* = number of syncs */
	struct shl_plan_step steps[SHL_PLAN_MAX_STEPS];
	bool hitless;		/* no sync sees qword 0 == 0 (see shl_plan_entry()) */
	bool consistent;	/* every other sync matches an endpoint (ditto) */
	bool target_unused_bits;	/* the driver's WARN: target sets bits it does not use */
};

/* shl_path_name() - "nochange", "hitless", "breaking". */
const char *shl_path_name(enum shl_path path);

/*
 * shl_plan_entry() - plan the update of a live @kind entry (SHL_KIND_STE or
 * SHL_KIND_CD) from @init to @target as Linux's arm_smmu_write_entry() does:
 * compute the used bits of both (shl_*_used_linux), the unused-bits update
 * and the quanta whose used bits must change; none -> NOCHANGE (one
 * entry_set), one -> HITLESS (unused bits, the critical quantum alone, then
 * cleanup), more -> BREAKING (qword 0 = 0, the rest, then qword 0). Each
 * step stores only quanta whose value changes and ends with one sync; empty
 * steps are dropped. The leading dma_wmb() is implied (shl_plan_to_ops()).
 *
 * @out->hitless and @out->consistent are the verdicts of the kernel's
 * KUnit test (drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3-test.c) over the
 * plan's sync points: @hitless is false exactly when some sync sees qword 0
 * equal to 0 (the test's invalid_entry_written), even when an endpoint has
 * V == 0 (0 -> S1 CD is not hitless); @consistent is false when a sync with
 * qword 0 != 0 matches neither @init nor @target on its Linux used bits
 * minus the update-safe bits (the test's per-sync expectation).
 */
void shl_plan_entry(enum shl_entry_kind kind, const struct shl_entry *init,
		    const struct shl_entry *target, const struct shl_plan_opts *opts,
		    struct shl_plan *out);

/*
 * shl_plan_entry_used() - shl_plan_entry() with the Linux used bits of
 * @init and @target precomputed (@init_used, @target_used), for sweeps.
 */
void shl_plan_entry_used(enum shl_entry_kind kind, const struct shl_entry *init,
			 const struct shl_entry *init_used, const struct shl_entry *target,
			 const struct shl_entry *target_used, const struct shl_plan_opts *opts,
			 struct shl_plan *out);

#endif /* SMMU_HIL_PLAN_H */
