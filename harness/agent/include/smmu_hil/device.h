/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The device under transition (docs/scenarios.md "device"): a scenario's or
 * `smmu-hil run --device`'s name for it (edu, a PCI address, vendor:device,
 * a class: nvme, virtio-blk, virtio-net, disk, net, nic) resolved to one PCI
 * device from sysfs, its kind (which DMA check the run uses) and its block
 * devices / network interfaces; and the safety rule: never the disk that
 * holds the root file system or the NIC that carries the SSH session,
 * unless forced.
 */
#ifndef SMMU_HIL_DEVICE_H
#define SMMU_HIL_DEVICE_H

#include <stdbool.h>
#include <stddef.h>

#include "smmu_hil/dut.h"

/* What checks a device's DMA during its transitions. */
enum shl_dev_kind {
	SHL_DEV_EDU,		/* edu round trips (the agent's edu-dma loop) */
	SHL_DEV_DISK,		/* fio with crc32c verify on its block device (the lab) */
	SHL_DEV_NIC,		/* iperf3 + ping + interface counters (the lab) */
	SHL_DEV_OTHER,		/* events only */
};

#define SHL_DEV_NAMES_LEN	128

struct shl_dev {
	char bdf[SHL_BDF_LEN];
	enum shl_dev_kind kind;
	const char *cls;		/* "edu", "nvme", "virtio-blk", "virtio-net", "net", "disk", "pci" */
	unsigned int vendor, device, pci_class;
	char names[SHL_DEV_NAMES_LEN];	/* its disks / interfaces, space-separated */
};

/* What must not be moved (shl_dev_guard_init()). */
struct shl_dev_guard {
	bool root;			/* the root file system is on a block device */
	unsigned int root_major, root_minor;
	char ssh_if[32];		/* the interface of the SSH session, "" if none */
	bool force;			/* the inventory forces it: protection off */
};

/* shl_dev_kind_name() - "edu", "disk", "nic", "other". */
const char *shl_dev_kind_name(enum shl_dev_kind k);

/*
 * shl_dev_guard_init() - what this machine must keep: the block device of
 * "/" (stat(2); $SMMU_HIL_ROOT_DEV "MAJ:MIN" overrides it, "none" for
 * none) and the interface holding the local address of $SSH_CONNECTION
 * (getifaddrs(3); $SMMU_HIL_SSH_IFACE overrides it). @force: protect
 * nothing. Never fails: what cannot be found is not protected.
 */
void shl_dev_guard_init(struct shl_dev_guard *g, bool force);

/*
 * shl_dev_describe() - fill @d for PCI device @bdf (canonical) from sysfs:
 * IDs, class, kind, its block devices or interfaces. Returns 0 or -ENODEV.
 */
int shl_dev_describe(const char *bdf, struct shl_dev *d);

/*
 * shl_dev_protected() - whether @d must not be moved under @g. Returns 0
 * (free), or 1 with the reason in @why ("holds the root file system (/,
 * block device 254:1)", "carries the SSH session (eth0)").
 */
int shl_dev_protected(const struct shl_dev *d, const struct shl_dev_guard *g, char *why,
		      size_t len);

/*
 * shl_dev_resolve() - the device @spec names: "edu" (bound to smmu_hil_edu),
 * a PCI address, "vvvv:dddd", or a class ("nvme", "virtio-blk",
 * "virtio-net", "disk", "net", "nic"; the first such device in address
 * order that @g does not protect). Returns 0, or with one message in @why
 * naming the device and why: -ENODEV not there (or edu not bound to
 * smmu_hil_edu), -EPERM protected (every match), -EINVAL not a device
 * name or an inventory role the lab must resolve.
 */
int shl_dev_resolve(const char *spec, const struct shl_dev_guard *g, struct shl_dev *out,
		    char *why, size_t len);

/* shl_dev_spec_ok() - whether @spec has one of the forms shl_dev_resolve() takes. */
bool shl_dev_spec_ok(const char *spec);

#endif /* SMMU_HIL_DEVICE_H */
