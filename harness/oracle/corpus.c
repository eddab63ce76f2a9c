// SPDX-License-Identifier: GPL-2.0-only
/*
 * The corpus: STEs and CDs as the Linux 7.1.5 builders make them (facts §1
 * "What the Linux builders write", §2 "Linux CD builders"):
 * arm_smmu_make_{abort,bypass,cdtable,s2_domain}_ste, the nested STE of
 * arm-smmu-v3-iommufd.c, arm_smmu_make_s1_cd, arm_smmu_make_sva_cd and
 * arm_smmu_clear_cd. Written from the field descriptions, not the source.
 */
#include <string.h>

#include "smmu_hil/entry_ops.h"
#include "smmu_hil/rules.h"
#include "smmu_hil/sweep.h"
#include "vmsa.h"

#define CACHE_WBRA	1	/* S1CIR/S1COR/S2IR0/S2OR0/IR0/OR0 */
#define SH_ISH		3
#define TG_4K		0
#define TG_64K		1
#define TG_16K		2
#define MAIR_IOPGTABLE	0x0000000000ff4404ULL
#define MAIR_CPU	0x000000ff440c0400ULL

struct sink {
	const struct shl_profile *p;
	enum shl_entry_kind kind;
	struct shl_entry *out;
	size_t max, n, dropped;
};

/* Keep @e if the profile accepts it (or it is the V=0 zero CD). */
static void emit(struct sink *s, const struct shl_entry *e)
{
	struct shl_cd_ctx ctx = { 0 };
	enum shl_rule r = shl_entry_ops(s->kind)->bad(s->p, &ctx, e);

	if (r != SHL_RULE_NONE && r != SHL_RULE_CD_V0) {
		s->dropped++;
		return;
	}
	if (s->out && s->n < s->max)
		s->out[s->n] = *e;
	s->n++;
}

static unsigned int oas_enc(unsigned int bits)
{
	unsigned int enc;

	for (enc = 0; enc < 7; enc++)
		if (shl_idr_oas_bits(enc) >= bits)
			return enc;
	return 7;
}

/* ----------------------------------------------------------------- STEs */

struct s2_params {
	unsigned int vmid, gshift, ias;
	uint64_t ttb;
	bool ats, s2s;
};

static unsigned int tg_of(unsigned int gshift)
{
	return gshift == 12 ? TG_4K : gshift == 16 ? TG_64K : TG_16K;
}

/* arm_smmu_make_s2_domain_ste() */
static void make_s2_ste(const struct shl_profile *p, const struct s2_params *s2,
			struct shl_entry *e)
{
	memset(e, 0, sizeof(*e));
	SHL_SET(e, SHL_STE_V, 1);
	SHL_SET(e, SHL_STE_CONFIG, SHL_CFG_S2);
	SHL_SET(e, SHL_STE_EATS, s2->ats ? SHL_EATS_TRANS : SHL_EATS_ABT);
	if (p->idr.attr_types_ovr)
		SHL_SET(e, SHL_STE_SHCFG, SHL_SHCFG_INCOMING);
	SHL_SET(e, SHL_STE_S2VMID, s2->vmid);
	SHL_SET(e, SHL_STE_S2T0SZ, 64 - s2->ias);
	SHL_SET(e, SHL_STE_S2SL0, shl_vmsa_s2_sl0_for(s2->gshift, s2->ias));
	SHL_SET(e, SHL_STE_S2IR0, CACHE_WBRA);
	SHL_SET(e, SHL_STE_S2OR0, CACHE_WBRA);
	SHL_SET(e, SHL_STE_S2SH0, SH_ISH);
	SHL_SET(e, SHL_STE_S2TG, tg_of(s2->gshift));
	SHL_SET(e, SHL_STE_S2PS, oas_enc(p->oas_bits));
	SHL_SET(e, SHL_STE_S2AA64, 1);
	SHL_SET(e, SHL_STE_S2PTW, 1);
	SHL_SET(e, SHL_STE_S2S, s2->s2s);
	SHL_SET(e, SHL_STE_S2R, 1);
	e->q[3] = s2->ttb & SHL_MASK(SHL_STE_S2TTB_LINUX);
}

struct s1_params {
	uint64_t ptr;
	unsigned int cdmax, fmt, s1dss;
	bool stalld, e2h;
	unsigned int eats;
};

/* The stage-1 part of arm_smmu_make_cdtable_ste() (or a nested vSTE). */
static void set_s1_fields(const struct shl_profile *p, const struct s1_params *s1,
			  struct shl_entry *e)
{
	SHL_SET(e, SHL_STE_S1FMT, s1->fmt);
	e->q[0] |= s1->ptr & SHL_MASK(SHL_STE_S1CONTEXTPTR_LINUX);
	SHL_SET(e, SHL_STE_S1CDMAX, s1->cdmax);
	SHL_SET(e, SHL_STE_S1DSS, s1->s1dss);
	SHL_SET(e, SHL_STE_S1CIR, CACHE_WBRA);
	SHL_SET(e, SHL_STE_S1COR, CACHE_WBRA);
	SHL_SET(e, SHL_STE_S1CSH, SH_ISH);
	SHL_SET(e, SHL_STE_S1STALLD, s1->stalld);
	if (p->idr.attr_types_ovr && s1->s1dss == SHL_S1DSS_BYPASS)
		SHL_SET(e, SHL_STE_SHCFG, SHL_SHCFG_INCOMING);
}

static void corpus_ste_s1(struct sink *s, unsigned int scale)
{
	static const unsigned int cdmax_fmt[][2] = { { 0, 0 }, { 8, 0 }, { 16, 0 }, { 16, 2 },
						     { 20, 0 }, { 20, 2 } };
	struct s1_params s1;
	unsigned int dss, ats, stalld, cf, ptr, e2h;
	struct shl_entry e;

	for (dss = 0; dss < 3; dss++)
		for (ats = 0; ats < 2; ats++)
			for (stalld = 0; stalld < 2; stalld++)
				for (cf = 0; cf < 6; cf++)
					for (ptr = 0; ptr < 2 * scale; ptr++)
						for (e2h = 0; e2h < 2; e2h++) {
		s1 = (struct s1_params){ .ptr = (1ULL + ptr) << 30,	/* size-aligned */
					 .cdmax = cdmax_fmt[cf][0], .fmt = cdmax_fmt[cf][1],
					 .s1dss = dss, .stalld = stalld, .e2h = e2h };
		memset(&e, 0, sizeof(e));
		SHL_SET(&e, SHL_STE_V, 1);
		SHL_SET(&e, SHL_STE_CONFIG, SHL_CFG_S1);
		set_s1_fields(s->p, &s1, &e);
		SHL_SET(&e, SHL_STE_EATS, ats ? SHL_EATS_TRANS : SHL_EATS_ABT);
		/* E2H: StreamWorld EL2; otherwise NS-EL1 with S2VMID 0. */
		SHL_SET(&e, SHL_STE_STRW, e2h ? SHL_STRW_EL2 : SHL_STRW_NSEL1);
		emit(s, &e);
	}
}

static void corpus_ste_s2(struct sink *s, unsigned int scale)
{
	const unsigned int vtcr[][2] = { { 12, s->p->ias_bits }, { 16, s->p->ias_bits },
					 { 14, s->p->ias_bits }, { 12, 40 } };
	unsigned int v, t, ttb, ats, s2s;
	struct shl_entry e;

	for (v = 0; v < 3 * scale; v++)
		for (t = 0; t < 4; t++)
			for (ttb = 0; ttb < 2; ttb++)
				for (ats = 0; ats < 2; ats++)
					for (s2s = 0; s2s < 2; s2s++) {
		struct s2_params s2 = { .vmid = v % 3 == 2 ? 0x100 + v : 1 + v,
					.gshift = vtcr[t][0], .ias = vtcr[t][1],
					.ttb = 0x80000000ULL + 0x10000ULL * ttb, .ats = ats,
					.s2s = s2s };

		make_s2_ste(s->p, &s2, &e);
		emit(s, &e);
	}
}

/* arm_smmu_make_nested_cd_table_ste(): the S2 STE plus the vSTE's S1 fields and MEV. */
static void corpus_ste_nested(struct sink *s, unsigned int scale)
{
	static const unsigned int cdmax_fmt[][2] = { { 0, 0 }, { 8, 0 }, { 20, 2 } };
	unsigned int v, eats, ptr, cf, dss, stalld;
	struct shl_entry e;

	for (v = 0; v < 2 * scale; v++)
		for (eats = 0; eats < 3; eats++)
			for (ptr = 0; ptr < 2; ptr++)
				for (cf = 0; cf < 3; cf++)
					for (dss = 0; dss < 3; dss++)
						for (stalld = 0; stalld < 2; stalld++) {
		struct s2_params s2 = { .vmid = 1 + v, .gshift = 12, .ias = s->p->ias_bits,
					.ttb = 0x80000000ULL, .ats = false, .s2s = false };
		struct s1_params s1 = { .ptr = (1ULL + ptr) << 29,
					.cdmax = cdmax_fmt[cf][0], .fmt = cdmax_fmt[cf][1],
					.s1dss = dss, .stalld = stalld };

		make_s2_ste(s->p, &s2, &e);
		SHL_SET(&e, SHL_STE_CONFIG, SHL_CFG_NESTED);
		set_s1_fields(s->p, &s1, &e);
		SHL_SET(&e, SHL_STE_EATS, eats);
		SHL_SET(&e, SHL_STE_MEV, 1);
		emit(s, &e);
	}
}

static void corpus_ste(struct sink *s, unsigned int scale)
{
	struct shl_entry e = { { 0 } };

	SHL_SET(&e, SHL_STE_V, 1);		/* arm_smmu_make_abort_ste() */
	emit(s, &e);
	SHL_SET(&e, SHL_STE_CONFIG, SHL_CFG_BYPASS);	/* arm_smmu_make_bypass_ste() */
	if (s->p->idr.attr_types_ovr)
		SHL_SET(&e, SHL_STE_SHCFG, SHL_SHCFG_INCOMING);
	emit(s, &e);
	corpus_ste_s1(s, scale);
	corpus_ste_s2(s, scale);
	corpus_ste_nested(s, scale);
}

/* ------------------------------------------------------------------ CDs */

/* Fields every Linux CD with V=1 has: EPD1, V, IPS, AA64, R, A, ASET, ASID. */
static void cd_common(const struct shl_profile *p, unsigned int asid, bool stall,
		      struct shl_entry *e)
{
	memset(e, 0, sizeof(*e));
	SHL_SET(e, SHL_CD_EPD1, 1);
	SHL_SET(e, SHL_CD_V, 1);
	SHL_SET(e, SHL_CD_IPS, oas_enc(p->oas_bits));
	SHL_SET(e, SHL_CD_AA64, 1);
	SHL_SET(e, SHL_CD_S, stall);
	SHL_SET(e, SHL_CD_R, 1);
	SHL_SET(e, SHL_CD_A, 1);
	SHL_SET(e, SHL_CD_ASET, 1);
	SHL_SET(e, SHL_CD_ASID, asid);
}

static void cd_walk(unsigned int gshift, unsigned int va, uint64_t ttb, struct shl_entry *e)
{
	SHL_SET(e, SHL_CD_T0SZ, 64 - va);
	SHL_SET(e, SHL_CD_TG0, tg_of(gshift));
	SHL_SET(e, SHL_CD_IR0, CACHE_WBRA);
	SHL_SET(e, SHL_CD_OR0, CACHE_WBRA);
	SHL_SET(e, SHL_CD_SH0, SH_ISH);
	e->q[1] = ttb & SHL_MASK(SHL_CD_TTB0_LINUX);
}

static void corpus_cd(struct sink *s, unsigned int scale)
{
	static const unsigned int walks[][2] = { { 12, 48 }, { 16, 48 }, { 14, 48 }, { 12, 39 } };
	unsigned int a, t, w, stall, hahd;
	struct shl_entry e;

	/* arm_smmu_make_s1_cd(): DMA domains */
	for (a = 0; a < 3 * scale; a++)
		for (t = 0; t < 2; t++)
			for (w = 0; w < 4; w++)
				for (stall = 0; stall < 2; stall++)
					for (hahd = 0; hahd < 2; hahd++) {
		cd_common(s->p, a % 3 == 2 ? 0x100 + a : 1 + a, stall, &e);
		cd_walk(walks[w][0], walks[w][1], 0x90000000ULL + 0x1000ULL * t, &e);
		SHL_SET(&e, SHL_CD_HA, hahd);
		SHL_SET(&e, SHL_CD_HD, hahd);
		e.q[3] = MAIR_IOPGTABLE;
		emit(s, &e);
	}
	/* arm_smmu_make_sva_cd(): with an mm, and released (no mm: EPD0, no S/R) */
	for (a = 0; a < 2 * scale; a++) {
		for (t = 0; t < 2; t++)
			for (stall = 0; stall < 2; stall++) {
				cd_common(s->p, 0x40 + a, stall, &e);
				cd_walk(12, 48, 0xa0000000ULL + 0x1000ULL * t, &e);
				e.q[3] = MAIR_CPU;
				emit(s, &e);
			}
		cd_common(s->p, 0x40 + a, s->p->idr.stall_model == 2, &e);
		SHL_SET(&e, SHL_CD_EPD0, 1);
		if (s->p->idr.stall_model != 2)
			SHL_SET(&e, SHL_CD_R, 0);
		e.q[3] = MAIR_CPU;
		emit(s, &e);
	}
	memset(&e, 0, sizeof(e));	/* arm_smmu_clear_cd() */
	emit(s, &e);
}

size_t shl_corpus(enum shl_entry_kind kind, const struct shl_profile *p, unsigned int scale,
		  struct shl_entry *out, size_t max, size_t *dropped)
{
	struct sink s = { .p = p, .kind = kind, .out = out, .max = max };
	/* one generator per entry kind (the ops cover judging, not generating) */
	static void (*const gen[])(struct sink *, unsigned int) = {
		[SHL_KIND_STE] = corpus_ste,
		[SHL_KIND_CD] = corpus_cd,
	};

	if (!scale)
		scale = 1;
	if ((unsigned int)kind < sizeof(gen) / sizeof(gen[0]))
		gen[kind](&s, scale);	/* the level-1 descriptors have no corpus */
	if (dropped)
		*dropped = s.dropped;
	return s.n;
}
