"""LAVA: job definitions from the inventory and the scenarios, and LAVA's
results back into smmu-hil's report (docs/lava.md).

- emulated_device(): the device dictionary of the emulated DUT (LAVA's
  `qemu` device type); its QEMU options are QemuMachine.device_args(), the
  lab's one machine definition, plus what LAVA's overlay disk needs.
- emulated_job() / server_job(): a job for the emulated DUT (deploy to
  tmpfs, boot qemu) and for a real ARM server of the inventory (IPMI power,
  SOL console: tftp deploy, grub boot); both run agent_definition() (the
  agent's scenarios, `smmu-hil run --lava`, one lava-test-case each, their
  numeric metrics as a lava-test-set), boot the same kernel again with
  LAVA's kexec boot action and check the SMMU came back (kexec_definition()).
- parse_log(): lava-run's log (stderr, one YAML mapping per line) as
  LavaResults: the scenarios' verdicts and metrics, LAVA's own job result.

The files are built as Python data and written with PyYAML.
"""
from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from . import image, inventory, paths, scenario, smmu_model as smmu_models
from .drivers.ipmi import ipmitool_argv, ipmitool_env
from .errors import LavaError
from .report import STATUSES, TestResult
from .resources import BmcAccess, QemuMachine
from .strategy import READY

PROMPT = "smmu-hil-dut:~# "           # set by lab/dut/init.d/lava.sh
KERNEL_START = "Linux version [0-9]"
# kexec's boot_message must come before KERNEL_START, which LAVA waits for next
KEXEC_BOOT_MESSAGE = "Booting Linux on physical CPU"
DUT_SCENARIOS = "/opt/smmu-hil/scenarios"
DUT_MODULES = "/opt/smmu-hil/modules"
EVENT_RING = 262144                   # as the transitions suite: breaking updates flood it
# A kernel message written while the test runs: it must reach dmesg and not
# the console (dmesg -n 1), or it could split LAVA's test case signals. The
# typed command holds it only as two pieces, so its echo never matches.
PRINTK_PROBE = "smmu-hil-lava-printk-probe"
LAVA_HOOK = paths.REPO / "lab" / "dut" / "init.d" / "lava.sh"
METADATA_SCENARIOS = "smmu-hil.scenarios"
JOB_TEST = "lava-job"                 # the report's test for LAVA's own job result
CONSOLE_TEST = "printk-off-console"   # the host's half of the console check
SMMU_MODEL_TEST = "smmu-model"        # the emulated DUT's SMMU is the model asked for
# `smmu-hil run --lava` echoes a failed or skipped scenario's reason as one line
AGENT_REASON = re.compile(r"^smmu-hil: (?P<name>[\w.-]+): (?P<status>fail|skip): (?P<reason>.+)$")
# LAVA's qcow2 test overlay disk is a virtio-blk-pci (if=virtio): like the
# lab's own disk it must be modern with iommu_platform, or its DMA bypasses
# the SMMU.
OVERLAY_DISK_OPTIONS = ["-global", "virtio-blk-pci.disable-legacy=on",
                        "-global", "virtio-blk-pci.iommu_platform=on"]


def agent_scenarios(directory: Path) -> list[scenario.Scenario]:
    """The scenarios of @directory the DUT agent runs on its own (`mode`
    files); lab-run ones need the Python controller. Raises LavaError when a
    file is malformed or there is none."""
    try:
        good, bad = scenario.load_suite(directory)
    except scenario.ScenarioError as e:
        raise LavaError(str(e)) from e
    if bad:
        raise LavaError(str(bad[0]))
    agent = [s for s in good if s.runner == "agent"]
    if not agent:
        raise LavaError(f"{directory}: no agent scenario (a file with `mode`)")
    return agent


def _timeout(minutes: int) -> dict[str, int]:
    return {"minutes": minutes}


def _inline(name: str, description: str, steps: list[str]) -> dict[str, Any]:
    """An inline LAVA test definition running @steps."""
    return {"from": "inline", "name": name, "path": f"inline/{name}.yaml",
            "repository": {"metadata": {"format": "Lava-Test Test Definition 1.0",
                                        "name": name, "description": description},
                           "run": {"steps": steps}}}


def smmu_model_case(model: str) -> str:
    """The test case `smmu-model` (SMMU_MODEL_TEST): the emulated DUT's SMMU
    has the stages of @model (smmu_model.py), as `smmu-hil dut info` lists
    them (S1P and S2P from IDR0, first among the features)."""
    s1p, s2p = smmu_models.STAGES[smmu_models.validate(model)]
    checks = [f'{"" if s1p else "! "}echo "$i" | grep -q "features: S1P"',
              f'{"" if s2p else "! "}echo "$i" | grep -Eq "features:( S1P)? S2P"']
    return (f"lava-test-case {SMMU_MODEL_TEST} --shell 'i=$(smmu-hil dut info) && "
            + " && ".join(checks) + "'")


def agent_definition(suite: str, names: list[str], smmu_model: str | None = None
                     ) -> dict[str, Any]:
    """The test definition running the agent's scenarios @names of @suite:
    on an emulated DUT the SMMU model check (@smmu_model, smmu_model_case()),
    console checks (kernel messages off the console), then the injector and
    a large event ring, then `smmu-hil run --lava`, whose lava-test-case
    lines go to LAVA's test shell as they are printed."""
    files = " ".join(shlex.quote(f"{DUT_SCENARIOS}/{suite}/{n}.yaml") for n in names)
    half = PRINTK_PROBE.rpartition("-")
    steps = [*([smmu_model_case(smmu_model)] if smmu_model else []),
        "dmesg -n 1",
        f"printf '<4>%s-%s\\n' {half[0]} {half[2]} > /dev/kmsg",
        "lava-test-case console-loglevel --shell 'test $(cut -f1 /proc/sys/kernel/printk) -le 1'",
        f"lava-test-case printk-probe-in-dmesg --shell 'dmesg | grep -q {PRINTK_PROBE[:-1]}[{PRINTK_PROBE[-1]}]'",
        "lava-test-case load-injector --shell '"
        f"rmmod smmu_hil_evtmon && insmod {DUT_MODULES}/smmu_hil_evtmon.ko ring_size={EVENT_RING}"
        f" && insmod {DUT_MODULES}/smmu_hil_inject.ko allow_raw=1 rec_size=65536'",
        f"smmu-hil run --lava {files} | tee /tmp/smmu-hil-lava.sh | sh",
    ]
    return _inline("smmu-hil-agent",
                   f"smmu-hil agent scenarios of {suite} (smmu-hil run --lava)", steps)


def kexec_definition() -> dict[str, Any]:
    """The test definition after LAVA's kexec boot: the SMMU probed again and
    the agent reads it."""
    return _inline("smmu-hil-kexec", "the SMMU after a kexec into the same kernel", [
        "dmesg -n 1",
        "lava-test-case kexec-smmu-probed --shell 'ls /sys/class/iommu | grep -q smmu3'",
        "lava-test-case kexec-dut-info --shell 'smmu-hil dut info'",
    ])


def _common_job(name: str, names: list[str], suite: str, minutes: int) -> dict[str, Any]:
    return {"job_name": name,
            "timeouts": {"job": _timeout(minutes), "action": _timeout(10),
                         "connection": _timeout(2)},
            "priority": "medium", "visibility": "public",
            "metadata": {METADATA_SCENARIOS: ",".join(names), "smmu-hil.suite": suite}}


def _test(minutes: int, definition: dict[str, Any]) -> dict[str, Any]:
    return {"test": {"timeout": _timeout(minutes), "definitions": [definition]}}


def _kexec_boot(kernel: str, initrd: str, append: str, deploy: bool) -> dict[str, Any]:
    boot = {"method": "kexec", "kernel": kernel, "initrd": initrd,
            # -i: no purgatory checksum (about 8 s under emulation)
            "options": ["-i", f"--append='{append}'"],
            "boot_message": KEXEC_BOOT_MESSAGE, "prompts": [PROMPT],
            "timeout": _timeout(5)}
    if deploy:
        boot["deploy"] = True
    return {"boot": boot}


def _constants() -> dict[str, Any]:
    """The device dictionary's constants (what lava-server's base template
    would give): busybox shell, prompt, kernel start message, retries."""
    return {
        "posix": {"lava_test_sh_cmd": "/bin/sh", "lava_test_results_dir": "/lava-%s",
                  "lava_test_shell_file": "~/.profile"},
        "kernel-start-message": KERNEL_START,
        "default-shell-prompt": PROMPT,
        "spawn_maxread": 4092,
        "failure_retry": 1,
        "boot_retry": None,
        "shutdown-message": "reboot: Restarting system",
    }


def emulated_device(machine: QemuMachine) -> dict[str, Any]:
    """The emulated DUT's LAVA device dictionary (device type qemu): the
    lab's QEMU machine (device_args()) and what LAVA needs besides."""
    return {
        "constants": _constants(),
        "parameters": {},
        "available_architectures": ["arm64"],
        "actions": {
            "deploy": {"methods": {
                "tmpfs": None,
                "image": {"parameters": {"guest": {"size": 512, "interface": "virtio",
                                                   "driveid": "lavatest"}}},
            }},
            "boot": {"connections": {"serial": None},
                     "methods": {"qemu": {"parameters": {
                         "command": machine.qemu,
                         "options": ["-nographic", "-no-reboot", *machine.device_args(),
                                     *OVERLAY_DISK_OPTIONS]}}}},
        },
        "timeouts": {"actions": {"apply-overlay-image": _timeout(3)},
                     "connections": {"lava-test-shell": _timeout(10)}},
    }


def emulated_job(img: image.DutImage, machine: QemuMachine, suite: str,
                 names: list[str]) -> dict[str, Any]:
    """The emulated DUT's job: deploy @img's kernel and initramfs (agent,
    modules, scenarios inside) to tmpfs, boot qemu, the agent's scenarios
    @names, LAVA's kexec boot into the same kernel (from the 9p share), the
    SMMU again."""
    job = _common_job(f"smmu-hil emulated DUT: {suite} agent scenarios, kexec", names, suite, 45)
    job["device_type"] = "qemu"
    job["context"] = {"arch": "arm64"}
    job["actions"] = [
        {"deploy": {"to": "tmpfs", "timeout": _timeout(5), "images": {
            "kernel": {"url": img.kernel.resolve().as_uri(),
                       "image_arg": f"-kernel {{kernel}} -append '{machine.append}'"},
            "ramdisk": {"url": img.initrd.resolve().as_uri(),
                        "image_arg": "-initrd {ramdisk}"}}}},
        {"boot": {"method": "qemu", "media": "tmpfs", "prompts": [PROMPT],
                  "timeout": _timeout(5)}},
        _test(30, agent_definition(suite, names, machine.smmu_model)),
        _kexec_boot("/mnt/host/Image", "/mnt/host/initrd.cpio", machine.append, deploy=False),
        _test(5, kexec_definition()),
    ]
    return job


def server_job(dut: inventory.Dut, artifacts_url: str, suite: str, names: list[str],
               append: str) -> dict[str, Any]:
    """A real ARM server's job: IPMI power and the SOL console are the LAVA
    device's (server_device()); the kernel and initramfs (agent, modules,
    scenarios inside) come over TFTP from @artifacts_url, grub boots them,
    LAVA's test overlay is fetched over the network after boot; kexec
    reloads the same files."""
    base = artifacts_url.rstrip("/")
    job = _common_job(f"smmu-hil {dut.name}: {suite} agent scenarios, kexec", names, suite, 120)
    job["device_type"] = "smmu-hil-arm64-server"
    job["context"] = {"arch": "arm64"}
    job["actions"] = [
        {"deploy": {"to": "tftp", "timeout": _timeout(10),
                    "kernel": {"url": f"{base}/Image", "type": "image"},
                    "ramdisk": {"url": f"{base}/initrd.cpio", "install_overlay": False,
                                "install_modules": False}}},
        {"boot": {"method": "grub", "commands": "ramdisk", "prompts": [PROMPT],
                  "timeout": _timeout(15),
                  "transfer_overlay": {"download_command": "wget -q",
                                       "unpack_command": "tar -C / -xzf"}}},
        _test(60, agent_definition(suite, names)),
        _kexec_boot("/tmp/smmu-hil-Image", "/tmp/smmu-hil-initrd.cpio", append, deploy=True),
        _test(5, kexec_definition()),
    ]
    return job


def server_device(dut: inventory.Dut, append: str) -> dict[str, Any]:
    """A LAVA device dictionary for a real server of the inventory: power
    by ipmitool (the DUT's BMC and cipher suite), console by SOL, grub
    netboot of a ramdisk. What a LAVA admin would render from
    lava-server's templates; here it lets `lava-run --validate` check
    server_job(); @append is the kernel command line. Raises LavaError
    unless the DUT has IPMI power."""
    p = dut.power
    if p.kind != "ipmi":
        raise LavaError(f"{dut.name}: a server job needs IPMI power (power.kind is {p.kind})")
    # the lab's own ipmitool command line (password in the environment, -E),
    # quoted for the dispatcher's shell; an emulated DUT's `auto` port is
    # written as it stands (only the lab resolves it)
    bmc = BmcAccess(p.host, p.port, p.user, p.password, p.cipher_suite)  # type: ignore[arg-type]
    ipmi = shlex.join(["env", *(f"{k}={v}" for k, v in ipmitool_env(bmc).items()),
                       *ipmitool_argv(bmc)])
    return {
        "constants": _constants(),
        "parameters": {},
        "available_architectures": ["arm64"],
        "commands": {"connect": f"{ipmi} sol activate",
                     "power_on": f"{ipmi} chassis power on",
                     "power_off": f"{ipmi} chassis power off",
                     "hard_reset": f"{ipmi} chassis power cycle"},
        "actions": {
            "deploy": {"methods": {"tftp": None}, "parameters": {}},
            "boot": {"connections": {"serial": None},
                     "methods": {"grub": {
                         "parameters": {"bootloader_prompt": "grub>",
                                        "boot_message": KERNEL_START},
                         "ramdisk": {"commands": [
                             "net_bootp",
                             f"linux (tftp,{{SERVER_IP}})/{{KERNEL}} {append}",
                             "initrd (tftp,{SERVER_IP})/{RAMDISK}",
                             "boot"]}}}},
        },
        "timeouts": {"actions": {}, "connections": {}},
    }


def write_yaml(path: Path, doc: dict[str, Any]) -> Path:
    """Write @doc to @path as YAML (PyYAML, block style, key order kept)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(doc, sort_keys=False, default_flow_style=False,
                                   width=1000), encoding="utf-8")
    return path


@dataclass
class Generated:
    """What write_jobs() wrote."""

    device: Path
    emulated_job: Path
    server_jobs: list[Path] = field(default_factory=list)
    server_devices: list[Path] = field(default_factory=list)


def write_jobs(out: Path, inventory_files: list[Path], suite: str = "transitions",
               artifacts_url: str = "http://lava-artifacts.example/smmu-hil",
               names: list[str] | None = None) -> Generated:
    """Write into @out: the emulated DUT's boot files (share/), its device
    dictionary (device-emulated.yaml) and job (jobs/emulated.yaml), and per
    inventory DUT with IPMI power a server job (jobs/<name>.yaml) and device
    (devices/<name>.yaml). @names restricts the suite's agent scenarios.
    Raises LavaError (bad scenario, unknown name, inventory error),
    image.ImageError (set-up or build missing)."""
    scens = agent_scenarios(paths.SCENARIOS / suite)
    known = [s.name for s in scens]
    if names:
        unknown = [n for n in names if n not in known]
        if unknown:
            raise LavaError(f"not an agent scenario of {suite}: {', '.join(unknown)} "
                            f"(known: {', '.join(known)})")
    chosen = names or known
    servers: list[inventory.Dut] = []
    for inv in inventory_files:
        try:
            servers += [d for d in inventory.load(inv) if d.power.kind == "ipmi"]
        except inventory.InventoryError as e:
            raise LavaError(str(e)) from e
    img = image.build_image(out / "share",
                            extra={"etc/smmu-hil/init.d/lava.sh": LAVA_HOOK})
    try:    # the SMMU model $SMMU_HIL_SMMU_MODEL names, else nested
        model = smmu_models.resolve()
    except smmu_models.SmmuModelError as e:
        raise LavaError(str(e)) from e
    machine = QemuMachine(kernel=img.kernel, initrd=img.initrd, data_disk=img.data_disk,
                          share=img.share, smmu_model=model)
    gen = Generated(device=write_yaml(out / "device-emulated.yaml", emulated_device(machine)),
                    emulated_job=write_yaml(out / "jobs" / "emulated.yaml",
                                            emulated_job(img, machine, suite, chosen)))
    for dut in servers:
        gen.server_jobs.append(write_yaml(
            out / "jobs" / f"{dut.name}.yaml",
            server_job(dut, artifacts_url, suite, chosen, machine.append)))
        gen.server_devices.append(write_yaml(out / "devices" / f"{dut.name}.yaml",
                                             server_device(dut, machine.append)))
    return gen


# ------------------------------------------------------------------ lava-run

def supermin_env(cache: Path | None = None) -> dict[str, str]:
    """Environment for libguestfs' supermin appliance (LAVA builds its
    overlay disk with it): the amd64 kernel named in
    $SMMU_HIL_CACHE/host-headers.lock (host_kernel_release=) that set-up
    unpacked into $SMMU_HIL_CACHE/supermin/<release>, and TCG (no KVM
    here). Raises LavaError when set-up has not unpacked it."""
    cache = cache or paths.cache_dir()
    try:
        text = (cache / "host-headers.lock").read_text()
    except FileNotFoundError as e:
        raise LavaError(f"no host set-up in {cache}: run `make setup`") from e
    rel = next((line.partition("=")[2].strip() for line in text.splitlines()
                if line.startswith("host_kernel_release=")), "")
    if not rel:
        raise LavaError(f"{cache}/host-headers.lock names no host_kernel_release: run `make setup`")
    root = cache / "supermin" / rel
    if not (root / ".stamp").is_file():
        raise LavaError(f"no host kernel for libguestfs in {root}: run `make setup`")
    return {"SUPERMIN_KERNEL": str(root / "boot" / f"vmlinuz-{rel}"),
            "SUPERMIN_MODULES": str(root / "lib" / "modules" / rel),
            "SUPERMIN_KERNEL_VERSION": rel,
            "LIBGUESTFS_BACKEND_SETTINGS": "force_tcg"}


def lava_run(job: Path, device: Path, out_dir: Path, job_id: int = 1,
             validate_only: bool = False, timeout: float = 3600) -> tuple[int, float, Path]:
    """Run (or with @validate_only, validate) @job on @device with lava-run;
    LAVA's log (stderr, YAML lines) goes to @out_dir/lava.log, its output
    directory is @out_dir/lava-output. Returns (exit status, wall seconds,
    log path). lava-run exits 0 even when test cases fail: read the log.
    Raises LavaError when lava-run is not installed."""
    exe = shutil.which("lava-run")
    if exe is None:
        raise LavaError("lava-run not found: run `make setup` (Debian's lava-dispatcher)")
    out_dir.mkdir(parents=True, exist_ok=True)
    log = out_dir / ("lava-validate.log" if validate_only else "lava.log")
    env = dict(os.environ)
    if not validate_only:
        env.update(supermin_env())
    # lava-run is Debian's: /usr/bin/python3 (python3-guestfs lives there)
    argv = ["/usr/bin/python3", exe, "--job-id", str(job_id), "--output-dir",
            str(out_dir / "lava-output"), "--device", str(device), str(job)]
    if validate_only:
        argv.insert(2, "--validate")
    t0 = time.monotonic()
    with log.open("wb") as fh:
        rc = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=fh, env=env,
                            timeout=timeout, check=False).returncode
    return rc, time.monotonic() - t0, log


# ------------------------------------------------------------------ results

@dataclass
class LavaResults:
    """What a lava-run log reported: the test cases of the job's test
    definitions (LAVA's own "lava" definition apart), in order, and the
    job's result."""

    cases: list[dict[str, Any]] = field(default_factory=list)
    job_result: str | None = None       # "pass" / "fail"; None: the job never ended
    job_error: str = ""
    job_error_type: str = ""            # LAVA's error_type: Infrastructure, Job, Test ...
    unreadable_lines: int = 0           # not YAML (a torn last line)
    console: list[str] = field(default_factory=list)   # the `lvl: target` lines
    boot_command: str = ""              # LAVA's first "Boot command: ..." (the QEMU line)


def log_records(text: str) -> tuple[list[dict[str, Any]], int]:
    """lava-run's log (its stderr: one YAML mapping a line, parsed with
    PyYAML) as (records, number of lines that are no record, e.g. torn)."""
    records, bad = [], 0
    for line in text.splitlines():
        if not line.strip():
            continue
        try:
            rec = yaml.safe_load(line)
        except yaml.YAMLError:
            rec = None
        if isinstance(rec, dict) and "lvl" in rec:
            records.append(rec)
        else:
            bad += 1
    return records, bad


def parse_log(text: str) -> LavaResults:
    """LavaResults from the `lvl: results` records of lava-run's log.
    Raises LavaError when no line is a LAVA log record."""
    records, bad = log_records(text)
    if not records:
        raise LavaError("no LAVA log record in the log (is it lava-run's stderr?)")
    out = LavaResults(unreadable_lines=bad)
    for rec in records:
        msg = rec.get("msg")
        if rec["lvl"] == "target":
            out.console.append(str(msg if msg is not None else ""))
        if isinstance(msg, str) and msg.startswith("Boot command: ") and not out.boot_command:
            out.boot_command = msg[len("Boot command: "):]
        if rec["lvl"] != "results" or not isinstance(msg, dict):
            continue
        if msg.get("definition") == "lava":
            if msg.get("case") == "job":
                out.job_result = str(msg.get("result"))
                out.job_error = str(msg.get("error_msg") or "")
                out.job_error_type = str(msg.get("error_type") or "")
            continue
        out.cases.append(msg)
    return out


def _number(v: Any) -> float | int | None:
    """A LAVA measurement (LAVA logs it as a float's text) as a number; an
    integral value as an int (counts), None when not a number."""
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return int(f) if f.is_integer() else f


def report_tests(res: LavaResults, expected: list[str]) -> list[TestResult]:
    """smmu-hil's tests from LAVA's cases: one per case outside a test set
    (the scenarios, the console and kexec checks), with the measurements of
    the lava-test-set named after it as metrics, the reason the agent
    echoed on the console for a fail or skip; an @expected scenario with
    no case is a failed test (the job ended early, or a console signal was
    lost), and so is a LAVA job that did not pass. When the job ran tests,
    CONSOLE_TEST checks PRINTK_PROBE stayed off the console."""
    metrics: dict[str, dict[str, Any]] = {}
    tests: list[TestResult] = []
    reasons = {(m["name"], m["status"]): m["reason"].strip()
               for m in map(AGENT_REASON.match, res.console) if m}
    for c in res.cases:
        name, result = str(c.get("case")), str(c.get("result"))
        if c.get("set"):
            value = _number(c.get("measurement"))
            if value is not None:
                metrics.setdefault(str(c["set"]), {})[name] = value
            continue
        status = result if result in STATUSES else "fail"
        t = TestResult(name, status)
        if result not in STATUSES:
            t.reason = f"LAVA result {result!r}"
        elif status == "skip":
            t.reason = reasons.get((name, status), "skipped on the DUT (see the LAVA log)")
        elif status == "fail":
            t.reason = reasons.get((name, status), "failed on the DUT (definition "
                                   f"{c.get('definition')}; see the LAVA log)")
        if c.get("units") == "s" and _number(c.get("measurement")) is not None:
            t.metrics["dut_duration_s"] = _number(c["measurement"])
        tests.append(t)
    for t in tests:
        t.metrics.update(metrics.get(t.name, {}))
    if tests:
        # dmesg -n 1 holds: the kernel message the agent definition wrote
        # never reached the console, where it could have split a signal
        leaked = [ln for ln in res.console if PRINTK_PROBE in ln]
        tests.append(TestResult(CONSOLE_TEST, "fail" if leaked else "pass", reason=(
            f"a kernel message reached the console: {leaked[0].strip()}" if leaked else "")))
    seen = {t.name for t in tests}
    for name in expected:
        if name not in seen:
            tests.append(TestResult(name, "fail", reason=(
                "LAVA reported no result for this scenario (the job ended early, or its "
                "test case signal was lost on the console)")))
    if res.job_result != "pass":
        tests.append(TestResult(JOB_TEST, "fail", reason=(
            f"LAVA job result {res.job_result or 'missing (lava-run did not finish)'}"
            + (f": {res.job_error}" if res.job_error else ""))))
    else:
        tests.append(TestResult(JOB_TEST, "pass"))
    return tests


def dut_kernel(res: LavaResults) -> str | None:
    """The kernel release the DUT's init announced on the console (the
    lab's ready line), the first boot's; None when it never came."""
    for line in res.console:
        m = re.search(READY, line)
        if m:
            return m.group(1)
    return None


def smmu_model(res: LavaResults) -> str | None:
    """The SMMU model LAVA's QEMU boot command asked for
    (smmu_model.from_qemu_args()); None when the log has no QEMU boot."""
    try:
        args = shlex.split(res.boot_command)
    except ValueError:
        return None
    return smmu_models.from_qemu_args(args)


def expected_scenarios(job: dict[str, Any]) -> list[str]:
    """The scenario names a generated job runs (its metadata)."""
    names = (job.get("metadata") or {}).get(METADATA_SCENARIOS, "")
    return [n for n in str(names).split(",") if n]


SUITE = paths.REPO / "lab" / "suites" / "lava"


def run_job(job: Path, device: Path, results: Path, job_id: int = 1) -> tuple[int, Path, float]:
    """Run @job on @device with lava-run into a new run directory of
    @results (lava.log, lava-output/, console.log), then turn LAVA's results
    into the run's report (the lava suite, through the lab's plugin:
    report.json, ktap.log, summary.txt, junit.xml, report.html,
    kcidb.json). Returns (0 all passed or skipped, 1 a test failed, 2 the
    run broke; the run directory; lava-run's wall seconds)."""
    from . import runner
    from .report import new_run_id
    run_dir = results.resolve() / new_run_id()
    run_dir.mkdir(parents=True)
    print(f"smmu-hil: lava-run {job} on {device} -> {run_dir}", flush=True)
    rc, seconds, log = lava_run(job, device, run_dir, job_id)
    try:
        console = parse_log(log.read_text(encoding="utf-8", errors="replace")).console
    except LavaError:
        console = []
    (run_dir / "console.log").write_text("\n".join(console) + "\n", encoding="utf-8")
    print(f"smmu-hil: lava-run exited {rc} after {seconds:.1f} s", flush=True)
    status = runner.session([str(SUITE), f"--shl-lava-log={log}", f"--shl-lava-job={job}",
                             f"--shl-lava-seconds={seconds:.1f}"], run_dir, "lava", "lava")
    return status, run_dir, seconds


def validate_job(job: dict[str, Any]) -> None:
    """Validate @job with LAVA's own schema (lava_common, strict). Raises
    LavaError naming the problem; ImportError without lava_common."""
    from lava_common import schemas
    from voluptuous import Invalid
    try:
        schemas.validate(job, strict=True)
    except Invalid as e:
        raise LavaError(f"LAVA job schema: {e}") from e


def validate_device(device: dict[str, Any]) -> None:
    """Validate a device dictionary with lava_common's device schema.
    Raises LavaError; ImportError without lava_common."""
    from lava_common.schemas import device as device_schema
    from voluptuous import Invalid
    try:
        device_schema.validate(device)
    except Invalid as e:
        raise LavaError(f"LAVA device schema: {e}") from e


def validate_dir(out: Path) -> list[tuple[str, bool]]:
    """Check what write_jobs() wrote into @out: every job against LAVA's
    schema and with `lava-run --validate` on its device (the emulated job on
    device-emulated.yaml, jobs/<name>.yaml on devices/<name>.yaml). Returns
    (line, ok) per check. Raises LavaError when @out holds no job."""
    jobs = sorted((out / "jobs").glob("*.yaml"))
    if not jobs:
        raise LavaError(f"{out}/jobs: no job (run `lava jobs --out {out}` first)")
    lines = []
    for path in jobs:
        device = out / "device-emulated.yaml" if path.stem == "emulated" else \
            out / "devices" / path.name
        try:
            validate_job(yaml.safe_load(path.read_text(encoding="utf-8")))
            validate_device(yaml.safe_load(device.read_text(encoding="utf-8")))
            lines.append((f"ok   schema {path} (device {device})", True))
        except (LavaError, OSError) as e:
            lines.append((f"FAIL schema {path}: {e}", False))
            continue
        rc, _, log = lava_run(path, device, out / "validate" / path.stem, validate_only=True)
        res = parse_log(log.read_text(encoding="utf-8", errors="replace"))
        if rc == 0 and res.job_result == "pass":
            lines.append((f"ok   lava-run --validate {path}", True))
        elif res.job_error_type == "Infrastructure":
            # this host is no complete LAVA worker (e.g. no TFTP server for
            # a tftp deploy): the job itself was not found wrong
            lines.append((f"SKIP lava-run --validate {path}: this worker lacks "
                          f"infrastructure: {res.job_error}", True))
        else:
            lines.append((f"FAIL lava-run --validate {path}: {res.job_error or f'exit {rc}'}",
                          False))
    return lines
