/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * SMMUv3 event records (Arm IHI 0070, 7.3 "Event records"): decoding of the
 * 32-byte records the event monitor module captures, into the spec's names
 * and fields. Field positions follow the spec's common record layout, as
 * the Linux driver (EVTQ_*) and QEMU (EVT_SET_*) use them.
 */
#ifndef SMMU_HIL_EVENT_H
#define SMMU_HIL_EVENT_H

#include <stdbool.h>
#include <stdint.h>
#include <json-c/json.h>

/* Event type codes (spec 7.3, table of event numbers) */
enum shl_event_id {
	SHL_EVT_F_UUT			= 0x01,
	SHL_EVT_C_BAD_STREAMID		= 0x02,
	SHL_EVT_F_STE_FETCH		= 0x03,
	SHL_EVT_C_BAD_STE		= 0x04,
	SHL_EVT_F_BAD_ATS_TREQ		= 0x05,
	SHL_EVT_F_STREAM_DISABLED	= 0x06,
	SHL_EVT_F_TRANSL_FORBIDDEN	= 0x07,
	SHL_EVT_C_BAD_SUBSTREAMID	= 0x08,
	SHL_EVT_F_CD_FETCH		= 0x09,
	SHL_EVT_C_BAD_CD		= 0x0a,
	SHL_EVT_F_WALK_EABT		= 0x0b,
	SHL_EVT_F_TRANSLATION		= 0x10,
	SHL_EVT_F_ADDR_SIZE		= 0x11,
	SHL_EVT_F_ACCESS		= 0x12,
	SHL_EVT_F_PERMISSION		= 0x13,
	SHL_EVT_F_TLB_CONFLICT		= 0x20,
	SHL_EVT_F_CFG_CONFLICT		= 0x21,
	SHL_EVT_E_PAGE_REQUEST		= 0x24,
	SHL_EVT_F_VMS_FETCH		= 0x25,
};

/* Which optional fields of struct shl_event hold meaning for its type */
#define SHL_EVF_ADDR	(1u << 0)	/* input_addr */
#define SHL_EVF_ACCESS	(1u << 1)	/* rnw, pnu, ind */
#define SHL_EVF_CLASS	(1u << 2)	/* s2, class_, ipa (when s2) */
#define SHL_EVF_STALL	(1u << 3)	/* stall, stag */
#define SHL_EVF_FETCH	(1u << 4)	/* fetch_addr */
#define SHL_EVF_REASON	(1u << 5)	/* reason (IMPDEF) */
#define SHL_EVF_ATS	(1u << 6)	/* span, ats_r/w/x/p */
#define SHL_EVF_TTRNW	(1u << 7)	/* ttrnw (F_PERMISSION, CLASS = TT) */

/* CLASS of a translation fault (q1[41:40]) */
enum shl_event_class {
	SHL_EVC_CD = 0,		/* fault while fetching the CD */
	SHL_EVC_TT = 1,		/* fault while fetching a translation table */
	SHL_EVC_IN = 2,		/* the input address itself */
	SHL_EVC_RESERVED = 3,
};

/* One decoded record. */
struct shl_event {
	uint8_t id;
	const char *name;		/* spec name, "IMPDEF_EVENTn" or "UNKNOWN" */
	unsigned int fields;		/* SHL_EVF_* */
	uint32_t sid;			/* q0[63:32] */
	bool ssv;			/* q0[11] */
	uint32_t ssid;			/* q0[31:12], 0 unless ssv */
	uint64_t input_addr;		/* q2; F_BAD_ATS_TREQ: q2[63:12] */
	bool rnw, pnu, ind;		/* q1[35], q1[33], q1[34] */
	bool stall, s2, ttrnw;		/* q1[31], q1[39], q1[44] */
	uint16_t stag;			/* q1[15:0] */
	unsigned int class_;		/* q1[41:40], enum shl_event_class */
	uint64_t ipa;			/* q3[55:12], valid when s2 */
	uint64_t fetch_addr;		/* q3[55:3] */
	uint16_t reason;		/* q1[15:0] of fetch aborts */
	unsigned int span;		/* F_BAD_ATS_TREQ q1[3:0] */
	bool ats_p, ats_x, ats_w, ats_r;	/* F_BAD_ATS_TREQ q1[28..31] */
};

/*
 * shl_event_name() - the spec's name of event type @id (spec 7.3):
 * "F_TRANSLATION", "C_BAD_STE", ..., "IMPDEF_EVENT<n>" for 0xE0..0xEF.
 * Returns NULL for a reserved code.
 */
const char *shl_event_name(unsigned int id);

/*
 * shl_event_id_from_name() - inverse of shl_event_name() for the
 * architected names. Returns the code, or -1 if @name is not one.
 */
int shl_event_id_from_name(const char *name);

/*
 * shl_event_decode() - decode raw record @q (four qwords, CPU order) into
 * @out. Never fails: reserved codes decode with name "UNKNOWN" and only the
 * common fields (type, StreamID, SubstreamID).
 */
void shl_event_decode(const uint64_t q[4], struct shl_event *out);

/* shl_event_class_name() - "CD", "TT", "IN" or "reserved" for CLASS @c. */
const char *shl_event_class_name(unsigned int c);

/*
 * shl_event_to_json() - the decoded record as a JSON object: "raw" (four
 * "0x%016x" strings), "id", "name", "sid", "ssv", "ssid", and the type's
 * own fields (input_addr, rnw, class, fetch_addr, ...; addresses as hex
 * strings). @seq and @ts_ns come from the capture and are added as such.
 * The caller owns the returned reference.
 */
json_object *shl_event_to_json(const uint64_t q[4], uint64_t seq, uint64_t ts_ns);

#endif /* SMMU_HIL_EVENT_H */
