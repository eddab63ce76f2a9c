/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared debugfs directory handling of the smmu-hil modules. Either module
 * may be loaded first, so each one looks a directory up before creating it
 * and removes it on exit only once it is empty.
 */
#ifndef SMMU_HIL_DEBUGFS_H
#define SMMU_HIL_DEBUGFS_H

#include <linux/dcache.h>
#include <linux/debugfs.h>
#include <linux/fs.h>

/**
 * smmu_hil_dir_get() - look up or create a debugfs directory
 * @name: directory name
 * @parent: parent directory, NULL for the debugfs root
 *
 * Return: the directory with a reference held (drop it with
 * smmu_hil_dir_put()), or an ERR_PTR() if it cannot be created.
 */
static inline struct dentry *smmu_hil_dir_get(const char *name,
					      struct dentry *parent)
{
	struct dentry *d = debugfs_lookup(name, parent);

	if (d)
		return d;
	d = debugfs_create_dir(name, parent);
	if (IS_ERR(d))
		return d;
	return dget(d);
}

/**
 * smmu_hil_dir_put() - drop a reference from smmu_hil_dir_get(), removing
 * the directory if nothing is left in it.
 * @d: the directory; NULL and error pointers are ignored
 */
static inline void smmu_hil_dir_put(struct dentry *d)
{
	if (IS_ERR_OR_NULL(d))
		return;
	if (simple_empty(d))
		debugfs_remove(d);
	dput(d);
}

#endif /* SMMU_HIL_DEBUGFS_H */
