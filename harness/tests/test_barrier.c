// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests: the barrier witness (docs/bugs.md "missing-dma-wmb") — the
 * AArch64 DMB/DSB decoder shared with the injector
 * (modules/include/smmu_hil/a64_barrier.h) on synthetic instruction words,
 * the agent's decoding of the module's `barriers` record, and the verdict
 * per recorded writer call (ordered, late, missing) in the recorder report.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "smmu_hil/inject.h"
#include "smmu_hil/profile.h"
#include <smmu_hil/a64_barrier.h>
#include <uapi/smmu_hil.h>

/* Encodings from the Arm ARM (C6.2) as binutils 2.40 prints them. */
static const struct {
	uint32_t insn;
	int kind;
	const char *option;
	int orders;
} words[] = {
	{ 0xd50332bf, SMMU_HIL_A64_DMB, "oshst", 1 },	/* dma_wmb() */
	{ 0xd50333bf, SMMU_HIL_A64_DMB, "osh", 1 },
	{ 0xd50331bf, SMMU_HIL_A64_DMB, "oshld", 0 },	/* dma_rmb(): loads only */
	{ 0xd5033abf, SMMU_HIL_A64_DMB, "ishst", 0 },	/* smp_wmb(): inner shareable */
	{ 0xd5033bbf, SMMU_HIL_A64_DMB, "ish", 0 },	/* smp_mb() */
	{ 0xd50336bf, SMMU_HIL_A64_DMB, "nshst", 0 },
	{ 0xd5033fbf, SMMU_HIL_A64_DMB, "sy", 1 },
	{ 0xd5033ebf, SMMU_HIL_A64_DMB, "st", 1 },
	{ 0xd5033e9f, SMMU_HIL_A64_DSB, "st", 1 },	/* wmb() */
	{ 0xd5033f9f, SMMU_HIL_A64_DSB, "sy", 1 },	/* mb() */
	{ 0xd5033b9f, SMMU_HIL_A64_DSB, "ish", 0 },
	{ 0xd503329f, SMMU_HIL_A64_DSB, "oshst", 1 },
	{ 0xd503309f, SMMU_HIL_A64_NOT_BARRIER, NULL, 0 },	/* ssbb */
	{ 0xd503349f, SMMU_HIL_A64_NOT_BARRIER, NULL, 0 },	/* pssbb */
	{ 0xd5033fdf, SMMU_HIL_A64_NOT_BARRIER, NULL, 0 },	/* isb */
	{ 0xd503201f, SMMU_HIL_A64_NOT_BARRIER, NULL, 0 },	/* nop */
	{ 0xf9000020, SMMU_HIL_A64_NOT_BARRIER, NULL, 0 },	/* str x0, [x1] */
	{ 0xd50332be, SMMU_HIL_A64_NOT_BARRIER, NULL, 0 },	/* Rt != 31 */
};

static void test_decode_words(void **state)
{
	unsigned int crm;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		int kind = smmu_hil_a64_barrier(words[i].insn, &crm);

		assert_int_equal(kind, words[i].kind);
		assert_int_equal(smmu_hil_a64_orders_dma_stores(words[i].insn), words[i].orders);
		if (words[i].option)
			assert_string_equal(smmu_hil_a64_barrier_option(crm), words[i].option);
	}
}

/* The record the module gives for the stock lab kernel's writer. */
static void stock_record(struct smmu_hil_inj_barriers *r)
{
	memset(r, 0, sizeof(*r));
	r->hdr.version = SMMU_HIL_UAPI_VERSION;
	r->hdr.size = sizeof(*r);
	r->size = 0x1d8;
	strcpy(r->func, "arm_smmu_write_entry");
	r->count = 2;
	r->b[0] = (struct smmu_hil_inj_barrier){ 0x2c, 0xd50332bf,
		SMMU_HIL_INJ_BAR_ORDERS | SMMU_HIL_INJ_BAR_PROBED, 0 };
	r->b[1] = (struct smmu_hil_inj_barrier){ 0x40, 0xd5033bbf, 0, 0 };
}

static void test_decode_barriers(void **state)
{
	struct smmu_hil_inj_barriers r;
	struct shl_inject_barriers b;
	json_object *o;

	(void)state;
	stock_record(&r);
	assert_int_equal(shl_inject_decode_barriers(&r, &b), 0);
	assert_int_equal(b.count, 2);
	assert_string_equal(b.b[0].text, "dmb oshst");
	assert_true(b.b[0].orders && b.b[0].probed);
	assert_string_equal(b.b[1].text, "dmb ish");
	assert_false(b.b[1].orders);
	o = shl_inject_barriers_json(&b);
	assert_int_equal(json_object_get_int(json_object_object_get(o, "store_barriers")), 1);
	json_object_put(o);
	/* the mutant's writer: no barrier at all */
	r.count = 0;
	assert_int_equal(shl_inject_decode_barriers(&r, &b), 0);
	o = shl_inject_barriers_json(&b);
	assert_int_equal(json_object_get_int(json_object_object_get(o, "store_barriers")), 0);
	json_object_put(o);
	/* malformed: flags that disagree with the decoding, a non-barrier, ... */
	stock_record(&r);
	r.b[1].flags = SMMU_HIL_INJ_BAR_ORDERS;
	assert_int_equal(shl_inject_decode_barriers(&r, &b), -1);
	stock_record(&r);
	r.b[0].flags = SMMU_HIL_INJ_BAR_PROBED;
	assert_int_equal(shl_inject_decode_barriers(&r, &b), -1);
	stock_record(&r);
	r.b[0].insn = 0xd503201f;
	assert_int_equal(shl_inject_decode_barriers(&r, &b), -1);
	stock_record(&r);
	r.b[1].offset = 0x1d8;
	assert_int_equal(shl_inject_decode_barriers(&r, &b), -1);
	stock_record(&r);
	r.b[1].offset = 0x41;
	assert_int_equal(shl_inject_decode_barriers(&r, &b), -1);
	stock_record(&r);
	r.count = SMMU_HIL_INJ_MAX_BARRIERS + 1;
	assert_int_equal(shl_inject_decode_barriers(&r, &b), -1);
	stock_record(&r);
	r.error = -2;
	assert_int_equal(shl_inject_decode_barriers(&r, &b), -1);
	r.count = 0;
	assert_int_equal(shl_inject_decode_barriers(&r, &b), 0);
	assert_int_equal(b.error, -2);
	stock_record(&r);
	memset(r.func, 'x', sizeof(r.func));
	assert_int_equal(shl_inject_decode_barriers(&r, &b), -1);
	stock_record(&r);
	r.hdr.version = 2;
	assert_int_equal(shl_inject_decode_barriers(&r, &b), -1);
}

/*
 * Writer calls on an STE (bypass -> S1, pointing at a CD table) with the
 * barrier snapshot where stock puts it, after a sync, after a store, or
 * none; and a call that stores nothing (no verdict).
 */
enum { B_NONE, B_FIRST, B_AFTER_SYNC, B_AFTER_STORE };

static size_t call(struct smmu_hil_inj_snap *r, size_t n, int where)
{
	static const uint64_t init[2] = { 0x9, 0 }, tgt[2] = { 0x7264300b, 0xd6 };
	static const uint64_t mid[2] = { 0x9, 0xd6 };

	memset(&r[n], 0, 6 * sizeof(r[0]));
#define SNAP(k, a) do { r[n].seq = n; r[n].kind = (k); r[n].entry = SMMU_HIL_ENT_STE; \
		r[n].q[0] = (a)[0]; r[n].q[1] = (a)[1]; n++; } while (0)
	SNAP(SMMU_HIL_SNAP_BEGIN, init);
	SNAP(SMMU_HIL_SNAP_TARGET, tgt);
	if (where == B_FIRST)
		SNAP(SMMU_HIL_SNAP_BARRIER, init);
	if (where == B_AFTER_STORE)
		SNAP(SMMU_HIL_SNAP_BARRIER, mid);
	SNAP(SMMU_HIL_SNAP_SYNC, mid);
	if (where == B_AFTER_SYNC)
		SNAP(SMMU_HIL_SNAP_BARRIER, mid);
	SNAP(SMMU_HIL_SNAP_SYNC, tgt);
	SNAP(SMMU_HIL_SNAP_END, tgt);
#undef SNAP
	return n;
}

static void test_witness(void **state)
{
	struct smmu_hil_inj_snap r[40];
	struct shl_rec_group g[8];
	struct shl_rec_log log;
	struct shl_profile p;
	json_object *o, *bw;
	size_t n = 0;
	char err[200];
	int worst;

	(void)state;
	n = call(r, n, B_FIRST);
	n = call(r, n, B_AFTER_SYNC);
	n = call(r, n, B_AFTER_STORE);
	n = call(r, n, B_NONE);
	/* a call that changes nothing (a barrier executes, no store, no sync) */
	memset(&r[n], 0, 3 * sizeof(r[0]));
	r[n].kind = SMMU_HIL_SNAP_BEGIN;
	r[n + 1].kind = SMMU_HIL_SNAP_TARGET;
	r[n + 2].kind = SMMU_HIL_SNAP_END;
	n += 3;
	assert_int_equal(shl_rec_decode(r, n * sizeof(r[0]), &log, err, sizeof(err)), 0);
	assert_int_equal(shl_rec_group(log.s, log.n, SHL_KIND_STE, g, 8), 5);
	assert_int_equal(shl_rec_barrier_verdict(log.s, &g[0]), SHL_BAR_ORDERED);
	assert_int_equal(shl_rec_barrier_verdict(log.s, &g[1]), SHL_BAR_LATE);
	assert_int_equal(g[1].barrier_syncs, 1);
	assert_int_equal(shl_rec_barrier_verdict(log.s, &g[2]), SHL_BAR_LATE);
	assert_int_equal(shl_rec_barrier_verdict(log.s, &g[3]), SHL_BAR_MISSING);
	assert_int_equal(shl_rec_barrier_verdict(log.s, &g[4]), -1);
	/* bypass -> S1 installs a CD table pointer */
	assert_true(shl_rec_pointer_change(log.s, &g[0]));
	assert_false(shl_rec_pointer_change(log.s, &g[4]));
	/* the barrier snapshots do not change the steps */
	assert_int_equal(g[0].nsyncs, 2);
	assert_int_equal(g[1].nsyncs, 2);
	assert_int_equal(shl_profile_builtin("qemu-7.2", &p), 0);
	o = shl_inject_record_report(&p, &log, true, &worst, err, sizeof(err));
	assert_non_null(o);
	/* the witness is reported, not judged: the oracle's verdicts are unchanged */
	assert_int_equal(worst, 0);
	bw = json_object_object_get(o, "barrier_witness");
	assert_int_equal(json_object_get_int(json_object_object_get(bw, "calls")), 4);
	assert_int_equal(json_object_get_int(json_object_object_get(bw, "ordered")), 1);
	assert_int_equal(json_object_get_int(json_object_object_get(bw, "late")), 2);
	assert_int_equal(json_object_get_int(json_object_object_get(bw, "missing")), 1);
	assert_int_equal(json_object_get_int(json_object_object_get(bw, "pointer_calls")), 4);
	assert_int_equal(json_object_get_int(json_object_object_get(bw, "pointer_ordered")), 1);
	assert_int_equal(json_object_get_int(json_object_object_get(json_object_object_get(
		json_object_object_get(bw, "per_entry"), "CD"), "calls")), 0);
	json_object_put(o);
	shl_rec_log_free(&log);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decode_words),
		cmocka_unit_test(test_decode_barriers),
		cmocka_unit_test(test_witness),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
