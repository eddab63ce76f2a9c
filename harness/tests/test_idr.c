// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests: SMMUv3 ID register decoding (harness/lib/idr.c, spec 6.3). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "smmu_hil/idr.h"

/* The emulated DUT's SMMU (QEMU 7.2 virt, iommu=smmuv3) */
static const struct shl_idr_regs qemu = {
	.idr0 = 0x0d40101a, .idr1 = 0x02730010, .idr3 = 0x00001404,
	.idr5 = 0x00000074, .iidr = 0, .aidr = 0x00000001,
};

static void test_decode_qemu(void **state)
{
	struct shl_idr d;

	(void)state;
	shl_idr_decode(&qemu, &d);
	assert_true(d.s1p);
	assert_false(d.s2p);
	assert_int_equal(d.ttf, 2);
	assert_true(d.cohacc);
	assert_false(d.btm);
	assert_int_equal(d.httu, 0);
	assert_true(d.asid16);
	assert_false(d.ats);
	assert_false(d.pri);
	assert_false(d.msi);
	assert_int_equal(d.ttendian, 2);
	assert_int_equal(d.stall_model, 1);
	assert_true(d.term_model);
	assert_int_equal(d.st_level, 1);
	assert_int_equal(d.sidsize, 16);
	assert_int_equal(d.ssidsize, 0);
	assert_int_equal(d.eventqs, 19);
	assert_int_equal(d.cmdqs, 19);
	assert_int_equal(d.priqs, 0);
	assert_true(d.ril);
	assert_int_equal(d.bbm, 2);
	assert_false(d.fwb);
	assert_int_equal(d.oas_bits, 44);
	assert_true(d.gran4k);
	assert_true(d.gran16k);
	assert_true(d.gran64k);
	assert_int_equal(d.arch_major, 0);
	assert_int_equal(d.arch_minor, 1);
}

static void test_oas(void **state)
{
	static const unsigned int want[8] = { 32, 36, 40, 42, 44, 48, 52, 56 };
	unsigned int i;

	(void)state;
	for (i = 0; i < 8; i++)
		assert_int_equal(shl_idr_oas_bits(i), want[i]);
	assert_int_equal(shl_idr_oas_bits(8), 0);
}

static void test_decode_single_bits(void **state)
{
	struct shl_idr_regs r = { 0 };
	struct shl_idr d;

	(void)state;
	r.idr0 = (1u << 0) | (1u << 10) | (1u << 16) | (2u << 24) | (3u << 6);
	r.idr1 = 20u << 6;
	shl_idr_decode(&r, &d);
	assert_true(d.s2p);
	assert_false(d.s1p);
	assert_true(d.ats);
	assert_true(d.pri);
	assert_int_equal(d.stall_model, 2);
	assert_int_equal(d.httu, 3);
	assert_int_equal(d.ssidsize, 20);
	assert_int_equal(d.st_level, 0);

	/* IDR3: XNX (bit 4) is not STT (bit 9); FWB 8, RIL 10, BBM [12:11]. */
	memset(&r, 0, sizeof(r));
	r.idr3 = 1u << 4;
	shl_idr_decode(&r, &d);
	assert_false(d.stt);
	r.idr3 = (1u << 9) | (1u << 8) | (2u << 11);
	shl_idr_decode(&r, &d);
	assert_true(d.stt);
	assert_true(d.fwb);
	assert_false(d.ril);
	assert_int_equal(d.bbm, 2);
}

static int has_feature(json_object *root, const char *name)
{
	json_object *feat;
	size_t i;

	if (!json_object_object_get_ex(root, "features", &feat))
		return 0;
	for (i = 0; i < json_object_array_length(feat); i++)
		if (!strcmp(json_object_get_string(json_object_array_get_idx(feat, i)), name))
			return 1;
	return 0;
}

static void test_json_features(void **state)
{
	json_object *root = shl_idr_to_json(&qemu), *regs, *v;

	(void)state;
	assert_true(has_feature(root, "S1P"));
	assert_true(has_feature(root, "COHACC"));
	assert_true(has_feature(root, "2LVL_STRTAB"));
	assert_false(has_feature(root, "S2P"));
	assert_false(has_feature(root, "ATS"));
	assert_false(has_feature(root, "PRI"));
	assert_false(has_feature(root, "NESTED"));
	assert_true(json_object_object_get_ex(root, "regs", &regs));
	assert_true(json_object_object_get_ex(regs, "IDR0", &v));
	assert_string_equal(json_object_get_string(v), "0x0d40101a");
	json_object_put(root);
}

static void test_json_round_trip(void **state)
{
	struct shl_idr_regs in = { 0xffffffffu, 0x12345678u, 0x1404u, 0x74u, 0x43bu, 0x2u };
	struct shl_idr_regs out;
	json_object *root, *regs, *parsed;
	const char *text;

	(void)state;
	root = shl_idr_to_json(&in);
	/* through text, as the lab controller sees it */
	text = json_object_to_json_string(root);
	parsed = json_tokener_parse(text);
	assert_non_null(parsed);
	assert_true(json_object_object_get_ex(parsed, "regs", &regs));
	assert_int_equal(shl_idr_from_json(regs, &out), 0);
	assert_memory_equal(&in, &out, sizeof(in));
	json_object_put(parsed);
	json_object_put(root);
}

static void test_from_json_rejects(void **state)
{
	static const char *const bad[] = {
		"{\"IDR1\":\"0x0\",\"IDR3\":\"0x0\",\"IDR5\":\"0x0\"}",		/* no IDR0 */
		"{\"IDR0\":\"zz\",\"IDR1\":\"0x0\",\"IDR3\":\"0x0\",\"IDR5\":\"0x0\"}",
		"{\"IDR0\":\"0x100000000\",\"IDR1\":\"0x0\",\"IDR3\":\"0x0\",\"IDR5\":\"0x0\"}",
		"{\"IDR0\":12,\"IDR1\":\"0x0\",\"IDR3\":\"0x0\",\"IDR5\":\"0x0\"}",
		"{\"IDR0\":\"0x1g\",\"IDR1\":\"0x0\",\"IDR3\":\"0x0\",\"IDR5\":\"0x0\"}",
		"[1,2]",
	};
	struct shl_idr_regs out;
	json_object *o;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		o = json_tokener_parse(bad[i]);
		assert_non_null(o);
		assert_int_equal(shl_idr_from_json(o, &out), -1);
		json_object_put(o);
	}
	assert_int_equal(shl_idr_from_json(NULL, &out), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decode_qemu),
		cmocka_unit_test(test_oas),
		cmocka_unit_test(test_decode_single_bits),
		cmocka_unit_test(test_json_features),
		cmocka_unit_test(test_json_round_trip),
		cmocka_unit_test(test_from_json_rejects),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
