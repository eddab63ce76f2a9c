// SPDX-License-Identifier: GPL-2.0-only
/*
 * SMMUv3 ID register decoding (Arm IHI 0070, 6.3.1 SMMU_IDR0, 6.3.2 SMMU_IDR1,
 * 6.3.4 SMMU_IDR3, 6.3.6 SMMU_IDR5, 6.3.8 SMMU_AIDR).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "smmu_hil/idr.h"

static unsigned int bits(uint32_t v, unsigned int hi, unsigned int lo)
{
	return (v >> lo) & ((1u << (hi - lo + 1)) - 1);
}

unsigned int shl_idr_oas_bits(unsigned int enc)
{
	static const unsigned int oas[] = { 32, 36, 40, 42, 44, 48, 52, 56 };

	return enc < 8 ? oas[enc] : 0;
}

void shl_idr_decode(const struct shl_idr_regs *r, struct shl_idr *o)
{
	memset(o, 0, sizeof(*o));
	o->s2p = bits(r->idr0, 0, 0);
	o->s1p = bits(r->idr0, 1, 1);
	o->ttf = bits(r->idr0, 3, 2);
	o->cohacc = bits(r->idr0, 4, 4);
	o->btm = bits(r->idr0, 5, 5);
	o->httu = bits(r->idr0, 7, 6);
	o->dormhint = bits(r->idr0, 8, 8);
	o->hyp = bits(r->idr0, 9, 9);
	o->ats = bits(r->idr0, 10, 10);
	o->ns1ats = bits(r->idr0, 11, 11);
	o->asid16 = bits(r->idr0, 12, 12);
	o->msi = bits(r->idr0, 13, 13);
	o->sev = bits(r->idr0, 14, 14);
	o->atos = bits(r->idr0, 15, 15);
	o->pri = bits(r->idr0, 16, 16);
	o->vmw = bits(r->idr0, 17, 17);
	o->vmid16 = bits(r->idr0, 18, 18);
	o->cd2l = bits(r->idr0, 19, 19);
	o->vatos = bits(r->idr0, 20, 20);
	o->ttendian = bits(r->idr0, 22, 21);
	o->stall_model = bits(r->idr0, 25, 24);
	o->term_model = bits(r->idr0, 26, 26);
	o->st_level = bits(r->idr0, 28, 27);

	o->sidsize = bits(r->idr1, 5, 0);
	o->ssidsize = bits(r->idr1, 10, 6);
	o->priqs = bits(r->idr1, 15, 11);
	o->eventqs = bits(r->idr1, 20, 16);
	o->cmdqs = bits(r->idr1, 25, 21);
	o->attr_perms_ovr = bits(r->idr1, 26, 26);
	o->attr_types_ovr = bits(r->idr1, 27, 27);
	o->rel = bits(r->idr1, 28, 28);
	o->queues_preset = bits(r->idr1, 29, 29);
	o->tables_preset = bits(r->idr1, 30, 30);

	o->fwb = bits(r->idr3, 8, 8);
	o->ril = bits(r->idr3, 10, 10);
	o->bbm = bits(r->idr3, 12, 11);
	o->stt = bits(r->idr3, 9, 9);

	o->oas_bits = shl_idr_oas_bits(bits(r->idr5, 2, 0));
	o->gran4k = bits(r->idr5, 4, 4);
	o->gran16k = bits(r->idr5, 5, 5);
	o->gran64k = bits(r->idr5, 6, 6);
	o->vax = bits(r->idr5, 11, 10);
	o->stall_max = bits(r->idr5, 31, 16);

	o->arch_minor = bits(r->aidr, 3, 0);
	o->arch_major = bits(r->aidr, 7, 4);
}

static json_object *hex32(uint32_t v)
{
	char buf[16];

	snprintf(buf, sizeof(buf), "0x%08x", v);
	return json_object_new_string(buf);
}

static void add_int(json_object *o, const char *k, unsigned int v)
{
	json_object_object_add(o, k, json_object_new_int((int)v));
}

static void add_feature(json_object *arr, bool present, const char *name)
{
	if (present)
		json_object_array_add(arr, json_object_new_string(name));
}

json_object *shl_idr_to_json(const struct shl_idr_regs *r)
{
	static const char *const ttf_names[] = { "reserved", "AArch32", "AArch64", "AArch32+AArch64" };
	static const char *const stall_names[] = { "stall+terminate", "terminate", "stall", "reserved" };
	static const char *const endian_names[] = { "mixed", "reserved", "LE", "BE" };
	json_object *root = json_object_new_object();
	json_object *regs = json_object_new_object();
	json_object *f = json_object_new_object();
	json_object *feat = json_object_new_array();
	struct shl_idr d;
	char ver[32];

	shl_idr_decode(r, &d);
	json_object_object_add(regs, "IDR0", hex32(r->idr0));
	json_object_object_add(regs, "IDR1", hex32(r->idr1));
	json_object_object_add(regs, "IDR3", hex32(r->idr3));
	json_object_object_add(regs, "IDR5", hex32(r->idr5));
	json_object_object_add(regs, "IIDR", hex32(r->iidr));
	json_object_object_add(regs, "AIDR", hex32(r->aidr));

	if (d.arch_major == 0)
		snprintf(ver, sizeof(ver), "SMMUv3.%u", d.arch_minor);
	else
		snprintf(ver, sizeof(ver), "unknown(%u.%u)", d.arch_major, d.arch_minor);
	json_object_object_add(f, "version", json_object_new_string(ver));
	json_object_object_add(f, "TTF", json_object_new_string(ttf_names[d.ttf]));
	json_object_object_add(f, "STALL_MODEL", json_object_new_string(stall_names[d.stall_model]));
	json_object_object_add(f, "TTENDIAN", json_object_new_string(endian_names[d.ttendian]));
	add_int(f, "HTTU", d.httu);
	add_int(f, "ST_LEVEL", d.st_level);
	add_int(f, "SIDSIZE", d.sidsize);
	add_int(f, "SSIDSIZE", d.ssidsize);
	add_int(f, "EVENTQS", d.eventqs);
	add_int(f, "CMDQS", d.cmdqs);
	add_int(f, "PRIQS", d.priqs);
	add_int(f, "OAS", d.oas_bits);
	add_int(f, "BBM", d.bbm);
	add_int(f, "VAX", d.vax);
	add_int(f, "STALL_MAX", d.stall_max);

	add_feature(feat, d.s1p, "S1P");
	add_feature(feat, d.s2p, "S2P");
	add_feature(feat, d.s1p && d.s2p, "NESTED");
	add_feature(feat, d.cohacc, "COHACC");
	add_feature(feat, d.btm, "BTM");
	add_feature(feat, d.httu >= 1, "HTTU_AF");
	add_feature(feat, d.httu >= 2, "HTTU_DIRTY");
	add_feature(feat, d.hyp, "HYP");
	add_feature(feat, d.ats, "ATS");
	add_feature(feat, d.ns1ats, "NS1ATS");
	add_feature(feat, d.asid16, "ASID16");
	add_feature(feat, d.msi, "MSI");
	add_feature(feat, d.sev, "SEV");
	add_feature(feat, d.atos, "ATOS");
	add_feature(feat, d.pri, "PRI");
	add_feature(feat, d.vmw, "VMW");
	add_feature(feat, d.vmid16, "VMID16");
	add_feature(feat, d.cd2l, "CD2L");
	add_feature(feat, d.vatos, "VATOS");
	add_feature(feat, d.stall_model != 1, "STALL");
	add_feature(feat, d.term_model, "TERM_MODEL");
	add_feature(feat, d.st_level == 1, "2LVL_STRTAB");
	add_feature(feat, d.attr_types_ovr, "ATTR_TYPES_OVR");
	add_feature(feat, d.attr_perms_ovr, "ATTR_PERMS_OVR");
	add_feature(feat, d.fwb, "FWB");
	add_feature(feat, d.ril, "RIL");
	add_feature(feat, d.stt, "STT");
	add_feature(feat, d.gran4k, "GRAN4K");
	add_feature(feat, d.gran16k, "GRAN16K");
	add_feature(feat, d.gran64k, "GRAN64K");

	json_object_object_add(root, "regs", regs);
	json_object_object_add(root, "fields", f);
	json_object_object_add(root, "features", feat);
	return root;
}

static int reg_from_json(json_object *regs, const char *name, uint32_t *out)
{
	json_object *v;
	const char *s;
	char *end;
	unsigned long long x;

	if (!json_object_object_get_ex(regs, name, &v) || !json_object_is_type(v, json_type_string))
		return -1;
	s = json_object_get_string(v);
	x = strtoull(s, &end, 16);
	if (end == s || *end || x > 0xffffffffull)
		return -1;
	*out = (uint32_t)x;
	return 0;
}

int shl_idr_from_json(json_object *regs, struct shl_idr_regs *out)
{
	memset(out, 0, sizeof(*out));
	if (!regs || !json_object_is_type(regs, json_type_object))
		return -1;
	if (reg_from_json(regs, "IDR0", &out->idr0) || reg_from_json(regs, "IDR1", &out->idr1) ||
	    reg_from_json(regs, "IDR3", &out->idr3) || reg_from_json(regs, "IDR5", &out->idr5))
		return -1;
	/* IIDR and AIDR are informative; older dumps may lack them. */
	reg_from_json(regs, "IIDR", &out->iidr);
	reg_from_json(regs, "AIDR", &out->aidr);
	return 0;
}
