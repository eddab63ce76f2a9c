#!/bin/bash
# Boot the emulated DUT once with lab/dut/fuzz-dut.sh as its job (the kernel
# modules' interfaces fuzzed by modules/tests/uapi_fuzz.c, and the checks of
# issue 14) and judge its output. Run under the shared QEMU lock by the
# Makefile (make fuzz-dut: 100,000 inputs per interface; make
# test-fuzz-dut: a short run, part of make test).
#
# Usage: lab/setup/fuzz-dut.sh OUT_DIR INPUTS THREADS
# Exit status: 0 when every check passed, 1 otherwise.
set -u
repo=$(cd "$(dirname "$0")/../.." && pwd)
out=$(realpath -m "$1") n=$2 t=$3
build=${SMMU_HIL_BUILD:-$repo/build}
mkdir -p "$out"
rm -f "$out"/fuzz.out "$out"/neg.out "$out"/fuzz-dmesg.log
cp "$build/arm64/uapi-fuzz" "$build/arm64/uapi-negative" "$repo/lab/dut/fuzz-dut.sh" "$out/"
start=$(date +%s)
# TCG runs about 20k syscalls/s: allow 5 min plus a minute per 10,000 inputs
limit=$((300 + n * 6 / 1000 * 2))
(cd "$repo/lab" && timeout -k 10 "$limit" /usr/bin/python3 -m smmu_hil_lab qemu --out "$out" \
	--append "smmu_hil.run=/mnt/host/fuzz-dut.sh shl_fuzz.n=$n shl_fuzz.t=$t" \
	</dev/null >"$out/console.txt" 2>&1)
rc=$?
echo "fuzz-dut: QEMU exited $rc after $(($(date +%s) - start)) s (console: $out/console.txt)"
f=$out/fuzz.out
if [ ! -s "$f" ]; then
	echo "fuzz-dut: no $f" >&2
	tail -30 "$out/console.txt" >&2
	exit 1
fi
cat "$f"
fail=0
grep -q '^FAIL' "$f" && fail=1
grep -q '^alive ' "$f" || { echo "fuzz-dut: the DUT did not finish the job" >&2; fail=1; }
grep -q '^dmesg_bad 0$' "$f" || { echo "fuzz-dut: kernel log has Oops/BUG/WARNING (see $out/fuzz-dmesg.log)" >&2; fail=1; }
for i in evt edu raw record files params; do
	got=$(sed -n "s/^iface $i inputs \([0-9]*\) .*/\1/p" "$f")
	if [ "${got:-0}" -lt "$n" ]; then
		echo "fuzz-dut: interface $i: ${got:-0} inputs, want $n" >&2
		fail=1
	fi
done
g=$(sed -n 's/^garbage edu-during-loop inputs \([0-9]*\) accepted \([0-9]*\) .* max_us \([0-9]*\) .*/\1 \2 \3/p' "$f")
read -r gn gacc gmax <<<"${g:-0 0 0}"
if [ "$gn" -lt 20000 ] || [ "$gacc" -ne 0 ] || [ "$gmax" -gt 1000000 ]; then
	echo "fuzz-dut: garbage during the DMA loop: $gn inputs, $gacc accepted, max ${gmax} us (want 0 accepted, < 1 s)" >&2
	fail=1
fi
drop=$(sed -n 's/^loss .*"dropped": *\([0-9]*\).*/\1/p' "$f")
if [ "${drop:-0}" -le 0 ]; then
	echo "fuzz-dut: the forced event loss was not counted" >&2
	fail=1
fi
grep -q '^FAIL' "$out/neg.out" && { echo "fuzz-dut: uapi-negative failed after fuzzing" >&2; fail=1; }
[ $fail = 0 ] && echo "fuzz-dut: pass ($n inputs per interface, $t threads)"
exit $fail
