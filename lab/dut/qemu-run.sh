#!/usr/bin/env bash
# Boot the emulated DUT by hand, console on this terminal (Ctrl-A X quits).
# The machine is the lab controller's own (resources.QemuMachine), so this
# script and the nightly run cannot drift apart.
#
# Usage: lab/dut/qemu-run.sh [extra qemu args]
#   SMMU_HIL_BUILD   build directory (default build/)
#   SMMU_HIL_APPEND  extra kernel command line, e.g. smmu_hil.run=/mnt/host/t.sh
#                    (the DUT runs that script from the 9p share, then powers off)
#   SMMU_HIL_SMMU_MODEL  the SMMU: nested (default), s1 or s2 (docs/lab.md)
# Needs `make setup` and `make` first. The initramfs is the cached base plus
# an overlay with the build's agent, modules and scenarios/.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
build=${SMMU_HIL_BUILD:-$repo/build}
cd "$repo/lab"
exec /usr/bin/python3 -m smmu_hil_lab qemu --out "$build/dut" --append "${SMMU_HIL_APPEND:-}" -- "$@"
