/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Read-only walk of an SMMUv3's live stream table, shared by the smmu-hil
 * modules: STRTAB_BASE / STRTAB_BASE_CFG (Arm IHI 0070 6.3.23/6.3.24), the
 * L1STD (5.1), the STE (5.2), the L1CD and CD (5.4). Every physical address
 * is checked to be RAM the kernel maps, within one page, before it is read.
 */
#ifndef SMMU_HIL_STRTAB_H
#define SMMU_HIL_STRTAB_H

#include <linux/bitfield.h>
#include <linux/build_bug.h>
#include <linux/bits.h>
#include <linux/io.h>
#include <linux/mm.h>
#include <linux/string.h>

#include "include/smmu_hil/arm_smmu_v3_fields.h"
#include "include/uapi/smmu_hil.h"

/* SMMU registers (6.3) */
#define SMMU_STRTAB_BASE	0x80
#define SMMU_STRTAB_BASE_CFG	0x88
#define STRTAB_ADDR_MASK	GENMASK_ULL(51, 6)
#define STRTAB_CFG_LOG2SIZE	GENMASK(5, 0)
#define STRTAB_CFG_SPLIT	GENMASK(10, 6)
#define STRTAB_CFG_FMT		GENMASK(17, 16)

/*
 * Structures (5.1 L1STD, 5.2 STE, 5.4 CD and L1CD): field masks from the
 * one field table, include/smmu_hil/arm_smmu_v3_fields.h. HIL_MASK(STE, 0,
 * S1CONTEXTPTR) is the in-qword mask of STE.S1ContextPtr, checked at
 * compile time to lie in qword 0.
 */
#define HIL_MASK(s, q, id) \
	(BUILD_BUG_ON_ZERO(SMMU_HIL_FPOS_Q(SMMU_HIL_##s##_##id) != (q)) + \
	 SMMU_HIL_FPOS_MASK(SMMU_HIL_##s##_##id))
#define ENT_QWORDS		SMMU_HIL_ENT_QWORDS
#define ENT_BYTES		(ENT_QWORDS * 8)
#define L1STD_SPAN		HIL_MASK(L1STD, 0, SPAN)
#define L1STD_L2PTR		(HIL_MASK(L1STD, 0, L2PTR) & PA_LINUX_MASK)
#define STE0_V			HIL_MASK(STE, 0, V)
#define STE0_CFG		HIL_MASK(STE, 0, CONFIG)
#define STE0_S1FMT		HIL_MASK(STE, 0, S1FMT)
#define STE0_S1CTXPTR		HIL_MASK(STE, 0, S1CONTEXTPTR)
#define STE0_S1CDMAX		HIL_MASK(STE, 0, S1CDMAX)
#define L1CD_V			HIL_MASK(L1CD, 0, V)
#define L1CD_L2PTR		(HIL_MASK(L1CD, 0, L2PTR) & PA_LINUX_MASK)
#define PA_LINUX_MASK		GENMASK_ULL(51, 0)

/* Reads @len bytes at physical @pa; @atomic: from a kprobe handler. */
typedef int (*smmu_hil_read_pa_t)(phys_addr_t pa, void *buf, size_t len,
				  bool atomic);

/* @pa..@pa+@len is ordinary RAM the kernel maps, within one page. */
static inline bool smmu_hil_pa_ok(phys_addr_t pa, size_t len)
{
	return pa && pfn_valid(PHYS_PFN(pa)) &&
	       PHYS_PFN(pa) == PHYS_PFN(pa + len - 1);
}

/* Process context: copy @len bytes at checked RAM @pa through memremap(). */
static inline int smmu_hil_memremap_read(phys_addr_t pa, void *buf, size_t len)
{
	void *va;

	if (!smmu_hil_pa_ok(pa, len))
		return -EFAULT;
	va = memremap(pa, len, MEMREMAP_WB);
	if (!va)
		return -ENOMEM;
	memcpy(buf, va, len);
	memunmap(va);
	return 0;
}

/**
 * smmu_hil_locate_ste() - where the STE of a StreamID is
 * @regs: the SMMU's page 0
 * @sid: the StreamID
 * @out: the STE's physical address
 *
 * Process context. Linear: base + SID * 64. Two-level: the L1STD at
 * base + (SID >> SPLIT) * 8, its Span checked, then L2Ptr + low bits * 64.
 * Return: 0, -ERANGE (SID beyond the table), -ENOENT (no level-2 table),
 * -EINVAL (bad configuration), -EFAULT (not RAM the kernel maps).
 */
static inline int smmu_hil_locate_ste(void __iomem *regs, u32 sid,
				      phys_addr_t *out)
{
	u64 base = readq_relaxed(regs + SMMU_STRTAB_BASE) & STRTAB_ADDR_MASK;
	u32 cfg = readl_relaxed(regs + SMMU_STRTAB_BASE_CFG);
	unsigned int log2size = FIELD_GET(STRTAB_CFG_LOG2SIZE, cfg);
	unsigned int split = FIELD_GET(STRTAB_CFG_SPLIT, cfg);
	unsigned int span;
	u64 l1;
	int ret;

	if (log2size > 32 || (log2size < 32 && sid >= (1ULL << log2size)))
		return -ERANGE;
	switch (FIELD_GET(STRTAB_CFG_FMT, cfg)) {
	case 0:			/* linear */
		*out = base + (u64)sid * ENT_BYTES;
		break;
	case 1:			/* 2-level */
		if (split < 1 || split > 11 || split > log2size)
			return -EINVAL;
		ret = smmu_hil_memremap_read(base + (u64)(sid >> split) * 8, &l1, 8);
		if (ret)
			return ret;
		l1 = le64_to_cpu(l1);
		span = FIELD_GET(L1STD_SPAN, l1);
		if (!span || span > 12 || (sid & (BIT(split) - 1)) >= BIT(span - 1))
			return -ENOENT;	/* no level-2 table covers the SID */
		*out = (l1 & L1STD_L2PTR) + (u64)(sid & (BIT(split) - 1)) * ENT_BYTES;
		break;
	default:
		return -EINVAL;
	}
	return smmu_hil_pa_ok(*out, ENT_BYTES) ? 0 : -EFAULT;
}

/**
 * smmu_hil_locate_cd() - where CD 0 of an STE is
 * @q0: the STE's qword 0 (CPU order)
 * @out: CD 0's physical address
 * @read_pa: reads the L1CD of SSID 0 (with S1CDMax != 0, S1Fmt 01/10)
 * @atomic: passed to @read_pa
 *
 * Return: 0, -ENOENT (the STE does not translate stage 1, or no L1CD),
 * an error of @read_pa, -EFAULT (not RAM the kernel maps).
 */
static inline int smmu_hil_locate_cd(u64 q0, phys_addr_t *out,
				     smmu_hil_read_pa_t read_pa, bool atomic)
{
	unsigned int cfg = FIELD_GET(STE0_CFG, q0);
	unsigned int fmt = FIELD_GET(STE0_S1FMT, q0);
	u64 ptr = q0 & STE0_S1CTXPTR & PA_LINUX_MASK, l1;
	int ret;

	if (!(q0 & STE0_V) || (cfg != 5 && cfg != 7) || !ptr)
		return -ENOENT;
	if (FIELD_GET(STE0_S1CDMAX, q0) && (fmt == 1 || fmt == 2)) {
		ret = read_pa(ptr, &l1, 8, atomic);	/* L1CD of SSID 0 */
		if (ret)
			return ret;
		l1 = le64_to_cpu(l1);
		if (!(l1 & L1CD_V))
			return -ENOENT;
		ptr = l1 & L1CD_L2PTR;
	}
	*out = ptr;
	return smmu_hil_pa_ok(ptr, ENT_BYTES) ? 0 : -EFAULT;
}

#endif /* SMMU_HIL_STRTAB_H */
