#!/usr/bin/env python3
"""A stand-in for qemu-system-aarch64 in the lab's unit tests.

It speaks QMP on --qmp (greeting, qmp_capabilities, cont, system_reset,
quit, query-status, query-blockstats: drive "data" whose rd_bytes and
wr_bytes grow by 4096 and 8192 with every query, from 0 at start) and
serves a "guest" on the --serial unix socket: after `cont` it prints some
firmware noise and `smmu-hil: DUT ready kernel=fake`, then runs `sh -i` on
the socket with PS1='dut# '. A fake `kexec` on the guest's PATH makes
`kexec -e` print the ready line again; a fake `smmu-hil` answers `-j dut
info` (one SMMU whose IDR0 is --idr0), `dut quiesce` (fails with
FAKE_QUIESCE_FAIL set) and `dut thaw`, logging each call to $FAKE_AGENT_LOG
when set; a fake `dmesg` prints $FAKE_DMESG's file when set.

Behaviour switches: --no-ready (never print the ready line), --ignore-quit
(answer quit but keep running, so the driver must kill), --kernel-noise
(print kernel log records on the console every 20 ms).
"""
from __future__ import annotations

import argparse
import fcntl
import json
import os
import pty
import select
import socket
import subprocess
import sys
import tempfile
import termios
import threading
import time
from pathlib import Path

KEXEC = """#!/bin/sh
if [ -n "$FAKE_KEXEC_FAIL" ]; then echo 'kexec: no kernel loaded'; exit 1; fi
for a in "$@"; do
  if [ "$a" = -e ]; then
    echo 'kexec_core: Starting new kernel'
    echo 'smmu-hil: DUT ready kernel=fake-kexec'
    exec sh -i
  fi
done
exit 0
"""

# Never the real agent here: its `dut quiesce` would stop the host's processes.
AGENT = """#!/bin/sh
[ -n "$FAKE_AGENT_LOG" ] && echo "$*" >> "$FAKE_AGENT_LOG"
case "$1 $2" in
"-j dut")
  [ "$3" = info ] || { echo "fake smmu-hil: $*" >&2; exit 2; }
  cat "$FAKE_DUT_INFO" ;;
"dut quiesce")
  if [ -n "$FAKE_QUIESCE_FAIL" ]; then
    echo 'smmu-hil: error: 3 block requests still in flight after 5000 ms' >&2; exit 1
  fi
  echo 'stopped 2 processes, 0 requests in flight after 0.4 ms' ;;
"dut thaw") echo 'continued 0 processes' ;;
*) echo "fake smmu-hil: $*" >&2; exit 2 ;;
esac
"""


# `dmesg`: $FAKE_DMESG's file when set (the IORT upgrade tests), else one line
DMESG = """#!/bin/sh
if [ -n "$FAKE_DMESG" ]; then cat "$FAKE_DMESG"; else echo '[    0.000000] Booting Linux (fake)'; fi
"""


class Guest:
    def __init__(self, args: argparse.Namespace, bindir: Path) -> None:
        self.args = args
        self.bindir = bindir
        self.conn: socket.socket | None = None
        self.conn_ready = threading.Event()
        self.sh: subprocess.Popen[bytes] | None = None
        self.noise: threading.Thread | None = None

    def serve_serial(self, srv: socket.socket) -> None:
        while True:
            conn, _ = srv.accept()
            self.conn = conn
            self.conn_ready.set()

    def start(self) -> None:
        if not self.conn_ready.wait(10) or self.conn is None:
            return
        c = self.conn
        c.sendall(b"UEFI firmware (fake)\r\n[    0.000000] Booting Linux (fake)\r\n")
        if self.args.no_ready:
            return
        c.sendall(b"smmu-hil: DUT ready kernel=fake\r\n")
        env = dict(os.environ, PS1="dut# ", PATH=f"{self.bindir}:{os.environ.get('PATH', '')}")
        # the shell runs on a pty (echo, Ctrl-C -> SIGINT), bridged to the socket
        master, slave = pty.openpty()

        def ctty() -> None:
            os.setsid()
            fcntl.ioctl(0, termios.TIOCSCTTY, 0)

        self.sh = subprocess.Popen(["sh", "-i"], stdin=slave, stdout=slave, stderr=slave,
                                   env=env, preexec_fn=ctty)
        os.close(slave)
        threading.Thread(target=self._pump_out, args=(master, c), daemon=True).start()
        threading.Thread(target=self._pump_in, args=(master, c, self.sh), daemon=True).start()
        if self.args.kernel_noise and self.noise is None:
            self.noise = threading.Thread(target=self._noise, daemon=True)
            self.noise.start()

    @staticmethod
    def _pump_out(master: int, c: socket.socket) -> None:
        while True:
            try:
                data = os.read(master, 4096)
                if not data:
                    return
                c.sendall(data)
            except OSError:
                return

    @staticmethod
    def _pump_in(master: int, c: socket.socket, sh: subprocess.Popen[bytes]) -> None:
        while sh.poll() is None:
            r, _, _ = select.select([c], [], [], 0.2)
            if not r:
                continue
            try:
                data = c.recv(4096)
                if not data:
                    return
                os.write(master, data)
            except OSError:
                return

    def _noise(self) -> None:
        n = 0
        while True:
            time.sleep(0.02)
            n += 1
            try:
                if self.conn is not None:
                    self.conn.sendall(f"[{n / 100:12.6f}] fake: kernel message {n}\r\n".encode())
            except OSError:
                return

    def stop(self) -> None:
        if self.sh is not None and self.sh.poll() is None:
            try:
                os.killpg(self.sh.pid, 9)
            except ProcessLookupError:
                pass
            self.sh.wait()
        self.sh = None


def send(conn: socket.socket, msg: dict) -> None:
    conn.sendall(json.dumps(msg).encode() + b"\r\n")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--qmp", required=True)
    ap.add_argument("--serial", required=True)
    ap.add_argument("--no-ready", action="store_true")
    ap.add_argument("--ignore-quit", action="store_true")
    ap.add_argument("--kernel-noise", action="store_true")
    ap.add_argument("--idr0", type=lambda v: int(v, 0), default=0x0d401018 | 0b11,
                    help="the SMMU_IDR0 `smmu-hil -j dut info` reports (default: "
                         "stage 1 and stage 2)")
    args = ap.parse_args()

    bindir = Path(tempfile.mkdtemp(prefix="fakeqemu-bin-"))
    (bindir / "kexec").write_text(KEXEC)
    (bindir / "kexec").chmod(0o755)
    (bindir / "smmu-hil").write_text(AGENT)
    (bindir / "smmu-hil").chmod(0o755)
    (bindir / "dmesg").write_text(DMESG)
    (bindir / "dmesg").chmod(0o755)
    feats = [n for bit, n in ((1, "S1P"), (0, "S2P")) if args.idr0 >> bit & 1]
    if len(feats) == 2:
        feats.append("NESTED")
    info = {"kernel": "fake", "smmu": [{"name": "smmu3.0x0000000009050000", "idr": {
        "regs": {"IDR0": f"0x{args.idr0:08x}"}, "features": feats}}], "pci": []}
    (bindir / "dut-info.json").write_text(json.dumps(info))
    os.environ["FAKE_DUT_INFO"] = str(bindir / "dut-info.json")
    guest = Guest(args, bindir)
    ser = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    ser.bind(args.serial)
    ser.listen(1)
    threading.Thread(target=guest.serve_serial, args=(ser,), daemon=True).start()
    qmp = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    qmp.bind(args.qmp)
    qmp.listen(1)
    running = False
    queries = 0
    while True:
        conn, _ = qmp.accept()
        send(conn, {"QMP": {"version": {"qemu": {"major": 7, "minor": 2, "micro": 0}},
                            "capabilities": []}})
        rfile = conn.makefile("rb")
        for line in rfile:
            req = json.loads(line)
            cmd = req.get("execute")
            if cmd == "qmp_capabilities":
                send(conn, {"return": {}})
            elif cmd == "cont":
                send(conn, {"event": "RESUME", "timestamp": {"seconds": 0, "microseconds": 0}})
                send(conn, {"return": {}})
                if not running:
                    running = True
                    threading.Thread(target=guest.start, daemon=True).start()
            elif cmd == "query-status":
                send(conn, {"return": {"running": running, "status":
                                       "running" if running else "prelaunch"}})
            elif cmd == "query-blockstats":
                queries += 1
                send(conn, {"return": [
                    {"device": "data", "stats": {"rd_bytes": 4096 * queries,
                                                 "wr_bytes": 8192 * queries}},
                    {"device": "floppy0", "stats": {"rd_bytes": 0, "wr_bytes": 0}}]})
            elif cmd == "system_reset":
                guest.stop()
                send(conn, {"event": "RESET", "timestamp": {"seconds": 0, "microseconds": 0}})
                send(conn, {"return": {}})
                guest.start()
            elif cmd == "quit":
                send(conn, {"return": {}})
                if not args.ignore_quit:
                    guest.stop()
                    return 0
            else:
                send(conn, {"error": {"class": "CommandNotFound",
                                      "desc": f"The command {cmd} has not been found"}})
        conn.close()


if __name__ == "__main__":
    sys.exit(main())
