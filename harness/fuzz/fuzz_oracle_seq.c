// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target: the update-sequence parser and the checker on what it
 * accepts (both granularities and quanta, STE and CD).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "smmu_hil/check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct shl_profile p;
	static int init;
	struct shl_seq seq;
	struct shl_violation v[16];
	struct shl_check_result r = { .viol = v, .viol_cap = 16 };
	struct shl_check_opts o = { .max_combos = 1 << 16 };
	struct shl_model m = { .p = &p, .spec = true, .update_safe = true };
	struct shl_entry from = { { 0x4000000b, 0xd4 } }, to = { { 0xd, 0, 0x64d359000000001ULL,
								   0x80000000 } };
	char err[200];

	if (!init) {
		shl_profile_builtin("full", &p);
		init = 1;
	}
	if (size < 1)
		return 0;
	m.kind = data[0] & 1 ? SHL_KIND_CD : SHL_KIND_STE;
	o.quanta = data[0] & 2 ? 128 : 64;
	o.sync_only = data[0] & 4;
	o.allow_breaking = data[0] & 8;
	if (shl_seq_parse((const char *)data + 1, size - 1, SHL_ENTRY_QWORDS, &seq, err, sizeof(err)))
		return 0;
	if (!shl_check(&m, &from, &to, seq.ops, seq.n, &o, &r, err, sizeof(err))) {
		if (r.pass != (r.kinds == 0) || r.nviol > 16)
			abort();
	}
	shl_seq_free(&seq);
	return 0;
}
