// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target: FIELD=VALUE encoding. Whatever encodes must decode back
 * to FIELD=VALUE lines that encode to the same entry.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "smmu_hil/entry.h"

#define MAX_ARGS 32

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char bufs[600][64];
	char text[1024], *argv[600], *save = NULL, *t, err[200];
	enum shl_entry_kind kind;
	struct shl_entry e, back;
	const struct shl_field *f;
	size_t i, n;
	int argc = 0;

	if (size < 1 || size >= sizeof(text))
		return 0;
	kind = (enum shl_entry_kind)(data[0] % SHL_KIND_COUNT);
	memcpy(text, data + 1, size - 1);
	text[size - 1] = 0;
	for (t = strtok_r(text, " \n", &save); t && argc < MAX_ARGS; t = strtok_r(NULL, " \n", &save))
		argv[argc++] = t;
	if (shl_entry_encode(kind, argc, argv, &e, err, sizeof(err)))
		return 0;
	f = shl_fields(kind, &n);
	argc = 0;
	for (i = 0; i < n; i++) {
		uint64_t v = shl_field_value(&e, &f[i]);

		if (!v)
			continue;
		snprintf(bufs[argc], sizeof(bufs[0]), "%s=0x%llx", f[i].name, (unsigned long long)v);
		argv[argc] = bufs[argc];
		argc++;
	}
	if (shl_entry_encode(kind, argc, argv, &back, err, sizeof(err)) ||
	    memcmp(&e, &back, sizeof(e)))
		abort();
	return 0;
}
