// SPDX-License-Identifier: GPL-2.0-only
/*
 * smmu-hil luo: a memfd holding the lab's test pattern, preserved across
 * kexec by the Live Update Orchestrator (smmu_hil/luo.h, docs/bugs.md
 * "live-update-luo").
 *
 *   luo preserve --session NAME --token N --size SIZE --seed S
 *       a memfd of SIZE bytes of the pattern, preserved in a new session;
 *       prints the result, then holds the session (stays in the
 *       foreground until killed: run it in the background; `kexec -e`
 *       must find it alive)
 *   luo retrieve --session NAME --token N --size SIZE --seed S
 *                [--crc32c X] [--preserve]
 *       in the next kernel: retrieve the session and the memfd, verify it
 *       (size, every byte, CRC-32C), finish the session; with --preserve
 *       and a good memfd, preserve the same memfd again in a new session
 *       of the same name and hold it as preserve does
 *   luo verify --file PATH --size SIZE --seed S [--crc32c X]
 *       the same check of any file (host tests; /proc/PID/fd/N)
 *   luo pattern --file PATH --size SIZE --seed S
 *       write the pattern to a file
 *
 * Exit: 0, 1 when the content does not verify, 2 on errors.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "cli.h"
#include "smmu_hil/luo.h"
#include "smmu_hil/parse.h"

/* the largest pattern the command writes (the emulated DUT has 1 GiB) */
#define LUO_SIZE_MAX	(512ull << 20)

struct luo_args {
	const char *session;
	const char *file;
	const char *dev;
	unsigned long long token, size, seed, crc;
	bool has_token, has_size, has_seed, has_crc, preserve;
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: smmu-hil luo preserve --session NAME --token N --size SIZE --seed S\n"
		"       smmu-hil luo retrieve --session NAME --token N --size SIZE --seed S\n"
		"                             [--crc32c X] [--preserve]\n"
		"       smmu-hil luo verify --file PATH --size SIZE --seed S [--crc32c X]\n"
		"       smmu-hil luo pattern --file PATH --size SIZE --seed S\n"
		"  SIZE in bytes, or with a K, M or G suffix; --dev PATH instead of %s\n",
		SHL_LUO_DEV);
}

/* "123", "0x10", "8M": bytes (K, M, G: binary multiples). -EINVAL when bad. */
static int parse_size(const char *s, unsigned long long *out)
{
	char buf[32];
	size_t len = s ? strlen(s) : 0;
	unsigned int shift = 0;

	if (len == 0 || len >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, len + 1);
	switch (buf[len - 1]) {
	case 'K': case 'k': shift = 10; break;
	case 'M': case 'm': shift = 20; break;
	case 'G': case 'g': shift = 30; break;
	}
	if (shift)
		buf[len - 1] = '\0';
	if (shl_parse_u64(buf, out) || *out > (LUO_SIZE_MAX >> shift))
		return -EINVAL;
	*out <<= shift;
	return 0;
}

static int parse_args(int argc, char **argv, struct luo_args *a)
{
	static const struct option opts[] = {
		{ "session", required_argument, NULL, 'S' },
		{ "token", required_argument, NULL, 't' },
		{ "size", required_argument, NULL, 's' },
		{ "seed", required_argument, NULL, 'e' },
		{ "crc32c", required_argument, NULL, 'c' },
		{ "file", required_argument, NULL, 'f' },
		{ "dev", required_argument, NULL, 'd' },
		{ "preserve", no_argument, NULL, 'P' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	memset(a, 0, sizeof(*a));
	a->dev = SHL_LUO_DEV;
	while ((c = shl_getopt(argc, argv, "", opts)) != -1) {
		switch (c) {
		case SHL_GETOPT_ERR:
			return SHL_EXIT_USAGE;
		case 'S':
			a->session = optarg;
			break;
		case 'f':
			a->file = optarg;
			break;
		case 'd':
			a->dev = optarg;
			break;
		case 'P':
			a->preserve = true;
			break;
		case 't':
			if (shl_parse_u64(optarg, &a->token))
				return shl_err("luo: bad --token '%s'", optarg);
			a->has_token = true;
			break;
		case 's':
			if (parse_size(optarg, &a->size) || a->size == 0)
				return shl_err("luo: bad --size '%s' (1 byte to %llu MiB)", optarg,
					       LUO_SIZE_MAX >> 20);
			a->has_size = true;
			break;
		case 'e':
			if (shl_parse_u64(optarg, &a->seed) || a->seed > UINT32_MAX)
				return shl_err("luo: bad --seed '%s' (0 to %u)", optarg, UINT32_MAX);
			a->has_seed = true;
			break;
		case 'c':
			if (shl_parse_u64(optarg, &a->crc) || a->crc > UINT32_MAX)
				return shl_err("luo: bad --crc32c '%s'", optarg);
			a->has_crc = true;
			break;
		}
	}
	if (optind < argc)
		return shl_err("luo %s: unexpected argument '%s'", argv[0], argv[optind]);
	return SHL_EXIT_OK;
}

/* the options @verb needs: 's' session, 't' token, 'f' file; size and seed always */
static int need(const char *verb, const struct luo_args *a, const char *what)
{
	if (strchr(what, 's') && !a->session)
		return shl_err("luo %s: --session NAME is required", verb);
	if (a->session && !shl_luo_session_name_ok(a->session))
		return shl_err("luo %s: session name '%s': 1 to %d printable characters", verb,
			       a->session, SHL_LUO_NAME_MAX - 1);
	if (strchr(what, 't') && !a->has_token)
		return shl_err("luo %s: --token N is required", verb);
	if (strchr(what, 'f') && !a->file)
		return shl_err("luo %s: --file PATH is required", verb);
	if (!a->has_size || !a->has_seed)
		return shl_err("luo %s: --size SIZE and --seed S are required", verb);
	return SHL_EXIT_OK;
}

static void hex32(json_object *o, const char *key, uint32_t v)
{
	char s[16];

	snprintf(s, sizeof(s), "0x%08x", v);
	json_object_object_add(o, key, json_object_new_string(s));
}

/* Print @o (JSON or "key value" lines) and flush: a holder's caller polls for it. */
static void emit(json_object *o, const struct shl_cli *cli)
{
	if (cli->json) {
		shl_json_print(o, cli);
	} else {
		json_object_object_foreach(o, k, v)
			printf("%s %s\n", k, json_object_get_string(v));
		json_object_put(o);
	}
	fflush(stdout);
}

/*
 * The verify result of @fd against @a's size, seed and expected CRC into
 * @o; returns true when it matches.
 */
static bool check_fd(int fd, const struct luo_args *a, json_object *o, int *err)
{
	struct shl_luo_verify v;
	bool ok;

	*err = shl_luo_verify_fd(fd, (uint32_t)a->seed, &v);
	if (*err)
		return false;
	ok = v.size == a->size && v.mismatches == 0 && (!a->has_crc || v.crc32c == a->crc);
	json_object_object_add(o, "size", json_object_new_int64((int64_t)v.size));
	json_object_object_add(o, "expected_size", json_object_new_int64((int64_t)a->size));
	json_object_object_add(o, "seed", json_object_new_int64((int64_t)a->seed));
	json_object_object_add(o, "mismatches", json_object_new_int64((int64_t)v.mismatches));
	json_object_object_add(o, "first_mismatch", json_object_new_int64(v.first_mismatch));
	hex32(o, "crc32c", v.crc32c);
	if (a->has_crc)
		hex32(o, "expected_crc32c", (uint32_t)a->crc);
	json_object_object_add(o, "verified", json_object_new_boolean(ok));
	return ok;
}

/*
 * Create session @a->session on @luo, preserve @memfd in it under
 * @a->token; returns the session fd or -errno (@where names the failed step).
 */
static int preserve_in_new_session(int luo, int memfd, const struct luo_args *a,
				   const char **where)
{
	int s, ret;

	s = shl_luo_create_session(luo, a->session);
	if (s < 0) {
		*where = "LIVEUPDATE_IOCTL_CREATE_SESSION";
		return s;
	}
	ret = shl_luo_preserve_fd(s, memfd, a->token);
	if (ret) {
		*where = "LIVEUPDATE_SESSION_PRESERVE_FD";
		close(s);
		return ret;
	}
	return s;
}

/* Stay alive holding the session (and the memfd): until a signal ends us. */
static int hold(void)
{
	for (;;)
		pause();
	return SHL_EXIT_OK;
}

static int luo_open_checked(const char *dev, const char *verb)
{
	int fd;

	if (!shl_luo_available()) {
		shl_err("luo %s: this agent was built without the kernel's linux/liveupdate.h "
			"(make lab-kernel installs it; rebuild the agent)", verb);
		return -ENOSYS;
	}
	fd = shl_luo_open(dev);
	if (fd < 0)
		shl_err("luo %s: %s: %s%s", verb, dev, strerror(-fd),
			fd == -ENOENT ? " (LUO is off: boot with kho=on liveupdate=on)" :
			fd == -EBUSY ? " (another process holds it)" : "");
	return fd;
}

static int cmd_preserve(int argc, char **argv, const struct shl_cli *cli)
{
	const char *where = "";
	struct luo_args a;
	json_object *o;
	int ret, luo, memfd, s;
	uint32_t crc;

	ret = parse_args(argc, argv, &a);
	if (ret || (ret = need("preserve", &a, "st")))
		return ret;
	luo = luo_open_checked(a.dev, "preserve");
	if (luo < 0)
		return SHL_EXIT_USAGE;
	memfd = memfd_create("smmu-hil-luo", 0);
	if (memfd < 0) {
		close(luo);
		return shl_err("luo preserve: memfd_create: %s", strerror(errno));
	}
	ret = shl_luo_write_pattern(memfd, a.size, (uint32_t)a.seed, &crc);
	if (ret) {
		close(memfd);
		close(luo);
		return shl_err("luo preserve: writing the pattern: %s", strerror(-ret));
	}
	s = preserve_in_new_session(luo, memfd, &a, &where);
	close(luo);	/* the session lives on without /dev/liveupdate open */
	if (s < 0) {
		close(memfd);
		return shl_err("luo preserve: %s '%s': %s", where, a.session, strerror(-s));
	}
	o = json_object_new_object();
	json_object_object_add(o, "session", json_object_new_string(a.session));
	json_object_object_add(o, "token", json_object_new_int64((int64_t)a.token));
	json_object_object_add(o, "size", json_object_new_int64((int64_t)a.size));
	json_object_object_add(o, "seed", json_object_new_int64((int64_t)a.seed));
	hex32(o, "crc32c", crc);
	json_object_object_add(o, "preserved", json_object_new_boolean(true));
	json_object_object_add(o, "holder_pid", json_object_new_int((int)getpid()));
	emit(o, cli);
	return hold();
}

static int cmd_retrieve(int argc, char **argv, const struct shl_cli *cli)
{
	const char *where = "";
	struct luo_args a;
	json_object *o;
	int ret, luo, s, memfd, err, s2;
	bool ok;

	ret = parse_args(argc, argv, &a);
	if (ret || (ret = need("retrieve", &a, "st")))
		return ret;
	luo = luo_open_checked(a.dev, "retrieve");
	if (luo < 0)
		return SHL_EXIT_USAGE;
	s = shl_luo_retrieve_session(luo, a.session);
	if (s < 0) {
		close(luo);
		return shl_err("luo retrieve: LIVEUPDATE_IOCTL_RETRIEVE_SESSION '%s': %s%s",
			       a.session, strerror(-s),
			       s == -ENOENT ? " (no such session came over the kexec)" : "");
	}
	memfd = shl_luo_retrieve_fd(s, a.token);
	if (memfd < 0) {
		close(s);
		close(luo);
		return shl_err("luo retrieve: LIVEUPDATE_SESSION_RETRIEVE_FD token %llu: %s",
			       a.token, strerror(-memfd));
	}
	o = json_object_new_object();
	json_object_object_add(o, "session", json_object_new_string(a.session));
	json_object_object_add(o, "token", json_object_new_int64((int64_t)a.token));
	json_object_object_add(o, "retrieved", json_object_new_boolean(true));
	ok = check_fd(memfd, &a, o, &err);
	if (err) {
		json_object_put(o);
		close(memfd);
		close(s);
		close(luo);
		return shl_err("luo retrieve: reading the memfd: %s", strerror(-err));
	}
	ret = shl_luo_finish(s);
	json_object_object_add(o, "finished", json_object_new_boolean(ret == 0));
	if (ret)
		json_object_object_add(o, "finish_error", json_object_new_string(strerror(-ret)));
	close(s);
	if (a.preserve && ok && ret == 0) {
		s2 = preserve_in_new_session(luo, memfd, &a, &where);
		json_object_object_add(o, "preserved", json_object_new_boolean(s2 >= 0));
		if (s2 < 0) {
			json_object_object_add(o, "preserve_error",
					       json_object_new_string(strerror(-s2)));
			json_object_object_add(o, "preserve_step", json_object_new_string(where));
		}
		close(luo);
		json_object_object_add(o, "holder_pid", json_object_new_int((int)getpid()));
		emit(o, cli);
		if (s2 < 0) {
			close(memfd);
			return SHL_EXIT_FAIL;
		}
		return hold();
	}
	close(luo);
	close(memfd);
	emit(o, cli);
	return ok && ret == 0 ? SHL_EXIT_OK : SHL_EXIT_FAIL;
}

static int cmd_verify(int argc, char **argv, const struct shl_cli *cli)
{
	struct luo_args a;
	json_object *o;
	int ret, fd, err;
	bool ok;

	ret = parse_args(argc, argv, &a);
	if (ret || (ret = need("verify", &a, "f")))
		return ret;
	fd = open(a.file, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return shl_err("luo verify: %s: %s", a.file, strerror(errno));
	o = json_object_new_object();
	json_object_object_add(o, "file", json_object_new_string(a.file));
	ok = check_fd(fd, &a, o, &err);
	close(fd);
	if (err) {
		json_object_put(o);
		return shl_err("luo verify: reading %s: %s", a.file, strerror(-err));
	}
	emit(o, cli);
	return ok ? SHL_EXIT_OK : SHL_EXIT_FAIL;
}

static int cmd_pattern(int argc, char **argv, const struct shl_cli *cli)
{
	struct luo_args a;
	json_object *o;
	uint32_t crc;
	int ret, fd;

	ret = parse_args(argc, argv, &a);
	if (ret || (ret = need("pattern", &a, "f")))
		return ret;
	fd = open(a.file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return shl_err("luo pattern: %s: %s", a.file, strerror(errno));
	ret = shl_luo_write_pattern(fd, a.size, (uint32_t)a.seed, &crc);
	close(fd);
	if (ret)
		return shl_err("luo pattern: writing %s: %s", a.file, strerror(-ret));
	o = json_object_new_object();
	json_object_object_add(o, "file", json_object_new_string(a.file));
	json_object_object_add(o, "size", json_object_new_int64((int64_t)a.size));
	json_object_object_add(o, "seed", json_object_new_int64((int64_t)a.seed));
	hex32(o, "crc32c", crc);
	emit(o, cli);
	return SHL_EXIT_OK;
}

static const struct shl_verb luo_verbs[] = {
	{ "preserve", cmd_preserve, "preserve a pattern memfd in a new session and hold it" },
	{ "retrieve", cmd_retrieve, "retrieve, verify and finish the session (--preserve: again)" },
	{ "verify", cmd_verify, "check a file against the pattern" },
	{ "pattern", cmd_pattern, "write the pattern to a file" },
	{ NULL, NULL, NULL },
};

int shl_cmd_luo(int argc, char **argv, const struct shl_cli *cli)
{
	return shl_cmd_select("luo", luo_verbs, NULL, argc - 1, argv + 1, cli, usage);
}
