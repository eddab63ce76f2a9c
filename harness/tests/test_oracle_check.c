// SPDX-License-Identifier: GPL-2.0-only
/*
 * Oracle unit tests: the Linux planner (plan.c), the sequence parser
 * (seq.c) and the per-store checker (check.c).
 */
#include <stdlib.h>

#include "oracle_helpers.h"

static struct shl_profile full;

static int setup(void **state)
{
	(void)state;
	return shl_profile_builtin("full", &full);
}

static struct shl_model ste_model(void)
{
	return (struct shl_model){ .kind = SHL_KIND_STE, .p = &full, .spec = true,
				   .update_safe = true };
}

static struct shl_plan plan(enum shl_entry_kind kind, const struct shl_entry *a,
			    const struct shl_entry *b, unsigned int quanta, bool safe)
{
	struct shl_plan_opts o = { .quanta = quanta, .update_safe = safe };
	struct shl_plan p;

	shl_plan_entry(kind, a, b, &o, &p);
	return p;
}

/* Check a plan at store granularity; breaking plans with allow_breaking. */
static struct shl_check_result check_plan(const struct shl_model *m, const struct shl_entry *a,
					  const struct shl_entry *b, const struct shl_plan *p,
					  unsigned int quanta)
{
	struct shl_op ops[SHL_PLAN_MAX_OPS];
	struct shl_check_opts o = { .quanta = quanta,
				    .allow_breaking = p->path == SHL_PATH_BREAKING };
	struct shl_check_result r = { 0 };
	char err[100];

	assert_int_equal(shl_check(m, a, b, ops, shl_plan_to_ops(p, ops, SHL_PLAN_MAX_OPS), &o,
				   &r, err, sizeof(err)), 0);
	return r;
}

static void test_plan_nochange_and_identity(void **state)
{
	struct shl_entry a = enc(SHL_KIND_STE, STE_S1, NULL);
	struct shl_entry b = enc(SHL_KIND_STE, STE_S1, "MEV=1");
	struct shl_plan p;

	(void)state;
	p = plan(SHL_KIND_STE, &a, &a, 64, true);
	assert_int_equal(p.path, SHL_PATH_NOCHANGE);
	assert_int_equal(p.nsteps, 0);
	assert_true(p.hitless);
	/* MEV is update-safe: one store of qword 1, one sync */
	p = plan(SHL_KIND_STE, &a, &b, 64, true);
	assert_int_equal(p.path, SHL_PATH_NOCHANGE);
	assert_int_equal(p.nsteps, 1);
	assert_int_equal(p.steps[0].nstores, 1);
	assert_int_equal(p.steps[0].st[0].qword, 1);
	assert_int_equal(p.steps[0].st[0].v[0], b.q[1]);
	/* without update-safe it is a used change of qword 1: hitless, critical 1 */
	p = plan(SHL_KIND_STE, &a, &b, 64, false);
	assert_int_equal(p.path, SHL_PATH_HITLESS);
	assert_int_equal(p.critical_qword, 1);
}

/* abort -> S1: unused bits first, then qword 0 alone (KUnit-style). */
static void test_plan_hitless_critical(void **state)
{
	struct shl_entry a = enc(SHL_KIND_STE, "V=1", NULL);
	struct shl_entry b = enc(SHL_KIND_STE, STE_S1, NULL);
	struct shl_plan p;
	struct shl_model m = ste_model();
	struct shl_check_result r;

	(void)state;
	p = plan(SHL_KIND_STE, &a, &b, 64, true);
	assert_int_equal(p.path, SHL_PATH_HITLESS);
	assert_int_equal(p.critical_qword, 0);
	assert_int_equal(p.nsteps, 2);
	assert_int_equal(p.steps[0].st[0].qword, 1);
	assert_int_equal(p.steps[1].nstores, 1);
	assert_int_equal(p.steps[1].st[0].qword, 0);
	assert_int_equal(p.steps[1].st[0].v[0], b.q[0]);
	assert_true(p.hitless);
	r = check_plan(&m, &a, &b, &p, 64);
	assert_true(r.pass);
	assert_int_equal(r.classes[SHL_CLASS_TORN] + r.classes[SHL_CLASS_INVALID], 0);
}

/* S1 -> S2 changes used bits in qwords 0, 1 and 2: breaking. */
static void test_plan_breaking(void **state)
{
	struct shl_entry a = enc(SHL_KIND_STE, STE_S1, "EATS=1");
	struct shl_entry b = enc(SHL_KIND_STE, STE_S2, NULL);
	struct shl_plan p = plan(SHL_KIND_STE, &a, &b, 64, true);
	struct shl_model m = ste_model();
	struct shl_check_result r;
	struct shl_op ops[SHL_PLAN_MAX_OPS];
	struct shl_check_opts o = { .quanta = 64 };
	char err[100];

	(void)state;
	assert_int_equal(p.path, SHL_PATH_BREAKING);
	assert_int_equal(p.critical_qword, -1);
	assert_int_equal(p.nsteps, 3);
	assert_int_equal(p.steps[0].nstores, 1);
	assert_int_equal(p.steps[0].st[0].v[0], 0);
	assert_int_equal(p.steps[2].st[0].v[0], b.q[0]);
	assert_false(p.hitless);
	r = check_plan(&m, &a, &b, &p, 64);
	assert_true(r.pass);
	assert_true(r.classes[SHL_CLASS_INVALID] > 0);
	/* without --allow-breaking the V=0 states are violations */
	r = (struct shl_check_result){ 0 };
	assert_int_equal(shl_check(&m, &a, &b, ops, shl_plan_to_ops(&p, ops, SHL_PLAN_MAX_OPS),
				   &o, &r, err, sizeof(err)), 0);
	assert_false(r.pass);
	assert_int_equal(r.kinds, 1u << SHL_VIOL_INVALID);
}

/* The update-safe case of commit 2781f2a930ab: nested S1DSS-bypass <-> S1 bypass. */
static void test_plan_update_safe_nested(void **state)
{
	struct shl_entry s2 = enc(SHL_KIND_STE, STE_S2, "EATS=1");
	struct shl_entry nested = enc(SHL_KIND_STE, STE_NESTED, "EATS=1 S1DSS=1 S1CDMax=8");
	struct shl_plan p;
	struct shl_model m = ste_model();

	(void)state;
	p = plan(SHL_KIND_STE, &s2, &nested, 64, true);
	assert_int_equal(p.path, SHL_PATH_HITLESS);
	assert_int_equal(p.critical_qword, 0);
	assert_true(p.hitless);
	assert_true(check_plan(&m, &s2, &nested, &p, 64).pass);
	p = plan(SHL_KIND_STE, &nested, &s2, 64, true);
	assert_int_equal(p.path, SHL_PATH_HITLESS);
	/* MEV in qword 1 makes it breaking without update-safe bits */
	p = plan(SHL_KIND_STE, &s2, &nested, 64, false);
	assert_int_equal(p.path, SHL_PATH_BREAKING);
}

/* With 128-bit quanta, qwords 0 and 1 change in one atomic store. */
static void test_plan_128(void **state)
{
	struct shl_entry a = enc(SHL_KIND_STE, STE_S1, NULL);
	struct shl_entry b = enc(SHL_KIND_STE, STE_S1,
				 "S1ContextPtr=0x80000000 S1CDMax=4 S1DSS=1 SHCFG=1");
	struct shl_plan p;
	struct shl_model m = ste_model();

	(void)state;
	p = plan(SHL_KIND_STE, &a, &b, 64, true);
	assert_int_equal(p.path, SHL_PATH_BREAKING);
	p = plan(SHL_KIND_STE, &a, &b, 128, true);
	assert_int_equal(p.path, SHL_PATH_HITLESS);
	assert_int_equal(p.critical_qword, 0);
	assert_int_equal(p.steps[0].st[0].nq, 2);
	assert_int_equal(p.steps[0].st[0].v[0], b.q[0]);
	assert_int_equal(p.steps[0].st[0].v[1], b.q[1]);
	assert_true(check_plan(&m, &a, &b, &p, 128).pass);
	/* the same plan's 128-bit stores seen by a 64-bit reader can tear */
	assert_false(check_plan(&m, &a, &b, &p, 64).pass);
}

static void test_plan_cd(void **state)
{
	struct shl_entry a = enc(SHL_KIND_CD, CD_S1, NULL);
	struct shl_entry b = enc(SHL_KIND_CD, CD_S1, "TTB0=0x91000000");
	struct shl_entry c = enc(SHL_KIND_CD, CD_S1, "ASID=2 MAIR0=0x44");
	struct shl_entry released = enc(SHL_KIND_CD, CD_S1, "EPD0=1 T0SZ=0 IR0=0 OR0=0 SH0=0 TTB0=0");
	struct shl_model m = { .kind = SHL_KIND_CD, .p = &full, .spec = true };
	struct shl_plan p;

	(void)state;
	p = plan(SHL_KIND_CD, &a, &b, 64, true);
	assert_int_equal(p.path, SHL_PATH_HITLESS);
	assert_int_equal(p.critical_qword, 1);
	p = plan(SHL_KIND_CD, &a, &c, 64, true);
	assert_int_equal(p.path, SHL_PATH_BREAKING);
	/* releasing an SVA CD: EPD0 first (critical qword 0), TTB0 cleaned up after */
	p = plan(SHL_KIND_CD, &a, &released, 64, true);
	assert_int_equal(p.path, SHL_PATH_HITLESS);
	assert_int_equal(p.critical_qword, 0);
	assert_int_equal(p.nsteps, 2);
	assert_true(check_plan(&m, &a, &released, &p, 64).pass);
}

/* Two used qwords in one sync window: the sync point is fine, a store mix is torn. */
static void test_check_sync_passes_store_fails(void **state)
{
	struct shl_entry a = enc(SHL_KIND_STE, STE_S2, NULL);
	struct shl_entry b = enc(SHL_KIND_STE, STE_S2, "S2VMID=2 S2TTB=0x90000000");
	struct shl_model m = ste_model();
	struct shl_violation v[8];
	struct shl_check_opts store = { .quanta = 64 }, sync = { .quanta = 64, .sync_only = true };
	char seq[200];
	struct shl_check_result r;

	(void)state;
	snprintf(seq, sizeof(seq), "dma_wmb\nwrite 2 0x%llx\nwrite 3 0x%llx # comment\nsync\n",
		 (unsigned long long)b.q[2], (unsigned long long)b.q[3]);
	r = run_seq(&m, &a, &b, seq, &sync, v, 8);
	assert_true(r.pass);
	assert_int_equal(r.observations, 1);
	r = run_seq(&m, &a, &b, seq, &store, v, 8);
	assert_false(r.pass);
	assert_int_equal(r.observations, 4);
	assert_int_equal(r.classes[SHL_CLASS_TORN], 2);
	assert_int_equal(r.nviol, 2);
	assert_int_equal(v[0].kind, SHL_VIOL_TORN);
	/* the torn entry mixing new qword 2 with old qword 3 shows after op 2 */
	assert_int_equal(v[0].entry.q[2], b.q[2]);
	assert_int_equal(v[0].entry.q[3], a.q[3]);
	assert_int_equal(v[0].after, 2);
	assert_int_equal(v[1].after, 3);
	/* with a 128-bit store of qwords 2 and 3 there is nothing to tear */
	snprintf(seq, sizeof(seq), "write 2 0x%llx,0x%llx\nsync\n", (unsigned long long)b.q[2],
		 (unsigned long long)b.q[3]);
	store.quanta = 128;
	r = run_seq(&m, &a, &b, seq, &store, v, 8);
	assert_true(r.pass);
}

static void test_check_illegal_transient(void **state)
{
	/* EATS 0 -> 1 on an S2 STE that gains S2S in the same window */
	struct shl_entry a = enc(SHL_KIND_STE, STE_S2, "EATS=1");
	struct shl_entry b = enc(SHL_KIND_STE, STE_S2, "S2S=1");
	struct shl_model m = ste_model();
	struct shl_violation v[8];
	struct shl_check_opts o = { .quanta = 64 };
	char seq[200];
	struct shl_check_result r;

	(void)state;
	snprintf(seq, sizeof(seq), "write 2 0x%llx\nwrite 1 0x%llx\nsync\n",
		 (unsigned long long)b.q[2], (unsigned long long)b.q[1]);
	r = run_seq(&m, &a, &b, seq, &o, v, 8);
	assert_false(r.pass);
	assert_true(r.kinds & (1u << SHL_VIOL_ILLEGAL));
	assert_string_equal(v[0].rule, "ste-eats-trans-s2s");
	assert_int_equal(v[0].after, 1);
}

/* S1ContextPtr moves to a new table: ordering with table/dma_wmb, and the final entry. */
static void test_check_unordered_and_final(void **state)
{
	struct shl_entry a = enc(SHL_KIND_STE, STE_S1, NULL);
	struct shl_entry b = enc(SHL_KIND_STE, STE_S1, "S1ContextPtr=0x80000000");
	struct shl_model m = ste_model();
	struct shl_violation v[8];
	struct shl_check_opts o = { .quanta = 64 };
	static const char *const prefix[] = { "table 0x80000000\n", "table 0x80000000\ndma_wmb\n",
					      "table 0x70000000\n" };
	char seq[200];
	struct shl_check_result r;
	size_t i;

	(void)state;
	for (i = 0; i < 3; i++) {
		snprintf(seq, sizeof(seq), "%swrite 0 0x%llx\nsync\n", prefix[i],
			 (unsigned long long)b.q[0]);
		r = run_seq(&m, &a, &b, seq, &o, v, 8);
		/* only the table at the new address without a dma_wmb is unordered */
		assert_int_equal(r.pass, i != 0);
		if (i == 0) {
			assert_int_equal(r.kinds, 1u << SHL_VIOL_UNORDERED);
			assert_int_equal(v[0].after, 2);
		}
	}
	r = run_seq(&m, &a, &b, "sync\n", &o, v, 8);
	assert_false(r.pass);
	assert_int_equal(r.kinds, 1u << SHL_VIOL_FINAL_MISMATCH);
	assert_string_equal(v[0].rule, "final-entry");
	snprintf(seq, sizeof(seq), "write 0 0x%llx\n", (unsigned long long)b.q[0]);
	r = run_seq(&m, &a, &b, seq, &o, v, 8);
	assert_false(r.pass);
	assert_string_equal(v[0].rule, "no-final-sync");
	assert_int_equal(r.nviol, 1);
}

static void test_seq_parse_errors(void **state)
{
	static const struct {
		const char *text;
		const char *msg;
	} bad[] = {
		{ "sync\nwrite 8 0x1\n", "line 2" },
		{ "write 0\n", "line 1" },
		{ "write 1 0x1,0x2\n", "line 1" },
		{ "write 0 0xzz\n", "line 1" },
		{ "\n\n  table\n", "line 3" },
		{ "sync now\n", "line 1" },
		{ "flush\n", "line 1" },
		{ "write 0 0x11111111111111111\n", "line 1" },
	};
	struct shl_seq seq;
	char err[200];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(shl_seq_parse(bad[i].text, strlen(bad[i].text), 8, &seq, err,
					       sizeof(err)), -1);
		if (!strstr(err, bad[i].msg))
			fail_msg("'%s': error '%s' lacks '%s'", bad[i].text, err, bad[i].msg);
	}
	assert_int_equal(shl_seq_parse("# only\n\nwrite 6 1,2 # x\ndma_wmb\ntable 40\n", 41, 8,
				       &seq, err, sizeof(err)), 0);
	assert_int_equal(seq.n, 3);
	assert_int_equal(seq.ops[0].nq, 2);
	assert_int_equal(seq.ops[0].v[1], 2);
	assert_int_equal(seq.ops[2].v[0], 0x40);
	shl_seq_free(&seq);
}

static void test_check_combination_limit(void **state)
{
	struct shl_entry a = enc(SHL_KIND_STE, STE_S1, NULL);
	struct shl_model m = ste_model();
	struct shl_check_opts o = { .quanta = 64, .max_combos = 1000 };
	struct shl_check_result r = { 0 };
	struct shl_op ops[80];
	char err[200];
	unsigned int i;

	(void)state;
	for (i = 0; i < 40; i++)
		ops[i] = (struct shl_op){ .kind = SHL_OP_WRITE, .qword = (uint8_t)(4 + i % 4),
					  .nq = 1, .v = { i + 1 } };
	ops[40] = (struct shl_op){ .kind = SHL_OP_SYNC };
	assert_int_equal(shl_check(&m, &a, &a, ops, 41, &o, &r, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "combinations"));
	o.max_combos = 0;
	assert_int_equal(shl_check(&m, &a, &a, ops, 41, &o, &r, err, sizeof(err)), 0);
	assert_int_equal(r.observations, 11ULL * 11 * 11 * 11);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plan_nochange_and_identity),
		cmocka_unit_test(test_plan_hitless_critical),
		cmocka_unit_test(test_plan_breaking),
		cmocka_unit_test(test_plan_update_safe_nested),
		cmocka_unit_test(test_plan_128),
		cmocka_unit_test(test_plan_cd),
		cmocka_unit_test(test_check_sync_passes_store_fails),
		cmocka_unit_test(test_check_illegal_transient),
		cmocka_unit_test(test_check_unordered_and_final),
		cmocka_unit_test(test_seq_parse_errors),
		cmocka_unit_test(test_check_combination_limit),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
