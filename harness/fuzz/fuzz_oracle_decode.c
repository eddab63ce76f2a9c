// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target: Q parsing and decoding of STEs, CDs and L1 descriptors,
 * plus the rules on whatever parses (used bits, legality, planning).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "smmu_hil/entry_ops.h"
#include "smmu_hil/plan.h"
#include "smmu_hil/rules.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct shl_profile p[2];
	static int init;
	const struct shl_entry_ops *ops;
	enum shl_entry_kind kind;
	struct shl_entry e, u, back;
	struct shl_plan plan;
	struct shl_plan_opts po = { .quanta = 64, .update_safe = true };
	struct shl_cd_ctx ctx = { 0 };
	char buf[512], err[200], q[200];
	json_object *o;

	if (!init) {
		shl_profile_builtin("full", &p[0]);
		shl_profile_builtin("qemu-7.2", &p[1]);
		init = 1;
	}
	if (size < 1 || size >= sizeof(buf))
		return 0;
	kind = (enum shl_entry_kind)(data[0] % SHL_KIND_COUNT);
	memcpy(buf, data + 1, size - 1);
	buf[size - 1] = 0;
	if (shl_entry_parse_q(buf, shl_kind_qwords(kind), &e, err, sizeof(err)))
		return 0;
	o = shl_entry_to_json(kind, &e);
	json_object_put(o);
	shl_entry_format_q(&e, shl_kind_qwords(kind), q, sizeof(q));
	if (shl_entry_parse_q(q, shl_kind_qwords(kind), &back, err, sizeof(err)) ||
	    memcmp(&e, &back, sizeof(e)))
		abort();
	ops = shl_entry_ops(kind);
	if (ops) {
		struct shl_entry zero = { { 0 } };

		ops->used_linux(&e, &u);
		ops->used_spec(&p[data[0] & 1], &e, &u);
		(void)ops->bad(&p[data[0] & 1], &ctx, &e);
		if (!ops->has_ctx)	/* an STE: the context it gives its CDs */
			shl_cd_ctx_from_ste(&p[0], &e, &ctx);
		shl_plan_entry(kind, &zero, &e, &po, &plan);
		if (plan.nsteps > SHL_PLAN_MAX_STEPS)
			abort();
	}
	return 0;
}
