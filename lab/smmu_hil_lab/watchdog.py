"""Faults are results: a console watchdog and an iteration loop that records a
DUT's panic or hang as that iteration's failure and recovers the DUT.

ConsoleWatchdog reads the target's console in a background thread (SOL via
`ipmitool sol activate`, or QEMU's serial socket), so everything the DUT
prints reaches console.log while tests run, and recognises
- a panic: `Kernel panic - not syncing`, `Unable to handle kernel`,
  `Internal error: Oops` (whoever read the text: the reader or a command);
- a hang: the @alive probe (e.g. SSH answering `true`) failing for @hang_s
  seconds, or, with @quiet_s, no console output for that long.
The first fault is kept (`fault`, `wait_fault()`) until `rearm()`. Two
threads (the reader, and the prober, so a slow probe never delays reading
a panic), both joined by stop(); every wait is bounded.

run_iterations() runs a body N times; a fault (or an exception) fails that
iteration with the console tail as its reason, recover() brings the DUT
back, and the loop goes on.
"""
from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable

from .errors import ConsoleClosed, LabError, PollTimeout
from .poll import wait_until
from .protocols import ConsoleProtocol

PANIC = re.compile(r"Kernel panic - not syncing[^\n]*|Unable to handle kernel[^\n]*"
                   r"|Internal error: Oops[^\n]*")


@dataclass
class Fault:
    """A detected DUT fault: "panic" or "hang", when (monotonic), the line
    that showed it, and the console tail at detection."""

    kind: str
    at: float
    text: str
    tail: str = ""

    def reason(self) -> str:
        """One failure reason: kind, text, console tail."""
        return f"DUT {self.kind}: {self.text}\n--- console tail ---\n{self.tail}"


class ConsoleWatchdog:
    """Background console reader and panic/hang detector for one target.

    @console: the target's console (ConsoleProtocol; read while no command reads it).
    @alive: optional probe, True while the DUT answers (called every
    @probe_s seconds, outside the console lock). @hang_s: seconds of failed
    probes that make a hang. @quiet_s: seconds without console output that
    make a hang (None: silence is fine; an idle DUT prints nothing).
    @reopen: optional callable that reopens a console that closed (SOL
    sessions end when the BMC drops them).
    """

    def __init__(self, console: ConsoleProtocol, alive: Callable[[], bool] | None = None,
                 hang_s: float = 60.0, quiet_s: float | None = None, probe_s: float = 5.0,
                 reopen: Callable[[], None] | None = None, tail_chars: int = 4000) -> None:
        self.console = console
        self.alive = alive
        self.hang_s = hang_s
        self.quiet_s = quiet_s
        self.probe_s = probe_s
        self.reopen = reopen
        self.tail_chars = tail_chars
        self.fault: Fault | None = None
        self.last_output = time.monotonic()
        self.chars = 0
        self._carry = ""
        self._lock = threading.Lock()
        self._fault_ev = threading.Event()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._probe_failed_since: float | None = None
        self.paused = False   # probes off (e.g. during a planned power cycle)

    # ------------------------------------------------------------ lifecycle
    def start(self) -> None:
        """Start the reader thread (idempotent)."""
        if self.running:
            return
        self._stop.clear()
        self.console.add_listener(self._on_data)
        self._threads = [threading.Thread(target=fn, name=f"shl-watchdog-{what}", daemon=True)
                         for what, fn in (("reader", self._loop), ("prober", self._probe_loop))]
        for t in self._threads:
            t.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop and join the reader thread (idempotent)."""
        self._stop.set()
        threads, self._threads = self._threads, []
        for t in threads:
            t.join(timeout)
        self.console.remove_listener(self._on_data)

    @property
    def running(self) -> bool:
        """True while the reader thread runs."""
        return any(t.is_alive() for t in self._threads)

    def rearm(self) -> None:
        """Forget the fault (after recovery) and restart the hang clocks."""
        with self._lock:
            self.fault = None
            self._fault_ev.clear()
            self._carry = ""
            self._probe_failed_since = None
            self.last_output = time.monotonic()

    def wait_fault(self, timeout: float) -> Fault | None:
        """The fault, waiting up to @timeout seconds for one; None if none."""
        self._fault_ev.wait(timeout)
        return self.fault

    # ------------------------------------------------------------ detection
    def _on_data(self, data: str) -> None:
        with self._lock:
            self.last_output = time.monotonic()
            self.chars += len(data)
            text = self._carry + data
            self._carry = text[-200:]
            if self.fault is None:
                m = PANIC.search(text.replace("\r", ""))
                if m:
                    self._set(Fault("panic", time.monotonic(), m.group(0).strip()))

    def _set(self, fault: Fault) -> None:
        """Record @fault (caller holds _lock); the tail is taken a moment later."""
        self.fault = fault
        self._fault_ev.set()

    def _loop(self) -> None:
        tail_due: float | None = None
        while not self._stop.is_set():
            try:
                if self.console.is_open:
                    self.console.pump(0.2)
                    # let a command waiting for the console take it: the lock
                    # is not fair, and re-taking it at once starves run()
                    self._stop.wait(0.005)
                else:
                    self._stop.wait(0.2)
                    if self.reopen is not None and not self._stop.is_set():
                        self.reopen()
            except ConsoleClosed:
                pass
            except LabError:
                self._stop.wait(1.0)
            now = time.monotonic()
            f = self.fault
            if f is not None:
                # the lines after the panic line (its backtrace) belong in the tail
                if not f.tail:
                    tail_due = tail_due or now + 1.0
                    if now >= tail_due:
                        f.tail = self.console.tail(self.tail_chars)
                        tail_due = None
                continue
            if (self.quiet_s is not None and not self.paused
                    and now - self.last_output > self.quiet_s):
                with self._lock:
                    if self.fault is None:
                        self._set(Fault("hang", now, f"no console output for "
                                        f"{self.quiet_s:.0f}s", self.console.tail(self.tail_chars)))

    def _probe_loop(self) -> None:
        while self.alive is not None and not self._stop.wait(self.probe_s):
            if self.fault is None:
                self._probe()

    def _probe(self) -> None:
        if self.paused:
            self._probe_failed_since = None
            return
        ok = False
        try:
            ok = bool(self.alive())
        except Exception:  # noqa: BLE001 - a probe that breaks is a failed probe
            ok = False
        now = time.monotonic()
        if ok:
            self._probe_failed_since = None
            return
        since = self._probe_failed_since = self._probe_failed_since or now
        if now - since >= self.hang_s:
            with self._lock:
                if self.fault is None:
                    self._set(Fault("hang", now, f"no answer for {now - since:.0f}s",
                                    self.console.tail(self.tail_chars)))


# ---------------------------------------------------------------- iterations
@dataclass
class Iteration:
    """One iteration's record."""

    index: int
    status: str = "pass"
    reason: str = ""
    elapsed_s: float = 0.0
    metrics: dict[str, Any] = field(default_factory=dict)


def run_iterations(n: int, body: Callable[[int, dict[str, Any]], None],
                   watchdog: ConsoleWatchdog, recover: Callable[[Fault | None], float],
                   progress: Callable[[str], None] = lambda m: None,
                   settle_s: float = 3.0) -> list[Iteration]:
    """Run @body(i, metrics) for i = 1..@n. An iteration fails when the body
    raises or the watchdog reports a fault (waited for @settle_s after an
    exception, so a panic explains a lost connection); its reason is the
    fault's (with the console tail) or the exception's. After a failure
    @recover(fault) brings the DUT back (returns seconds, kept as the
    iteration's `recover_s`) and the watchdog is rearmed. A recovery that
    fails raises: the run cannot go on."""
    out: list[Iteration] = []
    t_run = time.monotonic()
    for i in range(1, n + 1):
        it = Iteration(i)
        t0 = time.monotonic()
        progress(f"iteration {i}/{n}: run ({t0 - t_run:.0f}s)")
        err: BaseException | None = None
        try:
            body(i, it.metrics)
        except (LabError, AssertionError, OSError) as e:
            err = e
        fault = watchdog.wait_fault(settle_s if err is not None else 0.0)
        if fault is not None:
            try:   # the reader adds the backtrace to the tail
                wait_until(lambda _left: fault.tail, 3.0, 0.1)
            except PollTimeout:
                pass
            it.status, it.reason = "fail", fault.reason()
        elif err is not None:
            it.status, it.reason = "fail", f"{type(err).__name__}: {err}"
        it.elapsed_s = round(time.monotonic() - t0, 2)
        if it.status == "fail":
            progress(f"iteration {i}/{n}: FAIL ({it.reason.splitlines()[0][:200]}); "
                     f"recovering ({time.monotonic() - t_run:.0f}s)")
            it.metrics["recover_s"] = round(recover(fault), 2)
            watchdog.rearm()
            progress(f"iteration {i}/{n}: recovered in {it.metrics['recover_s']}s")
        else:
            progress(f"iteration {i}/{n}: pass ({it.elapsed_s}s)")
        out.append(it)
    return out
