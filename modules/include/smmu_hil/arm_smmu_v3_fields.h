/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * SMMUv3 in-memory structures, field by field, with the names of the
 * architecture specification (Arm IHI 0070): the STE (5.2), the CD (5.4),
 * the level-1 stream table descriptor L1STD (5.1) and the level-1 CD
 * descriptor L1CD (5.4.1). The one table of field positions of smmu-hil:
 * the kernel modules (modules/smmu_hil_strtab.h) and the oracle
 * (harness/oracle/entry.h, entry.c) both expand it; nothing else spells a
 * bit position of these structures.
 *
 * Each list is X(ID, "SpecName", QWORD, HI, LO, KIND), in qword/bit order,
 * covering every bit of the structure exactly once. HI and LO are bit
 * numbers within qword QWORD. KIND is FIELD, ADDR (an address: its value is
 * the bits in place), RES0 or IMPDEF (IMPLEMENTATION DEFINED or software
 * reserved). The *_VIEWS lists are positions that are not one spec field:
 * groups of fields and the narrower masks Linux uses (52-bit PA).
 *
 * A field position packs into an integer constant, SMMU_HIL_FPOS(Q, HI, LO),
 * that the accessors below take apart at compile time. Usable from kernel
 * and user space (no types, no includes).
 */
#ifndef SMMU_HIL_ARM_SMMU_V3_FIELDS_H
#define SMMU_HIL_ARM_SMMU_V3_FIELDS_H

/* A field position: qword, high bit, low bit. */
#define SMMU_HIL_FPOS(q, hi, lo)	(((q) << 12) | ((hi) << 6) | (lo))
#define SMMU_HIL_FPOS_Q(p)		((p) >> 12)
#define SMMU_HIL_FPOS_HI(p)		(((p) >> 6) & 63)
#define SMMU_HIL_FPOS_LO(p)		((p) & 63)
/* The field's bits within its qword. */
#define SMMU_HIL_FPOS_MASK(p) \
	((~0ULL >> (63 - SMMU_HIL_FPOS_HI(p))) & (~0ULL << SMMU_HIL_FPOS_LO(p)))

/* ------------------------------------------------------------ STE (5.2) */
#define SMMU_HIL_STE_FIELDS(X) \
	X(V, "V", 0, 0, 0, FIELD) \
	X(CONFIG, "Config", 0, 3, 1, FIELD) \
	X(S1FMT, "S1Fmt", 0, 5, 4, FIELD) \
	X(S1CONTEXTPTR, "S1ContextPtr", 0, 55, 6, ADDR) \
	X(RES0_58_56, "RES0[58:56]", 0, 58, 56, RES0) \
	X(S1CDMAX, "S1CDMax", 0, 63, 59, FIELD) \
	X(S1DSS, "S1DSS", 1, 1, 0, FIELD) \
	X(S1CIR, "S1CIR", 1, 3, 2, FIELD) \
	X(S1COR, "S1COR", 1, 5, 4, FIELD) \
	X(S1CSH, "S1CSH", 1, 7, 6, FIELD) \
	X(S2HWU59, "S2HWU59", 1, 8, 8, FIELD) \
	X(S2HWU60, "S2HWU60", 1, 9, 9, FIELD) \
	X(S2HWU61, "S2HWU61", 1, 10, 10, FIELD) \
	X(S2HWU62, "S2HWU62", 1, 11, 11, FIELD) \
	X(DRE, "DRE", 1, 12, 12, FIELD) \
	X(CONT, "CONT", 1, 16, 13, FIELD) \
	X(DCP, "DCP", 1, 17, 17, FIELD) \
	X(PPAR, "PPAR", 1, 18, 18, FIELD) \
	X(MEV, "MEV", 1, 19, 19, FIELD) \
	X(SW_RESERVED, "SW_RESERVED", 1, 23, 20, IMPDEF) \
	X(S1PIE, "S1PIE", 1, 24, 24, FIELD) \
	X(S2FWB, "S2FWB", 1, 25, 25, FIELD) \
	X(S1MPAM, "S1MPAM", 1, 26, 26, FIELD) \
	X(S1STALLD, "S1STALLD", 1, 27, 27, FIELD) \
	X(EATS, "EATS", 1, 29, 28, FIELD) \
	X(STRW, "STRW", 1, 31, 30, FIELD) \
	X(MEMATTR, "MemAttr", 1, 35, 32, FIELD) \
	X(MTCFG, "MTCFG", 1, 36, 36, FIELD) \
	X(ALLOCCFG, "ALLOCCFG", 1, 40, 37, FIELD) \
	X(RES0_107_105, "RES0[107:105]", 1, 43, 41, RES0) \
	X(SHCFG, "SHCFG", 1, 45, 44, FIELD) \
	X(NSCFG, "NSCFG", 1, 47, 46, FIELD) \
	X(PRIVCFG, "PRIVCFG", 1, 49, 48, FIELD) \
	X(INSTCFG, "INSTCFG", 1, 51, 50, FIELD) \
	X(IMPDEF1, "IMPDEF[127:116]", 1, 63, 52, IMPDEF) \
	X(S2VMID, "S2VMID", 2, 15, 0, FIELD) \
	X(IMPDEF2, "IMPDEF[159:144]", 2, 31, 16, IMPDEF) \
	X(S2T0SZ, "S2T0SZ", 2, 37, 32, FIELD) \
	X(S2SL0, "S2SL0", 2, 39, 38, FIELD) \
	X(S2IR0, "S2IR0", 2, 41, 40, FIELD) \
	X(S2OR0, "S2OR0", 2, 43, 42, FIELD) \
	X(S2SH0, "S2SH0", 2, 45, 44, FIELD) \
	X(S2TG, "S2TG", 2, 47, 46, FIELD) \
	X(S2PS, "S2PS", 2, 50, 48, FIELD) \
	X(S2AA64, "S2AA64", 2, 51, 51, FIELD) \
	X(S2ENDI, "S2ENDI", 2, 52, 52, FIELD) \
	X(S2AFFD, "S2AFFD", 2, 53, 53, FIELD) \
	X(S2PTW, "S2PTW", 2, 54, 54, FIELD) \
	X(S2HD, "S2HD", 2, 55, 55, FIELD) \
	X(S2HA, "S2HA", 2, 56, 56, FIELD) \
	X(S2S, "S2S", 2, 57, 57, FIELD) \
	X(S2R, "S2R", 2, 58, 58, FIELD) \
	X(S2HAFT, "S2HAFT", 2, 59, 59, FIELD) \
	X(S2PIE, "S2PIE", 2, 60, 60, FIELD) \
	X(S2POE, "S2POE", 2, 61, 61, FIELD) \
	X(DPT_VMATCH, "DPT_VMATCH", 2, 63, 62, FIELD) \
	X(S2NSW, "S2NSW", 3, 0, 0, FIELD) \
	X(S2NSA, "S2NSA", 3, 1, 1, FIELD) \
	X(S2SL0_2, "S2SL0_2", 3, 2, 2, FIELD) \
	X(S2DS, "S2DS", 3, 3, 3, FIELD) \
	X(S2TTB, "S2TTB", 3, 55, 4, ADDR) \
	X(RES0_252_248, "RES0[252:248]", 3, 60, 56, RES0) \
	X(S2SKL, "S2SKL", 3, 62, 61, FIELD) \
	X(RES0_255, "RES0[255]", 3, 63, 63, RES0) \
	X(IMPDEF4, "IMPDEF[271:256]", 4, 15, 0, IMPDEF) \
	X(PARTID, "PARTID", 4, 31, 16, FIELD) \
	X(S_S2T0SZ, "S_S2T0SZ", 4, 37, 32, FIELD) \
	X(S_S2SL0, "S_S2SL0", 4, 39, 38, FIELD) \
	X(RES0_301_296, "RES0[301:296]", 4, 45, 40, RES0) \
	X(S_S2TG, "S_S2TG", 4, 47, 46, FIELD) \
	X(MECID, "MECID", 4, 63, 48, FIELD) \
	X(PMG, "PMG", 5, 7, 0, FIELD) \
	X(MPAM_NS, "MPAM_NS", 5, 8, 8, FIELD) \
	X(ASSUREDONLY, "AssuredOnly", 5, 9, 9, FIELD) \
	X(TL0, "TL0", 5, 10, 10, FIELD) \
	X(TL1, "TL1", 5, 11, 11, FIELD) \
	X(VMSPTR, "VMSPtr", 5, 55, 12, ADDR) \
	X(RES0_383_376, "RES0[383:376]", 5, 63, 56, RES0) \
	X(S2SW, "S2SW", 6, 0, 0, FIELD) \
	X(S2SA, "S2SA", 6, 1, 1, FIELD) \
	X(S_S2SL0_2, "S_S2SL0_2", 6, 2, 2, FIELD) \
	X(RES0_387, "RES0[387]", 6, 3, 3, RES0) \
	X(S_S2TTB, "S_S2TTB", 6, 55, 4, ADDR) \
	X(RES0_444_440, "RES0[444:440]", 6, 60, 56, RES0) \
	X(S_S2SKL, "S_S2SKL", 6, 62, 61, FIELD) \
	X(RES0_447, "RES0[447]", 6, 63, 63, RES0) \
	X(S2POI0, "S2POI0", 7, 3, 0, FIELD) \
	X(S2POI1, "S2POI1", 7, 7, 4, FIELD) \
	X(S2POI2, "S2POI2", 7, 11, 8, FIELD) \
	X(S2POI3, "S2POI3", 7, 15, 12, FIELD) \
	X(S2POI4, "S2POI4", 7, 19, 16, FIELD) \
	X(S2POI5, "S2POI5", 7, 23, 20, FIELD) \
	X(S2POI6, "S2POI6", 7, 27, 24, FIELD) \
	X(S2POI7, "S2POI7", 7, 31, 28, FIELD) \
	X(S2POI8, "S2POI8", 7, 35, 32, FIELD) \
	X(S2POI9, "S2POI9", 7, 39, 36, FIELD) \
	X(S2POI10, "S2POI10", 7, 43, 40, FIELD) \
	X(S2POI11, "S2POI11", 7, 47, 44, FIELD) \
	X(S2POI12, "S2POI12", 7, 51, 48, FIELD) \
	X(S2POI13, "S2POI13", 7, 55, 52, FIELD) \
	X(S2POI14, "S2POI14", 7, 59, 56, FIELD) \
	X(S2POI15, "S2POI15", 7, 63, 60, FIELD)

#define SMMU_HIL_STE_VIEWS(X) \
	X(S2HWU, "S2HWU59..62", 1, 11, 8, FIELD) \
	X(S2VMID_HI, "S2VMID[15:8]", 2, 15, 8, FIELD) \
	X(VTCR, "VTCR", 2, 50, 32, FIELD) \
	X(S2POI, "S2POI0..15", 7, 63, 0, FIELD) \
	X(S1CONTEXTPTR_LINUX, "S1ContextPtr[51:6]", 0, 51, 6, ADDR) \
	X(S2TTB_LINUX, "S2TTB[51:4]", 3, 51, 4, ADDR)

/* ------------------------------------------------------------- CD (5.4) */
#define SMMU_HIL_CD_FIELDS(X) \
	X(T0SZ, "T0SZ", 0, 5, 0, FIELD) \
	X(TG0, "TG0", 0, 7, 6, FIELD) \
	X(IR0, "IR0", 0, 9, 8, FIELD) \
	X(OR0, "OR0", 0, 11, 10, FIELD) \
	X(SH0, "SH0", 0, 13, 12, FIELD) \
	X(EPD0, "EPD0", 0, 14, 14, FIELD) \
	X(ENDI, "ENDI", 0, 15, 15, FIELD) \
	X(T1SZ, "T1SZ", 0, 21, 16, FIELD) \
	X(TG1, "TG1", 0, 23, 22, FIELD) \
	X(IR1, "IR1", 0, 25, 24, FIELD) \
	X(OR1, "OR1", 0, 27, 26, FIELD) \
	X(SH1, "SH1", 0, 29, 28, FIELD) \
	X(EPD1, "EPD1", 0, 30, 30, FIELD) \
	X(V, "V", 0, 31, 31, FIELD) \
	X(IPS, "IPS", 0, 34, 32, FIELD) \
	X(AFFD, "AFFD", 0, 35, 35, FIELD) \
	X(WXN, "WXN", 0, 36, 36, FIELD) \
	X(UWXN, "UWXN", 0, 37, 37, FIELD) \
	X(TBI0, "TBI0", 0, 38, 38, FIELD) \
	X(TBI1, "TBI1", 0, 39, 39, FIELD) \
	X(PAN, "PAN", 0, 40, 40, FIELD) \
	X(AA64, "AA64", 0, 41, 41, FIELD) \
	X(HD, "HD", 0, 42, 42, FIELD) \
	X(HA, "HA", 0, 43, 43, FIELD) \
	X(S, "S", 0, 44, 44, FIELD) \
	X(R, "R", 0, 45, 45, FIELD) \
	X(A, "A", 0, 46, 46, FIELD) \
	X(ASET, "ASET", 0, 47, 47, FIELD) \
	X(ASID, "ASID", 0, 63, 48, FIELD) \
	X(NSCFG0, "NSCFG0", 1, 0, 0, FIELD) \
	X(HAD0, "HAD0", 1, 1, 1, FIELD) \
	X(E0PD0, "E0PD0", 1, 2, 2, FIELD) \
	X(HAFT, "HAFT", 1, 3, 3, FIELD) \
	X(TTB0, "TTB0", 1, 55, 4, ADDR) \
	X(RES0_121_120, "RES0[121:120]", 1, 57, 56, RES0) \
	X(PNCH, "PnCH", 1, 58, 58, FIELD) \
	X(EPAN, "EPAN", 1, 59, 59, FIELD) \
	X(HWU059, "HWU059", 1, 60, 60, FIELD) \
	X(HWU060, "HWU060", 1, 61, 61, FIELD) \
	X(HWU061, "HWU061", 1, 62, 62, FIELD) \
	X(HWU062, "HWU062", 1, 63, 63, FIELD) \
	X(NSCFG1, "NSCFG1", 2, 0, 0, FIELD) \
	X(HAD1, "HAD1", 2, 1, 1, FIELD) \
	X(E0PD1, "E0PD1", 2, 2, 2, FIELD) \
	X(AIE, "AIE", 2, 3, 3, FIELD) \
	X(TTB1, "TTB1", 2, 55, 4, ADDR) \
	X(RES0_185_184, "RES0[185:184]", 2, 57, 56, RES0) \
	X(DS, "DS", 2, 58, 58, FIELD) \
	X(PIE, "PIE", 2, 59, 59, FIELD) \
	X(HWU159, "HWU159", 2, 60, 60, FIELD) \
	X(HWU160, "HWU160", 2, 61, 61, FIELD) \
	X(HWU161, "HWU161", 2, 62, 62, FIELD) \
	X(HWU162, "HWU162", 2, 63, 63, FIELD) \
	X(MAIR0, "MAIR0", 3, 31, 0, FIELD) \
	X(MAIR1, "MAIR1", 3, 63, 32, FIELD) \
	X(AMAIR0, "AMAIR0", 4, 31, 0, FIELD) \
	X(AMAIR1, "AMAIR1", 4, 63, 32, FIELD) \
	X(IMPDEF5, "IMPDEF[351:320]", 5, 31, 0, IMPDEF) \
	X(PARTID, "PARTID", 5, 47, 32, FIELD) \
	X(PMG, "PMG", 5, 55, 48, FIELD) \
	X(RES0_383_376, "RES0[383:376]", 5, 63, 56, RES0) \
	X(PIIU0, "PIIU0", 6, 2, 0, FIELD) \
	X(PIIU1, "PIIU1", 6, 5, 3, FIELD) \
	X(PIIU2, "PIIU2", 6, 8, 6, FIELD) \
	X(PIIU3, "PIIU3", 6, 11, 9, FIELD) \
	X(PIIU4, "PIIU4", 6, 14, 12, FIELD) \
	X(PIIU5, "PIIU5", 6, 17, 15, FIELD) \
	X(PIIU6, "PIIU6", 6, 20, 18, FIELD) \
	X(PIIU7, "PIIU7", 6, 23, 21, FIELD) \
	X(PIIU8, "PIIU8", 6, 26, 24, FIELD) \
	X(PIIU9, "PIIU9", 6, 29, 27, FIELD) \
	X(PIIU10, "PIIU10", 6, 32, 30, FIELD) \
	X(PIIU11, "PIIU11", 6, 35, 33, FIELD) \
	X(PIIU12, "PIIU12", 6, 38, 36, FIELD) \
	X(PIIU13, "PIIU13", 6, 41, 39, FIELD) \
	X(PIIU14, "PIIU14", 6, 44, 42, FIELD) \
	X(PIIU15, "PIIU15", 6, 47, 45, FIELD) \
	X(RES0_447_432, "RES0[447:432]", 6, 63, 48, RES0) \
	X(PIIP0, "PIIP0", 7, 2, 0, FIELD) \
	X(PIIP1, "PIIP1", 7, 5, 3, FIELD) \
	X(PIIP2, "PIIP2", 7, 8, 6, FIELD) \
	X(PIIP3, "PIIP3", 7, 11, 9, FIELD) \
	X(PIIP4, "PIIP4", 7, 14, 12, FIELD) \
	X(PIIP5, "PIIP5", 7, 17, 15, FIELD) \
	X(PIIP6, "PIIP6", 7, 20, 18, FIELD) \
	X(PIIP7, "PIIP7", 7, 23, 21, FIELD) \
	X(PIIP8, "PIIP8", 7, 26, 24, FIELD) \
	X(PIIP9, "PIIP9", 7, 29, 27, FIELD) \
	X(PIIP10, "PIIP10", 7, 32, 30, FIELD) \
	X(PIIP11, "PIIP11", 7, 35, 33, FIELD) \
	X(PIIP12, "PIIP12", 7, 38, 36, FIELD) \
	X(PIIP13, "PIIP13", 7, 41, 39, FIELD) \
	X(PIIP14, "PIIP14", 7, 44, 42, FIELD) \
	X(PIIP15, "PIIP15", 7, 47, 45, FIELD) \
	X(RES0_511_496, "RES0[511:496]", 7, 63, 48, RES0)

#define SMMU_HIL_CD_VIEWS(X) \
	X(ASID_HI, "ASID[15:8]", 0, 63, 56, FIELD) \
	X(HWU0, "HWU059..062", 1, 63, 60, FIELD) \
	X(HWU1, "HWU159..162", 2, 63, 60, FIELD) \
	X(PIIU, "PIIU0..15", 6, 47, 0, FIELD) \
	X(PIIP, "PIIP0..15", 7, 47, 0, FIELD) \
	X(TTB0_LINUX, "TTB0[51:4]", 1, 51, 4, ADDR)

/* ----------------------------------------------- L1STD (5.1), L1CD (5.4.1) */
#define SMMU_HIL_L1STD_FIELDS(X) \
	X(SPAN, "Span", 0, 4, 0, FIELD) \
	X(RES0_5, "RES0[5]", 0, 5, 5, RES0) \
	X(L2PTR, "L2Ptr", 0, 55, 6, ADDR) \
	X(RES0_63_56, "RES0[63:56]", 0, 63, 56, RES0)

#define SMMU_HIL_L1CD_FIELDS(X) \
	X(V, "V", 0, 0, 0, FIELD) \
	X(RES0_11_1, "RES0[11:1]", 0, 11, 1, RES0) \
	X(L2PTR, "L2Ptr", 0, 55, 12, ADDR) \
	X(RES0_63_56, "RES0[63:56]", 0, 63, 56, RES0)

/* Enumerators SMMU_HIL_STE_<ID>, SMMU_HIL_CD_<ID>, ...: packed positions */
#define SMMU_HIL_X_STE_(id, name, q, hi, lo, kind) SMMU_HIL_STE_##id = SMMU_HIL_FPOS(q, hi, lo),
#define SMMU_HIL_X_CD_(id, name, q, hi, lo, kind) SMMU_HIL_CD_##id = SMMU_HIL_FPOS(q, hi, lo),
#define SMMU_HIL_X_L1STD_(id, name, q, hi, lo, kind) SMMU_HIL_L1STD_##id = SMMU_HIL_FPOS(q, hi, lo),
#define SMMU_HIL_X_L1CD_(id, name, q, hi, lo, kind) SMMU_HIL_L1CD_##id = SMMU_HIL_FPOS(q, hi, lo),

enum smmu_hil_ste_field {
	SMMU_HIL_STE_FIELDS(SMMU_HIL_X_STE_)
	SMMU_HIL_STE_VIEWS(SMMU_HIL_X_STE_)
};

enum smmu_hil_cd_field {
	SMMU_HIL_CD_FIELDS(SMMU_HIL_X_CD_)
	SMMU_HIL_CD_VIEWS(SMMU_HIL_X_CD_)
};

enum smmu_hil_l1_field {
	SMMU_HIL_L1STD_FIELDS(SMMU_HIL_X_L1STD_)
	SMMU_HIL_L1CD_FIELDS(SMMU_HIL_X_L1CD_)
};

#endif /* SMMU_HIL_ARM_SMMU_V3_FIELDS_H */
