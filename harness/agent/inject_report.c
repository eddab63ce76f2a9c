// SPDX-License-Identifier: GPL-2.0-only
/*
 * The injector's reports, shared by `smmu-hil inject` and the scenario
 * runner: the profile of the DUT's SMMU, the oracle's verdict on a raw or
 * recorded sequence, the planned raw update in both directions, and the
 * recorder's snapshots grouped into distinct driver updates.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "smmu_hil/check.h"
#include "smmu_hil/entry_ops.h"
#include "smmu_hil/dut.h"
#include "smmu_hil/idr.h"
#include "smmu_hil/inject.h"
#include "smmu_hil/plan.h"
#include "smmu_hil/profile.h"
#include "smmu_hil/rules.h"

#define MAX_VIOL	16
#define MAX_GROUPS	65536
#define MAX_ROWS	256	/* distinct transitions in the kernel-vs-oracle table */

int shl_dut_profile(const char *spec, struct shl_profile *p, char *err, size_t errlen)
{
	struct shl_idr_regs r = { 0 };
	char name[128];

	if (spec)
		return shl_profile_load(spec, p, err, errlen) ? -1 : 0;
	if (!shl_dut_smmu_first(name, sizeof(name), &r)) {
		shl_profile_init(p, name, &r);
		return 0;
	}
	return shl_profile_load(NULL, p, err, errlen) ? -1 : 0;
}


json_object *shl_inject_qjson(const struct shl_entry *e)
{
	char q[200];

	shl_entry_format_q(e, SHL_ENTRY_QWORDS, q, sizeof(q));
	return json_object_new_string(q);
}

/* The oracle's verdict label: pass, breaking (only V=0 observations), fail. */
static const char *verdict_label(const struct shl_check_result *r)
{
	if (r->pass)
		return "pass";
	if (r->kinds == 1u << SHL_VIOL_INVALID)
		return "breaking";
	return "fail";
}

const char *shl_inject_judge(enum shl_entry_kind kind, const struct shl_profile *p,
			 const struct shl_entry *ste, const struct shl_entry *init,
			 const struct shl_entry *target, const struct shl_op *ops, size_t nops,
			 bool sync_only, json_object *viol_out, char *err, size_t errlen)
{
	struct shl_model m = { .kind = kind, .p = p, .spec = true, .update_safe = true };
	struct shl_check_opts co = { .sync_only = sync_only, .quanta = 64 };
	struct shl_violation viol[MAX_VIOL];
	struct shl_check_result r = { .viol = viol, .viol_cap = MAX_VIOL };
	size_t i;

	if (shl_entry_ops(kind)->has_ctx && ste)
		shl_cd_ctx_from_ste(p, ste, &m.cd);
	if (shl_check(&m, init, target, ops, nops, &co, &r, err, errlen))
		return NULL;
	for (i = 0; viol_out && i < r.nviol; i++) {
		json_object *v = json_object_new_object();

		json_object_object_add(v, "after", json_object_new_int((int)viol[i].after));
		json_object_object_add(v, "kind", json_object_new_string(
			shl_violation_name((enum shl_violation_kind)viol[i].kind)));
		json_object_object_add(v, "rule", json_object_new_string(viol[i].rule));
		json_object_object_add(v, "entry", shl_inject_qjson(&viol[i].entry));
		json_object_array_add(viol_out, v);
	}
	return verdict_label(&r);
}


void shl_inject_plan_ops(enum shl_entry_kind kind, const struct shl_entry *a,
		     const struct shl_entry *b, struct shl_plan *plan, struct shl_op *ops,
		     size_t *n)
{
	struct shl_plan_opts po = { .quanta = 64, .update_safe = true };

	shl_plan_entry(kind, a, b, &po, plan);
	*n += shl_plan_to_ops(plan, ops + *n, SHL_PLAN_MAX_OPS);
}

void shl_inject_apply_writes(struct shl_entry *e, const struct shl_op *ops, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (ops[i].kind != SHL_OP_WRITE)
			continue;
		e->q[ops[i].qword] = ops[i].v[0];
		if (ops[i].nq == 2 && ops[i].qword + 1 < SHL_ENTRY_QWORDS)
			e->q[ops[i].qword + 1] = ops[i].v[1];
	}
}


json_object *shl_inject_direction_json(enum shl_entry_kind kind, const struct shl_profile *p,
				   const struct shl_entry *ste, const struct shl_entry *a,
				   const struct shl_entry *b, const struct shl_op *ops, size_t n,
				   const struct shl_plan *plan, const char **label,
				       char *err, size_t errlen)
{
	json_object *o = json_object_new_object(), *viol = json_object_new_array();
	size_t i, syncs = 0;
	char why[64];

	*label = shl_inject_judge(kind, p, ste, a, b, ops, n, false, viol, err, errlen);
	for (i = 0; i < n; i++)
		syncs += ops[i].kind == SHL_OP_SYNC;
	json_object_object_add(o, "from", shl_inject_qjson(a));
	json_object_object_add(o, "to", shl_inject_qjson(b));
	json_object_object_add(o, "from_config",
			       json_object_new_string(shl_inject_config_name(kind, a)));
	json_object_object_add(o, "to_config",
			       json_object_new_string(shl_inject_config_name(kind, b)));
	json_object_object_add(o, "path", plan ? json_object_new_string(shl_path_name(plan->path))
					       : NULL);
	/* the kernel test's verdict: no sync sees qword 0 == 0 (plan.h) */
	json_object_object_add(o, "hitless", plan ? json_object_new_boolean(plan->hitless) : NULL);
	json_object_object_add(o, "syncs", json_object_new_int((int)syncs));
	json_object_object_add(o, "verdict", json_object_new_string(*label ? *label : "error"));
	if (*label && !strcmp(*label, "breaking")) {
		snprintf(why, sizeof(why), "%s for DMA during the V=0 window",
			 shl_entry_ops(kind)->bad_event);
		json_object_object_add(o, "expected_events", json_object_new_string(why));
	} else {
		json_object_object_add(o, "expected_events", json_object_new_string("none"));
	}
	json_object_object_add(o, "violations", viol);
	return o;
}


struct distinct {
	char shape[256];
	unsigned int count;
	const char *verdict;
	size_t example;		/* group index */
};

/* The kernel-vs-oracle comparison of one writer call, as reported. */
static json_object *cmp_json(const struct shl_rec_cmp *c, const char *explanation)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "path", json_object_new_string(shl_path_name(c->plan.path)));
	json_object_object_add(o, "kernel_steps", json_object_new_string(c->kernel_steps));
	json_object_object_add(o, "oracle_steps", json_object_new_string(c->oracle_steps));
	json_object_object_add(o, "verdict", json_object_new_string(c->equal ? "equal" : "differs"));
	json_object_object_add(o, "difference", c->equal ? NULL :
			       json_object_new_string(c->difference));
	json_object_object_add(o, "explanation", explanation ?
			       json_object_new_string(explanation) : NULL);
	return o;
}

static json_object *group_json(const struct shl_rec_snap *s, const struct shl_rec_group *g,
			       const char *shape, const char *verdict, json_object *viol,
			       json_object *oracle, const char *store_verdict, json_object *store_viol)
{
	int bv = shl_rec_barrier_verdict(s, g);
	json_object *o = json_object_new_object(), *syncs = json_object_new_array();
	size_t k;

	json_object_object_add(o, "entry", json_object_new_string(shl_kind_name(g->ent)));
	json_object_object_add(o, "shape", json_object_new_string(shape));
	json_object_object_add(o, "ts_ns", json_object_new_int64((int64_t)s[g->init].ts_ns));
	json_object_object_add(o, "initial", shl_inject_qjson(&s[g->init].e));
	if (g->has_target)
		json_object_object_add(o, "target", shl_inject_qjson(&s[g->target].e));
	for (k = 0; k < g->nsyncs; k++)
		json_object_array_add(syncs, shl_inject_qjson(&s[g->syncs[k]].e));
	json_object_object_add(o, "syncs", syncs);
	json_object_object_add(o, "final", shl_inject_qjson(shl_rec_group_final(s, g)));
	json_object_object_add(o, "truncated", json_object_new_boolean(g->truncated));
	json_object_object_add(o, "verdict", json_object_new_string(verdict));
	if (viol)
		json_object_object_add(o, "violations", viol);
	if (oracle)
		json_object_object_add(o, "oracle", oracle);
	if (store_verdict) {
		json_object_object_add(o, "store_verdict", json_object_new_string(store_verdict));
		json_object_object_add(o, "store_violations", store_viol);
	}
	if (bv >= 0) {
		json_object_object_add(o, "barrier", json_object_new_string(
			shl_barrier_verdict_name((enum shl_barrier_verdict)bv)));
		json_object_object_add(o, "barriers_executed", json_object_new_int((int)g->nbarriers));
		json_object_object_add(o, "pointer_change",
				       json_object_new_boolean(shl_rec_pointer_change(s, g)));
	}
	return o;
}

static int verdict_rank(const char *v)
{
	return !strcmp(v, "pass") ? 0 : !strcmp(v, "breaking") ? 1 : 2;
}

/*
 * Differences between a kernel writer and the oracle's plan that are
 * understood: none known. A difference this does not explain is a finding
 * (an oracle bug to fix, or a kernel that does not do what its source
 * says). Returns the explanation, or NULL.
 */
static const char *explain_difference(const struct shl_rec_snap *s, const struct shl_rec_group *g,
				      const struct shl_rec_cmp *c)
{
	(void)s;
	(void)g;
	(void)c;
	return NULL;
}

/* One row of the kernel-vs-oracle table: a distinct transition. */
struct cmp_row {
	char key[600];
	char transition[64];
	struct shl_rec_cmp c;
	const char *explanation;
	const char *store_verdict;	/* the worst of the row's calls */
	unsigned int count;
};

static void cmp_add(struct cmp_row *rows, size_t *nrows, size_t max, const struct shl_rec_snap *s,
		    const struct shl_rec_group *g, const struct shl_rec_cmp *c,
		    const char *explanation, const char *store_verdict)
{
	char transition[64];
	char key[600];
	size_t j;

	snprintf(transition, sizeof(transition), "%s %s -> %s", g->ent == SHL_KIND_CD ? "CD" : "STE",
		 shl_inject_config_name(g->ent, &s[g->init].e),
		 shl_inject_config_name(g->ent, &s[g->target].e));
	snprintf(key, sizeof(key), "%s|%s|%s|%d", transition, c->kernel_steps, c->oracle_steps,
		 c->equal);
	for (j = 0; j < *nrows && strcmp(rows[j].key, key); j++)
		;
	if (j == *nrows) {
		if (*nrows == max)
			return;
		memset(&rows[j], 0, sizeof(rows[j]));
		snprintf(rows[j].key, sizeof(rows[j].key), "%s", key);
		snprintf(rows[j].transition, sizeof(rows[j].transition), "%s", transition);
		rows[j].c = *c;
		rows[j].explanation = explanation;
		rows[j].store_verdict = store_verdict;
		(*nrows)++;
	}
	if (store_verdict && (!rows[j].store_verdict ||
			      verdict_rank(store_verdict) > verdict_rank(rows[j].store_verdict)))
		rows[j].store_verdict = store_verdict;
	rows[j].count++;
}

static json_object *cmp_table(const struct cmp_row *rows, size_t n)
{
	json_object *t = json_object_new_array();
	size_t j;

	for (j = 0; j < n; j++) {
		json_object *x = json_object_new_object();

		json_object_object_add(x, "transition", json_object_new_string(rows[j].transition));
		json_object_object_add(x, "kernel_steps",
				       json_object_new_string(rows[j].c.kernel_steps));
		json_object_object_add(x, "oracle_steps",
				       json_object_new_string(rows[j].c.oracle_steps));
		json_object_object_add(x, "count", json_object_new_int((int)rows[j].count));
		json_object_object_add(x, "verdict",
				       json_object_new_string(rows[j].c.equal ? "equal" : "differs"));
		json_object_object_add(x, "difference", rows[j].c.equal ? NULL :
				       json_object_new_string(rows[j].c.difference));
		json_object_object_add(x, "explanation", rows[j].explanation ?
				       json_object_new_string(rows[j].explanation) : NULL);
		json_object_object_add(x, "path",
				       json_object_new_string(shl_path_name(rows[j].c.plan.path)));
		json_object_object_add(x, "store_verdict", rows[j].store_verdict ?
				       json_object_new_string(rows[j].store_verdict) : NULL);
		json_object_array_add(t, x);
	}
	return t;
}

/* The barrier witness's counts (per kind: calls, ordered, late, missing, pointer calls, ordered). */
static json_object *barrier_witness_json(const unsigned long long bw[2][6])
{
	static const char *const keys[6] = {
		"calls", "ordered", "late", "missing", "pointer_calls", "pointer_ordered",
	};
	json_object *o = json_object_new_object(), *per = json_object_new_object(), *x;
	unsigned int k, c;

	for (c = 0; c < 6; c++)
		json_object_object_add(o, keys[c], json_object_new_int64(
			(int64_t)(bw[0][c] + bw[1][c])));
	for (k = 0; k < 2; k++) {
		x = json_object_new_object();
		for (c = 0; c < 6; c++)
			json_object_object_add(x, keys[c], json_object_new_int64((int64_t)bw[k][c]));
		json_object_object_add(per, k ? "CD" : "STE", x);
	}
	json_object_object_add(o, "per_entry", per);
	return o;
}

json_object *shl_inject_record_report(const struct shl_profile *p, const struct shl_rec_log *log,
				      bool update_safe, int *worst, char *err, size_t errlen)
{
	static const enum shl_entry_kind kinds[] = { SHL_KIND_STE, SHL_KIND_CD };
	struct shl_op ops[SHL_ENTRY_QWORDS * 4 * (SHL_ENTRY_QWORDS + 1)];
	struct shl_rec_group *g = calloc(MAX_GROUPS, sizeof(*g));
	struct distinct *d = calloc(MAX_GROUPS, sizeof(*d));
	struct cmp_row *rows = calloc(MAX_ROWS, sizeof(*rows));
	json_object *o, *updates, *dist, *oracle;
	const struct shl_rec_snap *s = log->s;
	size_t n = log->n, ng, nd = 0, nrows = 0, i, j, k, nops;
	unsigned long long compared = 0, differ = 0, unexplained = 0;
	unsigned long long store_checked = 0, store_findings = 0;
	/* barrier witness per entry kind: calls, ordered, late, missing, pointer calls, ordered */
	unsigned long long bw[2][6] = { { 0 } };
	const char *label, *why, *store_label;
	json_object *store_viol;
	int bv;
	struct shl_rec_cmp cmp;
	char oerr[300];

	*worst = 0;
	if (!g || !d || !rows) {
		free(g);
		free(d);
		free(rows);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	updates = json_object_new_array();
	for (k = 0; k < 2; k++) {
		ng = shl_rec_group(s, n, kinds[k], g, MAX_GROUPS);
		for (i = 0; i < ng; i++) {
			const struct shl_entry *ste = NULL;
			json_object *viol = json_object_new_array();
			char shape[256];

			/* a CD is judged in the context of the STE recorded last before it */
			for (j = g[i].init; kinds[k] == SHL_KIND_CD && j-- > 0;)
				if (s[j].ent == SHL_KIND_STE) {
					ste = &s[j].e;
					break;
				}
			nops = shl_rec_group_ops(s, &g[i], ops, sizeof(ops) / sizeof(ops[0]));
			label = "pass";		/* a writer call that stored nothing */
			if (nops)
				label = shl_inject_judge(kinds[k], p, ste, &s[g[i].init].e,
							 shl_rec_group_final(s, &g[i]), ops, nops,
							 true, viol, oerr, sizeof(oerr));
			if (!label) {
				label = "error";
				*worst = 2;
			}
			/*
			 * Writer calls at every store too: entry_set() stores the
			 * qwords of a step in ascending order (shl_rec_group_ops()).
			 */
			store_label = NULL;
			store_viol = NULL;
			if (g[i].has_target) {
				store_viol = json_object_new_array();
				store_label = "pass";
				if (nops)
					store_label = shl_inject_judge(kinds[k], p, ste, &s[g[i].init].e,
								       shl_rec_group_final(s, &g[i]),
								       ops, nops, false, store_viol,
								       oerr, sizeof(oerr));
				if (!store_label) {
					store_label = "error";
					*worst = 2;
				}
				store_checked++;
			}
			oracle = NULL;
			memset(&cmp, 0, sizeof(cmp));
			if (!shl_rec_compare(s, &g[i], update_safe, &cmp)) {
				why = cmp.equal ? NULL : explain_difference(s, &g[i], &cmp);
				compared++;
				differ += !cmp.equal;
				unexplained += !cmp.equal && !why;
				if (!cmp.equal && !why && *worst == 0)
					*worst = 1;
				oracle = cmp_json(&cmp, why);
				cmp_add(rows, &nrows, MAX_ROWS, s, &g[i], &cmp, why, store_label);
			}
			/* a torn or illegal entry between two stores; V=0 as at sync granularity */
			if (store_label && strcmp(store_label, "pass") &&
			    (strcmp(store_label, "breaking") || !oracle || !cmp.equal ||
			     cmp.plan.path != SHL_PATH_BREAKING)) {
				store_findings++;
				if (*worst == 0)
					*worst = 1;
			}
			bv = shl_rec_barrier_verdict(s, &g[i]);
			if (bv >= 0) {
				bool ptr = shl_rec_pointer_change(s, &g[i]);

				bw[k][0]++;
				bw[k][1 + bv]++;
				bw[k][4] += ptr;
				bw[k][5] += ptr && bv == SHL_BAR_ORDERED;
			}
			shl_rec_group_shape(s, &g[i], shape, sizeof(shape));
			json_object_array_add(updates, group_json(s, &g[i], shape, label, viol, oracle,
								  store_label, store_viol));
			for (j = 0; j < nd; j++)
				if (!strcmp(d[j].shape, shape))
					break;
			if (j == nd) {
				snprintf(d[nd].shape, sizeof(d[nd].shape), "%s", shape);
				d[nd].verdict = label;
				d[nd++].example = json_object_array_length(updates) - 1;
			} else if (verdict_rank(label) > verdict_rank(d[j].verdict)) {
				d[j].verdict = label;
				d[j].example = json_object_array_length(updates) - 1;
			}
			d[j].count++;
			/*
			 * Breaking (V=0 windows) is the writer's plan when no
			 * hitless update exists; it is a finding only where the
			 * kernel's own plan is not breaking, or unknown (6.1).
			 */
			if (strcmp(label, "pass") && *worst == 0 &&
			    (strcmp(label, "breaking") || !oracle || !cmp.equal ||
			     cmp.plan.path != SHL_PATH_BREAKING))
				*worst = 1;
		}
	}
	dist = json_object_new_array();
	for (j = 0; j < nd; j++) {
		json_object *x = json_object_new_object();
		json_object *ex = json_object_array_get_idx(updates, d[j].example);

		json_object_object_add(x, "shape", json_object_new_string(d[j].shape));
		json_object_object_add(x, "count", json_object_new_int((int)d[j].count));
		json_object_object_add(x, "verdict", json_object_new_string(d[j].verdict));
		json_object_object_add(x, "example", json_object_get(ex));
		json_object_array_add(dist, x);
	}
	o = json_object_new_object();
	json_object_object_add(o, "profile", json_object_new_string(p->name));
	json_object_object_add(o, "granularity", json_object_new_string("sync"));
	json_object_object_add(o, "snapshots", json_object_new_int64((int64_t)n));
	json_object_object_add(o, "updates", updates);
	json_object_object_add(o, "distinct", dist);
	json_object_object_add(o, "update_safe", json_object_new_boolean(update_safe));
	json_object_object_add(o, "compared", json_object_new_int64((int64_t)compared));
	json_object_object_add(o, "differences", json_object_new_int64((int64_t)differ));
	json_object_object_add(o, "unexplained", json_object_new_int64((int64_t)unexplained));
	json_object_object_add(o, "kernel_vs_oracle", cmp_table(rows, nrows));
	json_object_object_add(o, "store_checked", json_object_new_int64((int64_t)store_checked));
	json_object_object_add(o, "store_findings", json_object_new_int64((int64_t)store_findings));
	json_object_object_add(o, "barrier_witness", barrier_witness_json(bw));
	free(g);
	free(d);
	free(rows);
	return o;
}
