// SPDX-License-Identifier: GPL-2.0-only
/*
 * The KTAP writer (harness/agent/ktap.c): kselftest's document shape, the
 * exit codes, and metric values spelled as the lab's report.py spells them
 * (cli_tests.sh compares a whole report with report.py's own output).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "smmu_hil/ktap.h"

static void value_is(const char *json, const char *want)
{
	json_object *v = json_tokener_parse(json);
	char buf[256];

	if (!v && strcmp(json, "null"))
		fail_msg("bad JSON %s", json);
	shl_ktap_value(v, buf, sizeof(buf));
	if (strcmp(buf, want))
		fail_msg("%s: \"%s\", want \"%s\"", json, buf, want);
	json_object_put(v);
}

static void test_values(void **state)
{
	(void)state;
	value_is("3", "3");
	value_is("-7", "-7");
	value_is("5.0", "5");
	value_is("674.04321", "674.043");
	value_is("0.0004", "0");
	value_is("2.5", "2.5");
	value_is("1e20", "100000000000000000000");
	value_is("\"x y\"", "x y");
	value_is("true", "True");
	value_is("null", "None");
	value_is("[1, 2.5, \"a\", 3.0]", "1,2.5,a,3.0");
	value_is("[1e-05, 1e16, 0.1, 123456789.0]", "1e-05,1e+16,0.1,123456789.0");
	value_is("{\"a\": 1, \"b\": \"it's\", \"c\": [true, null]}",
		 "{'a': 1, 'b': \"it's\", 'c': [True, None]}");
	value_is("[[1, \"s\"], {}]", "[1, 's'],{}");
}

static char *doc(const char *const *status, const char *const *reason, unsigned int n, int *rc)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct shl_ktap k;
	unsigned int i;
	char name[16];

	assert_non_null(f);
	shl_ktap_start(&k, f, "a comment", n);
	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "t%u", i + 1);
		shl_ktap_test(&k, name, status[i], reason[i], NULL);
	}
	*rc = shl_ktap_finish(&k);
	fclose(f);
	return buf;
}

static void test_document(void **state)
{
	static const char *const st[] = { "pass", "fail", "skip" };
	static const char *const re[] = { "", "two\nlines", "no  S2P\nat all" };
	static const char *const skip[] = { "skip", "skip" };
	static const char *const why[] = { "a", NULL };
	static const char *const xf[] = { "xfail", "pass" };
	static const char *const xwhy[] = { "no IOMMU  preservation\nmore", "" };
	char *t;
	int rc;

	(void)state;
	t = doc(st, re, 3, &rc);
	assert_string_equal(t, "KTAP version 1\n# a comment\n1..3\nok 1 t1\n# two\n# lines\n"
			       "not ok 2 t2\nok 3 t3 # SKIP no S2P\n"
			       "# Totals: pass:1 fail:1 xfail:0 xpass:0 skip:1 error:0\n");
	assert_int_equal(rc, SHL_KSFT_FAIL);
	free(t);
	t = doc(skip, why, 2, &rc);
	assert_int_equal(rc, SHL_KSFT_SKIP);
	free(t);
	t = doc(st, re, 1, &rc);
	assert_int_equal(rc, SHL_KSFT_PASS);
	free(t);
	/* an expected failure: XFAIL, counted apart, not a failure of the run */
	t = doc(xf, xwhy, 2, &rc);
	assert_string_equal(t, "KTAP version 1\n# a comment\n1..2\n"
			       "ok 1 t1 # XFAIL no IOMMU preservation\nok 2 t2\n"
			       "# Totals: pass:1 fail:0 xfail:1 xpass:0 skip:0 error:0\n");
	assert_int_equal(rc, SHL_KSFT_PASS);
	free(t);
	t = doc(st, re, 0, &rc);
	assert_string_equal(t, "KTAP version 1\n# a comment\n1..0\n"
			       "# Totals: pass:0 fail:0 xfail:0 xpass:0 skip:0 error:0\n");
	assert_int_equal(rc, SHL_KSFT_PASS);
	free(t);
}

static void test_report_errors(void **state)
{
	json_object *r = json_tokener_parse("{\"tests\": [{\"name\": \"a\", \"status\": \"odd\"}]}");
	char err[200];

	(void)state;
	assert_int_equal(shl_ktap_report(stdout, r, err, sizeof(err)), -1);
	assert_string_equal(err, "tests[0]: status 'odd' is not pass, fail, skip or xfail");
	json_object_put(r);
	r = json_tokener_parse("{\"run_id\": 1}");
	assert_int_equal(shl_ktap_report(stdout, r, err, sizeof(err)), -1);
	json_object_put(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_document),
		cmocka_unit_test(test_report_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
