"""A finished run directory as the derived reports (report.html, kcidb.json)
read it: report.json, plus what lies beside it.

- report.json: the tests, their status, reason, duration and metrics (required)
- junit.xml: each test's suite (its testcase's classname,
  "suites.<suite>.test_x") and the session's start time (the testsuite's
  timestamp, pytest's local time); a test's start time is the session start
  plus the durations of the tests before it
- results.jsonl: each test's suite when junit.xml does not name it
- dmesg/<test>.log, console.log: log tails for failed tests
"""
from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from .errors import RunDirError

LOG_EXCERPT_MAX = 16 * 1024  # bytes, KCIDB's limit for log_excerpt


@dataclass
class RunDir:
    """What the derived reports need from one run directory."""

    path: Path
    report: dict[str, Any]
    suites: dict[str, str] = field(default_factory=dict)   # test name -> suite
    started: datetime | None = None                       # session start, UTC

    @property
    def tests(self) -> list[dict[str, Any]]:
        """report.json's tests, in run order."""
        return list(self.report.get("tests", []))

    def suite(self, name: str) -> str:
        """The suite of test @name ("lab" when junit.xml does not say)."""
        return self.suites.get(name, "lab")

    def start_times(self) -> dict[str, datetime]:
        """Each test's approximate start (UTC): the session start plus the
        durations of the tests run before it. Empty without a start time."""
        if self.started is None:
            return {}
        out, t = {}, self.started
        for test in self.tests:
            out[test["name"]] = t
            t += timedelta(seconds=float(test.get("duration_s") or 0.0))
        return out

    def log_excerpt(self, name: str, limit: int = LOG_EXCERPT_MAX) -> str:
        """For a failed test: its reason, then the tail of its dmesg log (or of
        console.log when there is none), at most @limit UTF-8 bytes."""
        test = next((t for t in self.tests if t["name"] == name), {})
        head = (test.get("reason") or "").strip()
        log_path = self.path / "dmesg" / f"{name}.log"
        if not log_path.is_file():
            log_path = self.path / "console.log"
        tail = ""
        if log_path.is_file():
            tail = f"\n--- tail of {log_path.relative_to(self.path)} ---\n" + \
                _tail_text(log_path, limit)
        return _clip_bytes(head, tail, limit)


def load(path: Path) -> RunDir:
    """Read run directory @path. Raises RunDirError without a readable
    report.json; junit.xml is optional."""
    try:
        report = json.loads((path / "report.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise RunDirError(f"{path}: no usable report.json: {e}") from e
    if not isinstance(report, dict) or not isinstance(report.get("tests"), list):
        raise RunDirError(f"{path}/report.json: no 'tests' list")
    rd = RunDir(path=path, report=report)
    junit = path / "junit.xml"
    if junit.is_file():
        try:
            root = ET.parse(junit).getroot()
        except ET.ParseError:
            root = None
        if root is not None:
            for suite in root.iter("testsuite"):
                stamp = suite.get("timestamp")
                if stamp and rd.started is None:
                    rd.started = _utc(datetime.fromisoformat(stamp))
            for case in root.iter("testcase"):
                parts = (case.get("classname") or "").split(".")
                if len(parts) >= 2 and parts[0] == "suites":
                    rd.suites[case.get("name", "")] = parts[1]
    _suites_from_records(path / "results.jsonl", rd.suites)
    if rd.started is None:
        rd.started = _from_run_id(str(report.get("run_id", "")))
    return rd


def _suites_from_records(path: Path, suites: dict[str, str]) -> None:
    """Add to @suites the suite results.jsonl @path records for each test
    junit.xml did not name (a torn line is skipped)."""
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return
    for line in lines:
        try:
            d = json.loads(line)
        except ValueError:
            continue
        if isinstance(d, dict) and isinstance(d.get("suite"), str) and d.get("name"):
            suites.setdefault(str(d["name"]), d["suite"])


def _utc(dt: datetime) -> datetime:
    """A naive time is local (pytest's junit timestamp); make it UTC."""
    return (dt.astimezone() if dt.tzinfo is None else dt).astimezone(timezone.utc)


def _from_run_id(run_id: str) -> datetime | None:
    try:
        return datetime.strptime(run_id.split("-")[0], "%Y%m%dT%H%M%SZ").replace(
            tzinfo=timezone.utc)
    except ValueError:
        return None


def _tail_text(path: Path, limit: int) -> str:
    with path.open("rb") as f:
        f.seek(0, 2)
        size = f.tell()
        f.seek(max(0, size - limit))
        return f.read().decode("utf-8", errors="replace")


def _clip_bytes(head: str, tail: str, limit: int) -> str:
    """@head then @tail, cutting the tail's start (then the head's end) so the
    UTF-8 encoding fits in @limit bytes."""
    hb = head.encode("utf-8")[:limit]
    room = limit - len(hb)
    tb = tail.encode("utf-8")
    tb = tb[len(tb) - room:] if room > 0 else b""
    return (hb + tb).decode("utf-8", errors="ignore")
