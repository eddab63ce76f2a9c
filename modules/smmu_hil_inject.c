// SPDX-License-Identifier: GPL-2.0
/*
 * smmu_hil_inject - read, rewrite and record the live SMMUv3 STE and CD of
 * one claimed device (the edu device bound to smmu_hil_edu).
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
 *     issues for the StreamID and at every STE install it starts.
 *
 * The driver's internals it uses depend on the kernel (inject_kernels[]);
 * on a kernel not in the table raw mode and the recorder are refused.
 * docs/injector.md describes the files, the validation and the table.
 *
 * debugfs, /sys/kernel/debug/smmu-hil/inject/:
 *   ste     read: "key value" lines, "q" holds the 8 qwords
 *   cd      read: the same for CD 0 ("present 0" without one)
 *   raw     write: a sequence, one operation a line (allow_raw=1)
 *   result  read: "key value" lines of the last raw sequence
 *   record  write start|stop|clear; read "seq ts_ns kind ste|cd q0,...,q7"
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bitfield.h>
#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/device.h>
#include <linux/fs.h>
#include <linux/io.h>
#include <linux/iommu.h>
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

#include "include/uapi/smmu_hil.h"
#include "smmu_hil_arch.h"
#include "smmu_hil_debugfs.h"
#include "smmu_hil_kver.h"
#include "smmu_hil_strtab.h"

#define INJ_EDU_DRIVER		"smmu_hil_edu"
#define INJ_SMMU_DRIVER		"arm-smmu-v3"

/* SMMU registers (Arm IHI 0070 6.3) */
#define SMMU_IDR0		0x00
#define SMMU_IDR0_COHACC	BIT(4)

/* Structures (5.1 L1STD, 5.2 STE, 5.4 CD and L1CD) */
#define STE3_S2TTB		GENMASK_ULL(55, 4)
#define CD0_V			BIT_ULL(31)
#define CD1_TTB0		GENMASK_ULL(55, 4)
#define CD2_TTB1		GENMASK_ULL(55, 4)

/* Commands (7.1): opcode q0[7:0], SID q0[63:32], SSID q0[31:12], Leaf q1[0] */
#define CMD_CFGI_STE		0x03
#define CMD_CFGI_STE_RANGE	0x04
#define CMD_CFGI_CD		0x05
#define CMD_TLBI_NH_ASID	0x11
#define CMD_ASID		GENMASK_ULL(63, 48)
#define CD0_ASID		GENMASK_ULL(63, 48)
#define INJ_MAX_ASIDS		8	/* foreign ASIDs one CD sequence may write */
#define CMD_LEAF		BIT_ULL(0)
#define CMD_RANGE		GENMASK_ULL(4, 0)
#define CMD_SSID		GENMASK_ULL(31, 12)

/* Limits of a raw sequence */
#define INJ_MAX_INPUT		(64 * 1024)
#define INJ_MAX_OPS		4096
#define INJ_MAX_REPEAT		1000000
#define INJ_MAX_DWELL_US	100000
#define INJ_MAX_TOTAL_OPS	20000000ULL
#define INJ_MAX_TOTAL_DWELL_US	(120ULL * USEC_PER_SEC)
/* Shadow CD table: one page; S1CDMax up to 6 keeps 64 CDs inside it */
#define INJ_SHADOW_CDMAX	6
#define INJ_SCAN_MAX		1024	/* commands a recorded list is scanned for */
#define INJ_RESULT_MAX		1024
#define INJ_REC_MIN		16
#define INJ_REC_MAX		65536
#define INJ_LINE_MAX		200	/* one record line, generously */

static char *bdf;
module_param(bdf, charp, 0444);
MODULE_PARM_DESC(bdf, "PCI address of the edu device to claim (default: first bound to smmu_hil_edu)");

static bool allow_raw;
module_param(allow_raw, bool, 0444);
MODULE_PARM_DESC(allow_raw, "allow raw writes to the claimed device's STE/CD (default 0)");

static unsigned int rec_size = 4096;
module_param(rec_size, uint, 0444);
MODULE_PARM_DESC(rec_size, "snapshots the recorder ring holds (16..65536)");

typedef int (*inj_cmdlist_fn)(void *smmu, u64 *cmds, int n, bool sync);

/**
 * struct inject_kernel - the driver internals one kernel range provides
 * @since: first kernel version (KERNEL_VERSION) the entry applies to
 * @until: first kernel version it no longer applies to
 * @cmdlist: function submitting commands to the command queue, with the
 *	signature int (struct arm_smmu_device *, u64 *cmds, int n, bool sync)
 *	and appending (and waiting for) a CMD_SYNC when sync is true
 * @install: function (re)writing every STE of a master, first argument the
 *	struct arm_smmu_master * the driver stores as the device's iommu priv
 */
struct inject_kernel {
	unsigned int since, until;
	const char *cmdlist;
	const char *install;
};

static const struct inject_kernel inject_kernels[] = {
	/* 6.1: static arm_smmu_cmdq_issue_cmdlist(smmu, cmds, n, sync) */
	{ KERNEL_VERSION(6, 1, 0), KERNEL_VERSION(6, 2, 0),
	  "arm_smmu_cmdq_issue_cmdlist", "arm_smmu_install_ste_for_dev" },
};

enum inj_ent { INJ_STE, INJ_CD };
enum inj_opk { OP_WRITE, OP_SYNC, OP_DWELL, OP_WMB, OP_RESTORE };
enum inj_reck { REC_START, REC_BEGIN, REC_SYNC, REC_STOP };
static const char * const inj_reck_name[] = { "start", "begin", "sync", "stop" };

struct inj_op {
	u8 kind;	/* enum inj_opk */
	u8 idx;		/* OP_WRITE: qword */
	u32 us;		/* OP_DWELL */
	u64 val;	/* OP_WRITE */
};

struct inj_seq {
	enum inj_ent ent;
	struct inj_op *ops;
	unsigned int n, body, repeat;	/* ops[body..n) run @repeat times */
};

struct inj_rec {
	u64 seq, ts_ns;
	u8 kind, ent;
	u64 q[ENT_QWORDS];
};

static struct inject {
	struct pci_dev *pdev;
	u32 sid;
	struct device *smmu_dev;
	void *smmu;			/* the driver's struct arm_smmu_device */
	void *master;			/* the driver's struct arm_smmu_master */
	void __iomem *regs;
	bool coherent;
	const struct inject_kernel *kern;
	inj_cmdlist_fn cmdlist;
	phys_addr_t ste_pa;
	u64 *ste;			/* memremap of the STE, module lifetime */

	struct mutex lock;		/* raw sequences, record control, result */
	spinlock_t slock;		/* raw stores vs the driver; the ring */
	bool raw_active, conflict;	/* under slock */
	enum inj_ent raw_ent;
	u64 *raw_va;
	u64 raw_saved[ENT_QWORDS];
	bool broken;			/* a restore failed: raw refused */
	u64 cmd[2 * (1 + INJ_MAX_ASIDS)];	/* our commands (recorder skips them) */
	u16 asids[INJ_MAX_ASIDS];	/* CD sequence: ASIDs other than the driver's */
	unsigned int nasids;
	struct page *shadow, *zero;
	char result[INJ_RESULT_MAX];

	struct kprobe kp_install, kp_cmdlist;
	bool kp_install_on, kp_cmdlist_on, recording;
	struct inj_rec *ring;
	unsigned int head, count;
	u64 rec_seq, rec_dropped;

	struct dentry *top, *dir;
} inj = {
	.lock = __MUTEX_INITIALIZER(inj.lock),
	.slock = __SPIN_LOCK_UNLOCKED(inj.slock),
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

static void inj_print_q(struct seq_file *m, const u64 *q)
{
	unsigned int i;

	seq_puts(m, "q ");
	for (i = 0; i < ENT_QWORDS; i++)
		seq_printf(m, "%s0x%016llx", i ? "," : "", q[i]);
	seq_putc(m, '\n');
}

static int ste_show(struct seq_file *m, void *v)
{
	u64 q[ENT_QWORDS];

	inj_read_ste(q);
	seq_printf(m, "bdf %s\nsid 0x%x\nsmmu %s\npa 0x%llx\n", pci_name(inj.pdev),
		   inj.sid, dev_name(inj.smmu_dev), (u64)inj.ste_pa);
	inj_print_q(m, q);
	seq_printf(m, "raw %d\nrecorder %d\n", allow_raw && inj.cmdlist, !!inj.kern);
	if (inj.shadow)
		seq_printf(m, "shadow_cd 0x%llx\nzero_table 0x%llx\n",
			   (u64)page_to_phys(inj.shadow), (u64)page_to_phys(inj.zero));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(ste);

static int cd_show(struct seq_file *m, void *v)
{
	phys_addr_t pa;
	u64 q[ENT_QWORDS];
	int ret = inj_read_cd(q, &pa, false);

	if (ret == -ENOENT) {
		seq_puts(m, "present 0\n");
		return 0;
	}
	if (ret)
		return ret;
	seq_printf(m, "present 1\nssid 0\npa 0x%llx\n", (u64)pa);
	inj_print_q(m, q);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(cd);

/* ------------------------------------------------------------- recorder */

/* Caller holds slock. */
static void inj_rec_push(enum inj_reck kind, enum inj_ent ent, const u64 *q)
{
	struct inj_rec *r;

	if (inj.count == rec_size) {
		inj.rec_seq++;
		inj.rec_dropped++;
		return;
	}
	r = &inj.ring[(inj.head + inj.count++) % rec_size];
	r->seq = inj.rec_seq++;
	r->ts_ns = ktime_get_ns();
	r->kind = kind;
	r->ent = ent;
	memcpy(r->q, q, sizeof(r->q));
}

/* Snapshot the STE (and CD 0 if @cd_too and there is one). Caller holds slock. */
static void inj_snap(enum inj_reck kind, bool ste, bool cd, bool atomic)
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

	if ((void *)regs_get_kernel_argument(regs, 0) != inj.master)
		return 0;
	spin_lock_irqsave(&inj.slock, flags);
	if (inj.raw_active && !inj.conflict) {
		inj_unsync_restore(inj.raw_va, inj.raw_saved);
		inj.conflict = true;
	}
	if (inj.recording)
		inj_snap(REC_BEGIN, true, false, true);
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

/* A command list goes to the queue: snapshot what its CFGIs make visible. */
static int inj_cmdlist_pre(struct kprobe *p, struct pt_regs *regs)
{
	u64 *cmds = (u64 *)regs_get_kernel_argument(regs, 1);
	int n = (int)regs_get_kernel_argument(regs, 2), i;
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
	if (inj.recording)
		inj_snap(REC_SYNC, ste, cd, true);
	spin_unlock_irqrestore(&inj.slock, flags);
	return 0;
}

static int inj_record_start(void)
{
	unsigned long flags;
	int ret;

	if (!inj.kern)
		return -EOPNOTSUPP;
	if (!inj.kp_cmdlist_on) {
		memset(&inj.kp_cmdlist, 0, sizeof(inj.kp_cmdlist));
		inj.kp_cmdlist.symbol_name = inj.kern->cmdlist;
		inj.kp_cmdlist.pre_handler = inj_cmdlist_pre;
		ret = register_kprobe(&inj.kp_cmdlist);
		if (ret)
			return ret;
		inj.kp_cmdlist_on = true;
	}
	spin_lock_irqsave(&inj.slock, flags);
	if (!inj.recording)
		inj_snap(REC_START, true, true, false);
	inj.recording = true;
	spin_unlock_irqrestore(&inj.slock, flags);
	return 0;
}

static void inj_record_stop(void)
{
	unsigned long flags;

	spin_lock_irqsave(&inj.slock, flags);
	if (inj.recording)
		inj_snap(REC_STOP, true, true, false);
	inj.recording = false;
	spin_unlock_irqrestore(&inj.slock, flags);
	if (inj.kp_cmdlist_on) {
		unregister_kprobe(&inj.kp_cmdlist);
		inj.kp_cmdlist_on = false;
	}
}

/* Copy @ubuf (one short word and an optional newline) into @buf. */
static int inj_get_word(const char __user *ubuf, size_t len, char *buf, size_t size)
{
	if (!len || len >= size)
		return -EINVAL;
	if (copy_from_user(buf, ubuf, len))
		return -EFAULT;
	buf[len] = '\0';
	if (buf[len - 1] == '\n')
		buf[--len] = '\0';
	if (!len || strlen(buf) != len || strpbrk(buf, "\n\r\t "))
		return -EINVAL;
	return 0;
}

static ssize_t record_write(struct file *file, const char __user *ubuf,
			    size_t len, loff_t *ppos)
{
	unsigned long flags;
	char buf[16];
	int ret = inj_get_word(ubuf, len, buf, sizeof(buf));

	if (ret)
		return ret;
	mutex_lock(&inj.lock);
	if (!strcmp(buf, "start")) {
		ret = inj_record_start();
	} else if (!strcmp(buf, "stop")) {
		inj_record_stop();
	} else if (!strcmp(buf, "clear")) {
		spin_lock_irqsave(&inj.slock, flags);
		inj.head = 0;
		inj.count = 0;
		inj.rec_dropped = 0;
		spin_unlock_irqrestore(&inj.slock, flags);
	} else {
		ret = -EINVAL;
	}
	mutex_unlock(&inj.lock);
	return ret ? ret : len;
}

struct inj_text {
	size_t len;
	char buf[];
};

/* Render the ring (not consumed) once per open. */
static int record_open(struct inode *inode, struct file *file)
{
	unsigned int i, j, n;
	struct inj_rec *copy;
	struct inj_text *t;
	unsigned long flags;
	size_t cap;

	copy = kvcalloc(rec_size, sizeof(*copy), GFP_KERNEL);
	if (!copy)
		return -ENOMEM;
	spin_lock_irqsave(&inj.slock, flags);
	n = inj.count;
	for (i = 0; i < n; i++)
		copy[i] = inj.ring[(inj.head + i) % rec_size];
	spin_unlock_irqrestore(&inj.slock, flags);

	cap = (size_t)n * INJ_LINE_MAX + 1;
	t = kvmalloc(sizeof(*t) + cap, GFP_KERNEL);
	if (!t) {
		kvfree(copy);
		return -ENOMEM;
	}
	t->len = 0;
	for (i = 0; i < n; i++) {
		const struct inj_rec *r = &copy[i];

		t->len += scnprintf(t->buf + t->len, cap - t->len, "%llu %llu %s %s ",
				    r->seq, r->ts_ns, inj_reck_name[r->kind],
				    r->ent == INJ_STE ? "ste" : "cd");
		for (j = 0; j < ENT_QWORDS; j++)
			t->len += scnprintf(t->buf + t->len, cap - t->len, "%s0x%llx",
					    j ? "," : "", r->q[j]);
		t->len += scnprintf(t->buf + t->len, cap - t->len, "\n");
	}
	kvfree(copy);
	file->private_data = t;
	return nonseekable_open(inode, file);
}

static ssize_t record_read(struct file *file, char __user *ubuf, size_t len,
			   loff_t *ppos)
{
	struct inj_text *t = file->private_data;

	return simple_read_from_buffer(ubuf, len, ppos, t->buf, t->len);
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
	.llseek = no_llseek,
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
	return inj.cmdlist(inj.smmu, inj.cmd, n, true);
}

/* Collect the ASIDs a CD sequence writes besides the driver's. */
static int inj_collect_asids(const struct inj_seq *s, const u64 *saved)
{
	u16 asid, own = FIELD_GET(CD0_ASID, saved[0]);
	unsigned int i, k;

	inj.nasids = 0;
	for (i = 0; s->ent == INJ_CD && i < s->n; i++) {
		if (s->ops[i].kind != OP_WRITE || s->ops[i].idx)
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

static int inj_parse_line(char *line, struct inj_seq *s)
{
	char *argv[4], *tok;
	unsigned int argc = 0, v;
	struct inj_op *op;
	u64 val;

	while ((tok = strsep(&line, " \t")) != NULL) {
		if (!*tok)
			continue;
		if (*tok == '#')
			break;
		if (argc == ARRAY_SIZE(argv))
			return -EINVAL;
		argv[argc++] = tok;
	}
	if (!argc)
		return 0;
	if (!strcmp(argv[0], "entry") && argc == 2) {
		if (s->n || s->repeat)
			return -EINVAL;	/* a header, before any operation */
		if (!strcmp(argv[1], "ste"))
			s->ent = INJ_STE;
		else if (!strcmp(argv[1], "cd"))
			s->ent = INJ_CD;
		else
			return -EINVAL;
		return 0;
	}
	if (!strcmp(argv[0], "repeat") && argc == 2) {
		if (s->repeat || kstrtouint(argv[1], 0, &v) || !v || v > INJ_MAX_REPEAT)
			return -EINVAL;
		s->repeat = v;
		s->body = s->n;
		return 0;
	}
	if (s->n == INJ_MAX_OPS)
		return -E2BIG;
	op = &s->ops[s->n];
	memset(op, 0, sizeof(*op));
	if (!strcmp(argv[0], "write") && argc == 3) {
		if (kstrtouint(argv[1], 0, &v) || v >= ENT_QWORDS ||
		    strncmp(argv[2], "0x", 2) || kstrtou64(argv[2], 16, &val))
			return -EINVAL;
		op->kind = OP_WRITE;
		op->idx = v;
		op->val = val;
	} else if (!strcmp(argv[0], "sync") && argc == 1) {
		op->kind = OP_SYNC;
	} else if (!strcmp(argv[0], "dwell") && argc == 2) {
		if (kstrtouint(argv[1], 0, &v) || v > INJ_MAX_DWELL_US)
			return -EINVAL;
		op->kind = OP_DWELL;
		op->us = v;
	} else if (!strcmp(argv[0], "dma_wmb") && argc == 1) {
		op->kind = OP_WMB;
	} else if (!strcmp(argv[0], "restore") && argc == 1) {
		op->kind = OP_RESTORE;
	} else {
		return -EINVAL;
	}
	s->n++;
	return 0;
}

/* Parse the whole text; nothing is executed here. */
static int inj_parse(char *text, struct inj_seq *s)
{
	u64 per, total_ops, dwell_pre = 0, dwell_body = 0;
	unsigned int i;
	char *line;
	int ret;

	while ((line = strsep(&text, "\n")) != NULL) {
		ret = inj_parse_line(line, s);
		if (ret)
			return ret;
	}
	if (!s->n)
		return -EINVAL;
	if (!s->repeat) {
		s->repeat = 1;
		s->body = 0;
	}
	for (i = 0; i < s->n; i++) {
		if (s->ops[i].kind != OP_DWELL)
			continue;
		if (i < s->body)
			dwell_pre += s->ops[i].us;
		else
			dwell_body += s->ops[i].us;
	}
	per = s->n - s->body;
	total_ops = s->body + per * s->repeat;
	if (total_ops > INJ_MAX_TOTAL_OPS ||
	    dwell_pre + dwell_body * s->repeat > INJ_MAX_TOTAL_DWELL_US)
		return -E2BIG;
	return 0;
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
		if (!(v & STE0_V) || !(cfg & 1))
			return true;	/* no CD is fetched */
		ptr = v & STE0_S1CTXPTR;
		if (ptr == (sv & STE0_S1CTXPTR) && (sv & STE0_V) &&
		    (FIELD_GET(STE0_CFG, sv) & 1))
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

static int inj_run_ops(const struct inj_op *ops, unsigned int from, unsigned int to,
		       struct inj_stats *st)
{
	unsigned int i;
	u64 t;
	int ret = 0;

	for (i = from; i < to && !ret; i++) {
		switch (ops[i].kind) {
		case OP_WRITE:
			ret = inj_store(ops[i].idx, ops[i].val);
			st->writes++;
			break;
		case OP_SYNC:
			t = ktime_get_ns();
			ret = inj_sync(inj.raw_ent);
			t = ktime_get_ns() - t;
			st->syncs++;
			st->sync_ns += t;
			st->max_sync_ns = max(st->max_sync_ns, t);
			break;
		case OP_DWELL:
			inj_dwell(ops[i].us);
			st->dwells++;
			break;
		case OP_WMB:
			dma_wmb();
			break;
		case OP_RESTORE:
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
		if (s->ops[i].kind == OP_WRITE &&
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

	scnprintf(inj.result, sizeof(inj.result),
		  "op raw\nentry %s\nerror %d\nconflict %d\nrestored %d\niterations %llu\nrepeat %u\nwrites %llu\nsyncs %llu\ndwells %llu\ntotal_ns %llu\nns_per_step %llu\nns_per_sync %llu\nmax_sync_ns %llu\n",
		  s->ent == INJ_STE ? "ste" : "cd", ret, conflict, !rret && !conflict,
		  st.iterations, s->repeat, st.writes, st.syncs, st.dwells, total,
		  div64_u64(total, max(st.writes + st.syncs + st.dwells, 1ULL)),
		  div64_u64(st.sync_ns, max(st.syncs, 1ULL)), st.max_sync_ns);
	if (ret == -EBUSY)
		ret = 0;	/* the driver took the entry back: reported, not an error */
out:
	if (cd_map)
		memunmap(cd_map);
	return ret ? ret : rret;
}

static ssize_t raw_write(struct file *file, const char __user *ubuf,
			 size_t len, loff_t *ppos)
{
	struct inj_seq s = { .ent = INJ_STE };
	char *text;
	int ret;

	if (!allow_raw || !inj.cmdlist) {
		pr_info_once("raw writes refused: load with allow_raw=1 on a supported kernel\n");
		return -EPERM;
	}
	if (!len || len > INJ_MAX_INPUT)
		return -EINVAL;
	text = memdup_user_nul(ubuf, len);
	if (IS_ERR(text))
		return PTR_ERR(text);
	if (strlen(text) != len) {
		kfree(text);
		return -EINVAL;
	}
	s.ops = kvcalloc(INJ_MAX_OPS, sizeof(*s.ops), GFP_KERNEL);
	if (!s.ops) {
		kfree(text);
		return -ENOMEM;
	}
	ret = inj_parse(text, &s);
	if (ret == -E2BIG)
		ret = -EINVAL;
	if (!ret) {
		ret = mutex_lock_interruptible(&inj.lock);
		if (!ret) {
			ret = inj.broken ? -EIO : inj_execute(&s);
			mutex_unlock(&inj.lock);
		}
	}
	kvfree(s.ops);
	kfree(text);
	return ret ? ret : len;
}

static const struct file_operations raw_fops = {
	.owner = THIS_MODULE,
	.open = nonseekable_open,
	.write = raw_write,
	.llseek = no_llseek,
};

static int result_show(struct seq_file *m, void *v)
{
	mutex_lock(&inj.lock);
	seq_puts(m, inj.result);
	mutex_unlock(&inj.lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(result);

/* --------------------------------------------------------------- set-up */

static int inj_parse_bdf(const char *s, unsigned int *dom, unsigned int *bus,
			 unsigned int *dev, unsigned int *fn)
{
	char tail;

	*dom = 0;
	if (sscanf(s, "%x:%x:%x.%x%c", dom, bus, dev, fn, &tail) != 4 &&
	    sscanf(s, "%x:%x.%x%c", bus, dev, fn, &tail) != 3)
		return -EINVAL;
	if (*dom > 0xffff || *bus > 0xff || *dev > 0x1f || *fn > 7)
		return -EINVAL;
	return 0;
}

/* The edu device to claim: bound to smmu_hil_edu, matching bdf= if set. */
static struct pci_dev *inj_find_edu(void)
{
	unsigned int dom, bus, dev, fn;
	struct pci_dev *pdev = NULL;

	if (bdf && *bdf && inj_parse_bdf(bdf, &dom, &bus, &dev, &fn)) {
		pr_err("bdf=%s: expected [DDDD:]BB:DD.F\n", bdf);
		return ERR_PTR(-EINVAL);
	}
	for_each_pci_dev(pdev) {
		if (!pdev->dev.driver || strcmp(pdev->dev.driver->name, INJ_EDU_DRIVER))
			continue;
		if (bdf && *bdf &&
		    (pci_domain_nr(pdev->bus) != dom || pdev->bus->number != bus ||
		     PCI_SLOT(pdev->devfn) != dev || PCI_FUNC(pdev->devfn) != fn))
			continue;
		return pdev;	/* the reference for_each_pci_dev holds is ours */
	}
	pr_err("no device %s bound to %s\n", bdf && *bdf ? bdf : "", INJ_EDU_DRIVER);
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

/* Pick the table entry of this kernel and resolve what raw mode calls. */
static int inj_setup_kernel(void)
{
	unsigned int i, ver = smmu_hil_kernel_version();
	void *fn;
	int ret;

	for (i = 0; i < ARRAY_SIZE(inject_kernels); i++)
		if (ver >= inject_kernels[i].since && ver < inject_kernels[i].until)
			inj.kern = &inject_kernels[i];
	if (!inj.kern) {
		if (allow_raw) {
			pr_err("kernel %s is not in inject_kernels[]: raw mode needs the driver's command-queue signature; see docs/injector.md\n",
			       init_utsname()->release);
			return -EOPNOTSUPP;
		}
		pr_info("kernel %s is not in inject_kernels[]: no recorder, no raw mode\n",
			init_utsname()->release);
		return 0;
	}
	if (!inj.smmu || !virt_addr_valid(inj.smmu) || !inj.master ||
	    !virt_addr_valid(inj.master)) {
		pr_err("driver data of %s / %s not found\n", dev_name(inj.smmu_dev),
		       pci_name(inj.pdev));
		return -ENODEV;
	}
	inj.kp_install.symbol_name = inj.kern->install;
	inj.kp_install.pre_handler = inj_install_pre;
	ret = register_kprobe(&inj.kp_install);
	if (ret) {
		pr_err("cannot probe %s (%d)\n", inj.kern->install, ret);
		return ret;
	}
	inj.kp_install_on = true;
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
	inj.shadow = alloc_page(GFP_KERNEL | __GFP_ZERO);
	inj.zero = alloc_page(GFP_KERNEL | __GFP_ZERO);
	if (!inj.shadow || !inj.zero)
		return -ENOMEM;
	inj.cmdlist = fn;
	return 0;
}

static void inj_teardown(void)
{
	if (inj.kp_cmdlist_on)
		unregister_kprobe(&inj.kp_cmdlist);
	if (inj.kp_install_on)
		unregister_kprobe(&inj.kp_install);
	/* After a failed restore the SMMU may still point at them: keep them. */
	if (!inj.broken) {
		if (inj.shadow)
			__free_page(inj.shadow);
		if (inj.zero)
			__free_page(inj.zero);
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
	inj.pdev = inj_find_edu();
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
	strscpy(inj.result, "op none\n", sizeof(inj.result));

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
	pr_info("claimed %s, SID 0x%x on %s, STE at 0x%llx; raw mode %s, recorder %s\n",
		pci_name(inj.pdev), inj.sid, dev_name(inj.smmu_dev), (u64)inj.ste_pa,
		inj.cmdlist ? "on" : "off", inj.kern ? "available" : "unavailable");
	return 0;

err:
	inj_teardown();
	return ret;
}

static void __exit inj_exit(void)
{
	/* Elsewhere init refused (smmu_hil_arch.h): nothing to undo. */
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
