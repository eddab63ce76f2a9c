// SPDX-License-Identifier: GPL-2.0-only
/*
 * smmu-hil ste|cd decode|encode|plan|verify|rules: the STE/CD oracle's
 * command line (docs/oracle.md, "Command-line contract"). One verb table
 * per object; what differs between the two comes from the kind's ops
 * (entry_ops.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "smmu_hil/check.h"
#include "smmu_hil/entry_ops.h"
#include "smmu_hil/plan.h"
#include "smmu_hil/profile.h"
#include "smmu_hil/rules.h"

#define MAX_SEQ_BYTES (16u << 20)
#define MAX_REPORTED 4096

/* Options of every verb; each verb accepts its own subset. */
struct entry_args {
	const char *from, *to, *sequence, *profile, *ste;
	const char *granularity;
	unsigned int quanta;
	bool no_update_safe, allow_breaking, l1;
	int npos;
	char **pos;			/* positional arguments */
};

enum {
	OPT_FROM = 1 << 0, OPT_TO = 1 << 1, OPT_SEQUENCE = 1 << 2, OPT_PROFILE = 1 << 3,
	OPT_GRANULARITY = 1 << 4, OPT_QUANTA = 1 << 5, OPT_NO_SAFE = 1 << 6,
	OPT_BREAKING = 1 << 7, OPT_L1 = 1 << 8, OPT_STE = 1 << 9,
};

/* getopt_long values: 256 + the option's bit number in enum above */
#define OPT_VAL(bit) (256 + __builtin_ctz(bit))

static int parse_args(int argc, char **argv, unsigned int allowed, struct entry_args *a)
{
	static const struct option opts[] = {
		{ "from", required_argument, NULL, OPT_VAL(OPT_FROM) },
		{ "to", required_argument, NULL, OPT_VAL(OPT_TO) },
		{ "sequence", required_argument, NULL, OPT_VAL(OPT_SEQUENCE) },
		{ "profile", required_argument, NULL, OPT_VAL(OPT_PROFILE) },
		{ "granularity", required_argument, NULL, OPT_VAL(OPT_GRANULARITY) },
		{ "quanta", required_argument, NULL, OPT_VAL(OPT_QUANTA) },
		{ "no-update-safe", no_argument, NULL, OPT_VAL(OPT_NO_SAFE) },
		{ "allow-breaking", no_argument, NULL, OPT_VAL(OPT_BREAKING) },
		{ "l1", no_argument, NULL, OPT_VAL(OPT_L1) },
		{ "ste", required_argument, NULL, OPT_VAL(OPT_STE) },
		{ NULL, 0, NULL, 0 },
	};
	unsigned int bit;
	int c;

	memset(a, 0, sizeof(*a));
	a->quanta = 64;
	while ((c = shl_getopt(argc, argv, "", opts)) != -1) {
		if (c == SHL_GETOPT_ERR)
			return SHL_EXIT_USAGE;
		bit = 1u << (c - 256);
		if (!(allowed & bit))
			return shl_err("%s takes no --%s", argv[0], opts[c - 256].name);
		switch (bit) {
		case OPT_FROM:
			a->from = optarg;
			break;
		case OPT_TO:
			a->to = optarg;
			break;
		case OPT_SEQUENCE:
			a->sequence = optarg;
			break;
		case OPT_PROFILE:
			a->profile = optarg;
			break;
		case OPT_GRANULARITY:
			if (strcmp(optarg, "store") && strcmp(optarg, "sync"))
				return shl_err("--granularity takes store or sync");
			a->granularity = optarg;
			break;
		case OPT_QUANTA:
			if (strcmp(optarg, "64") && strcmp(optarg, "128"))
				return shl_err("--quanta takes 64 or 128");
			a->quanta = (unsigned int)atoi(optarg);
			break;
		case OPT_NO_SAFE:
			a->no_update_safe = true;
			break;
		case OPT_BREAKING:
			a->allow_breaking = true;
			break;
		case OPT_L1:
			a->l1 = true;
			break;
		case OPT_STE:
			a->ste = optarg;
			break;
		}
	}
	a->pos = argv + optind;
	a->npos = argc - optind;
	return 0;
}

static int parse_q(const char *what, const char *s, unsigned int nq, struct shl_entry *e)
{
	char err[160];

	if (!s)
		return shl_err("%s is required", what);
	if (shl_entry_parse_q(s, nq, e, err, sizeof(err)))
		return shl_err("%s: %s", what, err);
	return 0;
}

static int load_profile(const char *spec, struct shl_profile *p)
{
	char err[400];

	if (shl_profile_load(spec, p, err, sizeof(err)))
		return shl_err("%s", err);
	return 0;
}

/* --------------------------------------------------------------- decode */

/* @e's C_BAD_* rule for an STE or CD; none for a level-1 descriptor */
static enum shl_rule entry_bad(enum shl_entry_kind kind, const struct shl_profile *p,
			       const struct shl_cd_ctx *ctx, const struct shl_entry *e)
{
	const struct shl_entry_ops *ops = shl_entry_ops(kind);

	return ops ? ops->bad(p, ctx, e) : SHL_RULE_NONE;
}

static int cd_context(enum shl_entry_kind kind, const struct entry_args *a,
		      const struct shl_profile *p, struct shl_cd_ctx *ctx)
{
	struct shl_entry ste;
	int ret;

	memset(ctx, 0, sizeof(*ctx));
	if (!shl_entry_ops(kind)->has_ctx || !a->ste)
		return 0;
	ret = parse_q("--ste", a->ste, SHL_ENTRY_QWORDS, &ste);
	if (!ret)
		shl_cd_ctx_from_ste(p, &ste, ctx);
	return ret;
}

static int cmd_decode(enum shl_entry_kind kind, int argc, char **argv, const struct shl_cli *cli)
{
	const struct shl_entry_ops *ops = shl_entry_ops(kind);
	struct entry_args a;
	struct shl_profile p;
	struct shl_cd_ctx ctx;
	struct shl_entry e;
	enum shl_rule bad;
	int ret = parse_args(argc, argv, OPT_L1 | OPT_PROFILE | OPT_STE, &a);

	if (ret)
		return ret;
	if (a.l1)
		kind = ops->l1_kind;
	if (a.npos != 1)
		return shl_err("decode takes one entry Q (hex qwords separated by commas)");
	ret = parse_q("entry", a.pos[0], shl_kind_qwords(kind), &e);
	if (!ret)
		ret = load_profile(a.profile, &p);
	if (!ret)
		ret = cd_context(ops->kind, &a, &p, &ctx);
	if (ret)
		return ret;
	bad = entry_bad(kind, &p, &ctx, &e);
	if (cli->json) {
		json_object *o = shl_entry_to_json(kind, &e);

		if (!a.l1) {
			json_object_object_add(o, "profile", json_object_new_string(p.name));
			json_object_object_add(o, "rule", bad ? json_object_new_string(shl_rule_name(bad))
							      : NULL);
		}
		shl_json_print(o, cli);
	} else {
		shl_entry_print(stdout, kind, &e);
		if (bad)
			printf("# %s under profile %s: %s\n", ops->bad_event, p.name,
			       shl_rule_name(bad));
	}
	return SHL_EXIT_OK;
}

/* --------------------------------------------------------------- encode */

static int cmd_encode(enum shl_entry_kind kind, int argc, char **argv, const struct shl_cli *cli)
{
	struct entry_args a;
	struct shl_entry e;
	char err[200], q[200];
	int ret = parse_args(argc, argv, OPT_L1, &a);

	if (ret)
		return ret;
	if (a.l1)
		kind = shl_entry_ops(kind)->l1_kind;
	if (shl_entry_encode(kind, a.npos, a.pos, &e, err, sizeof(err)))
		return shl_err("%s", err);
	shl_entry_format_q(&e, shl_kind_qwords(kind), q, sizeof(q));
	if (cli->json) {
		json_object *o = shl_entry_to_json(kind, &e);

		json_object_object_add(o, "q", json_object_new_string(q));
		shl_json_print(o, cli);
	} else {
		puts(q);
	}
	return SHL_EXIT_OK;
}

/* ----------------------------------------------------------------- plan */

static json_object *hex64(uint64_t v)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "0x%016llx", (unsigned long long)v);
	return json_object_new_string(buf);
}

static json_object *plan_json(const struct shl_plan *plan)
{
	json_object *o = json_object_new_object(), *steps = json_object_new_array();
	unsigned int s, k;

	json_object_object_add(o, "path", json_object_new_string(shl_path_name(plan->path)));
	json_object_object_add(o, "critical_qword", plan->critical_qword < 0 ? NULL :
			       json_object_new_int(plan->critical_qword));
	json_object_object_add(o, "syncs", json_object_new_int((int)plan->nsteps));
	json_object_object_add(o, "hitless", json_object_new_boolean(plan->hitless));
	json_object_object_add(o, "consistent", json_object_new_boolean(plan->consistent));
	for (s = 0; s < plan->nsteps; s++) {
		json_object *step = json_object_new_object(), *writes = json_object_new_array();

		for (k = 0; k < plan->steps[s].nstores; k++) {
			const struct shl_store *st = &plan->steps[s].st[k];
			json_object *w = json_object_new_object();

			json_object_object_add(w, "qword", json_object_new_int(st->qword));
			json_object_object_add(w, "value", hex64(st->v[0]));
			if (st->nq == 2) {
				json_object_object_add(w, "width", json_object_new_int(128));
				json_object_object_add(w, "value_hi", hex64(st->v[1]));
			}
			json_object_array_add(writes, w);
		}
		json_object_object_add(step, "writes", writes);
		json_object_array_add(steps, step);
	}
	json_object_object_add(o, "steps", steps);
	if (plan->target_unused_bits)
		json_object_object_add(o, "warning",
				       json_object_new_string("target sets bits outside its used mask"));
	return o;
}

static int cmd_plan(enum shl_entry_kind kind, int argc, char **argv, const struct shl_cli *cli)
{
	struct entry_args a;
	struct shl_entry from, to;
	struct shl_plan plan;
	struct shl_plan_opts po;
	struct shl_op ops[SHL_PLAN_MAX_OPS];
	unsigned int allowed = OPT_FROM | OPT_TO | OPT_QUANTA;
	int ret;

	if (shl_entry_ops(kind)->update_safe)
		allowed |= OPT_NO_SAFE;
	ret = parse_args(argc, argv, allowed, &a);
	if (ret)
		return ret;
	if (a.npos)
		return shl_err("plan takes no positional argument ('%s')", a.pos[0]);
	ret = parse_q("--from", a.from, SHL_ENTRY_QWORDS, &from);
	if (!ret)
		ret = parse_q("--to", a.to, SHL_ENTRY_QWORDS, &to);
	if (ret)
		return ret;
	po = (struct shl_plan_opts){ .quanta = a.quanta, .update_safe = !a.no_update_safe };
	shl_plan_entry(kind, &from, &to, &po, &plan);
	if (cli->json) {
		shl_json_print(plan_json(&plan), cli);
		return SHL_EXIT_OK;
	}
	printf("# path %s, critical qword %d, %u sync(s), %s%s%s\n",
	       shl_path_name(plan.path), plan.critical_qword, plan.nsteps,
	       plan.hitless ? "hitless" : "NOT hitless (a sync sees qword 0 = 0)",
	       plan.consistent ? "" : ", a sync matches neither endpoint",
	       plan.target_unused_bits ? " (target sets unused bits)" : "");
	shl_seq_print(stdout, ops, shl_plan_to_ops(&plan, ops, SHL_PLAN_MAX_OPS));
	return SHL_EXIT_OK;
}

/* --------------------------------------------------------------- verify */

static int read_file(const char *path, char **buf, size_t *len)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
	size_t cap = 4096, n = 0;
	char *b;

	if (!f)
		return shl_err("%s: %s", path, strerror(errno));
	b = malloc(cap);
	while (b) {
		size_t got = fread(b + n, 1, cap - n, f);

		n += got;
		if (n < cap)
			break;
		if (cap >= MAX_SEQ_BYTES) {
			free(b);
			b = NULL;
			break;
		}
		cap *= 2;
		b = realloc(b, cap);
	}
	if (f != stdin)
		fclose(f);
	if (!b)
		return shl_err("%s: larger than %u bytes or out of memory", path, MAX_SEQ_BYTES);
	*buf = b;
	*len = n;
	return 0;
}

static void verify_print(enum shl_entry_kind kind, const struct shl_check_result *r,
			 const struct shl_cli *cli)
{
	size_t i;

	if (cli->json) {
		json_object *o = json_object_new_object(), *va = json_object_new_array();
		json_object *cl = json_object_new_object();

		json_object_object_add(o, "verdict", json_object_new_string(r->pass ? "pass" : "fail"));
		json_object_object_add(o, "observations", json_object_new_int64((int64_t)r->observations));
		for (i = 0; i < r->nviol; i++) {
			json_object *v = json_object_new_object();

			json_object_object_add(v, "after", json_object_new_int((int)r->viol[i].after));
			json_object_object_add(v, "kind", json_object_new_string(
				shl_violation_name((enum shl_violation_kind)r->viol[i].kind)));
			json_object_object_add(v, "rule", json_object_new_string(r->viol[i].rule));
			json_object_object_add(v, "entry", shl_qwords_to_json(&r->viol[i].entry,
									      shl_kind_qwords(kind)));
			json_object_array_add(va, v);
		}
		json_object_object_add(o, "violations", va);
		for (i = 0; i < SHL_CLASS_COUNT; i++)
			json_object_object_add(cl, shl_class_name((enum shl_class)i),
					       json_object_new_int64((int64_t)r->classes[i]));
		json_object_object_add(o, "classes", cl);
		shl_json_print(o, cli);
		return;
	}
	printf("%s: %llu observations, %llu violations\n", r->pass ? "pass" : "fail",
	       (unsigned long long)r->observations, (unsigned long long)r->nviolations);
	for (i = 0; i < r->nviol; i++) {
		char q[200];

		shl_entry_format_q(&r->viol[i].entry, SHL_ENTRY_QWORDS, q, sizeof(q));
		printf("after op %u: %s (%s) %s\n", r->viol[i].after,
		       shl_violation_name((enum shl_violation_kind)r->viol[i].kind), r->viol[i].rule,
		       q);
	}
}

static int cmd_verify(enum shl_entry_kind kind, int argc, char **argv, const struct shl_cli *cli)
{
	unsigned int allowed = OPT_FROM | OPT_TO | OPT_SEQUENCE | OPT_PROFILE | OPT_GRANULARITY |
			       OPT_QUANTA | OPT_BREAKING |
			       (shl_entry_ops(kind)->has_ctx ? OPT_STE : 0);
	struct entry_args a;
	struct shl_profile p;
	struct shl_entry from, to;
	struct shl_model m = { .kind = kind, .spec = true, .update_safe = true };
	struct shl_check_opts co;
	struct shl_check_result r = { 0 };
	struct shl_seq seq;
	char *text = NULL, err[300];
	size_t len = 0;
	int ret = parse_args(argc, argv, allowed, &a);

	if (ret)
		return ret;
	if (a.npos)
		return shl_err("verify takes no positional argument ('%s')", a.pos[0]);
	if (!a.sequence)
		return shl_err("--sequence FILE is required");
	ret = parse_q("--from", a.from, SHL_ENTRY_QWORDS, &from);
	if (!ret)
		ret = parse_q("--to", a.to, SHL_ENTRY_QWORDS, &to);
	if (!ret)
		ret = load_profile(a.profile, &p);
	if (!ret)
		ret = cd_context(kind, &a, &p, &m.cd);
	if (!ret)
		ret = read_file(a.sequence, &text, &len);
	if (ret)
		return ret;
	m.p = &p;
	if (shl_seq_parse(text, len, SHL_ENTRY_QWORDS, &seq, err, sizeof(err))) {
		free(text);
		return shl_err("%s: %s", a.sequence, err);
	}
	free(text);
	co = (struct shl_check_opts){ .sync_only = a.granularity && !strcmp(a.granularity, "sync"),
				      .allow_breaking = a.allow_breaking, .quanta = a.quanta };
	r.viol = calloc(MAX_REPORTED, sizeof(*r.viol));
	r.viol_cap = r.viol ? MAX_REPORTED : 0;
	if (shl_check(&m, &from, &to, seq.ops, seq.n, &co, &r, err, sizeof(err))) {
		shl_seq_free(&seq);
		free(r.viol);
		return shl_err("%s: %s", a.sequence, err);
	}
	verify_print(kind, &r, cli);
	shl_seq_free(&seq);
	free(r.viol);
	return r.pass ? SHL_EXIT_OK : SHL_EXIT_FAIL;
}

/* ---------------------------------------------------------------- rules */

static int cmd_rules(enum shl_entry_kind kind, int argc, char **argv, const struct shl_cli *cli)
{
	const struct shl_entry_ops *ops = shl_entry_ops(kind);
	json_object *arr;
	struct entry_args a;
	unsigned int r;
	int ret = parse_args(argc, argv, 0, &a);

	if (ret)
		return ret;
	if (a.npos)
		return shl_err("rules takes no argument ('%s')", a.pos[0]);
	arr = json_object_new_array();
	for (r = ops->rule_v0; r <= ops->rule_last; r++) {
		if (cli->json) {
			json_object *o = json_object_new_object();

			json_object_object_add(o, "rule", json_object_new_string(shl_rule_name(r)));
			json_object_object_add(o, "condition", json_object_new_string(shl_rule_doc(r)));
			json_object_array_add(arr, o);
		} else {
			printf("%-30s %s\n", shl_rule_name(r), shl_rule_doc(r));
		}
	}
	if (cli->json)
		shl_json_print(arr, cli);
	else
		json_object_put(arr);
	return SHL_EXIT_OK;
}

static void usage(FILE *f, const struct shl_entry_ops *ops)
{
	const char *obj = ops->name, *ste = ops->has_ctx ? " [--ste Q]" : "";

	fprintf(f, "usage: smmu-hil %s decode Q [--l1] [--profile NAME|FILE]%s [-j]\n"
		   "       smmu-hil %s encode FIELD=VALUE ... [--l1] [-j]\n"
		   "       smmu-hil %s plan --from Q --to Q%s [--quanta 64|128] [-j]\n"
		   "       smmu-hil %s verify --from Q --to Q --sequence FILE [--granularity store|sync]\n"
		   "                [--allow-breaking] [--quanta 64|128] [--profile NAME|FILE]%s [-j]\n"
		   "       smmu-hil %s rules [-j]\n"
		   "Q: up to 8 hex qwords separated by commas, qword 0 first.\n",
		   obj, ste, obj, obj, ops->update_safe ? " [--no-update-safe]" : "", obj, ste, obj);
}

/* The verbs of one kind: the kind-generic handlers above bound to @kind. */
#define ENTRY_VERBS(pfx, kind)								\
static int pfx##_decode(int argc, char **argv, const struct shl_cli *cli)		\
{ return cmd_decode(kind, argc, argv, cli); }						\
static int pfx##_encode(int argc, char **argv, const struct shl_cli *cli)		\
{ return cmd_encode(kind, argc, argv, cli); }						\
static int pfx##_plan(int argc, char **argv, const struct shl_cli *cli)		\
{ return cmd_plan(kind, argc, argv, cli); }						\
static int pfx##_verify(int argc, char **argv, const struct shl_cli *cli)		\
{ return cmd_verify(kind, argc, argv, cli); }						\
static int pfx##_rules(int argc, char **argv, const struct shl_cli *cli)		\
{ return cmd_rules(kind, argc, argv, cli); }						\
static void pfx##_usage(FILE *f)							\
{ usage(f, shl_entry_ops(kind)); }							\
static const struct shl_verb pfx##_verbs[] = {						\
	{ "decode", pfx##_decode, "decode an entry, with its C_BAD_* verdict" },	\
	{ "encode", pfx##_encode, "build an entry from FIELD=VALUE" },			\
	{ "plan", pfx##_plan, "the driver's update sequence (arm_smmu_write_entry)" },	\
	{ "verify", pfx##_verify, "judge a store sequence per store" },		\
	{ "rules", pfx##_rules, "the C_BAD_* rules" },					\
	{ NULL, NULL, NULL },								\
}

ENTRY_VERBS(ste, SHL_KIND_STE);
ENTRY_VERBS(cd, SHL_KIND_CD);

int shl_cmd_ste(int argc, char **argv, const struct shl_cli *cli)
{
	return shl_cmd_select("ste", ste_verbs, NULL, argc - 1, argv + 1, cli, ste_usage);
}

int shl_cmd_cd(int argc, char **argv, const struct shl_cli *cli)
{
	return shl_cmd_select("cd", cd_verbs, NULL, argc - 1, argv + 1, cli, cd_usage);
}
