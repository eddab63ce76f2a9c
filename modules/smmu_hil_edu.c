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
 * iommu_detach_device(), so the driver rewrites the device's STE.
 *
 * debugfs, /sys/kernel/debug/smmu-hil/edu/<bdf>/:
 *   ctl     write one command line:
 *             roundtrip LEN COUNT   LEN 1..4095, COUNT 1..10000
 *             fault COUNT           COUNT 1..4096
 *             domain paging|default
 *             loop start LEN        round trips of LEN bytes in a kthread,
 *                                   back to back, until `loop stop`
 *             loop stop             stop it; result: transfers, errors, ...
 *           anything else fails with -EINVAL and does nothing
 *   result  read: "key value" lines describing the last command
 *   domain  read: the domain the device is in now
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
#define EDU_MAX_LEN		4095

#define EDU_MAX_COUNT		10000
#define EDU_MAX_FAULTS		4096
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

#define EDU_RESULT_MAX		512

static unsigned int dma_bits = 28;
module_param(dma_bits, uint, 0644);
MODULE_PARM_DESC(dma_bits,
		 "DMA address width of the device, applied at probe (28..64; QEMU edu default 28, raise with -device edu,dma_mask=)");

static unsigned int timeout_ms = 2000;
module_param(timeout_ms, uint, 0644);
MODULE_PARM_DESC(timeout_ms, "wait for one DMA copy at most this long (10..60000)");

struct edu_dev {
	struct pci_dev *pdev;
	void __iomem *mmio;
	struct mutex lock;		/* one command at a time; all below */
	struct iommu_domain *paging;	/* module domain, attached if set */
	struct page *page[2];		/* source and destination buffers */
	struct dentry *dir;
	char result[EDU_RESULT_MAX];
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

static const char *edu_domain_name(struct edu_dev *ed)
{
	struct iommu_domain *d = iommu_get_domain_for_dev(&ed->pdev->dev);

	if (!d)
		return "none";
	if (ed->paging && d == ed->paging)
		return "paging";
	switch (d->type) {
	case IOMMU_DOMAIN_IDENTITY:
		return "identity";
	case IOMMU_DOMAIN_DMA:
		return "DMA";
	case IOMMU_DOMAIN_DMA_FQ:
		return "DMA-FQ";
	case IOMMU_DOMAIN_BLOCKED:
		return "blocked";
	case IOMMU_DOMAIN_UNMANAGED:
		return "unmanaged";
	default:
		return "unknown";
	}
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
		ret = iommu_map(ed->paging, EDU_IOVA_SRC,
				page_to_phys(ed->page[0]), PAGE_SIZE, prot);
		if (ret)
			return ret;
		ret = iommu_map(ed->paging, EDU_IOVA_DST,
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

static int edu_cmd_roundtrip(struct edu_dev *ed, unsigned int len,
			     unsigned int count)
{
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
	snprintf(ed->result, sizeof(ed->result),
		 "op roundtrip\ntransfers %u\nerrors %u\nbytes %llu\ndomain %s\nlen %u\ncount %u\nlast_error %d\n",
		 transfers, errors, (unsigned long long)transfers * len,
		 edu_domain_name(ed), len, count, last);
	return 0;
}

static int edu_cmd_fault(struct edu_dev *ed, unsigned int count)
{
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
		ret = edu_copy(ed, iova, EDU_BUF_ADDR, EDU_FAULT_LEN, false);
		if (ret)
			break;
		injected++;
	}
	snprintf(ed->result, sizeof(ed->result),
		 "op fault\ninjected %u\niova_base 0x%lx\nstride %lu\nlen %u\ndomain %s\nlast_error %d\n",
		 injected, EDU_IOVA_FAULT, EDU_FAULT_STRIDE, EDU_FAULT_LEN,
		 edu_domain_name(ed), ret);
	return 0;
}

static void edu_detach(struct edu_dev *ed)
{
	if (!ed->paging)
		return;
	iommu_detach_device(ed->paging, &ed->pdev->dev);
	iommu_domain_free(ed->paging);
	ed->paging = NULL;
}

static int edu_cmd_domain(struct edu_dev *ed, bool paging)
{
	struct iommu_domain *d;
	int ret;

	if (paging && !ed->paging) {
		d = iommu_domain_alloc(&pci_bus_type);
		if (!d)
			return -ENOMEM;
		ret = iommu_attach_device(d, &ed->pdev->dev);
		if (ret) {
			iommu_domain_free(d);
			return ret;
		}
		ed->paging = d;
	} else if (!paging) {
		edu_detach(ed);
	}
	snprintf(ed->result, sizeof(ed->result), "op domain\ndomain %s\n",
		 edu_domain_name(ed));
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
	snprintf(ed->result, sizeof(ed->result), "op loop\nrunning 1\nlen %u\n", len);
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
static int edu_loop_stop(struct edu_dev *ed)
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
	snprintf(ed->result, sizeof(ed->result),
		 "op loop\nrunning 0\ntransfers %llu\nerrors %llu\nbytes %llu\nlen %u\nduration_ns %llu\ndomain %s\nlast_error %d\n",
		 ed->loop_transfers, ed->loop_errors, ed->loop_transfers * ed->loop_len,
		 ed->loop_len, ktime_get_ns() - ed->loop_start_ns, edu_domain_name(ed),
		 ed->loop_last);
	mutex_unlock(&ed->lock);
	return 0;
}

/* Parse a whole number token within [min, max]. */
static int edu_arg(const char *tok, unsigned int min, unsigned int max,
		   unsigned int *out)
{
	if (!tok || kstrtouint(tok, 0, out) || *out < min || *out > max)
		return -EINVAL;
	return 0;
}

static int edu_run(struct edu_dev *ed, char *line)
{
	char *argv[4], *tok;
	unsigned int argc = 0, a, b;

	while ((tok = strsep(&line, " \t")) != NULL) {
		if (!*tok)
			continue;
		if (argc == ARRAY_SIZE(argv))
			return -EINVAL;
		argv[argc++] = tok;
	}
	if (!argc)
		return -EINVAL;

	if (!strcmp(argv[0], "roundtrip") && argc == 3) {
		if (edu_arg(argv[1], 1, min_t(unsigned int, EDU_MAX_LEN, PAGE_SIZE), &a) ||
		    edu_arg(argv[2], 1, EDU_MAX_COUNT, &b))
			return -EINVAL;
		return edu_cmd_roundtrip(ed, a, b);
	}
	if (!strcmp(argv[0], "fault") && argc == 2) {
		if (edu_arg(argv[1], 1, EDU_MAX_FAULTS, &a))
			return -EINVAL;
		return edu_cmd_fault(ed, a);
	}
	if (!strcmp(argv[0], "domain") && argc == 2) {
		if (!strcmp(argv[1], "paging"))
			return edu_cmd_domain(ed, true);
		if (!strcmp(argv[1], "default"))
			return edu_cmd_domain(ed, false);
	}
	return -EINVAL;
}

static ssize_t ctl_write(struct file *file, const char __user *ubuf,
			 size_t count, loff_t *ppos)
{
	struct edu_dev *ed = file->private_data;
	size_t len = count;
	char buf[64];
	int ret;

	if (!len || len >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, len))
		return -EFAULT;
	if (memchr(buf, '\0', len))
		return -EINVAL;
	buf[len] = '\0';
	if (buf[len - 1] == '\n')
		buf[--len] = '\0';
	if (memchr(buf, '\n', len))
		return -EINVAL;

	/* The loop takes the command lock per round trip: not held here. */
	if (!strncmp(buf, "loop ", 5)) {
		unsigned int n;

		if (!strcmp(buf, "loop stop"))
			ret = edu_loop_stop(ed);
		else if (!strncmp(buf, "loop start ", 11) &&
			 !edu_arg(buf + 11, 1, min_t(unsigned int, EDU_MAX_LEN, PAGE_SIZE), &n))
			ret = edu_loop_start(ed, n);
		else
			ret = -EINVAL;
		return ret ? ret : count;
	}

	ret = mutex_lock_interruptible(&ed->lock);
	if (ret)
		return ret;
	ret = edu_run(ed, buf);
	mutex_unlock(&ed->lock);
	return ret ? ret : count;
}

static const struct file_operations ctl_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.write = ctl_write,
	.llseek = no_llseek,
};

static int result_show(struct seq_file *m, void *v)
{
	struct edu_dev *ed = m->private;
	int ret = mutex_lock_interruptible(&ed->lock);

	if (ret)
		return ret;
	seq_puts(m, ed->result);
	mutex_unlock(&ed->lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(result);

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
	strscpy(ed->result, "op none\n", sizeof(ed->result));

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
	debugfs_create_file("ctl", 0200, ed->dir, ed, &ctl_fops);
	debugfs_create_file("result", 0444, ed->dir, ed, &result_fops);
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
	edu_loop_stop(ed);
	mutex_lock(&ed->lock);
	edu_detach(ed);
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
