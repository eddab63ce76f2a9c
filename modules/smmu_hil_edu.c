// SPDX-License-Identifier: GPL-2.0
/*
 * smmu_hil_edu - DMA generator for QEMU's "edu" PCI device (1234:11e8).
 *
 * The device copies up to 4 KiB between host memory (through the SMMU) and
 * an internal buffer at device address 0x40000. This driver runs those
 * copies through whatever IOMMU domain the device is in:
 *   - its default domain (DMA or identity), through the DMA API;
 *   - a paging domain the module owns, through iommu_map()/iommu_unmap() at
 *     IOVAs the module chooses.
 * It also points DMA at IOVAs that are not mapped, to make the SMMU record
 * F_TRANSLATION events, and moves the device between its default domain
 * and the module's paging domain through iommu_attach_device() and
 * iommu_detach_device(), and where the kernel has one into its blocked
 * domain (claiming the group's DMA ownership), so the driver rewrites the
 * device's STE.
 *
 * debugfs, /sys/kernel/debug/smmu-hil/edu/<bdf>/:
 *   ctl     ioctl SMMU_HIL_IOC_EDU_CMD (include/uapi/smmu_hil.h): one
 *           struct smmu_hil_edu_cmd in, its result out:
 *             ROUNDTRIP LEN COUNT   LEN 1..4095, COUNT 1..10000
 *             FAULT COUNT [LEN]     COUNT 1..4096, LEN 4..4095 (default 4)
 *             DOMAIN paging|default|blocked
 *             LOOP_START LEN        round trips of LEN bytes in a kthread,
 *                                   back to back, until LOOP_STOP
 *             LOOP_STOP             stop it; result: transfers, errors, ...
 *             QUERY                 the domain only
 *           anything else fails with -EINVAL and does nothing
 *   domain  read (text, for people): the domain the device is in now
 *
 * Register layout of the DMA engine (QEMU hw/misc/edu.c): source 0x80,
 * destination 0x88, count 0x90, command 0x98 (bit 0 start/busy, bit 1
 * direction: 1 = device buffer to host memory, bit 2 interrupt). QEMU runs a
 * copy 100 ms (virtual time) after it is started.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/dma-mapping.h>
#include <linux/io.h>
#include <linux/iommu.h>
#include <linux/jiffies.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "include/uapi/smmu_hil.h"
#include "smmu_hil_compat.h"
#include "smmu_hil_debugfs.h"

#define EDU_VENDOR		0x1234
#define EDU_DEVICE		0x11e8

#define EDU_REG_ID		0x00
#define EDU_REG_DMA_SRC		0x80
#define EDU_REG_DMA_DST		0x88
#define EDU_REG_DMA_CNT		0x90
#define EDU_REG_DMA_CMD		0x98
#define EDU_CMD_START		BIT(0)
#define EDU_CMD_TO_HOST		BIT(1)

#define EDU_BUF_ADDR		0x40000	/* device-side buffer */
/*
 * The buffer holds 4096 bytes, but QEMU up to 7.2 rejects a copy that ends
 * exactly at the end of the buffer and then stops the whole VM (hw_error):
 * never let a copy reach the last byte.
 */
#define EDU_MAX_LEN		SMMU_HIL_EDU_MAX_LEN

#define EDU_MAX_COUNT		SMMU_HIL_EDU_MAX_COUNT
#define EDU_MAX_FAULTS		SMMU_HIL_EDU_MAX_FAULTS
#define EDU_FAULT_LEN		4	/* one access, one event record */

/*
 * IOVA layout of the module's paging domain, also used for faults in the
 * default DMA domain (checked unmapped before each use). All of it lies below
 * 28 bits (edu's default address width) and below the 0x8000000 MSI window
 * the arm-smmu-v3 driver reserves.
 */
#define EDU_IOVA_SRC		0x100000UL
#define EDU_IOVA_DST		0x200000UL
#define EDU_IOVA_FAULT		0x2000000UL
#define EDU_FAULT_STRIDE	PAGE_SIZE

/*
 * Both parameters are writable at run time: a value out of range is refused
 * when written (-EINVAL), at load and through sysfs alike, not found at the
 * next probe.
 */
static int edu_set_dma_bits(const char *val, const struct kernel_param *kp)
{
	return param_set_uint_minmax(val, kp, 28, 64);
}

static const struct kernel_param_ops edu_dma_bits_ops = {
	.set = edu_set_dma_bits,
	.get = param_get_uint,
};

static int edu_set_timeout_ms(const char *val, const struct kernel_param *kp)
{
	return param_set_uint_minmax(val, kp, 10, 60000);
}

static const struct kernel_param_ops edu_timeout_ms_ops = {
	.set = edu_set_timeout_ms,
	.get = param_get_uint,
};

static unsigned int dma_bits = 28;
module_param_cb(dma_bits, &edu_dma_bits_ops, &dma_bits, 0644);
MODULE_PARM_DESC(dma_bits,
		 "DMA address width of the device, applied at probe (28..64; QEMU edu default 28, raise with -device edu,dma_mask=)");

static unsigned int timeout_ms = 2000;
module_param_cb(timeout_ms, &edu_timeout_ms_ops, &timeout_ms, 0644);
MODULE_PARM_DESC(timeout_ms, "wait for one DMA copy at most this long (10..60000)");

struct edu_dev {
	struct pci_dev *pdev;
	void __iomem *mmio;
	struct mutex lock;		/* one command at a time; all below */
	struct iommu_domain *paging;	/* module domain, attached if set */
	bool owned;			/* DMA ownership claimed: blocked domain */
	struct page *page[2];		/* source and destination buffers */
	struct dentry *dir;
	u32 pattern_seq;
	/* background loop; loop_task under loop_lock, counters under lock */
	struct mutex loop_lock;
	struct task_struct *loop_task;
	unsigned int loop_len;
	u64 loop_transfers, loop_errors, loop_start_ns;
	int loop_last;
};

static struct dentry *edu_root;		/* .../smmu-hil/edu */
static struct dentry *edu_top;		/* .../smmu-hil */

/* Run one copy and wait for the engine to go idle. */
static int edu_copy(struct edu_dev *ed, u64 src, u64 dst, u32 cnt, bool to_host)
{
	unsigned long deadline;
	u32 cmd = EDU_CMD_START | (to_host ? EDU_CMD_TO_HOST : 0);

	if (readq(ed->mmio + EDU_REG_DMA_CMD) & EDU_CMD_START)
		return -EBUSY;
	writeq(src, ed->mmio + EDU_REG_DMA_SRC);
	writeq(dst, ed->mmio + EDU_REG_DMA_DST);
	writeq(cnt, ed->mmio + EDU_REG_DMA_CNT);
	writel(cmd, ed->mmio + EDU_REG_DMA_CMD);

	deadline = jiffies + msecs_to_jiffies(clamp(timeout_ms, 10U, 60000U));
	while (readl(ed->mmio + EDU_REG_DMA_CMD) & EDU_CMD_START) {
		if (time_after(jiffies, deadline))
			return -ETIMEDOUT;
		usleep_range(1000, 2000);
	}
	return 0;
}

/* The domain the device is in, as SMMU_HIL_DOM_*. */
static u32 edu_domain_type(struct edu_dev *ed)
{
	struct iommu_domain *d = iommu_get_domain_for_dev(&ed->pdev->dev);

	if (!d)
		return SMMU_HIL_DOM_NONE;
	if (ed->paging && d == ed->paging)
		return SMMU_HIL_DOM_PAGING;
	switch (d->type) {
	case IOMMU_DOMAIN_IDENTITY:
		return SMMU_HIL_DOM_IDENTITY;
	case IOMMU_DOMAIN_DMA:
		return SMMU_HIL_DOM_DMA;
	case IOMMU_DOMAIN_DMA_FQ:
		return SMMU_HIL_DOM_DMA_FQ;
	case IOMMU_DOMAIN_BLOCKED:
		return SMMU_HIL_DOM_BLOCKED;
	case IOMMU_DOMAIN_UNMANAGED:
		return SMMU_HIL_DOM_UNMANAGED;
	default:
		return SMMU_HIL_DOM_UNKNOWN;
	}
}

static const char *edu_domain_name(struct edu_dev *ed)
{
	static const char * const names[] = SMMU_HIL_DOM_NAMES;

	return names[edu_domain_type(ed)];
}

static void edu_fill(u8 *p, size_t len, u32 seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = (u8)((seed * 2654435761U + i * 40503U) >> 13) ^ (u8)i;
}

/* Map both buffers for one iteration; return their device addresses. */
static int edu_map(struct edu_dev *ed, size_t len, dma_addr_t *src,
		   dma_addr_t *dst)
{
	struct device *dev = &ed->pdev->dev;
	int prot = IOMMU_READ | IOMMU_WRITE | IOMMU_CACHE;
	int ret;

	if (ed->paging) {
		ret = smmu_hil_iommu_map(ed->paging, EDU_IOVA_SRC,
					 page_to_phys(ed->page[0]), PAGE_SIZE, prot);
		if (ret)
			return ret;
		ret = smmu_hil_iommu_map(ed->paging, EDU_IOVA_DST,
					 page_to_phys(ed->page[1]), PAGE_SIZE, prot);
		if (ret) {
			iommu_unmap(ed->paging, EDU_IOVA_SRC, PAGE_SIZE);
			return ret;
		}
		*src = EDU_IOVA_SRC;
		*dst = EDU_IOVA_DST;
		return 0;
	}
	*src = dma_map_page(dev, ed->page[0], 0, len, DMA_TO_DEVICE);
	if (dma_mapping_error(dev, *src))
		return -EIO;
	*dst = dma_map_page(dev, ed->page[1], 0, len, DMA_FROM_DEVICE);
	if (dma_mapping_error(dev, *dst)) {
		dma_unmap_page(dev, *src, len, DMA_TO_DEVICE);
		return -EIO;
	}
	return 0;
}

static void edu_unmap(struct edu_dev *ed, size_t len, dma_addr_t src,
		      dma_addr_t dst)
{
	struct device *dev = &ed->pdev->dev;

	if (ed->paging) {
		iommu_unmap(ed->paging, EDU_IOVA_SRC, PAGE_SIZE);
		iommu_unmap(ed->paging, EDU_IOVA_DST, PAGE_SIZE);
		return;
	}
	dma_unmap_page(dev, src, len, DMA_TO_DEVICE);
	dma_unmap_page(dev, dst, len, DMA_FROM_DEVICE);
}

/* One iteration: pattern to the device buffer and back, then compare. */
static int edu_roundtrip_one(struct edu_dev *ed, size_t len)
{
	u8 *a = page_address(ed->page[0]), *b = page_address(ed->page[1]);
	dma_addr_t src, dst;
	int ret;

	edu_fill(a, len, ++ed->pattern_seq);
	memset(b, 0, len);
	b[0] = ~a[0];	/* a copy that does not happen cannot pass */

	ret = edu_map(ed, len, &src, &dst);
	if (ret)
		return ret;
	ret = edu_copy(ed, src, EDU_BUF_ADDR, len, false);
	if (!ret)
		ret = edu_copy(ed, EDU_BUF_ADDR, dst, len, true);
	edu_unmap(ed, len, src, dst);
	if (ret)
		return ret;
	return memcmp(a, b, len) ? -EILSEQ : 0;
}

static int edu_cmd_roundtrip(struct edu_dev *ed, struct smmu_hil_edu_cmd *c)
{
	unsigned int len = c->len, count = c->count;
	unsigned int i, transfers = 0, errors = 0;
	int ret, last = 0;

	for (i = 0; i < count; i++) {
		if (fatal_signal_pending(current)) {
			last = -EINTR;
			break;
		}
		ret = edu_roundtrip_one(ed, len);
		if (ret) {
			errors++;
			last = ret;
			if (ret == -ETIMEDOUT || ret == -EBUSY)
				break;	/* the engine is stuck: stop */
		} else {
			transfers++;
		}
	}
	c->transfers = transfers;
	c->errors = errors;
	c->bytes = (u64)transfers * len;
	c->last_error = last;
	return 0;
}

/*
 * @c->count copies from unmapped IOVAs, one page apart, of @c->len bytes
 * each (0: EDU_FAULT_LEN, one access). The checked length stays below
 * PAGE_SIZE, so each copy reads within its own unmapped page.
 */
static int edu_cmd_fault(struct edu_dev *ed, struct smmu_hil_edu_cmd *c)
{
	unsigned int count = c->count, len = c->len ? c->len : EDU_FAULT_LEN;
	struct iommu_domain *d = iommu_get_domain_for_dev(&ed->pdev->dev);
	unsigned long iova;
	unsigned int i, injected = 0;
	int ret = 0;

	/* Only a translating domain can fault; identity passes everything. */
	if (!d || !(d->type & __IOMMU_DOMAIN_PAGING))
		return -EOPNOTSUPP;
	for (i = 0; i < count; i++) {
		iova = EDU_IOVA_FAULT + i * EDU_FAULT_STRIDE;
		if (iommu_iova_to_phys(d, iova))
			return -EBUSY;
	}
	for (i = 0; i < count; i++) {
		if (fatal_signal_pending(current)) {
			ret = -EINTR;
			break;
		}
		iova = EDU_IOVA_FAULT + i * EDU_FAULT_STRIDE;
		ret = edu_copy(ed, iova, EDU_BUF_ADDR, len, false);
		if (ret)
			break;
		injected++;
	}
	c->transfers = injected;
	c->iova_base = EDU_IOVA_FAULT;
	c->stride = EDU_FAULT_STRIDE;
	c->last_error = ret;
	return 0;
}

/* Leave the module's paging domain: to the blocked domain if owned, else the default. */
static void edu_detach(struct edu_dev *ed)
{
	if (!ed->paging)
		return;
	iommu_detach_device(ed->paging, &ed->pdev->dev);
	iommu_domain_free(ed->paging);
	ed->paging = NULL;
}

/* Give the DMA ownership back: the group returns to its default domain. */
static void edu_release(struct edu_dev *ed)
{
#if SMMU_HIL_HAS_BLOCKED_DOMAIN
	if (!ed->owned)
		return;
	iommu_device_release_dma_owner(&ed->pdev->dev);
	ed->owned = false;
#endif
}

/*
 * Into the kernel's blocked domain: claim the DMA ownership of the device's
 * group (the IOMMU core attaches the group's blocking domain); from the
 * paging domain while owned, detaching is enough. A blocking domain that
 * is not IOMMU_DOMAIN_BLOCKED (a driver without one gets an empty paging
 * domain) is refused: -EOPNOTSUPP, back where it was.
 */
static int edu_block(struct edu_dev *ed)
{
#if SMMU_HIL_HAS_BLOCKED_DOMAIN
	struct iommu_domain *d;
	int ret;

	if (!ed->owned) {
		edu_detach(ed);
		ret = iommu_device_claim_dma_owner(&ed->pdev->dev, ed);
		if (ret)
			return ret;
		ed->owned = true;
	}
	edu_detach(ed);
	d = iommu_get_domain_for_dev(&ed->pdev->dev);
	if (!d || d->type != IOMMU_DOMAIN_BLOCKED) {
		edu_release(ed);
		return -EOPNOTSUPP;
	}
	return 0;
#else
	return -EOPNOTSUPP;
#endif
}

static int edu_cmd_domain(struct edu_dev *ed, u32 target)
{
	struct iommu_domain *d;
	bool paging = target == SMMU_HIL_EDU_DOM_PAGING;
	int ret;

	if (target == SMMU_HIL_EDU_DOM_BLOCKED)
		return edu_block(ed);
	if (paging && !ed->paging) {
		d = smmu_hil_paging_domain_alloc(&ed->pdev->dev);
		if (IS_ERR(d))
			return PTR_ERR(d);
		ret = iommu_attach_device(d, &ed->pdev->dev);
		if (ret) {
			iommu_domain_free(d);
			return ret;
		}
		ed->paging = d;
	} else if (!paging) {
		edu_detach(ed);
		edu_release(ed);
	}
	return 0;
}

/* Round trips back to back, the lock dropped between two. */
static int edu_loop_fn(void *data)
{
	struct edu_dev *ed = data;
	int ret;

	while (!kthread_should_stop()) {
		mutex_lock(&ed->lock);
		ret = edu_roundtrip_one(ed, ed->loop_len);
		if (ret) {
			ed->loop_errors++;
			ed->loop_last = ret;
		} else {
			ed->loop_transfers++;
		}
		mutex_unlock(&ed->lock);
		if (ret == -ETIMEDOUT || ret == -EBUSY)
			usleep_range(10000, 20000);	/* let a stuck engine settle */
		cond_resched();
	}
	return 0;
}

static int edu_loop_start(struct edu_dev *ed, unsigned int len)
{
	struct task_struct *t;

	mutex_lock(&ed->loop_lock);
	if (ed->loop_task) {
		mutex_unlock(&ed->loop_lock);
		return -EBUSY;
	}
	mutex_lock(&ed->lock);
	ed->loop_len = len;
	ed->loop_transfers = 0;
	ed->loop_errors = 0;
	ed->loop_last = 0;
	ed->loop_start_ns = ktime_get_ns();
	mutex_unlock(&ed->lock);
	t = kthread_run(edu_loop_fn, ed, "edu-loop/%s", pci_name(ed->pdev));
	if (IS_ERR(t)) {
		mutex_unlock(&ed->loop_lock);
		return PTR_ERR(t);
	}
	ed->loop_task = t;
	mutex_unlock(&ed->loop_lock);
	return 0;
}

/* Stop the loop (if any) and put its counts into the result. */
static int edu_loop_stop(struct edu_dev *ed, struct smmu_hil_edu_cmd *c)
{
	struct task_struct *t;

	mutex_lock(&ed->loop_lock);
	t = ed->loop_task;
	ed->loop_task = NULL;
	mutex_unlock(&ed->loop_lock);
	if (!t)
		return -ENOENT;
	kthread_stop(t);
	mutex_lock(&ed->lock);
	if (c) {
		c->transfers = ed->loop_transfers;
		c->errors = ed->loop_errors;
		c->bytes = ed->loop_transfers * ed->loop_len;
		c->len = ed->loop_len;
		c->duration_ns = ktime_get_ns() - ed->loop_start_ns;
		c->last_error = ed->loop_last;
	}
	mutex_unlock(&ed->lock);
	return 0;
}

/*
 * Check a command before anything is done: header, a known command, its
 * arguments in range, every argument it does not take zero, no output
 * field set.
 */
static int edu_check_cmd(const struct smmu_hil_edu_cmd *c)
{
	unsigned int max_len = min_t(unsigned int, EDU_MAX_LEN, PAGE_SIZE);

	if (c->hdr.version != SMMU_HIL_UAPI_VERSION || c->hdr.size != sizeof(*c) ||
	    c->hdr.flags || c->domain || c->last_error || c->transfers || c->errors ||
	    c->bytes || c->iova_base || c->stride || c->duration_ns ||
	    c->reserved[0] || c->reserved[1])
		return -EINVAL;
	switch (c->cmd) {
	case SMMU_HIL_EDU_ROUNDTRIP:
		return c->len >= 1 && c->len <= max_len && c->count >= 1 &&
		       c->count <= EDU_MAX_COUNT && !c->arg ? 0 : -EINVAL;
	case SMMU_HIL_EDU_FAULT:
		return (!c->len || (c->len >= EDU_FAULT_LEN && c->len <= max_len)) &&
		       c->count >= 1 && c->count <= EDU_MAX_FAULTS && !c->arg ? 0 : -EINVAL;
	case SMMU_HIL_EDU_DOMAIN:
		return !c->len && !c->count && c->arg <= SMMU_HIL_EDU_DOM_BLOCKED ? 0 : -EINVAL;
	case SMMU_HIL_EDU_LOOP_START:
		return c->len >= 1 && c->len <= max_len && !c->count && !c->arg ? 0 : -EINVAL;
	case SMMU_HIL_EDU_LOOP_STOP:
	case SMMU_HIL_EDU_QUERY:
		return !c->len && !c->count && !c->arg ? 0 : -EINVAL;
	default:
		return -EINVAL;
	}
}

/* Run a checked command under the command lock. */
static int edu_run(struct edu_dev *ed, struct smmu_hil_edu_cmd *c)
{
	switch (c->cmd) {
	case SMMU_HIL_EDU_ROUNDTRIP:
		return edu_cmd_roundtrip(ed, c);
	case SMMU_HIL_EDU_FAULT:
		return edu_cmd_fault(ed, c);
	case SMMU_HIL_EDU_DOMAIN:
		return edu_cmd_domain(ed, c->arg);
	default:
		return 0;	/* QUERY */
	}
}

static long ctl_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct edu_dev *ed = file->private_data;
	void __user *uarg = (void __user *)arg;
	struct smmu_hil_edu_cmd c;
	int ret;

	if (cmd != SMMU_HIL_IOC_EDU_CMD)
		return -ENOTTY;
	if (copy_from_user(&c, uarg, sizeof(c)))
		return -EFAULT;
	ret = edu_check_cmd(&c);
	if (ret)
		return ret;

	/* The loop takes the command lock per round trip: not held here. */
	if (c.cmd == SMMU_HIL_EDU_LOOP_START)
		ret = edu_loop_start(ed, c.len);
	else if (c.cmd == SMMU_HIL_EDU_LOOP_STOP)
		ret = edu_loop_stop(ed, &c);
	if (ret)
		return ret;

	ret = mutex_lock_interruptible(&ed->lock);
	if (ret)
		return ret;
	ret = edu_run(ed, &c);
	c.domain = edu_domain_type(ed);
	c.hdr.flags = SMMU_HIL_HAS_BLOCKED_DOMAIN ? SMMU_HIL_EDU_HAS_BLOCKED : 0;
	mutex_unlock(&ed->lock);
	if (ret)
		return ret;
	return copy_to_user(uarg, &c, sizeof(c)) ? -EFAULT : 0;
}

static const struct file_operations ctl_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.unlocked_ioctl = ctl_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = SMMU_HIL_NO_LLSEEK,
};

static int domain_show(struct seq_file *m, void *v)
{
	struct edu_dev *ed = m->private;
	int ret = mutex_lock_interruptible(&ed->lock);

	if (ret)
		return ret;
	seq_printf(m, "%s\n", edu_domain_name(ed));
	mutex_unlock(&ed->lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(domain);

static int edu_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct edu_dev *ed;
	int ret;

	if (dma_bits < 28 || dma_bits > 64) {
		dev_err(&pdev->dev, "dma_bits=%u out of range 28..64\n", dma_bits);
		return -EINVAL;
	}
	ed = devm_kzalloc(&pdev->dev, sizeof(*ed), GFP_KERNEL);
	if (!ed)
		return -ENOMEM;
	ed->pdev = pdev;
	mutex_init(&ed->lock);
	mutex_init(&ed->loop_lock);

	ret = pcim_enable_device(pdev);
	if (ret)
		return ret;
	ret = pcim_iomap_regions(pdev, BIT(0), KBUILD_MODNAME);
	if (ret)
		return ret;
	ed->mmio = pcim_iomap_table(pdev)[0];
	ret = dma_set_mask_and_coherent(&pdev->dev, DMA_BIT_MASK(dma_bits));
	if (ret)
		return ret;
	pci_set_master(pdev);

	ed->page[0] = alloc_page(GFP_KERNEL);
	ed->page[1] = alloc_page(GFP_KERNEL);
	if (!ed->page[0] || !ed->page[1]) {
		ret = -ENOMEM;
		goto err_pages;
	}

	ed->dir = debugfs_create_dir(pci_name(pdev), edu_root);
	if (IS_ERR(ed->dir)) {
		ret = PTR_ERR(ed->dir);
		goto err_pages;
	}
	debugfs_create_file("ctl", 0600, ed->dir, ed, &ctl_fops);
	debugfs_create_file("domain", 0444, ed->dir, ed, &domain_fops);
	pci_set_drvdata(pdev, ed);
	dev_dbg(&pdev->dev, "edu id 0x%08x, %u-bit DMA, domain %s\n",
		readl(ed->mmio + EDU_REG_ID), dma_bits, edu_domain_name(ed));
	return 0;

err_pages:
	if (ed->page[0])
		__free_page(ed->page[0]);
	if (ed->page[1])
		__free_page(ed->page[1]);
	return ret;
}

static void edu_remove(struct pci_dev *pdev)
{
	struct edu_dev *ed = pci_get_drvdata(pdev);

	/* debugfs_remove() waits for ctl writes in progress. */
	debugfs_remove(ed->dir);
	edu_loop_stop(ed, NULL);
	mutex_lock(&ed->lock);
	edu_detach(ed);
	edu_release(ed);
	mutex_unlock(&ed->lock);
	__free_page(ed->page[0]);
	__free_page(ed->page[1]);
}

static const struct pci_device_id edu_ids[] = {
	{ PCI_DEVICE(EDU_VENDOR, EDU_DEVICE) },
	{ }
};
MODULE_DEVICE_TABLE(pci, edu_ids);

static struct pci_driver edu_driver = {
	.name = "smmu_hil_edu",
	.id_table = edu_ids,
	.probe = edu_probe,
	.remove = edu_remove,
	/*
	 * Where the kernel has a blocked domain, the module claims the group's
	 * DMA ownership itself (DOMAIN blocked); the driver core then does not
	 * count it as a DMA API user. Its DMA API use still goes through the
	 * default domain, attached whenever the group is not claimed.
	 */
	.driver_managed_dma = SMMU_HIL_HAS_BLOCKED_DOMAIN,
};

static int __init edu_init(void)
{
	int ret;

	edu_top = smmu_hil_dir_get(SMMU_HIL_DEBUGFS_DIR, NULL);
	if (IS_ERR(edu_top))
		return PTR_ERR(edu_top);
	edu_root = smmu_hil_dir_get("edu", edu_top);
	if (IS_ERR(edu_root)) {
		smmu_hil_dir_put(edu_top);
		return PTR_ERR(edu_root);
	}
	ret = pci_register_driver(&edu_driver);
	if (ret) {
		smmu_hil_dir_put(edu_root);
		smmu_hil_dir_put(edu_top);
	}
	return ret;
}

static void __exit edu_exit(void)
{
	pci_unregister_driver(&edu_driver);
	smmu_hil_dir_put(edu_root);
	smmu_hil_dir_put(edu_top);
}

module_init(edu_init);
module_exit(edu_exit);
MODULE_DESCRIPTION("smmu-hil: DMA generator for QEMU's edu device");
MODULE_LICENSE("GPL");
