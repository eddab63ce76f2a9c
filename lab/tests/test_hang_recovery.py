"""Issue 14: a DUT that hangs without a panic (its machine frozen: no console
output, no answer, nothing printed) is detected by the console watchdog's
probe, power-cycled, and recorded as that iteration's failure; the other
iterations pass. The real QemuTarget, ConsoleWatchdog and run_iterations on
tests/fake_qemu.py, frozen with SIGSTOP."""
from __future__ import annotations

import os
import signal
import time
from typing import Any

from smmu_hil_lab.errors import LabError
from smmu_hil_lab.watchdog import ConsoleWatchdog, Fault, run_iterations


def test_hang_without_panic_is_detected_cycled_and_recorded(make_target) -> None:
    t = make_target()
    t.power.start_timeout = 5.0          # QMP of a frozen machine times out sooner
    t.boot()

    def alive() -> bool:
        try:
            return t.console.run("true", 1.0)[0] == 0
        except LabError:
            return False

    wd = ConsoleWatchdog(t.console, alive=alive, hang_s=2.0, probe_s=0.5)
    wd.start()
    frozen: dict[str, float] = {}
    boots: list[float] = []

    def body(i: int, m: dict[str, Any]) -> None:
        assert t.run("echo ok", 5)[1] == "ok\n"
        m["qemu_pid"] = t.power.proc.pid if t.power.proc else 0
        if i == 2:
            frozen["at"] = time.monotonic()
            os.kill(t.power.proc.pid, signal.SIGSTOP)     # the whole machine stops
            fault = wd.wait_fault(20)
            assert fault is not None, "hang not detected within 20 s"
            raise AssertionError("unreachable: the hang fails this iteration")

    def recover(fault: Fault | None) -> float:
        assert fault is not None and fault.kind == "hang"
        frozen["detect_s"] = fault.at - frozen["at"]
        wd.paused = True
        try:
            s = t.boot()                  # power cycle (QMP quit, else kill), boot
        finally:
            wd.paused = False
        boots.append(s)
        return s

    try:
        its = run_iterations(3, body, wd, recover, settle_s=1.0)
    finally:
        wd.stop()
    assert [it.status for it in its] == ["pass", "fail", "pass"], [it.reason for it in its]
    hung = its[1]
    assert hung.reason.startswith("DUT hang: "), hung.reason
    assert "--- console tail ---" in hung.reason
    assert hung.metrics["recover_s"] > 0 and boots
    assert 1.5 < frozen["detect_s"] < 15, frozen
    # a fresh machine after the cycle, answering
    assert its[2].metrics["qemu_pid"] != its[1].metrics["qemu_pid"]
    assert t.run("echo back", 5)[1] == "back\n"
