/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Translation-regime checks shared by the STE stage-2 and CD stage-1 rules
 * (VMSAv8-64 granules, address sizes, TxSZ ranges, start levels; IHI 0070
 * 5.2 S2T0SZ/S2SL0/S2TTB, 5.4 T0SZ/TG0/TTB0). Private to harness/lib.
 */
#ifndef SMMU_HIL_LIB_VMSA_H
#define SMMU_HIL_LIB_VMSA_H

#include <stdbool.h>
#include <stdint.h>

#include "smmu_hil/profile.h"

/* An address with bits at or above @bits (a width 32..64). */
static inline bool shl_vmsa_beyond(uint64_t addr, unsigned int bits)
{
	return bits < 64 && (addr >> bits) != 0;
}

/*
 * Granule shift (12, 14, 16) of a TG0/S2TG encoding (00 4K, 01 64K, 10 16K),
 * or 0 for 0b11 (reserved) or a granule IDR5 does not list.
 */
unsigned int shl_vmsa_tg0_shift(const struct shl_profile *p, unsigned int tg);

/* The same for CD.TG1 (00 reserved, 01 16K, 10 4K, 11 64K). */
unsigned int shl_vmsa_tg1_shift(const struct shl_profile *p, unsigned int tg);

/* Effective output size of an S2PS/IPS encoding: min(PS, OAS) in bits. */
unsigned int shl_vmsa_eff_ps(const struct shl_profile *p, unsigned int ps);

/* S2T0SZ in range for a granule (5.2 S2T0SZ, v3.0 out-of-range modelled ILLEGAL). */
bool shl_vmsa_s2_t0sz_ok(const struct shl_profile *p, unsigned int gshift, bool ds,
			 unsigned int t0sz);

/* Stage-1 TxSZ in range (5.4 T0SZ/T1SZ). */
bool shl_vmsa_s1_tsz_ok(const struct shl_profile *p, unsigned int gshift, bool ds,
			unsigned int tsz);

/*
 * S2SL0 (with S2SL0_2) consistent with S2T0SZ and the granule: the start
 * level exists for the granule and resolves between 1 bit and a full table
 * (up to 16 concatenated tables below level 0), per the Arm ARM VTCR rules.
 */
bool shl_vmsa_s2_sl0_ok(unsigned int gshift, unsigned int sl0, unsigned int sl0_2, bool ds,
			unsigned int t0sz);

/*
 * The start level and S2SL0 encoding Linux's io-pgtable picks for an IPA
 * size (start one level lower with concatenated tables when level 0 would
 * hold at most 16 entries). Used by the corpus.
 */
unsigned int shl_vmsa_s2_sl0_for(unsigned int gshift, unsigned int ias);

/*
 * The bytes of the initial stage-2 table block (granule size times the
 * concatenated tables) of a walk starting at S2SL0 (with S2SL0_2) for
 * S2T0SZ (UINT64_MAX beyond 2^63); 0 when the start level is reserved or
 * resolves no bit.
 */
uint64_t shl_vmsa_s2_table_bytes(unsigned int gshift, unsigned int sl0, unsigned int sl0_2,
				 bool ds, unsigned int t0sz);

/* Endianness selection allowed by IDR0.TTENDIAN (10 LE only, 11 BE only). */
bool shl_vmsa_endi_ok(const struct shl_profile *p, bool big_endian);

#endif /* SMMU_HIL_LIB_VMSA_H */
