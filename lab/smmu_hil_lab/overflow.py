"""Forcing an SMMU event-queue overflow on the DUT and judging it (issue 14).

The smoke scenario `evtq-overflow` holds the arm-smmu-v3 driver's event-queue
interrupt back (`smmu-hil events hold`, smmu_hil_evtmon loaded with
evtq_hold_max_ms), points edu DMA at unmapped IOVAs until the SMMU reports
that it discarded records, releases the interrupt and lets the driver drain
the queue. Real SMMUs toggle EVTQ_PROD.OVFLG; QEMU's raises
GERROR.EVENTQ_ABT_ERR; the event monitor counts both as `overflows`. The
helpers here are the parts without a DUT: reading the queue size the driver
allocated, sizing the storm, and checking that the judges' reason names the
loss with its count.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

from .agent import event_loss

# arm-smmu-v3 at probe: "arm-smmu-v3 9050000.smmuv3: allocated 131072 entries for evtq"
_ALLOCATED = re.compile(r"allocated (\d+) entries for evtq\b")


def evtq_entries(dmesg: str) -> int | None:
    """The event-queue size arm-smmu-v3 allocated, in records, from its probe
    message in @dmesg (the last one if it probed several times), or None when
    the message is not there (the kernel log wrapped, or another driver)."""
    found = _ALLOCATED.findall(dmesg)
    return int(found[-1]) if found else None


def storm_chunks(queue_entries: int | None, records_per_copy: int, chunk: int,
                 max_copies: int) -> int:
    """How many chunks of @chunk faulting copies (each yielding
    @records_per_copy records) the storm may take: enough to fill a queue of
    @queue_entries records twice over, or @max_copies copies when the size is
    unknown. The storm stops at the first chunk after which an overflow is
    counted, so this is a bound, not a target.

    Raises ValueError for a copy that yields no record (the DMA did not
    fault: nothing can fill the queue) or sizes that are not positive.
    """
    if records_per_copy < 1:
        raise ValueError("a faulting copy yielded no event record: the storm cannot fill the queue")
    if chunk < 1 or max_copies < 1:
        raise ValueError(f"chunk {chunk} and max_copies {max_copies} must be positive")
    copies = max_copies
    if queue_entries is not None:
        if queue_entries < 1:
            raise ValueError(f"queue of {queue_entries} entries")
        copies = min(max_copies, math.ceil(2 * queue_entries / records_per_copy))
    return max(1, math.ceil(copies / chunk))


@dataclass
class OverflowResult:
    """What a forced overflow left in the event monitor's counters.

    @stats: `events stats` after the driver drained the queue (captured,
    dropped, overflows, evtq_aborts); @injected: records the storm's copies
    should have produced (copies x records per copy); @queue_entries: the
    queue's size when known.
    """
    stats: dict[str, Any]
    injected: int
    queue_entries: int | None = None
    problems: list[str] = field(default_factory=list)

    @property
    def reason(self) -> str:
        """The judges' reason for these counters ("" when nothing was lost)."""
        return event_loss(self.stats)

    @property
    def lost(self) -> int:
        """Records the storm produced that the driver never handed over."""
        return max(0, self.injected - int(self.stats.get("captured") or 0))


def judge_overflow(stats: dict[str, Any], injected: int, queue_entries: int | None,
                   min_overflows: int = 1) -> OverflowResult:
    """Check a forced overflow was seen and judged as event loss.

    The checks: the monitor counted at least @min_overflows overflows (more
    than one when copies went on into the full queue after the first: each
    is a new abort, raised after the driver acknowledged the last); the judges'
    reason (agent.event_loss, the same text as the agent's run_eval.c) names
    the loss with that count; records really went missing (fewer captured
    than @injected); the monitor's ring dropped nothing (the ring must hold a
    full queue, or the loss would not be the SMMU's alone); and no more
    records came out than the queue holds. Returns the result with its
    problems (empty: the overflow was reported as it should be).
    """
    r = OverflowResult(stats=stats, injected=injected, queue_entries=queue_entries)
    overflows = int(stats.get("overflows") or 0)
    captured = int(stats.get("captured") or 0)
    dropped = int(stats.get("dropped") or 0)
    if overflows < 1:
        r.problems.append(f"no SMMU event-queue overflow counted after {injected} records "
                          f"({captured} captured)")
    elif overflows < min_overflows:
        r.problems.append(f"{overflows} SMMU event-queue overflow(s) counted, expected at "
                          f"least {min_overflows}: aborts went uncounted")
    if overflows >= 1 and f"{overflows} SMMU event-queue overflow(s)" not in r.reason:
        r.problems.append(f"the judges' reason does not give the {overflows} overflow(s): "
                          f"{r.reason!r}")
    if captured >= injected:
        r.problems.append(f"{captured} records captured of {injected} injected: none was lost")
    if dropped:
        r.problems.append(f"the monitor's ring dropped {dropped} records: make it hold "
                          "the whole queue")
    if queue_entries is not None and captured > queue_entries:
        r.problems.append(f"{captured} records captured while the interrupt was held back, "
                          f"more than the {queue_entries}-entry queue holds")
    return r


def check_agent_verdict(test: dict[str, Any]) -> list[str]:
    """Problems with the agent's own verdict (`smmu-hil run -j`, run_eval.c)
    on a scenario run while the SMMU's event queue was full: it must fail,
    count at least one overflow in metric `events_overflows`, and give that
    count in its reason. Empty when the agent judged as it should."""
    m = test.get("metrics") or {}
    n = int(m.get("events_overflows") or 0)
    problems = []
    if test.get("status") != "fail":
        problems.append(f"the agent judged {test.get('name')!r} {test.get('status')!r} "
                        f"with its events lost: {test.get('reason')!r}")
    if n < 1:
        problems.append("the agent counted no SMMU event-queue overflow (events_overflows "
                        f"{m.get('events_overflows')!r})")
    elif f"{n} SMMU event-queue overflow(s)" not in str(test.get("reason", "")):
        problems.append(f"the agent's reason does not give its {n} overflow(s): "
                        f"{test.get('reason')!r}")
    return problems
