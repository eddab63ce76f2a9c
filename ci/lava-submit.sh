#!/usr/bin/env bash
# Nightly step 3: submit the real-server LAVA jobs (`make lava-jobs` writes
# them to $(BUILD)/lava/) with lavacli.
#
# Usage: ci/lava-submit.sh JOB_DIR OUT_DIR
#   JOB_DIR  a directory of LAVA job definitions (*.yaml)
#   OUT_DIR  gets jobs.tsv: "<job id>\t<definition file>" per submitted job
# Credentials: LAVA_URI, LAVA_USER, LAVA_TOKEN or LAVA_IDENTITY (ci/lib.sh).
# Fails when JOB_DIR has no job or lavacli refuses one (lavacli itself exits
# 0 then: its output is checked for job ids).
# shellcheck source=ci/lib.sh
. "$(dirname "$0")/lib.sh"
jobs_dir=${1:?usage: $0 JOB_DIR OUT_DIR}
out=${2:?usage: $0 JOB_DIR OUT_DIR}
shopt -s nullglob
defs=("$jobs_dir"/*.yaml)
[ ${#defs[@]} -gt 0 ] || ci_die "no LAVA job definitions (*.yaml) in $jobs_dir"
lava_identity
trap ci_cleanup EXIT
mkdir -p "$out"
: >"$out/jobs.tsv"
failed=0
for def in "${defs[@]}"; do
	# A multinode definition gives one id per role, one a line.
	reply=$(lava jobs submit "$def" 2>&1) || true
	if ! grep -qE '^[0-9]+(\.[0-9]+)?$' <<<"$reply" || grep -q '^Unable to submit' <<<"$reply"; then
		ci_log "$def: not submitted: $reply"
		failed=1
		continue
	fi
	while read -r id; do
		printf '%s\t%s\n' "$id" "$def" >>"$out/jobs.tsv"
		ci_log "$def: job $id"
	done < <(grep -E '^[0-9]+(\.[0-9]+)?$' <<<"$reply")
done
exit $failed
