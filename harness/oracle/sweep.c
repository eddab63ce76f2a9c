// SPDX-License-Identifier: GPL-2.0-only
/*
 * The sweep: every ordered pair of corpus entries is planned with the Linux
 * algorithm and checked at store (or sync) granularity. Pairs are streamed;
 * the inner loop allocates nothing.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "smmu_hil/entry_ops.h"
#include "smmu_hil/sweep.h"

const char *shl_sweep_class_name(enum shl_sweep_class c)
{
	static const char *const names[SHL_SWEEP_CLASS_COUNT] = {
		"pass", "illegal", "torn", "invalid", "unordered", "final-mismatch",
	};

	return c < SHL_SWEEP_CLASS_COUNT ? names[c] : "unknown";
}

/* The most severe violation kind of a failed check. */
static enum shl_sweep_class transition_class(const struct shl_check_result *r)
{
	static const struct {
		enum shl_violation_kind kind;
		enum shl_sweep_class cls;
	} order[] = {
		{ SHL_VIOL_ILLEGAL, SHL_SWEEP_ILLEGAL },
		{ SHL_VIOL_TORN, SHL_SWEEP_TORN },
		{ SHL_VIOL_INVALID, SHL_SWEEP_INVALID },
		{ SHL_VIOL_UNORDERED, SHL_SWEEP_UNORDERED },
		{ SHL_VIOL_FINAL_MISMATCH, SHL_SWEEP_FINAL_MISMATCH },
	};
	size_t i;

	for (i = 0; i < sizeof(order) / sizeof(order[0]); i++)
		if (r->kinds & (1u << order[i].kind))
			return order[i].cls;
	return SHL_SWEEP_PASS;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* A corpus entry with what every transition needs of it, computed once. */
struct sweep_entry {
	struct shl_entry e;
	struct shl_entry used;		/* Linux used bits */
	enum shl_rule bad;		/* spec verdict */
};

/* Plan and check one transition; account it in @st. */
static int sweep_one(const struct shl_sweep_opts *o, const struct shl_model *m,
		     const struct sweep_entry *a, const struct sweep_entry *b,
		     struct shl_sweep_stats *st)
{
	const struct shl_entry *from = &a->e, *to = &b->e;
	struct shl_endpoints ep = { .init = *from, .target = *to, .init_bad = a->bad,
				    .target_bad = b->bad };
	struct shl_plan_opts po = { .quanta = o->quanta, .update_safe = o->update_safe };
	struct shl_check_opts co = { .sync_only = o->sync_only, .quanta = o->quanta };
	struct shl_op ops[SHL_PLAN_MAX_OPS_TABLES];
	struct shl_violation v;
	struct shl_check_result r = { .viol = &v, .viol_cap = 1 };
	struct shl_plan plan;
	size_t nops;
	unsigned int c;
	char err[128];

	shl_plan_entry_used(o->kind, from, &a->used, to, &b->used, &po, &plan);
	nops = shl_plan_to_ops_tables(o->kind, from, to, &plan, !o->no_dma_wmb, ops,
				      SHL_PLAN_MAX_OPS_TABLES);
	co.allow_breaking = plan.path == SHL_PATH_BREAKING;
	if (shl_check_endpoints(m, &ep, ops, nops, &co, &r, err, sizeof(err)))
		return -1;
	st->transitions++;
	st->paths[plan.path]++;
	st->classes[transition_class(&r)]++;
	for (c = 0; c < SHL_CLASS_COUNT; c++)
		st->observations[c] += r.classes[c];
	st->kernel_hitless += plan.hitless;
	if (!plan.consistent)
		st->kernel_fail++;
	if (plan.consistent && !r.pass) {
		st->findings++;
		if (st->nexamples < SHL_SWEEP_MAX_EXAMPLES)
			st->examples[st->nexamples++] = (struct shl_sweep_finding){
				.from = *from, .to = *to, .path = plan.path, .v = v };
	}
	return 0;
}

int shl_sweep(const struct shl_sweep_opts *o, struct shl_sweep_stats *st)
{
	struct shl_model m = { .kind = o->kind, .p = o->p, .spec = true, .update_safe = true };
	struct shl_entry *raw;
	struct sweep_entry *corpus;
	size_t n, i, j;
	double t0;
	int ret = 0;

	memset(st, 0, sizeof(*st));
	st->kind = o->kind;
	n = shl_corpus(o->kind, o->p, o->scale, NULL, 0, &st->dropped);
	raw = calloc(n ? n : 1, sizeof(*raw));
	corpus = calloc(n ? n : 1, sizeof(*corpus));
	if (!raw || !corpus) {
		free(raw);
		free(corpus);
		return -1;
	}
	shl_corpus(o->kind, o->p, o->scale, raw, n, NULL);
	for (i = 0; i < n; i++) {
		corpus[i].e = raw[i];
		shl_entry_ops(o->kind)->used_linux(&raw[i], &corpus[i].used);
		corpus[i].bad = shl_model_bad(&m, &raw[i]);
	}
	free(raw);
	st->corpus = n;

	t0 = now();
	for (i = 0; i < n && !ret; i++)
		for (j = 0; j < n && !ret; j++)
			if (i != j)
				ret = sweep_one(o, &m, &corpus[i], &corpus[j], st);
	st->seconds = now() - t0;
	free(corpus);
	return ret;
}

static json_object *counts(const char *(*name)(unsigned int), const uint64_t *v, unsigned int n)
{
	json_object *o = json_object_new_object();
	unsigned int i;

	for (i = 0; i < n; i++)
		json_object_object_add(o, name(i), json_object_new_int64((int64_t)v[i]));
	return o;
}

static const char *path_name(unsigned int i)
{
	return shl_path_name((enum shl_path)i);
}

static const char *sweep_class_name(unsigned int i)
{
	return shl_sweep_class_name((enum shl_sweep_class)i);
}

static const char *obs_class_name(unsigned int i)
{
	return shl_class_name((enum shl_class)i);
}

static json_object *finding_json(enum shl_entry_kind kind, const struct shl_sweep_finding *f)
{
	json_object *o = json_object_new_object();
	char q[200];

	shl_entry_format_q(&f->from, SHL_ENTRY_QWORDS, q, sizeof(q));
	json_object_object_add(o, "from", json_object_new_string(q));
	shl_entry_format_q(&f->to, SHL_ENTRY_QWORDS, q, sizeof(q));
	json_object_object_add(o, "to", json_object_new_string(q));
	json_object_object_add(o, "path", json_object_new_string(shl_path_name(f->path)));
	json_object_object_add(o, "kind",
			       json_object_new_string(shl_violation_name((enum shl_violation_kind)f->v.kind)));
	json_object_object_add(o, "rule", json_object_new_string(f->v.rule));
	json_object_object_add(o, "after", json_object_new_int((int)f->v.after));
	json_object_object_add(o, "entry", shl_qwords_to_json(&f->v.entry, shl_kind_qwords(kind)));
	return o;
}

json_object *shl_sweep_stats_to_json(const struct shl_sweep_stats *st)
{
	json_object *o = json_object_new_object(), *ex = json_object_new_array();
	size_t i;

	json_object_object_add(o, "entry", json_object_new_string(shl_kind_name(st->kind)));
	json_object_object_add(o, "corpus", json_object_new_int64((int64_t)st->corpus));
	json_object_object_add(o, "dropped", json_object_new_int64((int64_t)st->dropped));
	json_object_object_add(o, "transitions", json_object_new_int64((int64_t)st->transitions));
	json_object_object_add(o, "seconds", json_object_new_double(st->seconds));
	json_object_object_add(o, "rate", json_object_new_double(
		st->seconds > 0 ? (double)st->transitions / st->seconds : 0));
	json_object_object_add(o, "paths", counts(path_name, st->paths, SHL_PATH_COUNT));
	json_object_object_add(o, "classes",
			       counts(sweep_class_name, st->classes, SHL_SWEEP_CLASS_COUNT));
	json_object_object_add(o, "observations",
			       counts(obs_class_name, st->observations, SHL_CLASS_COUNT));
	json_object_object_add(o, "kernel_hitless",
			       json_object_new_int64((int64_t)st->kernel_hitless));
	json_object_object_add(o, "kernel_check_fail", json_object_new_int64((int64_t)st->kernel_fail));
	json_object_object_add(o, "findings", json_object_new_int64((int64_t)st->findings));
	for (i = 0; i < st->nexamples; i++)
		json_object_array_add(ex, finding_json(st->kind, &st->examples[i]));
	json_object_object_add(o, "examples", ex);
	return o;
}
