// SPDX-License-Identifier: GPL-2.0
/*
 * smmu_hil_evtmon - capture every SMMUv3 event record the arm-smmu-v3 driver
 * takes from its event queue.
 *
 * A kprobe sits on the driver function that receives each raw record, or a
 * kretprobe on the one that takes each record off the event queue (the
 * symbol depends on the kernel version and on what the compiler inlined:
 * smmu_hil_evt_probes() in smmu_hil_compat.h). The handler
 * copies the four qwords with a timestamp into a fixed-size ring that user
 * space drains through debugfs. The module also maps the SMMU registers
 * (read-only use) to report the ID registers and to notice the SMMU
 * discarding event records: EVTQ_PROD.OVFLG toggles (a full queue, Arm IHI
 * 0070 7.4, 6.3.27) and GERROR.EVENTQ_ABT_ERR raises (an aborted queue
 * write, 7.5, 6.3.15; what QEMU reports for a full queue), sampled with
 * every record, every counter read and, through a second kprobe, at the
 * entry of the driver's GERROR interrupt handler.
 *
 * Test only, with the evtq_hold_max_ms parameter: EVT_HOLD disables the
 * driver's event-queue interrupt for a bounded time, so a fault storm fills
 * the SMMU's queue and the loss can be seen to be counted and judged.
 *
 * debugfs, /sys/kernel/debug/smmu-hil/ (include/uapi/smmu_hil.h):
 *   events   read: struct smmu_hil_evt_rec records; reading consumes them
 *            ioctl: SMMU_HIL_IOC_EVT_STATS (counters), _EVT_CLEAR (empty the
 *            ring, zero the counters), _EVT_SMMUS (ID registers),
 *            _EVT_STREAMS (StreamIDs of each PCI device with an IOMMU
 *            fwspec), _EVT_TABLES (the same with the live STE, and CD 0 when
 *            stage 1 translates, found by walking the stream table from
 *            STRTAB_BASE; read-only, every address checked to be RAM first),
 *            _EVT_HOLD (evtq_hold_max_ms > 0 only: hold the event-queue
 *            interrupt back for a while, or release it)
 * and the same as text, for people: stats, smmu, streams, tables.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bitfield.h>
#include <linux/debugfs.h>
#include <linux/device.h>
#include <linux/io.h>
#include <linux/interrupt.h>
#include <linux/iommu.h>
#include <linux/jiffies.h>
#include <linux/kallsyms.h>
#include <linux/kprobes.h>
#include <linux/ktime.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/msi.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/platform_device.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/uaccess.h>
#include <linux/utsname.h>
#include <linux/version.h>
#include <linux/workqueue.h>

#include "include/uapi/smmu_hil.h"
#include "smmu_hil_compat.h"
#include "smmu_hil_debugfs.h"
#include "smmu_hil_strtab.h"

#define EVTMON_MAX_SMMUS	SMMU_HIL_MAX_SMMUS
#define EVTMON_RING_MIN		16
#define EVTMON_RING_MAX		BIT(20)
#define EVTMON_READ_BATCH	128
#define EVTMON_HOLD_MAX_MS	60000

/* SMMUv3 register offsets (Arm IHI 0070 6.3); EVTQ_PROD/CONS live on page 1 */
#define SMMU_IDR0		0x00
#define SMMU_IDR1		0x04
#define SMMU_IDR3		0x0c
#define SMMU_IDR5		0x14
#define SMMU_IIDR		0x18
#define SMMU_AIDR		0x1c
#define SMMU_GERROR		0x60
#define SMMU_GERROR_EVTQ_ABT	BIT(2)	/* EVENTQ_ABT_ERR */
#define SMMU_EVTQ_PROD		0xa8
#define SMMU_PAGE1		0x10000
#define SMMU_EVTQ_OVF		BIT(31)	/* PROD.OVFLG */

static unsigned int ring_size = 4096;
module_param(ring_size, uint, 0444);
MODULE_PARM_DESC(ring_size, "records the ring holds (16..1048576, default 4096)");

static char *probe;
module_param(probe, charp, 0444);
MODULE_PARM_DESC(probe, "probe point SYMBOL:ARGIDX overriding the version table");

static unsigned int evtq_hold_max_ms;
module_param(evtq_hold_max_ms, uint, 0444);
MODULE_PARM_DESC(evtq_hold_max_ms,
		 "test only: let EVT_HOLD disable the driver's event-queue interrupt for up to this many ms (0..60000, default 0: EVT_HOLD refused)");

struct evtmon_smmu {
	struct device *dev;
	void __iomem *page0;
	void __iomem *page1;
	bool ovflg;		/* last sampled EVTQ_PROD.OVFLG */
	bool abt;		/* last sampled GERROR.EVENTQ_ABT_ERR */
	int evtq_irq;		/* the driver's event-queue interrupt, 0: none */
	bool held;		/* evtq_irq disabled by EVT_HOLD (em.hold_lock) */
};

static struct evtmon {
	spinlock_t lock;	/* ring, counters, OVACKFLG samples */
	struct smmu_hil_evt_rec *ring;
	unsigned int head, count;
	u64 seq, captured, dropped, overflows, evtq_aborts, bad_ptr;
	struct evtmon_smmu smmu[EVTMON_MAX_SMMUS];
	unsigned int nr_smmu;
	struct kprobe kp;
	struct kprobe gerr_kp;	/* GERROR handler entry, if registered */
	bool gerr_probed;
	struct mutex hold_lock;	/* the held flags, hold_until */
	unsigned long hold_until;	/* jiffies */
	struct delayed_work hold_work;
	struct kretprobe rp;	/* used instead of kp when caller[0] */
	char symbol[KSYM_NAME_LEN];
	char caller[KSYM_NAME_LEN];
	unsigned int argidx;
	struct dentry *dir;
} em = {
	.lock = __SPIN_LOCK_UNLOCKED(em.lock),
};

/*
 * Caller holds em.lock. Count what each SMMU signalled since the last
 * sample: a toggle of EVTQ_PROD.OVFLG (7.4: the SMMU toggles it when it
 * discards a record for a full queue, again only after the driver has
 * acknowledged through EVTQ_CONS.OVACKFLG, which it does after draining
 * the queue, each record sampled) and a toggle of GERROR.EVENTQ_ABT_ERR
 * (7.5: raised again only after the driver's handler wrote GERRORN, and
 * that handler's entry is sampled). Both are lower bounds on how often
 * records were lost, not how many.
 */
static void evtmon_sample_ovf_locked(void)
{
	unsigned int i;

	for (i = 0; i < em.nr_smmu; i++) {
		struct evtmon_smmu *s = &em.smmu[i];
		bool ovf = readl_relaxed(s->page1 + SMMU_EVTQ_PROD) & SMMU_EVTQ_OVF;
		bool abt = readl_relaxed(s->page0 + SMMU_GERROR) & SMMU_GERROR_EVTQ_ABT;

		if (ovf != s->ovflg) {
			s->ovflg = ovf;
			em.overflows++;
		}
		if (abt != s->abt) {
			s->abt = abt;
			em.overflows++;
			em.evtq_aborts++;
		}
	}
}

static void evtmon_sample_ovf(void)
{
	unsigned long flags;

	spin_lock_irqsave(&em.lock, flags);
	evtmon_sample_ovf_locked();
	spin_unlock_irqrestore(&em.lock, flags);
}

/* One record at kernel address @ptr: into the ring, or counted as lost. */
static void evtmon_record(unsigned long ptr)
{
	struct smmu_hil_evt_rec *rec;
	unsigned long flags;
	u64 raw[4];
	u64 now;

	if (copy_from_kernel_nofault(raw, (void *)ptr, sizeof(raw))) {
		raw[0] = 0;
		ptr = 0;
	}
	now = ktime_get_ns();

	spin_lock_irqsave(&em.lock, flags);
	evtmon_sample_ovf_locked();
	if (!ptr) {
		em.bad_ptr++;
	} else if (em.count == ring_size) {
		em.seq++;
		em.dropped++;
	} else {
		rec = &em.ring[(em.head + em.count) % ring_size];
		rec->seq = em.seq++;
		rec->ts_ns = now;
		memcpy(rec->evt, raw, sizeof(raw));
		em.count++;
		em.captured++;
	}
	spin_unlock_irqrestore(&em.lock, flags);
}

/* kprobe at the entry of a function handed each record */
static int evtmon_pre(struct kprobe *p, struct pt_regs *regs)
{
	evtmon_record(regs_get_kernel_argument(regs, em.argidx));
	return 0;
}

/* kretprobe entry: keep the pointer the probed function fills */
static int evtmon_ret_entry(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	*(unsigned long *)ri->data = regs_get_kernel_argument(regs, em.argidx);
	return 0;
}

/* Whether @addr lies in em.caller (or a compiler clone of it, name.suffix). */
static bool evtmon_from_caller(unsigned long addr)
{
	char name[KSYM_SYMBOL_LEN];
	size_t len = strlen(em.caller);

	sprint_symbol_no_offset(name, addr);
	return !strncmp(name, em.caller, len) && (!name[len] || name[len] == '.');
}

/* kretprobe return: a record was taken (0) by the event-queue thread */
static int evtmon_ret(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	if (regs_return_value(regs) == 0 &&
	    evtmon_from_caller(get_kretprobe_retaddr(ri)))
		evtmon_record(*(unsigned long *)ri->data);
	return 0;
}

/* kprobe at the entry of the driver's GERROR handler, before it acknowledges */
static int evtmon_gerror_pre(struct kprobe *p, struct pt_regs *regs)
{
	evtmon_sample_ovf();
	return 0;
}

/* Probe hits the kprobes core could not run a handler for: records lost. */
static u64 evtmon_missed(void)
{
	return em.caller[0] ? em.rp.nmissed + em.rp.kp.nmissed : em.kp.nmissed;
}

static ssize_t events_read(struct file *file, char __user *buf, size_t len,
			   loff_t *ppos)
{
	struct smmu_hil_evt_rec *tmp;
	size_t want = len / sizeof(*tmp), n, i;
	unsigned long flags;
	ssize_t ret;

	if (!want)
		return -EINVAL;
	want = min_t(size_t, want, EVTMON_READ_BATCH);
	tmp = kmalloc_array(want, sizeof(*tmp), GFP_KERNEL);
	if (!tmp)
		return -ENOMEM;

	spin_lock_irqsave(&em.lock, flags);
	n = min_t(size_t, want, em.count);
	for (i = 0; i < n; i++)
		tmp[i] = em.ring[(em.head + i) % ring_size];
	em.head = (em.head + n) % ring_size;
	em.count -= n;
	spin_unlock_irqrestore(&em.lock, flags);

	ret = n * sizeof(*tmp);
	if (copy_to_user(buf, tmp, ret))
		ret = -EFAULT;
	kfree(tmp);
	return ret;
}


/* The counters, sampled under the lock. */
static void evtmon_stats(struct smmu_hil_evt_stats *st)
{
	unsigned long flags;

	memset(st, 0, sizeof(*st));
	st->hdr.version = SMMU_HIL_UAPI_VERSION;
	st->hdr.size = sizeof(*st);
	spin_lock_irqsave(&em.lock, flags);
	evtmon_sample_ovf_locked();
	st->captured = em.captured;
	st->dropped = em.dropped + evtmon_missed();
	st->overflows = em.overflows;
	st->evtq_aborts = em.evtq_aborts;
	st->bad_pointer = em.bad_ptr;
	st->queued = em.count;
	spin_unlock_irqrestore(&em.lock, flags);
	st->ring_size = ring_size;
	st->smmus = em.nr_smmu;
	st->probe_argidx = em.argidx;
	strscpy(st->probe, em.symbol, sizeof(st->probe));
}

static int stats_show(struct seq_file *m, void *v)
{
	struct smmu_hil_evt_stats st;

	evtmon_stats(&st);
	seq_printf(m, "captured %llu\n", st.captured);
	seq_printf(m, "dropped %llu\n", st.dropped);
	seq_printf(m, "overflows %llu\n", st.overflows);
	seq_printf(m, "evtq_aborts %llu\n", st.evtq_aborts);
	seq_printf(m, "gerror_probe %s\n", em.gerr_probed ? SMMU_HIL_GERROR_HANDLER : "-");
	seq_printf(m, "probe %s:%u\n", st.probe, st.probe_argidx);
	seq_printf(m, "ring_size %u\n", st.ring_size);
	seq_printf(m, "queued %u\n", st.queued);
	seq_printf(m, "bad_pointer %llu\n", st.bad_pointer);
	seq_printf(m, "smmus %u\n", st.smmus);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(stats);

static void evtmon_clear(void)
{
	unsigned long flags;

	spin_lock_irqsave(&em.lock, flags);
	/* what the SMMUs signalled before the clear is not counted after it */
	evtmon_sample_ovf_locked();
	em.head = 0;
	em.count = 0;
	em.captured = 0;
	em.dropped = 0;
	em.overflows = 0;
	em.evtq_aborts = 0;
	em.bad_ptr = 0;
	spin_unlock_irqrestore(&em.lock, flags);
}

/* The ID registers of SMMU @i. */
static void evtmon_smmu_info(unsigned int i, struct smmu_hil_smmu_info *o)
{
	void __iomem *p = em.smmu[i].page0;

	memset(o, 0, sizeof(*o));
	strscpy(o->name, dev_name(em.smmu[i].dev), sizeof(o->name));
	o->idr0 = readl_relaxed(p + SMMU_IDR0);
	o->idr1 = readl_relaxed(p + SMMU_IDR1);
	o->idr3 = readl_relaxed(p + SMMU_IDR3);
	o->idr5 = readl_relaxed(p + SMMU_IDR5);
	o->iidr = readl_relaxed(p + SMMU_IIDR);
	o->aidr = readl_relaxed(p + SMMU_AIDR);
}

static int smmu_show(struct seq_file *m, void *v)
{
	struct smmu_hil_smmu_info o;
	unsigned int i;

	evtmon_sample_ovf();
	for (i = 0; i < em.nr_smmu; i++) {
		evtmon_smmu_info(i, &o);
		seq_printf(m, "name=%s IDR0=0x%08x IDR1=0x%08x IDR3=0x%08x IDR5=0x%08x IIDR=0x%08x AIDR=0x%08x\n",
			   o.name, o.idr0, o.idr1, o.idr3, o.idr5, o.iidr, o.aidr);
	}
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(smmu);

/* For people: "<pci bdf> <sid> [<sid>...]" per PCI device with a fwspec. */
static int streams_show(struct seq_file *m, void *v)
{
	struct pci_dev *pdev = NULL;
	struct iommu_fwspec *fw;
	unsigned int i;

	for_each_pci_dev(pdev) {
		fw = dev_iommu_fwspec_get(&pdev->dev);
		if (!fw || !fw->num_ids)
			continue;
		seq_puts(m, pci_name(pdev));
		for (i = 0; i < fw->num_ids; i++)
			seq_printf(m, " %u", fw->ids[i]);
		seq_putc(m, '\n');
	}
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(streams);

/* ------------------------------------------------------------ tables */

/* Process context only: the tables file is read in process context. */
static int evtmon_read_pa(phys_addr_t pa, void *buf, size_t len, bool atomic)
{
	return smmu_hil_memremap_read(pa, buf, len);
}

/* @len bytes at @pa as CPU-order qwords. */
static int evtmon_read_q(phys_addr_t pa, u64 *q, size_t len)
{
	unsigned int i;
	int ret = smmu_hil_memremap_read(pa, q, len);

	for (i = 0; !ret && i < len / 8; i++)
		q[i] = le64_to_cpu(q[i]);
	return ret;
}

/* The SMMU (of em.smmu[]) whose firmware node is @fwnode, or NULL. */
static struct evtmon_smmu *evtmon_smmu_of(struct fwnode_handle *fwnode)
{
	unsigned int i;

	for (i = 0; i < em.nr_smmu; i++)
		if (dev_fwnode(em.smmu[i].dev) == fwnode)
			return &em.smmu[i];
	return NULL;
}

/* Index of @s in em.smmu[], or ~0U for none. */
static u32 evtmon_smmu_index(const struct evtmon_smmu *s)
{
	return s ? s - em.smmu : ~0U;
}

/*
 * Fill @o for StreamID @sid of @pdev (SMMU @s, may be NULL); with @walk,
 * also the live STE and CD 0 (process context).
 */
static void evtmon_stream(struct pci_dev *pdev, u32 sid, struct evtmon_smmu *s,
			  bool walk, struct smmu_hil_stream *o)
{
	phys_addr_t pa, cpa;
	int ret;

	memset(o, 0, sizeof(*o));
	o->bdf.segment = pci_domain_nr(pdev->bus);
	o->bdf.bus = pdev->bus->number;
	o->bdf.devfn = pdev->devfn;
	o->sid = sid;
	o->smmu = evtmon_smmu_index(s);
	if (!walk)
		return;
	if (!s) {
		o->error = -ENODEV;
		o->where = SMMU_HIL_WALK_SMMU;
		return;
	}
	ret = smmu_hil_locate_ste(s->page0, sid, &pa);
	if (!ret)
		ret = evtmon_read_q(pa, o->ste, ENT_BYTES);
	if (ret) {
		o->error = ret;
		o->where = SMMU_HIL_WALK_STE;
		return;
	}
	o->ste_pa = pa;
	o->flags |= SMMU_HIL_STREAM_STE;
	ret = smmu_hil_locate_cd(o->ste[0], &cpa, evtmon_read_pa, false);
	if (!ret)
		ret = evtmon_read_q(cpa, o->cd, ENT_BYTES);
	if (!ret) {
		o->cd_pa = cpa;
		o->flags |= SMMU_HIL_STREAM_CD;
	} else if (ret != -ENOENT) {
		o->error = ret;
		o->where = SMMU_HIL_WALK_CD;
	}
}

/*
 * Call @fn for every StreamID of every PCI device with a fwspec, @walk as
 * for evtmon_stream(); stop when @fn returns non-zero.
 */
typedef int (*evtmon_stream_fn)(const struct smmu_hil_stream *o, void *data);

static int evtmon_walk_streams(bool walk, evtmon_stream_fn fn, void *data)
{
	struct smmu_hil_stream *o = kmalloc(sizeof(*o), GFP_KERNEL);
	struct pci_dev *pdev = NULL;
	struct iommu_fwspec *fw;
	unsigned int i;
	int ret = 0;

	if (!o)
		return -ENOMEM;
	for_each_pci_dev(pdev) {
		fw = dev_iommu_fwspec_get(&pdev->dev);
		if (!fw || !fw->num_ids)
			continue;
		for (i = 0; i < fw->num_ids && !ret; i++) {
			evtmon_stream(pdev, fw->ids[i], evtmon_smmu_of(fw->iommu_fwnode),
				      walk, o);
			ret = fn(o, data);
		}
		if (ret) {
			pci_dev_put(pdev);
			break;
		}
	}
	kfree(o);
	return ret;
}

static void evtmon_print_entry(struct seq_file *m, const char *what, u64 pa,
			       const u64 *q)
{
	unsigned int i;

	seq_printf(m, " %s 0x%llx ", what, pa);
	for (i = 0; i < ENT_QWORDS; i++)
		seq_printf(m, "%s0x%016llx", i ? "," : "", q[i]);
}

static int tables_line(const struct smmu_hil_stream *o, void *data)
{
	static const char * const where[] = { "-", "smmu", "ste", "cd" };
	struct seq_file *m = data;

	seq_printf(m, "%04x:%02x:%02x.%x %u %s", o->bdf.segment, o->bdf.bus,
		   PCI_SLOT(o->bdf.devfn), PCI_FUNC(o->bdf.devfn), o->sid,
		   o->smmu < em.nr_smmu ? dev_name(em.smmu[o->smmu].dev) : "-");
	if (o->flags & SMMU_HIL_STREAM_STE)
		evtmon_print_entry(m, "ste", o->ste_pa, o->ste);
	if (o->flags & SMMU_HIL_STREAM_CD)
		evtmon_print_entry(m, "cd", o->cd_pa, o->cd);
	if (o->error && o->where < ARRAY_SIZE(where))
		seq_printf(m, " error %d %s", o->error, where[o->where]);
	seq_putc(m, '\n');
	return 0;
}

/*
 * For people: one line per StreamID of each PCI device with a fwspec,
 *   <bdf> <sid> <smmu> ste <pa> <q0,...,q7> [cd <pa> <q0,...,q7>]
 * or, when the walk stops, <bdf> <sid> <smmu|-> [ste ...] error <-errno> <where>.
 */
static int tables_show(struct seq_file *m, void *v)
{
	return evtmon_walk_streams(true, tables_line, m);
}
DEFINE_SHOW_ATTRIBUTE(tables);

struct evtmon_copy {
	struct smmu_hil_stream __user *to;
	u32 max, count;
};

static int evtmon_copy_stream(const struct smmu_hil_stream *o, void *data)
{
	struct evtmon_copy *c = data;

	if (c->count < c->max && copy_to_user(c->to + c->count, o, sizeof(*o)))
		return -EFAULT;
	c->count++;
	return 0;
}

/* Check a control struct's header: exact size, version, no flags. */
static int evtmon_hdr_ok(const struct smmu_hil_hdr *h, size_t size)
{
	return h->version == SMMU_HIL_UAPI_VERSION && h->size == size && !h->flags;
}

static long evtmon_ioctl_streams(void __user *uarg, bool walk)
{
	struct smmu_hil_evt_streams a;
	struct evtmon_copy c;
	int ret;

	if (copy_from_user(&a, uarg, sizeof(a)))
		return -EFAULT;
	if (!evtmon_hdr_ok(&a.hdr, sizeof(a)) || a.count || !a.max ||
	    a.max > SMMU_HIL_MAX_STREAMS || !a.streams)
		return -EINVAL;
	c.to = u64_to_user_ptr(a.streams);
	c.max = a.max;
	c.count = 0;
	ret = evtmon_walk_streams(walk, evtmon_copy_stream, &c);
	if (ret)
		return ret;
	a.count = c.count;
	return copy_to_user(uarg, &a, sizeof(a)) ? -EFAULT : 0;
}

/* ------------------------------------------------------------- hold */

/* Caller holds em.hold_lock: enable every interrupt EVT_HOLD disabled. */
static void evtmon_unhold_locked(void)
{
	unsigned int i;

	for (i = 0; i < em.nr_smmu; i++) {
		if (em.smmu[i].held) {
			enable_irq(em.smmu[i].evtq_irq);
			em.smmu[i].held = false;
		}
	}
}

/* Delayed work: end the hold at em.hold_until (a later hold moved it on). */
static void evtmon_hold_expire(struct work_struct *work)
{
	mutex_lock(&em.hold_lock);
	if (time_before(jiffies, em.hold_until))
		schedule_delayed_work(&em.hold_work, em.hold_until - jiffies);
	else
		evtmon_unhold_locked();
	mutex_unlock(&em.hold_lock);
}

/*
 * EVT_HOLD: @ms 0 enables the held interrupts now; else disable the
 * event-queue interrupt of every SMMU that has one (disable_irq() waits for
 * a running event thread to return) until @ms from now, or until a hold
 * already on ends if that is later. Sets @held to the interrupts held.
 * Process context. Returns 0, -EPERM (evtq_hold_max_ms is 0), -EINVAL
 * (@ms above it) or -ENODEV (no SMMU with an event-queue interrupt).
 */
static int evtmon_hold(u32 ms, u32 *held)
{
	unsigned long until = jiffies + msecs_to_jiffies(ms);
	unsigned int i, n = 0;
	bool was_held = false;
	int ret = 0;

	if (!evtq_hold_max_ms)
		return -EPERM;
	if (ms > evtq_hold_max_ms)
		return -EINVAL;
	mutex_lock(&em.hold_lock);
	if (!ms) {
		em.hold_until = jiffies;
		cancel_delayed_work(&em.hold_work);
		evtmon_unhold_locked();
	} else {
		for (i = 0; i < em.nr_smmu; i++) {
			struct evtmon_smmu *s = &em.smmu[i];

			was_held |= s->held;
			if (s->evtq_irq && !s->held) {
				disable_irq(s->evtq_irq);
				s->held = true;
			}
		}
		if (!was_held || time_after(until, em.hold_until))
			em.hold_until = until;
		schedule_delayed_work(&em.hold_work, em.hold_until - jiffies);
	}
	for (i = 0; i < em.nr_smmu; i++)
		n += em.smmu[i].held;
	if (ms && !n)
		ret = -ENODEV;
	mutex_unlock(&em.hold_lock);
	*held = n;
	return ret;
}

static long evtmon_ioctl_hold(void __user *uarg)
{
	struct smmu_hil_evt_hold h;
	int ret;

	if (copy_from_user(&h, uarg, sizeof(h)))
		return -EFAULT;
	if (!evtmon_hdr_ok(&h.hdr, sizeof(h)) || h.held)
		return -EINVAL;
	ret = evtmon_hold(h.ms, &h.held);
	if (ret)
		return ret;
	return copy_to_user(uarg, &h, sizeof(h)) ? -EFAULT : 0;
}

static long events_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	void __user *uarg = (void __user *)arg;
	union {
		struct smmu_hil_hdr h;
		struct smmu_hil_evt_stats st;
		struct smmu_hil_evt_smmus sm;
	} *u;
	long ret = 0;
	unsigned int i;

	switch (cmd) {
	case SMMU_HIL_IOC_EVT_STREAMS:
		return evtmon_ioctl_streams(uarg, false);
	case SMMU_HIL_IOC_EVT_TABLES:
		return evtmon_ioctl_streams(uarg, true);
	case SMMU_HIL_IOC_EVT_HOLD:
		return evtmon_ioctl_hold(uarg);
	case SMMU_HIL_IOC_EVT_STATS:
	case SMMU_HIL_IOC_EVT_CLEAR:
	case SMMU_HIL_IOC_EVT_SMMUS:
		break;
	default:
		return -ENOTTY;
	}
	u = kzalloc(sizeof(*u), GFP_KERNEL);
	if (!u)
		return -ENOMEM;
	if (copy_from_user(u, uarg, _IOC_SIZE(cmd))) {
		ret = -EFAULT;
		goto out;
	}
	if (!evtmon_hdr_ok(&u->h, _IOC_SIZE(cmd))) {
		ret = -EINVAL;
		goto out;
	}
	switch (cmd) {
	case SMMU_HIL_IOC_EVT_CLEAR:
		evtmon_clear();
		goto out;
	case SMMU_HIL_IOC_EVT_STATS:
		evtmon_stats(&u->st);
		break;
	case SMMU_HIL_IOC_EVT_SMMUS:
		if (u->sm.count || u->sm.reserved) {
			ret = -EINVAL;
			goto out;
		}
		memset(u->sm.smmu, 0, sizeof(u->sm.smmu));
		evtmon_sample_ovf();
		for (i = 0; i < em.nr_smmu; i++)
			evtmon_smmu_info(i, &u->sm.smmu[i]);
		u->sm.count = em.nr_smmu;
		break;
	}
	if (copy_to_user(uarg, u, _IOC_SIZE(cmd)))
		ret = -EFAULT;
out:
	kfree(u);
	return ret;
}

static const struct file_operations events_fops = {
	.owner = THIS_MODULE,
	.open = nonseekable_open,
	.read = events_read,
	.unlocked_ioctl = events_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = SMMU_HIL_NO_LLSEEK,
};

/*
 * The interrupt arm-smmu-v3 takes event-queue records on for @pdev: its
 * event-queue MSI, else its wired "eventq" interrupt; 0 when neither has a
 * handler (a "combined" interrupt, or the driver requested none).
 */
static int evtmon_evtq_irq(struct platform_device *pdev)
{
	int irq = msi_get_virq(&pdev->dev, SMMU_HIL_EVTQ_MSI_INDEX);

	if (irq <= 0)
		irq = platform_get_irq_byname_optional(pdev, "eventq");
	return irq > 0 && irq_has_action(irq) ? irq : 0;
}

/* bus_for_each_dev() callback: remember every device bound to arm-smmu-v3. */
static int evtmon_add_smmu(struct device *dev, void *data)
{
	struct platform_device *pdev = to_platform_device(dev);
	struct evtmon_smmu *s;
	struct resource *res;

	if (!dev->driver || strcmp(dev->driver->name, "arm-smmu-v3"))
		return 0;
	if (em.nr_smmu == EVTMON_MAX_SMMUS) {
		pr_warn("more than %d SMMUs, ignoring %s\n", EVTMON_MAX_SMMUS,
			dev_name(dev));
		return 0;
	}
	res = platform_get_resource(pdev, IORESOURCE_MEM, 0);
	if (!res || resource_size(res) < PAGE_SIZE) {
		pr_warn("%s: no usable MMIO resource\n", dev_name(dev));
		return 0;
	}
	s = &em.smmu[em.nr_smmu];
	/* The driver owns the region: map it without requesting it. */
	s->page0 = ioremap(res->start, PAGE_SIZE);
	if (!s->page0)
		return 0;
	/* A 64K-only region means the page 0 aliases of the queue pointers */
	if (resource_size(res) >= SMMU_PAGE1 + PAGE_SIZE)
		s->page1 = ioremap(res->start + SMMU_PAGE1, PAGE_SIZE);
	else
		s->page1 = s->page0;
	if (!s->page1) {
		iounmap(s->page0);
		return 0;
	}
	s->dev = get_device(dev);
	s->ovflg = readl_relaxed(s->page1 + SMMU_EVTQ_PROD) & SMMU_EVTQ_OVF;
	s->abt = readl_relaxed(s->page0 + SMMU_GERROR) & SMMU_GERROR_EVTQ_ABT;
	s->evtq_irq = evtmon_evtq_irq(pdev);
	s->held = false;
	em.nr_smmu++;
	return 0;
}

static void evtmon_put_smmus(void)
{
	while (em.nr_smmu) {
		struct evtmon_smmu *s = &em.smmu[--em.nr_smmu];

		if (s->page1 != s->page0)
			iounmap(s->page1);
		iounmap(s->page0);
		put_device(s->dev);
	}
}

/*
 * Probe @symbol: a kprobe reading argument @argidx at entry, or with
 * @caller a kretprobe reading it on a 0 return from a call by @caller.
 */
static int evtmon_try(const char *symbol, unsigned int argidx, const char *caller)
{
	int ret;

	memset(&em.kp, 0, sizeof(em.kp));
	memset(&em.rp, 0, sizeof(em.rp));
	strscpy(em.symbol, symbol, sizeof(em.symbol));
	strscpy(em.caller, caller ? caller : "", sizeof(em.caller));
	em.argidx = argidx;
	if (caller) {
		/* a caller the compiler inlined would never match: no records */
		struct kprobe at_caller = { .symbol_name = caller };

		ret = register_kprobe(&at_caller);
		if (ret) {
			pr_info("probe %s:%u: caller %s not in kallsyms (%d)\n",
				symbol, argidx, caller, ret);
			return ret;
		}
		unregister_kprobe(&at_caller);
		em.rp.kp.symbol_name = em.symbol;
		em.rp.entry_handler = evtmon_ret_entry;
		em.rp.handler = evtmon_ret;
		em.rp.data_size = sizeof(unsigned long);
		/* the event and PRI queue threads of every SMMU at once */
		em.rp.maxactive = 2 * EVTMON_MAX_SMMUS;
		ret = register_kretprobe(&em.rp);
	} else {
		em.kp.symbol_name = em.symbol;
		em.kp.pre_handler = evtmon_pre;
		ret = register_kprobe(&em.kp);
	}
	if (ret)
		pr_info("probe %s:%u%s%s not usable (%d)\n", symbol, argidx,
			caller ? " returning to " : "", caller ? caller : "", ret);
	return ret;
}

static void evtmon_unregister(void)
{
	if (em.caller[0])
		unregister_kretprobe(&em.rp);
	else
		unregister_kprobe(&em.kp);
}

/*
 * Sample at the entry of the driver's GERROR handler: it acknowledges an
 * EVENTQ_ABT_ERR before the SMMU can raise the next. Optional: without
 * it the aborts are sampled with records and counter reads only.
 */
static void evtmon_register_gerror(void)
{
	int ret;

	memset(&em.gerr_kp, 0, sizeof(em.gerr_kp));
	em.gerr_kp.symbol_name = SMMU_HIL_GERROR_HANDLER;
	em.gerr_kp.pre_handler = evtmon_gerror_pre;
	ret = register_kprobe(&em.gerr_kp);
	em.gerr_probed = !ret;
	if (ret)
		pr_info("%s not probed (%d): EVENTQ_ABT_ERR sampled with records and counter reads only\n",
			SMMU_HIL_GERROR_HANDLER, ret);
}

/* Register the kprobe: the module parameter, else the version table. */
static int evtmon_register(void)
{
	unsigned int argidx, ver = smmu_hil_kernel_version();
	const struct smmu_hil_evt_probe *probes;
	size_t i, n;
	char *colon;
	int ret;

	if (probe && *probe) {
		colon = strrchr(probe, ':');
		if (!colon || colon == probe || colon - probe >= KSYM_NAME_LEN ||
		    kstrtouint(colon + 1, 10, &argidx) || argidx > 7) {
			pr_err("probe=%s: expected SYMBOL:ARGIDX with ARGIDX 0..7\n",
			       probe);
			return -EINVAL;
		}
		*colon = '\0';
		ret = evtmon_try(probe, argidx, NULL);
		*colon = ':';
		if (ret)
			pr_err("cannot probe %s (%d)\n", probe, ret);
		return ret;
	}
	probes = smmu_hil_evt_probes(&n);
	for (i = 0; i < n; i++) {
		const struct smmu_hil_evt_probe *e = &probes[i];

		if (ver < e->since || ver >= e->until)
			continue;
		if (!evtmon_try(e->symbol, e->argidx, e->caller))
			return 0;
	}
	pr_err("no SMMUv3 event probe point fits kernel %s: add one to smmu_hil_evt_probes() (smmu_hil_compat.h) or load with probe=SYMBOL:ARGIDX\n",
	       init_utsname()->release);
	return -ENOENT;
}

static int __init evtmon_init(void)
{
	int ret;

	ret = smmu_hil_arch_check("capturing SMMUv3 event records");
	if (ret)
		return ret;
	if (ring_size < EVTMON_RING_MIN || ring_size > EVTMON_RING_MAX) {
		pr_err("ring_size=%u out of range %u..%lu\n", ring_size,
		       EVTMON_RING_MIN, EVTMON_RING_MAX);
		return -EINVAL;
	}
	if (evtq_hold_max_ms > EVTMON_HOLD_MAX_MS) {
		pr_err("evtq_hold_max_ms=%u out of range 0..%u\n", evtq_hold_max_ms,
		       EVTMON_HOLD_MAX_MS);
		return -EINVAL;
	}
	mutex_init(&em.hold_lock);
	INIT_DELAYED_WORK(&em.hold_work, evtmon_hold_expire);
	em.ring = kvcalloc(ring_size, sizeof(*em.ring), GFP_KERNEL);
	if (!em.ring)
		return -ENOMEM;

	bus_for_each_dev(&platform_bus_type, NULL, NULL, evtmon_add_smmu);
	if (!em.nr_smmu)
		pr_warn("no arm-smmu-v3 device bound: no ID registers, no overflow tracking\n");

	ret = evtmon_register();
	if (ret)
		goto err_smmu;
	if (em.nr_smmu)
		evtmon_register_gerror();

	em.dir = smmu_hil_dir_get(SMMU_HIL_DEBUGFS_DIR, NULL);
	if (IS_ERR(em.dir)) {
		ret = PTR_ERR(em.dir);
		goto err_kprobe;
	}
	debugfs_create_file("events", 0400, em.dir, NULL, &events_fops);
	debugfs_create_file("stats", 0444, em.dir, NULL, &stats_fops);
	debugfs_create_file("smmu", 0444, em.dir, NULL, &smmu_fops);
	debugfs_create_file("streams", 0444, em.dir, NULL, &streams_fops);
	debugfs_create_file("tables", 0400, em.dir, NULL, &tables_fops);
	pr_info("probing %s:%u%s%s, ring of %u records, %u SMMU(s)%s\n", em.symbol,
		em.argidx, em.caller[0] ? " on return to " : "", em.caller,
		ring_size, em.nr_smmu,
		evtq_hold_max_ms ? ", EVT_HOLD allowed (test only)" : "");
	return 0;

err_kprobe:
	if (em.gerr_probed)
		unregister_kprobe(&em.gerr_kp);
	evtmon_unregister();
err_smmu:
	evtmon_put_smmus();
	kvfree(em.ring);
	return ret;
}

static void __exit evtmon_exit(void)
{
	static const char * const files[] = {
		"events", "stats", "smmu", "streams", "tables",
	};
	unsigned int i;

	/* Elsewhere init refused (smmu_hil_compat.h): nothing to undo. */
	if (!smmu_hil_arch_ok())
		return;
	/* a hold never outlives the module: the interrupts go back on first */
	cancel_delayed_work_sync(&em.hold_work);
	mutex_lock(&em.hold_lock);
	evtmon_unhold_locked();
	mutex_unlock(&em.hold_lock);
	if (em.gerr_probed)
		unregister_kprobe(&em.gerr_kp);
	evtmon_unregister();
	for (i = 0; i < ARRAY_SIZE(files); i++)
		debugfs_lookup_and_remove(files[i], em.dir);
	smmu_hil_dir_put(em.dir);
	evtmon_put_smmus();
	kvfree(em.ring);
}

module_init(evtmon_init);
module_exit(evtmon_exit);
MODULE_DESCRIPTION("smmu-hil: capture SMMUv3 event records via a kprobe");
MODULE_LICENSE("GPL");
