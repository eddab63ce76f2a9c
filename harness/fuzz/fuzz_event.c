// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target: SMMU event records (four 64-bit words, as the event
 * monitor hands them over) through the decoder, its names and the JSON the
 * agent prints; consecutive records of the input, so any bit pattern the
 * hardware (or a broken queue) could write is covered.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "smmu_hil/event.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct shl_event ev;
	uint64_t q[4];
	json_object *o;
	size_t at;

	for (at = 0; at + sizeof(q) <= size && at < 64 * sizeof(q); at += sizeof(q)) {
		memcpy(q, data + at, sizeof(q));
		shl_event_decode(q, &ev);
		if (ev.id != (q[0] & 0xff))
			abort();	/* the event id is the record's low byte */
		(void)shl_event_name(ev.id);
		(void)shl_event_class_name(ev.class_);
		if (!ev.name)
			abort();
		o = shl_event_to_json(q, at, at);
		if (!o || !json_object_to_json_string(o))
			abort();
		json_object_put(o);
	}
	return 0;
}
