// SPDX-License-Identifier: GPL-2.0
/*
 * smmu_hil_inject - read, rewrite and record the live SMMUv3 STE and CD of
 * one claimed device: the edu device bound to smmu_hil_edu, or with bdf=
 * any PCI device bound to a driver (a disk or NIC whose own traffic then
 * checks the transitions; the agent refuses the root disk and the SSH NIC).
 *
 * The module locates the claimed StreamID's STE from the SMMU's own
 * registers (STRTAB_BASE / STRTAB_BASE_CFG, linear or 2-level table) and its
 * CD 0 from the STE (S1ContextPtr, S1Fmt, S1CDMax), and offers:
 *   - ste, cd: the live entries, always (read-only);
 *   - raw (module parameter allow_raw=1 only): a validated sequence of
 *     64-bit stores, syncs (CMD_CFGI_STE/CD + CMD_SYNC issued through the
 *     driver's own command queue) and dwells on that one entry, repeated if
 *     asked; afterwards the driver's entry is put back;
 *   - record: snapshots of the entry at every CMD_CFGI_STE/CD the driver
 *     issues for the StreamID; on kernels with the entry writer
 *     (arm_smmu_write_entry) each update's initial entry, target, the entry
 *     at every sync and the final entry, else (6.1) at every STE install
 *     the driver starts.
 *
 * The driver's internals it uses depend on the kernel (smmu_hil_compat.h:
 * smmu_hil_inj_kernel_find()); on a kernel not in that table raw mode and
 * the recorder are refused. docs/injector.md describes the files, the
 * validation and the table.
 *
 * debugfs, /sys/kernel/debug/smmu-hil/inject/ (records of
 * include/uapi/smmu_hil.h; no text is parsed here):
 *   ste     read: struct smmu_hil_inj_entry of the STE
 *   cd      read: struct smmu_hil_inj_entry of CD 0 (flag PRESENT)
 *   raw     write: struct smmu_hil_inj_seq + ops (allow_raw=1)
 *   result  read: struct smmu_hil_inj_result of the last raw sequence
 *   record  write struct smmu_hil_inj_rec_ctl; read struct smmu_hil_inj_snap[]
 *   barriers read: struct smmu_hil_inj_barriers, the DMB/DSB instructions of
 *            the entry writer (the barrier witness: docs/bugs.md)
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bitfield.h>
#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/device.h>
#include <linux/fs.h>
#include <linux/io.h>
#include <linux/iommu.h>
#include <linux/kallsyms.h>
#include <linux/kprobes.h>
#include <linux/ktime.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/platform_device.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/utsname.h>
#include <linux/vmalloc.h>

#include "include/uapi/smmu_hil.h"
#include "include/smmu_hil/a64_barrier.h"
#include "include/smmu_hil/bdf.h"
#include "smmu_hil_compat.h"
#include "smmu_hil_debugfs.h"
#include "smmu_hil_strtab.h"

#define INJ_EDU_DRIVER		"smmu_hil_edu"
#define INJ_SMMU_DRIVER		"arm-smmu-v3"

/* SMMU registers (Arm IHI 0070 6.3) */
#define SMMU_IDR0		0x00
#define SMMU_IDR0_COHACC	BIT(4)

/* Structures (5.2 STE, 5.4 CD): the one field table */
#define STE3_S2TTB		HIL_MASK(STE, 3, S2TTB)
#define CD1_TTB0		HIL_MASK(CD, 1, TTB0)
#define CD2_TTB1		HIL_MASK(CD, 2, TTB1)
#define CD0_ASID		HIL_MASK(CD, 0, ASID)

/* Commands (7.1): opcode q0[7:0], SID q0[63:32], SSID q0[31:12], Leaf q1[0] */
#define CMD_CFGI_STE		0x03
#define CMD_CFGI_STE_RANGE	0x04
#define CMD_CFGI_CD		0x05
#define CMD_TLBI_NH_ASID	0x11
#define CMD_ASID		GENMASK_ULL(63, 48)
#define INJ_MAX_ASIDS		8	/* foreign ASIDs one CD sequence may write */
#define CMD_LEAF		BIT_ULL(0)
#define CMD_RANGE		GENMASK_ULL(4, 0)
#define CMD_SSID		GENMASK_ULL(31, 12)

/* Limits of a raw sequence (uapi) */
#define INJ_MAX_OPS		SMMU_HIL_INJ_MAX_OPS
#define INJ_MAX_REPEAT		SMMU_HIL_INJ_MAX_REPEAT
#define INJ_MAX_DWELL_US	SMMU_HIL_INJ_MAX_DWELL_US
#define INJ_MAX_TOTAL_OPS	SMMU_HIL_INJ_MAX_TOTAL_OPS
#define INJ_MAX_TOTAL_DWELL_US	SMMU_HIL_INJ_MAX_TOTAL_DWELL_US
/* Shadow CD table: one page; S1CDMax up to 6 keeps 64 CDs inside it */
#define INJ_SHADOW_CDMAX	6
#define INJ_SCAN_MAX		1024	/* commands a recorded list is scanned for */
#define INJ_REC_MIN		16
#define INJ_REC_MAX		65536
#define INJ_WRITER_MAX_BYTES	(16 * 1024)	/* a larger writer is refused */

static char *bdf;
module_param(bdf, charp, 0444);
MODULE_PARM_DESC(bdf, "PCI address of the device to claim, bound to any driver (default: the first edu bound to smmu_hil_edu)");

static bool allow_raw;
module_param(allow_raw, bool, 0444);
MODULE_PARM_DESC(allow_raw, "allow raw writes to the claimed device's STE/CD (default 0)");

static unsigned int rec_size = 4096;
module_param(rec_size, uint, 0444);
MODULE_PARM_DESC(rec_size, "snapshots the recorder ring holds (16..65536)");

enum inj_ent { INJ_STE = SMMU_HIL_ENT_STE, INJ_CD = SMMU_HIL_ENT_CD, INJ_NONE = -1 };

/* A validated raw sequence: ops[body..n) run @repeat times. */
struct inj_seq {
	enum inj_ent ent;
	struct smmu_hil_inj_op *ops;
	unsigned int n, body, repeat;
};

static struct inject {
	struct pci_dev *pdev;
	u32 sid;
	struct device *smmu_dev;
	void *smmu;			/* the driver's struct arm_smmu_device */
	void *master;			/* the driver's struct arm_smmu_master */
	void __iomem *regs;
	bool coherent;
	const struct smmu_hil_inj_kernel *kern;
	void *cmdlist;			/* resolved kern->cmdlist, raw mode only */
	void *cmdq;			/* the SMMU's own queue, for shapes taking one */
	bool update_safe;		/* the writer has update-safe STE bits */
	phys_addr_t ste_pa;
	u64 *ste;			/* memremap of the STE, module lifetime */

	struct mutex lock;		/* raw sequences, record control, result */
	spinlock_t slock;		/* raw stores vs the driver; the ring */
	bool raw_active, conflict;	/* under slock */
	enum inj_ent raw_ent;
	u64 *raw_va;
	phys_addr_t raw_pa;
	u64 raw_saved[ENT_QWORDS];
	bool broken;			/* a restore failed: raw refused */
	u64 cmd[2 * (1 + INJ_MAX_ASIDS)];	/* our commands (recorder skips them) */
	u16 asids[INJ_MAX_ASIDS];	/* CD sequence: ASIDs other than the driver's */
	unsigned int nasids;
	struct page *shadow, *zero;
	struct smmu_hil_inj_result result;

	struct kprobe kp_install, kp_cmdlist, kp_learn;
	struct kretprobe krp_writer;
	bool kp_install_on, kp_cmdlist_on, kp_learn_on, krp_writer_on, recording;
	enum inj_ent wr_ent;		/* under slock: a writer call on ours records */
	const u64 *wr_va;		/* its entry (the driver's mapping) */
	const struct task_struct *wr_task;	/* the task running that call */
	struct smmu_hil_inj_barriers bars;	/* the writer's barriers, found at load */
	struct kprobe kp_bar[SMMU_HIL_INJ_MAX_BARRIER_PROBES];
	bool kp_bar_on[SMMU_HIL_INJ_MAX_BARRIER_PROBES];
	struct smmu_hil_inj_snap *ring;
	unsigned int head, count;
	u64 rec_seq, rec_dropped;

	struct dentry *top, *dir;
} inj = {
	.lock = __MUTEX_INITIALIZER(inj.lock),
	.slock = __SPIN_LOCK_UNLOCKED(inj.slock),
	.wr_ent = INJ_NONE,
};

/* ------------------------------------------------------------ locating */

/*
 * Read @len bytes at physical address @pa. Process context maps it with
 * memremap(); atomic context (kprobe handlers) reads the linear map with a
 * fault-tolerant copy.
 */
static int inj_read_pa(phys_addr_t pa, void *buf, size_t len, bool atomic)
{
	if (!atomic)
		return smmu_hil_memremap_read(pa, buf, len);
	if (!smmu_hil_pa_ok(pa, len))
		return -EFAULT;
	return copy_from_kernel_nofault(buf, phys_to_virt(pa), len) ? -EFAULT : 0;
}

/* Walk the stream table from the SMMU registers to the STE of @sid. */
static int inj_locate_ste(u32 sid, phys_addr_t *out)
{
	return smmu_hil_locate_ste(inj.regs, sid, out);
}

/* Where CD 0 of an STE is, from its q0; -ENOENT if it has none. */
static int inj_locate_cd(u64 q0, phys_addr_t *out, bool atomic)
{
	return smmu_hil_locate_cd(q0, out, inj_read_pa, atomic);
}

static void inj_read_ste(u64 *q)
{
	unsigned int i;

	for (i = 0; i < ENT_QWORDS; i++)
		q[i] = le64_to_cpu(READ_ONCE(inj.ste[i]));
}

static int inj_read_cd(u64 *q, phys_addr_t *pa, bool atomic)
{
	unsigned int i;
	int ret = inj_locate_cd(le64_to_cpu(READ_ONCE(inj.ste[0])), pa, atomic);

	if (!ret)
		ret = inj_read_pa(*pa, q, ENT_BYTES, atomic);
	for (i = 0; !ret && i < ENT_QWORDS; i++)
		q[i] = le64_to_cpu(q[i]);
	return ret;
}

/* Fill the header of an outgoing record. */
static void inj_hdr(struct smmu_hil_hdr *h, size_t size, u32 flags)
{
	h->version = SMMU_HIL_UAPI_VERSION;
	h->size = size;
	h->flags = flags;
}

/* Read @rec (@size bytes) from @ppos: one fixed record per read from 0. */
static ssize_t inj_read_rec(char __user *ubuf, size_t len, loff_t *ppos,
			    const void *rec, size_t size)
{
	return simple_read_from_buffer(ubuf, len, ppos, rec, size);
}

static void inj_entry_common(struct smmu_hil_inj_entry *e, enum inj_ent ent)
{
	memset(e, 0, sizeof(*e));
	e->entry = ent;
	e->sid = inj.sid;
	e->bdf.segment = pci_domain_nr(inj.pdev->bus);
	e->bdf.bus = inj.pdev->bus->number;
	e->bdf.devfn = inj.pdev->devfn;
	strscpy(e->smmu, dev_name(inj.smmu_dev), sizeof(e->smmu));
}

static ssize_t ste_read(struct file *file, char __user *ubuf, size_t len,
			loff_t *ppos)
{
	struct smmu_hil_inj_entry e;
	u32 flags = SMMU_HIL_INJ_PRESENT;

	inj_entry_common(&e, INJ_STE);
	inj_read_ste(e.q);
	e.pa = inj.ste_pa;
	if (allow_raw && inj.cmdlist)
		flags |= SMMU_HIL_INJ_RAW;
	if (inj.kern)
		flags |= SMMU_HIL_INJ_RECORDER;
	if (inj.kern && inj.kern->writer)
		flags |= SMMU_HIL_INJ_WRITER;
	if (inj.update_safe)
		flags |= SMMU_HIL_INJ_UPDATE_SAFE;
	if (inj.shadow) {
		e.shadow_cd = page_to_phys(inj.shadow);
		e.zero_table = page_to_phys(inj.zero);
	}
	inj_hdr(&e.hdr, sizeof(e), flags);
	return inj_read_rec(ubuf, len, ppos, &e, sizeof(e));
}

static const struct file_operations ste_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.read = ste_read,
	.llseek = default_llseek,
};

static ssize_t cd_read(struct file *file, char __user *ubuf, size_t len,
		       loff_t *ppos)
{
	struct smmu_hil_inj_entry e;
	phys_addr_t pa;
	int ret;

	inj_entry_common(&e, INJ_CD);
	ret = inj_read_cd(e.q, &pa, false);
	if (ret && ret != -ENOENT)
		return ret;
	if (ret)
		memset(e.q, 0, sizeof(e.q));
	else
		e.pa = pa;
	inj_hdr(&e.hdr, sizeof(e), ret ? 0 : SMMU_HIL_INJ_PRESENT);
	return inj_read_rec(ubuf, len, ppos, &e, sizeof(e));
}

static const struct file_operations cd_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.read = cd_read,
	.llseek = default_llseek,
};

/* ------------------------------------------------------------- recorder */

/* Caller holds slock. */
static void inj_rec_push(u32 kind, enum inj_ent ent, const u64 *q)
{
	struct smmu_hil_inj_snap *r;

	if (inj.count == rec_size) {
		inj.rec_seq++;
		inj.rec_dropped++;
		return;
	}
	r = &inj.ring[(inj.head + inj.count++) % rec_size];
	r->seq = inj.rec_seq++;
	r->ts_ns = ktime_get_ns();
	r->kind = kind;
	r->entry = ent;
	memcpy(r->q, q, sizeof(r->q));
}

/* Snapshot the STE (and CD 0 if @cd_too and there is one). Caller holds slock. */
static void inj_snap(u32 kind, bool ste, bool cd, bool atomic)
{
	phys_addr_t pa;
	u64 q[ENT_QWORDS];

	if (ste) {
		inj_read_ste(q);
		inj_rec_push(kind, INJ_STE, q);
	}
	if (cd && !inj_read_cd(q, &pa, atomic))
		inj_rec_push(kind, INJ_CD, q);
}

/*
 * The physical address of a kernel mapping of a table entry: the linear map
 * (coherent DMA memory) or a vmalloc-area remap (non-coherent).
 */
static bool inj_va_to_pa(const void *va, phys_addr_t *pa)
{
	if (virt_addr_valid(va)) {
		*pa = virt_to_phys(va);
		return true;
	}
	if (is_vmalloc_addr(va)) {
		*pa = page_to_phys(vmalloc_to_page(va)) + offset_in_page(va);
		return true;
	}
	return false;
}

/* Snapshot the entry the driver's pointer @va shows. Caller holds slock. */
static void inj_snap_va(u32 kind, enum inj_ent ent, const u64 *va)
{
	u64 q[ENT_QWORDS];
	unsigned int i;

	if (copy_from_kernel_nofault(q, va, sizeof(q)))
		return;
	for (i = 0; i < ENT_QWORDS; i++)
		q[i] = le64_to_cpu(q[i]);
	inj_rec_push(kind, ent, q);
}

/* Put the saved entry back in memory, breaking-safe, without a sync. */
static void inj_unsync_restore(u64 *va, const u64 *saved)
{
	unsigned int i;

	WRITE_ONCE(va[0], 0);
	dma_wmb();
	for (i = 1; i < ENT_QWORDS; i++)
		WRITE_ONCE(va[i], cpu_to_le64(saved[i]));
	dma_wmb();
	WRITE_ONCE(va[0], cpu_to_le64(saved[0]));
}

/*
 * The driver starts rewriting the STEs of a master. For ours: if a raw
 * sequence runs, put the driver's entry back first (the 6.1 writer BUG()s
 * on configurations it did not write) and stop the sequence; if recording,
 * note the entry the update starts from.
 */
static int inj_install_pre(struct kprobe *p, struct pt_regs *regs)
{
	unsigned long flags;

	if ((void *)regs_get_kernel_argument(regs, inj.kern->master_arg) != inj.master)
		return 0;
	spin_lock_irqsave(&inj.slock, flags);
	if (inj.raw_active && !inj.conflict) {
		inj_unsync_restore(inj.raw_va, inj.raw_saved);
		inj.conflict = true;
	}
	if (inj.recording)
		inj_snap(SMMU_HIL_SNAP_BEGIN, true, false, true);
	spin_unlock_irqrestore(&inj.slock, flags);
	return 0;
}

/* Does command @c (two qwords) invalidate our STE or our CD 0? */
static void inj_cmd_match(const u64 *c, bool *ste, bool *cd)
{
	u32 sid = c[0] >> 32;
	unsigned int range;

	switch (c[0] & 0xff) {
	case CMD_CFGI_STE:
		*ste |= sid == inj.sid;
		break;
	case CMD_CFGI_STE_RANGE:
		range = FIELD_GET(CMD_RANGE, c[1]);
		*ste |= range == 31 || !((sid ^ inj.sid) >> (range + 1));
		break;
	case CMD_CFGI_CD:
		*cd |= sid == inj.sid && !FIELD_GET(CMD_SSID, c[0]);
		break;
	}
}

/*
 * A command list goes to the queue: snapshot what its CFGIs make visible.
 * With the entry writer, only the entry a writer call of ours is updating,
 * read through the driver's own pointer (a CD may not be reachable from
 * the STE yet); without (6.1), the STE and the CD 0 it locates.
 */
static int inj_cmdlist_pre(struct kprobe *p, struct pt_regs *regs)
{
	u64 *cmds = (u64 *)regs_get_kernel_argument(regs, inj.kern->cmds_arg);
	int n = (int)regs_get_kernel_argument(regs, inj.kern->n_arg), i;
	bool ste = false, cd = false;
	unsigned long flags;
	u64 c[2];

	if (!READ_ONCE(inj.recording) || cmds == inj.cmd || n <= 0)
		return 0;
	for (i = 0; i < min(n, INJ_SCAN_MAX); i++) {
		if (copy_from_kernel_nofault(c, cmds + 2 * i, sizeof(c)))
			return 0;
		inj_cmd_match(c, &ste, &cd);
	}
	if (!ste && !cd)
		return 0;
	spin_lock_irqsave(&inj.slock, flags);
	if (inj.recording && !inj.kern->writer)
		inj_snap(SMMU_HIL_SNAP_SYNC, ste, cd, true);
	else if (inj.recording && ((inj.wr_ent == INJ_STE && ste) || (inj.wr_ent == INJ_CD && cd)))
		inj_snap_va(SMMU_HIL_SNAP_SYNC, inj.wr_ent, inj.wr_va);
	spin_unlock_irqrestore(&inj.slock, flags);
	return 0;
}

/* Per-call data of the writer's kretprobe. */
struct inj_wr_call {
	bool ours;
};

/*
 * The driver's entry writer starts an update: kern->writer(writer, entry,
 * target). It is ours if @entry is our STE (by physical address) or the
 * writer's master is ours (a CD of the claimed device). Then, as in
 * inj_install_pre(), a raw sequence on that entry gives it back first;
 * when recording, snapshot the initial entry and the target, and route
 * the syncs until the call returns to this entry. Returns 0 to have the
 * return handler run (recorded calls only).
 */
static int inj_writer_entry(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	const struct smmu_hil_inj_kernel *k = inj.kern;
	const u64 *entry = (const u64 *)regs_get_kernel_argument(regs, k->entry_arg);
	const u64 *target = (const u64 *)regs_get_kernel_argument(regs, k->target_arg);
	const char *writer = (const char *)regs_get_kernel_argument(regs, k->writer_arg);
	struct inj_wr_call *call = (struct inj_wr_call *)ri->data;
	unsigned long flags;
	enum inj_ent ent;
	phys_addr_t pa;
	void *master;

	call->ours = false;
	if (!inj_va_to_pa(entry, &pa))
		return 1;
	if (pa == inj.ste_pa) {
		ent = INJ_STE;
	} else {
		if (copy_from_kernel_nofault(&master, writer + k->writer_master_off,
					     sizeof(master)) || master != inj.master)
			return 1;
		ent = INJ_CD;
	}
	spin_lock_irqsave(&inj.slock, flags);
	if (inj.raw_active && !inj.conflict && inj.raw_pa == pa) {
		inj_unsync_restore(inj.raw_va, inj.raw_saved);
		inj.conflict = true;
	}
	if (inj.recording && inj.wr_ent == INJ_NONE) {
		inj.wr_ent = ent;
		inj.wr_va = entry;
		inj.wr_task = current;
		inj_snap_va(SMMU_HIL_SNAP_BEGIN, ent, entry);
		inj_snap_va(SMMU_HIL_SNAP_TARGET, ent, target);
		call->ours = true;
	}
	spin_unlock_irqrestore(&inj.slock, flags);
	return call->ours ? 0 : 1;
}

/* A recorded writer call returns: snapshot the entry it left. */
static int inj_writer_ret(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	struct inj_wr_call *call = (struct inj_wr_call *)ri->data;
	unsigned long flags;

	if (!call->ours)
		return 0;
	spin_lock_irqsave(&inj.slock, flags);
	if (inj.wr_ent != INJ_NONE) {
		if (inj.recording)
			inj_snap_va(SMMU_HIL_SNAP_END, inj.wr_ent, inj.wr_va);
		inj.wr_ent = INJ_NONE;
		inj.wr_task = NULL;
	}
	spin_unlock_irqrestore(&inj.slock, flags);
	return 0;
}

/*
 * A store barrier inside the writer is about to execute: if the task is in
 * a recorded call on our entry, snapshot that entry (equal to the call's
 * initial entry when no store to it came before the barrier).
 */
static int inj_barrier_pre(struct kprobe *p, struct pt_regs *regs)
{
	unsigned long flags;

	if (!READ_ONCE(inj.recording) || READ_ONCE(inj.wr_task) != current)
		return 0;
	spin_lock_irqsave(&inj.slock, flags);
	if (inj.recording && inj.wr_ent != INJ_NONE && inj.wr_task == current)
		inj_snap_va(SMMU_HIL_SNAP_BARRIER, inj.wr_ent, inj.wr_va);
	spin_unlock_irqrestore(&inj.slock, flags);
	return 0;
}

static void *inj_resolve(const char *sym);

/*
 * The writer's size from kallsyms: sprint_symbol() of its first
 * instruction reads "NAME+0x0/0xSIZE" (and " [module]"). Returns the size,
 * or 0 if the symbol there is not @name at offset 0.
 */
static unsigned long inj_func_size(const char *name, unsigned long addr)
{
	char buf[KSYM_SYMBOL_LEN], num[24];
	size_t nlen = strlen(name), i;
	unsigned long size;
	const char *p;

	sprint_symbol(buf, addr);
	if (strncmp(buf, name, nlen) || strncmp(buf + nlen, "+0x0/", 5))
		return 0;
	p = buf + nlen + 5;
	for (i = 0; i < sizeof(num) - 1 && p[i] && p[i] != ' '; i++)
		num[i] = p[i];
	num[i] = '\0';
	if (kstrtoul(num, 0, &size))
		return 0;
	return size;
}

/*
 * The barrier witness, at load: find every DMB/DSB in the running kernel's
 * entry writer (kallsyms address and size, the code read through the
 * kernel's own mapping) into inj.bars; the first ones that order stores
 * for the SMMU get a kprobe while recording. inj.bars.error says why there
 * is no list.
 */
static void inj_find_barriers(void)
{
	struct smmu_hil_inj_barriers *b = &inj.bars;
	unsigned long addr, size, off;
	unsigned int insn, crm, nprobe = 0;
	__le32 word;

	inj_hdr(&b->hdr, sizeof(*b), 0);
	if (!IS_ENABLED(CONFIG_ARM64)) {
		b->error = -EOPNOTSUPP;
		return;
	}
	if (!inj.kern || !inj.kern->writer) {
		b->error = -ENOENT;
		return;
	}
	strscpy(b->func, inj.kern->writer, sizeof(b->func));
	addr = (unsigned long)inj_resolve(inj.kern->writer);
	if (!addr) {
		b->error = -ENOENT;
		return;
	}
	size = inj_func_size(inj.kern->writer, addr);
	if (!size || size > INJ_WRITER_MAX_BYTES || size % SMMU_HIL_A64_INSN_BYTES) {
		b->error = -ERANGE;
		return;
	}
	b->size = size;
	for (off = 0; off < size; off += SMMU_HIL_A64_INSN_BYTES) {
		if (copy_from_kernel_nofault(&word, (void *)(addr + off), sizeof(word))) {
			b->error = -EFAULT;
			b->count = 0;
			return;
		}
		/* A64 instructions are little-endian whatever the data endianness */
		insn = le32_to_cpu(word);
		if (smmu_hil_a64_barrier(insn, &crm) == SMMU_HIL_A64_NOT_BARRIER)
			continue;
		if (b->count == SMMU_HIL_INJ_MAX_BARRIERS) {
			b->hdr.flags |= SMMU_HIL_INJ_BARS_TRUNCATED;
			break;
		}
		b->b[b->count].offset = off;
		b->b[b->count].insn = insn;
		if (smmu_hil_a64_orders_dma_stores(insn)) {
			b->b[b->count].flags |= SMMU_HIL_INJ_BAR_ORDERS;
			if (nprobe++ < SMMU_HIL_INJ_MAX_BARRIER_PROBES)
				b->b[b->count].flags |= SMMU_HIL_INJ_BAR_PROBED;
		}
		b->count++;
	}
}

/*
 * Arm kprobe @kp at @sym + @offset (bytes) with pre-handler @pre, once:
 * *@on says whether it is armed. Returns 0 or register_kprobe()'s error.
 */
static int inj_kprobe_on(struct kprobe *kp, bool *on, const char *sym,
			 unsigned int offset, kprobe_pre_handler_t pre)
{
	int ret;

	if (*on)
		return 0;
	memset(kp, 0, sizeof(*kp));
	kp->symbol_name = sym;
	kp->offset = offset;
	kp->pre_handler = pre;
	ret = register_kprobe(kp);
	if (!ret)
		*on = true;
	return ret;
}

/* Disarm kprobe @kp when *@on says it is armed. */
static void inj_kprobe_off(struct kprobe *kp, bool *on)
{
	if (!*on)
		return;
	unregister_kprobe(kp);
	*on = false;
}

/* Arm (@on) or disarm a kprobe on each barrier flagged PROBED. Caller holds inj.lock. */
static int inj_barrier_probes(bool on)
{
	const struct smmu_hil_inj_barriers *b = &inj.bars;
	unsigned int i, n = 0;
	int ret;

	for (i = 0; i < b->count && n < SMMU_HIL_INJ_MAX_BARRIER_PROBES; i++) {
		if (!(b->b[i].flags & SMMU_HIL_INJ_BAR_PROBED))
			continue;
		if (!on) {
			inj_kprobe_off(&inj.kp_bar[n], &inj.kp_bar_on[n]);
			n++;
			continue;
		}
		ret = inj_kprobe_on(&inj.kp_bar[n], &inj.kp_bar_on[n], b->func,
				    b->b[i].offset, inj_barrier_pre);
		if (ret) {
			pr_warn("cannot probe the barrier at %s+0x%x (%d)\n", b->func,
				b->b[i].offset, ret);
			return ret;
		}
		n++;
	}
	return 0;
}

static ssize_t barriers_read(struct file *file, char __user *ubuf, size_t len,
			     loff_t *ppos)
{
	return inj_read_rec(ubuf, len, ppos, &inj.bars, sizeof(inj.bars));
}

static const struct file_operations barriers_fops = {
	.owner = THIS_MODULE,
	.read = barriers_read,
	.llseek = default_llseek,
};

static int inj_record_start(void)
{
	unsigned long flags;
	int ret;

	if (!inj.kern)
		return -EOPNOTSUPP;
	ret = inj_kprobe_on(&inj.kp_cmdlist, &inj.kp_cmdlist_on, inj.kern->cmdlist, 0,
			    inj_cmdlist_pre);
	if (ret)
		return ret;
	ret = inj_barrier_probes(true);
	if (ret) {
		inj_barrier_probes(false);
		inj_kprobe_off(&inj.kp_cmdlist, &inj.kp_cmdlist_on);
		return ret;
	}
	spin_lock_irqsave(&inj.slock, flags);
	if (!inj.recording)
		inj_snap(SMMU_HIL_SNAP_START, true, true, false);
	inj.recording = true;
	spin_unlock_irqrestore(&inj.slock, flags);
	return 0;
}

static void inj_record_stop(void)
{
	unsigned long flags;

	spin_lock_irqsave(&inj.slock, flags);
	if (inj.recording)
		inj_snap(SMMU_HIL_SNAP_STOP, true, true, false);
	inj.recording = false;
	spin_unlock_irqrestore(&inj.slock, flags);
	inj_kprobe_off(&inj.kp_cmdlist, &inj.kp_cmdlist_on);
	inj_barrier_probes(false);
	if (inj.krp_writer_on && inj.krp_writer.nmissed)
		pr_warn("%s: %d call(s) not seen (more in flight than maxactive %d): updates may be missing from the recording\n",
			inj.kern->writer, inj.krp_writer.nmissed, inj.krp_writer.maxactive);
}

/*
 * Copy a fixed control struct of @size bytes from user space and check its
 * header: exactly @size bytes, this interface version, no flag outside
 * @flags_ok.
 */
static int inj_copy_ctl(const char __user *ubuf, size_t len, void *buf, size_t size,
			u32 flags_ok)
{
	struct smmu_hil_hdr *h = buf;

	if (len != size)
		return -EINVAL;
	if (copy_from_user(buf, ubuf, size))
		return -EFAULT;
	if (h->version != SMMU_HIL_UAPI_VERSION || h->size != size ||
	    (h->flags & ~flags_ok))
		return -EINVAL;
	return 0;
}

static ssize_t record_write(struct file *file, const char __user *ubuf,
			    size_t len, loff_t *ppos)
{
	struct smmu_hil_inj_rec_ctl c;
	unsigned long flags;
	int ret = inj_copy_ctl(ubuf, len, &c, sizeof(c), 0);

	if (ret)
		return ret;
	if (c.reserved)
		return -EINVAL;
	mutex_lock(&inj.lock);
	switch (c.cmd) {
	case SMMU_HIL_REC_START:
		ret = inj_record_start();
		break;
	case SMMU_HIL_REC_STOP:
		inj_record_stop();
		break;
	case SMMU_HIL_REC_CLEAR:
		spin_lock_irqsave(&inj.slock, flags);
		inj.head = 0;
		inj.count = 0;
		inj.rec_dropped = 0;
		spin_unlock_irqrestore(&inj.slock, flags);
		break;
	default:
		ret = -EINVAL;
	}
	mutex_unlock(&inj.lock);
	return ret ? ret : len;
}

struct inj_snaps {
	size_t n;
	struct smmu_hil_inj_snap s[];
};

/* Copy the ring (not consumed) once per open; reads return that copy. */
static int record_open(struct inode *inode, struct file *file)
{
	struct inj_snaps *t;
	unsigned long flags;
	unsigned int i;

	t = kvmalloc(struct_size(t, s, rec_size), GFP_KERNEL);
	if (!t)
		return -ENOMEM;
	spin_lock_irqsave(&inj.slock, flags);
	t->n = inj.count;
	for (i = 0; i < t->n; i++)
		t->s[i] = inj.ring[(inj.head + i) % rec_size];
	spin_unlock_irqrestore(&inj.slock, flags);
	file->private_data = t;
	return nonseekable_open(inode, file);
}

static ssize_t record_read(struct file *file, char __user *ubuf, size_t len,
			   loff_t *ppos)
{
	struct inj_snaps *t = file->private_data;

	return simple_read_from_buffer(ubuf, len, ppos, t->s, t->n * sizeof(t->s[0]));
}

static int record_release(struct inode *inode, struct file *file)
{
	kvfree(file->private_data);
	return 0;
}

static const struct file_operations record_fops = {
	.owner = THIS_MODULE,
	.open = record_open,
	.read = record_read,
	.write = record_write,
	.release = record_release,
	.llseek = SMMU_HIL_NO_LLSEEK,
};

/* ------------------------------------------------------------ raw mode */

/*
 * CMD_CFGI_STE/CD (Leaf) for our SID, then CMD_SYNC, via the driver. A CD
 * sequence that writes ASIDs other than the driver's also invalidates them
 * (CMD_TLBI_NH_ASID) at every sync: the driver's unmaps only invalidate its
 * own ASID, so translations cached under a borrowed ASID would go stale.
 */
static int inj_sync(enum inj_ent ent)
{
	unsigned int i, n = 1;

	inj.cmd[0] = (ent == INJ_STE ? CMD_CFGI_STE : CMD_CFGI_CD) | ((u64)inj.sid << 32);
	inj.cmd[1] = CMD_LEAF;
	for (i = 0; ent == INJ_CD && i < inj.nasids; i++, n++) {
		inj.cmd[2 * n] = CMD_TLBI_NH_ASID | FIELD_PREP(CMD_ASID, inj.asids[i]);
		inj.cmd[2 * n + 1] = 0;
	}
	return smmu_hil_cmdlist_call(inj.kern, inj.cmdlist, inj.smmu, inj.cmdq, inj.cmd, n);
}

/* Collect the ASIDs a CD sequence writes besides the driver's. */
static int inj_collect_asids(const struct inj_seq *s, const u64 *saved)
{
	u16 asid, own = FIELD_GET(CD0_ASID, saved[0]);
	unsigned int i, k;

	inj.nasids = 0;
	for (i = 0; s->ent == INJ_CD && i < s->n; i++) {
		if (s->ops[i].op != SMMU_HIL_OP_WRITE || s->ops[i].idx)
			continue;
		asid = FIELD_GET(CD0_ASID, s->ops[i].val);
		for (k = 0; k < inj.nasids && inj.asids[k] != asid; k++)
			;
		if (asid == own || k < inj.nasids)
			continue;
		if (inj.nasids == INJ_MAX_ASIDS)
			return -EINVAL;
		inj.asids[inj.nasids++] = asid;
	}
	return 0;
}

/* One 64-bit store, unless the driver took the entry back. */
static int inj_store(unsigned int idx, u64 val)
{
	unsigned long flags;
	int ret = 0;

	spin_lock_irqsave(&inj.slock, flags);
	if (inj.conflict)
		ret = -EBUSY;
	else
		WRITE_ONCE(inj.raw_va[idx], cpu_to_le64(val));
	spin_unlock_irqrestore(&inj.slock, flags);
	return ret;
}

/*
 * Put the saved driver entry back and sync: one store if only one qword
 * differs (atomic, so hitless), else V=0, the other qwords, then qword 0.
 */
static int inj_restore(void)
{
	u64 live[ENT_QWORDS];
	unsigned int i, ndiff = 0, last = 0;
	int ret;

	for (i = 0; i < ENT_QWORDS; i++) {
		live[i] = le64_to_cpu(READ_ONCE(inj.raw_va[i]));
		if (live[i] != inj.raw_saved[i]) {
			ndiff++;
			last = i;
		}
	}
	if (!ndiff)
		return 0;
	if (ndiff == 1) {
		ret = inj_store(last, inj.raw_saved[last]);
		return ret ? ret : inj_sync(inj.raw_ent);
	}
	ret = inj_store(0, 0);
	if (!ret)
		ret = inj_sync(inj.raw_ent);
	for (i = 1; !ret && i < ENT_QWORDS; i++)
		if (live[i] != inj.raw_saved[i])
			ret = inj_store(i, inj.raw_saved[i]);
	if (!ret)
		ret = inj_sync(inj.raw_ent);
	if (!ret)
		ret = inj_store(0, inj.raw_saved[0]);
	if (!ret)
		ret = inj_sync(inj.raw_ent);
	return ret;
}

/* One operation on its own: known kind, fields in range, the rest zero. */
static bool inj_op_ok(const struct smmu_hil_inj_op *op)
{
	if (op->reserved)
		return false;
	switch (op->op) {
	case SMMU_HIL_OP_WRITE:
		return op->idx < ENT_QWORDS && !op->us;
	case SMMU_HIL_OP_DWELL:
		return !op->idx && !op->val && op->us <= INJ_MAX_DWELL_US;
	case SMMU_HIL_OP_SYNC:
	case SMMU_HIL_OP_DMA_WMB:
	case SMMU_HIL_OP_RESTORE:
		return !op->idx && !op->us && !op->val;
	default:
		return false;
	}
}

/*
 * Check a whole sequence (header @h and its ops in @s) before anything is
 * done: counts in range, every op valid, total ops and dwell bounded.
 */
static int inj_check_seq(const struct smmu_hil_inj_seq *h, struct inj_seq *s)
{
	u64 total_ops, dwell_pre = 0, dwell_body = 0;
	unsigned int i;

	if (h->hdr.version != SMMU_HIL_UAPI_VERSION || h->hdr.size != sizeof(*h) ||
	    h->hdr.flags || (h->entry != INJ_STE && h->entry != INJ_CD) ||
	    !h->nops || h->nops > INJ_MAX_OPS || h->body > h->nops ||
	    !h->repeat || h->repeat > INJ_MAX_REPEAT)
		return -EINVAL;
	s->ent = h->entry;
	s->n = h->nops;
	s->body = h->body;
	s->repeat = h->repeat;
	for (i = 0; i < s->n; i++) {
		if (!inj_op_ok(&s->ops[i]))
			return -EINVAL;
		if (s->ops[i].op != SMMU_HIL_OP_DWELL)
			continue;
		if (i < s->body)
			dwell_pre += s->ops[i].us;
		else
			dwell_body += s->ops[i].us;
	}
	total_ops = s->body + (u64)(s->n - s->body) * s->repeat;
	if (total_ops > INJ_MAX_TOTAL_OPS ||
	    dwell_pre + dwell_body * s->repeat > INJ_MAX_TOTAL_DWELL_US)
		return -EINVAL;
	return 0;
}

/*
 * Whether STE.Config @cfg translates at stage 1 (0b101, 0b111): Config[2]
 * clear aborts whatever the low bits say, so no CD is fetched then (SMMUv3
 * spec 5.2, STE.Config).
 */
static bool inj_cfg_s1(unsigned int cfg)
{
	return (cfg & 0x5) == 0x5;
}

/*
 * Every value a write stores must keep the SMMU inside memory we know: an
 * STE's CD pointer is the driver's own (same S1Fmt/S1CDMax) or our shadow
 * CD table; its S2TTB the driver's or our zero table; a CD's TTB0/TTB1 the
 * driver's or the zero table; qwords the driver never uses stay as saved.
 */
static bool inj_value_ok(enum inj_ent ent, unsigned int i, u64 v, const u64 *saved)
{
	u64 shadow = page_to_phys(inj.shadow), zero = page_to_phys(inj.zero);
	u64 sv = saved[i], ptr;
	unsigned int cfg;

	if (ent == INJ_CD) {
		if (i == 1)
			return (v & CD1_TTB0) == (sv & CD1_TTB0) || (v & CD1_TTB0) == zero;
		if (i == 2)
			return (v & CD2_TTB1) == (sv & CD2_TTB1) || (v & CD2_TTB1) == zero;
		return i < 5 || v == sv;
	}
	switch (i) {
	case 0:
		cfg = FIELD_GET(STE0_CFG, v);
		if (!(v & STE0_V) || !inj_cfg_s1(cfg))
			return true;	/* no CD is fetched */
		ptr = v & STE0_S1CTXPTR;
		if (ptr == (sv & STE0_S1CTXPTR) && (sv & STE0_V) &&
		    inj_cfg_s1(FIELD_GET(STE0_CFG, sv)))
			return ((v ^ sv) & (STE0_S1FMT | STE0_S1CDMAX)) == 0;
		if (ptr != shadow)
			return false;
		return FIELD_GET(STE0_S1CDMAX, v) <= INJ_SHADOW_CDMAX &&
		       (!FIELD_GET(STE0_S1CDMAX, v) || FIELD_GET(STE0_S1FMT, v) == 0 ||
			FIELD_GET(STE0_S1FMT, v) == 3);
	case 1:
	case 2:
		return true;
	case 3:
		return (v & STE3_S2TTB) == (sv & STE3_S2TTB) || (v & STE3_S2TTB) == zero;
	default:
		return v == sv;
	}
}

static void inj_dwell(unsigned int us)
{
	if (!us)
		return;
	if (us < 10)
		udelay(us);
	else
		usleep_range(us, us + us / 16 + 1);
}

struct inj_stats {
	u64 writes, syncs, dwells, sync_ns, max_sync_ns, iterations;
};

static int inj_run_ops(const struct smmu_hil_inj_op *ops, unsigned int from,
		       unsigned int to, struct inj_stats *st)
{
	unsigned int i;
	u64 t;
	int ret = 0;

	for (i = from; i < to && !ret; i++) {
		switch (ops[i].op) {
		case SMMU_HIL_OP_WRITE:
			ret = inj_store(ops[i].idx, ops[i].val);
			st->writes++;
			break;
		case SMMU_HIL_OP_SYNC:
			t = ktime_get_ns();
			ret = inj_sync(inj.raw_ent);
			t = ktime_get_ns() - t;
			st->syncs++;
			st->sync_ns += t;
			st->max_sync_ns = max(st->max_sync_ns, t);
			break;
		case SMMU_HIL_OP_DWELL:
			inj_dwell(ops[i].us);
			st->dwells++;
			break;
		case SMMU_HIL_OP_DMA_WMB:
			dma_wmb();
			break;
		case SMMU_HIL_OP_RESTORE:
			ret = inj_restore();
			break;
		}
	}
	return ret;
}

/* Refresh the shadow CD table: CD 0 = a copy of the live CD 0, rest zero. */
static void inj_refresh_shadow(void)
{
	u64 *sh = page_address(inj.shadow), q[ENT_QWORDS];
	phys_addr_t pa;
	unsigned int i;

	memset(sh, 0, PAGE_SIZE);
	if (!inj_read_cd(q, &pa, false))
		for (i = 0; i < ENT_QWORDS; i++)
			sh[i] = cpu_to_le64(q[i]);
	dma_wmb();
}

static void inj_set_result(const struct inj_seq *s, int err, bool conflict,
			   bool restored, const struct inj_stats *st, u64 total)
{
	struct smmu_hil_inj_result *r = &inj.result;

	memset(r, 0, sizeof(*r));
	inj_hdr(&r->hdr, sizeof(*r), SMMU_HIL_INJ_RES_DONE |
		(conflict ? SMMU_HIL_INJ_RES_CONFLICT : 0) |
		(restored ? SMMU_HIL_INJ_RES_RESTORED : 0));
	r->entry = s->ent;
	r->error = err;
	r->repeat = s->repeat;
	r->iterations = st->iterations;
	r->writes = st->writes;
	r->syncs = st->syncs;
	r->dwells = st->dwells;
	r->total_ns = total;
	r->ns_per_step = div64_u64(total, max(st->writes + st->syncs + st->dwells, 1ULL));
	r->ns_per_sync = div64_u64(st->sync_ns, max(st->syncs, 1ULL));
	r->max_sync_ns = st->max_sync_ns;
}

static int inj_execute(struct inj_seq *s)
{
	struct inj_stats st = { 0 };
	phys_addr_t pa;
	unsigned long flags;
	unsigned int i, r;
	u64 t0, total;
	bool conflict;
	int ret, rret = 0;
	void *cd_map = NULL;
	u64 saved[ENT_QWORDS];
	u64 *va;

	/* The entry must still be where it was found at load. */
	ret = inj_locate_ste(inj.sid, &pa);
	if (ret)
		return ret;
	if (pa != inj.ste_pa)
		return -ESTALE;
	if (s->ent == INJ_STE) {
		va = inj.ste;
		pa = inj.ste_pa;
	} else {
		ret = inj_locate_cd(le64_to_cpu(READ_ONCE(inj.ste[0])), &pa, false);
		if (ret)
			return ret;
		cd_map = memremap(pa, ENT_BYTES, MEMREMAP_WB);
		if (!cd_map)
			return -ENOMEM;
		va = cd_map;
	}
	for (i = 0; i < ENT_QWORDS; i++)
		saved[i] = le64_to_cpu(READ_ONCE(va[i]));
	for (i = 0; i < s->n; i++) {
		if (s->ops[i].op == SMMU_HIL_OP_WRITE &&
		    !inj_value_ok(s->ent, s->ops[i].idx, s->ops[i].val, saved)) {
			ret = -EINVAL;
			goto out;
		}
	}
	ret = inj_collect_asids(s, saved);
	if (ret)
		goto out;
	if (s->ent == INJ_STE)
		inj_refresh_shadow();
	else if (inj.nasids)
		ret = inj_sync(INJ_CD);	/* start with the borrowed ASIDs clean */
	if (ret)
		goto out;

	spin_lock_irqsave(&inj.slock, flags);
	inj.raw_active = true;
	inj.conflict = false;
	inj.raw_ent = s->ent;
	inj.raw_va = va;
	inj.raw_pa = pa;
	memcpy(inj.raw_saved, saved, sizeof(saved));
	spin_unlock_irqrestore(&inj.slock, flags);

	t0 = ktime_get_ns();
	ret = inj_run_ops(s->ops, 0, s->body, &st);
	for (r = 0; !ret && r < s->repeat; r++) {
		ret = inj_run_ops(s->ops, s->body, s->n, &st);
		st.iterations++;
		if (!ret && fatal_signal_pending(current))
			ret = -EINTR;
		if (!(r & 63))
			cond_resched();
	}
	total = ktime_get_ns() - t0;

	spin_lock_irqsave(&inj.slock, flags);
	conflict = inj.conflict;
	spin_unlock_irqrestore(&inj.slock, flags);
	if (!conflict) {
		rret = inj_restore();
		if (rret && rret != -EBUSY) {
			inj.broken = true;
			pr_err("restoring the driver's %s of SID 0x%x failed (%d): raw mode disabled\n",
			       s->ent == INJ_STE ? "STE" : "CD", inj.sid, rret);
		}
	}
	spin_lock_irqsave(&inj.slock, flags);
	conflict = inj.conflict;
	inj.raw_active = false;
	inj.conflict = false;
	spin_unlock_irqrestore(&inj.slock, flags);
	/*
	 * The driver took the entry back. Its writer syncs only what it
	 * changes: where it found its own entry again (our restore put it
	 * back in memory) nothing is synced, and the SMMU may still hold our
	 * last configuration. One more CFGI + CMD_SYNC of the entry as it is.
	 */
	if (conflict && inj.kern->writer)
		inj_sync(s->ent);

	inj_set_result(s, ret, conflict, !rret && !conflict, &st, total);
	if (ret == -EBUSY)
		ret = 0;	/* the driver took the entry back: reported, not an error */
out:
	if (cd_map)
		memunmap(cd_map);
	return ret ? ret : rret;
}

/*
 * Raw syncs need the SMMU's own queue on shapes that take one: -EAGAIN
 * until a driver call showed it (inj_learn_cmdq()); then the learning
 * kprobe goes. Caller holds inj.lock.
 */
static int inj_cmdq_known(void)
{
	if (inj.kern->shape != SMMU_HIL_CMDLIST_SMMU_CMDQ_CMDS_N_SYNC)
		return 0;
	if (!READ_ONCE(inj.cmdq)) {
		pr_info_once("raw writes wait for the driver's next command (its queue is not known yet)\n");
		return -EAGAIN;
	}
	inj_kprobe_off(&inj.kp_learn, &inj.kp_learn_on);
	return 0;
}

/*
 * One write(2): a struct smmu_hil_inj_seq and exactly its ops. Everything is
 * checked before anything runs; nothing is written on -EINVAL.
 */
static ssize_t raw_write(struct file *file, const char __user *ubuf,
			 size_t len, loff_t *ppos)
{
	struct smmu_hil_inj_seq h;
	struct inj_seq s = { 0 };
	int ret;

	if (!allow_raw || !inj.cmdlist) {
		pr_info_once("raw writes refused: load with allow_raw=1 on a supported kernel\n");
		return -EPERM;
	}

	if (len < sizeof(h) || (len - sizeof(h)) % sizeof(*s.ops) ||
	    (len - sizeof(h)) / sizeof(*s.ops) > INJ_MAX_OPS)
		return -EINVAL;
	if (copy_from_user(&h, ubuf, sizeof(h)))
		return -EFAULT;
	if (h.nops != (len - sizeof(h)) / sizeof(*s.ops))
		return -EINVAL;
	s.ops = kvmalloc_array(h.nops, sizeof(*s.ops), GFP_KERNEL);
	if (!s.ops)
		return -ENOMEM;
	ret = copy_from_user(s.ops, ubuf + sizeof(h), len - sizeof(h)) ? -EFAULT : 0;
	if (!ret)
		ret = inj_check_seq(&h, &s);
	if (!ret) {
		ret = mutex_lock_interruptible(&inj.lock);
		if (!ret) {
			ret = inj.broken ? -EIO : inj_cmdq_known();
			if (!ret)
				ret = inj_execute(&s);
			mutex_unlock(&inj.lock);
		}
	}
	kvfree(s.ops);
	return ret ? ret : len;
}

static const struct file_operations raw_fops = {
	.owner = THIS_MODULE,
	.open = nonseekable_open,
	.write = raw_write,
	.llseek = SMMU_HIL_NO_LLSEEK,
};

static ssize_t result_read(struct file *file, char __user *ubuf, size_t len,
			   loff_t *ppos)
{
	struct smmu_hil_inj_result r;

	mutex_lock(&inj.lock);
	r = inj.result;
	mutex_unlock(&inj.lock);
	return inj_read_rec(ubuf, len, ppos, &r, sizeof(r));
}

static const struct file_operations result_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.read = result_read,
	.llseek = default_llseek,
};

/* --------------------------------------------------------------- set-up */

/*
 * The device to claim: with bdf= that PCI device, bound to a driver (its
 * STE is the one the driver keeps live); without, the first device bound
 * to smmu_hil_edu.
 */
static struct pci_dev *inj_find_dev(void)
{
	unsigned int dom, bus, dev, fn;
	struct pci_dev *pdev = NULL;
	bool want = bdf && *bdf;

	if (want && smmu_hil_parse_bdf(bdf, &dom, &bus, &dev, &fn)) {
		pr_err("bdf=%s: expected [DDDD:]BB:DD.F\n", bdf);
		return ERR_PTR(-EINVAL);
	}
	for_each_pci_dev(pdev) {
		if (!want) {
			if (pdev->dev.driver && !strcmp(pdev->dev.driver->name, INJ_EDU_DRIVER))
				return pdev;	/* for_each_pci_dev's reference is ours */
			continue;
		}
		if (pci_domain_nr(pdev->bus) != dom || pdev->bus->number != bus ||
		    PCI_SLOT(pdev->devfn) != dev || PCI_FUNC(pdev->devfn) != fn)
			continue;
		if (!pdev->dev.driver) {
			pci_err(pdev, "bound to no driver: no live translation to update\n");
			pci_dev_put(pdev);
			return ERR_PTR(-ENODEV);
		}
		return pdev;
	}
	if (want)
		pr_err("no PCI device %s\n", bdf);
	else
		pr_err("no device bound to %s (name one with bdf=)\n", INJ_EDU_DRIVER);
	return ERR_PTR(-ENODEV);
}

static int inj_match_smmu(struct device *dev, const void *fwnode)
{
	return dev->driver && !strcmp(dev->driver->name, INJ_SMMU_DRIVER) &&
	       dev_fwnode(dev) == fwnode;
}

static int inj_find_smmu(void)
{
	struct iommu_fwspec *fw = dev_iommu_fwspec_get(&inj.pdev->dev);
	struct resource *res;

	if (!fw || fw->num_ids != 1) {
		pci_err(inj.pdev, "needs exactly one StreamID (fwspec %s)\n",
			fw ? "with several" : "missing");
		return -ENODEV;
	}
	inj.sid = fw->ids[0];
	inj.smmu_dev = bus_find_device(&platform_bus_type, NULL, fw->iommu_fwnode,
				       inj_match_smmu);
	if (!inj.smmu_dev) {
		pr_err("the SMMU of %s is not bound to %s\n", pci_name(inj.pdev),
		       INJ_SMMU_DRIVER);
		return -ENODEV;
	}
	res = platform_get_resource(to_platform_device(inj.smmu_dev), IORESOURCE_MEM, 0);
	if (!res || resource_size(res) < PAGE_SIZE)
		return -ENODEV;
	/* The driver owns the region: map it again without requesting it, read only. */
	inj.regs = ioremap(res->start, PAGE_SIZE);
	if (!inj.regs)
		return -ENOMEM;
	inj.coherent = readl_relaxed(inj.regs + SMMU_IDR0) & SMMU_IDR0_COHACC;
	inj.smmu = dev_get_drvdata(inj.smmu_dev);
	inj.master = dev_iommu_priv_get(&inj.pdev->dev);
	return 0;
}

/* The address of a kernel function by name: a kprobe resolves it. */
static void *inj_resolve(const char *sym)
{
	struct kprobe kp = { .symbol_name = sym };
	void *addr;

	if (register_kprobe(&kp))
		return NULL;
	addr = kp.addr;
	unregister_kprobe(&kp);
	return addr;
}

/* The driver's own command queue, as it passes it to kern->cmdlist. */
static int inj_learn_pre(struct kprobe *p, struct pt_regs *regs)
{
	void *smmu = (void *)regs_get_kernel_argument(regs, inj.kern->smmu_arg);
	void *cmdq = (void *)regs_get_kernel_argument(regs, inj.kern->cmdq_arg);

	if (smmu == inj.smmu && !READ_ONCE(inj.cmdq) && smmu_hil_cmdq_is_own(inj.kern, smmu, cmdq))
		WRITE_ONCE(inj.cmdq, cmdq);
	return 0;
}

/*
 * Have the driver invalidate the TLB of @dev's default DMA domain
 * (iommu_flush_iotlb_all()) if @dev sits behind our SMMU: a TLBI and a
 * CMD_SYNC on the SMMU's own queue. Only under the device lock with a
 * driver bound that uses the DMA API (not driver_managed_dma): then the
 * IOMMU core cannot replace (and free) the default domain meanwhile.
 */
static void inj_flush_dma_domain(struct pci_dev *pdev)
{
	struct iommu_fwspec *fw = dev_iommu_fwspec_get(&pdev->dev);
	struct iommu_fwspec *ours = dev_iommu_fwspec_get(&inj.pdev->dev);
	struct iommu_domain *d;

	if (!fw || !ours || fw->iommu_fwnode != ours->iommu_fwnode)
		return;
	device_lock(&pdev->dev);
	if (pdev->dev.driver && !to_pci_driver(pdev->dev.driver)->driver_managed_dma) {
		d = iommu_get_domain_for_dev(&pdev->dev);
		if (d && (d->type == IOMMU_DOMAIN_DMA || d->type == IOMMU_DOMAIN_DMA_FQ))
			iommu_flush_iotlb_all(d);
	}
	device_unlock(&pdev->dev);
}

/*
 * Shapes whose command-list function takes the queue: learn the SMMU's own
 * queue from a call the driver makes, under a kprobe on the function. The
 * IOMMU core flushes the TLB of a scratch paging domain of the claimed
 * device (never attached; 6.12 invalidates its ASID, 7.x only what is
 * attached), then of the default DMA domains of the devices behind the
 * SMMU; if none of that reaches the SMMU's own queue, the kprobe stays
 * until the driver's next use of it and raw syncs wait for that (-EAGAIN).
 * Returns 0 or -errno of the kprobe.
 */
static int inj_learn_cmdq(void)
{
	struct pci_dev *pdev = NULL;
	struct iommu_domain *d;
	int ret;

	if (inj.kern->shape != SMMU_HIL_CMDLIST_SMMU_CMDQ_CMDS_N_SYNC)
		return 0;
	ret = inj_kprobe_on(&inj.kp_learn, &inj.kp_learn_on, inj.kern->cmdlist, 0,
			    inj_learn_pre);
	if (ret)
		return ret;
	d = smmu_hil_paging_domain_alloc(&inj.pdev->dev);
	if (!IS_ERR(d)) {
		iommu_flush_iotlb_all(d);
		iommu_domain_free(d);
	}
	for_each_pci_dev(pdev) {
		if (READ_ONCE(inj.cmdq)) {
			pci_dev_put(pdev);
			break;
		}
		inj_flush_dma_domain(pdev);
	}
	if (READ_ONCE(inj.cmdq))
		inj_kprobe_off(&inj.kp_learn, &inj.kp_learn_on);
	else
		pr_info("raw mode: the SMMU's own command queue is not known yet; raw sequences wait for the driver's next command (-EAGAIN until then)\n");
	return 0;
}

/*
 * Watch the driver rewriting our entries (raw mode gives them back, the
 * recorder notes them): its entry writer where it has one, else its STE
 * install function.
 */
static int inj_watch_driver(void)
{
	const struct smmu_hil_inj_kernel *k = inj.kern;
	int ret;

	if (k->writer) {
		inj.krp_writer.kp.symbol_name = k->writer;
		inj.krp_writer.entry_handler = inj_writer_entry;
		inj.krp_writer.handler = inj_writer_ret;
		inj.krp_writer.data_size = sizeof(struct inj_wr_call);
		/* calls in flight at once; the writer runs under the group's lock */
		inj.krp_writer.maxactive = 64;
		ret = register_kretprobe(&inj.krp_writer);
		if (ret) {
			pr_err("cannot probe %s (%d)\n", k->writer, ret);
			return ret;
		}
		inj.krp_writer_on = true;
		inj.update_safe = k->update_safe && inj_resolve(k->update_safe);
		return 0;
	}
	ret = inj_kprobe_on(&inj.kp_install, &inj.kp_install_on, k->install, 0,
			    inj_install_pre);
	if (ret)
		pr_err("cannot probe %s (%d)\n", k->install, ret);
	return ret;
}

/* Pick the table entry of this kernel and resolve what raw mode calls. */
static int inj_setup_kernel(void)
{
	void *fn;
	int ret;

	inj.kern = smmu_hil_inj_kernel_find(smmu_hil_kernel_version());
	if (!inj.kern) {
		if (allow_raw) {
			pr_err("kernel %s is not in smmu_hil_inj_kernel_find() (smmu_hil_compat.h): raw mode needs the driver's command-queue signature; see docs/injector.md\n",
			       init_utsname()->release);
			return -EOPNOTSUPP;
		}
		pr_info("kernel %s is not in smmu_hil_inj_kernel_find() (smmu_hil_compat.h): no recorder, no raw mode\n",
			init_utsname()->release);
		return 0;
	}
	if (!inj.smmu || !virt_addr_valid(inj.smmu) || !inj.master ||
	    !virt_addr_valid(inj.master)) {
		pr_err("driver data of %s / %s not found\n", dev_name(inj.smmu_dev),
		       pci_name(inj.pdev));
		return -ENODEV;
	}
	ret = inj_watch_driver();
	if (ret)
		return ret;
	if (!allow_raw)
		return 0;
	if (!inj.coherent) {
		pr_err("raw mode needs a coherent SMMU (IDR0.COHACC): its tables are not cacheable\n");
		return -EOPNOTSUPP;
	}
	fn = inj_resolve(inj.kern->cmdlist);
	if (!fn) {
		pr_err("cannot resolve %s\n", inj.kern->cmdlist);
		return -ENOENT;
	}
	ret = inj_learn_cmdq();
	if (ret) {
		pr_err("raw mode: cannot probe %s (%d)\n", inj.kern->cmdlist, ret);
		return ret;
	}
	inj.shadow = alloc_page(GFP_KERNEL | __GFP_ZERO);
	/* the buddy allocator aligns a block to its size */
	inj.zero = alloc_pages(GFP_KERNEL | __GFP_ZERO, get_order(SMMU_HIL_INJ_ZERO_TABLE_BYTES));
	if (!inj.shadow || !inj.zero)
		return -ENOMEM;
	inj.cmdlist = fn;
	return 0;
}

static void inj_teardown(void)
{
	inj_kprobe_off(&inj.kp_cmdlist, &inj.kp_cmdlist_on);
	inj_barrier_probes(false);
	inj_kprobe_off(&inj.kp_install, &inj.kp_install_on);
	if (inj.krp_writer_on)
		unregister_kretprobe(&inj.krp_writer);
	inj_kprobe_off(&inj.kp_learn, &inj.kp_learn_on);
	/* After a failed restore the SMMU may still point at them: keep them. */
	if (!inj.broken) {
		if (inj.shadow)
			__free_page(inj.shadow);
		if (inj.zero)
			__free_pages(inj.zero, get_order(SMMU_HIL_INJ_ZERO_TABLE_BYTES));
	}
	kvfree(inj.ring);
	if (inj.ste)
		memunmap(inj.ste);
	if (inj.regs)
		iounmap(inj.regs);
	put_device(inj.smmu_dev);
	pci_dev_put(inj.pdev);
}

static int __init inj_init(void)
{
	int ret;

	ret = smmu_hil_arch_check("writing live SMMUv3 STEs and CDs");
	if (ret)
		return ret;
	if (rec_size < INJ_REC_MIN || rec_size > INJ_REC_MAX) {
		pr_err("rec_size=%u out of range %u..%u\n", rec_size, INJ_REC_MIN,
		       INJ_REC_MAX);
		return -EINVAL;
	}
	inj.pdev = inj_find_dev();
	if (IS_ERR(inj.pdev)) {
		ret = PTR_ERR(inj.pdev);
		inj.pdev = NULL;
		return ret;
	}
	ret = inj_find_smmu();
	if (ret)
		goto err;
	ret = inj_locate_ste(inj.sid, &inj.ste_pa);
	if (ret) {
		pr_err("no STE found for SID 0x%x (%d)\n", inj.sid, ret);
		goto err;
	}
	inj.ste = memremap(inj.ste_pa, ENT_BYTES, MEMREMAP_WB);
	inj.ring = kvcalloc(rec_size, sizeof(*inj.ring), GFP_KERNEL);
	if (!inj.ste || !inj.ring) {
		ret = -ENOMEM;
		goto err;
	}
	ret = inj_setup_kernel();
	if (ret)
		goto err;
	inj_find_barriers();
	inj_hdr(&inj.result.hdr, sizeof(inj.result), 0);

	inj.top = smmu_hil_dir_get(SMMU_HIL_DEBUGFS_DIR, NULL);
	if (IS_ERR(inj.top)) {
		ret = PTR_ERR(inj.top);
		goto err;
	}
	inj.dir = debugfs_create_dir("inject", inj.top);
	if (IS_ERR(inj.dir)) {
		ret = PTR_ERR(inj.dir);
		smmu_hil_dir_put(inj.top);
		goto err;
	}
	debugfs_create_file("ste", 0444, inj.dir, NULL, &ste_fops);
	debugfs_create_file("cd", 0444, inj.dir, NULL, &cd_fops);
	debugfs_create_file("raw", 0200, inj.dir, NULL, &raw_fops);
	debugfs_create_file("result", 0444, inj.dir, NULL, &result_fops);
	debugfs_create_file("record", 0600, inj.dir, NULL, &record_fops);
	debugfs_create_file("barriers", 0444, inj.dir, NULL, &barriers_fops);
	pr_info("claimed %s (%s), SID 0x%x on %s, STE at 0x%llx; raw mode %s, recorder %s\n",
		pci_name(inj.pdev), inj.pdev->dev.driver ? inj.pdev->dev.driver->name : "-",
		inj.sid, dev_name(inj.smmu_dev), (u64)inj.ste_pa,
		inj.cmdlist ? "on" : "off", inj.kern ? "available" : "unavailable");
	return 0;

err:
	inj_teardown();
	return ret;
}

static void __exit inj_exit(void)
{
	/* Elsewhere init refused (smmu_hil_compat.h): nothing to undo. */
	if (!smmu_hil_arch_ok())
		return;
	/* Waits for file operations in progress: a raw sequence ends restored. */
	debugfs_remove(inj.dir);
	smmu_hil_dir_put(inj.top);
	mutex_lock(&inj.lock);
	inj_record_stop();
	mutex_unlock(&inj.lock);
	inj_teardown();
}

module_init(inj_init);
module_exit(inj_exit);
MODULE_DESCRIPTION("smmu-hil: raw STE/CD updates and a recorder of the driver's updates");
MODULE_LICENSE("GPL");
