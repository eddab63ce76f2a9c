// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests: SMMUv3 event record decoding (harness/lib/event.c, spec 7.3). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "smmu_hil/event.h"

#define Q0(sid, ssid, ssv, id) \
	(((uint64_t)(sid) << 32) | ((uint64_t)(ssid) << 12) | ((uint64_t)(ssv) << 11) | (id))

/* Every architected code and its spec name (IHI 0070 7.3). */
static const struct { unsigned int id; const char *name; } spec_names[] = {
	{ 0x01, "F_UUT" }, { 0x02, "C_BAD_STREAMID" }, { 0x03, "F_STE_FETCH" },
	{ 0x04, "C_BAD_STE" }, { 0x05, "F_BAD_ATS_TREQ" }, { 0x06, "F_STREAM_DISABLED" },
	{ 0x07, "F_TRANSL_FORBIDDEN" }, { 0x08, "C_BAD_SUBSTREAMID" }, { 0x09, "F_CD_FETCH" },
	{ 0x0a, "C_BAD_CD" }, { 0x0b, "F_WALK_EABT" }, { 0x10, "F_TRANSLATION" },
	{ 0x11, "F_ADDR_SIZE" }, { 0x12, "F_ACCESS" }, { 0x13, "F_PERMISSION" },
	{ 0x20, "F_TLB_CONFLICT" }, { 0x21, "F_CFG_CONFLICT" }, { 0x24, "E_PAGE_REQUEST" },
	{ 0x25, "F_VMS_FETCH" },
};

static void test_names_all_codes(void **state)
{
	struct shl_event e;
	uint64_t q[4] = { 0 };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(spec_names) / sizeof(spec_names[0]); i++) {
		assert_string_equal(shl_event_name(spec_names[i].id), spec_names[i].name);
		assert_int_equal(shl_event_id_from_name(spec_names[i].name), spec_names[i].id);
		q[0] = Q0(7, 0, 0, spec_names[i].id);
		shl_event_decode(q, &e);
		assert_string_equal(e.name, spec_names[i].name);
		assert_int_equal(e.id, spec_names[i].id);
		assert_int_equal(e.sid, 7);
	}
}

static void test_reserved_and_impdef(void **state)
{
	uint64_t q[4] = { Q0(0x18, 0, 0, 0x30), ~0ull, ~0ull, ~0ull };
	struct shl_event e;

	(void)state;
	assert_null(shl_event_name(0x00));
	assert_null(shl_event_name(0x0c));
	assert_null(shl_event_name(0x30));
	assert_null(shl_event_name(0xff));
	assert_string_equal(shl_event_name(0xe0), "IMPDEF_EVENT0");
	assert_string_equal(shl_event_name(0xef), "IMPDEF_EVENT15");
	assert_int_equal(shl_event_id_from_name("UNKNOWN"), -1);
	assert_int_equal(shl_event_id_from_name("f_translation"), -1);
	assert_int_equal(shl_event_id_from_name(NULL), -1);

	shl_event_decode(q, &e);
	assert_string_equal(e.name, "UNKNOWN");
	assert_int_equal(e.fields, 0);
	assert_int_equal(e.sid, 0x18);
	/* no type-specific field is taken from an unknown record */
	assert_int_equal(e.input_addr, 0);
	assert_false(e.rnw);
}

/* A record as QEMU 7.2 wrote it for an edu DMA read of IOVA 0x2000000. */
static void test_f_translation_from_dut(void **state)
{
	uint64_t q[4] = { 0x0000001800000010ull, 0x0000000800000000ull, 0x2000000ull, 0 };
	struct shl_event e;

	(void)state;
	shl_event_decode(q, &e);
	assert_int_equal(e.id, SHL_EVT_F_TRANSLATION);
	assert_string_equal(e.name, "F_TRANSLATION");
	assert_int_equal(e.sid, 0x18);
	assert_false(e.ssv);
	assert_int_equal(e.ssid, 0);
	assert_int_equal(e.input_addr, 0x2000000);
	assert_true(e.rnw);
	assert_false(e.pnu);
	assert_false(e.ind);
	assert_false(e.s2);
	assert_false(e.stall);
	assert_int_equal(e.class_, SHL_EVC_CD);
	assert_true(e.fields & SHL_EVF_ADDR);
	assert_false(e.fields & SHL_EVF_FETCH);
}

static void test_translation_fault_fields(void **state)
{
	/* F_PERMISSION, SSV, stall with STAG, PnU, InD, write, S2, CLASS=TT, TTRnW */
	uint64_t q1 = 0xbeefull | (1ull << 31) | (1ull << 33) | (1ull << 34) | (1ull << 39) |
		      (1ull << 40) | (1ull << 44);
	uint64_t q[4] = { Q0(0x1234, 0xabcde, 1, 0x13), q1, 0xff00123456789000ull,
			  0xffabcdef12345678ull };
	struct shl_event e;

	(void)state;
	shl_event_decode(q, &e);
	assert_string_equal(e.name, "F_PERMISSION");
	assert_int_equal(e.sid, 0x1234);
	assert_true(e.ssv);
	assert_int_equal(e.ssid, 0xabcde);
	assert_true(e.stall);
	assert_int_equal(e.stag, 0xbeef);
	assert_true(e.pnu);
	assert_true(e.ind);
	assert_false(e.rnw);
	assert_true(e.s2);
	assert_int_equal(e.class_, SHL_EVC_TT);
	assert_string_equal(shl_event_class_name(e.class_), "TT");
	assert_true(e.fields & SHL_EVF_TTRNW);
	assert_true(e.ttrnw);
	/* the whole 64-bit input address, top byte included */
	assert_int_equal(e.input_addr, 0xff00123456789000ull);
	/* IPA is q3[55:12] */
	assert_int_equal(e.ipa, 0x00abcdef12345000ull);
}

static void test_ssid_ignored_without_ssv(void **state)
{
	uint64_t q[4] = { Q0(1, 0xfffff, 0, 0x10), 0, 0, 0 };
	struct shl_event e;

	(void)state;
	shl_event_decode(q, &e);
	assert_false(e.ssv);
	assert_int_equal(e.ssid, 0);
}

static void test_class_in_no_ttrnw(void **state)
{
	/* F_PERMISSION with CLASS=IN: TTRnW is not a field of this record */
	uint64_t q[4] = { Q0(1, 0, 0, 0x13), (2ull << 40) | (1ull << 44), 0x1000, 0 };
	struct shl_event e;

	(void)state;
	shl_event_decode(q, &e);
	assert_int_equal(e.class_, SHL_EVC_IN);
	assert_false(e.fields & SHL_EVF_TTRNW);
	assert_false(e.ttrnw);
	assert_int_equal(e.ipa, 0);	/* S2 = 0: no IPA */
}

static void test_config_errors_have_no_address(void **state)
{
	static const unsigned int ids[] = { 0x02, 0x04, 0x06, 0x08, 0x0a, 0x21 };
	uint64_t q[4] = { 0, ~0ull, ~0ull, ~0ull };
	struct shl_event e;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		q[0] = Q0(0x18, 0, 0, ids[i]);
		shl_event_decode(q, &e);
		assert_int_equal(e.fields, 0);
		assert_int_equal(e.input_addr, 0);
		assert_int_equal(e.fetch_addr, 0);
	}
}

static void test_fetch_faults(void **state)
{
	static const unsigned int ids[] = { 0x03, 0x09, 0x25 };
	uint64_t q[4] = { 0, 0x1234ull, 0x5555, 0xffffffffffffffffull };
	struct shl_event e;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		q[0] = Q0(9, 0, 0, ids[i]);
		shl_event_decode(q, &e);
		assert_true(e.fields & SHL_EVF_FETCH);
		/* FetchAddr is q3[55:3] */
		assert_int_equal(e.fetch_addr, 0x00fffffffffffff8ull);
		assert_int_equal(e.reason, 0x1234);
		assert_false(e.fields & SHL_EVF_ADDR);
	}
}

static void test_walk_eabt(void **state)
{
	uint64_t q[4] = { Q0(3, 0, 0, 0x0b), (1ull << 35) | (1ull << 40) | 0x42, 0xdead000,
			  0x80001008ull };
	struct shl_event e;

	(void)state;
	shl_event_decode(q, &e);
	assert_string_equal(e.name, "F_WALK_EABT");
	assert_int_equal(e.input_addr, 0xdead000);
	assert_true(e.rnw);
	assert_int_equal(e.class_, SHL_EVC_TT);
	assert_int_equal(e.fetch_addr, 0x80001008ull);
	assert_int_equal(e.reason, 0x42);
	assert_false(e.fields & SHL_EVF_STALL);
}

static void test_bad_ats_treq(void **state)
{
	uint64_t q1 = 0x5ull | (1ull << 28) | (1ull << 31);
	uint64_t q[4] = { Q0(0x20, 0, 0, 0x05), q1, 0x123456789abcdfffull, 0 };
	struct shl_event e;

	(void)state;
	shl_event_decode(q, &e);
	assert_string_equal(e.name, "F_BAD_ATS_TREQ");
	assert_int_equal(e.input_addr, 0x123456789abcd000ull);	/* q2[63:12] */
	assert_int_equal(e.span, 5);
	assert_true(e.ats_p);
	assert_false(e.ats_x);
	assert_false(e.ats_w);
	assert_true(e.ats_r);
}

static const char *jstr(json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v))
		return NULL;
	return json_object_get_string(v);
}

static void test_json(void **state)
{
	uint64_t q[4] = { 0x0000001800000010ull, 0x0000000800000000ull, 0x2001000ull, 0 };
	uint64_t bad[4] = { 0x0000001800000004ull, 0, 0x77, 0 };
	json_object *o, *raw, *v;

	(void)state;
	o = shl_event_to_json(q, 41, 123456789);
	assert_string_equal(jstr(o, "name"), "F_TRANSLATION");
	assert_string_equal(jstr(o, "input_addr"), "0x2001000");
	assert_true(json_object_object_get_ex(o, "sid", &v));
	assert_int_equal(json_object_get_int(v), 24);
	assert_true(json_object_object_get_ex(o, "seq", &v));
	assert_int_equal(json_object_get_int64(v), 41);
	assert_true(json_object_object_get_ex(o, "ts_ns", &v));
	assert_int_equal(json_object_get_int64(v), 123456789);
	assert_true(json_object_object_get_ex(o, "rnw", &v));
	assert_true(json_object_get_boolean(v));
	assert_true(json_object_object_get_ex(o, "raw", &raw));
	assert_int_equal(json_object_array_length(raw), 4);
	assert_string_equal(json_object_get_string(json_object_array_get_idx(raw, 0)),
			    "0x0000001800000010");
	assert_string_equal(json_object_get_string(json_object_array_get_idx(raw, 2)),
			    "0x0000000002001000");
	assert_null(jstr(o, "fetch_addr"));
	json_object_put(o);

	o = shl_event_to_json(bad, 0, 0);
	assert_string_equal(jstr(o, "name"), "C_BAD_STE");
	assert_null(jstr(o, "input_addr"));
	assert_true(json_object_object_get_ex(o, "id", &v));
	assert_int_equal(json_object_get_int(v), 4);
	json_object_put(o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names_all_codes),
		cmocka_unit_test(test_reserved_and_impdef),
		cmocka_unit_test(test_f_translation_from_dut),
		cmocka_unit_test(test_translation_fault_fields),
		cmocka_unit_test(test_ssid_ignored_without_ssv),
		cmocka_unit_test(test_class_in_no_ttrnw),
		cmocka_unit_test(test_config_errors_have_no_address),
		cmocka_unit_test(test_fetch_faults),
		cmocka_unit_test(test_walk_eabt),
		cmocka_unit_test(test_bad_ats_treq),
		cmocka_unit_test(test_json),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
