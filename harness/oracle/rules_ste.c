// SPDX-License-Identifier: GPL-2.0-only
/*
 * STE rules: Linux's used and update-safe bits (arm_smmu_get_ste_used,
 * arm_smmu_get_ste_update_safe), the spec's used bits (IHI 0070 5.2) and the
 * C_BAD_STE conditions (5.2.2 SteIllegal; facts §5.1).
 */
#include <string.h>

#include "smmu_hil/rules.h"
#include "vmsa.h"

/* ------------------------------------------------------------ Linux view */

void shl_ste_used_linux(const struct shl_entry *ste, struct shl_entry *u)
{
	unsigned int cfg = SHL_GET(ste, SHL_STE_CONFIG);

	memset(u, 0, sizeof(*u));
	SHL_MARK(u, SHL_STE_V);
	if (!SHL_GET(ste, SHL_STE_V))
		return;
	SHL_MARK(u, SHL_STE_CONFIG);

	/* Bit tests, so the reserved 0b001..0b011 get the S1/S2 sets too. */
	if (cfg & 1) {
		SHL_MARK(u, SHL_STE_S1FMT);
		SHL_MARK(u, SHL_STE_S1CONTEXTPTR_LINUX);
		SHL_MARK(u, SHL_STE_S1CDMAX);
		SHL_MARK(u, SHL_STE_S1DSS);
		SHL_MARK(u, SHL_STE_S1CIR);
		SHL_MARK(u, SHL_STE_S1COR);
		SHL_MARK(u, SHL_STE_S1CSH);
		SHL_MARK(u, SHL_STE_S1STALLD);
		SHL_MARK(u, SHL_STE_STRW);
		SHL_MARK(u, SHL_STE_EATS);
		SHL_MARK(u, SHL_STE_MEV);
		SHL_MARK(u, SHL_STE_S2VMID);
		/* The driver cites "13.5 Summary of attribute/permission configuration fields". */
		if (SHL_GET(ste, SHL_STE_S1DSS) == SHL_S1DSS_BYPASS)
			SHL_MARK(u, SHL_STE_SHCFG);
	}
	if (cfg & 2) {
		SHL_MARK(u, SHL_STE_S2FWB);
		SHL_MARK(u, SHL_STE_EATS);
		SHL_MARK(u, SHL_STE_SHCFG);
		SHL_MARK(u, SHL_STE_MEV);
		SHL_MARK(u, SHL_STE_S2VMID);
		SHL_MARK(u, SHL_STE_VTCR);
		SHL_MARK(u, SHL_STE_S2AA64);
		SHL_MARK(u, SHL_STE_S2ENDI);
		SHL_MARK(u, SHL_STE_S2PTW);
		SHL_MARK(u, SHL_STE_S2S);
		SHL_MARK(u, SHL_STE_S2R);
		SHL_MARK(u, SHL_STE_S2TTB_LINUX);
	}
	if (cfg == SHL_CFG_BYPASS)
		SHL_MARK(u, SHL_STE_SHCFG);
}

void shl_ste_update_safe(const struct shl_entry *cur, const struct shl_entry *target,
			 struct shl_entry *safe)
{
	/* EATS bit 1 is the S1CHK value; flipping bit 0 there would make 0b11. */
	uint64_t s1chk = (uint64_t)SHL_EATS_S1CHK << SHL_LO(SHL_STE_EATS);
	uint64_t trans = (uint64_t)SHL_EATS_TRANS << SHL_LO(SHL_STE_EATS);

	memset(safe, 0, sizeof(*safe));
	SHL_MARK(safe, SHL_STE_MEV);
	if (!((cur->q[1] | target->q[1]) & s1chk) &&
	    !SHL_GET(cur, SHL_STE_S2S) && !SHL_GET(target, SHL_STE_S2S))
		safe->q[1] |= trans;
}

/* -------------------------------------------------------------- spec view */

/* STRW is used for Config 0b101 with stage 1 and, in the NS table, IDR0.Hyp (5.2). */
static bool ste_strw_used(const struct shl_profile *p, unsigned int cfg)
{
	return cfg == SHL_CFG_S1 && p->idr.s1p && p->idr.hyp;
}

/*
 * S2VMID is IGNORED for Config 0b0xx/0b100, without stage 2, or when the
 * StreamWorld is not EL1 (STRW used and != 00).
 */
static bool ste_s2vmid_used(const struct shl_profile *p, const struct shl_entry *ste)
{
	unsigned int cfg = SHL_GET(ste, SHL_STE_CONFIG);

	if (cfg < SHL_CFG_S1 || !p->idr.s2p)
		return false;
	return !(ste_strw_used(p, cfg) && SHL_GET(ste, SHL_STE_STRW) != SHL_STRW_NSEL1);
}

/* Substreams are enabled: SSIDSIZE != 0 and S1CDMax != 0 (S1Fmt, S1DSS then matter). */
static bool ste_substreams(const struct shl_profile *p, const struct shl_entry *ste)
{
	return p->idr.ssidsize && SHL_GET(ste, SHL_STE_S1CDMAX);
}

static void ste_mark_s1(const struct shl_profile *p, const struct shl_entry *ste,
			struct shl_entry *u)
{
	SHL_MARK(u, SHL_STE_S1CONTEXTPTR);
	SHL_MARK(u, SHL_STE_S1CIR);
	SHL_MARK(u, SHL_STE_S1COR);
	SHL_MARK(u, SHL_STE_S1CSH);
	SHL_MARK(u, SHL_STE_S1STALLD);
	SHL_MARK(u, SHL_STE_S1MPAM);
	SHL_MARK(u, SHL_STE_S1PIE);
	if (p->idr.ssidsize)
		SHL_MARK(u, SHL_STE_S1CDMAX);
	if (ste_substreams(p, ste)) {
		SHL_MARK(u, SHL_STE_S1FMT);
		SHL_MARK(u, SHL_STE_S1DSS);
	}
	if (ste_strw_used(p, SHL_GET(ste, SHL_STE_CONFIG)))
		SHL_MARK(u, SHL_STE_STRW);
}

static void ste_mark_s2(const struct shl_profile *p, struct shl_entry *u)
{
	/* q2[63:32]: S2T0SZ..S2POE; DPT_VMATCH only matters with DPT. */
	u->q[2] |= SHL_GENMASK(61, 32);
	if (p->dpt)
		SHL_MARK(u, SHL_STE_DPT_VMATCH);
	SHL_MARK(u, SHL_STE_S2FWB);
	SHL_MARK(u, SHL_STE_S2HWU);
	SHL_MARK(u, SHL_STE_S2SL0_2);
	SHL_MARK(u, SHL_STE_S2DS);
	SHL_MARK(u, SHL_STE_S2TTB);
	SHL_MARK(u, SHL_STE_S2SKL);
	SHL_MARK(u, SHL_STE_S2POI);
}

void shl_ste_used_spec(const struct shl_profile *p, const struct shl_entry *ste,
		       struct shl_entry *u)
{
	unsigned int cfg = SHL_GET(ste, SHL_STE_CONFIG);
	bool s1 = cfg & 1, s2 = cfg & 2, s1_default_bypass;

	memset(u, 0, sizeof(*u));
	SHL_MARK(u, SHL_STE_V);
	if (!SHL_GET(ste, SHL_STE_V))
		return;
	SHL_MARK(u, SHL_STE_CONFIG);
	if (cfg < SHL_CFG_BYPASS)	/* 0b0xx: abort, nothing else is read */
		return;

	/* Always read in a valid, non-abort STE. */
	SHL_MARK(u, SHL_STE_IMPDEF1);
	SHL_MARK(u, SHL_STE_IMPDEF2);
	SHL_MARK(u, SHL_STE_IMPDEF4);
	SHL_MARK(u, SHL_STE_MEV);
	SHL_MARK(u, SHL_STE_DRE);
	SHL_MARK(u, SHL_STE_CONT);
	SHL_MARK(u, SHL_STE_DCP);
	SHL_MARK(u, SHL_STE_PPAR);
	SHL_MARK(u, SHL_STE_PARTID);
	SHL_MARK(u, SHL_STE_PMG);
	SHL_MARK(u, SHL_STE_MPAM_NS);
	/* EATS is IGNORED without ATS, and effectively 0b00 for bypass. */
	if (p->idr.ats && cfg != SHL_CFG_BYPASS)
		SHL_MARK(u, SHL_STE_EATS);

	/* Attribute overrides apply to traffic no stage-1 translation rewrites. */
	s1_default_bypass = s1 && ste_substreams(p, ste) &&
			    SHL_GET(ste, SHL_STE_S1DSS) == SHL_S1DSS_BYPASS;
	if (p->idr.attr_types_ovr && (!s1 || s2 || s1_default_bypass)) {
		SHL_MARK(u, SHL_STE_MEMATTR);
		SHL_MARK(u, SHL_STE_MTCFG);
		SHL_MARK(u, SHL_STE_ALLOCCFG);
		SHL_MARK(u, SHL_STE_SHCFG);
	}
	if (p->idr.attr_perms_ovr) {
		SHL_MARK(u, SHL_STE_PRIVCFG);
		SHL_MARK(u, SHL_STE_INSTCFG);
	}
	if (s1)
		ste_mark_s1(p, ste, u);
	if (s2)
		ste_mark_s2(p, u);
	if (ste_s2vmid_used(p, ste))
		SHL_MARK(u, SHL_STE_S2VMID);
	if (cfg == SHL_CFG_NESTED && SHL_GET(ste, SHL_STE_S1MPAM))
		SHL_MARK(u, SHL_STE_VMSPTR);
}

/* ---------------------------------------------------------------- legality */

/* 5.2 EATS checks: only with IDR0.ATS and a Config other than 0b100. */
static enum shl_rule ste_check_eats(const struct shl_profile *p, const struct shl_entry *ste,
				    unsigned int cfg)
{
	unsigned int eats = SHL_GET(ste, SHL_STE_EATS);
	bool s2 = cfg & 2, s2s = SHL_GET(ste, SHL_STE_S2S);

	if (!p->idr.ats || cfg == SHL_CFG_BYPASS)
		return SHL_RULE_NONE;
	if (eats == SHL_EATS_S1CHK && !(cfg == SHL_CFG_NESTED && !s2s && !p->idr.ns1ats))
		return SHL_RULE_STE_EATS_S1CHK;
	/* v3.0: CONSTRAINED UNPREDICTABLE for 0b10x too; modelled as ILLEGAL. */
	if (eats == SHL_EATS_TRANS && s2s && (s2 || p->arch_minor == 0))
		return SHL_RULE_STE_EATS_TRANS_S2S;
	if (eats == SHL_EATS_DPT && p->dpt) {
		if (ste_strw_used(p, cfg) && SHL_GET(ste, SHL_STE_STRW) != SHL_STRW_NSEL1)
			return SHL_RULE_STE_EATS_DPT_STRW;
		if (s2 && s2s)
			return SHL_RULE_STE_EATS_DPT_S2S;
	}
	return SHL_RULE_NONE;
}

static enum shl_rule ste_check_s1(const struct shl_profile *p, const struct shl_entry *ste,
				  unsigned int cfg)
{
	unsigned int cdmax = SHL_GET(ste, SHL_STE_S1CDMAX), fmt = SHL_GET(ste, SHL_STE_S1FMT);
	unsigned int limit = (cfg & 2) ? p->ias_bits : p->oas_bits;

	if (SHL_GET(ste, SHL_STE_S1STALLD) && p->idr.stall_model != 0)
		return SHL_RULE_STE_S1STALLD;
	if (p->idr.ssidsize && cdmax > p->idr.ssidsize)
		return SHL_RULE_STE_S1CDMAX;
	if (p->idr.ssidsize && cdmax && !p->idr.cd2l && (fmt == 1 || fmt == 2))
		return SHL_RULE_STE_S1FMT_CD2L;
	if (shl_vmsa_beyond(ste->q[0] & SHL_MASK(SHL_STE_S1CONTEXTPTR), limit))
		return SHL_RULE_STE_S1CONTEXTPTR;
	return SHL_RULE_NONE;
}

/* Stage-2 translation regime checks for VMSAv8-64 (S2AA64 == 1). */
static enum shl_rule ste_check_s2_walk(const struct shl_profile *p, const struct shl_entry *ste)
{
	unsigned int tg = SHL_GET(ste, SHL_STE_S2TG), t0sz = SHL_GET(ste, SHL_STE_S2T0SZ);
	bool ds = SHL_GET(ste, SHL_STE_S2DS);
	unsigned int gshift = shl_vmsa_tg0_shift(p, tg), ps;
	uint64_t ttb = ste->q[3] & SHL_MASK(SHL_STE_S2TTB);

	if (!gshift)
		return SHL_RULE_STE_S2TG;
	ps = shl_vmsa_eff_ps(p, SHL_GET(ste, SHL_STE_S2PS));
	if (shl_vmsa_beyond(ttb, ps) || (gshift != 16 && !ds && shl_vmsa_beyond(ttb, 48)))
		return SHL_RULE_STE_S2TTB;
	if (!shl_vmsa_s2_t0sz_ok(p, gshift, ds, t0sz))
		return SHL_RULE_STE_S2T0SZ;
	if (!shl_vmsa_s2_sl0_ok(gshift, SHL_GET(ste, SHL_STE_S2SL0), SHL_GET(ste, SHL_STE_S2SL0_2),
				ds, t0sz))
		return SHL_RULE_STE_S2SL0;
	return SHL_RULE_NONE;
}

static enum shl_rule ste_check_s2(const struct shl_profile *p, const struct shl_entry *ste)
{
	bool aa64 = SHL_GET(ste, SHL_STE_S2AA64), s2s = SHL_GET(ste, SHL_STE_S2S);
	bool ha = SHL_GET(ste, SHL_STE_S2HA), hd = SHL_GET(ste, SHL_STE_S2HD);
	bool pie = SHL_GET(ste, SHL_STE_S2PIE), poe = SHL_GET(ste, SHL_STE_S2POE);
	enum shl_rule r;

	if (!aa64 && !(p->idr.ttf & 1))
		return SHL_RULE_STE_S2AA32;
	if (aa64 && !(p->idr.ttf & 2))
		return SHL_RULE_STE_S2AA64;
	if (SHL_GET(ste, SHL_STE_S2FWB) && !aa64 && p->idr.fwb)
		return SHL_RULE_STE_S2FWB_AA32;
	if (s2s && p->idr.stall_model == 1)
		return SHL_RULE_STE_S2S_NO_STALL;
	if (!s2s && p->idr.stall_model == 2)
		return SHL_RULE_STE_S2S_FORCED;
	if ((ha || hd) && (!aa64 || p->idr.httu == 0))
		return SHL_RULE_STE_S2HTTU;
	if (hd && p->idr.httu == 1)
		return SHL_RULE_STE_S2HTTU;
	if (SHL_GET(ste, SHL_STE_S2HAFT) && !ha && p->idr.httu == 3)
		return SHL_RULE_STE_S2HAFT;
	if (aa64) {
		r = ste_check_s2_walk(p, ste);
		if (r)
			return r;
	}
	if (!shl_vmsa_endi_ok(p, SHL_GET(ste, SHL_STE_S2ENDI)))
		return SHL_RULE_STE_S2ENDI;
	if (pie && !aa64)
		return SHL_RULE_STE_S2PIE_AA32;
	if (poe && !pie)
		return SHL_RULE_STE_S2POE_NO_PIE;
	if (poe && SHL_GET(ste, SHL_STE_S2HWU))
		return SHL_RULE_STE_S2POE_HWU;
	if (poe) {
		unsigned int i;

		for (i = 0; i < 16; i++) {
			unsigned int poi = (ste->q[7] >> (4 * i)) & 0xf;

			if (poi == 0x1 || poi == 0x5)
				return SHL_RULE_STE_S2POI;
		}
	}
	return SHL_RULE_NONE;
}

enum shl_rule shl_ste_bad(const struct shl_profile *p, const struct shl_entry *ste)
{
	unsigned int cfg = SHL_GET(ste, SHL_STE_CONFIG);
	enum shl_rule r;

	if (!SHL_GET(ste, SHL_STE_V))
		return SHL_RULE_STE_V0;
	if (cfg < SHL_CFG_BYPASS)	/* 0b0xx is never ILLEGAL */
		return SHL_RULE_NONE;
	if ((cfg & 1) && !p->idr.s1p)
		return SHL_RULE_STE_S1_NOT_IMPL;
	if ((cfg & 2) && !p->idr.s2p)
		return SHL_RULE_STE_S2_NOT_IMPL;
	r = ste_check_eats(p, ste, cfg);
	if (r)
		return r;
	if (ste_strw_used(p, cfg) && (SHL_GET(ste, SHL_STE_STRW) & 1))
		return SHL_RULE_STE_STRW_RESERVED;
	if (cfg & 1) {
		r = ste_check_s1(p, ste, cfg);
		if (r)
			return r;
	}
	if (cfg & 2) {
		r = ste_check_s2(p, ste);
		if (r)
			return r;
	}
	if (ste_s2vmid_used(p, ste) && !p->idr.vmid16 && SHL_GET(ste, SHL_STE_S2VMID_HI))
		return SHL_RULE_STE_S2VMID16;
	if (cfg == SHL_CFG_NESTED && SHL_GET(ste, SHL_STE_S1MPAM) &&
	    shl_vmsa_beyond(ste->q[5] & SHL_MASK(SHL_STE_VMSPTR), p->oas_bits))
		return SHL_RULE_STE_VMSPTR;
	if (p->res0_illegal && shl_entry_intersects(ste, &p->res0[SHL_KIND_STE]))
		return SHL_RULE_STE_RES0;
	return SHL_RULE_NONE;
}

uint64_t shl_ste_s2_table_bytes(const struct shl_profile *p, const struct shl_entry *ste)
{
	unsigned int cfg = SHL_GET(ste, SHL_STE_CONFIG), gshift;

	if (!SHL_GET(ste, SHL_STE_V) || cfg < SHL_CFG_BYPASS || !(cfg & 2) ||
	    !SHL_GET(ste, SHL_STE_S2AA64))
		return 0;
	gshift = shl_vmsa_tg0_shift(p, SHL_GET(ste, SHL_STE_S2TG));
	if (!gshift)
		return 0;
	return shl_vmsa_s2_table_bytes(gshift, SHL_GET(ste, SHL_STE_S2SL0),
				       SHL_GET(ste, SHL_STE_S2SL0_2), SHL_GET(ste, SHL_STE_S2DS),
				       SHL_GET(ste, SHL_STE_S2T0SZ));
}
