// SPDX-License-Identifier: GPL-2.0-only
/*
 * A guest's nested-domain structures: vSTEs, its CD and its stage-1 page
 * tables (IHI 0070 5.2, 5.4; Arm ARM D8 VMSAv8-64, 4K granule). The field
 * positions come from the shared field table (entry.h).
 */
#include <string.h>

#include "smmu_hil/guest.h"

static const char *const vste_names[SHL_VSTE_COUNT] = {
	[SHL_VSTE_BYPASS] = "vste-bypass",
	[SHL_VSTE_S1DSS_BYPASS] = "s1dss-bypass",
	[SHL_VSTE_S1] = "s1",
};

const char *shl_vste_name(enum shl_vste_kind k)
{
	return (unsigned int)k < SHL_VSTE_COUNT ? vste_names[k] : NULL;
}

int shl_vste_parse(const char *s, enum shl_vste_kind *out)
{
	unsigned int i;

	for (i = 0; s && i < SHL_VSTE_COUNT; i++)
		if (!strcmp(s, vste_names[i])) {
			*out = (enum shl_vste_kind)i;
			return 0;
		}
	return -1;
}

/* STE.S1CIR/S1COR: write-back read-allocate; S1CSH: inner shareable */
#define CACHE_WBRA	1
#define SH_ISH		3

int shl_vste_build(enum shl_vste_kind k, uint64_t cd_ipa, struct shl_entry *ste)
{
	memset(ste, 0, sizeof(*ste));
	if ((unsigned int)k >= SHL_VSTE_COUNT)
		return -1;
	SHL_SET(ste, SHL_STE_V, 1);
	if (k == SHL_VSTE_BYPASS) {
		SHL_SET(ste, SHL_STE_CONFIG, SHL_CFG_BYPASS);
		return 0;
	}
	if (cd_ipa & 127 || cd_ipa >> 56) {
		memset(ste, 0, sizeof(*ste));
		return -1;
	}
	SHL_SET(ste, SHL_STE_CONFIG, SHL_CFG_S1);
	SHL_SET(ste, SHL_STE_S1FMT, 0);
	SHL_SET(ste, SHL_STE_S1CONTEXTPTR, cd_ipa >> SHL_LO(SHL_STE_S1CONTEXTPTR));
	SHL_SET(ste, SHL_STE_S1CIR, CACHE_WBRA);
	SHL_SET(ste, SHL_STE_S1COR, CACHE_WBRA);
	SHL_SET(ste, SHL_STE_S1CSH, SH_ISH);
	SHL_SET(ste, SHL_STE_EATS, SHL_EATS_ABT);
	/*
	 * Two CDs (S1CDMax 1): traffic without a SubstreamID takes S1DSS, so
	 * the two stage-1 kinds differ in S1DSS alone, a guest's hitless change
	 */
	SHL_SET(ste, SHL_STE_S1CDMAX, 1);
	SHL_SET(ste, SHL_STE_S1DSS, k == SHL_VSTE_S1DSS_BYPASS ? SHL_S1DSS_BYPASS : SHL_S1DSS_SSID0);
	return 0;
}

bool shl_vste_allowed(const struct shl_entry *ste)
{
	static const uint32_t allowed[] = {
		SHL_STE_V, SHL_STE_CONFIG, SHL_STE_S1FMT, SHL_STE_S1CONTEXTPTR,
		SHL_STE_S1CDMAX, SHL_STE_S1DSS, SHL_STE_S1CIR, SHL_STE_S1COR,
		SHL_STE_S1CSH, SHL_STE_S1STALLD, SHL_STE_EATS,
	};
	struct shl_entry m = { { 0 } };
	unsigned int i, cfg;

	if (!SHL_GET(ste, SHL_STE_V))
		return true;
	for (i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++)
		SHL_MARK(&m, allowed[i]);
	for (i = 0; i < SHL_ENTRY_QWORDS; i++)
		if (ste->q[i] & ~m.q[i])
			return false;
	cfg = (unsigned int)SHL_GET(ste, SHL_STE_CONFIG);
	return cfg == SHL_CFG_ABORT || cfg == SHL_CFG_BYPASS || cfg == SHL_CFG_S1;
}

/* CD.IPS 0b100: 44-bit intermediate physical addresses */
#define IPS_44		4
#define MAIR_NORMAL_WB	0xffULL

int shl_guest_cd_build(uint64_t ttb0_ipa, uint16_t asid, struct shl_entry *cd)
{
	memset(cd, 0, sizeof(*cd));
	if (ttb0_ipa & 0xfff || ttb0_ipa >> 48)
		return -1;
	SHL_SET(cd, SHL_CD_T0SZ, SHL_GUEST_T0SZ);
	SHL_SET(cd, SHL_CD_TG0, 0);		/* 4K */
	SHL_SET(cd, SHL_CD_IR0, CACHE_WBRA);
	SHL_SET(cd, SHL_CD_OR0, CACHE_WBRA);
	SHL_SET(cd, SHL_CD_SH0, SH_ISH);
	SHL_SET(cd, SHL_CD_EPD1, 1);
	SHL_SET(cd, SHL_CD_IPS, IPS_44);
	SHL_SET(cd, SHL_CD_AA64, 1);
	SHL_SET(cd, SHL_CD_R, 1);
	SHL_SET(cd, SHL_CD_A, 1);
	SHL_SET(cd, SHL_CD_ASET, 1);
	SHL_SET(cd, SHL_CD_ASID, asid);
	SHL_SET(cd, SHL_CD_TTB0, ttb0_ipa >> SHL_LO(SHL_CD_TTB0));
	SHL_SET(cd, SHL_CD_MAIR0, MAIR_NORMAL_WB);	/* AttrIndx 0 */
	SHL_SET(cd, SHL_CD_V, 1);
	return 0;
}

/* VMSAv8-64 descriptors (Arm ARM D8.3) */
#define DESC_VALID	(1ULL << 0)
#define DESC_TABLE	(1ULL << 1)	/* table (levels 1-2) / page (level 3) */
#define DESC_AP_EL0	(1ULL << 6)	/* AP[1]: unprivileged access, read/write */
#define DESC_SH_ISH	(3ULL << 8)
#define DESC_AF		(1ULL << 10)
#define DESC_OA		SHL_GENMASK(47, 12)
#define PT_ENTRIES	512
#define VA_BITS		(64 - SHL_GUEST_T0SZ)

static unsigned int pt_index(uint64_t va, unsigned int level)
{
	return (unsigned int)(va >> (12 + 9 * (3 - level))) & (PT_ENTRIES - 1);
}

int shl_guest_pt_build(uint64_t *mem, uint64_t mem_ipa, uint64_t va, uint64_t pa,
		       unsigned int npages)
{
	uint64_t *l1 = mem, *l2 = mem + PT_ENTRIES, *l3 = mem + 2 * PT_ENTRIES;
	unsigned int i;

	if (!npages || (va | pa | mem_ipa) & 0xfff || mem_ipa >> 48 || pa >> 48 ||
	    va >> VA_BITS || (va + ((uint64_t)npages << 12) - 1) >> VA_BITS ||
	    pt_index(va, 3) + npages > PT_ENTRIES)
		return -1;
	l1[pt_index(va, 1)] = ((mem_ipa + 4096) & DESC_OA) | DESC_TABLE | DESC_VALID;
	l2[pt_index(va, 2)] = ((mem_ipa + 8192) & DESC_OA) | DESC_TABLE | DESC_VALID;
	for (i = 0; i < npages; i++)
		l3[pt_index(va, 3) + i] = ((pa + ((uint64_t)i << 12)) & DESC_OA) | DESC_AF |
					  DESC_SH_ISH | DESC_AP_EL0 | DESC_TABLE | DESC_VALID;
	return 0;
}

uint64_t shl_guest_pt_walk(const uint64_t *mem, uint64_t mem_ipa, uint64_t va)
{
	const uint64_t *t = mem;
	unsigned int level;
	uint64_t d, next;

	if (va >> VA_BITS)
		return UINT64_MAX;
	for (level = 1; level <= 3; level++) {
		d = t[pt_index(va, level)];
		if ((d & (DESC_VALID | DESC_TABLE)) != (DESC_VALID | DESC_TABLE))
			return UINT64_MAX;
		next = d & DESC_OA;
		if (level == 3)
			return next | (va & 0xfff);
		if (next < mem_ipa || next >= mem_ipa + SHL_GUEST_PT_PAGES * 4096ULL)
			return UINT64_MAX;
		t = mem + (next - mem_ipa) / sizeof(*mem);
	}
	return UINT64_MAX;
}
