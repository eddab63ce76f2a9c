#!/usr/bin/env bash
# Run the kernel's checkpatch.pl on the smmu-hil kernel modules.
#
# Usage: lab/setup/checkpatch.sh [DIR]   (default: modules)
#
# checkpatch.pl comes from Debian's linux-source-6.1 package: downloaded once
# into $SMMU_HIL_CACHE/debs (lab/setup/linux-source.sh, apt-get download, no
# install), and only
# scripts/checkpatch.pl, scripts/spelling.txt and
# scripts/const_structs.checkpatch are taken from the source tarball inside
# it, into $SMMU_HIL_CACHE/checkpatch/. Idempotent: a second run reuses them.
# Fails if checkpatch reports any error or warning on DIR/*.c or DIR/*.h.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
CACHE=${SMMU_HIL_CACHE:-$HOME/.cache/smmu-hil}
dir=${1:-modules}
cd "$repo"
out=$CACHE/checkpatch
want=(scripts/checkpatch.pl scripts/spelling.txt scripts/const_structs.checkpatch)

log() { echo "checkpatch: $*" >&2; }

have_all() {
	local f
	for f in "${want[@]}"; do [ -s "$out/$f" ] || return 1; done
}

if ! have_all; then
	mkdir -p "$CACHE/debs" "$out"
	deb=$(lab/setup/linux-source.sh deb)
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT
	# The .deb holds usr/src/linux-source-6.1.tar.xz; take three files from it.
	dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$tmp" --wildcards './usr/src/linux-source-*.tar.xz'
	tarball=$(ls "$tmp"/usr/src/linux-source-*.tar.xz | head -1)
	top=$(basename "$tarball" .tar.xz)
	tar -xJf "$tarball" -C "$tmp" "${want[@]/#/$top/}"
	for f in "${want[@]}"; do
		mkdir -p "$out/$(dirname "$f")"
		cp "$tmp/$top/$f" "$out/$f"
	done
	chmod +x "$out/scripts/checkpatch.pl"
	log "installed into $out ($(basename "$deb"))"
fi

shopt -s nullglob
files=("$dir"/*.c "$dir"/*.h "$dir"/include/uapi/*.h "$dir"/include/smmu_hil/bdf.h)
[ ${#files[@]} -gt 0 ] || { log "no sources in $dir"; exit 1; }
# --no-tree: no kernel tree here; the spelling and const_structs lists are
# found next to the script.
status=0
for f in "${files[@]}"; do
	if ! report=$(perl "$out/scripts/checkpatch.pl" --no-tree --quiet --show-types \
		-f "$f" 2>&1); then
		status=1
	fi
	if [ -n "$report" ]; then
		echo "$report"
		# anything else checkpatch prints (CHECKs) is shown but does not fail
		grep -qE '^(ERROR|WARNING):' <<<"$report" && status=1
	fi
done
if [ $status -eq 0 ]; then
	log "${#files[@]} files clean"
fi
exit $status
