"""Issue 14 #3: a controller SIGKILLed while its qemu target runs leaves no
QEMU and no /tmp/shl-qemu-* directory behind, whether the watcher catches
it at once or the next target's stale sweep does. The controller is a child
process driving the real QemuTarget on tests/fake_qemu.py."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

from smmu_hil_lab import reaper

LAB = Path(__file__).resolve().parents[1]

CONTROLLER = textwrap.dedent('''
    import sys, time
    from pathlib import Path
    sys.path[:0] = [{lab!r}, {tests!r}]
    from conftest import fake_machine
    from smmu_hil_lab.targets.qemu import QemuTarget
    sock = Path(sys.argv[1])
    t = QemuTarget(Path(sys.argv[2]), machine=fake_machine(sock))
    t.boot()
    print(t.sockdir, t.power.proc.pid, flush=True)
    time.sleep(600)
''')


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie is gone for our purpose
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except OSError:
        return False


def start_controller(tmp_path: Path) -> tuple[subprocess.Popen[str], Path, int]:
    script = tmp_path / "controller.py"
    script.write_text(CONTROLLER.format(lab=str(LAB), tests=str(LAB / "tests")))
    sock = Path(tempfile.mkdtemp(prefix="shl-t-"))
    logs = tmp_path / "logs"
    logs.mkdir()
    p = subprocess.Popen([sys.executable, str(script), str(sock), str(logs)], cwd=str(LAB),
                         stdout=subprocess.PIPE, text=True)
    assert p.stdout is not None
    line = p.stdout.readline().split()
    assert len(line) == 2, "the controller did not boot the fake QEMU"
    return p, Path(line[0]), int(line[1])


def wait(cond, timeout: float) -> bool:   # noqa: ANN001
    deadline = time.monotonic() + timeout
    while not cond() and time.monotonic() < deadline:
        time.sleep(0.1)
    return cond()


def test_killed_controller_leaves_no_qemu_and_no_files(tmp_path: Path) -> None:
    ctl, sockdir, qemu = start_controller(tmp_path)
    try:
        assert alive(qemu) and sockdir.is_dir()
        assert (sockdir / reaper.PIDFILE).read_text() == str(qemu)
        ctl.send_signal(signal.SIGKILL)
        ctl.wait()
        assert wait(lambda: not alive(qemu), 15), "QEMU outlived its killed controller"
        assert wait(lambda: not sockdir.exists(), 15), f"{sockdir} left behind"
    finally:
        ctl.kill()
        if alive(qemu):
            os.killpg(qemu, signal.SIGKILL)


def test_next_target_reaps_what_the_watcher_missed(tmp_path: Path) -> None:
    # a controller whose watcher died too (kill -9 of the whole session)
    fake = subprocess.Popen(["sleep", "300", "--", "marker-qmp.sock"], start_new_session=True)
    owner = subprocess.Popen(["true"])
    owner.wait()
    d = Path(tempfile.mkdtemp(prefix=reaper.PREFIX))
    reaper.claim(d, "marker-qmp.sock", owner=owner.pid)
    (d / reaper.PIDFILE).write_text(str(fake.pid))
    (d / "data.img").write_bytes(b"\0" * 4096)
    # a live controller's directory is left alone
    mine = Path(tempfile.mkdtemp(prefix=reaper.PREFIX))
    reaper.claim(mine, "x")
    try:
        gone = reaper.reap_stale()
        assert d in gone and not d.exists()
        fake.wait(5)
        assert mine.is_dir() and mine not in gone
    finally:
        fake.kill()
        reaper.reap(mine)


def test_reaper_never_signals_a_reused_pid(tmp_path: Path) -> None:
    other = subprocess.Popen(["sleep", "300"], start_new_session=True)
    d = Path(tempfile.mkdtemp(prefix=reaper.PREFIX))
    reaper.claim(d, "/tmp/shl-qemu-gone/qmp.sock", owner=2**22 + 7)
    (d / reaper.PIDFILE).write_text(str(other.pid))
    try:
        assert reaper.reap(d) is False
        assert not d.exists() and other.poll() is None
    finally:
        other.kill()
        other.wait()
