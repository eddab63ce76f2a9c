// SPDX-License-Identifier: GPL-2.0-only
/* The injector's bdf= parser (modules/include/smmu_hil/bdf.h), issue 14 #7. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "smmu_hil/bdf.h"

static void test_good(void **state)
{
	unsigned int d, b, s, f;

	(void)state;
	assert_int_equal(smmu_hil_parse_bdf("0000:00:03.0", &d, &b, &s, &f), 0);
	assert_true(d == 0 && b == 0 && s == 3 && f == 0);
	assert_int_equal(smmu_hil_parse_bdf("ffff:ff:1f.7", &d, &b, &s, &f), 0);
	assert_true(d == 0xffff && b == 0xff && s == 0x1f && f == 7);
	assert_int_equal(smmu_hil_parse_bdf("01:1F.2", &d, &b, &s, &f), 0);
	assert_true(d == 0 && b == 1 && s == 0x1f && f == 2);
	assert_int_equal(smmu_hil_parse_bdf("1:2.3", &d, &b, &s, &f), 0);
	assert_true(d == 0 && b == 1 && s == 2 && f == 3);
}

static void test_bad(void **state)
{
	static const char *const bad[] = {
		"0000:00:03.0x",	/* the case: trailing junk */
		"0000:00:03.0x1", "0000:00:03.0 ", " 0000:00:03.0", "0000:00:03.0\n",
		"0000:00:03.8", "0000:00:20.0", "10000:00:03.0", "0000:100:03.0",
		"0000:00:003.0", "0000:00:03.00", "0x0:00:03.0", "0000:0x0:03.0",
		"+0:00:03.0", "-1:00:03.0", "0000:00:03", "0000:00.03.0", "0000:00:.0",
		"0000::03.0", ":00:03.0", "000:03.0", "0000:03.0", "00:03", "00:03.",
		"", ".", ":", "0000:00:03.0.1", "00:03.0:1", "g0:03.0", "0000:00:03.g",
	};
	unsigned int d, b, s, f;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (smmu_hil_parse_bdf(bad[i], &d, &b, &s, &f) != -1)
			fail_msg("accepted \"%s\"", bad[i]);
	}
	assert_int_equal(smmu_hil_parse_bdf(NULL, &d, &b, &s, &f), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_bad),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
