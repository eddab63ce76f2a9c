// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests: the agent's side of smmu_hil_inject (dut_inject.c) — decoding
 * the ste/cd/result records, encoding raw sequences, decoding recorder
 * snapshots, grouping into driver updates, their oracle sequences and
 * shapes, and the raw/record round trips on a fake debugfs
 * ($SMMU_HIL_DEBUGFS), all in the records of modules/include/uapi/smmu_hil.h.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "smmu_hil/check.h"
#include "smmu_hil/inject.h"
#include "smmu_hil/profile.h"
#include "smmu_hil/rules.h"
#include <uapi/smmu_hil.h>

/* The STE record the module gave on the DUT (edu at 00:03.0, SID 0x18). */
static void ste_record(struct smmu_hil_inj_entry *e)
{
	memset(e, 0, sizeof(*e));
	e->hdr.version = SMMU_HIL_UAPI_VERSION;
	e->hdr.size = sizeof(*e);
	e->hdr.flags = SMMU_HIL_INJ_PRESENT | SMMU_HIL_INJ_RAW | SMMU_HIL_INJ_RECORDER;
	e->entry = SMMU_HIL_ENT_STE;
	e->sid = 0x18;
	e->bdf.devfn = 3 << 3;
	e->pa = 0x78460600;
	e->q[0] = 0x7264300b;
	e->q[1] = 0xd6;
	e->shadow_cd = 0x7272a000;
	e->zero_table = 0x72729000;
	strcpy(e->smmu, "arm-smmu-v3.0.auto");
}

static void test_decode_entry_ste(void **state)
{
	struct smmu_hil_inj_entry in;
	struct shl_inject_entry e;

	(void)state;
	ste_record(&in);
	assert_int_equal(shl_inject_decode_entry(SHL_KIND_STE, &in, &e), 0);
	assert_true(e.present);
	assert_int_equal(e.sid, 0x18);
	assert_string_equal(e.bdf, "0000:00:03.0");
	assert_int_equal(e.pa, 0x78460600);
	assert_int_equal(e.e.q[0], 0x7264300b);
	assert_int_equal(e.e.q[1], 0xd6);
	assert_int_equal(e.shadow_cd, 0x7272a000);
	assert_int_equal(e.zero_table, 0x72729000);
	assert_string_equal(shl_inject_config_name(SHL_KIND_STE, &e.e), "s1");
	/* malformed: other version, other size, other kind, unterminated name */
	in.hdr.version = 2;
	assert_int_equal(shl_inject_decode_entry(SHL_KIND_STE, &in, &e), -1);
	ste_record(&in);
	in.hdr.size--;
	assert_int_equal(shl_inject_decode_entry(SHL_KIND_STE, &in, &e), -1);
	ste_record(&in);
	assert_int_equal(shl_inject_decode_entry(SHL_KIND_CD, &in, &e), -1);
	memset(in.smmu, 'x', sizeof(in.smmu));
	assert_int_equal(shl_inject_decode_entry(SHL_KIND_STE, &in, &e), -1);
}

static void test_decode_entry_cd(void **state)
{
	struct smmu_hil_inj_entry in;
	struct shl_inject_entry e;

	(void)state;
	ste_record(&in);
	in.entry = SMMU_HIL_ENT_CD;
	in.hdr.flags = 0;
	assert_int_equal(shl_inject_decode_entry(SHL_KIND_CD, &in, &e), 0);
	assert_false(e.present);
	assert_int_equal(e.e.q[0], 0);
	in.hdr.flags = SMMU_HIL_INJ_PRESENT;
	in.pa = 0x1000;
	in.q[0] = 0x4e204c0003510ULL;
	in.q[1] = 0x72644000;
	in.shadow_cd = 0;
	assert_int_equal(shl_inject_decode_entry(SHL_KIND_CD, &in, &e), 0);
	assert_true(e.present);
	assert_int_equal(e.pa, 0x1000);
	assert_int_equal(e.e.q[0], 0x4e204c0003510ULL);
	assert_int_equal(e.e.q[1], 0x72644000);
	assert_string_equal(shl_inject_config_name(SHL_KIND_CD, &e.e), "cd");
}

static void test_raw_encode(void **state)
{
	struct shl_op pro[] = {
		{ .kind = SHL_OP_WRITE, .qword = 1, .nq = 1, .v = { 0xd5 } },
		{ .kind = SHL_OP_SYNC },
	};
	struct shl_op body[] = {
		{ .kind = SHL_OP_DMA_WMB },
		{ .kind = SHL_OP_TABLE, .v = { 0x1000 } },
		{ .kind = SHL_OP_WRITE, .qword = 0, .nq = 1, .v = { 0 } },
		{ .kind = SHL_OP_SYNC },
	};
	static const struct { uint8_t op, idx; uint32_t us; uint64_t val; } want[] = {
		{ SMMU_HIL_OP_WRITE, 1, 0, 0xd5 }, { SMMU_HIL_OP_SYNC, 0, 0, 0 },
		{ SMMU_HIL_OP_DWELL, 0, 1500, 0 }, { SMMU_HIL_OP_DMA_WMB, 0, 0, 0 },
		{ SMMU_HIL_OP_WRITE, 0, 0, 0 }, { SMMU_HIL_OP_SYNC, 0, 0, 0 },
		{ SMMU_HIL_OP_DWELL, 0, 1500, 0 },
	};
	static struct shl_op many[SMMU_HIL_INJ_MAX_OPS + 1];
	struct smmu_hil_inj_seq *h;
	struct smmu_hil_inj_op *o;
	char err[200];
	size_t i;

	(void)state;
	h = shl_inject_raw_encode(SHL_KIND_STE, pro, 2, body, 4, 1000, 1500, err, sizeof(err));
	assert_non_null(h);
	assert_int_equal(h->hdr.version, SMMU_HIL_UAPI_VERSION);
	assert_int_equal(h->hdr.size, sizeof(*h));
	assert_int_equal(h->hdr.flags, 0);
	assert_int_equal(h->entry, SMMU_HIL_ENT_STE);
	assert_int_equal(h->nops, 7);
	assert_int_equal(h->body, 3);
	assert_int_equal(h->repeat, 1000);
	assert_int_equal(shl_inject_raw_len(h), sizeof(*h) + 7 * sizeof(*o));
	o = (struct smmu_hil_inj_op *)(h + 1);
	for (i = 0; i < 7; i++) {
		assert_int_equal(o[i].op, want[i].op);
		assert_int_equal(o[i].idx, want[i].idx);
		assert_int_equal(o[i].us, want[i].us);
		assert_int_equal(o[i].val, want[i].val);
		assert_int_equal(o[i].reserved, 0);
	}
	free(h);
	h = shl_inject_raw_encode(SHL_KIND_CD, NULL, 0, body + 2, 2, 0, 0, err, sizeof(err));
	assert_non_null(h);
	assert_int_equal(h->entry, SMMU_HIL_ENT_CD);
	assert_int_equal(h->nops, 2);
	assert_int_equal(h->body, 0);
	assert_int_equal(h->repeat, 1);
	free(h);
	body[2].nq = 2;
	h = shl_inject_raw_encode(SHL_KIND_STE, NULL, 0, body, 4, 1, 0, err, sizeof(err));
	assert_null(h);
	assert_non_null(strstr(err, "128-bit"));
	for (i = 0; i < sizeof(many) / sizeof(many[0]); i++)
		many[i].kind = SHL_OP_SYNC;
	h = shl_inject_raw_encode(SHL_KIND_STE, NULL, 0, many, SMMU_HIL_INJ_MAX_OPS, 1, 0, err,
				  sizeof(err));
	assert_non_null(h);
	free(h);
	h = shl_inject_raw_encode(SHL_KIND_STE, NULL, 0, many, SMMU_HIL_INJ_MAX_OPS + 1, 1, 0, err,
				  sizeof(err));
	assert_null(h);
}

static void result_record(struct smmu_hil_inj_result *r)
{
	memset(r, 0, sizeof(*r));
	r->hdr.version = SMMU_HIL_UAPI_VERSION;
	r->hdr.size = sizeof(*r);
	r->hdr.flags = SMMU_HIL_INJ_RES_DONE | SMMU_HIL_INJ_RES_RESTORED;
	r->iterations = 1000;
	r->repeat = 1000;
	r->writes = 2000;
	r->syncs = 2000;
	r->total_ns = 6624208;
	r->ns_per_step = 1656;
	r->ns_per_sync = 2314;
	r->max_sync_ns = 226464;
}

static void test_decode_result(void **state)
{
	struct smmu_hil_inj_result in;
	struct shl_inject_result r;

	(void)state;
	result_record(&in);
	assert_int_equal(shl_inject_decode_result(&in, &r), 0);
	assert_int_equal(r.error, 0);
	assert_int_equal(r.restored, 1);
	assert_int_equal(r.conflict, 0);
	assert_int_equal(r.iterations, 1000);
	assert_int_equal(r.syncs, 2000);
	assert_int_equal(r.total_ns, 6624208);
	assert_int_equal(r.max_sync_ns, 226464);
	in.hdr.flags = SMMU_HIL_INJ_RES_DONE | SMMU_HIL_INJ_RES_CONFLICT;
	in.error = -16;
	assert_int_equal(shl_inject_decode_result(&in, &r), 0);
	assert_int_equal(r.error, -16);
	assert_int_equal(r.conflict, 1);
	assert_int_equal(r.restored, 0);
	in.hdr.flags = 0;	/* no sequence ran yet */
	assert_int_equal(shl_inject_decode_result(&in, &r), -1);
	result_record(&in);
	in.hdr.size = 8;
	assert_int_equal(shl_inject_decode_result(&in, &r), -1);
}

/* What the recorder gave for `domain set dma` then back to S1 on the DUT. */
static const struct {
	uint32_t kind, entry;
	uint64_t q0, q1, q3;
} rec_rows[] = {
	{ SMMU_HIL_SNAP_START, SMMU_HIL_ENT_STE, 0x7264300b, 0xd6, 0 },
	{ SMMU_HIL_SNAP_START, SMMU_HIL_ENT_CD, 0x4e204c0003510, 0x72644000, 0xfffffffff404ff44 },
	{ SMMU_HIL_SNAP_BEGIN, SMMU_HIL_ENT_STE, 0x7264300b, 0xd6, 0 },
	{ SMMU_HIL_SNAP_SYNC, SMMU_HIL_ENT_STE, 0x1, 0x100000000000, 0 },
	{ SMMU_HIL_SNAP_BEGIN, SMMU_HIL_ENT_STE, 0x1, 0x100000000000, 0 },
	{ SMMU_HIL_SNAP_SYNC, SMMU_HIL_ENT_STE, 0x1, 0xd6, 0 },
	{ SMMU_HIL_SNAP_SYNC, SMMU_HIL_ENT_STE, 0x7264900b, 0xd6, 0 },
	{ SMMU_HIL_SNAP_BEGIN, SMMU_HIL_ENT_STE, 0x7264900b, 0xd6, 0 },
	{ SMMU_HIL_SNAP_STOP, SMMU_HIL_ENT_STE, 0x7264900b, 0xd6, 0 },
	{ SMMU_HIL_SNAP_SYNC, SMMU_HIL_ENT_STE, 0x1, 0x0, 0 },
	{ SMMU_HIL_SNAP_STOP, SMMU_HIL_ENT_CD, 0x4e204c0003510, 0x72644000, 0xfffffffff404ff44 },
};
#define NREC (sizeof(rec_rows) / sizeof(rec_rows[0]))

static void rec_records(struct smmu_hil_inj_snap *r)
{
	size_t i;

	memset(r, 0, NREC * sizeof(*r));
	for (i = 0; i < NREC; i++) {
		r[i].seq = i;
		r[i].ts_ns = 10 + i;
		r[i].kind = rec_rows[i].kind;
		r[i].entry = rec_rows[i].entry;
		r[i].q[0] = rec_rows[i].q0;
		r[i].q[1] = rec_rows[i].q1;
		r[i].q[3] = rec_rows[i].q3;
	}
}

/* The recorder's snapshots as the agent decodes them. */
static void rec_log(struct shl_rec_log *log)
{
	struct smmu_hil_inj_snap r[NREC];
	char err[200];

	rec_records(r);
	assert_int_equal(shl_rec_decode(r, sizeof(r), log, err, sizeof(err)), 0);
}

static void test_rec_decode(void **state)
{
	struct smmu_hil_inj_snap r[NREC];
	struct shl_rec_log log;
	char err[200];

	(void)state;
	rec_log(&log);
	assert_int_equal(log.n, 11);
	assert_int_equal(log.s[1].ent, SHL_KIND_CD);
	assert_int_equal(log.s[1].kind, SHL_REC_START);
	assert_int_equal(log.s[6].kind, SHL_REC_SYNC);
	assert_int_equal(log.s[6].e.q[0], 0x7264900b);
	assert_int_equal(log.s[6].ts_ns, 16);
	assert_int_equal(log.s[1].e.q[3], 0xfffffffff404ff44ULL);
	shl_rec_log_free(&log);
	assert_null(log.s);
	rec_records(r);
	/* a partial record */
	assert_int_equal(shl_rec_decode(r, sizeof(r) - 1, &log, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "whole"));
	/* an unknown kind, an unknown entry */
	r[1].kind = 9;
	assert_int_equal(shl_rec_decode(r, sizeof(r), &log, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "snapshot 2"));
	rec_records(r);
	r[3].entry = 7;
	assert_int_equal(shl_rec_decode(r, sizeof(r), &log, err, sizeof(err)), -1);
	assert_null(log.s);
	/* nothing recorded */
	assert_int_equal(shl_rec_decode(r, 0, &log, err, sizeof(err)), 0);
	assert_int_equal(log.n, 0);
	shl_rec_log_free(&log);
}

static void test_rec_group(void **state)
{
	struct shl_rec_group g[8];
	struct shl_op ops[64];
	struct shl_rec_log log;
	struct shl_rec_snap *s;
	char shape[256];
	size_t n, ng, nops;

	(void)state;
	rec_log(&log);
	s = log.s;
	n = log.n;
	ng = shl_rec_group(s, n, SHL_KIND_STE, g, 8);
	/* start had no sync; begin 7 has none before stop; sync 9 after stop has no start */
	assert_int_equal(ng, 2);
	assert_int_equal(g[0].init, 2);
	assert_int_equal(g[0].nsyncs, 1);
	assert_int_equal(g[0].syncs[0], 3);
	assert_int_equal(g[1].init, 4);
	assert_int_equal(g[1].nsyncs, 2);
	assert_int_equal(g[1].syncs[1], 6);
	assert_int_equal(shl_rec_group(s, n, SHL_KIND_CD, g, 8), 0);
	assert_int_equal(shl_rec_group(s, n, SHL_KIND_STE, g, 1), 1);

	ng = shl_rec_group(s, n, SHL_KIND_STE, g, 8);
	nops = shl_rec_group_ops(s, &g[1], ops, 64);
	/* q1 then sync, q0 then sync */
	assert_int_equal(nops, 4);
	assert_int_equal(ops[0].kind, SHL_OP_WRITE);
	assert_int_equal(ops[0].qword, 1);
	assert_int_equal(ops[0].v[0], 0xd6);
	assert_int_equal(ops[1].kind, SHL_OP_SYNC);
	assert_int_equal(ops[2].qword, 0);
	assert_int_equal(ops[2].v[0], 0x7264900b);
	assert_int_equal(ops[3].kind, SHL_OP_SYNC);
	/* a too small array is never overrun */
	assert_int_equal(shl_rec_group_ops(s, &g[1], ops, 3), 3);

	shl_rec_group_shape(s, &g[0], shape, sizeof(shape));
	assert_string_equal(shape, "s1 -> abort: q0,q1");
	shl_rec_group_shape(s, &g[1], shape, sizeof(shape));
	assert_string_equal(shape, "abort -> s1: q1 | q0");
	shl_rec_log_free(&log);
}

/* The recorded abort -> S1 update passes the oracle at sync granularity. */
static void test_rec_verdict(void **state)
{
	struct shl_check_opts co = { .sync_only = true, .quanta = 64 };
	struct shl_check_result r = { 0 };
	struct shl_rec_group g[8];
	struct shl_op ops[64];
	struct shl_rec_log log;
	struct shl_rec_snap *s;
	struct shl_profile p;
	struct shl_model m = { .kind = SHL_KIND_STE, .p = &p, .spec = true, .update_safe = true };
	char err[200];
	size_t n, nops, i;

	(void)state;
	assert_int_equal(shl_profile_builtin("qemu-7.2", &p), 0);
	rec_log(&log);
	s = log.s;
	n = log.n;
	assert_int_equal(shl_rec_group(s, n, SHL_KIND_STE, g, 8), 2);
	for (i = 0; i < 2; i++) {
		nops = shl_rec_group_ops(s, &g[i], ops, 64);
		assert_int_equal(shl_check(&m, &s[g[i].init].e, &s[g[i].syncs[g[i].nsyncs - 1]].e,
					   ops, nops, &co, &r, err, sizeof(err)), 0);
		assert_true(r.pass);
	}
	/* the same update with a V=0 sync in the middle is flagged invalid */
	s[5].e.q[0] = 0;
	nops = shl_rec_group_ops(s, &g[1], ops, 64);
	assert_int_equal(shl_check(&m, &s[4].e, &s[6].e, ops, nops, &co, &r, err, sizeof(err)), 0);
	assert_false(r.pass);
	assert_int_equal(r.kinds, 1u << SHL_VIOL_INVALID);
	shl_rec_log_free(&log);
}

/*
 * A writer kernel's recording (arm_smmu_write_entry, 7.x): S1 -> bypass
 * hitless (q0, then q1 cleaned up), CD 0 cleared (V first, then the rest),
 * a CD write that changes nothing, and an S1 -> bypass done in one sync
 * (not what the writer plans).
 */
#define CDQ0 0x4e204c0003510ULL
#define CDQ3 0xfffffffff404ff44ULL
static const struct {
	uint32_t kind, entry;
	uint64_t q0, q1, q3;
} wr_rows[] = {
	{ SMMU_HIL_SNAP_START, SMMU_HIL_ENT_STE, 0x7264300b, 0xd6, 0 },
	{ SMMU_HIL_SNAP_BEGIN, SMMU_HIL_ENT_STE, 0x7264300b, 0xd6, 0 },
	{ SMMU_HIL_SNAP_TARGET, SMMU_HIL_ENT_STE, 0x9, 0, 0 },
	{ SMMU_HIL_SNAP_SYNC, SMMU_HIL_ENT_STE, 0x9, 0xd6, 0 },
	{ SMMU_HIL_SNAP_SYNC, SMMU_HIL_ENT_STE, 0x9, 0, 0 },
	{ SMMU_HIL_SNAP_END, SMMU_HIL_ENT_STE, 0x9, 0, 0 },
	{ SMMU_HIL_SNAP_BEGIN, SMMU_HIL_ENT_CD, CDQ0, 0x72644000, CDQ3 },
	{ SMMU_HIL_SNAP_TARGET, SMMU_HIL_ENT_CD, 0, 0, 0 },
	{ SMMU_HIL_SNAP_SYNC, SMMU_HIL_ENT_CD, 0, 0x72644000, CDQ3 },
	{ SMMU_HIL_SNAP_SYNC, SMMU_HIL_ENT_CD, 0, 0, 0 },
	{ SMMU_HIL_SNAP_END, SMMU_HIL_ENT_CD, 0, 0, 0 },
	{ SMMU_HIL_SNAP_BEGIN, SMMU_HIL_ENT_CD, 0, 0, 0 },
	{ SMMU_HIL_SNAP_TARGET, SMMU_HIL_ENT_CD, 0, 0, 0 },
	{ SMMU_HIL_SNAP_END, SMMU_HIL_ENT_CD, 0, 0, 0 },
	{ SMMU_HIL_SNAP_BEGIN, SMMU_HIL_ENT_STE, 0x7264300b, 0xd6, 0 },
	{ SMMU_HIL_SNAP_TARGET, SMMU_HIL_ENT_STE, 0x9, 0, 0 },
	{ SMMU_HIL_SNAP_SYNC, SMMU_HIL_ENT_STE, 0x9, 0, 0 },
	{ SMMU_HIL_SNAP_END, SMMU_HIL_ENT_STE, 0x9, 0, 0 },
	/* a sync outside a writer call: no group */
	{ SMMU_HIL_SNAP_SYNC, SMMU_HIL_ENT_STE, 0x9, 0, 0 },
};
#define NWR (sizeof(wr_rows) / sizeof(wr_rows[0]))

static void wr_log(struct shl_rec_log *log)
{
	struct smmu_hil_inj_snap r[NWR];
	char err[200];
	size_t i;

	memset(r, 0, sizeof(r));
	for (i = 0; i < NWR; i++) {
		r[i].seq = i;
		r[i].kind = wr_rows[i].kind;
		r[i].entry = wr_rows[i].entry;
		r[i].q[0] = wr_rows[i].q0;
		r[i].q[1] = wr_rows[i].q1;
		r[i].q[3] = wr_rows[i].q3;
	}
	assert_int_equal(shl_rec_decode(r, sizeof(r), log, err, sizeof(err)), 0);
}

/* Writer calls group from begin to end, with their target; no-change calls stay. */
static void test_rec_writer_group(void **state)
{
	struct shl_rec_group g[8];
	struct shl_rec_log log;
	char shape[256];

	(void)state;
	wr_log(&log);
	assert_int_equal(log.s[2].kind, SHL_REC_TARGET);
	assert_int_equal(log.s[5].kind, SHL_REC_END);
	assert_int_equal(shl_rec_group(log.s, log.n, SHL_KIND_STE, g, 8), 2);
	assert_true(g[0].has_target);
	assert_int_equal(g[0].init, 1);
	assert_int_equal(g[0].target, 2);
	assert_int_equal(g[0].end, 5);
	assert_int_equal(g[0].nsyncs, 2);
	assert_int_equal(g[1].init, 14);
	assert_int_equal(g[1].nsyncs, 1);
	shl_rec_group_shape(log.s, &g[0], shape, sizeof(shape));
	assert_string_equal(shape, "s1 -> bypass: q0 | q1");
	assert_int_equal(shl_rec_group(log.s, log.n, SHL_KIND_CD, g, 8), 2);
	assert_int_equal(g[1].nsyncs, 0);
	assert_true(g[1].has_target);
	shl_rec_group_shape(log.s, &g[1], shape, sizeof(shape));
	assert_string_equal(shape, "cd-v0 -> cd-v0: -");
	assert_ptr_equal(shl_rec_group_final(log.s, &g[1]), &log.s[13].e);
	shl_rec_log_free(&log);
}

/* Each writer call against the oracle's plan for its (initial, target). */
static void test_rec_compare(void **state)
{
	struct shl_rec_group g[8];
	struct shl_rec_log log;
	struct shl_rec_cmp c;

	(void)state;
	wr_log(&log);
	assert_int_equal(shl_rec_group(log.s, log.n, SHL_KIND_STE, g, 8), 2);
	assert_int_equal(shl_rec_compare(log.s, &g[0], true, &c), 0);
	assert_true(c.equal);
	assert_int_equal(c.plan.path, SHL_PATH_HITLESS);
	assert_string_equal(c.kernel_steps, " q0 | q1");
	assert_string_equal(c.oracle_steps, " q0 | q1");
	assert_string_equal(c.difference, "");
	/* one sync where the writer plans two */
	assert_int_equal(shl_rec_compare(log.s, &g[1], true, &c), 0);
	assert_false(c.equal);
	assert_string_equal(c.kernel_steps, " q0,q1");
	assert_string_equal(c.difference, "kernel 1 sync(s), oracle 2");
	/* the same count but another entry at the first sync */
	log.s[3].e.q[1] = 0;
	assert_int_equal(shl_rec_compare(log.s, &g[0], true, &c), 0);
	assert_false(c.equal);
	assert_non_null(strstr(c.difference, "at sync 1 the entry differs in q1 (kernel 0x0, oracle 0xd6)"));
	log.s[3].e.q[1] = 0xd6;
	/* a final entry that is not the target */
	log.s[5].e.q[2] = 1;
	assert_int_equal(shl_rec_compare(log.s, &g[0], true, &c), 0);
	assert_string_equal(c.difference, "the kernel's final entry is not its target");
	log.s[5].e.q[2] = 0;
	assert_int_equal(shl_rec_group(log.s, log.n, SHL_KIND_CD, g, 8), 2);
	/* CD 0 cleared: V first, then the now unused qwords */
	assert_int_equal(shl_rec_compare(log.s, &g[0], false, &c), 0);
	assert_true(c.equal);
	assert_string_equal(c.oracle_steps, " q0 | q1,q3");
	/* a call that changes nothing: no sync on either side */
	assert_int_equal(shl_rec_compare(log.s, &g[1], false, &c), 0);
	assert_true(c.equal);
	assert_int_equal(c.plan.nsteps, 0);
	assert_string_equal(c.kernel_steps, " -");
	/* a 6.1 update (no target) is not compared */
	g[1].has_target = false;
	assert_int_equal(shl_rec_compare(log.s, &g[1], false, &c), -1);
	shl_rec_log_free(&log);
}

/* The report's kernel-vs-oracle table: one row per distinct transition. */
static void test_rec_report_oracle(void **state)
{
	json_object *o, *t, *row;
	struct shl_rec_log log;
	struct shl_profile p;
	char err[200];
	int worst;

	(void)state;
	assert_int_equal(shl_profile_builtin("qemu-7.2", &p), 0);
	wr_log(&log);
	o = shl_inject_record_report(&p, &log, true, &worst, err, sizeof(err));
	assert_non_null(o);
	assert_int_equal(json_object_get_int(json_object_object_get(o, "compared")), 4);
	assert_int_equal(json_object_get_int(json_object_object_get(o, "differences")), 1);
	assert_int_equal(json_object_get_int(json_object_object_get(o, "unexplained")), 1);
	assert_int_equal(worst, 1);
	t = json_object_object_get(o, "kernel_vs_oracle");
	assert_int_equal(json_object_array_length(t), 4);
	row = json_object_array_get_idx(t, 0);
	assert_string_equal(json_object_get_string(json_object_object_get(row, "transition")),
			    "STE s1 -> bypass");
	assert_string_equal(json_object_get_string(json_object_object_get(row, "verdict")), "equal");
	row = json_object_array_get_idx(t, 1);
	assert_string_equal(json_object_get_string(json_object_object_get(row, "verdict")),
			    "differs");
	assert_non_null(json_object_object_get(row, "difference"));
	assert_null(json_object_object_get(row, "explanation"));
	json_object_put(o);
	/* without the differing call everything equals the plan and passes */
	log.n = 14;
	o = shl_inject_record_report(&p, &log, true, &worst, err, sizeof(err));
	assert_int_equal(json_object_get_int(json_object_object_get(o, "unexplained")), 0);
	assert_int_equal(worst, 0);
	json_object_put(o);
	shl_rec_log_free(&log);
}

/*
 * bug 3 (issue 13, docs/bugs.md "breaking-off-by-one"): a CD moved to
 * another paging domain (ASID and TTB0 change: a breaking update) as the
 * stock writer records it (V=0, then q1, then q0: three syncs) and as the
 * off-by-one writer does (its fill step stores qwords 0..6: qword 0 with
 * V=1 lands in the same window as qword 1, then no third sync).
 */
#define OBO_Q0A 0x4e204c0003510ULL	/* ASID 4 */
#define OBO_Q0B 0x5e204c0003510ULL	/* ASID 5 */
#define OBO_TTBA 0x72644000ULL
#define OBO_TTBB 0x72655000ULL
static const struct {
	uint32_t kind, entry;
	uint64_t q0, q1;
} obo_stock[] = {
	{ SMMU_HIL_SNAP_START, SMMU_HIL_ENT_STE, 0x7264300b, 0xd6 },
	{ SMMU_HIL_SNAP_BEGIN, SMMU_HIL_ENT_CD, OBO_Q0A, OBO_TTBA },
	{ SMMU_HIL_SNAP_TARGET, SMMU_HIL_ENT_CD, OBO_Q0B, OBO_TTBB },
	{ SMMU_HIL_SNAP_SYNC, SMMU_HIL_ENT_CD, 0, OBO_TTBA },
	{ SMMU_HIL_SNAP_SYNC, SMMU_HIL_ENT_CD, 0, OBO_TTBB },
	{ SMMU_HIL_SNAP_SYNC, SMMU_HIL_ENT_CD, OBO_Q0B, OBO_TTBB },
	{ SMMU_HIL_SNAP_END, SMMU_HIL_ENT_CD, OBO_Q0B, OBO_TTBB },
}, obo_mutant[] = {
	{ SMMU_HIL_SNAP_START, SMMU_HIL_ENT_STE, 0x7264300b, 0xd6 },
	{ SMMU_HIL_SNAP_BEGIN, SMMU_HIL_ENT_CD, OBO_Q0A, OBO_TTBA },
	{ SMMU_HIL_SNAP_TARGET, SMMU_HIL_ENT_CD, OBO_Q0B, OBO_TTBB },
	{ SMMU_HIL_SNAP_SYNC, SMMU_HIL_ENT_CD, 0, OBO_TTBA },
	{ SMMU_HIL_SNAP_SYNC, SMMU_HIL_ENT_CD, OBO_Q0B, OBO_TTBB },
	{ SMMU_HIL_SNAP_END, SMMU_HIL_ENT_CD, OBO_Q0B, OBO_TTBB },
};

static json_object *obo_report(const void *rows, size_t n, int *worst)
{
	const struct { uint32_t kind, entry; uint64_t q0, q1; } *r = rows;
	struct smmu_hil_inj_snap snap[8];
	struct shl_rec_log log;
	struct shl_profile p;
	json_object *o;
	char err[200];
	size_t i;

	assert_true(n <= 8);
	memset(snap, 0, sizeof(snap));
	for (i = 0; i < n; i++) {
		snap[i].seq = i;
		snap[i].kind = r[i].kind;
		snap[i].entry = r[i].entry;
		snap[i].q[0] = r[i].q0;
		snap[i].q[1] = r[i].q1;
		if (r[i].entry == SMMU_HIL_ENT_CD && r[i].kind != SMMU_HIL_SNAP_START)
			snap[i].q[3] = CDQ3;
	}
	assert_int_equal(shl_rec_decode(snap, n * sizeof(snap[0]), &log, err, sizeof(err)), 0);
	assert_int_equal(shl_profile_builtin("qemu-7.2", &p), 0);
	o = shl_inject_record_report(&p, &log, true, worst, err, sizeof(err));
	shl_rec_log_free(&log);
	assert_non_null(o);
	return o;
}

static const char *jstr(json_object *o, const char *k)
{
	return json_object_get_string(json_object_object_get(o, k));
}

/* The stock breaking CD update passes; the off-by-one fails at both granularities. */
static void test_rec_breaking_off_by_one(void **state)
{
	json_object *o, *u, *row, *v, *vs;
	size_t i;
	int worst;

	(void)state;
	o = obo_report(obo_stock, sizeof(obo_stock) / sizeof(obo_stock[0]), &worst);
	assert_int_equal(worst, 0);
	u = json_object_array_get_idx(json_object_object_get(o, "updates"), 0);
	assert_string_equal(jstr(u, "entry"), "cd");
	/* V=0 between the syncs: the writer's own (breaking) plan */
	assert_string_equal(jstr(u, "verdict"), "breaking");
	assert_string_equal(jstr(u, "store_verdict"), "breaking");
	row = json_object_array_get_idx(json_object_object_get(o, "kernel_vs_oracle"), 0);
	assert_string_equal(jstr(row, "verdict"), "equal");
	assert_string_equal(jstr(row, "path"), "breaking");
	assert_string_equal(jstr(row, "kernel_steps"), " q0 | q1 | q0");
	assert_int_equal(json_object_get_int(json_object_object_get(o, "store_findings")), 0);
	json_object_put(o);

	o = obo_report(obo_mutant, sizeof(obo_mutant) / sizeof(obo_mutant[0]), &worst);
	assert_int_equal(worst, 1);
	row = json_object_array_get_idx(json_object_object_get(o, "kernel_vs_oracle"), 0);
	assert_string_equal(jstr(row, "verdict"), "differs");
	assert_string_equal(jstr(row, "kernel_steps"), " q0 | q0,q1");
	assert_string_equal(jstr(row, "oracle_steps"), " q0 | q1 | q0");
	assert_string_equal(jstr(row, "difference"), "kernel 2 sync(s), oracle 3");
	assert_string_equal(jstr(row, "store_verdict"), "fail");
	/* at sync granularity only V=0 is seen; between two stores a valid torn CD */
	u = json_object_array_get_idx(json_object_object_get(o, "updates"), 0);
	assert_string_equal(jstr(u, "verdict"), "breaking");
	assert_string_equal(jstr(u, "store_verdict"), "fail");
	vs = json_object_object_get(u, "store_violations");
	for (i = 0, v = NULL; i < json_object_array_length(vs); i++)
		if (!strcmp(jstr(json_object_array_get_idx(vs, i), "kind"), "torn"))
			v = json_object_array_get_idx(vs, i);
	assert_non_null(v);
	/* the torn CD: the new ASID with the old TTB0 */
	assert_non_null(strstr(jstr(v, "entry"), "0x5e204c0003510,0x72644000"));
	assert_int_equal(json_object_get_int(json_object_object_get(o, "store_findings")), 1);
	json_object_put(o);
}

static char fake_dir[64];

static void fake_write(const char *file, const void *buf, size_t len)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/inject/%s", fake_dir, file);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(buf, 1, len, f), len);
	fclose(f);
}

static int fake_setup(void **state)
{
	struct smmu_hil_inj_result r;
	struct smmu_hil_inj_entry e;
	char path[128];

	(void)state;
	snprintf(fake_dir, sizeof(fake_dir), "/tmp/shl-inject-XXXXXX");
	assert_non_null(mkdtemp(fake_dir));
	snprintf(path, sizeof(path), "%s/inject", fake_dir);
	assert_int_equal(mkdir(path, 0755), 0);
	result_record(&r);
	fake_write("result", &r, sizeof(r));
	ste_record(&e);
	fake_write("ste", &e, sizeof(e));
	fake_write("raw", "", 0);	/* the module's file exists; writes replace it here */
	fake_write("record", "", 0);
	setenv("SMMU_HIL_DEBUGFS", fake_dir, 1);
	return 0;
}

static int fake_teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", fake_dir);
	assert_int_equal(system(cmd), 0);
	unsetenv("SMMU_HIL_DEBUGFS");
	return 0;
}

/* Read back what the agent wrote to a fake file. */
static size_t fake_read(const char *file, void *buf, size_t size)
{
	char path[128];
	size_t n;
	FILE *f;

	snprintf(path, sizeof(path), "%s/inject/%s", fake_dir, file);
	f = fopen(path, "r");
	assert_non_null(f);
	n = fread(buf, 1, size, f);
	fclose(f);
	return n;
}

static void test_raw_roundtrip(void **state)
{
	struct shl_op body[] = { { .kind = SHL_OP_SYNC } };
	struct smmu_hil_inj_seq *h, back;
	struct shl_inject_result r;
	struct shl_inject_entry e;
	char err[200];

	(void)state;
	assert_int_equal(shl_inject_read_entry(SHL_KIND_STE, &e), 0);
	assert_int_equal(e.sid, 0x18);
	assert_int_equal(shl_inject_read_entry(SHL_KIND_CD, &e), -ENOENT);
	h = shl_inject_raw_encode(SHL_KIND_STE, NULL, 0, body, 1, 1, 0, err, sizeof(err));
	assert_non_null(h);
	assert_int_equal(shl_inject_raw(h, &r), 0);
	free(h);
	assert_int_equal(r.syncs, 2000);
	assert_int_equal(fake_read("raw", &back, sizeof(back)), sizeof(back));
	assert_int_equal(back.entry, SMMU_HIL_ENT_STE);
	assert_int_equal(back.nops, 1);
	/* a record of the wrong size is refused, not half read */
	fake_write("ste", &back, sizeof(back));
	assert_int_equal(shl_inject_read_entry(SHL_KIND_STE, &e), -EPROTO);
}

static void test_record_files(void **state)
{
	struct smmu_hil_inj_rec_ctl c;
	struct smmu_hil_inj_snap snaps[NREC];
	struct shl_rec_log log;

	(void)state;
	assert_int_equal(shl_inject_record_ctl("clear"), 0);
	assert_int_equal(fake_read("record", &c, sizeof(c)), sizeof(c));
	assert_int_equal(c.hdr.version, SMMU_HIL_UAPI_VERSION);
	assert_int_equal(c.hdr.size, sizeof(c));
	assert_int_equal(c.cmd, SMMU_HIL_REC_CLEAR);
	assert_int_equal(c.reserved, 0);
	assert_int_equal(shl_inject_record_ctl("start"), 0);
	assert_int_equal(fake_read("record", &c, sizeof(c)), sizeof(c));
	assert_int_equal(c.cmd, SMMU_HIL_REC_START);
	assert_int_equal(shl_inject_record_ctl("flush"), -EINVAL);
	/* read: the snapshots as the module lays them out */
	rec_records(snaps);
	fake_write("record", snaps, sizeof(snaps));
	assert_int_equal(shl_inject_record_read(&log), 0);
	assert_int_equal(log.n, NREC);
	assert_int_equal(log.s[6].e.q[0], 0x7264900b);
	shl_rec_log_free(&log);
	fake_write("record", snaps, sizeof(snaps) - 8);
	assert_int_equal(shl_inject_record_read(&log), -EPROTO);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decode_entry_ste),
		cmocka_unit_test(test_decode_entry_cd),
		cmocka_unit_test(test_raw_encode),
		cmocka_unit_test(test_decode_result),
		cmocka_unit_test(test_rec_decode),
		cmocka_unit_test(test_rec_group),
		cmocka_unit_test(test_rec_verdict),
		cmocka_unit_test(test_rec_writer_group),
		cmocka_unit_test(test_rec_compare),
		cmocka_unit_test(test_rec_report_oracle),
		cmocka_unit_test(test_rec_breaking_off_by_one),
		cmocka_unit_test_setup_teardown(test_raw_roundtrip, fake_setup, fake_teardown),
		cmocka_unit_test_setup_teardown(test_record_files, fake_setup, fake_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
