// SPDX-License-Identifier: GPL-2.0-only
/*
 * The agent's side of smmu_hil_inject: the records of its debugfs files
 * (smmu-hil/inject/{ste,cd,raw,result,record}, modules/include/uapi/smmu_hil.h)
 * and the grouping of recorder snapshots into the driver's updates.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "smmu_hil/dut.h"
#include "smmu_hil/entry_ops.h"
#include "smmu_hil/inject.h"
#include "smmu_hil/plan.h"
#include <smmu_hil/a64_barrier.h>
#include <uapi/smmu_hil.h>

#define REC_MAX_BYTES	((size_t)65536 * sizeof(struct smmu_hil_inj_snap))

_Static_assert(SHL_ENTRY_QWORDS == SMMU_HIL_ENT_QWORDS, "entry sizes differ");
_Static_assert(SHL_KIND_STE == SMMU_HIL_ENT_STE && SHL_KIND_CD == SMMU_HIL_ENT_CD,
	       "entry kinds differ");
_Static_assert((int)SHL_REC_START == SMMU_HIL_SNAP_START &&
	       (int)SHL_REC_BEGIN == SMMU_HIL_SNAP_BEGIN &&
	       (int)SHL_REC_SYNC == SMMU_HIL_SNAP_SYNC && (int)SHL_REC_STOP == SMMU_HIL_SNAP_STOP &&
	       (int)SHL_REC_TARGET == SMMU_HIL_SNAP_TARGET && (int)SHL_REC_END == SMMU_HIL_SNAP_END &&
	       (int)SHL_REC_BARRIER == SMMU_HIL_SNAP_BARRIER,
	       "snapshot kinds differ");
_Static_assert(sizeof(((struct shl_inject_barriers *)0)->b) /
	       sizeof(((struct shl_inject_barriers *)0)->b[0]) == SMMU_HIL_INJ_MAX_BARRIERS &&
	       sizeof(((struct shl_inject_barriers *)0)->func) == SMMU_HIL_NAME_LEN,
	       "barrier list sizes differ");

static void inject_path(char *buf, size_t len, const char *file)
{
	snprintf(buf, len, "%s/inject/%s", shl_debugfs_dir(), file);
}

int shl_inject_decode_entry(enum shl_entry_kind kind, const struct smmu_hil_inj_entry *in,
			    struct shl_inject_entry *out)
{
	unsigned int i;

	memset(out, 0, sizeof(*out));
	if (!shl_uapi_hdr_ok(&in->hdr, sizeof(*in)) || in->entry != (uint32_t)kind ||
	    !memchr(in->smmu, '\0', sizeof(in->smmu)))
		return -1;
	out->present = in->hdr.flags & SMMU_HIL_INJ_PRESENT;
	out->writer = in->hdr.flags & SMMU_HIL_INJ_WRITER;
	out->update_safe = in->hdr.flags & SMMU_HIL_INJ_UPDATE_SAFE;
	out->sid = in->sid;
	shl_bdf_format(&in->bdf, out->bdf);
	if (!out->present)
		return 0;
	out->pa = in->pa;
	for (i = 0; i < SHL_ENTRY_QWORDS; i++)
		out->e.q[i] = in->q[i];
	out->shadow_cd = in->shadow_cd;
	out->zero_table = in->zero_table;
	return 0;
}

int shl_inject_read_entry(enum shl_entry_kind kind, struct shl_inject_entry *out)
{
	struct smmu_hil_inj_entry e;
	char path[4096];
	int ret;

	inject_path(path, sizeof(path), shl_entry_ops(kind)->name);
	ret = shl_read_record(path, &e, sizeof(e));
	if (ret)
		return ret;
	return shl_inject_decode_entry(kind, &e, out) ? -EPROTO : 0;
}

/* Append the module's form of @ops at @o[*n] (room for SMMU_HIL_INJ_MAX_OPS). */
static int raw_ops(struct smmu_hil_inj_op *o, uint32_t *n, const struct shl_op *ops,
		   size_t nops, unsigned int dwell_us, char *err, size_t errlen)
{
	size_t i;

	for (i = 0; i < nops; i++) {
		unsigned int need = ops[i].kind == SHL_OP_SYNC && dwell_us ? 2 : 1;

		if (ops[i].kind != SHL_OP_WRITE && ops[i].kind != SHL_OP_SYNC &&
		    ops[i].kind != SHL_OP_DMA_WMB)
			continue;	/* table: information for the checker only */
		if (*n + need > SMMU_HIL_INJ_MAX_OPS) {
			snprintf(err, errlen, "more than %d operations", SMMU_HIL_INJ_MAX_OPS);
			return -1;
		}
		memset(&o[*n], 0, need * sizeof(o[0]));
		switch (ops[i].kind) {
		case SHL_OP_WRITE:
			if (ops[i].nq != 1) {
				snprintf(err, errlen,
					 "raw mode stores 64 bits at a time: op %zu is a 128-bit store",
					 i + 1);
				return -1;
			}
			o[*n].op = SMMU_HIL_OP_WRITE;
			o[*n].idx = ops[i].qword;
			o[*n].val = ops[i].v[0];
			break;
		case SHL_OP_SYNC:
			o[*n].op = SMMU_HIL_OP_SYNC;
			if (dwell_us) {
				o[*n + 1].op = SMMU_HIL_OP_DWELL;
				o[*n + 1].us = dwell_us;
			}
			break;
		default:
			o[*n].op = SMMU_HIL_OP_DMA_WMB;
			break;
		}
		*n += need;
	}
	return 0;
}

struct smmu_hil_inj_seq *shl_inject_raw_encode(enum shl_entry_kind kind, const struct shl_op *pro,
					       size_t npro, const struct shl_op *body, size_t nbody,
					       unsigned int repeat, unsigned int dwell_us,
					       char *err, size_t errlen)
{
	struct smmu_hil_inj_seq *h = malloc(sizeof(*h) + SMMU_HIL_INJ_MAX_OPS *
					    sizeof(struct smmu_hil_inj_op));
	struct smmu_hil_inj_op *o = (struct smmu_hil_inj_op *)(h + 1);
	uint32_t n = 0;

	if (errlen)
		err[0] = '\0';
	if (!h) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	memset(h, 0, sizeof(*h));
	shl_uapi_hdr(&h->hdr, sizeof(*h), 0);
	h->entry = kind == SHL_KIND_CD ? SMMU_HIL_ENT_CD : SMMU_HIL_ENT_STE;
	if (raw_ops(o, &n, pro, npro, dwell_us, err, errlen))
		goto fail;
	h->body = n;
	if (raw_ops(o, &n, body, nbody, dwell_us, err, errlen))
		goto fail;
	h->nops = n;
	h->repeat = repeat ? repeat : 1;
	return h;
fail:
	free(h);
	return NULL;
}

size_t shl_inject_raw_len(const struct smmu_hil_inj_seq *seq)
{
	return sizeof(*seq) + (size_t)seq->nops * sizeof(struct smmu_hil_inj_op);
}

int shl_inject_decode_result(const struct smmu_hil_inj_result *in, struct shl_inject_result *out)
{
	memset(out, 0, sizeof(*out));
	if (!shl_uapi_hdr_ok(&in->hdr, sizeof(*in)) || !(in->hdr.flags & SMMU_HIL_INJ_RES_DONE))
		return -1;
	out->error = in->error;
	out->conflict = !!(in->hdr.flags & SMMU_HIL_INJ_RES_CONFLICT);
	out->restored = !!(in->hdr.flags & SMMU_HIL_INJ_RES_RESTORED);
	out->iterations = in->iterations;
	out->writes = in->writes;
	out->syncs = in->syncs;
	out->dwells = in->dwells;
	out->total_ns = in->total_ns;
	out->ns_per_step = in->ns_per_step;
	out->ns_per_sync = in->ns_per_sync;
	out->max_sync_ns = in->max_sync_ns;
	return 0;
}

int shl_inject_raw(const struct smmu_hil_inj_seq *seq, struct shl_inject_result *out)
{
	struct smmu_hil_inj_result r;
	char path[4096];
	int ret;

	inject_path(path, sizeof(path), "raw");
	ret = shl_write_record(path, seq, shl_inject_raw_len(seq));
	if (ret)
		return ret;
	inject_path(path, sizeof(path), "result");
	ret = shl_read_record(path, &r, sizeof(r));
	if (ret)
		return ret;
	return shl_inject_decode_result(&r, out) ? -EPROTO : 0;
}

int shl_inject_record_ctl(const char *word)
{
	static const char *const words[] = {
		[SMMU_HIL_REC_START] = "start",
		[SMMU_HIL_REC_STOP] = "stop",
		[SMMU_HIL_REC_CLEAR] = "clear",
	};
	struct smmu_hil_inj_rec_ctl c;
	char path[4096];
	uint32_t i;

	for (i = 0; i < sizeof(words) / sizeof(words[0]) && strcmp(word, words[i]); i++)
		;
	if (i == sizeof(words) / sizeof(words[0]))
		return -EINVAL;
	memset(&c, 0, sizeof(c));
	shl_uapi_hdr(&c.hdr, sizeof(c), 0);
	c.cmd = i;
	inject_path(path, sizeof(path), "record");
	return shl_write_record(path, &c, sizeof(c));
}

/* ------------------------------------------------------------ recorder */

int shl_rec_decode(const void *buf, size_t len, struct shl_rec_log *log, char *err,
		   size_t errlen)
{
	const struct smmu_hil_inj_snap *in = buf;
	size_t i, n = len / sizeof(*in);
	unsigned int q;

	log->s = NULL;
	log->n = 0;
	if (len % sizeof(*in)) {
		snprintf(err, errlen, "%zu bytes: not whole snapshots of %zu bytes", len,
			 sizeof(*in));
		return -1;
	}
	log->s = calloc(n ? n : 1, sizeof(*log->s));
	if (!log->s) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (i = 0; i < n; i++) {
		struct shl_rec_snap *s = &log->s[i];

		if (in[i].kind > SMMU_HIL_SNAP_BARRIER ||
		    (in[i].entry != SMMU_HIL_ENT_STE && in[i].entry != SMMU_HIL_ENT_CD)) {
			snprintf(err, errlen, "snapshot %zu: kind %u, entry %u unknown", i + 1,
				 in[i].kind, in[i].entry);
			shl_rec_log_free(log);
			return -1;
		}
		s->seq = in[i].seq;
		s->ts_ns = in[i].ts_ns;
		s->kind = (enum shl_rec_kind)in[i].kind;
		s->ent = in[i].entry == SMMU_HIL_ENT_CD ? SHL_KIND_CD : SHL_KIND_STE;
		for (q = 0; q < SHL_ENTRY_QWORDS; q++)
			s->e.q[q] = in[i].q[q];
	}
	log->n = n;
	return 0;
}

void shl_rec_log_free(struct shl_rec_log *log)
{
	free(log->s);
	log->s = NULL;
	log->n = 0;
}

size_t shl_rec_group(const struct shl_rec_snap *s, size_t n, enum shl_entry_kind ent,
		     struct shl_rec_group *g, size_t max)
{
	struct shl_rec_group cur;
	size_t i, ng = 0;
	bool open = false;

	for (i = 0; i < n; i++) {
		if (s[i].ent != ent)
			continue;
		if (s[i].kind == SHL_REC_SYNC || s[i].kind == SHL_REC_TARGET ||
		    s[i].kind == SHL_REC_END || s[i].kind == SHL_REC_BARRIER) {
			if (!open)
				continue;	/* no initial entry known */
			if (s[i].kind == SHL_REC_BARRIER) {
				if (!cur.nbarriers++) {
					cur.barrier = i;
					cur.barrier_syncs = (unsigned int)cur.nsyncs;
				}
			} else if (s[i].kind == SHL_REC_TARGET) {
				cur.has_target = true;
				cur.target = i;
			} else if (s[i].kind == SHL_REC_END) {
				cur.end = i;
				if ((cur.nsyncs || cur.has_target) && ng < max)
					g[ng++] = cur;
				open = false;
			} else if (cur.nsyncs < sizeof(cur.syncs) / sizeof(cur.syncs[0])) {
				cur.syncs[cur.nsyncs++] = i;
			} else {
				cur.truncated = true;
			}
			continue;
		}
		if (open && (cur.nsyncs || cur.has_target) && ng < max)
			g[ng++] = cur;
		open = s[i].kind != SHL_REC_STOP;
		memset(&cur, 0, sizeof(cur));
		cur.ent = ent;
		cur.init = i;
		cur.end = SIZE_MAX;
		cur.barrier = SIZE_MAX;
	}
	if (open && (cur.nsyncs || cur.has_target) && ng < max)
		g[ng++] = cur;
	return ng;
}

size_t shl_rec_group_ops(const struct shl_rec_snap *s, const struct shl_rec_group *g,
			 struct shl_op *ops, size_t max)
{
	const struct shl_entry *prev = &s[g->init].e;
	size_t k, n = 0;
	unsigned int q;

	for (k = 0; k < g->nsyncs; k++) {
		const struct shl_entry *cur = &s[g->syncs[k]].e;

		for (q = 0; q < SHL_ENTRY_QWORDS && n < max; q++) {
			if (cur->q[q] == prev->q[q])
				continue;
			ops[n++] = (struct shl_op){ .kind = SHL_OP_WRITE, .qword = (uint8_t)q,
						    .nq = 1, .v = { cur->q[q], 0 } };
		}
		if (n < max)
			ops[n++] = (struct shl_op){ .kind = SHL_OP_SYNC };
		prev = cur;
	}
	return n;
}

const char *shl_barrier_verdict_name(enum shl_barrier_verdict v)
{
	static const char *const names[] = { "ordered", "late", "missing" };

	return (unsigned int)v < sizeof(names) / sizeof(names[0]) ? names[v] : "?";
}

int shl_rec_barrier_verdict(const struct shl_rec_snap *s, const struct shl_rec_group *g)
{
	if (!g->has_target || !g->nsyncs)
		return -1;
	if (!g->nbarriers)
		return SHL_BAR_MISSING;
	/* entry_set() stores only what differs: an untouched entry saw no store */
	if (g->barrier_syncs == 0 && !memcmp(&s[g->barrier].e, &s[g->init].e, sizeof(s[0].e)))
		return SHL_BAR_ORDERED;
	return SHL_BAR_LATE;
}

bool shl_rec_pointer_change(const struct shl_rec_snap *s, const struct shl_rec_group *g)
{
	const struct shl_pointer_field *pf;
	const struct shl_entry *a = &s[g->init].e, *b;
	size_t n, i;

	if (!g->has_target)
		return false;
	b = &s[g->target].e;
	pf = shl_pointer_fields(g->ent, &n);
	for (i = 0; i < n; i++) {
		uint64_t ta = b->q[pf[i].qword] & pf[i].mask;

		if (ta && ta != (a->q[pf[i].qword] & pf[i].mask))
			return true;
	}
	return false;
}

int shl_inject_decode_barriers(const struct smmu_hil_inj_barriers *in,
			       struct shl_inject_barriers *out)
{
	unsigned int i, crm, kind;
	uint32_t want;

	memset(out, 0, sizeof(*out));
	if (!shl_uapi_hdr_ok(&in->hdr, sizeof(*in)) ||
	    (in->hdr.flags & ~SMMU_HIL_INJ_BARS_TRUNCATED) || in->reserved ||
	    !memchr(in->func, '\0', sizeof(in->func)) || in->count > SMMU_HIL_INJ_MAX_BARRIERS ||
	    (in->error && in->count) || in->error > 0)
		return -1;
	out->error = in->error;
	out->truncated = in->hdr.flags & SMMU_HIL_INJ_BARS_TRUNCATED;
	out->size = in->size;
	memcpy(out->func, in->func, sizeof(out->func));
	out->count = in->count;
	for (i = 0; i < in->count; i++) {
		const struct smmu_hil_inj_barrier *b = &in->b[i];

		kind = (unsigned int)smmu_hil_a64_barrier(b->insn, &crm);
		if (kind == SMMU_HIL_A64_NOT_BARRIER || b->reserved || b->offset >= in->size ||
		    b->offset % SMMU_HIL_A64_INSN_BYTES ||
		    (b->flags & ~(SMMU_HIL_INJ_BAR_ORDERS | SMMU_HIL_INJ_BAR_PROBED)))
			return -1;
		want = smmu_hil_a64_orders_dma_stores(b->insn) ? SMMU_HIL_INJ_BAR_ORDERS : 0;
		if ((b->flags & SMMU_HIL_INJ_BAR_ORDERS) != want ||
		    ((b->flags & SMMU_HIL_INJ_BAR_PROBED) && !want))
			return -1;
		out->b[i].offset = b->offset;
		out->b[i].insn = b->insn;
		out->b[i].orders = want;
		out->b[i].probed = b->flags & SMMU_HIL_INJ_BAR_PROBED;
		snprintf(out->b[i].text, sizeof(out->b[i].text), "%s %s",
			 kind == SMMU_HIL_A64_DMB ? "dmb" : "dsb", smmu_hil_a64_barrier_option(crm));
	}
	return 0;
}

int shl_inject_read_barriers(struct shl_inject_barriers *out)
{
	struct smmu_hil_inj_barriers b;
	char path[4096];
	int ret;

	inject_path(path, sizeof(path), "barriers");
	ret = shl_read_record(path, &b, sizeof(b));
	if (ret)
		return ret;
	return shl_inject_decode_barriers(&b, out) ? -EPROTO : 0;
}

json_object *shl_inject_barriers_json(const struct shl_inject_barriers *b)
{
	json_object *o = json_object_new_object(), *a = json_object_new_array();
	unsigned int i, orders = 0;
	char hex[24];

	for (i = 0; i < b->count; i++) {
		json_object *x = json_object_new_object();

		snprintf(hex, sizeof(hex), "0x%x", b->b[i].offset);
		json_object_object_add(x, "offset", json_object_new_string(hex));
		snprintf(hex, sizeof(hex), "0x%08x", b->b[i].insn);
		json_object_object_add(x, "insn", json_object_new_string(hex));
		json_object_object_add(x, "asm", json_object_new_string(b->b[i].text));
		json_object_object_add(x, "orders_dma_stores", json_object_new_boolean(b->b[i].orders));
		json_object_object_add(x, "probed", json_object_new_boolean(b->b[i].probed));
		json_object_array_add(a, x);
		orders += b->b[i].orders;
	}
	json_object_object_add(o, "func", json_object_new_string(b->func));
	json_object_object_add(o, "size", json_object_new_int64(b->size));
	json_object_object_add(o, "error", json_object_new_int(b->error));
	json_object_object_add(o, "truncated", json_object_new_boolean(b->truncated));
	json_object_object_add(o, "store_barriers", json_object_new_int((int)orders));
	json_object_object_add(o, "barriers", a);
	return o;
}

const char *shl_inject_config_name(enum shl_entry_kind kind, const struct shl_entry *e)
{
	static const char *const cfg[8] = {
		"abort", "abort-rsvd1", "abort-rsvd2", "abort-rsvd3", "bypass", "s1", "s2", "nested",
	};

	if (kind == SHL_KIND_CD)
		return SHL_GET(e, SHL_CD_V) ? "cd" : "cd-v0";
	if (!SHL_GET(e, SHL_STE_V))
		return "v0";
	return cfg[SHL_GET(e, SHL_STE_CONFIG)];
}

const struct shl_entry *shl_rec_group_final(const struct shl_rec_snap *s,
					    const struct shl_rec_group *g)
{
	if (g->has_target && g->end != SIZE_MAX)
		return &s[g->end].e;
	return g->nsyncs ? &s[g->syncs[g->nsyncs - 1]].e : &s[g->init].e;
}

/* Append " q1,q2" (the qwords @a and @b differ in, " -" if none) to @buf at *@off. */
static void qword_list(const struct shl_entry *a, const struct shl_entry *b, char *buf,
		       size_t len, size_t *off)
{
	unsigned int q;
	bool any = false;

	for (q = 0; q < SHL_ENTRY_QWORDS && *off < len; q++) {
		if (a->q[q] == b->q[q])
			continue;
		*off += (size_t)snprintf(buf + *off, len - *off, "%sq%u", any ? "," : " ", q);
		any = true;
	}
	if (!any && *off < len)
		*off += (size_t)snprintf(buf + *off, len - *off, " -");
}

/* The entries after each step as "q0 | q1,q3" (" -" when there are none). */
static void steps_text(const struct shl_entry *init, const struct shl_entry *st, size_t n,
		       char *buf, size_t len)
{
	const struct shl_entry *prev = init;
	size_t k, off = 0;

	buf[0] = '\0';
	for (k = 0; k < n && off < len; k++) {
		off += (size_t)snprintf(buf + off, len - off, "%s", k ? " |" : "");
		qword_list(prev, &st[k], buf, len, &off);
		prev = &st[k];
	}
	if (!n)
		snprintf(buf, len, " -");
}

void shl_rec_group_shape(const struct shl_rec_snap *s, const struct shl_rec_group *g,
			 char *buf, size_t len)
{
	struct shl_entry st[sizeof(g->syncs) / sizeof(g->syncs[0])];
	size_t k, off;

	for (k = 0; k < g->nsyncs; k++)
		st[k] = s[g->syncs[k]].e;
	off = (size_t)snprintf(buf, len, "%s -> %s:", shl_inject_config_name(g->ent, &s[g->init].e),
			       shl_inject_config_name(g->ent, shl_rec_group_final(s, g)));
	if (off < len)
		steps_text(&s[g->init].e, st, g->nsyncs, buf + off, len - off);
}

int shl_rec_compare(const struct shl_rec_snap *s, const struct shl_rec_group *g, bool update_safe,
		    struct shl_rec_cmp *out)
{
	struct shl_plan_opts po = { .quanta = 64, .update_safe = update_safe };
	struct shl_entry ks[sizeof(g->syncs) / sizeof(g->syncs[0])];
	struct shl_entry os[SHL_PLAN_MAX_STEPS], mem;
	const struct shl_entry *init = &s[g->init].e, *target, *final;
	unsigned int k, j, q, st;
	size_t off;

	memset(out, 0, sizeof(*out));
	if (!g->has_target)
		return -1;
	target = &s[g->target].e;
	final = shl_rec_group_final(s, g);
	shl_plan_entry(g->ent, init, target, &po, &out->plan);
	mem = *init;
	for (k = 0; k < out->plan.nsteps; k++) {
		for (st = 0; st < out->plan.steps[k].nstores; st++)
			for (j = 0; j < out->plan.steps[k].st[st].nq; j++)
				mem.q[out->plan.steps[k].st[st].qword + j] =
					out->plan.steps[k].st[st].v[j];
		os[k] = mem;
	}
	for (k = 0; k < g->nsyncs; k++)
		ks[k] = s[g->syncs[k]].e;
	steps_text(init, ks, g->nsyncs, out->kernel_steps, sizeof(out->kernel_steps));
	steps_text(init, os, out->plan.nsteps, out->oracle_steps, sizeof(out->oracle_steps));
	if (g->truncated) {
		snprintf(out->difference, sizeof(out->difference),
			 "more kernel syncs than the recorder keeps (%zu)", g->nsyncs);
		return 0;
	}
	if (g->end == SIZE_MAX) {
		snprintf(out->difference, sizeof(out->difference),
			 "the writer call was not seen returning (recording stopped inside it)");
		return 0;
	}
	if (g->nsyncs != out->plan.nsteps) {
		snprintf(out->difference, sizeof(out->difference), "kernel %zu sync(s), oracle %u",
			 g->nsyncs, out->plan.nsteps);
		return 0;
	}
	for (k = 0; k < g->nsyncs; k++) {
		if (!memcmp(&ks[k], &os[k], sizeof(ks[k])))
			continue;
		off = (size_t)snprintf(out->difference, sizeof(out->difference),
				       "at sync %u the entry differs in", k + 1);
		for (q = 0; q < SHL_ENTRY_QWORDS && off < sizeof(out->difference); q++)
			if (ks[k].q[q] != os[k].q[q])
				off += (size_t)snprintf(out->difference + off,
							sizeof(out->difference) - off,
							" q%u (kernel 0x%llx, oracle 0x%llx)", q,
							(unsigned long long)ks[k].q[q],
							(unsigned long long)os[k].q[q]);
		return 0;
	}
	if (memcmp(final, target, sizeof(*final))) {
		snprintf(out->difference, sizeof(out->difference),
			 "the kernel's final entry is not its target");
		return 0;
	}
	out->equal = true;
	return 0;
}

int shl_inject_record_read(struct shl_rec_log *log)
{
	size_t len = 0, cap = 64 * sizeof(struct smmu_hil_inj_snap);
	char path[4096], err[128], *buf = malloc(cap), *nb;
	ssize_t got;
	int fd, ret = 0;

	log->s = NULL;
	log->n = 0;
	if (!buf)
		return -ENOMEM;
	inject_path(path, sizeof(path), "record");
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		free(buf);
		return -errno;
	}
	for (;;) {
		if (len == cap) {
			if (cap >= REC_MAX_BYTES) {
				ret = -EFBIG;
				break;
			}
			cap *= 2;
			nb = realloc(buf, cap);
			if (!nb) {
				ret = -ENOMEM;
				break;
			}
			buf = nb;
		}
		got = read(fd, buf + len, cap - len);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			ret = -errno;
			break;
		}
		if (got == 0)
			break;
		len += (size_t)got;
	}
	close(fd);
	if (!ret && shl_rec_decode(buf, len, log, err, sizeof(err)))
		ret = -EPROTO;
	free(buf);
	return ret;
}
