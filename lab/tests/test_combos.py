"""DUT kernel x SMMU model combinations (combos.py): names and properties,
the comparison table in report.html, report.json's `combinations` and
summary.txt's totals per combination."""
from __future__ import annotations

import base64
import io
import json
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import matplotlib.image
import pytest

from smmu_hil_lab import combos, html_report, publish
from smmu_hil_lab.report import Report, TestResult
from smmu_hil_lab.rundir import RunDir


@pytest.mark.parametrize("name, want", [
    ("raw-hitless@edu[7.x,nested]", ("raw-hitless@edu", ("7.x", "nested"))),
    ("driver-storm[6.1,s1]", ("driver-storm", ("6.1", "s1"))),
    ("a[b][6.12,s2]", ("a[b]", ("6.12", "s2"))),
    ("driver-storm", ("driver-storm", None)),
    ("kexec-live-update@ssh", ("kexec-live-update@ssh", None)),
    ("x[7.x]", ("x[7.x]", None)),                     # not KERNEL,MODEL
    ("x[7.x,nested,more]", ("x[7.x,nested,more]", None)),
    ("x[7.x, nested]", ("x[7.x, nested]", None)),
    ("[7.x,nested]", ("[7.x,nested]", None)),         # no scenario before it
])
def test_split_name(name: str, want: tuple[str, Any]) -> None:
    assert combos.split_name(name) == want


def test_combination_from_suffix_or_properties() -> None:
    suffixed = {"name": "r@edu[7.x,s2]", "status": "pass", "dut_kernel": "7.3.4+deb13-arm64",
                "smmu_model": "nested"}       # the suffix names the column
    assert combos.combination(suffixed) == ("r@edu", combos.Combination("7.x", "s2"))
    props = {"name": "boot", "status": "pass", "properties": {"dut_kernel": "6.1.0-57-arm64"},
             "metrics": {"smmu_model": "s1"}}
    assert combos.combination(props) == ("boot", combos.Combination("6.1.0-57-arm64", "s1"))
    assert combos.combination({"name": "boot", "smmu_model": "s2"}) == \
        ("boot", combos.Combination("?", "s2"))
    assert combos.combination({"name": "boot", "status": "pass", "metrics": {}}) == \
        ("boot", None)
    assert combos.combination(TestResult("d[6.12,nested]")) == \
        ("d", combos.Combination("6.12", "nested"))


def matrix_tests() -> list[dict[str, Any]]:
    """Two scenarios on three combinations; raw-hitless fails on 6.12,
    s2-transitions skips on s1 and did not run on 6.12."""
    out = []
    for kernel, model, rel in (("7.x", "nested", "7.3.4+deb13-arm64"),
                               ("7.x", "s1", "7.3.4+deb13-arm64"),
                               ("6.12", "nested", "6.12.95+bpo-arm64")):
        sfx = f"[{kernel},{model}]"
        fail = kernel == "6.12"
        out.append({"name": f"raw-hitless@edu{sfx}", "status": "fail" if fail else "pass",
                    "duration_s": 5.0, "reason": "C_BAD_STE x3 <b>\nmore" if fail else "",
                    "metrics": {"rate_per_s": 575.031 if not fail else 242399.387,
                                "transitions": 3000, "events": 3 if fail else 0,
                                "unexpected_events": 3 if fail else 0, "dma_errors": 0,
                                "sid": "0x18", "update_1": "s1 -> s1: hitless"},
                    "dut_kernel": rel, "smmu_model": model})
        if kernel == "7.x":
            skip = model == "s1"
            out.append({"name": f"s2-transitions{sfx}", "status": "skip" if skip else "pass",
                        "duration_s": 1.0,
                        "reason": "missing SMMU features: S2P" if skip else "",
                        "metrics": {} if skip else {"transitions": 12},
                        "dut_kernel": rel, "smmu_model": model})
    out.append({"name": "setup-phase-9", "status": "pass", "duration_s": 0, "reason": "",
                "metrics": {}})                 # in no combination
    return out


def test_matrix_rows_columns_and_differences() -> None:
    m = combos.matrix(matrix_tests())
    assert m.labels == ["7.x nested", "7.x s1", "6.12 nested"]
    assert [c.releases for c in m.columns] == [["7.3.4+deb13-arm64"]] * 2 + \
        [["6.12.95+bpo-arm64"]]
    assert [c.counts for c in m.columns] == [{"pass": 2, "fail": 0, "skip": 0},
                                             {"pass": 1, "fail": 0, "skip": 1},
                                             {"pass": 0, "fail": 1, "skip": 0}]
    assert [r.scenario for r in m.rows] == ["raw-hitless@edu", "s2-transitions"]
    hitless, s2 = m.rows
    assert hitless.cells["6.12 nested"]["status"] == "fail"
    assert hitless.differs(m.labels) and s2.differs(m.labels)
    assert not hitless.differs(["7.x nested", "7.x s1"])
    assert s2.differs(["7.x nested", "6.12 nested"])       # not run on 6.12
    assert combos.key_metrics(hitless.cells["7.x nested"]) == [
        ("rate/s", 575.031), ("transitions", 3000), ("events", 0),
        ("unexpected events", 0), ("DMA errors", 0)]


def test_report_json_and_summary_name_the_combinations(tmp_path: Path) -> None:
    tests = [TestResult(**{k: v for k, v in t.items() if k not in ("dut_kernel", "smmu_model")})
             for t in matrix_tests()]
    rep = Report(run_id="r", target="qemu", tests=tests)
    doc = rep.to_dict()
    assert doc["combinations"] == [
        {"kernel": "7.x", "smmu_model": "nested", "dut_kernels": [], "pass": 2, "fail": 0,
         "skip": 0},
        {"kernel": "7.x", "smmu_model": "s1", "dut_kernels": [], "pass": 1, "fail": 0,
         "skip": 1},
        {"kernel": "6.12", "smmu_model": "nested", "dut_kernels": [], "pass": 0, "fail": 1,
         "skip": 0}]
    text = rep.summary_text()
    assert text.endswith("pass 4  fail 1  skip 1\n  7.x nested: pass 2  fail 0  skip 0\n"
                         "  7.x s1: pass 1  fail 0  skip 1\n"
                         "  6.12 nested: pass 0  fail 1  skip 0\n")
    one = Report(run_id="r", target="qemu", tests=tests[:2])    # 7.x nested only
    assert "combinations" not in one.to_dict()
    assert one.summary_text().endswith("pass 2  fail 0  skip 0\n")


class Cells(HTMLParser):
    """The comparison table (table.matrix) as rows of cell texts, and each
    row's class."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self.row_class: list[str | None] = []
        self.cell_class: list[list[str | None]] = []
        self.depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "table":
            self.depth += 1 if a.get("class") == "matrix" or self.depth else 0
        elif self.depth and tag == "tr":
            self.rows.append([])
            self.row_class.append(a.get("class"))
            self.cell_class.append([])
        elif self.depth and tag in ("td", "th"):
            self.rows[-1].append("")
            self.cell_class[-1].append(a.get("class"))
        elif self.depth and tag == "br" and self.rows and self.rows[-1]:
            self.rows[-1][-1] += " | "

    def handle_endtag(self, tag: str) -> None:
        if tag == "table" and self.depth:
            self.depth -= 1

    def handle_data(self, data: str) -> None:
        if self.depth and self.rows and self.rows[-1]:
            self.rows[-1][-1] += data


def test_html_comparison_table(tmp_path: Path) -> None:
    rd = RunDir(path=tmp_path, report={"run_id": "r", "target": "qemu",
                                       "tests": matrix_tests()})
    page = html_report.render(rd)
    t = Cells()
    t.feed(page)
    head, hitless, s2 = ([c.strip() for c in r] for r in t.rows)
    assert head[0] == "scenario"
    assert head[1] == "7.x nested | 7.3.4+deb13-arm64 | 2 pass 0 fail 0 skip"
    assert head[3] == "6.12 nested | 6.12.95+bpo-arm64 | 0 pass 1 fail 0 skip"
    assert hitless[0] == "\u2260 raw-hitless@edu" and t.row_class[1] == "differs"
    assert hitless[1] == ("PASS | rate/s 575 | transitions 3,000 | events 0 | "
                          "unexpected events 0 | DMA errors 0")
    assert hitless[3] == ("FAIL | rate/s 242,399 | transitions 3,000 | events 3 | "
                          "unexpected events 3 | DMA errors 0 | C_BAD_STE x3 <b>")
    assert t.cell_class[1][1:] == ["cell-pass", "cell-pass", "cell-fail"]
    assert s2 == ["\u2260 s2-transitions", "PASS | transitions 12",
                  "SKIP | missing SMMU features: S2P", "not run"]
    assert "C_BAD_STE x3 &lt;b&gt;" in page                     # escaped
    assert 'href="#t-raw-hitless-edu-6-12-nested-"' in page     # the test's section
    assert "2 with an outcome that differs between them" in page
    # the rate plot: one more figure than without combinations
    assert "Transition rate per kernel and SMMU model" in page
    uri = page.split('alt="Transition rate per kernel and SMMU model" src="')[1].split('"')[0]
    img = matplotlib.image.imread(io.BytesIO(base64.b64decode(uri.split(",", 1)[1])),
                                  format="png")
    assert img.shape[0] > 100 and img.shape[1] > 100


def test_no_comparison_for_one_combination(tmp_path: Path) -> None:
    tests = [t for t in matrix_tests() if "[7.x,nested]" in t["name"] or "[" not in t["name"]]
    page = html_report.render(RunDir(path=tmp_path, report={"run_id": "r", "target": "qemu",
                                                            "tests": tests}))
    assert "Kernels and SMMU models" not in page and 'class="matrix"' not in page
    assert "Transition rate per kernel" not in page


def test_published_matrix_run(tmp_path: Path) -> None:
    """publish.write_all on a matrix run: the page has the table, kcidb
    the suffixed names."""
    doc = {"run_id": "20261203T120000Z-abcd", "target": "qemu", "dut": {},
           "tests": matrix_tests()}
    (tmp_path / "report.json").write_text(json.dumps(doc))
    page, kc = publish.write_all(tmp_path)
    assert 'class="matrix"' in page.read_text()
    names = [t["misc"]["name"] for t in json.loads(kc.read_text())["tests"]]
    assert "raw-hitless@edu[6.12,nested]" in names
