#!/usr/bin/env bash
# Nightly step 5: publish the runs' KCIDB JSON (RUN_DIR/kcidb.json, written by
# the lab controller: lab/smmu_hil_lab/kcidb.py) to KernelCI's KCIDB.
#
# Usage: ci/kcidb-submit.sh RUN_DIR...
#
# Each kcidb.json is first checked (JSON, KCIDB schema v5, every id in the
# smmu_hil origin, at least one test; kcidb-validate too when installed), then
# submitted by the first way the environment (CI secrets) allows:
#   KCIDB_REST=https://TOKEN@HOST/PATH   curl POST of the file to
#       https://HOST/PATH with "Authorization: Bearer TOKEN" (KCIDB's REST
#       submission endpoint, e.g. https://db.kernelci.org/submit); the token
#       goes through a private header file, not the command line
#   KCIDB_PROJECT and KCIDB_TOPIC        kcidb-submit -p PROJECT -t TOPIC
#       < kcidb.json (kcidb's tool, Google Pub/Sub; credentials in
#       GOOGLE_APPLICATION_CREDENTIALS)
#   neither                              checked only, "not submitted"
# shellcheck source=ci/lib.sh
. "$(dirname "$0")/lib.sh"
[ $# -gt 0 ] || ci_die "usage: $0 RUN_DIR..."

# check_doc FILE: the checks above; prints "<tests> tests, <failed> failed".
check_doc() {
	python3 - "$1" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
assert doc.get("version", {}).get("major") == 5, "not KCIDB schema v5"
objs = [o for k in ("checkouts", "builds", "tests") for o in doc.get(k, [])]
bad = [o.get("id") for o in objs if not str(o.get("id", "")).startswith("smmu_hil:")
       or o.get("origin") != "smmu_hil"]
assert not bad, f"objects outside the smmu_hil origin: {bad[:3]}"
tests = doc.get("tests", [])
assert tests, "no tests"
print(f"{len(tests)} tests, {sum(t.get('status') == 'FAIL' for t in tests)} failed")
PY
}

hdr=
trap 'rm -f "$hdr"' EXIT
status=0
for run in "$@"; do
	doc=$run/kcidb.json
	if [ ! -s "$doc" ]; then
		ci_log "$run: no kcidb.json"
		status=1
		continue
	fi
	if ! what=$(check_doc "$doc" 2>&1); then
		ci_log "$doc: rejected: ${what##*$'\n'}"
		status=1
		continue
	fi
	if command -v kcidb-validate >/dev/null && ! kcidb-validate <"$doc"; then
		ci_log "$doc: kcidb-validate rejected it"
		status=1
		continue
	fi
	if [ -n "${KCIDB_REST:-}" ]; then
		hdr=$(mktemp)
		chmod 600 "$hdr"
		url=$(python3 - "$hdr" <<'PY'
import os, sys, urllib.parse
u = urllib.parse.urlsplit(os.environ["KCIDB_REST"])
if not u.username or not u.hostname:
    sys.exit("KCIDB_REST must look like https://TOKEN@HOST/PATH")
with open(sys.argv[1], "w") as f:
    f.write(f"Authorization: Bearer {urllib.parse.unquote(u.username)}\n")
host = u.hostname + (f":{u.port}" if u.port else "")
print(urllib.parse.urlunsplit((u.scheme, host, u.path or "/", u.query, "")))
PY
)
		if curl -sS --fail --retry 3 -X POST -H @"$hdr" -H 'Content-Type: application/json' \
			--data-binary @"$doc" "$url"; then
			ci_log "$doc ($what): submitted to $url"
		else
			ci_log "$doc: submission to $url failed"
			status=1
		fi
		rm -f "$hdr"
	elif [ -n "${KCIDB_PROJECT:-}" ] && [ -n "${KCIDB_TOPIC:-}" ]; then
		if kcidb-submit -p "$KCIDB_PROJECT" -t "$KCIDB_TOPIC" <"$doc"; then
			ci_log "$doc ($what): submitted to $KCIDB_PROJECT/$KCIDB_TOPIC"
		else
			ci_log "$doc: kcidb-submit failed"
			status=1
		fi
	else
		ci_log "$doc ($what): checked, not submitted (no KCIDB_REST, no KCIDB_PROJECT/KCIDB_TOPIC)"
	fi
done
exit $status
