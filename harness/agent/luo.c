// SPDX-License-Identifier: GPL-2.0-only
/*
 * The agent's LUO client: the test pattern, its CRC-32C and check, and the
 * /dev/liveupdate ioctls (smmu_hil/luo.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#if __has_include(<linux/liveupdate.h>)
#include <linux/liveupdate.h>
#define SHL_HAVE_LIVEUPDATE_H 1
#endif

#include "smmu_hil/luo.h"

/* bytes per read or write of a pattern file */
#define LUO_CHUNK	(256u * 1024u)

uint8_t shl_luo_pattern_byte(uint32_t seed, uint64_t off)
{
	/* edu_fill(): u32 seed product plus the offset's, in 64-bit arithmetic */
	uint64_t v = (uint64_t)(uint32_t)(seed * 2654435761U) + off * 40503U;

	return (uint8_t)(v >> 13) ^ (uint8_t)off;
}

void shl_luo_pattern_fill(uint8_t *buf, size_t len, uint32_t seed, uint64_t off)
{
	size_t i;

	for (i = 0; i < len; i++)
		buf[i] = shl_luo_pattern_byte(seed, off + i);
}

static uint32_t crc32c_table[256];

static void crc32c_init(void)
{
	uint32_t c;
	int i, k;

	if (crc32c_table[1])
		return;
	for (i = 0; i < 256; i++) {
		c = (uint32_t)i;
		for (k = 0; k < 8; k++)
			c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
		crc32c_table[i] = c;
	}
}

uint32_t shl_crc32c(uint32_t crc, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	crc32c_init();
	crc = ~crc;
	while (len--)
		crc = crc32c_table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return ~crc;
}

int shl_luo_verify_fd(int fd, uint32_t seed, struct shl_luo_verify *v)
{
	uint8_t *buf, *want;
	uint64_t off = 0;
	ssize_t n, i;
	int err = 0;

	memset(v, 0, sizeof(*v));
	v->first_mismatch = -1;
	buf = malloc(LUO_CHUNK);
	want = malloc(LUO_CHUNK);
	if (!buf || !want) {
		err = -ENOMEM;
		goto out;
	}
	for (;;) {
		n = pread(fd, buf, LUO_CHUNK, (off_t)off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			err = -errno;
			goto out;
		}
		if (n == 0)
			break;
		shl_luo_pattern_fill(want, (size_t)n, seed, off);
		for (i = 0; i < n; i++) {
			if (buf[i] == want[i])
				continue;
			if (v->first_mismatch < 0)
				v->first_mismatch = (int64_t)(off + (uint64_t)i);
			v->mismatches++;
		}
		v->crc32c = shl_crc32c(v->crc32c, buf, (size_t)n);
		off += (uint64_t)n;
	}
	v->size = off;
out:
	free(buf);
	free(want);
	return err;
}

int shl_luo_write_pattern(int fd, uint64_t size, uint32_t seed, uint32_t *crc)
{
	uint64_t off = 0;
	uint8_t *buf;
	size_t len;
	ssize_t n;
	int err = 0;

	if (ftruncate(fd, (off_t)size))
		return -errno;
	buf = malloc(LUO_CHUNK);
	if (!buf)
		return -ENOMEM;
	*crc = 0;
	while (off < size) {
		len = size - off < LUO_CHUNK ? (size_t)(size - off) : LUO_CHUNK;
		shl_luo_pattern_fill(buf, len, seed, off);
		n = pwrite(fd, buf, len, (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			err = n < 0 ? -errno : -EIO;
			break;
		}
		*crc = shl_crc32c(*crc, buf, (size_t)n);
		off += (uint64_t)n;
	}
	free(buf);
	return err;
}

bool shl_luo_session_name_ok(const char *name)
{
	size_t i, len;

	if (!name)
		return false;
	len = strnlen(name, SHL_LUO_NAME_MAX);
	if (len == 0 || len >= SHL_LUO_NAME_MAX)
		return false;
	for (i = 0; i < len; i++) {
		if (name[i] < 0x21 || name[i] > 0x7e)
			return false;
	}
	return true;
}

int shl_luo_open(const char *dev)
{
	int fd = open(dev, O_RDWR | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

#ifdef SHL_HAVE_LIVEUPDATE_H
_Static_assert(SHL_LUO_NAME_MAX == LIVEUPDATE_SESSION_NAME_LENGTH,
	       "session name length differs from the kernel's");

bool shl_luo_available(void)
{
	return true;
}

int shl_luo_create_session(int luo, const char *name)
{
	struct liveupdate_ioctl_create_session a = { .size = sizeof(a) };

	if (!shl_luo_session_name_ok(name))
		return -EINVAL;
	memcpy(a.name, name, strlen(name) + 1);
	if (ioctl(luo, LIVEUPDATE_IOCTL_CREATE_SESSION, &a))
		return -errno;
	return a.fd;
}

int shl_luo_retrieve_session(int luo, const char *name)
{
	struct liveupdate_ioctl_retrieve_session a = { .size = sizeof(a) };

	if (!shl_luo_session_name_ok(name))
		return -EINVAL;
	memcpy(a.name, name, strlen(name) + 1);
	if (ioctl(luo, LIVEUPDATE_IOCTL_RETRIEVE_SESSION, &a))
		return -errno;
	return a.fd;
}

int shl_luo_preserve_fd(int session, int fd, uint64_t token)
{
	struct liveupdate_session_preserve_fd a = {
		.size = sizeof(a), .fd = fd, .token = token };

	return ioctl(session, LIVEUPDATE_SESSION_PRESERVE_FD, &a) ? -errno : 0;
}

int shl_luo_retrieve_fd(int session, uint64_t token)
{
	struct liveupdate_session_retrieve_fd a = { .size = sizeof(a), .token = token };

	if (ioctl(session, LIVEUPDATE_SESSION_RETRIEVE_FD, &a))
		return -errno;
	return a.fd;
}

int shl_luo_finish(int session)
{
	struct liveupdate_session_finish a = { .size = sizeof(a) };

	return ioctl(session, LIVEUPDATE_SESSION_FINISH, &a) ? -errno : 0;
}
#else
bool shl_luo_available(void)
{
	return false;
}

int shl_luo_create_session(int luo, const char *name)
{
	(void)luo;
	(void)name;
	return -ENOSYS;
}

int shl_luo_retrieve_session(int luo, const char *name)
{
	(void)luo;
	(void)name;
	return -ENOSYS;
}

int shl_luo_preserve_fd(int session, int fd, uint64_t token)
{
	(void)session;
	(void)fd;
	(void)token;
	return -ENOSYS;
}

int shl_luo_retrieve_fd(int session, uint64_t token)
{
	(void)session;
	(void)token;
	return -ENOSYS;
}

int shl_luo_finish(int session)
{
	(void)session;
	return -ENOSYS;
}
#endif
