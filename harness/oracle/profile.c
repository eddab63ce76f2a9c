// SPDX-License-Identifier: GPL-2.0-only
/*
 * SMMU profiles for the STE/CD oracle: built-in register sets and profiles
 * loaded from `smmu-hil dut info -j` output (Arm IHI 0070 6.3).
 */
#include <stdio.h>
#include <string.h>

#include "smmu_hil/profile.h"

/*
 * "full": SMMUv3.1, S1+S2, AArch64 tables, ATS+PRI, Hyp, ASID16, VMID16,
 * CD2L, stall model 00, TTENDIAN mixed, 2-level stream table, HTTU 0;
 * SSIDSIZE 20, attribute overrides; IDR3 FWB+RIL; OAS 48, 4K/16K/64K.
 */
static const struct shl_idr_regs full_regs = {
	.idr0 = 0x080d763b, .idr1 = 0x0e739d10, .idr3 = 0x00000500,
	.idr5 = 0x00000075, .iidr = 0, .aidr = 0x00000001,
};

/*
 * "qemu-7.2": the emulated DUT. IDR0 as the DUT reports it; IDR1 SIDSIZE 16,
 * EVENTQS/CMDQS 19 and no SSIDSIZE (substreams came in later QEMU); IDR3
 * HAD+RIL; IDR5 OAS 44 bits with GRAN4K/16K/64K (16K since QEMU 6.1);
 * AIDR SMMUv3.1 (QEMU hw/arm/smmuv3.c smmuv3_init_regs).
 */
static const struct shl_idr_regs qemu72_regs = {
	.idr0 = 0x0d40101a, .idr1 = 0x02730010, .idr3 = 0x00000404,
	.idr5 = 0x00000074, .iidr = 0, .aidr = 0x00000001,
};

const char *const shl_profile_builtin_names[] = { "full", "qemu-7.2", NULL };

static void res0_masks(struct shl_profile *p)
{
	int k;

	for (k = 0; k < SHL_KIND_COUNT; k++) {
		size_t i, n;
		const struct shl_field *t = shl_fields((enum shl_entry_kind)k, &n);

		memset(&p->res0[k], 0, sizeof(p->res0[k]));
		for (i = 0; i < n; i++)
			if (t[i].flags & SHL_FIELD_RES0)
				p->res0[k].q[t[i].qword] |= SHL_GENMASK(t[i].hi, t[i].lo);
	}
}

void shl_profile_init(struct shl_profile *p, const char *name, const struct shl_idr_regs *regs)
{
	memset(p, 0, sizeof(*p));
	snprintf(p->name, sizeof(p->name), "%s", name ? name : "unnamed");
	p->regs = *regs;
	shl_idr_decode(regs, &p->idr);
	/*
	 * IDR3.STT is bit 9 and IDR3.DPT bit 15 (6.3.4); read them from the raw
	 * register so the oracle does not depend on how idr.c names bit 4.
	 */
	p->stt = (regs->idr3 >> 9) & 1;
	p->dpt = (regs->idr3 >> 15) & 1;
	p->arch_minor = p->idr.arch_major == 0 ? p->idr.arch_minor : 0;
	p->oas_bits = p->idr.oas_bits ? p->idr.oas_bits : 48;
	p->ias_bits = (p->idr.ttf & 1) && p->oas_bits < 40 ? 40 : p->oas_bits;
	res0_masks(p);
}

int shl_profile_builtin(const char *name, struct shl_profile *p)
{
	if (!strcmp(name, "full"))
		shl_profile_init(p, "full", &full_regs);
	else if (!strcmp(name, "qemu-7.2"))
		shl_profile_init(p, "qemu-7.2", &qemu72_regs);
	else
		return -1;
	return 0;
}

static json_object *get_path(json_object *o, const char *key)
{
	json_object *v;

	if (!o || !json_object_is_type(o, json_type_object) || !json_object_object_get_ex(o, key, &v))
		return NULL;
	return v;
}

int shl_profile_from_json(json_object *root, const char *fallback_name, struct shl_profile *p,
			  char *err, size_t errlen)
{
	json_object *smmu = get_path(root, "smmu"), *regs = NULL, *name = NULL;
	struct shl_idr_regs r;

	if (smmu) {
		json_object *first;

		if (!json_object_is_type(smmu, json_type_array) || !json_object_array_length(smmu)) {
			snprintf(err, errlen, "\"smmu\" is not a non-empty array");
			return -1;
		}
		first = json_object_array_get_idx(smmu, 0);
		name = get_path(first, "name");
		regs = get_path(get_path(first, "idr"), "regs");
	} else if (get_path(root, "idr")) {
		regs = get_path(get_path(root, "idr"), "regs");
	} else {
		regs = get_path(root, "regs");
	}
	if (!regs) {
		snprintf(err, errlen, "no smmu[0].idr.regs, idr.regs or regs object");
		return -1;
	}
	if (shl_idr_from_json(regs, &r)) {
		snprintf(err, errlen, "regs: IDR0, IDR1, IDR3 and IDR5 must be 32-bit hex strings");
		return -1;
	}
	shl_profile_init(p, name && json_object_is_type(name, json_type_string) ?
			 json_object_get_string(name) : fallback_name, &r);
	return 0;
}

int shl_profile_load(const char *spec, struct shl_profile *p, char *err, size_t errlen)
{
	json_object *root;
	int ret;

	if (!spec)
		spec = "full";
	if (!shl_profile_builtin(spec, p))
		return 0;
	root = json_object_from_file(spec);
	if (!root) {
		snprintf(err, errlen, "profile '%s' is neither built-in (full, qemu-7.2) nor a readable JSON file",
			 spec);
		return -1;
	}
	ret = shl_profile_from_json(root, spec, p, err, errlen);
	json_object_put(root);
	if (ret) {
		char tmp[256];

		snprintf(tmp, sizeof(tmp), "%s", err);
		snprintf(err, errlen, "profile file %s: %s", spec, tmp);
	}
	return ret;
}

json_object *shl_profile_to_json(const struct shl_profile *p)
{
	json_object *o = json_object_new_object();
	char ver[32];

	snprintf(ver, sizeof(ver), "SMMUv3.%u", p->arch_minor);
	json_object_object_add(o, "name", json_object_new_string(p->name));
	json_object_object_add(o, "version", json_object_new_string(ver));
	json_object_object_add(o, "idr", shl_idr_to_json(&p->regs));
	json_object_object_add(o, "OAS", json_object_new_int((int)p->oas_bits));
	json_object_object_add(o, "IAS", json_object_new_int((int)p->ias_bits));
	json_object_object_add(o, "STT", json_object_new_boolean(p->stt));
	json_object_object_add(o, "DPT", json_object_new_boolean(p->dpt));
	return o;
}
