"""live-update-luo (issue 13, bug 4; scenarios/bugs/live-update-luo.yaml).

The kexec live-update flow of the liveupdate suite (its workloads: fio
pattern and verifying load, iperf3; its console and kexec handling; the
blackout by phase; lab/suites/liveupdate/test_liveupdate.py), with a LUO
session around each kexec (KexecHooks):

- once: the DUT kexecs into its own kernel with `kho=on liveupdate=on`
  and a KHO scratch layout (luo.BOOT_ARGS) when its command line lacks
  them, and `smmu-hil luo preserve` (a holder process in the background)
  writes the lab's test pattern into a memfd and preserves it in session
  `session`;
- each kexec: `kexec -s` (KHO hands over only through kexec_file_load),
  edu DMA round trips start before it (with fio and iperf3); after it
  `smmu-hil luo retrieve` retrieves the session and the memfd, verifies
  every byte and the CRC-32C, finishes the session and (but after the
  last kexec) preserves the same memfd again in a new session, held by a
  new holder; edu DMA is checked; the STE/CD snapshots before and after
  (the flow's) give per StreamID what survived (luo.survival()).

Verdict (luo.verdict()): the memfd not verified after any kexec fails the
test; then on a kernel without IOMMU preservation the test is an expected
failure (pytest xfail with the reason: report status "xfail", KTAP "ok N
... # XFAIL reason"), never a pass; on one with it, survival is judged.
"""
from __future__ import annotations

import importlib.util
import shlex
import time
from pathlib import Path
from typing import Any, Callable

import pytest

from smmu_hil_lab import liveupdate as lu
from smmu_hil_lab import luo
from smmu_hil_lab.agent import AGENT, Agent, find_pci
from smmu_hil_lab.errors import LabError
from smmu_hil_lab.scenario import Scenario
from smmu_hil_lab.targets import Target
from smmu_hil_lab.timeline import TIMELINE_FILE, BlockSampler, Timeline

# the liveupdate suite's flow, imported from its file (suites are not packages)
_spec = importlib.util.spec_from_file_location(
    "shl_liveupdate_flow", Path(__file__).resolve().parents[1] / "liveupdate" /
    "test_liveupdate.py")
assert _spec is not None and _spec.loader is not None
flow = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(flow)

HOLDER_OUT = "/run/smmu-hil-luo.json"    # the holder's JSON line (tmpfs: per kernel)
EDU_LOOP_PID = "/run/smmu-hil-luo-edu.pid"

scenario = pytest.mark.scenario


def _poll_json(dut: Target, path: str, timeout_s: float) -> dict[str, Any]:
    """The JSON line a background agent command wrote to @path on the DUT,
    waiting up to @timeout_s. Raises LabError when none comes."""
    end = time.monotonic() + timeout_s
    text = ""
    while time.monotonic() < end:
        _, text = dut.run(f"cat {path} 2>/dev/null")
        doc = luo.json_line(text)
        if doc is not None:
            return doc
        time.sleep(0.5)
    raise LabError(f"no answer in {path} within {timeout_s:.0f}s: {text.strip()[-300:]!r}")


class LuoHooks(flow.KexecHooks):
    """The LUO session around each kexec of the flow (module docstring)."""

    file_load = True

    def __init__(self, dut: Target, s: Scenario, kexecs: int, edu: str | None,
                 progress: Callable[[str], None]) -> None:
        self.dut, self.kexecs, self.edu, self.progress = dut, kexecs, edu, progress
        self.session = str(s.param("session", "smmu-hil-luo"))
        self.token = int(s.param("token", 1))
        self.size = str(s.param("memfd_size", "8M"))
        self.seed = int(s.param("seed", 1))
        self.edu_count = int(s.param("edu_count", 16))
        self.crc32c: str | None = None
        self.done = 0

    def _args(self) -> str:
        return (f"--session {shlex.quote(self.session)} --token {self.token} "
                f"--size {self.size} --seed {self.seed}")

    def preserve(self) -> dict[str, Any]:
        """The first holder: pattern written, memfd preserved. Raises LabError."""
        self.dut.run_check(f"rm -f {HOLDER_OUT}; {AGENT} -j luo preserve {self._args()} "
                           f">{HOLDER_OUT} 2>&1 &")
        doc = _poll_json(self.dut, HOLDER_OUT, 60)
        if not doc.get("preserved"):
            raise LabError(f"luo preserve: {doc.get('error', doc)}")
        self.crc32c = doc.get("crc32c")
        return doc

    def before_kexec(self, rec: dict[str, Any]) -> None:
        """The holder must be alive; edu DMA round trips start (stopped by
        the quiesce, dead with the old kernel)."""
        rc, out = self.dut.run(f"grep -o '\"holder_pid\":[0-9]*' {HOLDER_OUT} | cut -d: -f2")
        pid = out.strip()
        alive = rc == 0 and pid.isdigit() and self.dut.run(f"kill -0 {pid}")[0] == 0
        rec["luo"] = {"holder_pid": int(pid) if pid.isdigit() else None,
                      "holder_alive": alive}
        if not alive:
            raise LabError(f"the LUO session holder (pid {pid or '?'}) is not running")
        if self.edu:
            self.dut.run_check(
                f"(while {AGENT} dma roundtrip --dev {self.edu} --count 4 >/dev/null 2>&1; "
                f"do :; done) >/dev/null 2>&1 & echo $! >{EDU_LOOP_PID}")
            rec["luo"]["edu_dma_started"] = True

    def after_kexec(self, rec: dict[str, Any]) -> None:
        """Retrieve, verify, finish and (but after the last kexec) preserve
        again; then edu DMA. Raises LabError when the agent cannot answer."""
        self.done += 1
        again = self.done < self.kexecs
        crc = f" --crc32c {self.crc32c}" if self.crc32c else ""
        t0 = time.monotonic()
        if again:
            self.dut.run_check(f"rm -f {HOLDER_OUT}; {AGENT} -j luo retrieve {self._args()}"
                               f"{crc} --preserve >{HOLDER_OUT} 2>&1 &")
            doc = _poll_json(self.dut, HOLDER_OUT, 60)
        else:
            _, out = self.dut.run(f"{AGENT} -j luo retrieve {self._args()}{crc}", 120)
            doc = luo.json_line(out) or {"error": out.strip()[-300:]}
        m = luo.memfd_result(doc, self.crc32c)
        m["retrieve_s"] = round(time.monotonic() - t0, 2)
        if again and doc.get("preserved") is not True and m["verified"]:
            m["verified"] = False
            m["why"] = f"preserving again failed: {doc.get('preserve_error', doc)}"
        r = rec.setdefault("luo", {})
        r["memfd"] = m
        r["kexec"] = self.done
        if self.edu:
            rc, out = self.dut.run(f"{AGENT} -j dma roundtrip --dev {self.edu} "
                                   f"--count {self.edu_count}", 120)
            d = luo.json_line(out) or {}
            r["edu_dma"] = {k: d.get(k) for k in ("transfers", "errors", "domain")}
            r["dma_ok"] = rc == 0 and d.get("transfers") == self.edu_count and \
                d.get("errors") == 0
        self.progress(f"kexec {self.done}/{self.kexecs}: memfd "
                      f"{'verified' if m['verified'] else 'NOT verified: ' + m['why']}"
                      f" ({m.get('crc32c')}), edu DMA {'ok' if r.get('dma_ok') else 'FAILED'}")


def _preservation(dut: Target) -> dict[str, Any]:
    """luo.iommu_preservation() of the running kernel."""
    _, config = dut.run("zcat /proc/config.gz 2>/dev/null | grep -iE 'IOMMU|SMMU'", 60)
    _, syms = dut.run("grep -iE '(iommu|smmu)[a-z0-9_]*(liveupdate|luo|kho|preserv)|"
                      "(liveupdate|luo|kho)[a-z0-9_]*(iommu|smmu)' /proc/kallsyms | head -20",
                      60)
    _, subs = dut.run("ls /sys/kernel/debug/kho/in/sub_fdts /sys/kernel/debug/kho/out/sub_fdts "
                      "2>/dev/null")
    names = [w for w in subs.split() if not w.endswith(":")]
    return luo.iommu_preservation(config, syms, names)


def _boot_args(dut: Target, s: Scenario, metrics: dict[str, Any],
               progress: Callable[[str], None]) -> str | None:
    """kexec into the running kernel with luo.BOOT_ARGS when its command
    line lacks them. Returns the command line before, or None when nothing
    changed (then the test does not reboot at the end). Raises LabError."""
    args = str(s.param("boot_args", luo.BOOT_ARGS))
    cmdline = dut.run_check("cat /proc/cmdline").strip()
    missing = luo.boot_args_missing(cmdline, args)
    metrics["boot_args"] = args
    if not missing:
        metrics["setup_kexec_s"] = 0.0
        return None
    keys = {w.partition("=")[0] for w in args.split()}
    new = " ".join([w for w in cmdline.split() if w.partition("=")[0] not in keys] + [args])
    progress(f"kexec into the same kernel with {' '.join(missing)}")
    t0 = time.monotonic()
    dut.kexec_load(append=new, file_load=True)
    dut.kexec_exec()
    metrics["setup_kexec_s"] = round(time.monotonic() - t0, 1)
    still = luo.boot_args_missing(dut.run_check("cat /proc/cmdline").strip(), args)
    if still:
        raise LabError(f"after the set-up kexec the command line still lacks {still}")
    return cmdline


def _restore(dut: Target, metrics: dict[str, Any], progress: Callable[[str], None]) -> None:
    """Reboot the DUT: the later tests of the session run on its own boot
    (command line without KHO and its scratch reservation, booted by its
    firmware). Not a plain kexec back: on a kernel booted by a KHO kexec,
    kexec-tools 2.0.25's `kexec -l` fails ("setup_2nd_dtb failed"), and
    the liveupdate suite uses it. A failure is only recorded (the next
    test's dut fixture reboots a dead DUT)."""
    progress("rebooting the DUT (its own command line, no KHO)")
    try:
        metrics["restore_reboot_s"] = round(dut.boot(), 1)
    except LabError as e:
        metrics["restore_reboot"] = f"failed: {e}"


@scenario("live-update-luo")
def test_live_update_luo(dut: Target, agent: Agent, dut_info: dict[str, Any],
                         scenario: Scenario, metrics: dict[str, Any], log_dir: Path,
                         test_name: str, progress: Callable[[str], None]) -> None:
    """A LUO memfd verified after each of N kexecs under fio, iperf3 and
    edu DMA; per StreamID the IOMMU state across each kexec; xfail without
    IOMMU preservation in the kernel."""
    rc, _ = dut.run("zcat /proc/config.gz 2>/dev/null | grep -qx 'CONFIG_LIVEUPDATE_MEMFD=y'")
    if rc != 0:
        pytest.skip("the DUT kernel has no LUO memfd preservation (CONFIG_LIVEUPDATE_MEMFD; "
                    "DUT_KERNEL=lab has it)")
    n = int(scenario.param("iterations", 5))
    edu = find_pci(dut_info, str(scenario.param("edu", "1234:11e8")))
    t_start = time.monotonic()
    before = _boot_args(dut, scenario, metrics, progress)
    try:
        status, why = _run(dut, agent, scenario, metrics, log_dir, test_name, progress, n,
                           edu, t_start)
    finally:
        if before is not None and scenario.param("restore_boot", True):
            _restore(dut, metrics, progress)
    if status == "xfail":
        pytest.xfail(why)


def _run(dut: Target, agent: Agent, scenario: Scenario, metrics: dict[str, Any],
         log_dir: Path, test_name: str, progress: Callable[[str], None], n: int,
         edu: dict[str, Any] | None, t_start: float) -> tuple[str, str]:
    """The preserve and the @n kexecs; the asserts of the memfd part.
    Returns luo.verdict()'s (status, reason) when it is not a failure."""
    if dut.run("test -c /dev/liveupdate")[0] != 0:
        pytest.fail("no /dev/liveupdate with " + metrics["boot_args"])
    pres = _preservation(dut)
    metrics["iommu_preservation"] = pres
    hooks = LuoHooks(dut, scenario, n, edu.get("bdf") if edu else None, progress)
    first = hooks.preserve()
    metrics.update(memfd_size=first.get("size"), memfd_crc32c=first.get("crc32c"),
                   session=hooks.session)
    out = log_dir / lu.ITERATIONS_FILE
    tl = Timeline(log_dir / TIMELINE_FILE, test_name)
    tl.append("start", t=time.time(), target=dut.name)
    records: list[dict[str, Any]] = []
    with BlockSampler(dut, tl) as sampler:
        for i in range(n):
            rec = flow._run_iteration(i + 1, dut, agent, scenario, log_dir, tl, progress,
                                      hooks=hooks)
            if rec.get("snapshot_before") is not None and rec.get("snapshot_after") is not None:
                rows = luo.survival(rec["snapshot_before"], rec["snapshot_after"],
                                    rec.get("event_sids"))
                rec.setdefault("luo", {})["survival"] = rows
                rec["luo"]["survival_summary"] = luo.survival_summary(rows)
            lu.append_jsonl(out, rec)
            records.append(rec)
            s = (rec.get("luo") or {}).get("survival_summary") or {}
            progress(f"iteration {i + 1}/{n}: disk {rec.get('blackout_disk_ms')} ms, "
                     f"{flow._phase_text(rec)}; StreamIDs {s.get('survived')}/"
                     f"{s.get('streams')} survived (STE rebuilt {s.get('ste_rebuilt')}, "
                     f"roots rebuilt {s.get('roots_rebuilt')}), events {s.get('events')} "
                     f"({rec['elapsed_s']} s){' ERROR ' + rec['error'] if rec.get('error') else ''}")
            if rec.get("error"):
                break
    metrics.update(lu.summarize(records))
    metrics["disk_samples"] = sampler.samples
    memfd = [(r.get("luo") or {}).get("memfd") or {"verified": False,
                                                  "why": r.get("error", "no check")}
             for r in records]
    surv = [(r.get("luo") or {}).get("survival") or [] for r in records]
    dma = [bool((r.get("luo") or {}).get("dma_ok")) for r in records]
    metrics["kexecs"] = len(records)
    metrics["memfd_verified"] = sum(1 for m in memfd if m.get("verified"))
    metrics["survival"] = [(r.get("luo") or {}).get("survival_summary") for r in records]
    metrics["edu_dma_ok"] = sum(dma)
    metrics["run_s"] = round(time.monotonic() - t_start, 1)
    status, why = luo.verdict(memfd, n, surv, dma, pres)
    metrics["verdict"] = status
    failed = [r for r in records if r.get("error")]
    assert not failed, f"kexec {failed[0]['iteration']} failed: {failed[0]['error']}"
    assert metrics["verify_errors"] == 0, f"{metrics['verify_errors']} fio verify errors"
    assert status != "fail", why
    return status, why
