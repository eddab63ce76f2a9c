// SPDX-License-Identifier: GPL-2.0-only
/*
 * One scenario schema: the agent's parser (harness/agent/scenario.c) and the
 * JSON Schema the lab validates with (scenarios/scenario.schema.json) name the
 * same keys, workloads, named entries, SMMU features and event names. A key
 * added to one and not the other fails here, naming it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include <json-c/json.h>

#include "smmu_hil/event.h"
#include "smmu_hil/scenario.h"

#define SCHEMA "scenarios/scenario.schema.json"

static json_object *schema;

static int load_schema(void **state)
{
	(void)state;
	schema = json_object_from_file(SCHEMA);
	return schema ? 0 : -1;
}

static int free_schema(void **state)
{
	(void)state;
	json_object_put(schema);
	return 0;
}

/* The object at "$defs/a/b/..." (slash-separated members below $defs). */
static json_object *def(const char *path)
{
	char buf[256], *tok, *save = NULL;
	json_object *o = NULL;

	assert_true(json_object_object_get_ex(schema, "$defs", &o));
	snprintf(buf, sizeof(buf), "%s", path);
	for (tok = strtok_r(buf, "/", &save); tok; tok = strtok_r(NULL, "/", &save))
		if (!json_object_object_get_ex(o, tok, &o))
			fail_msg("%s: no $defs/%s (at '%s')", SCHEMA, path, tok);
	return o;
}

static bool in_list(const char *const *list, size_t n, const char *s)
{
	size_t i;

	for (i = 0; i < n && list[i]; i++)
		if (!strcmp(list[i], s))
			return true;
	return false;
}

static size_t count(const char *const *list)
{
	size_t n = 0;

	while (list[n])
		n++;
	return n;
}

/* The C list @c (@n entries, or NULL-terminated if @n is 0) == the keys of
 * object @props. */
static void same_keys(const char *what, const char *const *c, size_t n, json_object *props)
{
	size_t i;

	if (!n)
		n = count(c);
	assert_true(json_object_is_type(props, json_type_object));
	for (i = 0; i < n; i++)
		if (!json_object_object_get_ex(props, c[i], NULL))
			fail_msg("%s: the C parser accepts '%s', the schema does not", what, c[i]);
	json_object_object_foreach(props, k, v) {
		(void)v;
		if (!in_list(c, n, k))
			fail_msg("%s: the schema accepts '%s', the C parser does not", what, k);
	}
}

/* The C list == the strings of JSON array @arr (an enum). */
static void same_enum(const char *what, const char *const *c, size_t n, json_object *arr)
{
	size_t i, len;

	if (!n)
		n = count(c);
	assert_true(json_object_is_type(arr, json_type_array));
	len = json_object_array_length(arr);
	for (i = 0; i < len; i++) {
		const char *s = json_object_get_string(json_object_array_get_idx(arr, i));

		if (!in_list(c, n, s))
			fail_msg("%s: the schema accepts '%s', the C parser does not", what, s);
	}
	for (i = 0; i < n; i++) {
		size_t j;

		for (j = 0; j < len; j++)
			if (!strcmp(c[i], json_object_get_string(json_object_array_get_idx(arr, j))))
				break;
		if (j == len)
			fail_msg("%s: the C parser accepts '%s', the schema does not", what, c[i]);
	}
}

static void test_key_tables(void **state)
{
	(void)state;
	same_keys("top-level keys", shl_scn_key_table(SHL_SCN_TABLE_TOP), 0,
		  def("agent/properties"));
	same_keys("expect keys", shl_scn_key_table(SHL_SCN_TABLE_EXPECT), 0,
		  def("expect/properties"));
	same_keys("legality keys", shl_scn_key_table(SHL_SCN_TABLE_LEGALITY), 0,
		  def("legalityMapping/properties"));
	same_keys("from/to pair keys", shl_scn_key_table(SHL_SCN_TABLE_PAIR), 0,
		  def("pair/properties"));
	same_enum("workloads", shl_scn_key_table(SHL_SCN_TABLE_WORKLOADS), 0,
		  def("agent/properties/workloads/items/enum"));
	same_enum("devices", shl_scn_key_table(SHL_SCN_TABLE_DEVICES), 0,
		  def("agent/properties/devices/items/enum"));
	same_keys("legality corpus item keys", shl_scn_key_table(SHL_SCN_TABLE_ITEM), 0,
		  def("fields/properties"));
	same_keys("skip_on platforms", shl_scn_key_table(SHL_SCN_TABLE_SKIP_ON), 0,
		  def("fields/properties/skip_on/properties"));
	assert_null(shl_scn_key_table((enum shl_scn_table)99));
}

static void test_names(void **state)
{
	const char *named[SHL_SCN_NAMED_NR], *events[256];
	const char *const *features;
	size_t nf, ne = 0;
	unsigned int i;

	(void)state;
	for (i = 0; i < SHL_SCN_NAMED_NR; i++)
		named[i] = shl_scn_named_name((enum shl_scn_named)i);
	same_enum("named entries", named, SHL_SCN_NAMED_NR, def("named/enum"));

	nf = shl_scn_feature_names(&features);
	assert_true(nf > 0);
	same_enum("SMMU features", features, nf, def("feature/enum"));

	/* the architected event names (IMPDEF_EVENTn are not scenario names) */
	for (i = 0; i < 256; i++) {
		const char *n = shl_event_name(i);

		if (n && strncmp(n, "IMPDEF", 6))
			events[ne++] = n;
	}
	same_enum("event names", events, ne, def("event/enum"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_key_tables),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, load_schema, free_schema);
}
