#!/bin/bash
# make fuzz: every libFuzzer target for SECONDS (default 600) with a depth-
# and size-relevant input limit (-max_len 65536: deep YAML/JSON fits), a
# per-input timeout (a hang is a finding) and a memory limit, JOBS targets
# at a time; meanwhile the lab's Python parsers (scenario, plan, inventory)
# with random and mutated documents, SECONDS in all per parser
# (lab/tests/test_parser_limits.py). Prints one line per target: runs,
# coverage, crashes; exits 1 on any crash, hang or leak.
#
# Usage: harness/fuzz/run-long.sh OUT_DIR SECONDS JOBS FUZZER...
set -u
out=$(realpath -m "$1") secs=$2 jobs=$3
shift 3
mkdir -p "$out"
one() {
	local f=$1 name work c
	name=$(basename "$f")
	work=$out/work-$name
	c=harness/fuzz/corpus/$name
	mkdir -p "$work"
	"$f" -max_total_time="$secs" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
		-print_final_stats=1 -artifact_prefix="$out/$name-" "$work" \
		$([ -d "$c" ] && echo "$c") >"$out/$name.log" 2>&1
	local rc=$?
	echo "$rc runs $(sed -n 's/^stat::number_of_executed_units: *//p' "$out/$name.log") \
cov $(grep -o 'cov: [0-9]*' "$out/$name.log" | tail -1 | cut -d' ' -f2) \
seconds $(sed -n 's/^stat::.*//;s/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$out/$name.log")" \
		>"$out/$name.result"
}
export -f one
export out secs
start=$(date +%s)
# the lab's parsers meanwhile: garbage and mutated documents, SECONDS/2 each
rm -f "$out/python-counts.log"
(cd lab && SHL_GARBAGE_SECONDS=$((secs / 2)) SHL_GARBAGE_LOG="$out/python-counts.log" \
	/usr/bin/python3 -m pytest -q -p no:cacheprovider tests/test_parser_limits.py \
	-k "garbage or mutated" >"$out/python.log" 2>&1) &
py=$!
printf '%s\n' "$@" | xargs -P "$jobs" -I{} bash -c 'one {}'
fail=0
echo "== libFuzzer targets, $secs s each"
for f in "$@"; do
	read -r rc rest <"$out/$(basename "$f").result"
	echo "$(basename "$f"): exit $rc, $rest"
	[ "$rc" = 0 ] || fail=1
done
ls "$out"/*-crash-* "$out"/*-timeout-* "$out"/*-leak-* "$out"/*-oom-* 2>/dev/null && fail=1
wait "$py"
echo "== lab parsers (scenario, plan, inventory), $secs s each (garbage, then mutated)"
cat "$out/python-counts.log" 2>/dev/null
tail -1 "$out/python.log"
grep -q ' passed' "$out/python.log" && ! grep -q 'failed' "$out/python.log" || fail=1
echo "make fuzz: $(( $(date +%s) - start )) s, $([ $fail = 0 ] && echo '0 crashes, 0 hangs' || echo FAILURES)"
exit $fail
