/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The Live Update Orchestrator (LUO) client of the agent: a memfd holding
 * the lab's test pattern, preserved in a LUO session across kexec and
 * retrieved and verified in the next kernel (issue 13, bug 4;
 * scenarios/bugs/live-update-luo.yaml, docs/bugs.md).
 *
 * The kernel interface is /dev/liveupdate and its session file descriptors
 * (include/uapi/linux/liveupdate.h of the lab kernel, installed by
 * lab/setup/lab-kernel.sh with headers_install; Documentation/core-api/
 * liveupdate.rst). In 7.2 there is no prepare or freeze ioctl: preserving
 * an fd snapshots it at once (mm/memfd_luo.c memfd_luo_preserve()), and
 * the reboot(LINUX_REBOOT_CMD_KEXEC) of `kexec -e` freezes and serializes
 * every session still open (kernel/kexec_core.c kernel_kexec() ->
 * liveupdate_reboot()). A session whose fd is closed before that is
 * dropped (luo_session_release()): a process must hold it at `kexec -e`.
 * KHO only hands over with a kexec_file_load() image (`kexec -s`), and
 * the kernels need `kho=on liveupdate=on`.
 *
 * The pattern and its checks are pure and host-testable; the ioctl
 * wrappers return -ENOSYS when the agent was built without the lab
 * kernel's linux/liveupdate.h.
 */
#ifndef SMMU_HIL_LUO_H
#define SMMU_HIL_LUO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The LUO character device (kernel/liveupdate/luo_core.c) */
#define SHL_LUO_DEV	"/dev/liveupdate"
/* A session name's room, with its NUL (LIVEUPDATE_SESSION_NAME_LENGTH) */
#define SHL_LUO_NAME_MAX	64

/*
 * shl_luo_pattern_byte() - byte @off of the lab's test pattern for @seed:
 * the edu DMA generator's byte function (modules/smmu_hil_edu.c
 * edu_fill()), so a pattern of any length is a function of (seed, offset)
 * and a mismatch names its offset.
 */
uint8_t shl_luo_pattern_byte(uint32_t seed, uint64_t off);

/*
 * shl_luo_pattern_fill() - write @len bytes of @seed's pattern, starting
 * at pattern offset @off, into @buf.
 */
void shl_luo_pattern_fill(uint8_t *buf, size_t len, uint32_t seed, uint64_t off);

/*
 * shl_crc32c() - CRC-32C (Castagnoli, reflected polynomial 0x82F63B78,
 * initial and final XOR 0xffffffff; RFC 3720 B.4) of @len bytes at @buf,
 * continuing from @crc (0 to start). crc32c("123456789") == 0xe3069283.
 */
uint32_t shl_crc32c(uint32_t crc, const void *buf, size_t len);

/* What a check of a pattern file found (shl_luo_verify_fd()). */
struct shl_luo_verify {
	uint64_t size;		/* the file's size (bytes) */
	uint64_t mismatches;	/* bytes that differ from the pattern */
	int64_t first_mismatch;	/* offset of the first, -1 when none */
	uint32_t crc32c;	/* of the whole file's content */
};

/*
 * shl_luo_verify_fd() - read all of @fd (pread from offset 0; a memfd or
 * any file) and compare it with @seed's pattern, byte by byte, filling @v.
 * The content matches when v->size equals the expected size and
 * v->mismatches is 0. Returns 0, or -errno when @fd cannot be read.
 */
int shl_luo_verify_fd(int fd, uint32_t seed, struct shl_luo_verify *v);

/*
 * shl_luo_write_pattern() - size @fd to @size bytes and fill it with
 * @seed's pattern (ftruncate, pwrite). Returns 0 and the content's CRC-32C
 * in @crc, or -errno.
 */
int shl_luo_write_pattern(int fd, uint64_t size, uint32_t seed, uint32_t *crc);

/*
 * shl_luo_session_name_ok() - true when @name fits a session name: 1 to
 * SHL_LUO_NAME_MAX - 1 printable characters (luo_session_create() takes
 * any non-empty NUL-terminated string of that length; the lab keeps to
 * printable ones for its logs).
 */
bool shl_luo_session_name_ok(const char *name);

/*
 * shl_luo_available() - true when the agent was built with the kernel's
 * linux/liveupdate.h (the ioctls below work), false when they return
 * -ENOSYS.
 */
bool shl_luo_available(void);

/*
 * shl_luo_open() - open @dev (SHL_LUO_DEV) read-write. Only one process
 * may hold it (luo_open(): -EBUSY otherwise). Returns the fd or -errno
 * (-ENOENT: LUO off, `liveupdate=on` missing; -EIO: the incoming sessions
 * failed to deserialize).
 */
int shl_luo_open(const char *dev);

/*
 * shl_luo_create_session() - LIVEUPDATE_IOCTL_CREATE_SESSION on @luo: a
 * new outgoing session @name. Returns the session fd (O_CLOEXEC) or -errno
 * (-EEXIST: an outgoing session of that name exists).
 */
int shl_luo_create_session(int luo, const char *name);

/*
 * shl_luo_retrieve_session() - LIVEUPDATE_IOCTL_RETRIEVE_SESSION on @luo:
 * the incoming session @name the previous kernel preserved. Returns the
 * session fd or -errno (-ENOENT: no such session came over; -EINVAL:
 * retrieved already).
 */
int shl_luo_retrieve_session(int luo, const char *name);

/*
 * shl_luo_preserve_fd() - LIVEUPDATE_SESSION_PRESERVE_FD: preserve @fd in
 * the outgoing session @session under @token. Returns 0 or -errno
 * (-ENOENT or -EOPNOTSUPP: no handler can preserve this kind of file).
 */
int shl_luo_preserve_fd(int session, int fd, uint64_t token);

/*
 * shl_luo_retrieve_fd() - LIVEUPDATE_SESSION_RETRIEVE_FD: the file
 * preserved under @token in the incoming session @session. Returns the new
 * fd or -errno.
 */
int shl_luo_retrieve_fd(int session, uint64_t token);

/*
 * shl_luo_finish() - LIVEUPDATE_SESSION_FINISH on the incoming session
 * @session: LUO gives up its ownership of the session's files. Returns 0
 * or -errno.
 */
int shl_luo_finish(int session);

#endif /* SMMU_HIL_LUO_H */
