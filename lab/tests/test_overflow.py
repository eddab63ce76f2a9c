"""The forced event-queue overflow's logic (no DUT): queue size, storm size,
and the check that the judges report the loss with its count."""
from __future__ import annotations

import pytest

from smmu_hil_lab.overflow import evtq_entries, judge_overflow, storm_chunks

DMESG = """\
[    0.512] arm-smmu-v3 9050000.smmuv3: ias 44-bit, oas 44-bit (features 0x0008df1f)
[    0.513] arm-smmu-v3 9050000.smmuv3: allocated 65536 entries for cmdq
[    0.514] arm-smmu-v3 9050000.smmuv3: allocated 131072 entries for evtq
[    0.515] arm-smmu-v3 9050000.smmuv3: allocated 131072 entries for evtqx
"""


def test_evtq_entries_from_the_probe_message() -> None:
    assert evtq_entries(DMESG) == 131072
    assert evtq_entries(DMESG.replace("131072 entries for evtq\n", "")) is None
    assert evtq_entries("") is None
    # probed twice (a rebind): the last allocation is the live queue
    assert evtq_entries("allocated 8 entries for evtq\nallocated 32768 entries for evtq\n") == 32768


def test_storm_chunks_fill_the_queue_twice() -> None:
    # 131072 entries, 1024 records a copy: 256 copies, 8 chunks of 32
    assert storm_chunks(131072, 1024, 32, 4096) == 8
    assert storm_chunks(32768, 1024, 32, 4096) == 2
    assert storm_chunks(10, 1024, 32, 4096) == 1
    # unknown size: up to max_copies
    assert storm_chunks(None, 1024, 32, 640) == 20
    # never more than max_copies
    assert storm_chunks(1 << 20, 1, 32, 64) == 2


@pytest.mark.parametrize("args", [(1024, 0, 32, 64), (1024, 1024, 0, 64), (1024, 1024, 32, 0),
                                  (0, 1024, 32, 64)])
def test_storm_chunks_refuses_what_cannot_fill(args: tuple[int, int, int, int]) -> None:
    with pytest.raises(ValueError):
        storm_chunks(*args)


def test_an_overflow_is_judged_as_loss_with_its_count() -> None:
    st = {"captured": 131072, "dropped": 0, "overflows": 37, "evtq_aborts": 37}
    r = judge_overflow(st, injected=166912, queue_entries=131072)
    assert r.problems == []
    assert r.reason == "event loss: 37 SMMU event-queue overflow(s)"
    assert r.lost == 166912 - 131072


def test_no_overflow_counted_is_a_problem() -> None:
    """The monitor missing the hardware's signal (the bug this guards)."""
    r = judge_overflow({"captured": 131072, "dropped": 0, "overflows": 0}, 166912, 131072)
    assert r.reason == ""
    assert any("no SMMU event-queue overflow counted" in p for p in r.problems)


def test_nothing_lost_or_ring_drops_or_too_many_are_problems() -> None:
    r = judge_overflow({"captured": 5000, "dropped": 0, "overflows": 1}, 5000, None)
    assert r.problems == ["5000 records captured of 5000 injected: none was lost"]
    r = judge_overflow({"captured": 4096, "dropped": 900, "overflows": 2}, 8192, 4096)
    assert len(r.problems) == 1 and "ring dropped 900" in r.problems[0]
    assert "900 record(s) dropped" in r.reason and "2 SMMU event-queue overflow(s)" in r.reason
    r = judge_overflow({"captured": 200, "dropped": 0, "overflows": 1}, 300, 128)
    assert r.problems == ["200 records captured while the interrupt was held back, "
                          "more than the 128-entry queue holds"]


def test_copies_into_a_full_queue_must_each_count() -> None:
    """After the first overflow every further copy is a new abort: a monitor
    that saw only the flag's parity would count 0 or 1, not each."""
    st = {"captured": 32768, "dropped": 0, "overflows": 1, "evtq_aborts": 1}
    r = judge_overflow(st, injected=65600, queue_entries=32768, min_overflows=2)
    assert r.problems == ["1 SMMU event-queue overflow(s) counted, expected at least 2: "
                          "aborts went uncounted"]
    st["overflows"] = st["evtq_aborts"] = 33
    assert judge_overflow(st, 65600, 32768, min_overflows=2).problems == []


def test_the_agent_must_fail_a_run_that_met_a_full_queue_with_the_count() -> None:
    from smmu_hil_lab.overflow import check_agent_verdict
    good = {"name": "evtq-loss", "status": "fail", "metrics": {"events_overflows": 7},
            "reason": "C_BAD_STE: 0 record(s) on the device's StreamID, expected >=1; "
                      "event loss: 7 SMMU event-queue overflow(s) (the SMMU discarded records)"}
    assert check_agent_verdict(good) == []
    passed = dict(good, status="pass", reason="")
    assert len(check_agent_verdict(passed)) == 2      # passed, and no count in the reason
    uncounted = dict(good, metrics={"events_overflows": 0})
    assert check_agent_verdict(uncounted) == [
        "the agent counted no SMMU event-queue overflow (events_overflows 0)"]
    wrong = dict(good, metrics={"events_overflows": 8})
    assert "does not give its 8 overflow(s)" in check_agent_verdict(wrong)[0]
