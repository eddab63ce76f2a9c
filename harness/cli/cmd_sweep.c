// SPDX-License-Identifier: GPL-2.0-only
/*
 * smmu-hil sweep: plan and check every transition of the STE and/or CD
 * corpus (docs/oracle.md, "Sweep").
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "smmu_hil/dut.h"
#include "smmu_hil/entry_ops.h"
#include "smmu_hil/sweep.h"

static void add_counts(json_object *o, const char *key, const uint64_t *a, const uint64_t *b,
		       unsigned int n, const char *(*name)(unsigned int))
{
	json_object *c = json_object_new_object();
	unsigned int i;

	for (i = 0; i < n; i++)
		json_object_object_add(c, name(i), json_object_new_int64((int64_t)(a[i] + (b ? b[i] : 0))));
	json_object_object_add(o, key, c);
}

static const char *path_name(unsigned int i)
{
	return shl_path_name((enum shl_path)i);
}

static const char *class_name(unsigned int i)
{
	return shl_sweep_class_name((enum shl_sweep_class)i);
}

static void print_text(const struct shl_sweep_stats *st)
{
	unsigned int i;

	printf("%s: corpus %zu (%zu dropped by the profile), %llu transitions in %.3f s (%.0f/s)\n",
	       shl_kind_name(st->kind), st->corpus, st->dropped,
	       (unsigned long long)st->transitions, st->seconds,
	       st->seconds > 0 ? (double)st->transitions / st->seconds : 0.0);
	printf("  paths:");
	for (i = 0; i < SHL_PATH_COUNT; i++)
		printf(" %s=%llu", path_name(i), (unsigned long long)st->paths[i]);
	printf("\n  classes:");
	for (i = 0; i < SHL_SWEEP_CLASS_COUNT; i++)
		printf(" %s=%llu", class_name(i), (unsigned long long)st->classes[i]);
	printf("\n  kernel test: hitless (no sync sees qword 0 = 0) %llu, per-sync expectation fails %llu;"
	       " findings (per-sync pass, per-store fail): %llu\n",
	       (unsigned long long)st->kernel_hitless, (unsigned long long)st->kernel_fail,
	       (unsigned long long)st->findings);
	for (i = 0; i < st->nexamples; i++) {
		char from[200], to[200], e[200];

		shl_entry_format_q(&st->examples[i].from, SHL_ENTRY_QWORDS, from, sizeof(from));
		shl_entry_format_q(&st->examples[i].to, SHL_ENTRY_QWORDS, to, sizeof(to));
		shl_entry_format_q(&st->examples[i].v.entry, SHL_ENTRY_QWORDS, e, sizeof(e));
		printf("  finding: --from %s --to %s (%s): %s/%s after op %u: %s\n", from, to,
		       shl_path_name(st->examples[i].path),
		       shl_violation_name((enum shl_violation_kind)st->examples[i].v.kind),
		       st->examples[i].v.rule, st->examples[i].v.after, e);
	}
}

static void usage(FILE *f)
{
	fprintf(f, "usage: smmu-hil sweep [--entry ste|cd] [--profile NAME|FILE] [--quanta 64|128]\n"
		   "                      [--granularity store|sync] [--no-update-safe] [--no-dma-wmb] [--scale N] [-j]\n");
}

int shl_cmd_sweep(int argc, char **argv, const struct shl_cli *cli)
{
	struct shl_sweep_opts o = { .quanta = 64, .update_safe = true, .scale = 1 };
	struct shl_sweep_stats st[2];
	static const struct option opts[] = {
		{ "entry", required_argument, NULL, 'e' },
		{ "profile", required_argument, NULL, 'P' },
		{ "quanta", required_argument, NULL, 'q' },
		{ "granularity", required_argument, NULL, 'g' },
		{ "scale", required_argument, NULL, 's' },
		{ "no-dma-wmb", no_argument, NULL, 'W' },
		{ "no-update-safe", no_argument, NULL, 'U' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *entry = NULL, *profile = NULL;
	unsigned long long scale;
	struct shl_profile p;
	char err[400];
	int i, c, nst = 0;

	if (argc >= 2 && !strcmp(argv[1], "help"))
		return usage(stdout), SHL_EXIT_OK;
	optind = 0;
	while ((c = shl_getopt(argc, argv, "h", opts)) != -1) {
		switch (c) {
		case SHL_GETOPT_ERR:
			return SHL_EXIT_USAGE;
		case 'h':
			usage(stdout);
			return SHL_EXIT_OK;
		case 'e':
			if (strcmp(optarg, "ste") && strcmp(optarg, "cd"))
				return shl_err("--entry takes ste or cd");
			entry = optarg;
			break;
		case 'P':
			profile = optarg;
			break;
		case 'q':
			if (strcmp(optarg, "64") && strcmp(optarg, "128"))
				return shl_err("--quanta takes 64 or 128");
			o.quanta = (unsigned int)atoi(optarg);
			break;
		case 'g':
			if (strcmp(optarg, "store") && strcmp(optarg, "sync"))
				return shl_err("--granularity takes store or sync");
			o.sync_only = !strcmp(optarg, "sync");
			break;
		case 's':
			if (shl_parse_uint_range(optarg, 1, 64, &scale))
				return shl_err("--scale: expected 1..64, got '%s'", optarg);
			o.scale = (unsigned int)scale;
			break;
		case 'W':
			o.no_dma_wmb = true;
			break;
		case 'U':
			o.update_safe = false;
			break;
		}
	}
	if (optind < argc)
		return shl_err("sweep: unexpected argument '%s' (try `smmu-hil sweep help`)",
			       argv[optind]);
	if (shl_profile_load(profile, &p, err, sizeof(err)))
		return shl_err("%s", err);
	o.p = &p;
	/* every kind that has ops (the STE, then the CD), or the one asked for */
	for (i = 0; shl_entry_ops((enum shl_entry_kind)i); i++) {
		o.kind = (enum shl_entry_kind)i;
		if (entry && strcmp(entry, shl_entry_ops(o.kind)->name))
			continue;
		if (shl_sweep(&o, &st[nst]))
			return shl_err("sweep of the %s corpus failed", shl_kind_name(o.kind));
		nst++;
	}
	if (cli->json) {
		json_object *out = json_object_new_object(), *by = json_object_new_array();
		uint64_t transitions = 0, findings = 0, kernel_hitless = 0, kernel_fail = 0;
		double seconds = 0;

		for (i = 0; i < nst; i++) {
			transitions += st[i].transitions;
			seconds += st[i].seconds;
			findings += st[i].findings;
			kernel_hitless += st[i].kernel_hitless;
			kernel_fail += st[i].kernel_fail;
			json_object_array_add(by, shl_sweep_stats_to_json(&st[i]));
		}
		json_object_object_add(out, "transitions", json_object_new_int64((int64_t)transitions));
		json_object_object_add(out, "seconds", json_object_new_double(seconds));
		add_counts(out, "paths", st[0].paths, nst > 1 ? st[1].paths : NULL, SHL_PATH_COUNT,
			   path_name);
		add_counts(out, "classes", st[0].classes, nst > 1 ? st[1].classes : NULL,
			   SHL_SWEEP_CLASS_COUNT, class_name);
		json_object_object_add(out, "profile", json_object_new_string(p.name));
		json_object_object_add(out, "quanta", json_object_new_int((int)o.quanta));
		json_object_object_add(out, "granularity",
				       json_object_new_string(o.sync_only ? "sync" : "store"));
		json_object_object_add(out, "update_safe", json_object_new_boolean(o.update_safe));
		json_object_object_add(out, "dma_wmb", json_object_new_boolean(!o.no_dma_wmb));
		json_object_object_add(out, "kernel_hitless", json_object_new_int64((int64_t)kernel_hitless));
		json_object_object_add(out, "kernel_check_fail", json_object_new_int64((int64_t)kernel_fail));
		json_object_object_add(out, "findings", json_object_new_int64((int64_t)findings));
		json_object_object_add(out, "entries", by);
		shl_json_print(out, cli);
	} else {
		printf("profile %s, %u-bit quanta, %s granularity, update-safe %s\n", p.name, o.quanta,
		       o.sync_only ? "sync" : "store", o.update_safe ? "on" : "off");
		for (i = 0; i < nst; i++)
			print_text(&st[i]);
	}
	return SHL_EXIT_OK;
}
