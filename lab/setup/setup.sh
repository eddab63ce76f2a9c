#!/usr/bin/env bash
# smmu-hil set-up: host packages, the emulated DUT's arm64 packages, and its initramfs.
#
# Idempotent: every stage writes a stamp naming its inputs; a second run with the
# same inputs does nothing. Everything downloaded or built goes under
# $SMMU_HIL_CACHE (default ~/.cache/smmu-hil), never into the repository.
#
# Usage: lab/setup/setup.sh [host|dut|lava|all|release|lab]   (default: all)
#   release  print the locked release of DUT_KERNEL (empty if not set up)
#   lab      (make lab-kernel) build the lab kernel for KSRC, PATCHES and
#            FRAGMENTS (lab/setup/lab-kernel.sh; a no-op when built), lock it
#            as [kernel lab] and build its DUT initramfs
#
# Environment:
#   DUT_KERNEL           the DUT's kernel (docs/kernels.md): 7.x (default: the
#                        newest Debian 7.x from trixie-backports), 6.12
#                        (bookworm-backports), 6.1 (bookworm) or lab (the
#                        lab kernel built from source: docs/kernels.md)
#   KSRC, PATCHES, FRAGMENTS  the lab kernel's inputs (lab/setup/lab-kernel.sh)
#   SMMU_HIL_CACHE       cache directory (default ~/.cache/smmu-hil)
#   SMMU_HIL_KERNEL_ABI  6.1 only: force a kernel ABI, e.g. 6.1.0-56 (default: newest with headers)
#   SMMU_HIL_REFRESH=1   re-resolve the DUT packages instead of using $SMMU_HIL_CACHE/dut.lock
#   SMMU_HIL_DEBIAN_MIRROR  the Debian archive for trixie- and bookworm-backports
#                        (default: the one the host's apt sources use for bookworm)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
CACHE=${SMMU_HIL_CACHE:-$HOME/.cache/smmu-hil}
what=${1:-all}

log() { printf 'setup: %s\n' "$*" >&2; }
die() { printf 'setup: error: %s\n' "$*" >&2; exit 1; }

DUT_KERNEL=${DUT_KERNEL:-7.x}
case $DUT_KERNEL in
7.x | 6.12 | 6.1 | lab) ;;
*) die "DUT_KERNEL=$DUT_KERNEL: must be one of 7.x, 6.12, 6.1, lab" ;;
esac

SUDO=
if [ "$(id -u)" != 0 ] && [ "$what" != release ]; then
	command -v sudo >/dev/null || die "not root and no sudo: cannot apt-get install"
	SUDO=sudo
fi

# Host packages: build (C, cross, kernel modules), tests (cmocka, pytest,
# libFuzzer via clang), the emulated DUT (QEMU 10 from bookworm-backports,
# setup_qemu; UEFI firmware), ACPICA's iasl (the emulated DUT's IORT option,
# lab/smmu_hil_lab/iort.py) and reports.
HOST_PKGS=(
	build-essential pkg-config make gcc clang libclang-rt-14-dev
	gcc-aarch64-linux-gnu binutils-aarch64-linux-gnu libc6-dev-arm64-cross
	libcmocka-dev libjson-c-dev libyaml-dev libpci-dev
	qemu-system-arm qemu-efi-aarch64 qemu-utils
	kmod cpio e2fsprogs bc flex bison libelf-dev libssl-dev dwarves
	acpica-tools
	python3 python3-pytest python3-pexpect python3-yaml python3-matplotlib python3-jinja2 python3-jsonschema python3-tenacity python3-tap
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
# of the DUT's 6.1 kernel ABI (dut.lock) if the archive has them for amd64,
# else the newest 6.1 amd64 headers. The release goes to
# $CACHE/host-headers.lock (host_kernel_release=), which also names the amd64
# kernel libguestfs boots (setup_supermin_kernel).
# Also shellcheck (a small package), for lab/tests/test_ci.py's check of ci/.
setup_host_headers() {
	local abi pkg cand lock=$CACHE/host-headers.lock miss
	if [ "$(dpkg --print-architecture)" != amd64 ]; then
		log "amd64 headers for test-dkms: not an amd64 host, skipped"
		return
	fi
	abi=$(lock_get "kernel 6.1" abi)
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
#
# $SMMU_HIL_CACHE/dut.lock pins every package the emulated DUT is made of, in
# sections (an INI file; lab/smmu_hil_lab/paths.py reads it with configparser):
#   [dut]          the DUT's user space (Debian 12 arm64, shared by every kernel)
#   [kernel 7.x]   one section per DUT_KERNEL: release=, suite=, and the
#   [kernel 6.12]  kernel's packages as name:arch=version
#   [kernel 6.1]
# A section is resolved the first time its kernel is set up and kept until
# SMMU_HIL_REFRESH=1; the other sections are left as they are.

LOCK=$CACHE/dut.lock
LOCK_SECTIONS=("dut" "kernel 7.x" "kernel 6.12" "kernel 6.1" "kernel lab")

lock_raw() { # SECTION: the lines of [SECTION] as written (comments too)
	[ -f "$LOCK" ] || return 0
	awk -v h="[$1]" '$0 == h { f = 1; next } /^\[/ { f = 0 } f && NF' "$LOCK"
}
lock_section() { lock_raw "$1" | grep -v '^#' || true; } # SECTION: its name=value lines
lock_get() { lock_section "$1" | awk -F= -v k="$2" '$1 == k { sub(/^[^=]*=/, ""); print; exit }'; }
lock_put() { # SECTION FILE: replace [SECTION] by FILE's lines, keep the others
	local tmp name
	tmp=$(mktemp "$LOCK.XXXXXX")
	{
		echo "# smmu-hil DUT package lock, written by lab/setup/setup.sh; SMMU_HIL_REFRESH=1 re-resolves."
		echo "# [dut]: the DUT's user space (every kernel); [kernel NAME]: one per DUT_KERNEL."
		for name in "${LOCK_SECTIONS[@]}"; do
			if [ "$name" = "$1" ]; then
				printf '[%s]\n' "$name"
				cat "$2"
			elif [ -n "$(lock_raw "$name")" ]; then
				printf '[%s]\n' "$name"
				lock_raw "$name"
			fi
		done
	} >"$tmp"
	chmod 0644 "$tmp"
	mv "$tmp" "$LOCK"
}

# The private apt configuration for the backports suites: its own
# sources.list, package lists and cache under $CACHE/apt. The host's apt
# sources are not touched (trixie's packages are never installed here, only
# downloaded and unpacked into the cache).
PAPT=$CACHE/apt
papt_opts() {
	printf '%s\n' -o "Dir::Etc::SourceList=$PAPT/sources.list" -o "Dir::Etc::SourceParts=/dev/null" \
		-o "Dir::Etc::Preferences=/dev/null" -o "Dir::Etc::PreferencesParts=/dev/null" \
		-o "Dir::State::Lists=$PAPT/lists" -o "Dir::Cache=$PAPT/cache" \
		-o "Dir::State::status=$PAPT/status" -o "APT::Architectures::=amd64" \
		-o "APT::Architectures::=arm64" -o "APT::Sandbox::User=root"
}
papt_get() { local o; mapfile -t o < <(papt_opts); apt-get "${o[@]}" "$@"; }
papt_cache() { local o; mapfile -t o < <(papt_opts); apt-cache "${o[@]}" "$@"; }
papt_updated=0
papt_update() {
	[ $papt_updated = 1 ] && return
	mkdir -p "$PAPT/lists/partial" "$PAPT/cache/archives/partial"
	: >"$PAPT/status"
	local kr=/usr/share/keyrings/debian-archive-keyring.gpg mirror
	[ -f "$kr" ] || die "no $kr (package debian-archive-keyring)"
	# the Debian archive the host already uses for bookworm (or SMMU_HIL_DEBIAN_MIRROR)
	# shellcheck disable=SC2016 # apt's own $(FIELD) format, not the shell's
	mirror=${SMMU_HIL_DEBIAN_MIRROR:-$(apt-get indextargets --format '$(RELEASE) $(REPO_URI)' |
		awk '$1 == "bookworm" { print $2; exit }')}
	[ -n "$mirror" ] ||
		die "no bookworm archive in the host's apt sources to take the backports from (set SMMU_HIL_DEBIAN_MIRROR)"
	cat >"$PAPT/sources.list" <<-EOF
		deb [arch=arm64,amd64 signed-by=$kr] $mirror trixie-backports main
		deb [arch=arm64,amd64 signed-by=$kr] $mirror bookworm-backports main
	EOF
	log "apt-get update (private: trixie-backports, bookworm-backports)"
	papt_get update -qq >/dev/null || die "apt-get update of the backports suites failed"
	papt_updated=1
}

# candidate APT PACKAGE: the version apt would take (empty if none)
candidate() {
	local v
	v=$("$1" policy "$2" 2>/dev/null | sed -n 's/ *Candidate: //p')
	[ "$v" = "(none)" ] || echo "$v"
}

# What the DUT runs besides the kernel: busybox (init, shell), fio (disk
# workload), kexec-tools (live update), iperf3 (NIC workload), dropbear (SSH
# server for the lab's `ssh` target), perf (CPU and SMMUv3 PMCG counters
# during the live update), and the libraries the agent links against. Their
# run-time closure is resolved by apt.
DUT_PKGS=(busybox-static:arm64 fio:arm64 kexec-tools:arm64 iperf3:arm64 dropbear-bin:arm64
	linux-perf:arm64 libpci3:arm64 libjson-c5:arm64 libyaml-0-2:arm64)

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

# download DIR SECTION-FILE: apt-get download every name:arch=version of the
# section into DIR (APT: apt-get or papt_get), SHA256SUMS beside them.
download() {
	local apt=$1 dir=$2 file=$3 specs=() line nv ver name arch
	while IFS= read -r line; do
		nv=${line%%=*} ver=${line#*=}
		case "$nv" in *:*) ;; *) continue ;; esac # release=, suite=, abi=
		name=${nv%%:*} arch=${nv##*:}
		if [ "$arch" = all ]; then specs+=("$name=$ver"); else specs+=("$name:$arch=$ver"); fi
	done < <(grep -v '^#' "$file")
	mkdir -p "$dir"
	(cd "$dir" && "$apt" download -qq -o APT::Sandbox::User=root "${specs[@]}" >/dev/null) ||
		die "apt-get download failed (see above)"
	(cd "$dir" && sha256sum ./*.deb | sed 's|  \./|  |') >"$dir/SHA256SUMS"
}

setup_dut_packages() {
	local new
	# The lock pins what was resolved; re-resolve only when asked to.
	# A changed package list (this script) also re-resolves.
	if [ -z "${SMMU_HIL_REFRESH:-}" ] && [ -f "$CACHE/debs/.complete" ] &&
		lock_raw dut | grep -qxF "# requested: ${DUT_PKGS[*]}"; then
		log "DUT user space: locked ($(lock_section dut | wc -l) packages; SMMU_HIL_REFRESH=1 re-resolves)"
		return
	fi
	new=$(mktemp)
	trap 'rm -f "$new"' RETURN
	{
		echo "# requested: ${DUT_PKGS[*]}"
		resolve_closure "${DUT_PKGS[@]}" | grep -v '^linux-image\|^linux-headers\|^linux-kbuild'
	} >"$new"
	if cmp -s <(lock_raw dut) "$new" && [ -f "$CACHE/debs/.complete" ]; then
		log "DUT user space: up to date ($(grep -c '=' "$new") packages)"
		return
	fi
	log "downloading the DUT's user space"
	rm -f "$CACHE/debs/.complete"
	download apt-get "$CACHE/debs" "$new"
	lock_put dut "$new"
	touch "$CACHE/debs/.complete"
}

# pinned_at VER PKG:ARCH...: print PKG:ARCH=VER for each package when the
# private apt's candidate of every one is VER (an :all package is asked for
# without its architecture); nothing and status 1 when one is not.
pinned_at() {
	local ver=$1 p out=
	shift
	for p; do
		[ "$(candidate papt_cache "${p%:all}")" = "$ver" ] || return 1
		out+="$p=$ver"$'\n'
	done
	printf '%s' "$out"
}

# resolve_kernel NAME: print the [kernel NAME] section for the newest
# kernel of that line whose packages all have the same version.
resolve_kernel() {
	local img rel ver src abi pkgs
	case $1 in
	7.x)
		# trixie-backports: linux-image-REL is a meta package over
		# linux-binary(-unsigned)-REL (the Image), linux-base-REL (config,
		# System.map) and linux-modules-REL; the headers are one
		# arch package; the module build tree comes from linux-source-M.m
		# (lab/setup/modtree.sh: trixie's kbuild needs glibc 2.38 and gcc-14).
		papt_update
		for img in $(papt_cache search --names-only '^linux-image-7\.[0-9]+\.[0-9]+\+deb[0-9]+-arm64$' |
			cut -d' ' -f1 | sort -Vr); do
			rel=${img#linux-image-}
			ver=$(candidate papt_cache "$img:arm64")
			src=linux-source-$(echo "$rel" | cut -d. -f1-2)
			pkgs=$(pinned_at "$ver" "linux-binary-unsigned-$rel:arm64" "linux-base-$rel:arm64" \
				"linux-modules-$rel:arm64" "linux-headers-$rel:arm64" "$src:all") || continue
			echo "suite=trixie-backports"
			echo "release=$rel"
			echo "# $img:arm64=$ver is the meta package over the first three"
			echo "$pkgs"
			return
		done
		die "trixie-backports has no linux-image-7.*-arm64 with binary, base, modules, headers and source of one version"
		;;
	6.12)
		papt_update
		for img in $(papt_cache search --names-only '^linux-image-6\.12\.[0-9]+\+deb12-arm64$' |
			cut -d' ' -f1 | sort -Vr); do
			rel=${img#linux-image-}
			ver=$(candidate papt_cache "$img:arm64")
			abi=${rel%-arm64}
			pkgs=$(pinned_at "$ver" "$img:arm64" "linux-headers-$rel:arm64" \
				"linux-headers-$abi-common:all" "linux-kbuild-$abi:amd64") || continue
			echo "suite=bookworm-backports"
			echo "release=$rel"
			echo "$pkgs"
			return
		done
		die "bookworm-backports has no linux-image-6.12.*-arm64 with headers and kbuild of one version"
		;;
	6.1)
		# bookworm (the host's own apt sources): the newest ABI whose image
		# and headers have the same version, or SMMU_HIL_KERNEL_ABI.
		local abis
		if [ -n "${SMMU_HIL_KERNEL_ABI:-}" ]; then
			abis=$SMMU_HIL_KERNEL_ABI
		else
			abis=$(apt-cache search --names-only '^linux-image-6\.1\.0-[0-9]+-arm64$' |
				sed -n 's/^linux-image-\(6\.1\.0-[0-9]*\)-arm64 .*/\1/p' | sort -Vr)
		fi
		for abi in $abis; do
			ver=$(candidate apt-cache "linux-image-$abi-arm64:arm64")
			if [ -z "$ver" ] || [ "$(candidate apt-cache "linux-headers-$abi-arm64:arm64")" != "$ver" ]; then
				continue
			fi
			echo "suite=bookworm"
			echo "release=$abi-arm64"
			echo "abi=$abi"
			echo "linux-image-$abi-arm64:arm64=$ver"
			echo "linux-headers-$abi-arm64:arm64=$ver"
			echo "linux-headers-$abi-common:all=$(candidate apt-cache "linux-headers-$abi-common")"
			echo "linux-kbuild-6.1:amd64=$(candidate apt-cache linux-kbuild-6.1:amd64)"
			return
		done
		die "no linux-image-6.1.0-*-arm64 with matching headers in the apt lists"
		;;
	esac
}

kernel_release() { lock_get "kernel $DUT_KERNEL" release; }
kernel_dir() { echo "$CACHE/kernel/$(kernel_release)"; }

# The lab kernel (lab/setup/lab-kernel.sh): Debian's linux-source of
# LAB_KERNEL_SOURCE (its version locked in [kernel lab] until
# SMMU_HIL_REFRESH=1) unless KSRC names a tree. Built (or found built) for
# KSRC, PATCHES and FRAGMENTS; its lock lines (release=, key=, the source,
# the fragments' and patches' names and checksums) become [kernel lab].
LAB_KERNEL_SOURCE=linux-source-7.2
setup_lab_kernel() {
	local new ver deb dir=$CACHE/lab-kernel/debs
	new=$(mktemp)
	trap 'rm -f "$new"' RETURN
	if [ -n "${KSRC:-}" ]; then
		"$here/lab-kernel.sh" build >"$new" || die "the lab kernel did not build (above)"
	else
		ver=
		[ -n "${SMMU_HIL_REFRESH:-}" ] || ver=$(lock_get "kernel lab" "$LAB_KERNEL_SOURCE:all")
		if [ -z "$ver" ]; then
			papt_update
			ver=$(candidate papt_cache "$LAB_KERNEL_SOURCE")
			[ -n "$ver" ] || die "no $LAB_KERNEL_SOURCE in trixie-backports"
		fi
		deb=$(ls "$dir/${LAB_KERNEL_SOURCE}_${ver//:/%3a}_all.deb" 2>/dev/null || true)
		if [ -z "$deb" ]; then
			log "downloading $LAB_KERNEL_SOURCE=$ver (trixie-backports)"
			mkdir -p "$dir"
			papt_update
			(cd "$dir" && papt_get download -qq "$LAB_KERNEL_SOURCE=$ver" >/dev/null) ||
				die "apt-get download $LAB_KERNEL_SOURCE=$ver failed"
			deb=$(ls "$dir/${LAB_KERNEL_SOURCE}_${ver//:/%3a}_all.deb")
		fi
		SOURCE_DEB=$deb "$here/lab-kernel.sh" build >"$new" || die "the lab kernel did not build (above)"
	fi
	lock_put "kernel lab" "$new"
	log "lab kernel: $(lock_get "kernel lab" release)"
}

setup_kernel_packages() {
	local sec="kernel $DUT_KERNEL" new rel dir apt=apt-get
	if [ "$DUT_KERNEL" = lab ]; then
		rel=$(kernel_release)
		if [ -n "$rel" ] && cmp -s <(lock_section "$sec") <(grep -v '^#' "$CACHE/kernel/$rel/.complete" 2>/dev/null); then
			log "kernel lab: locked ($rel; make lab-kernel builds another)"
		else
			setup_lab_kernel
		fi
		return
	fi
	rel=$(kernel_release)
	if [ -z "${SMMU_HIL_REFRESH:-}" ] && [ -n "$rel" ] &&
		cmp -s <(lock_raw "$sec") "$CACHE/kernel/$rel/debs/.complete" 2>/dev/null; then
		log "kernel $DUT_KERNEL: locked ($rel; SMMU_HIL_REFRESH=1 re-resolves)"
		return
	fi
	new=$(mktemp)
	trap 'rm -f "$new"' RETURN
	if [ -z "${SMMU_HIL_REFRESH:-}" ] && [ -n "$rel" ]; then
		lock_raw "$sec" >"$new" # locked, not downloaded yet (a fresh cache)
	else
		resolve_kernel "$DUT_KERNEL" >"$new"
	fi
	rel=$(sed -n 's/^release=//p' "$new")
	dir=$CACHE/kernel/$rel/debs
	if cmp -s "$new" "$dir/.complete" 2>/dev/null; then
		lock_put "$sec" "$new"
		log "kernel $DUT_KERNEL: up to date ($rel)"
		return
	fi
	log "downloading kernel $DUT_KERNEL ($rel, $(sed -n 's/^suite=//p' "$new"))"
	case $DUT_KERNEL in 7.x | 6.12) papt_update; apt=papt_get ;; esac
	rm -rf "$dir"
	download "$apt" "$dir" "$new"
	lock_put "$sec" "$new"
	cp "$new" "$dir/.complete"
}

deb_of() { # DIR name [arch]: path of the downloaded .deb
	local f
	f=$(ls "$1/$2"_*"_${3:-arm64}.deb" 2>/dev/null | head -1)
	[ -n "$f" ] || die "missing package $2 (${3:-arm64}) in $1"
	echo "$f"
}

# $CACHE/kernel/REL/: image/ (the kernel and its modules, depmod'ed), Image,
# build (the out-of-tree module build tree), base.cpio (the initramfs).
setup_kernel() {
	local rel kdir debs stamp inputs hdr abi f
	rel=$(kernel_release)
	kdir=$CACHE/kernel/$rel
	debs=$kdir/debs
	stamp=$kdir/.stamp
	# the lab kernel is installed by lab-kernel.sh (Image, image/, build)
	[ "$DUT_KERNEL" != lab ] || return 0
	# the trees' Makefiles hold absolute paths: a moved cache unpacks again
	inputs=$( (lock_raw "kernel $DUT_KERNEL"; declare -f setup_kernel; echo "$kdir"
		[ "$DUT_KERNEL" != 7.x ] || cat "$here/modtree.sh") | sha256sum)
	if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$inputs" ]; then
		log "kernel $rel: unpacked"
		return
	fi
	log "unpacking kernel $rel"
	rm -rf "$kdir/image" "$kdir/headers" "$kdir/modtree" "$kdir/build" "$kdir/Image" "$stamp"
	mkdir -p "$kdir/image"
	for f in "$debs"/linux-image-*_arm64.deb "$debs"/linux-binary-*_arm64.deb \
		"$debs"/linux-base-*_arm64.deb "$debs"/linux-modules-*_arm64.deb; do
		[ -f "$f" ] && dpkg -x "$f" "$kdir/image"
	done
	# 7.x packages install into /usr/lib/modules: depmod -b and the
	# initramfs look in lib/modules (a merged-/usr link)
	if [ ! -e "$kdir/image/lib" ] && [ -d "$kdir/image/usr/lib/modules" ]; then
		ln -s usr/lib "$kdir/image/lib"
	fi
	[ -d "$kdir/image/lib/modules/$rel/kernel" ] || die "no modules for $rel in its packages"
	depmod -b "$kdir/image" "$rel"
	for f in "boot/vmlinuz-$rel" "usr/lib/modules/$rel/vmlinuz" "usr/lib/modules/$rel/vmlinuz.unsigned"; do
		[ -f "$kdir/image/$f" ] && { ln -sfn "image/$f" "$kdir/Image"; break; }
	done
	[ -e "$kdir/Image" ] || die "no vmlinuz for $rel in its packages"
	case $DUT_KERNEL in
	7.x)
		"$here/modtree.sh" "$(ls "$debs"/linux-source-*_all.deb)" \
			"$(deb_of "$debs" "linux-headers-$rel")" "$rel" "$kdir/modtree"
		ln -sfn modtree/obj "$kdir/build"
		;;
	*)
		# Debian's headers (arch + common) and the host kbuild tools, one tree.
		abi=${rel%-arm64}
		mkdir -p "$kdir/headers"
		dpkg -x "$(deb_of "$debs" "linux-headers-$rel")" "$kdir/headers"
		dpkg -x "$(deb_of "$debs" "linux-headers-$abi-common" all)" "$kdir/headers"
		dpkg -x "$(ls "$debs"/linux-kbuild-*_amd64.deb)" "$kdir/headers"
		hdr=$kdir/headers/usr/src/linux-headers-$rel
		[ -f "$hdr/Makefile" ] || die "unexpected headers layout: no $hdr/Makefile"
		# The arch headers' Makefile includes the -common tree by an absolute /usr/src path.
		sed -i "s|/usr/src/linux-headers-$abi-common|$kdir/headers/usr/src/linux-headers-$abi-common|g" "$hdr/Makefile"
		ln -sfn "headers/usr/src/linux-headers-$rel" "$kdir/build"
		;;
	esac
	echo "$inputs" >"$stamp"
}

setup_sysroot() {
	# The stamp names the [dut] section and this function, so a change to either re-unpacks.
	local stamp=$CACHE/sysroot/.stamp inputs
	inputs=$( (lock_raw dut; declare -f setup_sysroot) | sha256sum)
	if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$inputs" ]; then
		log "arm64 run-time sysroot: unpacked"
		return
	fi
	log "unpacking the arm64 run-time packages"
	rm -rf "$CACHE/sysroot"
	mkdir -p "$CACHE/sysroot"
	local f
	for f in "$CACHE"/debs/*_arm64.deb "$CACHE"/debs/*_all.deb; do
		case "$(basename "$f")" in linux-image-* | linux-headers-* | linux-kbuild-* | linux-source-*) continue ;; esac
		dpkg -x "$f" "$CACHE/sysroot"
	done
	echo "$inputs" >"$stamp"
}

setup_initramfs() {
	local rel inputs stamp kdir
	rel=$(kernel_release)
	kdir=$CACHE/kernel/$rel
	stamp=$kdir/.stamp-initramfs
	inputs=$( (lock_raw dut; lock_raw "kernel $DUT_KERNEL"; cat "$CACHE/sysroot/.stamp" \
		"$here/mkinitramfs.sh" "$repo/lab/dut/init") | sha256sum)
	if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$inputs" ]; then
		log "DUT initramfs for $rel: built"
		return
	fi
	log "building the DUT initramfs for $rel"
	# the lab kernel's modules are few: all of them go in (the KUnit
	# suite, vfio-pci ... are loaded on demand)
	ALL_MODULES=$([ "$DUT_KERNEL" != lab ] || echo 1) \
		"$here/mkinitramfs.sh" "$CACHE/sysroot" "$kdir/image" "$rel" \
		"$repo/lab/dut/init" "$kdir/base.cpio"
	echo "$inputs" >"$stamp"
}

# LAVA's qemu jobs (docs/lava.md) put the test overlay on a disk built with
# libguestfs, whose supermin appliance needs a host kernel (there may be none
# in /boot): Debian's amd64 image of the release in host-headers.lock,
# unpacked into the cache; lab/smmu_hil_lab/lava.py points SUPERMIN_KERNEL*
# at it.
setup_supermin_kernel() {
	local rel pkg dir
	rel=$(sed -n 's/^host_kernel_release=//p' "$CACHE/host-headers.lock" 2>/dev/null || true)
	[ -n "$rel" ] || { setup_host_headers; rel=$(sed -n 's/^host_kernel_release=//p' "$CACHE/host-headers.lock"); }
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
release)
	kernel_release
	exit 0
	;;
host)
	setup_host
	setup_host_headers
	;;
dut)
	setup_dut_packages
	setup_kernel_packages
	setup_kernel
	setup_sysroot
	setup_initramfs
	;;
all)
	setup_host
	setup_dut_packages
	setup_kernel_packages
	setup_kernel
	setup_sysroot
	setup_initramfs
	setup_host_headers
	setup_supermin_kernel
	;;
lava) setup_supermin_kernel ;;
lab)
	[ "$DUT_KERNEL" = lab ] || die "setup.sh lab builds the lab kernel: DUT_KERNEL=lab"
	setup_dut_packages
	setup_lab_kernel
	setup_sysroot
	setup_initramfs
	;;
*) die "usage: $0 [host|dut|lava|all|release|lab]" ;;
esac
log "done (DUT_KERNEL=$DUT_KERNEL: $(kernel_release); cache: $CACHE)"
