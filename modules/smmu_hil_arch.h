/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Where an SMMUv3 can exist. The modules build on any architecture (dkms
 * builds them for the kernel a vendor runs, and the lab checks the amd64
 * build), but the SMMUv3 parts only mean something on an arm64 kernel with
 * the arm-smmu-v3 driver.
 */
#ifndef SMMU_HIL_ARCH_H
#define SMMU_HIL_ARCH_H

#include <linux/errno.h>
#include <linux/kconfig.h>
#include <linux/printk.h>
#include <linux/types.h>
#include <linux/utsname.h>

/**
 * smmu_hil_arch_ok() - whether this kernel can have an SMMUv3 driven by arm-smmu-v3
 *
 * Return: a compile-time constant, true on an arm64 kernel with
 * CONFIG_ARM_SMMU_V3. Module exit returns at once when it is false: init
 * refused, there is nothing to undo.
 */
static inline bool smmu_hil_arch_ok(void)
{
	return IS_ENABLED(CONFIG_ARM64) && IS_ENABLED(CONFIG_ARM_SMMU_V3);
}

/**
 * smmu_hil_arch_check() - refuse to load where no SMMUv3 can be driven
 * @what: what the module does with the SMMUv3, for the message
 *
 * Call first in module init. On an arm64 kernel with CONFIG_ARM_SMMU_V3 it
 * is a constant 0. On any other kernel it is a constant -ENODEV: init
 * compiles down to this message and the error, so the SMMUv3 code (register
 * mapping, stream-table walk, kprobes on the driver) is still type-checked
 * but never runs, and loading fails clearly instead of probing for a driver
 * that cannot exist.
 *
 * Return: 0 if the kernel can have an SMMUv3 driven by arm-smmu-v3,
 * else -ENODEV.
 */
static inline int smmu_hil_arch_check(const char *what)
{
	if (smmu_hil_arch_ok())
		return 0;
	pr_err("%s needs an arm64 kernel with the arm-smmu-v3 driver (CONFIG_ARM_SMMU_V3); kernel %s (%s) has none: not loaded\n",
	       what, init_utsname()->release, init_utsname()->machine);
	return -ENODEV;
}

#endif /* SMMU_HIL_ARCH_H */
