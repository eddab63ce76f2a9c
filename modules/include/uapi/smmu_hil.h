/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * smmu-hil: the binary interface between the DUT kernel modules and the
 * agent (docs/modules.md, docs/injector.md). Every exchange is a fixed
 * record or an ioctl struct defined here; the kernel parses no text.
 *
 * Conventions:
 *   - every control struct starts with struct smmu_hil_hdr: @version is
 *     SMMU_HIL_UAPI_VERSION, @size the sizeof() of the whole struct, @flags
 *     the command's flags (unknown bits are refused with -EINVAL);
 *   - reserved fields must be zero on input (else -EINVAL) and are zero on
 *     output;
 *   - counts are bounded by the limits below (else -EINVAL or -E2BIG);
 *   - PCI addresses are numbers (segment, bus, devfn), never text;
 *   - all fields are naturally aligned, so the layout is the same on arm64
 *     and on the 64-bit hosts the agent's tests run on.
 *
 * Files below /sys/kernel/debug/smmu-hil/ (SMMU_HIL_DEBUGFS_DIR):
 *   events            read: struct smmu_hil_evt_rec records, consumed
 *                     ioctl: SMMU_HIL_IOC_EVT_STATS, _EVT_CLEAR, _EVT_SMMUS,
 *                     _EVT_STREAMS, _EVT_TABLES, _EVT_HOLD
 *   edu/<bdf>/ctl     ioctl: SMMU_HIL_IOC_EDU_CMD
 *   inject/ste, cd    read: one struct smmu_hil_inj_entry
 *   inject/raw        write: struct smmu_hil_inj_seq + ops (allow_raw=1)
 *   inject/result     read: one struct smmu_hil_inj_result
 *   inject/record     write: struct smmu_hil_inj_rec_ctl;
 *                     read: struct smmu_hil_inj_snap records (not consumed)
 *   inject/barriers   read: one struct smmu_hil_inj_barriers
 * The remaining files (stats, smmu, streams, tables, edu result/domain) are
 * text for people; the agent does not read them.
 */
#ifndef _UAPI_SMMU_HIL_H
#define _UAPI_SMMU_HIL_H

#include <linux/ioctl.h>
#include <linux/types.h>

/* debugfs directory of the modules, below the debugfs mount point */
#define SMMU_HIL_DEBUGFS_DIR	"smmu-hil"

/* Version of this interface, in every struct smmu_hil_hdr */
#define SMMU_HIL_UAPI_VERSION	1

/* ioctl type byte of every smmu-hil ioctl */
#define SMMU_HIL_IOC_MAGIC	0xb5

/**
 * struct smmu_hil_hdr - first member of every control struct
 * @version: SMMU_HIL_UAPI_VERSION
 * @size: sizeof() of the whole struct
 * @flags: per-struct flags; bits the kernel does not know are refused
 */
struct smmu_hil_hdr {
	__u16 version;
	__u16 size;
	__u32 flags;
};

/* Entry kinds (the STE of Arm IHI 0070 5.2, the CD of 5.4) */
#define SMMU_HIL_ENT_STE	0
#define SMMU_HIL_ENT_CD		1
/* 64-bit words in an STE or a CD */
#define SMMU_HIL_ENT_QWORDS	8

/* -------------------------------------------------------- smmu_hil_evtmon */

/**
 * struct smmu_hil_evt_rec - one SMMUv3 event record seen by the driver
 * @seq: sequence number of the record as seen by the probe; it counts
 *	dropped records too, so a gap in @seq shows where records were lost
 * @ts_ns: ktime_get_ns() when the driver handed the record over
 * @evt: the four little-endian 64-bit words of the record as the SMMU
 *	wrote them to the event queue (Arm IHI 0070, 7.3), in CPU order
 *
 * Read from `events`: whole records only (at most 128 per read), oldest
 * first, consumed; a buffer smaller than one record gets -EINVAL; an empty
 * ring reads as end of file.
 */
struct smmu_hil_evt_rec {
	__u64 seq;
	__u64 ts_ns;
	__u64 evt[4];
};

#define SMMU_HIL_PROBE_NAME_LEN	64

/**
 * struct smmu_hil_evt_stats - the event monitor's counters (EVT_STATS)
 * @hdr: header, flags 0
 * @captured: records stored in the ring
 * @dropped: records lost because the ring was full
 * @overflows: times the SMMU signalled that it discarded event records:
 *	toggles of EVTQ_PROD.OVFLG (a full queue, Arm IHI 0070 7.4) plus
 *	raises of GERROR.EVENTQ_ABT_ERR (an aborted queue write, 7.5; what
 *	QEMU's SMMUv3 reports for a full queue); a lower bound
 * @bad_pointer: probe hits whose record pointer could not be read
 * @evtq_aborts: the GERROR.EVENTQ_ABT_ERR part of @overflows
 * @ring_size: records the ring holds
 * @queued: records in the ring now
 * @smmus: SMMUs the module maps
 * @probe_argidx: argument of the probed function holding the record
 * @probe: the probed function, NUL-terminated
 */
struct smmu_hil_evt_stats {
	struct smmu_hil_hdr hdr;
	__u64 captured;
	__u64 dropped;
	__u64 overflows;
	__u64 bad_pointer;
	__u64 evtq_aborts;
	__u32 ring_size;
	__u32 queued;
	__u32 smmus;
	__u32 probe_argidx;
	char probe[SMMU_HIL_PROBE_NAME_LEN];
};

#define SMMU_HIL_MAX_SMMUS	8
#define SMMU_HIL_NAME_LEN	64

/**
 * struct smmu_hil_smmu_info - one SMMU's identification registers
 * @name: the SMMU's platform device name, NUL-terminated
 * @idr0: SMMU_IDR0 (Arm IHI 0070 6.3.1) ... @aidr: SMMU_AIDR (6.3.7)
 */
struct smmu_hil_smmu_info {
	char name[SMMU_HIL_NAME_LEN];
	__u32 idr0;
	__u32 idr1;
	__u32 idr3;
	__u32 idr5;
	__u32 iidr;
	__u32 aidr;
};

/**
 * struct smmu_hil_evt_smmus - the SMMUs bound to arm-smmu-v3 (EVT_SMMUS)
 * @hdr: header, flags 0
 * @count: out: entries of @smmu filled (at most SMMU_HIL_MAX_SMMUS)
 * @reserved: zero
 * @smmu: out: one entry per SMMU
 */
struct smmu_hil_evt_smmus {
	struct smmu_hil_hdr hdr;
	__u32 count;
	__u32 reserved;
	struct smmu_hil_smmu_info smmu[SMMU_HIL_MAX_SMMUS];
};

/* PCI address as numbers: segment, bus, device << 3 | function */
struct smmu_hil_bdf {
	__u16 segment;
	__u8 bus;
	__u8 devfn;
};

/**
 * struct smmu_hil_stream - one StreamID of a PCI device with a fwspec
 * @bdf: the device
 * @sid: the StreamID
 * @smmu: index of its SMMU in EVT_SMMUS' list, or ~0U if not mapped
 * @error: EVT_TABLES: 0, or the -errno that stopped the walk
 * @where: EVT_TABLES, with @error: SMMU_HIL_WALK_*
 * @flags: EVT_TABLES: SMMU_HIL_STREAM_STE / _CD, which entries are valid
 * @ste_pa: EVT_TABLES: physical address of the STE
 * @cd_pa: EVT_TABLES: physical address of CD 0
 * @ste: EVT_TABLES: the STE, CPU order
 * @cd: EVT_TABLES: CD 0 (Config stage 1 only), CPU order
 */
struct smmu_hil_stream {
	struct smmu_hil_bdf bdf;
	__u32 sid;
	__u32 smmu;
	__s32 error;
	__u32 where;
	__u32 flags;
	__u64 ste_pa;
	__u64 cd_pa;
	__u64 ste[SMMU_HIL_ENT_QWORDS];
	__u64 cd[SMMU_HIL_ENT_QWORDS];
};

#define SMMU_HIL_STREAM_STE	(1U << 0)
#define SMMU_HIL_STREAM_CD	(1U << 1)
#define SMMU_HIL_WALK_NONE	0
#define SMMU_HIL_WALK_SMMU	1	/* no mapped SMMU for the fwspec */
#define SMMU_HIL_WALK_STE	2	/* locating or reading the STE */
#define SMMU_HIL_WALK_CD	3	/* locating or reading CD 0 */

#define SMMU_HIL_MAX_STREAMS	4096

/**
 * struct smmu_hil_evt_streams - StreamIDs (EVT_STREAMS) or the live
 * tables (EVT_TABLES) of every PCI device with an IOMMU fwspec
 * @hdr: header, flags 0
 * @max: in: entries @streams has room for (1..SMMU_HIL_MAX_STREAMS)
 * @count: out: entries there are; more than @max means it was cut short
 * @streams: in: user address of an array of @max struct smmu_hil_stream
 */
struct smmu_hil_evt_streams {
	struct smmu_hil_hdr hdr;
	__u32 max;
	__u32 count;
	__u64 streams;
};

/**
 * struct smmu_hil_evt_hold - hold back the arm-smmu-v3 driver's event-queue
 * interrupt, so the SMMU's event queue fills up (EVT_HOLD; a test of event
 * loss). Refused (-EPERM) unless smmu_hil_evtmon was loaded with
 * evtq_hold_max_ms > 0; -ENODEV when no SMMU's event-queue interrupt was
 * found (a "combined" one is not held).
 * @hdr: header, flags 0
 * @ms: in: disable the interrupt of every SMMU and enable it again after
 *	this many milliseconds (1..evtq_hold_max_ms; a new hold restarts the
 *	timer), or 0: enable it now
 * @held: in: 0; out: interrupts held back after the call
 */
struct smmu_hil_evt_hold {
	struct smmu_hil_hdr hdr;
	__u32 ms;
	__u32 held;
};

#define SMMU_HIL_IOC_EVT_STATS	_IOWR(SMMU_HIL_IOC_MAGIC, 0x01, struct smmu_hil_evt_stats)
#define SMMU_HIL_IOC_EVT_CLEAR	_IOW(SMMU_HIL_IOC_MAGIC, 0x02, struct smmu_hil_hdr)
#define SMMU_HIL_IOC_EVT_SMMUS	_IOWR(SMMU_HIL_IOC_MAGIC, 0x03, struct smmu_hil_evt_smmus)
#define SMMU_HIL_IOC_EVT_STREAMS _IOWR(SMMU_HIL_IOC_MAGIC, 0x04, struct smmu_hil_evt_streams)
#define SMMU_HIL_IOC_EVT_TABLES	_IOWR(SMMU_HIL_IOC_MAGIC, 0x05, struct smmu_hil_evt_streams)
#define SMMU_HIL_IOC_EVT_HOLD	_IOWR(SMMU_HIL_IOC_MAGIC, 0x06, struct smmu_hil_evt_hold)

/* ----------------------------------------------------------- smmu_hil_edu */

/* Commands of struct smmu_hil_edu_cmd */
#define SMMU_HIL_EDU_QUERY	0	/* the domain only */
#define SMMU_HIL_EDU_ROUNDTRIP	1	/* @len 1..4095, @count 1..10000 */
#define SMMU_HIL_EDU_FAULT	2	/* @count 1..4096, @len 0 (4) or 4..4095 */
#define SMMU_HIL_EDU_DOMAIN	3	/* @arg SMMU_HIL_EDU_DOM_* */
#define SMMU_HIL_EDU_LOOP_START	4	/* @len 1..4095 */
#define SMMU_HIL_EDU_LOOP_STOP	5
#define SMMU_HIL_EDU_NR_CMDS	6

#define SMMU_HIL_EDU_DOM_DEFAULT 0
#define SMMU_HIL_EDU_DOM_PAGING	1
/* the kernel's blocked domain (result flag SMMU_HIL_EDU_HAS_BLOCKED), else -EOPNOTSUPP */
#define SMMU_HIL_EDU_DOM_BLOCKED 2

/* Result flags of struct smmu_hil_edu_cmd (@hdr.flags out; 0 in) */
#define SMMU_HIL_EDU_HAS_BLOCKED (1U << 0)	/* DOMAIN blocked is available */

#define SMMU_HIL_EDU_MAX_LEN	4095
#define SMMU_HIL_EDU_MAX_COUNT	10000
#define SMMU_HIL_EDU_MAX_FAULTS	4096

/* Domain the device is in (@domain of the result) */
#define SMMU_HIL_DOM_NONE	0
#define SMMU_HIL_DOM_IDENTITY	1
#define SMMU_HIL_DOM_DMA	2
#define SMMU_HIL_DOM_DMA_FQ	3
#define SMMU_HIL_DOM_PAGING	4	/* the module's own paging domain */
#define SMMU_HIL_DOM_BLOCKED	5
#define SMMU_HIL_DOM_UNMANAGED	6
#define SMMU_HIL_DOM_UNKNOWN	7

/*
 * The names of SMMU_HIL_DOM_*, as the edu module's domain file and the
 * agent print them: an array initializer indexed by the value.
 */
#define SMMU_HIL_DOM_NAMES {					\
	[SMMU_HIL_DOM_NONE] = "none",				\
	[SMMU_HIL_DOM_IDENTITY] = "identity",			\
	[SMMU_HIL_DOM_DMA] = "DMA",				\
	[SMMU_HIL_DOM_DMA_FQ] = "DMA-FQ",			\
	[SMMU_HIL_DOM_PAGING] = "paging",			\
	[SMMU_HIL_DOM_BLOCKED] = "blocked",			\
	[SMMU_HIL_DOM_UNMANAGED] = "unmanaged",			\
	[SMMU_HIL_DOM_UNKNOWN] = "unknown",			\
}

/**
 * struct smmu_hil_edu_cmd - one command of the edu DMA generator and its
 * result (SMMU_HIL_IOC_EDU_CMD on edu/<bdf>/ctl)
 * @hdr: header, flags 0 in; out SMMU_HIL_EDU_HAS_BLOCKED
 * @cmd: in: SMMU_HIL_EDU_*
 * @len: in: bytes per copy (ROUNDTRIP, LOOP_START); FAULT: bytes each
 *	faulting copy reads, 0 for 4 (one access, one record); QEMU's SMMU
 *	records each 4-byte access of a longer copy, a fault storm
 * @count: in: iterations (ROUNDTRIP) or faults (FAULT)
 * @arg: in: DOMAIN's target; else 0
 * @domain: out: SMMU_HIL_DOM_* after the command
 * @last_error: out: the last copy's -errno, 0 if none
 * @transfers: out: correct round trips (ROUNDTRIP, LOOP_STOP) or faulting
 *	copies issued (FAULT)
 * @errors: out: failed round trips
 * @bytes: out: bytes moved by correct round trips
 * @iova_base: out, FAULT: first faulting IOVA
 * @stride: out, FAULT: bytes between two faulting IOVAs
 * @duration_ns: out, LOOP_STOP: how long the loop ran
 * @reserved: zero
 */
struct smmu_hil_edu_cmd {
	struct smmu_hil_hdr hdr;
	__u32 cmd;
	__u32 len;
	__u32 count;
	__u32 arg;
	__u32 domain;
	__s32 last_error;
	__u64 transfers;
	__u64 errors;
	__u64 bytes;
	__u64 iova_base;
	__u64 stride;
	__u64 duration_ns;
	__u64 reserved[2];
};

#define SMMU_HIL_IOC_EDU_CMD	_IOWR(SMMU_HIL_IOC_MAGIC, 0x10, struct smmu_hil_edu_cmd)

/* -------------------------------------------------------- smmu_hil_inject */

/* struct smmu_hil_inj_entry flags */
#define SMMU_HIL_INJ_PRESENT	(1U << 0)	/* cd: the STE locates a CD 0 */
#define SMMU_HIL_INJ_RAW	(1U << 1)	/* ste: raw mode on */
#define SMMU_HIL_INJ_RECORDER	(1U << 2)	/* ste: recorder available */
/*
 * ste: the driver updates entries with arm_smmu_write_entry(): the recorder
 * gives each update's target and final entry (SMMU_HIL_SNAP_TARGET, _END)
 */
#define SMMU_HIL_INJ_WRITER	(1U << 3)
/* ste: that writer has update-safe STE bits (arm_smmu_get_ste_update_safe) */
#define SMMU_HIL_INJ_UPDATE_SAFE (1U << 4)

/**
 * struct smmu_hil_inj_entry - the claimed device's live STE or CD 0, read
 * from inject/ste or inject/cd (one struct per read from offset 0)
 * @hdr: header; @hdr.flags: SMMU_HIL_INJ_*
 * @entry: SMMU_HIL_ENT_STE or SMMU_HIL_ENT_CD
 * @sid: the claimed StreamID
 * @bdf: the claimed device
 * @ssid: cd: the SubstreamID (0)
 * @pa: physical address of the entry
 * @q: the entry, CPU order
 * @shadow_cd: ste, raw mode: the module's shadow CD table, else 0
 * @zero_table: ste, raw mode: the module's all-invalid tables, else 0: a
 *	zeroed region of SMMU_HIL_INJ_ZERO_TABLE_BYTES aligned to its size, so
 *	a first table walk of up to that many bytes (a 64K-granule stage 2, a
 *	16K one starting at level 2 with concatenated tables) reads only zeros
 * @smmu: the SMMU's device name, NUL-terminated
 */
#define SMMU_HIL_INJ_ZERO_TABLE_BYTES	(128U * 1024)
struct smmu_hil_inj_entry {
	struct smmu_hil_hdr hdr;
	__u32 entry;
	__u32 sid;
	struct smmu_hil_bdf bdf;
	__u32 ssid;
	__u64 pa;
	__u64 q[SMMU_HIL_ENT_QWORDS];
	__u64 shadow_cd;
	__u64 zero_table;
	char smmu[SMMU_HIL_NAME_LEN];
};

/* Operations of a raw sequence */
#define SMMU_HIL_OP_WRITE	0	/* one 64-bit store of @val to qword @idx */
#define SMMU_HIL_OP_SYNC	1	/* CMD_CFGI_STE/CD (Leaf) + CMD_SYNC */
#define SMMU_HIL_OP_DWELL	2	/* wait @us microseconds */
#define SMMU_HIL_OP_DMA_WMB	3	/* dma_wmb() */
#define SMMU_HIL_OP_RESTORE	4	/* put the saved driver entry back */
#define SMMU_HIL_OP_NR		5

/* Limits of a raw sequence */
#define SMMU_HIL_INJ_MAX_OPS	4096
#define SMMU_HIL_INJ_MAX_REPEAT	1000000
#define SMMU_HIL_INJ_MAX_DWELL_US 100000
#define SMMU_HIL_INJ_MAX_TOTAL_OPS 20000000ULL
#define SMMU_HIL_INJ_MAX_TOTAL_DWELL_US 120000000ULL

/**
 * struct smmu_hil_inj_op - one operation of a raw sequence
 * @op: SMMU_HIL_OP_*
 * @idx: OP_WRITE: qword 0..7; else 0
 * @reserved: zero
 * @us: OP_DWELL: 0..SMMU_HIL_INJ_MAX_DWELL_US; else 0
 * @val: OP_WRITE: the value (CPU order); else 0
 */
struct smmu_hil_inj_op {
	__u8 op;
	__u8 idx;
	__u16 reserved;
	__u32 us;
	__u64 val;
};

/**
 * struct smmu_hil_inj_seq - a raw sequence, written to inject/raw in one
 * write(2) followed by its @nops struct smmu_hil_inj_op (nothing else)
 * @hdr: header, flags 0
 * @entry: SMMU_HIL_ENT_STE or SMMU_HIL_ENT_CD
 * @nops: operations that follow (1..SMMU_HIL_INJ_MAX_OPS)
 * @body: ops[0..body) run once, ops[body..nops) run @repeat times
 * @repeat: 1..SMMU_HIL_INJ_MAX_REPEAT
 *
 * Refused with -EINVAL: a bad header, length or field, ops beyond
 * SMMU_HIL_INJ_MAX_TOTAL_OPS in all, dwells beyond
 * SMMU_HIL_INJ_MAX_TOTAL_DWELL_US in all; -EPERM without allow_raw=1.
 */
struct smmu_hil_inj_seq {
	struct smmu_hil_hdr hdr;
	__u32 entry;
	__u32 nops;
	__u32 body;
	__u32 repeat;
};

/**
 * struct smmu_hil_inj_result - the last raw sequence, read from
 * inject/result (@hdr.flags: SMMU_HIL_INJ_RES_*)
 * @hdr: header
 * @entry: SMMU_HIL_ENT_STE or SMMU_HIL_ENT_CD
 * @error: 0 or the -errno that stopped it
 * @repeat: the sequence's repeat count
 * @reserved: zero
 * @iterations: body iterations run
 * @writes: stores done
 * @syncs: syncs done
 * @dwells: dwells done
 * @total_ns: time the sequence ran
 * @ns_per_step: @total_ns per store, sync or dwell
 * @ns_per_sync: mean sync time
 * @max_sync_ns: longest sync
 */
struct smmu_hil_inj_result {
	struct smmu_hil_hdr hdr;
	__u32 entry;
	__s32 error;
	__u32 repeat;
	__u32 reserved;
	__u64 iterations;
	__u64 writes;
	__u64 syncs;
	__u64 dwells;
	__u64 total_ns;
	__u64 ns_per_step;
	__u64 ns_per_sync;
	__u64 max_sync_ns;
};

#define SMMU_HIL_INJ_RES_DONE		(1U << 0)	/* a sequence ran */
#define SMMU_HIL_INJ_RES_CONFLICT	(1U << 1)	/* the driver took the entry back */
#define SMMU_HIL_INJ_RES_RESTORED	(1U << 2)	/* the driver's entry was put back */

/* Recorder commands */
#define SMMU_HIL_REC_START	0
#define SMMU_HIL_REC_STOP	1
#define SMMU_HIL_REC_CLEAR	2

/**
 * struct smmu_hil_inj_rec_ctl - recorder command, written to inject/record
 * @hdr: header, flags 0
 * @cmd: SMMU_HIL_REC_*
 * @reserved: zero
 */
struct smmu_hil_inj_rec_ctl {
	struct smmu_hil_hdr hdr;
	__u32 cmd;
	__u32 reserved;
};

/* Snapshot kinds */
#define SMMU_HIL_SNAP_START	0	/* recording started */
#define SMMU_HIL_SNAP_BEGIN	1	/* the driver starts rewriting the entry */
#define SMMU_HIL_SNAP_SYNC	2	/* a CFGI of the entry goes to the queue */
#define SMMU_HIL_SNAP_STOP	3	/* recording stopped */
#define SMMU_HIL_SNAP_TARGET	4	/* writer kernels: the entry asked for */
#define SMMU_HIL_SNAP_END	5	/* writer kernels: the entry the writer left */
/* writer kernels: a store barrier of the writer executes (the entry then) */
#define SMMU_HIL_SNAP_BARRIER	6

/**
 * struct smmu_hil_inj_snap - one recorder snapshot, read from inject/record
 * (the ring as it was at open, oldest first, not consumed)
 * @seq: sequence number (gaps: dropped snapshots)
 * @ts_ns: ktime_get_ns() of the snapshot
 * @kind: SMMU_HIL_SNAP_*
 * @entry: SMMU_HIL_ENT_STE or SMMU_HIL_ENT_CD
 * @q: the entry, CPU order
 */
struct smmu_hil_inj_snap {
	__u64 seq;
	__u64 ts_ns;
	__u32 kind;
	__u32 entry;
	__u64 q[SMMU_HIL_ENT_QWORDS];
};

/* Barriers the barrier witness lists */
#define SMMU_HIL_INJ_MAX_BARRIERS	16
/* Barriers it puts a kprobe on while recording (the first that order stores) */
#define SMMU_HIL_INJ_MAX_BARRIER_PROBES	8

/* Flags of struct smmu_hil_inj_barrier */
#define SMMU_HIL_INJ_BAR_ORDERS	(1U << 0)	/* orders stores for the SMMU (a dma_wmb or stronger) */
#define SMMU_HIL_INJ_BAR_PROBED	(1U << 1)	/* armed while recording */

/**
 * struct smmu_hil_inj_barrier - one DMB or DSB instruction in the writer
 * @offset: bytes from the writer's first instruction
 * @insn: the instruction word (include/smmu_hil/a64_barrier.h decodes it)
 * @flags: SMMU_HIL_INJ_BAR_*
 * @reserved: zero
 */
struct smmu_hil_inj_barrier {
	__u32 offset;
	__u32 insn;
	__u32 flags;
	__u32 reserved;
};

/* Header flags of struct smmu_hil_inj_barriers */
#define SMMU_HIL_INJ_BARS_TRUNCATED (1U << 0)	/* more barriers than the list holds */

/**
 * struct smmu_hil_inj_barriers - the barrier witness, read from
 * inject/barriers: the DMB/DSB instructions in the running kernel's entry
 * writer (kallsyms address and size, the code read at load)
 * @hdr: header; @hdr.flags: SMMU_HIL_INJ_BARS_*
 * @error: 0, or why there is no list: -ENOENT the kernel has no entry
 *	writer (6.1) or it is not in kallsyms (inlined), -EOPNOTSUPP not
 *	arm64, -ERANGE its size unknown or above 16 KiB, -EFAULT its code
 *	unreadable
 * @count: entries of @b filled
 * @size: the writer's size in bytes (kallsyms)
 * @reserved: zero
 * @func: the writer's name, NUL-terminated
 * @b: the barriers in address order
 */
struct smmu_hil_inj_barriers {
	struct smmu_hil_hdr hdr;
	__s32 error;
	__u32 count;
	__u32 size;
	__u32 reserved;
	char func[SMMU_HIL_NAME_LEN];
	struct smmu_hil_inj_barrier b[SMMU_HIL_INJ_MAX_BARRIERS];
};

#endif /* _UAPI_SMMU_HIL_H */
