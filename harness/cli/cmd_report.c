// SPDX-License-Identifier: GPL-2.0-only
/*
 * smmu-hil report ktap FILE: the lab's report.json (docs/lab.md) as KTAP v1
 * on stdout, through the agent's one KTAP writer (harness/agent/ktap.c), so
 * the lab and `smmu-hil run` print the same document. Exit 0.
 */
#include <stdio.h>

#include <json-c/json_util.h>

#include "cli.h"
#include "smmu_hil/ktap.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: smmu-hil report ktap REPORT.json\n"
		   "Prints the lab's report.json as KTAP v1 (plan, results, # Totals).\n");
}

static int cmd_ktap(int argc, char **argv, const struct shl_cli *cli)
{
	static const struct option none[] = { { NULL, 0, NULL, 0 } };
	json_object *report;
	char err[300];
	int c;

	(void)cli;
	while ((c = shl_getopt(argc, argv, "", none)) != -1)
		if (c == SHL_GETOPT_ERR)
			return SHL_EXIT_USAGE;
	if (argc - optind != 1)
		return shl_err("report ktap takes one report.json");
	report = json_object_from_file(argv[optind]);
	if (!report)
		return shl_err("%s: %s", argv[optind], json_util_get_last_err());
	if (shl_ktap_report(stdout, report, err, sizeof(err))) {
		json_object_put(report);
		return shl_err("%s: %s", argv[optind], err);
	}
	json_object_put(report);
	return SHL_EXIT_OK;
}

static const struct shl_verb verbs[] = {
	{ "ktap", cmd_ktap, "a report.json as KTAP v1" },
	{ NULL, NULL, NULL },
};

int shl_cmd_report(int argc, char **argv, const struct shl_cli *cli)
{
	return shl_cmd_select("report", verbs, NULL, argc - 1, argv + 1, cli, usage);
}
