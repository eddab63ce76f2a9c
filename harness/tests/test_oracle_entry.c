// SPDX-License-Identifier: GPL-2.0-only
/*
 * Oracle unit tests: the STE/CD/L1 field tables, Q parsing, FIELD=VALUE
 * encoding and decoding (entry.c), and profiles (profile.c).
 */
#include <stdlib.h>

#include "oracle_helpers.h"

/* Every bit of every structure belongs to exactly one named field. */
static void test_fields_cover_every_bit_once(void **state)
{
	int k;

	(void)state;
	for (k = 0; k < SHL_KIND_COUNT; k++) {
		size_t i, n;
		const struct shl_field *t = shl_fields((enum shl_entry_kind)k, &n);
		uint64_t seen[SHL_ENTRY_QWORDS] = { 0 };
		unsigned int q, nq = shl_kind_qwords((enum shl_entry_kind)k);

		for (i = 0; i < n; i++) {
			uint64_t m = SHL_GENMASK(t[i].hi, t[i].lo);

			assert_true(t[i].hi >= t[i].lo);
			assert_true(t[i].qword < nq);
			if (seen[t[i].qword] & m)
				fail_msg("%s: field %s overlaps", shl_kind_name(k), t[i].name);
			seen[t[i].qword] |= m;
			assert_ptr_equal(shl_field_find((enum shl_entry_kind)k, t[i].name), &t[i]);
		}
		for (q = 0; q < nq; q++)
			if (seen[q] != ~0ULL)
				fail_msg("%s q%u: bits 0x%llx unnamed", shl_kind_name(k), q,
					 (unsigned long long)~seen[q]);
	}
}

/* Spot checks against the Linux macros (facts §1, §2). */
static void test_field_positions(void **state)
{
	struct shl_entry e;

	(void)state;
	e = enc(SHL_KIND_STE, "Config=7 S1CDMax=20 S1DSS=2 EATS=1 S2S=1 S2TTB=0x80000010", NULL);
	assert_int_equal(e.q[0], (7ULL << 1) | (20ULL << 59));
	assert_int_equal(e.q[1], 2ULL | (1ULL << 28));
	assert_int_equal(e.q[2], 1ULL << 57);
	assert_int_equal(e.q[3], 0x80000010ULL);
	e = enc(SHL_KIND_CD, "V=1 ASID=0xabcd EPD0=1 TTB0=0x1234560", NULL);
	assert_int_equal(e.q[0], (1ULL << 31) | (0xabcdULL << 48) | (1ULL << 14));
	assert_int_equal(e.q[1], 0x1234560ULL);
	e = enc(SHL_KIND_L1STD, "Span=9 L2Ptr=0x12340", NULL);
	assert_int_equal(e.q[0], 9ULL | 0x12340ULL);
	e = enc(SHL_KIND_L1CD, "V=1 L2Ptr=0x5000", NULL);
	assert_int_equal(e.q[0], 1ULL | 0x5000ULL);
	assert_int_equal(SHL_GET(&e, SHL_L1CD_L2PTR), 5);
}

static void test_encode_errors(void **state)
{
	struct shl_entry e;
	char err[200];
	char *bad[][1] = { { "Nope=1" }, { "V=2" }, { "S1ContextPtr=0x41" }, { "V" },
			   { "Config=-1" }, { "Config=0x" }, { "=3" } };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = 0;
		assert_int_equal(shl_entry_encode(SHL_KIND_STE, 1, bad[i], &e, err, sizeof(err)), -1);
		assert_non_null(strstr(err, bad[i][0]));
	}
}

static void test_parse_q(void **state)
{
	struct shl_entry e;
	char err[200];

	(void)state;
	assert_int_equal(shl_entry_parse_q("0x1,2,0XFFFFFFFFFFFFFFFF", 8, &e, err, sizeof(err)), 0);
	assert_int_equal(e.q[0], 1);
	assert_int_equal(e.q[1], 2);
	assert_int_equal(e.q[2], ~0ULL);
	assert_int_equal(e.q[3], 0);
	assert_int_equal(shl_entry_parse_q("1,2,3,4,5,6,7,8,9", 8, &e, err, sizeof(err)), -1);
	assert_int_equal(shl_entry_parse_q("1,,3", 8, &e, err, sizeof(err)), -1);
	assert_int_equal(shl_entry_parse_q("0x10000000000000000", 8, &e, err, sizeof(err)), -1);
	assert_int_equal(shl_entry_parse_q("12g", 8, &e, err, sizeof(err)), -1);
	assert_int_equal(shl_entry_parse_q("", 8, &e, err, sizeof(err)), -1);
	assert_int_equal(shl_entry_parse_q("1,2", 1, &e, err, sizeof(err)), -1);
}

/* Decode an entry to FIELD=VALUE strings the way the CLI shows them. */
static int decode_args(enum shl_entry_kind kind, const struct shl_entry *e, char bufs[][64],
		       char **argv)
{
	size_t i, n;
	const struct shl_field *t = shl_fields(kind, &n);
	int argc = 0;

	for (i = 0; i < n; i++) {
		uint64_t v = shl_field_value(e, &t[i]);

		if (!v)
			continue;
		snprintf(bufs[argc], 64, "%s=0x%llx", t[i].name, (unsigned long long)v);
		argv[argc] = bufs[argc];
		argc++;
	}
	return argc;
}

/* encode(decode(e)) == e for random entries of every kind, and via JSON. */
static void test_encode_decode_identity(void **state)
{
	static char bufs[600][64];
	char *argv[600];
	unsigned int seed = 12345, i, q;
	int k;

	(void)state;
	for (k = 0; k < SHL_KIND_COUNT; k++)
		for (i = 0; i < 200; i++) {
			struct shl_entry e = { { 0 } }, back;
			json_object *o, *fields;
			char err[200];
			int argc;

			for (q = 0; q < shl_kind_qwords((enum shl_entry_kind)k); q++)
				e.q[q] = ((uint64_t)rand_r(&seed) << 33) ^ ((uint64_t)rand_r(&seed) << 11) ^
					 (uint64_t)rand_r(&seed);
			argc = decode_args((enum shl_entry_kind)k, &e, bufs, argv);
			assert_int_equal(shl_entry_encode((enum shl_entry_kind)k, argc, argv, &back,
							  err, sizeof(err)), 0);
			assert_memory_equal(&e, &back, sizeof(e));

			/* JSON: every listed field value encodes back to the entry. */
			o = shl_entry_to_json((enum shl_entry_kind)k, &e);
			assert_true(json_object_object_get_ex(o, "fields", &fields));
			argc = 0;
			json_object_object_foreach(fields, key, val) {
				snprintf(bufs[argc], 64, "%s=%llu", key,
					 (unsigned long long)json_object_get_int64(val));
				argv[argc] = bufs[argc];
				argc++;
			}
			assert_int_equal(shl_entry_encode((enum shl_entry_kind)k, argc, argv, &back,
							  err, sizeof(err)), 0);
			assert_memory_equal(&e, &back, sizeof(e));
			json_object_put(o);
		}
}

static void test_format_q_roundtrip(void **state)
{
	struct shl_entry e = enc(SHL_KIND_STE, STE_NESTED, NULL), back;
	char q[200], err[100];

	(void)state;
	shl_entry_format_q(&e, 8, q, sizeof(q));
	assert_int_equal(shl_entry_parse_q(q, 8, &back, err, sizeof(err)), 0);
	assert_memory_equal(&e, &back, sizeof(e));
	assert_null(strstr(q, ",0x0,0x0,0x0,0x0"));	/* trailing zero qwords dropped */
}

static void test_profiles(void **state)
{
	struct shl_profile p;
	char err[300];
	json_object *root;

	(void)state;
	assert_int_equal(shl_profile_builtin("full", &p), 0);
	assert_true(p.idr.s1p && p.idr.s2p && p.idr.ats && p.idr.vmid16 && p.idr.cd2l);
	assert_int_equal(p.idr.stall_model, 0);
	assert_int_equal(p.idr.ssidsize, 20);
	assert_int_equal(p.oas_bits, 48);
	assert_int_equal(p.ias_bits, 48);
	assert_int_equal(p.idr.httu, 0);
	assert_true(p.idr.gran4k && p.idr.gran16k && p.idr.gran64k);
	assert_int_equal(p.arch_minor, 1);

	assert_int_equal(shl_profile_builtin("qemu-7.2", &p), 0);
	assert_int_equal(p.regs.idr0, 0x0d40101a);
	assert_true(p.idr.s1p && !p.idr.s2p && !p.idr.ats && p.idr.asid16 && p.idr.term_model);
	assert_int_equal(p.idr.stall_model, 1);
	assert_int_equal(p.idr.ssidsize, 0);
	assert_int_equal(p.oas_bits, 44);
	assert_int_equal(p.idr.ttendian, 2);
	assert_int_equal(shl_profile_builtin("nope", &p), -1);

	/* `dut info -j` shape, and the two shorter shapes */
	root = json_tokener_parse("{\"smmu\": [{\"name\": \"smmu0\", \"idr\": {\"regs\": "
				  "{\"IDR0\": \"0x0d40101a\", \"IDR1\": \"0x02730010\", "
				  "\"IDR3\": \"0x404\", \"IDR5\": \"0x74\"}}}], \"pci\": []}");
	assert_int_equal(shl_profile_from_json(root, "f", &p, err, sizeof(err)), 0);
	assert_string_equal(p.name, "smmu0");
	assert_int_equal(p.oas_bits, 44);
	json_object_put(root);
	root = json_tokener_parse("{\"regs\": {\"IDR0\": \"0x3\", \"IDR1\": \"0\", \"IDR3\": \"0\", "
				  "\"IDR5\": \"0x5\"}}");
	assert_int_equal(shl_profile_from_json(root, "plain", &p, err, sizeof(err)), 0);
	assert_string_equal(p.name, "plain");
	json_object_put(root);
	root = json_tokener_parse("{\"idr\": {\"regs\": {\"IDR0\": \"zz\"}}}");
	assert_int_equal(shl_profile_from_json(root, "bad", &p, err, sizeof(err)), -1);
	json_object_put(root);
	root = json_tokener_parse("{\"smmu\": []}");
	assert_int_equal(shl_profile_from_json(root, "bad", &p, err, sizeof(err)), -1);
	json_object_put(root);
	assert_int_equal(shl_profile_load("/nonexistent/profile.json", &p, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "/nonexistent/profile.json"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fields_cover_every_bit_once),
		cmocka_unit_test(test_field_positions),
		cmocka_unit_test(test_encode_errors),
		cmocka_unit_test(test_parse_q),
		cmocka_unit_test(test_encode_decode_identity),
		cmocka_unit_test(test_format_q_roundtrip),
		cmocka_unit_test(test_profiles),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
