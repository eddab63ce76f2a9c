// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target: the scenario parser (harness/lib/scenario.c) on
 * arbitrary text. It must accept or reject without crashing, and every
 * rejection must be "FILE:LINE: KEY: problem".
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "smmu_hil/scenario.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct shl_scenario s;
	char err[600];
	size_t i;

	if (shl_scenario_parse("f.yaml", (const char *)data, size, &s, err, sizeof(err))) {
		if (strncmp(err, "f.yaml:", 7) || !strstr(err + 7, ": "))
			abort();
		return 0;
	}
	/* accepted: the invariants the runner relies on */
	if (!s.name[0] || !s.nsteps || s.nsteps > SHL_SCN_MAX_STEPS || !s.repeat ||
	    s.dwell_us > SHL_SCN_MAX_DWELL_US || (!s.expect.none && !s.expect.nk))
		abort();
	for (i = 0; i < s.nsteps; i++) {
		const struct shl_scn_step *st = &s.steps[i];
		size_t j;

		if (st->kind != SHL_SCN_STEP_FIELDS)
			continue;
		/* no field: only a legality item that names its base or entry */
		if (!st->nf && !(s.legality && st->opts))
			abort();
		if (st->opts && !s.legality)
			abort();
		if (st->has_base && st->entry != SHL_KIND_STE)
			abort();
		for (j = 0; j < st->nf; j++)
			if (!st->f[j].f)
				abort();
	}
	return 0;
}
