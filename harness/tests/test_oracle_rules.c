// SPDX-License-Identifier: GPL-2.0-only
/*
 * Oracle unit tests: one case per C_BAD_STE / C_BAD_CD rule (each starts from
 * a legal entry and breaks exactly one condition), the Linux and spec used
 * bits, the update-safe bits and the classification of observations.
 */
#include "oracle_helpers.h"

#define IDR0_S1P	(1u << 1)
#define IDR0_TTF(x)	((uint32_t)(x) << 2)
#define IDR0_HTTU(x)	((uint32_t)(x) << 6)
#define IDR0_HYP	(1u << 9)
#define IDR0_ASID16	(1u << 12)
#define IDR0_VMID16	(1u << 18)
#define IDR0_CD2L	(1u << 19)
#define IDR0_TTENDIAN(x) ((uint32_t)(x) << 21)
#define IDR0_STALL(x)	((uint32_t)(x) << 24)
#define IDR3_DPT	(1u << 15)

struct rule_case {
	const char *name;
	const char *profile;
	uint32_t clear, set, idr3;
	int aidr;
	const char *base, *more;
	enum shl_rule want;
};

static const struct rule_case ste_cases[] = {
	{ "v0", "full", 0, 0, 0, -1, STE_S1, "V=0", SHL_RULE_STE_V0 },
	{ "abort garbage", "full", 0, 0, 0, -1, STE_S2, "Config=1 S2TG=3", SHL_RULE_NONE },
	{ "s1 not impl", "full", IDR0_S1P, 0, 0, -1, STE_S1, NULL, SHL_RULE_STE_S1_NOT_IMPL },
	{ "s2 not impl", "qemu-7.2", 0, 0, 0, -1, STE_S2, "S2PS=4", SHL_RULE_STE_S2_NOT_IMPL },
	{ "s1chk on s2", "full", 0, 0, 0, -1, STE_S2, "EATS=2", SHL_RULE_STE_EATS_S1CHK },
	{ "s1chk nested ok", "full", 0, 0, 0, -1, STE_NESTED, "EATS=2", SHL_RULE_NONE },
	{ "s1chk nested s2s", "full", 0, 0, 0, -1, STE_NESTED, "EATS=2 S2S=1",
	  SHL_RULE_STE_EATS_S1CHK },
	{ "trans s2s", "full", 0, 0, 0, -1, STE_S2, "EATS=1 S2S=1", SHL_RULE_STE_EATS_TRANS_S2S },
	{ "trans s2s s1 v3.1", "full", 0, 0, 0, -1, STE_S1, "EATS=1 S2S=1", SHL_RULE_NONE },
	{ "trans s2s s1 v3.0", "full", 0, 0, 0, 0, STE_S1, "EATS=1 S2S=1",
	  SHL_RULE_STE_EATS_TRANS_S2S },
	{ "eats no ats", "qemu-7.2", 0, 0, 0, -1, STE_S1, "EATS=2 S1CDMax=3", SHL_RULE_NONE },
	{ "dpt strw", "full", 0, 0, IDR3_DPT, -1, STE_S1, "EATS=3 STRW=2",
	  SHL_RULE_STE_EATS_DPT_STRW },
	{ "dpt s2s", "full", 0, 0, IDR3_DPT, -1, STE_S2, "EATS=3 S2S=1", SHL_RULE_STE_EATS_DPT_S2S },
	{ "eats 3 no dpt", "full", 0, 0, 0, -1, STE_S2, "EATS=3 S2S=1", SHL_RULE_NONE },
	{ "strw reserved", "full", 0, 0, 0, -1, STE_S1, "STRW=1", SHL_RULE_STE_STRW_RESERVED },
	{ "strw ignored without hyp", "full", IDR0_HYP, 0, 0, -1, STE_S1, "STRW=3", SHL_RULE_NONE },
	{ "strw ignored nested", "full", 0, 0, 0, -1, STE_NESTED, "STRW=3", SHL_RULE_NONE },
	{ "s1stalld", "qemu-7.2", 0, 0, 0, -1, STE_S1, "S1STALLD=1", SHL_RULE_STE_S1STALLD },
	{ "s1cdmax", "full", 0, 0, 0, -1, STE_S1, "S1CDMax=21", SHL_RULE_STE_S1CDMAX },
	{ "s1cdmax ignored", "qemu-7.2", 0, 0, 0, -1, STE_S1, "S1CDMax=21 S1Fmt=2", SHL_RULE_NONE },
	{ "s1fmt cd2l", "full", IDR0_CD2L, 0, 0, -1, STE_S1, "S1CDMax=8 S1Fmt=2",
	  SHL_RULE_STE_S1FMT_CD2L },
	{ "s1fmt no substreams", "full", IDR0_CD2L, 0, 0, -1, STE_S1, "S1Fmt=2", SHL_RULE_NONE },
	{ "s1contextptr oas", "full", 0, 0, 0, -1, STE_S1, "S1ContextPtr=0x1000000000000",
	  SHL_RULE_STE_S1CONTEXTPTR },
	{ "s1contextptr qemu", "qemu-7.2", 0, 0, 0, -1, STE_S1, "S1ContextPtr=0x100000000000",
	  SHL_RULE_STE_S1CONTEXTPTR },
	{ "s2fwb aa32", "full", 0, IDR0_TTF(3), 0, -1, STE_S2, "S2AA64=0 S2FWB=1",
	  SHL_RULE_STE_S2FWB_AA32 },
	{ "s2s no stall", "full", 0, IDR0_STALL(1), 0, -1, STE_S2, "S2S=1",
	  SHL_RULE_STE_S2S_NO_STALL },
	{ "s2s forced", "full", 0, IDR0_STALL(2), 0, -1, STE_S2, NULL, SHL_RULE_STE_S2S_FORCED },
	{ "s2 aa32", "full", 0, 0, 0, -1, STE_S2, "S2AA64=0", SHL_RULE_STE_S2AA32 },
	{ "s2 aa64", "full", IDR0_TTF(3), IDR0_TTF(1), 0, -1, STE_S2, NULL, SHL_RULE_STE_S2AA64 },
	{ "s2ha", "full", 0, 0, 0, -1, STE_S2, "S2HA=1", SHL_RULE_STE_S2HTTU },
	{ "s2hd af only", "full", 0, IDR0_HTTU(1), 0, -1, STE_S2, "S2HA=1 S2HD=1",
	  SHL_RULE_STE_S2HTTU },
	{ "s2ha af ok", "full", 0, IDR0_HTTU(1), 0, -1, STE_S2, "S2HA=1", SHL_RULE_NONE },
	{ "s2haft", "full", 0, IDR0_HTTU(3), 0, -1, STE_S2, "S2HAFT=1", SHL_RULE_STE_S2HAFT },
	{ "s2tg reserved", "full", 0, 0, 0, -1, STE_S2, "S2TG=3", SHL_RULE_STE_S2TG },
	{ "s2ttb", "full", 0, 0, 0, -1, STE_S2, "S2TTB=0x1000000000000", SHL_RULE_STE_S2TTB },
	{ "s2ttb ps", "full", 0, 0, 0, -1, STE_S2, "S2PS=2 S2T0SZ=24 S2SL0=1 S2TTB=0x10000000000",
	  SHL_RULE_STE_S2TTB },
	{ "s2t0sz max", "full", 0, 0, 0, -1, STE_S2, "S2T0SZ=40 S2SL0=0", SHL_RULE_STE_S2T0SZ },
	{ "s2t0sz min", "full", 0, 0, 0, -1, STE_S2, "S2T0SZ=15", SHL_RULE_STE_S2T0SZ },
	{ "s2sl0", "full", 0, 0, 0, -1, STE_S2, "S2SL0=1", SHL_RULE_STE_S2SL0 },
	{ "s2sl0 concat ok", "full", 0, 0, 0, -1, STE_S2, "S2T0SZ=24 S2SL0=1", SHL_RULE_NONE },
	{ "s2sl0 64k ok", "full", 0, 0, 0, -1, STE_S2, "S2TG=1 S2SL0=2", SHL_RULE_NONE },
	{ "s2endi", "full", 0, IDR0_TTENDIAN(2), 0, -1, STE_S2, "S2ENDI=1", SHL_RULE_STE_S2ENDI },
	{ "s2pie aa32", "full", 0, IDR0_TTF(3), 0, -1, STE_S2, "S2AA64=0 S2PIE=1",
	  SHL_RULE_STE_S2PIE_AA32 },
	{ "s2poe no pie", "full", 0, 0, 0, -1, STE_S2, "S2POE=1", SHL_RULE_STE_S2POE_NO_PIE },
	{ "s2poe hwu", "full", 0, 0, 0, -1, STE_S2, "S2PIE=1 S2POE=1 S2HWU59=1",
	  SHL_RULE_STE_S2POE_HWU },
	{ "s2poi", "full", 0, 0, 0, -1, STE_S2, "S2PIE=1 S2POE=1 S2POI3=5", SHL_RULE_STE_S2POI },
	{ "s2vmid16", "full", IDR0_VMID16, 0, 0, -1, STE_S2, "S2VMID=0x100",
	  SHL_RULE_STE_S2VMID16 },
	{ "s2vmid16 el2", "full", IDR0_VMID16, 0, 0, -1, STE_S1, "STRW=2 S2VMID=0x100",
	  SHL_RULE_NONE },
	{ "vmsptr", "full", 0, 0, 0, -1, STE_NESTED, "S1MPAM=1 VMSPtr=0x1000000000000",
	  SHL_RULE_STE_VMSPTR },
	/* legality-conformance's stage-2 boundaries (docs/conformance.md) */
	{ "s2t0sz min is 64 - IAS, not S2PS", "full", 0, 0, 0, -1, STE_S2,
	  "S2PS=0 S2T0SZ=16 S2SL0=2", SHL_RULE_NONE },
	{ "s2t0sz 39 level 2", "full", 0, 0, 0, -1, STE_S2, "S2T0SZ=39 S2SL0=0", SHL_RULE_NONE },
	{ "s2sl0 level 0 above the ipa", "full", 0, 0, 0, -1, STE_S2, "S2T0SZ=39 S2SL0=2",
	  SHL_RULE_STE_S2SL0 },
	{ "s2sl0 16k level 2 16 tables", "full", 0, 0, 0, -1, STE_S2, "S2TG=2 S2T0SZ=24 S2SL0=1",
	  SHL_RULE_NONE },
	{ "s2sl0 16k level 3 too many", "full", 0, 0, 0, -1, STE_S2, "S2TG=2 S2T0SZ=24 S2SL0=0",
	  SHL_RULE_STE_S2SL0 },
	{ "s2ps above oas capped", "full", 0, 0, 0, -1, STE_S2, "S2PS=7", SHL_RULE_NONE },
	{ "s2ttb within s2ps 32", "full", 0, 0, 0, -1, STE_S2, "S2PS=0 S2T0SZ=32 S2SL0=1",
	  SHL_RULE_NONE },
	{ "s2ttb beyond s2ps 32", "full", 0, 0, 0, -1, STE_S2,
	  "S2PS=0 S2T0SZ=32 S2SL0=1 S2TTB=0x100000000", SHL_RULE_STE_S2TTB },
	{ "s1cdmax 6 within ssidsize 20", "full", 0, 0, 0, -1, STE_S1, "S1CDMax=6", SHL_RULE_NONE },
};

static void expect_rule(const char *name, enum shl_rule got, enum shl_rule want)
{
	if (got != want)
		fail_msg("%s: got %s, want %s", name, shl_rule_name(got), shl_rule_name(want));
}

static void test_ste_rules(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(ste_cases) / sizeof(ste_cases[0]); i++) {
		const struct rule_case *c = &ste_cases[i];
		struct shl_profile p;
		struct shl_entry e = enc(SHL_KIND_STE, c->base, c->more);
		struct shl_entry base = enc(SHL_KIND_STE, c->base, NULL);
		struct shl_profile full;

		prof(&p, c->profile, c->clear, c->set, c->idr3, c->aidr);
		expect_rule(c->name, shl_ste_bad(&p, &e), c->want);
		/* Every case breaks a legal "full" entry, so the change is what counts. */
		shl_profile_builtin("full", &full);
		assert_int_equal(shl_ste_bad(&full, &base), SHL_RULE_NONE);
	}
}

static void test_ste_res0_option(void **state)
{
	struct shl_profile p;
	struct shl_entry e = enc(SHL_KIND_STE, STE_S1, "RES0[58:56]=1");

	(void)state;
	assert_int_equal(shl_profile_builtin("full", &p), 0);
	assert_int_equal(shl_ste_bad(&p, &e), SHL_RULE_NONE);
	p.res0_illegal = true;
	assert_int_equal(shl_ste_bad(&p, &e), SHL_RULE_STE_RES0);
	e = enc(SHL_KIND_CD, CD_S1, "RES0[121:120]=2");
	assert_int_equal(shl_cd_bad(&p, &(struct shl_cd_ctx){ 0 }, &e), SHL_RULE_CD_RES0);
}

struct cd_case {
	const char *name;
	const char *profile;
	uint32_t clear, set;
	struct shl_cd_ctx ctx;
	const char *more;
	enum shl_rule want;
};

static const struct cd_case cd_cases[] = {
	{ "legal", "full", 0, 0, { 0 }, NULL, SHL_RULE_NONE },
	{ "ips above oas capped", "full", 0, 0, { 0 }, "IPS=6", SHL_RULE_NONE },
	{ "ips 56 capped", "full", 0, 0, { 0 }, "IPS=7", SHL_RULE_NONE },
	{ "t0sz 39 max", "full", 0, 0, { 0 }, "T0SZ=39", SHL_RULE_NONE },
	{ "t0sz 15 below min", "full", 0, 0, { 0 }, "T0SZ=15", SHL_RULE_CD_T0SZ },
	{ "tg0 16k", "full", 0, 0, { 0 }, "TG0=2", SHL_RULE_NONE },
	{ "tg1 4k walks on", "full", 0, 0, { 0 }, "EPD1=0 TG1=2 T1SZ=16", SHL_RULE_NONE },
	{ "t1sz 40", "full", 0, 0, { 0 }, "EPD1=0 TG1=2 T1SZ=40", SHL_RULE_CD_T1SZ },
	{ "asid16 ok", "full", 0, 0, { 0 }, "ASID=0xffff", SHL_RULE_NONE },
	{ "v0", "full", 0, 0, { 0 }, "V=0", SHL_RULE_CD_V0 },
	{ "s with s1stalld", "full", 0, 0, { .s1stalld = true }, "S=1", SHL_RULE_CD_S_S1STALLD },
	{ "a term model", "qemu-7.2", 0, 0, { 0 }, "IPS=4 A=0", SHL_RULE_CD_A_TERM_MODEL },
	{ "s no stall", "qemu-7.2", 0, 0, { 0 }, "IPS=4 S=1", SHL_RULE_CD_S_NO_STALL },
	{ "s forced", "full", 0, IDR0_STALL(2), { 0 }, NULL, SHL_RULE_CD_S_FORCED },
	{ "endi", "full", 0, IDR0_TTENDIAN(2), { 0 }, "ENDI=1", SHL_RULE_CD_ENDI },
	{ "endi both epd", "full", 0, IDR0_TTENDIAN(2), { 0 }, "ENDI=1 EPD0=1", SHL_RULE_NONE },
	{ "aa32", "full", 0, 0, { 0 }, "AA64=0", SHL_RULE_CD_AA32 },
	{ "aa32 el2", "full", 0, IDR0_TTF(3), { .el2 = true }, "AA64=0", SHL_RULE_CD_AA32 },
	{ "aa32 el1 ok", "full", 0, IDR0_TTF(3), { 0 }, "AA64=0", SHL_RULE_NONE },
	{ "aa64", "full", IDR0_TTF(3), IDR0_TTF(1), { 0 }, NULL, SHL_RULE_CD_AA64 },
	{ "aa64 on s2 aa32", "full", 0, 0, { .s2 = true, .s2aa32 = true }, NULL, SHL_RULE_CD_AA64 },
	{ "ha", "full", 0, 0, { 0 }, "HA=1", SHL_RULE_CD_HTTU },
	{ "hd af", "full", 0, IDR0_HTTU(1), { 0 }, "HD=1 HA=1", SHL_RULE_CD_HTTU },
	{ "ha af ok", "full", 0, IDR0_HTTU(1), { 0 }, "HA=1", SHL_RULE_NONE },
	{ "haft", "full", 0, IDR0_HTTU(3), { 0 }, "HAFT=1", SHL_RULE_CD_HAFT },
	{ "asid16", "full", IDR0_ASID16, 0, { 0 }, "ASID=0x100", SHL_RULE_CD_ASID16 },
	{ "t0sz", "full", 0, 0, { 0 }, "T0SZ=40", SHL_RULE_CD_T0SZ },
	{ "t0sz ignored", "full", 0, 0, { 0 }, "T0SZ=40 EPD0=1 TG0=3", SHL_RULE_NONE },
	{ "t1sz", "full", 0, 0, { 0 }, "EPD1=0 TG1=2 T1SZ=10", SHL_RULE_CD_T1SZ },
	{ "tg0", "full", 0, 0, { 0 }, "TG0=3", SHL_RULE_CD_TG0 },
	{ "tg1", "full", 0, 0, { 0 }, "EPD1=0 T1SZ=16", SHL_RULE_CD_TG1 },
	{ "ttb0", "full", 0, 0, { 0 }, "TTB0=0x1000000000000", SHL_RULE_CD_TTB0 },
	{ "ttb0 ips", "full", 0, 0, { 0 }, "IPS=0 TTB0=0x100000000", SHL_RULE_CD_TTB0 },
	{ "ttb1", "full", 0, 0, { 0 }, "EPD1=0 TG1=2 T1SZ=16 TTB1=0x1000000000000",
	  SHL_RULE_CD_TTB1 },
	{ "pi", "full", 0, 0, { 0 }, "PIE=1 PIIP7=4", SHL_RULE_CD_PI_RESERVED },
	{ "pi off", "full", 0, 0, { 0 }, "PIIP7=4", SHL_RULE_NONE },
};

static void test_cd_rules(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cd_cases) / sizeof(cd_cases[0]); i++) {
		const struct cd_case *c = &cd_cases[i];
		struct shl_profile p;
		struct shl_entry e = enc(SHL_KIND_CD, CD_S1, c->more);

		prof(&p, c->profile, c->clear, c->set, 0, -1);
		expect_rule(c->name, shl_cd_bad(&p, &c->ctx, &e), c->want);
	}
}

/* What a raw writer must own from a table base: the first walk's table block. */
static void test_table_bytes(void **state)
{
	static const struct {
		const char *more;
		uint64_t want;
	} s2[] = {
		{ NULL, 4096 },					/* level 0, 48-bit IPA */
		{ "S2T0SZ=24 S2SL0=1", 8192 },			/* level 1, 2 concatenated */
		{ "S2T0SZ=25 S2SL0=1", 4096 },			/* the injector's s2 STE */
		{ "S2TG=1 S2T0SZ=25 S2SL0=1", 65536 },		/* 64K granule */
		{ "S2TG=2 S2T0SZ=24 S2SL0=1", 262144 },		/* 16K, 16 concatenated */
		{ "S2TG=3", 0 },				/* reserved granule */
		{ "S2T0SZ=39 S2SL0=2", 0 },			/* level 0 above the IPA */
		{ "S2AA64=0", 0 },
		{ "Config=5", 0 },				/* no stage 2 */
		{ "Config=3", 0 },				/* abort */
	};
	struct shl_profile full;
	struct shl_entry e;
	size_t i;

	(void)state;
	assert_int_equal(shl_profile_builtin("full", &full), 0);
	for (i = 0; i < sizeof(s2) / sizeof(s2[0]); i++) {
		e = enc(SHL_KIND_STE, STE_S2, s2[i].more);
		if (shl_ste_s2_table_bytes(&full, &e) != s2[i].want)
			fail_msg("STE_S2 %s: %llu bytes, want %llu", s2[i].more ? s2[i].more : "",
				 (unsigned long long)shl_ste_s2_table_bytes(&full, &e),
				 (unsigned long long)s2[i].want);
	}
	e = enc(SHL_KIND_STE, STE_NESTED, NULL);
	assert_int_equal(shl_ste_s2_table_bytes(&full, &e), 4096);
	e = enc(SHL_KIND_CD, CD_S1, NULL);
	assert_int_equal(shl_cd_table_bytes(&full, &e, 0), 4096);
	assert_int_equal(shl_cd_table_bytes(&full, &e, 1), 0);		/* EPD1 */
	e = enc(SHL_KIND_CD, CD_S1, "TG0=1 EPD1=0 TG1=1");
	assert_int_equal(shl_cd_table_bytes(&full, &e, 0), 65536);
	assert_int_equal(shl_cd_table_bytes(&full, &e, 1), 16384);	/* TG1 0b01: 16K */
	e = enc(SHL_KIND_CD, CD_S1, "EPD0=1 TG0=3");
	assert_int_equal(shl_cd_table_bytes(&full, &e, 0), 0);
	e = enc(SHL_KIND_CD, CD_S1, "AA64=0");
	assert_int_equal(shl_cd_table_bytes(&full, &e, 0), 0);
}

static void test_rule_names_unique(void **state)
{
	unsigned int a, b;

	(void)state;
	for (a = 0; a < SHL_RULE_COUNT; a++) {
		assert_non_null(shl_rule_name(a));
		assert_non_null(strchr(shl_rule_doc(a), ' '));
		for (b = a + 1; b < SHL_RULE_COUNT; b++)
			assert_string_not_equal(shl_rule_name(a), shl_rule_name(b));
	}
}

/* arm_smmu_get_ste_used(), row by row (facts §3.1). */
static void test_ste_used_linux(void **state)
{
	struct shl_entry e, u;

	(void)state;
	e = enc(SHL_KIND_STE, STE_S2, "V=0");
	shl_ste_used_linux(&e, &u);
	assert_int_equal(u.q[0], 1);
	assert_int_equal(u.q[1] | u.q[2] | u.q[3], 0);

	e = enc(SHL_KIND_STE, "V=1 Config=0", NULL);
	shl_ste_used_linux(&e, &u);
	assert_int_equal(u.q[0], 0xf);
	assert_int_equal(u.q[1], 0);

	e = enc(SHL_KIND_STE, "V=1 Config=4", NULL);
	shl_ste_used_linux(&e, &u);
	assert_int_equal(u.q[1], SHL_MASK(SHL_STE_SHCFG));

	e = enc(SHL_KIND_STE, STE_S1, NULL);
	shl_ste_used_linux(&e, &u);
	assert_int_equal(u.q[0], 0xf | SHL_MASK(SHL_STE_S1FMT) | SHL_GENMASK(51, 6) |
				 SHL_MASK(SHL_STE_S1CDMAX));
	assert_int_equal(u.q[1] & SHL_MASK(SHL_STE_SHCFG), 0);
	assert_int_equal(u.q[1] & SHL_MASK(SHL_STE_STRW), SHL_MASK(SHL_STE_STRW));
	assert_int_equal(u.q[2], SHL_MASK(SHL_STE_S2VMID));
	assert_int_equal(u.q[3], 0);
	e = enc(SHL_KIND_STE, STE_S1, "S1DSS=1");
	shl_ste_used_linux(&e, &u);
	assert_int_equal(u.q[1] & SHL_MASK(SHL_STE_SHCFG), SHL_MASK(SHL_STE_SHCFG));

	e = enc(SHL_KIND_STE, STE_S2, NULL);
	shl_ste_used_linux(&e, &u);
	assert_int_equal(u.q[0], 0xf);
	assert_int_equal(u.q[3], SHL_GENMASK(51, 4));
	assert_int_equal(u.q[2] & SHL_MASK(SHL_STE_S2HA), 0);
	assert_int_equal(u.q[1] & SHL_MASK(SHL_STE_S1DSS), 0);

	/* Reserved Config 0b011: the bit tests give both sets. */
	e = enc(SHL_KIND_STE, "V=1 Config=3", NULL);
	shl_ste_used_linux(&e, &u);
	assert_true(u.q[3] != 0 && (u.q[0] & SHL_GENMASK(51, 6)));
}

/* Where the spec's IGNORED set differs from Linux's used set (facts §8.2). */
static void test_ste_used_spec(void **state)
{
	struct shl_profile full, qemu;
	struct shl_entry e, u;

	(void)state;
	shl_profile_builtin("full", &full);
	shl_profile_builtin("qemu-7.2", &qemu);
	e = enc(SHL_KIND_STE, STE_NESTED, NULL);
	shl_ste_used_spec(&full, &e, &u);
	assert_int_equal(u.q[1] & SHL_MASK(SHL_STE_STRW), 0);	/* Linux: used */
	e = enc(SHL_KIND_STE, STE_S1, NULL);
	shl_ste_used_spec(&full, &e, &u);
	assert_int_equal(u.q[1] & SHL_MASK(SHL_STE_S1DSS), 0);	/* S1CDMax == 0 */
	assert_int_equal(u.q[0] & SHL_MASK(SHL_STE_S1FMT), 0);
	assert_true(u.q[1] & SHL_MASK(SHL_STE_STRW));
	e = enc(SHL_KIND_STE, STE_S1, "S1CDMax=4");
	shl_ste_used_spec(&full, &e, &u);
	assert_true(u.q[1] & SHL_MASK(SHL_STE_S1DSS));
	shl_ste_used_spec(&qemu, &e, &u);			/* SSIDSIZE 0, no Hyp, no ATS */
	assert_int_equal(u.q[0] & SHL_MASK(SHL_STE_S1CDMAX), 0);
	assert_int_equal(u.q[1] & (SHL_MASK(SHL_STE_S1DSS) | SHL_MASK(SHL_STE_STRW) |
				   SHL_MASK(SHL_STE_EATS)), 0);
	assert_int_equal(u.q[2] & SHL_MASK(SHL_STE_S2VMID), 0);	/* no stage 2 */
	e = enc(SHL_KIND_STE, "V=1 Config=2 S2TG=3", NULL);		/* reserved: abort */
	shl_ste_used_spec(&full, &e, &u);
	assert_int_equal(u.q[0], 0xf);
	assert_int_equal(u.q[2], 0);
	e = enc(SHL_KIND_STE, "V=1 Config=4 EATS=1", NULL);
	shl_ste_used_spec(&full, &e, &u);
	assert_int_equal(u.q[1] & SHL_MASK(SHL_STE_EATS), 0);
	assert_true(u.q[1] & SHL_MASK(SHL_STE_SHCFG));
}

static void test_cd_used(void **state)
{
	struct shl_profile full;
	struct shl_entry e, u;

	(void)state;
	shl_profile_builtin("full", &full);
	e = enc(SHL_KIND_CD, CD_S1, "V=0");
	shl_cd_used_linux(&e, &u);
	assert_int_equal(u.q[0], 1ULL << 31);
	shl_cd_used_spec(&full, &e, &u);
	assert_int_equal(u.q[0], 1ULL << 31);
	e = enc(SHL_KIND_CD, CD_S1, "EPD0=1");
	shl_cd_used_linux(&e, &u);
	assert_int_equal(u.q[0] & 0x3fff, 0);
	assert_int_equal(u.q[1], ~SHL_GENMASK(51, 4));
	assert_int_equal(u.q[2], ~0ULL);				/* EPD1 not special */
	shl_cd_used_spec(&full, &e, &u);
	assert_int_equal(u.q[2] & SHL_MASK(SHL_CD_TTB1), 0);	/* EPD1 = 1 */
	assert_int_equal(u.q[1] & SHL_MASK(SHL_CD_TTB0), 0);
	assert_int_equal(u.q[5] & SHL_GENMASK(63, 56), 0);		/* RES0 */
}

/* arm_smmu_get_ste_update_safe() (facts §3.3). */
static void test_update_safe(void **state)
{
	struct shl_entry a = enc(SHL_KIND_STE, STE_S2, "EATS=0");
	struct shl_entry b = enc(SHL_KIND_STE, STE_S2, "EATS=1"), s;

	(void)state;
	shl_ste_update_safe(&a, &b, &s);
	assert_int_equal(s.q[1], SHL_MASK(SHL_STE_MEV) | (1ULL << 28));
	b = enc(SHL_KIND_STE, STE_S2, "EATS=1 S2S=1");
	shl_ste_update_safe(&a, &b, &s);
	assert_int_equal(s.q[1], SHL_MASK(SHL_STE_MEV));
	b = enc(SHL_KIND_STE, STE_NESTED, "EATS=2");
	shl_ste_update_safe(&a, &b, &s);
	assert_int_equal(s.q[1], SHL_MASK(SHL_STE_MEV));
	assert_int_equal(s.q[0] | s.q[2] | s.q[3], 0);
}

static void test_classify(void **state)
{
	struct shl_profile p;
	struct shl_model m = { .kind = SHL_KIND_STE, .spec = true, .update_safe = true };
	struct shl_endpoints ep;
	struct shl_entry a = enc(SHL_KIND_STE, STE_S1, NULL);
	struct shl_entry b = enc(SHL_KIND_STE, STE_S1, "S1ContextPtr=0x80000000");
	struct shl_entry o;
	enum shl_rule r;

	(void)state;
	shl_profile_builtin("full", &p);
	m.p = &p;
	shl_endpoints_init(&m, &a, &b, &ep);
	o = enc(SHL_KIND_STE, STE_S1, "S2TTB=0x1234000");		/* unused bits differ */
	assert_int_equal(shl_classify(&m, &ep, &o, NULL), SHL_CLASS_INITIAL);
	o = enc(SHL_KIND_STE, STE_S1, "S1ContextPtr=0x80000000 MEV=1");	/* MEV: update-safe */
	assert_int_equal(shl_classify(&m, &ep, &o, NULL), SHL_CLASS_TARGET);
	o = enc(SHL_KIND_STE, STE_S1, "V=0");
	assert_int_equal(shl_classify(&m, &ep, &o, &r), SHL_CLASS_INVALID);
	assert_int_equal(r, SHL_RULE_STE_V0);
	o = enc(SHL_KIND_STE, STE_S1, "S1ContextPtr=0xc0000000");
	assert_int_equal(shl_classify(&m, &ep, &o, NULL), SHL_CLASS_TORN);
	o = enc(SHL_KIND_STE, STE_S1, "STRW=1");
	assert_int_equal(shl_classify(&m, &ep, &o, &r), SHL_CLASS_ILLEGAL);
	assert_int_equal(r, SHL_RULE_STE_STRW_RESERVED);
	/* An endpoint with V=0: V=0 observations are that endpoint. */
	o = enc(SHL_KIND_STE, "V=0 Config=4", NULL);
	shl_endpoints_init(&m, &o, &b, &ep);
	a = enc(SHL_KIND_STE, "V=0", NULL);
	assert_int_equal(shl_classify(&m, &ep, &a, NULL), SHL_CLASS_INITIAL);
	/* Linux view: no legality, Linux used bits (STRW counts for nested). */
	m.spec = false;
	a = enc(SHL_KIND_STE, STE_NESTED, NULL);
	b = enc(SHL_KIND_STE, STE_NESTED, "STRW=2");
	shl_endpoints_init(&m, &a, &a, &ep);
	assert_int_equal(shl_classify(&m, &ep, &b, NULL), SHL_CLASS_TORN);
	m.spec = true;
	shl_endpoints_init(&m, &a, &a, &ep);
	assert_int_equal(shl_classify(&m, &ep, &b, NULL), SHL_CLASS_INITIAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ste_rules),
		cmocka_unit_test(test_ste_res0_option),
		cmocka_unit_test(test_cd_rules),
		cmocka_unit_test(test_table_bytes),
		cmocka_unit_test(test_rule_names_unique),
		cmocka_unit_test(test_ste_used_linux),
		cmocka_unit_test(test_ste_used_spec),
		cmocka_unit_test(test_cd_used),
		cmocka_unit_test(test_update_safe),
		cmocka_unit_test(test_classify),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
