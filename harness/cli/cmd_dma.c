// SPDX-License-Identifier: GPL-2.0-only
/*
 * smmu-hil dma: edu DMA through the SMMU via smmu_hil_edu (docs/modules.md).
 *
 *   dma roundtrip [--dev BDF] [--len N] [--count N]   exit 1 if errors > 0
 *   dma fault [--dev BDF] --count N [--len N]          DMA to unmapped IOVAs
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "smmu_hil/dut.h"
#include "cmd_edu.h"

#define EDU_MAX_LEN	4095	/* QEMU <= 7.2 aborts on a copy to the buffer's end */
#define EDU_FAULT_MIN	4	/* one access: a fault copy is at least that */

static void usage(FILE *f)
{
	fprintf(f, "usage: smmu-hil dma roundtrip [--dev BDF] [--len 1..%d] [--count N] [-j]\n"
		   "       smmu-hil dma fault [--dev BDF] --count 1..4096 [--len %d..%d] [-j]\n",
		EDU_MAX_LEN, EDU_FAULT_MIN, EDU_MAX_LEN);
}

static int roundtrip(const char *bdf, unsigned int len, unsigned int count,
		     const struct shl_cli *cli)
{
	struct shl_edu_roundtrip rt;
	json_object *o;
	int ret = shl_edu_roundtrip(bdf, len, count, &rt);

	if (ret)
		return shl_err("%s: roundtrip: %s", bdf, strerror(-ret));
	if (cli->json) {
		o = json_object_new_object();
		json_object_object_add(o, "dev", json_object_new_string(bdf));
		json_object_object_add(o, "transfers", json_object_new_int64((int64_t)rt.transfers));
		json_object_object_add(o, "errors", json_object_new_int64((int64_t)rt.errors));
		json_object_object_add(o, "bytes", json_object_new_int64((int64_t)rt.bytes));
		json_object_object_add(o, "domain", json_object_new_string(rt.domain));
		shl_json_print(o, cli);
	} else {
		printf("%s: %llu transfers, %llu errors, %llu bytes, domain %s\n", bdf,
		       rt.transfers, rt.errors, rt.bytes, rt.domain);
	}
	return rt.errors ? SHL_EXIT_FAIL : SHL_EXIT_OK;
}

/* @len 0: the module's one-access fault */
static int fault(const char *bdf, unsigned int count, unsigned int len,
		 const struct shl_cli *cli)
{
	struct shl_edu_fault fr;
	unsigned long long injected, stride;
	char base[32];
	json_object *o;
	int ret;

	ret = shl_edu_fault(bdf, count, len, &fr);
	if (ret == -EOPNOTSUPP)
		return shl_err("%s: the device's domain does not translate (identity): nothing can fault",
			       bdf);
	if (ret)
		return shl_err("%s: fault: %s", bdf, strerror(-ret));
	injected = fr.injected;
	stride = fr.stride;
	snprintf(base, sizeof(base), "0x%llx", fr.iova_base);
	if (cli->json) {
		o = json_object_new_object();
		json_object_object_add(o, "dev", json_object_new_string(bdf));
		json_object_object_add(o, "injected", json_object_new_int64((int64_t)injected));
		json_object_object_add(o, "iova_base", json_object_new_string(base));
		json_object_object_add(o, "stride", json_object_new_int64((int64_t)stride));
		json_object_object_add(o, "len", json_object_new_int64(len ? len : EDU_FAULT_MIN));
		shl_json_print(o, cli);
	} else {
		printf("%s: %llu DMAs to unmapped IOVAs from %s, stride 0x%llx\n", bdf, injected,
		       base, stride);
	}
	return injected == count ? SHL_EXIT_OK : SHL_EXIT_FAIL;
}

/* dma roundtrip|fault [--dev BDF] [--len N] [--count N] */
static int dma_verb(int argc, char **argv, const struct shl_cli *cli, bool is_fault)
{
	static const struct option opts[] = {
		{ "dev", required_argument, NULL, 'd' },
		{ "len", required_argument, NULL, 'l' },
		{ "count", required_argument, NULL, 'c' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned long long len = EDU_MAX_LEN, count = 0;
	unsigned int max_count = is_fault ? 4096 : 10000;
	unsigned int min_len = is_fault ? EDU_FAULT_MIN : 1;
	const char *dev = NULL;
	bool have_count = false, have_len = false;
	char bdf[SHL_BDF_LEN];
	int c, ret;

	while ((c = shl_getopt(argc, argv, "", opts)) != -1) {
		switch (c) {
		case SHL_GETOPT_ERR:
			return SHL_EXIT_USAGE;
		case 'd':
			dev = optarg;
			break;
		case 'l':
			if (shl_parse_uint_range(optarg, min_len, EDU_MAX_LEN, &len))
				return shl_err("--len: expected %u..%d, got '%s'", min_len,
					       EDU_MAX_LEN, optarg);
			have_len = true;
			break;
		case 'c':
			if (shl_parse_uint_range(optarg, 1, max_count, &count))
				return shl_err("--count: expected 1..%u, got '%s'", max_count, optarg);
			have_count = true;
			break;
		}
	}
	if (optind < argc)
		return shl_err("dma %s: unexpected argument '%s'", argv[0], argv[optind]);
	if (is_fault && !have_count)
		return shl_err("dma fault needs --count N");
	ret = shl_edu_pick(dev, bdf);
	if (ret)
		return ret;
	if (is_fault)
		return fault(bdf, (unsigned int)count, have_len ? (unsigned int)len : 0, cli);
	return roundtrip(bdf, (unsigned int)len, have_count ? (unsigned int)count : 1, cli);
}

static int cmd_roundtrip(int argc, char **argv, const struct shl_cli *cli)
{
	return dma_verb(argc, argv, cli, false);
}

static int cmd_fault(int argc, char **argv, const struct shl_cli *cli)
{
	return dma_verb(argc, argv, cli, true);
}

static const struct shl_verb verbs[] = {
	{ "roundtrip", cmd_roundtrip, "DMA a pattern through a mapping and check it" },
	{ "fault", cmd_fault, "DMA to unmapped IOVAs (F_TRANSLATION records)" },
	{ NULL, NULL, NULL },
};

int shl_cmd_dma(int argc, char **argv, const struct shl_cli *cli)
{
	return shl_cmd_select("dma", verbs, NULL, argc - 1, argv + 1, cli, usage);
}
