// SPDX-License-Identifier: GPL-2.0-only
/*
 * What `smmu-hil run` decides without touching the DUT (docs/scenarios.md):
 * outcomes and metrics, requires -> skip, events and DMA errors against
 * `expect`, KTAP v1 and the -j JSON result.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "smmu_hil/run.h"

int shl_run_init(struct shl_run_result *o)
{
	o->status = "pass";
	o->reason[0] = '\0';
	o->duration_s = 0;
	o->metrics = json_object_new_object();
	return o->metrics ? 0 : -ENOMEM;
}

void shl_run_free(struct shl_run_result *o)
{
	json_object_put(o->metrics);
	o->metrics = NULL;
}

void shl_run_set_status(struct shl_run_result *o, const char *status, const char *fmt, ...)
{
	va_list ap;

	o->status = status;
	va_start(ap, fmt);
	vsnprintf(o->reason, sizeof(o->reason), fmt, ap);
	va_end(ap);
}

bool shl_run_failed(const struct shl_run_result *o)
{
	return !strcmp(o->status, "fail");
}

bool shl_run_skipped(const struct shl_run_result *o)
{
	return !strcmp(o->status, "skip");
}

void shl_run_metric_int(struct shl_run_result *o, const char *k, unsigned long long v)
{
	json_object_object_add(o->metrics, k, json_object_new_int64((int64_t)v));
}

void shl_run_metric_str(struct shl_run_result *o, const char *k, const char *v)
{
	json_object_object_add(o->metrics, k, json_object_new_string(v));
}

void shl_run_metric_double(struct shl_run_result *o, const char *k, double v)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%.3f", v);
	json_object_object_add(o->metrics, k, json_object_new_double_s(v, buf));
}

/* ------------------------------------------------------------ requires */

void shl_run_metric_json(struct shl_run_result *o, const char *k, json_object *v)
{
	json_object_object_add(o->metrics, k, v);
}

/* The names of @req[@nreq] not among @feat, "A, B" into @out; how many. */
static size_t missing_of(const char (*req)[24], size_t nreq, char *const *feat, size_t nfeat,
			 char *out, size_t len)
{
	size_t i, j, n = 0, at = 0;
	int w;

	if (len)
		out[0] = '\0';
	for (i = 0; i < nreq; i++) {
		for (j = 0; j < nfeat && strcmp(feat[j], req[i]); j++)
			;
		if (j < nfeat)
			continue;
		n++;
		if (at < len) {
			w = snprintf(out + at, len - at, "%s%s", at ? ", " : "", req[i]);
			at += w > 0 ? (size_t)w : 0;
		}
	}
	return n;
}

size_t shl_run_missing(const struct shl_scenario *s, char *const *feat, size_t nfeat,
		       char *out, size_t len)
{
	return missing_of((const char (*)[24])s->requires, s->nreq, feat, nfeat, out, len);
}

size_t shl_run_item_missing(const struct shl_scn_step *st, char *const *feat, size_t nfeat,
			    char *out, size_t len)
{
	char req[SHL_SCN_MAX_ITEM_REQ + 1][24];
	size_t i, n = 0;
	bool s1p = false;

	for (i = 0; i < st->nreq; i++) {
		snprintf(req[n++], sizeof(req[0]), "%s", st->requires[i]);
		s1p |= !strcmp(st->requires[i], "S1P");
	}
	/* a CD is stage 1's: only an SMMU with stage 1 reads one (spec 5.4) */
	if (st->entry == SHL_KIND_CD && !s1p)
		snprintf(req[n++], sizeof(req[0]), "S1P");
	return missing_of((const char (*)[24])req, n, feat, nfeat, out, len);
}

bool shl_run_requires(const struct shl_scenario *s, char *const *feat, size_t nfeat,
		      struct shl_run_result *o)
{
	char missing[SHL_SCN_MAX_REQ * 26];

	if (!shl_run_missing(s, feat, nfeat, missing, sizeof(missing)))
		return false;
	shl_run_set_status(o, "skip", "the SMMU lacks %s", missing);
	return true;
}

/* -------------------------------------------------------------- events */

static const char *ev_name(unsigned int id)
{
	return shl_event_name(id) ?: "UNKNOWN";
}

void shl_run_events_add(struct shl_run_events *c, uint32_t sid, const struct shl_event *ev)
{
	c->total++;
	if (ev->sid == sid) {
		c->on_sid++;
		c->kind[ev->id]++;
	} else {
		c->other_sid++;
		c->other_kind[ev->id]++;
	}
}

void shl_run_events_metrics(struct shl_run_result *o, const struct shl_run_events *c,
			    uint32_t sid)
{
	char k[64], sidbuf[16];
	unsigned int id;

	snprintf(sidbuf, sizeof(sidbuf), "0x%x", sid);
	shl_run_metric_str(o, "sid", sidbuf);
	shl_run_metric_int(o, "events", c->total);
	shl_run_metric_int(o, "events_on_sid", c->on_sid);
	shl_run_metric_int(o, "events_other_sid", c->other_sid);
	shl_run_metric_int(o, "events_dropped", c->dropped);
	shl_run_metric_int(o, "events_overflows", c->overflows);
	for (id = 0; id < 256; id++) {
		if (c->kind[id]) {
			snprintf(k, sizeof(k), "events_%s", ev_name(id));
			shl_run_metric_int(o, k, c->kind[id]);
		}
		if (c->other_kind[id]) {
			snprintf(k, sizeof(k), "events_other_sid_%s", ev_name(id));
			shl_run_metric_int(o, k, c->other_kind[id]);
		}
	}
}

static bool count_ok(const struct shl_scn_count *k, unsigned long long have)
{
	switch (k->cmp) {
	case SHL_SCN_EQ:
		return have == k->n;
	case SHL_SCN_GE:
		return have >= k->n;
	default:
		return have <= k->n;
	}
}

static const char *cmp_text(enum shl_scn_cmp cmp)
{
	return cmp == SHL_SCN_EQ ? "" : cmp == SHL_SCN_GE ? ">=" : "<=";
}

bool shl_run_events_loss(const struct shl_run_events *c, char *out, size_t len)
{
	if (len)
		out[0] = '\0';
	if (!c->dropped && !c->overflows)
		return false;
	if (!len)
		return true;
	if (c->dropped && c->overflows)
		snprintf(out, len,
			 "event loss: %llu record(s) dropped by the event monitor's ring, %llu SMMU event-queue overflow(s)",
			 c->dropped, c->overflows);
	else if (c->dropped)
		snprintf(out, len,
			 "event loss: %llu record(s) dropped by the event monitor's ring (boot with smmu_hil_evtmon.ring_size=262144)",
			 c->dropped);
	else
		snprintf(out, len,
			 "event loss: %llu SMMU event-queue overflow(s) (the SMMU discarded records)",
			 c->overflows);
	return true;
}

void shl_run_judge_events(const struct shl_scenario *s, const struct shl_run_events *c,
			  struct shl_run_result *o)
{
	const struct shl_scn_expect *e = &s->expect;
	unsigned long long have, unexpected = 0;
	char loss[200], sep[3] = "";
	unsigned int id;
	size_t i;

	if (shl_run_events_loss(c, loss, sizeof(loss)))
		snprintf(sep, sizeof(sep), "; ");
	for (id = 0; id < 256; id++) {
		unexpected += c->other_kind[id];
		for (i = 0; i < e->nk && e->k[i].id != (int)id; i++)
			;
		if (i == e->nk)
			unexpected += c->kind[id];
	}
	shl_run_metric_int(o, "unexpected_events", unexpected);
	if (unexpected) {
		shl_run_set_status(o, "fail",
				   "%llu unexpected event(s) (%llu on the device's StreamID, %llu on others)%s%s",
				   unexpected, c->on_sid, c->other_sid, sep, loss);
		return;
	}
	for (i = 0; i < e->nk; i++) {
		have = c->kind[e->k[i].id];
		if (!count_ok(&e->k[i], have)) {
			shl_run_set_status(o, "fail",
					   "%s: %llu record(s) on the device's StreamID, expected %s%llu%s%s",
					   ev_name((unsigned int)e->k[i].id), have,
					   cmp_text(e->k[i].cmp), e->k[i].n, sep, loss);
			return;
		}
	}
	if (loss[0])
		shl_run_set_status(o, "fail", "%s, so the expectation cannot be confirmed", loss);
}

void shl_run_judge(const struct shl_scenario *s, const struct shl_run_events *c, uint32_t sid,
		   struct shl_run_result *o)
{
	if (!s->legality) {
		shl_run_events_metrics(o, c, sid);
		if (!shl_run_failed(o))
			shl_run_judge_events(s, c, o);
	}
	if (s->expect.explain[0])
		shl_run_metric_str(o, "explain", s->expect.explain);
}

void shl_run_judge_dma(const struct shl_scenario *s, unsigned long long errors,
		       unsigned long long total, struct shl_run_result *o)
{
	if (errors && !s->expect.dma_errors && !shl_run_failed(o))
		shl_run_set_status(o, "fail", "%llu of %llu edu round trips failed", errors, total);
}

void shl_run_events_seen(const struct shl_run_events *c, char *out, size_t len)
{
	size_t at = 0;
	unsigned int id;
	int w;

	if (!len)
		return;
	out[0] = '\0';
	for (id = 0; id < 256 && at < len; id++) {
		if (!c->kind[id])
			continue;
		w = snprintf(out + at, len - at, "%s%s x%llu", at ? "," : "", ev_name(id),
			     c->kind[id]);
		at += w > 0 ? (size_t)w : 0;
	}
	if (!out[0])
		snprintf(out, len, "none");
}

const char *shl_run_legality_answer(const struct shl_run_events *c)
{
	bool ste = c->kind[SHL_EVT_C_BAD_STE], cd = c->kind[SHL_EVT_C_BAD_CD];

	if (ste && cd)
		return "C_BAD_STE+C_BAD_CD";
	return ste ? "C_BAD_STE" : cd ? "C_BAD_CD" : "none";
}

bool shl_run_legality_agrees(int expected, const struct shl_run_events *c)
{
	unsigned long long ste = c->kind[SHL_EVT_C_BAD_STE], cd = c->kind[SHL_EVT_C_BAD_CD];

	if (c->dropped || c->overflows)
		return false;	/* what the SMMU raised is not known */
	if (expected == SHL_EVT_C_BAD_STE)
		return ste && !cd;
	if (expected == SHL_EVT_C_BAD_CD)
		return cd && !ste;
	return !ste && !cd;
}

/* -------------------------------------------------------------- output */

int shl_run_exit_code(const struct shl_run_result *o, size_t n)
{
	size_t i, skipped = 0;

	for (i = 0; i < n; i++) {
		if (shl_run_failed(&o[i]))
			return 1;
		skipped += shl_run_skipped(&o[i]);
	}
	return n && skipped == n ? 4 : 0;
}

/* LAVA units of a metric, from its name's suffix; NULL: a plain count. */
static const char *lava_units(const char *metric)
{
	static const char *const map[][2] = {
		{ "_per_s", "per_s" }, { "_ms", "ms" }, { "_s", "s" }, { "_pct", "pct" },
		{ "_mbps", "Mbit_s" }, { "_mib", "MiB" },
	};
	size_t n = strlen(metric), i, l;

	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		l = strlen(map[i][0]);
		if (n > l && !strcmp(metric + n - l, map[i][0]))
			return map[i][1];
	}
	return NULL;
}

void shl_run_lava_result(FILE *f, const char *name, const struct shl_run_result *o)
{
	const char *units, *c;
	bool set = false;

	if (o->reason[0]) {
		/* the reason on the console, single-quoted for sh */
		fprintf(f, "echo 'smmu-hil: %s: %s: ", name, o->status);
		for (c = o->reason; *c; c++) {
			if (*c == '\'')
				fputs("'\\''", f);
			else
				fputc(*c == '\n' ? ' ' : *c, f);
		}
		fputs("'\n", f);
	}
	fprintf(f, "lava-test-case %s --result %s --measurement %.3f --units s\n", name, o->status,
		o->duration_s);
	if (!o->metrics)
		return;
	json_object_object_foreach(o->metrics, k, v) {
		if (!json_object_is_type(v, json_type_int) && !json_object_is_type(v, json_type_double))
			continue;
		if (!set)
			fprintf(f, "lava-test-set start %s\n", name);
		set = true;
		units = lava_units(k);
		fprintf(f, "lava-test-case %s --result %s --measurement %s%s%s\n", k, o->status,
			json_object_get_string(v), units ? " --units " : "", units ? units : "");
	}
	if (set)
		fprintf(f, "lava-test-set stop %s\n", name);
}

json_object *shl_run_test_json(const char *name, const struct shl_run_result *o)
{
	json_object *t = json_object_new_object();

	if (!t)
		return NULL;
	json_object_object_add(t, "name", json_object_new_string(name));
	json_object_object_add(t, "status", json_object_new_string(o->status));
	json_object_object_add(t, "duration_s", json_object_new_double(o->duration_s));
	json_object_object_add(t, "reason", o->reason[0] ? json_object_new_string(o->reason) : NULL);
	json_object_object_add(t, "metrics", json_object_get(o->metrics));
	return t;
}
