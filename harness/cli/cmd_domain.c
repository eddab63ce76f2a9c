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

#include "smmu_hil/cli.h"
#include "smmu_hil/dut.h"
#include "cmd_edu.h"

enum dom_type { DOM_IDENTITY, DOM_DMA, DOM_PAGING, DOM_OTHER, DOM_NR };

static const char *const dom_names[DOM_NR] = { "identity", "dma", "paging", "other" };

#define MAX_SEQ		16
#define CYCLE_LEN	256	/* bytes per --dma-between round trip */

static void usage(FILE *f)
{
	fprintf(f, "usage: smmu-hil domain show [--dev BDF] [-j]\n"
		   "       smmu-hil domain set [--dev BDF] identity|dma|paging [-j]\n"
		   "       smmu-hil domain cycle [--dev BDF] --sequence identity,dma,paging --count N\n"
		   "                             [--dma-between] [--len N] [-j]\n");
}

static int dom_parse(const char *s)
{
	int t;

	for (t = 0; t < DOM_OTHER; t++)
		if (!strcmp(s, dom_names[t]))
			return t;
	return -1;
}

/* The domain the device is in now: the module's view, else the group's. */
static int dom_current(const char *bdf, char *name, size_t size)
{
	char path[PATH_MAX];
	int g, ret;

	ret = shl_edu_domain(bdf, name, size);
	if (ret) {
		g = shl_pci_iommu_group(bdf);
		if (g < 0)
			return -ENODEV;
		snprintf(path, sizeof(path), "%s/kernel/iommu_groups/%d/type", shl_sysfs_dir(), g);
		ret = shl_read_text(path, name, size);
		if (ret < 0)
			return ret;
		name[strcspn(name, "\n")] = '\0';
	}
	return 0;
}

static enum dom_type dom_classify(const char *name)
{
	if (!strcmp(name, "identity"))
		return DOM_IDENTITY;
	if (!strcmp(name, "DMA") || !strcmp(name, "DMA-FQ"))
		return DOM_DMA;
	if (!strcmp(name, "paging"))
		return DOM_PAGING;
	return DOM_OTHER;
}

/* Unbind, write the group's default domain type, bind again. */
static int set_default_type(const char *bdf, enum dom_type t)
{
	char path[PATH_MAX];
	int g = shl_pci_iommu_group(bdf), ret, ret2;

	if (g < 0)
		return -ENODEV;
	snprintf(path, sizeof(path), "%s/bus/pci/drivers/%s/unbind", shl_sysfs_dir(),
		 SHL_EDU_DRIVER);
	ret = shl_write_text(path, bdf);
	if (ret)
		return ret;
	snprintf(path, sizeof(path), "%s/kernel/iommu_groups/%d/type", shl_sysfs_dir(), g);
	ret = shl_write_text(path, t == DOM_IDENTITY ? "identity" : "DMA");
	snprintf(path, sizeof(path), "%s/bus/pci/drivers/%s/bind", shl_sysfs_dir(),
		 SHL_EDU_DRIVER);
	ret2 = shl_write_text(path, bdf);
	return ret ? ret : ret2;
}

/* Move @bdf into domain type @t. Returns 0 or -errno. */
static int dom_set(const char *bdf, enum dom_type t)
{
	char cur[32], result[256];
	enum dom_type c;
	int ret = dom_current(bdf, cur, sizeof(cur));

	if (ret)
		return ret;
	c = dom_classify(cur);
	if (c == t)
		return 0;
	if (t == DOM_PAGING)
		return shl_edu_ctl(bdf, "domain paging", result, sizeof(result));
	if (c == DOM_PAGING) {
		ret = shl_edu_ctl(bdf, "domain default", result, sizeof(result));
		if (ret)
			return ret;
		ret = dom_current(bdf, cur, sizeof(cur));
		if (ret)
			return ret;
		if (dom_classify(cur) == t)
			return 0;
	}
	ret = set_default_type(bdf, t);
	if (ret)
		return ret;
	ret = dom_current(bdf, cur, sizeof(cur));
	if (ret)
		return ret;
	return dom_classify(cur) == t ? 0 : -EAGAIN;
}

static int show(const char *bdf, const struct shl_cli *cli)
{
	char cur[32];
	int g = shl_pci_iommu_group(bdf), ret = dom_current(bdf, cur, sizeof(cur));
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
		t = dom_parse(tok);
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
	unsigned long long per[DOM_NR] = { 0 }, done = 0, dma_errors = 0;
	struct shl_edu_roundtrip rt;
	char cur[32];
	double t0 = now_s(), el;
	json_object *o, *pt;
	int i = 0, ret, t;

	ret = dom_current(bdf, cur, sizeof(cur));
	if (ret)
		return shl_err("%s: cannot tell its domain: %s", bdf, strerror(-ret));
	/* start with the first step that changes the domain */
	while (i < nseq && seq[i] == (int)dom_classify(cur))
		i++;
	i %= nseq;
	while (done < count) {
		t = seq[i];
		i = (i + 1) % nseq;
		ret = dom_set(bdf, (enum dom_type)t);
		if (ret)
			return shl_err("%s: transition %llu to %s failed: %s", bdf, done + 1,
				       dom_names[t], strerror(-ret));
		done++;
		per[t]++;
		if (dma_between) {
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
		for (t = 0; t < DOM_OTHER; t++)
			json_object_object_add(pt, dom_names[t], json_object_new_int64((int64_t)per[t]));
		json_object_object_add(o, "per_type", pt);
		shl_json_print(o, cli);
	} else {
		printf("%s: %llu transitions (identity %llu, dma %llu, paging %llu) in %.2f s, %llu DMA errors\n",
		       bdf, done, per[DOM_IDENTITY], per[DOM_DMA], per[DOM_PAGING], el, dma_errors);
	}
	return dma_errors ? SHL_EXIT_FAIL : SHL_EXIT_OK;
}

int shl_cmd_domain(int argc, char **argv, const struct shl_cli *cli)
{
	const char *verb = argc > 1 ? argv[1] : "", *dev = NULL, *target = NULL;
	unsigned long long count = 0, len = CYCLE_LEN;
	bool dma_between = false, have_seq = false;
	int i, ret, seq[MAX_SEQ], nseq = 0, t;
	char bdf[SHL_BDF_LEN];

	if (!strcmp(verb, "help")) {
		usage(stdout);
		return SHL_EXIT_OK;
	}
	if (strcmp(verb, "show") && strcmp(verb, "set") && strcmp(verb, "cycle")) {
		usage(stderr);
		return SHL_EXIT_USAGE;
	}
	for (i = 2; i < argc; i++) {
		const char *opt = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
		bool is_cycle = !strcmp(verb, "cycle");

		if (is_cycle && !strcmp(opt, "--dma-between")) {
			dma_between = true;
			continue;
		}
		if (!strcmp(verb, "set") && opt[0] != '-' && !target) {
			target = opt;
			continue;
		}
		if (!val || opt[0] != '-')
			return shl_err("unexpected argument '%s'", opt);
		if (!strcmp(opt, "--dev")) {
			dev = val;
		} else if (is_cycle && !strcmp(opt, "--sequence")) {
			if (parse_sequence(val, seq, &nseq))
				return shl_err("--sequence: 2..%d of identity,dma,paging, each different from the one before (also around the cycle), got '%s'",
					       MAX_SEQ, val);
			have_seq = true;
		} else if (is_cycle && !strcmp(opt, "--count")) {
			if (shl_parse_uint_range(val, 1, 1000000, &count))
				return shl_err("--count: expected 1..1000000, got '%s'", val);
		} else if (is_cycle && !strcmp(opt, "--len")) {
			if (shl_parse_uint_range(val, 1, 4095, &len))
				return shl_err("--len: expected 1..4095, got '%s'", val);
		} else {
			return shl_err("unknown option '%s'", opt);
		}
		i++;
	}
	if (!strcmp(verb, "set") && (!target || dom_parse(target) < 0))
		return shl_err("domain set needs one of identity, dma, paging");
	if (!strcmp(verb, "cycle") && (!have_seq || !count))
		return shl_err("domain cycle needs --sequence and --count");
	ret = shl_edu_pick(dev, bdf);
	if (ret)
		return ret;
	if (!strcmp(verb, "show"))
		return show(bdf, cli);
	if (!strcmp(verb, "set")) {
		t = dom_parse(target);
		ret = dom_set(bdf, (enum dom_type)t);
		if (ret)
			return shl_err("%s: cannot move to %s: %s", bdf, target, strerror(-ret));
		return show(bdf, cli);
	}
	return cycle(bdf, seq, nseq, count, dma_between, (unsigned int)len, cli);
}
