#!/usr/bin/env bash
# Boot the emulated DUT by hand, console on this terminal (Ctrl-A X quits).
# The lab controller (lab/smmu_hil_lab/targets/qemu.py) builds the same
# machine; this script is for module and agent development.
#
# Usage: lab/dut/qemu-run.sh [extra qemu args]
#   SMMU_HIL_BUILD   build directory (default build/)
#   SMMU_HIL_APPEND  extra kernel command line, e.g. smmu_hil.run=/mnt/host/t.sh
#                    (the DUT runs that script from the 9p share, then powers off)
# Needs `make setup` and `make` first. The initramfs is the cached base plus
# an overlay with build/arm64/smmu-hil, build/modules/*.ko and scenarios/.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
CACHE=${SMMU_HIL_CACHE:-$HOME/.cache/smmu-hil}
rel=$(sed -n 's/^kernel_release=//p' "$CACHE/dut.lock")
build=${SMMU_HIL_BUILD:-$repo/build}
out=$build/dut
mkdir -p "$out"
cd "$repo/lab" && /usr/bin/python3 -m smmu_hil_lab image --out "$out" >&2
exec qemu-system-aarch64 \
	-machine virt,iommu=smmuv3,gic-version=3 -cpu cortex-a57 -smp 2 -m 1024 \
	-bios /usr/share/qemu-efi-aarch64/QEMU_EFI.fd \
	-kernel "$out/Image" -initrd "$out/initrd.cpio" -append "console=ttyAMA0 smmu_hil_edu.dma_bits=40 ${SMMU_HIL_APPEND:-}" \
	-nographic \
	-drive if=none,id=data,file="$out/data.img",format=raw \
	-device virtio-blk-pci,drive=data,disable-legacy=on,iommu_platform=on \
	-netdev user,id=net0 -device virtio-net-pci,netdev=net0,disable-legacy=on,iommu_platform=on,romfile= \
	-device edu,dma_mask=0xffffffffff \
	-fsdev local,id=hostshare,path="$out",security_model=none \
	-device virtio-9p-pci,fsdev=hostshare,mount_tag=smmu-hil \
	"$@"
