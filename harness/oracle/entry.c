// SPDX-License-Identifier: GPL-2.0-only
/*
 * STE / CD / L1STD / L1CD field tables, Q parsing, FIELD=VALUE encoding and
 * text / JSON decoding (Arm IHI 0070 5.1, 5.2, 5.4, 5.4.1).
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "smmu_hil/entry.h"

/* The field tables, expanded from modules/include/smmu_hil/arm_smmu_v3_fields.h */
#define KIND_FIELD	0
#define KIND_ADDR	SHL_FIELD_ADDR
#define KIND_RES0	SHL_FIELD_RES0
#define KIND_IMPDEF	SHL_FIELD_IMPDEF
#define ROW(id, name, q, hi, lo, kind) { name, q, hi, lo, KIND_##kind },

static const struct shl_field ste_fields[] = { SMMU_HIL_STE_FIELDS(ROW) };
static const struct shl_field cd_fields[] = { SMMU_HIL_CD_FIELDS(ROW) };
static const struct shl_field l1std_fields[] = { SMMU_HIL_L1STD_FIELDS(ROW) };
static const struct shl_field l1cd_fields[] = { SMMU_HIL_L1CD_FIELDS(ROW) };

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

const struct shl_field *shl_fields(enum shl_entry_kind kind, size_t *n)
{
	switch (kind) {
	case SHL_KIND_STE:
		*n = ARRAY_LEN(ste_fields);
		return ste_fields;
	case SHL_KIND_CD:
		*n = ARRAY_LEN(cd_fields);
		return cd_fields;
	case SHL_KIND_L1STD:
		*n = ARRAY_LEN(l1std_fields);
		return l1std_fields;
	default:
		*n = ARRAY_LEN(l1cd_fields);
		return l1cd_fields;
	}
}

const char *shl_kind_name(enum shl_entry_kind kind)
{
	static const char *const names[] = { "ste", "cd", "l1std", "l1cd" };

	return kind < SHL_KIND_COUNT ? names[kind] : "?";
}

unsigned int shl_kind_qwords(enum shl_entry_kind kind)
{
	return kind == SHL_KIND_STE || kind == SHL_KIND_CD ? SHL_ENTRY_QWORDS : 1;
}

const struct shl_field *shl_field_find(enum shl_entry_kind kind, const char *name)
{
	size_t i, n;
	const struct shl_field *t = shl_fields(kind, &n);

	for (i = 0; i < n; i++)
		if (!strcasecmp(t[i].name, name))
			return &t[i];
	return NULL;
}

static uint64_t field_mask(const struct shl_field *f)
{
	return SHL_GENMASK(f->hi, f->lo);
}

uint64_t shl_field_value(const struct shl_entry *e, const struct shl_field *f)
{
	uint64_t v = e->q[f->qword] & field_mask(f);

	return f->flags & SHL_FIELD_ADDR ? v : v >> f->lo;
}

int shl_field_store(struct shl_entry *e, const struct shl_field *f, uint64_t v)
{
	uint64_t m = field_mask(f);

	if (f->flags & SHL_FIELD_ADDR) {
		if (v & ~m)
			return -1;
	} else {
		if (v & ~(m >> f->lo))
			return -1;
		v <<= f->lo;
	}
	e->q[f->qword] = (e->q[f->qword] & ~m) | v;
	return 0;
}

static void set_err(char *err, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void set_err(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (!err || !len)
		return;
	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
}

static int parse_hex64(const char *s, size_t n, uint64_t *out)
{
	uint64_t v = 0;
	size_t i = 0, digits = 0;

	if (n >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		i = 2;
	for (; i < n; i++, digits++) {
		int c = (unsigned char)s[i], d;

		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (c >= 'a' && c <= 'f')
			d = c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			d = c - 'A' + 10;
		else
			return -1;
		if (v >> 60)
			return -1;
		v = (v << 4) | (uint64_t)d;
	}
	if (!digits)
		return -1;
	*out = v;
	return 0;
}

int shl_entry_parse_q(const char *s, unsigned int nq, struct shl_entry *out,
		      char *err, size_t errlen)
{
	unsigned int i = 0;
	const char *p = s;

	memset(out, 0, sizeof(*out));
	if (!s || !*s) {
		set_err(err, errlen, "empty entry (expected up to %u hex qwords separated by commas)", nq);
		return -1;
	}
	for (;;) {
		const char *c = strchr(p, ',');
		size_t n = c ? (size_t)(c - p) : strlen(p);

		if (i >= nq) {
			set_err(err, errlen, "more than %u qwords in '%s'", nq, s);
			return -1;
		}
		if (parse_hex64(p, n, &out->q[i])) {
			set_err(err, errlen, "qword %u of '%s' is not a 64-bit hex number", i, s);
			return -1;
		}
		i++;
		if (!c)
			return 0;
		p = c + 1;
	}
}

void shl_entry_format_q(const struct shl_entry *e, unsigned int nq, char *buf, size_t len)
{
	unsigned int last = 0, i;
	size_t off = 0;

	for (i = 0; i < nq; i++)
		if (e->q[i])
			last = i;
	buf[0] = 0;
	for (i = 0; i <= last && off < len; i++)
		off += (size_t)snprintf(buf + off, len - off, "%s0x%llx", i ? "," : "",
					(unsigned long long)e->q[i]);
}

int shl_entry_encode(enum shl_entry_kind kind, int argc, char *const *argv,
		     struct shl_entry *out, char *err, size_t errlen)
{
	int i;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < argc; i++) {
		const char *eq = strchr(argv[i], '=');
		const struct shl_field *f;
		char name[64];
		unsigned long long v;
		char *end;

		if (!eq || eq == argv[i] || (size_t)(eq - argv[i]) >= sizeof(name)) {
			set_err(err, errlen, "'%s': expected FIELD=VALUE", argv[i]);
			return -1;
		}
		memcpy(name, argv[i], (size_t)(eq - argv[i]));
		name[eq - argv[i]] = 0;
		f = shl_field_find(kind, name);
		if (!f) {
			set_err(err, errlen, "'%s': no field %s in the %s", argv[i], name,
				shl_kind_name(kind));
			return -1;
		}
		errno = 0;
		if (!eq[1] || eq[1] == '-' || eq[1] == '+' || isspace((unsigned char)eq[1])) {
			set_err(err, errlen, "'%s': VALUE is not a number", argv[i]);
			return -1;
		}
		v = strtoull(eq + 1, &end, 0);
		if (errno || *end) {
			set_err(err, errlen, "'%s': VALUE is not a number", argv[i]);
			return -1;
		}
		if (shl_field_store(out, f, v)) {
			set_err(err, errlen, "'%s': value does not fit %s[%u:%u]%s", argv[i], f->name,
				64 * f->qword + f->hi, 64 * f->qword + f->lo,
				f->flags & SHL_FIELD_ADDR ? " (an aligned address)" : "");
			return -1;
		}
	}
	return 0;
}

json_object *shl_qwords_to_json(const struct shl_entry *e, unsigned int nq)
{
	json_object *a = json_object_new_array();
	unsigned int i;
	char buf[24];

	for (i = 0; i < nq; i++) {
		snprintf(buf, sizeof(buf), "0x%016llx", (unsigned long long)e->q[i]);
		json_object_array_add(a, json_object_new_string(buf));
	}
	return a;
}

static bool field_listed(const struct shl_field *f, uint64_t v)
{
	return v || !(f->flags & (SHL_FIELD_RES0 | SHL_FIELD_IMPDEF));
}

json_object *shl_entry_to_json(enum shl_entry_kind kind, const struct shl_entry *e)
{
	json_object *o = json_object_new_object();
	json_object *fo = json_object_new_object();
	size_t i, n;
	const struct shl_field *t = shl_fields(kind, &n);

	json_object_object_add(o, "kind", json_object_new_string(shl_kind_name(kind)));
	json_object_object_add(o, "qwords", shl_qwords_to_json(e, shl_kind_qwords(kind)));
	for (i = 0; i < n; i++) {
		uint64_t v = shl_field_value(e, &t[i]);

		if (field_listed(&t[i], v))
			json_object_object_add(fo, t[i].name, json_object_new_int64((int64_t)v));
	}
	json_object_object_add(o, "fields", fo);
	return o;
}

void shl_entry_print(FILE *f, enum shl_entry_kind kind, const struct shl_entry *e)
{
	unsigned int i, nq = shl_kind_qwords(kind);
	size_t k, n;
	const struct shl_field *t = shl_fields(kind, &n);

	for (i = 0; i < nq; i++)
		fprintf(f, "# q%u 0x%016llx\n", i, (unsigned long long)e->q[i]);
	for (k = 0; k < n; k++) {
		uint64_t v = shl_field_value(e, &t[k]);

		if (!v)
			continue;
		if (t[k].flags & SHL_FIELD_ADDR || t[k].hi - t[k].lo >= 8)
			fprintf(f, "%s=0x%llx\n", t[k].name, (unsigned long long)v);
		else
			fprintf(f, "%s=%llu\n", t[k].name, (unsigned long long)v);
	}
}
