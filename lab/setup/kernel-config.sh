#!/usr/bin/env bash
# Merge the lab's kernel config fragments into a kernel tree's .config.
#
# Usage: lab/setup/kernel-config.sh KSRC [FRAGMENT...]
#        (make kernel-config KSRC=... [FRAGMENTS="a.config b.config"])
#
# FRAGMENTs default to kernel-config/*.config. In KSRC, with ARCH (default
# arm64) passed through:
#   scripts/kconfig/merge_config.sh -m .config FRAGMENT...   (the kernel's own)
#   make olddefconfig
# then every option the fragments request (the last fragment wins, as in
# merge_config.sh) is looked up in the final .config. Options that did not
# end up as requested are listed, one a line:
#   kernel-config: not as requested: CONFIG_X=y (final: not set)
# followed by a count. That is not a failure: a kernel version may lack an
# option (KHO and LUO are not in 6.1) or a dependency may be off. Exit
# status: 0 merged, 2 no usable kernel tree / .config / fragment, or a
# kconfig step failed.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
ARCH=${ARCH:-arm64}
export ARCH

log() { echo "kernel-config: $*"; }
die() { echo "kernel-config: error: $*" >&2; exit 2; }

[ $# -ge 1 ] && [ -n "$1" ] || die "usage: $0 KSRC [FRAGMENT...] (KSRC: a kernel source tree)"
ksrc=$1
shift
[ -d "$ksrc" ] || die "kernel tree '$ksrc' does not exist"
[ -f "$ksrc/Makefile" ] && [ -f "$ksrc/scripts/kconfig/merge_config.sh" ] ||
	die "'$ksrc' is not a kernel source tree (no Makefile or scripts/kconfig/merge_config.sh)"
[ -f "$ksrc/.config" ] ||
	die "'$ksrc' has no .config: make one first (e.g. make -C $ksrc ARCH=$ARCH defconfig)"

frags=()
if [ $# -eq 0 ]; then
	frags=("$repo"/kernel-config/*.config)
else
	for f in "$@"; do frags+=("$(readlink -m -- "$f")"); done
fi
for f in "${frags[@]}"; do
	[ -r "$f" ] || die "fragment '$f' not found"
done

cd "$ksrc"
log "merging ${#frags[@]} fragment(s) into $ksrc/.config (ARCH=$ARCH)"
scripts/kconfig/merge_config.sh -m .config "${frags[@]}" ||
	die "merge_config.sh failed"
make ARCH="$ARCH" olddefconfig || die "make olddefconfig failed"

# The requested options: the same expressions merge_config.sh uses, the last
# fragment's value of each option winning.
declare -A want=()
order=()
exp1='s/^\(CONFIG_[a-zA-Z0-9_]*\)=.*/\1/p'
exp2='s/^# \(CONFIG_[a-zA-Z0-9_]*\) is not set$/\1/p'
for f in "${frags[@]}"; do
	for cfg in $(sed -n -e "$exp1" -e "$exp2" "$f"); do
		[ -n "${want[$cfg]+x}" ] || order+=("$cfg")
		want[$cfg]=$(grep -w -e "$cfg" "$f" | tail -1)
	done
done

missing=0
for cfg in "${order[@]}"; do
	requested=${want[$cfg]}
	actual=$(grep -w -e "$cfg" .config || true)
	# "# CONFIG_X is not set" and an absent option are the same request met
	if [ "$requested" = "# $cfg is not set" ] && [ -z "$actual" ]; then
		continue
	fi
	if [ "$requested" != "$actual" ]; then
		case $actual in
		"")
			if grep -rqE --include='Kconfig*' "^[[:space:]]*(menu)?config ${cfg#CONFIG_}\$" .; then
				final="absent: dependencies unmet"
			else
				final="absent: this kernel has no such option"
			fi
			;;
		"# $cfg is not set") final="not set" ;;
		*) final=${actual#"$cfg"} ;;
		esac
		log "not as requested: $requested (final: $final)"
		missing=$((missing + 1))
	fi
done
log "$((${#order[@]} - missing)) of ${#order[@]} requested options as requested, $missing not"
log "wrote $ksrc/.config"
