// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests: the agent's side of smmu_hil_inject (dut_inject.c) — the
 * ste/cd/result file parsers, the raw sequence text, the recorder parser,
 * grouping into driver updates, their oracle sequences and shapes, and the
 * raw file round trip on a fake debugfs ($SMMU_HIL_DEBUGFS).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "smmu_hil/check.h"
#include "smmu_hil/inject.h"
#include "smmu_hil/profile.h"
#include "smmu_hil/rules.h"

static const char ste_text[] =
	"bdf 0000:00:03.0\nsid 0x18\nsmmu arm-smmu-v3.0.auto\npa 0x78460600\n"
	"q 0x000000007264300b,0x00000000000000d6,0x0,0x0,0x0,0x0,0x0,0x0\n"
	"raw 1\nrecorder 1\nshadow_cd 0x7272a000\nzero_table 0x72729000\n";

static void test_parse_entry_ste(void **state)
{
	struct shl_inject_entry e;

	(void)state;
	assert_int_equal(shl_inject_parse_entry(ste_text, &e), 0);
	assert_true(e.present);
	assert_int_equal(e.sid, 0x18);
	assert_string_equal(e.bdf, "0000:00:03.0");
	assert_int_equal(e.pa, 0x78460600);
	assert_int_equal(e.e.q[0], 0x7264300b);
	assert_int_equal(e.e.q[1], 0xd6);
	assert_int_equal(e.shadow_cd, 0x7272a000);
	assert_int_equal(e.zero_table, 0x72729000);
	assert_string_equal(shl_inject_config_name(SHL_KIND_STE, &e.e), "s1");
}

static void test_parse_entry_cd(void **state)
{
	struct shl_inject_entry e;

	(void)state;
	assert_int_equal(shl_inject_parse_entry("present 0\n", &e), 0);
	assert_false(e.present);
	assert_int_equal(shl_inject_parse_entry(
		"present 1\nssid 0\npa 0x1000\nq 0x4e204c0003510,0x72644000\n", &e), 0);
	assert_true(e.present);
	assert_int_equal(e.e.q[0], 0x4e204c0003510ULL);
	assert_int_equal(e.e.q[1], 0x72644000);
	assert_int_equal(e.shadow_cd, 0);
	assert_string_equal(shl_inject_config_name(SHL_KIND_CD, &e.e), "cd");
	/* malformed: no q, bad q, no pa */
	assert_int_equal(shl_inject_parse_entry("present 1\npa 0x1000\n", &e), -1);
	assert_int_equal(shl_inject_parse_entry("pa 0x1000\nq 0xzz\n", &e), -1);
	assert_int_equal(shl_inject_parse_entry("q 0x1\n", &e), -1);
}

static void test_raw_text(void **state)
{
	struct shl_op pro[] = {
		{ .kind = SHL_OP_WRITE, .qword = 1, .nq = 1, .v = { 0xd5 } },
		{ .kind = SHL_OP_SYNC },
	};
	struct shl_op body[] = {
		{ .kind = SHL_OP_DMA_WMB },
		{ .kind = SHL_OP_TABLE, .v = { 0x1000 } },
		{ .kind = SHL_OP_WRITE, .qword = 0, .nq = 1, .v = { 0 } },
		{ .kind = SHL_OP_SYNC },
	};
	char err[200], *t;

	(void)state;
	t = shl_inject_raw_text(SHL_KIND_STE, pro, 2, body, 4, 1000, 1500, err, sizeof(err));
	assert_non_null(t);
	assert_string_equal(t, "entry ste\nwrite 1 0xd5\nsync\ndwell 1500\nrepeat 1000\n"
			       "dma_wmb\nwrite 0 0x0\nsync\ndwell 1500\n");
	free(t);
	t = shl_inject_raw_text(SHL_KIND_CD, NULL, 0, body + 2, 2, 0, 0, err, sizeof(err));
	assert_non_null(t);
	assert_string_equal(t, "entry cd\nrepeat 1\nwrite 0 0x0\nsync\n");
	free(t);
	body[2].nq = 2;
	t = shl_inject_raw_text(SHL_KIND_STE, NULL, 0, body, 4, 1, 0, err, sizeof(err));
	assert_null(t);
	assert_non_null(strstr(err, "128-bit"));
}

static void test_parse_result(void **state)
{
	static const char ok[] =
		"op raw\nentry ste\nerror 0\nconflict 0\nrestored 1\niterations 1000\n"
		"repeat 1000\nwrites 2000\nsyncs 2000\ndwells 0\ntotal_ns 6624208\n"
		"ns_per_step 1656\nns_per_sync 2314\nmax_sync_ns 226464\n";
	struct shl_inject_result r;

	(void)state;
	assert_int_equal(shl_inject_parse_result(ok, &r), 0);
	assert_int_equal(r.error, 0);
	assert_int_equal(r.restored, 1);
	assert_int_equal(r.iterations, 1000);
	assert_int_equal(r.syncs, 2000);
	assert_int_equal(r.total_ns, 6624208);
	assert_int_equal(r.max_sync_ns, 226464);
	assert_int_equal(shl_inject_parse_result("op none\n", &r), -1);
	assert_int_equal(shl_inject_parse_result(
		"error -16\nconflict 1\nrestored 0\niterations 3\nwrites 1\nsyncs 1\n"
		"dwells 0\ntotal_ns 1\nns_per_step 1\nns_per_sync 1\nmax_sync_ns 1\n", &r), 0);
	assert_int_equal(r.error, -16);
	assert_int_equal(r.conflict, 1);
}

/* What the recorder wrote for `domain set dma` then back to S1 on the DUT. */
static const char rec_text[] =
	"0 10 start ste 0x7264300b,0xd6,0x0,0x0,0x0,0x0,0x0,0x0\n"
	"1 11 start cd 0x4e204c0003510,0x72644000,0x0,0xfffffffff404ff44,0x0,0x0,0x0,0x0\n"
	"2 20 begin ste 0x7264300b,0xd6,0x0,0x0,0x0,0x0,0x0,0x0\n"
	"3 21 sync ste 0x1,0x100000000000,0x0,0x0,0x0,0x0,0x0,0x0\n"
	"4 30 begin ste 0x1,0x100000000000,0x0,0x0,0x0,0x0,0x0,0x0\n"
	"5 31 sync ste 0x1,0xd6,0x0,0x0,0x0,0x0,0x0,0x0\n"
	"6 32 sync ste 0x7264900b,0xd6,0x0,0x0,0x0,0x0,0x0,0x0\n"
	"7 40 begin ste 0x7264900b,0xd6,0x0,0x0,0x0,0x0,0x0,0x0\n"
	"8 50 stop ste 0x7264900b,0xd6,0x0,0x0,0x0,0x0,0x0,0x0\n"
	"9 51 sync ste 0x1,0x0,0x0,0x0,0x0,0x0,0x0,0x0\n"
	"10 52 stop cd 0x4e204c0003510,0x72644000,0x0,0xfffffffff404ff44,0x0,0x0,0x0,0x0\n";

static void test_rec_parse(void **state)
{
	struct shl_rec_snap *s;
	char err[200];
	size_t n;

	(void)state;
	assert_int_equal(shl_rec_parse(rec_text, &s, &n, err, sizeof(err)), 0);
	assert_int_equal(n, 11);
	assert_int_equal(s[1].ent, SHL_KIND_CD);
	assert_int_equal(s[1].kind, SHL_REC_START);
	assert_int_equal(s[6].kind, SHL_REC_SYNC);
	assert_int_equal(s[6].e.q[0], 0x7264900b);
	assert_int_equal(s[6].ts_ns, 32);
	free(s);
	assert_int_equal(shl_rec_parse("0 1 sync ste\n", &s, &n, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "line 1"));
	assert_int_equal(shl_rec_parse("0 1 start ste 0x1\n1 2 flush ste 0x1\n", &s, &n, err,
				       sizeof(err)), -1);
	assert_non_null(strstr(err, "line 2"));
	assert_int_equal(shl_rec_parse("0 1 start mmu 0x1\n", &s, &n, err, sizeof(err)), -1);
	assert_int_equal(shl_rec_parse("", &s, &n, err, sizeof(err)), 0);
	assert_int_equal(n, 0);
	free(s);
}

static void test_rec_group(void **state)
{
	struct shl_rec_group g[8];
	struct shl_op ops[64];
	struct shl_rec_snap *s;
	char err[200], shape[256];
	size_t n, ng, nops;

	(void)state;
	assert_int_equal(shl_rec_parse(rec_text, &s, &n, err, sizeof(err)), 0);
	ng = shl_rec_group(s, n, SHL_KIND_STE, g, 8);
	/* start had no sync; begin 7 has none before stop; sync 9 after stop has no start */
	assert_int_equal(ng, 2);
	assert_int_equal(g[0].init, 2);
	assert_int_equal(g[0].nsyncs, 1);
	assert_int_equal(g[0].syncs[0], 3);
	assert_int_equal(g[1].init, 4);
	assert_int_equal(g[1].nsyncs, 2);
	assert_int_equal(g[1].syncs[1], 6);
	assert_int_equal(shl_rec_group(s, n, SHL_KIND_CD, g, 8), 0);
	assert_int_equal(shl_rec_group(s, n, SHL_KIND_STE, g, 1), 1);

	ng = shl_rec_group(s, n, SHL_KIND_STE, g, 8);
	nops = shl_rec_group_ops(s, &g[1], ops, 64);
	/* q1 then sync, q0 then sync */
	assert_int_equal(nops, 4);
	assert_int_equal(ops[0].kind, SHL_OP_WRITE);
	assert_int_equal(ops[0].qword, 1);
	assert_int_equal(ops[0].v[0], 0xd6);
	assert_int_equal(ops[1].kind, SHL_OP_SYNC);
	assert_int_equal(ops[2].qword, 0);
	assert_int_equal(ops[2].v[0], 0x7264900b);
	assert_int_equal(ops[3].kind, SHL_OP_SYNC);
	/* a too small array is never overrun */
	assert_int_equal(shl_rec_group_ops(s, &g[1], ops, 3), 3);

	shl_rec_group_shape(s, &g[0], shape, sizeof(shape));
	assert_string_equal(shape, "s1 -> abort: q0,q1");
	shl_rec_group_shape(s, &g[1], shape, sizeof(shape));
	assert_string_equal(shape, "abort -> s1: q1 | q0");
	free(s);
}

/* The recorded abort -> S1 update passes the oracle at sync granularity. */
static void test_rec_verdict(void **state)
{
	struct shl_check_opts co = { .sync_only = true, .quanta = 64 };
	struct shl_check_result r = { 0 };
	struct shl_rec_group g[8];
	struct shl_op ops[64];
	struct shl_rec_snap *s;
	struct shl_profile p;
	struct shl_model m = { .kind = SHL_KIND_STE, .p = &p, .spec = true, .update_safe = true };
	char err[200];
	size_t n, nops, i;

	(void)state;
	assert_int_equal(shl_profile_builtin("qemu-7.2", &p), 0);
	assert_int_equal(shl_rec_parse(rec_text, &s, &n, err, sizeof(err)), 0);
	assert_int_equal(shl_rec_group(s, n, SHL_KIND_STE, g, 8), 2);
	for (i = 0; i < 2; i++) {
		nops = shl_rec_group_ops(s, &g[i], ops, 64);
		assert_int_equal(shl_check(&m, &s[g[i].init].e, &s[g[i].syncs[g[i].nsyncs - 1]].e,
					   ops, nops, &co, &r, err, sizeof(err)), 0);
		assert_true(r.pass);
	}
	/* the same update with a V=0 sync in the middle is flagged invalid */
	s[5].e.q[0] = 0;
	nops = shl_rec_group_ops(s, &g[1], ops, 64);
	assert_int_equal(shl_check(&m, &s[4].e, &s[6].e, ops, nops, &co, &r, err, sizeof(err)), 0);
	assert_false(r.pass);
	assert_int_equal(r.kinds, 1u << SHL_VIOL_INVALID);
	free(s);
}

static char fake_dir[64];

static int fake_setup(void **state)
{
	char path[128];
	FILE *f;

	(void)state;
	snprintf(fake_dir, sizeof(fake_dir), "/tmp/shl-inject-XXXXXX");
	assert_non_null(mkdtemp(fake_dir));
	snprintf(path, sizeof(path), "%s/inject", fake_dir);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/inject/result", fake_dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("op raw\nentry ste\nerror 0\nconflict 0\nrestored 1\niterations 2\nrepeat 2\n"
	      "writes 4\nsyncs 4\ndwells 0\ntotal_ns 1000\nns_per_step 125\nns_per_sync 200\n"
	      "max_sync_ns 300\n", f);
	fclose(f);
	snprintf(path, sizeof(path), "%s/inject/ste", fake_dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(ste_text, f);
	fclose(f);
	snprintf(path, sizeof(path), "%s/inject/raw", fake_dir);
	f = fopen(path, "w");	/* the module's file exists; writes replace it here */
	assert_non_null(f);
	fclose(f);
	setenv("SMMU_HIL_DEBUGFS", fake_dir, 1);
	return 0;
}

static int fake_teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", fake_dir);
	assert_int_equal(system(cmd), 0);
	unsetenv("SMMU_HIL_DEBUGFS");
	return 0;
}

static void test_raw_roundtrip(void **state)
{
	struct shl_inject_result r;
	struct shl_inject_entry e;
	char path[128], buf[128] = { 0 };
	FILE *f;

	(void)state;
	assert_int_equal(shl_inject_read_entry(SHL_KIND_STE, &e), 0);
	assert_int_equal(e.sid, 0x18);
	assert_int_equal(shl_inject_read_entry(SHL_KIND_CD, &e), -ENOENT);
	assert_int_equal(shl_inject_raw("entry ste\nsync\n", &r), 0);
	assert_int_equal(r.syncs, 4);
	snprintf(path, sizeof(path), "%s/inject/raw", fake_dir);
	f = fopen(path, "r");
	assert_non_null(f);
	assert_non_null(fgets(buf, sizeof(buf), f));
	fclose(f);
	assert_string_equal(buf, "entry ste\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_entry_ste),
		cmocka_unit_test(test_parse_entry_cd),
		cmocka_unit_test(test_raw_text),
		cmocka_unit_test(test_parse_result),
		cmocka_unit_test(test_rec_parse),
		cmocka_unit_test(test_rec_group),
		cmocka_unit_test(test_rec_verdict),
		cmocka_unit_test_setup_teardown(test_raw_roundtrip, fake_setup, fake_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
