// SPDX-License-Identifier: GPL-2.0-only
/*
 * DUT-side helpers: the smmu-hil modules' binary interface on their debugfs
 * files (modules/include/uapi/smmu_hil.h, docs/modules.md), PCI and IOMMU
 * group sysfs attributes (Documentation/ABI/testing/sysfs-bus-pci,
 * sysfs-kernel-iommu_groups), input parsing.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "smmu_hil/parse.h"
#include "smmu_hil/dut.h"
#include "smmu_hil/idr.h"
#include <uapi/smmu_hil.h>

_Static_assert(sizeof(struct shl_evt_rec) == sizeof(struct smmu_hil_evt_rec),
	       "agent and module disagree on the event record");

const char *shl_debugfs_dir(void)
{
	const char *d = getenv("SMMU_HIL_DEBUGFS");

	return d && *d ? d : "/sys/kernel/debug/" SMMU_HIL_DEBUGFS_DIR;
}

const char *shl_sysfs_dir(void)
{
	const char *d = getenv("SMMU_HIL_SYSFS");

	return d && *d ? d : "/sys";
}

int shl_read_text(const char *path, char *buf, size_t size)
{
	size_t len = 0;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	while (len + 1 < size) {
		n = read(fd, buf + len, size - 1 - len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			n = -errno;
			close(fd);
			return (int)n;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	buf[len] = '\0';
	return len + 1 >= size ? -EFBIG : (int)len;
}

int shl_write_text(const char *path, const char *s)
{
	return shl_write_record(path, s, strlen(s));
}

bool shl_dut_is_qemu(void)
{
	char path[4096], buf[512];
	int n, i;

	/* device-tree boot: the virt machine's root compatible (NUL-separated list) */
	snprintf(path, sizeof(path), "%s/firmware/devicetree/base/compatible", shl_sysfs_dir());
	n = shl_read_text(path, buf, sizeof(buf));
	for (i = 0; n > 0 && i < n; i += (int)strlen(buf + i) + 1)
		if (!strcmp(buf + i, "linux,dummy-virt"))
			return true;
	/* ACPI (UEFI) boot: the SMBIOS system vendor */
	snprintf(path, sizeof(path), "%s/class/dmi/id/sys_vendor", shl_sysfs_dir());
	return shl_read_text(path, buf, sizeof(buf)) > 0 && !strncmp(buf, "QEMU", 4);
}

void shl_uapi_hdr(struct smmu_hil_hdr *h, size_t size, uint32_t flags)
{
	h->version = SMMU_HIL_UAPI_VERSION;
	h->size = (uint16_t)size;
	h->flags = flags;
}

int shl_uapi_hdr_ok(const struct smmu_hil_hdr *h, size_t size)
{
	return h->version == SMMU_HIL_UAPI_VERSION && h->size == size;
}

int shl_read_record(const char *path, void *buf, size_t size)
{
	size_t len = 0;
	ssize_t n;
	char extra;
	int fd = open(path, O_RDONLY | O_CLOEXEC), err = 0;

	if (fd < 0)
		return -errno;
	while (len < size) {
		n = read(fd, (char *)buf + len, size - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = -errno;
			break;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (!err && (len != size || read(fd, &extra, 1) != 0))
		err = -EPROTO;
	close(fd);
	return err;
}

int shl_write_record(const char *path, const void *buf, size_t len)
{
	ssize_t n;
	int fd = open(path, O_WRONLY | O_CLOEXEC), err = 0;

	if (fd < 0)
		return -errno;
	n = write(fd, buf, len);
	if (n < 0)
		err = -errno;
	else if ((size_t)n != len)
		err = -EIO;
	if (close(fd) && !err)
		err = -errno;
	return err;
}

int shl_debugfs_ioctl(const char *file, bool rw, unsigned long req, void *arg)
{
	char path[PATH_MAX];
	int fd, ret = 0;

	snprintf(path, sizeof(path), "%s/%s", shl_debugfs_dir(), file);
	fd = open(path, (rw ? O_RDWR : O_RDONLY) | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	while (ioctl(fd, req, arg) < 0) {
		if (errno != EINTR) {
			ret = -errno;
			break;
		}
	}
	close(fd);
	return ret;
}

void shl_bdf_format(const struct smmu_hil_bdf *b, char out[SHL_BDF_LEN])
{
	snprintf(out, SHL_BDF_LEN, "%04x:%02x:%02x.%x", b->segment, b->bus,
		 (unsigned int)b->devfn >> 3, b->devfn & 7u);
}

int shl_parse_uint_range(const char *s, unsigned long long min,
			 unsigned long long max, unsigned long long *out)
{
	unsigned long long v;

	if (shl_parse_u64(s, &v) || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

/* Parse exactly @n hex digits at *p, advancing *p. */
static int hexn(const char **p, int n, unsigned int *out)
{
	unsigned int v = 0;
	int i;

	for (i = 0; i < n; i++) {
		char c = (*p)[i];

		if (!isxdigit((unsigned char)c))
			return -1;
		v = v * 16 + (unsigned int)(isdigit((unsigned char)c) ? c - '0' :
					    tolower((unsigned char)c) - 'a' + 10);
	}
	*p += n;
	*out = v;
	return 0;
}

int shl_parse_bdf(const char *s, char out[SHL_BDF_LEN])
{
	unsigned int dom = 0, bus, dev, fn;
	const char *p = s;

	if (!s)
		return -1;
	if (strlen(s) == 12) {
		if (hexn(&p, 4, &dom) || *p++ != ':')
			return -1;
	} else if (strlen(s) != 7) {
		return -1;
	}
	if (hexn(&p, 2, &bus) || *p++ != ':' || hexn(&p, 2, &dev) ||
	    *p++ != '.' || hexn(&p, 1, &fn) || *p)
		return -1;
	if (dev > 0x1f || fn > 7)
		return -1;
	snprintf(out, SHL_BDF_LEN, "%04x:%02x:%02x.%x", dom, bus, dev, fn);
	return 0;
}

int shl_pci_driver(const char *bdf, char *out, size_t size)
{
	char path[PATH_MAX], link[PATH_MAX];
	ssize_t n;
	const char *base;

	snprintf(path, sizeof(path), "%s/bus/pci/devices/%s", shl_sysfs_dir(), bdf);
	if (access(path, F_OK))
		return -ENODEV;
	out[0] = '\0';
	snprintf(path, sizeof(path), "%s/bus/pci/devices/%s/driver", shl_sysfs_dir(), bdf);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		return 0;
	link[n] = '\0';
	base = strrchr(link, '/');
	base = base ? base + 1 : link;
	snprintf(out, size, "%s", base);
	return 0;
}

int shl_pci_iommu_group(const char *bdf)
{
	char path[PATH_MAX], link[PATH_MAX];
	unsigned long long g;
	const char *base;
	ssize_t n;

	snprintf(path, sizeof(path), "%s/bus/pci/devices/%s/iommu_group",
		 shl_sysfs_dir(), bdf);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		return -1;
	link[n] = '\0';
	base = strrchr(link, '/');
	base = base ? base + 1 : link;
	if (shl_parse_uint_range(base, 0, INT_MAX, &g))
		return -1;
	return (int)g;
}

static int bdf_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int shl_edu_find(const char *want, char out[SHL_BDF_LEN])
{
	char path[PATH_MAX], drv[64], bdf[SHL_BDF_LEN];
	char *names[256];
	struct dirent *de;
	size_t n = 0, i;
	DIR *d;
	int ret = -ENODEV;

	if (want) {
		if (shl_parse_bdf(want, out))
			return -EINVAL;
		if (shl_pci_driver(out, drv, sizeof(drv)) || strcmp(drv, SHL_EDU_DRIVER))
			return -ENODEV;
		return 0;
	}
	snprintf(path, sizeof(path), "%s/bus/pci/drivers/%s", shl_sysfs_dir(), SHL_EDU_DRIVER);
	d = opendir(path);
	if (!d)
		return -ENODEV;
	while ((de = readdir(d)) && n < sizeof(names) / sizeof(names[0]))
		if (!shl_parse_bdf(de->d_name, bdf) && !strcmp(bdf, de->d_name))
			names[n++] = strdup(de->d_name);
	closedir(d);
	qsort(names, n, sizeof(names[0]), bdf_cmp);
	for (i = 0; i < n; i++) {
		if (i == 0 && names[i]) {
			snprintf(out, SHL_BDF_LEN, "%s", names[i]);
			ret = 0;
		}
		free(names[i]);
	}
	return ret;
}

void shl_edu_cmd_init(struct smmu_hil_edu_cmd *c, uint32_t cmd, uint32_t len, uint32_t count,
		      uint32_t arg)
{
	memset(c, 0, sizeof(*c));
	shl_uapi_hdr(&c->hdr, sizeof(*c), 0);
	c->cmd = cmd;
	c->len = len;
	c->count = count;
	c->arg = arg;
}

int shl_edu_cmd(const char *bdf, struct smmu_hil_edu_cmd *c)
{
	char file[64];
	int ret;

	snprintf(file, sizeof(file), "edu/%s/ctl", bdf);
	ret = shl_debugfs_ioctl(file, true, SMMU_HIL_IOC_EDU_CMD, c);
	if (ret)
		return ret;
	return shl_uapi_hdr_ok(&c->hdr, sizeof(*c)) ? 0 : -EPROTO;
}

const char *shl_edu_domain_name(uint32_t dom)
{
	static const char *const names[] = SMMU_HIL_DOM_NAMES;

	return dom < sizeof(names) / sizeof(names[0]) ? names[dom] : "unknown";
}

int shl_edu_domain(const char *bdf, char *out, size_t size)
{
	struct smmu_hil_edu_cmd c;
	int ret;

	shl_edu_cmd_init(&c, SMMU_HIL_EDU_QUERY, 0, 0, 0);
	ret = shl_edu_cmd(bdf, &c);
	if (!ret)
		snprintf(out, size, "%s", shl_edu_domain_name(c.domain));
	return ret;
}

int shl_edu_set_domain(const char *bdf, uint32_t target)
{
	struct smmu_hil_edu_cmd c;

	shl_edu_cmd_init(&c, SMMU_HIL_EDU_DOMAIN, 0, 0, target);
	return shl_edu_cmd(bdf, &c);
}

int shl_edu_has_blocked(const char *bdf)
{
	struct smmu_hil_edu_cmd c;
	int ret;

	shl_edu_cmd_init(&c, SMMU_HIL_EDU_QUERY, 0, 0, 0);
	ret = shl_edu_cmd(bdf, &c);
	return ret ? ret : !!(c.hdr.flags & SMMU_HIL_EDU_HAS_BLOCKED);
}

int shl_edu_fault(const char *bdf, unsigned int count, unsigned int len,
		  struct shl_edu_fault *out)
{
	struct smmu_hil_edu_cmd c;
	int ret;

	shl_edu_cmd_init(&c, SMMU_HIL_EDU_FAULT, len, count, 0);
	ret = shl_edu_cmd(bdf, &c);
	if (ret)
		return ret;
	out->injected = c.transfers;
	out->iova_base = c.iova_base;
	out->stride = c.stride;
	return 0;
}

int shl_edu_loop(const char *bdf, bool start, unsigned int len, struct shl_edu_loop *out)
{
	struct smmu_hil_edu_cmd c;
	int ret;

	if (start)
		shl_edu_cmd_init(&c, SMMU_HIL_EDU_LOOP_START, len, 0, 0);
	else
		shl_edu_cmd_init(&c, SMMU_HIL_EDU_LOOP_STOP, 0, 0, 0);
	ret = shl_edu_cmd(bdf, &c);
	if (!ret && !start && out) {
		out->transfers = c.transfers;
		out->errors = c.errors;
		out->bytes = c.bytes;
		out->duration_ns = c.duration_ns;
	}
	return ret;
}

int shl_read_line(const char *path, char *buf, size_t size)
{
	int ret = shl_read_text(path, buf, size);

	if (ret < 0)
		return ret;
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

long shl_events_read(struct shl_evt_rec *recs, size_t max)
{
	char path[PATH_MAX];
	size_t got = 0;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/events", shl_debugfs_dir());
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	while (got < max) {
		n = read(fd, recs + got, (max - got) * sizeof(*recs));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			n = -errno;
			close(fd);
			return n;
		}
		if (n == 0)
			break;
		got += (size_t)n / sizeof(*recs);
	}
	close(fd);
	return (long)got;
}

int shl_events_clear(void)
{
	struct smmu_hil_hdr h;

	shl_uapi_hdr(&h, sizeof(h), 0);
	return shl_debugfs_ioctl("events", false, SMMU_HIL_IOC_EVT_CLEAR, &h);
}

int shl_evt_stats_decode(const struct smmu_hil_evt_stats *in, struct shl_evt_stats *out)
{
	memset(out, 0, sizeof(*out));
	if (!shl_uapi_hdr_ok(&in->hdr, sizeof(*in)) ||
	    !memchr(in->probe, '\0', sizeof(in->probe)))
		return -1;
	out->captured = in->captured;
	out->dropped = in->dropped;
	out->overflows = in->overflows;
	out->evtq_aborts = in->evtq_aborts;
	out->bad_pointer = in->bad_pointer;
	out->ring_size = in->ring_size;
	out->queued = in->queued;
	out->smmus = in->smmus;
	snprintf(out->probe, sizeof(out->probe), "%s:%u", in->probe, in->probe_argidx);
	return 0;
}

int shl_events_hold(unsigned int ms, unsigned int *held)
{
	struct smmu_hil_evt_hold h;
	int ret;

	memset(&h, 0, sizeof(h));
	shl_uapi_hdr(&h.hdr, sizeof(h), 0);
	h.ms = ms;
	ret = shl_debugfs_ioctl("events", false, SMMU_HIL_IOC_EVT_HOLD, &h);
	if (!ret)
		*held = h.held;
	return ret;
}

int shl_events_stats(struct shl_evt_stats *out)
{
	struct smmu_hil_evt_stats st;
	int ret;

	memset(&st, 0, sizeof(st));
	shl_uapi_hdr(&st.hdr, sizeof(st), 0);
	ret = shl_debugfs_ioctl("events", false, SMMU_HIL_IOC_EVT_STATS, &st);
	if (ret)
		return ret;
	return shl_evt_stats_decode(&st, out) ? -EPROTO : 0;
}

int shl_edu_roundtrip(const char *bdf, unsigned int len, unsigned int count,
		      struct shl_edu_roundtrip *out)
{
	struct smmu_hil_edu_cmd c;
	int ret;

	shl_edu_cmd_init(&c, SMMU_HIL_EDU_ROUNDTRIP, len, count, 0);
	ret = shl_edu_cmd(bdf, &c);
	if (ret)
		return ret;
	out->transfers = c.transfers;
	out->errors = c.errors;
	out->bytes = c.bytes;
	snprintf(out->domain, sizeof(out->domain), "%s", shl_edu_domain_name(c.domain));
	return 0;
}

int shl_smmu_info_decode(const struct smmu_hil_smmu_info *in, char *name, size_t nsize,
			 struct shl_idr_regs *r)
{
	if (!memchr(in->name, '\0', sizeof(in->name)))
		return -1;
	snprintf(name, nsize, "%s", in->name);
	memset(r, 0, sizeof(*r));
	r->idr0 = in->idr0;
	r->idr1 = in->idr1;
	r->idr3 = in->idr3;
	r->idr5 = in->idr5;
	r->iidr = in->iidr;
	r->aidr = in->aidr;
	return 0;
}

/* The SMMUs the event monitor maps; 0 or -errno. */
static int read_smmus(struct smmu_hil_evt_smmus *sm)
{
	int ret;

	memset(sm, 0, sizeof(*sm));
	shl_uapi_hdr(&sm->hdr, sizeof(*sm), 0);
	ret = shl_debugfs_ioctl("events", false, SMMU_HIL_IOC_EVT_SMMUS, sm);
	if (ret)
		return ret;
	if (!shl_uapi_hdr_ok(&sm->hdr, sizeof(*sm)) || sm->count > SMMU_HIL_MAX_SMMUS)
		return -EPROTO;
	return 0;
}

int shl_dut_smmu_first(char *name, size_t nsize, struct shl_idr_regs *r)
{
	struct smmu_hil_evt_smmus sm;
	int ret = read_smmus(&sm);

	if (ret)
		return ret;
	if (!sm.count)
		return -ENODEV;
	return shl_smmu_info_decode(&sm.smmu[0], name, nsize, r) ? -EPROTO : 0;
}

json_object *shl_dut_smmus(void)
{
	json_object *arr = json_object_new_array(), *o;
	struct smmu_hil_evt_smmus sm;
	struct shl_idr_regs r;
	char name[128];
	uint32_t i;

	if (read_smmus(&sm))
		return arr;
	for (i = 0; i < sm.count; i++) {
		if (shl_smmu_info_decode(&sm.smmu[i], name, sizeof(name), &r))
			continue;
		o = json_object_new_object();
		json_object_object_add(o, "name", json_object_new_string(name));
		json_object_object_add(o, "idr", shl_idr_to_json(&r));
		json_object_array_add(arr, o);
	}
	return arr;
}

int shl_dut_features(char ***out, size_t *n)
{
	json_object *smmus = shl_dut_smmus(), *feat;
	size_t i, j, k, cap = 0;
	char **v = NULL, **nv;
	const char *name;

	*out = NULL;
	*n = 0;
	for (i = 0; i < json_object_array_length(smmus); i++) {
		feat = json_object_object_get(json_object_object_get(
			json_object_array_get_idx(smmus, i), "idr"), "features");
		for (j = 0; j < json_object_array_length(feat); j++) {
			name = json_object_get_string(json_object_array_get_idx(feat, j));
			for (k = 0; k < *n && strcmp(v[k], name); k++)
				;
			if (k < *n)
				continue;
			if (*n == cap) {
				cap = cap ? 2 * cap : 32;
				nv = realloc(v, cap * sizeof(*v));
				if (!nv)
					goto nomem;
				v = nv;
			}
			v[*n] = strdup(name);
			if (!v[*n])
				goto nomem;
			(*n)++;
		}
	}
	json_object_put(smmus);
	*out = v;
	return 0;
nomem:
	json_object_put(smmus);
	shl_strv_free(v, *n);
	*n = 0;
	return -ENOMEM;
}

void shl_strv_free(char **v, size_t n)
{
	size_t i;

	for (i = 0; v && i < n; i++)
		free(v[i]);
	free(v);
}

int shl_dut_streams(bool tables, struct smmu_hil_stream **out, size_t *n)
{
	struct smmu_hil_evt_streams a;
	struct smmu_hil_stream *v = NULL, *nv;
	uint32_t max = 64;
	int ret;

	*out = NULL;
	*n = 0;
	for (;;) {
		nv = realloc(v, max * sizeof(*v));
		if (!nv) {
			free(v);
			return -ENOMEM;
		}
		v = nv;
		memset(&a, 0, sizeof(a));
		shl_uapi_hdr(&a.hdr, sizeof(a), 0);
		a.max = max;
		a.streams = (uint64_t)(uintptr_t)v;
		ret = shl_debugfs_ioctl("events", false,
					tables ? SMMU_HIL_IOC_EVT_TABLES : SMMU_HIL_IOC_EVT_STREAMS, &a);
		if (ret) {
			free(v);
			return ret;
		}
		if (a.count <= max || max == SMMU_HIL_MAX_STREAMS)
			break;
		max = a.count < SMMU_HIL_MAX_STREAMS ? a.count : SMMU_HIL_MAX_STREAMS;
	}
	*out = v;
	*n = a.count < max ? a.count : max;
	return 0;
}

size_t shl_streams_sids(const struct smmu_hil_stream *streams, size_t n, const char *bdf,
			uint32_t *sids, size_t max)
{
	char b[SHL_BDF_LEN];
	size_t i, k = 0;

	for (i = 0; i < n && k < max; i++) {
		shl_bdf_format(&streams[i].bdf, b);
		if (!strcmp(b, bdf))
			sids[k++] = streams[i].sid;
	}
	return k;
}

int shl_dut_sid(const char *bdf, uint32_t *sid)
{
	struct smmu_hil_stream *v;
	size_t n;
	int ret = shl_dut_streams(false, &v, &n);

	if (ret)
		return ret;
	ret = shl_streams_sids(v, n, bdf, sid, 1) == 1 ? 0 : -ENODEV;
	free(v);
	return ret;
}
