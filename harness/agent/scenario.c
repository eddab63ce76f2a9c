// SPDX-License-Identifier: GPL-2.0-only
/*
 * Transition scenario files (docs/scenarios.md), read with libyaml's
 * document API: every node carries its line, so each problem names
 * FILE:LINE and the key at fault.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "smmu_hil/parse.h"
#include "smmu_hil/dut.h"
#include "smmu_hil/event.h"
#include "smmu_hil/scenario.h"

#define SCN_FILE_MAX	(1u << 20)
/*
 * Deepest nesting of sequences and mappings a scenario may have (its own
 * schema needs 4: root, expect, events, a count). libyaml's scanner is
 * quadratic in the flow depth (1 MB of '[' took > 300 s) and its loader
 * recursive, so the depth is checked on the event stream first.
 */
#define SCN_DEPTH_MAX	16

static const char *const named_names[SHL_SCN_NAMED_NR] = {
	"abort", "bypass", "s1", "s2", "nested", "identity", "dma", "paging", "blocked",
};

/* Feature names `smmu-hil dut info` lists (shl_idr_to_json()). */
static const char *const feature_names[] = {
	"S1P", "S2P", "NESTED", "COHACC", "BTM", "HTTU_AF", "HTTU_DIRTY", "HYP", "ATS",
	"NS1ATS", "ASID16", "MSI", "SEV", "ATOS", "PRI", "VMW", "VMID16", "CD2L", "VATOS",
	"STALL", "TERM_MODEL", "2LVL_STRTAB", "ATTR_TYPES_OVR", "ATTR_PERMS_OVR", "FWB",
	"RIL", "STT", "GRAN4K", "GRAN16K", "GRAN64K",
};

/*
 * The scenario format's key tables. scenarios/scenario.schema.json says the
 * same for the lab (python3-jsonschema); test_scenario_schema checks that the
 * two agree, so a new key is added to both or the test fails.
 */
static const char *const top_keys[] = {
	"name", "description", "device", "devices", "requires", "mode", "entry", "transitions",
	"repeat", "dwell_us", "workloads", "dma_len", "dma_every", "record", "legality", "expect", NULL
};
static const char *const expect_keys[] = {
	"events", "expected_kinds", "dma_errors", "explain", NULL
};
static const char *const legality_keys[] = { "fail_on_disagreement", NULL };
static const char *const pair_keys[] = { "from", "to", NULL };
static const char *const item_keys[] = { "base", "entry", "requires", "skip_on", NULL };
static const char *const skip_on_keys[] = { "qemu", NULL };
static const char *const workload_names[] = { "edu-dma", "fio", "iperf3", NULL };
static const char *const device_kinds[] = { "edu", "disk", "nic", NULL };

const char *const *shl_scn_key_table(enum shl_scn_table t)
{
	switch (t) {
	case SHL_SCN_TABLE_TOP:		return top_keys;
	case SHL_SCN_TABLE_EXPECT:	return expect_keys;
	case SHL_SCN_TABLE_LEGALITY:	return legality_keys;
	case SHL_SCN_TABLE_PAIR:	return pair_keys;
	case SHL_SCN_TABLE_WORKLOADS:	return workload_names;
	case SHL_SCN_TABLE_DEVICES:	return device_kinds;
	case SHL_SCN_TABLE_ITEM:	return item_keys;
	case SHL_SCN_TABLE_SKIP_ON:	return skip_on_keys;
	}
	return NULL;
}

size_t shl_scn_feature_names(const char *const **names)
{
	*names = feature_names;
	return sizeof(feature_names) / sizeof(feature_names[0]);
}

const char *shl_scn_named_name(enum shl_scn_named n)
{
	return (unsigned int)n < SHL_SCN_NAMED_NR ? named_names[n] : "?";
}

struct ctx {
	yaml_document_t *doc;
	struct shl_scenario *s;
	char *err;
	size_t errlen;
};

static int fail(struct ctx *c, const yaml_node_t *n, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int fail(struct ctx *c, const yaml_node_t *n, const char *key, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(c->err, c->errlen, "%s:%lu: %s: %s", c->s->file,
		 n ? (unsigned long)n->start_mark.line + 1 : 1UL, key, msg);
	return -1;
}

static yaml_node_t *node(struct ctx *c, int id)
{
	return yaml_document_get_node(c->doc, id);
}

/* The scalar text of @n, or NULL if it is not a scalar. */
static const char *scalar(const yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

static int get_str(struct ctx *c, yaml_node_t *n, const char *key, char *out, size_t size)
{
	const char *v = scalar(n);

	if (!v)
		return fail(c, n, key, "expected a string");
	if (strlen(v) >= size)
		return fail(c, n, key, "longer than %zu characters", size - 1);
	strcpy(out, v);
	/* one line: folded and literal blocks end in (and may hold) newlines */
	for (char *p = out; *p; p++)
		if (*p == '\n')
			*p = ' ';
	while (*out && out[strlen(out) - 1] == ' ')
		out[strlen(out) - 1] = '\0';
	return 0;
}

static int get_uint(struct ctx *c, yaml_node_t *n, const char *key, unsigned long long min,
		    unsigned long long max, unsigned long long *out)
{
	const char *v = scalar(n);

	if (!v || shl_parse_u64(v, out) || *out < min || *out > max)
		return fail(c, n, key, "expected a whole number %llu..%llu", min, max);
	return 0;
}

static int get_bool(struct ctx *c, yaml_node_t *n, const char *key, bool *out)
{
	const char *v = scalar(n);

	if (v && (!strcmp(v, "true") || !strcmp(v, "yes"))) {
		*out = true;
		return 0;
	}
	if (v && (!strcmp(v, "false") || !strcmp(v, "no"))) {
		*out = false;
		return 0;
	}
	return fail(c, n, key, "expected true or false");
}

static int want_seq(struct ctx *c, yaml_node_t *n, const char *key)
{
	if (n->type != YAML_SEQUENCE_NODE)
		return fail(c, n, key, "expected a list");
	return 0;
}

/* Keys of mapping @m must be distinct scalars from @allowed (NULL-ended). */
static int check_keys(struct ctx *c, yaml_node_t *m, const char *where,
		      const char *const *allowed)
{
	yaml_node_pair_t *p, *q;
	const char *k;
	size_t i;

	for (p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top; p++) {
		k = scalar(node(c, p->key));
		if (!k)
			return fail(c, node(c, p->key), where, "keys must be plain strings");
		for (i = 0; allowed && allowed[i] && strcmp(allowed[i], k); i++)
			;
		if (allowed && !allowed[i])
			return fail(c, node(c, p->key), k, "unknown key in %s", where);
		for (q = m->data.mapping.pairs.start; q < p; q++)
			if (!strcmp(scalar(node(c, q->key)), k))
				return fail(c, node(c, p->key), k, "given twice");
	}
	return 0;
}

static yaml_node_t *lookup(struct ctx *c, yaml_node_t *m, const char *key)
{
	yaml_node_pair_t *p;

	for (p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top; p++)
		if (!strcmp(scalar(node(c, p->key)), key))
			return node(c, p->value);
	return NULL;
}

static bool is_hex(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!isxdigit((unsigned char)s[i]))
			return false;
	return true;
}

static int parse_device(struct ctx *c, yaml_node_t *n)
{
	struct shl_scenario *s = c->s;
	const char *v = scalar(n);
	char bdf[SHL_BDF_LEN];

	if (!v)
		return fail(c, n, "device", "expected a BDF, vendor:device or a role");
	if (!strcmp(v, "edu") || !strcmp(v, "disk") || !strcmp(v, "nic") || !strcmp(v, "net") ||
	    !strcmp(v, "nvme") || !strcmp(v, "virtio-blk") || !strcmp(v, "virtio-net") ||
	    !strcmp(v, "workload.disk") || !strcmp(v, "workload.nic")) {
		s->dev_kind = SHL_SCN_DEV_ROLE;
		strcpy(s->device, v);
	} else if (strlen(v) == 9 && v[4] == ':' && is_hex(v, 4) && is_hex(v + 5, 4)) {
		s->dev_kind = SHL_SCN_DEV_ID;
		snprintf(s->device, sizeof(s->device), "%.9s", v);
		for (char *p = s->device; *p; p++)
			*p = (char)tolower((unsigned char)*p);
	} else if (!shl_parse_bdf(v, bdf)) {
		s->dev_kind = SHL_SCN_DEV_BDF;
		strcpy(s->device, bdf);
	} else {
		return fail(c, n, "device",
			    "'%s' is not edu, a class (nvme, virtio-blk, virtio-net, disk, net, nic), a role (workload.disk, workload.nic), a vendor:device pair (1234:11e8) or a PCI address (0000:00:03.0)",
			    v);
	}
	return 0;
}

/* A list of feature names into @out (at most @max), for @key. */
static int parse_feature_list(struct ctx *c, yaml_node_t *n, const char *key,
			      char (*out)[24], size_t *nout, size_t max)
{
	yaml_node_item_t *it;
	const char *v;
	size_t i;

	if (want_seq(c, n, key))
		return -1;
	for (it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++) {
		v = scalar(node(c, *it));
		for (i = 0; v && i < sizeof(feature_names) / sizeof(feature_names[0]); i++)
			if (!strcmp(v, feature_names[i]))
				break;
		if (!v || i == sizeof(feature_names) / sizeof(feature_names[0]))
			return fail(c, node(c, *it), key,
				    "'%s' is not an SMMU feature `smmu-hil dut info` lists (S1P, S2P, NESTED, ATS, PRI, ...)",
				    v ? v : "(not a string)");
		if (*nout == max)
			return fail(c, node(c, *it), key, "more than %zu features", max);
		strcpy(out[(*nout)++], v);
	}
	return 0;
}

static int parse_requires(struct ctx *c, yaml_node_t *n)
{
	return parse_feature_list(c, n, "requires", c->s->requires, &c->s->nreq,
				  SHL_SCN_MAX_REQ);
}

static int parse_named(struct ctx *c, yaml_node_t *n, struct shl_scn_step *st)
{
	const char *v = scalar(n);
	int i;

	for (i = 0; i < SHL_SCN_NAMED_NR; i++)
		if (!strcmp(v, named_names[i]))
			break;
	if (i == SHL_SCN_NAMED_NR)
		return fail(c, n, "transitions",
			    "'%s' is not a named entry (abort, bypass, s1, s2, nested, identity, dma, paging, blocked)",
			    v);
	if (c->s->mode == SHL_SCN_RAW && i >= SHL_SCN_IDENTITY)
		return fail(c, n, "transitions",
			    "'%s' is a domain: only in driver mode (raw mode: abort, bypass, s1, s2, nested)",
			    v);
	if (c->s->mode == SHL_SCN_RAW && c->s->entry == SHL_KIND_CD)
		return fail(c, n, "transitions",
			    "named entries are STEs: a CD scenario takes field lists or from/to pairs");
	st->kind = SHL_SCN_STEP_NAMED;
	st->named = (enum shl_scn_named)i;
	return 0;
}

static int parse_q(struct ctx *c, yaml_node_t *n, const char *key, struct shl_entry *e)
{
	const char *v = scalar(n);
	char msg[200];

	if (!v)
		return fail(c, n, key, "expected qwords 0x..,0x..");
	if (shl_entry_parse_q(v, SHL_ENTRY_QWORDS, e, msg, sizeof(msg)))
		return fail(c, n, key, "%s", msg);
	return 0;
}

static bool in_table(const char *const *t, const char *k)
{
	for (; *t; t++)
		if (!strcmp(*t, k))
			return true;
	return false;
}

static int parse_skip_on(struct ctx *c, yaml_node_t *m, struct shl_scn_step *st)
{
	yaml_node_t *x;

	if (m->type != YAML_MAPPING_NODE)
		return fail(c, m, "skip_on", "expected {qemu: REASON}");
	if (check_keys(c, m, "skip_on", skip_on_keys))
		return -1;
	x = lookup(c, m, "qemu");
	if (!x)
		return fail(c, m, "skip_on", "expected {qemu: REASON}");
	if (get_str(c, x, "qemu", st->skip_qemu, sizeof(st->skip_qemu)))
		return -1;
	if (!st->skip_qemu[0])
		return fail(c, x, "qemu", "an empty reason");
	return 0;
}

/* The legality-corpus item keys of field list @m (base, entry, requires, skip_on). */
static int parse_item_opts(struct ctx *c, yaml_node_t *m, struct shl_scn_step *st)
{
	yaml_node_t *x = lookup(c, m, "entry");
	const char *v;
	int i;

	st->entry = c->s->entry;
	if (x) {
		v = scalar(x);
		if (!v || (strcmp(v, "ste") && strcmp(v, "cd")))
			return fail(c, x, "entry", "expected ste or cd");
		st->entry = !strcmp(v, "cd") ? SHL_KIND_CD : SHL_KIND_STE;
		st->opts = true;
	}
	x = lookup(c, m, "base");
	if (x) {
		v = scalar(x);
		for (i = 0; v && i < SHL_SCN_IDENTITY; i++)
			if (!strcmp(v, named_names[i]))
				break;
		if (!v || i == SHL_SCN_IDENTITY)
			return fail(c, x, "base", "expected a named STE (abort, bypass, s1, s2, nested)");
		if (st->entry != SHL_KIND_STE)
			return fail(c, x, "base", "names an STE: not with a CD item");
		st->has_base = true;
		st->base = (enum shl_scn_named)i;
		st->opts = true;
	}
	x = lookup(c, m, "requires");
	if (x) {
		if (parse_feature_list(c, x, "requires", st->requires, &st->nreq,
				       SHL_SCN_MAX_ITEM_REQ))
			return -1;
		st->opts = true;
	}
	x = lookup(c, m, "skip_on");
	if (x) {
		if (parse_skip_on(c, x, st))
			return -1;
		st->opts = true;
	}
	return 0;
}

static int parse_fields(struct ctx *c, yaml_node_t *m, struct shl_scn_step *st)
{
	struct shl_entry probe = { { 0 } };
	enum shl_entry_kind kind;
	yaml_node_pair_t *p;
	const char *k, *v;
	unsigned long long x;
	struct shl_scn_field *f;

	if (check_keys(c, m, "transitions", NULL))
		return -1;
	if (m->data.mapping.pairs.top == m->data.mapping.pairs.start)
		return fail(c, m, "transitions", "an empty field list");
	if (lookup(c, m, "from") || lookup(c, m, "to")) {
		if (check_keys(c, m, "a from/to pair", pair_keys))
			return -1;
		if (!lookup(c, m, "from") || !lookup(c, m, "to"))
			return fail(c, m, "transitions", "a pair needs both from and to");
		st->kind = SHL_SCN_STEP_PAIR;
		return parse_q(c, lookup(c, m, "from"), "from", &st->from) ||
		       parse_q(c, lookup(c, m, "to"), "to", &st->to) ? -1 : 0;
	}
	st->kind = SHL_SCN_STEP_FIELDS;
	if (parse_item_opts(c, m, st))
		return -1;
	kind = st->entry;
	for (p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top; p++) {
		k = scalar(node(c, p->key));
		if (in_table(item_keys, k))
			continue;
		v = scalar(node(c, p->value));
		if (st->nf == SHL_SCN_MAX_FIELDS)
			return fail(c, node(c, p->key), k, "more than %d fields",
				    SHL_SCN_MAX_FIELDS);
		f = &st->f[st->nf];
		f->f = shl_field_find(kind, k);
		if (!f->f)
			return fail(c, node(c, p->key), k, "not a field of the %s (see `smmu-hil %s fields`)",
				    shl_kind_name(kind), shl_kind_name(kind));
		if (!v)
			return fail(c, node(c, p->value), k, "expected a number");
		if (!strcmp(v, "shadow_cd") || !strcmp(v, "zero_table")) {
			if (!(f->f->flags & SHL_FIELD_ADDR))
				return fail(c, node(c, p->value), k,
					    "%s is an address: only for address fields", v);
			f->sym = v[0] == 's' ? SHL_SCN_SHADOW_CD : SHL_SCN_ZERO_TABLE;
		} else if (shl_parse_u64(v, &x) || shl_field_store(&probe, f->f, x)) {
			return fail(c, node(c, p->value), k, "'%s' does not fit the field", v);
		} else {
			f->sym = SHL_SCN_LIT;
			f->value = x;
		}
		st->nf++;
	}
	if (!st->nf && !st->has_base && !lookup(c, m, "entry"))
		return fail(c, m, "transitions",
			    "a field list needs a field (or, in a legality corpus, base: or entry:)");
	return 0;
}

static int parse_transitions(struct ctx *c, yaml_node_t *n)
{
	struct shl_scenario *s = c->s;
	yaml_node_item_t *it;
	struct shl_scn_step *st;
	yaml_node_t *x;

	if (want_seq(c, n, "transitions"))
		return -1;
	for (it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++) {
		x = node(c, *it);
		if (s->nsteps == SHL_SCN_MAX_STEPS)
			return fail(c, x, "transitions", "more than %d", SHL_SCN_MAX_STEPS);
		st = &s->steps[s->nsteps];
		memset(st, 0, sizeof(*st));
		st->line = (unsigned int)x->start_mark.line + 1;
		st->entry = s->entry;
		if (x->type == YAML_SCALAR_NODE) {
			if (parse_named(c, x, st))
				return -1;
		} else if (x->type == YAML_MAPPING_NODE) {
			if (s->mode == SHL_SCN_DRIVER)
				return fail(c, x, "transitions",
					    "driver mode takes domain names only (identity, dma, paging, blocked, ...)");
			if (parse_fields(c, x, st))
				return -1;
		} else {
			return fail(c, x, "transitions",
				    "expected a name, a field list {Field: value} or {from: Q, to: Q}");
		}
		s->nsteps++;
	}
	if (!s->nsteps)
		return fail(c, n, "transitions", "an empty list");
	for (size_t i = 0; i < s->nsteps; i++)
		if (s->steps[i].kind == SHL_SCN_STEP_PAIR && s->nsteps > 1)
			return fail(c, n, "transitions",
				    "a from/to pair must be the only transition (line %u)",
				    s->steps[i].line);
	return 0;
}

static int parse_workloads(struct ctx *c, yaml_node_t *n)
{
	const char *const *names = workload_names;
	yaml_node_item_t *it;
	const char *v;
	unsigned int i;

	if (want_seq(c, n, "workloads"))
		return -1;
	for (it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++) {
		v = scalar(node(c, *it));
		for (i = 0; v && names[i] && strcmp(v, names[i]); i++)
			;
		if (!v || !names[i])
			return fail(c, node(c, *it), "workloads",
				    "'%s' is not a workload (edu-dma, fio, iperf3)",
				    v ? v : "(not a string)");
		if (c->s->workloads & (1u << i))
			return fail(c, node(c, *it), "workloads", "'%s' given twice", v);
		c->s->workloads |= 1u << i;
	}
	return 0;
}

static int parse_devices(struct ctx *c, yaml_node_t *n)
{
	yaml_node_item_t *it;
	const char *v;
	unsigned int i;

	if (want_seq(c, n, "devices"))
		return -1;
	for (it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++) {
		v = scalar(node(c, *it));
		for (i = 0; v && device_kinds[i] && strcmp(v, device_kinds[i]); i++)
			;
		if (!v || !device_kinds[i])
			return fail(c, node(c, *it), "devices",
				    "'%s' is not a device kind (edu, disk, nic)",
				    v ? v : "(not a string)");
		if (c->s->devices & (1u << i))
			return fail(c, node(c, *it), "devices", "'%s' given twice", v);
		c->s->devices |= 1u << i;
	}
	return 0;
}

static int add_count(struct ctx *c, yaml_node_t *at, const char *kind, enum shl_scn_cmp cmp,
		     unsigned long long n)
{
	struct shl_scn_expect *e = &c->s->expect;
	int id = shl_event_id_from_name(kind);
	size_t i;

	if (id < 0)
		return fail(c, at, kind, "not an event name (C_BAD_STE, F_TRANSLATION, ...)");
	for (i = 0; i < e->nk; i++)
		if (e->k[i].id == id)
			return fail(c, at, kind, "given twice");
	if (e->nk == SHL_SCN_MAX_KINDS)
		return fail(c, at, kind, "more than %d event kinds", SHL_SCN_MAX_KINDS);
	e->k[e->nk].id = id;
	e->k[e->nk].cmp = cmp;
	e->k[e->nk++].n = n;
	return 0;
}

static int parse_count(struct ctx *c, yaml_node_t *n, const char *kind)
{
	enum shl_scn_cmp cmp = SHL_SCN_EQ;
	const char *v = scalar(n);
	unsigned long long x;

	if (v && (!strncmp(v, ">=", 2) || !strncmp(v, "<=", 2))) {
		cmp = v[0] == '>' ? SHL_SCN_GE : SHL_SCN_LE;
		v += 2;
		while (*v == ' ')
			v++;
	}
	if (!v || shl_parse_u64(v, &x))
		return fail(c, n, kind, "expected a count: N, \">=N\" or \"<=N\"");
	return add_count(c, n, kind, cmp, x);
}

static int parse_expect(struct ctx *c, yaml_node_t *m)
{
	const char *const *keys = expect_keys;
	struct shl_scn_expect *e = &c->s->expect;
	yaml_node_t *ev, *ek, *x;
	yaml_node_pair_t *p;
	yaml_node_item_t *it;
	const char *v;

	if (m->type != YAML_MAPPING_NODE)
		return fail(c, m, "expect", "expected a mapping");
	if (check_keys(c, m, "expect", keys))
		return -1;
	ev = lookup(c, m, "events");
	ek = lookup(c, m, "expected_kinds");
	if (ev && scalar(ev)) {
		if (strcmp(scalar(ev), "none"))
			return fail(c, ev, "events", "expected none or {KIND: COUNT, ...}");
		e->none = true;
	} else if (ev && ev->type == YAML_MAPPING_NODE) {
		if (check_keys(c, ev, "events", NULL))
			return -1;
		for (p = ev->data.mapping.pairs.start; p < ev->data.mapping.pairs.top; p++)
			if (parse_count(c, node(c, p->value), scalar(node(c, p->key))))
				return -1;
	} else if (ev) {
		return fail(c, ev, "events", "expected none or {KIND: COUNT, ...}");
	}
	if (ek) {
		if (want_seq(c, ek, "expected_kinds"))
			return -1;
		if (e->none)
			return fail(c, ek, "expected_kinds", "contradicts events: none");
		for (it = ek->data.sequence.items.start; it < ek->data.sequence.items.top; it++) {
			x = node(c, *it);
			v = scalar(x);
			if (!v)
				return fail(c, x, "expected_kinds", "expected an event name");
			if (add_count(c, x, v, SHL_SCN_GE, 1))
				return -1;
		}
	}
	x = lookup(c, m, "dma_errors");
	if (x) {
		v = scalar(x);
		if (!v || (strcmp(v, "allowed") && strcmp(v, "none")))
			return fail(c, x, "dma_errors", "expected allowed or none");
		e->dma_errors = !strcmp(v, "allowed");
	}
	x = lookup(c, m, "explain");
	if (x && get_str(c, x, "explain", e->explain, sizeof(e->explain)))
		return -1;
	if (!e->none && !e->nk)
		return fail(c, m, "expect", "needs events (none or counts) or expected_kinds");
	return 0;
}

static int parse_legality(struct ctx *c, yaml_node_t *n)
{
	const char *const *keys = legality_keys;
	yaml_node_t *x;

	if (scalar(n))
		return get_bool(c, n, "legality", &c->s->legality);
	if (n->type != YAML_MAPPING_NODE)
		return fail(c, n, "legality", "expected true or {fail_on_disagreement: BOOL}");
	if (check_keys(c, n, "legality", keys))
		return -1;
	c->s->legality = true;
	x = lookup(c, n, "fail_on_disagreement");
	return x ? get_bool(c, x, "fail_on_disagreement", &c->s->fail_on_disagreement) : 0;
}

static int parse_root(struct ctx *c, yaml_node_t *root)
{
	struct shl_scenario *s = c->s;
	unsigned long long v;
	yaml_node_t *x;
	const char *m;

	if (!root)
		return fail(c, NULL, "(file)", "empty: a scenario is a mapping of keys");
	if (root->type != YAML_MAPPING_NODE)
		return fail(c, root, "(file)", "a scenario is a mapping of keys");
	if (check_keys(c, root, "a scenario", top_keys))
		return -1;
	x = lookup(c, root, "name");
	if (!x)
		return fail(c, root, "name", "missing");
	if (get_str(c, x, "name", s->name, sizeof(s->name)))
		return -1;
	for (m = s->name; *m; m++)
		if (!isalnum((unsigned char)*m) && *m != '-' && *m != '_')
			return fail(c, x, "name", "only letters, digits, '-' and '_'");
	if (!s->name[0])
		return fail(c, x, "name", "empty");
	x = lookup(c, root, "description");
	if (x && get_str(c, x, "description", s->description, sizeof(s->description)))
		return -1;
	x = lookup(c, root, "device");
	strcpy(s->device, "edu");
	if (x && parse_device(c, x))
		return -1;
	x = lookup(c, root, "requires");
	if (x && parse_requires(c, x))
		return -1;
	x = lookup(c, root, "mode");
	if (!x)
		return fail(c, root, "mode", "missing (driver or raw)");
	m = scalar(x);
	if (!m || (strcmp(m, "driver") && strcmp(m, "raw")))
		return fail(c, x, "mode", "expected driver or raw");
	s->mode = !strcmp(m, "raw") ? SHL_SCN_RAW : SHL_SCN_DRIVER;
	x = lookup(c, root, "entry");
	if (x) {
		m = scalar(x);
		if (!m || (strcmp(m, "ste") && strcmp(m, "cd")))
			return fail(c, x, "entry", "expected ste or cd");
		s->entry = !strcmp(m, "cd") ? SHL_KIND_CD : SHL_KIND_STE;
	}
	x = lookup(c, root, "transitions");
	if (!x)
		return fail(c, root, "transitions", "missing");
	if (parse_transitions(c, x))
		return -1;
	x = lookup(c, root, "repeat");
	if (x && get_uint(c, x, "repeat", 1, SHL_SCN_MAX_REPEAT, &s->repeat))
		return -1;
	x = lookup(c, root, "dwell_us");
	if (x && get_uint(c, x, "dwell_us", 0, SHL_SCN_MAX_DWELL_US, &s->dwell_us))
		return -1;
	x = lookup(c, root, "devices");
	if (x && parse_devices(c, x))
		return -1;
	x = lookup(c, root, "workloads");
	if (x && parse_workloads(c, x))
		return -1;
	x = lookup(c, root, "dma_len");
	if (x) {
		if (get_uint(c, x, "dma_len", 1, 4095, &v))
			return -1;
		s->dma_len = (unsigned int)v;
	}
	x = lookup(c, root, "dma_every");
	if (x && get_uint(c, x, "dma_every", 1, SHL_SCN_MAX_REPEAT, &s->dma_every))
		return -1;
	x = lookup(c, root, "record");
	if (x && get_bool(c, x, "record", &s->record))
		return -1;
	if (s->record && s->mode != SHL_SCN_DRIVER)
		return fail(c, x, "record", "records the driver's updates: driver mode only");
	x = lookup(c, root, "legality");
	if (x && parse_legality(c, x))
		return -1;
	if (s->legality && s->mode != SHL_SCN_RAW)
		return fail(c, x, "legality", "writes a corpus of raw entries: raw mode only");
	for (size_t i = 0; i < s->nsteps; i++)
		if (s->steps[i].opts && !s->legality) {
			snprintf(c->err, c->errlen,
				 "%s:%u: transitions: base, entry, requires and skip_on are keys of a legality corpus item (legality: true)",
				 s->file, s->steps[i].line);
			return -1;
		}
	x = lookup(c, root, "expect");
	if (!x)
		return fail(c, root, "expect", "missing (events: none, or the events expected)");
	return parse_expect(c, x);
}

/*
 * Walk @buf's YAML events, refusing a nesting deeper than SCN_DEPTH_MAX
 * before the scanner goes further down. Returns 0, or -1 with @err set
 * (malformed YAML is left to the loader's message).
 */
static int depth_check(const char *file, const char *buf, size_t len, char *err, size_t errlen)
{
	yaml_parser_t p;
	yaml_event_t ev;
	int depth = 0, ret = 0;
	bool done = false;

	if (!yaml_parser_initialize(&p)) {
		snprintf(err, errlen, "%s: out of memory", file);
		return -1;
	}
	yaml_parser_set_input_string(&p, (const unsigned char *)buf, len);
	while (!done) {
		if (!yaml_parser_parse(&p, &ev))
			break;
		switch (ev.type) {
		case YAML_SEQUENCE_START_EVENT:
		case YAML_MAPPING_START_EVENT:
			if (++depth > SCN_DEPTH_MAX) {
				snprintf(err, errlen, "%s:%lu: nested deeper than %d levels",
					 file, (unsigned long)ev.start_mark.line + 1, SCN_DEPTH_MAX);
				ret = -1;
				done = true;
			}
			break;
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT:
			depth--;
			break;
		case YAML_STREAM_END_EVENT:
			done = true;
			break;
		default:
			break;
		}
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&p);
	return ret;
}

int shl_scenario_parse(const char *file, const char *buf, size_t len, struct shl_scenario *out,
		       char *err, size_t errlen)
{
	struct ctx c = { .s = out, .err = err, .errlen = errlen };
	yaml_parser_t parser;
	yaml_document_t doc;
	int ret;

	memset(out, 0, sizeof(*out));
	snprintf(out->file, sizeof(out->file), "%s", file);
	out->repeat = 1;
	out->dma_len = 256;
	out->dma_every = 1;
	out->entry = SHL_KIND_STE;
	if (!yaml_parser_initialize(&parser)) {
		snprintf(err, errlen, "%s: out of memory", file);
		return -1;
	}
	if (depth_check(file, buf, len, err, errlen)) {
		yaml_parser_delete(&parser);
		return -1;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
	if (!yaml_parser_load(&parser, &doc)) {
		snprintf(err, errlen, "%s:%lu: (yaml): %s%s%s", file,
			 (unsigned long)parser.problem_mark.line + 1,
			 parser.problem ? parser.problem : "malformed YAML",
			 parser.context ? " " : "", parser.context ? parser.context : "");
		yaml_parser_delete(&parser);
		return -1;
	}
	c.doc = &doc;
	ret = parse_root(&c, yaml_document_get_root_node(&doc));
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	return ret;
}

int shl_scenario_load(const char *path, struct shl_scenario *out, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	size_t len;
	char *buf;
	int ret;

	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	buf = malloc(SCN_FILE_MAX + 1);
	len = buf ? fread(buf, 1, SCN_FILE_MAX + 1, f) : 0;
	fclose(f);
	if (!buf) {
		snprintf(err, errlen, "%s: out of memory", path);
		return -1;
	}
	if (len > SCN_FILE_MAX) {
		free(buf);
		snprintf(err, errlen, "%s: larger than %u bytes", path, SCN_FILE_MAX);
		return -1;
	}
	ret = shl_scenario_parse(path, buf, len, out, err, errlen);
	free(buf);
	return ret;
}
