// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target: the agent's decoding of the records the kernel modules
 * return (modules/include/uapi/smmu_hil.h): recorder snapshots, the live
 * STE/CD, the raw result, the barrier witness's list, the event monitor's
 * counters and SMMU list; what decodes is grouped and judged as `inject
 * record show` does.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "smmu_hil/dut.h"
#include "smmu_hil/idr.h"
#include "smmu_hil/inject.h"
#include <uapi/smmu_hil.h>

/* Copy the fuzz input into a record of @size bytes, zero-padded. */
static void fill(void *rec, size_t size, const uint8_t *data, size_t len)
{
	memset(rec, 0, size);
	memcpy(rec, data, len < size ? len : size);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct shl_profile p;
	static int init;
	struct smmu_hil_inj_entry ent;
	struct smmu_hil_inj_result res;
	struct smmu_hil_inj_barriers bars;
	struct shl_inject_barriers b;
	struct smmu_hil_evt_stats st;
	struct smmu_hil_smmu_info si;
	struct shl_inject_entry e;
	struct shl_inject_result r;
	struct shl_evt_stats s;
	struct shl_idr_regs regs;
	struct shl_rec_log log;
	char err[200], name[80];
	json_object *o;
	int worst;

	if (!init) {
		shl_profile_builtin("qemu-7.2", &p);
		init = 1;
	}
	if (size > 64 * sizeof(struct smmu_hil_inj_snap))
		return 0;
	if (!shl_rec_decode(data, size, &log, err, sizeof(err))) {
		o = shl_inject_record_report(&p, &log, size & 1, &worst, err, sizeof(err));
		json_object_put(o);
		shl_rec_log_free(&log);
	}
	fill(&ent, sizeof(ent), data, size);
	shl_inject_decode_entry(SHL_KIND_STE, &ent, &e);
	shl_inject_decode_entry(SHL_KIND_CD, &ent, &e);
	fill(&res, sizeof(res), data, size);
	shl_inject_decode_result(&res, &r);
	fill(&bars, sizeof(bars), data, size);
	if (!shl_inject_decode_barriers(&bars, &b))
		json_object_put(shl_inject_barriers_json(&b));
	fill(&st, sizeof(st), data, size);
	shl_evt_stats_decode(&st, &s);
	fill(&si, sizeof(si), data, size);
	shl_smmu_info_decode(&si, name, sizeof(name), &regs);
	return 0;
}
