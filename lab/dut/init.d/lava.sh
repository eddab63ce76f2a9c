# Sourced by lab/dut/init (busybox sh) when a LAVA job's initramfs overlay
# carries it as /etc/smmu-hil/init.d/lava.sh (lab/smmu_hil_lab/lava.py).
#
# LAVA mounts its test overlay disk as /dev/disk/by-uuid/<UUID>: busybox has
# no blkid and no udev, so link every virtio disk by its ext2/3/4 superblock
# UUID (s_uuid, 16 bytes at 1024 + 0x68; the magic 0xef53 at 1024 + 0x38).
# LAVA's prompt must look like a prompt (contain ':'): lava.PROMPT.
mkdir -p /dev/disk/by-uuid
for dev in /dev/vd[a-z]; do
	[ -b "$dev" ] || continue
	[ "$(hexdump -s 1080 -n 2 -e '1/2 "%04x"' "$dev" 2>/dev/null)" = ef53 ] || continue
	uuid=$(hexdump -s 1128 -n 16 -e '4/1 "%02x" "-" 2/1 "%02x" "-" 2/1 "%02x" "-" 2/1 "%02x" "-" 6/1 "%02x"' "$dev")
	ln -sf "$dev" "/dev/disk/by-uuid/$uuid"
done
export PS1='smmu-hil-dut:~# '
