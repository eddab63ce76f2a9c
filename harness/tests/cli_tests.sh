#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The command line end to end: the oracle's verbs (ste/cd decode, encode,
# plan, verify, rules; sweep), `run` on the shipped agent scenarios against
# an empty fake DUT (every scenario skips), `report ktap`, and error cases,
# in text and under -j (errors as {"error": "..."} on stdout).
#
# Environment: SMMU_HIL_TOOL the tool (default build/smmu-hil);
# SMMU_HIL_WRAP a command to run it under (valgrind ...); SMMU_HIL_QUICK=1
# runs only the cases marked quick (for slow wrappers).
# Exit 0 when every case passes, 1 otherwise (each failure named on stderr).
set -u
here=$(cd "$(dirname "$0")/../.." && pwd)
tool=${SMMU_HIL_TOOL:-$here/build/smmu-hil}
wrap=${SMMU_HIL_WRAP:-}
quick=${SMMU_HIL_QUICK:-0}
tmp=$(mktemp -d /tmp/shl-cli-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
# an empty fake DUT: no SMMU, no PCI device, no debugfs
mkdir -p "$tmp/sys" "$tmp/debugfs"
export SMMU_HIL_SYSFS=$tmp/sys SMMU_HIL_DEBUGFS=$tmp/debugfs
fails=0 n=0

# t [quick] RC ARGS... : run the tool, expect exit RC; stdout in $out, stderr in $err.
t() {
	local q=0 want
	[ "$1" = quick ] && { q=1; shift; }
	want=$1
	shift
	last_skipped=0
	if [ "$quick" = 1 ] && [ $q = 0 ]; then
		last_skipped=1
		return 0
	fi
	n=$((n + 1))
	$wrap "$tool" "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	out=$(cat "$tmp/out")
	err=$(cat "$tmp/err")
	if [ "$rc" != "$want" ]; then
		echo "FAIL: smmu-hil $*: exit $rc, want $want; stderr: $err" >&2
		fails=$((fails + 1))
		last_skipped=1
	fi
}

# expect WHAT CONDITION-COMMAND... : after t, a check of $out / $err.
expect() {
	local what=$1
	shift
	[ "$last_skipped" = 1 ] && return 0
	if ! "$@"; then
		echo "FAIL: $what; stdout: ${out:0:400}; stderr: ${err:0:400}" >&2
		fails=$((fails + 1))
	fi
}

has() { grep -qF -- "$1" <<<"$2"; }
# is_json [PY-EXPR]: stdout is one JSON document (and PY-EXPR on it, as d, holds)
is_json() { python3 -c "import json,sys; d=json.load(open('$tmp/out')); sys.exit(0 if (${1:-True}) else 1)" 2>/dev/null; }
json_error() { is_json "isinstance(d, dict) and list(d) == ['error'] and isinstance(d['error'], str) and d['error']" && [ -z "$err" ]; }
text_error() { [ -z "$out" ] && has "smmu-hil: error: " "$err"; }

STE_S1=0x1b,0,0,0   # V=1 Config=101 (ATS etc. zero)

# --------------------------------------------------------------- oracle
t quick 0 ste decode 0x9
expect "ste decode names Config" has "Config=4" "$out"
t quick 0 -j ste decode 0x9
expect "ste decode -j" is_json "d['fields']['Config'] == 4 and d['rule'] is None"
t 0 ste decode 0xf --profile qemu-7.2
expect "ste decode flags C_BAD_STE" has "C_BAD_STE" "$out"
t quick 0 ste encode V=1 Config=4
expect "ste encode" [ "$out" = "0x9" ]
t 0 -p ste encode V=1 Config=4
expect "ste encode -p" is_json "d['q'] == '0x9'"
t 0 ste encode --l1 Span=8 L2Ptr=0x1000
expect "l1 encode" [ -n "$out" ]
t 0 cd decode 0x80000000
expect "cd decode" has "V=1" "$out"
t quick 0 ste plan --from 0x1 --to 0x9
expect "ste plan text" has "# path hitless" "$out"
printf '%s\n' "$out" >"$tmp/seq.txt"
t quick 0 ste verify --from 0x1 --to 0x9 --sequence "$tmp/seq.txt"
expect "ste verify pass" has "pass: " "$out"
t 0 -j ste plan --from 0x9 --to 0x1b,0,0,0 --quanta 128
expect "ste plan -j" is_json "d['path'] in ('hitless', 'breaking', 'nochange')"
t 0 ste plan --from 0x9 --to 0x1 --no-update-safe
t 0 cd plan --from 0x80000000 --to 0x80000010
# the kernel test's hitless: a sync that sees qword 0 == 0 makes it non-hitless,
# even from an all-zero CD (0 -> S1 CD: arm_smmu_v3_write_cd_test_s1_clear)
t 0 -j cd plan --from 0 --to 0x3001000080000000,0x90000000
expect "cd plan 0 -> valid is not hitless" is_json "d['hitless'] is False and d['consistent'] and d['syncs'] == 2"
t 0 cd plan --from 0 --to 0x3001000080000000,0x90000000
expect "cd plan text says NOT hitless" has "NOT hitless (a sync sees qword 0 = 0)" "$out"
t 0 -j ste plan --from 0x9 --to 0x1
expect "ste plan bypass -> abort is hitless" is_json "d['hitless'] is True and d['syncs'] == 1"
printf 'write 0 0x1\nsync\n' >"$tmp/bad-seq.txt"
t 1 -j cd verify --from 0x80000000 --to 0x80000010 --sequence "$tmp/bad-seq.txt" --ste 0x1b
expect "cd verify -j fails as a verdict" is_json "d['verdict'] == 'fail'"
t 0 ste verify --from 0x1 --to 0x9 --sequence "$tmp/seq.txt" --granularity sync --allow-breaking
t 0 ste rules
expect "ste rules" has "ste-s2tg" "$out"
t 0 -j cd rules
expect "cd rules -j" is_json "any(r['rule'] == 'cd-asid-16' for r in d)"
t 0 ste help
expect "ste help" has "usage: smmu-hil ste" "$out"
t quick 0 -j sweep --entry cd
expect "sweep cd -j" is_json "isinstance(d, dict)"
# the KUnit verdicts: writing/clearing the zero CD is never hitless; the per-sync expectation holds
expect "sweep cd kernel verdicts" is_json "0 < d['kernel_hitless'] < d['paths']['hitless'] + d['paths']['nochange'] and d['kernel_check_fail'] == 0"
t 0 sweep --entry ste --quanta 128 --granularity sync
t 0 --json sweep --entry cd --profile qemu-7.2 --no-dma-wmb
expect "sweep --json" is_json

# ------------------------------------------------------------------ run
scn=()
for f in "$here"/scenarios/transitions/*.yaml; do
	grep -q '^mode:' "$f" && scn+=("$f")
done
# -j run printed and then put its JSON root twice (a use-after-free that
# only the ASan build and valgrind show: both run this case)
t quick 4 -j run "${scn[@]}"
expect "run -j: every scenario skips on an empty DUT" \
	is_json "len(d['tests']) == ${#scn[@]} and all(x['status'] == 'skip' for x in d['tests'])"
t 4 run "${scn[@]}"
expect "run KTAP header" has "KTAP version 1" "$out"
expect "run KTAP plan" has "1..${#scn[@]}" "$out"
expect "run KTAP totals" has "# Totals: pass:0 fail:0 xfail:0 xpass:0 skip:${#scn[@]} error:0" "$out"
t 4 run --lava "${scn[0]}"
expect "run --lava" has "lava-test-case" "$out"

# --device: a fake DUT whose root file system is on a virtio disk (vda1,
# 254:1) and whose SSH session runs over a virtio NIC (eth0): both refused,
# one error naming the device and why, nothing run; --force overrides
dev=$tmp/devsys
pcid() {	# BDF VENDOR DEVICE CLASS
	mkdir -p "$dev/devices/pci0000:00/$1" "$dev/bus/pci/devices"
	echo "$2" >"$dev/devices/pci0000:00/$1/vendor"
	echo "$3" >"$dev/devices/pci0000:00/$1/device"
	echo "$4" >"$dev/devices/pci0000:00/$1/class"
	ln -s "../../../devices/pci0000:00/$1" "$dev/bus/pci/devices/$1"
}
pcid 0000:00:01.0 0x1af4 0x1042 0x010000
pcid 0000:00:02.0 0x1af4 0x1041 0x020000
mkdir -p "$dev/devices/pci0000:00/0000:00:01.0/virtio0/block/vda/vda1" "$dev/class/block" \
	"$dev/class/net" "$dev/dev/block" "$dev/devices/pci0000:00/0000:00:02.0/virtio1/net/eth0"
ln -s ../../devices/pci0000:00/0000:00:01.0/virtio0/block/vda/vda1 "$dev/dev/block/254:1"
ln -s ../../devices/pci0000:00/0000:00:01.0/virtio0/block/vda "$dev/class/block/vda"
ln -s ../../devices/pci0000:00/0000:00:02.0/virtio1/net/eth0 "$dev/class/net/eth0"
export SMMU_HIL_ROOT_DEV=254:1 SMMU_HIL_SSH_IFACE=eth0
SMMU_HIL_SYSFS=$dev t 2 run --device 0000:00:01.0 "${scn[0]}"
expect "run --device ROOT-DISK refused" has "holds the root file system (/, block device 254:1): refusing" "$err"
expect "the refusal names the device" has "device 0000:00:01.0 (virtio-blk vda)" "$err"
SMMU_HIL_SYSFS=$dev t 2 -j run --device virtio-net "${scn[0]}"
expect "run --device SSH-NIC refused (-j)" json_error
expect "the refusal names the NIC" has "device 0000:00:02.0 (virtio-net eth0) carries this SSH session (eth0): refusing" "$out"
SMMU_HIL_SYSFS=$dev t 4 -j run --device virtio-net --force "${scn[0]}"
expect "run --device --force: runs (skips on the fake DUT) as NAME@DEVICE" \
	is_json "d['tests'][0]['name'].endswith('@virtio-net')"
t 2 run --device gpu "${scn[0]}"
expect "run --device: a bad name" has "--device 'gpu': not edu" "$err"
t 2 run --force "${scn[0]}"
expect "run --force without --device" has "--force applies to --device only" "$err"
unset SMMU_HIL_ROOT_DEV SMMU_HIL_SSH_IFACE

# ----------------------------------------------------------- report
# `report ktap` prints report.ktap for report.json: the document the lab's
# own writer printed before the lab switched to this one (metrics as
# "# NAME: key=value", reasons as diagnostics, SKIP reasons, # Totals).
rep=$here/harness/tests/data/report.json
t quick 0 report ktap "$rep"
printf '%s\n' "$out" >"$tmp/c.ktap"
expect "report ktap = harness/tests/data/report.ktap" cmp -s "$tmp/c.ktap" "$here/harness/tests/data/report.ktap"
expect "report ktap: # Totals" has "# Totals: pass:2 fail:1 xfail:0 xpass:0 skip:2 error:0" "$out"
printf '{"run_id": "r", "target": "t", "tests": [{"name": "a", "status": "maybe"}]}\n' >"$tmp/bad.json"
t 2 -j report ktap "$tmp/bad.json"
expect "report ktap: bad status under -j" json_error
t 2 report ktap "$tmp/missing.json"
expect "report ktap: missing file" text_error
t 2 report frob
expect "report: unknown verb" text_error

# ------------------------------------------------------------- errors
t quick 2 -j nosuch
expect "unknown object under -j" json_error
t 2 nosuch
expect "unknown object" text_error
t quick 2 -j ste frobnicate
expect "unknown verb under -j" json_error
t 2 ste frobnicate
expect "unknown verb" text_error
t 2 -j ste plan --from 0x1
expect "missing --to under -j" json_error
t 2 -j ste plan --from 0x1 --to 0x9 --bogus
expect "unknown option under -j" json_error
t 2 ste decode zz
expect "bad Q" text_error
t 2 -j ste decode zz
expect "bad Q under -j" json_error
t 2 -j sweep --quanta 7
expect "bad --quanta under -j" json_error
t quick 2 -j run "$tmp/missing.yaml"
expect "run on a missing file under -j" json_error
t 2 run "$tmp/missing.yaml"
expect "run on a missing file" text_error
t 2 -j ste verify --from 0x1 --to 0x9 --sequence "$tmp/missing.txt"
expect "verify missing sequence under -j" json_error
t 2 -j events --bogus
expect "events bad option under -j" json_error
t 2 -j clock --io
expect "clock --io without a value under -j" json_error

# every object's verb table: help, unknown verbs and options, -j errors;
# the lab's command lines parse (they fail for want of a DUT, not of syntax)
for obj in ste cd dut events dma domain inject report; do
	t 0 $obj help
	expect "$obj help" has "usage: smmu-hil $obj" "$out"
	t 2 -j $obj frobnicate
	expect "$obj: unknown verb under -j" json_error
done
t 0 sweep help
t 0 run help
t 0 clock help
t 0 help
expect "help lists the objects" has "report" "$out"
t 2 -j dut info --bogus
expect "dut info --bogus under -j" json_error
t 2 -j dut quiesce --timeout-ms x
expect "dut quiesce --timeout-ms x under -j" json_error
t 2 dut quiesce
expect "dut quiesce refuses without a kexec kernel" text_error
t 2 -j dma roundtrip --len 0
expect "dma --len 0 under -j" json_error
t 2 -j dma fault --dev 0000:00:03.0
expect "dma fault without --count under -j" json_error
t 2 -j dma roundtrip --dev 0000:00:03.0 --len 64 --count 1
expect "dma roundtrip without an edu device under -j" json_error
t 2 -j domain cycle --dev 0000:00:03.0 --sequence identity,dma --count 2 --dma-between
expect "domain cycle without an edu device under -j" json_error
t 2 -j domain show --count 2
expect "domain show --count under -j" json_error
t 2 -j domain set sideways
expect "domain set sideways under -j" json_error
t 2 -j inject apply --entry xx
expect "inject --entry xx under -j" json_error
t 2 -j inject record start x
expect "inject record start x under -j" json_error
t 2 -j events --clear
expect "events --clear without the monitor under -j" json_error
t 2 events clear
expect "events clear without the monitor" text_error
t 2 -j events stats
expect "events stats without the monitor under -j" json_error
t 2 -j events hold
expect "events hold without --ms under -j" json_error
t 2 -j events hold --ms 60001
expect "events hold --ms above 60000 under -j" json_error
t 2 events hold --ms 100
expect "events hold without the monitor" text_error
t 2 -j dma fault --dev 0000:00:03.0 --count 1 --len 3
expect "dma fault --len 3 (below one access) under -j" json_error
t 2 -j dma fault --dev 0000:00:03.0 --count 1 --len 4096
expect "dma fault --len 4096 under -j" json_error
t quick 0 -j clock
expect "clock -j" is_json "set(d) >= {'cntvct', 'cntfrq', 'monotonic_ns'}"
t 2 -j clock --io /nonexistent
expect "clock --io /nonexistent under -j" json_error
# --io on a file (where its file system takes O_DIRECT): the counter when the
# read was issued comes before the one when it returned
head -c 8192 /dev/zero >"$tmp/disk"
if python3 -c "import os,sys; os.close(os.open(sys.argv[1], os.O_RDONLY | os.O_DIRECT))" \
	"$tmp/disk" 2>/dev/null; then
	t quick 0 -j clock --io "$tmp/disk"
	expect "clock --io FILE -j" is_json \
		"0 < d['io_start_cntvct'] <= d['cntvct'] and d['io'].endswith('/disk')"
fi
# luo: the pattern file round trip (the memfd check's code on a file), a
# flipped byte found at its offset, no /dev/liveupdate on the host
t quick 0 -j luo pattern --file "$tmp/pat" --size 300K --seed 7
expect "luo pattern -j" is_json "d['size'] == 307200 and d['crc32c'].startswith('0x')"
crc=$(python3 -c "import json; print(json.load(open('$tmp/out'))['crc32c'])" 2>/dev/null)
t quick 0 -j luo verify --file "$tmp/pat" --size 300K --seed 7 --crc32c "${crc:-0}"
expect "luo verify -j of the pattern" is_json "d['verified'] and d['mismatches'] == 0"
printf 'X' | dd of="$tmp/pat" bs=1 seek=4097 conv=notrunc 2>/dev/null
t 1 -j luo verify --file "$tmp/pat" --size 300K --seed 7
expect "luo verify finds the flipped byte" is_json \
	"not d['verified'] and d['mismatches'] == 1 and d['first_mismatch'] == 4097"
t 1 -j luo verify --file "$tmp/pat" --size 301K --seed 7
t 2 -j luo verify --file "$tmp/pat" --size 1T --seed 7
expect "luo verify --size too big" json_error
t 2 -j luo preserve --session s --token 1 --size 4K --seed 1 --dev "$tmp/none"
expect "luo preserve without LUO under -j" json_error
t 2 luo retrieve --session "a b" --token 1 --size 4K --seed 1
expect "luo retrieve: a bad session name" text_error
t 2 -j luo preserve --size 4K --seed 1
expect "luo preserve without --session" json_error
t quick 0 -j dut info
expect "dut info -j on the fake DUT" is_json "d['smmu'] == [] and 'kernel' in d"
t 2 -j dut streams
expect "dut streams without the monitor under -j" json_error
# global options anywhere on the line, as the lab and the docs write them
t 4 run -j "${scn[0]}"
expect "run -j FILE (the lab's form)" is_json "len(d['tests']) == 1"
t 4 run "${scn[0]}" --pretty
expect "run FILE --pretty" is_json "len(d['tests']) == 1"
t 0 dut info -j
expect "dut info -j" is_json
t 0 ste plan --from 0x1 -j --to 0x9
expect "-j between options" is_json "d['path'] == 'hitless'"
t 2 ste decode -- -j
expect "-- ends the global options" text_error
t 2 -j
expect "no object under -j" json_error
t 2 -j run
expect "run without files under -j" json_error
t 2 -j run --lava "${scn[0]}"
expect "run -j --lava under -j" json_error

echo "cli_tests: $n cases, $fails failure(s)${wrap:+ (under $wrap)}"
[ $fails = 0 ]
