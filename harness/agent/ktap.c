// SPDX-License-Identifier: GPL-2.0-only
/*
 * The KTAP writer (ktap.h): kselftest's KTAP v1 with a "# Totals" line,
 * and the metric spelling of the lab's report.py, so that `smmu-hil run`,
 * `smmu-hil report ktap` and the lab's ktap.log agree.
 */
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "smmu_hil/ktap.h"

/* ------------------------------------------------------------- values */

/* A bounded string being appended to; it stays NUL-terminated. */
struct sbuf {
	char *b;
	size_t len, n;
};

static void put(struct sbuf *s, const char *t, size_t tn)
{
	size_t room = s->len - 1 - s->n;

	if (tn > room)
		tn = room;
	memcpy(s->b + s->n, t, tn);
	s->n += tn;
	s->b[s->n] = '\0';
}

static void puts_(struct sbuf *s, const char *t)
{
	put(s, t, strlen(t));
}

/* Python's repr() of a float: the shortest digits that read back as @d. */
static void py_float(struct sbuf *s, double d)
{
	char tmp[40], digits[24], out[64];
	int p, exp, nd, i, o = 0;
	const char *c;

	if (isnan(d)) {
		puts_(s, "nan");
		return;
	}
	if (isinf(d)) {
		puts_(s, d < 0 ? "-inf" : "inf");
		return;
	}
	for (p = 1; p <= 17; p++) {
		snprintf(tmp, sizeof(tmp), "%.*e", p - 1, d);
		if (strtod(tmp, NULL) == d)
			break;
	}
	c = tmp;
	if (*c == '-')
		out[o++] = *c++;
	for (nd = 0; *c && *c != 'e'; c++)
		if (*c != '.')
			digits[nd++] = *c;
	digits[nd] = '\0';
	exp = atoi(c + 1);
	while (nd > 1 && digits[nd - 1] == '0')
		digits[--nd] = '\0';
	if (exp >= -4 && exp < 16) {
		if (exp >= 0) {
			for (i = 0; i <= exp; i++)
				out[o++] = i < nd ? digits[i] : '0';
			out[o++] = '.';
			if (nd > exp + 1)
				for (i = exp + 1; i < nd; i++)
					out[o++] = digits[i];
			else
				out[o++] = '0';
		} else {
			out[o++] = '0';
			out[o++] = '.';
			for (i = 0; i < -exp - 1; i++)
				out[o++] = '0';
			for (i = 0; i < nd; i++)
				out[o++] = digits[i];
		}
		out[o] = '\0';
	} else {
		out[o++] = digits[0];
		if (nd > 1) {
			out[o++] = '.';
			for (i = 1; i < nd; i++)
				out[o++] = digits[i];
		}
		snprintf(out + o, sizeof(out) - (size_t)o, "e%c%02d", exp < 0 ? '-' : '+', abs(exp));
	}
	puts_(s, out);
}

/* Python's repr() of a str. */
static void py_str_repr(struct sbuf *s, const char *t)
{
	char q = strchr(t, '\'') && !strchr(t, '"') ? '"' : '\'', esc[8];

	put(s, &q, 1);
	for (; *t; t++) {
		unsigned char c = (unsigned char)*t;

		if (c == '\\' || c == (unsigned char)q) {
			put(s, "\\", 1);
			put(s, t, 1);
		} else if (c == '\n') {
			puts_(s, "\\n");
		} else if (c == '\r') {
			puts_(s, "\\r");
		} else if (c == '\t') {
			puts_(s, "\\t");
		} else if (c < 0x20 || c == 0x7f) {
			snprintf(esc, sizeof(esc), "\\x%02x", c);
			puts_(s, esc);
		} else {
			put(s, t, 1);
		}
	}
	put(s, &q, 1);
}

/* Python's str() (@repr false) or repr() (@repr true) of a JSON value. */
static void py_value(struct sbuf *s, json_object *v, bool repr)
{
	char num[32];
	size_t i, n;
	bool first = true;

	switch (json_object_get_type(v)) {
	case json_type_null:
		puts_(s, "None");
		break;
	case json_type_boolean:
		puts_(s, json_object_get_boolean(v) ? "True" : "False");
		break;
	case json_type_int:
		snprintf(num, sizeof(num), "%lld", (long long)json_object_get_int64(v));
		puts_(s, num);
		break;
	case json_type_double:
		py_float(s, json_object_get_double(v));
		break;
	case json_type_string:
		if (repr)
			py_str_repr(s, json_object_get_string(v));
		else
			puts_(s, json_object_get_string(v));
		break;
	case json_type_array:
		puts_(s, "[");
		n = json_object_array_length(v);
		for (i = 0; i < n; i++) {
			if (i)
				puts_(s, ", ");
			py_value(s, json_object_array_get_idx(v, i), true);
		}
		puts_(s, "]");
		break;
	case json_type_object:
		puts_(s, "{");
		json_object_object_foreach(v, k, m) {
			if (!first)
				puts_(s, ", ");
			first = false;
			py_str_repr(s, k);
			puts_(s, ": ");
			py_value(s, m, true);
		}
		puts_(s, "}");
		break;
	}
}

char *shl_ktap_value(json_object *v, char *buf, size_t len)
{
	struct sbuf s = { buf, len, 0 };
	double d;
	size_t i, n;

	if (!len)
		return buf;
	buf[0] = '\0';
	if (json_object_is_type(v, json_type_double)) {
		d = json_object_get_double(v);
		if (isfinite(d) && d == trunc(d)) {
			snprintf(buf, len, "%.0f", d);
			if (!strcmp(buf, "-0"))
				snprintf(buf, len, "0");
		} else {
			snprintf(buf, len, "%.3f", d);
			n = strlen(buf);
			while (n && buf[n - 1] == '0')
				buf[--n] = '\0';
			if (n && buf[n - 1] == '.')
				buf[--n] = '\0';
		}
		return buf;
	}
	if (json_object_is_type(v, json_type_array)) {
		n = json_object_array_length(v);
		for (i = 0; i < n; i++) {
			if (i)
				puts_(&s, ",");
			py_value(&s, json_object_array_get_idx(v, i), false);
		}
		return buf;
	}
	/* str(): a dict is its repr; a str itself */
	py_value(&s, v, json_object_is_type(v, json_type_object));
	return buf;
}

/* --------------------------------------------------------------- KTAP */

void shl_ktap_start(struct shl_ktap *k, FILE *f, const char *comment, unsigned int n)
{
	memset(k, 0, sizeof(*k));
	k->f = f;
	k->planned = n;
	fputs("KTAP version 1\n", f);
	if (comment)
		fprintf(f, "# %s\n", comment);
	fprintf(f, "1..%u\n", n);
}

void shl_ktap_diag(struct shl_ktap *k, const char *text)
{
	size_t n;

	while (text && *text) {
		n = strcspn(text, "\r\n");
		fprintf(k->f, "# %.*s\n", (int)n, text);
		text += n;
		if (text[0] == '\r' && text[1] == '\n')
			text += 2;
		else if (*text)
			text++;
	}
}

/* report.py's _one_line(): the first line, whitespace runs as one space. */
static void one_line(FILE *f, const char *t)
{
	size_t n = t ? strcspn(t, "\n") : 0, i;
	bool space = false, any = false;

	for (i = 0; i < n; i++) {
		if (strchr(" \t\r\v\f", t[i])) {
			space = any;
			continue;
		}
		if (space)
			fputc(' ', f);
		fputc(t[i], f);
		space = false;
		any = true;
	}
}

void shl_ktap_test(struct shl_ktap *k, const char *name, const char *status, const char *reason,
		   json_object *metrics)
{
	char v[4096];

	k->num++;
	if (metrics && json_object_is_type(metrics, json_type_object)) {
		json_object_object_foreach(metrics, key, val)
			fprintf(k->f, "# %s: %s=%s\n", name, key, shl_ktap_value(val, v, sizeof(v)));
	}
	if (status && !strcmp(status, "skip")) {
		k->skip++;
		fprintf(k->f, "ok %u %s # SKIP ", k->num, name);
		one_line(k->f, reason);
		fputc('\n', k->f);
		return;
	}
	/* an expected failure: kselftest's XFAIL directive (Documentation/dev-tools/ktap.rst) */
	if (status && !strcmp(status, "xfail")) {
		k->xfail++;
		fprintf(k->f, "ok %u %s # XFAIL ", k->num, name);
		one_line(k->f, reason);
		fputc('\n', k->f);
		return;
	}
	shl_ktap_diag(k, reason);
	if (status && !strcmp(status, "pass")) {
		k->pass++;
		fprintf(k->f, "ok %u %s\n", k->num, name);
	} else {
		k->fail++;
		fprintf(k->f, "not ok %u %s\n", k->num, name);
	}
}

int shl_ktap_finish(struct shl_ktap *k)
{
	fprintf(k->f, "# Totals: pass:%u fail:%u xfail:%u xpass:0 skip:%u error:0\n", k->pass,
		k->fail, k->xfail, k->skip);
	fflush(k->f);
	if (k->fail)
		return SHL_KSFT_FAIL;
	return k->skip && k->skip == k->num ? SHL_KSFT_SKIP : SHL_KSFT_PASS;
}

int shl_ktap_report(FILE *f, json_object *report, char *err, size_t len)
{
	json_object *tests = NULL, *t, *dut, *kernel;
	char comment[1024], v[512], kv[512];
	const char *status;
	struct shl_ktap k;
	size_t i, n;

	if (!json_object_is_type(report, json_type_object) ||
	    !json_object_object_get_ex(report, "tests", &tests) ||
	    !json_object_is_type(tests, json_type_array)) {
		snprintf(err, len, "not a report.json: no \"tests\" array");
		return -1;
	}
	n = json_object_array_length(tests);
	for (i = 0; i < n; i++) {
		t = json_object_array_get_idx(tests, i);
		status = json_object_get_string(json_object_object_get(t, "status"));
		if (!json_object_is_type(json_object_object_get(t, "name"), json_type_string)) {
			snprintf(err, len, "tests[%zu]: no name", i);
			return -1;
		}
		if (!status || (strcmp(status, "pass") && strcmp(status, "fail") &&
				strcmp(status, "skip") && strcmp(status, "xfail"))) {
			snprintf(err, len, "tests[%zu]: status '%s' is not pass, fail, skip or xfail", i,
				 status ? status : "");
			return -1;
		}
	}
	dut = json_object_object_get(report, "dut");
	kernel = dut ? json_object_object_get(dut, "kernel") : NULL;
	snprintf(comment, sizeof(comment), "smmu-hil run %s target %s",
		 shl_ktap_value(json_object_object_get(report, "run_id"), v, sizeof(v)),
		 shl_ktap_value(json_object_object_get(report, "target"), kv, sizeof(kv)));
	/* report.py: " kernel K" when dut.kernel is truthy */
	if (kernel && !(json_object_is_type(kernel, json_type_string) &&
			!json_object_get_string_len(kernel)) &&
	    !(json_object_is_type(kernel, json_type_boolean) && !json_object_get_boolean(kernel)) &&
	    !(json_object_is_type(kernel, json_type_int) && !json_object_get_int64(kernel))) {
		size_t c = strlen(comment);

		snprintf(comment + c, sizeof(comment) - c, " kernel %s",
			 shl_ktap_value(kernel, v, sizeof(v)));
	}
	shl_ktap_start(&k, f, comment, (unsigned int)n);
	for (i = 0; i < n; i++) {
		t = json_object_array_get_idx(tests, i);
		shl_ktap_test(&k, json_object_get_string(json_object_object_get(t, "name")),
			      json_object_get_string(json_object_object_get(t, "status")),
			      json_object_get_string(json_object_object_get(t, "reason")),
			      json_object_object_get(t, "metrics"));
	}
	shl_ktap_finish(&k);
	return 0;
}
