// SPDX-License-Identifier: GPL-2.0-only
/*
 * smmu-hil events: the SMMU event records captured by smmu_hil_evtmon
 * (debugfs smmu-hil/events, stats, clear; docs/modules.md), decoded with
 * the spec's names (harness/lib/event.c).
 *
 *   events [show] [--clear]   drain the ring, print counters and records
 *   events stats              counters only
 *   events clear              empty the ring, zero the counters
 *   events hold --ms N        test only: hold the driver's event-queue
 *                             interrupt back N ms (0: release now)
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "smmu_hil/dut.h"
#include "smmu_hil/event.h"

#define BATCH		1024
#define HOLD_MAX_MS	60000	/* smmu_hil_evtmon's own cap */

static void usage(FILE *f)
{
	fprintf(f, "usage: smmu-hil events [show] [--clear] [-j]\n"
		   "       smmu-hil events stats [-j]\n"
		   "       smmu-hil events clear\n"
		   "       smmu-hil events hold --ms 0..%d [-j]\n", HOLD_MAX_MS);
}

static int no_module(int err)
{
	if (err == -ENOENT)
		return shl_err("event monitor not loaded (no %s): insmod smmu_hil_evtmon.ko",
			       shl_debugfs_dir());
	return shl_err("event monitor: %s", strerror(-err));
}

/* The event monitor's counters and probe as a JSON object. */
static int read_stats(json_object **out)
{
	struct shl_evt_stats st;
	json_object *o;
	int ret = shl_events_stats(&st);

	if (ret)
		return ret;
	o = json_object_new_object();
	json_object_object_add(o, "captured", json_object_new_int64((int64_t)st.captured));
	json_object_object_add(o, "dropped", json_object_new_int64((int64_t)st.dropped));
	json_object_object_add(o, "overflows", json_object_new_int64((int64_t)st.overflows));
	json_object_object_add(o, "evtq_aborts", json_object_new_int64((int64_t)st.evtq_aborts));
	json_object_object_add(o, "probe", json_object_new_string(st.probe));
	json_object_object_add(o, "ring_size", json_object_new_int64(st.ring_size));
	*out = o;
	return 0;
}

static void print_stats_text(json_object *st)
{
	printf("captured %" PRId64 " dropped %" PRId64 " overflows %" PRId64 " probe %s\n",
	       json_object_get_int64(json_object_object_get(st, "captured")),
	       json_object_get_int64(json_object_object_get(st, "dropped")),
	       json_object_get_int64(json_object_object_get(st, "overflows")),
	       json_object_get_string(json_object_object_get(st, "probe")));
}

static void print_record_text(const struct shl_evt_rec *r)
{
	struct shl_event e;

	shl_event_decode(r->evt, &e);
	printf("%" PRIu64 " %" PRIu64 ".%09" PRIu64 " %s (0x%02x) sid 0x%x",
	       r->seq, r->ts_ns / 1000000000u, r->ts_ns % 1000000000u, e.name, e.id, e.sid);
	if (e.ssv)
		printf(" ssid 0x%x", e.ssid);
	if (e.fields & SHL_EVF_ADDR)
		printf(" addr 0x%" PRIx64, e.input_addr);
	if (e.fields & SHL_EVF_ACCESS)
		printf(" %s", e.rnw ? "read" : "write");
	if (e.fields & SHL_EVF_CLASS)
		printf(" %s class %s", e.s2 ? "s2" : "s1", shl_event_class_name(e.class_));
	if (e.fields & SHL_EVF_FETCH)
		printf(" fetch 0x%" PRIx64, e.fetch_addr);
	printf("\n");
}

static int events_show(bool clear, const struct shl_cli *cli)
{
	struct shl_evt_rec *recs = malloc(BATCH * sizeof(*recs));
	json_object *st, *arr = json_object_new_array();
	long n, i;
	int ret;

	if (!recs) {
		json_object_put(arr);
		return shl_err("out of memory");
	}
	ret = read_stats(&st);
	if (ret) {
		free(recs);
		json_object_put(arr);
		return no_module(ret);
	}
	if (!cli->json)
		print_stats_text(st);
	do {
		n = shl_events_read(recs, BATCH);
		for (i = 0; i < n; i++) {
			if (cli->json)
				json_object_array_add(arr, shl_event_to_json(recs[i].evt,
						      recs[i].seq, recs[i].ts_ns));
			else
				print_record_text(&recs[i]);
		}
	} while (n == BATCH);
	free(recs);
	if (n < 0) {
		json_object_put(st);
		json_object_put(arr);
		return no_module((int)n);
	}
	if (clear && (ret = shl_events_clear())) {
		json_object_put(st);
		json_object_put(arr);
		return no_module(ret);
	}
	if (cli->json) {
		json_object_object_add(st, "records", arr);
		shl_json_print(st, cli);
	} else {
		json_object_put(st);
		json_object_put(arr);
	}
	return SHL_EXIT_OK;
}

static int cmd_show(int argc, char **argv, const struct shl_cli *cli)
{
	static const struct option opts[] = {
		{ "clear", no_argument, NULL, 'c' },
		{ NULL, 0, NULL, 0 },
	};
	bool clear = false;
	int c;

	while ((c = shl_getopt(argc, argv, "", opts)) != -1) {
		if (c == SHL_GETOPT_ERR)
			return SHL_EXIT_USAGE;
		clear = true;
	}
	if (optind < argc)
		return shl_err("events show: unexpected argument '%s'", argv[optind]);
	return events_show(clear, cli);
}

static int cmd_stats(int argc, char **argv, const struct shl_cli *cli)
{
	json_object *st;
	int ret = shl_no_args("events", argc, argv);

	if (ret)
		return ret;
	ret = read_stats(&st);
	if (ret)
		return no_module(ret);
	if (cli->json) {
		shl_json_print(st, cli);
	} else {
		print_stats_text(st);
		json_object_put(st);
	}
	return SHL_EXIT_OK;
}

static int cmd_clear(int argc, char **argv, const struct shl_cli *cli)
{
	int ret = shl_no_args("events", argc, argv);

	(void)cli;
	if (ret)
		return ret;
	ret = shl_events_clear();
	return ret ? no_module(ret) : SHL_EXIT_OK;
}

/* events hold --ms N: test only (smmu_hil_evtmon evtq_hold_max_ms) */
static int cmd_hold(int argc, char **argv, const struct shl_cli *cli)
{
	static const struct option opts[] = {
		{ "ms", required_argument, NULL, 'm' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned long long ms = 0;
	bool have_ms = false;
	unsigned int held = 0;
	json_object *o;
	int c, ret;

	while ((c = shl_getopt(argc, argv, "", opts)) != -1) {
		if (c == SHL_GETOPT_ERR)
			return SHL_EXIT_USAGE;
		if (shl_parse_uint_range(optarg, 0, HOLD_MAX_MS, &ms))
			return shl_err("--ms: expected 0..%d, got '%s'", HOLD_MAX_MS, optarg);
		have_ms = true;
	}
	if (optind < argc)
		return shl_err("events hold: unexpected argument '%s'", argv[optind]);
	if (!have_ms)
		return shl_err("events hold needs --ms N (0 releases)");
	ret = shl_events_hold((unsigned int)ms, &held);
	if (ret == -EPERM)
		return shl_err("events hold: refused: load smmu_hil_evtmon with evtq_hold_max_ms=N (test only)");
	if (ret == -EINVAL)
		return shl_err("events hold: --ms %llu is above the module's evtq_hold_max_ms", ms);
	if (ret == -ENODEV)
		return shl_err("events hold: no SMMU event-queue interrupt found to hold");
	if (ret)
		return no_module(ret);
	if (cli->json) {
		o = json_object_new_object();
		json_object_object_add(o, "ms", json_object_new_int64((int64_t)ms));
		json_object_object_add(o, "held", json_object_new_int64(held));
		shl_json_print(o, cli);
	} else {
		printf("%u event-queue interrupt(s) held%s\n", held, ms ? "" : " (released)");
	}
	return SHL_EXIT_OK;
}

static const struct shl_verb verbs[] = {
	{ "show", cmd_show, "drain the ring: counters and records (the default)" },
	{ "stats", cmd_stats, "counters only" },
	{ "clear", cmd_clear, "empty the ring, zero the counters" },
	{ "hold", cmd_hold, "test only: hold the event-queue interrupt back N ms" },
	{ NULL, NULL, NULL },
};

int shl_cmd_events(int argc, char **argv, const struct shl_cli *cli)
{
	return shl_cmd_select("events", verbs, "show", argc - 1, argv + 1, cli, usage);
}
