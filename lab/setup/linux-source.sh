#!/usr/bin/env bash
# Debian's linux-source-6.1, downloaded once and unpacked on demand.
#
# Usage: lab/setup/linux-source.sh deb
#            print the path of the cached .deb ($SMMU_HIL_CACHE/debs;
#            `apt-get download linux-source-6.1` the first time, no install)
#        lab/setup/linux-source.sh extract DEST [MEMBER-PATTERN...]
#            unpack the source tarball (or only the members matching the
#            tar wildcards, relative to the tree's top) into DEST and print
#            the tree's path (DEST/linux-source-6.1)
#        lab/setup/linux-source.sh kconfig DEST
#            unpack only what kconfig needs for arm64 (top Makefile, every
#            Kconfig file, scripts/, include/, arch/arm64/): enough for
#            `make ARCH=arm64 defconfig` and scripts/kconfig/merge_config.sh,
#            about half the time of the whole tree (xz must still decompress
#            the whole stream)
set -euo pipefail
CACHE=${SMMU_HIL_CACHE:-$HOME/.cache/smmu-hil}

log() { echo "linux-source: $*" >&2; }
die() { log "error: $*"; exit 2; }

# The cached .deb, downloaded when missing.
source_deb() {
	local deb
	mkdir -p "$CACHE/debs"
	deb=$(ls "$CACHE"/debs/linux-source-6.1_*_all.deb 2>/dev/null | sort -V | tail -1 || true)
	if [ -z "$deb" ]; then
		log "downloading linux-source-6.1 into $CACHE/debs"
		(cd "$CACHE/debs" && apt-get download linux-source-6.1 >&2) ||
			die "apt-get download linux-source-6.1 failed"
		deb=$(ls "$CACHE"/debs/linux-source-6.1_*_all.deb | sort -V | tail -1)
	fi
	echo "$deb"
}

# extract DEST [PATTERN...]: the tarball inside the .deb, streamed (no copy
# of the tarball on disk), decompressed by xz with all CPUs.
extract() {
	local dest=$1 deb top=linux-source-6.1 p
	shift
	mkdir -p "$dest"
	deb=$(source_deb)
	local pats=()
	for p in "$@"; do pats+=("$top/$p"); done
	# the .deb's data holds ./usr/src/linux-source-6.1.tar.xz
	dpkg-deb --fsys-tarfile "$deb" |
		tar -xO --wildcards './usr/src/linux-source-*.tar.xz' |
		xz -T0 -dc |
		tar -x -C "$dest" --wildcards --wildcards-match-slash ${pats[@]+"${pats[@]}"}
	[ -f "$dest/$top/Makefile" ] || die "no $top/Makefile in $(basename "$deb")"
	echo "$dest/$top"
}

case ${1:-} in
deb) source_deb ;;
extract)
	[ $# -ge 2 ] || die "usage: $0 extract DEST [PATTERN...]"
	shift
	extract "$@"
	;;
kconfig)
	[ $# -eq 2 ] || die "usage: $0 kconfig DEST"
	extract "$2" Makefile '*Kconfig*' 'scripts/*' 'include/*' 'arch/arm64/*'
	;;
*) die "usage: $0 deb | extract DEST [PATTERN...] | kconfig DEST" ;;
esac
