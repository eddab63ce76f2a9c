/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The decisions of `smmu-hil run` (docs/scenarios.md) that need no DUT:
 * a scenario's outcome and metrics, the `requires` -> skip decision, the
 * events captured after a scenario judged against its `expect`, the DMA
 * verdict, the exit code, and the output forms (LAVA test shell commands
 * and the -j JSON object the lab merges into report.json; KTAP is
 * ktap.h's). harness/agent/runner.c drives the DUT and calls these;
 * harness/tests/test_run.c tests them.
 */
#ifndef SMMU_HIL_RUN_H
#define SMMU_HIL_RUN_H

#include <stdint.h>
#include <stdio.h>
#include <json-c/json.h>

#include "smmu_hil/event.h"
#include "smmu_hil/scenario.h"

/* One scenario's result. */
struct shl_run_result {
	const char *status;		/* "pass", "fail", "skip" (static strings) */
	char reason[512];		/* why it failed or was skipped; "" on pass */
	json_object *metrics;		/* {key: int|double|string}, owned */
	double duration_s;
};

/* Event records read after a scenario, split by StreamID and kind. */
struct shl_run_events {
	unsigned long long total, on_sid, other_sid;
	unsigned long long dropped;	/* records the event monitor's ring dropped */
	unsigned long long overflows;	/* the SMMU's event-queue overflows (OVFLG) */
	unsigned long long kind[256];		/* on the device's StreamID */
	unsigned long long other_kind[256];	/* on any other StreamID */
};

/*
 * shl_run_init() - start @o as "pass" with no reason and an empty metrics
 * object. Returns 0, or -ENOMEM (then @o->metrics is NULL).
 */
int shl_run_init(struct shl_run_result *o);

/* shl_run_free() - drop @o's metrics reference (NULL-safe). */
void shl_run_free(struct shl_run_result *o);

/*
 * shl_run_set_status() - set @o's status to @status ("pass", "fail",
 * "skip"; a static string) and its reason to the printf-formatted text
 * (truncated to fit).
 */
void shl_run_set_status(struct shl_run_result *o, const char *status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* shl_run_failed() - true when @o's status is "fail". */
bool shl_run_failed(const struct shl_run_result *o);

/* shl_run_skipped() - true when @o's status is "skip". */
bool shl_run_skipped(const struct shl_run_result *o);

/* shl_run_metric_int() - set metric @k of @o to the integer @v. */
void shl_run_metric_int(struct shl_run_result *o, const char *k, unsigned long long v);

/* shl_run_metric_str() - set metric @k of @o to a copy of the string @v. */
void shl_run_metric_str(struct shl_run_result *o, const char *k, const char *v);

/*
 * shl_run_metric_double() - set metric @k of @o to @v, serialised with
 * three decimals ("674.043") in KTAP and JSON alike.
 */
void shl_run_metric_double(struct shl_run_result *o, const char *k, double v);

/*
 * shl_run_metric_json() - set metric @k of @o to @v (a JSON array or object
 * of scalars, e.g. the legality corpus's conformance table); takes over the
 * reference to @v.
 */
void shl_run_metric_json(struct shl_run_result *o, const char *k, json_object *v);

/*
 * shl_run_missing() - the `requires` check: write the features of @s that
 * are not among the DUT's @nfeat feature names @feat to @out as "A, B"
 * (in @s's order; "" when none). Returns how many are missing.
 */
size_t shl_run_missing(const struct shl_scenario *s, char *const *feat, size_t nfeat,
		       char *out, size_t len);

/*
 * shl_run_item_missing() - the same for a legality corpus item's own
 * `requires` (@st->requires), and S1P for a CD item (a CD is read only
 * by an SMMU with stage 1, SMMUv3 spec 5.4).
 */
size_t shl_run_item_missing(const struct shl_scn_step *st, char *const *feat, size_t nfeat,
			    char *out, size_t len);

/*
 * shl_run_requires() - skip @o ("the SMMU lacks A, B") when the DUT's
 * features @feat lack one that @s requires. Returns true when skipped.
 */
bool shl_run_requires(const struct shl_scenario *s, char *const *feat, size_t nfeat,
		      struct shl_run_result *o);

/*
 * shl_run_events_add() - count decoded record @ev into @c: on the device's
 * StreamID @sid by kind, or as another StreamID's.
 */
void shl_run_events_add(struct shl_run_events *c, uint32_t sid, const struct shl_event *ev);

/*
 * shl_run_events_metrics() - @c as metrics of @o: sid (0x hex), events,
 * events_on_sid, events_other_sid, events_dropped, events_overflows, events_KIND and
 * events_other_sid_KIND for each kind seen.
 */
void shl_run_events_metrics(struct shl_run_result *o, const struct shl_run_events *c,
			    uint32_t sid);

/*
 * shl_run_judge_events() - compare @c with @s's `expect` and fail @o when
 * it differs, in this order: a record of a kind not expected, or on
 * another StreamID (metric unexpected_events in every case); a count
 * outside N / >=N / <=N on the device's StreamID; event loss (records
 * dropped by the event monitor's ring or SMMU event-queue overflows: their
 * kind and StreamID are unknown, so the expectation cannot be confirmed).
 * The first two reasons name the loss too when there was any, so every
 * verdict with lost events says how many. Leaves @o alone when all hold.
 */
void shl_run_judge_events(const struct shl_scenario *s, const struct shl_run_events *c,
			  struct shl_run_result *o);

/*
 * shl_run_events_loss() - whether @c lost events (ring drops or SMMU
 * event-queue overflows); writes "event loss: ..." with the counts to @out
 * (@len bytes, "" when none).
 */
bool shl_run_events_loss(const struct shl_run_events *c, char *out, size_t len);

/*
 * shl_run_judge() - the end of a scenario that ran (not skipped): the
 * event metrics, and the events judged unless @o already failed (not for
 * a legality corpus, judged entry by entry); then the `explain` metric
 * when @s has one.
 */
void shl_run_judge(const struct shl_scenario *s, const struct shl_run_events *c, uint32_t sid,
		   struct shl_run_result *o);

/*
 * shl_run_judge_dma() - fail @o ("E of N edu round trips failed") when
 * @errors of @total round trips failed and @s expects dma_errors: none,
 * unless @o already failed.
 */
void shl_run_judge_dma(const struct shl_scenario *s, unsigned long long errors,
		       unsigned long long total, struct shl_run_result *o);

/*
 * shl_run_events_seen() - the kinds recorded on the device's StreamID as
 * "C_BAD_STE x48,F_TRANSLATION x2" (kind order), or "none", in @out.
 */
void shl_run_events_seen(const struct shl_run_events *c, char *out, size_t len);

/*
 * shl_run_legality_answer() - the SMMU's answer to a legality corpus entry:
 * the configuration-error records on the device's StreamID, "C_BAD_STE",
 * "C_BAD_CD", "C_BAD_STE+C_BAD_CD", or "none" (other records, e.g. the
 * translation faults of an empty stage-2 table, are no answer: the entry
 * was accepted).
 */
const char *shl_run_legality_answer(const struct shl_run_events *c);

/*
 * shl_run_legality_agrees() - a legality corpus entry: true when the SMMU's
 * answer (shl_run_legality_answer()) is the oracle's prediction @expected:
 * SHL_EVT_C_BAD_STE or SHL_EVT_C_BAD_CD for an entry it calls ILLEGAL (that
 * kind recorded at least once, the other kind never), 0 for a legal entry
 * (neither kind recorded). Never agrees when events were lost
 * (shl_run_events_loss()).
 */
bool shl_run_legality_agrees(int expected, const struct shl_run_events *c);

/*
 * shl_run_exit_code() - kselftest's exit code for the @n results @o:
 * 1 (KSFT_FAIL) when one failed, 4 (KSFT_SKIP) when every one was skipped
 * (n > 0), else 0. The KTAP form of the results is ktap.h's.
 */
int shl_run_exit_code(const struct shl_run_result *o, size_t n);

/*
 * shl_run_lava_result() - one test as LAVA test shell commands, a line each:
 * for a fail or skip "echo 'smmu-hil: NAME: STATUS: REASON'" (the reason on
 * the console, quoted for sh), then
 * "lava-test-case NAME --result STATUS --measurement DURATION --units s",
 * then, when @o has numeric metrics, "lava-test-set start NAME", one
 * "lava-test-case METRIC --result STATUS --measurement V [--units U]" per
 * metric (units from the name: _s, _ms, _per_s, _pct, _mbps, _mib; none for
 * a count) and "lava-test-set stop NAME". String metrics and the reason have
 * no place in a LAVA test case and are left out.
 */
void shl_run_lava_result(FILE *f, const char *name, const struct shl_run_result *o);

/*
 * shl_run_test_json() - {"name", "status", "duration_s", "reason" (null
 * when empty), "metrics"} for one test; takes its own reference to
 * @o->metrics. Returns a new object (the caller owns it), NULL on ENOMEM.
 */
json_object *shl_run_test_json(const char *name, const struct shl_run_result *o);

#endif /* SMMU_HIL_RUN_H */
