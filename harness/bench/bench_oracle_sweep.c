// SPDX-License-Identifier: GPL-2.0-only
/*
 * Benchmark: the oracle sweep at store granularity on one core. Prints the
 * rate in transitions/s (goal: >= 1,000,000) and shows memory stays flat as
 * the corpus grows: the sweep is run with corpus scale 1 and then 3 in
 * separate child processes, each reporting its peak RSS.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "smmu_hil/sweep.h"

#define GOAL 1000000.0

/* Sweep STEs and CDs at @scale; print one line; exit status 0 if the goal is met. */
static int run(unsigned int scale, int rounds)
{
	struct shl_profile p;
	struct shl_sweep_opts o = { .quanta = 64, .update_safe = true, .scale = scale };
	struct shl_sweep_stats st;
	uint64_t transitions = 0, failed = 0;
	double seconds = 0, best = 0;
	struct rusage ru;
	int r, k;

	shl_profile_builtin("full", &p);
	o.p = &p;
	for (r = 0; r < rounds; r++) {
		uint64_t t = 0;
		double s = 0;

		for (k = SHL_KIND_STE; k <= SHL_KIND_CD; k++) {
			o.kind = (enum shl_entry_kind)k;
			if (shl_sweep(&o, &st))
				return 2;
			t += st.transitions;
			s += st.seconds;
			failed += st.transitions - st.classes[SHL_SWEEP_PASS];
		}
		transitions = t;
		seconds = s;
		if (s > 0 && t / s > best)
			best = t / s;
	}
	getrusage(RUSAGE_SELF, &ru);
	printf("scale %u: %llu transitions, best of %d: %.3f s, %.0f transitions/s, failed %llu, max RSS %ld KiB\n",
	       scale, (unsigned long long)transitions, rounds, seconds, best,
	       (unsigned long long)failed, ru.ru_maxrss);
	fflush(stdout);
	return best >= GOAL ? 0 : 1;
}

static int in_child(unsigned int scale, int rounds)
{
	pid_t pid = fork();
	int status;

	if (pid == 0)
		_exit(run(scale, rounds));
	if (pid < 0 || waitpid(pid, &status, 0) < 0 || !WIFEXITED(status))
		return 2;
	return WEXITSTATUS(status);
}

int main(void)
{
	int a = in_child(1, 3), b = in_child(3, 1);

	printf("goal %.0f transitions/s on one core: %s\n", GOAL,
	       a == 0 ? "met" : "NOT met (machine busy? rerun)");
	/* A benchmark reports; only a broken run fails `make bench`. */
	return a == 2 || b == 2;
}
