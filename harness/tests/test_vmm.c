// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests: the nested-update-safe VMM's host-side logic: the guest's
 * vSTEs, CD and stage-1 tables (oracle/guest.c), the IORT root complex
 * reader and the pairing of recorded STE updates with the oracle's plans
 * with and without update-safe bits (agent/vmm.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "smmu_hil/guest.h"
#include "smmu_hil/plan.h"
#include "smmu_hil/vmm.h"
#include <uapi/smmu_hil.h>

#define CD_IPA 0x1000000ULL

static void test_vste_kinds(void **state)
{
	struct shl_entry e;
	enum shl_vste_kind k;

	(void)state;
	assert_int_equal(shl_vste_build(SHL_VSTE_BYPASS, 0, &e), 0);
	assert_int_equal(e.q[0], 0x9);		/* V, Config 0b100 */
	assert_int_equal(e.q[1], 0);
	assert_true(shl_vste_allowed(&e));

	assert_int_equal(shl_vste_build(SHL_VSTE_S1, CD_IPA, &e), 0);
	assert_int_equal(SHL_GET(&e, SHL_STE_CONFIG), SHL_CFG_S1);
	assert_int_equal(SHL_GET(&e, SHL_STE_S1CONTEXTPTR) << 6, CD_IPA);
	assert_int_equal(SHL_GET(&e, SHL_STE_S1CDMAX), 1);
	assert_int_equal(SHL_GET(&e, SHL_STE_S1DSS), SHL_S1DSS_SSID0);
	assert_int_equal(SHL_GET(&e, SHL_STE_EATS), SHL_EATS_ABT);
	assert_int_equal(SHL_GET(&e, SHL_STE_MEV), 0);
	assert_true(shl_vste_allowed(&e));
	/* the two stage-1 kinds differ in S1DSS only (a hitless change in the guest) */
	{
		struct shl_entry b;

		assert_int_equal(shl_vste_build(SHL_VSTE_S1DSS_BYPASS, CD_IPA, &b), 0);
		assert_int_equal(SHL_GET(&b, SHL_STE_S1DSS), SHL_S1DSS_BYPASS);
		assert_int_equal(b.q[0], e.q[0]);
		assert_int_equal(b.q[1] ^ e.q[1], SHL_MASK(SHL_STE_S1DSS));
	}
	/* a CD table not 128-byte aligned or beyond 56 bits; an unknown kind */
	assert_int_equal(shl_vste_build(SHL_VSTE_S1, CD_IPA + 64, &e), -1);
	assert_int_equal(e.q[0], 0);
	assert_int_equal(shl_vste_build(SHL_VSTE_S1, 1ULL << 56, &e), -1);
	assert_int_equal(shl_vste_build(SHL_VSTE_COUNT, CD_IPA, &e), -1);

	for (k = 0; k < SHL_VSTE_COUNT; k++) {
		enum shl_vste_kind back;

		assert_int_equal(shl_vste_parse(shl_vste_name(k), &back), 0);
		assert_int_equal(back, k);
	}
	assert_int_equal(shl_vste_parse("nested", &k), -1);
	assert_null(shl_vste_name(SHL_VSTE_COUNT));
}

/* What Linux refuses in a vSTE (arm_smmu_validate_vste()) */
static void test_vste_allowed(void **state)
{
	struct shl_entry e;

	(void)state;
	shl_vste_build(SHL_VSTE_S1, CD_IPA, &e);
	SHL_SET(&e, SHL_STE_MEV, 1);		/* the hypervisor's bit */
	assert_false(shl_vste_allowed(&e));
	shl_vste_build(SHL_VSTE_S1, CD_IPA, &e);
	e.q[2] = 1;				/* S2VMID: stage 2 is the VMM's */
	assert_false(shl_vste_allowed(&e));
	shl_vste_build(SHL_VSTE_S1, CD_IPA, &e);
	SHL_SET(&e, SHL_STE_CONFIG, SHL_CFG_S2);
	assert_false(shl_vste_allowed(&e));
	SHL_SET(&e, SHL_STE_CONFIG, SHL_CFG_ABORT);
	assert_true(shl_vste_allowed(&e));
	/* V=0: anything goes, the kernel zeroes it */
	memset(&e, 0xff, sizeof(e));
	SHL_SET(&e, SHL_STE_V, 0);
	assert_true(shl_vste_allowed(&e));
}

static void test_guest_cd(void **state)
{
	struct shl_entry cd;

	(void)state;
	assert_int_equal(shl_guest_cd_build(CD_IPA + 0x1000, 7, &cd), 0);
	assert_int_equal(SHL_GET(&cd, SHL_CD_V), 1);
	assert_int_equal(SHL_GET(&cd, SHL_CD_T0SZ), SHL_GUEST_T0SZ);
	assert_int_equal(SHL_GET(&cd, SHL_CD_TG0), 0);
	assert_int_equal(SHL_GET(&cd, SHL_CD_EPD1), 1);
	assert_int_equal(SHL_GET(&cd, SHL_CD_AA64), 1);
	assert_int_equal(SHL_GET(&cd, SHL_CD_ASID), 7);
	assert_int_equal(SHL_GET(&cd, SHL_CD_TTB0) << 4, CD_IPA + 0x1000);
	assert_int_equal(SHL_GET(&cd, SHL_CD_MAIR0) & 0xff, 0xff);
	assert_int_equal(shl_guest_cd_build(CD_IPA + 0x800, 7, &cd), -1);
	assert_int_equal(shl_guest_cd_build(1ULL << 48, 7, &cd), -1);
}

static void test_guest_pt(void **state)
{
	uint64_t *mem = calloc(SHL_GUEST_PT_PAGES * 512, sizeof(*mem));
	const uint64_t base = 0x1001000, va = 0x1100000, pa = 0x1100000;

	(void)state;
	assert_non_null(mem);
	assert_int_equal(shl_guest_pt_build(mem, base, va, pa, 2), 0);
	assert_int_equal(shl_guest_pt_walk(mem, base, va), pa);
	assert_int_equal(shl_guest_pt_walk(mem, base, va + 0x1234), pa + 0x1234);
	assert_int_equal(shl_guest_pt_walk(mem, base, va + 0x2000), UINT64_MAX);
	assert_int_equal(shl_guest_pt_walk(mem, base, va + 0x40000000), UINT64_MAX);
	assert_int_equal(shl_guest_pt_walk(mem, base, 1ULL << 39), UINT64_MAX);
	/* level-3 page descriptor: valid page, AF, inner shareable, AP[1] */
	assert_int_equal(mem[2 * 512 + 256] & 0xfff, 0x743);
	/* a level-1 entry pointing outside the tables is not followed */
	mem[0] = 0x5000003;
	assert_int_equal(shl_guest_pt_walk(mem, base, 0x1000), UINT64_MAX);
	/* unaligned, beyond 39 bits, across a level-3 table */
	assert_int_equal(shl_guest_pt_build(mem, base, va + 8, pa, 1), -1);
	assert_int_equal(shl_guest_pt_build(mem, base, 1ULL << 39, pa, 1), -1);
	assert_int_equal(shl_guest_pt_build(mem, base, 0x1ff000, pa, 2), -1);
	assert_int_equal(shl_guest_pt_build(mem, base, va, pa, 0), -1);
	free(mem);
}

/* The IORT of the emulated DUT (QEMU 10.0.2 virt, UEFI): ITS group, SMMUv3, root complex. */
static const uint8_t qemu10_iort[] = {
	0x49, 0x4f, 0x52, 0x54, 0xec, 0x00, 0x00, 0x00, 0x03, 0x57, 0x42, 0x4f,
	0x43, 0x48, 0x53, 0x20, 0x42, 0x58, 0x50, 0x43, 0x20, 0x20, 0x20, 0x20,
	0x01, 0x00, 0x00, 0x00, 0x42, 0x58, 0x50, 0x43, 0x01, 0x00, 0x00, 0x00,
	0x03, 0x00, 0x00, 0x00, 0x30, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x18, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x04, 0x58, 0x00, 0x04, 0x01, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00,
	0x44, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05, 0x09, 0x00, 0x00, 0x00, 0x00,
	0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x6a, 0x00, 0x00, 0x00,
	0x6b, 0x00, 0x00, 0x00, 0x6d, 0x00, 0x00, 0x00, 0x6c, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x30, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x02, 0x4c, 0x00, 0x03, 0x02, 0x00, 0x00, 0x00,
	0x02, 0x00, 0x00, 0x00, 0x24, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x40, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x48, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x01, 0x00, 0x00, 0xff, 0xfe, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00,
	0x30, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
};

static void test_iort(void **state)
{
	uint8_t t[sizeof(qemu10_iort)];
	struct shl_iort_rc rc[2];

	(void)state;
	assert_int_equal(shl_iort_root_complexes(qemu10_iort, sizeof(qemu10_iort), rc, 2), 1);
	assert_int_equal(rc[0].segment, 0);
	assert_int_equal(rc[0].cca, 1);
	assert_int_equal(rc[0].mem_flags, 0x03);	/* CPM, DACS; no CANWBS */
	assert_false(rc[0].mem_flags & SHL_IORT_MF_CANWBS);
	assert_int_equal(rc[0].ats, 0);
	/* the same table with CANWBS set */
	memcpy(t, qemu10_iort, sizeof(t));
	t[160 + 23] |= SHL_IORT_MF_CANWBS;
	assert_int_equal(shl_iort_root_complexes(t, sizeof(t), rc, 2), 1);
	assert_true(rc[0].mem_flags & SHL_IORT_MF_CANWBS);
	/* counted beyond @max */
	assert_int_equal(shl_iort_root_complexes(t, sizeof(t), rc, 0), 1);
	/* truncated, a node running past the end, another table */
	assert_int_equal(shl_iort_root_complexes(qemu10_iort, 200, rc, 2), -1);
	t[161] = 0xff;
	assert_int_equal(shl_iort_root_complexes(t, sizeof(t), rc, 2), -1);
	memcpy(t, "DSDT", 4);
	assert_int_equal(shl_iort_root_complexes(t, sizeof(t), rc, 2), -1);
}

/*
 * Physical STEs as Linux builds them for the vIOMMU: the vSTE bypass is the
 * nesting parent's stage 2 alone (Config 0b110, no MEV), a stage-1 vSTE a
 * nested STE (Config 0b111, the vSTE's S1 fields, MEV); both with the same
 * stage 2 (q2, q3).
 */
static const uint64_t ste_s2[4] = { 0xd, 0x100000000000, 0x40c355400000001, 0x48000000 };
static const uint64_t ste_nested[4] = {
	0x800000000100000f, 0x1000000800d6, 0x40c355400000001, 0x48000000,
};

/* a recorder log of one writer call from @a to @b following the oracle's plan (@safe) */
static void plan_log(const uint64_t *a, const uint64_t *b, bool safe, struct shl_rec_log *log)
{
	struct shl_plan_opts po = { .quanta = 64, .update_safe = safe };
	struct smmu_hil_inj_snap r[2 + SHL_PLAN_MAX_STEPS + 2];
	struct shl_entry ea = { { 0 } }, eb = { { 0 } }, cur;
	struct shl_plan p;
	unsigned int k, st, j, n = 0;
	char err[200];

	memcpy(ea.q, a, 4 * sizeof(*a));
	memcpy(eb.q, b, 4 * sizeof(*b));
	shl_plan_entry(SHL_KIND_STE, &ea, &eb, &po, &p);
	memset(r, 0, sizeof(r));
	r[n].kind = SMMU_HIL_SNAP_START;
	r[n].entry = SMMU_HIL_ENT_STE;
	memcpy(r[n++].q, ea.q, sizeof(r[0].q));
	r[n].kind = SMMU_HIL_SNAP_BEGIN;
	memcpy(r[n++].q, ea.q, sizeof(r[0].q));
	r[n].kind = SMMU_HIL_SNAP_TARGET;
	memcpy(r[n++].q, eb.q, sizeof(r[0].q));
	cur = ea;
	for (k = 0; k < p.nsteps; k++) {
		for (st = 0; st < p.steps[k].nstores; st++)
			for (j = 0; j < p.steps[k].st[st].nq; j++)
				cur.q[p.steps[k].st[st].qword + j] = p.steps[k].st[st].v[j];
		r[n].kind = SMMU_HIL_SNAP_SYNC;
		memcpy(r[n++].q, cur.q, sizeof(r[0].q));
	}
	r[n].kind = SMMU_HIL_SNAP_END;
	memcpy(r[n++].q, cur.q, sizeof(r[0].q));
	for (k = 0; k < n; k++) {
		r[k].seq = k;
		r[k].entry = SMMU_HIL_ENT_STE;
	}
	assert_int_equal(shl_rec_decode(r, n * sizeof(r[0]), log, err, sizeof(err)), 0);
}

static void pair_of(const uint64_t *a, const uint64_t *b, bool safe, struct shl_vmm_pair *p)
{
	struct shl_rec_group g[4];
	struct shl_rec_log log;

	plan_log(a, b, safe, &log);
	assert_int_equal(shl_rec_group(log.s, log.n, SHL_KIND_STE, g, 4), 1);
	assert_int_equal(shl_vmm_pair(log.s, &g[0], p), 0);
	shl_rec_log_free(&log);
}

static void test_pair(void **state)
{
	struct shl_vmm_pair p;

	(void)state;
	/* a kernel with update-safe bits: vSTE bypass -> S1 hitless, two syncs */
	pair_of(ste_s2, ste_nested, true, &p);
	assert_string_equal(p.from, "s2");
	assert_string_equal(p.to, "nested");
	assert_false(p.breaking);
	assert_int_equal(p.syncs, 2);
	assert_string_equal(shl_vmm_pair_match(&p), "update-safe");
	assert_true(p.safe.plan.hitless);
	assert_false(p.plain.plan.hitless);
	assert_int_equal(p.plain.plan.path, SHL_PATH_BREAKING);
	/* mutant (a): V=0 first, three syncs */
	pair_of(ste_s2, ste_nested, false, &p);
	assert_true(p.breaking);
	assert_int_equal(p.syncs, 3);
	assert_string_equal(shl_vmm_pair_match(&p), "no-update-safe");
	assert_non_null(strstr(p.safe.difference, "sync"));
	/* and back */
	pair_of(ste_nested, ste_s2, false, &p);
	assert_true(p.breaking);
	pair_of(ste_nested, ste_s2, true, &p);
	assert_false(p.breaking);
	assert_int_equal(p.syncs, 3);
	/* S1DSS bypass <-> S1 translate: one qword, hitless either way */
	{
		uint64_t bypass[4];

		memcpy(bypass, ste_nested, sizeof(bypass));
		bypass[1] = (bypass[1] & ~3ULL) | SHL_S1DSS_BYPASS;
		pair_of(ste_nested, bypass, false, &p);
		assert_false(p.breaking);
		assert_int_equal(p.syncs, 1);
		assert_string_equal(shl_vmm_pair_match(&p), "both");
	}
}

/* The report over a log: counts and one distinct row per transition and steps. */
static void test_pairs_report(void **state)
{
	struct shl_rec_log log;
	unsigned int breaking = 99;
	json_object *o, *d, *x;

	(void)state;
	plan_log(ste_s2, ste_nested, false, &log);
	o = shl_vmm_pairs_report(&log, &breaking);
	assert_non_null(o);
	assert_int_equal(breaking, 1);
	assert_true(json_object_object_get_ex(o, "replaces", &x));
	assert_int_equal(json_object_get_int(x), 1);
	assert_true(json_object_object_get_ex(o, "hitless", &x));
	assert_int_equal(json_object_get_int(x), 0);
	assert_true(json_object_object_get_ex(o, "distinct", &d));
	assert_int_equal(json_object_array_length(d), 1);
	d = json_object_array_get_idx(d, 0);
	assert_true(json_object_object_get_ex(d, "transition", &x));
	assert_string_equal(json_object_get_string(x), "s2 -> nested");
	assert_true(json_object_object_get_ex(d, "match", &x));
	assert_string_equal(json_object_get_string(x), "no-update-safe");
	assert_true(json_object_object_get_ex(d, "oracle_update_safe", &x));
	assert_true(json_object_object_get_ex(x, "path", &x));
	assert_string_equal(json_object_get_string(x), "hitless");
	json_object_put(o);
	shl_rec_log_free(&log);

	plan_log(ste_s2, ste_nested, true, &log);
	o = shl_vmm_pairs_report(&log, &breaking);
	assert_int_equal(breaking, 0);
	json_object_put(o);
	shl_rec_log_free(&log);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vste_kinds),
		cmocka_unit_test(test_vste_allowed),
		cmocka_unit_test(test_guest_cd),
		cmocka_unit_test(test_guest_pt),
		cmocka_unit_test(test_iort),
		cmocka_unit_test(test_pair),
		cmocka_unit_test(test_pairs_report),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
