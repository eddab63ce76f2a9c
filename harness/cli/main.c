// SPDX-License-Identifier: GPL-2.0-only
/*
 * smmu-hil: the command-line front end. Pulls the global options out of
 * argv, then dispatches `OBJECT VERB` through the object table below and
 * each object's verb table (shl_cmd_select(), bpftool's cmd_select()).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const struct shl_verb shl_objects[] = {
	{ "ste", shl_cmd_ste, "STE model: decode, encode, plan and verify updates" },
	{ "cd", shl_cmd_cd, "CD model: decode, encode, plan and verify updates" },
	{ "sweep", shl_cmd_sweep, "plan and check every transition of the entry corpus" },
	{ "dut", shl_cmd_dut, "the device under test: SMMU ID registers, PCI devices" },
	{ "events", shl_cmd_events, "SMMU event records captured by the event monitor" },
	{ "dma", shl_cmd_dma, "DMA through the SMMU with the edu DMA generator" },
	{ "domain", shl_cmd_domain, "move a device between IOMMU domains" },
	{ "clock", shl_cmd_clock, "read the DUT's monotonic counters (blackout timing)" },
	{ "inject", shl_cmd_inject, "raw STE/CD updates and the recorder (smmu_hil_inject)" },
	{ "luo", shl_cmd_luo, "a pattern memfd preserved across kexec by LUO (live update)" },
	{ "run", shl_cmd_run, "run transition scenarios (YAML) here; KTAP or JSON" },
	{ "report", shl_cmd_report, "a lab report.json as KTAP" },
	{ NULL, NULL, NULL },
};

/* -j: errors go to stdout as {"error": "..."} (set once, by main()) */
static bool json_errors;

int shl_err(const char *fmt, ...)
{
	char msg[2048];
	json_object *o;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (!json_errors) {
		fprintf(stderr, "smmu-hil: error: %s\n", msg);
		return SHL_EXIT_USAGE;
	}
	o = json_object_new_object();
	json_object_object_add(o, "error", json_object_new_string(msg));
	puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
					       JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
	fflush(stdout);
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

static const char *verb_names(const struct shl_verb *verbs, char *buf, size_t len)
{
	size_t i, n = 0;

	buf[0] = '\0';
	for (i = 0; verbs[i].name && n < len; i++)
		n += (size_t)snprintf(buf + n, len - n, "%s%s", i ? ", " : "", verbs[i].name);
	return buf;
}

int shl_cmd_select(const char *object, const struct shl_verb *verbs, const char *dflt,
		   int argc, char **argv, const struct shl_cli *cli, void (*usage)(FILE *f))
{
	char names[512];
	size_t i;

	if (argc >= 1 && (!strcmp(argv[0], "help") || !strcmp(argv[0], "-h") ||
			  !strcmp(argv[0], "--help"))) {
		usage(stdout);
		return SHL_EXIT_OK;
	}
	if (argc < 1 || argv[0][0] == '-') {
		optind = 0;
		for (i = 0; dflt && verbs[i].name; i++)
			if (!strcmp(verbs[i].name, dflt))
				return verbs[i].func(argc + 1, argv - 1, cli);
		return shl_err("%s: which verb? (%s; `smmu-hil %s help`)", object,
			       verb_names(verbs, names, sizeof(names)), object);
	}
	optind = 0;	/* glibc: the verb's getopt_long starts over at argv[1] */
	for (i = 0; verbs[i].name; i++)
		if (!strcmp(verbs[i].name, argv[0]))
			return verbs[i].func(argc, argv, cli);
	return shl_err("unknown verb '%s' for %s (%s)", argv[0], object,
		       verb_names(verbs, names, sizeof(names)));
}

int shl_getopt(int argc, char **argv, const char *shortopts, const struct option *longopts)
{
	char opts[64];
	int c;

	snprintf(opts, sizeof(opts), ":%s", shortopts ? shortopts : "");
	opterr = 0;
	c = getopt_long(argc, argv, opts, longopts, NULL);
	if (c == ':') {
		shl_err("option '%s' needs a value", argv[optind - 1]);
		return SHL_GETOPT_ERR;
	}
	if (c == '?') {
		if (optopt)
			shl_err("unknown option '-%c'", optopt);
		else
			shl_err("unknown option '%s'", argv[optind - 1]);
		return SHL_GETOPT_ERR;
	}
	return c;
}

int shl_no_args(const char *object, int argc, char **argv)
{
	static const struct option none[] = { { NULL, 0, NULL, 0 } };

	if (shl_getopt(argc, argv, "", none) == SHL_GETOPT_ERR)
		return SHL_EXIT_USAGE;
	if (optind < argc)
		return shl_err("%s %s: unexpected argument '%s'", object, argv[0], argv[optind]);
	return 0;
}

static void usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: smmu-hil [-j|--json] [-p|--pretty] OBJECT VERB [ARGS]\n\nobjects:\n");
	for (i = 0; shl_objects[i].name; i++)
		fprintf(f, "  %-8s %s\n", shl_objects[i].name, shl_objects[i].summary);
	fprintf(f, "\n`smmu-hil OBJECT help` lists an object's verbs.\n");
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		bool json, pretty;
	} globals[] = {
		{ "-j", true, false }, { "--json", true, false },
		{ "-p", true, true }, { "--pretty", true, true },
	};
	struct shl_cli cli = { 0 };
	bool rest = false;
	int i, n = 0;
	size_t g;

	/* Global options may stand anywhere (up to "--"); keep the rest in order. */
	for (i = 1; i < argc; i++) {
		for (g = 0; !rest && g < sizeof(globals) / sizeof(globals[0]); g++)
			if (!strcmp(argv[i], globals[g].name))
				break;
		if (!rest && g < sizeof(globals) / sizeof(globals[0])) {
			cli.json |= globals[g].json;
			cli.pretty |= globals[g].pretty;
			continue;
		}
		rest |= !strcmp(argv[i], "--");
		argv[++n] = argv[i];
	}
	argv[n + 1] = NULL;
	json_errors = cli.json;
	if (n == 0) {
		if (cli.json)
			return shl_err("no OBJECT (try `smmu-hil help`)");
		usage(stderr);
		return SHL_EXIT_USAGE;
	}
	for (g = 0; shl_objects[g].name; g++)
		if (!strcmp(argv[1], shl_objects[g].name))
			break;
	if (!shl_objects[g].name && strcmp(argv[1], "help") && strcmp(argv[1], "-h") &&
	    strcmp(argv[1], "--help"))
		return shl_err("unknown object '%s' (try `smmu-hil help`)", argv[1]);
	return shl_cmd_select("smmu-hil", shl_objects, NULL, n, argv + 1, &cli, usage);
}
