// SPDX-License-Identifier: GPL-2.0-only
/*
 * SMMUv3 event record decoding (Arm IHI 0070, 7.3 "Event records"; common
 * layout in 7.3 and the per-event field lists in 7.3.1 .. 7.3.22).
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "smmu_hil/event.h"

struct shl_event_type {
	uint8_t id;
	const char *name;
	unsigned int fields;
};

#define F_TRANSL (SHL_EVF_ADDR | SHL_EVF_ACCESS | SHL_EVF_CLASS | SHL_EVF_STALL)
#define F_FETCHX (SHL_EVF_FETCH | SHL_EVF_REASON)

static const struct shl_event_type shl_event_types[] = {
	{ SHL_EVT_F_UUT, "F_UUT", SHL_EVF_ADDR | SHL_EVF_ACCESS },
	{ SHL_EVT_C_BAD_STREAMID, "C_BAD_STREAMID", 0 },
	{ SHL_EVT_F_STE_FETCH, "F_STE_FETCH", F_FETCHX },
	{ SHL_EVT_C_BAD_STE, "C_BAD_STE", 0 },
	{ SHL_EVT_F_BAD_ATS_TREQ, "F_BAD_ATS_TREQ", SHL_EVF_ADDR | SHL_EVF_ATS },
	{ SHL_EVT_F_STREAM_DISABLED, "F_STREAM_DISABLED", 0 },
	{ SHL_EVT_F_TRANSL_FORBIDDEN, "F_TRANSL_FORBIDDEN", SHL_EVF_ADDR | SHL_EVF_ACCESS },
	{ SHL_EVT_C_BAD_SUBSTREAMID, "C_BAD_SUBSTREAMID", 0 },
	{ SHL_EVT_F_CD_FETCH, "F_CD_FETCH", F_FETCHX },
	{ SHL_EVT_C_BAD_CD, "C_BAD_CD", 0 },
	{ SHL_EVT_F_WALK_EABT, "F_WALK_EABT",
	  SHL_EVF_ADDR | SHL_EVF_ACCESS | SHL_EVF_CLASS | F_FETCHX },
	{ SHL_EVT_F_TRANSLATION, "F_TRANSLATION", F_TRANSL },
	{ SHL_EVT_F_ADDR_SIZE, "F_ADDR_SIZE", F_TRANSL },
	{ SHL_EVT_F_ACCESS, "F_ACCESS", F_TRANSL },
	{ SHL_EVT_F_PERMISSION, "F_PERMISSION", F_TRANSL },
	{ SHL_EVT_F_TLB_CONFLICT, "F_TLB_CONFLICT",
	  SHL_EVF_ADDR | SHL_EVF_ACCESS | SHL_EVF_REASON },
	{ SHL_EVT_F_CFG_CONFLICT, "F_CFG_CONFLICT", 0 },
	{ SHL_EVT_E_PAGE_REQUEST, "E_PAGE_REQUEST", SHL_EVF_ADDR },
	{ SHL_EVT_F_VMS_FETCH, "F_VMS_FETCH", F_FETCHX },
};

#define NTYPES (sizeof(shl_event_types) / sizeof(shl_event_types[0]))

static const char *const shl_impdef_names[16] = {
	"IMPDEF_EVENT0", "IMPDEF_EVENT1", "IMPDEF_EVENT2", "IMPDEF_EVENT3",
	"IMPDEF_EVENT4", "IMPDEF_EVENT5", "IMPDEF_EVENT6", "IMPDEF_EVENT7",
	"IMPDEF_EVENT8", "IMPDEF_EVENT9", "IMPDEF_EVENT10", "IMPDEF_EVENT11",
	"IMPDEF_EVENT12", "IMPDEF_EVENT13", "IMPDEF_EVENT14", "IMPDEF_EVENT15",
};

static uint64_t field(uint64_t v, unsigned int hi, unsigned int lo)
{
	uint64_t mask = hi - lo == 63 ? ~0ull : ((1ull << (hi - lo + 1)) - 1);

	return (v >> lo) & mask;
}

static const struct shl_event_type *shl_event_type(unsigned int id)
{
	size_t i;

	for (i = 0; i < NTYPES; i++)
		if (shl_event_types[i].id == id)
			return &shl_event_types[i];
	return NULL;
}

const char *shl_event_name(unsigned int id)
{
	const struct shl_event_type *t = shl_event_type(id);

	if (t)
		return t->name;
	if (id >= 0xe0 && id <= 0xef)
		return shl_impdef_names[id - 0xe0];
	return NULL;
}

int shl_event_id_from_name(const char *name)
{
	size_t i;

	for (i = 0; name && i < NTYPES; i++)
		if (!strcmp(shl_event_types[i].name, name))
			return shl_event_types[i].id;
	return -1;
}

const char *shl_event_class_name(unsigned int c)
{
	static const char *const names[] = { "CD", "TT", "IN", "reserved" };

	return names[c & 3];
}

void shl_event_decode(const uint64_t q[4], struct shl_event *e)
{
	const struct shl_event_type *t;
	const char *name;

	memset(e, 0, sizeof(*e));
	e->id = field(q[0], 7, 0);
	e->ssv = field(q[0], 11, 11);
	e->ssid = e->ssv ? field(q[0], 31, 12) : 0;
	e->sid = field(q[0], 63, 32);
	t = shl_event_type(e->id);
	name = shl_event_name(e->id);
	e->name = name ? name : "UNKNOWN";
	e->fields = t ? t->fields : 0;

	if (e->fields & SHL_EVF_ADDR)
		e->input_addr = q[2];
	if (e->fields & SHL_EVF_ACCESS) {
		e->pnu = field(q[1], 33, 33);
		e->ind = field(q[1], 34, 34);
		e->rnw = field(q[1], 35, 35);
	}
	if (e->fields & SHL_EVF_STALL) {
		e->stall = field(q[1], 31, 31);
		e->stag = field(q[1], 15, 0);
	}
	if (e->fields & SHL_EVF_CLASS) {
		e->s2 = field(q[1], 39, 39);
		e->class_ = field(q[1], 41, 40);
		if (e->s2)
			e->ipa = field(q[3], 55, 12) << 12;
	}
	if (e->id == SHL_EVT_F_PERMISSION && e->class_ == SHL_EVC_TT) {
		e->fields |= SHL_EVF_TTRNW;
		e->ttrnw = field(q[1], 44, 44);
	}
	if (e->fields & SHL_EVF_FETCH)
		e->fetch_addr = field(q[3], 55, 3) << 3;
	if (e->fields & SHL_EVF_REASON)
		e->reason = field(q[1], 15, 0);
	if (e->fields & SHL_EVF_ATS) {
		e->input_addr = field(q[2], 63, 12) << 12;
		e->span = field(q[1], 3, 0);
		e->ats_p = field(q[1], 28, 28);
		e->ats_x = field(q[1], 29, 29);
		e->ats_w = field(q[1], 30, 30);
		e->ats_r = field(q[1], 31, 31);
	}
}

static void add_hex(json_object *o, const char *key, uint64_t v, const char *fmt)
{
	char buf[24];

	snprintf(buf, sizeof(buf), fmt, v);
	json_object_object_add(o, key, json_object_new_string(buf));
}

static void add_bool(json_object *o, const char *key, bool v)
{
	json_object_object_add(o, key, json_object_new_boolean(v));
}

static void add_int(json_object *o, const char *key, int64_t v)
{
	json_object_object_add(o, key, json_object_new_int64(v));
}

json_object *shl_event_to_json(const uint64_t q[4], uint64_t seq, uint64_t ts_ns)
{
	json_object *o = json_object_new_object(), *raw = json_object_new_array();
	struct shl_event e;
	char buf[24];
	int i;

	shl_event_decode(q, &e);
	add_int(o, "seq", (int64_t)seq);
	add_int(o, "ts_ns", (int64_t)ts_ns);
	for (i = 0; i < 4; i++) {
		snprintf(buf, sizeof(buf), "0x%016" PRIx64, q[i]);
		json_object_array_add(raw, json_object_new_string(buf));
	}
	json_object_object_add(o, "raw", raw);
	add_int(o, "id", e.id);
	json_object_object_add(o, "name", json_object_new_string(e.name));
	add_int(o, "sid", e.sid);
	add_bool(o, "ssv", e.ssv);
	add_int(o, "ssid", e.ssid);
	if (e.fields & SHL_EVF_ADDR)
		add_hex(o, "input_addr", e.input_addr, "0x%" PRIx64);
	if (e.fields & SHL_EVF_ACCESS) {
		add_bool(o, "rnw", e.rnw);
		add_bool(o, "pnu", e.pnu);
		add_bool(o, "ind", e.ind);
	}
	if (e.fields & SHL_EVF_STALL) {
		add_bool(o, "stall", e.stall);
		add_int(o, "stag", e.stag);
	}
	if (e.fields & SHL_EVF_CLASS) {
		add_bool(o, "s2", e.s2);
		json_object_object_add(o, "class",
				       json_object_new_string(shl_event_class_name(e.class_)));
		if (e.s2)
			add_hex(o, "ipa", e.ipa, "0x%" PRIx64);
	}
	if (e.fields & SHL_EVF_TTRNW)
		add_bool(o, "ttrnw", e.ttrnw);
	if (e.fields & SHL_EVF_FETCH)
		add_hex(o, "fetch_addr", e.fetch_addr, "0x%" PRIx64);
	if (e.fields & SHL_EVF_REASON)
		add_hex(o, "reason", e.reason, "0x%" PRIx64);
	if (e.fields & SHL_EVF_ATS) {
		add_int(o, "span", e.span);
		add_bool(o, "ats_r", e.ats_r);
		add_bool(o, "ats_w", e.ats_w);
		add_bool(o, "ats_x", e.ats_x);
		add_bool(o, "ats_p", e.ats_p);
	}
	return o;
}
