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
# Environment:
#   O=DIR          an out-of-tree build directory: DIR/.config instead of
#                  KSRC/.config (make O=DIR)
#   KCONFIG_BASE=allnoconfig
#                  start from `make allnoconfig` with the fragments as
#                  KCONFIG_ALLCONFIG (merge_config.sh -n) instead of merging
#                  into an existing .config: options the fragments do not
#                  name are off unless something selects them (the lab
#                  kernel, lab/setup/lab-kernel.sh)
#   STRICT=1       exit 3 when an option did not end up as requested
# then every option the fragments request (the last fragment wins, as in
# merge_config.sh) is looked up in the final .config. Options that did not
# end up as requested are listed, one a line:
#   kernel-config: not as requested: CONFIG_X=y (final: not set)
# followed by a count. That is not a failure: a kernel version may lack an
# option (KHO and LUO are not in 6.1) or a dependency may be off (with
# STRICT=1 it is: exit 3). Exit status: 0 merged, 2 no usable kernel tree /
# .config / fragment, or a kconfig step failed, 3 options not as requested
# under STRICT=1.
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
out=${O:-}
if [ -n "$out" ]; then
	mkdir -p "$out" || die "cannot create build directory '$out'"
	out=$(cd "$out" && pwd)
fi
cfgdir=${out:-$ksrc}
case ${KCONFIG_BASE:-} in
"") [ -f "$cfgdir/.config" ] ||
	die "'$cfgdir' has no .config: make one first (e.g. make -C $ksrc ARCH=$ARCH defconfig)" ;;
allnoconfig) ;;
*) die "KCONFIG_BASE=$KCONFIG_BASE: only allnoconfig (or empty) is known" ;;
esac

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
oargs=()
[ -z "$out" ] || oargs=(O="$out")
if [ "${KCONFIG_BASE:-}" = allnoconfig ]; then
	log "allnoconfig with ${#frags[@]} fragment(s) into $cfgdir/.config (ARCH=$ARCH)"
	# merge_config.sh -n: make allnoconfig KCONFIG_ALLCONFIG=<the fragments merged>
	scripts/kconfig/merge_config.sh -n ${out:+-O "$out"} "${frags[@]}" ||
		die "merge_config.sh failed"
else
	log "merging ${#frags[@]} fragment(s) into $cfgdir/.config (ARCH=$ARCH)"
	scripts/kconfig/merge_config.sh -m ${out:+-O "$out"} "$cfgdir/.config" "${frags[@]}" ||
		die "merge_config.sh failed"
fi
make ARCH="$ARCH" ${oargs[@]+"${oargs[@]}"} olddefconfig || die "make olddefconfig failed"

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
	actual=$(grep -w -e "$cfg" "$cfgdir/.config" || true)
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
log "wrote $cfgdir/.config"
if [ "${STRICT:-}" = 1 ] && [ $missing -gt 0 ]; then
	echo "kernel-config: error: $missing option(s) not as requested (STRICT=1)" >&2
	exit 3
fi
