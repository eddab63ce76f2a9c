// SPDX-License-Identifier: GPL-2.0-only
/*
 * smmu-hil clock: the DUT's counters for blackout timing across kexec.
 * On arm64 the generic timer's virtual count CNTVCT_EL0 and its frequency
 * CNTFRQ_EL0 (Arm ARM D11, the generic timer) keep counting through kexec,
 * unlike CLOCK_MONOTONIC, which restarts with the new kernel. Elsewhere the
 * command falls back to CLOCK_MONOTONIC (cntfrq 1e9).
 *
 *   clock [--io /dev/vdX]   with --io: one 4 KiB O_DIRECT read first, and the
 *                           counter taken when it completes; the counter
 *                           when the read was issued is io_start_cntvct
 *                           (what before it is the command's own start)
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

#define IO_SIZE 4096

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void read_counter(uint64_t *cnt, uint64_t *frq)
{
#if defined(__aarch64__)
	uint64_t v, f;

	__asm__ volatile("isb; mrs %0, cntvct_el0" : "=r"(v) : : "memory");
	__asm__ volatile("mrs %0, cntfrq_el0" : "=r"(f));
	*cnt = v;
	*frq = f;
#else
	*cnt = mono_ns();
	*frq = 1000000000u;
#endif
}

static int direct_read(const char *dev)
{
	void *buf = NULL;
	ssize_t n;
	int fd, err;

	fd = open(dev, O_RDONLY | O_DIRECT | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (posix_memalign(&buf, IO_SIZE, IO_SIZE)) {
		close(fd);
		return -ENOMEM;
	}
	n = pread(fd, buf, IO_SIZE, 0);
	err = n < 0 ? -errno : n != IO_SIZE ? -EIO : 0;
	free(buf);
	close(fd);
	return err;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: smmu-hil clock [--io /dev/vdX] [-j]\n");
}

/* clock is an object without verbs: `clock [--io DEV]` */
int shl_cmd_clock(int argc, char **argv, const struct shl_cli *cli)
{
	static const struct option opts[] = {
		{ "io", required_argument, NULL, 'i' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *io = NULL;
	uint64_t cnt, frq, mono, io_cnt = 0;
	json_object *o;
	int c, ret;

	if (argc >= 2 && !strcmp(argv[1], "help"))
		return usage(stdout), SHL_EXIT_OK;
	optind = 0;
	while ((c = shl_getopt(argc, argv, "h", opts)) != -1) {
		if (c == SHL_GETOPT_ERR)
			return SHL_EXIT_USAGE;
		if (c == 'h')
			return usage(stdout), SHL_EXIT_OK;
		io = optarg;
	}
	if (optind < argc)
		return shl_err("unexpected argument '%s' (usage: smmu-hil clock [--io DEV] [-j])",
			       argv[optind]);
	if (io) {
		read_counter(&io_cnt, &frq);
		ret = direct_read(io);
		if (ret)
			return shl_err("%s: 4 KiB O_DIRECT read failed: %s", io, strerror(-ret));
	}
	read_counter(&cnt, &frq);
	mono = mono_ns();
	if (cli->json) {
		o = json_object_new_object();
		json_object_object_add(o, "cntvct", json_object_new_int64((int64_t)cnt));
		json_object_object_add(o, "cntfrq", json_object_new_int64((int64_t)frq));
		json_object_object_add(o, "monotonic_ns", json_object_new_int64((int64_t)mono));
		if (io) {
			json_object_object_add(o, "io", json_object_new_string(io));
			json_object_object_add(o, "io_start_cntvct",
					       json_object_new_int64((int64_t)io_cnt));
		}
		shl_json_print(o, cli);
	} else {
		printf("cntvct %llu cntfrq %llu monotonic_ns %llu\n", (unsigned long long)cnt,
		       (unsigned long long)frq, (unsigned long long)mono);
	}
	return SHL_EXIT_OK;
}
