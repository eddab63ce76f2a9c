/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Update sequences and the per-store checker.
 *
 * A sequence is what the CPU does to a live STE or CD: 64-bit stores
 * ("write I 0xV"), single-copy-atomic 128-bit stores ("write I 0xLO,0xHI"),
 * syncs (CMD_CFGI_* + CMD_SYNC completed), "table 0xADDR" (a structure was
 * written at ADDR) and "dma_wmb". Between two syncs the SMMU may read each
 * quantum at any moment (IHI 0070 3.21: single-copy atomicity of 64 bits, or
 * 128 bits as an option), so what it can observe is any combination of the
 * values each quantum held in that window. The checker enumerates them all
 * and classifies each with shl_classify() in the spec view.
 */
#ifndef SMMU_HIL_CHECK_H
#define SMMU_HIL_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "smmu_hil/entry.h"
#include "smmu_hil/entry_ops.h"
#include "smmu_hil/plan.h"
#include "smmu_hil/rules.h"

enum shl_op_kind {
	SHL_OP_WRITE,
	SHL_OP_SYNC,
	SHL_OP_TABLE,
	SHL_OP_DMA_WMB,
};

struct shl_op {
	uint8_t kind;		/* enum shl_op_kind */
	uint8_t qword;		/* WRITE: first qword */
	uint8_t nq;		/* WRITE: 1 (64-bit) or 2 (128-bit store) */
	uint32_t line;		/* source line, 0 if generated */
	uint64_t v[2];		/* WRITE: values; TABLE: v[0] = address */
};

struct shl_seq {
	struct shl_op *ops;
	size_t n, cap;
};

/*
 * shl_seq_parse() - parse sequence text (@len bytes, NUL not needed) for an
 * entry of @nqwords qwords. One operation a line: "write I 0xVALUE",
 * "write I 0xLO,0xHI" (I even), "sync", "table 0xADDR", "dma_wmb"; '#'
 * starts a comment; blank lines are skipped. Returns 0, or -1 with
 * "line N: problem" in @err. Free with shl_seq_free().
 */
int shl_seq_parse(const char *text, size_t len, unsigned int nqwords, struct shl_seq *seq,
		  char *err, size_t errlen);
void shl_seq_free(struct shl_seq *seq);

/* shl_seq_print() - write @ops back in the sequence syntax. */
void shl_seq_print(FILE *f, const struct shl_op *ops, size_t n);

/*
 * shl_pointer_fields() - the pointer fields of @kind whose target must be
 * visible before the pointer store (the "unordered" rule): the kind's
 * ops->ptrs (struct shl_pointer_field, entry_ops.h). @n gets the count
 * (0 for the level-1 descriptors).
 */
const struct shl_pointer_field *shl_pointer_fields(enum shl_entry_kind kind, size_t *n);

/*
 * shl_plan_to_ops() - a plan as the operations Linux issues: dma_wmb, then
 * each step's stores and its sync. Returns the number of ops written to
 * @ops (at most 1 + 3 * 9 = 28; @max must allow it) .
 */
size_t shl_plan_to_ops(const struct shl_plan *plan, struct shl_op *ops, size_t max);
#define SHL_PLAN_MAX_OPS (1 + SHL_PLAN_MAX_STEPS * (SHL_ENTRY_QWORDS + 1))

/*
 * shl_plan_to_ops_tables() - like shl_plan_to_ops(), preceded by a "table"
 * op for each non-zero pointer field the target uses (Linux view) whose
 * address differs from @init's (the driver wrote the new CD table / page
 * table first), and
 * without the leading dma_wmb when @wmb is false (kernels before the 2026
 * fix that put dma_wmb() at the start of arm_smmu_write_entry()).
 */
size_t shl_plan_to_ops_tables(enum shl_entry_kind kind, const struct shl_entry *init,
			      const struct shl_entry *target, const struct shl_plan *plan,
			      bool wmb, struct shl_op *ops, size_t max);
#define SHL_PLAN_MAX_OPS_TABLES (SHL_PLAN_MAX_OPS + 2)

enum shl_violation_kind {
	SHL_VIOL_TORN,
	SHL_VIOL_INVALID,
	SHL_VIOL_ILLEGAL,
	SHL_VIOL_UNORDERED,
	SHL_VIOL_FINAL_MISMATCH,
	SHL_VIOL_COUNT,
};

/* shl_violation_name() - "torn", "invalid", "illegal", "unordered", "final-mismatch". */
const char *shl_violation_name(enum shl_violation_kind k);

struct shl_violation {
	uint32_t after;		/* ops executed when it can first happen (1-based op index) */
	uint8_t kind;		/* enum shl_violation_kind */
	const char *rule;	/* static string: a rule name or a checker rule */
	struct shl_entry entry;	/* the observed (or final) entry */
};

struct shl_check_opts {
	bool sync_only;		/* granularity "sync": check the entry at each sync only */
	bool allow_breaking;	/* V=0 observations are not violations */
	unsigned int quanta;	/* 64 or 128 */
	uint64_t max_combos;	/* per window; 0 = SHL_CHECK_MAX_COMBOS */
};
#define SHL_CHECK_MAX_COMBOS (1ULL << 22)
#define SHL_CHECK_MAX_VALUES 64		/* distinct values of one quantum in a window */
#define SHL_CHECK_MAX_TABLES 64

struct shl_check_result {
	bool pass;
	uint64_t observations;		/* observable entries enumerated (per window) */
	uint64_t classes[SHL_CLASS_COUNT];
	uint32_t kinds;			/* bit per enum shl_violation_kind seen */
	uint64_t nviolations;		/* distinct violations (dedup within @viol) */
	struct shl_violation *viol;	/* caller's storage, may be NULL */
	size_t viol_cap, nviol;
};

/*
 * shl_check() - run @ops on a live entry holding @init and judge every
 * entry the SMMU could observe, with model @m (normally the spec view,
 * m->spec = true). Violations:
 *  - torn / invalid / illegal: an observation classified TORN / INVALID
 *    (unless @o->allow_breaking) / ILLEGAL by shl_classify();
 *  - unordered: a store whose pointer field (STE S1ContextPtr or S2TTB, CD
 *    TTB0) equals the address of a "table" not yet followed by a dma_wmb;
 *  - final-mismatch: the entry after the last op differs from @target
 *    ("final-entry"), or stores follow the last sync ("no-final-sync").
 * @r must have viol/viol_cap set (or NULL/0); the rest is filled.
 * Returns 0, or -1 with the problem in @err when a window has more than
 * max_combos combinations or a quantum more than SHL_CHECK_MAX_VALUES
 * values (or more than SHL_CHECK_MAX_TABLES tables are named).
 */
int shl_check(const struct shl_model *m, const struct shl_entry *init,
	      const struct shl_entry *target, const struct shl_op *ops, size_t nops,
	      const struct shl_check_opts *o, struct shl_check_result *r, char *err,
	      size_t errlen);

/* shl_check_endpoints() - shl_check() with the endpoints' verdicts precomputed. */
int shl_check_endpoints(const struct shl_model *m, const struct shl_endpoints *ep,
			const struct shl_op *ops, size_t nops, const struct shl_check_opts *o,
			struct shl_check_result *r, char *err, size_t errlen);

#endif /* SMMU_HIL_CHECK_H */
