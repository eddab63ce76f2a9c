/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * SMMUv3 in-memory configuration structures as 64-bit little-endian qwords:
 * the STE (Arm IHI 0070 5.2), the CD (5.4), the level-1 stream table
 * descriptor L1STD (5.1) and the level-1 CD descriptor L1CD (5.4.1).
 *
 * Every field position lives in exactly one place: the SHL_STE_* / SHL_CD_*
 * triples below, "qword, hi, lo" with hi/lo relative to that qword. The
 * accessors SHL_GET/SHL_SET/SHL_MASK take such a triple; the name tables in
 * entry.c are built from the same triples.
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
#define SHL_GENMASK(h, l) ((~0ULL >> (63 - (h))) & (~0ULL << (l)))
#define SHL_FQ_(q, h, l) (q)
#define SHL_FM_(q, h, l) SHL_GENMASK(h, l)
#define SHL_FL_(q, h, l) (l)
#define SHL_X_(m, ...) m(__VA_ARGS__)
/* qword index, in-qword mask and low bit of a field triple */
#define SHL_QW(...) SHL_X_(SHL_FQ_, __VA_ARGS__)
#define SHL_MASK(...) SHL_X_(SHL_FM_, __VA_ARGS__)
#define SHL_LO(...) SHL_X_(SHL_FL_, __VA_ARGS__)
/* field value (right-aligned) of entry pointer @e */
#define SHL_GET(e, f) (((e)->q[SHL_QW(f)] & SHL_MASK(f)) >> SHL_LO(f))
/* replace a field of entry pointer @e with @v (truncated to the field) */
#define SHL_SET(e, f, v) \
	((e)->q[SHL_QW(f)] = ((e)->q[SHL_QW(f)] & ~SHL_MASK(f)) | \
			     (((uint64_t)(v) << SHL_LO(f)) & SHL_MASK(f)))
/* set every bit of a field in a mask entry */
#define SHL_MARK(m, f) ((m)->q[SHL_QW(f)] |= SHL_MASK(f))

/* ---------------------------------------------------------------- STE */
#define SHL_STE_V		0, 0, 0
#define SHL_STE_CONFIG		0, 3, 1
#define SHL_STE_S1FMT		0, 5, 4
#define SHL_STE_S1CONTEXTPTR	0, 55, 6
#define SHL_STE_S1CDMAX		0, 63, 59
#define SHL_STE_S1DSS		1, 1, 0
#define SHL_STE_S1CIR		1, 3, 2
#define SHL_STE_S1COR		1, 5, 4
#define SHL_STE_S1CSH		1, 7, 6
#define SHL_STE_S2HWU		1, 11, 8	/* S2HWU59..62 */
#define SHL_STE_DRE		1, 12, 12
#define SHL_STE_CONT		1, 16, 13
#define SHL_STE_DCP		1, 17, 17
#define SHL_STE_PPAR		1, 18, 18
#define SHL_STE_MEV		1, 19, 19
#define SHL_STE_SW_RESERVED	1, 23, 20
#define SHL_STE_S1PIE		1, 24, 24
#define SHL_STE_S2FWB		1, 25, 25
#define SHL_STE_S1MPAM		1, 26, 26
#define SHL_STE_S1STALLD	1, 27, 27
#define SHL_STE_EATS		1, 29, 28
#define SHL_STE_STRW		1, 31, 30
#define SHL_STE_MEMATTR		1, 35, 32
#define SHL_STE_MTCFG		1, 36, 36
#define SHL_STE_ALLOCCFG	1, 40, 37
#define SHL_STE_SHCFG		1, 45, 44
#define SHL_STE_NSCFG		1, 47, 46
#define SHL_STE_PRIVCFG		1, 49, 48
#define SHL_STE_INSTCFG		1, 51, 50
#define SHL_STE_IMPDEF1		1, 63, 52
#define SHL_STE_S2VMID		2, 15, 0
#define SHL_STE_S2VMID_HI	2, 15, 8
#define SHL_STE_IMPDEF2		2, 31, 16
#define SHL_STE_VTCR		2, 50, 32	/* Linux's VTCR window */
#define SHL_STE_S2T0SZ		2, 37, 32
#define SHL_STE_S2SL0		2, 39, 38
#define SHL_STE_S2IR0		2, 41, 40
#define SHL_STE_S2OR0		2, 43, 42
#define SHL_STE_S2SH0		2, 45, 44
#define SHL_STE_S2TG		2, 47, 46
#define SHL_STE_S2PS		2, 50, 48
#define SHL_STE_S2AA64		2, 51, 51
#define SHL_STE_S2ENDI		2, 52, 52
#define SHL_STE_S2AFFD		2, 53, 53
#define SHL_STE_S2PTW		2, 54, 54
#define SHL_STE_S2HD		2, 55, 55
#define SHL_STE_S2HA		2, 56, 56
#define SHL_STE_S2S		2, 57, 57
#define SHL_STE_S2R		2, 58, 58
#define SHL_STE_S2HAFT		2, 59, 59
#define SHL_STE_S2PIE		2, 60, 60
#define SHL_STE_S2POE		2, 61, 61
#define SHL_STE_DPT_VMATCH	2, 63, 62
#define SHL_STE_S2NSW		3, 0, 0
#define SHL_STE_S2NSA		3, 1, 1
#define SHL_STE_S2SL0_2		3, 2, 2
#define SHL_STE_S2DS		3, 3, 3
#define SHL_STE_S2TTB		3, 55, 4
#define SHL_STE_S2SKL		3, 62, 61
#define SHL_STE_IMPDEF4		4, 15, 0
#define SHL_STE_PARTID		4, 31, 16
#define SHL_STE_S_S2T0SZ	4, 37, 32
#define SHL_STE_S_S2SL0		4, 39, 38
#define SHL_STE_S_S2TG		4, 47, 46
#define SHL_STE_MECID		4, 63, 48
#define SHL_STE_PMG		5, 7, 0
#define SHL_STE_MPAM_NS		5, 8, 8
#define SHL_STE_ASSUREDONLY	5, 9, 9
#define SHL_STE_TL0		5, 10, 10
#define SHL_STE_TL1		5, 11, 11
#define SHL_STE_VMSPTR		5, 55, 12
#define SHL_STE_S2SW		6, 0, 0
#define SHL_STE_S2SA		6, 1, 1
#define SHL_STE_S_S2SL0_2	6, 2, 2
#define SHL_STE_S_S2TTB		6, 55, 4
#define SHL_STE_S_S2SKL		6, 62, 61
#define SHL_STE_S2POI		7, 63, 0	/* S2POI<p> = q7[4p+3:4p] */

/* Linux's narrower pointer masks (52-bit PA), facts §1 and §8.1 */
#define SHL_STE_S1CONTEXTPTR_LINUX	0, 51, 6
#define SHL_STE_S2TTB_LINUX		3, 51, 4

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
#define SHL_CD_T0SZ		0, 5, 0
#define SHL_CD_TG0		0, 7, 6
#define SHL_CD_IR0		0, 9, 8
#define SHL_CD_OR0		0, 11, 10
#define SHL_CD_SH0		0, 13, 12
#define SHL_CD_EPD0		0, 14, 14
#define SHL_CD_ENDI		0, 15, 15
#define SHL_CD_T1SZ		0, 21, 16
#define SHL_CD_TG1		0, 23, 22
#define SHL_CD_IR1		0, 25, 24
#define SHL_CD_OR1		0, 27, 26
#define SHL_CD_SH1		0, 29, 28
#define SHL_CD_EPD1		0, 30, 30
#define SHL_CD_V		0, 31, 31
#define SHL_CD_IPS		0, 34, 32
#define SHL_CD_AFFD		0, 35, 35
#define SHL_CD_WXN		0, 36, 36
#define SHL_CD_UWXN		0, 37, 37
#define SHL_CD_TBI0		0, 38, 38
#define SHL_CD_TBI1		0, 39, 39
#define SHL_CD_PAN		0, 40, 40
#define SHL_CD_AA64		0, 41, 41
#define SHL_CD_HD		0, 42, 42
#define SHL_CD_HA		0, 43, 43
#define SHL_CD_S		0, 44, 44
#define SHL_CD_R		0, 45, 45
#define SHL_CD_A		0, 46, 46
#define SHL_CD_ASET		0, 47, 47
#define SHL_CD_ASID		0, 63, 48
#define SHL_CD_ASID_HI		0, 63, 56
#define SHL_CD_NSCFG0		1, 0, 0
#define SHL_CD_HAD0		1, 1, 1
#define SHL_CD_E0PD0		1, 2, 2
#define SHL_CD_HAFT		1, 3, 3
#define SHL_CD_TTB0		1, 55, 4
#define SHL_CD_PNCH		1, 58, 58
#define SHL_CD_EPAN		1, 59, 59
#define SHL_CD_HWU0		1, 63, 60	/* HWU059..062 */
#define SHL_CD_NSCFG1		2, 0, 0
#define SHL_CD_HAD1		2, 1, 1
#define SHL_CD_E0PD1		2, 2, 2
#define SHL_CD_AIE		2, 3, 3
#define SHL_CD_TTB1		2, 55, 4
#define SHL_CD_DS		2, 58, 58
#define SHL_CD_PIE		2, 59, 59
#define SHL_CD_HWU1		2, 63, 60	/* HWU159..162 */
#define SHL_CD_MAIR0		3, 31, 0
#define SHL_CD_MAIR1		3, 63, 32
#define SHL_CD_AMAIR0		4, 31, 0
#define SHL_CD_AMAIR1		4, 63, 32
#define SHL_CD_IMPDEF5		5, 31, 0
#define SHL_CD_PARTID		5, 47, 32
#define SHL_CD_PMG		5, 55, 48
#define SHL_CD_PIIU		6, 47, 0	/* PIIU<p> = q6[3p+2:3p] */
#define SHL_CD_PIIP		7, 47, 0	/* PIIP<p> = q7[3p+2:3p] */

#define SHL_CD_TTB0_LINUX	1, 51, 4

/* ------------------------------------------------------ L1 descriptors */
#define SHL_L1STD_SPAN		0, 4, 0
#define SHL_L1STD_L2PTR		0, 55, 6
#define SHL_L1CD_V		0, 0, 0
#define SHL_L1CD_L2PTR		0, 55, 12

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
