/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The agent as a minimal VMM (docs/bugs.md, nested-update-safe): a device
 * bound to vfio-pci, opened through its VFIO cdev and bound to iommufd; an
 * IOAS holding the "guest memory", a nesting-parent stage-2 HWPT, an ARM
 * SMMUv3 vIOMMU with a vDEVICE (the virtual StreamID) and nested HWPTs
 * from guest vSTEs (smmu_hil/guest.h); the device is replaced between them
 * (VFIO_DEVICE_ATTACH_IOMMUFD_PT) while edu DMA runs through the VFIO BAR
 * mapping. Call order: tools/testing/selftests/iommu (iommufd_utils.h) and
 * drivers/iommu/iommufd/viommu.c of the DUT kernel.
 */
#ifndef SMMU_HIL_VMM_H
#define SMMU_HIL_VMM_H

#include <stdbool.h>
#include <stdint.h>

#include <json-c/json.h>

#include "smmu_hil/guest.h"
#include "smmu_hil/inject.h"

/*
 * shl_vmm_uapi_missing() - NULL when the agent was built with the vIOMMU
 * uAPI (IOMMU_VIOMMU_ALLOC, IOMMU_VDEVICE_ALLOC, IOMMU_HWPT_DATA_ARM_SMMUV3
 * in linux/iommufd.h, VFIO_DEVICE_BIND_IOMMUFD and
 * VFIO_DEVICE_ATTACH_IOMMUFD_PT in linux/vfio.h), else a sentence naming
 * what the headers lacked (build against the DUT kernel's uapi headers,
 * `make agent` with KUAPI).
 */
const char *shl_vmm_uapi_missing(void);

/* A PCI root complex node of the ACPI IORT (ARM DEN 0049, node type 2). */
struct shl_iort_rc {
	uint32_t segment;		/* PCI segment number */
	uint32_t cca;			/* memory access properties: cache coherency */
	uint8_t mem_flags;		/* memory access flags: bit 0 CPM, 1 DACS, 2 CANWBS */
	uint32_t ats;			/* ATS attribute */
};
#define SHL_IORT_MF_CANWBS	(1u << 2)

/*
 * shl_iort_root_complexes() - the root complex nodes of the IORT table in
 * @buf (@len bytes, as /sys/firmware/acpi/tables/IORT gives it), at most
 * @max into @out. Returns how many the table has (may exceed @max), or -1
 * when it is not an IORT or a node lies outside the table.
 */
int shl_iort_root_complexes(const uint8_t *buf, size_t len, struct shl_iort_rc *out, size_t max);

/*
 * shl_vmm_viommu_evidence() - why this DUT has no vIOMMU, from the DUT
 * itself: SMMU_IDR3 (FWB, bit 8) through the event monitor and the IORT's
 * root complex memory access flags (CANWBS): {"idr3", "idr3_fwb",
 * "iort_root_complexes": [{"segment", "memory_access_flags", "canwbs"}]}
 * (a key is left out when its source is unavailable, with "*_error"), and a
 * one-line summary in @sum. Returns the object (caller owns it).
 */
json_object *shl_vmm_viommu_evidence(char *sum, size_t sumlen);

/* One recorded replace (a writer call on the device's STE) paired with the oracle. */
struct shl_vmm_pair {
	char from[16], to[16];		/* configurations of the initial and final STE */
	unsigned int syncs;		/* the kernel's syncs */
	bool breaking;			/* a sync saw V=0 between two valid STEs */
	struct shl_rec_cmp safe;	/* against the plan with update-safe bits */
	struct shl_rec_cmp plain;	/* against the plan without them */
};

/*
 * shl_vmm_pair() - pair writer call @g (an STE group with a target) of
 * the snapshots @s with the oracle's plans with and without the update-safe
 * bits (shl_rec_compare()). Returns 0, or -1 if @g is not an STE update
 * with a target.
 */
int shl_vmm_pair(const struct shl_rec_snap *s, const struct shl_rec_group *g,
		 struct shl_vmm_pair *out);

/*
 * shl_vmm_pair_match() - which writer the kernel behaved as: "update-safe"
 * (equals only the plan with the bits), "no-update-safe" (only the plan
 * without), "both" (the plans agree and the kernel followed them),
 * "neither".
 */
const char *shl_vmm_pair_match(const struct shl_vmm_pair *p);

/*
 * shl_vmm_pairs_report() - every STE writer call of @log paired
 * (shl_vmm_pair()): {"replaces", "hitless", "breaking", "distinct": [{
 * "transition", "kernel_steps", "count", "breaking", "match",
 * "oracle_update_safe": {"path", "steps", "equal"}, "oracle_no_update_safe":
 * {...}}]}. *@breaking gets the number of breaking replaces. Returns the
 * object (caller owns it), or NULL when out of memory.
 */
json_object *shl_vmm_pairs_report(const struct shl_rec_log *log, unsigned int *breaking);

/* What `smmu-hil vmm nested-moves` does. */
struct shl_vmm_opts {
	char bdf[16];			/* the edu device, "" = the first 1234:11e8 */
	unsigned int moves;		/* replaces (VFIO_DEVICE_ATTACH_IOMMUFD_PT) */
	unsigned int dwell_us;		/* after each replace */
	uint32_t vsid;			/* the vDEVICE's virtual StreamID */
	bool record;			/* record the physical STE writes (smmu_hil_inject) */
	bool dma;			/* run edu DMA through the BAR during the moves */
	bool s2_selftest;		/* no vIOMMU: replace between two S2 HWPTs instead */
};

/* Exit-status-like verdicts of shl_vmm_nested_moves() */
#define SHL_VMM_PASS	0
#define SHL_VMM_FAIL	1
#define SHL_VMM_SKIP	4	/* KSFT_SKIP: the DUT cannot do it; "skip" says why */

/*
 * shl_vmm_nested_moves() - the nested-update-safe moves on the DUT: bind
 * the device to vfio-pci, build the VMM's objects, replace between the
 * three vSTE HWPTs @o->moves times in the order vste-bypass, s1dss-bypass,
 * s1, vste-bypass, s1, s1dss-bypass (every directed pair), with edu DMA;
 * then tear everything down and give the device back to its driver.
 * Returns the report {"steps": [{"step", "ok", "errno"}...], "moves",
 * "dma": {...}, "record": shl_vmm_pairs_report(), "verdict", "reason"} or
 * {"skip": reason, ...} and sets *@verdict (SHL_VMM_*); NULL with @err set
 * on an environment error (no such device, vfio-pci missing).
 * With @o->s2_selftest the VMM's machinery (VFIO, DMA through the BAR,
 * the recorder's pairing) runs without a vIOMMU: a second nesting-parent
 * HWPT over the same IOAS and the replaces alternate between the two
 * stage 2s ("mode": "s2-selftest"). Those updates change S2VMID and S2TTB
 * (two qwords): breaking on every kernel, so they are reported, not judged.
 * A step refused with EOPNOTSUPP where the kernel decides whether the
 * SMMU can nest (IOMMU_HWPT_ALLOC of the nesting parent, IOMMU_VIOMMU_ALLOC)
 * is a skip naming the step and the kernel's conditions.
 */
json_object *shl_vmm_nested_moves(const struct shl_vmm_opts *o, int *verdict, char *err,
				  size_t errlen);

#endif /* SMMU_HIL_VMM_H */
