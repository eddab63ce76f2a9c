// SPDX-License-Identifier: GPL-2.0-only
/*
 * Update sequences: the text format of `smmu-hil ste|cd verify --sequence`,
 * and plans turned into the operations Linux issues.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "smmu_hil/check.h"
#include "smmu_hil/rules.h"

#define MAX_TOKENS 4

static int seq_push(struct shl_seq *seq, const struct shl_op *op)
{
	if (seq->n == seq->cap) {
		size_t cap = seq->cap ? 2 * seq->cap : 32;
		struct shl_op *ops = realloc(seq->ops, cap * sizeof(*ops));

		if (!ops)
			return -1;
		seq->ops = ops;
		seq->cap = cap;
	}
	seq->ops[seq->n++] = *op;
	return 0;
}

void shl_seq_free(struct shl_seq *seq)
{
	free(seq->ops);
	memset(seq, 0, sizeof(*seq));
}

/* A whole token as an unsigned 64-bit hex number ("0x" optional). */
static int hex_token(const char *s, size_t n, uint64_t *out)
{
	char buf[24];
	char *end;

	if (n >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		s += 2;
		n -= 2;
	}
	if (!n || n > 16)
		return -1;
	memcpy(buf, s, n);
	buf[n] = 0;
	if (!isxdigit((unsigned char)buf[0]))
		return -1;
	errno = 0;
	*out = strtoull(buf, &end, 16);
	return errno || *end ? -1 : 0;
}

static int parse_write(char **tok, int ntok, unsigned int nqwords, struct shl_op *op,
		       char *err, size_t errlen, unsigned int line)
{
	const char *comma;
	char *end;
	unsigned long idx;

	if (ntok != 3) {
		snprintf(err, errlen, "line %u: expected 'write I 0xVALUE'", line);
		return -1;
	}
	errno = 0;
	idx = strtoul(tok[1], &end, 10);
	if (errno || *end || !isdigit((unsigned char)tok[1][0]) || idx >= nqwords) {
		snprintf(err, errlen, "line %u: qword index '%s' is not 0..%u", line, tok[1],
			 nqwords - 1);
		return -1;
	}
	op->kind = SHL_OP_WRITE;
	op->qword = (uint8_t)idx;
	comma = strchr(tok[2], ',');
	op->nq = comma ? 2 : 1;
	if (comma && (idx % 2 || idx + 1 >= nqwords)) {
		snprintf(err, errlen, "line %u: a 128-bit store needs an even qword index below %u",
			 line, nqwords - 1);
		return -1;
	}
	if (hex_token(tok[2], comma ? (size_t)(comma - tok[2]) : strlen(tok[2]), &op->v[0]) ||
	    (comma && hex_token(comma + 1, strlen(comma + 1), &op->v[1]))) {
		snprintf(err, errlen, "line %u: value '%s' is not a 64-bit hex number (or LO,HI)",
			 line, tok[2]);
		return -1;
	}
	return 0;
}

static int parse_line(char *s, unsigned int nqwords, struct shl_op *op, char *err,
		      size_t errlen, unsigned int line)
{
	char *tok[MAX_TOKENS + 1];
	int ntok = 0;
	char *save = NULL, *t;

	for (t = strtok_r(s, " \t\r\v\f", &save); t; t = strtok_r(NULL, " \t\r\v\f", &save)) {
		if (ntok == MAX_TOKENS) {
			snprintf(err, errlen, "line %u: too many words", line);
			return -1;
		}
		tok[ntok++] = t;
	}
	if (!ntok)
		return 1;	/* blank */
	memset(op, 0, sizeof(*op));
	op->line = line;
	if (!strcmp(tok[0], "write"))
		return parse_write(tok, ntok, nqwords, op, err, errlen, line);
	if (!strcmp(tok[0], "sync") || !strcmp(tok[0], "dma_wmb")) {
		if (ntok != 1) {
			snprintf(err, errlen, "line %u: '%s' takes no argument", line, tok[0]);
			return -1;
		}
		op->kind = tok[0][0] == 's' ? SHL_OP_SYNC : SHL_OP_DMA_WMB;
		return 0;
	}
	if (!strcmp(tok[0], "table")) {
		op->kind = SHL_OP_TABLE;
		if (ntok != 2 || hex_token(tok[1], strlen(tok[1]), &op->v[0])) {
			snprintf(err, errlen, "line %u: expected 'table 0xADDR'", line);
			return -1;
		}
		return 0;
	}
	snprintf(err, errlen, "line %u: unknown operation '%s' (write, sync, table, dma_wmb)",
		 line, tok[0]);
	return -1;
}

int shl_seq_parse(const char *text, size_t len, unsigned int nqwords, struct shl_seq *seq,
		  char *err, size_t errlen)
{
	size_t pos = 0;
	unsigned int line = 0;
	char buf[512];

	memset(seq, 0, sizeof(*seq));
	while (pos < len) {
		size_t end = pos, n;
		char *hash;
		struct shl_op op;
		int ret;

		while (end < len && text[end] != '\n')
			end++;
		line++;
		n = end - pos;
		if (n >= sizeof(buf)) {
			snprintf(err, errlen, "line %u: longer than %zu characters", line,
				 sizeof(buf) - 1);
			goto fail;
		}
		memcpy(buf, text + pos, n);
		buf[n] = 0;
		pos = end + 1;
		if (memchr(buf, 0, n)) {
			snprintf(err, errlen, "line %u: NUL byte", line);
			goto fail;
		}
		hash = strchr(buf, '#');
		if (hash)
			*hash = 0;
		ret = parse_line(buf, nqwords, &op, err, errlen, line);
		if (ret < 0)
			goto fail;
		if (ret == 0 && seq_push(seq, &op)) {
			snprintf(err, errlen, "out of memory");
			goto fail;
		}
	}
	return 0;
fail:
	shl_seq_free(seq);
	return -1;
}

void shl_seq_print(FILE *f, const struct shl_op *ops, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		switch (ops[i].kind) {
		case SHL_OP_WRITE:
			if (ops[i].nq == 2)
				fprintf(f, "write %u 0x%016llx,0x%016llx\n", ops[i].qword,
					(unsigned long long)ops[i].v[0],
					(unsigned long long)ops[i].v[1]);
			else
				fprintf(f, "write %u 0x%016llx\n", ops[i].qword,
					(unsigned long long)ops[i].v[0]);
			break;
		case SHL_OP_SYNC:
			fputs("sync\n", f);
			break;
		case SHL_OP_TABLE:
			fprintf(f, "table 0x%llx\n", (unsigned long long)ops[i].v[0]);
			break;
		default:
			fputs("dma_wmb\n", f);
			break;
		}
	}
}

size_t shl_plan_to_ops(const struct shl_plan *plan, struct shl_op *ops, size_t max)
{
	size_t n = 0;
	unsigned int s, k;

	if (n < max)
		ops[n++] = (struct shl_op){ .kind = SHL_OP_DMA_WMB };
	for (s = 0; s < plan->nsteps; s++) {
		for (k = 0; k < plan->steps[s].nstores && n < max; k++) {
			const struct shl_store *st = &plan->steps[s].st[k];

			ops[n++] = (struct shl_op){ .kind = SHL_OP_WRITE, .qword = st->qword,
						    .nq = st->nq, .v = { st->v[0], st->v[1] } };
		}
		if (n < max)
			ops[n++] = (struct shl_op){ .kind = SHL_OP_SYNC };
	}
	return n;
}

size_t shl_plan_to_ops_tables(enum shl_entry_kind kind, const struct shl_entry *init,
			      const struct shl_entry *target, const struct shl_plan *plan,
			      bool wmb, struct shl_op *ops, size_t max)
{
	size_t i, n = 0, np;
	const struct shl_pointer_field *ptrs = shl_pointer_fields(kind, &np);
	struct shl_entry used;

	shl_entry_ops(kind)->used_linux(target, &used);
	for (i = 0; i < np && n < max; i++) {
		uint64_t addr = target->q[ptrs[i].qword] & ptrs[i].mask;

		/* a new table the target uses */
		if (addr && (used.q[ptrs[i].qword] & ptrs[i].mask) &&
		    addr != (init->q[ptrs[i].qword] & ptrs[i].mask))
			ops[n++] = (struct shl_op){ .kind = SHL_OP_TABLE, .v = { addr } };
	}
	i = shl_plan_to_ops(plan, ops + n, max - n);
	if (!wmb && i) {
		memmove(ops + n, ops + n + 1, (i - 1) * sizeof(*ops));
		i--;
	}
	return n + i;
}
