// SPDX-License-Identifier: GPL-2.0-only
/*
 * Quiescing user space before kexec: stop the I/O submitters, wait for the
 * block layer to drain (see smmu_hil/quiesce.h for the 6.1 hang it avoids).
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "smmu_hil/dut.h"
#include "smmu_hil/quiesce.h"

/* include/linux/sched.h */
#define PF_KTHREAD	0x00200000UL
#define ANCESTORS_MAX	64

int shl_quiesce_kexec_loaded(const char *sysfs)
{
	char path[512], line[16];
	int ret;

	snprintf(path, sizeof(path), "%s/kernel/kexec_loaded", sysfs);
	ret = shl_read_line(path, line, sizeof(line));
	if (ret < 0)
		return ret;
	if (strcmp(line, "0") && strcmp(line, "1"))
		return -EINVAL;
	return line[0] == '1';
}

/*
 * The parent PID and flags of @pid from <@proc>/PID/stat (proc(5): fields 4
 * and 9; the command in field 2 may hold spaces and parentheses, so parse
 * after its last ')'). Returns 0 or -errno.
 */
static int proc_stat(const char *proc, pid_t pid, pid_t *ppid, unsigned long *flags)
{
	char path[256], buf[1024], state, *p;
	long pp;
	int ret;

	snprintf(path, sizeof(path), "%s/%d/stat", proc, (int)pid);
	ret = shl_read_text(path, buf, sizeof(buf));
	if (ret < 0)
		return ret;
	p = strrchr(buf, ')');
	/* after ')': state ppid pgrp session tty_nr tpgid flags */
	if (!p || sscanf(p + 1, " %c %ld %*d %*d %*d %*d %lu", &state, &pp, flags) != 3)
		return -EINVAL;
	*ppid = (pid_t)pp;
	return 0;
}

static int is_ancestor(const pid_t *anc, size_t n, pid_t pid)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (anc[i] == pid)
			return 1;
	return 0;
}

long shl_quiesce_user_pids(const char *proc, pid_t self, pid_t *pids, size_t max)
{
	pid_t anc[ANCESTORS_MAX], p = self, pp;
	size_t nanc = 0;
	unsigned long flags;
	struct dirent *d;
	long count = 0;
	char *end;
	DIR *dir;

	while (p > 1 && nanc < ANCESTORS_MAX && !proc_stat(proc, p, &pp, &flags)) {
		anc[nanc++] = p;
		p = pp;
	}
	dir = opendir(proc);
	if (!dir)
		return -errno;
	while ((d = readdir(dir))) {
		long v;

		if (!isdigit((unsigned char)d->d_name[0]))
			continue;
		errno = 0;
		v = strtol(d->d_name, &end, 10);
		if (*end || errno || v <= 1 || v == self || is_ancestor(anc, nanc, (pid_t)v))
			continue;
		if (proc_stat(proc, (pid_t)v, &pp, &flags) || (flags & PF_KTHREAD))
			continue;	/* gone meanwhile, or a kernel thread */
		if ((size_t)count < max)
			pids[count] = (pid_t)v;
		count++;
	}
	closedir(dir);
	return count;
}

static void cont_all(const pid_t *pids, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		kill(pids[i], SIGCONT);
}

long shl_quiesce_stop(const pid_t *pids, size_t n, const char *state)
{
	FILE *f = NULL;
	long stopped = 0;
	size_t i;
	int err;

	if (state) {
		f = fopen(state, "we");
		if (!f)
			return -errno;
	}
	for (i = 0; i < n; i++) {
		if (kill(pids[i], SIGSTOP)) {
			if (errno == ESRCH)
				continue;
			err = -errno;
			goto undo;
		}
		stopped++;
		if (f && fprintf(f, "%d\n", (int)pids[i]) < 0) {
			err = -EIO;
			i++;
			goto undo;
		}
	}
	if (f && fclose(f))
		return -errno;
	return stopped;
undo:
	cont_all(pids, i);
	if (f) {
		fclose(f);
		unlink(state);
	}
	return err;
}

long shl_quiesce_thaw(const char *state)
{
	long pid, n = 0;
	FILE *f = fopen(state, "re");

	if (!f)
		return errno == ENOENT ? 0 : -errno;
	while (fscanf(f, "%ld", &pid) == 1)
		if (pid > 1 && !kill((pid_t)pid, SIGCONT))
			n++;
	fclose(f);
	if (unlink(state))
		return -errno;
	return n;
}

long shl_quiesce_inflight(const char *sysblock)
{
	char path[512], buf[64];
	unsigned long r, w;
	struct dirent *d;
	long total = 0;
	int ret;
	DIR *dir = opendir(sysblock);

	if (!dir)
		return -errno;
	while ((d = readdir(dir))) {
		if (d->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s/inflight", sysblock, d->d_name);
		ret = shl_read_text(path, buf, sizeof(buf));
		if (ret == -ENOENT)
			continue;
		if (ret < 0 || sscanf(buf, "%lu %lu", &r, &w) != 2) {
			closedir(dir);
			return ret < 0 ? ret : -EINVAL;
		}
		total += (long)(r + w);
	}
	closedir(dir);
	return total;
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

long shl_quiesce_drain(const char *sysblock, unsigned int timeout_ms, double *waited_ms)
{
	const struct timespec tick = { 0, 1000000 };
	double t0 = now_ms();
	long n;

	for (;;) {
		n = shl_quiesce_inflight(sysblock);
		*waited_ms = now_ms() - t0;
		if (n <= 0 || *waited_ms >= timeout_ms)
			return n;
		nanosleep(&tick, NULL);
	}
}
