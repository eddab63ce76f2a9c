// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target: the JSON documents the host tool reads, parsed as
 * json-c reads a file (depth limit 32): a run's report.json through the
 * KTAP writer (`smmu-hil report ktap`), and an SMMU profile (`--profile
 * FILE`, `dut info -j`) through shl_profile_from_json().
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "smmu_hil/ktap.h"
#include "smmu_hil/profile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json_tokener *tok;
	struct shl_profile p;
	json_object *root;
	char err[300], *out = NULL;
	size_t outlen = 0;
	FILE *f;

	if (size > 1 << 20)
		return 0;
	tok = json_tokener_new_ex(JSON_TOKENER_DEFAULT_DEPTH);
	if (!tok)
		return 0;
	root = json_tokener_parse_ex(tok, (const char *)data, (int)size);
	json_tokener_free(tok);
	if (!root)
		return 0;
	f = open_memstream(&out, &outlen);
	if (f) {
		err[0] = '\0';
		if (shl_ktap_report(f, root, err, sizeof(err)) && !err[0])
			abort();	/* a refusal says why */
		fclose(f);
		free(out);
	}
	if (shl_profile_from_json(root, "fuzz", &p, err, sizeof(err)) == 0 && !p.name[0])
		abort();
	json_object_put(root);
	return 0;
}
