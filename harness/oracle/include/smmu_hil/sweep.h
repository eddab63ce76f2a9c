/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The entry corpus (what the Linux driver can write) and the sweep that
 * plans and checks every transition between two corpus entries.
 */
#ifndef SMMU_HIL_SWEEP_H
#define SMMU_HIL_SWEEP_H

#include <stdbool.h>
#include <stddef.h>
#include <json-c/json.h>

#include "smmu_hil/check.h"
#include "smmu_hil/plan.h"
#include "smmu_hil/profile.h"

/*
 * shl_corpus() - the entries of @kind (STE or CD) the Linux driver's
 * builders can produce (abort, bypass, CD-table STEs across S1DSS x EATS x
 * stall x S1Fmt/S1CDMax x S1ContextPtr x StreamWorld, S2 STEs across
 * stall/ATS/VMID/VTCR/S2TTB, nested STEs; S1, SVA, released-SVA and zero
 * CDs), keeping only those the SMMU of @p accepts (plus the V=0 zero CD).
 * @scale >= 1 multiplies the address/ASID/VMID variants. Writes at most
 * @max entries to @out (may be NULL to count). Returns the number kept;
 * @dropped (may be NULL) gets the number rejected by the profile.
 */
size_t shl_corpus(enum shl_entry_kind kind, const struct shl_profile *p, unsigned int scale,
		  struct shl_entry *out, size_t max, size_t *dropped);

struct shl_sweep_opts {
	enum shl_entry_kind kind;	/* SHL_KIND_STE or SHL_KIND_CD */
	const struct shl_profile *p;
	unsigned int quanta;		/* 64 or 128 */
	bool update_safe;		/* planner uses update-safe bits */
	bool sync_only;			/* check at sync granularity only */
	unsigned int scale;		/* corpus scale, >= 1 */
	bool no_dma_wmb;		/* model kernels without the leading dma_wmb() */
};

/* Transition classes: pass, or the most severe violation kind seen. */
enum shl_sweep_class {
	SHL_SWEEP_PASS,
	SHL_SWEEP_ILLEGAL,
	SHL_SWEEP_TORN,
	SHL_SWEEP_INVALID,
	SHL_SWEEP_UNORDERED,
	SHL_SWEEP_FINAL_MISMATCH,
	SHL_SWEEP_CLASS_COUNT,
};

/* shl_sweep_class_name() - "pass", "illegal", "torn", "invalid", ... */
const char *shl_sweep_class_name(enum shl_sweep_class c);

#define SHL_SWEEP_MAX_EXAMPLES 8

/* A transition the kernel's per-sync check passes but the store check fails. */
struct shl_sweep_finding {
	struct shl_entry from, to;
	enum shl_path path;
	struct shl_violation v;
};

struct shl_sweep_stats {
	enum shl_entry_kind kind;
	size_t corpus, dropped;
	uint64_t transitions;
	double seconds;
	uint64_t paths[SHL_PATH_COUNT];
	uint64_t classes[SHL_SWEEP_CLASS_COUNT];
	uint64_t observations[SHL_CLASS_COUNT];
	uint64_t kernel_hitless;	/* plans no sync of which sees qword 0 == 0 (KUnit hitless) */
	uint64_t kernel_fail;		/* plans whose KUnit per-sync expectation fails */
	uint64_t findings;		/* KUnit expectation holds, store check fails */
	size_t nexamples;
	struct shl_sweep_finding examples[SHL_SWEEP_MAX_EXAMPLES];
};

/*
 * shl_sweep() - plan (shl_plan_entry) and check (shl_check, spec view) every
 * ordered pair of distinct corpus entries. A BREAKING plan is checked with
 * allow_breaking. Streams the pairs: memory is the corpus only. Returns 0,
 * or -1 if the corpus cannot be allocated or a check fails to run.
 */
int shl_sweep(const struct shl_sweep_opts *o, struct shl_sweep_stats *st);

/*
 * shl_sweep_stats_to_json() - {"entry", "corpus", "dropped", "transitions",
 * "seconds", "rate", "paths": {...}, "classes": {...}, "observations": {...},
 * "kernel_check_fail", "findings", "examples": [...]}.
 */
json_object *shl_sweep_stats_to_json(const struct shl_sweep_stats *st);

#endif /* SMMU_HIL_SWEEP_H */
