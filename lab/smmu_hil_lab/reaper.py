"""What a SIGKILLed controller leaves behind is stopped and removed: its
QEMU (a process group of its own) and its private /tmp/shl-qemu-* directory.

Two mechanisms, as a kill can come at any moment:

- watch(): a detached watcher started with the directory (bounded by
  `timeout`) that waits while the controller lives and the directory exists;
  when the controller is gone it SIGTERMs (then SIGKILLs) the process group
  in the directory's qemu.pid, but only while that process's command line
  still names the directory's marker (the QMP socket path: a reused pid is
  never hit), and removes the directory. A normal shutdown removes the
  directory and the watcher ends by itself.
- reap_stale(): run when a target is made: every shl-qemu-* directory whose
  `owner` file names a controller that no longer runs gets the same
  treatment (a watcher itself killed, or a host that rebooted).

Directory files: owner (the controller's pid), marker (a string QEMU's
command line holds), qemu.pid (the running QEMU's pid, its group leader).
"""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

PREFIX = "shl-qemu-"
OWNER, MARKER, PIDFILE = "owner", "marker", "qemu.pid"

_SCRIPT = r'''
owner=$1 dir=$2 poll=$3
while kill -0 "$owner" 2>/dev/null && [ -d "$dir" ]; do sleep "$poll"; done
[ -d "$dir" ] || exit 0
marker=$(cat "$dir/marker" 2>/dev/null)
pid=$(cat "$dir/qemu.pid" 2>/dev/null)
is_vm() { [ -n "$pid" ] && [ -n "$marker" ] &&
	tr '\0' '\n' < "/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$marker"; }
if is_vm; then
	kill -TERM "-$pid" 2>/dev/null
	i=0
	while is_vm && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
	is_vm && kill -KILL "-$pid" 2>/dev/null
fi
rm -rf "$dir"
'''


def claim(directory: Path, marker: str, owner: int | None = None) -> None:
    """Mark @directory as the running controller's (@owner, default this
    process) with @marker, a string the QEMU command line holds."""
    (directory / OWNER).write_text(str(owner or os.getpid()))
    (directory / MARKER).write_text(marker)


def watch(directory: Path, owner: int | None = None, max_s: int = 86400,
          poll_s: float = 1.0) -> subprocess.Popen[bytes]:
    """Start the detached watcher of @directory for controller @owner
    (default this process). Returns its Popen (callers need not wait)."""
    return subprocess.Popen(
        ["timeout", "-k", "5", str(max_s), "sh", "-c", _SCRIPT, "shl-reaper",
         str(owner or os.getpid()), str(directory), str(poll_s)],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _is_vm(pid: int, marker: str) -> bool:
    try:
        cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b"\n")
    except OSError:
        return False
    return bool(marker) and marker.encode() in cmd


def reap(directory: Path, timeout: float = 5.0) -> bool:
    """Stop @directory's QEMU (when its command line still holds the marker)
    and remove the directory. Returns True when a QEMU was stopped."""
    try:
        pid = int((directory / PIDFILE).read_text().strip() or 0)
        marker = (directory / MARKER).read_text()
    except (OSError, ValueError):
        pid, marker = 0, ""
    stopped = False
    if pid > 0 and _is_vm(pid, marker):
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(pid, sig)
            except (ProcessLookupError, PermissionError):
                break
            deadline = time.monotonic() + timeout
            while _is_vm(pid, marker) and time.monotonic() < deadline:
                time.sleep(0.05)
            if not _is_vm(pid, marker):
                break
        stopped = True
    shutil.rmtree(directory, ignore_errors=True)
    return stopped


def reap_stale(tmp: Path | None = None) -> list[Path]:
    """Reap every shl-qemu-* directory in @tmp (default the temp directory)
    whose owner no longer runs. Returns the directories removed."""
    gone = []
    for d in sorted(Path(tmp or tempfile.gettempdir()).glob(PREFIX + "*")):
        try:
            owner = int((d / OWNER).read_text().strip())
        except (OSError, ValueError):
            continue            # not claimed: an older lab's, or being set up
        if owner > 0 and not _alive(owner):
            reap(d)
            gone.append(d)
    return gone
