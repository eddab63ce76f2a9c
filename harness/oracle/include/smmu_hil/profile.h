/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * SMMU profiles: the ID-register facts STE/CD legality depends on (IDR0 S1P,
 * S2P, ATS, Hyp, STALL_MODEL, TTF, HTTU, VMID16, CD2L, ...; IDR1 SSIDSIZE;
 * IDR3; IDR5 OAS and granules; AIDR revision), built from raw registers.
 */
#ifndef SMMU_HIL_PROFILE_H
#define SMMU_HIL_PROFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <json-c/json.h>

#include "smmu_hil/entry.h"
#include "smmu_hil/idr.h"

struct shl_profile {
	char name[64];
	struct shl_idr_regs regs;	/* raw registers the profile came from */
	struct shl_idr idr;		/* shl_idr_decode() of @regs */
	bool stt;			/* IDR3.STT, bit 9 */
	bool dpt;			/* IDR3.DPT, bit 15 (SMMUv3.4 EATS=0b11) */
	unsigned int arch_minor;	/* SMMUv3.<arch_minor> (AIDR) */
	unsigned int oas_bits;		/* IDR5.OAS in bits */
	unsigned int ias_bits;		/* OAS, or max(40, OAS) with AArch32 (3.4) */
	bool res0_illegal;		/* the implementation option of 5.2/5.4 */
	struct shl_entry res0[SHL_KIND_COUNT];	/* RES0 bits per structure */
};

/* Names of the built-in profiles, NULL-terminated: "full", "qemu-7.2". */
extern const char *const shl_profile_builtin_names[];

/*
 * shl_profile_init() - fill @p from raw registers and derive the rest.
 * @name: shown in reports (truncated to 63 characters).
 */
void shl_profile_init(struct shl_profile *p, const char *name, const struct shl_idr_regs *regs);

/*
 * shl_profile_builtin() - a built-in profile by name. Returns 0, or -1 if
 * there is none of that name.
 */
int shl_profile_builtin(const char *name, struct shl_profile *p);

/*
 * shl_profile_from_json() - a profile from `smmu-hil dut info -j` output
 * ({"smmu": [{"name", "idr": {"regs": {...}}}]}, the first SMMU), or from
 * {"idr": {"regs": {...}}} or {"regs": {...}}. Returns 0, or -1 with the
 * problem in @err.
 */
int shl_profile_from_json(json_object *root, const char *fallback_name, struct shl_profile *p,
			  char *err, size_t errlen);

/*
 * shl_profile_load() - @spec is a built-in name or a JSON file path (see
 * shl_profile_from_json()). NULL means "full". Returns 0, or -1 with @err.
 */
int shl_profile_load(const char *spec, struct shl_profile *p, char *err, size_t errlen);

/* shl_profile_to_json() - {"name", "version", "regs": {...}, "OAS", "IAS", ...}. */
json_object *shl_profile_to_json(const struct shl_profile *p);

#endif /* SMMU_HIL_PROFILE_H */
