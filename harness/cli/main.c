// SPDX-License-Identifier: GPL-2.0-only
/*
 * smmu-hil: the command-line front end. Dispatches `OBJECT VERB` to the
 * handlers in cmd_*.c after pulling the global options out of argv.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const struct shl_cmd shl_cmds[] = {
	{ "ste", "STE model: decode, encode, plan and verify updates", shl_cmd_ste },
	{ "cd", "CD model: decode, encode, plan and verify updates", shl_cmd_cd },
	{ "sweep", "plan and check every transition of the entry corpus", shl_cmd_sweep },
	{ "dut", "the device under test: SMMU ID registers, PCI devices", shl_cmd_dut },
	{ "events", "SMMU event records captured by the event monitor", shl_cmd_events },
	{ "dma", "DMA through the SMMU with the edu DMA generator", shl_cmd_dma },
	{ "domain", "move a device between IOMMU domains", shl_cmd_domain },
	{ "clock", "read the DUT's monotonic counters (blackout timing)", shl_cmd_clock },
	{ "inject", "raw STE/CD updates and the recorder (smmu_hil_inject)", shl_cmd_inject },
	{ "run", "run transition scenarios (YAML) here; KTAP or JSON", shl_cmd_run },
};

int shl_err(const char *fmt, ...)
{
	va_list ap;

	fputs("smmu-hil: error: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return SHL_EXIT_USAGE;
}

void shl_json_print(json_object *obj, const struct shl_cli *cli)
{
	int flags = JSON_C_TO_STRING_NOSLASHESCAPE;

	flags |= cli->pretty ? JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED
			     : JSON_C_TO_STRING_PLAIN;
	puts(json_object_to_json_string_ext(obj, flags));
	json_object_put(obj);
}

/* shl_parse_u64() lives in harness/lib/cli_parse.c, for the unit tests. */

static void usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: smmu-hil [-j|--json] [-p|--pretty] OBJECT VERB [ARGS]\n\nobjects:\n");
	for (i = 0; i < sizeof(shl_cmds) / sizeof(shl_cmds[0]); i++)
		fprintf(f, "  %-8s %s\n", shl_cmds[i].object, shl_cmds[i].summary);
	fprintf(f, "\n`smmu-hil OBJECT help` lists an object's verbs.\n");
}

int main(int argc, char **argv)
{
	struct shl_cli cli = { 0 };
	int i, n = 0;
	size_t c;

	/* Global options may stand anywhere; keep the rest in order. */
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-j") || !strcmp(argv[i], "--json")) {
			cli.json = true;
		} else if (!strcmp(argv[i], "-p") || !strcmp(argv[i], "--pretty")) {
			cli.json = cli.pretty = true;
		} else if (n == 0 && (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help") ||
				      !strcmp(argv[i], "help"))) {
			usage(stdout);
			return SHL_EXIT_OK;
		} else {
			argv[++n] = argv[i];
		}
	}
	argv[n + 1] = NULL;
	if (n == 0) {
		usage(stderr);
		return SHL_EXIT_USAGE;
	}
	for (c = 0; c < sizeof(shl_cmds) / sizeof(shl_cmds[0]); c++)
		if (!strcmp(argv[1], shl_cmds[c].object))
			return shl_cmds[c].run(n, argv + 1, &cli);
	shl_err("unknown object '%s' (try `smmu-hil help`)", argv[1]);
	return SHL_EXIT_USAGE;
}
