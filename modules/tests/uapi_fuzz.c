// SPDX-License-Identifier: GPL-2.0-only
/*
 * uapi-fuzz: run on the DUT (root, debugfs mounted, the three modules
 * loaded, smmu_hil_inject with allow_raw=1). Sends random and mutated
 * inputs to every interface of the kernel modules, from several threads at
 * once per interface, and counts what the kernel answered:
 *
 *   evt      ioctls on smmu-hil/events (all five, unknown numbers, random
 *            sizes and directions), reads of random sizes, writes
 *   edu      SMMU_HIL_IOC_EDU_CMD on edu's ctl (mutated valid commands:
 *            round trips, faults, domain moves, the DMA loop; random bytes)
 *   raw      records written to inject/raw (mutated valid sequences, random
 *            bytes, text)
 *   record   records written to inject/record
 *   files    reads, seeks and writes on inject/ste, cd, result, record, barriers
 *            (reads), events, stats, smmu, streams, tables, edu's domain
 *   params   strings written to smmu_hil_edu's dma_bits and timeout_ms
 *
 * Mutated inputs stay harmless for the DUT itself, not for the parser: a
 * raw WRITE op always stores the value the STE already holds (a random STE
 * with edu's DMA running could turn bypass on and DMA over the kernel; the
 * injector is a tool that writes what it is told), round trips and faults
 * are cut to 8, raw repeats to 4 and dwells to 10 us (or the run would take
 * days under TCG). Everything else, header, sizes, flags, opcodes, indexes,
 * reserved fields, counts, pointers, is fuzzed.
 *
 *   uapi-fuzz [-n INPUTS] [-t THREADS] [-s SEED] [-i IFACE] [EDU_CTL]
 *   uapi-fuzz -g [-n INPUTS] [-t THREADS] [EDU_CTL]
 *
 * Prints one line per interface: "iface NAME inputs N accepted A refused R
 * errnos E:C,... seconds S". -g: issue 14 #5, garbage commands sent while
 * edu's DMA loop runs (each must be refused at once, never wait behind the
 * loop): prints "garbage inputs N refused R max_us M seconds S".
 * Afterwards the edu loop is stopped, edu is in its default domain and the
 * parameters hold what they held. Exit status 0, or 1 on a setup failure.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <uapi/smmu_hil.h>

#define D "/sys/kernel/debug/smmu-hil/"
#define P "/sys/module/smmu_hil_edu/parameters/"
#define MAXERR 140

static const char *edu_ctl = D "edu/0000:00:03.0/ctl";
static unsigned long inputs = 100000;
static unsigned int nthreads = 4;
static unsigned long long seed0 = 14;
static struct smmu_hil_inj_entry ste0;	/* the claimed STE at the start */
static unsigned char *guard;		/* two PROT_NONE pages */

struct stats {
	pthread_mutex_t lock;
	unsigned long n, ok, refused;
	unsigned long err[MAXERR];
	unsigned long long max_ns;
};

static uint64_t rnd(uint64_t *s)
{
	/* splitmix64 */
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static void fill(uint64_t *s, void *buf, size_t len)
{
	unsigned char *p = buf;
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = (unsigned char)rnd(s);
}

/* Flip 1..4 random bytes of @buf to random or boundary values. */
static void mutate(uint64_t *s, void *buf, size_t len)
{
	static const unsigned char edge[] = { 0, 1, 0x7f, 0x80, 0xff, 0xfe, 8, 16 };
	unsigned char *p = buf;
	unsigned int k = 1 + rnd(s) % 4;

	while (len && k--) {
		size_t at = rnd(s) % len;

		p[at] = rnd(s) & 1 ? (unsigned char)rnd(s) : edge[rnd(s) % sizeof(edge)];
	}
}

/*
 * A user pointer the kernel may be handed: @good, NULL, into a PROT_NONE
 * page (aligned or not), a kernel address, or 1. Never another address of
 * this process: the kernel would write into it (a mutated pointer is still
 * a valid one) and the fuzzer would corrupt itself.
 */
static uint64_t safe_ptr(uint64_t *s, const void *good)
{
	switch (rnd(s) % 6) {
	case 0:
		return 0;
	case 1:
		return (uintptr_t)guard;
	case 2:
		return (uintptr_t)guard + 1 + rnd(s) % 8000;
	case 3:
		return 0xffff000000000000ULL | (rnd(s) & 0xfffffffffff8ULL);
	case 4:
		return 1;
	default:
		return (uintptr_t)good;
	}
}

static void hdr(struct smmu_hil_hdr *h, size_t size)
{
	h->version = SMMU_HIL_UAPI_VERSION;
	h->size = (unsigned short)size;
	h->flags = 0;
}

static unsigned long long now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (unsigned long long)t.tv_sec * 1000000000ULL + (unsigned long long)t.tv_nsec;
}

static void count(struct stats *st, long r, unsigned long long ns)
{
	pthread_mutex_lock(&st->lock);
	st->n++;
	if (r >= 0) {
		st->ok++;
	} else {
		st->refused++;
		st->err[-r < MAXERR ? -r : 0]++;
	}
	if (ns > st->max_ns)
		st->max_ns = ns;
	pthread_mutex_unlock(&st->lock);
}

static long sys_ret(long r)
{
	return r < 0 ? -errno : r;
}

/* ------------------------------------------------------------ interfaces */

static long one_evt(uint64_t *s, int fd)
{
	static const unsigned long cmds[] = {
		SMMU_HIL_IOC_EVT_STATS, SMMU_HIL_IOC_EVT_CLEAR, SMMU_HIL_IOC_EVT_SMMUS,
		SMMU_HIL_IOC_EVT_STREAMS, SMMU_HIL_IOC_EVT_TABLES, SMMU_HIL_IOC_EVT_HOLD,
	};
	union {
		struct smmu_hil_hdr h;
		struct smmu_hil_evt_stats st;
		struct smmu_hil_evt_smmus sm;
		struct smmu_hil_evt_streams es;
		struct smmu_hil_evt_hold ho;
		unsigned char raw[8192];
	} u;
	struct smmu_hil_stream streams[16];
	unsigned long cmd;
	unsigned int pick = rnd(s) % 10;
	size_t len;

	memset(&u, 0, sizeof(u));
	if (pick < 2) {			/* a read of a random size */
		len = rnd(s) % 2 ? rnd(s) % sizeof(u) : sizeof(struct smmu_hil_evt_rec) * (rnd(s) % 130);
		return sys_ret(read(fd, u.raw, len > sizeof(u) ? sizeof(u) : len));
	}
	if (pick == 2) {		/* a write */
		fill(s, u.raw, 64);
		return sys_ret(write(fd, u.raw, rnd(s) % 64));
	}
	cmd = cmds[rnd(s) % (sizeof(cmds) / sizeof(cmds[0]))];
	if (pick == 3)			/* another number, size or direction */
		cmd = _IOC(rnd(s) % 4, rnd(s) % 3 ? SMMU_HIL_IOC_MAGIC : rnd(s) & 0xff,
			   rnd(s) % 3 ? rnd(s) % 8 : rnd(s) & 0xff, rnd(s) % 3 ? _IOC_SIZE(cmd) : rnd(s) % 4096);
	if (pick == 4) {		/* random bytes */
		fill(s, u.raw, sizeof(u.raw));
	} else {			/* a valid struct, mutated */
		hdr(&u.h, _IOC_SIZE(cmd));
		if (cmd == SMMU_HIL_IOC_EVT_STREAMS || cmd == SMMU_HIL_IOC_EVT_TABLES) {
			u.es.max = 16;
			u.es.streams = (uintptr_t)streams;
		}
		if (rnd(s) % 4)
			mutate(s, &u, _IOC_SIZE(cmd) ? _IOC_SIZE(cmd) : 8);
	}
	/* the one pointer field: a fuzzed value, but never into this process */
	if (u.es.streams != (uintptr_t)streams)
		u.es.streams = safe_ptr(s, streams);
	if (rnd(s) % 20 == 0)		/* the struct's own pointer */
		return sys_ret(ioctl(fd, cmd, (void *)(uintptr_t)safe_ptr(s, &u)));
	return sys_ret(ioctl(fd, cmd, &u));
}

static long one_edu(uint64_t *s, int fd)
{
	struct smmu_hil_edu_cmd c;

	memset(&c, 0, sizeof(c));
	if (rnd(s) % 5 == 0) {
		fill(s, &c, sizeof(c));
	} else {
		hdr(&c.hdr, sizeof(c));
		c.cmd = rnd(s) % (SMMU_HIL_EDU_NR_CMDS + 1);
		/*
		 * QEMU's edu takes 100 ms (virtual) per copy and edu's lock
		 * serialises the copies: 1 in 64 of the commands that DMA is
		 * kept, the others become queries
		 */
		if ((c.cmd == SMMU_HIL_EDU_ROUNDTRIP || c.cmd == SMMU_HIL_EDU_FAULT ||
		     c.cmd == SMMU_HIL_EDU_LOOP_START) && rnd(s) % 64)
			c.cmd = SMMU_HIL_EDU_QUERY;
		switch (c.cmd) {
		case SMMU_HIL_EDU_ROUNDTRIP:
			c.len = 1 + rnd(s) % (rnd(s) % 16 ? 64 : 4095);
			c.count = 1;
			break;
		case SMMU_HIL_EDU_FAULT:
			c.count = 1;
			break;
		case SMMU_HIL_EDU_DOMAIN:
			c.arg = rnd(s) % 2;
			break;
		case SMMU_HIL_EDU_LOOP_START:
			c.len = 1 + rnd(s) % 64;
			break;
		}
		if (rnd(s) % 2)
			mutate(s, &c, sizeof(c));
	}
	/* never thousands of DMA copies under TCG: cut round trips and faults */
	if ((c.cmd == SMMU_HIL_EDU_ROUNDTRIP || c.cmd == SMMU_HIL_EDU_FAULT) && c.count > 2)
		c.count = 1 + c.count % 2;
	if (rnd(s) % 20 == 0)		/* a bad pointer */
		return sys_ret(ioctl(fd, SMMU_HIL_IOC_EDU_CMD, (void *)(uintptr_t)safe_ptr(s, &c)));
	if (rnd(s) % 20 == 0)		/* another ioctl number */
		return sys_ret(ioctl(fd, _IOC(rnd(s) % 4, SMMU_HIL_IOC_MAGIC, rnd(s) & 0xff,
					      rnd(s) % 512), &c));
	return sys_ret(ioctl(fd, SMMU_HIL_IOC_EDU_CMD, &c));
}

static long one_raw(uint64_t *s, int fd)
{
	struct {
		struct smmu_hil_inj_seq h;
		struct smmu_hil_inj_op o[16];
	} q;
	unsigned int i, n;
	size_t len;

	memset(&q, 0, sizeof(q));
	if (rnd(s) % 6 == 0) {
		fill(s, &q, sizeof(q));
		len = rnd(s) % sizeof(q);
	} else if (rnd(s) % 10 == 0) {
		static const char *const text[] = { "entry ste\nsync\n", "write 0 0\n", "",
						    "\n", "restore\n", "sync" };
		const char *t = text[rnd(s) % 6];

		return sys_ret(write(fd, t, strlen(t)));
	} else {
		n = 1 + rnd(s) % 16;
		hdr(&q.h.hdr, sizeof(q.h));
		q.h.entry = SMMU_HIL_ENT_STE;
		q.h.nops = n;
		q.h.repeat = 1 + rnd(s) % 4;
		q.h.body = rnd(s) % 2 ? 0 : rnd(s) % (n + 1);
		for (i = 0; i < n; i++) {
			q.o[i].op = rnd(s) % SMMU_HIL_OP_NR;
			q.o[i].idx = rnd(s) % 8;
			q.o[i].us = q.o[i].op == SMMU_HIL_OP_DWELL ? rnd(s) % 11 : 0;
		}
		len = sizeof(q.h) + n * sizeof(q.o[0]);
		if (rnd(s) % 2)
			mutate(s, &q, len);
		if (rnd(s) % 8 == 0)
			len = rnd(s) % sizeof(q);
	}
	/* harmless for the DUT: stores keep the STE's value, short dwells and repeats */
	if (q.h.repeat > 4)
		q.h.repeat = 1 + q.h.repeat % 4;
	for (i = 0; i < 16; i++) {
		if (q.o[i].op == SMMU_HIL_OP_WRITE && q.o[i].idx < 8)
			q.o[i].val = ste0.q[q.o[i].idx];
		if (q.o[i].us > 10)
			q.o[i].us %= 11;
	}
	return sys_ret(write(fd, &q, len));
}

static long one_record(uint64_t *s, int fd)
{
	struct smmu_hil_inj_rec_ctl c;
	unsigned char big[64];
	size_t len = sizeof(c);

	memset(&c, 0, sizeof(c));
	hdr(&c.hdr, sizeof(c));
	c.cmd = rnd(s) % 4;
	if (rnd(s) % 2)
		mutate(s, &c, sizeof(c));
	if (rnd(s) % 5 == 0) {
		fill(s, big, sizeof(big));
		return sys_ret(write(fd, big, rnd(s) % sizeof(big)));
	}
	if (rnd(s) % 8 == 0)
		len = rnd(s) % (sizeof(c) + 8);
	return sys_ret(write(fd, &c, len));
}

static const char *const files[] = {
	D "inject/ste", D "inject/cd", D "inject/result", D "events", D "stats", D "smmu",
	D "streams", D "tables", D "edu/0000:00:03.0/domain", D "inject/raw", D "inject/record",
	D "inject/barriers",
};

static long one_file(uint64_t *s, int unused)
{
	static unsigned char buf[65536];
	const char *f = files[rnd(s) % (sizeof(files) / sizeof(files[0]))];
	int fd = open(f, rnd(s) % 3 ? O_RDONLY : O_RDWR);
	long r;

	(void)unused;
	if (fd < 0)
		return -errno;
	switch (rnd(s) % 4) {
	case 0:
		r = sys_ret(read(fd, buf, rnd(s) % sizeof(buf)));
		break;
	case 1:
		r = sys_ret(pread(fd, buf, rnd(s) % 4096, (off_t)(rnd(s) % 3 ? rnd(s) % 8192 :
								   rnd(s) >> 1)));
		break;
	case 2:
		r = sys_ret(lseek(fd, (off_t)(rnd(s) % 3 ? (int64_t)(rnd(s) % 8192) :
					      (int64_t)rnd(s)), rnd(s) % 5));
		break;
	default:			/* writes only to the read-only files */
		if (strstr(f, "raw") || strstr(f, "record") || strstr(f, "events")) {
			r = -EPERM;
			break;
		}
		buf[0] = (unsigned char)rnd(s);
		r = sys_ret(write(fd, buf, rnd(s) % 256));
		break;
	}
	close(fd);
	return r;
}

static const char *const params[] = { P "dma_bits", P "timeout_ms" };

static long one_param(uint64_t *s, int unused)
{
	static const char *const words[] = {
		"0", "1", "27", "28", "29", "40", "64", "65", "100", "9", "10", "60000", "60001",
		"-1", "4294967296", "0x20", "40x", " 40", "40\n", "", "abc", "18446744073709551616",
		"\n", "1e3", "+40", "0040",
	};
	const char *f = params[rnd(s) % 2];
	char buf[64];
	int fd = open(f, O_WRONLY);
	long r;
	size_t len;

	(void)unused;
	if (fd < 0)
		return -errno;
	if (rnd(s) % 4) {
		snprintf(buf, sizeof(buf), "%s", words[rnd(s) % (sizeof(words) / sizeof(words[0]))]);
		len = strlen(buf);
	} else {
		fill(s, buf, sizeof(buf));
		len = rnd(s) % sizeof(buf);
	}
	r = sys_ret(write(fd, buf, len));
	close(fd);
	return r;
}

struct iface {
	const char *name;
	const char *path;	/* opened once per thread (NULL: per input) */
	long (*one)(uint64_t *s, int fd);
};

static struct iface ifaces[] = {
	{ "evt", D "events", one_evt },
	{ "edu", NULL, one_edu },	/* edu_ctl */
	{ "raw", D "inject/raw", one_raw },
	{ "record", D "inject/record", one_record },
	{ "files", NULL, one_file },
	{ "params", NULL, one_param },
};

struct job {
	struct iface *it;
	struct stats *st;
	unsigned long n;
	uint64_t seed;
};

static void *worker(void *arg)
{
	struct job *j = arg;
	const char *path = j->it->one == one_edu ? edu_ctl : j->it->path;
	int fd = path ? open(path, O_RDWR) : -1;
	unsigned long i;

	if (path && fd < 0) {
		fprintf(stderr, "uapi-fuzz: %s: %s\n", path, strerror(errno));
		return NULL;
	}
	for (i = 0; i < j->n; i++) {
		unsigned long long t0 = now_ns();
		long r = j->it->one(&j->seed, fd);

		count(j->st, r, now_ns() - t0);
	}
	if (fd >= 0)
		close(fd);
	return NULL;
}

static void print_stats(const char *what, const char *name, struct stats *st, double secs)
{
	int e;

	printf("%s %s inputs %lu accepted %lu refused %lu errnos", what, name, st->n, st->ok,
	       st->refused);
	for (e = 0; e < MAXERR; e++)
		if (st->err[e])
			printf(" %s:%lu", e ? strerrorname_np(e) ?: "?" : "other", st->err[e]);
	printf(" max_us %llu seconds %.1f\n", st->max_ns / 1000, secs);
	fflush(stdout);
}

static int edu_cmd(unsigned int cmd, unsigned int len, unsigned int arg)
{
	struct smmu_hil_edu_cmd c;
	int fd = open(edu_ctl, O_RDWR), r;

	if (fd < 0)
		return -errno;
	memset(&c, 0, sizeof(c));
	hdr(&c.hdr, sizeof(c));
	c.cmd = cmd;
	c.len = len;
	c.arg = arg;
	r = ioctl(fd, SMMU_HIL_IOC_EDU_CMD, &c) < 0 ? -errno : 0;
	close(fd);
	return r;
}

static int read_file(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY), r;

	if (fd < 0)
		return -errno;
	r = (int)read(fd, buf, len - 1);
	close(fd);
	if (r < 0)
		return -errno;
	buf[r] = '\0';
	return r;
}

static void write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY);

	if (fd < 0)
		return;
	if (write(fd, text, strlen(text)) < 0)
		fprintf(stderr, "uapi-fuzz: restore %s: %s\n", path, strerror(errno));
	close(fd);
}

static void run_iface(struct iface *it)
{
	pthread_t th[64];
	struct job jobs[64];
	struct stats st = { .lock = PTHREAD_MUTEX_INITIALIZER };
	unsigned long long t0 = now_ns();
	unsigned int i;

	for (i = 0; i < nthreads; i++) {
		jobs[i] = (struct job){ it, &st, inputs / nthreads + (i < inputs % nthreads),
					seed0 * 1000003ULL + i * 7919ULL + (uintptr_t)it->name[0] };
		pthread_create(&th[i], NULL, worker, &jobs[i]);
	}
	for (i = 0; i < nthreads; i++)
		pthread_join(th[i], NULL);
	print_stats("iface", it->name, &st, (double)(now_ns() - t0) / 1e9);
}

/* Issue 14 #5: garbage while the DMA loop runs is refused without waiting. */
static void *garbage_worker(void *arg)
{
	struct job *j = arg;
	int fd = open(edu_ctl, O_RDWR);
	struct smmu_hil_edu_cmd c;
	unsigned long i;

	if (fd < 0)
		return NULL;
	for (i = 0; i < j->n; i++) {
		unsigned long long t0;
		long r;

		fill(&j->seed, &c, sizeof(c));
		if (i % 2) {		/* a good header, a bad command */
			hdr(&c.hdr, sizeof(c));
			c.cmd = SMMU_HIL_EDU_NR_CMDS + (unsigned int)(rnd(&j->seed) % 1000);
		}
		t0 = now_ns();
		r = sys_ret(ioctl(fd, SMMU_HIL_IOC_EDU_CMD, &c));
		count(j->st, r, now_ns() - t0);
	}
	close(fd);
	return NULL;
}

static int run_garbage(void)
{
	pthread_t th[64];
	struct job jobs[64];
	struct stats st = { .lock = PTHREAD_MUTEX_INITIALIZER };
	unsigned long long t0;
	unsigned int i;
	int r = edu_cmd(SMMU_HIL_EDU_LOOP_START, 4000, 0);

	if (r) {
		fprintf(stderr, "uapi-fuzz: edu loop start: %s\n", strerror(-r));
		return 1;
	}
	usleep(200000);
	t0 = now_ns();
	for (i = 0; i < nthreads; i++) {
		jobs[i] = (struct job){ NULL, &st, inputs / nthreads, seed0 + i };
		pthread_create(&th[i], NULL, garbage_worker, &jobs[i]);
	}
	for (i = 0; i < nthreads; i++)
		pthread_join(th[i], NULL);
	print_stats("garbage", "edu-during-loop", &st, (double)(now_ns() - t0) / 1e9);
	r = edu_cmd(SMMU_HIL_EDU_LOOP_STOP, 0, 0);
	printf("loop stop %d\n", r);
	return 0;
}

int main(int argc, char **argv)
{
	char bits[32] = "", tmo[32] = "";
	const char *only = NULL;
	bool garbage = false;
	unsigned int i;
	int opt, fd;

	while ((opt = getopt(argc, argv, "n:t:s:i:g")) != -1) {
		switch (opt) {
		case 'n':
			inputs = strtoul(optarg, NULL, 0);
			break;
		case 't':
			nthreads = (unsigned int)strtoul(optarg, NULL, 0);
			break;
		case 's':
			seed0 = strtoull(optarg, NULL, 0);
			break;
		case 'i':
			only = optarg;
			break;
		case 'g':
			garbage = true;
			break;
		default:
			fprintf(stderr, "usage: uapi-fuzz [-n N] [-t T] [-s SEED] [-i IFACE] [-g] [EDU_CTL]\n");
			return 2;
		}
	}
	if (optind < argc)
		edu_ctl = argv[optind];
	if (!nthreads || nthreads > 64)
		nthreads = 4;
	guard = mmap(NULL, 8192, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (guard == MAP_FAILED) {
		perror("uapi-fuzz: mmap");
		return 1;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (garbage)
		return run_garbage();
	fd = open(D "inject/ste", O_RDONLY);
	if (fd < 0 || read(fd, &ste0, sizeof(ste0)) != (ssize_t)sizeof(ste0)) {
		fprintf(stderr, "uapi-fuzz: inject/ste: %s\n", strerror(errno));
		return 1;
	}
	close(fd);
	read_file(P "dma_bits", bits, sizeof(bits));
	read_file(P "timeout_ms", tmo, sizeof(tmo));
	printf("seed %llu threads %u inputs %lu per interface\n", seed0, nthreads, inputs);
	for (i = 0; i < sizeof(ifaces) / sizeof(ifaces[0]); i++)
		if (!only || !strcmp(only, ifaces[i].name))
			run_iface(&ifaces[i]);
	/* leave the DUT as it was */
	edu_cmd(SMMU_HIL_EDU_LOOP_STOP, 0, 0);
	printf("edu default domain %d\n", edu_cmd(SMMU_HIL_EDU_DOMAIN, 0, SMMU_HIL_EDU_DOM_DEFAULT));
	write_file(P "dma_bits", bits);
	write_file(P "timeout_ms", tmo);
	return 0;
}
