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
#include <uapi/smmu_hil.h>

#define REC_MAX_BYTES	((size_t)65536 * sizeof(struct smmu_hil_inj_snap))

_Static_assert(SHL_ENTRY_QWORDS == SMMU_HIL_ENT_QWORDS, "entry sizes differ");
_Static_assert(SHL_KIND_STE == SMMU_HIL_ENT_STE && SHL_KIND_CD == SMMU_HIL_ENT_CD,
	       "entry kinds differ");
_Static_assert((int)SHL_REC_START == SMMU_HIL_SNAP_START &&
	       (int)SHL_REC_BEGIN == SMMU_HIL_SNAP_BEGIN &&
	       (int)SHL_REC_SYNC == SMMU_HIL_SNAP_SYNC && (int)SHL_REC_STOP == SMMU_HIL_SNAP_STOP,
	       "snapshot kinds differ");

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

		if (in[i].kind > SMMU_HIL_SNAP_STOP ||
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
		if (s[i].kind == SHL_REC_SYNC) {
			if (!open)
				continue;	/* no initial entry known */
			if (cur.nsyncs < sizeof(cur.syncs) / sizeof(cur.syncs[0]))
				cur.syncs[cur.nsyncs++] = i;
			else
				cur.truncated = true;
			continue;
		}
		if (open && cur.nsyncs && ng < max)
			g[ng++] = cur;
		open = s[i].kind != SHL_REC_STOP;
		memset(&cur, 0, sizeof(cur));
		cur.ent = ent;
		cur.init = i;
	}
	if (open && cur.nsyncs && ng < max)
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

void shl_rec_group_shape(const struct shl_rec_snap *s, const struct shl_rec_group *g,
			 char *buf, size_t len)
{
	const struct shl_entry *prev = &s[g->init].e;
	size_t k, off;
	unsigned int q;
	bool any;

	off = (size_t)snprintf(buf, len, "%s -> %s:", shl_inject_config_name(g->ent, prev),
			       shl_inject_config_name(g->ent, &s[g->syncs[g->nsyncs - 1]].e));
	for (k = 0; k < g->nsyncs && off < len; k++) {
		const struct shl_entry *cur = &s[g->syncs[k]].e;

		off += (size_t)snprintf(buf + off, len - off, "%s", k ? " |" : "");
		any = false;
		for (q = 0; q < SHL_ENTRY_QWORDS && off < len; q++) {
			if (cur->q[q] == prev->q[q])
				continue;
			off += (size_t)snprintf(buf + off, len - off, "%sq%u", any ? "," : " ", q);
			any = true;
		}
		if (!any && off < len)
			off += (size_t)snprintf(buf + off, len - off, " -");
		prev = cur;
	}
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
