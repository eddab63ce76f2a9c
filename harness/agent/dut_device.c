// SPDX-License-Identifier: GPL-2.0-only
/*
 * The device under transition (device.h): names resolved to PCI devices
 * from sysfs (Documentation/ABI/testing/sysfs-bus-pci, sysfs-block,
 * sysfs-class-net), and the root-disk / SSH-NIC guard.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <ifaddrs.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "smmu_hil/device.h"
#include "smmu_hil/parse.h"

#define VID_VIRTIO	0x1af4
#define VID_EDU		0x1234
#define DID_EDU		0x11e8
#define CLASS_NVME	0x010802
#define CLASS_STORAGE	0x01
#define CLASS_NET	0x02

static const char *const kind_names[] = {
	[SHL_DEV_EDU] = "edu", [SHL_DEV_DISK] = "disk", [SHL_DEV_NIC] = "nic",
	[SHL_DEV_OTHER] = "other",
};

const char *shl_dev_kind_name(enum shl_dev_kind k)
{
	return (unsigned int)k <= SHL_DEV_OTHER ? kind_names[k] : "?";
}

/* ------------------------------------------------------------- sysfs */

static int read_hex(const char *bdf, const char *attr, unsigned int *out)
{
	char path[PATH_MAX], buf[32];
	unsigned long long v;
	char *nl;

	snprintf(path, sizeof(path), "%s/bus/pci/devices/%s/%s", shl_sysfs_dir(), bdf, attr);
	if (shl_read_text(path, buf, sizeof(buf)) < 0)
		return -ENODEV;
	nl = strchr(buf, '\n');
	if (nl)
		*nl = '\0';
	if (shl_parse_uint_range(buf, 0, 0xffffffu, &v))
		return -ENODEV;
	*out = (unsigned int)v;
	return 0;
}

/* Whether the sysfs path @p lies under PCI device @bdf (a path component). */
static bool path_under(const char *p, const char *bdf)
{
	size_t n = strlen(bdf);
	const char *s = p;

	while ((s = strstr(s, bdf))) {
		if (s > p && s[-1] == '/' && (s[n] == '/' || s[n] == '\0'))
			return true;
		s += n;
	}
	return false;
}

/* Whether sysfs object @path (resolved) lies under @bdf. */
static bool link_under(const char *path, const char *bdf)
{
	char real[PATH_MAX];

	return realpath(path, real) && path_under(real, bdf);
}

/* The names in /sys/class/@cls whose device lies under @bdf; whole disks only. */
static void class_names(const char *cls, const char *bdf, char *out, size_t len)
{
	char path[PATH_MAX];
	struct dirent **ents;
	size_t used = 0;
	int n, i;

	out[0] = '\0';
	snprintf(path, sizeof(path), "%s/class/%s", shl_sysfs_dir(), cls);
	n = scandir(path, &ents, NULL, alphasort);
	if (n < 0)
		return;
	for (i = 0; i < n; i++) {
		const char *name = ents[i]->d_name;

		if (name[0] != '.') {
			snprintf(path, sizeof(path), "%s/class/%s/%s", shl_sysfs_dir(), cls, name);
			if (link_under(path, bdf)) {
				char part[PATH_MAX];

				if (snprintf(part, sizeof(part), "%s/partition", path) <
				    (int)sizeof(part) && access(part, F_OK) && used + strlen(name) + 2 < len)
					used += (size_t)snprintf(out + used, len - used, "%s%s",
								 used ? " " : "", name);
			}
		}
		free(ents[i]);
	}
	free(ents);
}

int shl_dev_describe(const char *bdf, struct shl_dev *d)
{
	memset(d, 0, sizeof(*d));
	snprintf(d->bdf, sizeof(d->bdf), "%s", bdf);
	if (read_hex(bdf, "vendor", &d->vendor) || read_hex(bdf, "device", &d->device) ||
	    read_hex(bdf, "class", &d->pci_class))
		return -ENODEV;
	d->kind = SHL_DEV_OTHER;
	d->cls = "pci";
	if (d->vendor == VID_EDU && d->device == DID_EDU) {
		d->kind = SHL_DEV_EDU;
		d->cls = "edu";
	} else if (d->pci_class >> 16 == CLASS_STORAGE) {
		d->kind = SHL_DEV_DISK;
		d->cls = d->pci_class == CLASS_NVME ? "nvme" :
			 d->vendor == VID_VIRTIO && (d->device == 0x1001 || d->device == 0x1042) ?
			 "virtio-blk" : "disk";
	} else if (d->pci_class >> 16 == CLASS_NET) {
		d->kind = SHL_DEV_NIC;
		d->cls = d->vendor == VID_VIRTIO && (d->device == 0x1000 || d->device == 0x1041) ?
			 "virtio-net" : "net";
	}
	if (d->kind == SHL_DEV_DISK)
		class_names("block", bdf, d->names, sizeof(d->names));
	else if (d->kind == SHL_DEV_NIC)
		class_names("net", bdf, d->names, sizeof(d->names));
	return 0;
}

/* ------------------------------------------------------------- guard */

/* The interface that holds IPv4/IPv6 address @addr, via getifaddrs(3). */
static void iface_of(const char *addr, char *out, size_t len)
{
	struct in6_addr a6;
	struct in_addr a4;
	struct ifaddrs *ifs, *i;
	bool v4 = inet_pton(AF_INET, addr, &a4) == 1;
	bool v6 = !v4 && inet_pton(AF_INET6, addr, &a6) == 1;

	if ((!v4 && !v6) || getifaddrs(&ifs))
		return;
	for (i = ifs; i; i = i->ifa_next) {
		if (!i->ifa_addr)
			continue;
		if ((v4 && i->ifa_addr->sa_family == AF_INET &&
		     ((struct sockaddr_in *)(void *)i->ifa_addr)->sin_addr.s_addr == a4.s_addr) ||
		    (v6 && i->ifa_addr->sa_family == AF_INET6 &&
		     !memcmp(&((struct sockaddr_in6 *)(void *)i->ifa_addr)->sin6_addr, &a6,
			     sizeof(a6)))) {
			snprintf(out, len, "%s", i->ifa_name);
			break;
		}
	}
	freeifaddrs(ifs);
}

void shl_dev_guard_init(struct shl_dev_guard *g, bool force)
{
	const char *env = getenv("SMMU_HIL_ROOT_DEV"), *ssh;
	char local[64];
	struct stat st;

	memset(g, 0, sizeof(*g));
	g->force = force;
	if (env && *env) {
		g->root = sscanf(env, "%u:%u", &g->root_major, &g->root_minor) == 2;
	} else if (!stat("/", &st) && major(st.st_dev)) {
		/* major 0: an unnamed device (initramfs, tmpfs, overlay): no disk */
		g->root = true;
		g->root_major = major(st.st_dev);
		g->root_minor = minor(st.st_dev);
	}
	env = getenv("SMMU_HIL_SSH_IFACE");
	if (env && *env) {
		snprintf(g->ssh_if, sizeof(g->ssh_if), "%s", env);
		return;
	}
	/* SSH_CONNECTION: "CLIENT_ADDR CLIENT_PORT SERVER_ADDR SERVER_PORT" (ssh(1)) */
	ssh = getenv("SSH_CONNECTION");
	if (ssh && sscanf(ssh, "%*s %*s %63s", local) == 1)
		iface_of(local, g->ssh_if, sizeof(g->ssh_if));
}

/* Whether block device @maj:@min, or one it is built on (slaves), lies under @bdf. */
static bool blockdev_under(unsigned int maj, unsigned int min, const char *bdf, int depth)
{
	char path[PATH_MAX], sub[PATH_MAX];
	struct dirent *de;
	bool hit = false;
	DIR *d;

	snprintf(path, sizeof(path), "%s/dev/block/%u:%u", shl_sysfs_dir(), maj, min);
	if (link_under(path, bdf))
		return true;
	if (depth > 4)
		return false;
	if (snprintf(sub, sizeof(sub), "%s/slaves", path) >= (int)sizeof(sub))
		return false;
	d = opendir(sub);
	if (!d)
		return false;
	while (!hit && (de = readdir(d))) {
		char dev[PATH_MAX], buf[32];
		unsigned int a, b;

		if (de->d_name[0] == '.')
			continue;
		if (snprintf(dev, sizeof(dev), "%s/%s/dev", sub, de->d_name) >= (int)sizeof(dev))
			continue;
		if (shl_read_text(dev, buf, sizeof(buf)) > 0 && sscanf(buf, "%u:%u", &a, &b) == 2)
			hit = blockdev_under(a, b, bdf, depth + 1);
	}
	closedir(d);
	return hit;
}

int shl_dev_protected(const struct shl_dev *d, const struct shl_dev_guard *g, char *why,
		      size_t len)
{
	char path[PATH_MAX];

	if (g->force)
		return 0;
	if (g->root && blockdev_under(g->root_major, g->root_minor, d->bdf, 0)) {
		snprintf(why, len, "device %s (%s%s%s) holds the root file system (/, block device %u:%u): refusing to move its STE (an inventory entry with force: true overrides)",
			 d->bdf, d->cls, d->names[0] ? " " : "", d->names, g->root_major,
			 g->root_minor);
		return 1;
	}
	if (g->ssh_if[0]) {
		snprintf(path, sizeof(path), "%s/class/net/%s", shl_sysfs_dir(), g->ssh_if);
		if (link_under(path, d->bdf)) {
			snprintf(why, len, "device %s (%s %s) carries this SSH session (%s): refusing to move its STE (an inventory entry with force: true overrides)",
				 d->bdf, d->cls, g->ssh_if, g->ssh_if);
			return 1;
		}
	}
	return 0;
}

/* ----------------------------------------------------------- resolve */

static const char *const classes[] = {
	"nvme", "virtio-blk", "virtio-net", "disk", "net", "nic", NULL,
};

static bool is_class(const char *s)
{
	size_t i;

	for (i = 0; classes[i]; i++)
		if (!strcmp(s, classes[i]))
			return true;
	return false;
}

static bool is_id(const char *s)
{
	unsigned int v, d;
	char tail;

	return strlen(s) == 9 && s[4] == ':' && sscanf(s, "%4x:%4x%c", &v, &d, &tail) == 2;
}

bool shl_dev_spec_ok(const char *spec)
{
	char bdf[SHL_BDF_LEN];

	return !strcmp(spec, "edu") || is_class(spec) || is_id(spec) ||
	       !strncmp(spec, "workload.", 9) || !shl_parse_bdf(spec, bdf);
}

static bool class_match(const char *spec, const struct shl_dev *d)
{
	if (!strcmp(spec, "disk"))
		return d->kind == SHL_DEV_DISK;
	if (!strcmp(spec, "net") || !strcmp(spec, "nic"))
		return d->kind == SHL_DEV_NIC;
	return !strcmp(spec, d->cls);
}

int shl_dev_resolve(const char *spec, const struct shl_dev_guard *g, struct shl_dev *out,
		    char *why, size_t len)
{
	char bdf[SHL_BDF_LEN], path[PATH_MAX], first_why[400] = "";
	struct dirent **ents;
	unsigned int v = 0, dv = 0;
	struct shl_dev d;
	int n, i, found = -1, matches = 0;

	if (!strncmp(spec, "workload.", 9)) {
		snprintf(why, len, "device %s: an inventory role; the lab resolves it (smmu-hil run --device BDF)",
			 spec);
		return -EINVAL;
	}
	if (!strcmp(spec, "edu")) {
		if (shl_edu_find(NULL, bdf)) {
			snprintf(why, len, "device edu: not bound to %s", SHL_EDU_DRIVER);
			return -ENODEV;
		}
		spec = bdf;
	}
	if (!shl_parse_bdf(spec, bdf)) {
		char drv[64];

		if (shl_dev_describe(bdf, out)) {
			snprintf(why, len, "device %s: no such PCI device", bdf);
			return -ENODEV;
		}
		if (out->kind == SHL_DEV_EDU &&
		    (shl_pci_driver(bdf, drv, sizeof(drv)) || strcmp(drv, SHL_EDU_DRIVER))) {
			snprintf(why, len, "device %s (edu): not bound to %s", bdf, SHL_EDU_DRIVER);
			return -ENODEV;
		}
		return shl_dev_protected(out, g, why, len) ? -EPERM : 0;
	}
	if (is_id(spec))
		sscanf(spec, "%4x:%4x", &v, &dv);
	else if (!is_class(spec)) {
		snprintf(why, len, "device %s: not edu, a PCI address, vendor:device or a class (nvme, virtio-blk, virtio-net, disk, net, nic)",
			 spec);
		return -EINVAL;
	}
	snprintf(path, sizeof(path), "%s/bus/pci/devices", shl_sysfs_dir());
	n = scandir(path, &ents, NULL, alphasort);
	if (n < 0) {
		snprintf(why, len, "device %s: cannot list %s: %s", spec, path, strerror(errno));
		return -ENODEV;
	}
	for (i = 0; i < n; i++) {
		if (found < 0 && !shl_parse_bdf(ents[i]->d_name, bdf) &&
		    !strcmp(bdf, ents[i]->d_name) && !shl_dev_describe(bdf, &d) &&
		    (v ? d.vendor == v && d.device == dv : class_match(spec, &d))) {
			matches++;
			if (!shl_dev_protected(&d, g, matches == 1 ? first_why : path,
					       matches == 1 ? sizeof(first_why) : sizeof(path))) {
				*out = d;
				found = i;
			}
		}
		free(ents[i]);
	}
	free(ents);
	if (found >= 0)
		return 0;
	if (matches) {
		snprintf(why, len, "%s", first_why);
		return -EPERM;
	}
	snprintf(why, len, "device %s: no such PCI device", spec);
	return -ENODEV;
}
