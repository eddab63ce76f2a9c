#!/usr/bin/env bash
# The lab kernel (docs/kernels.md "The lab kernel"): an arm64 kernel
# cross-built from source with the lab's fragments (kernel-config/) and
# optional patches (the mutants of issue 13), built once per input set into
# the cache. lab/setup/setup.sh calls it (make lab-kernel, make setup
# DUT_KERNEL=lab) and locks what it built in dut.lock's [kernel lab].
#
# Usage: lab/setup/lab-kernel.sh key
#            print the inputs' identity (one name=value a line: source=,
#            fragments=, patches=, tools=, key=) without building
#        lab/setup/lab-kernel.sh prepare
#            only the source tree make would read, with the patches applied
#            (print its path)
#        lab/setup/lab-kernel.sh build
#            build (or find built) the kernel for the inputs; print its
#            [kernel lab] lock lines on stdout (release=, key=, ...)
#
# Inputs (environment):
#   SOURCE_DEB  Debian's linux-source-M.m .deb (setup.sh downloads it), or
#   KSRC        any kernel source tree instead (a customer's; left unchanged:
#               built with O=, patched only in a hard-linked copy)
#   PATCHES     patch files (-p1, applied in order), space separated
#   FRAGMENTS   config fragments, in merge order (default: kernel-config/
#               smmu-hil-*.config then kernel-config/lab/*.config); merged
#               onto `make allnoconfig` and verified (every requested option
#               must end up as requested: lab/setup/kernel-config.sh STRICT=1)
#   SMMU_HIL_CACHE  the cache (default ~/.cache/smmu-hil)
#   LAB_KERNEL_JOBS make -j (default: the CPUs); the build runs under
#               nice -n 19 ionice -c3 (it shares the machine with the DUT)
#
# Cache layout ($SMMU_HIL_CACHE):
#   lab-kernel/src/<deb>/linux-source-M.m   Debian's source, unpacked once
#   lab-kernel/work/<wkey>/{src,obj}        one build directory per source
#       location + toolchain: src a hard-linked copy of the
#       source with the patches applied (the files the last patch set
#       touched are restored before the next is applied, with a new mtime,
#       so make rebuilds exactly what changed), obj the O= tree,
#       reconfigured when the fragments change. A patch or fragment change
#       is an incremental build (kbuild tracks each file's CONFIG_ options).
#   kernel/<release>/   per key, like the Debian kernels (docs/kernels.md):
#       Image, System.map, vmlinux, config, image/lib/modules/<release>
#       (modules_install + depmod), build (the out-of-tree module tree: the
#       generated files of obj over the unpatched source), .complete (the
#       lock lines), uapi/include (the uapi headers, `make headers`)
# The release is <kernelversion>-lab-<first 8 hex digits of the key>, so
# every input set has its own modules' vermagic and its own directory.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
CACHE=${SMMU_HIL_CACHE:-$HOME/.cache/smmu-hil}
CROSS=${CROSS_COMPILE:-aarch64-linux-gnu-}
LK=$CACHE/lab-kernel
# bump when the build recipe changes what a key's outputs are
RECIPE=1

log() { printf 'lab-kernel: %s\n' "$*" >&2; }
die() { printf 'lab-kernel: error: %s\n' "$*" >&2; exit 2; }
sha() { sha256sum | cut -d' ' -f1; }

# ------------------------------------------------------------------ inputs
frags=()
if [ -n "${FRAGMENTS:-}" ]; then
	for f in $FRAGMENTS; do frags+=("$(readlink -m -- "$f")"); done
else
	frags=("$repo"/kernel-config/smmu-hil-*.config "$repo"/kernel-config/lab/*.config)
fi
for f in "${frags[@]}"; do
	if [ ! -f "$f" ] || [ ! -r "$f" ]; then die "fragment '$f' not found"; fi
done
patches=()
for p in ${PATCHES:-}; do
	p=$(readlink -m -- "$p")
	if [ ! -f "$p" ] || [ ! -r "$p" ]; then die "patch '$p' not found"; fi
	patches+=("$p")
done

ksrc=
if [ -n "${KSRC:-}" ]; then
	[ -z "${SOURCE_DEB:-}" ] || die "give KSRC or SOURCE_DEB, not both"
	[ -d "$KSRC" ] || die "KSRC '$KSRC' does not exist"
	ksrc=$(cd "$KSRC" && pwd)
	if [ ! -f "$ksrc/Makefile" ] || [ ! -f "$ksrc/scripts/kconfig/merge_config.sh" ]; then
		die "KSRC '$ksrc' is not a kernel source tree (no Makefile or scripts/kconfig/merge_config.sh)"
	fi
	[ ! -e "$ksrc/.config" ] ||
		die "KSRC '$ksrc' is not clean (it has a .config): the lab builds with O=; run make mrproper there"
else
	[ -n "${SOURCE_DEB:-}" ] || die "no source: set KSRC (a tree) or SOURCE_DEB (Debian's linux-source .deb)"
	[ -f "$SOURCE_DEB" ] || die "SOURCE_DEB '$SOURCE_DEB' does not exist"
fi

# source_id: what the source is. A Debian package: its name, version and
# checksum. A tree: its path and, for git, HEAD plus the checksum of the
# uncommitted changes; else the checksum of every file's path, size and
# modification time (.git left out).
source_id() {
	if [ -z "$ksrc" ]; then
		printf 'deb %s %s\n' "$(dpkg-deb -f "$SOURCE_DEB" Package)=$(dpkg-deb -f "$SOURCE_DEB" Version)" \
			"$(sha256sum <"$SOURCE_DEB" | cut -d' ' -f1)"
	elif git -C "$ksrc" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
		printf 'tree %s git %s %s\n' "$ksrc" "$(git -C "$ksrc" rev-parse HEAD)" \
			"$(cd "$ksrc" && { git diff HEAD; git ls-files --others --exclude-standard -z |
				xargs -0r sha256sum; } | sha)"
	else
		printf 'tree %s files %s\n' "$ksrc" \
			"$(cd "$ksrc" && find . -path ./.git -prune -o -type f -printf '%P %s %T@\n' | LC_ALL=C sort | sha)"
	fi
}
# content of files, in order, names relative to the repository where they are in it
files_id() {
	local f
	for f in "$@"; do printf '%s\n' "${f#"$repo"/}"; cat "$f"; done | sha
}
tools_id() {
	printf '%s|%s|recipe %s\n' "$("${CROSS}gcc" --version | head -1)" "$("${CROSS}ld" --version | head -1)" "$RECIPE"
}

command -v "${CROSS}gcc" >/dev/null || die "${CROSS}gcc not installed (make setup-host)"
src_id=$(source_id)
frag_id=$(files_id "${frags[@]}")
patch_id=none
[ ${#patches[@]} -eq 0 ] || patch_id=$(files_id "${patches[@]}")
tool_id=$(tools_id)
key=$(printf '%s\n' "$src_id" "$frag_id" "$patch_id" "$tool_id" | sha | cut -c1-16)
# the build directory: same source location and tools, any fragments and
# patches (a change of either is an incremental build there)
if [ -n "$ksrc" ]; then loc="tree $ksrc"; else loc=${src_id% *}; fi
wkey=$(printf '%s\n' "$loc" "$tool_id" | sha | cut -c1-12)

if [ "${1:-}" = key ]; then
	printf 'source=%s\nfragments=%s\npatches=%s\ntools=%s\nkey=%s\nworkdir=%s\n' \
		"$src_id" "$frag_id" "$patch_id" "$tool_id" "$key" "$wkey"
	exit 0
fi
case ${1:-} in build | prepare) ;; *) die "usage: $0 key|prepare|build" ;; esac

# ------------------------------------------------------------------ source
NICE=(nice -n 19 ionice -c3)
t_start=$(date +%s)
# pristine: the unpatched tree (Debian's unpacked once, or KSRC itself)
if [ -z "$ksrc" ]; then
	d=$LK/src/$(basename "$SOURCE_DEB" .deb)
	if [ ! -f "$d/.complete" ]; then
		log "unpacking $(basename "$SOURCE_DEB")"
		rm -rf "$d"
		mkdir -p "$d"
		dpkg-deb --fsys-tarfile "$SOURCE_DEB" | tar -xO --wildcards './usr/src/linux-source-*.tar.xz' |
			"${NICE[@]}" xz -T0 -dc | tar -x -C "$d"
		echo "$src_id" >"$d/.complete"
	fi
	pristine=$(find "$d" -mindepth 1 -maxdepth 1 -type d -name 'linux-source-*' | head -1)
	[ -f "$pristine/Makefile" ] || die "no kernel tree in $(basename "$SOURCE_DEB")"
else
	pristine=$ksrc
fi

work=$LK/work/$wkey
mkdir -p "$work/obj"
exec 9>"$work/.lock"
flock 9 # one build per build directory at a time

# the source tree make reads: KSRC itself when unpatched; else a hard-linked
# copy (patch(1) writes a new file, so the links to the pristine tree stay
# pristine); a copy when hard links cannot cross file systems
srctree=$pristine
if [ -z "$ksrc" ] || [ ${#patches[@]} -gt 0 ]; then
	srctree=$work/src
	if [ ! -f "$work/src.id" ] || [ "$(cat "$work/src.id")" != "$src_id" ]; then
		log "linking the source into $srctree"
		# files the previous patch set touched must look changed to make
		[ ! -f "$work/patched.list" ] || touch_after=$(cat "$work/patched.list")
		rm -rf "$srctree" "$work/patched.list" "$work/patches.id"
		cp -al "$pristine" "$srctree" 2>/dev/null || { rm -rf "$srctree"; cp -a "$pristine" "$srctree"; }
		rm -rf "$srctree/.git"
		echo "$src_id" >"$work/src.id"
		while IFS= read -r f; do
			if [ -z "$f" ] || [ ! -f "$srctree/$f" ]; then continue; fi
			cp --remove-destination "$pristine/$f" "$srctree/$f"
		done <<<"${touch_after:-}"
	fi
	if [ "$(cat "$work/patches.id" 2>/dev/null)" != "$patch_id" ]; then
		# restore the files the last patch set touched (a fresh copy: new
		# mtime, and the pristine file keeps its own), then apply the new set
		if [ -f "$work/patched.list" ]; then
			while IFS= read -r f; do
				[ -n "$f" ] || continue
				rm -f "$srctree/$f"
				[ ! -f "$pristine/$f" ] || cp "$pristine/$f" "$srctree/$f"
			done <"$work/patched.list"
			rm -f "$work/patched.list"
		fi
		: >"$work/patched.list.new"
		for p in ${patches[@]+"${patches[@]}"}; do
			# "patch X does not apply": the sensitivity plan's "not applied"
			# column reads this message (lab/smmu_hil_lab/sensitivity.py)
			out=$(patch -d "$srctree" -p1 -N --dry-run --no-backup-if-mismatch -i "$p" 2>&1) ||
				die "patch $(basename "$p") does not apply to $(basename "$pristine"):
$out"
			patch -d "$srctree" -p1 -N --no-backup-if-mismatch -i "$p" |
				sed -n "s/^patching file '\{0,1\}\([^']*\)'\{0,1\}\$/\1/p" >>"$work/patched.list.new"
			log "applied $(basename "$p")"
		done
		sort -u "$work/patched.list.new" >"$work/patched.list"
		rm -f "$work/patched.list.new"
		echo "$patch_id" >"$work/patches.id"
	fi
fi

if [ "$1" = prepare ]; then
	echo "$srctree"
	exit 0
fi

# ------------------------------------------------------------------ config
obj=$work/obj
kmake() {
	"${NICE[@]}" make -C "$srctree" O="$obj" ARCH=arm64 CROSS_COMPILE="$CROSS" "$@"
}
version=$(make -s -C "$pristine" kernelversion 2>/dev/null) || die "make kernelversion failed in $pristine"
rel=$version-lab-${key:0:8}
if [ "$(cat "$work/config.id" 2>/dev/null)" != "$frag_id" ]; then
	log "configuring: allnoconfig + ${#frags[@]} fragment(s)"
	rm -f "$obj/.config" "$work/config.id"
	if ! ARCH=arm64 CROSS_COMPILE=$CROSS O=$obj KCONFIG_BASE=allnoconfig STRICT=1 \
		"$here/kernel-config.sh" "$srctree" "${frags[@]}" >"$work/config.log" 2>&1; then
		grep -E '^kernel-config: (not as requested|error)' "$work/config.log" >&2 || tail -20 "$work/config.log" >&2
		die "the configuration is not as the fragments request (log: $work/config.log)"
	fi
	grep '^kernel-config: [0-9]* of' "$work/config.log" >&2 || true
	echo "$frag_id" >"$work/config.id"
fi

# ------------------------------------------------------------------ build
out=$CACHE/kernel/$rel
# The kernel's uapi headers (`make headers`: no rsync needed) in
# $out/uapi/include, for user space built against this kernel's interfaces
# (the agent's iommufd/VFIO VMM, harness/agent/vmm.c). Patches do not touch
# uapi, so a kernel built before this step gets them on its next selection.
install_uapi() {
	kmake -s headers >"$work/headers.log" 2>&1 || die "make headers failed (log: $work/headers.log)"
	rm -rf "$out/uapi.tmp"
	mkdir -p "$out/uapi.tmp"
	cp -a "$obj/usr/include" "$out/uapi.tmp/"
	rm -rf "$out/uapi"
	mv "$out/uapi.tmp" "$out/uapi"
}
if [ -f "$out/.complete" ]; then
	log "built already: $rel ($out)"
	[ -f "$out/uapi/include/linux/iommufd.h" ] || install_uapi
	cat "$out/.complete"
	exit 0
fi
jobs=${LAB_KERNEL_JOBS:-$(nproc)}
log "building $rel in $obj (make -j$jobs Image modules, niced)"
t0=$(date +%s)
kmake -j"$jobs" LOCALVERSION="-lab-${key:0:8}" Image modules >"$work/build.log" 2>&1 || {
	grep -E 'error|Error' "$work/build.log" | head -30 >&2
	die "the build failed (log: $work/build.log)"
}
t_build=$(($(date +%s) - t0))
[ "$(cat "$obj/include/config/kernel.release")" = "$rel" ] ||
	die "built $(cat "$obj/include/config/kernel.release"), expected $rel"
warnings=$(grep -c 'warning:' "$work/build.log" || true)

# ------------------------------------------------------------------ install
rm -rf "$out"
mkdir -p "$out/image"
cp "$obj/arch/arm64/boot/Image" "$out/Image"
cp "$obj/System.map" "$obj/vmlinux" "$out/"
cp "$obj/.config" "$out/config"
kmake -s LOCALVERSION="-lab-${key:0:8}" INSTALL_MOD_PATH="$out/image" DEPMOD=/sbin/depmod \
	modules_install >"$work/install.log" 2>&1 || {
	tail -20 "$work/install.log" >&2
	die "modules_install failed (log: $work/install.log)"
}
rm -f "$out/image/lib/modules/$rel/build" "$out/image/lib/modules/$rel/source"
[ -f "$out/image/lib/modules/$rel/modules.dep" ] || die "no modules.dep after modules_install"
install_uapi

# The out-of-tree module tree: what kbuild generated (config, headers,
# host programs, Module.symvers), over the unpatched source, so it stays
# this kernel's when the build directory moves on to other patches.
b=$out/build
mkdir -p "$b/arch/arm64"
(cd "$obj" && cp -a .config Module.symvers include scripts "$b/")
cp -a "$obj/arch/arm64/include" "$b/arch/arm64/"
[ ! -d "$obj/tools/objtool" ] || { mkdir -p "$b/tools/objtool"; cp -a "$obj/tools/objtool/objtool" "$b/tools/objtool/" 2>/dev/null || true; }
find "$b/scripts" -name '*.o' -delete
printf '# lab/setup/lab-kernel.sh: the module tree of %s\nexport KBUILD_OUTPUT = %s\ninclude %s/Makefile\n' \
	"$rel" "$b" "$pristine" >"$b/Makefile"

{
	echo "release=$rel"
	echo "key=$key"
	if [ -z "$ksrc" ]; then
		echo "$(dpkg-deb -f "$SOURCE_DEB" Package):all=$(dpkg-deb -f "$SOURCE_DEB" Version)"
	else
		echo "ksrc=$ksrc"
	fi
	echo "source_id=$src_id"
	echo "fragments=$(for f in "${frags[@]}"; do printf '%s ' "${f#"$repo"/}"; done | sed 's/ $//')"
	echo "fragments_sha256=$frag_id"
	echo "patches=$(for p in ${patches[@]+"${patches[@]}"}; do printf '%s ' "${p#"$repo"/}"; done | sed 's/ $//')"
	echo "patches_sha256=$patch_id"
	echo "tools=$tool_id"
} >"$out/.complete.tmp"
mv "$out/.complete.tmp" "$out/.complete"
log "built $rel in $(($(date +%s) - t_start)) s (make: $t_build s, $warnings compiler warnings; log $work/build.log)"
cat "$out/.complete"
