/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * The AArch64 data barriers DMB and DSB, classified for the injector's
 * barrier witness (modules/smmu_hil_inject.c, debugfs inject/barriers) and
 * the agent's report of it (harness/agent/dut_inject.c), tested on
 * synthetic instruction words by harness/tests/test_barrier.c.
 *
 * Arm ARM (DDI 0487) C6.2 "DMB", "DSB": DMB is 0xd50330bf and DSB
 * 0xd503309f with the 4-bit option CRm in bits 11:8. CRm bits 3:2 are the
 * shareability domain (00 outer shareable, 01 non-shareable, 10 inner
 * shareable, 11 full system), bits 1:0 the accesses ordered (01 loads,
 * 10 stores, 11 all; 00 is no option: SSBB/PSSBB for DSB, reserved for DMB).
 * Linux's dma_wmb() on arm64 is "dmb oshst", wmb() "dsb st".
 *
 * A barrier orders CPU stores as the SMMU sees them (a device observer in
 * the outer shareable domain) when it orders stores against stores (ST or
 * all) over the outer shareable domain or the full system. The DSB nXS
 * forms (FEAT_XS) are not decoded: they are not a dma_wmb().
 *
 * Freestanding: no headers, usable in kernel and user space.
 */
#ifndef SMMU_HIL_A64_BARRIER_H
#define SMMU_HIL_A64_BARRIER_H

#define SMMU_HIL_A64_INSN_BYTES	4
#define SMMU_HIL_A64_BARRIER_MASK	0xfffff0ffU	/* all but CRm */
#define SMMU_HIL_A64_DMB_BASE	0xd50330bfU
#define SMMU_HIL_A64_DSB_BASE	0xd503309fU

/* What an instruction word is */
#define SMMU_HIL_A64_NOT_BARRIER	0
#define SMMU_HIL_A64_DMB		1
#define SMMU_HIL_A64_DSB		2

/* CRm's domain (bits 3:2) and access type (bits 1:0) */
#define SMMU_HIL_A64_DOM_OSH	0
#define SMMU_HIL_A64_DOM_NSH	1
#define SMMU_HIL_A64_DOM_ISH	2
#define SMMU_HIL_A64_DOM_SY	3
#define SMMU_HIL_A64_TYPE_NONE	0
#define SMMU_HIL_A64_TYPE_LD	1
#define SMMU_HIL_A64_TYPE_ST	2
#define SMMU_HIL_A64_TYPE_ALL	3

/*
 * smmu_hil_a64_barrier() - whether the little-endian-decoded instruction
 * word @insn is a DMB or a DSB (SSBB and PSSBB, DSB with no access type,
 * are not). Returns SMMU_HIL_A64_DMB, SMMU_HIL_A64_DSB or
 * SMMU_HIL_A64_NOT_BARRIER; *@crm gets the option (0..15) of a barrier.
 */
static inline int smmu_hil_a64_barrier(unsigned int insn, unsigned int *crm)
{
	unsigned int opt = (insn >> 8) & 0xf;

	*crm = opt;
	if ((insn & SMMU_HIL_A64_BARRIER_MASK) == SMMU_HIL_A64_DMB_BASE)
		return SMMU_HIL_A64_DMB;
	if ((insn & SMMU_HIL_A64_BARRIER_MASK) == SMMU_HIL_A64_DSB_BASE &&
	    (opt & 3) != SMMU_HIL_A64_TYPE_NONE)
		return SMMU_HIL_A64_DSB;
	return SMMU_HIL_A64_NOT_BARRIER;
}

/*
 * smmu_hil_a64_orders_dma_stores() - whether @insn is a DMB or DSB that
 * orders earlier stores before later stores for an observer in the outer
 * shareable domain (a dma_wmb() or stronger): access type ST or all,
 * domain outer shareable or full system. Returns 1 or 0.
 */
static inline int smmu_hil_a64_orders_dma_stores(unsigned int insn)
{
	unsigned int crm, dom, type;

	if (smmu_hil_a64_barrier(insn, &crm) == SMMU_HIL_A64_NOT_BARRIER)
		return 0;
	dom = crm >> 2;
	type = crm & 3;
	return (type == SMMU_HIL_A64_TYPE_ST || type == SMMU_HIL_A64_TYPE_ALL) &&
	       (dom == SMMU_HIL_A64_DOM_OSH || dom == SMMU_HIL_A64_DOM_SY);
}

/*
 * smmu_hil_a64_barrier_option() - the assembler's name of option @crm
 * (0..15) as binutils prints it: "oshld" ... "sy"; "#N" for the options
 * without a name (access type 0).
 */
static inline const char *smmu_hil_a64_barrier_option(unsigned int crm)
{
	static const char *const names[16] = {
		"#0", "oshld", "oshst", "osh", "#4", "nshld", "nshst", "nsh",
		"#8", "ishld", "ishst", "ish", "#12", "ld", "st", "sy",
	};

	return names[crm & 0xf];
}

#endif /* SMMU_HIL_A64_BARRIER_H */
