#!/usr/bin/env bash
# Build the DUT's base initramfs (an uncompressed newc cpio) from unpacked
# Debian arm64 packages: busybox, fio, kexec, the libraries the DUT agent
# needs, their ELF closure and the kernel modules the DUT boots with.
#
# Usage: [ALL_MODULES=1] mkinitramfs.sh SYSROOT KERNEL_ROOT KERNEL_RELEASE INIT OUT.cpio
#   SYSROOT      arm64 packages unpacked with dpkg -x
#   KERNEL_ROOT  the linux-image package unpacked (lib/modules/REL, after depmod)
#   INIT         the /init script
set -euo pipefail
export PATH=$PATH:/sbin:/usr/sbin # modprobe

[ $# = 5 ] || { echo "usage: $0 SYSROOT KERNEL_ROOT KERNEL_RELEASE INIT OUT" >&2; exit 2; }
sysroot=$1 kroot=$2 rel=$3 init=$4 out=$5
readelf=${READELF:-aarch64-linux-gnu-readelf}

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT

mkdir -p "$stage"/{bin,sbin,usr/bin,usr/sbin,etc,proc,sys,dev,tmp,run,mnt,root,var/log} \
	"$stage/lib/modules/$rel" "$stage/lib/aarch64-linux-gnu" "$stage/opt/smmu-hil"

# Library search path inside the sysroot, in the loader's order.
libdirs=("$sysroot/lib/aarch64-linux-gnu" "$sysroot/usr/lib/aarch64-linux-gnu")
while IFS= read -r d; do libdirs+=("$d"); done < <(find "$sysroot/usr/lib/aarch64-linux-gnu" -mindepth 1 -maxdepth 2 -type d 2>/dev/null | sort)

find_lib() {
	local d
	for d in "${libdirs[@]}"; do
		if [ -e "$d/$1" ]; then
			echo "$d/$1"
			return 0
		fi
	done
	return 1
}

declare -A seen=()
copy_closure() { # ELF files: copy their DT_NEEDED closure into /lib/aarch64-linux-gnu
	local f lib path
	for f in "$@"; do
		while IFS= read -r lib; do
			[ -n "${seen[$lib]:-}" ] && continue
			seen[$lib]=1
			path=$(find_lib "$lib") || { echo "mkinitramfs: $lib (needed by $f) not in sysroot" >&2; exit 1; }
			cp -L "$path" "$stage/lib/aarch64-linux-gnu/$lib"
			copy_closure "$path"
		done < <("$readelf" -d "$f" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
	done
}

install_bin() { # SRC DEST(relative to /)
	[ -f "$1" ] || { echo "mkinitramfs: missing $1" >&2; exit 1; }
	cp -L "$1" "$stage/$2"
}

install_bin "$sysroot/bin/busybox" bin/busybox
install_bin "$sysroot/usr/bin/fio" usr/bin/fio
install_bin "$sysroot/sbin/kexec" sbin/kexec
install_bin "$sysroot/usr/bin/iperf3" usr/bin/iperf3
# SSH server for the lab's ssh target (host keys and authorized_keys come
# from the lab's per-run overlay; lab/dut/init starts it when they are there)
install_bin "$sysroot/usr/sbin/dropbear" usr/sbin/dropbear
# perf (Debian's linux-perf: /usr/bin/perf is the tool itself)
install_bin "$sysroot/usr/bin/perf" usr/bin/perf
copy_closure "$stage/usr/bin/fio" "$stage/sbin/kexec" "$stage/usr/bin/iperf3" \
	"$stage/usr/sbin/dropbear" "$stage/usr/bin/perf"
# The DUT agent is built later (build/arm64/smmu-hil) and added by the lab as an
# overlay; ship the shared libraries it links against now.
for lib in libpci.so.3 libjson-c.so.5 libyaml-0.so.2; do
	path=$(find_lib "$lib") || { echo "mkinitramfs: $lib not in sysroot" >&2; exit 1; }
	cp -L "$path" "$stage/lib/aarch64-linux-gnu/$lib"
	copy_closure "$path"
done
cp -L "$sysroot/lib/ld-linux-aarch64.so.1" "$stage/lib/ld-linux-aarch64.so.1"
# pci.ids for libpci's names (optional, small)
if [ -f "$sysroot/usr/share/misc/pci.ids" ]; then
	mkdir -p "$stage/usr/share/misc"
	cp "$sysroot/usr/share/misc/pci.ids" "$stage/usr/share/misc/"
fi

# Kernel modules the DUT needs at boot, with their dependencies, in load order
# (kmod's modprobe resolves names, aliases and dependencies from the
# depmod'ed tree; what a kernel has built in needs nothing). ext4 (which
# mounts ext2) for LAVA's test overlay disk (docs/lava.md); crc32c is the
# crypto API's checksum ext4 asks for on 6.1 (crc32c_generic there,
# crc32c-cryptoapi on 7.x).
mods=(virtio_pci virtio_blk virtio_net 9pnet_virtio 9p crc32c ext4)
moddir=$kroot/lib/modules/$rel
[ -f "$moddir/modules.dep" ] || { echo "mkinitramfs: no $moddir/modules.dep (run depmod)" >&2; exit 1; }
kroot_abs=$(cd "$kroot" && pwd)
declare -A modseen=()
order=()
add_mod() { # module name or alias
	local out line path
	out=$(modprobe -d "$kroot_abs" -S "$rel" --show-depends "$1" 2>&1) ||
		{ echo "mkinitramfs: module $1: $out" >&2; exit 1; }
	while read -r line; do
		case "$line" in
		builtin\ *) continue ;;
		insmod\ *) ;;
		*) echo "mkinitramfs: module $1: unexpected '$line' from modprobe" >&2; exit 1 ;;
		esac
		line=${line#insmod }
		path=${line%% *}
		path=${path#*/lib/modules/"$rel"/}
		[ -n "${modseen[$path]:-}" ] && continue
		modseen[$path]=1
		mkdir -p "$stage/lib/modules/$rel/$(dirname "$path")"
		case "$path" in
		*.xz) xz -dc "$moddir/$path" >"$stage/lib/modules/$rel/${path%.xz}"; path=${path%.xz} ;;
		*) cp "$moddir/$path" "$stage/lib/modules/$rel/$path" ;;
		esac
		order+=("$path")
	done <<<"$out"
}
for m in "${mods[@]}"; do add_mod "$m"; done
printf '%s\n' "${order[@]}" >"$stage/etc/modules-load.order"
# ALL_MODULES=1 (the lab kernel, a few dozen modules): every module and
# depmod's indexes as well, for modprobe on the DUT (arm-smmu-v3-test,
# vfio-pci ...); only the ones above load at boot
if [ "${ALL_MODULES:-}" = 1 ]; then
	(cd "$moddir" && find . -name 'modules.*' -o -name '*.ko' -o -name '*.ko.xz') | while read -r f; do
		f=${f#./}
		mkdir -p "$stage/lib/modules/$rel/$(dirname "$f")"
		cp "$moddir/$f" "$stage/lib/modules/$rel/$f"
	done
fi

install -m 0755 "$init" "$stage/init"
cat >"$stage/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
EOF
echo "root:x:0:" >"$stage/etc/group"
printf '/bin/sh\n' >"$stage/etc/shells"
echo "$rel" >"$stage/etc/smmu-hil-kernel"

(cd "$stage" && find . -print0 | LC_ALL=C sort -z | cpio --null -o -H newc --owner=0:0 --quiet) >"$out.tmp"
mv "$out.tmp" "$out"
echo "mkinitramfs: $(du -h "$out" | cut -f1) $(find "$stage" -type f | wc -l) files, ${#order[@]} modules" >&2
