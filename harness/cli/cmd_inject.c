// SPDX-License-Identifier: GPL-2.0-only
/*
 * smmu-hil inject: the live STE/CD of the device smmu_hil_inject claimed,
 * raw updates of it and the recorder of the driver's own updates
 * (docs/injector.md). Verdicts come from the oracle (docs/oracle.md).
 *
 *   inject show [--profile P]
 *   inject apply --from Q --to Q [--entry ste|cd] [--repeat N] [--dwell-us N]
 *   inject apply --sequence FILE [--from Q] [--to Q] [--entry ste|cd] ...
 *   inject record start|stop|show [--profile P]
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "smmu_hil/check.h"
#include "smmu_hil/cli.h"
#include "smmu_hil/dut.h"
#include "smmu_hil/idr.h"
#include "smmu_hil/inject.h"
#include "smmu_hil/plan.h"
#include "smmu_hil/profile.h"
#include "smmu_hil/rules.h"

#define MAX_REPEAT	1000000
#define MAX_DWELL_US	100000
#define MAX_SEQ_OPS	4096
#define MAX_VIOL	16
#define MAX_GROUPS	65536

static void usage(FILE *f)
{
	fprintf(f,
		"usage: smmu-hil inject show [--profile NAME|FILE] [-j]\n"
		"       smmu-hil inject apply --from Q --to Q [--entry ste|cd] [--repeat N]\n"
		"                [--dwell-us N] [--profile NAME|FILE] [-j]\n"
		"       smmu-hil inject apply --sequence FILE [--from Q] [--to Q] [--entry ste|cd]\n"
		"                [--repeat N] [--dwell-us N] [--profile NAME|FILE] [-j]\n"
		"       smmu-hil inject record start|stop|show [--profile NAME|FILE] [-j]\n"
		"Q: up to 8 hex qwords separated by commas, qword 0 first.\n"
		"apply needs smmu_hil_inject loaded with allow_raw=1.\n");
}

struct inj_args {
	const char *from, *to, *sequence, *profile;
	enum shl_entry_kind kind;
	unsigned long long repeat, dwell_us;
};

static int parse_args(int argc, char **argv, bool apply, struct inj_args *a)
{
	int i;

	memset(a, 0, sizeof(*a));
	a->kind = SHL_KIND_STE;
	a->repeat = 1;
	for (i = 0; i < argc; i++) {
		const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!v)
			return shl_err("%s: unexpected or missing value", o);
		if (!strcmp(o, "--profile"))
			a->profile = v;
		else if (apply && !strcmp(o, "--from"))
			a->from = v;
		else if (apply && !strcmp(o, "--to"))
			a->to = v;
		else if (apply && !strcmp(o, "--sequence"))
			a->sequence = v;
		else if (apply && !strcmp(o, "--entry") && !strcmp(v, "ste"))
			a->kind = SHL_KIND_STE;
		else if (apply && !strcmp(o, "--entry") && !strcmp(v, "cd"))
			a->kind = SHL_KIND_CD;
		else if (apply && !strcmp(o, "--repeat")) {
			if (shl_parse_uint_range(v, 1, MAX_REPEAT, &a->repeat))
				return shl_err("--repeat: expected 1..%d, got '%s'", MAX_REPEAT, v);
		} else if (apply && !strcmp(o, "--dwell-us")) {
			if (shl_parse_uint_range(v, 0, MAX_DWELL_US, &a->dwell_us))
				return shl_err("--dwell-us: expected 0..%d, got '%s'", MAX_DWELL_US, v);
		} else {
			usage(stderr);
			return shl_err("unknown option '%s %s'", o, v);
		}
		i++;
	}
	return 0;
}

static int no_module(int err)
{
	if (err == -ENOENT)
		return shl_err("injector not loaded (no %s/inject): insmod smmu_hil_inject.ko",
			       shl_debugfs_dir());
	if (err == -EPERM)
		return shl_err("injector: raw writes refused (load smmu_hil_inject with allow_raw=1)");
	return shl_err("injector: %s", strerror(-err));
}

/* --profile, else the DUT's own SMMU (event monitor's `smmu`), else "full". */
static int load_profile(const char *spec, struct shl_profile *p)
{
	char path[4096], text[4096], name[128], err[300], *nl;
	struct shl_idr_regs r = { 0 };

	if (spec) {
		if (shl_profile_load(spec, p, err, sizeof(err)))
			return shl_err("%s", err);
		return 0;
	}
	snprintf(path, sizeof(path), "%s/smmu", shl_debugfs_dir());
	if (shl_read_text(path, text, sizeof(text)) > 0) {
		nl = strchr(text, '\n');
		if (nl)
			*nl = '\0';
		if (!shl_parse_smmu_line(text, name, sizeof(name), &r)) {
			shl_profile_init(p, name, &r);
			return 0;
		}
	}
	return shl_profile_load(NULL, p, err, sizeof(err)) ? shl_err("%s", err) : 0;
}

static json_object *qjson(const struct shl_entry *e)
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

/*
 * Judge @ops from @init to @target with the spec model of @p (CDs in the
 * context of @ste). @sync_only: the entry at each sync only. Returns the
 * label, violations appended to @viol_out if not NULL; NULL if the checker
 * refuses (message printed).
 */
static const char *judge(enum shl_entry_kind kind, const struct shl_profile *p,
			 const struct shl_entry *ste, const struct shl_entry *init,
			 const struct shl_entry *target, const struct shl_op *ops, size_t nops,
			 bool sync_only, json_object *viol_out)
{
	struct shl_model m = { .kind = kind, .p = p, .spec = true, .update_safe = true };
	struct shl_check_opts co = { .sync_only = sync_only, .quanta = 64 };
	struct shl_violation viol[MAX_VIOL];
	struct shl_check_result r = { .viol = viol, .viol_cap = MAX_VIOL };
	char err[300];
	size_t i;

	if (kind == SHL_KIND_CD && ste)
		shl_cd_ctx_from_ste(p, ste, &m.cd);
	if (shl_check(&m, init, target, ops, nops, &co, &r, err, sizeof(err))) {
		shl_err("oracle: %s", err);
		return NULL;
	}
	for (i = 0; viol_out && i < r.nviol; i++) {
		json_object *v = json_object_new_object();

		json_object_object_add(v, "after", json_object_new_int((int)viol[i].after));
		json_object_object_add(v, "kind", json_object_new_string(
			shl_violation_name((enum shl_violation_kind)viol[i].kind)));
		json_object_object_add(v, "rule", json_object_new_string(viol[i].rule));
		json_object_object_add(v, "entry", qjson(&viol[i].entry));
		json_object_array_add(viol_out, v);
	}
	return verdict_label(&r);
}

/* ----------------------------------------------------------------- show */

static json_object *entry_json(enum shl_entry_kind kind, const struct shl_profile *p,
			       const struct shl_inject_entry *ie, const struct shl_entry *ste)
{
	json_object *o = shl_entry_to_json(kind, &ie->e);
	struct shl_cd_ctx ctx;
	enum shl_rule bad;
	char pa[32];

	if (kind == SHL_KIND_CD) {
		shl_cd_ctx_from_ste(p, ste, &ctx);
		bad = shl_cd_bad(p, &ctx, &ie->e);
	} else {
		bad = shl_ste_bad(p, &ie->e);
	}
	snprintf(pa, sizeof(pa), "0x%llx", (unsigned long long)ie->pa);
	json_object_object_add(o, "pa", json_object_new_string(pa));
	json_object_object_add(o, "q", qjson(&ie->e));
	json_object_object_add(o, "config",
			       json_object_new_string(shl_inject_config_name(kind, &ie->e)));
	json_object_object_add(o, "rule", bad ? json_object_new_string(shl_rule_name(bad)) : NULL);
	return o;
}

static int cmd_show(int argc, char **argv, const struct shl_cli *cli)
{
	struct shl_inject_entry ste, cd;
	struct shl_profile p;
	struct inj_args a;
	int ret = parse_args(argc, argv, false, &a);

	if (ret)
		return ret;
	ret = shl_inject_read_entry(SHL_KIND_STE, &ste);
	if (!ret)
		ret = shl_inject_read_entry(SHL_KIND_CD, &cd);
	if (ret)
		return no_module(ret);
	ret = load_profile(a.profile, &p);
	if (ret)
		return ret;
	if (cli->json) {
		json_object *o = json_object_new_object();
		char sid[16];

		snprintf(sid, sizeof(sid), "0x%x", ste.sid);
		json_object_object_add(o, "dev", json_object_new_string(ste.bdf));
		json_object_object_add(o, "sid", json_object_new_string(sid));
		json_object_object_add(o, "profile", json_object_new_string(p.name));
		json_object_object_add(o, "ste", entry_json(SHL_KIND_STE, &p, &ste, NULL));
		json_object_object_add(o, "cd", cd.present ?
				       entry_json(SHL_KIND_CD, &p, &cd, &ste.e) : NULL);
		shl_json_print(o, cli);
		return SHL_EXIT_OK;
	}
	printf("# STE of %s, StreamID 0x%x, at 0x%llx: %s\n", ste.bdf, ste.sid,
	       (unsigned long long)ste.pa, shl_inject_config_name(SHL_KIND_STE, &ste.e));
	shl_entry_print(stdout, SHL_KIND_STE, &ste.e);
	if (shl_ste_bad(&p, &ste.e))
		printf("# C_BAD_STE under profile %s: %s\n", p.name,
		       shl_rule_name(shl_ste_bad(&p, &ste.e)));
	if (!cd.present) {
		printf("# no CD: the STE does not translate stage 1\n");
		return SHL_EXIT_OK;
	}
	printf("# CD 0 at 0x%llx\n", (unsigned long long)cd.pa);
	shl_entry_print(stdout, SHL_KIND_CD, &cd.e);
	return SHL_EXIT_OK;
}

/* ---------------------------------------------------------------- apply */

static int parse_q(const char *what, const char *s, struct shl_entry *e)
{
	char err[160];

	if (shl_entry_parse_q(s, SHL_ENTRY_QWORDS, e, err, sizeof(err)))
		return shl_err("%s: %s", what, err);
	return 0;
}

/* The plan from @a to @b as ops appended at @ops[*n]. */
static void plan_ops(enum shl_entry_kind kind, const struct shl_entry *a,
		     const struct shl_entry *b, struct shl_plan *plan, struct shl_op *ops,
		     size_t *n)
{
	struct shl_plan_opts po = { .quanta = 64, .update_safe = true };

	shl_plan_entry(kind, a, b, &po, plan);
	*n += shl_plan_to_ops(plan, ops + *n, SHL_PLAN_MAX_OPS);
}

/* Replay the writes of @ops on @e. */
static void apply_writes(struct shl_entry *e, const struct shl_op *ops, size_t n)
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

static int read_seq(const char *path, struct shl_seq *seq)
{
	FILE *f = fopen(path, "r");
	char *text, err[300];
	size_t len;
	int ret;

	if (!f)
		return shl_err("%s: %s", path, strerror(errno));
	text = malloc(1u << 20);
	len = text ? fread(text, 1, (1u << 20) - 1, f) : 0;
	fclose(f);
	if (!text)
		return shl_err("out of memory");
	ret = shl_seq_parse(text, len, SHL_ENTRY_QWORDS, seq, err, sizeof(err));
	free(text);
	if (ret)
		return shl_err("%s: %s", path, err);
	if (seq->n > MAX_SEQ_OPS) {
		shl_seq_free(seq);
		return shl_err("%s: more than %d operations", path, MAX_SEQ_OPS);
	}
	return 0;
}

/* One direction of the applied update, as reported. */
static json_object *direction_json(enum shl_entry_kind kind, const struct shl_profile *p,
				   const struct shl_entry *ste, const struct shl_entry *a,
				   const struct shl_entry *b, const struct shl_op *ops, size_t n,
				   const struct shl_plan *plan, const char **label)
{
	json_object *o = json_object_new_object(), *viol = json_object_new_array();
	size_t i, syncs = 0;

	*label = judge(kind, p, ste, a, b, ops, n, false, viol);
	for (i = 0; i < n; i++)
		syncs += ops[i].kind == SHL_OP_SYNC;
	json_object_object_add(o, "from", qjson(a));
	json_object_object_add(o, "to", qjson(b));
	json_object_object_add(o, "from_config",
			       json_object_new_string(shl_inject_config_name(kind, a)));
	json_object_object_add(o, "to_config",
			       json_object_new_string(shl_inject_config_name(kind, b)));
	json_object_object_add(o, "path", plan ? json_object_new_string(shl_path_name(plan->path))
					       : NULL);
	json_object_object_add(o, "syncs", json_object_new_int((int)syncs));
	json_object_object_add(o, "verdict", json_object_new_string(*label ? *label : "error"));
	json_object_object_add(o, "expected_events", json_object_new_string(
		*label && !strcmp(*label, "breaking") ?
		(kind == SHL_KIND_STE ? "C_BAD_STE for DMA during the V=0 window" :
					"C_BAD_CD for DMA during the V=0 window") : "none"));
	json_object_object_add(o, "violations", viol);
	return o;
}

static void print_direction(json_object *d)
{
	printf("  %s -> %s: path %s, %d sync(s), oracle %s; expected events: %s\n",
	       json_object_get_string(json_object_object_get(d, "from_config")),
	       json_object_get_string(json_object_object_get(d, "to_config")),
	       json_object_get_string(json_object_object_get(d, "path")) ?: "sequence",
	       json_object_get_int(json_object_object_get(d, "syncs")),
	       json_object_get_string(json_object_object_get(d, "verdict")),
	       json_object_get_string(json_object_object_get(d, "expected_events")));
}

static int cmd_apply(int argc, char **argv, const struct shl_cli *cli)
{
	static struct shl_op pro[SHL_PLAN_MAX_OPS], body[MAX_SEQ_OPS + 2 * SHL_PLAN_MAX_OPS];
	struct shl_inject_entry live, ste;
	struct shl_entry from, to, end;
	struct shl_plan p1, p2, p0;
	struct shl_inject_result res;
	struct shl_profile prof;
	struct shl_seq seq = { 0 };
	struct inj_args a;
	json_object *o, *dirs;
	const char *label;
	size_t npro = 0, nbody = 0, n1;
	unsigned long long transitions;
	char err[300], *text;
	bool ok = true;
	int ret = parse_args(argc, argv, true, &a);

	if (ret)
		return ret;
	if (!a.sequence && (!a.from || !a.to))
		return shl_err("apply needs --from Q --to Q, or --sequence FILE");
	ret = shl_inject_read_entry(SHL_KIND_STE, &ste);
	if (!ret)
		ret = shl_inject_read_entry(a.kind, &live);
	if (ret)
		return no_module(ret);
	if (!live.present)
		return shl_err("the claimed device's STE locates no CD: nothing to apply --entry cd to");
	ret = load_profile(a.profile, &prof);
	if (ret)
		return ret;
	from = live.e;
	if (a.from && (ret = parse_q("--from", a.from, &from)))
		return ret;
	if (a.sequence) {
		ret = read_seq(a.sequence, &seq);
		if (ret)
			return ret;
		memcpy(body, seq.ops, seq.n * sizeof(*body));
		nbody = seq.n;
		shl_seq_free(&seq);
		end = from;
		apply_writes(&end, body, nbody);
		to = end;
		if (a.to && (ret = parse_q("--to", a.to, &to)))
			return ret;
	} else if ((ret = parse_q("--to", a.to, &to))) {
		return ret;
	}
	/* Bring the live entry to --from first, once. */
	if (memcmp(&from, &live.e, sizeof(from)))
		plan_ops(a.kind, &live.e, &from, &p0, pro, &npro);

	dirs = json_object_new_array();
	if (a.sequence) {
		json_object_array_add(dirs, direction_json(a.kind, &prof, &ste.e, &from, &to, body,
							   nbody, NULL, &label));
		ok = label != NULL;
		transitions = a.repeat;
		if (memcmp(&end, &from, sizeof(end)))
			fprintf(stderr, "smmu-hil: note: the sequence does not end at its start: repetitions after the first start from its end\n");
	} else {
		plan_ops(a.kind, &from, &to, &p1, body, &nbody);
		n1 = nbody;
		plan_ops(a.kind, &to, &from, &p2, body, &nbody);
		json_object_array_add(dirs, direction_json(a.kind, &prof, &ste.e, &from, &to, body,
							   n1, &p1, &label));
		ok = label != NULL;
		json_object_array_add(dirs, direction_json(a.kind, &prof, &ste.e, &to, &from,
							   body + n1, nbody - n1, &p2, &label));
		ok = ok && label;
		transitions = 2 * a.repeat;
	}
	if (!ok) {
		json_object_put(dirs);
		return SHL_EXIT_USAGE;
	}
	text = shl_inject_raw_text(a.kind, pro, npro, body, nbody, (unsigned int)a.repeat,
				   (unsigned int)a.dwell_us, err, sizeof(err));
	if (!text) {
		json_object_put(dirs);
		return shl_err("%s", err);
	}
	ret = shl_inject_raw(text, &res);
	free(text);
	if (ret) {
		json_object_put(dirs);
		if (ret == -EINVAL)
			return shl_err("the injector refused the sequence (EINVAL): a pointer outside the driver's tables, the shadow CD or the zero table, a changed unused qword, or a limit; see docs/injector.md");
		return no_module(ret);
	}
	if (res.iterations < a.repeat)
		transitions = transitions * res.iterations / a.repeat;
	o = json_object_new_object();
	json_object_object_add(o, "dev", json_object_new_string(ste.bdf));
	json_object_object_add(o, "entry", json_object_new_string(shl_kind_name(a.kind)));
	json_object_object_add(o, "profile", json_object_new_string(prof.name));
	json_object_object_add(o, "updates", dirs);
	json_object_object_add(o, "prologue_syncs", json_object_new_int(npro ? (int)p0.nsteps : 0));
	json_object_object_add(o, "repeat", json_object_new_int64((int64_t)a.repeat));
	json_object_object_add(o, "dwell_us", json_object_new_int64((int64_t)a.dwell_us));
	json_object_object_add(o, "transitions", json_object_new_int64((int64_t)transitions));
	json_object_object_add(o, "syncs", json_object_new_int64((int64_t)res.syncs));
	json_object_object_add(o, "writes", json_object_new_int64((int64_t)res.writes));
	json_object_object_add(o, "total_ns", json_object_new_int64((int64_t)res.total_ns));
	json_object_object_add(o, "rate_per_s", json_object_new_double(
		res.total_ns ? (double)transitions * 1e9 / (double)res.total_ns : 0));
	json_object_object_add(o, "ns_per_sync", json_object_new_int64((int64_t)res.ns_per_sync));
	json_object_object_add(o, "max_sync_ns", json_object_new_int64((int64_t)res.max_sync_ns));
	json_object_object_add(o, "restored", json_object_new_boolean(res.restored != 0));
	json_object_object_add(o, "driver_conflict", json_object_new_boolean(res.conflict != 0));
	json_object_object_add(o, "error", json_object_new_int64(res.error));
	if (!cli->json) {
		size_t i;

		printf("%s %s: %llu transitions in %.3f ms (%.0f/s), %llu syncs (%llu ns each, max %llu), dwell %llu us, restored %s%s\n",
		       ste.bdf, shl_kind_name(a.kind), transitions, (double)res.total_ns / 1e6,
		       json_object_get_double(json_object_object_get(o, "rate_per_s")),
		       res.syncs, res.ns_per_sync, res.max_sync_ns, a.dwell_us,
		       res.restored ? "yes" : "no",
		       res.conflict ? " (the driver rewrote the entry: stopped early)" : "");
		for (i = 0; i < json_object_array_length(dirs); i++)
			print_direction(json_object_array_get_idx(dirs, i));
		json_object_put(o);
	} else {
		shl_json_print(o, cli);
	}
	return res.error ? SHL_EXIT_FAIL : SHL_EXIT_OK;
}

/* --------------------------------------------------------------- record */

struct distinct {
	char shape[256];
	unsigned int count;
	const char *verdict;
	size_t example;		/* group index */
};

static json_object *group_json(const struct shl_rec_snap *s, const struct shl_rec_group *g,
			       const char *shape, const char *verdict, json_object *viol)
{
	json_object *o = json_object_new_object(), *syncs = json_object_new_array();
	size_t k;

	json_object_object_add(o, "entry", json_object_new_string(shl_kind_name(g->ent)));
	json_object_object_add(o, "shape", json_object_new_string(shape));
	json_object_object_add(o, "ts_ns", json_object_new_int64((int64_t)s[g->init].ts_ns));
	json_object_object_add(o, "initial", qjson(&s[g->init].e));
	for (k = 0; k < g->nsyncs; k++)
		json_object_array_add(syncs, qjson(&s[g->syncs[k]].e));
	json_object_object_add(o, "syncs", syncs);
	json_object_object_add(o, "final", qjson(&s[g->syncs[g->nsyncs - 1]].e));
	json_object_object_add(o, "truncated", json_object_new_boolean(g->truncated));
	json_object_object_add(o, "verdict", json_object_new_string(verdict));
	if (viol)
		json_object_object_add(o, "violations", viol);
	return o;
}

static int verdict_rank(const char *v)
{
	return !strcmp(v, "pass") ? 0 : !strcmp(v, "breaking") ? 1 : 2;
}

static int cmd_record_show(int argc, char **argv, const struct shl_cli *cli)
{
	static const enum shl_entry_kind kinds[] = { SHL_KIND_STE, SHL_KIND_CD };
	struct shl_op ops[SHL_ENTRY_QWORDS * 4 * (SHL_ENTRY_QWORDS + 1)];
	struct shl_rec_group *g = calloc(MAX_GROUPS, sizeof(*g));
	struct distinct *d = calloc(MAX_GROUPS, sizeof(*d));
	json_object *o, *updates, *dist;
	struct shl_rec_snap *s = NULL;
	struct shl_profile p;
	struct inj_args a;
	size_t n = 0, ng, nd = 0, i, j, k, nops;
	char *text = NULL, err[300];
	const char *label;
	int ret = parse_args(argc, argv, false, &a), rc = SHL_EXIT_OK;

	if (!g || !d) {
		free(g);
		free(d);
		return shl_err("out of memory");
	}
	if (!ret)
		ret = load_profile(a.profile, &p);
	if (!ret && (ret = shl_inject_record_read(&text)))
		ret = no_module(ret);
	if (!ret && shl_rec_parse(text, &s, &n, err, sizeof(err)))
		ret = shl_err("record: %s", err);
	free(text);
	if (ret) {
		free(g);
		free(d);
		return ret;
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
			label = judge(kinds[k], &p, ste, &s[g[i].init].e,
				      &s[g[i].syncs[g[i].nsyncs - 1]].e, ops, nops, true, viol);
			if (!label) {
				label = "error";
				rc = SHL_EXIT_USAGE;
			}
			shl_rec_group_shape(s, &g[i], shape, sizeof(shape));
			json_object_array_add(updates, group_json(s, &g[i], shape, label, viol));
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
			if (strcmp(label, "pass") && rc == SHL_EXIT_OK)
				rc = SHL_EXIT_FAIL;
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
	json_object_object_add(o, "profile", json_object_new_string(p.name));
	json_object_object_add(o, "granularity", json_object_new_string("sync"));
	json_object_object_add(o, "snapshots", json_object_new_int64((int64_t)n));
	json_object_object_add(o, "updates", updates);
	json_object_object_add(o, "distinct", dist);
	if (cli->json) {
		shl_json_print(o, cli);
	} else {
		printf("%zu snapshots, %zu driver updates, %zu distinct (oracle at sync granularity, profile %s)\n",
		       n, json_object_array_length(updates), nd, p.name);
		for (j = 0; j < nd; j++) {
			json_object *ex = json_object_array_get_idx(updates, d[j].example);

			printf("  %4u x %-40s %s\n       e.g. %s -> %s\n", d[j].count, d[j].shape,
			       d[j].verdict,
			       json_object_get_string(json_object_object_get(ex, "initial")),
			       json_object_get_string(json_object_object_get(ex, "final")));
		}
		json_object_put(o);
	}
	free(s);
	free(g);
	free(d);
	return rc;
}

static int cmd_record(int argc, char **argv, const struct shl_cli *cli)
{
	const char *verb = argc > 1 ? argv[1] : "";
	int ret;

	if (!strcmp(verb, "show"))
		return cmd_record_show(argc - 2, argv + 2, cli);
	if (argc != 2 || (strcmp(verb, "start") && strcmp(verb, "stop"))) {
		usage(stderr);
		return shl_err("record takes start, stop or show");
	}
	/* A start begins a fresh recording. */
	ret = strcmp(verb, "start") ? 0 : shl_inject_record_ctl("clear");
	if (!ret)
		ret = shl_inject_record_ctl(verb);
	if (ret == -EOPNOTSUPP)
		return shl_err("the recorder does not know this kernel (see docs/injector.md)");
	return ret ? no_module(ret) : SHL_EXIT_OK;
}

int shl_cmd_inject(int argc, char **argv, const struct shl_cli *cli)
{
	const char *verb = argc > 1 ? argv[1] : NULL;

	if (!verb || !strcmp(verb, "help")) {
		usage(verb ? stdout : stderr);
		return verb ? SHL_EXIT_OK : SHL_EXIT_USAGE;
	}
	if (!strcmp(verb, "show"))
		return cmd_show(argc - 2, argv + 2, cli);
	if (!strcmp(verb, "apply"))
		return cmd_apply(argc - 2, argv + 2, cli);
	if (!strcmp(verb, "record"))
		return cmd_record(argc - 1, argv + 1, cli);
	usage(stderr);
	return shl_err("unknown verb '%s' for inject (show, apply, record)", verb);
}
