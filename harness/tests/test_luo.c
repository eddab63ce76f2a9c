// SPDX-License-Identifier: GPL-2.0-only
/*
 * The LUO client's host-side parts (smmu_hil/luo.h): the pattern, its
 * CRC-32C and the check of a pattern file (a memfd on the host).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <cmocka.h>

#include "smmu_hil/luo.h"

/* RFC 3720 B.4 and the usual check value */
static void test_crc32c_vectors(void **state)
{
	uint8_t zeros[32] = { 0 }, ones[32];

	(void)state;
	memset(ones, 0xff, sizeof(ones));
	assert_int_equal(shl_crc32c(0, "123456789", 9), 0xe3069283);
	assert_int_equal(shl_crc32c(0, zeros, sizeof(zeros)), 0x8a9136aa);
	assert_int_equal(shl_crc32c(0, ones, sizeof(ones)), 0x62a8ab43);
	assert_int_equal(shl_crc32c(0, "", 0), 0);
	/* continuing a CRC over a split buffer gives the whole's */
	assert_int_equal(shl_crc32c(shl_crc32c(0, "1234", 4), "56789", 5), 0xe3069283);
}

/* the edu generator's bytes (modules/smmu_hil_edu.c edu_fill()) */
static void test_pattern_is_edu_fill(void **state)
{
	uint8_t buf[4096], other[16];
	uint32_t seed = 3;
	size_t i;

	(void)state;
	shl_luo_pattern_fill(buf, sizeof(buf), seed, 0);
	for (i = 0; i < sizeof(buf); i++)
		assert_int_equal(buf[i],
				 (uint8_t)((seed * 2654435761U + i * 40503U) >> 13) ^ (uint8_t)i);
	/* a fill at an offset continues the same sequence */
	shl_luo_pattern_fill(buf, 16, seed, 100);
	for (i = 0; i < 16; i++)
		assert_int_equal(buf[i], shl_luo_pattern_byte(seed, 100 + i));
	/* another seed is another pattern */
	shl_luo_pattern_fill(other, 16, seed + 1, 100);
	assert_memory_not_equal(buf, other, 16);
}

static int memfd(void)
{
	int fd = memfd_create("test-luo", 0);

	assert_true(fd >= 0);
	return fd;
}

static void test_write_then_verify(void **state)
{
	struct shl_luo_verify v;
	uint32_t crc = 0;
	uint64_t size = 3 * 256 * 1024 + 123;	/* crosses the chunk size, odd tail */
	int fd = memfd();

	(void)state;
	assert_int_equal(shl_luo_write_pattern(fd, size, 42, &crc), 0);
	assert_int_equal(shl_luo_verify_fd(fd, 42, &v), 0);
	assert_int_equal(v.size, size);
	assert_int_equal(v.mismatches, 0);
	assert_int_equal(v.first_mismatch, -1);
	assert_int_equal(v.crc32c, crc);
	/* the wrong seed: (almost) every byte differs, from offset 0 */
	assert_int_equal(shl_luo_verify_fd(fd, 43, &v), 0);
	assert_true(v.mismatches > size / 2);
	assert_int_not_equal(v.crc32c, 0);
	close(fd);
}

static void test_verify_finds_a_flipped_byte(void **state)
{
	struct shl_luo_verify v;
	uint32_t crc = 0;
	uint8_t b;
	int fd = memfd();

	(void)state;
	assert_int_equal(shl_luo_write_pattern(fd, 1 << 20, 9, &crc), 0);
	assert_int_equal(pread(fd, &b, 1, 777777), 1);
	b ^= 0x10;
	assert_int_equal(pwrite(fd, &b, 1, 777777), 1);
	assert_int_equal(shl_luo_verify_fd(fd, 9, &v), 0);
	assert_int_equal(v.mismatches, 1);
	assert_int_equal(v.first_mismatch, 777777);
	assert_int_not_equal(v.crc32c, crc);
	/* a short file: its size says so, the bytes it has match */
	assert_int_equal(ftruncate(fd, 4096), 0);
	b ^= 0x10;
	assert_int_equal(shl_luo_verify_fd(fd, 9, &v), 0);
	assert_int_equal(v.size, 4096);
	assert_int_equal(v.mismatches, 0);
	close(fd);
}

static void test_verify_bad_fd(void **state)
{
	struct shl_luo_verify v;

	(void)state;
	assert_int_equal(shl_luo_verify_fd(-1, 1, &v), -EBADF);
}

static void test_session_names(void **state)
{
	char long_name[SHL_LUO_NAME_MAX + 1];

	(void)state;
	assert_true(shl_luo_session_name_ok("smmu-hil-luo"));
	assert_false(shl_luo_session_name_ok(""));
	assert_false(shl_luo_session_name_ok(NULL));
	assert_false(shl_luo_session_name_ok("a b"));
	memset(long_name, 'x', sizeof(long_name));
	long_name[SHL_LUO_NAME_MAX - 1] = '\0';
	assert_true(shl_luo_session_name_ok(long_name));	/* 63 characters */
	long_name[SHL_LUO_NAME_MAX - 1] = 'x';
	long_name[SHL_LUO_NAME_MAX] = '\0';
	assert_false(shl_luo_session_name_ok(long_name));	/* 64 */
}

/* without /dev/liveupdate (a host), opening fails with the errno, not a crash */
static void test_open_missing_device(void **state)
{
	(void)state;
	assert_int_equal(shl_luo_open("/nonexistent/liveupdate"), -ENOENT);
	if (!shl_luo_available())
		assert_int_equal(shl_luo_create_session(0, "x"), -ENOSYS);
	else
		assert_int_equal(shl_luo_create_session(-1, "x"), -EBADF);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_crc32c_vectors),
		cmocka_unit_test(test_pattern_is_edu_fill),
		cmocka_unit_test(test_write_then_verify),
		cmocka_unit_test(test_verify_finds_a_flipped_byte),
		cmocka_unit_test(test_verify_bad_fd),
		cmocka_unit_test(test_session_names),
		cmocka_unit_test(test_open_missing_device),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
