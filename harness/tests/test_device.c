// SPDX-License-Identifier: GPL-2.0-only
/*
 * The device under transition (harness/agent/dut_device.c) on a fake sysfs
 * ($SMMU_HIL_SYSFS) laid out as Linux lays it out: PCI devices with their
 * virtio/nvme children, /sys/class/block and /sys/class/net links,
 * /sys/dev/block MAJ:MIN links, a dm device over an NVMe namespace. The
 * root disk and the SSH NIC must be refused with one message naming the
 * device and why; classes skip protected devices.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "smmu_hil/device.h"
#include "smmu_hil/dut.h"

static char root[64];

static void mkdirs(const char *rel)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "mkdir -p '%s/%s'", root, rel);
	assert_int_equal(system(cmd), 0);
}

static void put(const char *rel, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void ln(const char *target, const char *rel)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	assert_int_equal(symlink(target, path), 0);
}

#define PCI "sys/devices/pci0000:00/"

static void pci(const char *bdf, const char *ven, const char *dev, const char *cls)
{
	char rel[256], tgt[256];

	snprintf(rel, sizeof(rel), PCI "%s", bdf);
	mkdirs(rel);
	snprintf(rel, sizeof(rel), PCI "%s/vendor", bdf);
	put(rel, ven);
	snprintf(rel, sizeof(rel), PCI "%s/device", bdf);
	put(rel, dev);
	snprintf(rel, sizeof(rel), PCI "%s/class", bdf);
	put(rel, cls);
	snprintf(tgt, sizeof(tgt), "../../../devices/pci0000:00/%s", bdf);
	snprintf(rel, sizeof(rel), "sys/bus/pci/devices/%s", bdf);
	ln(tgt, rel);
}

/* a block device at PCI-relative @sub (e.g. "0000:00:01.0/virtio0/block/vda") */
static void blk(const char *sub, const char *name, const char *majmin, bool part)
{
	char rel[256], tgt[256];

	snprintf(rel, sizeof(rel), PCI "%s", sub);
	mkdirs(rel);
	snprintf(rel, sizeof(rel), PCI "%s/dev", sub);
	put(rel, majmin);
	if (part) {
		snprintf(rel, sizeof(rel), PCI "%s/partition", sub);
		put(rel, "1\n");
	}
	snprintf(tgt, sizeof(tgt), "../../devices/pci0000:00/%s", sub);
	snprintf(rel, sizeof(rel), "sys/class/block/%s", name);
	ln(tgt, rel);
	snprintf(rel, sizeof(rel), "sys/dev/block/%.*s", (int)strcspn(majmin, "\n"), majmin);
	ln(tgt, rel);
}

static int setup(void **state)
{
	char env[128];

	(void)state;
	strcpy(root, "/tmp/shl-dev-XXXXXX");
	assert_non_null(mkdtemp(root));
	mkdirs("sys/bus/pci/devices");
	mkdirs("sys/bus/pci/drivers/smmu_hil_edu");
	mkdirs("sys/class/block");
	mkdirs("sys/class/net");
	mkdirs("sys/dev/block");
	pci("0000:00:01.0", "0x1af4\n", "0x1042\n", "0x010000\n");	/* virtio-blk, root */
	pci("0000:00:02.0", "0x1af4\n", "0x1041\n", "0x020000\n");	/* virtio-net, SSH */
	pci("0000:00:03.0", "0x1234\n", "0x11e8\n", "0x00ff00\n");	/* edu */
	pci("0000:00:05.0", "0x1af4\n", "0x1042\n", "0x010000\n");	/* virtio-blk, scratch */
	pci("0000:00:06.0", "0x1b36\n", "0x0010\n", "0x010802\n");	/* nvme, under dm-0 */
	pci("0000:00:07.0", "0x8086\n", "0x10d3\n", "0x020000\n");	/* e1000e, data NIC */
	ln("../../../../devices/pci0000:00/0000:00:03.0", "sys/bus/pci/drivers/smmu_hil_edu/0000:00:03.0");
	ln("../../../../bus/pci/drivers/smmu_hil_edu", PCI "0000:00:03.0/driver");
	blk("0000:00:01.0/virtio0/block/vda", "vda", "254:0\n", false);
	blk("0000:00:01.0/virtio0/block/vda/vda1", "vda1", "254:1\n", true);
	blk("0000:00:05.0/virtio3/block/vdb", "vdb", "254:16\n", false);
	blk("0000:00:06.0/nvme/nvme0/nvme0n1", "nvme0n1", "259:0\n", false);
	mkdirs(PCI "0000:00:02.0/virtio1/net/eth0");
	ln("../../devices/pci0000:00/0000:00:02.0/virtio1/net/eth0", "sys/class/net/eth0");
	mkdirs(PCI "0000:00:07.0/net/enp0s7");
	ln("../../devices/pci0000:00/0000:00:07.0/net/enp0s7", "sys/class/net/enp0s7");
	/* dm-0 (253:0) built on nvme0n1 */
	mkdirs("sys/devices/virtual/block/dm-0/slaves");
	put("sys/devices/virtual/block/dm-0/dev", "253:0\n");
	ln("../../../../pci0000:00/0000:00:06.0/nvme/nvme0/nvme0n1",
	   "sys/devices/virtual/block/dm-0/slaves/nvme0n1");
	ln("../../devices/virtual/block/dm-0", "sys/dev/block/253:0");
	snprintf(env, sizeof(env), "%s/sys", root);
	setenv("SMMU_HIL_SYSFS", env, 1);
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	unsetenv("SMMU_HIL_SYSFS");
	unsetenv("SMMU_HIL_ROOT_DEV");
	unsetenv("SMMU_HIL_SSH_IFACE");
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	return system(cmd) == 0 ? 0 : -1;
}

static void guard(struct shl_dev_guard *g, const char *rootdev, const char *ssh, bool force)
{
	if (rootdev)
		setenv("SMMU_HIL_ROOT_DEV", rootdev, 1);
	else
		setenv("SMMU_HIL_ROOT_DEV", "none", 1);
	if (ssh)
		setenv("SMMU_HIL_SSH_IFACE", ssh, 1);
	else
		unsetenv("SMMU_HIL_SSH_IFACE");
	unsetenv("SSH_CONNECTION");
	shl_dev_guard_init(g, force);
}

static void test_describe(void **state)
{
	struct shl_dev d;

	(void)state;
	assert_int_equal(shl_dev_describe("0000:00:05.0", &d), 0);
	assert_int_equal(d.kind, SHL_DEV_DISK);
	assert_string_equal(d.cls, "virtio-blk");
	assert_string_equal(d.names, "vdb");
	assert_int_equal(shl_dev_describe("0000:00:01.0", &d), 0);
	assert_string_equal(d.names, "vda");		/* partitions are not listed */
	assert_int_equal(shl_dev_describe("0000:00:02.0", &d), 0);
	assert_int_equal(d.kind, SHL_DEV_NIC);
	assert_string_equal(d.cls, "virtio-net");
	assert_string_equal(d.names, "eth0");
	assert_int_equal(shl_dev_describe("0000:00:06.0", &d), 0);
	assert_string_equal(d.cls, "nvme");
	assert_string_equal(d.names, "nvme0n1");
	assert_int_equal(shl_dev_describe("0000:00:07.0", &d), 0);
	assert_string_equal(d.cls, "net");
	assert_int_equal(shl_dev_describe("0000:00:03.0", &d), 0);
	assert_int_equal(d.kind, SHL_DEV_EDU);
	assert_int_equal(shl_dev_describe("0000:00:09.0", &d), -ENODEV);
	assert_string_equal(shl_dev_kind_name(SHL_DEV_NIC), "nic");
}

static void test_root_disk_refused(void **state)
{
	struct shl_dev_guard g;
	struct shl_dev d;
	char why[600];

	(void)state;
	guard(&g, "254:1", NULL, false);	/* / on vda1 */
	assert_true(g.root);
	assert_int_equal(shl_dev_resolve("00:01.0", &g, &d, why, sizeof(why)), -EPERM);
	assert_string_equal(why, "device 0000:00:01.0 (virtio-blk vda) holds the root file system (/, block device 254:1): refusing to move its STE (an inventory entry with force: true overrides)");
	/* a class skips it: the scratch disk */
	assert_int_equal(shl_dev_resolve("virtio-blk", &g, &d, why, sizeof(why)), 0);
	assert_string_equal(d.bdf, "0000:00:05.0");
	assert_int_equal(shl_dev_resolve("disk", &g, &d, why, sizeof(why)), 0);
	assert_string_equal(d.bdf, "0000:00:05.0");
	assert_int_equal(shl_dev_resolve("1af4:1042", &g, &d, why, sizeof(why)), 0);
	assert_string_equal(d.bdf, "0000:00:05.0");
	/* forced: allowed */
	guard(&g, "254:1", NULL, true);
	assert_int_equal(shl_dev_resolve("0000:00:01.0", &g, &d, why, sizeof(why)), 0);

	/* / on dm-0 over the NVMe namespace: the NVMe drive is the root disk */
	guard(&g, "253:0", NULL, false);
	assert_int_equal(shl_dev_resolve("nvme", &g, &d, why, sizeof(why)), -EPERM);
	assert_non_null(strstr(why, "device 0000:00:06.0 (nvme nvme0n1) holds the root file system (/, block device 253:0)"));
	assert_int_equal(shl_dev_resolve("0000:00:01.0", &g, &d, why, sizeof(why)), 0);
	/* no root disk (initramfs) */
	guard(&g, NULL, NULL, false);
	assert_false(g.root);
	assert_int_equal(shl_dev_resolve("nvme", &g, &d, why, sizeof(why)), 0);
}

static void test_ssh_nic_refused(void **state)
{
	struct shl_dev_guard g;
	struct shl_dev d;
	char why[600];

	(void)state;
	guard(&g, NULL, "eth0", false);
	assert_int_equal(shl_dev_resolve("virtio-net", &g, &d, why, sizeof(why)), -EPERM);
	assert_string_equal(why, "device 0000:00:02.0 (virtio-net eth0) carries this SSH session (eth0): refusing to move its STE (an inventory entry with force: true overrides)");
	assert_int_equal(shl_dev_resolve("0000:00:02.0", &g, &d, why, sizeof(why)), -EPERM);
	/* a class skips it: the data NIC */
	assert_int_equal(shl_dev_resolve("net", &g, &d, why, sizeof(why)), 0);
	assert_string_equal(d.bdf, "0000:00:07.0");
	assert_int_equal(shl_dev_resolve("nic", &g, &d, why, sizeof(why)), 0);
	assert_string_equal(d.bdf, "0000:00:07.0");
	guard(&g, NULL, "eth0", true);
	assert_int_equal(shl_dev_resolve("virtio-net", &g, &d, why, sizeof(why)), 0);
	assert_string_equal(d.bdf, "0000:00:02.0");
}

static void test_ssh_connection(void **state)
{
	struct shl_dev_guard g;

	(void)state;
	unsetenv("SMMU_HIL_SSH_IFACE");
	setenv("SMMU_HIL_ROOT_DEV", "none", 1);
	/* the local end of the session is the loopback's address */
	setenv("SSH_CONNECTION", "10.1.2.3 40000 127.0.0.1 22", 1);
	shl_dev_guard_init(&g, false);
	assert_string_equal(g.ssh_if, "lo");
	setenv("SSH_CONNECTION", "garbage", 1);
	shl_dev_guard_init(&g, false);
	assert_string_equal(g.ssh_if, "");
	unsetenv("SSH_CONNECTION");
}

static void test_other_specs(void **state)
{
	struct shl_dev_guard g;
	struct shl_dev d;
	char why[600];

	(void)state;
	guard(&g, NULL, NULL, false);
	assert_int_equal(shl_dev_resolve("edu", &g, &d, why, sizeof(why)), 0);
	assert_string_equal(d.bdf, "0000:00:03.0");
	assert_int_equal(d.kind, SHL_DEV_EDU);
	assert_int_equal(shl_dev_resolve("0000:00:03.0", &g, &d, why, sizeof(why)), 0);
	assert_int_equal(shl_dev_resolve("1234:11e8", &g, &d, why, sizeof(why)), 0);
	pci("0000:00:08.0", "0x1234\n", "0x11e8\n", "0x00ff00\n");	/* an edu nobody drives */
	assert_int_equal(shl_dev_resolve("00:08.0", &g, &d, why, sizeof(why)), -ENODEV);
	assert_string_equal(why, "device 0000:00:08.0 (edu): not bound to smmu_hil_edu");
	assert_int_equal(shl_dev_resolve("workload.disk", &g, &d, why, sizeof(why)), -EINVAL);
	assert_non_null(strstr(why, "an inventory role; the lab resolves it"));
	assert_int_equal(shl_dev_resolve("gpu", &g, &d, why, sizeof(why)), -EINVAL);
	assert_non_null(strstr(why, "device gpu: not edu"));
	assert_int_equal(shl_dev_resolve("0000:00:09.0", &g, &d, why, sizeof(why)), -ENODEV);
	assert_string_equal(why, "device 0000:00:09.0: no such PCI device");
	assert_int_equal(shl_dev_resolve("abcd:0001", &g, &d, why, sizeof(why)), -ENODEV);
	assert_true(shl_dev_spec_ok("virtio-net"));
	assert_true(shl_dev_spec_ok("00:05.0"));
	assert_true(shl_dev_spec_ok("1af4:1041"));
	assert_true(shl_dev_spec_ok("workload.nic"));
	assert_false(shl_dev_spec_ok("gpu"));
	assert_false(shl_dev_spec_ok("1af4:10411"));
}

/* driver mode on a live device: unbind its own driver, group type, bind it again */
static void test_dom_set_any_driver(void **state)
{
	char buf[64], path[512], env[128];
	FILE *f;

	(void)state;
	snprintf(env, sizeof(env), "%s/debugfs", root);
	setenv("SMMU_HIL_DEBUGFS", env, 1);
	mkdirs("debugfs");
	mkdirs("sys/kernel/iommu_groups/3");
	put("sys/kernel/iommu_groups/3/type", "DMA\n");
	mkdirs("sys/bus/pci/drivers/virtio-pci");
	put("sys/bus/pci/drivers/virtio-pci/unbind", "");
	put("sys/bus/pci/drivers/virtio-pci/bind", "");
	ln("../../../bus/pci/drivers/virtio-pci", PCI "0000:00:05.0/driver");
	ln("../../../kernel/iommu_groups/3", PCI "0000:00:05.0/iommu_group");
	ln("../../../kernel/iommu_groups/3", PCI "0000:00:06.0/iommu_group");
	assert_int_equal(shl_dom_set("0000:00:05.0", SHL_DOM_IDENTITY), 0);
	snprintf(path, sizeof(path), "%s/sys/bus/pci/drivers/virtio-pci/unbind", root);
	assert_true(shl_read_text(path, buf, sizeof(buf)) > 0);
	assert_string_equal(buf, "0000:00:05.0");
	snprintf(path, sizeof(path), "%s/sys/bus/pci/drivers/virtio-pci/bind", root);
	assert_true(shl_read_text(path, buf, sizeof(buf)) > 0);
	assert_string_equal(buf, "0000:00:05.0");
	assert_int_equal(shl_dom_current("0000:00:05.0", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "identity");
	/* a device bound to no driver cannot be moved this way */
	snprintf(path, sizeof(path), "%s/sys/kernel/iommu_groups/3/type", root);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("DMA\n", f);
	fclose(f);
	assert_int_equal(shl_dom_set("0000:00:06.0", SHL_DOM_IDENTITY), -ENXIO);
	unsetenv("SMMU_HIL_DEBUGFS");
}

/* The platform check legality corpora use (skip_on: {qemu: ...}). */
static void test_is_qemu(void **state)
{
	char path[512];
	FILE *f;

	(void)state;
	assert_false(shl_dut_is_qemu());
	mkdirs("sys/class/dmi/id");
	put("sys/class/dmi/id/sys_vendor", "Ampere(R)\n");
	assert_false(shl_dut_is_qemu());
	put("sys/class/dmi/id/sys_vendor", "QEMU\n");		/* ACPI boot */
	assert_true(shl_dut_is_qemu());
	put("sys/class/dmi/id/sys_vendor", "Ampere(R)\n");
	mkdirs("sys/firmware/devicetree/base");
	snprintf(path, sizeof(path), "%s/sys/firmware/devicetree/base/compatible", root);
	f = fopen(path, "w");
	assert_non_null(f);
	fwrite("arm,juno\0arm,vexpress\0", 1, 22, f);		/* not a virt board */
	fclose(f);
	assert_false(shl_dut_is_qemu());
	f = fopen(path, "w");
	assert_non_null(f);
	fwrite("linux,dummy-virt\0", 1, 17, f);		/* QEMU virt, DT boot */
	fclose(f);
	assert_true(shl_dut_is_qemu());
	assert_int_equal(unlink(path), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_is_qemu),
		cmocka_unit_test(test_describe),
		cmocka_unit_test(test_root_disk_refused),
		cmocka_unit_test(test_ssh_nic_refused),
		cmocka_unit_test(test_ssh_connection),
		cmocka_unit_test(test_other_specs),
		cmocka_unit_test(test_dom_set_any_driver),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
