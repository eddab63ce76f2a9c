// SPDX-License-Identifier: GPL-2.0-only
/*
 * DUT-side helpers: debugfs of the smmu-hil modules (docs/modules.md), PCI
 * and IOMMU group sysfs attributes (Documentation/ABI/testing/sysfs-bus-pci,
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
	size_t len = strlen(s);
	ssize_t n;
	int fd = open(path, O_WRONLY | O_CLOEXEC), err = 0;

	if (fd < 0)
		return -errno;
	n = write(fd, s, len);
	if (n < 0)
		err = -errno;
	else if ((size_t)n != len)
		err = -EIO;
	if (close(fd) && !err)
		err = -errno;
	return err;
}

/* Start of the value of line "KEY VALUE" in @text, or NULL. */
static const char *kv_find(const char *text, const char *key, size_t *vlen)
{
	size_t klen = strlen(key);
	const char *p = text, *end;

	while (p && *p) {
		if (!strncmp(p, key, klen) && p[klen] == ' ') {
			p += klen + 1;
			end = strchr(p, '\n');
			*vlen = end ? (size_t)(end - p) : strlen(p);
			return p;
		}
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return NULL;
}

int shl_kv_str(const char *text, const char *key, char *out, size_t size)
{
	size_t n;
	const char *v = kv_find(text, key, &n);

	if (!v || n >= size)
		return -1;
	memcpy(out, v, n);
	out[n] = '\0';
	return 0;
}

int shl_kv_u64(const char *text, const char *key, unsigned long long *out)
{
	char buf[32];

	if (shl_kv_str(text, key, buf, sizeof(buf)))
		return -1;
	return shl_parse_u64(buf, out);
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

int shl_edu_ctl(const char *bdf, const char *line, char *result, size_t size)
{
	char path[PATH_MAX];
	int ret;

	snprintf(path, sizeof(path), "%s/edu/%s/ctl", shl_debugfs_dir(), bdf);
	ret = shl_write_text(path, line);
	if (ret)
		return ret;
	snprintf(path, sizeof(path), "%s/edu/%s/result", shl_debugfs_dir(), bdf);
	ret = shl_read_text(path, result, size);
	return ret < 0 ? ret : 0;
}

int shl_edu_domain(const char *bdf, char *out, size_t size)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/edu/%s/domain", shl_debugfs_dir(), bdf);
	return shl_read_line(path, out, size);
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
	char path[4096];

	snprintf(path, sizeof(path), "%s/clear", shl_debugfs_dir());
	return shl_write_text(path, "1");
}

int shl_edu_roundtrip(const char *bdf, unsigned int len, unsigned int count,
		      struct shl_edu_roundtrip *out)
{
	char line[64], result[1024];
	int ret;

	snprintf(line, sizeof(line), "roundtrip %u %u", len, count);
	ret = shl_edu_ctl(bdf, line, result, sizeof(result));
	if (ret)
		return ret;
	if (shl_kv_u64(result, "transfers", &out->transfers) ||
	    shl_kv_u64(result, "errors", &out->errors) ||
	    shl_kv_u64(result, "bytes", &out->bytes) ||
	    shl_kv_str(result, "domain", out->domain, sizeof(out->domain)))
		return -EPROTO;
	return 0;
}

int shl_parse_smmu_line(char *line, char *name, size_t nsize, struct shl_idr_regs *r)
{
	static const char *const keys[] = { "IDR0", "IDR1", "IDR3", "IDR5", "IIDR", "AIDR" };
	uint32_t *vals[] = { &r->idr0, &r->idr1, &r->idr3, &r->idr5, &r->iidr, &r->aidr };
	unsigned int seen = 0;
	char *tok, *save = NULL, *eq;
	unsigned long long v;
	size_t i;

	for (tok = strtok_r(line, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
		eq = strchr(tok, '=');
		if (!eq)
			return -1;
		*eq++ = '\0';
		if (!strcmp(tok, "name")) {
			snprintf(name, nsize, "%s", eq);
			seen |= 1u << 6;
			continue;
		}
		for (i = 0; i < 6; i++)
			if (!strcmp(tok, keys[i]))
				break;
		if (i == 6 || shl_parse_uint_range(eq, 0, 0xffffffffu, &v))
			return -1;
		*vals[i] = (uint32_t)v;
		seen |= 1u << i;
	}
	return seen == 0x7f ? 0 : -1;
}

#define SMMU_TEXT_MAX	(64 * 1024)

json_object *shl_dut_smmus(void)
{
	json_object *arr = json_object_new_array(), *o;
	char path[4096], name[128], *text = malloc(SMMU_TEXT_MAX), *line, *save = NULL;
	struct shl_idr_regs r;

	snprintf(path, sizeof(path), "%s/smmu", shl_debugfs_dir());
	if (!text || shl_read_text(path, text, SMMU_TEXT_MAX) < 0) {
		free(text);
		return arr;
	}
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		memset(&r, 0, sizeof(r));
		if (shl_parse_smmu_line(line, name, sizeof(name), &r))
			continue;
		o = json_object_new_object();
		json_object_object_add(o, "name", json_object_new_string(name));
		json_object_object_add(o, "idr", shl_idr_to_json(&r));
		json_object_array_add(arr, o);
	}
	free(text);
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

size_t shl_streams_sids(const char *streams, const char *bdf, uint32_t *sids, size_t max)
{
	size_t n = strlen(bdf), k = 0;
	const char *p = streams;
	unsigned long long sid;
	char *end;

	while (p && *p) {
		if (!strncmp(p, bdf, n) && p[n] == ' ') {
			p += n;
			while (*p == ' ' && k < max) {
				sid = strtoull(p + 1, &end, 10);
				if (end == p + 1)
					break;
				sids[k++] = (uint32_t)sid;
				p = end;
			}
			break;
		}
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return k;
}

int shl_dut_sid(const char *bdf, uint32_t *sid)
{
	char path[4096], *text = malloc(SMMU_TEXT_MAX);
	int ret;

	if (!text)
		return -ENOMEM;
	snprintf(path, sizeof(path), "%s/streams", shl_debugfs_dir());
	ret = shl_read_text(path, text, SMMU_TEXT_MAX);
	if (ret >= 0)
		ret = shl_streams_sids(text, bdf, sid, 1) == 1 ? 0 : -ENODEV;
	free(text);
	return ret;
}
