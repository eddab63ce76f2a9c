// SPDX-License-Identifier: GPL-2.0-only
/*
 * The scenario executor of `smmu-hil run` (runner.h, docs/scenarios.md):
 * resolves the scenario's device, clears the event ring, runs driver mode
 * (moves among domains through the kernel, dut_domain.c) or raw mode
 * (planned STE/CD sequences stored through smmu_hil_inject, dut_inject.c),
 * reads the events back and judges the outcome with run_eval.c. All state
 * lives in struct shl_run_ctx; nothing here prints.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <uapi/smmu_hil.h>

#include "smmu_hil/check.h"
#include "smmu_hil/dut.h"
#include "smmu_hil/event.h"
#include "smmu_hil/inject.h"
#include "smmu_hil/plan.h"
#include "smmu_hil/profile.h"
#include "smmu_hil/rules.h"
#include "smmu_hil/run.h"
#include "smmu_hil/runner.h"
#include "smmu_hil/scenario.h"

#define EVT_BATCH	1024

struct shl_run_ctx *shl_run_ctx_new(bool force)
{
	struct shl_run_ctx *ctx = calloc(1, sizeof(*ctx));

	if (!ctx)
		return NULL;
	shl_dev_guard_init(&ctx->guard, force);
	if (shl_dut_features(&ctx->feat, &ctx->nfeat)) {
		free(ctx);
		return NULL;
	}
	return ctx;
}

void shl_run_ctx_free(struct shl_run_ctx *ctx)
{
	if (!ctx)
		return;
	shl_strv_free(ctx->feat, ctx->nfeat);
	free(ctx);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ------------------------------------------------------------- events */

static int events_collect(uint32_t sid, struct shl_run_events *c)
{
	struct shl_evt_rec *recs = malloc(EVT_BATCH * sizeof(*recs));
	struct shl_evt_stats st;
	struct shl_event ev;
	long n, i;

	memset(c, 0, sizeof(*c));
	if (!recs)
		return -ENOMEM;
	while ((n = shl_events_read(recs, EVT_BATCH)) > 0) {
		for (i = 0; i < n; i++) {
			shl_event_decode(recs[i].evt, &ev);
			shl_run_events_add(c, sid, &ev);
		}
	}
	free(recs);
	if (n < 0)
		return (int)n;
	if (!shl_events_stats(&st)) {
		c->dropped = st.dropped;
		c->overflows = st.overflows;
	}
	return 0;
}

/* ------------------------------------------------------------- driver */

static int driver_dom(enum shl_scn_named n)
{
	switch (n) {
	case SHL_SCN_IDENTITY:
	case SHL_SCN_BYPASS:
		return SHL_DOM_IDENTITY;
	case SHL_SCN_DMA:
	case SHL_SCN_S1:
		return SHL_DOM_DMA;
	case SHL_SCN_PAGING:
		return SHL_DOM_PAGING;
	case SHL_SCN_BLOCKED:
		return SHL_DOM_BLOCKED;
	default:
		return -1;
	}
}

/*
 * The recorder's distinct driver updates as metrics and, on writer kernels,
 * the kernel-vs-oracle table (metric kernel_vs_oracle); 0, or -1 on failure.
 */
static int recorder_metrics(struct shl_run_result *o)
{
	struct shl_inject_entry ste;
	struct shl_profile p;
	json_object *rep, *dist, *x;
	struct shl_rec_log log = { 0 };
	char err[300], k[32], v[400];
	long long unexplained = 0;
	int ret, worst;
	size_t j;

	ret = shl_inject_record_ctl("stop");
	if (!ret)
		ret = shl_inject_read_entry(SHL_KIND_STE, &ste);
	if (!ret)
		ret = shl_inject_record_read(&log);
	if (ret) {
		shl_run_set_status(o, "fail", "recorder: %s", strerror(-ret));
		return -1;
	}
	/* a stop always leaves a snapshot, unless the ring had filled up */
	for (j = log.n; j > 0 && log.s[j - 1].kind != SHL_REC_STOP; j--)
		;
	if (!j) {
		shl_run_set_status(o, "fail", "recorder: its ring filled up after %zu snapshots, later driver updates were lost (load smmu_hil_inject with a larger rec_size, up to 65536)",
				   log.n);
		shl_rec_log_free(&log);
		return -1;
	}
	if (shl_dut_profile(NULL, &p, err, sizeof(err))) {
		shl_rec_log_free(&log);
		shl_run_set_status(o, "fail", "profile: %s", err);
		return -1;
	}
	rep = shl_inject_record_report(&p, &log, ste.update_safe, &worst, err, sizeof(err));
	shl_rec_log_free(&log);
	if (!rep) {
		shl_run_set_status(o, "fail", "recorder: %s", err);
		return -1;
	}
	dist = json_object_object_get(rep, "distinct");
	shl_run_metric_str(o, "profile", p.name);
	shl_run_metric_int(o, "recorded_snapshots",
		   (unsigned long long)json_object_get_int64(json_object_object_get(rep, "snapshots")));
	shl_run_metric_int(o, "recorded_updates",
		   json_object_array_length(json_object_object_get(rep, "updates")));
	shl_run_metric_int(o, "distinct_sequences", json_object_array_length(dist));
	for (j = 0; j < json_object_array_length(dist); j++) {
		x = json_object_array_get_idx(dist, j);
		snprintf(k, sizeof(k), "sequence_%zu", j + 1);
		snprintf(v, sizeof(v), "%s x%d: %s (e.g. %s -> %s)",
			 json_object_get_string(json_object_object_get(x, "shape")),
			 json_object_get_int(json_object_object_get(x, "count")),
			 json_object_get_string(json_object_object_get(x, "verdict")),
			 json_object_get_string(json_object_object_get(
				 json_object_object_get(x, "example"), "initial")),
			 json_object_get_string(json_object_object_get(
				 json_object_object_get(x, "example"), "final")));
		shl_run_metric_str(o, k, v);
	}
	if (ste.writer) {
		unexplained = json_object_get_int64(json_object_object_get(rep, "unexplained"));
		shl_run_metric_str(o, "writer", ste.update_safe ?
				   "arm_smmu_write_entry, update-safe bits" : "arm_smmu_write_entry");
		shl_run_metric_int(o, "oracle_compared", (unsigned long long)json_object_get_int64(
					   json_object_object_get(rep, "compared")));
		shl_run_metric_int(o, "oracle_differences", (unsigned long long)json_object_get_int64(
					   json_object_object_get(rep, "differences")));
		shl_run_metric_int(o, "oracle_unexplained", (unsigned long long)unexplained);
		shl_run_metric_int(o, "oracle_transitions", json_object_array_length(
					   json_object_object_get(rep, "kernel_vs_oracle")));
		json_object_object_add(o->metrics, "kernel_vs_oracle",
				       json_object_get(json_object_object_get(rep, "kernel_vs_oracle")));
		/* per store (docs/injector.md "Every store"); the barrier witness (docs/bugs.md) */
		shl_run_metric_int(o, "oracle_store_findings", (unsigned long long)
				   json_object_get_int64(json_object_object_get(rep, "store_findings")));
		x = json_object_object_get(rep, "barrier_witness");
		snprintf(v, sizeof(v), "%lld calls stored: %lld ordered, %lld late, %lld missing",
			 (long long)json_object_get_int64(json_object_object_get(x, "calls")),
			 (long long)json_object_get_int64(json_object_object_get(x, "ordered")),
			 (long long)json_object_get_int64(json_object_object_get(x, "late")),
			 (long long)json_object_get_int64(json_object_object_get(x, "missing")));
		shl_run_metric_str(o, "barrier_witness", v);
	}
	json_object_put(rep);
	if (worst == 2)
		shl_run_set_status(o, "fail", "the oracle could not judge a recorded update");
	else if (unexplained)
		shl_run_set_status(o, "fail", "%lld recorded driver update(s) differ from the oracle's plan without an explanation (see kernel_vs_oracle)",
				   unexplained);
	else if (worst == 1)
		shl_run_set_status(o, "fail", "a recorded driver update is not safe by the oracle (see the sequence_N metrics; per store: oracle_store_findings)");
	return 0;
}

static void run_driver(const struct shl_scenario *s, const struct shl_dev *dev,
		       struct shl_run_result *o)
{
	const char *bdf = dev->bdf;
	unsigned long long moves = 0, per[SHL_DOM_NR] = { 0 }, rts = 0, dma_err = 0, r;
	enum shl_dom dom[SHL_SCN_MAX_STEPS], start;
	struct shl_edu_roundtrip rt;
	char cur[32];
	double t0, el;
	size_t i;
	int d, ret;

	for (i = 0; i < s->nsteps; i++) {
		d = driver_dom(s->steps[i].named);
		if (d < 0) {
			shl_run_set_status(o, "skip", "driver mode: this kernel offers no '%s' domain to move %s into",
				   shl_scn_named_name(s->steps[i].named), bdf);
			return;
		}
		if (d == SHL_DOM_BLOCKED && shl_edu_has_blocked(bdf) != 1) {
			shl_run_set_status(o, "skip", "driver mode: this kernel offers no 'blocked' domain to move %s into (arm-smmu-v3 has one from Linux 6.9)",
					   bdf);
			return;
		}
		dom[i] = (enum shl_dom)d;
	}
	ret = shl_dom_current(bdf, cur, sizeof(cur));
	if (ret) {
		shl_run_set_status(o, "fail", "%s: cannot tell its domain: %s", bdf, strerror(-ret));
		return;
	}
	start = shl_dom_classify(cur);
	if (s->record) {
		ret = shl_inject_record_ctl("clear");
		if (!ret)
			ret = shl_inject_record_ctl("start");
		if (ret) {
			shl_run_set_status(o, "fail", "recorder: %s%s", strerror(-ret),
				   ret == -ENOENT ? " (insmod smmu_hil_inject.ko)" : "");
			return;
		}
	}
	t0 = now_s();
	for (r = 0; r < s->repeat; r++) {
		for (i = 0; i < s->nsteps; i++) {
			if (shl_dom_current(bdf, cur, sizeof(cur)) == 0 &&
			    shl_dom_classify(cur) == dom[i])
				continue;
			ret = shl_dom_set(bdf, dom[i]);
			if (ret) {
				shl_run_set_status(o, "fail", "move %llu to %s failed: %s", moves + 1,
					   shl_dom_name(dom[i]), strerror(-ret));
				goto out;
			}
			moves++;
			per[dom[i]]++;
			/* no DMA is translated in the blocked domain: none is checked */
			if ((s->workloads & SHL_SCN_WL_EDU_DMA) && dev->kind == SHL_DEV_EDU &&
			    dom[i] != SHL_DOM_BLOCKED && moves % s->dma_every == 0) {
				rts++;
				ret = shl_edu_roundtrip(bdf, s->dma_len, 1, &rt);
				if (ret || rt.errors || rt.transfers != 1)
					dma_err++;
			}
		}
	}
out:
	el = now_s() - t0;
	if (start != SHL_DOM_OTHER)
		shl_dom_set(bdf, start);
	shl_run_metric_int(o, "transitions", moves);
	for (d = 0; d < SHL_DOM_OTHER; d++) {
		char k[32];

		snprintf(k, sizeof(k), "to_%s", shl_dom_name((enum shl_dom)d));
		shl_run_metric_int(o, k, per[d]);
	}
	shl_run_metric_double(o, "transitions_s", el);
	shl_run_metric_double(o, "rate_per_s", el > 0 ? (double)moves / el : 0);
	shl_run_metric_int(o, "dma_roundtrips", rts);
	shl_run_metric_int(o, "dma_errors", dma_err);
	if (s->record && recorder_metrics(o))
		return;
	shl_run_judge_dma(s, dma_err, rts, o);
}

/* ---------------------------------------------------------------- raw */

static int set_field(struct shl_entry *e, const char *name, uint64_t v)
{
	const struct shl_field *f = shl_field_find(SHL_KIND_STE, name);

	return f ? shl_field_store(e, f, v) : -1;
}

/*
 * The stage-2 half of an s2/nested STE, over the live STE @e: empty tables
 * (the injector's one zeroed page) for a 39-bit IPA space, so the level-1
 * table is that one page (a 40-bit space at level 1 concatenates two pages,
 * and the second is not the injector's). S2VMID stays the live STE's (an S1
 * STE uses it, 5.2 and the driver's used bits): Config is then the only
 * in-use field that changes, as when the driver moves a domain, and a move
 * from the driver's S1 STE can be hitless.
 */
static int set_s2(struct shl_entry *e, uint64_t zero_table)
{
	return set_field(e, "S2T0SZ", 25) |
	       set_field(e, "S2SL0", 1) | set_field(e, "S2IR0", 1) | set_field(e, "S2OR0", 1) |
	       set_field(e, "S2SH0", 3) | set_field(e, "S2TG", 0) | set_field(e, "S2PS", 2) |
	       set_field(e, "S2AA64", 1) | set_field(e, "S2R", 1) |
	       set_field(e, "S2TTB", zero_table);
}

/*
 * Clear the stage-1 fields of STE @e (a Config S2 entry sets no bits its
 * config does not use, as the driver's S2 STEs: arm_smmu_make_s2_domain_ste).
 */
static int clear_s1(struct shl_entry *e)
{
	static const char *const s1[] = { "S1Fmt", "S1ContextPtr", "S1CDMax", "S1DSS", "S1CIR",
					  "S1COR", "S1CSH", "S1STALLD", "STRW" };
	size_t i;
	int ret = 0;

	for (i = 0; i < sizeof(s1) / sizeof(s1[0]); i++)
		ret |= set_field(e, s1[i], 0);
	return ret;
}

static uint64_t get_field(const struct shl_entry *e, const char *name)
{
	return shl_field_value(e, shl_field_find(SHL_KIND_STE, name));
}

/*
 * Whether the start-level table of stage-2 STE @e fits the injector's one
 * 4 KiB zero page: a 4 KiB granule (S2TG 0; start level 2 - S2SL0) whose
 * start level resolves at most 9 bits of the IPA (no concatenated tables).
 */
static bool s2_start_table_is_one_page(const struct shl_entry *e)
{
	unsigned int t0sz = (unsigned int)get_field(e, "S2T0SZ");
	unsigned int sl0 = (unsigned int)get_field(e, "S2SL0");
	unsigned int below;

	if (get_field(e, "S2TG") != 0 || sl0 > 2 || t0sz > 64)
		return false;
	below = 12 + 9 * (3 - (2 - sl0));	/* IPA bits the levels below resolve */
	return 64 - t0sz <= below + 9;
}

int shl_run_stage2_ste(const struct shl_entry *live, uint64_t zero_table, bool nested,
		       struct shl_entry *out)
{
	*out = *live;
	if (nested)
		return set_field(out, "Config", 7) | set_s2(out, zero_table);
	if (get_field(live, "Config") == 6) {
		/* the driver's own stage 2: only its tables change (one in-use qword) */
		if (!s2_start_table_is_one_page(live))
			return -1;
		return set_field(out, "S2TTB", zero_table);
	}
	return clear_s1(out) | set_field(out, "Config", 6) | set_s2(out, zero_table);
}

/* Build step @st's entry from the live entries. Returns 0, or -1 with @why. */
static int raw_target(const struct shl_scenario *s, const struct shl_scn_step *st,
		      const struct shl_inject_entry *ste, const struct shl_inject_entry *live,
		      struct shl_entry *out, char *why, size_t len)
{
	unsigned int cfg;
	size_t i;
	uint64_t v;

	*out = live->e;
	if (st->kind == SHL_SCN_STEP_PAIR) {
		*out = st->to;
		return 0;
	}
	if (st->kind == SHL_SCN_STEP_FIELDS) {
		for (i = 0; i < st->nf; i++) {
			v = st->f[i].sym == SHL_SCN_SHADOW_CD ? ste->shadow_cd :
			    st->f[i].sym == SHL_SCN_ZERO_TABLE ? ste->zero_table : st->f[i].value;
			if (shl_field_store(out, st->f[i].f, v)) {
				snprintf(why, len, "line %u: %s = 0x%llx does not fit", st->line,
					 st->f[i].f->name, (unsigned long long)v);
				return -1;
			}
		}
		return 0;
	}
	cfg = (unsigned int)shl_field_value(&live->e, shl_field_find(SHL_KIND_STE, "Config"));
	switch (st->named) {
	case SHL_SCN_ABORT:
		return set_field(out, "Config", 0);
	case SHL_SCN_BYPASS:
		return set_field(out, "Config", 4);
	case SHL_SCN_S1:
		if (cfg != 5) {
			snprintf(why, len, "line %u: s1 is the driver's own S1 STE, but the live STE is %s",
				 st->line, shl_inject_config_name(SHL_KIND_STE, &live->e));
			return -1;
		}
		return 0;
	case SHL_SCN_S2:
		if (shl_run_stage2_ste(&live->e, ste->zero_table, false, out)) {
			snprintf(why, len, "line %u: s2: the live %s STE's stage 2 starts with more "
				 "than the injector's one 4 KiB table", st->line,
				 shl_inject_config_name(SHL_KIND_STE, &live->e));
			return -1;
		}
		return 0;
	case SHL_SCN_NESTED:
		if (cfg != 5) {
			snprintf(why, len, "line %u: nested keeps the driver's S1 half, but the live STE is %s",
				 st->line, shl_inject_config_name(SHL_KIND_STE, &live->e));
			return -1;
		}
		return shl_run_stage2_ste(&live->e, ste->zero_table, true, out);
	default:
		snprintf(why, len, "line %u: %s is not a raw entry", st->line,
			 shl_scn_named_name(st->named));
		return -1;
	}
	(void)s;
}

/* Stores taking @a to @b: other qwords first, qword 0 last, one sync. */
static size_t direct_ops(const struct shl_entry *a, const struct shl_entry *b, bool q0_last,
			 struct shl_op *ops)
{
	size_t n = 0;
	int i, q;

	for (i = 0; i < SHL_ENTRY_QWORDS; i++) {
		q = q0_last ? (i + 1) % SHL_ENTRY_QWORDS : i;
		if (a->q[q] == b->q[q])
			continue;
		memset(&ops[n], 0, sizeof(ops[n]));
		ops[n].kind = SHL_OP_WRITE;
		ops[n].qword = (unsigned int)q;
		ops[n].nq = 1;
		ops[n++].v[0] = b->q[q];
	}
	memset(&ops[n], 0, sizeof(ops[n]));
	ops[n++].kind = SHL_OP_SYNC;
	return n;
}

static int edu_loop(const char *bdf, bool start, unsigned int len,
		    unsigned long long *transfers, unsigned long long *errors)
{
	struct shl_edu_loop res;
	int ret = shl_edu_loop(bdf, start, len, &res);

	if (!ret && !start) {
		*transfers = res.transfers;
		*errors = res.errors;
	}
	return ret;
}

static int raw_apply(enum shl_entry_kind kind, const struct shl_op *pro, size_t npro,
		     const struct shl_op *body, size_t nbody, unsigned long long repeat,
		     unsigned long long dwell_us, struct shl_inject_result *res, char *why, size_t len)
{
	struct smmu_hil_inj_seq *seq = shl_inject_raw_encode(kind, pro, npro, body, nbody,
							     (unsigned int)repeat,
							     (unsigned int)dwell_us, why, len);
	int ret;

	if (!seq)
		return -1;
	ret = shl_inject_raw(seq, res);
	free(seq);
	if (ret) {
		snprintf(why, len, "the injector refused the sequence: %s", strerror(-ret));
		return -1;
	}
	if (res->error) {
		snprintf(why, len, "the injector stopped with error %lld", res->error);
		return -1;
	}
	return 0;
}

/* A corpus item as written: "s2 + S2T0SZ=0x28 S2SL0=0", "cd + AA64=0", "abort". */
static void item_label(const struct shl_scn_step *st, char *out, size_t len)
{
	size_t at, i;
	int w;

	if (st->kind == SHL_SCN_STEP_NAMED) {
		snprintf(out, len, "%s", shl_scn_named_name(st->named));
		return;
	}
	w = snprintf(out, len, "%s", st->entry == SHL_KIND_CD ? "cd" :
		     st->has_base ? shl_scn_named_name(st->base) : "live ste");
	at = w > 0 ? (size_t)w : 0;
	for (i = 0; i < st->nf && at < len; i++) {
		if (st->f[i].sym == SHL_SCN_LIT)
			w = snprintf(out + at, len - at, "%s%s=%#llx", i ? " " : " + ",
				     st->f[i].f->name, (unsigned long long)st->f[i].value);
		else
			w = snprintf(out + at, len - at, "%s%s=%s", i ? " " : " + ",
				     st->f[i].f->name,
				     st->f[i].sym == SHL_SCN_SHADOW_CD ? "shadow_cd" : "zero_table");
		at += w > 0 ? (size_t)w : 0;
	}
}

/* A corpus item's entry: its base (or the live entry of its kind) with its fields. */
static int legality_target(const struct shl_scenario *s, const struct shl_scn_step *st,
			   const struct shl_inject_entry *ste, const struct shl_inject_entry *cd,
			   struct shl_entry *out, char *why, size_t len)
{
	struct shl_scn_step b = { .kind = SHL_SCN_STEP_NAMED, .line = st->line };
	struct shl_inject_entry base = *ste;

	if (st->entry == SHL_KIND_CD) {
		if (!cd->present) {
			snprintf(why, len, "line %u: the device's STE locates no CD", st->line);
			return -1;
		}
		return raw_target(s, st, ste, cd, out, why, len);
	}
	if (st->kind == SHL_SCN_STEP_FIELDS && st->has_base) {
		b.named = st->base;
		if (raw_target(s, &b, ste, ste, &base.e, why, len))
			return -1;
	}
	return raw_target(s, st, ste, &base, out, why, len);
}

/*
 * The bytes an SMMU reads from a table base of @e when it first walks: the
 * stage-2 initial table block of an STE, the larger TTBx table of a CD. A
 * legal corpus item is only written when that fits the injector's zeroed
 * region (SMMU_HIL_INJ_ZERO_TABLE_BYTES, aligned to its size), or the SMMU
 * would read (and use as descriptors) the memory around it.
 */
static uint64_t legality_walk_bytes(const struct shl_profile *p, enum shl_entry_kind kind,
				    const struct shl_entry *e)
{
	uint64_t t0, t1;

	if (kind == SHL_KIND_STE)
		return shl_ste_s2_table_bytes(p, e);
	t0 = shl_cd_table_bytes(p, e, 0);
	t1 = shl_cd_table_bytes(p, e, 1);
	return t0 > t1 ? t0 : t1;
}

/* One corpus row: the entry_N text and the conformance table's object. */
static void legality_row(struct shl_run_result *o, json_object *table, size_t n,
			 const struct shl_scn_step *st, const char *label, const char *verdict,
			 const char *oracle, enum shl_rule rule, const char *smmu,
			 const char *events, const char *reason)
{
	json_object *r = json_object_new_object();
	char k[32], v[900];

	snprintf(k, sizeof(k), "entry_%zu", n);
	if (reason)
		snprintf(v, sizeof(v), "%s: %s (line %u): %s", verdict, label, st->line, reason);
	else
		snprintf(v, sizeof(v), "%s: %s (line %u): oracle %s%s%s%s, SMMU %s (%s)",
			 verdict, label, st->line, oracle, rule ? " (" : "",
			 rule ? shl_rule_name(rule) : "", rule ? ")" : "", smmu, events);
	shl_run_metric_str(o, k, v);
	json_object_object_add(r, "n", json_object_new_int((int)n));
	json_object_object_add(r, "line", json_object_new_int((int)st->line));
	json_object_object_add(r, "entry", json_object_new_string(shl_kind_name(st->entry)));
	json_object_object_add(r, "item", json_object_new_string(label));
	json_object_object_add(r, "oracle", oracle ? json_object_new_string(oracle) : NULL);
	json_object_object_add(r, "rule", rule ? json_object_new_string(shl_rule_name(rule)) : NULL);
	json_object_object_add(r, "smmu", smmu ? json_object_new_string(smmu) : NULL);
	json_object_object_add(r, "events", events ? json_object_new_string(events) : NULL);
	json_object_object_add(r, "verdict", json_object_new_string(verdict));
	json_object_object_add(r, "reason", reason ? json_object_new_string(reason) : NULL);
	json_object_array_add(table, r);
}

/*
 * legality: each corpus item on its own (docs/scenarios.md "Legality
 * corpus"), the configuration error the SMMU raises against the oracle's
 * prediction under the DUT's own profile.
 */
static void run_legality(struct shl_run_ctx *ctx, const struct shl_scenario *s,
			 const struct shl_inject_entry *ste, uint32_t sid, struct shl_run_result *o)
{
	struct shl_op ops[2 * (SHL_ENTRY_QWORDS + 1)];
	unsigned long long agree = 0, disagree = 0, skipped = 0, lost = 0;
	json_object *table = json_object_new_array();
	struct shl_inject_entry cd, live;
	struct shl_inject_result res;
	struct shl_cd_ctx cdctx;
	struct shl_profile p;
	struct shl_run_events c;
	struct shl_entry target;
	enum shl_rule bad;
	char why[300], label[400], seen[320], loss[200], missing[SHL_SCN_MAX_ITEM_REQ * 26];
	const char *oracle, *smmu;
	bool qemu = shl_dut_is_qemu();
	uint64_t walk;
	int expected;
	size_t i, n;

	if (shl_dut_profile(NULL, &p, why, sizeof(why))) {
		json_object_put(table);
		shl_run_set_status(o, "fail", "profile: %s", why);
		return;
	}
	if (shl_inject_read_entry(SHL_KIND_CD, &cd))
		cd.present = false;
	shl_cd_ctx_from_ste(&p, &ste->e, &cdctx);
	shl_run_metric_str(o, "profile", p.name);
	for (i = 0; i < s->nsteps; i++) {
		const struct shl_scn_step *st = &s->steps[i];

		item_label(st, label, sizeof(label));
		if (shl_run_item_missing(st, ctx->feat, ctx->nfeat, missing, sizeof(missing))) {
			snprintf(why, sizeof(why), "the SMMU lacks %s", missing);
			legality_row(o, table, i + 1, st, label, "skip", NULL, 0, NULL, NULL, why);
			skipped++;
			continue;
		}
		if (qemu && st->skip_qemu[0]) {
			snprintf(why, sizeof(why), "not written on QEMU: %s", st->skip_qemu);
			legality_row(o, table, i + 1, st, label, "skip", NULL, 0, NULL, NULL, why);
			skipped++;
			continue;
		}
		if (legality_target(s, st, ste, &cd, &target, why, sizeof(why))) {
			legality_row(o, table, i + 1, st, label, "error", NULL, 0, NULL, NULL, why);
			disagree++;
			continue;
		}
		if (st->entry == SHL_KIND_CD) {
			bad = shl_cd_bad(&p, &cdctx, &target);
			expected = bad ? SHL_EVT_C_BAD_CD : 0;
			live = cd;
		} else {
			bad = shl_ste_bad(&p, &target);
			expected = bad ? SHL_EVT_C_BAD_STE : 0;
			live = *ste;
		}
		oracle = bad ? shl_entry_ops(st->entry)->bad_event : "none";
		walk = legality_walk_bytes(&p, st->entry, &target);
		if (!bad && walk > SMMU_HIL_INJ_ZERO_TABLE_BYTES) {
			snprintf(why, sizeof(why),
				 "not written: its first table walk reads %llu bytes from the table base (aligned down to that size), the injector's zeroed tables are %u bytes",
				 (unsigned long long)walk, SMMU_HIL_INJ_ZERO_TABLE_BYTES);
			legality_row(o, table, i + 1, st, label, "skip", NULL, 0, NULL, NULL, why);
			skipped++;
			continue;
		}
		n = direct_ops(&live.e, &target, true, ops);
		n += direct_ops(&target, &live.e, false, ops + n);
		shl_events_clear();
		if (raw_apply(st->entry, NULL, 0, ops, n, s->repeat, s->dwell_us, &res, why,
			      sizeof(why))) {
			legality_row(o, table, i + 1, st, label, "error", oracle, bad, NULL, NULL,
				     why);
			disagree++;
			continue;
		}
		events_collect(sid, &c);
		shl_run_events_seen(&c, seen, sizeof(seen));
		if (shl_run_events_loss(&c, loss, sizeof(loss))) {
			lost += c.dropped + c.overflows;
			snprintf(seen + strlen(seen), sizeof(seen) - strlen(seen), "; %s", loss);
		}
		smmu = shl_run_legality_answer(&c);
		if (shl_run_legality_agrees(expected, &c)) {
			agree++;
			legality_row(o, table, i + 1, st, label, "agree", oracle, bad, smmu, seen,
				     NULL);
		} else {
			disagree++;
			legality_row(o, table, i + 1, st, label, "DISAGREE", oracle, bad, smmu, seen,
				     NULL);
		}
	}
	shl_run_metric_int(o, "entries", s->nsteps);
	shl_run_metric_int(o, "agreements", agree);
	shl_run_metric_int(o, "disagreements", disagree);
	shl_run_metric_int(o, "skipped_entries", skipped);
	shl_run_metric_int(o, "events_lost", lost);
	shl_run_metric_json(o, "conformance", table);
	if (lost)
		shl_run_set_status(o, "fail",
				   "event loss: %llu record(s) dropped or SMMU event-queue overflow(s) while judging the corpus",
				   lost);
	else if (disagree && s->fail_on_disagreement)
		shl_run_set_status(o, "fail", "%llu disagreement(s) between the SMMU and the oracle", disagree);
}

static void run_raw(struct shl_run_ctx *ctx, const struct shl_scenario *s, const struct shl_dev *dev,
		    uint32_t sid, struct shl_run_result *o, struct shl_run_events *c)
{
	struct shl_op *pro = ctx->pro, *body = ctx->body;
	struct shl_entry *targets = ctx->targets, from;
	unsigned long long transitions, xfers = 0, xerr = 0;
	struct shl_inject_entry ste, live;
	struct shl_inject_result res;
	struct shl_plan plan;
	struct shl_profile p;
	size_t i, npro = 0, nbody = 0, n0;
	const char *label;
	char why[300], k[32], v[700];
	json_object *d;
	const char *bdf = dev->bdf;
	bool loop = (s->workloads & SHL_SCN_WL_EDU_DMA) && dev->kind == SHL_DEV_EDU;
	int ret;

	ret = shl_inject_read_entry(SHL_KIND_STE, &ste);
	if (!ret)
		ret = shl_inject_read_entry(s->entry, &live);
	if (ret) {
		shl_run_set_status(o, "fail", "injector: %s%s", strerror(-ret),
			   ret == -ENOENT ? " (insmod smmu_hil_inject.ko allow_raw=1)" : "");
		return;
	}
	if (strcmp(ste.bdf, bdf)) {
		shl_run_set_status(o, "fail", "the injector claimed %s, the scenario's device is %s (rmmod smmu_hil_inject; insmod smmu_hil_inject.ko allow_raw=1 bdf=%s)",
				   ste.bdf, bdf, bdf);
		return;
	}
	if (!ste.shadow_cd) {
		shl_run_set_status(o, "fail", "raw mode is off: load smmu_hil_inject with allow_raw=1");
		return;
	}
	if (!live.present) {
		shl_run_set_status(o, "skip", "the device's STE locates no CD: no CD to update");
		return;
	}
	if (sid != ste.sid)
		sid = ste.sid;
	for (i = 0; i < s->nsteps && !s->legality; i++)
		if (raw_target(s, &s->steps[i], &ste, &live, &targets[i], why, sizeof(why))) {
			shl_run_set_status(o, "skip", "%s", why);
			return;
		}
	if (loop && (ret = edu_loop(bdf, true, s->dma_len, NULL, NULL))) {
		shl_run_set_status(o, "fail", "edu loop start: %s", strerror(-ret));
		return;
	}
	shl_events_clear();
	if (s->legality) {
		run_legality(ctx, s, &ste, sid, o);
		goto stop;
	}
	if (shl_dut_profile(NULL, &p, why, sizeof(why))) {
		shl_run_set_status(o, "fail", "profile: %s", why);
		goto stop;
	}
	from = live.e;
	if (s->steps[0].kind == SHL_SCN_STEP_PAIR) {
		from = s->steps[0].from;
		if (memcmp(&from, &live.e, sizeof(from)))
			shl_inject_plan_ops(s->entry, &live.e, &from, &plan, pro, &npro);
	}
	/* from -> t1 -> ... -> tn -> from */
	targets[s->nsteps] = from;
	for (i = 0; i <= s->nsteps; i++) {
		const struct shl_entry *a = i ? &targets[i - 1] : &from;

		n0 = nbody;
		shl_inject_plan_ops(s->entry, a, &targets[i], &plan, body, &nbody);
		d = shl_inject_direction_json(s->entry, &p, &ste.e, a, &targets[i], body + n0,
					      nbody - n0, &plan, &label, why, sizeof(why));
		snprintf(k, sizeof(k), "update_%zu", i + 1);
		snprintf(v, sizeof(v), "%s -> %s: %s, %d sync(s)%s, oracle %s",
			 json_object_get_string(json_object_object_get(d, "from_config")),
			 json_object_get_string(json_object_object_get(d, "to_config")),
			 json_object_get_string(json_object_object_get(d, "path")),
			 json_object_get_int(json_object_object_get(d, "syncs")),
			 plan.path != SHL_PATH_BREAKING && !plan.hitless ?
			 ", not hitless (a sync sees qword 0 = 0)" : "",
			 label ? label : why);
		shl_run_metric_str(o, k, v);
		json_object_put(d);
	}
	shl_run_metric_str(o, "profile", p.name);
	if (raw_apply(s->entry, pro, npro, body, nbody, s->repeat, s->dwell_us, &res, why,
		      sizeof(why))) {
		shl_run_set_status(o, "fail", "%s", why);
		goto stop;
	}
	transitions = (s->nsteps + 1) * s->repeat;
	if (res.iterations < s->repeat)
		transitions = (s->nsteps + 1) * res.iterations;
	shl_run_metric_int(o, "transitions", transitions);
	shl_run_metric_int(o, "syncs", res.syncs);
	shl_run_metric_int(o, "writes", res.writes);
	shl_run_metric_double(o, "transitions_s", (double)res.total_ns / 1e9);
	shl_run_metric_double(o, "rate_per_s", res.total_ns ? (double)transitions * 1e9 / (double)res.total_ns : 0);
	shl_run_metric_int(o, "ns_per_sync", res.ns_per_sync);
	shl_run_metric_int(o, "max_sync_ns", res.max_sync_ns);
	shl_run_metric_int(o, "dwell_us", s->dwell_us);
	shl_run_metric_int(o, "restored", res.restored);
	if (res.conflict)
		shl_run_set_status(o, "fail", "the driver rewrote the STE during the sequence (stopped early)");
stop:
	events_collect(sid, c);
	if (loop) {
		ret = edu_loop(bdf, false, 0, &xfers, &xerr);
		if (ret && !shl_run_failed(o))
			shl_run_set_status(o, "fail", "edu loop stop: %s", strerror(-ret));
		shl_run_metric_int(o, "dma_roundtrips", xfers + xerr);
		shl_run_metric_int(o, "dma_errors", xerr);
		shl_run_metric_int(o, "dma_affected", xerr);
		shl_run_judge_dma(s, xerr, xfers + xerr, o);
	}
}

/* ---------------------------------------------------------------- run */

/* The scenario's device (or ctx->device): skip when absent, fail when refused. */
static int resolve_device(struct shl_run_ctx *ctx, const struct shl_scenario *s,
			  struct shl_dev *dev, struct shl_run_result *o)
{
	const char *spec = ctx->device ? ctx->device : s->device;
	char why[600];

	int ret = shl_dev_resolve(spec, &ctx->guard, dev, why, sizeof(why));

	if (ret) {
		/* absent (a server without edu) is a skip; a refusal is an error */
		shl_run_set_status(o, ret == -EPERM ? "fail" : "skip", "%s", why);
		return -1;
	}
	if (s->mode == SHL_SCN_DRIVER && dev->kind != SHL_DEV_EDU) {
		size_t i;

		for (i = 0; i < s->nsteps; i++)
			if (s->steps[i].named == SHL_SCN_PAGING ||
			    s->steps[i].named == SHL_SCN_BLOCKED) {
				shl_run_set_status(o, "skip", "device %s (%s): %s domains are smmu_hil_edu's; on other devices driver mode moves between identity and dma",
						   dev->bdf, dev->cls,
						   shl_scn_named_name(s->steps[i].named));
				return -1;
			}
		if (s->record) {
			shl_run_set_status(o, "skip", "device %s (%s): the recorder runs on edu",
					   dev->bdf, dev->cls);
			return -1;
		}
	}
	return 0;
}

void shl_run_scenario(struct shl_run_ctx *ctx, const struct shl_scenario *s,
		      struct shl_run_result *o)
{
	struct shl_dev dev;
	struct shl_run_events c = { 0 };
	uint32_t sid = 0;
	double t0 = now_s();
	int ret;

	if (shl_run_init(o)) {
		shl_run_set_status(o, "fail", "out of memory");
		goto out;
	}
	if (shl_run_requires(s, ctx->feat, ctx->nfeat, o))
		goto out;
	if (resolve_device(ctx, s, &dev, o))
		goto out;
	shl_run_metric_str(o, "device", dev.bdf);
	shl_run_metric_str(o, "device_class", dev.cls);
	shl_run_metric_str(o, "device_kind", shl_dev_kind_name(dev.kind));
	if (dev.names[0])
		shl_run_metric_str(o, "device_names", dev.names);
	ret = shl_dut_sid(dev.bdf, &sid);
	if (ret) {
		shl_run_set_status(o, "fail", "%s: no StreamID (%s)", dev.bdf, strerror(-ret));
		goto out;
	}
	ret = shl_events_clear();
	if (ret) {
		shl_run_set_status(o, "fail", "event monitor: %s%s", strerror(-ret),
			   ret == -ENOENT ? " (insmod smmu_hil_evtmon.ko)" : "");
		goto out;
	}
	if (s->mode == SHL_SCN_DRIVER) {
		run_driver(s, &dev, o);
		if (shl_run_skipped(o))
			goto out;
		events_collect(sid, &c);
	} else {
		run_raw(ctx, s, &dev, sid, o, &c);
		if (shl_run_skipped(o))
			goto out;
	}
	shl_run_judge(s, &c, sid, o);
out:
	o->duration_s = now_s() - t0;
}

