// SPDX-License-Identifier: GPL-2.0-only
/*
 * smmu-hil run [-j|--lava] SCENARIO.yaml...: run transition scenarios on
 * this machine (docs/scenarios.md) with the agent's executor
 * (harness/agent/runner.c). Every file is validated first; a scenario whose
 * SMMU features the DUT lacks is skipped with the missing ones named.
 * Output: KTAP v1 (harness/agent/ktap.c), or with -j {"tests": [...]} for
 * the lab's report.json, or with --lava LAVA test shell commands
 * (lava-test-case per scenario, its numeric metrics as a lava-test-set) for
 * a LAVA job to run (docs/lava.md).
 * Exit (kselftest's): 0 every scenario passed (or some skipped), 1 one
 * failed, 4 every scenario was skipped; 2 bad input.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "smmu_hil/device.h"
#include "smmu_hil/ktap.h"
#include "smmu_hil/run.h"
#include "smmu_hil/runner.h"
#include "smmu_hil/scenario.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: smmu-hil run [-j|--lava] [--device DEV [--force]] SCENARIO.yaml...\n"
		   "Runs transition scenarios on this DUT and prints KTAP (JSON with -j,\n"
		   "lava-test-case commands with --lava).\n"
		   "--device DEV: run them on DEV instead of each scenario's device (edu, a PCI\n"
		   "  address, vendor:device, nvme, virtio-blk, virtio-net, disk, net, nic); the\n"
		   "  tests are named SCENARIO@DEV. The disk holding / and the NIC of this SSH\n"
		   "  session are refused unless --force.\n"
		   "Exit 0 no failure, 1 a scenario failed, 4 every scenario skipped, 2 bad input.\n");
}

/* Load and check every file; the errors as one message in @err. Returns how many failed. */
static int load_all(int n, char **files, struct shl_scenario *s, char *err, size_t len)
{
	char one[600];
	size_t used = 0;
	int i, j, bad = 0;

	err[0] = '\0';
	for (i = 0; i < n; i++) {
		if (!shl_scenario_load(files[i], &s[i], one, sizeof(one)))
			continue;
		used += (size_t)snprintf(err + used, used < len ? len - used : 0, "%s%s",
					 bad++ ? "\n" : "", one);
	}
	for (i = 0; !bad && i < n; i++)
		for (j = 0; j < i; j++)
			if (!strcmp(s[i].name, s[j].name)) {
				used += (size_t)snprintf(err + used, used < len ? len - used : 0,
							 "%s%s:1: name: '%s' also names %s",
							 bad++ ? "\n" : "", s[i].file, s[i].name,
							 s[j].file);
			}
	return bad;
}

static int cmd_run(int argc, char **argv, const struct shl_cli *cli)
{
	static const struct option opts[] = {
		{ "lava", no_argument, NULL, 'L' },
		{ "device", required_argument, NULL, 'd' },
		{ "force", no_argument, NULL, 'F' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct shl_scenario *s = NULL;
	struct shl_run_result *o = NULL;
	struct shl_run_ctx *ctx = NULL;
	json_object *root, *tests;
	struct shl_ktap k;
	char err[4096], *line, *save;
	const char *device = NULL;
	bool lava = false, force = false;
	int c, i, n, ret = SHL_EXIT_USAGE;

	while ((c = shl_getopt(argc, argv, "h", opts)) != -1) {
		if (c == SHL_GETOPT_ERR)
			return SHL_EXIT_USAGE;
		if (c == 'h') {
			usage(stdout);
			return SHL_EXIT_OK;
		}
		if (c == 'd')
			device = optarg;
		else if (c == 'F')
			force = true;
		else
			lava = true;
	}
	if (device && !shl_dev_spec_ok(device))
		return shl_err("run: --device '%s': not edu, a PCI address, vendor:device or a class (nvme, virtio-blk, virtio-net, disk, net, nic)",
			       device);
	if (force && !device)
		return shl_err("run: --force applies to --device only");
	n = argc - optind;
	if (n < 1)
		return shl_err("run: which scenarios? (usage: smmu-hil run [-j|--lava] SCENARIO.yaml...)");
	if (lava && cli->json)
		return shl_err("run: -j and --lava exclude each other");
	s = calloc((size_t)n, sizeof(*s));
	o = calloc((size_t)n, sizeof(*o));
	if (!s || !o) {
		ret = shl_err("out of memory");
		goto out;
	}
	if (load_all(n, argv + optind, s, err, sizeof(err))) {
		/* -j: one {"error"} with every message; text: a line each */
		if (cli->json)
			shl_err("%s", err);
		else
			for (line = strtok_r(err, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
				shl_err("%s", line);
		goto out;
	}
	ctx = shl_run_ctx_new(force);
	if (!ctx) {
		ret = shl_err("out of memory");
		goto out;
	}
	if (device) {
		struct shl_dev dev;
		char why[600], name[SHL_SCN_NAME_MAX + 32];

		/* a device that is there but refused is one error, before anything runs */
		if (shl_dev_resolve(device, &ctx->guard, &dev, why, sizeof(why)) == -EPERM) {
			ret = shl_err("run: %s", why);
			goto out;
		}
		ctx->device = device;
		for (i = 0; i < n; i++) {
			snprintf(name, sizeof(name), "%s@%s", s[i].name, device);
			if (strlen(name) >= sizeof(s[i].name)) {
				ret = shl_err("run: %s: the name is too long", name);
				goto out;
			}
			memcpy(s[i].name, name, strlen(name) + 1);
		}
	}
	memset(&k, 0, sizeof(k));
	if (!cli->json && !lava) {
		shl_ktap_start(&k, stdout, NULL, (unsigned int)n);
		fflush(stdout);
	}
	for (i = 0; i < n; i++) {
		shl_run_scenario(ctx, &s[i], &o[i]);
		if (cli->json)
			continue;
		if (lava) {
			shl_run_lava_result(stdout, s[i].name, &o[i]);
		} else {
			char d[512];

			snprintf(d, sizeof(d), "%s: duration_s=%.3f", s[i].name, o[i].duration_s);
			shl_ktap_diag(&k, d);
			shl_ktap_test(&k, s[i].name, o[i].status, o[i].reason, o[i].metrics);
		}
		fflush(stdout);
	}
	if (cli->json) {
		root = json_object_new_object();
		tests = json_object_new_array();
		for (i = 0; i < n; i++)
			json_object_array_add(tests, shl_run_test_json(s[i].name, &o[i]));
		json_object_object_add(root, "tests", tests);
		shl_json_print(root, cli);	/* drops root: no json_object_put() after it */
	}
	ret = shl_run_exit_code(o, (size_t)n);
	if (!cli->json && !lava)
		shl_ktap_finish(&k);
out:
	for (i = 0; o && i < n; i++)
		shl_run_free(&o[i]);
	shl_run_ctx_free(ctx);
	free(s);
	free(o);
	return ret;
}

int shl_cmd_run(int argc, char **argv, const struct shl_cli *cli)
{
	/* `run` is an object without verbs: its arguments are the files */
	if (argc >= 2 && !strcmp(argv[1], "help")) {
		usage(stdout);
		return SHL_EXIT_OK;
	}
	optind = 0;
	return cmd_run(argc, argv, cli);
}
