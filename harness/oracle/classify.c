// SPDX-License-Identifier: GPL-2.0-only
/*
 * Rule names, the generic entry model (Linux view or spec view), and the
 * classification of an observed entry against an update's endpoints (the
 * invariant of the kernel's arm-smmu-v3-test.c, extended with legality).
 */
#include <string.h>

#include "smmu_hil/entry_ops.h"
#include "smmu_hil/rules.h"

static const struct {
	const char *name;
	const char *doc;
} rule_info[SHL_RULE_COUNT] = {
	[SHL_RULE_NONE] = { "none", "no rule" },
	[SHL_RULE_STE_V0] = { "ste-v0", "STE.V == 0 (5.2 V)" },
	[SHL_RULE_STE_S1_NOT_IMPL] = { "ste-config-s1-not-implemented",
		"Config 0b1x1 while SMMU_IDR0.S1P == 0 (5.2 Config)" },
	[SHL_RULE_STE_S2_NOT_IMPL] = { "ste-config-s2-not-implemented",
		"Config 0b11x while SMMU_IDR0.S2P == 0 (5.2 Config)" },
	[SHL_RULE_STE_EATS_S1CHK] = { "ste-eats-s1chk",
		"EATS 0b10 unless Config 0b111, S2S 0 and IDR0.NS1ATS 0 (5.2 EATS)" },
	[SHL_RULE_STE_EATS_TRANS_S2S] = { "ste-eats-trans-s2s",
		"EATS 0b01 with S2S 1 and Config 0b11x; v3.0 also 0b101 (5.2 EATS)" },
	[SHL_RULE_STE_EATS_DPT_STRW] = { "ste-eats-dpt-strw",
		"EATS 0b11 with DPT while STRW is used and not EL1 (5.2 EATS)" },
	[SHL_RULE_STE_EATS_DPT_S2S] = { "ste-eats-dpt-s2s",
		"EATS 0b11 with DPT, Config 0b11x and S2S 1 (5.2 EATS)" },
	[SHL_RULE_STE_STRW_RESERVED] = { "ste-strw-reserved",
		"STRW 0b01/0b11 where STRW is used (Config 0b101, IDR0.Hyp) (5.2 STRW)" },
	[SHL_RULE_STE_S1STALLD] = { "ste-s1stalld-no-stall-model",
		"S1STALLD 1 while IDR0.STALL_MODEL != 0b00 (5.2 S1STALLD)" },
	[SHL_RULE_STE_S1CDMAX] = { "ste-s1cdmax-range",
		"S1CDMax > IDR1.SSIDSIZE with SSIDSIZE != 0 (5.2 S1CDMax)" },
	[SHL_RULE_STE_S1FMT_CD2L] = { "ste-s1fmt-no-cd2l",
		"S1Fmt 0b01/0b10 with substreams and IDR0.CD2L == 0 (5.2 S1Fmt)" },
	[SHL_RULE_STE_S1CONTEXTPTR] = { "ste-s1contextptr-range",
		"S1ContextPtr beyond the OAS, or the IAS when nested (5.2.2)" },
	[SHL_RULE_STE_S2FWB_AA32] = { "ste-s2fwb-aa32",
		"S2FWB 1 with a VMSAv8-32 stage 2 and IDR3.FWB 1 (5.2 S2FWB)" },
	[SHL_RULE_STE_S2S_NO_STALL] = { "ste-s2s-no-stall",
		"S2S 1 while IDR0.STALL_MODEL == 0b01 (5.2 S2S)" },
	[SHL_RULE_STE_S2S_FORCED] = { "ste-s2s-forced-stall",
		"S2S 0 while IDR0.STALL_MODEL == 0b10 (5.2 S2S)" },
	[SHL_RULE_STE_S2AA32] = { "ste-s2aa64-aa32-unsupported",
		"S2AA64 0 while IDR0.TTF[0] == 0 (5.2 S2AA64)" },
	[SHL_RULE_STE_S2AA64] = { "ste-s2aa64-aa64-unsupported",
		"S2AA64 1 while IDR0.TTF[1] == 0 (5.2 S2AA64)" },
	[SHL_RULE_STE_S2HTTU] = { "ste-s2ha-s2hd-httu",
		"S2HA/S2HD with VMSAv8-32 or HTTU 00, S2HD with HTTU 01 (5.2 S2HA/S2HD)" },
	[SHL_RULE_STE_S2HAFT] = { "ste-s2haft",
		"S2HAFT 1 with S2HA 0 and HTTU 0b11 (5.2 S2HAFT)" },
	[SHL_RULE_STE_S2TG] = { "ste-s2tg",
		"S2TG 0b11 or a granule IDR5 does not support (5.2 S2TG)" },
	[SHL_RULE_STE_S2TTB] = { "ste-s2ttb-range",
		"S2TTB beyond min(S2PS, OAS), or beyond 48 bits without S2DS/64K (5.2 S2TTB)" },
	[SHL_RULE_STE_S2T0SZ] = { "ste-s2t0sz-range",
		"S2T0SZ outside [min, max] for the granule, IAS and IDR3.STT (5.2 S2T0SZ)" },
	[SHL_RULE_STE_S2SL0] = { "ste-s2sl0",
		"S2SL0/S2SL0_2 inconsistent with S2T0SZ and S2TG (5.2 S2SL0)" },
	[SHL_RULE_STE_S2ENDI] = { "ste-s2endi",
		"S2ENDI selects an endianness IDR0.TTENDIAN excludes (5.2 S2ENDI)" },
	[SHL_RULE_STE_S2PIE_AA32] = { "ste-s2pie-aa32", "S2PIE 1 with VMSAv8-32 (5.2 S2PIE)" },
	[SHL_RULE_STE_S2POE_NO_PIE] = { "ste-s2poe-no-s2pie", "S2POE 1 with S2PIE 0 (5.2 S2POE)" },
	[SHL_RULE_STE_S2POE_HWU] = { "ste-s2poe-s2hwu",
		"S2POE 1 with S2HWU59..62 != 0 (5.2 S2POE)" },
	[SHL_RULE_STE_S2POI] = { "ste-s2poi-reserved",
		"S2POE 1 with an S2POI<p> of 0b0001 or 0b0101 (5.2 S2POI)" },
	[SHL_RULE_STE_S2VMID16] = { "ste-s2vmid-16",
		"S2VMID[15:8] != 0 while IDR0.VMID16 == 0 and S2VMID is used (5.2 S2VMID)" },
	[SHL_RULE_STE_VMSPTR] = { "ste-vmsptr-range",
		"VMSPtr beyond the OAS with Config 0b111 and S1MPAM 1 (5.2 VMSPtr)" },
	[SHL_RULE_STE_RES0] = { "ste-res0",
		"non-zero RES0 bits, if the implementation rejects them (5 preamble)" },
	[SHL_RULE_CD_V0] = { "cd-v0", "CD.V == 0 (5.4 V)" },
	[SHL_RULE_CD_S_S1STALLD] = { "cd-s-s1stalld", "CD.S 1 with STE.S1STALLD 1 (5.4 S)" },
	[SHL_RULE_CD_A_TERM_MODEL] = { "cd-a-term-model",
		"CD.A 0 while IDR0.TERM_MODEL == 1 (5.4 A)" },
	[SHL_RULE_CD_S_NO_STALL] = { "cd-s-no-stall", "CD.S 1 while STALL_MODEL == 0b01 (5.4 S)" },
	[SHL_RULE_CD_S_FORCED] = { "cd-s-forced-stall",
		"CD.S 0 while STALL_MODEL == 0b10 (5.4 S)" },
	[SHL_RULE_CD_ENDI] = { "cd-endi",
		"ENDI excluded by IDR0.TTENDIAN unless EPD0 and EPD1 are 1 (5.4 ENDI)" },
	[SHL_RULE_CD_AA32] = { "cd-aa64-aa32-unsupported",
		"AA64 0 while TTF[0] == 0 or in StreamWorld EL2-E2H (5.4 AA64)" },
	[SHL_RULE_CD_AA64] = { "cd-aa64-aa64-unsupported",
		"AA64 1 while TTF[1] == 0 or over a VMSAv8-32 stage 2 (5.4 AA64)" },
	[SHL_RULE_CD_HTTU] = { "cd-ha-hd-httu",
		"HA/HD with HTTU 00, or HD with HTTU 01 (5.4 HA/HD)" },
	[SHL_RULE_CD_HAFT] = { "cd-haft", "HAFT 1 with HA 0 and HTTU 0b11 (5.4 HAFT)" },
	[SHL_RULE_CD_ASID16] = { "cd-asid-16",
		"ASID[15:8] != 0 while IDR0.ASID16 == 0 (5.4 ASID)" },
	[SHL_RULE_CD_T0SZ] = { "cd-t0sz-range", "T0SZ out of range with EPD0 0 (5.4 T0SZ)" },
	[SHL_RULE_CD_T1SZ] = { "cd-t1sz-range", "T1SZ out of range with EPD1 0 (5.4 T1SZ)" },
	[SHL_RULE_CD_TG0] = { "cd-tg0",
		"TG0 0b11 or unsupported granule with EPD0 0 (5.4 TG0)" },
	[SHL_RULE_CD_TG1] = { "cd-tg1",
		"TG1 0b00 or unsupported granule with EPD1 0 (5.4 TG1)" },
	[SHL_RULE_CD_TTB0] = { "cd-ttb0-range",
		"TTB0 beyond min(IPS, OAS) or 48 bits without DS/64K, EPD0 0 (5.4 TTB0)" },
	[SHL_RULE_CD_TTB1] = { "cd-ttb1-range",
		"TTB1 beyond min(IPS, OAS) or 48 bits without DS/64K, EPD1 0 (5.4 TTB1)" },
	[SHL_RULE_CD_PI_RESERVED] = { "cd-pi-reserved",
		"PIE 1 with a PIIU<p>/PIIP<p> of 0b100 or 0b110 (5.4 PIIP)" },
	[SHL_RULE_CD_RES0] = { "cd-res0",
		"non-zero RES0 bits, if the implementation rejects them (5 preamble)" },
};

const char *shl_rule_name(enum shl_rule r)
{
	return r < SHL_RULE_COUNT ? rule_info[r].name : "unknown";
}

const char *shl_rule_doc(enum shl_rule r)
{
	return r < SHL_RULE_COUNT ? rule_info[r].doc : "unknown";
}

const char *shl_class_name(enum shl_class c)
{
	static const char *const names[SHL_CLASS_COUNT] = {
		"initial", "target", "invalid", "illegal", "torn",
	};

	return c < SHL_CLASS_COUNT ? names[c] : "unknown";
}

bool shl_model_valid(const struct shl_model *m, const struct shl_entry *e)
{
	return shl_entry_ops(m->kind)->valid(e);
}

void shl_model_used(const struct shl_model *m, const struct shl_entry *e, struct shl_entry *used)
{
	const struct shl_entry_ops *ops = shl_entry_ops(m->kind);

	if (m->spec)
		ops->used_spec(m->p, e, used);
	else
		ops->used_linux(e, used);
}

enum shl_rule shl_model_bad(const struct shl_model *m, const struct shl_entry *e)
{
	const struct shl_entry_ops *ops = shl_entry_ops(m->kind);

	if (!ops->valid(e))
		return ops->rule_v0;
	if (!m->spec)
		return SHL_RULE_NONE;
	return ops->bad(m->p, &m->cd, e);
}

void shl_endpoints_init(const struct shl_model *m, const struct shl_entry *init,
			const struct shl_entry *target, struct shl_endpoints *ep)
{
	ep->init = *init;
	ep->target = *target;
	ep->init_bad = shl_model_bad(m, init);
	ep->target_bad = shl_model_bad(m, target);
}

/* @obs matches @x on @used minus the update-safe bits between @obs and @x. */
static bool equivalent(const struct shl_model *m, const struct shl_entry *obs,
		       const struct shl_entry *x, const struct shl_entry *used)
{
	struct shl_entry safe;
	unsigned int i;

	const struct shl_entry_ops *ops = shl_entry_ops(m->kind);

	if (m->update_safe && ops->update_safe) {
		ops->update_safe(obs, x, &safe);
		for (i = 0; i < SHL_ENTRY_QWORDS; i++)
			if ((obs->q[i] ^ x->q[i]) & used->q[i] & ~safe.q[i])
				return false;
		return true;
	}
	for (i = 0; i < SHL_ENTRY_QWORDS; i++)
		if ((obs->q[i] ^ x->q[i]) & used->q[i])
			return false;
	return true;
}

enum shl_class shl_classify(const struct shl_model *m, const struct shl_endpoints *ep,
			    const struct shl_entry *obs, enum shl_rule *rule)
{
	enum shl_rule bad;
	struct shl_entry used;

	/* Fast path: an endpoint itself (most observations of a plan are). */
	if (!memcmp(obs, &ep->init, sizeof(*obs)) || !memcmp(obs, &ep->target, sizeof(*obs))) {
		bool is_init = !memcmp(obs, &ep->init, sizeof(*obs));

		if (rule)
			*rule = is_init ? ep->init_bad : ep->target_bad;
		return is_init ? SHL_CLASS_INITIAL : SHL_CLASS_TARGET;
	}
	bad = shl_model_bad(m, obs);
	if (rule)
		*rule = bad;
	if (!shl_model_valid(m, obs)) {
		/* V == 0: every other field is IGNORED. */
		if (ep->init_bad == bad)
			return SHL_CLASS_INITIAL;
		if (ep->target_bad == bad)
			return SHL_CLASS_TARGET;
		return SHL_CLASS_INVALID;
	}
	shl_model_used(m, obs, &used);
	if (ep->init_bad == bad && equivalent(m, obs, &ep->init, &used))
		return SHL_CLASS_INITIAL;
	if (ep->target_bad == bad && equivalent(m, obs, &ep->target, &used))
		return SHL_CLASS_TARGET;
	return bad ? SHL_CLASS_ILLEGAL : SHL_CLASS_TORN;
}
