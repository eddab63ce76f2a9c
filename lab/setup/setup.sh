#!/usr/bin/env bash
# smmu-hil set-up: host packages, the emulated DUT's arm64 packages, and its initramfs.
#
# Idempotent: every stage writes a stamp naming its inputs; a second run with the
# same inputs does nothing. Everything downloaded or built goes under
# $SMMU_HIL_CACHE (default ~/.cache/smmu-hil), never into the repository.
#
# Usage: lab/setup/setup.sh [host|dut|lava|all]   (default: all)
#
# Environment:
#   SMMU_HIL_CACHE       cache directory (default ~/.cache/smmu-hil)
#   SMMU_HIL_KERNEL_ABI  force a kernel ABI, e.g. 6.1.0-56 (default: newest with headers)
#   SMMU_HIL_REFRESH=1   re-resolve the DUT packages instead of using $SMMU_HIL_CACHE/dut.lock
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
CACHE=${SMMU_HIL_CACHE:-$HOME/.cache/smmu-hil}
what=${1:-all}

log() { printf 'setup: %s\n' "$*" >&2; }
die() { printf 'setup: error: %s\n' "$*" >&2; exit 1; }

SUDO=
if [ "$(id -u)" != 0 ]; then
	command -v sudo >/dev/null || die "not root and no sudo: cannot apt-get install"
	SUDO=sudo
fi

# Host packages: build (C, cross, kernel modules), tests (cmocka, pytest,
# libFuzzer via clang), the emulated DUT (QEMU 10 from bookworm-backports,
# setup_qemu; UEFI firmware) and reports.
HOST_PKGS=(
	build-essential pkg-config make gcc clang libclang-rt-14-dev
	gcc-aarch64-linux-gnu binutils-aarch64-linux-gnu libc6-dev-arm64-cross
	libcmocka-dev libjson-c-dev libyaml-dev libpci-dev
	qemu-system-arm qemu-efi-aarch64 qemu-utils
	kmod cpio e2fsprogs bc flex bison libelf-dev libssl-dev dwarves
	python3 python3-pytest python3-pexpect python3-yaml python3-matplotlib python3-jinja2 python3-jsonschema python3-tenacity
	fio iperf3 valgrind
	openipmi ipmitool openssh-client dropbear-bin
	lava-dispatcher
)
# arm64 development libraries the DUT agent links against (multiarch, so
# aarch64-linux-gnu-gcc finds them in /usr/lib/aarch64-linux-gnu).
HOST_ARM64_PKGS=(libpci-dev:arm64 libjson-c-dev:arm64 libyaml-dev:arm64)

missing_pkgs() {
	local p name arch native st
	native=$(dpkg --print-architecture)
	for p in "$@"; do
		name=${p%%:*}
		arch=${native}
		[ "$name" != "$p" ] && arch=${p#*:}
		# A package may be installed for several architectures: look for ours (or all).
		st=$(dpkg-query -W -f='${Architecture} ${Status}\n' "$name" 2>/dev/null || true)
		grep -Eq "^($arch|all) install ok installed$" <<<"$st" || printf '%s\n' "$p"
	done
}

apt_updated=0
apt_update() {
	[ $apt_updated = 1 ] && return
	log "apt-get update"
	$SUDO apt-get update -qq >/dev/null
	apt_updated=1
}

# QEMU 10 from bookworm-backports for the emulated DUT: its -M virt has a
# nested (stage 1 + stage 2) SMMUv3, its -M virt-9.1 with -global
# arm-smmuv3.stage=1|2 a stage-1-only or stage-2-only one
# (lab/smmu_hil_lab/smmu_model.py); bookworm's QEMU 7.2 has stage 1 only.
# A deb822 source for bookworm-backports (signed by Debian's archive key) and
# an apt pin for the QEMU packages (and seabios, which qemu-system-x86 10
# needs): every apt-get install then takes QEMU from backports, including
# the qemu-system-x86 that libguestfs (LAVA) pulls in, which shares
# qemu-system-common with qemu-system-arm.
QEMU_MIN_VERSION=1:9.2
BACKPORTS_SOURCE=/etc/apt/sources.list.d/smmu-hil-bookworm-backports.sources
QEMU_PIN=/etc/apt/preferences.d/smmu-hil-qemu

# Write @2 (text) to root-owned file @1 unless it holds it already; 0 when written.
write_root_file() {
	[ "$(cat "$1" 2>/dev/null)" = "$2" ] && return 1
	$SUDO mkdir -p "$(dirname "$1")"
	printf '%s\n' "$2" | $SUDO tee "$1" >/dev/null
}

setup_backports() {
	local mirror src pin
	# bookworm-backports from another source file (an admin's, a mirror) is as good
	if ! grep -rqsE --exclude="$(basename "$BACKPORTS_SOURCE")" \
		'^[^#]*bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
		# the mirror the host's bookworm comes from
		mirror=$(apt-cache policy 2>/dev/null |
			sed -n 's|^ *[0-9]* \(https\{0,1\}://[^ ]*\) bookworm/main .*|\1|p' | head -1)
		src=$(printf 'Types: deb\nURIs: %s\nSuites: bookworm-backports\nComponents: main\nSigned-By: %s' \
			"${mirror:-http://deb.debian.org/debian}" /usr/share/keyrings/debian-archive-keyring.gpg)
		if write_root_file "$BACKPORTS_SOURCE" "$src"; then
			log "added bookworm-backports: $BACKPORTS_SOURCE"
			apt_updated=0
		fi
	fi
	pin=$(printf '# smmu-hil (lab/setup/setup.sh): QEMU 10 for the nested SMMUv3\nPackage: qemu-system qemu-system-* qemu-utils qemu-block-extra seabios\nPin: release n=bookworm-backports\nPin-Priority: 600')
	if write_root_file "$QEMU_PIN" "$pin"; then
		log "pinned QEMU to bookworm-backports: $QEMU_PIN"
	fi
}

# QEMU >= 9.2 installed (an older one upgraded from bookworm-backports).
setup_qemu() {
	local v cand pkgs=(qemu-system-arm qemu-utils)
	v=$(dpkg-query -W -f='${Version}' qemu-system-arm 2>/dev/null || true)
	if [ -n "$v" ] && dpkg --compare-versions "$v" ge "$QEMU_MIN_VERSION"; then
		log "QEMU: $v"
		return
	fi
	# installed alongside, it must move with qemu-system-common
	[ -z "$(missing_pkgs qemu-system-x86)" ] && pkgs+=(qemu-system-x86)
	apt_update
	cand=$(apt-cache policy qemu-system-arm | sed -n 's/ *Candidate: //p')
	if [ -z "$cand" ] || [ "$cand" = "(none)" ] || ! dpkg --compare-versions "$cand" ge "$QEMU_MIN_VERSION"; then
		die "no qemu-system-arm >= $QEMU_MIN_VERSION in apt's lists (candidate: ${cand:-none}); is bookworm-backports reachable?"
	fi
	log "apt-get install QEMU $cand (bookworm-backports): ${pkgs[*]}"
	$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
		"${pkgs[@]}" >/dev/null
}

setup_host() {
	if ! dpkg --print-foreign-architectures | grep -qx arm64; then
		log "enabling the arm64 foreign architecture"
		$SUDO dpkg --add-architecture arm64
		apt_updated=0
	fi
	# An arm64 package list must exist before arm64 packages can be resolved.
	local cand
	cand=$(apt-cache policy busybox-static:arm64 2>/dev/null | sed -n 's/ *Candidate: //p')
	if [ -z "$cand" ] || [ "$cand" = "(none)" ]; then
		apt_update
	fi
	# before any install: QEMU comes from bookworm-backports
	setup_backports
	local miss
	mapfile -t miss < <(missing_pkgs "${HOST_PKGS[@]}" "${HOST_ARM64_PKGS[@]}")
	if [ ${#miss[@]} -gt 0 ]; then
		apt_update
		log "apt-get install ${miss[*]}"
		$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			--no-install-recommends "${miss[@]}" >/dev/null
	else
		log "host packages: all present"
	fi
	setup_qemu
}

# dkms and Debian's amd64 6.1 headers, for `make test-dkms` (lab/setup/dkms.sh
# builds the modules with dkms for the host's architecture too): the headers
# of the DUT's kernel ABI (dut.lock) if the archive has them for amd64, else
# the newest 6.1 amd64 headers. The release goes to $CACHE/host-headers.lock.
# Also shellcheck (a small package), for lab/tests/test_ci.py's check of ci/.
setup_host_headers() {
	local abi pkg cand lock=$CACHE/host-headers.lock miss
	if [ "$(dpkg --print-architecture)" != amd64 ]; then
		log "amd64 headers for test-dkms: not an amd64 host, skipped"
		return
	fi
	abi=$(sed -n 's/^kernel_abi=//p' "$CACHE/dut.lock" 2>/dev/null || true)
	abi=${abi:-${SMMU_HIL_KERNEL_ABI:-}}
	pkg=
	if [ -n "$abi" ]; then
		cand=$(apt-cache policy "linux-headers-$abi-amd64" 2>/dev/null | sed -n 's/ *Candidate: //p')
		[ -n "$cand" ] && [ "$cand" != "(none)" ] && pkg=linux-headers-$abi-amd64
	fi
	if [ -z "$pkg" ]; then
		pkg=$(apt-cache search --names-only '^linux-headers-6\.1\.0-[0-9]+-amd64$' |
			sed -n 's/^\(linux-headers-6\.1\.0-[0-9]*-amd64\) .*/\1/p' | sort -V | tail -1)
		[ -n "$pkg" ] || die "no linux-headers-6.1.0-*-amd64 in the apt lists"
		log "no amd64 headers for the DUT ABI ${abi:-?}: using $pkg"
	fi
	mapfile -t miss < <(missing_pkgs dkms shellcheck "$pkg")
	if [ ${#miss[@]} -gt 0 ]; then
		apt_update
		log "apt-get install ${miss[*]}"
		$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			--no-install-recommends "${miss[@]}" >/dev/null
	fi
	echo "host_kernel_release=${pkg#linux-headers-}" >"$lock.tmp"
	mv "$lock.tmp" "$lock"
	log "amd64 headers for test-dkms: ${pkg#linux-headers-}"
}

# ---------------------------------------------------------------- DUT packages

# What the DUT runs besides the kernel: busybox (init, shell), fio (disk
# workload), kexec-tools (live update), iperf3 (NIC workload), dropbear (SSH
# server for the lab's `ssh` target), perf (CPU and SMMUv3 PMCG counters
# during the live update), and the libraries the agent links against. Their
# run-time closure is resolved by apt.
DUT_PKGS=(busybox-static:arm64 fio:arm64 kexec-tools:arm64 iperf3:arm64 dropbear-bin:arm64
	linux-perf:arm64 libpci3:arm64 libjson-c5:arm64 libyaml-0-2:arm64)

# Newest 6.1 arm64 kernel ABI whose image and headers have the same version.
resolve_kernel_abi() {
	if [ -n "${SMMU_HIL_KERNEL_ABI:-}" ]; then
		echo "$SMMU_HIL_KERNEL_ABI"
		return
	fi
	local abi iv hv
	for abi in $(apt-cache search --names-only '^linux-image-6\.1\.0-[0-9]+-arm64$' |
		sed -n 's/^linux-image-\(6\.1\.0-[0-9]*\)-arm64 .*/\1/p' | sort -Vr); do
		iv=$(apt-cache policy "linux-image-$abi-arm64:arm64" | sed -n 's/ *Candidate: //p')
		hv=$(apt-cache policy "linux-headers-$abi-arm64:arm64" | sed -n 's/ *Candidate: //p')
		if [ -n "$iv" ] && [ "$iv" != "(none)" ] && [ "$iv" = "$hv" ]; then
			echo "$abi"
			return
		fi
	done
	die "no linux-image-6.1.0-*-arm64 with matching headers in the apt lists"
}

# Print "name:arch=version" for the arm64 run-time closure of the given
# packages, as apt resolves it on an empty system (so packages already on the
# host are still listed).
resolve_closure() {
	apt-get -s -o Dir::State::status=/dev/null install --no-install-recommends "$@" 2>/dev/null |
		sed -n 's/^Inst \([^ ]*\) (\([^ ]*\) .*\[\(arm64\|all\)\].*/\1 \2 \3/p' |
		while read -r name ver arch; do
			name=${name%:arm64}
			printf '%s:%s=%s\n' "$name" "$arch" "$ver"
		done | sort -u
}

setup_dut_packages() {
	local abi kver lock newlock
	lock=$CACHE/dut.lock
	# The lock pins what was resolved; re-resolve only when asked to.
	# A changed package list (this script) also re-resolves.
	if [ -z "${SMMU_HIL_REFRESH:-}" ] && [ -f "$lock" ] && [ -f "$CACHE/debs/.complete" ] &&
		grep -qxF "# requested: ${DUT_PKGS[*]}" "$lock"; then
		log "DUT packages: locked ($(sed -n 's/^kernel_release=//p' "$lock"), $(grep -c '=' "$lock") entries; SMMU_HIL_REFRESH=1 re-resolves)"
		return
	fi
	abi=$(resolve_kernel_abi)
	newlock=$(mktemp)
	trap 'rm -f "$newlock"' RETURN
	kver=$(apt-cache policy "linux-image-$abi-arm64:arm64" | sed -n 's/ *Candidate: //p')
	{
		echo "# smmu-hil DUT package lock: resolved by lab/setup/setup.sh"
		echo "# requested: ${DUT_PKGS[*]}"
		echo "kernel_abi=$abi"
		echo "kernel_release=$abi-arm64"
		echo "linux-image-$abi-arm64:arm64=$kver"
		echo "linux-headers-$abi-arm64:arm64=$kver"
		echo "linux-headers-$abi-common:all=$(apt-cache policy "linux-headers-$abi-common" | sed -n 's/ *Candidate: //p')"
		echo "linux-kbuild-6.1:amd64=$(apt-cache policy linux-kbuild-6.1:amd64 | sed -n 's/ *Candidate: //p')"
		resolve_closure "${DUT_PKGS[@]}" |
			grep -v '^linux-image\|^linux-headers\|^linux-kbuild'
	} >"$newlock"
	mkdir -p "$CACHE/debs"
	if [ -f "$lock" ] && cmp -s "$lock" "$newlock" && [ -f "$CACHE/debs/.complete" ]; then
		log "DUT packages: up to date (kernel $abi, $(grep -c '=' "$lock") entries)"
		return
	fi
	log "downloading DUT packages for kernel $abi"
	rm -f "$CACHE/debs/.complete"
	local specs=()
	while IFS= read -r line; do
		case "$line" in \#* | kernel_*) continue ;; esac
		local nv=${line%%=*} ver=${line#*=} name arch
		name=${nv%%:*}
		arch=${nv##*:}
		if [ "$arch" = all ]; then specs+=("$name=$ver"); else specs+=("$name:$arch=$ver"); fi
	done <"$newlock"
	(cd "$CACHE/debs" && apt-get download -qq -o APT::Sandbox::User=root "${specs[@]}" >/dev/null) ||
		die "apt-get download failed (see above)"
	# Record a checksum of every downloaded file next to the versions.
	(cd "$CACHE/debs" && sha256sum ./*.deb | sed 's|  \./|  |') >"$CACHE/debs/SHA256SUMS"
	install -m 0644 "$newlock" "$lock"
	touch "$CACHE/debs/.complete"
	# What was unpacked from older packages is redone by the stamps below.
}

deb_of() { # name [arch]: path of the downloaded .deb
	local f
	f=$(ls "$CACHE/debs/$1"_*"_${2:-arm64}.deb" 2>/dev/null | head -1)
	[ -n "$f" ] || die "missing package $1 (${2:-arm64}) in $CACHE/debs"
	echo "$f"
}

setup_kernel() {
	local abi rel kdir hdr stamp
	abi=$(sed -n 's/^kernel_abi=//p' "$CACHE/dut.lock")
	rel=$abi-arm64
	kdir=$CACHE/kernel/$rel
	stamp=$kdir/.stamp
	# Only the kernel's own packages matter here.
	if [ -f "$stamp" ] && cmp -s "$stamp" <(grep -E '^(kernel_|linux-)' "$CACHE/dut.lock"); then
		log "kernel $rel: unpacked"
		return
	fi
	log "unpacking kernel $rel"
	rm -rf "$kdir"
	mkdir -p "$kdir/image" "$kdir/headers"
	dpkg -x "$(deb_of "linux-image-$rel")" "$kdir/image"
	depmod -b "$kdir/image" "$rel"
	ln -sf "image/boot/vmlinuz-$rel" "$kdir/Image"
	# Out-of-tree module build tree: arch headers + common headers + host kbuild tools.
	dpkg -x "$(deb_of "linux-headers-$rel")" "$kdir/headers"
	dpkg -x "$(deb_of "linux-headers-$abi-common" all)" "$kdir/headers"
	dpkg -x "$(deb_of linux-kbuild-6.1 amd64)" "$kdir/headers"
	hdr=$kdir/headers/usr/src/linux-headers-$rel
	[ -f "$hdr/Makefile" ] || die "unexpected headers layout: no $hdr/Makefile"
	# The arch headers' Makefile includes the -common tree by an absolute /usr/src path.
	sed -i "s|/usr/src/linux-headers-$abi-common|$kdir/headers/usr/src/linux-headers-$abi-common|g" "$hdr/Makefile"
	ln -sfn "$hdr" "$kdir/build"
	grep -E '^(kernel_|linux-)' "$CACHE/dut.lock" >"$stamp"
}

setup_sysroot() {
	# The stamp names the lock and this function, so a change to either re-unpacks.
	local stamp=$CACHE/sysroot/.stamp inputs
	inputs=$( (cat "$CACHE/dut.lock"; declare -f setup_sysroot) | sha256sum)
	if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$inputs" ]; then
		log "arm64 run-time sysroot: unpacked"
		return
	fi
	log "unpacking the arm64 run-time packages"
	rm -rf "$CACHE/sysroot"
	mkdir -p "$CACHE/sysroot"
	local f
	for f in "$CACHE"/debs/*_arm64.deb "$CACHE"/debs/*_all.deb; do
		case "$(basename "$f")" in linux-image-* | linux-headers-* | linux-kbuild-*) continue ;; esac
		dpkg -x "$f" "$CACHE/sysroot"
	done
	echo "$inputs" >"$stamp"
}

setup_initramfs() {
	local abi rel inputs stamp
	abi=$(sed -n 's/^kernel_abi=//p' "$CACHE/dut.lock")
	rel=$abi-arm64
	stamp=$CACHE/initramfs/.stamp
	inputs=$( (cat "$CACHE/dut.lock" "$CACHE/sysroot/.stamp"; cat "$here/mkinitramfs.sh" "$repo/lab/dut/init") | sha256sum)
	if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$inputs" ]; then
		log "DUT initramfs: built"
		return
	fi
	log "building the DUT initramfs"
	mkdir -p "$CACHE/initramfs"
	"$here/mkinitramfs.sh" "$CACHE/sysroot" "$CACHE/kernel/$rel/image" "$rel" \
		"$repo/lab/dut/init" "$CACHE/initramfs/base.cpio"
	echo "$inputs" >"$stamp"
}

# LAVA's qemu jobs (docs/lava.md) put the test overlay on a disk built with
# libguestfs, whose supermin appliance needs a host kernel (there may be none
# in /boot): Debian's amd64 image of the DUT's kernel ABI, unpacked into the
# cache; lab/smmu_hil_lab/lava.py points SUPERMIN_KERNEL* at it.
setup_supermin_kernel() {
	local abi rel pkg dir
	abi=$(sed -n 's/^kernel_abi=//p' "$CACHE/dut.lock")
	rel=$abi-amd64
	pkg=linux-image-$rel-unsigned
	dir=$CACHE/supermin/$rel
	if [ -f "$dir/.stamp" ]; then
		log "host kernel for libguestfs: $rel unpacked"
		return
	fi
	log "unpacking host kernel $rel for libguestfs (LAVA jobs)"
	rm -rf "$dir"
	mkdir -p "$dir" "$CACHE/debs-host"
	(cd "$CACHE/debs-host" && apt-get download -qq -o APT::Sandbox::User=root "$pkg" >/dev/null) ||
		die "apt-get download $pkg failed"
	dpkg -x "$(ls "$CACHE/debs-host/${pkg}"_*_amd64.deb | head -1)" "$dir"
	depmod -b "$dir" "$rel"
	echo "$pkg" >"$dir/.stamp"
}

case "$what" in
host)
	setup_host
	setup_host_headers
	;;
dut)
	setup_dut_packages
	setup_kernel
	setup_sysroot
	setup_initramfs
	;;
all)
	setup_host
	setup_dut_packages
	setup_kernel
	setup_sysroot
	setup_initramfs
	setup_host_headers
	setup_supermin_kernel
	;;
lava) setup_supermin_kernel ;;
*) die "usage: $0 [host|dut|lava|all]" ;;
esac
log "done (cache: $CACHE)"
