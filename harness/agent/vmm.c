// SPDX-License-Identifier: GPL-2.0-only
/*
 * The agent as a minimal VMM over iommufd and the VFIO device cdev
 * (smmu_hil/vmm.h). The structures come from the DUT kernel's uapi headers
 * (linux/iommufd.h, linux/vfio.h; the Makefile's KUAPI); built against
 * headers without the vIOMMU uAPI, the moves report a skip saying so.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#if __has_include(<linux/iommufd.h>)
#include <linux/iommufd.h>
#endif
#include <linux/vfio.h>

#include "smmu_hil/dut.h"
#include "smmu_hil/idr.h"
#include "smmu_hil/vmm.h"

#if defined(IOMMU_VIOMMU_ALLOC) && defined(IOMMU_VDEVICE_ALLOC) && \
	defined(IOMMU_HWPT_ALLOC) && defined(VFIO_DEVICE_BIND_IOMMUFD) && \
	defined(VFIO_DEVICE_ATTACH_IOMMUFD_PT)
#define SHL_HAVE_VIOMMU_UAPI 1
#endif

const char *shl_vmm_uapi_missing(void)
{
#ifdef SHL_HAVE_VIOMMU_UAPI
	return NULL;
#else
	return "the agent was built against uapi headers without the vIOMMU uAPI "
	       "(linux/iommufd.h IOMMU_VIOMMU_ALLOC/IOMMU_VDEVICE_ALLOC/IOMMU_HWPT_ALLOC, "
	       "linux/vfio.h VFIO_DEVICE_BIND_IOMMUFD/VFIO_DEVICE_ATTACH_IOMMUFD_PT; Linux >= 6.13): "
	       "build it with the DUT kernel's headers (make agent KUAPI=<dir>)";
#endif
}

/* ------------------------------------------------------------ evidence */

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* IORT (ARM DEN 0049): header 36 bytes, then node count and node array offset */
#define IORT_NNODES	36
#define IORT_NODEOFF	40
#define IORT_NODE_HDR	16
#define IORT_TYPE_RC	2
#define RC_CCA		16
#define RC_MEMFLAGS	23
#define RC_ATS		24
#define RC_SEGMENT	28
#define RC_MIN_LEN	32

int shl_iort_root_complexes(const uint8_t *buf, size_t len, struct shl_iort_rc *out, size_t max)
{
	uint32_t n, off, i, nlen;
	int found = 0;

	if (len < 48 || memcmp(buf, "IORT", 4) || le32(buf + 4) > len)
		return -1;
	len = le32(buf + 4);
	n = le32(buf + IORT_NNODES);
	off = le32(buf + IORT_NODEOFF);
	for (i = 0; i < n; i++) {
		if (off > len || len - off < IORT_NODE_HDR)
			return -1;
		nlen = (uint32_t)buf[off + 1] | (uint32_t)buf[off + 2] << 8;
		if (nlen < IORT_NODE_HDR || nlen > len - off)
			return -1;
		if (buf[off] == IORT_TYPE_RC) {
			if (nlen < RC_MIN_LEN)
				return -1;
			if ((size_t)found < max) {
				out[found].cca = le32(buf + off + RC_CCA);
				out[found].mem_flags = buf[off + RC_MEMFLAGS];
				out[found].ats = le32(buf + off + RC_ATS);
				out[found].segment = le32(buf + off + RC_SEGMENT);
			}
			found++;
		}
		off += nlen;
	}
	return found;
}

#define IORT_PATH	"/sys/firmware/acpi/tables/IORT"

json_object *shl_vmm_viommu_evidence(char *sum, size_t sumlen)
{
	json_object *o = json_object_new_object(), *a;
	struct shl_iort_rc rc[8];
	struct shl_idr_regs r;
	struct shl_idr idr;
	uint8_t buf[65536];
	char name[64], hex[16];
	size_t off = 0;
	ssize_t len;
	int fd, n, i, ret;

	sum[0] = '\0';
	ret = shl_dut_smmu_first(name, sizeof(name), &r);
	if (!ret) {
		shl_idr_decode(&r, &idr);
		snprintf(hex, sizeof(hex), "0x%08x", r.idr3);
		json_object_object_add(o, "smmu", json_object_new_string(name));
		json_object_object_add(o, "idr3", json_object_new_string(hex));
		json_object_object_add(o, "idr3_fwb", json_object_new_int(idr.fwb));
		off += (size_t)snprintf(sum + off, sumlen - off, "SMMU_IDR3 %s (FWB=%d)", hex,
					idr.fwb);
	} else {
		json_object_object_add(o, "idr3_error", json_object_new_string(strerror(-ret)));
	}
	fd = open(IORT_PATH, O_RDONLY | O_CLOEXEC);
	len = fd < 0 ? -1 : read(fd, buf, sizeof(buf));
	if (fd >= 0)
		close(fd);
	n = len < 0 ? -2 : shl_iort_root_complexes(buf, (size_t)len, rc, 8);
	if (n < 0) {
		json_object_object_add(o, "iort_error", json_object_new_string(
			n == -2 ? "no " IORT_PATH " (device-tree boot?)" : "malformed IORT"));
		return o;
	}
	a = json_object_new_array();
	for (i = 0; i < n && i < 8; i++) {
		json_object *e = json_object_new_object();

		json_object_object_add(e, "segment", json_object_new_int((int)rc[i].segment));
		json_object_object_add(e, "memory_access_flags", json_object_new_int(rc[i].mem_flags));
		json_object_object_add(e, "canwbs",
				       json_object_new_boolean(rc[i].mem_flags & SHL_IORT_MF_CANWBS));
		json_object_array_add(a, e);
		if (off < sumlen)
			off += (size_t)snprintf(sum + off, sumlen - off,
						"%sIORT root complex %u memory access flags 0x%02x "
						"(CANWBS=%d)", off ? ", " : "", rc[i].segment,
						rc[i].mem_flags,
						!!(rc[i].mem_flags & SHL_IORT_MF_CANWBS));
	}
	json_object_object_add(o, "iort_root_complexes", a);
	return o;
}

/* ------------------------------------------------------------ pairing */

int shl_vmm_pair(const struct shl_rec_snap *s, const struct shl_rec_group *g,
		 struct shl_vmm_pair *out)
{
	const struct shl_entry *init, *target;
	size_t k;

	memset(out, 0, sizeof(*out));
	if (g->ent != SHL_KIND_STE || !g->has_target)
		return -1;
	init = &s[g->init].e;
	target = &s[g->target].e;
	snprintf(out->from, sizeof(out->from), "%s", shl_inject_config_name(SHL_KIND_STE, init));
	snprintf(out->to, sizeof(out->to), "%s",
		 shl_inject_config_name(SHL_KIND_STE, shl_rec_group_final(s, g)));
	out->syncs = (unsigned int)g->nsyncs;
	if (SHL_GET(init, SHL_STE_V) && SHL_GET(target, SHL_STE_V))
		for (k = 0; k < g->nsyncs; k++)
			if (!SHL_GET(&s[g->syncs[k]].e, SHL_STE_V))
				out->breaking = true;
	shl_rec_compare(s, g, true, &out->safe);
	shl_rec_compare(s, g, false, &out->plain);
	return 0;
}

const char *shl_vmm_pair_match(const struct shl_vmm_pair *p)
{
	if (p->safe.equal && p->plain.equal)
		return "both";
	if (p->safe.equal)
		return "update-safe";
	if (p->plain.equal)
		return "no-update-safe";
	return "neither";
}

static json_object *oracle_json(const struct shl_rec_cmp *c)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "path", json_object_new_string(shl_path_name(c->plan.path)));
	json_object_object_add(o, "steps", json_object_new_string(c->oracle_steps));
	json_object_object_add(o, "hitless", json_object_new_boolean(c->plan.hitless));
	json_object_object_add(o, "equal", json_object_new_boolean(c->equal));
	if (!c->equal)
		json_object_object_add(o, "difference", json_object_new_string(c->difference));
	return o;
}

#define MAX_GROUPS 4096

json_object *shl_vmm_pairs_report(const struct shl_rec_log *log, unsigned int *breaking)
{
	struct shl_rec_group *g = calloc(MAX_GROUPS, sizeof(*g));
	json_object *o, *dist, *d, *seen;
	unsigned int replaces = 0, nbreak = 0;
	struct shl_vmm_pair p;
	char key[512];
	size_t i, ng;

	*breaking = 0;
	if (!g)
		return NULL;
	o = json_object_new_object();
	dist = json_object_new_array();
	seen = json_object_new_object();	/* key -> index into dist */
	ng = shl_rec_group(log->s, log->n, SHL_KIND_STE, g, MAX_GROUPS);
	for (i = 0; i < ng; i++) {
		if (shl_vmm_pair(log->s, &g[i], &p))
			continue;
		if (!strcmp(p.from, p.to) && !p.syncs)
			continue;	/* a writer call that changed nothing */
		replaces++;
		nbreak += p.breaking;
		snprintf(key, sizeof(key), "%s -> %s: %s", p.from, p.to, p.safe.kernel_steps);
		if (json_object_object_get_ex(seen, key, &d)) {
			d = json_object_array_get_idx(dist, (size_t)json_object_get_int(d));
			json_object_object_get_ex(d, "count", &d);
			json_object_set_int(d, json_object_get_int(d) + 1);
			continue;
		}
		json_object_object_add(seen, key,
				       json_object_new_int((int)json_object_array_length(dist)));
		d = json_object_new_object();
		json_object_object_add(d, "transition",
				       json_object_new_string_len(key, (int)(strchr(key, ':') - key)));
		json_object_object_add(d, "kernel_steps", json_object_new_string(p.safe.kernel_steps));
		json_object_object_add(d, "syncs", json_object_new_int((int)p.syncs));
		json_object_object_add(d, "count", json_object_new_int(1));
		json_object_object_add(d, "breaking", json_object_new_boolean(p.breaking));
		json_object_object_add(d, "match", json_object_new_string(shl_vmm_pair_match(&p)));
		json_object_object_add(d, "initial", shl_inject_qjson(&log->s[g[i].init].e));
		json_object_object_add(d, "target", shl_inject_qjson(&log->s[g[i].target].e));
		json_object_object_add(d, "oracle_update_safe", oracle_json(&p.safe));
		json_object_object_add(d, "oracle_no_update_safe", oracle_json(&p.plain));
		json_object_array_add(dist, d);
	}
	json_object_put(seen);
	free(g);
	json_object_object_add(o, "snapshots", json_object_new_int64((int64_t)log->n));
	json_object_object_add(o, "replaces", json_object_new_int((int)replaces));
	json_object_object_add(o, "hitless", json_object_new_int((int)(replaces - nbreak)));
	json_object_object_add(o, "breaking", json_object_new_int((int)nbreak));
	json_object_object_add(o, "distinct", dist);
	*breaking = nbreak;
	return o;
}

/* ------------------------------------------------------------- the VMM */

#ifndef SHL_HAVE_VIOMMU_UAPI

json_object *shl_vmm_nested_moves(const struct shl_vmm_opts *o, int *verdict, char *err,
				  size_t errlen)
{
	json_object *r = json_object_new_object();

	(void)o;
	(void)err;
	(void)errlen;
	json_object_object_add(r, "skip", json_object_new_string(shl_vmm_uapi_missing()));
	*verdict = SHL_VMM_SKIP;
	return r;
}

#else

static void step_json(json_object *steps, const char *name, int err, const char *detail)
{
	json_object *s = json_object_new_object();

	json_object_object_add(s, "step", json_object_new_string(name));
	json_object_object_add(s, "ok", json_object_new_boolean(!err));
	if (err) {
		json_object_object_add(s, "errno", json_object_new_int(err));
		json_object_object_add(s, "error", json_object_new_string(strerror(err)));
	}
	if (detail)
		json_object_object_add(s, "detail", json_object_new_string(detail));
	json_object_array_add(steps, s);
}

/*
 * Guest memory, one IOAS mapping at a fixed IPA below edu's 28 address
 * bits and below the 0x8000000 MSI window: the CD table (two CDs) at +0,
 * the stage-1 tables at +4K, the DMA pages at +1M, mapped by stage 1 to
 * the same addresses (VA == IPA) so a copy is correct in every
 * configuration and only an update can make it fail.
 */
#define GUEST_IPA	0x1000000ULL
#define GUEST_LEN	0x200000ULL
#define GUEST_CD	0x0ULL
#define GUEST_PT	0x1000ULL
#define GUEST_DATA	0x100000ULL
#define GUEST_ASID	1

/* edu's DMA engine (QEMU hw/misc/edu.c; modules/smmu_hil_edu.c) */
#define EDU_DMA_SRC	0x80
#define EDU_DMA_DST	0x88
#define EDU_DMA_CNT	0x90
#define EDU_DMA_CMD	0x98
#define EDU_CMD_START	1u
#define EDU_CMD_TO_HOST	2u
#define EDU_BUF		0x40000u
#define EDU_COPY	1024u
#define EDU_WAIT_MS	2000

struct vmm {
	char bdf[SHL_BDF_LEN];
	char old_driver[64];
	bool rebound;
	int iommufd, devfd;
	uint32_t dev_id, ioas_id, s2_id, s2b_id, viommu_id, vdev_id, nested[SHL_VSTE_COUNT];
	uint8_t *mem;		/* GUEST_LEN of guest memory */
	volatile uint8_t *bar;	/* edu's BAR 0 */
	size_t bar_len;
	bool mapped;
	/* DMA thread */
	pthread_t dma_thread;
	bool dma_running;
	volatile bool dma_stop;
	unsigned long long copies, data_errors, timeouts;
};

static int xioctl(int fd, unsigned long req, void *arg)
{
	return ioctl(fd, req, arg) ? errno : 0;
}

static int sysfs_write(const char *bdf, const char *file, const char *val)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/bus/pci/devices/%s/%s", shl_sysfs_dir(), bdf, file);
	return -shl_write_text(path, val);
}

/* the PCI core's drivers_probe: probe @bdf again (driver_override applies) */
static int pci_probe(const char *bdf)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/bus/pci/drivers_probe", shl_sysfs_dir());
	return -shl_write_text(path, bdf);
}

/* bind @bdf to vfio-pci through driver_override, remembering its driver */
static int bind_vfio(struct vmm *v, char *err, size_t errlen)
{
	char cur[64] = "", path[256];
	int ret;

	snprintf(path, sizeof(path), "%s/bus/pci/drivers/vfio-pci", shl_sysfs_dir());
	if (access(path, F_OK)) {
		snprintf(err, errlen, "vfio-pci is not loaded (modprobe vfio-pci)");
		return -1;
	}
	shl_pci_driver(v->bdf, cur, sizeof(cur));
	snprintf(v->old_driver, sizeof(v->old_driver), "%s", cur);
	if (!strcmp(cur, "vfio-pci"))
		return 0;
	ret = sysfs_write(v->bdf, "driver_override", "vfio-pci");
	if (!ret && cur[0])
		ret = sysfs_write(v->bdf, "driver/unbind", v->bdf);
	if (!ret)
		ret = pci_probe(v->bdf);
	v->rebound = true;
	shl_pci_driver(v->bdf, cur, sizeof(cur));
	if (ret || strcmp(cur, "vfio-pci")) {
		snprintf(err, errlen, "%s: binding to vfio-pci failed (%s; driver now '%s')",
			 v->bdf, strerror(ret ? ret : ENODEV), cur);
		return -1;
	}
	return 0;
}

/* give the device back to the driver it had (empty driver_override, probe) */
static void unbind_vfio(struct vmm *v)
{
	if (!v->rebound)
		return;
	sysfs_write(v->bdf, "driver/unbind", v->bdf);
	sysfs_write(v->bdf, "driver_override", "\n");
	pci_probe(v->bdf);
}

/* open /dev/vfio/devices/vfioN of @bdf (made with mknod if devtmpfs lacks it) */
static int open_cdev(const char *bdf, char *err, size_t errlen)
{
	char path[PATH_MAX], name[NAME_MAX + 1] = "", devno[32];
	unsigned int maj, min;
	struct dirent *de;
	DIR *d;
	int fd;

	/* the device's vfioN: the one entry of its vfio-dev directory */
	snprintf(path, sizeof(path), "%s/bus/pci/devices/%s/vfio-dev", shl_sysfs_dir(), bdf);
	d = opendir(path);
	while (d && (de = readdir(d)))
		if (!strncmp(de->d_name, "vfio", 4)) {
			snprintf(name, sizeof(name), "%s", de->d_name);
			break;
		}
	if (d)
		closedir(d);
	if (strncmp(name, "vfio", 4)) {
		snprintf(err, errlen, "%s has no VFIO device cdev (kernel without "
			 "CONFIG_VFIO_DEVICE_CDEV?)", bdf);
		return -1;
	}
	snprintf(path, sizeof(path), "/dev/vfio/devices/%s", name);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT) {
		snprintf(path, sizeof(path), "%s/bus/pci/devices/%s/vfio-dev/%s/dev",
			 shl_sysfs_dir(), bdf, name);
		if (shl_read_line(path, devno, sizeof(devno)) ||
		    sscanf(devno, "%u:%u", &maj, &min) != 2) {
			snprintf(err, errlen, "%s: cannot read %s", bdf, path);
			return -1;
		}
		mkdir("/dev/vfio", 0755);
		mkdir("/dev/vfio/devices", 0755);
		snprintf(path, sizeof(path), "/dev/vfio/devices/%s", name);
		if (mknod(path, S_IFCHR | 0600, makedev(maj, min)) && errno != EEXIST) {
			snprintf(err, errlen, "mknod %s: %s", path, strerror(errno));
			return -1;
		}
		fd = open(path, O_RDWR | O_CLOEXEC);
	}
	if (fd < 0)
		snprintf(err, errlen, "open %s: %s", path, strerror(errno));
	return fd;
}

static uint64_t bar_rd(struct vmm *v, unsigned int off)
{
	return *(volatile uint64_t *)(v->bar + off);
}

static void bar_wr(struct vmm *v, unsigned int off, uint64_t val)
{
	*(volatile uint64_t *)(v->bar + off) = val;
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* one edu copy; 0 done, -1 timed out (the engine stays busy) */
static int edu_copy(struct vmm *v, uint64_t src, uint64_t dst, unsigned int len, bool to_host)
{
	double t0 = now_ms();

	bar_wr(v, EDU_DMA_SRC, src);
	bar_wr(v, EDU_DMA_DST, dst);
	bar_wr(v, EDU_DMA_CNT, len);
	bar_wr(v, EDU_DMA_CMD, EDU_CMD_START | (to_host ? EDU_CMD_TO_HOST : 0));
	while (bar_rd(v, EDU_DMA_CMD) & EDU_CMD_START) {
		if (now_ms() - t0 > EDU_WAIT_MS)
			return -1;
		usleep(1000);
	}
	return 0;
}

/* round trips guest page 0 -> edu -> guest page 1, checked, until dma_stop */
static void *dma_main(void *arg)
{
	struct vmm *v = arg;
	uint8_t *src = v->mem + GUEST_DATA, *dst = src + 4096;
	unsigned int i, round = 0;

	while (!v->dma_stop) {
		for (i = 0; i < EDU_COPY; i++)
			src[i] = (uint8_t)(i * 7 + round);
		memset(dst, 0, EDU_COPY);
		__sync_synchronize();
		if (edu_copy(v, GUEST_IPA + GUEST_DATA, EDU_BUF, EDU_COPY, false) ||
		    edu_copy(v, EDU_BUF, GUEST_IPA + GUEST_DATA + 4096, EDU_COPY, true)) {
			v->timeouts++;
			break;
		}
		__sync_synchronize();
		v->copies++;
		if (memcmp(src, dst, EDU_COPY))
			v->data_errors++;
		round++;
	}
	return NULL;
}

static int map_bar(struct vmm *v, char *err, size_t errlen)
{
	struct vfio_region_info ri = { .argsz = sizeof(ri), .index = VFIO_PCI_BAR0_REGION_INDEX };
	struct vfio_region_info ci = { .argsz = sizeof(ci), .index = VFIO_PCI_CONFIG_REGION_INDEX };
	uint16_t cmd;
	int ret;

	ret = xioctl(v->devfd, VFIO_DEVICE_GET_REGION_INFO, &ri);
	if (!ret)
		ret = xioctl(v->devfd, VFIO_DEVICE_GET_REGION_INFO, &ci);
	if (ret || !(ri.flags & VFIO_REGION_INFO_FLAG_MMAP)) {
		snprintf(err, errlen, "BAR 0 of %s: %s", v->bdf, ret ? strerror(ret) : "not mmap-able");
		return -1;
	}
	v->bar = mmap(NULL, ri.size, PROT_READ | PROT_WRITE, MAP_SHARED, v->devfd,
		      (off_t)ri.offset);
	if (v->bar == MAP_FAILED) {
		v->bar = NULL;
		snprintf(err, errlen, "mmap BAR 0: %s", strerror(errno));
		return -1;
	}
	v->bar_len = ri.size;
	/* PCI_COMMAND: memory space and bus master */
	if (pread(v->devfd, &cmd, sizeof(cmd), (off_t)ci.offset + 4) != sizeof(cmd)) {
		snprintf(err, errlen, "PCI command register: %s", strerror(errno));
		return -1;
	}
	cmd |= 0x6;
	if (pwrite(v->devfd, &cmd, sizeof(cmd), (off_t)ci.offset + 4) != sizeof(cmd)) {
		snprintf(err, errlen, "PCI command register: %s", strerror(errno));
		return -1;
	}
	return 0;
}

static void vmm_teardown(struct vmm *v)
{
	struct iommu_destroy d = { .size = sizeof(d) };
	struct iommu_ioas_unmap um = { .size = sizeof(um) };
	unsigned int k;

	if (v->dma_running) {
		v->dma_stop = true;
		pthread_join(v->dma_thread, NULL);
	}
	if (v->bar)
		munmap((void *)v->bar, v->bar_len);
	if (v->devfd >= 0)
		close(v->devfd);	/* detaches and unbinds from iommufd */
	for (k = 0; v->iommufd >= 0 && k < SHL_VSTE_COUNT; k++)
		if (v->nested[k]) {
			d.id = v->nested[k];
			ioctl(v->iommufd, IOMMU_DESTROY, &d);
		}
	if (v->iommufd >= 0) {
		uint32_t ids[] = { v->vdev_id, v->viommu_id, v->s2b_id, v->s2_id };

		for (k = 0; k < sizeof(ids) / sizeof(ids[0]); k++)
			if (ids[k]) {
				d.id = ids[k];
				ioctl(v->iommufd, IOMMU_DESTROY, &d);
			}
		if (v->mapped) {
			um.ioas_id = v->ioas_id;
			um.iova = GUEST_IPA;
			um.length = GUEST_LEN;
			ioctl(v->iommufd, IOMMU_IOAS_UNMAP, &um);
		}
		if (v->ioas_id) {
			d.id = v->ioas_id;
			ioctl(v->iommufd, IOMMU_DESTROY, &d);
		}
		close(v->iommufd);
	}
	if (v->mem)
		munmap(v->mem, GUEST_LEN);
	unbind_vfio(v);
}

/* the guest's CD table and stage-1 tables in guest memory */
static int build_guest(struct vmm *v)
{
	struct shl_entry cd;

	memset(v->mem, 0, GUEST_LEN);
	if (shl_guest_cd_build(GUEST_IPA + GUEST_PT, GUEST_ASID, &cd) ||
	    shl_guest_pt_build((uint64_t *)(v->mem + GUEST_PT), GUEST_IPA + GUEST_PT,
			       GUEST_IPA + GUEST_DATA, GUEST_IPA + GUEST_DATA, 2) ||
	    shl_guest_pt_walk((const uint64_t *)(v->mem + GUEST_PT), GUEST_IPA + GUEST_PT,
			      GUEST_IPA + GUEST_DATA + 4096) != GUEST_IPA + GUEST_DATA + 4096)
		return -1;
	/* CD 0 and CD 1 (S1DSS bypass has S1CDMax 1): both the same translation */
	memcpy(v->mem + GUEST_CD, cd.q, 64);
	memcpy(v->mem + GUEST_CD + 64, cd.q, 64);
	__sync_synchronize();
	return 0;
}

static const char *const skip_viommu =
	"IOMMU_VIOMMU_ALLOC: EOPNOTSUPP: this SMMU offers no vIOMMU. Linux's "
	"arm_smmu_get_viommu_size() needs ARM_SMMU_FEAT_NESTING and either the "
	"device's root complex CANWBS (IORT memory access flags bit 2) or "
	"SMMU_IDR3.FWB (ARM_SMMU_FEAT_S2FWB)";

static const char *const skip_parent =
	"IOMMU_HWPT_ALLOC(NEST_PARENT): EOPNOTSUPP: the SMMU cannot nest "
	"(no ARM_SMMU_FEAT_NESTING: stage 1 and stage 2 are both needed)";

static const enum shl_vste_kind move_order[] = {
	SHL_VSTE_BYPASS, SHL_VSTE_S1DSS_BYPASS, SHL_VSTE_S1,
	SHL_VSTE_BYPASS, SHL_VSTE_S1, SHL_VSTE_S1DSS_BYPASS,
};
#define NORDER (sizeof(move_order) / sizeof(move_order[0]))

json_object *shl_vmm_nested_moves(const struct shl_vmm_opts *o, int *verdict, char *err,
				  size_t errlen)
{
	struct vmm v = { .iommufd = -1, .devfd = -1 };
	json_object *r = json_object_new_object(), *steps = json_object_new_array(), *mv;
	const char *skip = NULL, *fail = NULL;
	char reason[512] = "", evid[384], skipbuf[768];
	unsigned int i, k, moved = 0, breaking = 0, ssidsize = 0;
	int ret = 0, rc_rec = -1;
	double t0;

	*verdict = SHL_VMM_PASS;
	json_object_object_add(r, "steps", steps);
	if (o->bdf[0]) {
		if (shl_parse_bdf(o->bdf, v.bdf)) {
			snprintf(err, errlen, "bad PCI address '%s'", o->bdf);
			goto err;
		}
	} else if (shl_edu_find(NULL, v.bdf)) {
		snprintf(err, errlen, "no edu device bound to smmu_hil_edu (give --dev)");
		goto err;
	}
	json_object_object_add(r, "dev", json_object_new_string(v.bdf));
	if (bind_vfio(&v, err, errlen))
		goto err;
	step_json(steps, "bind vfio-pci", 0, v.old_driver[0] ? v.old_driver : NULL);

	v.iommufd = open("/dev/iommu", O_RDWR | O_CLOEXEC);
	if (v.iommufd < 0) {
		snprintf(err, errlen, "open /dev/iommu: %s", strerror(errno));
		goto err;
	}
	v.devfd = open_cdev(v.bdf, err, errlen);
	if (v.devfd < 0)
		goto err;
	{
		struct vfio_device_bind_iommufd b = { .argsz = sizeof(b), .iommufd = v.iommufd };

		ret = xioctl(v.devfd, VFIO_DEVICE_BIND_IOMMUFD, &b);
		step_json(steps, "VFIO_DEVICE_BIND_IOMMUFD", ret, NULL);
		if (ret)
			goto failed;
		v.dev_id = b.out_devid;
	}
	{
		struct iommu_ioas_alloc a = { .size = sizeof(a) };
		struct iommu_ioas_map m = { .size = sizeof(m) };

		ret = xioctl(v.iommufd, IOMMU_IOAS_ALLOC, &a);
		step_json(steps, "IOMMU_IOAS_ALLOC", ret, NULL);
		if (ret)
			goto failed;
		v.ioas_id = a.out_ioas_id;
		v.mem = mmap(NULL, GUEST_LEN, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
		if (v.mem == MAP_FAILED) {
			v.mem = NULL;
			snprintf(err, errlen, "guest memory: %s", strerror(errno));
			goto err;
		}
		if (build_guest(&v)) {
			snprintf(err, errlen, "the guest's CD and stage-1 tables do not build");
			goto err;
		}
		m.flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE |
			  IOMMU_IOAS_MAP_WRITEABLE;
		m.ioas_id = v.ioas_id;
		m.user_va = (uintptr_t)v.mem;
		m.length = GUEST_LEN;
		m.iova = GUEST_IPA;
		ret = xioctl(v.iommufd, IOMMU_IOAS_MAP, &m);
		step_json(steps, "IOMMU_IOAS_MAP", ret, NULL);
		if (ret)
			goto failed;
		v.mapped = true;
	}
	{
		struct iommu_hwpt_alloc h = {
			.size = sizeof(h), .flags = IOMMU_HWPT_ALLOC_NEST_PARENT,
			.dev_id = v.dev_id, .pt_id = v.ioas_id, .data_type = IOMMU_HWPT_DATA_NONE,
		};

		ret = xioctl(v.iommufd, IOMMU_HWPT_ALLOC, &h);
		step_json(steps, "IOMMU_HWPT_ALLOC nesting parent (S2)", ret, NULL);
		if (ret == EOPNOTSUPP)
			skip = skip_parent;
		if (ret)
			goto failed;
		v.s2_id = h.out_hwpt_id;
	}
	{
		/* the device on the S2 alone first: the VMM's state before the guest runs */
		struct vfio_device_attach_iommufd_pt at = { .argsz = sizeof(at), .pt_id = v.s2_id };

		ret = xioctl(v.devfd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at);
		step_json(steps, "VFIO_DEVICE_ATTACH_IOMMUFD_PT S2", ret, NULL);
		if (ret)
			goto failed;
	}
	if (o->s2_selftest) {
		/* a second stage 2 over the same IOAS: replaces between the two */
		struct iommu_hwpt_alloc h = {
			.size = sizeof(h), .flags = IOMMU_HWPT_ALLOC_NEST_PARENT,
			.dev_id = v.dev_id, .pt_id = v.ioas_id, .data_type = IOMMU_HWPT_DATA_NONE,
		};

		ret = xioctl(v.iommufd, IOMMU_HWPT_ALLOC, &h);
		step_json(steps, "IOMMU_HWPT_ALLOC second S2", ret, NULL);
		if (ret)
			goto failed;
		v.s2b_id = h.out_hwpt_id;
		goto machinery;
	}
	{
		struct iommu_viommu_alloc va = {
			.size = sizeof(va), .type = IOMMU_VIOMMU_TYPE_ARM_SMMUV3,
			.dev_id = v.dev_id, .hwpt_id = v.s2_id,
		};

		ret = xioctl(v.iommufd, IOMMU_VIOMMU_ALLOC, &va);
		step_json(steps, "IOMMU_VIOMMU_ALLOC ARM_SMMUV3", ret, NULL);
		if (ret == EOPNOTSUPP) {
			json_object_object_add(r, "evidence",
					       shl_vmm_viommu_evidence(evid, sizeof(evid)));
			snprintf(skipbuf, sizeof(skipbuf), "%s; on this DUT: %s", skip_viommu,
				 evid[0] ? evid : "no IDR3 or IORT to show");
			skip = skipbuf;
		}
		if (ret)
			goto failed;
		v.viommu_id = va.out_viommu_id;
	}
	{
		struct iommu_vdevice_alloc vd = {
			.size = sizeof(vd), .viommu_id = v.viommu_id, .dev_id = v.dev_id,
			.virt_id = o->vsid,
		};

		ret = xioctl(v.iommufd, IOMMU_VDEVICE_ALLOC, &vd);
		step_json(steps, "IOMMU_VDEVICE_ALLOC", ret, NULL);
		if (ret)
			goto failed;
		v.vdev_id = vd.out_vdevice_id;
	}
	{
		/*
		 * The guest honours its vSMMU's SMMU_IDR1.SSIDSIZE, as Linux does
		 * (S1CDMax = the master's ssid_bits): with SSIDSIZE 0 the vSTEs
		 * have S1CDMax 0 (the architecture ignores S1CDMax there, but
		 * QEMU 10.0.2 answers S1CDMax != 0 with C_BAD_STE) and S1DSS is
		 * then unused: both stage-1 kinds translate through CD 0.
		 */
		struct iommu_hw_info_arm_smmuv3 hw = { 0 };
		struct iommu_hw_info hi = {
			.size = sizeof(hi), .dev_id = v.dev_id, .data_len = sizeof(hw),
			.data_uptr = (uintptr_t)&hw,
		};

		ret = xioctl(v.iommufd, IOMMU_GET_HW_INFO, &hi);
		if (!ret && hi.out_data_type != IOMMU_HW_INFO_TYPE_ARM_SMMUV3)
			ret = EOPNOTSUPP;
		step_json(steps, "IOMMU_GET_HW_INFO ARM_SMMUV3", ret, NULL);
		if (ret)
			goto failed;
		{
			struct shl_idr_regs ir = { .idr0 = hw.idr[0], .idr1 = hw.idr[1],
						   .idr3 = hw.idr[3], .idr5 = hw.idr[5] };
			struct shl_idr id;

			shl_idr_decode(&ir, &id);
			ssidsize = id.ssidsize;
		}
		json_object_object_add(r, "vsmmu_ssidsize", json_object_new_int((int)ssidsize));
		json_object_object_add(r, "vste_s1cdmax", json_object_new_int(ssidsize ? 1 : 0));
	}
	for (k = 0; k < SHL_VSTE_COUNT; k++) {
		struct iommu_hwpt_arm_smmuv3 vste = { { 0 } };
		struct iommu_hwpt_alloc h = {
			.size = sizeof(h), .dev_id = v.dev_id, .pt_id = v.viommu_id,
			.data_type = IOMMU_HWPT_DATA_ARM_SMMUV3, .data_len = sizeof(vste),
			.data_uptr = (uintptr_t)&vste,
		};
		struct shl_entry e;
		char name[64];

		if (shl_vste_build((enum shl_vste_kind)k, GUEST_IPA + GUEST_CD, &e) ||
		    !shl_vste_allowed(&e)) {
			snprintf(err, errlen, "vSTE %s does not build", shl_vste_name(k));
			goto err;
		}
		if (!ssidsize && k != SHL_VSTE_BYPASS)
			SHL_SET(&e, SHL_STE_S1CDMAX, 0);
		vste.ste[0] = e.q[0];	/* arm64 is little-endian, as the vSTE */
		vste.ste[1] = e.q[1];
		ret = xioctl(v.iommufd, IOMMU_HWPT_ALLOC, &h);
		snprintf(name, sizeof(name), "IOMMU_HWPT_ALLOC nested %s", shl_vste_name(k));
		step_json(steps, name, ret, NULL);
		if (ret)
			goto failed;
		v.nested[k] = h.out_hwpt_id;
	}

machinery:
	json_object_object_add(r, "mode", json_object_new_string(o->s2_selftest ? "s2-selftest"
										 : "nested"));
	if (map_bar(&v, err, errlen))
		goto err;
	if (o->record) {
		rc_rec = shl_inject_record_ctl("clear");
		if (!rc_rec)
			rc_rec = shl_inject_record_ctl("start");
		if (rc_rec) {
			snprintf(err, errlen, "the recorder (smmu_hil_inject) did not start: %s",
				 strerror(-rc_rec));
			goto err;
		}
	}
	if (o->dma) {
		if (pthread_create(&v.dma_thread, NULL, dma_main, &v)) {
			snprintf(err, errlen, "DMA thread: %s", strerror(errno));
			goto err;
		}
		v.dma_running = true;
	}
	t0 = now_ms();
	for (i = 0; i < o->moves; i++) {
		struct vfio_device_attach_iommufd_pt at = {
			.argsz = sizeof(at),
			.pt_id = o->s2_selftest ? (i % 2 ? v.s2_id : v.s2b_id)
						: v.nested[move_order[i % NORDER]],
		};

		ret = xioctl(v.devfd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at);
		if (ret) {
			char name[96];

			snprintf(name, sizeof(name), "VFIO_DEVICE_ATTACH_IOMMUFD_PT %s (move %u)",
				 o->s2_selftest ? (i % 2 ? "S2" : "second S2")
						: shl_vste_name(move_order[i % NORDER]), i);
			step_json(steps, name, ret, NULL);
			break;
		}
		moved++;
		if (o->dwell_us)
			usleep(o->dwell_us);
	}
	mv = json_object_new_object();
	json_object_object_add(mv, "requested", json_object_new_int((int)o->moves));
	json_object_object_add(mv, "done", json_object_new_int((int)moved));
	json_object_object_add(mv, "ms", json_object_new_double(now_ms() - t0));
	json_object_object_add(r, "moves", mv);
	if (v.dma_running) {
		json_object *d = json_object_new_object();

		v.dma_stop = true;
		pthread_join(v.dma_thread, NULL);
		v.dma_running = false;
		json_object_object_add(d, "round_trips", json_object_new_int64((int64_t)v.copies));
		json_object_object_add(d, "data_errors",
				       json_object_new_int64((int64_t)v.data_errors));
		json_object_object_add(d, "timeouts", json_object_new_int64((int64_t)v.timeouts));
		json_object_object_add(r, "dma", d);
	}
	if (o->record) {
		struct shl_rec_log log = { 0 };
		json_object *rep = NULL;

		shl_inject_record_ctl("stop");
		rc_rec = shl_inject_record_read(&log);
		if (!rc_rec)
			rep = shl_vmm_pairs_report(&log, &breaking);
		shl_rec_log_free(&log);
		if (!rep) {
			snprintf(err, errlen, "the recorder's log: %s",
				 rc_rec ? strerror(-rc_rec) : "out of memory");
			goto err;
		}
		json_object_object_add(r, "record", rep);
	}
	if (ret)
		fail = "a replace was refused";
	else if (o->s2_selftest)
		;	/* S2 -> S2 changes S2VMID and S2TTB: breaking by design, DMA may fault */
	else if (breaking) {
		snprintf(reason, sizeof(reason),
			 "%u of the recorded replaces were breaking (a sync saw V=0 between two "
			 "valid STEs)", breaking);
		fail = reason;
	} else if (v.timeouts || v.data_errors)
		fail = "edu DMA failed under the moves";
	goto done;

failed:
	if (!skip)
		fail = "a VMM step failed";
done:
	vmm_teardown(&v);
	if (skip) {
		json_object_object_add(r, "skip", json_object_new_string(skip));
		*verdict = SHL_VMM_SKIP;
	} else if (fail) {
		json_object_object_add(r, "reason", json_object_new_string(fail));
		*verdict = SHL_VMM_FAIL;
	}
	json_object_object_add(r, "verdict", json_object_new_string(
		*verdict == SHL_VMM_SKIP ? "skip" : *verdict == SHL_VMM_FAIL ? "fail" : "pass"));
	return r;
err:
	vmm_teardown(&v);
	json_object_put(r);
	return NULL;
}

#endif /* SHL_HAVE_VIOMMU_UAPI */
