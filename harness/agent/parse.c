// SPDX-License-Identifier: GPL-2.0-only
/* smmu-hil agent: number parsing shared by the agent and the CLI (parse.h). */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>

#include "smmu_hil/parse.h"

int shl_parse_u64(const char *s, unsigned long long *out)
{
	char *end;

	/* strtoull() would skip blanks and accept a sign: refuse both */
	if (!s || !*s || *s == '-' || *s == '+' || isspace((unsigned char)*s))
		return -1;
	errno = 0;
	*out = strtoull(s, &end, 0);
	if (errno || *end)
		return -1;
	return 0;
}
