/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Every kernel-version fact of the smmu-hil modules, in one place: porting
 * the modules to a new kernel edits this file only.
 *
 *   1. where the modules can run at all (arm64 with CONFIG_ARM_SMMU_V3);
 *   2. the running kernel's version (run time, from uname: one build serves
 *      the kernel it is loaded into);
 *   3. run-time tables of the arm-smmu-v3 driver's static functions: the
 *      event monitor's probe points, the injector's command-queue and STE
 *      install functions, with their signatures' argument positions;
 *   4. compile-time shims for kernel API drift (no_llseek, paging-domain
 *      allocation, iommu_map()'s gfp argument).
 *
 * docs/modules.md and docs/injector.md say how to add a kernel.
 */
#ifndef SMMU_HIL_COMPAT_H
#define SMMU_HIL_COMPAT_H

#include <linux/err.h>
#include <linux/errno.h>
#include <linux/fs.h>
#include <linux/iommu.h>
#include <linux/kconfig.h>
#include <linux/kernel.h>
#include <linux/minmax.h>
#include <linux/printk.h>
#include <linux/types.h>
#include <linux/utsname.h>
#include <linux/version.h>

/* ------------------------------------------------ 1. where we can run */

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
 * compiles down to this message and the error, so the SMMUv3 code is still
 * type-checked but never runs.
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

/* ------------------------------------------------- 2. running version */

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

/* ------------------------------- 3. the driver's static functions */

/**
 * struct smmu_hil_evt_probe - where a kernel range hands raw event records over
 * @since: first kernel version (KERNEL_VERSION) the entry applies to
 * @until: first kernel version it no longer applies to
 * @symbol: function to probe, called once per record taken from the
 *	event queue (by arm_smmu_evtq_thread)
 * @argidx: which argument (0-based) points at the four raw qwords
 * @caller: NULL: @symbol receives a record in argument @argidx (a kprobe
 *	at its entry). Else @symbol fills argument @argidx with a record and
 *	returns 0 when it took one (queue_remove_raw(q, ent)): a kretprobe
 *	reads the record on return, counted only when @symbol was called from
 *	@caller (so the PRI queue's records, taken by the same function from
 *	arm_smmu_priq_thread, are not counted)
 */
struct smmu_hil_evt_probe {
	unsigned int since, until;
	const char *symbol;
	unsigned int argidx;
	const char *caller;
};

/**
 * smmu_hil_evt_probes() - the event monitor's probe points
 * @n: set to the number of entries
 *
 * Entries matching the running kernel are tried in order; the first that
 * registers wins. A function only called for some event types is not
 * suitable. Facts from drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3.c of each
 * range.
 *
 * Return: a static table.
 */
static inline const struct smmu_hil_evt_probe *smmu_hil_evt_probes(size_t *n)
{
	static const struct smmu_hil_evt_probe probes[] = {
		/* 5.14 .. 6.14: static arm_smmu_handle_evt(smmu, u64 *evt) */
		{ KERNEL_VERSION(5, 14, 0), KERNEL_VERSION(6, 15, 0),
		  "arm_smmu_handle_evt", 1, NULL },
		/* 6.15+: arm_smmu_handle_event(smmu, u64 *evt, struct arm_smmu_event *) */
		{ KERNEL_VERSION(6, 15, 0), KERNEL_VERSION(255, 0, 0),
		  "arm_smmu_handle_event", 1, NULL },
		/* 6.15+: arm_smmu_decode_event(smmu, u64 *raw, struct arm_smmu_event *) */
		{ KERNEL_VERSION(6, 15, 0), KERNEL_VERSION(255, 0, 0),
		  "arm_smmu_decode_event", 1, NULL },
		/*
		 * Where the compiler inlined all of those into the event-queue
		 * thread (Debian's 6.12.95 and 7.3.4 arm64 builds): static
		 * queue_remove_raw(struct arm_smmu_queue *q, u64 *ent), which
		 * copies one record into ent and returns 0, or -EAGAIN when the
		 * queue is empty; arm_smmu_evtq_thread calls it once per record
		 * (4.2 .. 7.3 at least).
		 */
		{ KERNEL_VERSION(5, 14, 0), KERNEL_VERSION(255, 0, 0),
		  "queue_remove_raw", 1, "arm_smmu_evtq_thread" },
	};

	*n = ARRAY_SIZE(probes);
	return probes;
}

/*
 * The driver's global-error interrupt handler: static
 * arm_smmu_gerror_handler(int irq, void *dev) from 4.2 to 7.3 at least. It
 * reads GERROR and GERRORN and acknowledges what is active by writing
 * GERROR to GERRORN, once per interrupt; its address is handed to
 * devm_request_irq(), so a copy is never inlined away. The event monitor
 * samples GERROR.EVENTQ_ABT_ERR at its entry (before the acknowledgement).
 */
#define SMMU_HIL_GERROR_HANDLER	"arm_smmu_gerror_handler"

/*
 * Index of the event queue's interrupt among the driver's platform MSIs
 * (EVTQ_MSI_INDEX of enum arm_smmu_msi_index, 4.2 .. 7.3); without MSIs the
 * driver takes the wired interrupt named "eventq" (or "combined").
 */
#define SMMU_HIL_EVTQ_MSI_INDEX	0

/*
 * Call shapes of the driver's command-list function. 6.12 added a
 * struct arm_smmu_cmdq * argument (the queue to use: the SMMU's own, or an
 * implementation's secondary queue for invalidations): the injector learns
 * the SMMU's own queue from a call the driver makes (smmu_hil_inj_kernel
 * @cmdq_embed).
 */
enum smmu_hil_cmdlist_shape {
	/* int (struct arm_smmu_device *, u64 *cmds, int n, bool sync) */
	SMMU_HIL_CMDLIST_SMMU_CMDS_N_SYNC,
	/* int (struct arm_smmu_device *, struct arm_smmu_cmdq *, u64 *cmds, int n, bool sync) */
	SMMU_HIL_CMDLIST_SMMU_CMDQ_CMDS_N_SYNC,
};

/**
 * struct smmu_hil_inj_kernel - the driver internals one kernel range provides
 * @since: first kernel version (KERNEL_VERSION) the entry applies to
 * @until: first kernel version it no longer applies to
 * @cmdlist: function submitting commands to the command queue, appending
 *	(and waiting for) a CMD_SYNC when asked
 * @shape: its signature (enum smmu_hil_cmdlist_shape)
 * @smmu_arg: argument (0-based) holding the struct arm_smmu_device *
 * @cmdq_arg: SMMU_HIL_CMDLIST_SMMU_CMDQ_CMDS_N_SYNC: argument holding the
 *	struct arm_smmu_cmdq *
 * @cmds_arg: argument holding the u64 *cmds
 * @n_arg: argument holding the number of commands
 * @cmdq_embed: SMMU_HIL_CMDLIST_SMMU_CMDQ_CMDS_N_SYNC: the SMMU's own
 *	command queue is a member of struct arm_smmu_device within this many
 *	bytes of its start (secondary queues are allocated apart)
 * @install: function (re)writing every STE of a master, NULL where
 *	@writer sees every write
 * @master_arg: its argument holding the struct arm_smmu_master *, the
 *	pointer the driver stores with dev_iommu_priv_set()
 * @writer: the driver's entry writer, called once per STE or CD update
 *	with the live entry and the target and syncing through @cmdlist
 *	(arm_smmu_write_entry(), 6.10+); NULL where the driver writes entries
 *	in place (6.1: the recorder sees syncs only)
 * @writer_arg: its argument holding the struct arm_smmu_entry_writer *
 * @entry_arg: its argument holding the live entry (__le64 *)
 * @target_arg: its argument holding the target entry (const __le64 *)
 * @writer_master_off: offset of the struct arm_smmu_master * in struct
 *	arm_smmu_entry_writer (after its ops pointer)
 * @update_safe: a function whose presence in the kernel says the writer
 *	has update-safe STE bits (arm_smmu_get_ste_update_safe(), in 7.0 and
 *	stable backports), NULL if the range never has it
 */
struct smmu_hil_inj_kernel {
	unsigned int since, until;
	const char *cmdlist;
	enum smmu_hil_cmdlist_shape shape;
	unsigned int smmu_arg, cmdq_arg, cmds_arg, n_arg;
	size_t cmdq_embed;
	const char *install;
	unsigned int master_arg;
	const char *writer;
	unsigned int writer_arg, entry_arg, target_arg;
	size_t writer_master_off;
	const char *update_safe;
};

/**
 * smmu_hil_inj_kernel_find() - the injector's entry for kernel @ver
 * @ver: KERNEL_VERSION() of the running kernel
 *
 * Return: the entry, or NULL if no range covers @ver (no recorder, no raw
 * mode). Facts from drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3.[ch] of
 * Debian's 6.1, 6.12 (linux-source-6.12) and 7.x kernels; docs/injector.md.
 */
static inline const struct smmu_hil_inj_kernel *smmu_hil_inj_kernel_find(unsigned int ver)
{
	static const struct smmu_hil_inj_kernel kernels[] = {
		/*
		 * 6.1: static arm_smmu_cmdq_issue_cmdlist(smmu, cmds, n, sync);
		 * STEs written in place by arm_smmu_write_strtab_ent (inlined)
		 * inside arm_smmu_install_ste_for_dev(master).
		 */
		{ .since = KERNEL_VERSION(6, 1, 0), .until = KERNEL_VERSION(6, 2, 0),
		  .cmdlist = "arm_smmu_cmdq_issue_cmdlist",
		  .shape = SMMU_HIL_CMDLIST_SMMU_CMDS_N_SYNC,
		  .smmu_arg = 0, .cmds_arg = 1, .n_arg = 2,
		  .install = "arm_smmu_install_ste_for_dev", .master_arg = 0 },
		/*
		 * 6.12: static arm_smmu_cmdq_issue_cmdlist(smmu, cmdq, cmds, n,
		 * sync), cmdq = &smmu->cmdq for CFGIs (its 6th member);
		 * arm_smmu_write_entry(writer, entry, target) for STEs and CDs,
		 * struct arm_smmu_entry_writer { ops; master; }; no update-safe
		 * bits (arm_smmu_get_ste_update_safe() is a 7.0 fix).
		 */
		{ .since = KERNEL_VERSION(6, 12, 0), .until = KERNEL_VERSION(6, 13, 0),
		  .cmdlist = "arm_smmu_cmdq_issue_cmdlist",
		  .shape = SMMU_HIL_CMDLIST_SMMU_CMDQ_CMDS_N_SYNC,
		  .smmu_arg = 0, .cmdq_arg = 1, .cmds_arg = 2, .n_arg = 3, .cmdq_embed = 1024,
		  .writer = "arm_smmu_write_entry", .writer_arg = 0, .entry_arg = 1,
		  .target_arg = 2, .writer_master_off = sizeof(void *),
		  .update_safe = "arm_smmu_get_ste_update_safe" },
		/*
		 * 7.x: as 6.12, arm_smmu_cmdq_issue_cmdlist() no longer static;
		 * the writer asks arm_smmu_get_ste_update_safe() (MEV, EATS).
		 */
		{ .since = KERNEL_VERSION(7, 0, 0), .until = KERNEL_VERSION(8, 0, 0),
		  .cmdlist = "arm_smmu_cmdq_issue_cmdlist",
		  .shape = SMMU_HIL_CMDLIST_SMMU_CMDQ_CMDS_N_SYNC,
		  .smmu_arg = 0, .cmdq_arg = 1, .cmds_arg = 2, .n_arg = 3, .cmdq_embed = 1024,
		  .writer = "arm_smmu_write_entry", .writer_arg = 0, .entry_arg = 1,
		  .target_arg = 2, .writer_master_off = sizeof(void *),
		  .update_safe = "arm_smmu_get_ste_update_safe" },
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(kernels); i++)
		if (ver >= kernels[i].since && ver < kernels[i].until)
			return &kernels[i];
	return NULL;
}

typedef int (*smmu_hil_cmdlist_fn)(void *smmu, u64 *cmds, int n, bool sync);
typedef int (*smmu_hil_cmdlist_q_fn)(void *smmu, void *cmdq, u64 *cmds, int n, bool sync);

/**
 * smmu_hil_cmdlist_call() - submit @n commands and a CMD_SYNC, waited for
 * @k: the kernel's entry
 * @fn: the resolved address of @k->cmdlist
 * @smmu: the driver's struct arm_smmu_device (the SMMU's drvdata)
 * @cmdq: the SMMU's own struct arm_smmu_cmdq, for shapes that take one
 * @cmds: @n commands of two qwords each
 * @n: number of commands
 *
 * Return: the driver's return value (0 or -errno), -EOPNOTSUPP for a
 * shape this module cannot call or a queue not learnt.
 */
static inline int smmu_hil_cmdlist_call(const struct smmu_hil_inj_kernel *k, void *fn,
					void *smmu, void *cmdq, u64 *cmds, int n)
{
	switch (k->shape) {
	case SMMU_HIL_CMDLIST_SMMU_CMDS_N_SYNC:
		return ((smmu_hil_cmdlist_fn)fn)(smmu, cmds, n, true);
	case SMMU_HIL_CMDLIST_SMMU_CMDQ_CMDS_N_SYNC:
		if (!cmdq)
			return -EOPNOTSUPP;
		return ((smmu_hil_cmdlist_q_fn)fn)(smmu, cmdq, cmds, n, true);
	}
	return -EOPNOTSUPP;
}

/**
 * smmu_hil_cmdq_is_own() - whether @cmdq is the SMMU's own command queue
 * @k: the kernel's entry
 * @smmu: the driver's struct arm_smmu_device
 * @cmdq: a queue the driver passed to @k->cmdlist
 *
 * The SMMU's own queue (which takes CFGI commands) is embedded in struct
 * arm_smmu_device; an implementation's secondary queues (NVIDIA CMDQV, for
 * invalidations only) are allocated apart.
 *
 * Return: true if @cmdq lies inside the first @k->cmdq_embed bytes of @smmu.
 */
static inline bool smmu_hil_cmdq_is_own(const struct smmu_hil_inj_kernel *k, const void *smmu,
					const void *cmdq)
{
	return k->shape == SMMU_HIL_CMDLIST_SMMU_CMDQ_CMDS_N_SYNC &&
	       cmdq > smmu && (const char *)cmdq < (const char *)smmu + k->cmdq_embed;
}


/* ------------------------------------------------------ 4. API drift */

/* The kernel the modules are built against, as KERNEL_VERSION(). */
#define SMMU_HIL_BUILT_FOR \
	KERNEL_VERSION(LINUX_VERSION_MAJOR, LINUX_VERSION_PATCHLEVEL, 0)
/* Built against a kernel older than @a.@b. */
#define SMMU_HIL_BUILT_BEFORE(a, b)	(KERNEL_VERSION(a, b, 0) > SMMU_HIL_BUILT_FOR)

/*
 * The blocked domain: arm-smmu-v3 has a static IOMMU_DOMAIN_BLOCKED domain
 * (an abort STE, ops->blocked_domain) since 6.9; the IOMMU core attaches it
 * to a group whose DMA ownership is claimed (iommu_group_claim_dma_owner(),
 * exported since 5.19), which needs a driver that manages DMA ownership
 * itself (driver_managed_dma). Before 6.9 the core fell back to an empty
 * paging domain: no blocked STE to move to.
 */
#define SMMU_HIL_HAS_BLOCKED_DOMAIN	(!SMMU_HIL_BUILT_BEFORE(6, 9))

/*
 * file_operations.llseek of a file that cannot seek: no_llseek until 6.12
 * removed it (since 6.0 NULL means the same).
 */
#if SMMU_HIL_BUILT_BEFORE(6, 12)
#define SMMU_HIL_NO_LLSEEK	no_llseek
#else
#define SMMU_HIL_NO_LLSEEK	NULL
#endif

/**
 * smmu_hil_paging_domain_alloc() - a paging (unmanaged) domain for @dev
 * @dev: the device it will be attached to
 *
 * iommu_domain_alloc(bus) until iommu_paging_domain_alloc(dev) replaced it
 * (added in 6.11, iommu_domain_alloc() removed in 6.13).
 *
 * Return: the domain, or an ERR_PTR() (-ENOMEM if the old API gave NULL).
 */
static inline struct iommu_domain *smmu_hil_paging_domain_alloc(struct device *dev)
{
#if SMMU_HIL_BUILT_BEFORE(6, 11)
	struct iommu_domain *d = iommu_domain_alloc(dev->bus);

	return d ? d : ERR_PTR(-ENOMEM);
#else
	return iommu_paging_domain_alloc(dev);
#endif
}

/**
 * smmu_hil_iommu_map() - iommu_map() in process context
 * @d: the domain
 * @iova: IOVA, bytes
 * @pa: physical address, bytes
 * @size: bytes
 * @prot: IOMMU_READ | IOMMU_WRITE | ...
 *
 * 6.3 added a gfp_t argument to iommu_map().
 *
 * Return: 0 or -errno.
 */
static inline int smmu_hil_iommu_map(struct iommu_domain *d, unsigned long iova,
				     phys_addr_t pa, size_t size, int prot)
{
#if SMMU_HIL_BUILT_BEFORE(6, 3)
	return iommu_map(d, iova, pa, size, prot);
#else
	return iommu_map(d, iova, pa, size, prot, GFP_KERNEL);
#endif
}

#endif /* SMMU_HIL_COMPAT_H */
