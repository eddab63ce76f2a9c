"""Agent/fio output handling (no DUT)."""
from __future__ import annotations

import json

from smmu_hil_lab.agent import find_pci, parse_fio, pci_id, smmu_features

INFO = {"smmu": [{"name": "s0", "idr": {"features": ["S1P", "RIL"]}},
                 {"name": "s1", "idr": {"features": ["S2P"]}}],
        "pci": [{"bdf": "0000:00:01.0", "vendor": "0x1af4", "device": "0x1042"},
                {"bdf": "0000:00:03.0", "vendor": "1234", "device": 0x11e8},
                {"bdf": "bad", "vendor": None, "device": None}]}


def test_find_pci_and_features() -> None:
    assert find_pci(INFO, "1234:11e8")["bdf"] == "0000:00:03.0"
    assert find_pci(INFO, "1af4:1042")["bdf"] == "0000:00:01.0"
    assert find_pci(INFO, "dead:beef") is None
    assert smmu_features(INFO) == ["RIL", "S1P", "S2P"]
    assert pci_id("0x10") == 16 and pci_id(5) == 5


def test_parse_fio_with_log_lines_before_json() -> None:
    doc = {"jobs": [{"error": 84, "read": {"io_bytes": 4096}, "write": {"io_bytes": 0}}]}
    out = "crc32c: verify failed at file /dev/vda offset 0\nfio: pid=1, err=84\n" + \
        json.dumps(doc, indent=2) + "\n"
    r = parse_fio(1, out, verify_errors=1)
    assert (r.rc, r.error, r.verify_errors, r.read_bytes) == (1, 84, 1, 4096)
    assert "verify failed" in r.log


def test_parse_fio_plain_and_missing() -> None:
    r = parse_fio(0, json.dumps({"jobs": [{"error": 0, "write": {"io_bytes": 8}}]}), 0)
    assert r.error == 0 and r.write_bytes == 8
    r = parse_fio(0, "fio: terminating on signal 2\n", 0)
    assert r.error == -1 and "signal" in r.log


def test_event_loss_names_drops_and_overflows() -> None:
    """Issue 14 #9: the lab's judges fail on any event loss, with the count."""
    from smmu_hil_lab.agent import event_loss
    assert event_loss({"captured": 4, "dropped": 0, "overflows": 0, "records": []}) == ""
    assert event_loss({}) == ""
    assert event_loss({"dropped": 3}) == \
        "event loss: 3 record(s) dropped by the event monitor's ring"
    assert event_loss({"dropped": 0, "overflows": 2}) == \
        "event loss: 2 SMMU event-queue overflow(s)"
    assert event_loss({"dropped": 1, "overflows": 1}) == \
        "event loss: 1 record(s) dropped by the event monitor's ring, " \
        "1 SMMU event-queue overflow(s)"
