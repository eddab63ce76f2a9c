// SPDX-License-Identifier: GPL-2.0-only
/*
 * smmu-hil dut info: the SMMU(s) with decoded ID registers (from the event
 * monitor's debugfs `smmu` file) and the PCI devices (libpci) with their
 * IOMMU group, StreamIDs (debugfs `streams`) and ATS/PRI/PASID capabilities.
 * Works without the module (no SMMUs, no StreamIDs) and on the host.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include <pci/pci.h>

#include "smmu_hil/cli.h"
#include "smmu_hil/dut.h"
#include "smmu_hil/idr.h"

#define TEXT_MAX	(64 * 1024)

/* StreamIDs of @bdf from debugfs `streams` ("<bdf> <sid>..." lines). */
static json_object *stream_ids(const char *streams, const char *bdf)
{
	json_object *arr = json_object_new_array();
	uint32_t sids[64];
	size_t i, n = shl_streams_sids(streams, bdf, sids, 64);

	for (i = 0; i < n; i++)
		json_object_array_add(arr, json_object_new_int64(sids[i]));
	return arr;
}

static void add_hex(json_object *o, const char *key, unsigned int v, int width)
{
	char buf[16];

	snprintf(buf, sizeof(buf), "0x%0*x", width, v);
	json_object_object_add(o, key, json_object_new_string(buf));
}

static json_object *pci_list(void)
{
	json_object *arr = json_object_new_array(), *o, *caps;
	char path[4096], bdf[SHL_BDF_LEN], drv[128], namebuf[256], *name;
	char *streams = malloc(TEXT_MAX);
	struct pci_access *pacc;
	struct pci_dev *d;
	int group;

	if (!streams)
		return arr;
	snprintf(path, sizeof(path), "%s/streams", shl_debugfs_dir());
	if (shl_read_text(path, streams, TEXT_MAX) < 0)
		streams[0] = '\0';
	pacc = pci_alloc();
	pacc->error = NULL;
	pci_init(pacc);
	pci_scan_bus(pacc);
	for (d = pacc->devices; d; d = d->next) {
		pci_fill_info(d, PCI_FILL_IDENT | PCI_FILL_CLASS | PCI_FILL_CLASS_EXT |
			      PCI_FILL_CAPS | PCI_FILL_EXT_CAPS);
		snprintf(bdf, sizeof(bdf), "%04x:%02x:%02x.%x", (unsigned int)d->domain & 0xffff,
			 d->bus & 0xffu, d->dev & 0x1fu, d->func & 7u);
		o = json_object_new_object();
		json_object_object_add(o, "bdf", json_object_new_string(bdf));
		add_hex(o, "vendor", d->vendor_id, 4);
		add_hex(o, "device", d->device_id, 4);
		add_hex(o, "class", (unsigned int)d->device_class << 8 | d->prog_if, 6);
		name = pci_lookup_name(pacc, namebuf, sizeof(namebuf),
				       PCI_LOOKUP_DEVICE | PCI_LOOKUP_NO_NUMBERS,
				       d->vendor_id, d->device_id);
		json_object_object_add(o, "name", name ? json_object_new_string(name) : NULL);
		if (shl_pci_driver(bdf, drv, sizeof(drv)) == 0 && drv[0])
			json_object_object_add(o, "driver", json_object_new_string(drv));
		else
			json_object_object_add(o, "driver", NULL);
		group = shl_pci_iommu_group(bdf);
		json_object_object_add(o, "iommu_group",
				       group >= 0 ? json_object_new_int(group) : NULL);
		json_object_object_add(o, "stream_ids", stream_ids(streams, bdf));
		caps = json_object_new_object();
		json_object_object_add(caps, "ats", json_object_new_boolean(
			pci_find_cap(d, PCI_EXT_CAP_ID_ATS, PCI_CAP_EXTENDED) != NULL));
		json_object_object_add(caps, "pri", json_object_new_boolean(
			pci_find_cap(d, PCI_EXT_CAP_ID_PRI, PCI_CAP_EXTENDED) != NULL));
		json_object_object_add(caps, "pasid", json_object_new_boolean(
			pci_find_cap(d, PCI_EXT_CAP_ID_PASID, PCI_CAP_EXTENDED) != NULL));
		json_object_object_add(o, "caps", caps);
		json_object_array_add(arr, o);
	}
	pci_cleanup(pacc);
	free(streams);
	return arr;
}

static void print_text(json_object *info)
{
	json_object *smmus = json_object_object_get(info, "smmu");
	json_object *pcis = json_object_object_get(info, "pci");
	size_t i, j;

	printf("kernel %s\n", json_object_get_string(json_object_object_get(info, "kernel")));
	for (i = 0; i < json_object_array_length(smmus); i++) {
		json_object *s = json_object_array_get_idx(smmus, i);
		json_object *idr = json_object_object_get(s, "idr");
		json_object *feat = json_object_object_get(idr, "features");

		printf("smmu %s features:", json_object_get_string(json_object_object_get(s, "name")));
		for (j = 0; j < json_object_array_length(feat); j++)
			printf(" %s", json_object_get_string(json_object_array_get_idx(feat, j)));
		printf("\n");
	}
	for (i = 0; i < json_object_array_length(pcis); i++) {
		json_object *p = json_object_array_get_idx(pcis, i), *g, *sids, *caps;

		g = json_object_object_get(p, "iommu_group");
		sids = json_object_object_get(p, "stream_ids");
		caps = json_object_object_get(p, "caps");
		printf("pci %s %s:%s class %s driver %s group %s sid",
		       json_object_get_string(json_object_object_get(p, "bdf")),
		       json_object_get_string(json_object_object_get(p, "vendor")),
		       json_object_get_string(json_object_object_get(p, "device")),
		       json_object_get_string(json_object_object_get(p, "class")),
		       json_object_get_string(json_object_object_get(p, "driver")) ?: "-",
		       g ? json_object_get_string(g) : "-");
		if (!json_object_array_length(sids))
			printf(" -");
		for (j = 0; j < json_object_array_length(sids); j++)
			printf(" 0x%x", json_object_get_int(json_object_array_get_idx(sids, j)));
		printf("%s%s%s\n",
		       json_object_get_boolean(json_object_object_get(caps, "ats")) ? " ats" : "",
		       json_object_get_boolean(json_object_object_get(caps, "pri")) ? " pri" : "",
		       json_object_get_boolean(json_object_object_get(caps, "pasid")) ? " pasid" : "");
	}
}

static void usage(void)
{
	fprintf(stderr, "usage: smmu-hil dut info [-j]\n");
}

int shl_cmd_dut(int argc, char **argv, const struct shl_cli *cli)
{
	struct utsname u;
	json_object *info;

	if (argc >= 2 && !strcmp(argv[1], "help")) {
		usage();
		return SHL_EXIT_OK;
	}
	if (argc != 2 || strcmp(argv[1], "info")) {
		usage();
		return SHL_EXIT_USAGE;
	}
	if (uname(&u))
		return shl_err("uname: %s", strerror(errno));
	info = json_object_new_object();
	json_object_object_add(info, "kernel", json_object_new_string(u.release));
	json_object_object_add(info, "smmu", shl_dut_smmus());
	json_object_object_add(info, "pci", pci_list());
	if (cli->json) {
		shl_json_print(info, cli);
	} else {
		print_text(info);
		json_object_put(info);
	}
	return SHL_EXIT_OK;
}
