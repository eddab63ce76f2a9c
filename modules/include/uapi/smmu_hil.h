/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * smmu-hil: binary interface between the DUT kernel modules and the agent.
 *
 * /sys/kernel/debug/smmu-hil/events yields whole struct smmu_hil_evt_rec
 * records, oldest first; a read consumes what it returns. A read buffer
 * smaller than one record gets -EINVAL; an empty ring reads as end of file.
 */
#ifndef _UAPI_SMMU_HIL_H
#define _UAPI_SMMU_HIL_H

#include <linux/types.h>

/* debugfs directory of both modules, below the debugfs mount point */
#define SMMU_HIL_DEBUGFS_DIR	"smmu-hil"

/**
 * struct smmu_hil_evt_rec - one SMMUv3 event record seen by the driver
 * @seq: sequence number of the record as seen by the probe; it counts
 *	dropped records too, so a gap in @seq shows where records were lost
 * @ts_ns: ktime_get_ns() when the driver handed the record over
 * @evt: the four little-endian 64-bit words of the record as the SMMU
 *	wrote them to the event queue (Arm IHI 0070, 7.3), in CPU order
 */
struct smmu_hil_evt_rec {
	__u64 seq;
	__u64 ts_ns;
	__u64 evt[4];
};

#endif /* _UAPI_SMMU_HIL_H */
