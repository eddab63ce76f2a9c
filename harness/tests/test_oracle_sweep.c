// SPDX-License-Identifier: GPL-2.0-only
/*
 * Oracle property tests over the corpus and the sweep:
 *  - every plan the planner calls hitless passes its own verify at store
 *    granularity (V=0 states are violations), every plan meets the kernel
 *    test's per-sync expectation and no breaking plan is hitless;
 *  - a breaking plan never shows a torn or illegal state;
 *  - every plan ends at the target, with at most 3 syncs;
 *  - encode(decode(e)) == e for every corpus entry;
 *  - the sweep covers >= 100,000 transitions and its counts add up.
 */
#include <stdlib.h>

#include "oracle_helpers.h"
#include "smmu_hil/sweep.h"

struct variant {
	const char *profile;
	unsigned int quanta;
	bool update_safe;
	unsigned int stride;	/* check pairs with (i + j) % stride == 0 */
};

static const struct variant variants[] = {
	{ "full", 64, true, 1 },
	{ "full", 128, true, 3 },
	{ "full", 64, false, 3 },
	{ "qemu-7.2", 64, true, 1 },
	{ "qemu-7.2", 128, false, 1 },
};

static void check_pair(enum shl_entry_kind kind, const struct shl_profile *p,
		       const struct variant *v, const struct shl_entry *a,
		       const struct shl_entry *b, uint64_t *hitless, uint64_t *breaking)
{
	struct shl_model m = { .kind = kind, .p = p, .spec = true, .update_safe = true };
	struct shl_plan_opts po = { .quanta = v->quanta, .update_safe = v->update_safe };
	struct shl_check_opts co = { .quanta = v->quanta };
	struct shl_op ops[SHL_PLAN_MAX_OPS];
	struct shl_check_result r = { 0 };
	struct shl_plan plan;
	size_t n;
	char err[100];

	shl_plan_entry(kind, a, b, &po, &plan);
	assert_true(plan.nsteps <= 3);
	assert_int_equal(plan.path == SHL_PATH_HITLESS, plan.critical_qword >= 0);
	/* the kernel test's per-sync expectation holds for every Linux plan */
	assert_true(plan.consistent);
	/* a breaking plan always syncs at qword 0 == 0: never hitless */
	if (plan.path == SHL_PATH_BREAKING)
		assert_false(plan.hitless);
	n = shl_plan_to_ops(&plan, ops, SHL_PLAN_MAX_OPS);
	co.allow_breaking = !plan.hitless;
	assert_int_equal(shl_check(&m, a, b, ops, n, &co, &r, err, sizeof(err)), 0);
	assert_false(r.kinds & (1u << SHL_VIOL_FINAL_MISMATCH));
	if (plan.hitless) {
		(*hitless)++;
		if (!r.pass) {
			char qa[200], qb[200];

			shl_entry_format_q(a, 8, qa, sizeof(qa));
			shl_entry_format_q(b, 8, qb, sizeof(qb));
			fail_msg("%s/%u: hitless plan fails at store granularity: --from %s --to %s",
				 v->profile, v->quanta, qa, qb);
		}
	}
	if (plan.path == SHL_PATH_BREAKING) {
		(*breaking)++;
		assert_int_equal(r.classes[SHL_CLASS_TORN], 0);
		assert_int_equal(r.classes[SHL_CLASS_ILLEGAL], 0);
		assert_true(r.pass);
		assert_true(r.classes[SHL_CLASS_INVALID] > 0);
	}
}

static void test_plans_over_corpus(void **state)
{
	uint64_t all_breaking = 0;
	size_t vi;

	(void)state;
	for (vi = 0; vi < sizeof(variants) / sizeof(variants[0]); vi++) {
		const struct variant *v = &variants[vi];
		struct shl_profile p;
		int k;

		assert_int_equal(shl_profile_builtin(v->profile, &p), 0);
		for (k = SHL_KIND_STE; k <= SHL_KIND_CD; k++) {
			size_t n = shl_corpus((enum shl_entry_kind)k, &p, 1, NULL, 0, NULL), i, j;
			struct shl_entry *c = calloc(n, sizeof(*c));
			uint64_t hitless = 0, breaking = 0;

			assert_non_null(c);
			assert_int_equal(shl_corpus((enum shl_entry_kind)k, &p, 1, c, n, NULL), n);
			for (i = 0; i < n; i++)
				for (j = 0; j < n; j++)
					if (i != j && (i + j) % v->stride == 0)
						check_pair((enum shl_entry_kind)k, &p, v, &c[i], &c[j],
							   &hitless, &breaking);
			assert_true(hitless > 0);
			all_breaking += breaking;
			free(c);
		}
	}
	assert_true(all_breaking > 0);
}

static void test_corpus_identity_and_legality(void **state)
{
	static char bufs[200][64];
	char *argv[200];
	struct shl_profile p;
	int k;

	(void)state;
	assert_int_equal(shl_profile_builtin("full", &p), 0);
	for (k = SHL_KIND_STE; k <= SHL_KIND_CD; k++) {
		size_t dropped, n = shl_corpus((enum shl_entry_kind)k, &p, 1, NULL, 0, &dropped), i;
		struct shl_entry *c = calloc(n, sizeof(*c));

		assert_non_null(c);
		shl_corpus((enum shl_entry_kind)k, &p, 1, c, n, NULL);
		for (i = 0; i < n; i++) {
			size_t f, nf;
			const struct shl_field *t = shl_fields((enum shl_entry_kind)k, &nf);
			struct shl_entry back;
			struct shl_cd_ctx ctx = { 0 };
			char err[100];
			int argc = 0;

			for (f = 0; f < nf; f++) {
				uint64_t v = shl_field_value(&c[i], &t[f]);

				if (!v)
					continue;
				snprintf(bufs[argc], 64, "%s=%llu", t[f].name, (unsigned long long)v);
				argv[argc] = bufs[argc];
				argc++;
			}
			assert_int_equal(shl_entry_encode((enum shl_entry_kind)k, argc, argv, &back,
							  err, sizeof(err)), 0);
			assert_memory_equal(&back, &c[i], sizeof(back));
			if (k == SHL_KIND_STE)
				assert_int_equal(shl_ste_bad(&p, &c[i]), SHL_RULE_NONE);
			else
				assert_true(shl_cd_bad(&p, &ctx, &c[i]) == SHL_RULE_NONE ||
					    !SHL_GET(&c[i], SHL_CD_V));
		}
		free(c);
	}
}

static void test_sweep_counts(void **state)
{
	struct shl_profile p;
	struct shl_sweep_opts o = { .kind = SHL_KIND_STE, .quanta = 64, .update_safe = true,
				    .scale = 1 };
	struct shl_sweep_stats st;
	uint64_t sum = 0;
	unsigned int i;
	json_object *j, *v;

	(void)state;
	assert_int_equal(shl_profile_builtin("full", &p), 0);
	o.p = &p;
	assert_int_equal(shl_sweep(&o, &st), 0);
	assert_true(st.transitions >= 100000);
	assert_int_equal(st.transitions, (uint64_t)st.corpus * (st.corpus - 1));
	for (i = 0; i < SHL_PATH_COUNT; i++)
		sum += st.paths[i];
	assert_int_equal(sum, st.transitions);
	for (sum = 0, i = 0; i < SHL_SWEEP_CLASS_COUNT; i++)
		sum += st.classes[i];
	assert_int_equal(sum, st.transitions);
	assert_true(st.paths[SHL_PATH_HITLESS] > 0 && st.paths[SHL_PATH_BREAKING] > 0);
	assert_int_equal(st.kernel_fail, 0);
	/* no corpus STE has qword 0 == 0: every plan but a breaking one is KUnit-hitless */
	assert_int_equal(st.kernel_hitless, st.paths[SHL_PATH_HITLESS] + st.paths[SHL_PATH_NOCHANGE]);
	j = shl_sweep_stats_to_json(&st);
	assert_true(json_object_object_get_ex(j, "transitions", &v));
	assert_int_equal(json_object_get_int64(v), (int64_t)st.transitions);
	json_object_put(j);

	/* Without the leading dma_wmb, new tables are unordered: the 2026 fix matters. */
	o.no_dma_wmb = true;
	assert_int_equal(shl_sweep(&o, &st), 0);
	assert_true(st.classes[SHL_SWEEP_UNORDERED] > 0);
	assert_true(st.findings > 0);
	assert_int_equal(st.examples[0].v.kind, SHL_VIOL_UNORDERED);

	/* a larger corpus gives more transitions */
	o.no_dma_wmb = false;
	o.kind = SHL_KIND_CD;
	o.scale = 2;
	assert_int_equal(shl_sweep(&o, &st), 0);
	assert_true(st.corpus > 59);
	/* the zero CD is in the corpus: writing or clearing a CD is never KUnit-hitless */
	assert_int_equal(st.kernel_fail, 0);
	assert_true(st.kernel_hitless < st.paths[SHL_PATH_HITLESS] + st.paths[SHL_PATH_NOCHANGE]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plans_over_corpus),
		cmocka_unit_test(test_corpus_identity_and_legality),
		cmocka_unit_test(test_sweep_counts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
