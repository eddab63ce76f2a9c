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

/*
 * The transition cases of the kernel's KUnit test
 * (drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3-test.c, Linux 7.1), with its
 * entries rebuilt from what its helpers ask the driver's builders for (an
 * SMMU with stalls and attribute overrides; CD table at 0xF0F0F0F0F0F0,
 * S1CDMax 0xFF, 64K-L2 format; VTTBR/TTBR 0xdaedbeefdeadbeef, VTCR/TCR
 * ps/ips 1, tg 2, sh 3, orgn 1, irgn 2, sl 3, tsz 4; MAIR 0xabcdef012345678)
 * and its expected hitless verdict and sync count. hitless is the test's
 * !invalid_entry_written: no sync may see qword 0 == 0, whatever the
 * endpoints (0 -> S1 CD is NOT hitless); every plan must also pass the
 * test's per-sync expectation (consistent).
 */
#define K_BYPASS "V=1 Config=4 SHCFG=1"
#define K_ABORT "V=1"
#define K_CDTAB "V=1 Config=5 S1Fmt=2 S1ContextPtr=0xF0F0F0F0F0C0 S1CDMax=31 S1CIR=1 " \
		"S1COR=1 S1CSH=3"
#define K_ATS "EATS=1 S1STALLD=1"		/* ATS master, no stall */
#define K_CDTAB_SSID0 K_CDTAB " " K_ATS " S1DSS=2"
#define K_CDTAB_BYPASS K_CDTAB " " K_ATS " S1DSS=1 SHCFG=1"
#define K_VTCR "S2T0SZ=4 S2SL0=3 S2IR0=2 S2OR0=1 S2SH0=3 S2TG=2 S2PS=1 S2AA64=1 S2PTW=1 " \
	       "S2R=1 S2TTB=0xdbeefdeadbee0"
#define K_S2 "V=1 Config=6 SHCFG=1 " K_VTCR
#define K_NESTED_BYPASS K_CDTAB_BYPASS " Config=7 MEV=1 " K_VTCR
#define K_S1CD "T0SZ=4 TG0=2 IR0=2 OR0=1 SH0=3 EPD1=1 V=1 IPS=1 AA64=1 R=1 A=1 ASET=1 " \
	       "TTB0=0xdbeefdeadbee0 MAIR0=0x12345678 MAIR1=0xabcdef0"
#define K_SVA "EPD1=1 V=1 IPS=5 AA64=1 A=1 ASET=1 ASID=1997 MAIR0=0x12345678 MAIR1=0xabcdef0"
#define K_SVA_MM K_SVA " T0SZ=16 TG0=0 IR0=1 OR0=1 SH0=3 R=1 TTB0=0xdbeefdeadbee0"
#define K_SVA_RELEASED K_SVA " EPD0=1"

static const struct kunit_case {
	const char *name;
	enum shl_entry_kind kind;
	const char *from, *from_more, *to, *to_more;
	bool hitless;
	unsigned int syncs;
} kunit_cases[] = {
	{ "bypass_to_abort", SHL_KIND_STE, K_BYPASS, NULL, K_ABORT, NULL, true, 2 },
	{ "abort_to_bypass", SHL_KIND_STE, K_ABORT, NULL, K_BYPASS, NULL, true, 2 },
	{ "cdtable_to_abort", SHL_KIND_STE, K_CDTAB_SSID0, NULL, K_ABORT, NULL, true, 2 },
	{ "abort_to_cdtable", SHL_KIND_STE, K_ABORT, NULL, K_CDTAB_SSID0, NULL, true, 2 },
	{ "cdtable_to_bypass", SHL_KIND_STE, K_CDTAB_SSID0, NULL, K_BYPASS, NULL, true, 3 },
	{ "bypass_to_cdtable", SHL_KIND_STE, K_BYPASS, NULL, K_CDTAB_SSID0, NULL, true, 3 },
	{ "cdtable_s1dss_change", SHL_KIND_STE, K_CDTAB_SSID0, NULL, K_CDTAB_BYPASS, NULL, true, 1 },
	{ "cdtable_s1dss_change back", SHL_KIND_STE, K_CDTAB_BYPASS, NULL, K_CDTAB_SSID0, NULL,
	  true, 1 },
	{ "s1dssbypass_to_stebypass", SHL_KIND_STE, K_CDTAB_BYPASS, NULL, K_BYPASS, NULL, true, 2 },
	{ "stebypass_to_s1dssbypass", SHL_KIND_STE, K_BYPASS, NULL, K_CDTAB_BYPASS, NULL, true, 2 },
	{ "s2_to_abort", SHL_KIND_STE, K_S2, "EATS=1", K_ABORT, NULL, true, 2 },
	{ "abort_to_s2", SHL_KIND_STE, K_ABORT, NULL, K_S2, "EATS=1", true, 2 },
	{ "s2_to_bypass", SHL_KIND_STE, K_S2, "EATS=1", K_BYPASS, NULL, true, 2 },
	{ "bypass_to_s2", SHL_KIND_STE, K_BYPASS, NULL, K_S2, "EATS=1", true, 2 },
	{ "s1_to_s2", SHL_KIND_STE, K_CDTAB_SSID0, NULL, K_S2, "EATS=1", true, 3 },
	{ "s2_to_s1", SHL_KIND_STE, K_S2, "EATS=1", K_CDTAB_SSID0, NULL, true, 3 },
	{ "non_hitless", SHL_KIND_STE, K_CDTAB_SSID0, NULL, K_CDTAB_BYPASS,
	  "S1ContextPtr=0x4B4B4B4B40", false, 3 },
	{ "cd s1_clear 0 -> s1", SHL_KIND_CD, "V=0", NULL, K_S1CD, "ASID=1997", false, 2 },
	{ "cd s1_clear s1 -> 0", SHL_KIND_CD, K_S1CD, "ASID=1997", "V=0", NULL, false, 2 },
	{ "cd s1_change_asid", SHL_KIND_CD, K_S1CD, "ASID=778", K_S1CD, "ASID=1997", true, 1 },
	{ "cd s1_change_asid back", SHL_KIND_CD, K_S1CD, "ASID=1997", K_S1CD, "ASID=778", true, 1 },
	{ "s1_to_s2_stall", SHL_KIND_STE, K_CDTAB, "S1DSS=2", K_S2, "S2S=1", true, 3 },
	{ "s2_to_s1_stall", SHL_KIND_STE, K_S2, "S2S=1", K_CDTAB, "S1DSS=2", true, 3 },
	{ "nested_s1dssbypass_to_s1bypass", SHL_KIND_STE, K_NESTED_BYPASS, NULL, K_S2, NULL,
	  true, 3 },
	{ "nested_s1bypass_to_s1dssbypass", SHL_KIND_STE, K_S2, NULL, K_NESTED_BYPASS, NULL,
	  true, 2 },
	{ "cd sva_clear 0 -> sva", SHL_KIND_CD, "V=0", NULL, K_SVA_MM, NULL, false, 2 },
	{ "cd sva_clear sva -> 0", SHL_KIND_CD, K_SVA_MM, NULL, "V=0", NULL, false, 2 },
	{ "cd sva_release", SHL_KIND_CD, K_SVA_MM, NULL, K_SVA_RELEASED, NULL, true, 2 },
	{ "cd sva_release back", SHL_KIND_CD, K_SVA_RELEASED, NULL, K_SVA_MM, NULL, true, 2 },
};

static void test_plan_kunit_cases(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(kunit_cases) / sizeof(kunit_cases[0]); i++) {
		const struct kunit_case *k = &kunit_cases[i];
		struct shl_entry a = enc(k->kind, k->from, k->from_more);
		struct shl_entry b = enc(k->kind, k->to, k->to_more);
		struct shl_entry mem = a;
		struct shl_plan p = plan(k->kind, &a, &b, 64, true);
		unsigned int s, j;

		if (p.hitless != k->hitless || p.nsteps != k->syncs || !p.consistent)
			fail_msg("%s: hitless %d syncs %u consistent %d, the kernel test expects "
				 "hitless %d syncs %u", k->name, p.hitless, p.nsteps, p.consistent,
				 k->hitless, k->syncs);
		/* the plan ends at the target (the test's KUNIT_EXPECT_MEMEQ) */
		for (s = 0; s < p.nsteps; s++)
			for (j = 0; j < p.steps[s].nstores; j++)
				mem.q[p.steps[s].st[j].qword] = p.steps[s].st[j].v[0];
		assert_memory_equal(&mem, &b, sizeof(mem));
	}
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
		cmocka_unit_test(test_plan_kunit_cases),
		cmocka_unit_test(test_check_sync_passes_store_fails),
		cmocka_unit_test(test_check_illegal_transient),
		cmocka_unit_test(test_check_unordered_and_final),
		cmocka_unit_test(test_seq_parse_errors),
		cmocka_unit_test(test_check_combination_limit),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
