/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Quiescing user space before `kexec -e`, as `systemctl kexec` does by
 * stopping every unit first.
 *
 * Why the lab needs it: from 6.1.y stable on (drivers/virtio/virtio.c
 * virtio_dev_shutdown()), device_shutdown() breaks and resets virtio
 * devices, so requests still in a virtio-blk ring never complete; the CPU
 * offline that follows in machine_shutdown() (smp_shutdown_nonboot_cpus())
 * then waits for them forever in block/blk-mq.c blk_mq_hctx_notify_offline().
 * A `kexec -e` issued while fio has I/O in flight hangs the DUT (seen on
 * Debian's 6.1.0-56, 6.1.192: 4 of 7 loops of up to 10 kexecs). Stopping
 * the submitters and waiting until /sys/block/x/inflight reads 0 avoids it
 * (docs/lab.md, "Quiescing before kexec -e").
 */
#ifndef SMMU_HIL_QUIESCE_H
#define SMMU_HIL_QUIESCE_H

#include <stddef.h>
#include <sys/types.h>

/* Where shl_quiesce_stop() records the stopped PIDs for shl_quiesce_thaw(). */
#define SHL_QUIESCE_STATE	"/run/smmu-hil-quiesced"

/*
 * shl_quiesce_kexec_loaded() - <@sysfs>/kernel/kexec_loaded
 * (Documentation/ABI/testing/sysfs-kernel-kexec): 1 when a kernel is loaded
 * for `kexec -e`, 0 when not, -errno when unreadable (-EINVAL: not 0/1).
 */
int shl_quiesce_kexec_loaded(const char *sysfs);

/*
 * shl_quiesce_user_pids() - the user-space processes to stop: every PID in
 * @proc (a procfs mount, "/proc") except 1, @self, @self's ancestors and
 * kernel threads (PF_KTHREAD in /proc/PID/stat field 9, proc(5)).
 * Fills @pids (room for @max) and returns how many there are (which may be
 * more than @max: only @max are stored), or -errno when @proc cannot be
 * read.
 */
long shl_quiesce_user_pids(const char *proc, pid_t self, pid_t *pids, size_t max);

/*
 * shl_quiesce_stop() - SIGSTOP each of @pids (@n of them) and record them,
 * one per line, in @state (NULL: no record). A PID that has exited is
 * skipped. Returns how many were stopped, or -errno when a signal other than
 * to a vanished process fails or @state cannot be written (then every PID
 * already stopped is continued again).
 */
long shl_quiesce_stop(const pid_t *pids, size_t n, const char *state);

/*
 * shl_quiesce_thaw() - SIGCONT the PIDs recorded in @state and remove it.
 * Returns how many were continued (vanished ones not counted), 0 when there
 * is no record, or -errno.
 */
long shl_quiesce_thaw(const char *state);

/*
 * shl_quiesce_inflight() - the sum of both columns (reads, writes) of every
 * <@sysblock>/<disk>/inflight (Documentation/ABI/stable/sysfs-block) over
 * all disks; @sysblock is normally "/sys/block". Returns the requests in
 * flight (>= 0) or -errno when @sysblock cannot be read or a file is
 * malformed (-EINVAL).
 */
long shl_quiesce_inflight(const char *sysblock);

/*
 * shl_quiesce_drain() - poll shl_quiesce_inflight() every millisecond until
 * it reads 0 or @timeout_ms pass. Sets *@waited_ms to the time waited.
 * Returns 0 when drained, the requests still in flight (> 0) at the
 * timeout, or -errno from shl_quiesce_inflight().
 */
long shl_quiesce_drain(const char *sysblock, unsigned int timeout_ms, double *waited_ms);

#endif
