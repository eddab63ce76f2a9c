// SPDX-License-Identifier: GPL-2.0-only
/*
 * The agent's side of smmu_hil_inject: its debugfs files
 * (smmu-hil/inject/{ste,cd,raw,result,record}) and the grouping of recorder
 * snapshots into the driver's updates.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "smmu_hil/parse.h"
#include "smmu_hil/dut.h"
#include "smmu_hil/inject.h"

#define INJ_TEXT_MAX	4096
#define REC_TEXT_MAX	(32u << 20)	/* 65536 snapshots of < 200 bytes fit */

static void inject_path(char *buf, size_t len, const char *file)
{
	snprintf(buf, len, "%s/inject/%s", shl_debugfs_dir(), file);
}

int shl_inject_parse_entry(const char *text, struct shl_inject_entry *out)
{
	unsigned long long v;
	char q[400];

	memset(out, 0, sizeof(*out));
	if (!shl_kv_u64(text, "present", &v)) {
		out->present = v != 0;
		if (!out->present)
			return 0;
	} else {
		out->present = true;
	}
	if (shl_kv_u64(text, "pa", &v) || shl_kv_str(text, "q", q, sizeof(q)) ||
	    shl_entry_parse_q(q, SHL_ENTRY_QWORDS, &out->e, NULL, 0))
		return -1;
	out->pa = v;
	if (!shl_kv_u64(text, "sid", &v))
		out->sid = (uint32_t)v;
	if (shl_kv_str(text, "bdf", out->bdf, sizeof(out->bdf)))
		out->bdf[0] = '\0';
	if (!shl_kv_u64(text, "shadow_cd", &v))
		out->shadow_cd = v;
	if (!shl_kv_u64(text, "zero_table", &v))
		out->zero_table = v;
	return 0;
}

int shl_inject_read_entry(enum shl_entry_kind kind, struct shl_inject_entry *out)
{
	char path[4096], text[INJ_TEXT_MAX];
	int ret;

	inject_path(path, sizeof(path), kind == SHL_KIND_CD ? "cd" : "ste");
	ret = shl_read_text(path, text, sizeof(text));
	if (ret < 0)
		return ret;
	return shl_inject_parse_entry(text, out) ? -EPROTO : 0;
}

/* Append @str to the growing buffer @b. */
struct textbuf {
	char *buf;
	size_t len, cap;
};

static int tb_add(struct textbuf *b, const char *str)
{
	size_t l = strlen(str);

	if (b->len + l + 1 > b->cap) {
		size_t cap = (b->cap + l + 1) * 2;
		char *nb = realloc(b->buf, cap);

		if (!nb)
			return -1;
		b->buf = nb;
		b->cap = cap;
	}
	memcpy(b->buf + b->len, str, l + 1);
	b->len += l;
	return 0;
}

/* Append the module's form of @ops. */
static int raw_ops(struct textbuf *b, const struct shl_op *ops, size_t n, unsigned int dwell_us,
		   char *err, size_t errlen)
{
	char line[64];
	size_t i;

	for (i = 0; i < n; i++) {
		line[0] = '\0';
		switch (ops[i].kind) {
		case SHL_OP_WRITE:
			if (ops[i].nq != 1) {
				snprintf(err, errlen,
					 "raw mode stores 64 bits at a time: op %zu is a 128-bit store",
					 i + 1);
				return -1;
			}
			snprintf(line, sizeof(line), "write %u 0x%llx\n", ops[i].qword,
				 (unsigned long long)ops[i].v[0]);
			break;
		case SHL_OP_SYNC:
			if (dwell_us)
				snprintf(line, sizeof(line), "sync\ndwell %u\n", dwell_us);
			else
				snprintf(line, sizeof(line), "sync\n");
			break;
		case SHL_OP_DMA_WMB:
			snprintf(line, sizeof(line), "dma_wmb\n");
			break;
		default:		/* table: information for the checker only */
			break;
		}
		if (tb_add(b, line)) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
	}
	return 0;
}

char *shl_inject_raw_text(enum shl_entry_kind kind, const struct shl_op *pro, size_t npro,
			  const struct shl_op *body, size_t nbody, unsigned int repeat,
			  unsigned int dwell_us, char *err, size_t errlen)
{
	struct textbuf b = { 0 };
	char hdr[32];

	if (errlen)
		err[0] = '\0';
	snprintf(hdr, sizeof(hdr), "entry %s\n", kind == SHL_KIND_CD ? "cd" : "ste");
	if (tb_add(&b, hdr) || raw_ops(&b, pro, npro, dwell_us, err, errlen))
		goto fail;
	snprintf(hdr, sizeof(hdr), "repeat %u\n", repeat ? repeat : 1);
	if (tb_add(&b, hdr) || raw_ops(&b, body, nbody, dwell_us, err, errlen))
		goto fail;
	return b.buf;
fail:
	if (!err[0])
		snprintf(err, errlen, "out of memory");
	free(b.buf);
	return NULL;
}

int shl_inject_parse_result(const char *text, struct shl_inject_result *out)
{
	static const char *const keys[] = {
		"conflict", "restored", "iterations", "writes", "syncs", "dwells",
		"total_ns", "ns_per_step", "ns_per_sync", "max_sync_ns",
	};
	unsigned long long *vals[] = {
		&out->conflict, &out->restored, &out->iterations, &out->writes, &out->syncs,
		&out->dwells, &out->total_ns, &out->ns_per_step, &out->ns_per_sync,
		&out->max_sync_ns,
	};
	char err[32], *end;
	size_t i;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (shl_kv_u64(text, keys[i], vals[i]))
			return -1;
	if (shl_kv_str(text, "error", err, sizeof(err)))
		return -1;
	out->error = strtoll(err, &end, 10);
	return *end || end == err ? -1 : 0;
}

int shl_inject_raw(const char *text, struct shl_inject_result *out)
{
	char path[4096], res[INJ_TEXT_MAX];
	int ret;

	inject_path(path, sizeof(path), "raw");
	ret = shl_write_text(path, text);
	if (ret)
		return ret;
	inject_path(path, sizeof(path), "result");
	ret = shl_read_text(path, res, sizeof(res));
	if (ret < 0)
		return ret;
	return shl_inject_parse_result(res, out) ? -EPROTO : 0;
}

int shl_inject_record_ctl(const char *word)
{
	char path[4096];

	inject_path(path, sizeof(path), "record");
	return shl_write_text(path, word);
}

/* ------------------------------------------------------------ recorder */

static const char *const rec_kind_names[] = { "start", "begin", "sync", "stop" };

static int rec_parse_line(char *line, struct shl_rec_snap *s)
{
	char *f[5], *save = NULL, *tok;
	unsigned long long v;
	size_t nf = 0, k;

	for (tok = strtok_r(line, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
		if (nf == 5)
			return -1;
		f[nf++] = tok;
	}
	if (nf != 5 || shl_parse_u64(f[0], &v))
		return -1;
	s->seq = v;
	if (shl_parse_u64(f[1], &v))
		return -1;
	s->ts_ns = v;
	for (k = 0; k < 4; k++)
		if (!strcmp(f[2], rec_kind_names[k]))
			break;
	if (k == 4)
		return -1;
	s->kind = (enum shl_rec_kind)k;
	if (!strcmp(f[3], "ste"))
		s->ent = SHL_KIND_STE;
	else if (!strcmp(f[3], "cd"))
		s->ent = SHL_KIND_CD;
	else
		return -1;
	return shl_entry_parse_q(f[4], SHL_ENTRY_QWORDS, &s->e, NULL, 0) ? -1 : 0;
}

int shl_rec_parse(const char *text, struct shl_rec_snap **out, size_t *n, char *err,
		  size_t errlen)
{
	size_t cap = 64, cnt = 0, lineno = 0;
	struct shl_rec_snap *arr = malloc(cap * sizeof(*arr));
	char *copy = strdup(text), *line, *save = NULL;

	if (!arr || !copy) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	for (line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		lineno++;
		if (cnt == cap) {
			struct shl_rec_snap *na = realloc(arr, cap * 2 * sizeof(*arr));

			if (!na) {
				snprintf(err, errlen, "out of memory");
				goto fail;
			}
			arr = na;
			cap *= 2;
		}
		if (rec_parse_line(line, &arr[cnt])) {
			snprintf(err, errlen, "line %zu: expected 'seq ts_ns start|begin|sync|stop ste|cd Q'",
				 lineno);
			goto fail;
		}
		cnt++;
	}
	free(copy);
	*out = arr;
	*n = cnt;
	return 0;
fail:
	free(copy);
	free(arr);
	return -1;
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

int shl_inject_record_read(char **text)
{
	struct textbuf b = { 0 };
	char path[4096], chunk[8192];
	size_t got;
	FILE *f;
	int ret = 0;

	inject_path(path, sizeof(path), "record");
	f = fopen(path, "r");
	if (!f)
		return -errno;
	if (tb_add(&b, ""))
		ret = -ENOMEM;
	while (!ret && (got = fread(chunk, 1, sizeof(chunk) - 1, f)) > 0) {
		chunk[got] = '\0';
		if (b.len + got > REC_TEXT_MAX || tb_add(&b, chunk))
			ret = -ENOMEM;
	}
	if (!ret && ferror(f))
		ret = -EIO;
	fclose(f);
	if (ret) {
		free(b.buf);
		return ret;
	}
	*text = b.buf;
	return 0;
}
