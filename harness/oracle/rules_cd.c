// SPDX-License-Identifier: GPL-2.0-only
/*
 * CD rules: Linux's used bits (arm_smmu_get_cd_used), the spec's used bits
 * (IHI 0070 5.4) and the C_BAD_CD conditions (5.4.2 CdIllegal; facts §5.2).
 */
#include <string.h>

#include "smmu_hil/rules.h"
#include "vmsa.h"

void shl_cd_ctx_from_ste(const struct shl_profile *p, const struct shl_entry *ste,
			 struct shl_cd_ctx *ctx)
{
	unsigned int cfg = SHL_GET(ste, SHL_STE_CONFIG);

	memset(ctx, 0, sizeof(*ctx));
	ctx->s1stalld = SHL_GET(ste, SHL_STE_S1STALLD);
	ctx->el2 = cfg == SHL_CFG_S1 && p->idr.hyp && SHL_GET(ste, SHL_STE_STRW) == SHL_STRW_EL2;
	ctx->s2 = cfg == SHL_CFG_NESTED;
	ctx->s2aa32 = ctx->s2 && !SHL_GET(ste, SHL_STE_S2AA64);
}

/* The TTB0 walk fields EPD0 turns off, with TTB0 masked as @ttb0. */
static void cd_mark_walk0(struct shl_entry *m, uint64_t ttb0)
{
	SHL_MARK(m, SHL_CD_T0SZ);
	SHL_MARK(m, SHL_CD_TG0);
	SHL_MARK(m, SHL_CD_IR0);
	SHL_MARK(m, SHL_CD_OR0);
	SHL_MARK(m, SHL_CD_SH0);
	m->q[1] |= ttb0;
}

void shl_cd_used_linux(const struct shl_entry *cd, struct shl_entry *u)
{
	struct shl_entry walk0 = { { 0 } };
	unsigned int i;

	memset(u, 0, sizeof(*u));
	SHL_MARK(u, SHL_CD_V);
	if (!SHL_GET(cd, SHL_CD_V))
		return;
	for (i = 0; i < SHL_ENTRY_QWORDS; i++)
		u->q[i] = ~0ULL;
	if (SHL_GET(cd, SHL_CD_EPD0)) {
		cd_mark_walk0(&walk0, SHL_MASK(SHL_CD_TTB0_LINUX));
		for (i = 0; i < SHL_ENTRY_QWORDS; i++)
			u->q[i] &= ~walk0.q[i];
	}
}

void shl_cd_used_spec(const struct shl_profile *p, const struct shl_entry *cd,
		      struct shl_entry *u)
{
	struct shl_entry off = p->res0[SHL_KIND_CD];
	unsigned int i;

	memset(u, 0, sizeof(*u));
	SHL_MARK(u, SHL_CD_V);
	if (!SHL_GET(cd, SHL_CD_V))
		return;
	if (SHL_GET(cd, SHL_CD_EPD0))
		cd_mark_walk0(&off, SHL_MASK(SHL_CD_TTB0));
	if (SHL_GET(cd, SHL_CD_EPD1)) {
		SHL_MARK(&off, SHL_CD_T1SZ);
		SHL_MARK(&off, SHL_CD_TG1);
		SHL_MARK(&off, SHL_CD_IR1);
		SHL_MARK(&off, SHL_CD_OR1);
		SHL_MARK(&off, SHL_CD_SH1);
		SHL_MARK(&off, SHL_CD_TTB1);
	}
	for (i = 0; i < SHL_ENTRY_QWORDS; i++)
		u->q[i] = ~off.q[i];
}

/* One TTBx translation range: granule, TxSZ and table base (5.4). */
static enum shl_rule cd_check_range(const struct shl_profile *p, const struct shl_entry *cd,
				    unsigned int gshift, unsigned int tsz, uint64_t ttb,
				    enum shl_rule tg_rule, enum shl_rule tsz_rule,
				    enum shl_rule ttb_rule)
{
	bool ds = SHL_GET(cd, SHL_CD_DS);
	unsigned int ips = shl_vmsa_eff_ps(p, SHL_GET(cd, SHL_CD_IPS));

	if (!gshift)
		return tg_rule;
	if (!shl_vmsa_s1_tsz_ok(p, gshift, ds, tsz))
		return tsz_rule;
	if (shl_vmsa_beyond(ttb, ips) || (gshift != 16 && !ds && shl_vmsa_beyond(ttb, 48)))
		return ttb_rule;
	return SHL_RULE_NONE;
}

static enum shl_rule cd_check_aa64(const struct shl_profile *p, const struct shl_entry *cd)
{
	bool ha = SHL_GET(cd, SHL_CD_HA), hd = SHL_GET(cd, SHL_CD_HD);
	enum shl_rule r;

	if ((ha || hd) && p->idr.httu == 0)
		return SHL_RULE_CD_HTTU;
	if (hd && p->idr.httu == 1)
		return SHL_RULE_CD_HTTU;
	if (SHL_GET(cd, SHL_CD_HAFT) && !ha && p->idr.httu == 3)
		return SHL_RULE_CD_HAFT;
	if (!SHL_GET(cd, SHL_CD_EPD0)) {
		r = cd_check_range(p, cd, shl_vmsa_tg0_shift(p, SHL_GET(cd, SHL_CD_TG0)),
				   SHL_GET(cd, SHL_CD_T0SZ), cd->q[1] & SHL_MASK(SHL_CD_TTB0),
				   SHL_RULE_CD_TG0, SHL_RULE_CD_T0SZ, SHL_RULE_CD_TTB0);
		if (r)
			return r;
	}
	if (!SHL_GET(cd, SHL_CD_EPD1))
		return cd_check_range(p, cd, shl_vmsa_tg1_shift(p, SHL_GET(cd, SHL_CD_TG1)),
				      SHL_GET(cd, SHL_CD_T1SZ), cd->q[2] & SHL_MASK(SHL_CD_TTB1),
				      SHL_RULE_CD_TG1, SHL_RULE_CD_T1SZ, SHL_RULE_CD_TTB1);
	return SHL_RULE_NONE;
}

/* Permission indirection: PIIU/PIIP encodings 0b100 and 0b110 are reserved. */
static bool cd_pi_reserved(const struct shl_entry *cd)
{
	unsigned int i, q;

	for (q = 6; q <= 7; q++)
		for (i = 0; i < 16; i++) {
			unsigned int v = (cd->q[q] >> (3 * i)) & 7;

			if (v == 4 || v == 6)
				return true;
		}
	return false;
}

enum shl_rule shl_cd_bad(const struct shl_profile *p, const struct shl_cd_ctx *ctx,
			 const struct shl_entry *cd)
{
	bool aa64 = SHL_GET(cd, SHL_CD_AA64), s = SHL_GET(cd, SHL_CD_S);
	enum shl_rule r;

	if (!SHL_GET(cd, SHL_CD_V))
		return SHL_RULE_CD_V0;
	if (ctx->s1stalld && s)
		return SHL_RULE_CD_S_S1STALLD;
	if (p->idr.term_model && !SHL_GET(cd, SHL_CD_A))
		return SHL_RULE_CD_A_TERM_MODEL;
	if (p->idr.stall_model == 1 && s)
		return SHL_RULE_CD_S_NO_STALL;
	if (p->idr.stall_model == 2 && !s)
		return SHL_RULE_CD_S_FORCED;
	if (!(SHL_GET(cd, SHL_CD_EPD0) && SHL_GET(cd, SHL_CD_EPD1)) &&
	    !shl_vmsa_endi_ok(p, SHL_GET(cd, SHL_CD_ENDI)))
		return SHL_RULE_CD_ENDI;
	if (!aa64 && (!(p->idr.ttf & 1) || ctx->el2))
		return SHL_RULE_CD_AA32;
	if (aa64 && (!(p->idr.ttf & 2) || (ctx->s2 && ctx->s2aa32)))
		return SHL_RULE_CD_AA64;
	if (!p->idr.asid16 && SHL_GET(cd, SHL_CD_ASID_HI))
		return SHL_RULE_CD_ASID16;
	if (aa64) {
		r = cd_check_aa64(p, cd);
		if (r)
			return r;
	}
	if (SHL_GET(cd, SHL_CD_PIE) && cd_pi_reserved(cd))
		return SHL_RULE_CD_PI_RESERVED;
	if (p->res0_illegal && shl_entry_intersects(cd, &p->res0[SHL_KIND_CD]))
		return SHL_RULE_CD_RES0;
	return SHL_RULE_NONE;
}

uint64_t shl_cd_table_bytes(const struct shl_profile *p, const struct shl_entry *cd,
			    unsigned int ttb)
{
	unsigned int gshift;

	if (!SHL_GET(cd, SHL_CD_V) || !SHL_GET(cd, SHL_CD_AA64))
		return 0;
	if (ttb == 0) {
		if (SHL_GET(cd, SHL_CD_EPD0))
			return 0;
		gshift = shl_vmsa_tg0_shift(p, SHL_GET(cd, SHL_CD_TG0));
	} else {
		if (SHL_GET(cd, SHL_CD_EPD1))
			return 0;
		gshift = shl_vmsa_tg1_shift(p, SHL_GET(cd, SHL_CD_TG1));
	}
	return gshift ? (uint64_t)1 << gshift : 0;
}
