"""The one way the lab waits for a condition: wait_until(), on tenacity
(python3-tenacity).

Every wait of the lab that polls (a socket appearing, SSH answering or going
away, ipmi_sim answering, a process ending, a port listening) calls
wait_until() with its own timeout and interval; nothing polls by hand.
"""
from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Callable, Optional, TypeVar

import tenacity

from .errors import LabError, PollTimeout

T = TypeVar("T")


def wait_until(check: Callable[[float], T], timeout: float, interval: float,
               what: str = "condition",
               fail: Optional[Callable[[], BaseException]] = None) -> T:
    """Call @check(seconds left) until it returns a true value; return it.

    Between calls sleep @interval seconds, never past the deadline; the last
    call happens at or after @timeout seconds, so a condition met just in
    time counts. An exception from @check ends the wait at once (that is how
    a check gives up early, e.g. when the process that should create a file
    exited). When time runs out, raises @fail() if given, else
    PollTimeout("<what>: not within <timeout>s").
    """
    deadline = time.monotonic() + timeout

    def left() -> float:
        return max(0.0, deadline - time.monotonic())

    retrying = tenacity.Retrying(
        stop=tenacity.stop_after_delay(timeout),
        wait=lambda state: min(interval, left()),
        retry=tenacity.retry_if_result(lambda got: not got),
        reraise=True)
    try:
        return retrying(lambda: check(left()))
    except tenacity.RetryError:
        raise (fail() if fail is not None
               else PollTimeout(f"{what}: not within {timeout:.0f}s")) from None


def wait_for_path(path: Path, timeout: float, what: str, alive: Any = None) -> None:
    """Wait until @path exists (polled every 20 ms).

    @alive: optional callable returning False when waiting is pointless (the
    process that should create it exited). Raises LabError on timeout.
    """
    def exists(_left: float) -> bool:
        if path.exists():
            return True
        if alive is not None and not alive():
            raise LabError(f"{what}: process exited before creating {path}")
        return False

    wait_until(exists, timeout, 0.02, fail=lambda: LabError(
        f"{what}: {path} did not appear within {timeout:.0f}s"))
