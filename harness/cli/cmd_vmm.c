// SPDX-License-Identifier: GPL-2.0-only
/*
 * smmu-hil vmm: the agent as a minimal VMM over iommufd and VFIO
 * (harness/agent/vmm.c, docs/bugs.md).
 *
 *   vmm nested-moves [--dev BDF] [--moves N] [--dwell-us US] [--vsid SID]
 *                    [--record] [--no-dma] [--s2-selftest] [-j]
 *       edu on vfio-pci, an S2 nesting parent, a vIOMMU, three nested
 *       HWPTs from vSTEs (vste-bypass, s1dss-bypass, s1), N replaces
 *       between them under edu DMA; --record pairs each recorded physical
 *       STE update with the oracle's plans with and without update-safe bits.
 *       --s2-selftest: without a vIOMMU, replaces between two nesting-parent
 *       S2 HWPTs (breaking by design; checks the VMM, DMA and recorder).
 *       Exit 0 pass, 1 fail (breaking update, DMA errors), 2 error,
 *       4 skip (the DUT has no vIOMMU: the reason is printed).
 *   vmm uapi [-j]   whether the agent was built with the vIOMMU uAPI
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "smmu_hil/dut.h"
#include "smmu_hil/vmm.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: smmu-hil vmm nested-moves [--dev BDF] [--moves N] [--dwell-us US]\n"
		"                                 [--vsid SID] [--record] [--no-dma] [--s2-selftest] [-j]\n"
		"       smmu-hil vmm uapi [-j]\n");
}

static int cmd_uapi(int argc, char **argv, const struct shl_cli *cli)
{
	const char *why = shl_vmm_uapi_missing();
	json_object *o;

	if (shl_no_args("vmm", argc, argv))
		return SHL_EXIT_USAGE;
	if (cli->json) {
		o = json_object_new_object();
		json_object_object_add(o, "viommu_uapi", json_object_new_boolean(!why));
		if (why)
			json_object_object_add(o, "missing", json_object_new_string(why));
		shl_json_print(o, cli);
	} else {
		puts(why ? why : "vIOMMU uAPI: yes");
	}
	return why ? SHL_VMM_SKIP : SHL_EXIT_OK;
}

static int cmd_nested_moves(int argc, char **argv, const struct shl_cli *cli)
{
	static const struct option opts[] = {
		{ "dev", required_argument, NULL, 'd' },
		{ "moves", required_argument, NULL, 'n' },
		{ "dwell-us", required_argument, NULL, 'w' },
		{ "vsid", required_argument, NULL, 's' },
		{ "record", no_argument, NULL, 'r' },
		{ "no-dma", no_argument, NULL, 'D' },
		{ "s2-selftest", no_argument, NULL, 'S' },
		{ NULL, 0, NULL, 0 },
	};
	struct shl_vmm_opts o = { .moves = 300, .dwell_us = 1000, .vsid = 0x18, .dma = true };
	unsigned long long v;
	json_object *r, *x;
	char err[512];
	int c, verdict;

	while ((c = shl_getopt(argc, argv, "", opts)) != -1) {
		switch (c) {
		case SHL_GETOPT_ERR:
			return SHL_EXIT_USAGE;
		case 'd':
			snprintf(o.bdf, sizeof(o.bdf), "%s", optarg);
			break;
		case 'n':
			if (shl_parse_uint_range(optarg, 1, 1000000, &v))
				return shl_err("--moves: 1..1000000, not '%s'", optarg);
			o.moves = (unsigned int)v;
			break;
		case 'w':
			if (shl_parse_uint_range(optarg, 0, 10000000, &v))
				return shl_err("--dwell-us: 0..10000000, not '%s'", optarg);
			o.dwell_us = (unsigned int)v;
			break;
		case 's':
			if (shl_parse_uint_range(optarg, 0, 0xffffffffULL, &v))
				return shl_err("--vsid: a 32-bit StreamID, not '%s'", optarg);
			o.vsid = (uint32_t)v;
			break;
		case 'r':
			o.record = true;
			break;
		case 'D':
			o.dma = false;
			break;
		case 'S':
			o.s2_selftest = true;
			break;
		}
	}
	if (optind < argc)
		return shl_err("vmm nested-moves: unexpected argument '%s'", argv[optind]);
	r = shl_vmm_nested_moves(&o, &verdict, err, sizeof(err));
	if (!r)
		return shl_err("vmm nested-moves: %s", err);
	if (cli->json) {
		shl_json_print(r, cli);
	} else {
		if (json_object_object_get_ex(r, "skip", &x))
			printf("skip: %s\n", json_object_get_string(x));
		else if (json_object_object_get_ex(r, "reason", &x))
			printf("fail: %s\n", json_object_get_string(x));
		else
			puts("pass");
		json_object_put(r);
	}
	return verdict;
}

static const struct shl_verb verbs[] = {
	{ "nested-moves", cmd_nested_moves, "replace a VFIO device between nested vSTE HWPTs" },
	{ "uapi", cmd_uapi, "whether the agent has the vIOMMU uAPI" },
	{ NULL, NULL, NULL },
};

int shl_cmd_vmm(int argc, char **argv, const struct shl_cli *cli)
{
	return shl_cmd_select("vmm", verbs, NULL, argc - 1, argv + 1, cli, usage);
}
