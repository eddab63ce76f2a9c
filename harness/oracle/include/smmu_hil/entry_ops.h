/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * One ops table per live entry kind (STE, CD): everything the planner, the
 * per-store checker, the classifier and the sweep need to know about a kind
 * of entry, so that none of them branches on SHL_KIND_STE / SHL_KIND_CD.
 * The shape follows the Linux driver's struct arm_smmu_entry_writer_ops
 * (drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3.c: get_used, get_update_safe,
 * sync), extended with what the oracle adds: the spec's used bits, the
 * C_BAD_* legality, the pointer fields the SMMU follows and the names.
 */
#ifndef SMMU_HIL_ENTRY_OPS_H
#define SMMU_HIL_ENTRY_OPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "smmu_hil/entry.h"
#include "smmu_hil/profile.h"
#include "smmu_hil/rules.h"

/* A pointer field the SMMU follows: STE S1ContextPtr / S2TTB, CD TTB0. */
struct shl_pointer_field {
	uint8_t qword;
	uint64_t mask;		/* address bits in place */
	const char *name;	/* spec name */
};

struct shl_entry_ops {
	enum shl_entry_kind kind;
	const char *name;		/* "ste", "cd" (shl_kind_name()) */
	const char *bad_event;		/* "C_BAD_STE", "C_BAD_CD": what an ILLEGAL entry raises */
	enum shl_entry_kind l1_kind;	/* the level-1 descriptor of its 2-level table */
	enum shl_rule rule_v0;		/* its rules are [rule_v0, rule_last] of enum shl_rule; */
	enum shl_rule rule_last;	/* rule_v0 is the V == 0 one */
	bool has_ctx;			/* judged in the context of the STE locating it (CD) */

	/* V of @e (STE q0[0], CD q0[31]) */
	bool (*valid)(const struct shl_entry *e);
	/* the driver's used bits (arm_smmu_get_ste_used / arm_smmu_get_cd_used) */
	void (*used_linux)(const struct shl_entry *e, struct shl_entry *used);
	/* the bits the SMMU of profile @p reads (spec 5.2 / 5.4) */
	void (*used_spec)(const struct shl_profile *p, const struct shl_entry *e,
			  struct shl_entry *used);
	/*
	 * the bits that may change while in use between @cur and @target
	 * (arm_smmu_get_ste_update_safe); NULL: none (the CD has none)
	 */
	void (*update_safe)(const struct shl_entry *cur, const struct shl_entry *target,
			    struct shl_entry *safe);
	/*
	 * why the SMMU of profile @p rejects @e (C_BAD_STE / C_BAD_CD): the V0
	 * rule, an ILLEGAL rule or SHL_RULE_NONE; @ctx is the locating STE's
	 * context for a CD (ignored for an STE; may be NULL then)
	 */
	enum shl_rule (*bad)(const struct shl_profile *p, const struct shl_cd_ctx *ctx,
			     const struct shl_entry *e);
	/* the pointer fields whose target must be visible before the pointer store */
	const struct shl_pointer_field *ptrs;
	size_t nptrs;
};

/*
 * shl_entry_ops() - the ops of @kind: SHL_KIND_STE or SHL_KIND_CD. Returns a
 * static table, or NULL for the level-1 descriptors and out-of-range kinds
 * (they are encoded and decoded, never updated live).
 */
const struct shl_entry_ops *shl_entry_ops(enum shl_entry_kind kind);

/*
 * shl_entry_update_safe() - @ops->update_safe(@cur, @target, @safe), or an
 * all-zero @safe when the kind has no update-safe bits.
 */
void shl_entry_update_safe(const struct shl_entry_ops *ops, const struct shl_entry *cur,
			   const struct shl_entry *target, struct shl_entry *safe);

#endif /* SMMU_HIL_ENTRY_OPS_H */
