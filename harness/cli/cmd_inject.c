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
 *   inject barriers
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "smmu_hil/check.h"
#include "cli.h"
#include "smmu_hil/dut.h"
#include "smmu_hil/entry_ops.h"
#include "smmu_hil/idr.h"
#include "smmu_hil/inject.h"
#include "smmu_hil/plan.h"
#include "smmu_hil/profile.h"
#include "smmu_hil/rules.h"

#define MAX_REPEAT	1000000
#define MAX_DWELL_US	100000
#define MAX_SEQ_OPS	4096

static void usage(FILE *f)
{
	fprintf(f,
		"usage: smmu-hil inject show [--profile NAME|FILE] [-j]\n"
		"       smmu-hil inject apply --from Q --to Q [--entry ste|cd] [--repeat N]\n"
		"                [--dwell-us N] [--profile NAME|FILE] [-j]\n"
		"       smmu-hil inject apply --sequence FILE [--from Q] [--to Q] [--entry ste|cd]\n"
		"                [--repeat N] [--dwell-us N] [--profile NAME|FILE] [-j]\n"
		"       smmu-hil inject record start|stop|show [--profile NAME|FILE] [-j]\n"
		"       smmu-hil inject barriers [-j]\n"
		"Q: up to 8 hex qwords separated by commas, qword 0 first.\n"
		"apply needs smmu_hil_inject loaded with allow_raw=1.\n");
}

struct inj_args {
	const char *from, *to, *sequence, *profile;
	enum shl_entry_kind kind;
	unsigned long long repeat, dwell_us;
};

/* The options of @argv[0]'s verb: --profile for all, the rest for apply only. */
static int parse_args(int argc, char **argv, bool apply, struct inj_args *a)
{
	static const struct option opts[] = {
		{ "profile", required_argument, NULL, 'P' },
		{ "from", required_argument, NULL, 'f' },
		{ "to", required_argument, NULL, 't' },
		{ "sequence", required_argument, NULL, 's' },
		{ "entry", required_argument, NULL, 'e' },
		{ "repeat", required_argument, NULL, 'r' },
		{ "dwell-us", required_argument, NULL, 'w' },
		{ NULL, 0, NULL, 0 },
	};
	int c, k;

	memset(a, 0, sizeof(*a));
	a->kind = SHL_KIND_STE;
	a->repeat = 1;
	while ((c = shl_getopt(argc, argv, "", opts)) != -1) {
		if (c == SHL_GETOPT_ERR)
			return SHL_EXIT_USAGE;
		if (c != 'P' && !apply) {
			for (k = 0; opts[k].val != c; k++)
				;
			return shl_err("inject %s takes no --%s", argv[0], opts[k].name);
		}
		switch (c) {
		case 'P':
			a->profile = optarg;
			break;
		case 'f':
			a->from = optarg;
			break;
		case 't':
			a->to = optarg;
			break;
		case 's':
			a->sequence = optarg;
			break;
		case 'e':
			if (strcmp(optarg, "ste") && strcmp(optarg, "cd"))
				return shl_err("--entry takes ste or cd");
			a->kind = strcmp(optarg, "cd") ? SHL_KIND_STE : SHL_KIND_CD;
			break;
		case 'r':
			if (shl_parse_uint_range(optarg, 1, MAX_REPEAT, &a->repeat))
				return shl_err("--repeat: expected 1..%d, got '%s'", MAX_REPEAT, optarg);
			break;
		case 'w':
			if (shl_parse_uint_range(optarg, 0, MAX_DWELL_US, &a->dwell_us))
				return shl_err("--dwell-us: expected 0..%d, got '%s'", MAX_DWELL_US,
					       optarg);
			break;
		}
	}
	if (optind < argc)
		return shl_err("unexpected argument '%s' (try `smmu-hil inject help`)", argv[optind]);
	return 0;
}

/* --profile, else the DUT's own SMMU, else "full". */
static int load_profile(const char *spec, struct shl_profile *p)
{
	char err[300];

	return shl_dut_profile(spec, p, err, sizeof(err)) ? shl_err("%s", err) : 0;
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

/* ----------------------------------------------------------------- show */

static json_object *entry_json(enum shl_entry_kind kind, const struct shl_profile *p,
			       const struct shl_inject_entry *ie, const struct shl_entry *ste)
{
	const struct shl_entry_ops *ops = shl_entry_ops(kind);
	json_object *o = shl_entry_to_json(kind, &ie->e);
	struct shl_cd_ctx ctx = { 0 };
	enum shl_rule bad;
	char pa[32];

	if (ops->has_ctx)
		shl_cd_ctx_from_ste(p, ste, &ctx);
	bad = ops->bad(p, &ctx, &ie->e);
	snprintf(pa, sizeof(pa), "0x%llx", (unsigned long long)ie->pa);
	json_object_object_add(o, "pa", json_object_new_string(pa));
	json_object_object_add(o, "q", shl_inject_qjson(&ie->e));
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
		/* the driver updates entries with arm_smmu_write_entry() (the recorder's targets) */
		json_object_object_add(o, "writer", json_object_new_boolean(ste.writer));
		json_object_object_add(o, "update_safe", json_object_new_boolean(ste.update_safe));
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

static void print_direction(json_object *d)
{
	json_object *h = json_object_object_get(d, "hitless");

	printf("  %s -> %s: path %s, %d sync(s)%s, oracle %s; expected events: %s\n",
	       json_object_get_string(json_object_object_get(d, "from_config")),
	       json_object_get_string(json_object_object_get(d, "to_config")),
	       json_object_get_string(json_object_object_get(d, "path")) ?: "sequence",
	       json_object_get_int(json_object_object_get(d, "syncs")),
	       h && !json_object_get_boolean(h) ? ", not hitless (a sync sees qword 0 = 0)" : "",
	       json_object_get_string(json_object_object_get(d, "verdict")),
	       json_object_get_string(json_object_object_get(d, "expected_events")));
}

/* apply's ops: a prologue to --from, then the body (too large for a stack) */
struct apply_ops {
	struct shl_op pro[SHL_PLAN_MAX_OPS];
	struct shl_op body[MAX_SEQ_OPS + 2 * SHL_PLAN_MAX_OPS];
};

static int apply(int argc, char **argv, const struct shl_cli *cli, struct shl_op *pro,
		 struct shl_op *body)
{
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
	struct smmu_hil_inj_seq *raw;
	char err[300];
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
		shl_inject_apply_writes(&end, body, nbody);
		to = end;
		if (a.to && (ret = parse_q("--to", a.to, &to)))
			return ret;
	} else if ((ret = parse_q("--to", a.to, &to))) {
		return ret;
	}
	/* Bring the live entry to --from first, once. */
	if (memcmp(&from, &live.e, sizeof(from)))
		shl_inject_plan_ops(a.kind, &live.e, &from, &p0, pro, &npro);

	dirs = json_object_new_array();
	if (a.sequence) {
		json_object_array_add(dirs, shl_inject_direction_json(a.kind, &prof, &ste.e, &from, &to, body,
								     nbody, NULL, &label, err, sizeof(err)));
		ok = label != NULL;
		transitions = a.repeat;
		if (memcmp(&end, &from, sizeof(end)))
			fprintf(stderr, "smmu-hil: note: the sequence does not end at its start: repetitions after the first start from its end\n");
	} else {
		shl_inject_plan_ops(a.kind, &from, &to, &p1, body, &nbody);
		n1 = nbody;
		shl_inject_plan_ops(a.kind, &to, &from, &p2, body, &nbody);
		json_object_array_add(dirs, shl_inject_direction_json(a.kind, &prof, &ste.e, &from, &to, body,
								     n1, &p1, &label, err, sizeof(err)));
		ok = label != NULL;
		json_object_array_add(dirs, shl_inject_direction_json(a.kind, &prof, &ste.e, &to, &from,
								     body + n1, nbody - n1, &p2, &label,
								     err, sizeof(err)));
		ok = ok && label;
		transitions = 2 * a.repeat;
	}
	if (!ok) {
		json_object_put(dirs);
		return shl_err("oracle: %s", err);
	}
	raw = shl_inject_raw_encode(a.kind, pro, npro, body, nbody, (unsigned int)a.repeat,
				    (unsigned int)a.dwell_us, err, sizeof(err));
	if (!raw) {
		json_object_put(dirs);
		return shl_err("%s", err);
	}
	ret = shl_inject_raw(raw, &res);
	free(raw);
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

static int cmd_apply(int argc, char **argv, const struct shl_cli *cli)
{
	struct apply_ops *ops = calloc(1, sizeof(*ops));
	int ret;

	if (!ops)
		return shl_err("out of memory");
	ret = apply(argc, argv, cli, ops->pro, ops->body);
	free(ops);
	return ret;
}

/* --------------------------------------------------------------- record */

static int cmd_record_show(int argc, char **argv, const struct shl_cli *cli)
{
	json_object *o, *dist, *cmp, *bw;
	struct shl_inject_entry ste;
	struct shl_profile p;
	struct inj_args a;
	struct shl_rec_log log = { 0 };
	char err[300];
	int ret = parse_args(argc, argv, false, &a), worst = 0;
	size_t j;

	if (!ret)
		ret = load_profile(a.profile, &p);
	if (!ret && (ret = shl_inject_read_entry(SHL_KIND_STE, &ste)))
		ret = no_module(ret);
	if (!ret && (ret = shl_inject_record_read(&log)))
		ret = no_module(ret);
	if (ret)
		return ret;
	o = shl_inject_record_report(&p, &log, ste.update_safe, &worst, err, sizeof(err));
	shl_rec_log_free(&log);
	if (!o)
		return shl_err("record: %s", err);
	dist = json_object_object_get(o, "distinct");
	if (cli->json) {
		shl_json_print(o, cli);
	} else {
		printf("%lld snapshots, %zu driver updates, %zu distinct (oracle at sync granularity, profile %s)\n",
		       (long long)json_object_get_int64(json_object_object_get(o, "snapshots")),
		       json_object_array_length(json_object_object_get(o, "updates")),
		       json_object_array_length(dist), p.name);
		for (j = 0; j < json_object_array_length(dist); j++) {
			json_object *x = json_object_array_get_idx(dist, j);
			json_object *ex = json_object_object_get(x, "example");

			printf("  %4d x %-40s %s\n       e.g. %s -> %s\n",
			       json_object_get_int(json_object_object_get(x, "count")),
			       json_object_get_string(json_object_object_get(x, "shape")),
			       json_object_get_string(json_object_object_get(x, "verdict")),
			       json_object_get_string(json_object_object_get(ex, "initial")),
			       json_object_get_string(json_object_object_get(ex, "final")));
		}
		cmp = json_object_object_get(o, "kernel_vs_oracle");
		if (ste.writer)
			printf("kernel vs oracle plan (arm_smmu_write_entry%s): %lld compared, %lld differ, %lld unexplained\n",
			       ste.update_safe ? ", update-safe bits" : "",
			       (long long)json_object_get_int64(json_object_object_get(o, "compared")),
			       (long long)json_object_get_int64(json_object_object_get(o, "differences")),
			       (long long)json_object_get_int64(json_object_object_get(o, "unexplained")));
		for (j = 0; j < json_object_array_length(cmp); j++) {
			json_object *x = json_object_array_get_idx(cmp, j);
			const char *d = json_object_get_string(json_object_object_get(x, "difference"));
			const char *e = json_object_get_string(json_object_object_get(x, "explanation"));

			printf("  %4d x %-24s kernel%-22s oracle%-22s %s%s%s%s%s\n",
			       json_object_get_int(json_object_object_get(x, "count")),
			       json_object_get_string(json_object_object_get(x, "transition")),
			       json_object_get_string(json_object_object_get(x, "kernel_steps")),
			       json_object_get_string(json_object_object_get(x, "oracle_steps")),
			       json_object_get_string(json_object_object_get(x, "verdict")),
			       d ? ": " : "", d ? d : "", e ? "; explained: " : "", e ? e : "");
		}
		bw = json_object_object_get(o, "barrier_witness");
		if (ste.writer)
			printf("every store (ascending qwords per sync): %lld writer calls checked, %lld findings; barrier witness: %lld calls that stored, %lld ordered, %lld late, %lld missing\n",
			       (long long)json_object_get_int64(json_object_object_get(o, "store_checked")),
			       (long long)json_object_get_int64(json_object_object_get(o, "store_findings")),
			       (long long)json_object_get_int64(json_object_object_get(bw, "calls")),
			       (long long)json_object_get_int64(json_object_object_get(bw, "ordered")),
			       (long long)json_object_get_int64(json_object_object_get(bw, "late")),
			       (long long)json_object_get_int64(json_object_object_get(bw, "missing")));
		json_object_put(o);
	}
	return worst == 2 ? SHL_EXIT_USAGE : worst ? SHL_EXIT_FAIL : SHL_EXIT_OK;
}

/* barriers: the DMB/DSB instructions of the running kernel's entry writer */
static int cmd_barriers(int argc, char **argv, const struct shl_cli *cli)
{
	struct shl_inject_barriers b;
	struct inj_args a;
	json_object *o;
	unsigned int i;
	int ret = parse_args(argc, argv, false, &a);

	if (ret)
		return ret;
	if (a.profile)
		return shl_err("barriers takes no --profile");
	ret = shl_inject_read_barriers(&b);
	if (ret)
		return no_module(ret);
	o = shl_inject_barriers_json(&b);
	if (cli->json) {
		shl_json_print(o, cli);
		return SHL_EXIT_OK;
	}
	if (b.error)
		printf("no barrier list: %s (%s)\n", strerror(-b.error),
		       b.error == -ENOENT ? "the kernel has no entry writer in kallsyms" :
		       b.error == -EOPNOTSUPP ? "not arm64" : "the writer's code could not be read");
	else
		printf("%s: %u bytes, %u DMB/DSB, %d ordering stores for the SMMU%s\n", b.func,
		       b.size, b.count,
		       json_object_get_int(json_object_object_get(o, "store_barriers")),
		       b.truncated ? " (list truncated)" : "");
	for (i = 0; i < b.count; i++)
		printf("  +0x%-4x %08x  %-10s %s%s\n", b.b[i].offset, b.b[i].insn, b.b[i].text,
		       b.b[i].orders ? "orders stores" : "does not order stores for the SMMU",
		       b.b[i].probed ? ", probed while recording" : "");
	json_object_put(o);
	return SHL_EXIT_OK;
}

/* record start|stop: a start begins a fresh recording */
static int cmd_record_ctl(int argc, char **argv, const struct shl_cli *cli)
{
	struct inj_args a;
	int ret = parse_args(argc, argv, false, &a);

	(void)cli;
	if (ret)
		return ret;
	if (a.profile)
		return shl_err("record %s takes no --profile", argv[0]);
	ret = strcmp(argv[0], "start") ? 0 : shl_inject_record_ctl("clear");
	if (!ret)
		ret = shl_inject_record_ctl(argv[0]);
	if (ret == -EOPNOTSUPP)
		return shl_err("the recorder does not know this kernel (see docs/injector.md)");
	return ret ? no_module(ret) : SHL_EXIT_OK;
}

static const struct shl_verb record_verbs[] = {
	{ "start", cmd_record_ctl, "clear and start recording the driver's STE/CD updates" },
	{ "stop", cmd_record_ctl, "stop recording" },
	{ "show", cmd_record_show, "the recorded updates with the oracle's verdicts" },
	{ NULL, NULL, NULL },
};

static int cmd_record(int argc, char **argv, const struct shl_cli *cli)
{
	return shl_cmd_select("inject record", record_verbs, NULL, argc - 1, argv + 1, cli, usage);
}

static const struct shl_verb verbs[] = {
	{ "show", cmd_show, "the claimed device's live STE and CD" },
	{ "apply", cmd_apply, "raw updates of the live entry (allow_raw=1)" },
	{ "record", cmd_record, "the recorder of the driver's own updates" },
	{ "barriers", cmd_barriers, "the barrier witness: DMB/DSB of the kernel's entry writer" },
	{ NULL, NULL, NULL },
};

int shl_cmd_inject(int argc, char **argv, const struct shl_cli *cli)
{
	return shl_cmd_select("inject", verbs, NULL, argc - 1, argv + 1, cli, usage);
}
