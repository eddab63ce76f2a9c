/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * SMMUv3 ID registers (SMMU_IDR0/1/3/5, SMMU_IIDR, SMMU_AIDR) decoded into the
 * spec's field names. Bit positions follow Arm IHI 0070 section 6.3 and the
 * Linux driver's ARM_SMMU_IDR* definitions (drivers/iommu/arm/arm-smmu-v3/).
 */
#ifndef SMMU_HIL_IDR_H
#define SMMU_HIL_IDR_H

#include <stdbool.h>
#include <stdint.h>
#include <json-c/json.h>

/* Raw register values as read from SMMU page 0. */
struct shl_idr_regs {
	uint32_t idr0, idr1, idr3, idr5, iidr, aidr;
};

/* The fields smmu-hil cares about, decoded. Widths in bits. */
struct shl_idr {
	/* IDR0 */
	bool s2p, s1p;
	unsigned int ttf;		/* 1 AArch32-LPAE, 2 AArch64, 3 both */
	bool cohacc, btm;
	unsigned int httu;		/* 0 none, 1 AF, 2 AF+dirty, 3 +table AF */
	bool dormhint, hyp, ats, ns1ats, asid16, msi, sev, atos, pri, vmw;
	bool vmid16, cd2l, vatos;
	unsigned int ttendian;		/* 0 mixed, 2 LE, 3 BE */
	unsigned int stall_model;	/* 0 stall+terminate, 1 terminate only, 2 forced stall */
	bool term_model;
	unsigned int st_level;		/* 0 linear, 1 2-level */
	/* IDR1 */
	unsigned int sidsize, ssidsize, priqs, eventqs, cmdqs;
	bool attr_perms_ovr, attr_types_ovr, rel, queues_preset, tables_preset;
	/* IDR3 */
	bool fwb, ril, stt;
	unsigned int bbm;
	/* IDR5 */
	unsigned int oas_bits;		/* decoded OAS: 32..56 */
	bool gran4k, gran16k, gran64k;
	unsigned int vax;		/* 0 48-bit VA, 1 52-bit VA */
	unsigned int stall_max;
	/* AIDR */
	unsigned int arch_major, arch_minor;	/* SMMUv3.<minor> when major == 0 */
};

/*
 * shl_idr_decode() - decode raw ID registers.
 * @regs: the values of IDR0/1/3/5, IIDR and AIDR.
 * @out: filled with every field above; never fails.
 */
void shl_idr_decode(const struct shl_idr_regs *regs, struct shl_idr *out);

/*
 * shl_idr_oas_bits() - IDR5.OAS encoding (0..7) to a width in bits
 * (32, 36, 40, 42, 44, 48, 52, 56). Returns 0 for a reserved encoding.
 */
unsigned int shl_idr_oas_bits(unsigned int enc);

/*
 * shl_idr_features() - the decoded IDR as a JSON object: raw registers under
 * "regs" ("IDR0": "0x..."), named fields under "fields", and a "features"
 * array with the spec's short names of what the SMMU implements ("S1P",
 * "S2P", "ATS", "PRI", ...). The caller owns the returned reference.
 */
json_object *shl_idr_to_json(const struct shl_idr_regs *regs);

/*
 * shl_idr_from_json() - read raw registers back from shl_idr_to_json()'s
 * "regs" object (as found in `smmu-hil dut info -j`, smmu[i].idr.regs).
 * Returns 0, or -1 if a register is missing or not a 32-bit hex string.
 */
int shl_idr_from_json(json_object *regs, struct shl_idr_regs *out);

#endif /* SMMU_HIL_IDR_H */
