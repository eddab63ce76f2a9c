/* SPDX-License-Identifier: GPL-2.0-only */
/* Helpers shared by the oracle's cmocka tests (included, not built alone). */
#ifndef SMMU_HIL_TESTS_ORACLE_HELPERS_H
#define SMMU_HIL_TESTS_ORACLE_HELPERS_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "smmu_hil/check.h"
#include "smmu_hil/entry.h"
#include "smmu_hil/plan.h"
#include "smmu_hil/profile.h"
#include "smmu_hil/rules.h"

/* Legal entries under the "full" profile, as FIELD=VALUE lists. */
#define STE_S1 "V=1 Config=5 S1ContextPtr=0x40000000 S1CIR=1 S1COR=1 S1CSH=3"
#define STE_S2 "V=1 Config=6 SHCFG=1 S2VMID=1 S2T0SZ=16 S2SL0=2 S2IR0=1 S2OR0=1 " \
	       "S2SH0=3 S2TG=0 S2PS=5 S2AA64=1 S2PTW=1 S2R=1 S2TTB=0x80000000"
#define STE_NESTED STE_S2 " Config=7 S1ContextPtr=0x20000000 S1CIR=1 S1COR=1 S1CSH=3 MEV=1"
#define CD_S1 "T0SZ=16 TG0=0 IR0=1 OR0=1 SH0=3 EPD1=1 V=1 IPS=5 AA64=1 R=1 A=1 ASET=1 " \
	      "ASID=1 TTB0=0x90000000 MAIR0=0xff4404"

/* An entry from a base FIELD=VALUE list plus more assignments (later win). */
static inline struct shl_entry enc(enum shl_entry_kind kind, const char *base, const char *more)
{
	char buf[1024], *argv[128], *save = NULL, *t;
	int argc = 0;
	struct shl_entry e;
	char err[200];

	snprintf(buf, sizeof(buf), "%s %s", base, more ? more : "");
	for (t = strtok_r(buf, " ", &save); t && argc < 128; t = strtok_r(NULL, " ", &save))
		argv[argc++] = t;
	if (shl_entry_encode(kind, argc, argv, &e, err, sizeof(err)))
		fail_msg("encode '%s %s': %s", base, more ? more : "", err);
	return e;
}

/*
 * A profile: the built-in @base with IDR0 bits cleared/set, IDR3 bits set
 * and, if @aidr >= 0, a new AIDR.
 */
static inline void prof(struct shl_profile *p, const char *base, uint32_t idr0_clear,
			uint32_t idr0_set, uint32_t idr3_set, int aidr)
{
	struct shl_idr_regs r;

	assert_int_equal(shl_profile_builtin(base, p), 0);
	r = p->regs;
	r.idr0 = (r.idr0 & ~idr0_clear) | idr0_set;
	r.idr3 |= idr3_set;
	if (aidr >= 0)
		r.aidr = (uint32_t)aidr;
	shl_profile_init(p, "test", &r);
}

/* Parse and check a sequence text; fails the test on a parse/check error. */
static inline struct shl_check_result run_seq(const struct shl_model *m,
					      const struct shl_entry *from,
					      const struct shl_entry *to, const char *text,
					      const struct shl_check_opts *o,
					      struct shl_violation *viol, size_t cap)
{
	struct shl_check_result r = { .viol = viol, .viol_cap = cap };
	struct shl_seq seq;
	char err[200];

	if (shl_seq_parse(text, strlen(text), SHL_ENTRY_QWORDS, &seq, err, sizeof(err)))
		fail_msg("parse: %s", err);
	if (shl_check(m, from, to, seq.ops, seq.n, o, &r, err, sizeof(err)))
		fail_msg("check: %s", err);
	shl_seq_free(&seq);
	return r;
}

#endif /* SMMU_HIL_TESTS_ORACLE_HELPERS_H */
