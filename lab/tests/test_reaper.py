"""The emulated BMC's chassis control: a VM started for a controller that is
killed (SIGKILL: no teardown runs) is stopped by the reaper, and a VM
powered off normally takes its reaper with it."""
from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

from smmu_hil_lab.emulated.ipmi_sim import _pid_alive, chassis_power


def fake_vm_state(tmp_path: Path, owner: int) -> dict:
    # `timeout` leads the group; "qemu-system-fake" in its command line
    st = {"argv": ["timeout", "60", "sh", "-c", "sleep 60", "qemu-system-fake"],
          "qmp": str(tmp_path / "qmp.sock"), "pidfile": str(tmp_path / "qemu.pid"),
          "log": str(tmp_path / "qemu.log"), "owner": owner, "max_s": 60}
    (tmp_path / "chassis.json").write_text(json.dumps(st))
    return st


def wait_gone(pid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while _pid_alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    return not _pid_alive(pid)


def reapers(pgid: int) -> list[str]:
    out = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True).stdout
    return [ln for ln in out.splitlines() if "shl-reaper" in ln and f" {pgid}" in ln]


def test_vm_of_a_killed_controller_is_stopped(tmp_path: Path) -> None:
    controller = subprocess.Popen(["sleep", "30"])
    st = fake_vm_state(tmp_path, controller.pid)
    chassis_power(st, True)
    vm = int(Path(st["pidfile"]).read_text())
    try:
        time.sleep(0.5)
        assert _pid_alive(vm)
        controller.kill()
        controller.wait()
        assert wait_gone(vm, 10), "the VM outlived its controller"
    finally:
        chassis_power(st, False)


def test_powered_off_vm_ends_its_reaper(tmp_path: Path) -> None:
    controller = subprocess.Popen(["sleep", "30"])
    st = fake_vm_state(tmp_path, controller.pid)
    try:
        chassis_power(st, True)
        vm = int(Path(st["pidfile"]).read_text())
        time.sleep(0.3)
        assert reapers(vm)
        chassis_power(st, False)
        assert wait_gone(vm, 10)
        deadline = time.monotonic() + 10
        while reapers(vm) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not reapers(vm)
    finally:
        controller.kill()
        controller.wait()
