// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests: quiescing user space before kexec (quiesce.c). Process
 * selection runs on a fake procfs tree, stopping and thawing on a real child
 * process, the block-layer drain on a fake /sys/block.
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "smmu_hil/quiesce.h"

static char dir[] = "/tmp/shl-quiesce-XXXXXX";

static void put(const char *rel, const char *text)
{
	char path[512], *slash;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	/* create each missing directory below @dir */
	for (slash = strchr(path + strlen(dir) + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		mkdir(path, 0755);
		*slash = '/';
	}
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static int setup(void **state)
{
	(void)state;
	strcpy(dir, "/tmp/shl-quiesce-XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd);
}

/* proc(5) stat: pid (comm) state ppid pgrp session tty tpgid flags ... */
static void proc_entry(int pid, const char *comm, int ppid, unsigned long flags)
{
	char rel[64], text[256];

	snprintf(rel, sizeof(rel), "%d/stat", pid);
	snprintf(text, sizeof(text), "%d (%s) S %d %d %d 0 -1 %lu 0 0 0 0\n",
		 pid, comm, ppid, pid, pid, flags);
	put(rel, text);
}

static void test_user_pids_excludes(void **state)
{
	pid_t pids[8];

	(void)state;
	proc_entry(1, "init", 0, 0x400100);
	proc_entry(2, "kthreadd", 0, 0x208040);		/* PF_KTHREAD */
	proc_entry(10, "fio", 1, 0x400040);
	proc_entry(11, "kworker/0:1", 2, 0x4208060);	/* PF_KTHREAD */
	proc_entry(13, "sh", 1, 0x400100);		/* self's parent */
	proc_entry(12, "smmu-hil", 13, 0x400000);	/* self */
	proc_entry(14, "a) b (c", 1, 0x400040);		/* ')' in comm */
	put("self/stat", "not a pid\n");
	put("meminfo", "MemTotal: 1 kB\n");

	long n = shl_quiesce_user_pids(dir, 12, pids, 8);

	assert_int_equal(n, 2);
	assert_true((pids[0] == 10 && pids[1] == 14) || (pids[0] == 14 && pids[1] == 10));
	/* fewer slots than processes: the count is still complete */
	assert_int_equal(shl_quiesce_user_pids(dir, 12, pids, 1), 2);
}

static void test_user_pids_malformed_stat_skipped(void **state)
{
	pid_t pids[4];

	(void)state;
	proc_entry(20, "ok", 1, 0);
	put("21/stat", "21 no parenthesis\n");
	assert_int_equal(shl_quiesce_user_pids(dir, 99, pids, 4), 1);
	assert_int_equal(pids[0], 20);
	assert_int_equal(shl_quiesce_user_pids("/nonexistent-proc", 1, pids, 4), -ENOENT);
}

static pid_t spawn_sleeper(void)
{
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		for (;;)
			pause();
	}
	return pid;
}

static void test_stop_and_thaw_real_process(void **state)
{
	char st[512], line[32];
	pid_t child = spawn_sleeper(), gone = fork(), pids[2];
	int status;
	FILE *f;

	(void)state;
	if (gone == 0)
		_exit(0);
	assert_int_equal(waitpid(gone, &status, 0), gone);	/* reaped: ESRCH */
	snprintf(st, sizeof(st), "%s/quiesced", dir);
	pids[0] = gone;
	pids[1] = child;
	assert_int_equal(shl_quiesce_stop(pids, 2, st), 1);
	assert_int_equal(waitpid(child, &status, WUNTRACED), child);
	assert_true(WIFSTOPPED(status));
	assert_int_equal(WSTOPSIG(status), SIGSTOP);
	f = fopen(st, "r");
	assert_non_null(f);
	assert_non_null(fgets(line, sizeof(line), f));
	fclose(f);
	assert_int_equal(atoi(line), child);

	assert_int_equal(shl_quiesce_thaw(st), 1);
	assert_int_equal(waitpid(child, &status, WCONTINUED), child);
	assert_true(WIFCONTINUED(status));
	assert_int_equal(access(st, F_OK), -1);
	assert_int_equal(shl_quiesce_thaw(st), 0);		/* no record */
	kill(child, SIGKILL);
	waitpid(child, &status, 0);
}

static void test_stop_unwritable_state_stops_nothing(void **state)
{
	pid_t child = spawn_sleeper();
	int status;

	(void)state;
	assert_int_equal(shl_quiesce_stop(&child, 1, "/nonexistent-dir/q"), -ENOENT);
	/* still running: a non-blocking wait sees no stop */
	assert_int_equal(waitpid(child, &status, WUNTRACED | WNOHANG), 0);
	kill(child, SIGKILL);
	waitpid(child, &status, 0);
}

static void test_inflight_sums_disks(void **state)
{
	char sb[512];
	double ms = -1;

	(void)state;
	snprintf(sb, sizeof(sb), "%s/block", dir);
	put("block/vda/inflight", "       0        0\n");
	put("block/vdb/inflight", "       3        1\n");
	put("block/loop0/size", "0\n");			/* no inflight: skipped */
	assert_int_equal(shl_quiesce_inflight(sb), 4);
	/* not drained: the requests left after the timeout */
	assert_int_equal(shl_quiesce_drain(sb, 5, &ms), 4);
	assert_true(ms >= 5.0);
	put("block/vdb/inflight", "       0        0\n");
	assert_int_equal(shl_quiesce_drain(sb, 1000, &ms), 0);
	assert_true(ms < 1000.0);
	put("block/vdb/inflight", "busy\n");
	assert_int_equal(shl_quiesce_inflight(sb), -EINVAL);
	assert_int_equal(shl_quiesce_drain(sb, 10, &ms), -EINVAL);
	assert_int_equal(shl_quiesce_inflight("/nonexistent-sys/block"), -ENOENT);
}

static void test_kexec_loaded(void **state)
{
	(void)state;
	assert_int_equal(shl_quiesce_kexec_loaded(dir), -ENOENT);
	put("kernel/kexec_loaded", "0\n");
	assert_int_equal(shl_quiesce_kexec_loaded(dir), 0);
	put("kernel/kexec_loaded", "1\n");
	assert_int_equal(shl_quiesce_kexec_loaded(dir), 1);
	put("kernel/kexec_loaded", "yes\n");
	assert_int_equal(shl_quiesce_kexec_loaded(dir), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_user_pids_excludes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_user_pids_malformed_stat_skipped, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_stop_and_thaw_real_process, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stop_unwritable_state_stops_nothing, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_inflight_sums_disks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kexec_loaded, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
