/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * DUT-side helpers of the agent: the smmu-hil kernel modules' debugfs files
 * (modules/smmu_hil_evtmon.c, modules/smmu_hil_edu.c, docs/modules.md), the
 * PCI and IOMMU group sysfs attributes, and input parsing shared by the
 * dut, events, dma and domain commands.
 */
#ifndef SMMU_HIL_DUT_H
#define SMMU_HIL_DUT_H

#include <stddef.h>
#include <stdint.h>
#include <json-c/json.h>

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
 * shl_kv_u64() - find the line "KEY VALUE" in @text (the modules' `key
 * value` format) and parse VALUE with shl_parse_u64(). Returns 0, or -1 if
 * the key is absent or its value is not a number.
 */
int shl_kv_u64(const char *text, const char *key, unsigned long long *out);

/*
 * shl_kv_str() - copy the VALUE of line "KEY VALUE" in @text into @out.
 * Returns 0, or -1 if the key is absent or the value does not fit.
 */
int shl_kv_str(const char *text, const char *key, char *out, size_t size);

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
 * shl_edu_ctl() - run one command line of the edu module ("roundtrip LEN
 * COUNT", "fault COUNT", "domain paging|default") on @bdf and read its
 * result file into @result. Returns 0 or -errno from the module.
 */
int shl_edu_ctl(const char *bdf, const char *line, char *result, size_t size);

/*
 * shl_edu_domain() - the domain the module reports @bdf to be in ("DMA",
 * "identity", "paging", ...). Returns 0 or -errno.
 */
int shl_edu_domain(const char *bdf, char *out, size_t size);

/* Outcome of `roundtrip LEN COUNT` (the module's result file). */
struct shl_edu_roundtrip {
	unsigned long long transfers, errors, bytes;
	char domain[32];
};

/*
 * shl_edu_roundtrip() - run @count round trips of @len bytes (RAM to the
 * edu buffer and back, data compared by the module) on @bdf. Returns 0 with
 * @out filled, -errno from the module (-EINVAL for a bad LEN/COUNT), or
 * -EPROTO if the result cannot be parsed.
 */
int shl_edu_roundtrip(const char *bdf, unsigned int len, unsigned int count,
		      struct shl_edu_roundtrip *out);

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
 * counters. Returns 0 or -errno (-ENOENT when the module is not loaded).
 */
int shl_events_clear(void);

struct shl_idr_regs;

/*
 * shl_parse_smmu_line() - parse one line of the event monitor's `smmu`
 * file, "name=X IDR0=0x.. IDR1=.. IDR3=.. IDR5=.. IIDR=.. AIDR=..", in place
 * (@line is modified). Returns 0, or -1 if a key is missing or malformed.
 */
int shl_parse_smmu_line(char *line, char *name, size_t nsize, struct shl_idr_regs *r);

/* Domain types a device is moved among (harness/lib/dut_domain.c). */
enum shl_dom { SHL_DOM_IDENTITY, SHL_DOM_DMA, SHL_DOM_PAGING, SHL_DOM_OTHER, SHL_DOM_NR };

/* shl_dom_name() - "identity", "dma", "paging" or "other". */
const char *shl_dom_name(enum shl_dom t);

/* shl_dom_parse() - "identity", "dma" or "paging" to its type; -1 otherwise. */
int shl_dom_parse(const char *s);

/*
 * shl_dom_classify() - the type of a domain name as the edu module or the
 * group's `type` attribute reports it ("DMA", "DMA-FQ", "identity",
 * "paging"); SHL_DOM_OTHER for anything else.
 */
enum shl_dom shl_dom_classify(const char *name);

/*
 * shl_dom_current() - the domain @bdf is in now: the edu module's view,
 * else its IOMMU group's `type`. Returns 0 or -errno (-ENODEV: no group).
 */
int shl_dom_current(const char *bdf, char *name, size_t size);

/*
 * shl_dom_set() - move @bdf into a domain of type @t through the kernel
 * (identity/dma: unbind, group `type`, bind; paging: the edu module's
 * `domain paging|default`). Returns 0, -errno from sysfs/debugfs, or
 * -EAGAIN if the device did not end up in @t.
 */
int shl_dom_set(const char *bdf, enum shl_dom t);

/*
 * shl_dut_smmus() - the SMMUs the event monitor's `smmu` file lists, as a
 * JSON array of {"name", "idr": shl_idr_to_json()}; empty without the
 * module. The caller owns the reference.
 */
json_object *shl_dut_smmus(void);

/*
 * shl_dut_features() - the union of the SMMUs' feature names as
 * `smmu-hil dut info` lists them ("S1P", "S2P", "NESTED", "ATS", ...):
 * a malloc'ed array of @n malloc'ed strings in @out (free with
 * shl_strv_free()). No SMMU: @n = 0. Returns 0 or -ENOMEM.
 */
int shl_dut_features(char ***out, size_t *n);

/*
 * shl_streams_sids() - the StreamIDs of @bdf in the text of the event
 * monitor's `streams` file ("<bdf> <sid> [<sid>...]" lines, decimal), at
 * most @max into @sids. Returns how many were found (0: none).
 */
size_t shl_streams_sids(const char *streams, const char *bdf, uint32_t *sids, size_t max);

/*
 * shl_dut_sid() - the first StreamID of @bdf from the `streams` file.
 * Returns 0, -ENODEV if it has none, or -errno of the read.
 */
int shl_dut_sid(const char *bdf, uint32_t *sid);

/* shl_strv_free() - free an array of @n malloc'ed strings and the array. */
void shl_strv_free(char **v, size_t n);

#endif /* SMMU_HIL_DUT_H */
