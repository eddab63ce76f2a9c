/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * smmu-hil command line: shared conventions for every OBJECT VERB handler.
 *
 * The tool follows bpftool's shape: `smmu-hil [-j|--json] [-p|--pretty]
 * OBJECT VERB [ARGS]`. Global options may appear anywhere on the line.
 * Exit codes: 0 success / pass, 1 a check failed (a verdict, not an error),
 * 2 bad input or an environment error (one line on stderr naming it).
 */
#ifndef SMMU_HIL_CLI_H
#define SMMU_HIL_CLI_H

#include <stdbool.h>
#include <json-c/json.h>

#define SHL_EXIT_OK	0
#define SHL_EXIT_FAIL	1
#define SHL_EXIT_USAGE	2

struct shl_cli {
	bool json;	/* -j: machine-readable JSON on stdout */
	bool pretty;	/* -p: indented JSON (implies -j) */
};

/*
 * One OBJECT of the command line. @run gets argv with argv[0] == OBJECT and
 * the global options already removed; it returns an SHL_EXIT_* code.
 */
struct shl_cmd {
	const char *object;
	const char *summary;	/* one line for `smmu-hil help` */
	int (*run)(int argc, char **argv, const struct shl_cli *cli);
};

/*
 * shl_err() - print "smmu-hil: error: <message>" on stderr.
 * Returns SHL_EXIT_USAGE so handlers can `return shl_err(...)`.
 */
int shl_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * shl_json_print() - print @obj on stdout (compact, or indented with -p)
 * followed by a newline, then drop the caller's reference.
 */
void shl_json_print(json_object *obj, const struct shl_cli *cli);

#include "smmu_hil/parse.h"

/* Handlers, one per OBJECT (harness/cli/cmd_*.c). */
int shl_cmd_ste(int argc, char **argv, const struct shl_cli *cli);
int shl_cmd_cd(int argc, char **argv, const struct shl_cli *cli);
int shl_cmd_sweep(int argc, char **argv, const struct shl_cli *cli);
int shl_cmd_dut(int argc, char **argv, const struct shl_cli *cli);
int shl_cmd_events(int argc, char **argv, const struct shl_cli *cli);
int shl_cmd_dma(int argc, char **argv, const struct shl_cli *cli);
int shl_cmd_domain(int argc, char **argv, const struct shl_cli *cli);
int shl_cmd_clock(int argc, char **argv, const struct shl_cli *cli);
int shl_cmd_inject(int argc, char **argv, const struct shl_cli *cli);
int shl_cmd_run(int argc, char **argv, const struct shl_cli *cli);

#endif /* SMMU_HIL_CLI_H */
