# smmu-hil top-level Makefile.
#
#   make          host tool build/smmu-hil, arm64 DUT agent build/arm64/smmu-hil,
#                 kernel modules build/modules/<release>/*.ko (cross-built for
#                 the DUT kernel)
#   make setup    host packages, DUT packages, DUT initramfs (idempotent)
#
#   DUT_KERNEL=7.x|6.12|6.1|lab (default 7.x) selects the DUT's kernel for
#   set-up, the modules, the emulated DUT and every run (docs/kernels.md);
#   lab is the lab kernel, built from source by make lab-kernel.
#   make lab-kernel [KSRC=TREE] [PATCHES="a.patch ..."] [FRAGMENTS=...]
#                 cross-build the lab kernel (Debian's linux-source-7.2, or
#                 TREE) with kernel-config/ fragments and the patches, once
#                 per input set into the cache (a patch change is an
#                 incremental build), and make it DUT_KERNEL=lab's kernel
#   make run      the nightly run against the emulated DUT (lab/plans/nightly.yaml,
#                 ~10 min warm: smoke, transitions, a 2-iteration live update on
#                 the qemu target, then the lab suite on the ssh target; one
#                 report) -> results/latest/
#   make run-full the full plan (lab/plans/full.yaml): the nightly plus the raw
#                 scenarios on the virtio devices, evtmon-cost, the 10-iteration live update
#                 and the live update again through SSH and IPMI
#   make run-transitions / run-liveupdate / run-ssh   one part of it
#   make run-transitions-noedu   the transitions on a DUT without edu
#   make run-matrix  the transitions on five DUT kernel x SMMU model combinations
#                 (lab/plans/matrix.yaml), one report comparing them
#   make sensitivity [KSRC=TREE] [RESUME=results/RUN]
#                 the bug library (suite bugs) and arm-smmu-v3's KUnit on the lab
#                 kernel with each mutant of kernel-config/mutants/ and on stock
#                 (lab/plans/sensitivity.yaml); one report with the sensitivity
#                 matrix; exit 0 iff every mutant is caught and stock is clean
#                 (docs/bugs.md)
#   make test     every test (the emulated DUT on TEST_DUT_KERNEL, default 7.x):
#                 C unit tests (also under ASan+UBSan and valgrind),
#                 fuzzers (briefly), checkpatch, the modules built by dkms
#                 (test-dkms), lab tests, the smoke suite on the emulated DUT,
#                 the modules' interfaces fuzzed on it (briefly: test-fuzz-dut),
#                 the emulated LAVA job (test-lava)
#   make fuzz     every libFuzzer target and the lab's parsers, 10 min each
#   make fuzz-dut the modules' interfaces fuzzed on the emulated DUT, 100,000
#                 inputs each
#   make bench    benchmarks (oracle sweep rate, ...)
#   make lava-jobs / test-lava
#                 LAVA jobs from the inventory and scenarios into build/lava; the
#                 emulated DUT's job through lava-run into a report (docs/lava.md)
#   make kernel-config KSRC=TREE [FRAGMENTS=...]
#                 merge kernel-config/*.config into TREE/.config (merge_config.sh)
#
# Downloads and unpacked packages live in $(SMMU_HIL_CACHE) (default
# ~/.cache/smmu-hil); build outputs in build/; results in results/.

SMMU_HIL_CACHE ?= $(HOME)/.cache/smmu-hil
export SMMU_HIL_CACHE
DUT_KERNEL ?= 7.x
export DUT_KERNEL

# The emulated DUT's SMMU model for run*, test-dut, lava-jobs: nested (stage
# 1+2, the default), s1 or s2 (make run SMMU_MODEL=s2; the lab checks the
# DUT's SMMU_IDR0 at boot; lab/smmu_hil_lab/smmu_model.py).
ifdef SMMU_MODEL
export SMMU_HIL_SMMU_MODEL := $(SMMU_MODEL)
endif
# IORT_CANWBS=1: the emulated DUT boots with QEMU's IORT upgraded to declare
# CANWBS on its PCI root complex (lab/smmu_hil_lab/iort.py, docs/lab.md), so
# the kernel's nested (vIOMMU) path runs; reported as iort_upgrade: CANWBS.
ifdef IORT_CANWBS
export SMMU_HIL_IORT_CANWBS := $(IORT_CANWBS)
endif

BUILD     ?= $(or $(SMMU_HIL_BUILD),build)
PY        := /usr/bin/python3
# test-fuzz uses bash's PIPESTATUS
SHELL     := /bin/bash
HOST_CC   ?= gcc
ARM64_CC  ?= aarch64-linux-gnu-gcc
FUZZ_CC   ?= clang
CROSS     := aarch64-linux-gnu-

WARN      := -Wall -Wextra -Werror
CFLAGS    ?= -O2 -g
LDLIBS    := -lpci -ljson-c -lyaml -lm

# harness/ is three layers (docs/architecture.md). Each is compiled with only
# the include paths it may use, so a wrong-way include does not build:
#   oracle  the STE/CD model, rules, planner, checker, sweep, event decoding
#           (harness/oracle, pure: no DUT, no CLI)
#   agent   DUT discovery, domains, injection, quiesce, the scenario runner
#           (harness/agent: oracle + the modules' uapi)
#   cli     the thin `smmu-hil OBJECT VERB` front end (harness/cli: both)
# the oracle also reads the one SMMUv3 field table the modules share
# (modules/include/smmu_hil/arm_smmu_v3_fields.h): plain constants, no uapi
ORACLE_INC := -Iharness/oracle/include -Imodules/include
AGENT_INC  := $(ORACLE_INC) -Iharness/agent/include
CLI_INC    := $(AGENT_INC) -Iharness/cli
BASE_CFLAGS = -std=gnu11 $(WARN) $(CFLAGS) -D_GNU_SOURCE
ORACLE_CFLAGS = $(BASE_CFLAGS) $(ORACLE_INC)
AGENT_CFLAGS  = $(BASE_CFLAGS) $(AGENT_INC)
ALL_CFLAGS    = $(BASE_CFLAGS) $(CLI_INC)

ORACLE_SRCS := $(wildcard harness/oracle/*.c)
AGENT_SRCS  := $(wildcard harness/agent/*.c)
LIB_SRCS  := $(ORACLE_SRCS) $(AGENT_SRCS)
CLI_SRCS  := $(wildcard harness/cli/*.c)
HDRS      := $(wildcard harness/oracle/include/smmu_hil/*.h harness/oracle/*.h \
		harness/agent/include/smmu_hil/*.h harness/cli/*.h modules/include/uapi/*.h \
		modules/include/smmu_hil/*.h)
TEST_SRCS := $(wildcard harness/tests/test_*.c)
FUZZ_SRCS := $(wildcard harness/fuzz/fuzz_*.c)
BENCH_SRCS:= $(wildcard harness/bench/bench_*.c)

# The agent's LUO client (harness/agent/luo.c) uses the lab kernel's uapi
# linux/liveupdate.h, installed by make lab-kernel (headers_install into the
# cache): searched after the system's headers, so only what the system lacks
# comes from there. Without it the luo commands say how to get it.
LUO_H     := $(firstword $(wildcard $(SMMU_HIL_CACHE)/kernel/*/uapi/include/linux/liveupdate.h))
LUO_CFLAGS = $(if $(LUO_H),-idirafter $(patsubst %/linux/liveupdate.h,%,$(LUO_H)))

HOST_LIB  := $(BUILD)/host/libsmmu-hil.a
ARM64_LIB := $(BUILD)/arm64/libsmmu-hil.a
lib_objs = $(ORACLE_SRCS:harness/oracle/%.c=$(BUILD)/$(1)/oracle/%.o) \
	   $(AGENT_SRCS:harness/agent/%.c=$(BUILD)/$(1)/agent/%.o)
HOST_LIB_OBJS  := $(call lib_objs,host)
ARM64_LIB_OBJS := $(call lib_objs,arm64)
HOST_CLI_OBJS  := $(CLI_SRCS:harness/cli/%.c=$(BUILD)/host/cli/%.o)
ARM64_CLI_OBJS := $(CLI_SRCS:harness/cli/%.c=$(BUILD)/arm64/cli/%.o)
TESTS     := $(TEST_SRCS:harness/tests/%.c=$(BUILD)/tests/%)
# test-asan: the library, every unit test and the host tool again with
# AddressSanitizer and UBSan (first error fatal) in $(BUILD)/asan
ASAN      := $(BUILD)/asan
ASAN_FLAGS:= -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
ASAN_LIB  := $(ASAN)/libsmmu-hil.a
ASAN_LIB_OBJS := $(call lib_objs,asan)
ASAN_CLI_OBJS := $(CLI_SRCS:harness/cli/%.c=$(ASAN)/cli/%.o)
ASAN_TESTS:= $(TEST_SRCS:harness/tests/%.c=$(ASAN)/tests/%)
FUZZERS   := $(FUZZ_SRCS:harness/fuzz/%.c=$(BUILD)/fuzz/%)
BENCHES   := $(BENCH_SRCS:harness/bench/%.c=$(BUILD)/bench/%)

# The DUT kernel, as resolved by `make setup` (lab/setup/setup.sh) for
# DUT_KERNEL; the modules are built per release into $(MODDIR).
KREL       = $(shell lab/setup/setup.sh release 2>/dev/null)
KDIR      ?= $(SMMU_HIL_CACHE)/kernel/$(KREL)/build
MODDIR     = $(BUILD)/modules/$(KREL)
# The DUT kernel's uapi headers (lab kernels: lab/setup/lab-kernel.sh puts
# them in kernel/<release>/uapi/include) for the agent's iommufd/VFIO VMM
# (harness/agent/vmm.c); without them the cross compiler's own (older)
# headers are used and `smmu-hil vmm` says the vIOMMU uAPI is missing.
# ($(shell) does not see make's exports: DUT_KERNEL=lab given on the command
# line must be passed to setup.sh explicitly)
KUAPI     ?= $(wildcard $(SMMU_HIL_CACHE)/kernel/$(shell DUT_KERNEL=$(DUT_KERNEL) \
		SMMU_HIL_CACHE=$(SMMU_HIL_CACHE) lab/setup/setup.sh release 2>/dev/null)/uapi/include)
ARM64_UAPI = $(if $(KUAPI),-isystem $(KUAPI))
MOD_SRCS  := $(wildcard modules/*.c modules/*.h modules/Kbuild modules/include/uapi/*.h \
		modules/include/smmu_hil/*.h)

.PHONY: all tool agent modules setup setup-host setup-dut run run-transitions run-transitions-noedu run-matrix sensitivity test test-c test-fuzz \
	test-asan test-cli \
	test-lab test-dut run-ssh run-liveupdate bench checkpatch kernel-config lab-kernel clean \
	lava-jobs test-lava

all: tool agent modules

tool: $(BUILD)/smmu-hil
agent: $(BUILD)/arm64/smmu-hil

$(BUILD)/host/oracle/%.o: harness/oracle/%.c $(HDRS)
	@mkdir -p $(@D)
	$(HOST_CC) $(ORACLE_CFLAGS) -c -o $@ $<
$(BUILD)/host/agent/%.o: harness/agent/%.c $(HDRS)
	@mkdir -p $(@D)
	$(HOST_CC) $(AGENT_CFLAGS) -c -o $@ $<
$(BUILD)/host/cli/%.o: harness/cli/%.c $(HDRS)
	@mkdir -p $(@D)
	$(HOST_CC) $(ALL_CFLAGS) -c -o $@ $<
$(BUILD)/arm64/oracle/%.o: harness/oracle/%.c $(HDRS)
	@mkdir -p $(@D)
	$(ARM64_CC) $(ORACLE_CFLAGS) -c -o $@ $<
$(BUILD)/arm64/agent/%.o: harness/agent/%.c $(HDRS)
	@mkdir -p $(@D)
	$(ARM64_CC) $(AGENT_CFLAGS) -c -o $@ $<
# the VMM and the LUO client are rebuilt when the kernel uapi headers they
# compile against change, appear or go (uapi.id records which they are)
$(BUILD)/arm64/agent/vmm.o: harness/agent/vmm.c $(HDRS) $(BUILD)/uapi.id
	@mkdir -p $(@D)
	$(ARM64_CC) $(AGENT_CFLAGS) $(ARM64_UAPI) -c -o $@ $<
$(BUILD)/uapi.id: FORCE
	@mkdir -p $(@D)
	@echo '$(KUAPI) $(LUO_H)' | cmp -s - $@ || echo '$(KUAPI) $(LUO_H)' >$@
FORCE:
$(BUILD)/arm64/cli/%.o: harness/cli/%.c $(HDRS)
	@mkdir -p $(@D)
	$(ARM64_CC) $(ALL_CFLAGS) -c -o $@ $<

$(ASAN)/oracle/%.o: harness/oracle/%.c $(HDRS)
	@mkdir -p $(@D)
	$(HOST_CC) $(ORACLE_CFLAGS) $(ASAN_FLAGS) -c -o $@ $<
$(ASAN)/agent/%.o: harness/agent/%.c $(HDRS)
	@mkdir -p $(@D)
	$(HOST_CC) $(AGENT_CFLAGS) $(ASAN_FLAGS) -c -o $@ $<
$(ASAN)/cli/%.o: harness/cli/%.c $(HDRS)
	@mkdir -p $(@D)
	$(HOST_CC) $(ALL_CFLAGS) $(ASAN_FLAGS) -c -o $@ $<

$(HOST_LIB): $(HOST_LIB_OBJS)
	@rm -f $@
	ar rcs $@ $^
$(ARM64_LIB): $(ARM64_LIB_OBJS)
	@rm -f $@
	$(CROSS)ar rcs $@ $^

$(BUILD)/smmu-hil: $(HOST_CLI_OBJS) $(HOST_LIB)
	$(HOST_CC) $(CFLAGS) -o $@ $(HOST_CLI_OBJS) $(HOST_LIB) $(LDLIBS)

$(BUILD)/host/agent/luo.o $(BUILD)/arm64/agent/luo.o $(ASAN)/agent/luo.o: $(LUO_H) $(BUILD)/uapi.id
$(BUILD)/host/agent/luo.o $(BUILD)/arm64/agent/luo.o $(ASAN)/agent/luo.o: \
	AGENT_CFLAGS += $(LUO_CFLAGS)

$(ASAN_LIB): $(ASAN_LIB_OBJS)
	@rm -f $@
	ar rcs $@ $^
$(ASAN)/smmu-hil: $(ASAN_CLI_OBJS) $(ASAN_LIB)
	$(HOST_CC) $(ASAN_FLAGS) -o $@ $(ASAN_CLI_OBJS) $(ASAN_LIB) $(LDLIBS)

# The DUT agent: Debian ships libpci only as a shared library, so the agent is
# linked dynamically; its library closure is part of the DUT initramfs.
$(BUILD)/arm64/smmu-hil: $(ARM64_CLI_OBJS) $(ARM64_LIB)
	$(ARM64_CC) $(CFLAGS) -o $@ $(ARM64_CLI_OBJS) $(ARM64_LIB) $(LDLIBS)

# ------------------------------------------------------------------ set-up
setup:
	lab/setup/setup.sh all
setup-host:
	lab/setup/setup.sh host
setup-dut:
	lab/setup/setup.sh dut
# the lab kernel (lab/setup/lab-kernel.sh, docs/kernels.md "The lab kernel")
lab-kernel:
	DUT_KERNEL=lab KSRC="$(KSRC)" PATCHES="$(PATCHES)" FRAGMENTS="$(FRAGMENTS)" lab/setup/setup.sh lab

# ------------------------------------------------------------------ modules
# Kbuild writes its outputs next to the sources (M=); build a copy under
# build/modules/<release>. Set-up runs first when DUT_KERNEL's tree is missing
# (then a sub-make reads the release it locked).
.PHONY: modules-build
modules: $(MOD_SRCS)
	@test -n "$(KREL)" && test -f "$(KDIR)/Makefile" || lab/setup/setup.sh dut
	@$(MAKE) --no-print-directory modules-build
modules-build:
	@test -n "$(KREL)" || { echo "no DUT kernel $(DUT_KERNEL) set up: make setup" >&2; exit 1; }
	@mkdir -p $(MODDIR)
	cp -r modules/. $(MODDIR)/
	$(MAKE) -C $(KDIR) M=$(abspath $(MODDIR)) ARCH=arm64 CROSS_COMPILE=$(CROSS) modules

# The modules' negative interface checks, run by hand on the DUT
# (modules/tests/uapi_negative.c, docs/modules.md): a static arm64 binary.
.PHONY: uapi-negative
uapi-negative: $(BUILD)/arm64/uapi-negative
$(BUILD)/arm64/uapi-negative: modules/tests/uapi_negative.c modules/include/uapi/smmu_hil.h
	@mkdir -p $(@D)
	$(ARM64_CC) -static -O1 $(WARN) -Imodules/include -o $@ $<

# The modules' interfaces fuzzed on the DUT (modules/tests/uapi_fuzz.c).
$(BUILD)/arm64/uapi-fuzz: modules/tests/uapi_fuzz.c modules/include/uapi/smmu_hil.h
	@mkdir -p $(@D)
	$(ARM64_CC) -static -O1 -pthread $(WARN) -Imodules/include -o $@ $<

# The kernel modules' interfaces fuzzed on the emulated DUT (lab/setup/fuzz-dut.sh,
# modules/tests/uapi_fuzz.c, docs/modules.md): every interface with
# FUZZ_DUT_INPUTS inputs from FUZZ_DUT_THREADS concurrent writers, the
# kernel log checked, the DUT alive, the STE and live tables unchanged.
# test-fuzz-dut is the short version make test runs. Like test-dut, they
# take no lock themselves (on a shared host: flock LOCK make fuzz-dut).
FUZZ_DUT_INPUTS ?= 100000
FUZZ_DUT_THREADS ?= 4
.PHONY: fuzz-dut test-fuzz-dut
fuzz-dut: all $(BUILD)/arm64/uapi-fuzz $(BUILD)/arm64/uapi-negative
	lab/setup/fuzz-dut.sh $(BUILD)/fuzz-dut $(FUZZ_DUT_INPUTS) $(FUZZ_DUT_THREADS)
test-fuzz-dut: all $(BUILD)/arm64/uapi-fuzz $(BUILD)/arm64/uapi-negative
	lab/setup/fuzz-dut.sh $(BUILD)/fuzz-dut-short 2000 4

# ------------------------------------------------------------------ tests
$(BUILD)/tests/%: harness/tests/%.c $(HOST_LIB) $(HDRS)
	@mkdir -p $(@D)
	$(HOST_CC) $(ALL_CFLAGS) -o $@ $< $(HOST_LIB) -lcmocka $(LDLIBS)

$(ASAN)/tests/%: harness/tests/%.c $(ASAN_LIB) $(HDRS)
	@mkdir -p $(@D)
	$(HOST_CC) $(ALL_CFLAGS) $(ASAN_FLAGS) -o $@ $< $(ASAN_LIB) -lcmocka $(LDLIBS)

$(BUILD)/fuzz/%: harness/fuzz/%.c $(LIB_SRCS) $(HDRS)
	@mkdir -p $(@D)
	$(FUZZ_CC) -std=gnu11 -g -O1 -Wall -Wextra -Werror $(CLI_INC) -D_GNU_SOURCE \
		-fsanitize=fuzzer,address,undefined -o $@ $< $(LIB_SRCS) $(LDLIBS)

$(BUILD)/bench/%: harness/bench/%.c $(HOST_LIB) $(HDRS)
	@mkdir -p $(@D)
	$(HOST_CC) $(ALL_CFLAGS) -O2 -o $@ $< $(HOST_LIB) $(LDLIBS)

# make test's emulated-DUT parts run on TEST_DUT_KERNEL (default: the
# nightly's kernel, 7.x); with another kernel the smoke suite and the dkms
# build run on 7.x too, so make test always covers the default DUT.
TEST_DUT_KERNEL ?= 7.x
test:
	$(MAKE) DUT_KERNEL=$(TEST_DUT_KERNEL) setup
	$(MAKE) DUT_KERNEL=$(TEST_DUT_KERNEL) all
	$(MAKE) DUT_KERNEL=$(TEST_DUT_KERNEL) test-c test-asan test-fuzz checkpatch test-dkms test-lab \
		test-dut test-fuzz-dut test-lava
ifneq ($(TEST_DUT_KERNEL),7.x)
	$(MAKE) DUT_KERNEL=7.x setup-dut
	$(MAKE) DUT_KERNEL=7.x test-dkms test-dut
endif

test-c: $(TESTS) $(BUILD)/smmu-hil
	@set -e; for t in $(TESTS); do echo "== $$t"; $$t; done
	harness/tests/include_graph.sh
	SMMU_HIL_TOOL=$(BUILD)/smmu-hil harness/tests/cli_tests.sh

# The CLI tests (harness/tests/cli_tests.sh) against the host tool.
test-cli: $(BUILD)/smmu-hil
	SMMU_HIL_TOOL=$(BUILD)/smmu-hil harness/tests/cli_tests.sh

# Every unit test and the CLI tests under ASan+UBSan (the tool too: the unit
# tests that run it find $(ASAN)/smmu-hil next to them), then a few CLI
# paths under valgrind with the uninstrumented json-c and libyaml.
VALGRIND := valgrind -q --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite
# every unit test under valgrind too (json-c and libyaml are not instrumented
# by ASan), but the oracle sweep's (pure oracle code, 43 s under valgrind)
VALGRIND_TESTS := $(filter-out $(BUILD)/tests/test_oracle_sweep,$(TESTS))
test-asan: $(ASAN_TESTS) $(ASAN)/smmu-hil $(BUILD)/smmu-hil $(VALGRIND_TESTS)
	@set -e; export ASAN_OPTIONS=abort_on_error=0:detect_leaks=1 \
		UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1; \
	for t in $(ASAN_TESTS); do echo "== $$t"; $$t; done; \
	echo "== cli_tests.sh (asan)"; SMMU_HIL_TOOL=$(ASAN)/smmu-hil harness/tests/cli_tests.sh
	@echo "== cli_tests.sh (valgrind)"; \
	SMMU_HIL_TOOL=$(BUILD)/smmu-hil SMMU_HIL_WRAP="$(VALGRIND)" SMMU_HIL_QUICK=1 \
		harness/tests/cli_tests.sh
	@set -e; for t in $(VALGRIND_TESTS); do echo "== $$t (valgrind)"; \
		$(VALGRIND) $$t >/dev/null; done; echo "valgrind: $(words $(VALGRIND_TESTS)) unit tests clean"

FUZZ_SECONDS ?= 10
# make fuzz: every libFuzzer target FUZZ_LONG_SECONDS (default 10 min) with
# -max_len 65536, a 10 s per-input timeout and 2 GB memory limit,
# FUZZ_JOBS at a time, and the lab's Python parsers as long, into
# $(BUILD)/fuzz/long (harness/fuzz/run-long.sh, docs/scenarios.md)
FUZZ_LONG_SECONDS ?= 600
FUZZ_JOBS ?= 2
.PHONY: fuzz
fuzz: $(FUZZERS)
	harness/fuzz/run-long.sh $(BUILD)/fuzz/long $(FUZZ_LONG_SECONDS) $(FUZZ_JOBS) $(FUZZERS)

test-fuzz: $(FUZZERS)
	@set -e; for f in $(FUZZERS); do \
		c=harness/fuzz/corpus/$$(basename $$f); mkdir -p $(BUILD)/fuzz/work-$$(basename $$f); \
		echo "== $$f ($(FUZZ_SECONDS)s)"; \
		$$f -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 $(BUILD)/fuzz/work-$$(basename $$f) \
			$$( [ -d $$c ] && echo $$c ) 2>&1 | tail -12; \
		test $${PIPESTATUS[0]} -eq 0; done

# Lab controller unit tests (no DUT needed).
test-lab: $(BUILD)/smmu-hil
	cd lab && $(PY) -m pytest -q tests

# The smoke suite on the emulated DUT, asserted through its report.
test-dut: all
	cd lab && $(PY) -m pytest -q integration

checkpatch:
	lab/setup/checkpatch.sh modules

# The modules built by dkms (modules/dkms.conf) in a private dkms tree under
# $(BUILD)/dkms: against the host's Debian amd64 6.1 headers and, cross,
# against the DUT kernel's arm64 headers; prints each build's time.
.PHONY: test-dkms
test-dkms:
	@test -n "$(KREL)" && test -f "$(KDIR)/Makefile" || lab/setup/setup.sh dut
	@$(MAKE) --no-print-directory test-dkms-build
.PHONY: test-dkms-build
test-dkms-build:
	lab/setup/dkms.sh $(BUILD)/dkms $(KREL) $(KDIR)

# LAVA (docs/lava.md): the emulated DUT's device dictionary and job, and a
# job (+ device) per inventory DUT with IPMI power, into $(BUILD)/lava.
LAVA_OUT := $(abspath $(BUILD))/lava
lava-jobs: all
	cd lab && $(PY) -m smmu_hil_lab lava jobs --out $(LAVA_OUT) \
		--inventory $(wildcard $(CURDIR)/lab/inventory/*.yaml)

# The emulated DUT's job through lava-run; LAVA's results as a run directory
# (report.json, junit.xml, kcidb.json ...) under $(BUILD)/lava/results.
test-lava: lava-jobs
	cd lab && $(PY) -m smmu_hil_lab lava run --job $(LAVA_OUT)/jobs/emulated.yaml \
		--device $(LAVA_OUT)/device-emulated.yaml --results $(LAVA_OUT)/results

# The lab's config fragments merged into a kernel tree's .config with the
# kernel's scripts/kconfig/merge_config.sh; lists options not as requested.
kernel-config:
	@test -n "$(KSRC)" || { echo "make kernel-config: set KSRC=/path/to/kernel/tree" >&2; exit 2; }
	lab/setup/kernel-config.sh $(KSRC) $(FRAGMENTS)

# The nightly run (lab/plans/nightly.yaml), one report: smoke, every STE/CD
# transition scenario (the raw ones on edu only) and a 2-iteration kexec live
# update on the qemu target; then the ssh target (SSH, ipmi_sim as BMC, SOL):
# ssh-ipmi, panic-recovery, protected-devices.
run: setup
	$(MAKE) all
	cd lab && $(PY) -m smmu_hil_lab run --plan plans/nightly.yaml --results ../results

# The full plan (lab/plans/full.yaml): the nightly's suites on every device,
# the 10-iteration live update, then the lab suite and the live update again
# (kexec-live-update@ssh) on the ssh target.
run-full: setup
	$(MAKE) all
	cd lab && $(PY) -m smmu_hil_lab run --plan plans/full.yaml --results ../results

# Just the STE/CD transition scenarios (scenarios/transitions).
run-transitions: setup
	$(MAKE) all
	cd lab && $(PY) -m smmu_hil_lab run --suite transitions --results ../results

# The transition suite on the emulated DUT without QEMU's edu device (as a
# real server): the device scenarios on the scratch virtio-blk disk and
# virtio-net; the edu-only scenarios skip.
run-transitions-noedu: setup
	$(MAKE) all
	cd lab && $(PY) -m smmu_hil_lab run --suite transitions --target qemu-noedu --results ../results

# The kernel x SMMU model matrix (lab/plans/matrix.yaml): the transition suite
# on 7.x (nested, s1, s2), 6.12 (nested) and 6.1 (s1), each phase building the
# modules for its kernel first; one report with a table per combination.
run-matrix: setup
	$(MAKE) tool agent
	cd lab && $(PY) -m smmu_hil_lab run --plan plans/matrix.yaml --results ../results

# The bug library's sensitivity matrix (lab/plans/sensitivity.yaml,
# docs/bugs.md): suite bugs and the KUnit smoke test on the lab kernel with
# each mutant, then stock; each phase selects its variant (make lab-kernel
# PATCHES=..., incremental) and builds the modules for it. KSRC (a kernel
# tree) goes through to every make lab-kernel; RESUME continues a run.
sensitivity: setup-host
	$(MAKE) tool agent
	cd lab && KSRC="$(if $(KSRC),$(abspath $(KSRC)))" $(PY) -m smmu_hil_lab run --plan plans/sensitivity.yaml \
		--results ../results $(if $(RESUME),--resume $(abspath $(RESUME)))

# Only the live-update flow (kexec under fio and iperf3, STE/CD diffs,
# blackout) on the qemu target.
run-liveupdate: setup
	$(MAKE) all
	cd lab && $(PY) -m smmu_hil_lab run --suite liveupdate --results ../results

# The ssh target end to end: the emulated DUT behind ipmi_sim (IPMI power,
# SOL console), commands over SSH (lab suite: ssh-ipmi, and panic-recovery:
# a forced panic detected by the console watchdog, recovered through IPMI).
run-ssh: setup
	$(MAKE) all
	cd lab && $(PY) -m smmu_hil_lab run --suite lab --inventory inventory/emulated-ssh.yaml \
		--results ../results

bench: $(BENCHES)
	@set -e; for b in $(BENCHES); do echo "== $$b"; $$b; done

clean:
	rm -rf $(BUILD)
