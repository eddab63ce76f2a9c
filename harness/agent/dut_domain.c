// SPDX-License-Identifier: GPL-2.0-only
/*
 * Moving a device between IOMMU domains through the kernel's own paths,
 * each move a real STE rewrite by the SMMU driver:
 *   - default DMA <-> identity: unbind the device's driver (smmu_hil_edu,
 *     or whichever is bound: virtio-pci, nvme ...), write the group's
 *     `type` attribute ("DMA" / "identity"), bind it again
 *     (iommu_group_store_type, which in 6.1 needs the device unbound);
 *   - default <-> paging (edu only): smmu_hil_edu's DOMAIN command (ioctl
 *     SMMU_HIL_IOC_EDU_CMD: iommu_attach_device / iommu_detach_device of a
 *     module domain);
 *   - default or paging <-> blocked (edu only, kernels with a blocked
 *     domain): the same command, the module claiming the group's DMA
 *     ownership (the IOMMU core attaches the blocked domain).
 * Used by `smmu-hil domain` and the scenario runner's driver mode.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "smmu_hil/dut.h"
#include <uapi/smmu_hil.h>

static const char *const dom_names[SHL_DOM_NR] = {
	"identity", "dma", "paging", "blocked", "other",
};

const char *shl_dom_name(enum shl_dom t)
{
	return (unsigned int)t < SHL_DOM_NR ? dom_names[t] : "other";
}

int shl_dom_parse(const char *s)
{
	int t;

	for (t = 0; t < SHL_DOM_OTHER; t++)
		if (!strcmp(s, dom_names[t]))
			return t;
	return -1;
}

int shl_dom_current(const char *bdf, char *name, size_t size)
{
	char path[PATH_MAX];
	int g, ret;

	ret = shl_edu_domain(bdf, name, size);
	if (ret) {
		g = shl_pci_iommu_group(bdf);
		if (g < 0)
			return -ENODEV;
		snprintf(path, sizeof(path), "%s/kernel/iommu_groups/%d/type", shl_sysfs_dir(), g);
		return shl_read_line(path, name, size);
	}
	return 0;
}

enum shl_dom shl_dom_classify(const char *name)
{
	if (!strcmp(name, "identity"))
		return SHL_DOM_IDENTITY;
	if (!strcmp(name, "DMA") || !strcmp(name, "DMA-FQ"))
		return SHL_DOM_DMA;
	if (!strcmp(name, "paging"))
		return SHL_DOM_PAGING;
	if (!strcmp(name, "blocked"))
		return SHL_DOM_BLOCKED;
	return SHL_DOM_OTHER;
}

/* Unbind the bound driver, write the group's default domain type, bind it again. */
static int set_default_type(const char *bdf, enum shl_dom t)
{
	char path[PATH_MAX], drv[64];
	int g = shl_pci_iommu_group(bdf), ret, ret2;

	if (g < 0)
		return -ENODEV;
	ret = shl_pci_driver(bdf, drv, sizeof(drv));
	if (ret)
		return ret;
	if (!drv[0])
		return -ENXIO;		/* nothing to rebind: the move needs a driver */
	snprintf(path, sizeof(path), "%s/bus/pci/drivers/%s/unbind", shl_sysfs_dir(), drv);
	ret = shl_write_text(path, bdf);
	if (ret)
		return ret;
	snprintf(path, sizeof(path), "%s/kernel/iommu_groups/%d/type", shl_sysfs_dir(), g);
	ret = shl_write_text(path, t == SHL_DOM_IDENTITY ? "identity" : "DMA");
	snprintf(path, sizeof(path), "%s/bus/pci/drivers/%s/bind", shl_sysfs_dir(), drv);
	ret2 = shl_write_text(path, bdf);
	return ret ? ret : ret2;
}

int shl_dom_set(const char *bdf, enum shl_dom t)
{
	char cur[32];
	enum shl_dom c;
	int ret = shl_dom_current(bdf, cur, sizeof(cur));

	if (ret)
		return ret;
	c = shl_dom_classify(cur);
	if (c == t)
		return 0;
	if (t == SHL_DOM_PAGING)
		return shl_edu_set_domain(bdf, SMMU_HIL_EDU_DOM_PAGING);
	if (t == SHL_DOM_BLOCKED)
		return shl_edu_set_domain(bdf, SMMU_HIL_EDU_DOM_BLOCKED);
	if (c == SHL_DOM_PAGING || c == SHL_DOM_BLOCKED) {
		ret = shl_edu_set_domain(bdf, SMMU_HIL_EDU_DOM_DEFAULT);
		if (ret)
			return ret;
		ret = shl_dom_current(bdf, cur, sizeof(cur));
		if (ret)
			return ret;
		if (shl_dom_classify(cur) == t)
			return 0;
	}
	ret = set_default_type(bdf, t);
	if (ret)
		return ret;
	ret = shl_dom_current(bdf, cur, sizeof(cur));
	if (ret)
		return ret;
	return shl_dom_classify(cur) == t ? 0 : -EAGAIN;
}
