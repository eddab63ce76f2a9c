// SPDX-License-Identifier: GPL-2.0-only
/*
 * The per-kind ops tables (entry_ops.h) against the rules they front: the
 * same used bits, update-safe bits and verdicts as rules_ste.c/rules_cd.c
 * for pseudo-random entries under both built-in profiles, the names, the
 * rule ranges, the pointer fields and no ops for the level-1 descriptors.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "smmu_hil/check.h"
#include "smmu_hil/entry_ops.h"
#include "smmu_hil/profile.h"
#include "smmu_hil/rules.h"

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* A random entry with V set half the time, Config/S1DSS biased to real values. */
static void random_entry(enum shl_entry_kind kind, uint64_t *seed, struct shl_entry *e)
{
	unsigned int i;

	for (i = 0; i < SHL_ENTRY_QWORDS; i++)
		e->q[i] = rnd(seed) & (rnd(seed) | rnd(seed));
	if (kind == SHL_KIND_STE) {
		SHL_SET(e, SHL_STE_V, rnd(seed) & 1);
		SHL_SET(e, SHL_STE_CONFIG, 4 + rnd(seed) % 4);
	} else {
		SHL_SET(e, SHL_CD_V, rnd(seed) & 1);
	}
}

static void test_same_as_rules(void **state)
{
	struct shl_profile p[2];
	struct shl_entry a, b, u1, u2;
	struct shl_cd_ctx ctx = { 0 };
	uint64_t seed = 0x9e3779b97f4a7c15ULL;
	const struct shl_entry_ops *ste = shl_entry_ops(SHL_KIND_STE);
	const struct shl_entry_ops *cd = shl_entry_ops(SHL_KIND_CD);
	int i, k;

	(void)state;
	assert_int_equal(shl_profile_builtin("full", &p[0]), 0);
	assert_int_equal(shl_profile_builtin("qemu-7.2", &p[1]), 0);
	for (i = 0; i < 20000; i++) {
		k = i & 1;
		random_entry(SHL_KIND_STE, &seed, &a);
		random_entry(SHL_KIND_STE, &seed, &b);
		assert_int_equal(ste->valid(&a), a.q[0] & 1);
		ste->used_linux(&a, &u1);
		shl_ste_used_linux(&a, &u2);
		assert_memory_equal(&u1, &u2, sizeof(u1));
		ste->used_spec(&p[k], &a, &u1);
		shl_ste_used_spec(&p[k], &a, &u2);
		assert_memory_equal(&u1, &u2, sizeof(u1));
		shl_entry_update_safe(ste, &a, &b, &u1);
		shl_ste_update_safe(&a, &b, &u2);
		assert_memory_equal(&u1, &u2, sizeof(u1));
		assert_int_equal(ste->bad(&p[k], NULL, &a), shl_ste_bad(&p[k], &a));
		shl_cd_ctx_from_ste(&p[k], &a, &ctx);

		random_entry(SHL_KIND_CD, &seed, &a);
		random_entry(SHL_KIND_CD, &seed, &b);
		assert_int_equal(cd->valid(&a), (a.q[0] >> 31) & 1);
		cd->used_linux(&a, &u1);
		shl_cd_used_linux(&a, &u2);
		assert_memory_equal(&u1, &u2, sizeof(u1));
		cd->used_spec(&p[k], &a, &u1);
		shl_cd_used_spec(&p[k], &a, &u2);
		assert_memory_equal(&u1, &u2, sizeof(u1));
		shl_entry_update_safe(cd, &a, &b, &u1);
		memset(&u2, 0, sizeof(u2));
		assert_memory_equal(&u1, &u2, sizeof(u1));	/* a CD has none */
		assert_int_equal(cd->bad(&p[k], &ctx, &a), shl_cd_bad(&p[k], &ctx, &a));
	}
}

static void test_tables(void **state)
{
	const struct shl_entry_ops *ste = shl_entry_ops(SHL_KIND_STE);
	const struct shl_entry_ops *cd = shl_entry_ops(SHL_KIND_CD);
	const struct shl_pointer_field *f;
	size_t n;

	(void)state;
	assert_null(shl_entry_ops(SHL_KIND_L1STD));
	assert_null(shl_entry_ops(SHL_KIND_L1CD));
	assert_null(shl_entry_ops(SHL_KIND_COUNT));
	assert_string_equal(ste->name, shl_kind_name(SHL_KIND_STE));
	assert_string_equal(cd->name, shl_kind_name(SHL_KIND_CD));
	assert_string_equal(ste->bad_event, "C_BAD_STE");
	assert_string_equal(cd->bad_event, "C_BAD_CD");
	assert_int_equal(ste->l1_kind, SHL_KIND_L1STD);
	assert_int_equal(cd->l1_kind, SHL_KIND_L1CD);
	assert_string_equal(shl_rule_name(ste->rule_v0), "ste-v0");
	assert_string_equal(shl_rule_name(ste->rule_last), "ste-res0");
	assert_string_equal(shl_rule_name(cd->rule_v0), "cd-v0");
	assert_string_equal(shl_rule_name(cd->rule_last), "cd-res0");
	assert_int_equal(cd->rule_v0, ste->rule_last + 1);
	assert_false(ste->has_ctx);
	assert_true(cd->has_ctx);
	assert_non_null(ste->update_safe);
	assert_null(cd->update_safe);

	f = shl_pointer_fields(SHL_KIND_STE, &n);
	assert_int_equal(n, 2);
	assert_string_equal(f[0].name, "S1ContextPtr");
	assert_int_equal(f[0].mask, SHL_MASK(SHL_STE_S1CONTEXTPTR));
	assert_string_equal(f[1].name, "S2TTB");
	assert_int_equal(f[1].qword, 3);
	f = shl_pointer_fields(SHL_KIND_CD, &n);
	assert_int_equal(n, 1);
	assert_string_equal(f[0].name, "TTB0");
	shl_pointer_fields(SHL_KIND_L1STD, &n);
	assert_int_equal(n, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_as_rules),
		cmocka_unit_test(test_tables),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
