#!/usr/bin/env python3
"""Issue 14 on the emulated DUT (a measurement, run by hand under the QEMU
lock; docs/lab.md): start `run --suite smoke`, SIGKILL the controller at a
point, check that its QEMU and /tmp/shl-qemu-* directory are gone, resume
the run and check every report file holds the five smoke tests once.

    flock /tmp/smmu-hil-qemu.lock python3 lab/integration/kill_resume_dut.py \
        RESULTS_DIR mid|between

mid: when the third test starts; between: the moment the second test's
result line is printed. Prints one line per figure; exit 1 on a failure.
"""
from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

LAB = Path(__file__).resolve().parents[1]
NAMES = ["boot", "kunit-arm-smmu-v3", "dma-translated", "fault-accounting",
         "evtq-overflow", "transitions-under-dma", "kexec"]


def qemu_pids(marker: str) -> list[int]:
    out = []
    for p in Path("/proc").iterdir():
        if p.name.isdigit():
            try:
                if marker.encode() in (p / "cmdline").read_bytes():
                    out.append(int(p.name))
            except OSError:
                pass
    return out


def main() -> int:
    results, point = Path(sys.argv[1]).resolve(), sys.argv[2]
    results.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, "-m", "smmu_hil_lab", "run", "--suite", "smoke",
           "--results", str(results)]
    ctl = subprocess.Popen(cmd, cwd=LAB, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           text=True)
    assert ctl.stdout is not None
    want = f"[3/{len(NAMES)}]" if point == "mid" else "    dma-translated: "
    sockdir = None
    t0 = time.monotonic()
    for line in ctl.stdout:
        print("  |", line.rstrip())
        if sockdir is None:
            for d in Path("/tmp").glob("shl-qemu-*"):
                try:
                    if (d / "owner").read_text().strip() == str(ctl.pid):
                        sockdir = d
                except OSError:
                    pass
        if want in line:
            ctl.send_signal(signal.SIGKILL)
            break
    ctl.wait()
    print(f"killed controller {ctl.pid} at {point!r} after {time.monotonic() - t0:.0f} s")
    if sockdir is None:
        print("FAIL no qemu directory claimed by the controller")
        return 1
    marker = (sockdir / "marker").read_text() if (sockdir / "marker").exists() else str(sockdir)
    t1 = time.monotonic()
    while (qemu_pids(marker) or sockdir.exists()) and time.monotonic() - t1 < 30:
        time.sleep(0.2)
    left = qemu_pids(marker)
    print(f"leftover QEMU processes {len(left)}, directory {'left' if sockdir.exists() else 'removed'}"
          f" ({time.monotonic() - t1:.1f} s after the kill)")
    ok = not left and not sockdir.exists()
    (run_dir,) = [p for p in results.iterdir() if p.is_dir() and not p.is_symlink()]
    recorded = len((run_dir / "results.jsonl").read_text().splitlines())
    print(f"recorded before the kill: {recorded}")
    r = subprocess.run([sys.executable, "-m", "smmu_hil_lab", "run", "--suite", "smoke",
                        "--results", str(results), "--resume", str(run_dir)], cwd=LAB,
                       capture_output=True, text=True)
    print(f"resume exit {r.returncode}")
    rep = json.loads((run_dir / "report.json").read_text())
    names = [t["name"] for t in rep["tests"]]
    junit = [c.get("name") for c in ET.parse(run_dir / "junit.xml").iter("testcase")]
    kcidb = [t["path"] for t in json.loads((run_dir / "kcidb.json").read_text())["tests"]]
    html = re.findall(r'<tr><td>\d+</td><td><a href="#[^"]*">([^<]*)</a>',
                      (run_dir / "report.html").read_text())
    ktap = [ln for ln in (run_dir / "ktap.log").read_text().splitlines()
            if re.match(r"(not )?ok \d+ ", ln)]
    jsonl = [json.loads(ln)["name"] for ln in (run_dir / "results.jsonl").read_text().splitlines()]
    figures = {"report.json": names, "junit.xml": junit, "kcidb.json": kcidb, "report.html": html,
               "ktap.log": ktap, "results.jsonl": jsonl}
    for k, v in figures.items():
        print(f"{k}: {len(v)} tests: {v if k != 'ktap.log' else [x.split(' - ')[0] for x in v]}")
    ok &= sorted(names) == sorted(NAMES) and sorted(junit) == sorted(NAMES) and \
        sorted(html) == sorted(NAMES) and len(ktap) == len(NAMES) and sorted(jsonl) == sorted(NAMES) and \
        sorted(kcidb) == sorted(f"smmu_hil.smoke.{n.replace('-', '_')}" for n in NAMES)
    print(f"statuses: {[(t['name'], t['status']) for t in rep['tests']]}")
    left_after = [d for d in Path("/tmp").glob("shl-qemu-*") if (d / "owner").exists() and
                  (d / "owner").read_text().strip() in (str(ctl.pid),)]
    print(f"after the resume: {len(left_after)} directories of the killed controller")
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
