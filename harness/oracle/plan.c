// SPDX-License-Identifier: GPL-2.0-only
/*
 * The Linux update planner (arm_smmu_write_entry, arm_smmu_entry_qword_diff,
 * entry_set of drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3.c; facts §4),
 * generalised from 64-bit qwords to 64- or 128-bit quanta.
 */
#include <string.h>

#include "smmu_hil/entry_ops.h"
#include "smmu_hil/plan.h"
#include "smmu_hil/rules.h"

const char *shl_path_name(enum shl_path path)
{
	static const char *const names[SHL_PATH_COUNT] = { "nochange", "hitless", "breaking" };

	return path < SHL_PATH_COUNT ? names[path] : "unknown";
}

struct writer {
	struct shl_plan *plan;
	struct shl_entry mem;	/* the entry as the planned stores leave it */
	unsigned int unit;	/* qwords per quantum: 1 or 2 */
};

/*
 * entry_set(): store every quantum in [first, first + n) whose value differs
 * from @want, ascending; one sync after, if anything was stored.
 */
static void entry_set(struct writer *w, const struct shl_entry *want, unsigned int first,
		      unsigned int n)
{
	struct shl_plan_step *step = &w->plan->steps[w->plan->nsteps];
	unsigned int u, k;

	step->nstores = 0;
	for (u = first; u < first + n; u++) {
		unsigned int q = u * w->unit;
		bool differs = false;

		for (k = 0; k < w->unit; k++)
			differs |= w->mem.q[q + k] != want->q[q + k];
		if (!differs)
			continue;
		step->st[step->nstores].qword = (uint8_t)q;
		step->st[step->nstores].nq = (uint8_t)w->unit;
		step->st[step->nstores].v[1] = 0;
		for (k = 0; k < w->unit; k++) {
			step->st[step->nstores].v[k] = want->q[q + k];
			w->mem.q[q + k] = want->q[q + k];
		}
		step->nstores++;
	}
	if (step->nstores)
		w->plan->nsteps++;
}

/*
 * arm_smmu_entry_qword_diff(): @unused gets the current entry with every bit
 * it does not use (and every safe bit) already at its target value; returns
 * the mask of quanta that still have used bits to change.
 */
static unsigned int quanta_diff(enum shl_entry_kind kind, const struct shl_entry *cur,
				const struct shl_entry *cur_used, const struct shl_entry *target,
				const struct shl_entry *target_used, const struct shl_plan_opts *o,
				unsigned int unit, struct shl_entry *unused, bool *warn)
{
	struct shl_entry cu = *cur_used, safe = { { 0 } };
	const struct shl_entry *tu = target_used;
	unsigned int i, diff = 0;

	if (o->update_safe)
		shl_entry_update_safe(shl_entry_ops(kind), cur, target, &safe);
	*warn = false;
	for (i = 0; i < SHL_ENTRY_QWORDS; i++) {
		safe.q[i] &= cu.q[i] & tu->q[i];
		*warn |= (target->q[i] & ~tu->q[i]) != 0;
		cu.q[i] &= ~safe.q[i];
		unused->q[i] = (cur->q[i] & cu.q[i]) | (target->q[i] & ~cu.q[i]);
		if ((unused->q[i] & tu->q[i]) != target->q[i])
			diff |= 1u << (i / unit);
	}
	return diff;
}

/*
 * The kernel test's two per-sync checks over the planned sync points
 * (arm_smmu_test_writer_record_syncs() of arm-smmu-v3-test.c): a sync that
 * sees qword 0 == 0 marks the transition not hitless (the test's
 * invalid_entry_written; hitless is exactly its absence, whatever the
 * endpoints are); every other sync must see an entry equivalent to @init
 * or @target on its Linux used bits minus the update-safe bits (the test's
 * KUNIT_EXPECT on arm_smmu_entry_differs_in_used_bits()).
 */
static void plan_verdicts(enum shl_entry_kind kind, const struct shl_entry *init,
			  const struct shl_entry *target, const struct shl_plan_opts *o,
			  struct shl_plan *plan)
{
	struct shl_model m = { .kind = kind, .spec = false, .update_safe = o->update_safe };
	struct shl_endpoints ep;
	struct shl_entry mem = *init;
	unsigned int s, k, j;

	plan->hitless = true;
	plan->consistent = true;
	shl_endpoints_init(&m, init, target, &ep);
	for (s = 0; s < plan->nsteps; s++) {
		enum shl_class c;

		for (k = 0; k < plan->steps[s].nstores; k++)
			for (j = 0; j < plan->steps[s].st[k].nq; j++)
				mem.q[plan->steps[s].st[k].qword + j] = plan->steps[s].st[k].v[j];
		if (!mem.q[0]) {
			plan->hitless = false;
			continue;
		}
		c = shl_classify(&m, &ep, &mem, NULL);
		if (c != SHL_CLASS_INITIAL && c != SHL_CLASS_TARGET)
			plan->consistent = false;
	}
}

void shl_plan_entry(enum shl_entry_kind kind, const struct shl_entry *init,
		    const struct shl_entry *target, const struct shl_plan_opts *opts,
		    struct shl_plan *out)
{
	const struct shl_entry_ops *ops = shl_entry_ops(kind);
	struct shl_entry iu, tu;

	ops->used_linux(init, &iu);
	ops->used_linux(target, &tu);
	shl_plan_entry_used(kind, init, &iu, target, &tu, opts, out);
}

void shl_plan_entry_used(enum shl_entry_kind kind, const struct shl_entry *init,
			 const struct shl_entry *init_used, const struct shl_entry *target,
			 const struct shl_entry *target_used, const struct shl_plan_opts *opts,
			 struct shl_plan *out)
{
	struct writer w = { .plan = out, .mem = *init, .unit = opts->quanta == 128 ? 2 : 1 };
	unsigned int nunits = SHL_ENTRY_QWORDS / w.unit, diff, k;
	struct shl_entry unused;

	memset(out, 0, sizeof(*out));
	out->critical_qword = -1;
	diff = quanta_diff(kind, init, init_used, target, target_used, opts, w.unit, &unused,
			   &out->target_unused_bits);

	if (!diff) {
		out->path = SHL_PATH_NOCHANGE;
		entry_set(&w, target, 0, nunits);
	} else if (!(diff & (diff - 1))) {
		unsigned int c = (unsigned int)__builtin_ctz(diff);

		out->path = SHL_PATH_HITLESS;
		out->critical_qword = (int)(c * w.unit);
		/* The critical quantum keeps its current value in the first step. */
		for (k = 0; k < w.unit; k++)
			unused.q[c * w.unit + k] = init->q[c * w.unit + k];
		entry_set(&w, &unused, 0, nunits);
		entry_set(&w, target, c, 1);
		entry_set(&w, target, 0, nunits);
	} else {
		struct shl_entry want = w.mem;

		out->path = SHL_PATH_BREAKING;
		want.q[0] = 0;			/* V = 0 and the rest of qword 0 */
		entry_set(&w, &want, 0, 1);
		want = *target;
		want.q[0] = 0;
		entry_set(&w, &want, 0, nunits);
		entry_set(&w, target, 0, 1);
	}
	plan_verdicts(kind, init, target, opts, out);
}
