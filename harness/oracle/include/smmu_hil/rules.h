/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The oracle's rules, each in one place:
 *  - the bits the Linux driver treats as used (arm_smmu_get_ste_used,
 *    arm_smmu_get_cd_used) and its update-safe bits
 *    (arm_smmu_get_ste_update_safe);
 *  - the bits the SMMU actually reads: the spec's used set, i.e. everything
 *    that is not IGNORED for the entry's configuration (IHI 0070 5.2, 5.4);
 *  - every C_BAD_STE / C_BAD_CD condition (5.2.2 SteIllegal, 5.4.2
 *    CdIllegal) under a profile, each with a stable rule name;
 *  - the classification of an observed entry against an update's endpoints.
 */
#ifndef SMMU_HIL_RULES_H
#define SMMU_HIL_RULES_H

#include <stdbool.h>

#include "smmu_hil/entry.h"
#include "smmu_hil/profile.h"

/* Why the SMMU rejects an entry (C_BAD_STE / C_BAD_CD). Names: shl_rule_name(). */
enum shl_rule {
	SHL_RULE_NONE = 0,
	/* STE (5.2) */
	SHL_RULE_STE_V0,		/* V == 0 */
	SHL_RULE_STE_S1_NOT_IMPL,	/* Config 0b1x1 with IDR0.S1P == 0 */
	SHL_RULE_STE_S2_NOT_IMPL,	/* Config 0b11x with IDR0.S2P == 0 */
	SHL_RULE_STE_EATS_S1CHK,	/* EATS 0b10 unless Config 111, S2S 0, NS1ATS 0 */
	SHL_RULE_STE_EATS_TRANS_S2S,	/* EATS 0b01 with S2S 1 and stage 2 (v3.0: also 101) */
	SHL_RULE_STE_EATS_DPT_STRW,	/* EATS 0b11 (DPT) with StreamWorld not EL1 */
	SHL_RULE_STE_EATS_DPT_S2S,	/* EATS 0b11 (DPT) with stage 2 and S2S 1 */
	SHL_RULE_STE_STRW_RESERVED,	/* STRW 0bx1 where STRW is used */
	SHL_RULE_STE_S1STALLD,		/* S1STALLD 1 with STALL_MODEL != 00 */
	SHL_RULE_STE_S1CDMAX,		/* S1CDMax > SSIDSIZE */
	SHL_RULE_STE_S1FMT_CD2L,	/* 2-level S1Fmt without IDR0.CD2L */
	SHL_RULE_STE_S1CONTEXTPTR,	/* S1ContextPtr beyond OAS (IAS when nested) */
	SHL_RULE_STE_S2FWB_AA32,	/* S2FWB 1 with VMSAv8-32 stage 2, IDR3.FWB 1 */
	SHL_RULE_STE_S2S_NO_STALL,	/* S2S 1 with STALL_MODEL 01 */
	SHL_RULE_STE_S2S_FORCED,	/* S2S 0 with STALL_MODEL 10 */
	SHL_RULE_STE_S2AA32,		/* S2AA64 0 without AArch32 tables (TTF[0]) */
	SHL_RULE_STE_S2AA64,		/* S2AA64 1 without AArch64 tables (TTF[1]) */
	SHL_RULE_STE_S2HTTU,		/* S2HA/S2HD beyond IDR0.HTTU or with VMSAv8-32 */
	SHL_RULE_STE_S2HAFT,		/* S2HAFT 1, S2HA 0 with HTTU 11 */
	SHL_RULE_STE_S2TG,		/* S2TG reserved or granule not in IDR5 */
	SHL_RULE_STE_S2TTB,		/* S2TTB beyond min(S2PS, OAS) or 48 bits */
	SHL_RULE_STE_S2T0SZ,		/* S2T0SZ outside [min, max] */
	SHL_RULE_STE_S2SL0,		/* S2SL0 inconsistent with S2T0SZ / S2TG */
	SHL_RULE_STE_S2ENDI,		/* S2ENDI not allowed by IDR0.TTENDIAN */
	SHL_RULE_STE_S2PIE_AA32,	/* S2PIE 1 with VMSAv8-32 */
	SHL_RULE_STE_S2POE_NO_PIE,	/* S2POE 1 with S2PIE 0 */
	SHL_RULE_STE_S2POE_HWU,		/* S2POE 1 with S2HWU59..62 != 0 */
	SHL_RULE_STE_S2POI,		/* an S2POI<p> of 0b0001 or 0b0101 with S2POE */
	SHL_RULE_STE_S2VMID16,		/* S2VMID[15:8] != 0 without VMID16 */
	SHL_RULE_STE_VMSPTR,		/* VMSPtr beyond OAS (Config 111, S1MPAM 1) */
	SHL_RULE_STE_RES0,		/* non-zero RES0 (implementation option) */
	/* CD (5.4) */
	SHL_RULE_CD_V0,			/* V == 0 */
	SHL_RULE_CD_S_S1STALLD,		/* S 1 with STE.S1STALLD 1 */
	SHL_RULE_CD_A_TERM_MODEL,	/* A 0 with IDR0.TERM_MODEL 1 */
	SHL_RULE_CD_S_NO_STALL,		/* S 1 with STALL_MODEL 01 */
	SHL_RULE_CD_S_FORCED,		/* S 0 with STALL_MODEL 10 */
	SHL_RULE_CD_ENDI,		/* ENDI not allowed by TTENDIAN */
	SHL_RULE_CD_AA32,		/* AA64 0 without TTF[0], or StreamWorld EL2-E2H */
	SHL_RULE_CD_AA64,		/* AA64 1 without TTF[1], or on a VMSAv8-32 stage 2 */
	SHL_RULE_CD_HTTU,		/* HA/HD beyond IDR0.HTTU */
	SHL_RULE_CD_HAFT,		/* HAFT 1, HA 0 with HTTU 11 */
	SHL_RULE_CD_ASID16,		/* ASID[15:8] != 0 without ASID16 */
	SHL_RULE_CD_T0SZ,		/* T0SZ out of range (EPD0 0) */
	SHL_RULE_CD_T1SZ,		/* T1SZ out of range (EPD1 0) */
	SHL_RULE_CD_TG0,		/* TG0 reserved/unsupported (EPD0 0) */
	SHL_RULE_CD_TG1,		/* TG1 reserved/unsupported (EPD1 0) */
	SHL_RULE_CD_TTB0,		/* TTB0 beyond min(IPS, OAS) or 48 bits */
	SHL_RULE_CD_TTB1,		/* TTB1 beyond min(IPS, OAS) or 48 bits */
	SHL_RULE_CD_PI_RESERVED,	/* PIE 1 with a PIIU/PIIP entry 0b100 or 0b110 */
	SHL_RULE_CD_RES0,		/* non-zero RES0 (implementation option) */
	SHL_RULE_COUNT,
};

/* shl_rule_name() - the stable name ("ste-s2tg", "cd-asid-16", ...). */
const char *shl_rule_name(enum shl_rule r);
/* shl_rule_doc() - one line: the condition, with its spec section. */
const char *shl_rule_doc(enum shl_rule r);

/*
 * The STE that locates a CD: CD legality and the EPD handling depend on it
 * (5.4: S1STALLD, StreamWorld, stage-2 format).
 */
struct shl_cd_ctx {
	bool s1stalld;		/* STE.S1STALLD */
	bool el2;		/* StreamWorld EL2-E2H (STE.STRW 0b10), else NS-EL1 */
	bool s2;		/* STE.Config 0b111: stage 2 translates the CD's output */
	bool s2aa32;		/* STE.S2AA64 == 0 */
};

/* shl_cd_ctx_from_ste() - the context a CD located by @ste gets. */
void shl_cd_ctx_from_ste(const struct shl_profile *p, const struct shl_entry *ste,
			 struct shl_cd_ctx *ctx);

/* -------------------------------------------------------------- STE */

/*
 * shl_ste_used_linux() - @used gets the bits Linux 7.1.5's
 * arm_smmu_get_ste_used() marks for @ste (facts §3.1), including its bit
 * tests on the reserved Config values and STRW for Config 111.
 */
void shl_ste_used_linux(const struct shl_entry *ste, struct shl_entry *used);

/*
 * shl_ste_used_spec() - @used gets the bits of @ste the SMMU reads under
 * profile @p: everything not IGNORED for its V/Config/S1CDMax/S1DSS/STRW
 * (5.2). Fields whose relevance the spec leaves to the implementation
 * (IMPDEF, hints) are counted as used.
 */
void shl_ste_used_spec(const struct shl_profile *p, const struct shl_entry *ste,
		       struct shl_entry *used);

/*
 * shl_ste_update_safe() - @safe gets the bits Linux's
 * arm_smmu_get_ste_update_safe() lets change while in use between @cur and
 * @target (facts §3.3): MEV always; EATS bit 0 (0b00 <-> 0b01) unless either
 * entry has EATS bit 1 (S1CHK) or S2S. Not yet masked with the used bits.
 */
void shl_ste_update_safe(const struct shl_entry *cur, const struct shl_entry *target,
			 struct shl_entry *safe);

/*
 * shl_ste_bad() - why the SMMU of profile @p would raise C_BAD_STE for
 * @ste: SHL_RULE_STE_V0 for V == 0, an ILLEGAL rule, or SHL_RULE_NONE.
 * Config 0b0xx is never ILLEGAL (5.2). The first failing rule is returned,
 * in the order of enum shl_rule.
 */
enum shl_rule shl_ste_bad(const struct shl_profile *p, const struct shl_entry *ste);

/*
 * shl_ste_s2_table_bytes() - the bytes of memory from S2TTB an SMMU of @p
 * walks first for @ste: the stage-2 initial table block (granule size
 * times concatenated tables; the base is aligned down to it). 0 when @ste
 * translates no stage 2, selects VMSAv8-32 or an unsupported granule, or
 * its start level is inconsistent (5.2 S2TG, S2SL0, S2T0SZ). Raw writers
 * use it to keep the SMMU inside a table they own (docs/conformance.md).
 */
uint64_t shl_ste_s2_table_bytes(const struct shl_profile *p, const struct shl_entry *ste);

/* -------------------------------------------------------------- CD */

/*
 * shl_cd_table_bytes() - the same for a CD's stage-1 table @ttb (0: TTB0,
 * 1: TTB1): one granule (TG0/TG1) when the walk is on (EPDx == 0, AA64),
 * else 0.
 */
uint64_t shl_cd_table_bytes(const struct shl_profile *p, const struct shl_entry *cd,
			    unsigned int ttb);

/*
 * shl_cd_used_linux() - Linux's arm_smmu_get_cd_used() (facts §3.2): only V
 * when V == 0, else every bit but the TTB0 walk fields when EPD0 == 1.
 */
void shl_cd_used_linux(const struct shl_entry *cd, struct shl_entry *used);

/*
 * shl_cd_used_spec() - the CD bits the SMMU reads (5.4): only V when
 * V == 0; else every non-RES0 bit except the TTBx walk fields whose EPDx is 1.
 */
void shl_cd_used_spec(const struct shl_profile *p, const struct shl_entry *cd,
		      struct shl_entry *used);

/*
 * shl_cd_bad() - why the SMMU would raise C_BAD_CD for @cd located by an STE
 * described by @ctx: SHL_RULE_CD_V0, an ILLEGAL rule, or SHL_RULE_NONE.
 */
enum shl_rule shl_cd_bad(const struct shl_profile *p, const struct shl_cd_ctx *ctx,
			 const struct shl_entry *cd);

/* ------------------------------------------------- generic model */

/*
 * What judges an entry. @spec selects the hardware view (spec used bits and
 * C_BAD_* legality); otherwise the Linux view (driver used bits, no
 * legality), which is what the kernel's KUnit test checks at each sync.
 * @update_safe subtracts the kind's update-safe bits (shl_ste_update_safe()
 * for an STE; a CD has none) when comparing entries.
 */
struct shl_model {
	enum shl_entry_kind kind;	/* SHL_KIND_STE or SHL_KIND_CD: its ops judge */
	const struct shl_profile *p;
	struct shl_cd_ctx cd;
	bool spec;
	bool update_safe;
};

/* shl_model_valid() - V of @e: STE q0[0], CD q0[31] (the kind's ops, entry_ops.h). */
bool shl_model_valid(const struct shl_model *m, const struct shl_entry *e);

/* shl_model_used() - used bits of @e in the model's view (Linux or spec). */
void shl_model_used(const struct shl_model *m, const struct shl_entry *e, struct shl_entry *used);

/* shl_model_bad() - shl_ste_bad()/shl_cd_bad() in the model (NONE in the Linux view but V0). */
enum shl_rule shl_model_bad(const struct shl_model *m, const struct shl_entry *e);

/* How an observed entry relates to an update from an initial entry to a target. */
enum shl_class {
	SHL_CLASS_INITIAL,	/* equivalent to the initial entry */
	SHL_CLASS_TARGET,	/* equivalent to the target */
	SHL_CLASS_INVALID,	/* V == 0, and neither endpoint has V == 0 */
	SHL_CLASS_ILLEGAL,	/* rejected with a rule the endpoints do not share */
	SHL_CLASS_TORN,		/* valid, legal, neither endpoint */
	SHL_CLASS_COUNT,
};

/* shl_class_name() - "initial", "target", "invalid", "illegal", "torn". */
const char *shl_class_name(enum shl_class c);

/* An update's endpoints with their verdicts, computed once by shl_endpoints_init(). */
struct shl_endpoints {
	struct shl_entry init, target;
	enum shl_rule init_bad, target_bad;
};

void shl_endpoints_init(const struct shl_model *m, const struct shl_entry *init,
			const struct shl_entry *target, struct shl_endpoints *ep);

/*
 * shl_classify() - classify @obs. It is equivalent to an endpoint X when it
 * matches X on the used bits of @obs minus the update-safe bits between
 * @obs and X (the KUnit invariant, facts §4), and it is rejected by the
 * SMMU only if X is rejected by the same rule. @rule (may be NULL) gets the
 * rule of an INVALID or ILLEGAL observation.
 */
enum shl_class shl_classify(const struct shl_model *m, const struct shl_endpoints *ep,
			    const struct shl_entry *obs, enum shl_rule *rule);

#endif /* SMMU_HIL_RULES_H */
