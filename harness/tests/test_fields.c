// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests: the oracle's field tables (harness/oracle/entry.c) against the
 * one table of SMMUv3 field positions the modules share
 * (modules/include/smmu_hil/arm_smmu_v3_fields.h): same names, positions and
 * kinds in the same order, every bit of each structure covered exactly once,
 * and a few positions checked against the spec (Arm IHI 0070 5.2, 5.4).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "smmu_hil/entry.h"
#include <smmu_hil/arm_smmu_v3_fields.h>

struct row {
	const char *name;
	unsigned int q, hi, lo, flags;
	int pos;
};

#define FL_FIELD	0
#define FL_ADDR		SHL_FIELD_ADDR
#define FL_RES0		SHL_FIELD_RES0
#define FL_IMPDEF	SHL_FIELD_IMPDEF
#define ROW(id, name, q, hi, lo, kind) { name, q, hi, lo, FL_##kind, SMMU_HIL_FPOS(q, hi, lo) },

static const struct row ste_rows[] = { SMMU_HIL_STE_FIELDS(ROW) };
static const struct row cd_rows[] = { SMMU_HIL_CD_FIELDS(ROW) };
static const struct row l1std_rows[] = { SMMU_HIL_L1STD_FIELDS(ROW) };
static const struct row l1cd_rows[] = { SMMU_HIL_L1CD_FIELDS(ROW) };

static void check_kind(enum shl_entry_kind kind, const struct row *rows, size_t nrows)
{
	uint64_t seen[SHL_ENTRY_QWORDS] = { 0 }, m;
	const struct shl_field *f = NULL;
	size_t n, i;
	unsigned int q;

	f = shl_fields(kind, &n);
	assert_int_equal(n, nrows);
	for (i = 0; i < n; i++) {
		assert_string_equal(f[i].name, rows[i].name);
		assert_int_equal(f[i].qword, rows[i].q);
		assert_int_equal(f[i].hi, rows[i].hi);
		assert_int_equal(f[i].lo, rows[i].lo);
		assert_int_equal(f[i].flags, rows[i].flags);
		assert_true(rows[i].hi >= rows[i].lo && rows[i].hi < 64);
		assert_true(rows[i].q < shl_kind_qwords(kind));
		/* the packed position takes apart into the same triple */
		assert_int_equal(SMMU_HIL_FPOS_Q(rows[i].pos), rows[i].q);
		assert_int_equal(SMMU_HIL_FPOS_HI(rows[i].pos), rows[i].hi);
		assert_int_equal(SMMU_HIL_FPOS_LO(rows[i].pos), rows[i].lo);
		/* qword/bit order, no overlap */
		m = SHL_GENMASK(rows[i].hi, rows[i].lo);
		assert_int_equal(seen[rows[i].q] & m, 0);
		if (i)
			assert_true(rows[i].q > rows[i - 1].q ||
				    (rows[i].q == rows[i - 1].q && rows[i].lo > rows[i - 1].hi));
		seen[rows[i].q] |= m;
		assert_ptr_equal(shl_field_find(kind, rows[i].name), &f[i]);
	}
	/* every bit exactly once */
	for (q = 0; q < shl_kind_qwords(kind); q++)
		assert_int_equal(seen[q], ~0ULL);
}

static void test_tables_match(void **state)
{
	(void)state;
	check_kind(SHL_KIND_STE, ste_rows, sizeof(ste_rows) / sizeof(ste_rows[0]));
	check_kind(SHL_KIND_CD, cd_rows, sizeof(cd_rows) / sizeof(cd_rows[0]));
	check_kind(SHL_KIND_L1STD, l1std_rows, sizeof(l1std_rows) / sizeof(l1std_rows[0]));
	check_kind(SHL_KIND_L1CD, l1cd_rows, sizeof(l1cd_rows) / sizeof(l1cd_rows[0]));
}

/* A few positions straight from the spec, and the oracle's names for them. */
static void test_spec_positions(void **state)
{
	(void)state;
	assert_int_equal(SHL_QW(SHL_STE_S1CONTEXTPTR), 0);
	assert_int_equal(SHL_MASK(SHL_STE_S1CONTEXTPTR), 0x00ffffffffffffc0ULL);
	assert_int_equal(SHL_MASK(SHL_STE_CONFIG), 0xe);
	assert_int_equal(SHL_MASK(SHL_STE_S1CDMAX), 0xf800000000000000ULL);
	assert_int_equal(SHL_QW(SHL_STE_S2TTB), 3);
	assert_int_equal(SHL_MASK(SHL_STE_S2TTB), 0x00fffffffffffff0ULL);
	assert_int_equal(SHL_QW(SHL_STE_S2VMID), 2);
	assert_int_equal(SHL_MASK(SHL_STE_S2VMID), 0xffff);
	assert_int_equal(SHL_MASK(SHL_CD_V), 1ULL << 31);
	assert_int_equal(SHL_MASK(SHL_CD_ASID), 0xffff000000000000ULL);
	assert_int_equal(SHL_QW(SHL_CD_TTB0), 1);
	assert_int_equal(SHL_QW(SHL_CD_TTB1), 2);
	assert_int_equal(SHL_MASK(SHL_L1STD_L2PTR), 0x00ffffffffffffc0ULL);
	assert_int_equal(SHL_MASK(SHL_L1CD_L2PTR), 0x00fffffffffff000ULL);
	/* the views lie inside the fields they narrow or group */
	assert_int_equal(SHL_MASK(SHL_STE_S1CONTEXTPTR_LINUX) & ~SHL_MASK(SHL_STE_S1CONTEXTPTR), 0);
	assert_int_equal(SHL_MASK(SHL_STE_S2TTB_LINUX) & ~SHL_MASK(SHL_STE_S2TTB), 0);
	assert_int_equal(SHL_MASK(SHL_CD_TTB0_LINUX) & ~SHL_MASK(SHL_CD_TTB0), 0);
	assert_int_equal(SHL_MASK(SHL_CD_ASID_HI) & ~SHL_MASK(SHL_CD_ASID), 0);
	assert_int_equal(SHL_MASK(SHL_STE_S2HWU),
			 SHL_MASK(SHL_STE_S2HWU59) | SHL_MASK(SHL_STE_S2HWU60) |
			 SHL_MASK(SHL_STE_S2HWU61) | SHL_MASK(SHL_STE_S2HWU62));
	/* the accessors */
	{
		struct shl_entry e = { { 0 } };

		SHL_SET(&e, SHL_STE_CONFIG, 5);
		SHL_SET(&e, SHL_STE_V, 1);
		assert_int_equal(e.q[0], 0xb);
		assert_int_equal(SHL_GET(&e, SHL_STE_CONFIG), 5);
		SHL_SET(&e, SHL_CD_ASID, 0x1ffff);	/* truncated to the field */
		assert_int_equal(SHL_GET(&e, SHL_CD_ASID), 0xffff);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tables_match),
		cmocka_unit_test(test_spec_positions),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
