// SPDX-License-Identifier: GPL-2.0-only
/*
 * The per-store checker: replays an update sequence on a live STE or CD and
 * classifies every entry the SMMU could observe (IHI 0070 3.21.1: the SMMU
 * may fetch each single-copy-atomic quantum of a structure at any time, so
 * between two syncs it may observe any mix of the values each quantum held).
 */
#include <string.h>

#include "smmu_hil/check.h"

const char *shl_violation_name(enum shl_violation_kind k)
{
	static const char *const names[SHL_VIOL_COUNT] = {
		"torn", "invalid", "illegal", "unordered", "final-mismatch",
	};

	return k < SHL_VIOL_COUNT ? names[k] : "unknown";
}

/* Checker rules that are not C_BAD_* conditions. */
#define RULE_TORN	"mixed-initial-target"
#define RULE_UNORDERED	"pointer-store-before-dma_wmb"
#define RULE_NO_SYNC	"no-final-sync"
#define RULE_FINAL	"final-entry"

/* The values each quantum held in one sync window. */
struct window {
	unsigned int unit;			/* qwords per quantum */
	unsigned int nq;			/* quanta per entry */
	unsigned int n[SHL_ENTRY_QWORDS];
	uint64_t val[SHL_ENTRY_QWORDS][SHL_CHECK_MAX_VALUES][2];
	uint32_t after[SHL_ENTRY_QWORDS][SHL_CHECK_MAX_VALUES];
	bool stored;				/* a store happened in this window */
};

struct table {
	uint64_t addr;
	bool pending;				/* written, no dma_wmb since */
};

struct checker {
	const struct shl_model *m;
	const struct shl_check_opts *o;
	struct shl_check_result *r;
	struct shl_endpoints ep;
	struct shl_entry mem;
	struct window w;
	struct table tables[SHL_CHECK_MAX_TABLES];
	unsigned int ntables;
	uint64_t max_combos;
	char *err;
	size_t errlen;
};

static bool same_entry(const struct shl_entry *a, const struct shl_entry *b)
{
	return !memcmp(a, b, sizeof(*a));
}

static void add_violation(struct checker *c, enum shl_violation_kind kind, const char *rule,
			  uint32_t after, const struct shl_entry *e)
{
	struct shl_check_result *r = c->r;
	size_t i;

	for (i = 0; i < r->nviol; i++)
		if (r->viol[i].kind == kind && r->viol[i].rule == rule &&
		    same_entry(&r->viol[i].entry, e))
			return;
	r->kinds |= 1u << kind;
	r->nviolations++;
	if (r->viol && r->nviol < r->viol_cap)
		r->viol[r->nviol++] = (struct shl_violation){ .after = after, .kind = (uint8_t)kind,
							      .rule = rule, .entry = *e };
}

/* Classify one observation and record it. */
static void observe(struct checker *c, const struct shl_entry *obs, uint64_t count,
		    uint32_t after)
{
	enum shl_rule rule;
	enum shl_class cls = shl_classify(c->m, &c->ep, obs, &rule);

	c->r->observations += count;
	c->r->classes[cls] += count;
	switch (cls) {
	case SHL_CLASS_TORN:
		add_violation(c, SHL_VIOL_TORN, RULE_TORN, after, obs);
		break;
	case SHL_CLASS_INVALID:
		if (!c->o->allow_breaking)
			add_violation(c, SHL_VIOL_INVALID, shl_rule_name(rule), after, obs);
		break;
	case SHL_CLASS_ILLEGAL:
		add_violation(c, SHL_VIOL_ILLEGAL, shl_rule_name(rule), after, obs);
		break;
	default:
		break;
	}
}

static void set_quantum(const struct window *w, struct shl_entry *e, unsigned int qi,
			unsigned int k)
{
	unsigned int j;

	for (j = 0; j < w->unit; j++)
		e->q[qi * w->unit + j] = w->val[qi][k][j];
}

static void window_open(struct checker *c, uint32_t after)
{
	struct window *w = &c->w;
	unsigned int i, j;

	w->stored = false;
	for (i = 0; i < w->nq; i++) {
		w->n[i] = 1;
		w->after[i][0] = after;
		w->val[i][0][1] = 0;
		for (j = 0; j < w->unit; j++)
			w->val[i][0][j] = c->mem.q[i * w->unit + j];
	}
}

/* Record the current value of quantum @qi if the window has not seen it. */
static int window_note(struct checker *c, unsigned int qi, uint32_t after)
{
	struct window *w = &c->w;
	uint64_t v[2] = { c->mem.q[qi * w->unit], w->unit == 2 ? c->mem.q[qi * w->unit + 1] : 0 };
	unsigned int k;

	w->stored = true;
	for (k = 0; k < w->n[qi]; k++)
		if (w->val[qi][k][0] == v[0] && w->val[qi][k][1] == v[1])
			return 0;
	if (w->n[qi] == SHL_CHECK_MAX_VALUES) {
		snprintf(c->err, c->errlen,
			 "op %u: quantum %u takes more than %d values between two syncs", after, qi,
			 SHL_CHECK_MAX_VALUES);
		return -1;
	}
	w->val[qi][k][0] = v[0];
	w->val[qi][k][1] = v[1];
	w->after[qi][k] = after;
	w->n[qi]++;
	return 0;
}

/*
 * Enumerate every combination of the window's quantum values. Quantum 0
 * holds V: a V=0 value makes every combination with it the same observation
 * (all other fields are IGNORED), so those are counted, not enumerated.
 */
static int window_enumerate(struct checker *c, uint32_t at)
{
	struct window *w = &c->w;
	unsigned int vary[SHL_ENTRY_QWORDS], nvary = 0, d[SHL_ENTRY_QWORDS] = { 0 };
	uint64_t others = 1;
	struct shl_entry obs;
	unsigned int i, k0;

	for (i = 1; i < w->nq; i++) {
		if (w->n[i] > 1)
			vary[nvary++] = i;
		others *= w->n[i];
		if (others * w->n[0] > c->max_combos) {
			snprintf(c->err, c->errlen,
				 "op %u: more than %llu observable combinations between two syncs",
				 at, (unsigned long long)c->max_combos);
			return -1;
		}
	}
	for (i = 0; i < w->nq; i++)
		set_quantum(w, &obs, i, 0);
	for (k0 = 0; k0 < w->n[0]; k0++) {
		set_quantum(w, &obs, 0, k0);
		for (i = 0; i < nvary; i++) {
			d[vary[i]] = 0;
			set_quantum(w, &obs, vary[i], 0);
		}
		if (!shl_model_valid(c->m, &obs)) {
			observe(c, &obs, others, w->after[0][k0]);
			continue;
		}
		for (;;) {
			uint32_t after = w->after[0][k0];

			for (i = 0; i < nvary; i++)
				if (w->after[vary[i]][d[vary[i]]] > after)
					after = w->after[vary[i]][d[vary[i]]];
			observe(c, &obs, 1, after);
			for (i = 0; i < nvary; i++) {
				unsigned int q = vary[i];

				if (++d[q] < w->n[q]) {
					set_quantum(w, &obs, q, d[q]);
					break;
				}
				d[q] = 0;
				set_quantum(w, &obs, q, 0);
			}
			if (i == nvary)
				break;
		}
	}
	return 0;
}

const struct shl_pointer_field *shl_pointer_fields(enum shl_entry_kind kind, size_t *n)
{
	const struct shl_entry_ops *ops = shl_entry_ops(kind);

	*n = ops ? ops->nptrs : 0;
	return ops ? ops->ptrs : NULL;
}

/* A store that sets a pointer field to a table not yet ordered by dma_wmb. */
static void check_pointers(struct checker *c, const struct shl_op *op, uint32_t at)
{
	size_t i, n;
	const struct shl_pointer_field *ptrs = shl_pointer_fields(c->m->kind, &n);
	unsigned int t;

	for (i = 0; i < n; i++) {
		uint64_t addr;

		if (ptrs[i].qword < op->qword || ptrs[i].qword >= op->qword + op->nq)
			continue;
		addr = c->mem.q[ptrs[i].qword] & ptrs[i].mask;
		for (t = 0; t < c->ntables; t++)
			if (c->tables[t].pending && c->tables[t].addr == addr)
				add_violation(c, SHL_VIOL_UNORDERED, RULE_UNORDERED, at, &c->mem);
	}
}

static int note_table(struct checker *c, uint64_t addr, uint32_t at)
{
	unsigned int t;

	for (t = 0; t < c->ntables; t++)
		if (c->tables[t].addr == addr)
			break;
	if (t == c->ntables) {
		if (t == SHL_CHECK_MAX_TABLES) {
			snprintf(c->err, c->errlen, "op %u: more than %d distinct tables", at,
				 SHL_CHECK_MAX_TABLES);
			return -1;
		}
		c->tables[c->ntables++].addr = addr;
	}
	c->tables[t].pending = true;
	return 0;
}

static int apply_write(struct checker *c, const struct shl_op *op, uint32_t at)
{
	unsigned int j, qi, last = SHL_ENTRY_QWORDS;

	for (j = 0; j < op->nq && op->qword + j < SHL_ENTRY_QWORDS; j++)
		c->mem.q[op->qword + j] = op->v[j];
	check_pointers(c, op, at);
	for (j = 0; j < op->nq && op->qword + j < SHL_ENTRY_QWORDS; j++) {
		qi = (op->qword + j) / c->w.unit;
		if (qi != last && window_note(c, qi, at))
			return -1;
		last = qi;
	}
	return 0;
}

int shl_check(const struct shl_model *m, const struct shl_entry *init,
	      const struct shl_entry *target, const struct shl_op *ops, size_t nops,
	      const struct shl_check_opts *o, struct shl_check_result *r, char *err,
	      size_t errlen)
{
	struct shl_endpoints ep;

	shl_endpoints_init(m, init, target, &ep);
	return shl_check_endpoints(m, &ep, ops, nops, o, r, err, errlen);
}

int shl_check_endpoints(const struct shl_model *m, const struct shl_endpoints *ep,
			const struct shl_op *ops, size_t nops, const struct shl_check_opts *o,
			struct shl_check_result *r, char *err, size_t errlen)
{
	static __thread struct checker c;
	size_t i, last_sync = 0, last_write = 0;
	struct shl_violation *viol = r->viol;
	size_t viol_cap = r->viol_cap;

	memset(r, 0, sizeof(*r));
	r->viol = viol;
	r->viol_cap = viol_cap;
	c.m = m;
	c.o = o;
	c.r = r;
	c.mem = ep->init;
	c.ntables = 0;
	c.err = err;
	c.errlen = errlen;
	c.max_combos = o->max_combos ? o->max_combos : SHL_CHECK_MAX_COMBOS;
	c.w.unit = o->quanta == 128 ? 2 : 1;
	c.w.nq = SHL_ENTRY_QWORDS / c.w.unit;
	c.ep = *ep;
	window_open(&c, 0);

	for (i = 0; i < nops; i++) {
		uint32_t at = (uint32_t)(i + 1);

		switch (ops[i].kind) {
		case SHL_OP_WRITE:
			if (apply_write(&c, &ops[i], at))
				return -1;
			last_write = at;
			break;
		case SHL_OP_SYNC:
			if (o->sync_only)
				observe(&c, &c.mem, 1, at);
			else if (window_enumerate(&c, at))
				return -1;
			window_open(&c, at);
			last_sync = at;
			break;
		case SHL_OP_TABLE:
			if (note_table(&c, ops[i].v[0], at))
				return -1;
			break;
		default:
			for (unsigned int t = 0; t < c.ntables; t++)
				c.tables[t].pending = false;
			break;
		}
	}
	if (c.w.stored && !o->sync_only && window_enumerate(&c, (uint32_t)nops))
		return -1;
	if (last_write > last_sync)
		add_violation(&c, SHL_VIOL_FINAL_MISMATCH, RULE_NO_SYNC, (uint32_t)nops, &c.mem);
	if (!same_entry(&c.mem, &ep->target))
		add_violation(&c, SHL_VIOL_FINAL_MISMATCH, RULE_FINAL, (uint32_t)nops, &c.mem);
	r->pass = r->kinds == 0;
	return 0;
}
