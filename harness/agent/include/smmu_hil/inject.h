/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The agent's side of smmu_hil_inject (modules/smmu_hil_inject.c,
 * docs/injector.md): the live STE/CD files, raw sequences, the raw result
 * and the recorder's snapshots, grouped into the driver's updates.
 */
#ifndef SMMU_HIL_INJECT_H
#define SMMU_HIL_INJECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "smmu_hil/check.h"
#include "smmu_hil/entry.h"
#include "smmu_hil/plan.h"
#include "smmu_hil/profile.h"
#include <json-c/json.h>

/* A live entry as the module's `ste` or `cd` file shows it. */
struct shl_inject_entry {
	bool present;		/* cd: the STE locates a CD 0 */
	uint64_t pa;		/* physical address of the entry */
	uint32_t sid;		/* ste only */
	char bdf[16];		/* ste only */
	uint64_t shadow_cd;	/* ste, raw mode: the module's shadow CD table, else 0 */
	uint64_t zero_table;	/* ste, raw mode: the module's all-invalid table, else 0 */
	struct shl_entry e;
};

/*
 * shl_inject_parse_entry() - parse the text of the `ste` or `cd` file
 * ("key value" lines, "q" with 8 comma-separated hex qwords).
 * Returns 0, or -1 if a key is missing or malformed.
 */
int shl_inject_parse_entry(const char *text, struct shl_inject_entry *out);

/*
 * shl_inject_read_entry() - read and parse the module's `ste` or `cd` file
 * for @kind (SHL_KIND_STE or SHL_KIND_CD). Returns 0, -errno from the file
 * (-ENOENT: module not loaded), or -EPROTO if it cannot be parsed.
 */
int shl_inject_read_entry(enum shl_entry_kind kind, struct shl_inject_entry *out);

/*
 * shl_inject_raw_text() - the module's raw sequence for @kind: an "entry"
 * header, the @npro prologue ops once, then "repeat @repeat" and the @nbody
 * body ops; "dwell @dwell_us" follows every sync when @dwell_us > 0.
 * "table" ops are dropped (they only inform the checker); 128-bit stores
 * are refused. Returns a malloc'ed string, or NULL with @err set.
 */
char *shl_inject_raw_text(enum shl_entry_kind kind, const struct shl_op *pro, size_t npro,
			  const struct shl_op *body, size_t nbody, unsigned int repeat,
			  unsigned int dwell_us, char *err, size_t errlen);

/* What the module's `result` file reports about the last raw sequence. */
struct shl_inject_result {
	long long error;
	unsigned long long conflict, restored, iterations, writes, syncs, dwells;
	unsigned long long total_ns, ns_per_step, ns_per_sync, max_sync_ns;
};

/* shl_inject_parse_result() - parse `result` text. Returns 0 or -1. */
int shl_inject_parse_result(const char *text, struct shl_inject_result *out);

/*
 * shl_inject_raw() - write @text to the module's raw file (one write) and
 * read the result. Returns 0, or -errno from the module (-EPERM without
 * allow_raw=1, -EINVAL for a sequence it refuses) or -EPROTO.
 */
int shl_inject_raw(const char *text, struct shl_inject_result *out);

/* shl_inject_record_ctl() - write "start", "stop" or "clear" to `record`. */
int shl_inject_record_ctl(const char *word);

/*
 * shl_inject_record_read() - the whole `record` text, malloc'ed into @text.
 * Returns 0 or -errno.
 */
int shl_inject_record_read(char **text);

/* Kinds of recorder snapshots. */
enum shl_rec_kind { SHL_REC_START, SHL_REC_BEGIN, SHL_REC_SYNC, SHL_REC_STOP };

struct shl_rec_snap {
	uint64_t seq, ts_ns;
	enum shl_rec_kind kind;
	enum shl_entry_kind ent;	/* SHL_KIND_STE or SHL_KIND_CD */
	struct shl_entry e;
};

/*
 * shl_rec_parse() - parse the `record` text ("seq ts_ns kind ste|cd
 * q0,...,q7" lines). Returns 0 with a malloc'ed array in @out (@n
 * entries), or -1 with "line N: problem" in @err.
 */
int shl_rec_parse(const char *text, struct shl_rec_snap **out, size_t *n, char *err,
		  size_t errlen);

/*
 * One driver update of one entry: the snapshot it starts from (a `begin`,
 * or `start`) and the snapshots at its syncs, indexes into the array.
 */
struct shl_rec_group {
	enum shl_entry_kind ent;
	size_t init;		/* index of the initial snapshot */
	size_t syncs[SHL_ENTRY_QWORDS * 4];
	size_t nsyncs;		/* >= 1; later syncs beyond the array are dropped */
	bool truncated;
};

/*
 * shl_rec_group() - split the snapshots of kind @ent into updates: each
 * `start` or `begin` opens one, each `sync` joins the open one, `stop`
 * closes it. Updates without a sync are left out. Returns the number of
 * groups written to @g (at most @max).
 */
size_t shl_rec_group(const struct shl_rec_snap *s, size_t n, enum shl_entry_kind ent,
		     struct shl_rec_group *g, size_t max);

/*
 * shl_rec_group_ops() - the group as an oracle sequence: for each sync, a
 * 64-bit store of every qword that differs from the previous snapshot (in
 * ascending order), then "sync". Returns the number of ops (at most
 * nsyncs * 9; @max must allow it).
 */
size_t shl_rec_group_ops(const struct shl_rec_snap *s, const struct shl_rec_group *g,
			 struct shl_op *ops, size_t max);

/*
 * shl_rec_group_shape() - a key two updates share when the driver did the
 * same thing: "<from> -> <to>: q1,q2 | q0" (the configuration names of the
 * initial and final entries and, per sync, the qwords stored).
 */
void shl_rec_group_shape(const struct shl_rec_snap *s, const struct shl_rec_group *g,
			 char *buf, size_t len);

/* shl_inject_config_name() - "v0", "abort", "bypass", "s1", "s2", "nested", "cd", "cd-v0", ... */
const char *shl_inject_config_name(enum shl_entry_kind kind, const struct shl_entry *e);

/* ---- reports (harness/lib/inject_report.c) ---- */

/*
 * shl_dut_profile() - the oracle profile: @spec (a built-in name or a JSON
 * file, shl_profile_load()) if given, else the DUT's own SMMU from the event
 * monitor's `smmu` file, else the built-in "full". Returns 0, or -1 with
 * the problem in @err.
 */
int shl_dut_profile(const char *spec, struct shl_profile *p, char *err, size_t errlen);

/* shl_inject_qjson() - the entry's qwords as a "0x..,0x.." JSON string. */
json_object *shl_inject_qjson(const struct shl_entry *e);

/*
 * shl_inject_judge() - the oracle's verdict on @ops taking @init to
 * @target, spec model of @p (a CD in the context of @ste, may be NULL),
 * at every store or, with @sync_only, at each sync. Violations are
 * appended to @viol_out when not NULL. Returns "pass", "breaking" (only
 * V=0 observations) or "fail"; NULL with @err set if the checker refuses.
 */
const char *shl_inject_judge(enum shl_entry_kind kind, const struct shl_profile *p,
			     const struct shl_entry *ste, const struct shl_entry *init,
			     const struct shl_entry *target, const struct shl_op *ops, size_t nops,
			     bool sync_only, json_object *viol_out, char *err, size_t errlen);

/*
 * shl_inject_plan_ops() - the planner's update-safe sequence from @a to
 * @b, its plan in @plan and its ops appended at @ops[*n] (room for
 * SHL_PLAN_MAX_OPS needed); *n is advanced.
 */
void shl_inject_plan_ops(enum shl_entry_kind kind, const struct shl_entry *a,
			 const struct shl_entry *b, struct shl_plan *plan, struct shl_op *ops,
			 size_t *n);

/* shl_inject_apply_writes() - replay the stores of @ops on @e. */
void shl_inject_apply_writes(struct shl_entry *e, const struct shl_op *ops, size_t n);

/*
 * shl_inject_direction_json() - one direction of a raw update as reported:
 * from/to qwords and configurations, the planner's path (@plan may be
 * NULL), syncs, the oracle's verdict (also in *@label, NULL with @err set
 * if the checker refuses), the events to expect and the violations.
 */
json_object *shl_inject_direction_json(enum shl_entry_kind kind, const struct shl_profile *p,
				       const struct shl_entry *ste, const struct shl_entry *a,
				       const struct shl_entry *b, const struct shl_op *ops, size_t n,
				       const struct shl_plan *plan, const char **label,
				       char *err, size_t errlen);

/*
 * shl_inject_record_report() - the recorder's @text grouped into driver
 * updates, each judged at sync granularity under @p: {"profile",
 * "granularity", "snapshots", "updates": [...], "distinct": [{"shape",
 * "count", "verdict" (the worst), "example"}]}. *@worst: 0 all pass, 1 an
 * update is not "pass", 2 the checker refused one. Returns the object
 * (caller owns it), or NULL with @err set if @text cannot be parsed.
 */
json_object *shl_inject_record_report(const struct shl_profile *p, const char *text, int *worst,
				      char *err, size_t errlen);

#endif /* SMMU_HIL_INJECT_H */
