/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Transition scenarios (docs/scenarios.md): YAML files naming a device, the
 * SMMU features they need, a list of STE/CD transitions driven through the
 * kernel (driver mode) or stored raw (raw mode), the workloads that run
 * meanwhile and the events expected. Parsed with libyaml; every problem is
 * reported as "FILE:LINE: KEY: problem" before anything runs.
 */
#ifndef SMMU_HIL_SCENARIO_H
#define SMMU_HIL_SCENARIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "smmu_hil/entry.h"

#define SHL_SCN_NAME_MAX	64
#define SHL_SCN_TEXT_MAX	1024
#define SHL_SCN_MAX_STEPS	128
#define SHL_SCN_MAX_FIELDS	16
#define SHL_SCN_MAX_REQ		16
#define SHL_SCN_MAX_ITEM_REQ	4
#define SHL_SCN_REASON_MAX	256
#define SHL_SCN_MAX_KINDS	8
#define SHL_SCN_MAX_REPEAT	1000000
#define SHL_SCN_MAX_DWELL_US	100000

enum shl_scn_dev { SHL_SCN_DEV_ROLE, SHL_SCN_DEV_BDF, SHL_SCN_DEV_ID };
enum shl_scn_mode { SHL_SCN_DRIVER, SHL_SCN_RAW };

/* Named entries: driver mode moves among domains, raw mode stores STEs. */
enum shl_scn_named {
	SHL_SCN_ABORT, SHL_SCN_BYPASS, SHL_SCN_S1, SHL_SCN_S2, SHL_SCN_NESTED,
	SHL_SCN_IDENTITY, SHL_SCN_DMA, SHL_SCN_PAGING, SHL_SCN_BLOCKED, SHL_SCN_NAMED_NR
};

enum shl_scn_step_kind { SHL_SCN_STEP_NAMED, SHL_SCN_STEP_FIELDS, SHL_SCN_STEP_PAIR };

/* A field value: a number, or an address the module owns (raw mode). */
enum shl_scn_sym { SHL_SCN_LIT, SHL_SCN_SHADOW_CD, SHL_SCN_ZERO_TABLE };

struct shl_scn_field {
	const struct shl_field *f;
	uint64_t value;
	enum shl_scn_sym sym;
};

struct shl_scn_step {
	enum shl_scn_step_kind kind;
	unsigned int line;		/* 1-based line in the file */
	enum shl_scn_named named;	/* SHL_SCN_STEP_NAMED */
	struct shl_scn_field f[SHL_SCN_MAX_FIELDS];	/* SHL_SCN_STEP_FIELDS */
	size_t nf;
	struct shl_entry from, to;	/* SHL_SCN_STEP_PAIR */
	/* legality-corpus item keys (SHL_SCN_STEP_FIELDS; docs/scenarios.md) */
	bool opts;			/* any of the keys below was given */
	enum shl_entry_kind entry;	/* entry: the item's entry kind (default: the scenario's) */
	bool has_base;			/* base: the named STE the fields apply to */
	enum shl_scn_named base;
	char requires[SHL_SCN_MAX_ITEM_REQ][24];	/* requires: the item's own features */
	size_t nreq;
	char skip_qemu[SHL_SCN_REASON_MAX];	/* skip_on: {qemu: REASON}; "" = none */
};

/* Workloads (bit mask). */
#define SHL_SCN_WL_EDU_DMA	(1u << 0)
#define SHL_SCN_WL_FIO		(1u << 1)
#define SHL_SCN_WL_IPERF3	(1u << 2)

enum shl_scn_cmp { SHL_SCN_EQ, SHL_SCN_GE, SHL_SCN_LE };

struct shl_scn_count {
	int id;				/* event type code (enum shl_event_id) */
	enum shl_scn_cmp cmp;
	unsigned long long n;
};

struct shl_scn_expect {
	bool none;			/* events: none */
	struct shl_scn_count k[SHL_SCN_MAX_KINDS];	/* events: {KIND: N}, expected_kinds */
	size_t nk;
	bool dma_errors;		/* dma_errors: allowed (breaking updates) */
	char explain[SHL_SCN_TEXT_MAX];
};

struct shl_scenario {
	char file[256];
	char name[SHL_SCN_NAME_MAX];
	char description[SHL_SCN_TEXT_MAX];
	enum shl_scn_dev dev_kind;
	char device[32];		/* edu, class, role, canonical BDF or "vvvv:dddd" */
	unsigned int devices;		/* device kinds the lab runs it on: 1 << edu, disk, nic */
	char requires[SHL_SCN_MAX_REQ][24];
	size_t nreq;
	enum shl_scn_mode mode;
	enum shl_entry_kind entry;	/* SHL_KIND_STE or SHL_KIND_CD */
	struct shl_scn_step steps[SHL_SCN_MAX_STEPS];
	size_t nsteps;
	unsigned long long repeat;	/* default 1 */
	unsigned long long dwell_us;	/* default 0 */
	unsigned int workloads;		/* SHL_SCN_WL_* */
	unsigned int dma_len;		/* edu round-trip bytes, default 256 */
	unsigned long long dma_every;	/* driver mode: a round trip every N moves, default 1 */
	bool record;			/* record the driver's updates (driver mode) */
	bool legality;			/* raw mode: each step on its own, vs. the oracle */
	bool fail_on_disagreement;	/* legality: a disagreement fails the test */
	struct shl_scn_expect expect;
};

/* The scenario parser's key tables, for tests against scenarios/scenario.schema.json. */
enum shl_scn_table {
	SHL_SCN_TABLE_TOP,		/* top-level keys */
	SHL_SCN_TABLE_EXPECT,		/* expect: keys */
	SHL_SCN_TABLE_LEGALITY,		/* legality: {KEY: ...} keys */
	SHL_SCN_TABLE_PAIR,		/* raw from/to pair keys */
	SHL_SCN_TABLE_WORKLOADS,	/* workloads: names */
	SHL_SCN_TABLE_DEVICES,		/* devices: kinds */
	SHL_SCN_TABLE_ITEM,		/* legality-corpus item keys (base, entry, ...) */
	SHL_SCN_TABLE_SKIP_ON,		/* skip_on: platforms */
};

/*
 * shl_scn_key_table() - the NULL-terminated key or name list the parser
 * accepts for @t; NULL for an unknown @t.
 */
const char *const *shl_scn_key_table(enum shl_scn_table t);

/*
 * shl_scn_feature_names() - the SMMU feature names `requires:` accepts (as
 * `smmu-hil dut info` lists them): points @names at them, returns how many.
 */
size_t shl_scn_feature_names(const char *const **names);

/* shl_scn_named_name() - "abort", "bypass", ..., "blocked". */
const char *shl_scn_named_name(enum shl_scn_named n);

/*
 * shl_scenario_parse() - parse the YAML text @buf (@len bytes) of file
 * @file into @out. Returns 0, or -1 with "FILE:LINE: KEY: problem" in @err
 * (LINE 1-based; the first problem found). Nothing is allocated.
 */
int shl_scenario_parse(const char *file, const char *buf, size_t len, struct shl_scenario *out,
		       char *err, size_t errlen);

/*
 * shl_scenario_load() - read @path (at most 1 MiB) and parse it.
 * Returns 0, or -1 with the problem in @err ("PATH: strerror" when it
 * cannot be read).
 */
int shl_scenario_load(const char *path, struct shl_scenario *out, char *err, size_t errlen);

#endif /* SMMU_HIL_SCENARIO_H */
