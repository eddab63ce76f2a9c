/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The one KTAP writer of smmu-hil, kselftest's format (the kernel's
 * Documentation/dev-tools/ktap.rst and tools/testing/selftests/kselftest.h):
 *
 *   KTAP version 1
 *   # smmu-hil run RUN_ID target TARGET kernel K     (optional comment)
 *   1..N
 *   # NAME: key=value                                (metrics, diagnostics)
 *   # a reason line                                  (failures: every line)
 *   ok 1 NAME | not ok 2 NAME | ok 3 NAME # SKIP reason
 *   # Totals: pass:P fail:F xfail:X xpass:0 skip:S error:0
 *
 * `smmu-hil run` prints its scenarios with it and `smmu-hil report ktap`
 * prints a lab report.json with it; values are spelled as the lab's
 * report.py spelled them (shl_ktap_value()). Exit codes are kselftest's.
 */
#ifndef SMMU_HIL_KTAP_H
#define SMMU_HIL_KTAP_H

#include <stdio.h>
#include <json-c/json.h>

#define SHL_KSFT_PASS	0
#define SHL_KSFT_FAIL	1
#define SHL_KSFT_SKIP	4

/* A KTAP document being written: its stream and the results so far. */
struct shl_ktap {
	FILE *f;
	unsigned int planned;		/* N of the plan line */
	unsigned int num;		/* results written */
	unsigned int pass, fail, skip, xfail;
};

/*
 * shl_ktap_start() - begin a document on @f: "KTAP version 1", then
 * "# @comment" when @comment is not NULL, then the plan "1..@n".
 */
void shl_ktap_start(struct shl_ktap *k, FILE *f, const char *comment, unsigned int n);

/*
 * shl_ktap_diag() - @text as diagnostics: one "# LINE" per line (lines
 * split at \n, \r\n or \r; no line for an empty or NULL @text).
 */
void shl_ktap_diag(struct shl_ktap *k, const char *text);

/*
 * shl_ktap_value() - @v spelled as report.py's _scalar() spells a metric:
 * a whole double as an integer, other doubles with up to 3 decimals
 * (trailing zeros dropped), an array as its items joined by "," (each as
 * Python's str()), strings as they are, booleans True/False, null None,
 * an object as Python's repr of a dict. Writes at most @len bytes
 * (NUL-terminated, truncated to fit) to @buf and returns @buf.
 */
char *shl_ktap_value(json_object *v, char *buf, size_t len);

/*
 * shl_ktap_test() - one test: each member of @metrics (an object, may be
 * NULL) as "# @name: key=value"; then for a skip "ok N @name # SKIP R",
 * for an expected failure (@status "xfail") "ok N @name # XFAIL R"
 * (kselftest's directive; R: the first line of @reason, whitespace
 * collapsed), otherwise every line of @reason as a diagnostic and "ok N
 * @name" (@status "pass") or "not ok N @name" (anything else counts as a
 * failure).
 */
void shl_ktap_test(struct shl_ktap *k, const char *name, const char *status, const char *reason,
		   json_object *metrics);

/*
 * shl_ktap_finish() - the "# Totals: ..." line. Returns the kselftest exit
 * code: SHL_KSFT_FAIL when a test failed, SHL_KSFT_SKIP when every test was
 * skipped (and there was at least one), else SHL_KSFT_PASS.
 */
int shl_ktap_finish(struct shl_ktap *k);

/*
 * shl_ktap_report() - the lab's report.json document @report ({"run_id",
 * "target", "dut": {"kernel"}, "tests": [{"name", "status", "reason",
 * "metrics"}]}, docs/lab.md) as KTAP on @f, as report.py's Report.ktap()
 * prints it: the comment "smmu-hil run RUN_ID target TARGET[ kernel K]".
 * Returns 0, or -1 with a message in @err when @report lacks "tests" or a
 * test lacks a name or has a status other than pass, fail, skip or xfail.
 */
int shl_ktap_report(FILE *f, json_object *report, char *err, size_t len);

#endif /* SMMU_HIL_KTAP_H */
