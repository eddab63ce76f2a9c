// SPDX-License-Identifier: GPL-2.0-only
/*
 * smmu-hil report ktap FILE: the lab's report.json (docs/lab.md) as KTAP v1
 * on stdout, through the agent's one KTAP writer (harness/agent/ktap.c), so
 * the lab and `smmu-hil run` print the same document. Exit 0.
 */
#include <stdio.h>

#include "cli.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: smmu-hil report ktap REPORT.json\n"
		   "Prints the lab's report.json as KTAP v1 (plan, results, # Totals).\n");
}

static int cmd_ktap(int argc, char **argv, const struct shl_cli *cli)
{
	(void)argc;
	(void)argv;
	(void)cli;
	return shl_err("report ktap: not yet");
}

static const struct shl_verb verbs[] = {
	{ "ktap", cmd_ktap, "a report.json as KTAP v1" },
	{ NULL, NULL, NULL },
};

int shl_cmd_report(int argc, char **argv, const struct shl_cli *cli)
{
	return shl_cmd_select("report", verbs, NULL, argc - 1, argv + 1, cli, usage);
}
