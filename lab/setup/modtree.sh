#!/usr/bin/env bash
# An out-of-tree module build tree for a Debian kernel whose own kbuild
# cannot run on this host (the 7.x kernels from trixie-backports on a
# Debian 12 host), built from the kernel's matching source package with the
# host's compilers. docs/kernels.md says why and what it costs.
#
# Usage: lab/setup/modtree.sh SOURCE_DEB HEADERS_DEB RELEASE OUT
#   SOURCE_DEB   linux-source-M.m_<version>_all.deb, the same version as
#   HEADERS_DEB  linux-headers-RELEASE_<version>_arm64.deb (.config, Module.symvers)
#   RELEASE      the kernel release, e.g. 7.3.4+deb13-arm64 (the modules' vermagic)
#   OUT          output directory: OUT/src (the source parts kbuild reads),
#                OUT/obj (the build tree: make -C OUT/obj M=DIR ARCH=arm64
#                CROSS_COMPILE=aarch64-linux-gnu- modules), OUT/config-diff.txt
#
# What it does, and why each step is needed (the Debian packages name
# gcc-14 and a kbuild linked against glibc 2.38, neither of which Debian 12
# has):
#   1. unpack from the source tarball only what Kconfig and `modules_prepare`
#      read (top-level files, every Kconfig, scripts/, include/, arch/arm64/,
#      kernel/, tools/ ...);
#   2. Debian's .config (from the headers package), `make olddefconfig` with
#      the host's aarch64-linux-gnu-gcc (12): Kconfig re-probes the compiler,
#      so the config says what gcc 12 can do (no -fmin-function-alignment,
#      asm goto outputs "broken", ...) and nothing asks for a flag it lacks;
#   3. check that the config changed ONLY where the toolchain differs: every
#      option that differs must be a tool capability (CC_*, GCC_*, AS_*, LD_*,
#      PAHOLE_*, RUSTC_*, BINDGEN_*, TOOLS_SUPPORT_*, OPENSSL_SUPPORTS_*), a
#      Rust-only option (no Rust toolchain here), or one no header under
#      include/ or arch/arm64/include reads (so no module sees it). Any
#      other difference (one that could change a structure a module shares
#      with the kernel) stops the set-up with the list;
#   4. `make modules_prepare` with KERNELRELEASE=RELEASE: builds kbuild's
#      host programs (fixdep, modpost, resolve_btfids ...) with the host gcc
#      and the generated headers;
#   5. Debian's Module.symvers (the kernel's exported symbols).
# Debian's vmlinux is not copied: kbuild then skips module BTF (Debian 12's
# pahole 1.24 cannot write BTF against a pahole 1.30 vmlinux); the struct
# module layout still has the BTF fields (CONFIG_DEBUG_INFO_BTF_MODULES
# stays as Debian built it).
set -euo pipefail
usage="usage: $0 SOURCE_DEB HEADERS_DEB RELEASE OUT"
[ $# = 4 ] || { echo "$usage" >&2; exit 2; }
src_deb=$1 hdr_deb=$2 rel=$3 out=$4
CROSS=${CROSS_COMPILE:-aarch64-linux-gnu-}

log() { printf 'modtree: %s\n' "$*" >&2; }
die() { printf 'modtree: error: %s\n' "$*" >&2; exit 1; }

[ -f "$src_deb" ] || die "no source package $src_deb"
[ -f "$hdr_deb" ] || die "no headers package $hdr_deb"
command -v "${CROSS}gcc" >/dev/null || die "${CROSS}gcc not installed (make setup-host)"

mkdir -p "$out"
out=$(cd "$out" && pwd)
rm -rf "$out/src" "$out/obj" "$out/hdr"
mkdir -p "$out/src" "$out/obj" "$out/hdr"

# 1. the source parts: the tarball is ./usr/src/linux-source-M.m.tar.xz
t0=$(date +%s)
top=$(dpkg-deb --fsys-tarfile "$src_deb" | tar -t | sed -n 's|^\./usr/src/\(linux-source-[0-9.]*\)\.tar\.xz$|\1|p')
[ -n "$top" ] || die "$src_deb holds no linux-source tarball"
parts=(Makefile Kbuild Kconfig '*/Kconfig*' 'scripts/*' 'include/*' 'arch/arm64/*'
	'arch/x86/entry/syscalls/*' 'kernel/*' 'lib/vdso/*' 'tools/*' 'usr/*' 'certs/*'
	'security/selinux/include/*')
pats=()
for p in "${parts[@]}"; do pats+=("$top/$p"); done
dpkg-deb --fsys-tarfile "$src_deb" | tar -xO "./usr/src/$top.tar.xz" | xz -T0 -dc |
	tar -x -C "$out/src" --wildcards --wildcards-match-slash "${pats[@]}"
ksrc=$out/src/$top
[ -f "$ksrc/Makefile" ] || die "no $top/Makefile in $(basename "$src_deb")"
log "source parts unpacked in $(($(date +%s) - t0)) s"

# Debian's config and exported symbols, from the headers package.
dpkg -x "$hdr_deb" "$out/hdr"
hdr=$out/hdr/usr/src/linux-headers-$rel
if [ ! -f "$hdr/.config" ] || [ ! -f "$hdr/Module.symvers" ]; then
	die "$(basename "$hdr_deb") has no linux-headers-$rel/.config and Module.symvers"
fi

kmake() {
	make -C "$ksrc" O="$out/obj" ARCH=arm64 CROSS_COMPILE="$CROSS" KERNELRELEASE="$rel" "$@"
}

# 2. Debian's config, re-probed for this host's compiler
cp "$hdr/.config" "$out/obj/.config"
kmake -s olddefconfig >"$out/olddefconfig.log" 2>&1 || {
	cat "$out/olddefconfig.log" >&2
	die "make olddefconfig failed"
}

# 3. what changed, and whether a module could see it
export LC_ALL=C
tab=$'\t'
opts() { sed -n "s/^\\(CONFIG_[A-Za-z0-9_]*\\)=\\(.*\\)\$/\\1$tab\\2/p" "$1" | sort; }
join -t "$tab" -a1 -a2 -e '(unset)' -o 0,1.2,2.2 <(opts "$hdr/.config") <(opts "$out/obj/.config") |
	awk -F "$tab" '$2 != $3' >"$out/config-diff.txt"
# every CONFIG_ symbol a header reads
grep -rhoE 'CONFIG_[A-Za-z0-9_]+' "$ksrc/include" "$ksrc/arch/arm64/include" | sort -u >"$out/header-symbols.txt"
bad=()
while IFS=$tab read -r sym debian ours; do
	name=${sym#CONFIG_}
	case $name in
	CC_* | GCC_* | AS_* | LD_* | PAHOLE_* | RUSTC_* | BINDGEN_* | TOOLS_SUPPORT_* | OPENSSL_SUPPORTS_*)
		continue ;; # the toolchain's capabilities: what changing the compiler means
	RUST | RUST_*) continue ;;
	esac
	# Rust-only options: their Kconfig entry depends on RUST or a RUST_ option
	mapfile -t kconfigs < <(grep -rlE --include='Kconfig*' "^[[:space:]]*(menu)?config $name\$" "$ksrc")
	if [ ${#kconfigs[@]} -gt 0 ] && awk -v c="config $name" '
		$0 ~ "^[[:space:]]*(menu)?config " { inblk = ($0 ~ "^[[:space:]]*(menu)?" c "$") }
		inblk && /depends on/ && /RUST/ { found = 1 }
		END { exit !found }' "${kconfigs[@]}"; then
		continue
	fi
	grep -qxF "$sym" "$out/header-symbols.txt" || continue # no header reads it
	case $name in
	# read by asm/elf.h for the compat vDSO of the ELF loader (the image's own
	# vDSO; needs an arm-linux-gnueabihf compiler): not a module interface
	COMPAT_VDSO | THUMB2_COMPAT_VDSO) continue ;;
	esac
	bad+=("$sym (Debian: $debian, here: $ours)")
done <"$out/config-diff.txt"
if [ ${#bad[@]} -gt 0 ]; then
	printf '  %s\n' "${bad[@]}" >&2
	die "the config for ${CROSS}gcc differs from Debian's in options a module can see (above): modules built here might not match the kernel"
fi
log "config re-probed for $("${CROSS}gcc" -dumpfullversion): $(wc -l <"$out/config-diff.txt") options differ, none a module can see (config-diff.txt)"

# 4. kbuild's host programs and generated headers
t0=$(date +%s)
kmake -j"$(nproc)" modules_prepare >"$out/modules_prepare.log" 2>&1 || {
	tail -40 "$out/modules_prepare.log" >&2
	die "make modules_prepare failed (log: $out/modules_prepare.log)"
}
[ "$(cat "$out/obj/include/config/kernel.release")" = "$rel" ] ||
	die "kernel.release is not $rel"
log "modules_prepare (fixdep, modpost ... with $(gcc -dumpfullversion)) in $(($(date +%s) - t0)) s"

# 5. the kernel's exported symbols
cp "$hdr/Module.symvers" "$out/obj/Module.symvers"
rm -rf "$out/hdr"
