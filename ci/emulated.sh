#!/usr/bin/env bash
# Nightly step 2: the emulated suite (`make run`: lab/plans/nightly.yaml, the
# QEMU DUT as the qemu and the ssh target), its run directory copied to
# ARTIFACTS/emulated/.
#
# Usage: ci/emulated.sh ARTIFACTS
# Exit status: make run's (0 all passed, 1 a test failed, 2 the run broke);
# the run directory is copied in every case, so the publish step still has
# kcidb.json and the reports.
# shellcheck source=ci/lib.sh
. "$(dirname "$0")/lib.sh"
out=${1:?usage: $0 ARTIFACTS}
cd "$ci_repo"
rc=0
make run || rc=$?
run=$(readlink -f results/latest || true)
if [ -n "$run" ] && [ -d "$run" ]; then
	mkdir -p "$out/emulated"
	cp -r "$run" "$out/emulated/"
	ci_log "emulated run $(basename "$run") -> $out/emulated/ (make run: $rc)"
else
	ci_log "make run left no run directory (make run: $rc)"
	[ $rc -ne 0 ] || rc=2
fi
exit $rc
