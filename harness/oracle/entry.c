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

/* NAME, then a field triple (qword, hi, lo) */
#define F(name, ...) { name, __VA_ARGS__, 0 }
#define A(name, ...) { name, __VA_ARGS__, SHL_FIELD_ADDR }
#define R(name, ...) { name, __VA_ARGS__, SHL_FIELD_RES0 }
#define I(name, ...) { name, __VA_ARGS__, SHL_FIELD_IMPDEF }

static const struct shl_field ste_fields[] = {
	F("V", SHL_STE_V), F("Config", SHL_STE_CONFIG), F("S1Fmt", SHL_STE_S1FMT),
	A("S1ContextPtr", SHL_STE_S1CONTEXTPTR), R("RES0[58:56]", 0, 58, 56),
	F("S1CDMax", SHL_STE_S1CDMAX),
	F("S1DSS", SHL_STE_S1DSS), F("S1CIR", SHL_STE_S1CIR), F("S1COR", SHL_STE_S1COR),
	F("S1CSH", SHL_STE_S1CSH), F("S2HWU59", 1, 8, 8), F("S2HWU60", 1, 9, 9),
	F("S2HWU61", 1, 10, 10), F("S2HWU62", 1, 11, 11), F("DRE", SHL_STE_DRE),
	F("CONT", SHL_STE_CONT), F("DCP", SHL_STE_DCP), F("PPAR", SHL_STE_PPAR),
	F("MEV", SHL_STE_MEV), I("SW_RESERVED", SHL_STE_SW_RESERVED), F("S1PIE", SHL_STE_S1PIE),
	F("S2FWB", SHL_STE_S2FWB), F("S1MPAM", SHL_STE_S1MPAM), F("S1STALLD", SHL_STE_S1STALLD),
	F("EATS", SHL_STE_EATS), F("STRW", SHL_STE_STRW), F("MemAttr", SHL_STE_MEMATTR),
	F("MTCFG", SHL_STE_MTCFG), F("ALLOCCFG", SHL_STE_ALLOCCFG), R("RES0[107:105]", 1, 43, 41),
	F("SHCFG", SHL_STE_SHCFG), F("NSCFG", SHL_STE_NSCFG), F("PRIVCFG", SHL_STE_PRIVCFG),
	F("INSTCFG", SHL_STE_INSTCFG), I("IMPDEF[127:116]", SHL_STE_IMPDEF1),
	F("S2VMID", SHL_STE_S2VMID), I("IMPDEF[159:144]", SHL_STE_IMPDEF2),
	F("S2T0SZ", SHL_STE_S2T0SZ), F("S2SL0", SHL_STE_S2SL0), F("S2IR0", SHL_STE_S2IR0),
	F("S2OR0", SHL_STE_S2OR0), F("S2SH0", SHL_STE_S2SH0), F("S2TG", SHL_STE_S2TG),
	F("S2PS", SHL_STE_S2PS), F("S2AA64", SHL_STE_S2AA64), F("S2ENDI", SHL_STE_S2ENDI),
	F("S2AFFD", SHL_STE_S2AFFD), F("S2PTW", SHL_STE_S2PTW), F("S2HD", SHL_STE_S2HD),
	F("S2HA", SHL_STE_S2HA), F("S2S", SHL_STE_S2S), F("S2R", SHL_STE_S2R),
	F("S2HAFT", SHL_STE_S2HAFT), F("S2PIE", SHL_STE_S2PIE), F("S2POE", SHL_STE_S2POE),
	F("DPT_VMATCH", SHL_STE_DPT_VMATCH),
	F("S2NSW", SHL_STE_S2NSW), F("S2NSA", SHL_STE_S2NSA), F("S2SL0_2", SHL_STE_S2SL0_2),
	F("S2DS", SHL_STE_S2DS), A("S2TTB", SHL_STE_S2TTB), R("RES0[252:248]", 3, 60, 56),
	F("S2SKL", SHL_STE_S2SKL), R("RES0[255]", 3, 63, 63),
	I("IMPDEF[271:256]", SHL_STE_IMPDEF4), F("PARTID", SHL_STE_PARTID),
	F("S_S2T0SZ", SHL_STE_S_S2T0SZ), F("S_S2SL0", SHL_STE_S_S2SL0),
	R("RES0[301:296]", 4, 45, 40), F("S_S2TG", SHL_STE_S_S2TG), F("MECID", SHL_STE_MECID),
	F("PMG", SHL_STE_PMG), F("MPAM_NS", SHL_STE_MPAM_NS), F("AssuredOnly", SHL_STE_ASSUREDONLY),
	F("TL0", SHL_STE_TL0), F("TL1", SHL_STE_TL1), A("VMSPtr", SHL_STE_VMSPTR),
	R("RES0[383:376]", 5, 63, 56),
	F("S2SW", SHL_STE_S2SW), F("S2SA", SHL_STE_S2SA), F("S_S2SL0_2", SHL_STE_S_S2SL0_2),
	R("RES0[387]", 6, 3, 3), A("S_S2TTB", SHL_STE_S_S2TTB), R("RES0[444:440]", 6, 60, 56),
	F("S_S2SKL", SHL_STE_S_S2SKL), R("RES0[447]", 6, 63, 63),
	F("S2POI0", 7, 3, 0), F("S2POI1", 7, 7, 4), F("S2POI2", 7, 11, 8), F("S2POI3", 7, 15, 12),
	F("S2POI4", 7, 19, 16), F("S2POI5", 7, 23, 20), F("S2POI6", 7, 27, 24),
	F("S2POI7", 7, 31, 28), F("S2POI8", 7, 35, 32), F("S2POI9", 7, 39, 36),
	F("S2POI10", 7, 43, 40), F("S2POI11", 7, 47, 44), F("S2POI12", 7, 51, 48),
	F("S2POI13", 7, 55, 52), F("S2POI14", 7, 59, 56), F("S2POI15", 7, 63, 60),
};

static const struct shl_field cd_fields[] = {
	F("T0SZ", SHL_CD_T0SZ), F("TG0", SHL_CD_TG0), F("IR0", SHL_CD_IR0), F("OR0", SHL_CD_OR0),
	F("SH0", SHL_CD_SH0), F("EPD0", SHL_CD_EPD0), F("ENDI", SHL_CD_ENDI), F("T1SZ", SHL_CD_T1SZ),
	F("TG1", SHL_CD_TG1), F("IR1", SHL_CD_IR1), F("OR1", SHL_CD_OR1), F("SH1", SHL_CD_SH1),
	F("EPD1", SHL_CD_EPD1), F("V", SHL_CD_V), F("IPS", SHL_CD_IPS), F("AFFD", SHL_CD_AFFD),
	F("WXN", SHL_CD_WXN), F("UWXN", SHL_CD_UWXN), F("TBI0", SHL_CD_TBI0), F("TBI1", SHL_CD_TBI1),
	F("PAN", SHL_CD_PAN), F("AA64", SHL_CD_AA64), F("HD", SHL_CD_HD), F("HA", SHL_CD_HA),
	F("S", SHL_CD_S), F("R", SHL_CD_R), F("A", SHL_CD_A), F("ASET", SHL_CD_ASET),
	F("ASID", SHL_CD_ASID),
	F("NSCFG0", SHL_CD_NSCFG0), F("HAD0", SHL_CD_HAD0), F("E0PD0", SHL_CD_E0PD0),
	F("HAFT", SHL_CD_HAFT), A("TTB0", SHL_CD_TTB0), R("RES0[121:120]", 1, 57, 56),
	F("PnCH", SHL_CD_PNCH), F("EPAN", SHL_CD_EPAN), F("HWU059", 1, 60, 60),
	F("HWU060", 1, 61, 61), F("HWU061", 1, 62, 62), F("HWU062", 1, 63, 63),
	F("NSCFG1", SHL_CD_NSCFG1), F("HAD1", SHL_CD_HAD1), F("E0PD1", SHL_CD_E0PD1),
	F("AIE", SHL_CD_AIE), A("TTB1", SHL_CD_TTB1), R("RES0[185:184]", 2, 57, 56),
	F("DS", SHL_CD_DS), F("PIE", SHL_CD_PIE), F("HWU159", 2, 60, 60), F("HWU160", 2, 61, 61),
	F("HWU161", 2, 62, 62), F("HWU162", 2, 63, 63),
	F("MAIR0", SHL_CD_MAIR0), F("MAIR1", SHL_CD_MAIR1),
	F("AMAIR0", SHL_CD_AMAIR0), F("AMAIR1", SHL_CD_AMAIR1),
	I("IMPDEF[351:320]", SHL_CD_IMPDEF5), F("PARTID", SHL_CD_PARTID), F("PMG", SHL_CD_PMG),
	R("RES0[383:376]", 5, 63, 56),
	F("PIIU0", 6, 2, 0), F("PIIU1", 6, 5, 3), F("PIIU2", 6, 8, 6), F("PIIU3", 6, 11, 9),
	F("PIIU4", 6, 14, 12), F("PIIU5", 6, 17, 15), F("PIIU6", 6, 20, 18), F("PIIU7", 6, 23, 21),
	F("PIIU8", 6, 26, 24), F("PIIU9", 6, 29, 27), F("PIIU10", 6, 32, 30),
	F("PIIU11", 6, 35, 33), F("PIIU12", 6, 38, 36), F("PIIU13", 6, 41, 39),
	F("PIIU14", 6, 44, 42), F("PIIU15", 6, 47, 45), R("RES0[447:432]", 6, 63, 48),
	F("PIIP0", 7, 2, 0), F("PIIP1", 7, 5, 3), F("PIIP2", 7, 8, 6), F("PIIP3", 7, 11, 9),
	F("PIIP4", 7, 14, 12), F("PIIP5", 7, 17, 15), F("PIIP6", 7, 20, 18), F("PIIP7", 7, 23, 21),
	F("PIIP8", 7, 26, 24), F("PIIP9", 7, 29, 27), F("PIIP10", 7, 32, 30),
	F("PIIP11", 7, 35, 33), F("PIIP12", 7, 38, 36), F("PIIP13", 7, 41, 39),
	F("PIIP14", 7, 44, 42), F("PIIP15", 7, 47, 45), R("RES0[511:496]", 7, 63, 48),
};

static const struct shl_field l1std_fields[] = {
	F("Span", SHL_L1STD_SPAN), R("RES0[5]", 0, 5, 5), A("L2Ptr", SHL_L1STD_L2PTR),
	R("RES0[63:56]", 0, 63, 56),
};

static const struct shl_field l1cd_fields[] = {
	F("V", SHL_L1CD_V), R("RES0[11:1]", 0, 11, 1), A("L2Ptr", SHL_L1CD_L2PTR),
	R("RES0[63:56]", 0, 63, 56),
};

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
