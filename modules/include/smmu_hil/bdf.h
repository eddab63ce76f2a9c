/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * A PCI address "[DDDD:]BB:DD.F" parsed strictly, shared by the injector's
 * bdf= module parameter and the host's unit tests (harness/tests/test_bdf.c):
 * hex digits only (no "0x", sign or space), at most 4/2/2/1 digits,
 * device <= 0x1f, function <= 7, nothing after the function. The kernel's
 * sscanf("%x...") took "0000:00:03.0x" (its %x eats a "0x" prefix with no
 * digit after it) and ignored trailing junk.
 *
 * Freestanding: no headers, usable in kernel and user space.
 */
#ifndef SMMU_HIL_BDF_H
#define SMMU_HIL_BDF_H

/* One hex digit's value, or -1. */
static inline int smmu_hil_hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Read 1..@max hex digits at *@s into *@v and advance *@s past them.
 * Returns 0, or -1 when there is no digit or more than @max.
 */
static inline int smmu_hil_hexfield(const char **s, unsigned int max, unsigned int *v)
{
	unsigned int n = 0;
	int d;

	*v = 0;
	while ((d = smmu_hil_hexval(**s)) >= 0) {
		if (++n > max)
			return -1;
		*v = *v * 16 + (unsigned int)d;
		(*s)++;
	}
	return n ? 0 : -1;
}

/*
 * smmu_hil_parse_bdf() - parse @s as "DDDD:BB:DD.F" or "BB:DD.F" (domain 0).
 * Returns 0 with the parts set, or -1 for anything else (the parts are then
 * undefined).
 */
static inline int smmu_hil_parse_bdf(const char *s, unsigned int *dom, unsigned int *bus,
				     unsigned int *dev, unsigned int *fn)
{
	const char *p = s;
	unsigned int a, b;

	if (!s || smmu_hil_hexfield(&p, 4, &a) || *p++ != ':' ||
	    smmu_hil_hexfield(&p, 2, &b))
		return -1;
	if (*p == ':') {		/* DDDD:BB:DD.F */
		p++;
		*dom = a;
		*bus = b;
		if (smmu_hil_hexfield(&p, 2, dev))
			return -1;
	} else {			/* BB:DD.F: again, the bus with 2 digits */
		p = s;
		*dom = 0;
		if (smmu_hil_hexfield(&p, 2, bus) || *p++ != ':' ||
		    smmu_hil_hexfield(&p, 2, dev))
			return -1;
	}
	if (*p++ != '.' || smmu_hil_hexfield(&p, 1, fn) || *p)
		return -1;
	return *dev <= 0x1f && *fn <= 7 ? 0 : -1;
}

#endif /* SMMU_HIL_BDF_H */
