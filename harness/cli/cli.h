/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * smmu-hil command line: shared conventions for every OBJECT VERB handler.
 *
 * The tool follows bpftool's shape: `smmu-hil [-j|--json] [-p|--pretty]
 * OBJECT VERB [ARGS]`. Global options may appear anywhere on the line (up
 * to a "--"). Each object has one verb table (struct shl_verb) run by
 * shl_cmd_select(), bpftool's cmd_select(); each verb parses its own
 * options with getopt_long (shl_getopt()).
 * Exit codes: 0 success / pass, 1 a check failed (a verdict, not an error),
 * 2 bad input or an environment error: one line on stderr naming it, or
 * under -j one {"error": "..."} object on stdout; `run` also 4 (KSFT_SKIP).
 */
#ifndef SMMU_HIL_CLI_H
#define SMMU_HIL_CLI_H

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <json-c/json.h>

#define SHL_EXIT_OK	0
#define SHL_EXIT_FAIL	1
#define SHL_EXIT_USAGE	2

struct shl_cli {
	bool json;	/* -j: machine-readable JSON on stdout, errors too */
	bool pretty;	/* -p: indented JSON (implies -j) */
};

/*
 * One verb of an object, or one object of the tool (bpftool's struct cmd).
 * @func gets argv[0] == the verb (or the object, for a default verb) and
 * its arguments after it, global options removed; it returns SHL_EXIT_*.
 */
struct shl_verb {
	const char *name;
	int (*func)(int argc, char **argv, const struct shl_cli *cli);
	const char *summary;	/* one line for the help listing, or NULL */
};

/*
 * shl_cmd_select() - run the verb argv[0] of @object from @verbs (ended by
 * a NULL name). "help", "-h" and "--help" print @usage on stdout (exit 0).
 * No verb, or an option where the verb would be: the verb @dflt when set
 * (with argv[-1], the object, as its argv[0]), else an error. An unknown
 * verb is an error naming the verbs. Returns the verb's exit code, or
 * SHL_EXIT_USAGE after shl_err().
 */
int shl_cmd_select(const char *object, const struct shl_verb *verbs, const char *dflt,
		   int argc, char **argv, const struct shl_cli *cli, void (*usage)(FILE *f));

/*
 * shl_getopt() - getopt_long(argc, argv, ":" @shortopts, @longopts) with
 * GNU permutation (options may follow positional arguments); the scan
 * starts at argv[1] (shl_cmd_select() resets optind). Returns the option, -1 at the end, or
 * SHL_GETOPT_ERR after shl_err() named an unknown option or a missing value.
 */
#define SHL_GETOPT_ERR	(-2)
int shl_getopt(int argc, char **argv, const char *shortopts, const struct option *longopts);

/*
 * shl_no_args() - for a verb of @object that takes no option or argument:
 * 0 when argv has none after argv[0], else SHL_EXIT_USAGE after shl_err().
 */
int shl_no_args(const char *object, int argc, char **argv);

/*
 * shl_err() - print "smmu-hil: error: <message>" on stderr, or under -j
 * {"error": "<message>"} on stdout (one line, flushed).
 * Returns SHL_EXIT_USAGE so handlers can `return shl_err(...)`.
 */
int shl_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * shl_json_print() - print @obj on stdout (compact, or indented with -p)
 * followed by a newline, then drop the caller's reference: the caller must
 * not put @obj again.
 */
void shl_json_print(json_object *obj, const struct shl_cli *cli);

#include "smmu_hil/parse.h"

/* Handlers, one per OBJECT (harness/cli/cmd_*.c); argv[0] is the object. */
int shl_cmd_ste(int argc, char **argv, const struct shl_cli *cli);
int shl_cmd_cd(int argc, char **argv, const struct shl_cli *cli);
int shl_cmd_sweep(int argc, char **argv, const struct shl_cli *cli);
int shl_cmd_dut(int argc, char **argv, const struct shl_cli *cli);
int shl_cmd_events(int argc, char **argv, const struct shl_cli *cli);
int shl_cmd_dma(int argc, char **argv, const struct shl_cli *cli);
int shl_cmd_domain(int argc, char **argv, const struct shl_cli *cli);
int shl_cmd_clock(int argc, char **argv, const struct shl_cli *cli);
int shl_cmd_luo(int argc, char **argv, const struct shl_cli *cli);
int shl_cmd_inject(int argc, char **argv, const struct shl_cli *cli);
int shl_cmd_run(int argc, char **argv, const struct shl_cli *cli);
int shl_cmd_report(int argc, char **argv, const struct shl_cli *cli);

#endif /* SMMU_HIL_CLI_H */
