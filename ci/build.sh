#!/usr/bin/env bash
# Nightly step 1: set-up, the host tool, the DUT agent and modules (make all),
# the modules through checkpatch and built by dkms for amd64 and arm64.
#
# Usage: ci/build.sh        (honours SMMU_HIL_BUILD and SMMU_HIL_CACHE)
# shellcheck source=ci/lib.sh
. "$(dirname "$0")/lib.sh"
cd "$ci_repo"
make setup
make all
make checkpatch test-dkms
ci_log "build done"
