/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * SMMUv3 in-memory configuration structures as 64-bit little-endian qwords:
 * the STE (Arm IHI 0070 5.2), the CD (5.4), the level-1 stream table
 * descriptor L1STD (5.1) and the level-1 CD descriptor L1CD (5.4.1).
 *
 * Every field position lives in exactly one place, the X-macro table
 * modules/include/smmu_hil/arm_smmu_v3_fields.h (spec names), which the
 * kernel modules expand too. The SHL_STE_* / SHL_CD_* constants and the
 * name tables in entry.c are generated from it; the accessors
 * SHL_GET/SHL_SET/SHL_MASK take such a constant.
 */
#ifndef SMMU_HIL_ENTRY_H
#define SMMU_HIL_ENTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <json-c/json.h>

#define SHL_ENTRY_QWORDS 8

enum shl_entry_kind {
	SHL_KIND_STE,
	SHL_KIND_CD,
	SHL_KIND_L1STD,
	SHL_KIND_L1CD,
	SHL_KIND_COUNT,
};

/* One structure, qword 0 first; L1 descriptors use q[0] only. */
struct shl_entry {
	uint64_t q[SHL_ENTRY_QWORDS];
};

/* ------------------------------------------------------------ accessors */
/*
 * Field positions come from the one table of SMMUv3 fields,
 * modules/include/smmu_hil/arm_smmu_v3_fields.h (shared with the kernel
 * modules): SHL_STE_<ID>, SHL_CD_<ID>, SHL_L1STD_<ID> and SHL_L1CD_<ID> are
 * its packed positions (SMMU_HIL_FPOS: qword, high bit, low bit), e.g.
 * SHL_STE_S1CONTEXTPTR, SHL_CD_TTB0, plus the views (SHL_STE_S2TTB_LINUX,
 * SHL_CD_ASID_HI, ...).
 */
#include <smmu_hil/arm_smmu_v3_fields.h>

#define SHL_GENMASK(h, l) ((~0ULL >> (63 - (h))) & (~0ULL << (l)))
/* qword index, in-qword mask and low bit of a field position */
#define SHL_QW(f) SMMU_HIL_FPOS_Q(f)
#define SHL_MASK(f) SMMU_HIL_FPOS_MASK(f)
#define SHL_LO(f) SMMU_HIL_FPOS_LO(f)
/* field value (right-aligned) of entry pointer @e */
#define SHL_GET(e, f) (((e)->q[SHL_QW(f)] & SHL_MASK(f)) >> SHL_LO(f))
/* replace a field of entry pointer @e with @v (truncated to the field) */
#define SHL_SET(e, f, v) \
	((e)->q[SHL_QW(f)] = ((e)->q[SHL_QW(f)] & ~SHL_MASK(f)) | \
			     (((uint64_t)(v) << SHL_LO(f)) & SHL_MASK(f)))
/* set every bit of a field in a mask entry */
#define SHL_MARK(m, f) ((m)->q[SHL_QW(f)] |= SHL_MASK(f))

#define SHL_X_STE_(id, name, q, hi, lo, kind) SHL_STE_##id = SMMU_HIL_FPOS(q, hi, lo),
#define SHL_X_CD_(id, name, q, hi, lo, kind) SHL_CD_##id = SMMU_HIL_FPOS(q, hi, lo),
#define SHL_X_L1STD_(id, name, q, hi, lo, kind) SHL_L1STD_##id = SMMU_HIL_FPOS(q, hi, lo),
#define SHL_X_L1CD_(id, name, q, hi, lo, kind) SHL_L1CD_##id = SMMU_HIL_FPOS(q, hi, lo),

/* ---------------------------------------------------------------- STE */
enum shl_ste_field {
	SMMU_HIL_STE_FIELDS(SHL_X_STE_)
	SMMU_HIL_STE_VIEWS(SHL_X_STE_)
};

/* STE.Config values (5.2) */
#define SHL_CFG_ABORT	0
#define SHL_CFG_BYPASS	4
#define SHL_CFG_S1	5
#define SHL_CFG_S2	6
#define SHL_CFG_NESTED	7
/* STE.S1DSS, EATS, STRW values */
#define SHL_S1DSS_TERMINATE	0
#define SHL_S1DSS_BYPASS	1
#define SHL_S1DSS_SSID0		2
#define SHL_EATS_ABT		0
#define SHL_EATS_TRANS		1
#define SHL_EATS_S1CHK		2
#define SHL_EATS_DPT		3
#define SHL_STRW_NSEL1		0
#define SHL_STRW_EL2		2
#define SHL_SHCFG_INCOMING	1

/* ----------------------------------------------------------------- CD */
enum shl_cd_field {
	SMMU_HIL_CD_FIELDS(SHL_X_CD_)
	SMMU_HIL_CD_VIEWS(SHL_X_CD_)
};

/* ------------------------------------------------------ L1 descriptors */
enum shl_l1_field {
	SMMU_HIL_L1STD_FIELDS(SHL_X_L1STD_)
	SMMU_HIL_L1CD_FIELDS(SHL_X_L1CD_)
};

/* shl_entry_intersects() - @e has any bit of @mask set. */
static inline bool shl_entry_intersects(const struct shl_entry *e, const struct shl_entry *mask)
{
	unsigned int i;

	for (i = 0; i < SHL_ENTRY_QWORDS; i++)
		if (e->q[i] & mask->q[i])
			return true;
	return false;
}

/* ---------------------------------------------------------- field table */
#define SHL_FIELD_ADDR	0x1	/* value is an address: bits [hi:lo] in place */
#define SHL_FIELD_RES0	0x2	/* reserved, RES0 */
#define SHL_FIELD_IMPDEF 0x4	/* IMPLEMENTATION DEFINED or software-reserved */

struct shl_field {
	const char *name;	/* spec name: "S1ContextPtr", "RES0[58:56]" */
	uint8_t qword, hi, lo;
	uint8_t flags;		/* SHL_FIELD_* */
};

/*
 * shl_fields() - the named fields of @kind, in qword/bit order, covering
 * every bit of the structure exactly once (RES0 and IMPDEF ranges included).
 * @n: set to the number of entries. Returns a static table.
 */
const struct shl_field *shl_fields(enum shl_entry_kind kind, size_t *n);

/* shl_field_find() - look a field up by name (case-insensitive); NULL if none. */
const struct shl_field *shl_field_find(enum shl_entry_kind kind, const char *name);

/*
 * shl_field_value() / shl_field_store() - read or write a field the way the
 * CLI shows it: right-aligned, except address fields (SHL_FIELD_ADDR) whose
 * value is the byte address (the bits stay in place). shl_field_store()
 * returns 0, or -1 if @v does not fit (or an address has bits below lo).
 */
uint64_t shl_field_value(const struct shl_entry *e, const struct shl_field *f);
int shl_field_store(struct shl_entry *e, const struct shl_field *f, uint64_t v);

/* shl_kind_name() - "ste", "cd", "l1std", "l1cd". shl_kind_qwords(): 8 or 1. */
const char *shl_kind_name(enum shl_entry_kind kind);
unsigned int shl_kind_qwords(enum shl_entry_kind kind);

/*
 * shl_entry_parse_q() - parse the CLI's Q syntax: up to @nq hex qwords
 * separated by commas, qword 0 first, each with or without 0x; missing
 * qwords are 0. Returns 0, or -1 with a message in @err.
 */
int shl_entry_parse_q(const char *s, unsigned int nq, struct shl_entry *out,
		      char *err, size_t errlen);

/* shl_entry_format_q() - the inverse: "0x..,0x..", trailing zero qwords dropped. */
void shl_entry_format_q(const struct shl_entry *e, unsigned int nq, char *buf, size_t len);

/*
 * shl_entry_encode() - build an entry from "FIELD=VALUE" strings (decimal or
 * 0x hex; address fields take the byte address). Later assignments win.
 * Returns 0, or -1 with a message naming the bad argument in @err.
 */
int shl_entry_encode(enum shl_entry_kind kind, int argc, char *const *argv,
		     struct shl_entry *out, char *err, size_t errlen);

/*
 * shl_entry_to_json() - {"qwords": ["0x...", ...], "fields": {NAME: int}}.
 * Every spec field is listed; RES0/IMPDEF ranges only when non-zero, so
 * encoding the "fields" back gives the same entry. Caller owns the object.
 */
json_object *shl_entry_to_json(enum shl_entry_kind kind, const struct shl_entry *e);

/* shl_qwords_to_json() - ["0x%016llx", ...] for the first @nq qwords. */
json_object *shl_qwords_to_json(const struct shl_entry *e, unsigned int nq);

/*
 * shl_entry_print() - text decode: the qwords, then one "NAME=VALUE" line per
 * non-zero field (addresses in hex). The lines are valid `encode` arguments.
 */
void shl_entry_print(FILE *f, enum shl_entry_kind kind, const struct shl_entry *e);

#endif /* SMMU_HIL_ENTRY_H */
