// SPDX-License-Identifier: GPL-2.0-only
/*
 * smmu-hil domain: move the edu device between IOMMU domains through the
 * kernel's own paths, each move a real STE rewrite by the SMMU driver:
 *   - default DMA <-> identity: unbind the driver, write the group's `type`
 *     attribute ("DMA" / "identity"), bind again (iommu_group_store_type,
 *     which in 6.1 needs the device unbound);
 *   - default <-> paging: smmu_hil_edu's `domain paging|default` command
 *     (iommu_attach_device / iommu_detach_device of a module domain).
 *
 *   domain show [--dev BDF]
 *   domain set [--dev BDF] identity|dma|paging
 *   domain cycle [--dev BDF] --sequence T,T,... --count N [--dma-between] [--len N]
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "smmu_hil/dut.h"
#include "cmd_edu.h"

#define MAX_SEQ		16
#define CYCLE_LEN	256	/* bytes per --dma-between round trip */

static void usage(FILE *f)
{
	fprintf(f, "usage: smmu-hil domain show [--dev BDF] [-j]\n"
		   "       smmu-hil domain set [--dev BDF] identity|dma|paging [-j]\n"
		   "       smmu-hil domain cycle [--dev BDF] --sequence identity,dma,paging --count N\n"
		   "                             [--dma-between] [--len N] [-j]\n");
}

static int show(const char *bdf, const struct shl_cli *cli)
{
	char cur[32];
	int g = shl_pci_iommu_group(bdf), ret = shl_dom_current(bdf, cur, sizeof(cur));
	json_object *o;

	if (ret)
		return shl_err("%s: cannot tell its domain: %s", bdf, strerror(-ret));
	if (cli->json) {
		o = json_object_new_object();
		json_object_object_add(o, "dev", json_object_new_string(bdf));
		json_object_object_add(o, "group", g >= 0 ? json_object_new_int(g) : NULL);
		json_object_object_add(o, "type", json_object_new_string(cur));
		shl_json_print(o, cli);
	} else {
		printf("%s group %d type %s\n", bdf, g, cur);
	}
	return SHL_EXIT_OK;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int parse_sequence(const char *s, int *seq, int *n)
{
	char buf[256], *tok, *save = NULL;
	int t;

	if (strlen(s) >= sizeof(buf))
		return -1;
	strcpy(buf, s);
	*n = 0;
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		t = shl_dom_parse(tok);
		if (t < 0 || *n == MAX_SEQ)
			return -1;
		/* each step must change the domain, also when wrapping around */
		if (*n && seq[*n - 1] == t)
			return -1;
		seq[(*n)++] = t;
	}
	if (*n < 2 || seq[0] == seq[*n - 1])
		return -1;
	return 0;
}

static int cycle(const char *bdf, const int *seq, int nseq, unsigned long long count,
		 bool dma_between, unsigned int len, const struct shl_cli *cli)
{
	unsigned long long per[SHL_DOM_NR] = { 0 }, done = 0, dma_errors = 0;
	struct shl_edu_roundtrip rt;
	char cur[32];
	double t0 = now_s(), el;
	json_object *o, *pt;
	int i = 0, ret, t;

	ret = shl_dom_current(bdf, cur, sizeof(cur));
	if (ret)
		return shl_err("%s: cannot tell its domain: %s", bdf, strerror(-ret));
	/* start with the first step that changes the domain */
	while (i < nseq && seq[i] == (int)shl_dom_classify(cur))
		i++;
	i %= nseq;
	while (done < count) {
		t = seq[i];
		i = (i + 1) % nseq;
		ret = shl_dom_set(bdf, (enum shl_dom)t);
		if (ret)
			return shl_err("%s: transition %llu to %s failed: %s", bdf, done + 1,
				       shl_dom_name(t), strerror(-ret));
		done++;
		per[t]++;
		if (dma_between && t != SHL_DOM_BLOCKED) {
			ret = shl_edu_roundtrip(bdf, len, 1, &rt);
			if (ret || rt.errors || rt.transfers != 1)
				dma_errors++;
		}
	}
	el = now_s() - t0;
	if (cli->json) {
		o = json_object_new_object();
		pt = json_object_new_object();
		json_object_object_add(o, "dev", json_object_new_string(bdf));
		json_object_object_add(o, "transitions", json_object_new_int64((int64_t)done));
		json_object_object_add(o, "dma_errors", json_object_new_int64((int64_t)dma_errors));
		json_object_object_add(o, "elapsed_s", json_object_new_double(el));
		for (t = 0; t < SHL_DOM_OTHER; t++)
			json_object_object_add(pt, shl_dom_name(t), json_object_new_int64((int64_t)per[t]));
		json_object_object_add(o, "per_type", pt);
		shl_json_print(o, cli);
	} else {
		printf("%s: %llu transitions (identity %llu, dma %llu, paging %llu, blocked %llu) in %.2f s, %llu DMA errors\n",
		       bdf, done, per[SHL_DOM_IDENTITY], per[SHL_DOM_DMA], per[SHL_DOM_PAGING],
		       per[SHL_DOM_BLOCKED], el, dma_errors);
	}
	return dma_errors ? SHL_EXIT_FAIL : SHL_EXIT_OK;
}

/* domain show|set|cycle: the options of all three, each verb its own subset */
static int domain_verb(int argc, char **argv, const struct shl_cli *cli)
{
	static const struct option opts[] = {
		{ "dev", required_argument, NULL, 'd' },
		{ "sequence", required_argument, NULL, 's' },
		{ "count", required_argument, NULL, 'c' },
		{ "len", required_argument, NULL, 'l' },
		{ "dma-between", no_argument, NULL, 'B' },
		{ NULL, 0, NULL, 0 },
	};
	const char *verb = argv[0], *dev = NULL, *target = NULL;
	unsigned long long count = 0, len = CYCLE_LEN;
	bool dma_between = false, have_seq = false, is_cycle = !strcmp(verb, "cycle");
	bool is_set = !strcmp(verb, "set");
	int c, ret, seq[MAX_SEQ], nseq = 0, t, k;
	char bdf[SHL_BDF_LEN];

	while ((c = shl_getopt(argc, argv, "", opts)) != -1) {
		if (c == SHL_GETOPT_ERR)
			return SHL_EXIT_USAGE;
		if (c != 'd' && !is_cycle) {
			for (k = 0; opts[k].val != c; k++)
				;
			return shl_err("domain %s takes no --%s", verb, opts[k].name);
		}
		switch (c) {
		case 'd':
			dev = optarg;
			break;
		case 'B':
			dma_between = true;
			break;
		case 's':
			if (parse_sequence(optarg, seq, &nseq))
				return shl_err("--sequence: 2..%d of identity,dma,paging, each different from the one before (also around the cycle), got '%s'",
					       MAX_SEQ, optarg);
			have_seq = true;
			break;
		case 'c':
			if (shl_parse_uint_range(optarg, 1, 1000000, &count))
				return shl_err("--count: expected 1..1000000, got '%s'", optarg);
			break;
		case 'l':
			if (shl_parse_uint_range(optarg, 1, 4095, &len))
				return shl_err("--len: expected 1..4095, got '%s'", optarg);
			break;
		}
	}
	if (is_set && optind < argc)
		target = argv[optind++];
	if (optind < argc)
		return shl_err("unexpected argument '%s'", argv[optind]);
	if (is_set && (!target || shl_dom_parse(target) < 0))
		return shl_err("domain set needs one of identity, dma, paging, blocked");
	if (is_cycle && (!have_seq || !count))
		return shl_err("domain cycle needs --sequence and --count");
	ret = shl_edu_pick(dev, bdf);
	if (ret)
		return ret;
	if (is_set) {
		t = shl_dom_parse(target);
		ret = shl_dom_set(bdf, (enum shl_dom)t);
		if (ret)
			return shl_err("%s: cannot move to %s: %s", bdf, target, strerror(-ret));
		return show(bdf, cli);
	}
	if (is_cycle)
		return cycle(bdf, seq, nseq, count, dma_between, (unsigned int)len, cli);
	return show(bdf, cli);
}

static const struct shl_verb verbs[] = {
	{ "show", domain_verb, "the device's IOMMU domain" },
	{ "set", domain_verb, "move the device to identity, dma, paging or blocked" },
	{ "cycle", domain_verb, "move it around a sequence of domains N times" },
	{ NULL, NULL, NULL },
};

int shl_cmd_domain(int argc, char **argv, const struct shl_cli *cli)
{
	return shl_cmd_select("domain", verbs, NULL, argc - 1, argv + 1, cli, usage);
}
