#!/usr/bin/env bash
# Nightly step 4: wait for the submitted LAVA jobs and collect their results.
#
# Usage: ci/lava-collect.sh OUT_DIR [TIMEOUT_S]   (default 21600: 6 h per job)
#   reads OUT_DIR/jobs.tsv (ci/lava-submit.sh); per job writes
#   OUT_DIR/<id>/job.json (lavacli jobs show --json),
#   OUT_DIR/<id>/results.json (lavacli results --json),
#   OUT_DIR/<id>/log.yaml (lavacli jobs logs --raw --no-follow);
#   and OUT_DIR/summary.txt: "<id> <health> pass=N fail=N skip=N <definition>"
# Fails when a job timed out, did not end Complete, or has a failed result.
# shellcheck source=ci/lib.sh
. "$(dirname "$0")/lib.sh"
out=${1:?usage: $0 OUT_DIR [TIMEOUT_S]}
timeout_s=${2:-21600}
[ -s "$out/jobs.tsv" ] || ci_die "no submitted jobs in $out/jobs.tsv"
lava_identity
trap ci_cleanup EXIT
: >"$out/summary.txt"
bad=0
while IFS=$'\t' read -r id def; do
	mkdir -p "$out/$id"
	if ! lava jobs wait "$id" --polling 30 --timeout "$timeout_s" >/dev/null; then
		ci_log "job $id ($def): not finished after ${timeout_s}s"
		echo "$id Timeout pass=0 fail=0 skip=0 $def" >>"$out/summary.txt"
		bad=1
		continue
	fi
	lava jobs show "$id" --json >"$out/$id/job.json"
	lava results "$id" --json >"$out/$id/results.json"
	lava jobs logs "$id" --raw --no-follow >"$out/$id/log.yaml" || ci_log "job $id: no log"
	line=$(python3 - "$out/$id" <<'PY'
import json, sys
d = sys.argv[1]
job = json.load(open(f"{d}/job.json"))
res = json.load(open(f"{d}/results.json"))
n = {k: sum(1 for r in res if r.get("result") == k) for k in ("pass", "fail", "skip")}
print(job.get("health", "Unknown"), " ".join(f"{k}={v}" for k, v in n.items()))
PY
)
	echo "$id $line $def" >>"$out/summary.txt"
	case "$line" in
	"Complete "*" fail=0 "*) ci_log "job $id: $line" ;;
	*) ci_log "job $id ($def): $line"; bad=1 ;;
	esac
done <"$out/jobs.tsv"
cat "$out/summary.txt"
exit $bad
