// SPDX-License-Identifier: GPL-2.0-only
/*
 * VMSAv8-64 translation-regime checks for the STE/CD legality rules
 * (IHI 0070 5.2 S2TG/S2PS/S2T0SZ/S2SL0/S2TTB, 5.4 TGx/IPS/TxSZ/TTBx).
 */
#include "vmsa.h"

static unsigned int gran(bool supported, unsigned int shift)
{
	return supported ? shift : 0;
}

unsigned int shl_vmsa_tg0_shift(const struct shl_profile *p, unsigned int tg)
{
	switch (tg) {
	case 0:
		return gran(p->idr.gran4k, 12);
	case 1:
		return gran(p->idr.gran64k, 16);
	case 2:
		return gran(p->idr.gran16k, 14);
	default:
		return 0;
	}
}

unsigned int shl_vmsa_tg1_shift(const struct shl_profile *p, unsigned int tg)
{
	switch (tg) {
	case 1:
		return gran(p->idr.gran16k, 14);
	case 2:
		return gran(p->idr.gran4k, 12);
	case 3:
		return gran(p->idr.gran64k, 16);
	default:
		return 0;
	}
}

unsigned int shl_vmsa_eff_ps(const struct shl_profile *p, unsigned int ps)
{
	unsigned int bits = shl_idr_oas_bits(ps & 7);

	return bits > p->oas_bits ? p->oas_bits : bits;
}

static unsigned int tsz_max(const struct shl_profile *p, unsigned int gshift)
{
	if (!p->stt)
		return 39;
	return gshift == 16 ? 47 : 48;
}

bool shl_vmsa_s2_t0sz_ok(const struct shl_profile *p, unsigned int gshift, bool ds,
			 unsigned int t0sz)
{
	unsigned int min = 64 - p->ias_bits;

	if (p->arch_minor >= 1) {
		unsigned int floor = gshift != 16 && !ds ? 16 : 12;

		if (min < floor)
			min = floor;
	}
	return t0sz >= min && t0sz <= tsz_max(p, gshift);
}

bool shl_vmsa_s1_tsz_ok(const struct shl_profile *p, unsigned int gshift, bool ds,
			unsigned int tsz)
{
	unsigned int min = p->idr.vax == 1 && (gshift == 16 || ds) ? 12 : 16;

	return tsz >= min && tsz <= tsz_max(p, gshift);
}

/* Start level of an S2SL0/S2SL0_2 encoding, or -2 when reserved. */
static int s2_start_level(unsigned int gshift, unsigned int sl0, unsigned int sl0_2, bool ds)
{
	static const int level4k[4] = { 2, 1, 0, -2 };
	static const int level16k[4] = { 3, 2, 1, 0 };
	static const int level64k[4] = { 3, 2, 1, -2 };

	if (gshift == 12) {
		if (sl0_2)
			return sl0 == 0 && ds ? -1 : -2;
		return level4k[sl0 & 3];
	}
	if (sl0_2)
		return -2;
	if (gshift == 14)
		return (sl0 & 3) == 3 && !ds ? -2 : level16k[sl0 & 3];
	return level64k[sl0 & 3];
}

bool shl_vmsa_s2_sl0_ok(unsigned int gshift, unsigned int sl0, unsigned int sl0_2, bool ds,
			unsigned int t0sz)
{
	int stride = (int)gshift - 3, start = s2_start_level(gshift, sl0, sl0_2, ds);
	int bits, max;

	if (start == -2 || t0sz > 64)
		return false;
	bits = (64 - (int)t0sz) - (int)gshift - stride * (3 - start);
	max = start <= 0 ? stride : stride + 4;	/* concatenation: up to 16 tables */
	return bits >= 1 && bits <= max;
}

uint64_t shl_vmsa_s2_table_bytes(unsigned int gshift, unsigned int sl0, unsigned int sl0_2,
				 bool ds, unsigned int t0sz)
{
	int stride = (int)gshift - 3, start = s2_start_level(gshift, sl0, sl0_2, ds), bits;

	if (start == -2 || t0sz > 64)
		return 0;
	bits = (64 - (int)t0sz) - (int)gshift - stride * (3 - start);
	if (bits < 1)
		return 0;
	/* a table holds 2^stride entries; more bits concatenate tables */
	bits = (int)gshift + (bits > stride ? bits - stride : 0);
	return bits > 63 ? UINT64_MAX : (uint64_t)1 << bits;
}

unsigned int shl_vmsa_s2_sl0_for(unsigned int gshift, unsigned int ias)
{
	int stride = (int)gshift - 3, va = (int)ias - (int)gshift;
	int levels = (va + stride - 1) / stride, start = 4 - levels;

	if (start == 0 && va - stride * 3 <= 4)
		start = 1;
	return (unsigned int)(gshift == 12 ? 2 - start : 3 - start);
}

bool shl_vmsa_endi_ok(const struct shl_profile *p, bool big_endian)
{
	if (p->idr.ttendian == 2)
		return !big_endian;
	if (p->idr.ttendian == 3)
		return big_endian;
	return true;
}
