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
	for (i = 0; i < s.nsteps; i++)
		if (s.steps[i].kind == SHL_SCN_STEP_FIELDS && (!s.steps[i].nf || !s.steps[i].f[0].f))
			abort();
	return 0;
}
