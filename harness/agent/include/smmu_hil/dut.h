/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * DUT-side helpers of the agent: the smmu-hil kernel modules' binary
 * interface (records and ioctls of modules/include/uapi/smmu_hil.h on their
 * debugfs files; modules/smmu_hil_evtmon.c, modules/smmu_hil_edu.c,
 * docs/modules.md), the PCI and IOMMU group sysfs attributes, and input
 * parsing shared by the dut, events, dma and domain commands.
 */
#ifndef SMMU_HIL_DUT_H
#define SMMU_HIL_DUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <json-c/json.h>

struct smmu_hil_hdr;
struct smmu_hil_bdf;
struct smmu_hil_edu_cmd;
struct smmu_hil_evt_stats;
struct smmu_hil_smmu_info;
struct smmu_hil_stream;

/* "DDDD:BB:DD.F" plus the terminating NUL */
#define SHL_BDF_LEN	13
/* Name of the edu driver in /sys/bus/pci/drivers */
#define SHL_EDU_DRIVER	"smmu_hil_edu"

/*
 * shl_debugfs_dir() - the modules' debugfs directory:
 * $SMMU_HIL_DEBUGFS if set (tests), else /sys/kernel/debug/smmu-hil.
 */
const char *shl_debugfs_dir(void);

/*
 * shl_sysfs_dir() - the sysfs mount point: $SMMU_HIL_SYSFS if set (tests),
 * else /sys.
 */
const char *shl_sysfs_dir(void);

/*
 * shl_read_text() - read a whole (small) file into @buf as a NUL-terminated
 * string. Returns the length, or -errno (-EFBIG if it does not fit).
 */
int shl_read_text(const char *path, char *buf, size_t size);

/*
 * shl_read_line() - shl_read_text(), cut at the first newline (one-line
 * sysfs/debugfs attributes). Returns 0 or -errno.
 */
int shl_read_line(const char *path, char *buf, size_t size);

/*
 * shl_write_text() - write @s to @path in one write(2), as sysfs and debugfs
 * attributes want. Returns 0 or -errno (the kernel's answer, e.g. -EINVAL).
 */
int shl_write_text(const char *path, const char *s);

/*
 * shl_uapi_hdr() - fill the header of a control struct of the modules'
 * uapi: version SMMU_HIL_UAPI_VERSION, @size bytes, @flags.
 */
void shl_uapi_hdr(struct smmu_hil_hdr *h, size_t size, uint32_t flags);

/*
 * shl_uapi_hdr_ok() - whether a record the kernel returned has this
 * interface's version and the @size the agent expects. Returns 1 or 0.
 */
int shl_uapi_hdr_ok(const struct smmu_hil_hdr *h, size_t size);

/*
 * shl_read_record() - read one fixed record of exactly @size bytes from
 * @path into @buf. Returns 0, -errno of open/read, or -EPROTO if the file
 * holds another size.
 */
int shl_read_record(const char *path, void *buf, size_t size);

/*
 * shl_write_record() - write @len bytes to @path in one write(2) (a record
 * or a record and its array). Returns 0 or -errno (the kernel's answer).
 */
int shl_write_record(const char *path, const void *buf, size_t len);

/*
 * shl_debugfs_ioctl() - open @file below shl_debugfs_dir() (@rw: read and
 * write, else read-only) and issue ioctl @req with @arg. Returns 0 or
 * -errno (-ENOENT: module not loaded, -ENOTTY: not a module's file).
 */
int shl_debugfs_ioctl(const char *file, bool rw, unsigned long req, void *arg);

/*
 * shl_bdf_format() - the canonical "DDDD:BB:DD.F" of a uapi PCI address.
 */
void shl_bdf_format(const struct smmu_hil_bdf *b, char out[SHL_BDF_LEN]);

/*
 * shl_parse_bdf() - parse a PCI address "DDDD:BB:DD.F" or "BB:DD.F"
 * (domain 0), hex digits, device <= 0x1f, function <= 7; write the
 * canonical lower-case form to @out (SHL_BDF_LEN bytes). Returns 0 or -1.
 */
int shl_parse_bdf(const char *s, char out[SHL_BDF_LEN]);

/*
 * shl_parse_uint_range() - shl_parse_u64() restricted to [min, max].
 * Returns 0 or -1.
 */
int shl_parse_uint_range(const char *s, unsigned long long min,
			 unsigned long long max, unsigned long long *out);

/*
 * shl_pci_driver() - the driver bound to PCI device @bdf into @out ("" if
 * none). Returns 0, or -ENODEV if the device does not exist.
 */
int shl_pci_driver(const char *bdf, char *out, size_t size);

/*
 * shl_pci_iommu_group() - the IOMMU group number of @bdf from its
 * iommu_group link. Returns the number, or -1 if it has none.
 */
int shl_pci_iommu_group(const char *bdf);

/*
 * shl_edu_find() - pick the edu device: @want if given (must be bound to
 * smmu_hil_edu), else the first device bound to it in BDF order. Writes the
 * canonical BDF to @out. Returns 0, -EINVAL for a malformed @want,
 * -ENODEV if the device does not exist or is not bound to smmu_hil_edu.
 */
int shl_edu_find(const char *want, char out[SHL_BDF_LEN]);

/*
 * shl_edu_cmd_init() - a struct smmu_hil_edu_cmd for command @cmd
 * (SMMU_HIL_EDU_*) with its arguments: @len bytes per copy, @count
 * iterations or faults, @arg the DOMAIN target; outputs zero.
 */
void shl_edu_cmd_init(struct smmu_hil_edu_cmd *c, uint32_t cmd, uint32_t len, uint32_t count,
		      uint32_t arg);

/*
 * shl_edu_cmd() - issue @c (shl_edu_cmd_init()) on @bdf's edu/<bdf>/ctl
 * (ioctl SMMU_HIL_IOC_EDU_CMD) and take its result back into @c. Returns 0,
 * -errno from the module (-EINVAL: an argument out of range), or -EPROTO if
 * the result's header is not this interface's.
 */
int shl_edu_cmd(const char *bdf, struct smmu_hil_edu_cmd *c);

/*
 * shl_edu_domain_name() - the name of a SMMU_HIL_DOM_* value as the
 * kernel spells the domain type: "DMA", "DMA-FQ", "identity", "paging",
 * "blocked", "unmanaged", "none", "unknown".
 */
const char *shl_edu_domain_name(uint32_t dom);

/*
 * shl_edu_domain() - the domain the module reports @bdf to be in ("DMA",
 * "identity", "paging", ...). Returns 0 or -errno.
 */
int shl_edu_domain(const char *bdf, char *out, size_t size);

/*
 * shl_edu_set_domain() - the module's DOMAIN command on @bdf: @target
 * SMMU_HIL_EDU_DOM_PAGING (its paging domain, iommu_attach_device),
 * _BLOCKED (the kernel's blocked domain, DMA ownership claimed) or
 * _DEFAULT (back to the default domain). Returns 0 or -errno
 * (-EOPNOTSUPP: the kernel has no blocked domain).
 */
int shl_edu_set_domain(const char *bdf, uint32_t target);

/*
 * shl_edu_has_blocked() - whether the module on @bdf can move it into the
 * kernel's blocked domain (result flag SMMU_HIL_EDU_HAS_BLOCKED). Returns
 * 1, 0, or -errno.
 */
int shl_edu_has_blocked(const char *bdf);

/* Outcome of ROUNDTRIP LEN COUNT. */
struct shl_edu_roundtrip {
	unsigned long long transfers, errors, bytes;
	char domain[32];
};

/*
 * shl_edu_roundtrip() - run @count round trips of @len bytes (RAM to the
 * edu buffer and back, data compared by the module) on @bdf. Returns 0 with
 * @out filled, -errno from the module (-EINVAL for a bad LEN/COUNT), or
 * -EPROTO for a malformed result.
 */
int shl_edu_roundtrip(const char *bdf, unsigned int len, unsigned int count,
		      struct shl_edu_roundtrip *out);

/* Outcome of FAULT COUNT: DMAs issued to IOVAs iova_base + i * stride. */
struct shl_edu_fault {
	unsigned long long injected, iova_base, stride;
};

/*
 * shl_edu_fault() - point @count DMAs of @bdf at unmapped IOVAs, one page
 * apart (F_TRANSLATION events), each reading @len bytes: 0 for 4 (one
 * access, one record), up to 4095 (QEMU's SMMU records every 4-byte access:
 * a fault storm). Returns 0 with @out filled, -errno from the module
 * (-EOPNOTSUPP: identity domain, -EBUSY: an IOVA is mapped).
 */
int shl_edu_fault(const char *bdf, unsigned int count, unsigned int len,
		  struct shl_edu_fault *out);

/* Outcome of the background loop, at LOOP_STOP. */
struct shl_edu_loop {
	unsigned long long transfers, errors, bytes, duration_ns;
};

/*
 * shl_edu_loop() - start (@start, round trips of @len bytes back to back in
 * a kthread) or stop the module's DMA loop on @bdf; a stop fills @out (may
 * be NULL). Returns 0 or -errno (-EBUSY: one runs, -ENOENT: none runs).
 */
int shl_edu_loop(const char *bdf, bool start, unsigned int len, struct shl_edu_loop *out);

/* A captured record: same layout as struct smmu_hil_evt_rec (uapi). */
struct shl_evt_rec {
	uint64_t seq;
	uint64_t ts_ns;
	uint64_t evt[4];
};

/*
 * shl_events_read() - drain the event monitor's ring: read up to @max
 * records into @recs (the read consumes them). Returns the number read, or
 * -errno (-ENOENT when the module is not loaded).
 */
long shl_events_read(struct shl_evt_rec *recs, size_t max);

/*
 * shl_events_clear() - empty the event monitor's ring and zero its
 * counters (ioctl SMMU_HIL_IOC_EVT_CLEAR). Returns 0 or -errno (-ENOENT
 * when the module is not loaded).
 */
int shl_events_clear(void);

/* The event monitor's counters (struct smmu_hil_evt_stats). */
struct shl_evt_stats {
	unsigned long long captured, dropped, overflows, evtq_aborts, bad_pointer;
	unsigned int ring_size, queued, smmus;
	char probe[80];		/* "SYMBOL:ARGIDX" */
};

/*
 * shl_evt_stats_decode() - the counters of a struct smmu_hil_evt_stats the
 * kernel returned. Returns 0, or -1 if its header or probe name is not
 * well formed.
 */
int shl_evt_stats_decode(const struct smmu_hil_evt_stats *in, struct shl_evt_stats *out);

/*
 * shl_events_stats() - the event monitor's counters (ioctl
 * SMMU_HIL_IOC_EVT_STATS). Returns 0, -errno (-ENOENT when the module is
 * not loaded) or -EPROTO.
 */
int shl_events_stats(struct shl_evt_stats *out);

/*
 * shl_events_hold() - hold the arm-smmu-v3 driver's event-queue interrupt
 * back for @ms milliseconds, or release it now (@ms 0) (ioctl
 * SMMU_HIL_IOC_EVT_HOLD; a test of event loss). Sets @held to the
 * interrupts held after the call. Returns 0 or -errno: -EPERM (the monitor
 * was not loaded with evtq_hold_max_ms), -EINVAL (@ms above it), -ENODEV
 * (no event-queue interrupt found), -ENOENT (monitor not loaded).
 */
int shl_events_hold(unsigned int ms, unsigned int *held);

struct shl_idr_regs;

/*
 * shl_smmu_info_decode() - the name and ID registers of one SMMU the event
 * monitor reports. Returns 0, or -1 if the name is not NUL-terminated.
 */
int shl_smmu_info_decode(const struct smmu_hil_smmu_info *in, char *name, size_t nsize,
			 struct shl_idr_regs *r);

/*
 * shl_dut_smmu_first() - the name and ID registers of the first SMMU the
 * event monitor maps (ioctl SMMU_HIL_IOC_EVT_SMMUS). Returns 0, -ENODEV if
 * it maps none, -errno (-ENOENT: module not loaded) or -EPROTO.
 */
int shl_dut_smmu_first(char *name, size_t nsize, struct shl_idr_regs *r);

/* Domain types a device is moved among (harness/agent/dut_domain.c). */
enum shl_dom {
	SHL_DOM_IDENTITY, SHL_DOM_DMA, SHL_DOM_PAGING, SHL_DOM_BLOCKED, SHL_DOM_OTHER, SHL_DOM_NR
};

/* shl_dom_name() - "identity", "dma", "paging", "blocked" or "other". */
const char *shl_dom_name(enum shl_dom t);

/* shl_dom_parse() - "identity", "dma", "paging" or "blocked" to its type; -1 otherwise. */
int shl_dom_parse(const char *s);

/*
 * shl_dom_classify() - the type of a domain name as the edu module or the
 * group's `type` attribute reports it ("DMA", "DMA-FQ", "identity",
 * "paging", "blocked"); SHL_DOM_OTHER for anything else.
 */
enum shl_dom shl_dom_classify(const char *name);

/*
 * shl_dom_current() - the domain @bdf is in now: the edu module's view,
 * else its IOMMU group's `type`. Returns 0 or -errno (-ENODEV: no group).
 */
int shl_dom_current(const char *bdf, char *name, size_t size);

/*
 * shl_dom_set() - move @bdf into a domain of type @t through the kernel
 * (identity/dma: unbind, group `type`, bind; paging and blocked: the edu
 * module's DOMAIN command, shl_edu_set_domain()). Returns 0, -errno from
 * sysfs/debugfs (-EOPNOTSUPP: no blocked domain), or -EAGAIN if the
 * device did not end up in @t.
 */
int shl_dom_set(const char *bdf, enum shl_dom t);

/*
 * shl_dut_smmus() - the SMMUs the event monitor's `smmu` file lists, as a
 * JSON array of {"name", "idr": shl_idr_to_json()}; empty without the
 * module. The caller owns the reference.
 */
json_object *shl_dut_smmus(void);

/*
 * shl_dut_is_qemu() - true when the DUT is a QEMU machine: the device tree's
 * root compatible lists "linux,dummy-virt" (QEMU's virt board) or the
 * SMBIOS system vendor (class/dmi/id/sys_vendor) starts with "QEMU"; both
 * under shl_sysfs_dir(). A legality corpus item with skip_on: {qemu: ...}
 * is not written there (it would abort QEMU's SMMU model).
 */
bool shl_dut_is_qemu(void);

/*
 * shl_dut_features() - the union of the SMMUs' feature names as
 * `smmu-hil dut info` lists them ("S1P", "S2P", "NESTED", "ATS", ...):
 * a malloc'ed array of @n malloc'ed strings in @out (free with
 * shl_strv_free()). No SMMU: @n = 0. Returns 0 or -ENOMEM.
 */
int shl_dut_features(char ***out, size_t *n);

/*
 * shl_dut_streams() - every StreamID of every PCI device with an IOMMU
 * fwspec (ioctl SMMU_HIL_IOC_EVT_STREAMS), or with @tables also its live
 * STE and CD 0 (SMMU_HIL_IOC_EVT_TABLES): a malloc'ed array in @out (free
 * it), its length in @n. Returns 0 or -errno (-ENOENT: module not loaded).
 */
int shl_dut_streams(bool tables, struct smmu_hil_stream **out, size_t *n);

/*
 * shl_streams_sids() - the StreamIDs of @bdf among the @n @streams, at most
 * @max into @sids. Returns how many were found (0: none).
 */
size_t shl_streams_sids(const struct smmu_hil_stream *streams, size_t n, const char *bdf,
			uint32_t *sids, size_t max);

/*
 * shl_dut_sid() - the first StreamID of @bdf (shl_dut_streams()).
 * Returns 0, -ENODEV if it has none, or -errno.
 */
int shl_dut_sid(const char *bdf, uint32_t *sid);

/* shl_strv_free() - free an array of @n malloc'ed strings and the array. */
void shl_strv_free(char **v, size_t n);

#endif /* SMMU_HIL_DUT_H */
