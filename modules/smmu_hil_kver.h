/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The running kernel's version, for the smmu-hil modules' per-kernel
 * tables: taken from the uname release at run time, so one build serves
 * the kernel it is loaded into.
 */
#ifndef SMMU_HIL_KVER_H
#define SMMU_HIL_KVER_H

#include <linux/kernel.h>
#include <linux/minmax.h>
#include <linux/utsname.h>
#include <linux/version.h>

/**
 * smmu_hil_kernel_version() - KERNEL_VERSION() of the running kernel
 *
 * Return: the version parsed from init_utsname()->release (sublevel
 * clamped to 255), or 0 if the release does not start with "A.B".
 */
static inline unsigned int smmu_hil_kernel_version(void)
{
	unsigned int a = 0, b = 0, c = 0;

	if (sscanf(init_utsname()->release, "%u.%u.%u", &a, &b, &c) < 2)
		return 0;
	return KERNEL_VERSION(a, b, min(c, 255U));
}

#endif /* SMMU_HIL_KVER_H */
