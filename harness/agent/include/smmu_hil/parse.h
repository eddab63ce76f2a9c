/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * smmu-hil agent: parsing of the numbers that users, scenarios and the DUT's
 * sysfs/debugfs files hand us. Shared by the agent and the CLI.
 */
#ifndef SMMU_HIL_PARSE_H
#define SMMU_HIL_PARSE_H

/*
 * shl_parse_u64() - parse a whole string as an unsigned number (decimal, or
 * hex with 0x). Returns 0, or -1 if @s is empty, has a sign, leading blanks,
 * trailing garbage or overflows 64 bits.
 */
int shl_parse_u64(const char *s, unsigned long long *out);

#endif /* SMMU_HIL_PARSE_H */
