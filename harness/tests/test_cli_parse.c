// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests: command-line input parsing (cli_parse.c, dut.c), the decoding
 * of the modules' records (uapi/smmu_hil.h) and the DUT helpers run against
 * a fake sysfs/debugfs tree ($SMMU_HIL_SYSFS, $SMMU_HIL_DEBUGFS).
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

#include "smmu_hil/parse.h"
#include "smmu_hil/dut.h"
#include "smmu_hil/idr.h"
#include <uapi/smmu_hil.h>

static void test_bdf_accepts(void **state)
{
	char out[SHL_BDF_LEN];

	(void)state;
	assert_int_equal(shl_parse_bdf("0000:00:03.0", out), 0);
	assert_string_equal(out, "0000:00:03.0");
	assert_int_equal(shl_parse_bdf("00:03.0", out), 0);
	assert_string_equal(out, "0000:00:03.0");
	assert_int_equal(shl_parse_bdf("ABCD:0A:1F.7", out), 0);
	assert_string_equal(out, "abcd:0a:1f.7");
	assert_int_equal(shl_parse_bdf("ff:00.1", out), 0);
	assert_string_equal(out, "0000:ff:00.1");
}

static void test_bdf_rejects(void **state)
{
	static const char *const bad[] = {
		"", "0", "00:03", "00:20.0", "00:03.8", "0000:00:03.0x", "0000:00:03.",
		"0:0:3.0", "00-03.0", "00:03-0", "0000 00:03.0", "g0:03.0", "+0:03.0",
		"00:03.0 ", " 00:03.0", "00000:00:03.0", "0000:000:03.0",
	};
	char out[SHL_BDF_LEN];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		strcpy(out, "untouched");
		assert_int_equal(shl_parse_bdf(bad[i], out), -1);
		assert_string_equal(out, "untouched");
	}
	assert_int_equal(shl_parse_bdf(NULL, out), -1);
}

static void test_numbers(void **state)
{
	unsigned long long v;

	(void)state;
	assert_int_equal(shl_parse_u64("0", &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(shl_parse_u64("42", &v), 0);
	assert_int_equal(v, 42);
	assert_int_equal(shl_parse_u64("0x2000000", &v), 0);
	assert_int_equal(v, 0x2000000);
	assert_int_equal(shl_parse_u64("0XfF", &v), 0);
	assert_int_equal(v, 255);
	assert_int_equal(shl_parse_u64("18446744073709551615", &v), 0);
	assert_true(v == 18446744073709551615ull);
}

static void test_numbers_reject(void **state)
{
	static const char *const bad[] = {
		"", "-1", "+1", " 1", "1 ", "1\n", "0x", "abc", "12abc", "1.5",
		"18446744073709551616", "0x10000000000000000", "\t7",
	};
	unsigned long long v;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(shl_parse_u64(bad[i], &v), -1);
	assert_int_equal(shl_parse_u64(NULL, &v), -1);
}

static void test_ranges(void **state)
{
	unsigned long long v = 99;

	(void)state;
	assert_int_equal(shl_parse_uint_range("1", 1, 4095, &v), 0);
	assert_int_equal(v, 1);
	assert_int_equal(shl_parse_uint_range("4095", 1, 4095, &v), 0);
	assert_int_equal(v, 4095);
	assert_int_equal(shl_parse_uint_range("4096", 1, 4095, &v), -1);
	assert_int_equal(shl_parse_uint_range("0", 1, 4095, &v), -1);
	assert_int_equal(v, 4095);	/* unchanged on error */
	assert_int_equal(shl_parse_uint_range("x", 0, 10, &v), -1);
}

/* The records the modules return, decoded by the agent (uapi/smmu_hil.h). */
static void test_uapi_decode(void **state)
{
	struct smmu_hil_evt_stats st;
	struct smmu_hil_smmu_info si;
	struct smmu_hil_stream streams[3];
	struct smmu_hil_edu_cmd c;
	struct shl_evt_stats out;
	struct shl_idr_regs r;
	char name[64], bdf[SHL_BDF_LEN];
	uint32_t sids[4];

	(void)state;
	memset(&st, 0, sizeof(st));
	shl_uapi_hdr(&st.hdr, sizeof(st), 0);
	assert_int_equal(st.hdr.version, SMMU_HIL_UAPI_VERSION);
	assert_int_equal(st.hdr.size, sizeof(st));
	st.captured = 100;
	st.dropped = 3;
	st.overflows = 3;
	st.evtq_aborts = 2;
	st.ring_size = 4096;
	st.probe_argidx = 1;
	strcpy(st.probe, "arm_smmu_handle_evt");
	assert_int_equal(shl_evt_stats_decode(&st, &out), 0);
	assert_int_equal(out.captured, 100);
	assert_int_equal(out.dropped, 3);
	assert_int_equal(out.overflows, 3);
	assert_int_equal(out.evtq_aborts, 2);
	assert_int_equal(out.ring_size, 4096);
	assert_string_equal(out.probe, "arm_smmu_handle_evt:1");
	memset(st.probe, 'x', sizeof(st.probe));	/* not terminated */
	assert_int_equal(shl_evt_stats_decode(&st, &out), -1);
	strcpy(st.probe, "p");
	st.hdr.version = 0;
	assert_int_equal(shl_evt_stats_decode(&st, &out), -1);

	memset(&si, 0, sizeof(si));
	strcpy(si.name, "arm-smmu-v3.0.auto");
	si.idr0 = 0x0a0b;
	si.aidr = 2;
	assert_int_equal(shl_smmu_info_decode(&si, name, sizeof(name), &r), 0);
	assert_string_equal(name, "arm-smmu-v3.0.auto");
	assert_int_equal(r.idr0, 0x0a0b);
	assert_int_equal(r.aidr, 2);
	memset(si.name, 'x', sizeof(si.name));
	assert_int_equal(shl_smmu_info_decode(&si, name, sizeof(name), &r), -1);

	memset(streams, 0, sizeof(streams));
	streams[0].bdf.devfn = 3 << 3;
	streams[0].sid = 0x18;
	streams[1].bdf.segment = 1;
	streams[1].bdf.bus = 0x80;
	streams[1].bdf.devfn = (0x1f << 3) | 7;
	streams[1].sid = 7;
	streams[2] = streams[0];
	streams[2].sid = 0x19;
	shl_bdf_format(&streams[1].bdf, bdf);
	assert_string_equal(bdf, "0001:80:1f.7");
	assert_int_equal(shl_streams_sids(streams, 3, "0000:00:03.0", sids, 4), 2);
	assert_int_equal(sids[0], 0x18);
	assert_int_equal(sids[1], 0x19);
	assert_int_equal(shl_streams_sids(streams, 3, "0000:00:03.0", sids, 1), 1);
	assert_int_equal(shl_streams_sids(streams, 3, "0000:00:04.0", sids, 4), 0);

	shl_edu_cmd_init(&c, SMMU_HIL_EDU_ROUNDTRIP, 4095, 10, 0);
	assert_int_equal(c.hdr.version, SMMU_HIL_UAPI_VERSION);
	assert_int_equal(c.hdr.size, sizeof(c));
	assert_int_equal(c.hdr.flags, 0);
	assert_int_equal(c.cmd, SMMU_HIL_EDU_ROUNDTRIP);
	assert_int_equal(c.len, 4095);
	assert_int_equal(c.count, 10);
	assert_int_equal(c.transfers | c.errors | c.bytes | c.reserved[0] | c.reserved[1], 0);
	assert_string_equal(shl_edu_domain_name(SMMU_HIL_DOM_DMA_FQ), "DMA-FQ");
	assert_string_equal(shl_edu_domain_name(SMMU_HIL_DOM_PAGING), "paging");
	assert_string_equal(shl_edu_domain_name(SMMU_HIL_DOM_IDENTITY), "identity");
	assert_string_equal(shl_edu_domain_name(99), "unknown");
	assert_int_equal(shl_dom_classify(shl_edu_domain_name(SMMU_HIL_DOM_DMA)), SHL_DOM_DMA);
}

/* The uapi's layout: what an arm64 kernel and this host both compute. */
static void test_uapi_layout(void **state)
{
	(void)state;
	assert_int_equal(sizeof(struct smmu_hil_hdr), 8);
	assert_int_equal(sizeof(struct smmu_hil_evt_rec), 48);
	assert_int_equal(sizeof(struct smmu_hil_evt_stats), 128);
	assert_int_equal(sizeof(struct smmu_hil_smmu_info), 88);
	assert_int_equal(sizeof(struct smmu_hil_evt_smmus), 16 + 8 * 88);
	assert_int_equal(sizeof(struct smmu_hil_stream), 24 + 16 + 128);
	assert_int_equal(sizeof(struct smmu_hil_evt_streams), 24);
	assert_int_equal(sizeof(struct smmu_hil_edu_cmd), 96);
	assert_int_equal(sizeof(struct smmu_hil_inj_entry), 32 + 64 + 16 + 64);
	assert_int_equal(sizeof(struct smmu_hil_inj_op), 16);
	assert_int_equal(sizeof(struct smmu_hil_inj_seq), 24);
	assert_int_equal(sizeof(struct smmu_hil_inj_result), 88);
	assert_int_equal(sizeof(struct smmu_hil_inj_rec_ctl), 16);
	assert_int_equal(sizeof(struct smmu_hil_inj_snap), 88);
	assert_int_equal(offsetof(struct smmu_hil_inj_entry, pa), 24);
	assert_int_equal(offsetof(struct smmu_hil_stream, ste_pa), 24);
	assert_int_equal(_IOC_SIZE(SMMU_HIL_IOC_EDU_CMD), sizeof(struct smmu_hil_edu_cmd));
	assert_int_equal(_IOC_DIR(SMMU_HIL_IOC_EDU_CMD), _IOC_READ | _IOC_WRITE);
	assert_int_equal(_IOC_DIR(SMMU_HIL_IOC_EVT_CLEAR), _IOC_WRITE);
	assert_int_equal(_IOC_TYPE(SMMU_HIL_IOC_EVT_STATS), SMMU_HIL_IOC_MAGIC);
	assert_int_equal(sizeof(struct smmu_hil_evt_hold), 16);
	assert_int_equal(_IOC_DIR(SMMU_HIL_IOC_EVT_HOLD), _IOC_READ | _IOC_WRITE);
	assert_int_equal(_IOC_SIZE(SMMU_HIL_IOC_EVT_HOLD), sizeof(struct smmu_hil_evt_hold));
}

/* A fake /sys and debugfs with one edu device bound, one other device. */
static char root[256];

static void mk(const char *fmt, const char *arg)
{
	char path[512];

	snprintf(path, sizeof(path), fmt, root, arg);
	assert_int_equal(mkdir(path, 0755), 0);
}

static void write_file(const char *rel, const void *data, size_t len)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	fclose(f);
}

static void link_to(const char *target, const char *rel)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	assert_int_equal(symlink(target, path), 0);
}

static int fake_setup(void **state)
{
	char env[300];

	(void)state;
	strcpy(root, "/tmp/shl-test-XXXXXX");
	assert_non_null(mkdtemp(root));
	mk("%s/sys%s", "");
	mk("%s/sys/bus%s", "");
	mk("%s/sys/bus/pci%s", "");
	mk("%s/sys/bus/pci/devices%s", "");
	mk("%s/sys/bus/pci/drivers%s", "");
	mk("%s/sys/bus/pci/drivers/%s", SHL_EDU_DRIVER);
	mk("%s/sys/bus/pci/devices/%s", "0000:00:03.0");
	mk("%s/sys/bus/pci/devices/%s", "0000:00:05.0");
	mk("%s/sys/bus/pci/devices/%s", "0000:00:01.0");
	mk("%s/sys/bus/pci/drivers/%s", "virtio-pci");
	link_to("../../drivers/smmu_hil_edu", "sys/bus/pci/devices/0000:00:03.0/driver");
	link_to("../../drivers/smmu_hil_edu", "sys/bus/pci/devices/0000:00:05.0/driver");
	link_to("../../drivers/virtio-pci", "sys/bus/pci/devices/0000:00:01.0/driver");
	link_to("../../../kernel/iommu_groups/3", "sys/bus/pci/devices/0000:00:03.0/iommu_group");
	/* the driver directory lists bound devices and its attributes */
	link_to("../../devices/0000:00:05.0", "sys/bus/pci/drivers/smmu_hil_edu/0000:00:05.0");
	link_to("../../devices/0000:00:03.0", "sys/bus/pci/drivers/smmu_hil_edu/0000:00:03.0");
	write_file("sys/bus/pci/drivers/smmu_hil_edu/bind", "", 0);
	mk("%s/debugfs%s", "");
	snprintf(env, sizeof(env), "%s/sys", root);
	setenv("SMMU_HIL_SYSFS", env, 1);
	snprintf(env, sizeof(env), "%s/debugfs", root);
	setenv("SMMU_HIL_DEBUGFS", env, 1);
	return 0;
}

static int fake_teardown(void **state)
{
	char cmd[300];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	return system(cmd) == 0 ? 0 : -1;
}

static void test_edu_find(void **state)
{
	char bdf[SHL_BDF_LEN], drv[64];

	(void)state;
	/* default: the first bound device in BDF order */
	assert_int_equal(shl_edu_find(NULL, bdf), 0);
	assert_string_equal(bdf, "0000:00:03.0");
	assert_int_equal(shl_edu_find("00:05.0", bdf), 0);
	assert_string_equal(bdf, "0000:00:05.0");
	/* bound to another driver, missing, malformed */
	assert_int_equal(shl_edu_find("0000:00:01.0", bdf), -ENODEV);
	assert_int_equal(shl_edu_find("0000:00:09.0", bdf), -ENODEV);
	assert_int_equal(shl_edu_find("00:09", bdf), -EINVAL);

	assert_int_equal(shl_pci_driver("0000:00:01.0", drv, sizeof(drv)), 0);
	assert_string_equal(drv, "virtio-pci");
	assert_int_equal(shl_pci_driver("0000:00:07.0", drv, sizeof(drv)), -ENODEV);
	assert_int_equal(shl_pci_iommu_group("0000:00:03.0"), 3);
	assert_int_equal(shl_pci_iommu_group("0000:00:05.0"), -1);
}

static void test_events_read(void **state)
{
	struct shl_evt_rec in[3], out[8];
	long n;
	int i;

	(void)state;
	assert_int_equal(shl_events_read(out, 8), -ENOENT);
	for (i = 0; i < 3; i++) {
		in[i].seq = (uint64_t)i;
		in[i].ts_ns = 1000u + (uint64_t)i;
		in[i].evt[0] = 0x0000001800000010ull;
		in[i].evt[1] = 0x0000000800000000ull;
		in[i].evt[2] = 0x2000000ull + 0x1000ull * (uint64_t)i;
		in[i].evt[3] = 0;
	}
	write_file("debugfs/events", in, sizeof(in));
	n = shl_events_read(out, 8);
	assert_int_equal(n, 3);
	assert_memory_equal(in, out, sizeof(in));
	/* a shorter buffer takes only what fits */
	n = shl_events_read(out, 2);
	assert_int_equal(n, 2);
	assert_int_equal(out[1].evt[2], 0x2001000);
}

static void test_read_text(void **state)
{
	char path[512], buf[8];

	(void)state;
	write_file("debugfs/stats", "captured 5\n", 11);
	snprintf(path, sizeof(path), "%s/debugfs/stats", root);
	assert_int_equal(shl_read_text(path, buf, sizeof(buf)), -EFBIG);
	snprintf(path, sizeof(path), "%s/debugfs/none", root);
	assert_int_equal(shl_read_text(path, buf, sizeof(buf)), -ENOENT);
	assert_int_equal(shl_write_text(path, "1"), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bdf_accepts),
		cmocka_unit_test(test_bdf_rejects),
		cmocka_unit_test(test_numbers),
		cmocka_unit_test(test_numbers_reject),
		cmocka_unit_test(test_ranges),
		cmocka_unit_test(test_uapi_decode),
		cmocka_unit_test(test_uapi_layout),
		cmocka_unit_test_setup_teardown(test_edu_find, fake_setup, fake_teardown),
		cmocka_unit_test_setup_teardown(test_events_read, fake_setup, fake_teardown),
		cmocka_unit_test_setup_teardown(test_read_text, fake_setup, fake_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
