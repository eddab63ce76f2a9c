"""The derived reports of a finished run directory: report.html (a page a
person reads) and kcidb.json (KCIDB v5). `make run` writes them after the
session; `python3 -m smmu_hil_lab report RUN_DIR` writes them again."""
from __future__ import annotations

import json
from pathlib import Path

from . import html_report, kcidb, luo, rundir, timeline
from .report import _atomic_write

timeline.register()   # the kexec-live-update plots and diff table
luo.register()        # live-update-luo's survival table


def write_all(run_dir: Path) -> list[Path]:
    """Write report.html and kcidb.json into @run_dir from its report.json
    (and junit.xml, logs). Returns the files written. Raises
    rundir.RunDirError when @run_dir has no usable report.json."""
    rd = rundir.load(run_dir)
    page = run_dir / "report.html"
    _atomic_write(page, html_report.render(rd))
    doc = run_dir / "kcidb.json"
    _atomic_write(doc, json.dumps(kcidb.document(rd), indent=2) + "\n")
    return [page, doc]

