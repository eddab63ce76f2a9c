// SPDX-License-Identifier: GPL-2.0-only
/*
 * smmu-hil dut info: the SMMU(s) with decoded ID registers (from the event
 * monitor's debugfs `smmu` file) and the PCI devices (libpci) with their
 * IOMMU group, StreamIDs (debugfs `streams`) and ATS/PRI/PASID capabilities.
 * Works without the module (no SMMUs, no StreamIDs) and on the host.
 *
 * smmu-hil dut streams: the live STE (and CD 0 under stage 1) of every
 * StreamID of those devices, from the event monitor's debugfs `tables`
 * (a read-only walk of the stream table), decoded with the oracle's field
 * names.
 *
 * smmu-hil dut quiesce: stop user space (all but this command's ancestors)
 * and wait for the block layer's requests in flight to drain, before
 * `kexec -e` (smmu_hil/quiesce.h says why); `dut thaw` undoes it when the
 * kexec did not happen.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <pci/pci.h>

#include "cli.h"
#include "smmu_hil/dut.h"
#include "smmu_hil/entry.h"
#include "smmu_hil/idr.h"
#include "smmu_hil/inject.h"
#include "smmu_hil/quiesce.h"
#include <uapi/smmu_hil.h>


/* StreamIDs of @bdf among the event monitor's @nstreams @streams. */
static json_object *stream_ids(const struct smmu_hil_stream *streams, size_t nstreams,
			       const char *bdf)
{
	json_object *arr = json_object_new_array();
	uint32_t sids[64];
	size_t i, n = shl_streams_sids(streams, nstreams, bdf, sids, 64);

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
	char bdf[SHL_BDF_LEN], drv[128], namebuf[256], *name;
	struct smmu_hil_stream *streams = NULL;
	size_t nstreams = 0;
	struct pci_access *pacc;
	struct pci_dev *d;
	int group;

	if (shl_dut_streams(false, &streams, &nstreams))
		nstreams = 0;
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
		json_object_object_add(o, "stream_ids", stream_ids(streams, nstreams, bdf));
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

/* {"pa", "config", "kind", "qwords", "fields"} of one entry. */
static json_object *entry_json(enum shl_entry_kind kind, uint64_t pa, const __u64 *q)
{
	struct shl_entry e;
	json_object *o;
	char pas[32];
	unsigned int i;

	for (i = 0; i < SHL_ENTRY_QWORDS; i++)
		e.q[i] = q[i];
	o = shl_entry_to_json(kind, &e);
	snprintf(pas, sizeof(pas), "0x%016llx", (unsigned long long)pa);
	json_object_object_add(o, "pa", json_object_new_string(pas));
	json_object_object_add(o, "config", json_object_new_string(shl_inject_config_name(kind, &e)));
	return o;
}

/* One stream of SMMU_HIL_IOC_EVT_TABLES; @smmus names the SMMUs by index. */
static json_object *table_row(const struct smmu_hil_stream *t, json_object *smmus)
{
	static const char *const where[] = { "walk", "smmu", "ste", "cd" };
	json_object *o = json_object_new_object(), *sm;
	char bdf[SHL_BDF_LEN];

	shl_bdf_format(&t->bdf, bdf);
	sm = t->smmu < json_object_array_length(smmus) ?
	     json_object_array_get_idx(smmus, t->smmu) : NULL;
	json_object_object_add(o, "bdf", json_object_new_string(bdf));
	json_object_object_add(o, "sid", json_object_new_int64(t->sid));
	json_object_object_add(o, "smmu", json_object_new_string(
		sm ? json_object_get_string(json_object_object_get(sm, "name")) : "-"));
	if (!(t->flags & SMMU_HIL_STREAM_STE)) {
		json_object_object_add(o, "error", json_object_new_string(
			t->where < sizeof(where) / sizeof(where[0]) ? where[t->where] : "walk"));
		json_object_object_add(o, "errno", json_object_new_int(t->error));
		return o;
	}
	json_object_object_add(o, "ste", entry_json(SHL_KIND_STE, t->ste_pa, t->ste));
	if (t->flags & SMMU_HIL_STREAM_CD)
		json_object_object_add(o, "cd", entry_json(SHL_KIND_CD, t->cd_pa, t->cd));
	else
		json_object_object_add(o, "cd", NULL);
	if (t->error && t->where == SMMU_HIL_WALK_CD)
		json_object_object_add(o, "cd_errno", json_object_new_int(t->error));
	return o;
}

static int cmd_streams(const struct shl_cli *cli)
{
	struct smmu_hil_stream *t;
	json_object *arr, *smmus;
	size_t i, n;
	int ret = shl_dut_streams(true, &t, &n);

	if (ret)
		return shl_err("%s/events: %s (smmu_hil_evtmon loaded? debugfs mounted?)",
			       shl_debugfs_dir(), strerror(-ret));
	smmus = shl_dut_smmus();
	arr = json_object_new_array();
	for (i = 0; i < n; i++)
		json_object_array_add(arr, table_row(&t[i], smmus));
	json_object_put(smmus);
	free(t);
	if (cli->json) {
		shl_json_print(arr, cli);
		return SHL_EXIT_OK;
	}
	for (i = 0; i < json_object_array_length(arr); i++) {
		json_object *r = json_object_array_get_idx(arr, i);
		json_object *ste = json_object_object_get(r, "ste");
		json_object *cd = json_object_object_get(r, "cd");

		printf("%s sid 0x%llx: ", json_object_get_string(json_object_object_get(r, "bdf")),
		       (unsigned long long)json_object_get_int64(json_object_object_get(r, "sid")));
		if (!ste) {
			printf("error %s at %s\n",
			       json_object_get_string(json_object_object_get(r, "errno")),
			       json_object_get_string(json_object_object_get(r, "error")));
			continue;
		}
		printf("STE %s at %s", json_object_get_string(json_object_object_get(ste, "config")),
		       json_object_get_string(json_object_object_get(ste, "pa")));
		if (cd)
			printf(", CD 0 at %s", json_object_get_string(json_object_object_get(cd, "pa")));
		printf("\n");
	}
	json_object_put(arr);
	return SHL_EXIT_OK;
}

#define QUIESCE_PIDS_MAX	4096
#define QUIESCE_TIMEOUT_MS	5000

static void print_quiesce(const struct shl_cli *cli, long stopped, long inflight, double ms)
{
	json_object *o;

	if (!cli->json) {
		printf("stopped %ld processes, %ld requests in flight after %.1f ms\n",
		       stopped, inflight, ms);
		return;
	}
	o = json_object_new_object();
	json_object_object_add(o, "stopped", json_object_new_int64(stopped));
	json_object_object_add(o, "inflight", json_object_new_int64(inflight));
	json_object_object_add(o, "drain_ms", json_object_new_double(ms));
	shl_json_print(o, cli);
}

/*
 * dut quiesce [--timeout-ms N] [--force]: exit 0 only when nothing is left
 * in flight. Without --force it refuses unless a kernel is loaded for
 * kexec, so a mistyped command does not stop a workstation's user space.
 */
static int cmd_quiesce(int argc, char **argv, const struct shl_cli *cli)
{
	static const struct option opts[] = {
		{ "force", no_argument, NULL, 'f' },
		{ "timeout-ms", required_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned long long timeout = QUIESCE_TIMEOUT_MS;
	char sysblock[4096];
	int c, force = 0;
	pid_t *pids;
	long n, stopped, inflight;
	double ms = 0;

	while ((c = shl_getopt(argc, argv, "", opts)) != -1) {
		if (c == SHL_GETOPT_ERR)
			return SHL_EXIT_USAGE;
		if (c == 'f')
			force = 1;
		else if (shl_parse_uint_range(optarg, 0, 600000, &timeout))
			return shl_err("--timeout-ms: '%s' is not 0..600000", optarg);
	}
	if (optind < argc)
		return shl_err("unexpected argument '%s' (usage: smmu-hil dut quiesce "
			       "[--timeout-ms N] [--force])", argv[optind]);
	if (!force && shl_quiesce_kexec_loaded(shl_sysfs_dir()) != 1)
		return shl_err("no kernel loaded for kexec (kexec -l first): "
			       "not stopping user space (--force to do it anyway)");
	snprintf(sysblock, sizeof(sysblock), "%s/block", shl_sysfs_dir());
	/* check before stopping anything: a DUT without it is not left stopped */
	inflight = shl_quiesce_inflight(sysblock);
	if (inflight < 0)
		return shl_err("%s: %s", sysblock, strerror((int)-inflight));
	pids = calloc(QUIESCE_PIDS_MAX, sizeof(*pids));
	if (!pids)
		return shl_err("out of memory");
	n = shl_quiesce_user_pids("/proc", getpid(), pids, QUIESCE_PIDS_MAX);
	if (n > QUIESCE_PIDS_MAX)
		n = -E2BIG;
	stopped = n < 0 ? n : shl_quiesce_stop(pids, (size_t)n, SHL_QUIESCE_STATE);
	free(pids);
	if (stopped < 0)
		return shl_err("stopping user space: %s", strerror((int)-stopped));
	inflight = shl_quiesce_drain(sysblock, (unsigned int)timeout, &ms);
	print_quiesce(cli, stopped, inflight, ms);
	if (inflight == 0)
		return SHL_EXIT_OK;
	shl_quiesce_thaw(SHL_QUIESCE_STATE);
	if (inflight < 0)
		return shl_err("%s: %s (user space continued)", sysblock,
			       strerror((int)-inflight));
	return shl_err("%ld block requests still in flight after %llu ms (user space continued)",
		       inflight, timeout);
}

static int cmd_thaw(int argc, char **argv, const struct shl_cli *cli)
{
	json_object *o;
	long n;

	if (shl_no_args("dut", argc, argv))
		return SHL_EXIT_USAGE;
	n = shl_quiesce_thaw(SHL_QUIESCE_STATE);

	if (n < 0)
		return shl_err("%s: %s", SHL_QUIESCE_STATE, strerror((int)-n));
	if (cli->json) {
		o = json_object_new_object();
		json_object_object_add(o, "continued", json_object_new_int64(n));
		shl_json_print(o, cli);
	} else {
		printf("continued %ld processes\n", n);
	}
	return SHL_EXIT_OK;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: smmu-hil dut info [-j]\n"
		"       smmu-hil dut streams [-j]\n"
		"       smmu-hil dut quiesce [--timeout-ms N] [--force] [-j]   (before kexec -e)\n"
		"       smmu-hil dut thaw [-j]\n");
}

static int cmd_info(int argc, char **argv, const struct shl_cli *cli)
{
	struct utsname u;
	json_object *info;

	if (shl_no_args("dut", argc, argv))
		return SHL_EXIT_USAGE;
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

static int cmd_streams_verb(int argc, char **argv, const struct shl_cli *cli)
{
	return shl_no_args("dut", argc, argv) ? SHL_EXIT_USAGE : cmd_streams(cli);
}

static const struct shl_verb verbs[] = {
	{ "info", cmd_info, "kernel, SMMU ID registers and features, PCI devices" },
	{ "streams", cmd_streams_verb, "each StreamID's live STE and CD" },
	{ "quiesce", cmd_quiesce, "stop user space and drain block I/O before kexec -e" },
	{ "thaw", cmd_thaw, "continue what quiesce stopped" },
	{ NULL, NULL, NULL },
};

int shl_cmd_dut(int argc, char **argv, const struct shl_cli *cli)
{
	return shl_cmd_select("dut", verbs, NULL, argc - 1, argv + 1, cli, usage);
}
