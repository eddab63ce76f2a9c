// SPDX-License-Identifier: GPL-2.0-only
/*
 * uapi-negative: run on the DUT (root, debugfs mounted, smmu_hil_evtmon and
 * smmu_hil_edu loaded, smmu_hil_inject loaded with allow_raw=1) to check
 * that the modules refuse malformed records and ioctl structs of
 * modules/include/uapi/smmu_hil.h (bad version, size, flags, reserved
 * fields, counts and ranges, text) with the expected errno and leave the
 * claimed STE as it was, and that well-formed ones work.
 *
 *   uapi-negative [EDU_CTL_PATH]    prints one "ok"/"FAIL" line per check
 *
 * Exit status: 0 if every check gave the expected result, 1 otherwise.
 * `make uapi-negative` builds it (static arm64); docs/modules.md says how
 * it is run on the emulated DUT.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <uapi/smmu_hil.h>

#define D "/sys/kernel/debug/smmu-hil/"
static int fails;

static void expect(const char *what, int got, int want)
{
	printf("%s %-48s got %d want %d\n", got == want ? "ok  " : "FAIL", what, got, want);
	if (got != want)
		fails++;
}

static int io(const char *path, unsigned long req, void *arg)
{
	int fd = open(path, O_RDWR), r;

	if (fd < 0)
		return -errno;
	r = ioctl(fd, req, arg) < 0 ? -errno : 0;
	close(fd);
	return r;
}

static int wr(const char *path, const void *buf, size_t len)
{
	int fd = open(path, O_WRONLY), r;

	if (fd < 0)
		return -errno;
	r = write(fd, buf, len) < 0 ? -errno : 0;
	close(fd);
	return r;
}

static int rd(const char *path, void *buf, size_t len)
{
	int fd = open(path, O_RDONLY), r;

	if (fd < 0)
		return -errno;
	r = (int)read(fd, buf, len);
	if (r < 0)
		r = -errno;
	close(fd);
	return r;
}

static void hdr(struct smmu_hil_hdr *h, size_t size)
{
	h->version = SMMU_HIL_UAPI_VERSION;
	h->size = size;
	h->flags = 0;
}

static struct {
	struct smmu_hil_inj_seq h;
	struct smmu_hil_inj_op o[8];
} sq;

static void seq(unsigned int nops)
{
	memset(&sq, 0, sizeof(sq));
	hdr(&sq.h.hdr, sizeof(sq.h));
	sq.h.entry = SMMU_HIL_ENT_STE;
	sq.h.nops = nops;
	sq.h.repeat = 1;
}

int main(int argc, char **argv)
{
	const char *edu = argc > 1 ? argv[1] : D "edu/0000:00:03.0/ctl";
	struct smmu_hil_evt_stats st;
	struct smmu_hil_evt_smmus sm;
	struct smmu_hil_evt_streams es;
	struct smmu_hil_evt_hold ho;
	struct smmu_hil_stream streams[16];
	struct smmu_hil_edu_cmd c;
	int blocked;
	struct smmu_hil_inj_entry e0, e1;
	struct smmu_hil_inj_rec_ctl rc;
	struct smmu_hil_inj_result res;
	char big[70000];

	/* evtmon */
	memset(&st, 0, sizeof(st));
	hdr(&st.hdr, sizeof(st));
	expect("evt stats", io(D "events", SMMU_HIL_IOC_EVT_STATS, &st), 0);
	printf("     probe %s:%u ring %u captured %llu\n", st.probe, st.probe_argidx, st.ring_size,
	       (unsigned long long)st.captured);
	st.hdr.version = 7;
	expect("evt stats bad version", io(D "events", SMMU_HIL_IOC_EVT_STATS, &st), -EINVAL);
	hdr(&st.hdr, sizeof(st));
	st.hdr.flags = 1;
	expect("evt stats flags", io(D "events", SMMU_HIL_IOC_EVT_STATS, &st), -EINVAL);
	expect("evt unknown ioctl", io(D "events", _IOWR(SMMU_HIL_IOC_MAGIC, 0x09, st), &st), -ENOTTY);
	expect("evt stats other size", io(D "events", _IOWR(SMMU_HIL_IOC_MAGIC, 0x01, sm), &sm), -ENOTTY);
	memset(&sm, 0, sizeof(sm));
	hdr(&sm.hdr, sizeof(sm));
	expect("evt smmus", io(D "events", SMMU_HIL_IOC_EVT_SMMUS, &sm), 0);
	printf("     %u smmu: %s idr0 0x%x\n", sm.count, sm.smmu[0].name, sm.smmu[0].idr0);
	sm.reserved = 1;
	expect("evt smmus reserved", io(D "events", SMMU_HIL_IOC_EVT_SMMUS, &sm), -EINVAL);
	memset(&es, 0, sizeof(es));
	hdr(&es.hdr, sizeof(es));
	es.max = 16;
	es.streams = (unsigned long)streams;
	expect("evt tables", io(D "events", SMMU_HIL_IOC_EVT_TABLES, &es), 0);
	printf("     %u streams, first sid %u flags %u ste0 0x%llx\n", es.count, streams[0].sid,
	       streams[0].flags, (unsigned long long)streams[0].ste[0]);
	es.count = 0;
	es.max = 0;
	expect("evt streams max 0", io(D "events", SMMU_HIL_IOC_EVT_STREAMS, &es), -EINVAL);
	es.max = SMMU_HIL_MAX_STREAMS + 1;
	expect("evt streams max big", io(D "events", SMMU_HIL_IOC_EVT_STREAMS, &es), -EINVAL);
	es.max = 16;
	es.streams = 0;
	expect("evt streams null", io(D "events", SMMU_HIL_IOC_EVT_STREAMS, &es), -EINVAL);
	es.streams = 16;
	expect("evt streams bad pointer", io(D "events", SMMU_HIL_IOC_EVT_STREAMS, &es), -EFAULT);
	memset(&ho, 0, sizeof(ho));
	hdr(&ho.hdr, sizeof(ho));
	ho.ms = 1;
	/* the DUT loads the monitor without evtq_hold_max_ms */
	expect("evt hold without evtq_hold_max_ms", io(D "events", SMMU_HIL_IOC_EVT_HOLD, &ho),
	       -EPERM);
	expect("evt clear file gone", wr(D "clear", "1", 1), -ENOENT);
	expect("evt events write", wr(D "events", "1", 1), -EINVAL);

	/* edu */
	memset(&c, 0, sizeof(c));
	hdr(&c.hdr, sizeof(c));
	c.cmd = SMMU_HIL_EDU_QUERY;
	expect("edu query", io(edu, SMMU_HIL_IOC_EDU_CMD, &c), 0);
	printf("     domain %u flags 0x%x\n", c.domain, c.hdr.flags);
	blocked = c.hdr.flags & SMMU_HIL_EDU_HAS_BLOCKED;
	/* outputs are zero on input, the result's flags too */
	c.domain = 0;
	c.hdr.flags = 0;
	c.cmd = SMMU_HIL_EDU_ROUNDTRIP;
	c.len = 0;
	c.count = 1;
	expect("edu roundtrip len 0", io(edu, SMMU_HIL_IOC_EDU_CMD, &c), -EINVAL);
	c.len = 4096;
	expect("edu roundtrip len 4096", io(edu, SMMU_HIL_IOC_EDU_CMD, &c), -EINVAL);
	c.len = 64;
	c.count = 10001;
	expect("edu roundtrip count 10001", io(edu, SMMU_HIL_IOC_EDU_CMD, &c), -EINVAL);
	c.count = 1;
	c.reserved[1] = 1;
	expect("edu reserved", io(edu, SMMU_HIL_IOC_EDU_CMD, &c), -EINVAL);
	c.reserved[1] = 0;
	c.transfers = 5;
	expect("edu output set", io(edu, SMMU_HIL_IOC_EDU_CMD, &c), -EINVAL);
	c.transfers = 0;
	c.cmd = 99;
	expect("edu cmd 99", io(edu, SMMU_HIL_IOC_EDU_CMD, &c), -EINVAL);
	c.cmd = SMMU_HIL_EDU_DOMAIN;
	c.len = 0;
	c.count = 0;
	c.arg = SMMU_HIL_EDU_DOM_BLOCKED + 1;
	expect("edu domain arg 3", io(edu, SMMU_HIL_IOC_EDU_CMD, &c), -EINVAL);
	/* the kernel's blocked domain where it has one, then back */
	c.arg = SMMU_HIL_EDU_DOM_BLOCKED;
	expect("edu domain blocked", io(edu, SMMU_HIL_IOC_EDU_CMD, &c), blocked ? 0 : -EOPNOTSUPP);
	expect("edu domain is blocked", blocked ? (int)c.domain : SMMU_HIL_DOM_BLOCKED,
	       SMMU_HIL_DOM_BLOCKED);
	c.domain = 0;
	c.hdr.flags = 0;
	c.arg = SMMU_HIL_EDU_DOM_DEFAULT;
	expect("edu domain default", io(edu, SMMU_HIL_IOC_EDU_CMD, &c), 0);
	c.domain = 0;
	c.hdr.flags = 0;
	c.arg = 0;
	c.cmd = SMMU_HIL_EDU_LOOP_STOP;
	expect("edu loop stop, none", io(edu, SMMU_HIL_IOC_EDU_CMD, &c), -ENOENT);
	c.cmd = SMMU_HIL_EDU_FAULT;
	c.count = 4097;
	expect("edu fault 4097", io(edu, SMMU_HIL_IOC_EDU_CMD, &c), -EINVAL);
	c.count = 1;
	c.len = 3;
	expect("edu fault len 3", io(edu, SMMU_HIL_IOC_EDU_CMD, &c), -EINVAL);
	c.len = 4096;
	expect("edu fault len 4096", io(edu, SMMU_HIL_IOC_EDU_CMD, &c), -EINVAL);
	c.len = 0;
	c.cmd = SMMU_HIL_EDU_ROUNDTRIP;
	c.len = 64;
	c.count = 2;
	expect("edu roundtrip", io(edu, SMMU_HIL_IOC_EDU_CMD, &c), 0);
	printf("     transfers %llu errors %llu bytes %llu\n", (unsigned long long)c.transfers,
	       (unsigned long long)c.errors, (unsigned long long)c.bytes);
	expect("edu ctl text write", wr(edu, "roundtrip 64 1", 14), -EINVAL);

	/* inject */
	expect("inj ste read", rd(D "inject/ste", &e0, sizeof(e0)), (int)sizeof(e0));
	printf("     sid 0x%x ste 0x%llx,0x%llx flags 0x%x\n", e0.sid, (unsigned long long)e0.q[0],
	       (unsigned long long)e0.q[1], e0.hdr.flags);
	expect("inj raw text", wr(D "inject/raw", "entry ste\nsync\n", 15), -EINVAL);
	seq(0);
	expect("inj raw nops 0", wr(D "inject/raw", &sq, sizeof(sq.h)), -EINVAL);
	seq(1);
	sq.o[0].op = SMMU_HIL_OP_SYNC;
	expect("inj raw nops mismatch", wr(D "inject/raw", &sq, sizeof(sq.h) + 2 * 16), -EINVAL);
	expect("inj raw partial op", wr(D "inject/raw", &sq, sizeof(sq.h) + 8), -EINVAL);
	sq.h.hdr.version = 2;
	expect("inj raw version", wr(D "inject/raw", &sq, sizeof(sq.h) + 16), -EINVAL);
	seq(1);
	sq.o[0].op = 9;
	expect("inj raw op 9", wr(D "inject/raw", &sq, sizeof(sq.h) + 16), -EINVAL);
	sq.o[0].op = SMMU_HIL_OP_WRITE;
	sq.o[0].idx = 8;
	expect("inj raw write idx 8", wr(D "inject/raw", &sq, sizeof(sq.h) + 16), -EINVAL);
	sq.o[0].op = SMMU_HIL_OP_SYNC;
	sq.o[0].idx = 0;
	sq.o[0].reserved = 1;
	expect("inj raw op reserved", wr(D "inject/raw", &sq, sizeof(sq.h) + 16), -EINVAL);
	sq.o[0].reserved = 0;
	sq.o[0].val = 1;
	expect("inj raw sync with val", wr(D "inject/raw", &sq, sizeof(sq.h) + 16), -EINVAL);
	sq.o[0].val = 0;
	sq.o[0].op = SMMU_HIL_OP_DWELL;
	sq.o[0].us = 100001;
	expect("inj raw dwell big", wr(D "inject/raw", &sq, sizeof(sq.h) + 16), -EINVAL);
	sq.o[0].us = 100000;
	sq.h.repeat = 2000;
	expect("inj raw total dwell", wr(D "inject/raw", &sq, sizeof(sq.h) + 16), -EINVAL);
	sq.h.repeat = 0;
	expect("inj raw repeat 0", wr(D "inject/raw", &sq, sizeof(sq.h) + 16), -EINVAL);
	sq.h.repeat = 1;
	sq.h.body = 2;
	expect("inj raw body > nops", wr(D "inject/raw", &sq, sizeof(sq.h) + 16), -EINVAL);
	sq.h.body = 0;
	sq.h.entry = 2;
	expect("inj raw entry 2", wr(D "inject/raw", &sq, sizeof(sq.h) + 16), -EINVAL);
	memset(big, 0, sizeof(big));
	expect("inj raw 70000 bytes", wr(D "inject/raw", big, sizeof(big)), -EINVAL);
	seq(1);
	sq.o[0].op = SMMU_HIL_OP_WRITE;
	sq.o[0].idx = 5;
	sq.o[0].val = e0.q[5] ^ 1;
	expect("inj raw changed q5", wr(D "inject/raw", &sq, sizeof(sq.h) + 16), -EINVAL);
	sq.o[0].idx = 0;
	sq.o[0].val = (e0.q[0] & ~0x00ffffffffffffc0ULL) | 0x40000000ULL;
	expect("inj raw foreign CD pointer", wr(D "inject/raw", &sq, sizeof(sq.h) + 16), -EINVAL);
	/* a valid hitless sequence: the same q1, a sync, repeated */
	seq(2);
	sq.o[0].op = SMMU_HIL_OP_WRITE;
	sq.o[0].idx = 1;
	sq.o[0].val = e0.q[1];
	sq.o[1].op = SMMU_HIL_OP_SYNC;
	sq.h.repeat = 100;
	expect("inj raw valid", wr(D "inject/raw", &sq, sizeof(sq.h) + 32), 0);
	expect("inj result read", rd(D "inject/result", &res, sizeof(res)), (int)sizeof(res));
	printf("     flags 0x%x error %d iterations %llu syncs %llu\n", res.hdr.flags, res.error,
	       (unsigned long long)res.iterations, (unsigned long long)res.syncs);
	memset(&rc, 0, sizeof(rc));
	hdr(&rc.hdr, sizeof(rc));
	rc.cmd = 3;
	expect("inj record cmd 3", wr(D "inject/record", &rc, sizeof(rc)), -EINVAL);
	rc.cmd = SMMU_HIL_REC_CLEAR;
	expect("inj record short", wr(D "inject/record", &rc, sizeof(rc) - 1), -EINVAL);
	expect("inj record text", wr(D "inject/record", "start", 5), -EINVAL);
	rc.reserved = 1;
	expect("inj record reserved", wr(D "inject/record", &rc, sizeof(rc)), -EINVAL);
	rc.reserved = 0;
	expect("inj record clear", wr(D "inject/record", &rc, sizeof(rc)), 0);
	expect("inj ste write", wr(D "inject/ste", "x", 1), -EINVAL);
	expect("inj ste after", rd(D "inject/ste", &e1, sizeof(e1)), (int)sizeof(e1));
	expect("inj ste unchanged", memcmp(e0.q, e1.q, sizeof(e0.q)) != 0, 0);
	printf("%s: %d failures\n", fails ? "NEG FAIL" : "NEG PASS", fails);
	return fails != 0;
}
