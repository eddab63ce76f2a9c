/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What a guest (a VM's SMMUv3 driver) hands its VMM for a nested domain:
 * the virtual STE (vSTE, the first two qwords of an STE, IHI 0070 5.2), the
 * guest's CD table (5.4) and its stage-1 VMSAv8-64 4K-granule page tables,
 * all at guest physical addresses (IPA). Pure construction: no DUT, no uapi.
 *
 * The vSTE fields a VMM may pass to Linux are those of
 * STRTAB_STE_0_NESTING_ALLOWED / STRTAB_STE_1_NESTING_ALLOWED
 * (drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3.h): V, Config, S1Fmt,
 * S1ContextPtr, S1CDMax; S1DSS, S1CIR, S1COR, S1CSH, S1STALLD, EATS; and
 * Config only abort, bypass or stage-1 translate (arm_smmu_validate_vste()).
 */
#ifndef SMMU_HIL_GUEST_H
#define SMMU_HIL_GUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "smmu_hil/entry.h"

/* The vSTEs the nested-update-safe scenario moves between. */
enum shl_vste_kind {
	SHL_VSTE_BYPASS,	/* V=1, Config=bypass: the physical STE is stage 2 only */
	SHL_VSTE_S1DSS_BYPASS,	/* Config=S1 translate, S1CDMax=1, S1DSS=bypass */
	SHL_VSTE_S1,		/* Config=S1 translate, S1CDMax=1, S1DSS=SSID0 (CD 0) */
	SHL_VSTE_COUNT,
};

/* shl_vste_name() - "vste-bypass", "s1dss-bypass", "s1"; NULL for another value. */
const char *shl_vste_name(enum shl_vste_kind k);

/* shl_vste_parse() - the kind named @s (shl_vste_name()). Returns 0, or -1. */
int shl_vste_parse(const char *s, enum shl_vste_kind *out);

/*
 * shl_vste_build() - the vSTE of kind @k in @ste (qwords 0 and 1; the rest
 * zero) with the guest CD table at IPA @cd_ipa (128-byte aligned, below
 * 2^56; ignored for SHL_VSTE_BYPASS). Stage-1 kinds use a linear CD table
 * (S1Fmt 0), write-back cacheable inner-shareable CD fetches and EATS=0
 * (no ATS). Both stage-1 kinds have two CDs (S1CDMax 1) and differ only
 * in S1DSS: in the guest the change between them is hitless. Returns 0, or
 * -1 for an unknown kind or a bad @cd_ipa.
 */
int shl_vste_build(enum shl_vste_kind k, uint64_t cd_ipa, struct shl_entry *ste);

/*
 * shl_vste_allowed() - true when @ste sets only the fields Linux accepts in
 * a vSTE (V=0 entries are always accepted, the kernel zeroes them) and its
 * Config is abort, bypass or S1 translate.
 */
bool shl_vste_allowed(const struct shl_entry *ste);

/* Stage-1 translation the guest builds: 4K granule, 39-bit VA (T0SZ 25, start level 1). */
#define SHL_GUEST_T0SZ		25
#define SHL_GUEST_PT_PAGES	3	/* one level-1, one level-2, one level-3 table */

/*
 * shl_guest_cd_build() - a valid AArch64 stage-1 CD in @cd: TTB0 @ttb0_ipa
 * (4K aligned), T0SZ SHL_GUEST_T0SZ, TG0 4K, walks write-back inner
 * shareable, EPD1 (no TTB1 walks), IPS 44 bits, ASID @asid, MAIR0 index 0
 * normal write-back memory, A, R, AA64 set. Returns 0, or -1 if @ttb0_ipa
 * is not 4K aligned or beyond 2^48.
 */
int shl_guest_cd_build(uint64_t ttb0_ipa, uint16_t asid, struct shl_entry *cd);

/*
 * shl_guest_pt_build() - stage-1 tables mapping the @npages 4K pages at VA
 * @va to IPA @pa (read/write, normal memory, AF set) into @mem:
 * SHL_GUEST_PT_PAGES 4K tables (level 1 first, then level 2, level 3; the
 * caller zeroes them), their own IPA @mem_ipa. The pages must share one
 * level-3 table (no 2 MiB boundary crossed) and lie below 2^39. Returns
 * 0, or -1 for unaligned or out-of-range addresses.
 */
int shl_guest_pt_build(uint64_t *mem, uint64_t mem_ipa, uint64_t va, uint64_t pa,
		       unsigned int npages);

/*
 * shl_guest_pt_walk() - translate @va through tables built by
 * shl_guest_pt_build() in @mem (at IPA @mem_ipa): the output address, or
 * UINT64_MAX when a descriptor on the walk is invalid or points outside
 * @mem. For tests and the VMM's self-check before DMA.
 */
uint64_t shl_guest_pt_walk(const uint64_t *mem, uint64_t mem_ipa, uint64_t va);

#endif /* SMMU_HIL_GUEST_H */
