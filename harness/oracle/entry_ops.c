// SPDX-License-Identifier: GPL-2.0-only
/*
 * The STE and CD ops tables (entry_ops.h): the per-kind rules of
 * rules_ste.c / rules_cd.c behind one interface, in the shape of the
 * driver's arm_smmu_entry_writer_ops.
 */
#include <string.h>

#include "smmu_hil/entry_ops.h"

static bool ste_valid(const struct shl_entry *e)
{
	return SHL_GET(e, SHL_STE_V);
}

static bool cd_valid(const struct shl_entry *e)
{
	return SHL_GET(e, SHL_CD_V);
}

static enum shl_rule ste_bad(const struct shl_profile *p, const struct shl_cd_ctx *ctx,
			     const struct shl_entry *e)
{
	(void)ctx;
	return shl_ste_bad(p, e);
}

static enum shl_rule cd_bad(const struct shl_profile *p, const struct shl_cd_ctx *ctx,
			    const struct shl_entry *e)
{
	static const struct shl_cd_ctx none;

	return shl_cd_bad(p, ctx ? ctx : &none, e);
}

static const struct shl_pointer_field ste_ptrs[] = {
	{ SHL_QW(SHL_STE_S1CONTEXTPTR), SHL_MASK(SHL_STE_S1CONTEXTPTR), "S1ContextPtr" },
	{ SHL_QW(SHL_STE_S2TTB), SHL_MASK(SHL_STE_S2TTB), "S2TTB" },
};

static const struct shl_pointer_field cd_ptrs[] = {
	{ SHL_QW(SHL_CD_TTB0), SHL_MASK(SHL_CD_TTB0), "TTB0" },
};

static const struct shl_entry_ops ops[] = {
	[SHL_KIND_STE] = {
		.kind = SHL_KIND_STE,
		.name = "ste",
		.bad_event = "C_BAD_STE",
		.l1_kind = SHL_KIND_L1STD,
		.rule_v0 = SHL_RULE_STE_V0,
		.rule_last = SHL_RULE_STE_RES0,
		.has_ctx = false,
		.valid = ste_valid,
		.used_linux = shl_ste_used_linux,
		.used_spec = shl_ste_used_spec,
		.update_safe = shl_ste_update_safe,
		.bad = ste_bad,
		.ptrs = ste_ptrs,
		.nptrs = sizeof(ste_ptrs) / sizeof(ste_ptrs[0]),
	},
	[SHL_KIND_CD] = {
		.kind = SHL_KIND_CD,
		.name = "cd",
		.bad_event = "C_BAD_CD",
		.l1_kind = SHL_KIND_L1CD,
		.rule_v0 = SHL_RULE_CD_V0,
		.rule_last = SHL_RULE_CD_RES0,
		.has_ctx = true,
		.valid = cd_valid,
		.used_linux = shl_cd_used_linux,
		.used_spec = shl_cd_used_spec,
		.update_safe = NULL,
		.bad = cd_bad,
		.ptrs = cd_ptrs,
		.nptrs = sizeof(cd_ptrs) / sizeof(cd_ptrs[0]),
	},
};

const struct shl_entry_ops *shl_entry_ops(enum shl_entry_kind kind)
{
	return (unsigned int)kind < sizeof(ops) / sizeof(ops[0]) ? &ops[kind] : NULL;
}

void shl_entry_update_safe(const struct shl_entry_ops *o, const struct shl_entry *cur,
			   const struct shl_entry *target, struct shl_entry *safe)
{
	if (o->update_safe)
		o->update_safe(cur, target, safe);
	else
		memset(safe, 0, sizeof(*safe));
}
