// SPDX-License-Identifier: GPL-2.0-only
/*
 * Scenario parser (harness/agent/scenario.c): good files parse into the
 * values they state, and every kind of bad file is rejected with the exact
 * "FILE:LINE: KEY: problem" the runner prints.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "smmu_hil/event.h"
#include "smmu_hil/scenario.h"

static struct shl_scenario s;
static char err[600];

static int parse(const char *text)
{
	return shl_scenario_parse("t.yaml", text, strlen(text), &s, err, sizeof(err));
}

/* @text must be rejected with an error starting with @prefix. */
static void bad(const char *text, const char *prefix)
{
	assert_int_equal(parse(text), -1);
	if (strncmp(err, prefix, strlen(prefix)))
		fail_msg("got \"%s\", want \"%s...\"", err, prefix);
}

static void test_good_raw(void **state)
{
	(void)state;
	assert_int_equal(parse("name: raw-x\n"
			       "description: a test\n"
			       "device: 0000:00:03.0\n"
			       "requires: [S1P, ATS]\n"
			       "mode: raw\n"
			       "entry: ste\n"
			       "transitions:\n"
			       "  - {V: 1, Config: 5, S1DSS: 1}\n"
			       "  - {S1ContextPtr: shadow_cd}\n"
			       "  - abort\n"
			       "repeat: 1500\n"
			       "dwell_us: 1000\n"
			       "workloads: [edu-dma, fio]\n"
			       "dma_len: 4095\n"
			       "expect:\n"
			       "  expected_kinds: [C_BAD_STE]\n"
			       "  events: {F_TRANSLATION: \"<=3\"}\n"
			       "  dma_errors: allowed\n"
			       "  explain: the cost of a breaking update\n"), 0);
	assert_string_equal(s.name, "raw-x");
	assert_int_equal(s.dev_kind, SHL_SCN_DEV_BDF);
	assert_string_equal(s.device, "0000:00:03.0");
	assert_int_equal(s.nreq, 2);
	assert_string_equal(s.requires[1], "ATS");
	assert_int_equal(s.mode, SHL_SCN_RAW);
	assert_int_equal(s.nsteps, 3);
	assert_int_equal(s.steps[0].kind, SHL_SCN_STEP_FIELDS);
	assert_int_equal(s.steps[0].line, 8);
	assert_int_equal(s.steps[0].nf, 3);
	assert_string_equal(s.steps[0].f[1].f->name, "Config");
	assert_int_equal(s.steps[0].f[1].value, 5);
	assert_int_equal(s.steps[1].f[0].sym, SHL_SCN_SHADOW_CD);
	assert_int_equal(s.steps[2].kind, SHL_SCN_STEP_NAMED);
	assert_int_equal(s.steps[2].named, SHL_SCN_ABORT);
	assert_int_equal(s.repeat, 1500);
	assert_int_equal(s.dwell_us, 1000);
	assert_int_equal(s.workloads, SHL_SCN_WL_EDU_DMA | SHL_SCN_WL_FIO);
	assert_int_equal(s.dma_len, 4095);
	assert_int_equal(s.expect.nk, 2);
	/* events is read before expected_kinds */
	assert_int_equal(s.expect.k[0].id, SHL_EVT_F_TRANSLATION);
	assert_int_equal(s.expect.k[0].cmp, SHL_SCN_LE);
	assert_int_equal(s.expect.k[0].n, 3);
	assert_int_equal(s.expect.k[1].id, SHL_EVT_C_BAD_STE);
	assert_int_equal(s.expect.k[1].cmp, SHL_SCN_GE);
	assert_int_equal(s.expect.k[1].n, 1);
	assert_true(s.expect.dma_errors);
	assert_string_equal(s.expect.explain, "the cost of a breaking update");
}

static void test_good_driver_defaults(void **state)
{
	(void)state;
	assert_int_equal(parse("name: d\nmode: driver\ntransitions: [identity, dma, paging]\n"
			       "record: true\nexpect: {events: none}\n"), 0);
	assert_int_equal(s.dev_kind, SHL_SCN_DEV_ROLE);
	assert_string_equal(s.device, "edu");
	assert_int_equal(s.mode, SHL_SCN_DRIVER);
	assert_int_equal(s.entry, SHL_KIND_STE);
	assert_int_equal(s.repeat, 1);
	assert_int_equal(s.dwell_us, 0);
	assert_int_equal(s.dma_len, 256);
	assert_int_equal(s.dma_every, 1);
	assert_true(s.record);
	assert_true(s.expect.none);
	assert_int_equal(s.steps[2].named, SHL_SCN_PAGING);
}

static void test_good_pair_and_ids(void **state)
{
	(void)state;
	assert_int_equal(parse("name: p\ndevice: 1234:11E8\nmode: raw\nentry: cd\n"
			       "transitions:\n  - {from: \"0x1,0x2\", to: \"0x1,0x3\"}\n"
			       "legality: false\nexpect:\n  events: {C_BAD_CD: 2}\n"), 0);
	assert_int_equal(s.dev_kind, SHL_SCN_DEV_ID);
	assert_string_equal(s.device, "1234:11e8");
	assert_int_equal(s.entry, SHL_KIND_CD);
	assert_int_equal(s.steps[0].kind, SHL_SCN_STEP_PAIR);
	assert_int_equal(s.steps[0].from.q[1], 2);
	assert_int_equal(s.steps[0].to.q[1], 3);
	assert_int_equal(s.expect.k[0].id, SHL_EVT_C_BAD_CD);
	assert_int_equal(s.expect.k[0].cmp, SHL_SCN_EQ);
	assert_int_equal(s.expect.k[0].n, 2);
}

static void test_devices(void **state)
{
	(void)state;
	assert_int_equal(parse("name: d\ndevice: virtio-blk\nmode: raw\ndevices: [edu, nic, disk]\n"
			       "transitions:\n  - {S1DSS: 1}\nexpect: {events: none}\n"), 0);
	assert_int_equal(s.dev_kind, SHL_SCN_DEV_ROLE);
	assert_string_equal(s.device, "virtio-blk");
	assert_int_equal(s.devices, 7);
	assert_int_equal(parse("name: d\ndevice: workload.nic\nmode: raw\n"
			       "transitions:\n  - {S1DSS: 1}\nexpect: {events: none}\n"), 0);
	assert_string_equal(s.device, "workload.nic");
	assert_int_equal(s.devices, 0);
#define REST "transitions: [abort]\nexpect: {events: none}\n"
	bad("name: x\nmode: raw\ndevices: [gpu]\n" REST, "t.yaml:3: devices: 'gpu' is not a device kind");
	bad("name: x\nmode: raw\ndevices: [nic, nic]\n" REST, "t.yaml:3: devices: 'nic' given twice");
#undef REST
}

static void test_shipped(void **state)
{
	static const char *const files[] = {
		"driver-storm", "raw-breaking-dwell", "raw-hitless", "recorder",
		"legality-conformance", "s2-transitions", "raw-nested-update-safe", "ats-eats",
	};
	char path[128];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "scenarios/transitions/%s.yaml", files[i]);
		if (shl_scenario_load(path, &s, err, sizeof(err)))
			fail_msg("%s", err);
		assert_string_equal(s.name, files[i]);
	}
	assert_int_equal(shl_scenario_load("scenarios/transitions/driver-storm.yaml", &s, err,
					   sizeof(err)), 0);
	assert_true(s.repeat * s.nsteps >= 1000);
	assert_int_equal(shl_scenario_load("scenarios/transitions/raw-breaking-dwell.yaml", &s,
					   err, sizeof(err)), 0);
	assert_true(s.dwell_us >= 1000);
	assert_true(s.expect.explain[0]);
	assert_int_equal(shl_scenario_load("no/such.yaml", &s, err, sizeof(err)), -1);
	assert_string_equal(err, "no/such.yaml: No such file or directory");
}

static void test_bad_yaml(void **state)
{
	(void)state;
	bad("name: x\nmode: [raw\n", "t.yaml:3: (yaml): ");
	bad("", "t.yaml:1: (file): empty");
	bad("- a\n- b\n", "t.yaml:1: (file): a scenario is a mapping");
}

static void test_bad_keys(void **state)
{
	(void)state;
	bad("name: x\nmode: raw\ncolour: red\n", "t.yaml:3: colour: unknown key in a scenario");
	bad("name: x\nname: y\n", "t.yaml:2: name: given twice");
	bad("mode: raw\n", "t.yaml:1: name: missing");
	bad("name: x\ntransitions: [abort]\n", "t.yaml:1: mode: missing");
	bad("name: x\nmode: raw\n", "t.yaml:1: transitions: missing");
	bad("name: x\nmode: raw\ntransitions: [abort]\n", "t.yaml:1: expect: missing");
	bad("name: a b\n", "t.yaml:1: name: only letters");
	bad("name: x\nmode: both\n", "t.yaml:2: mode: expected driver or raw");
	bad("name: x\nmode: raw\nentry: l1std\n", "t.yaml:3: entry: expected ste or cd");
}

static void test_bad_values(void **state)
{
	(void)state;
	bad("name: x\ndevice: gpu\n", "t.yaml:2: device: 'gpu' is not edu, a class");
	bad("name: x\nrequires:\n  - S1P\n  - S3P\n", "t.yaml:4: requires: 'S3P' is not");
	bad("name: x\nmode: raw\ntransitions: [abort]\nrepeat: 0\nexpect: {events: none}\n",
	    "t.yaml:4: repeat: expected a whole number 1..1000000");
	bad("name: x\nmode: raw\ntransitions: [abort]\ndwell_us: 100001\nexpect: {events: none}\n",
	    "t.yaml:4: dwell_us: expected a whole number 0..100000");
	bad("name: x\nmode: raw\ntransitions: [abort]\nworkloads: [fio, stress]\n",
	    "t.yaml:4: workloads: 'stress' is not a workload");
	bad("name: x\nmode: raw\ntransitions: [abort]\nrecord: maybe\n",
	    "t.yaml:4: record: expected true or false");
}

static void test_bad_transitions(void **state)
{
	(void)state;
	bad("name: x\nmode: raw\ntransitions:\n  - abort\n  - sideways\n",
	    "t.yaml:5: transitions: 'sideways' is not a named entry");
	bad("name: x\nmode: raw\ntransitions: [paging]\n",
	    "t.yaml:3: transitions: 'paging' is a domain: only in driver mode");
	bad("name: x\nmode: driver\ntransitions:\n  - {Config: 5}\n",
	    "t.yaml:4: transitions: driver mode takes domain names only");
	bad("name: x\nmode: raw\ntransitions:\n  - {Config: 5,\n     Colour: 1}\n",
	    "t.yaml:5: Colour: not a field of the ste");
	bad("name: x\nmode: raw\ntransitions:\n  - {Config: 9}\n",
	    "t.yaml:4: Config: '9' does not fit the field");
	bad("name: x\nmode: raw\ntransitions:\n  - {Config: shadow_cd}\n",
	    "t.yaml:4: Config: shadow_cd is an address");
	bad("name: x\nmode: raw\ntransitions:\n  - {from: \"0x1\"}\n",
	    "t.yaml:4: transitions: a pair needs both from and to");
	bad("name: x\nmode: raw\ntransitions:\n  - {from: \"0xg\", to: \"0x1\"}\n",
	    "t.yaml:4: from: ");
	bad("name: x\nmode: raw\ntransitions:\n  - {from: \"0x1\", to: \"0x1\"}\n  - abort\n",
	    "t.yaml:4: transitions: a from/to pair must be the only transition (line 4)");
	bad("name: x\nmode: raw\ntransitions: []\n", "t.yaml:3: transitions: an empty list");
	bad("name: x\nmode: raw\nentry: cd\ntransitions: [abort]\n",
	    "t.yaml:4: transitions: named entries are STEs");
	bad("name: x\nmode: raw\ntransitions: [abort]\nrecord: true\n",
	    "t.yaml:4: record: records the driver's updates: driver mode only");
	bad("name: x\nmode: driver\ntransitions: [dma]\nlegality: true\n",
	    "t.yaml:4: legality: writes a corpus of raw entries: raw mode only");
}

/* A legality corpus: per-item entry kind, base STE, requires and skip_on. */
static void test_legality_items(void **state)
{
	(void)state;
	assert_int_equal(parse("name: l\nmode: raw\nlegality: true\ntransitions:\n"
			       "  - abort\n"
			       "  - {base: s2, requires: [S2P], S2T0SZ: 40, S2SL0: 0}\n"
			       "  - {entry: cd, AA64: 0}\n"
			       "  - {entry: cd}\n"
			       "  - {base: nested, requires: [S1P, S2P, NESTED]}\n"
			       "  - base: s2\n"
			       "    S2AA64: 0\n"
			       "    skip_on: {qemu: aborts in decode_ste_s2_cfg}\n"
			       "expect: {expected_kinds: [C_BAD_STE]}\n"), 0);
	assert_int_equal(s.nsteps, 6);
	assert_false(s.steps[0].opts);
	assert_int_equal(s.steps[0].entry, SHL_KIND_STE);
	assert_true(s.steps[1].has_base);
	assert_int_equal(s.steps[1].base, SHL_SCN_S2);
	assert_int_equal(s.steps[1].nreq, 1);
	assert_string_equal(s.steps[1].requires[0], "S2P");
	assert_int_equal(s.steps[1].nf, 2);
	assert_string_equal(s.steps[1].f[0].f->name, "S2T0SZ");
	assert_int_equal(s.steps[1].f[0].value, 40);
	assert_int_equal(s.steps[2].entry, SHL_KIND_CD);
	assert_string_equal(s.steps[2].f[0].f->name, "AA64");
	assert_int_equal(s.steps[3].nf, 0);
	assert_int_equal(s.steps[3].entry, SHL_KIND_CD);
	assert_int_equal(s.steps[4].nreq, 3);
	assert_int_equal(s.steps[4].nf, 0);
	assert_string_equal(s.steps[5].skip_qemu, "aborts in decode_ste_s2_cfg");
	assert_int_equal(s.steps[5].line, 10);
	/* a corpus of CDs */
	assert_int_equal(parse("name: l\nmode: raw\nentry: cd\nlegality: true\n"
			       "transitions:\n  - {T0SZ: 15}\nexpect: {events: none}\n"), 0);
	assert_int_equal(s.steps[0].entry, SHL_KIND_CD);
#define L "name: x\nmode: raw\nlegality: true\ntransitions:\n"
	bad(L "  - {base: paging}\n", "t.yaml:5: base: expected a named STE");
	bad(L "  - {entry: cd, base: s2}\n", "t.yaml:5: base: names an STE: not with a CD item");
	bad(L "  - {entry: l1std}\n", "t.yaml:5: entry: expected ste or cd");
	bad(L "  - {entry: cd, S2T0SZ: 1}\n", "t.yaml:5: S2T0SZ: not a field of the cd");
	bad(L "  - {base: s2, requires: [S3P]}\n", "t.yaml:5: requires: 'S3P' is not");
	bad(L "  - {base: s2, requires: [S1P, S2P, NESTED, ATS, PRI]}\n",
	    "t.yaml:5: requires: more than 4 features");
	bad(L "  - {base: s2, skip_on: {bochs: x}}\n", "t.yaml:5: bochs: unknown key in skip_on");
	bad(L "  - {base: s2, skip_on: qemu}\n", "t.yaml:5: skip_on: expected {qemu: REASON}");
	bad(L "  - {base: s2, skip_on: {qemu: \"\"}}\n", "t.yaml:5: qemu: an empty reason");
#undef L
	bad("name: x\nmode: raw\ntransitions:\n  - abort\n  - {base: s2, S2T0SZ: 40}\n"
	    "expect: {events: none}\n",
	    "t.yaml:5: transitions: base, entry, requires and skip_on are keys of a legality corpus item");
	bad("name: x\nmode: raw\ntransitions:\n  - {S2T0SZ: 40, requires: [S2P]}\nlegality: false\n"
	    "expect: {events: none}\n", "t.yaml:4: transitions: base, entry, requires");
}

static void test_bad_expect(void **state)
{
	(void)state;
	bad("name: x\nmode: raw\ntransitions: [abort]\nexpect:\n  events: some\n",
	    "t.yaml:5: events: expected none or {KIND: COUNT, ...}");
	bad("name: x\nmode: raw\ntransitions: [abort]\nexpect:\n  events: {C_BAD_STX: 1}\n",
	    "t.yaml:5: C_BAD_STX: not an event name");
	bad("name: x\nmode: raw\ntransitions: [abort]\nexpect:\n  events: {C_BAD_STE: lots}\n",
	    "t.yaml:5: C_BAD_STE: expected a count");
	bad("name: x\nmode: raw\ntransitions: [abort]\nexpect:\n  events: none\n"
	    "  expected_kinds: [C_BAD_STE]\n",
	    "t.yaml:6: expected_kinds: contradicts events: none");
	bad("name: x\nmode: raw\ntransitions: [abort]\nexpect:\n  explain: hi\n",
	    "t.yaml:5: expect: needs events");
	bad("name: x\nmode: raw\ntransitions: [abort]\nexpect:\n  events: none\n  why: x\n",
	    "t.yaml:6: why: unknown key in expect");
	bad("name: x\nmode: raw\ntransitions: [abort]\nexpect:\n  expected_kinds:\n"
	    "    - C_BAD_STE\n    - C_BAD_STE\n",
	    "t.yaml:7: C_BAD_STE: given twice");
}

/*
 * Issue 14 #6: 1 MB of '[' (under the 1 MiB file limit) took libyaml's
 * scanner > 300 s; nesting past 16 levels is refused at once, flow or
 * block, and 16 levels still parse as far as the schema.
 */
static void test_deep_nesting(void **state)
{
	size_t n = (1u << 20) - 1, i;
	char *deep = malloc(n + 1);
	struct timespec t0, t1;
	char ok[200];

	(void)state;
	assert_non_null(deep);
	memset(deep, '[', n);
	deep[n] = '\0';
	clock_gettime(CLOCK_MONOTONIC, &t0);
	bad(deep, "t.yaml:1: nested deeper than 16 levels");
	for (i = 0; i + 1 < n; i += 2) {
		deep[i] = '-';
		deep[i + 1] = ' ';
	}
	bad(deep, "t.yaml:1: nested deeper than 16 levels");
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_true(t1.tv_sec - t0.tv_sec < 5);
	free(deep);
	bad("a: {b: {c: {d: {e: {f: {g: {h: {i: {j: {k: {l: {m: {n: {o: {p: {q: 1}}}}}}}}}}}}}}}}}\n",
	    "t.yaml:1: nested deeper than 16 levels");
	memset(ok, 0, sizeof(ok));
	for (i = 0; i < 16; i++)
		ok[i] = '[';
	for (i = 16; i < 32; i++)
		ok[i] = ']';
	bad(ok, "t.yaml:");	/* parses: then the schema refuses it */
	assert_null(strstr(err, "nested deeper"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_raw),
		cmocka_unit_test(test_good_driver_defaults),
		cmocka_unit_test(test_good_pair_and_ids),
		cmocka_unit_test(test_devices),
		cmocka_unit_test(test_shipped),
		cmocka_unit_test(test_bad_yaml),
		cmocka_unit_test(test_bad_keys),
		cmocka_unit_test(test_bad_values),
		cmocka_unit_test(test_bad_transitions),
		cmocka_unit_test(test_legality_items),
		cmocka_unit_test(test_bad_expect),
		cmocka_unit_test(test_deep_nesting),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
