/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The agent's side of smmu_hil_inject (modules/smmu_hil_inject.c,
 * docs/injector.md): the live STE/CD records, raw sequences, the raw result
 * and the recorder's snapshots (records of modules/include/uapi/smmu_hil.h),
 * grouped into the driver's updates.
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

struct smmu_hil_inj_barriers;
struct smmu_hil_inj_entry;
struct smmu_hil_inj_result;
struct smmu_hil_inj_seq;

/* A live entry as the module's `ste` or `cd` record gives it. */
struct shl_inject_entry {
	bool present;		/* cd: the STE locates a CD 0 */
	uint64_t pa;		/* physical address of the entry */
	uint32_t sid;		/* ste only */
	char bdf[16];		/* ste only */
	uint64_t shadow_cd;	/* ste, raw mode: the module's shadow CD table, else 0 */
	uint64_t zero_table;	/* ste, raw mode: the module's all-invalid table, else 0 */
	bool writer;		/* ste: the driver has arm_smmu_write_entry() (recorder targets) */
	bool update_safe;	/* ste: that writer has update-safe STE bits */
	struct shl_entry e;
};

/*
 * shl_inject_decode_entry() - the struct smmu_hil_inj_entry the module's
 * `ste` or `cd` file gave, for @kind (SHL_KIND_STE or SHL_KIND_CD). A CD
 * without the PRESENT flag gives present = false. Returns 0, or -1 if the
 * header, the entry kind or the SMMU name is not well formed.
 */
int shl_inject_decode_entry(enum shl_entry_kind kind, const struct smmu_hil_inj_entry *in,
			    struct shl_inject_entry *out);

/*
 * shl_inject_read_entry() - read and decode the module's `ste` or `cd`
 * record for @kind (SHL_KIND_STE or SHL_KIND_CD). Returns 0, -errno from
 * the file (-ENOENT: module not loaded), or -EPROTO if it is malformed.
 */
int shl_inject_read_entry(enum shl_entry_kind kind, struct shl_inject_entry *out);

/*
 * shl_inject_raw_encode() - the module's raw sequence for @kind: a struct
 * smmu_hil_inj_seq followed by its ops, the @npro prologue ops once, then
 * the @nbody body ops @repeat times (0 counts as 1); a DWELL of @dwell_us
 * follows every sync when @dwell_us > 0. "table" ops are dropped (they only
 * inform the checker); 128-bit stores and more than SMMU_HIL_INJ_MAX_OPS
 * ops are refused. Returns a malloc'ed record (free() it; its length is
 * shl_inject_raw_len()), or NULL with @err set.
 */
struct smmu_hil_inj_seq *shl_inject_raw_encode(enum shl_entry_kind kind, const struct shl_op *pro,
					       size_t npro, const struct shl_op *body, size_t nbody,
					       unsigned int repeat, unsigned int dwell_us,
					       char *err, size_t errlen);

/* shl_inject_raw_len() - bytes of an encoded sequence: header and its ops. */
size_t shl_inject_raw_len(const struct smmu_hil_inj_seq *seq);

/* What the module's `result` record reports about the last raw sequence. */
struct shl_inject_result {
	long long error;
	unsigned long long conflict, restored, iterations, writes, syncs, dwells;
	unsigned long long total_ns, ns_per_step, ns_per_sync, max_sync_ns;
};

/*
 * shl_inject_decode_result() - the struct smmu_hil_inj_result the module
 * gave. Returns 0, or -1 if the header is not this interface's or no
 * sequence ran yet (flag DONE missing).
 */
int shl_inject_decode_result(const struct smmu_hil_inj_result *in, struct shl_inject_result *out);

/*
 * shl_inject_raw() - write @seq (shl_inject_raw_encode()) to the module's
 * raw file in one write and read the result record. Returns 0, or -errno
 * from the module (-EPERM without allow_raw=1, -EINVAL for a sequence it
 * refuses) or -EPROTO.
 */
int shl_inject_raw(const struct smmu_hil_inj_seq *seq, struct shl_inject_result *out);

/*
 * shl_inject_record_ctl() - send "start", "stop" or "clear" to the
 * recorder (struct smmu_hil_inj_rec_ctl). Returns 0, -EINVAL for another
 * word, or -errno from the module (-EOPNOTSUPP: kernel not in its table).
 */
int shl_inject_record_ctl(const char *word);

/*
 * Kinds of recorder snapshots: recording started; the driver starts an
 * update (the entry it starts from); a CFGI of the entry goes to the
 * queue; recording stopped; on writer kernels the update's target, the
 * entry the writer left, and the entry when a store barrier of the writer
 * executes (the barrier witness).
 */
enum shl_rec_kind {
	SHL_REC_START, SHL_REC_BEGIN, SHL_REC_SYNC, SHL_REC_STOP, SHL_REC_TARGET, SHL_REC_END,
	SHL_REC_BARRIER,
};

struct shl_rec_snap {
	uint64_t seq, ts_ns;
	enum shl_rec_kind kind;
	enum shl_entry_kind ent;	/* SHL_KIND_STE or SHL_KIND_CD */
	struct shl_entry e;
};

/* The recorder's snapshots, oldest first. */
struct shl_rec_log {
	struct shl_rec_snap *s;	/* malloc'ed */
	size_t n;
};

/*
 * shl_rec_decode() - decode @len bytes of struct smmu_hil_inj_snap records
 * (the `record` file) into @log. Returns 0, or -1 with the problem in
 * @err: a partial record, an unknown kind or entry, out of memory.
 */
int shl_rec_decode(const void *buf, size_t len, struct shl_rec_log *log, char *err,
		   size_t errlen);

/*
 * shl_inject_record_read() - read and decode the whole `record` file into
 * @log (free with shl_rec_log_free()). Returns 0, -errno of the file, or
 * -EPROTO if it is malformed.
 */
int shl_inject_record_read(struct shl_rec_log *log);

/* shl_rec_log_free() - free the snapshots of @log and empty it. */
void shl_rec_log_free(struct shl_rec_log *log);

/*
 * One driver update of one entry: the snapshot it starts from (a `begin`,
 * or `start`), on writer kernels its target and final entry, and the
 * snapshots at its syncs, indexes into the array.
 */
struct shl_rec_group {
	enum shl_entry_kind ent;
	size_t init;		/* index of the initial snapshot */
	bool has_target;	/* writer kernels: target and end below */
	size_t target, end;	/* index of the target; of the final entry (or SIZE_MAX) */
	size_t syncs[SHL_ENTRY_QWORDS * 4];
	size_t nsyncs;		/* later syncs beyond the array are dropped */
	bool truncated;
	unsigned int nbarriers;	/* store barriers of the writer the call executed */
	size_t barrier;		/* index of the first one's snapshot (SIZE_MAX: none) */
	unsigned int barrier_syncs;	/* syncs seen before that first barrier */
};

/*
 * shl_rec_group() - split the snapshots of kind @ent into updates: each
 * `start` or `begin` opens one, `target` names its target, each `sync`
 * joins the open one, a `barrier` is counted in it (the first kept, with
 * the syncs before it), `end` or `stop` closes it. Updates with neither a
 * sync nor a target are left out (a writer call that changed nothing
 * stays: 0 syncs). Returns the number of groups written to @g (at most
 * @max).
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
 * initial and final entries and, per sync, the qwords stored; " -" for an
 * update without a sync).
 */
void shl_rec_group_shape(const struct shl_rec_snap *s, const struct shl_rec_group *g,
			 char *buf, size_t len);

/* shl_rec_group_final() - the group's final entry: `end`, else the last sync, else the initial. */
const struct shl_entry *shl_rec_group_final(const struct shl_rec_snap *s,
					    const struct shl_rec_group *g);

/*
 * The kernel's steps of one writer call against the oracle's plan for the
 * same (initial, target) pair (shl_plan_entry(), Linux's
 * arm_smmu_write_entry()): equal when both have the same number of syncs,
 * the entry at each kernel sync equals the plan's entry after that step,
 * and both end at the target.
 */
struct shl_rec_cmp {
	bool equal;
	struct shl_plan plan;		/* the oracle's plan */
	char kernel_steps[160];		/* "q0 | q1,q3": qwords changed per sync */
	char oracle_steps[160];
	char difference[200];		/* why not equal, "" if equal */
};

/*
 * shl_rec_compare() - compare writer call @g (has_target) of @s with the
 * oracle's plan under @update_safe (the kernel writer's update-safe bits,
 * SMMU_HIL_INJ_UPDATE_SAFE). Returns 0, or -1 if @g has no target.
 */
int shl_rec_compare(const struct shl_rec_snap *s, const struct shl_rec_group *g, bool update_safe,
		    struct shl_rec_cmp *out);

/*
 * The barrier witness of one writer call that stored something (nsyncs >
 * 0): ORDERED when a store barrier of the writer executed before the first
 * sync with the entry still as the call found it (no store to it before
 * the barrier); LATE when the first one came after a store or a sync;
 * MISSING when none executed.
 */
enum shl_barrier_verdict { SHL_BAR_ORDERED, SHL_BAR_LATE, SHL_BAR_MISSING };

/* shl_barrier_verdict_name() - "ordered", "late", "missing". */
const char *shl_barrier_verdict_name(enum shl_barrier_verdict v);

/*
 * shl_rec_barrier_verdict() - the barrier witness of writer call @g of @s.
 * Returns its verdict, or -1 when it stored nothing (no sync) or is not a
 * writer call (no target).
 */
int shl_rec_barrier_verdict(const struct shl_rec_snap *s, const struct shl_rec_group *g);

/*
 * shl_rec_pointer_change() - whether writer call @g installs a pointer
 * its initial entry did not have: a pointer field of the kind (STE
 * S1ContextPtr, S2TTB; CD TTB0, shl_pointer_fields()) that is non-zero in
 * the target and differs from the initial entry's (the freshly written
 * tables a missing dma_wmb() would leave unordered).
 */
bool shl_rec_pointer_change(const struct shl_rec_snap *s, const struct shl_rec_group *g);

/* One DMB/DSB of the writer, from the module's `barriers` record. */
struct shl_inject_barrier {
	uint32_t offset, insn;
	bool orders;		/* a store barrier for the SMMU (a64_barrier.h) */
	bool probed;		/* armed while recording */
	char text[16];		/* "dmb oshst" */
};

/* The barrier witness's static part: the running kernel's writer. */
struct shl_inject_barriers {
	int error;		/* 0, or the module's -errno (no list) */
	bool truncated;
	uint32_t size;		/* the writer's bytes (kallsyms) */
	char func[64];
	unsigned int count;
	struct shl_inject_barrier b[16];
};

/*
 * shl_inject_decode_barriers() - the struct smmu_hil_inj_barriers the
 * module gave: each instruction decoded again (a64_barrier.h) and named.
 * Returns 0, or -1 if the header, the name or a count is not well formed,
 * an entry is not a DMB/DSB, or its flags disagree with the decoding.
 */
int shl_inject_decode_barriers(const struct smmu_hil_inj_barriers *in,
			       struct shl_inject_barriers *out);

/*
 * shl_inject_read_barriers() - read and decode the module's `barriers`
 * file. Returns 0, -errno of the file (-ENOENT: module not loaded, or one
 * without the file), or -EPROTO if it is malformed.
 */
int shl_inject_read_barriers(struct shl_inject_barriers *out);

/*
 * shl_inject_barriers_json() - @b as reported: {"func", "size", "error",
 * "truncated", "store_barriers" (those that order stores for the SMMU),
 * "barriers": [{"offset", "insn", "asm", "orders_dma_stores", "probed"}]}.
 */
json_object *shl_inject_barriers_json(const struct shl_inject_barriers *b);

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
 * shl_inject_record_report() - the recorder's snapshots @log grouped into
 * driver updates, each judged at sync granularity under @p: {"profile",
 * "granularity", "snapshots", "updates": [...], "distinct": [{"shape",
 * "count", "verdict" (the worst), "example"}]}. With targets (writer
 * kernels) each update is also compared with the oracle's plan
 * (shl_rec_compare(), @update_safe as the kernel's writer): "oracle" in
 * each update, and "kernel_vs_oracle": [{"transition", "kernel_steps",
 * "oracle_steps", "count", "verdict" ("equal"/"differs"), "difference",
 * "explanation", "path", "store_verdict"}] per distinct transition, with
 * "compared", "differences", "unexplained" counts. Writer calls are also
 * judged at every store ("store_verdict", "store_violations" per update;
 * counts "store_checked", "store_findings"): the recorder sees the entry
 * only at syncs, so the stores between two syncs are those qwords in
 * ascending order (entry_set()'s order) and the checker lets the SMMU see
 * any mix of the values each qword held in that window. "barrier_witness"
 * counts the writer calls that stored something by
 * shl_rec_barrier_verdict() ({"calls", "ordered", "late", "missing",
 * "pointer_calls", "pointer_ordered", "per_entry": {"STE": {..}, "CD":
 * {..}}}). *@worst: 0 all pass, 1 an update is not "pass" at either
 * granularity (V=0 observations excused where the kernel's own plan is
 * breaking) or differs from the plan without an explanation, 2 the
 * checker refused one; the barrier witness does not count. Returns the object (caller owns it), or NULL with
 * @err set (out of memory).
 */
json_object *shl_inject_record_report(const struct shl_profile *p, const struct shl_rec_log *log,
				      bool update_safe, int *worst, char *err, size_t errlen);

#endif /* SMMU_HIL_INJECT_H */
