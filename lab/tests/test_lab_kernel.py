"""The lab kernel's logic without building a kernel: lab/setup/lab-kernel.sh's
cache key and patch switching (on small stand-in trees and packages), the
strict configuration check of lab/setup/kernel-config.sh, and the KUnit KTAP
parsing and skip reasons of smmu_hil_lab.kunit."""
from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest

from smmu_hil_lab import kunit, paths

SETUP = paths.REPO / "lab" / "setup"
LAB_KERNEL = SETUP / "lab-kernel.sh"


# ------------------------------------------------------------------ keys
def _env(cache: Path, **kw: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("KSRC", "PATCHES", "FRAGMENTS", "SOURCE_DEB", "MAKEFLAGS", "MAKELEVEL")}
    env["SMMU_HIL_CACHE"] = str(cache)
    env.update(kw)
    return env


def _lk(cache: Path, cmd: str, **kw: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(LAB_KERNEL), cmd], env=_env(cache, **kw), capture_output=True,
                          text=True, timeout=60)


def _key(cache: Path, **kw: str) -> dict[str, str]:
    p = _lk(cache, "key", **kw)
    assert p.returncode == 0, p.stderr
    return dict(line.split("=", 1) for line in p.stdout.splitlines())


def _deb(tmp: Path, version: str) -> Path:
    """A stand-in linux-source package (only its name, version and bytes matter to the key)."""
    root = tmp / f"deb-{version}"
    (root / "DEBIAN").mkdir(parents=True)
    (root / "DEBIAN" / "control").write_text(
        f"Package: linux-source-7.2\nVersion: {version}\nArchitecture: all\n"
        "Maintainer: test <t@example.org>\nDescription: stand-in\n")
    out = tmp / f"linux-source-7.2_{version}_all.deb"
    subprocess.run(["dpkg-deb", "-Zgzip", "--build", str(root), str(out)], check=True,
                   capture_output=True)
    return out


def _tree(root: Path) -> Path:
    """A stand-in kernel tree: what lab-kernel.sh checks for, and a source file."""
    (root / "scripts" / "kconfig").mkdir(parents=True)
    (root / "scripts" / "kconfig" / "merge_config.sh").write_text("#!/bin/sh\n")
    (root / "Makefile").write_text("VERSION = 7\n")
    (root / "drivers").mkdir()
    (root / "drivers" / "a.c").write_text("int a = 1;\n")
    (root / "drivers" / "b.c").write_text("int b = 2;\n")
    return root


def _patch(path: Path, file: str, old: str, new: str) -> Path:
    path.write_text(f"--- a/{file}\n+++ b/{file}\n@@ -1 +1 @@\n-{old}\n+{new}\n")
    return path


def _frag(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_key_follows_source_fragments_and_patches(tmp_path: Path) -> None:
    deb1, deb2 = _deb(tmp_path, "7.2.12-1"), _deb(tmp_path, "7.2.13-1")
    f1 = _frag(tmp_path / "a.config", "CONFIG_PCI=y\n")
    f2 = _frag(tmp_path / "b.config", "CONFIG_KUNIT=y\n")
    p1 = _patch(tmp_path / "1.patch", "drivers/a.c", "int a = 1;", "int a = 3;")
    p2 = _patch(tmp_path / "2.patch", "drivers/b.c", "int b = 2;", "int b = 4;")
    c = tmp_path / "cache"
    base = dict(SOURCE_DEB=str(deb1), FRAGMENTS=f"{f1} {f2}")
    k = _key(c, **base)
    assert k["source"].startswith("deb linux-source-7.2=7.2.12-1 ") and k["patches"] == "none"
    assert len(k["key"]) == 16
    assert _key(c, **base) == k                                  # deterministic
    assert _key(c, **dict(base, SOURCE_DEB=str(deb2)))["key"] != k["key"]
    # fragments: their order and content are in the key, not in the build directory
    swapped = _key(c, **dict(base, FRAGMENTS=f"{f2} {f1}"))
    assert swapped["key"] != k["key"] and swapped["workdir"] == k["workdir"]
    f2.write_text("CONFIG_KUNIT=m\n")
    assert _key(c, **base)["key"] not in (k["key"], swapped["key"])
    f2.write_text("CONFIG_KUNIT=y\n")
    assert _key(c, **base) == k
    # patches: each set its own key, one build directory
    a = _key(c, **dict(base, PATCHES=str(p1)))
    ab = _key(c, **dict(base, PATCHES=f"{p1} {p2}"))
    ba = _key(c, **dict(base, PATCHES=f"{p2} {p1}"))
    assert len({k["key"], a["key"], ab["key"], ba["key"]}) == 4
    assert k["workdir"] == a["workdir"] == ab["workdir"] == ba["workdir"]
    # another source: another build directory
    assert _key(c, **dict(base, SOURCE_DEB=str(deb2)))["workdir"] != k["workdir"]


def test_key_of_a_tree(tmp_path: Path) -> None:
    plain = _tree(tmp_path / "plain")
    c = tmp_path / "cache"
    frag = _frag(tmp_path / "f.config", "CONFIG_PCI=y\n")
    k = _key(c, KSRC=str(plain), FRAGMENTS=str(frag))
    assert k["source"].startswith(f"tree {plain} files ")
    time.sleep(0.01)
    (plain / "drivers" / "a.c").write_text("int a = 5;\n")      # an edit: new key
    k2 = _key(c, KSRC=str(plain), FRAGMENTS=str(frag))
    assert k2["key"] != k["key"] and k2["workdir"] == k["workdir"]

    g = _tree(tmp_path / "git")
    subprocess.run(["git", "init", "-q", str(g)], check=True)
    subprocess.run(["git", "-C", str(g), "add", "."], check=True)
    subprocess.run(["git", "-C", str(g), "-c", "user.name=t", "-c", "user.email=t@e",
                    "commit", "-qm", "base"], check=True)
    head = subprocess.run(["git", "-C", str(g), "rev-parse", "HEAD"], check=True,
                          capture_output=True, text=True).stdout.strip()
    k = _key(c, KSRC=str(g), FRAGMENTS=str(frag))
    assert k["source"].startswith(f"tree {g} git {head} ")
    (g / "drivers" / "a.c").write_text("int a = 6;\n")          # uncommitted change
    k2 = _key(c, KSRC=str(g), FRAGMENTS=str(frag))
    (g / "drivers" / "new.c").write_text("int n;\n")            # untracked file
    k3 = _key(c, KSRC=str(g), FRAGMENTS=str(frag))
    assert len({k["key"], k2["key"], k3["key"]}) == 3
    assert k["workdir"] == k2["workdir"] == k3["workdir"] != _key(
        c, KSRC=str(plain), FRAGMENTS=str(frag))["workdir"]


@pytest.mark.parametrize("setup, kw, msg", [
    ("none", {}, "no source: set KSRC"),
    ("tree", {"PATCHES": "/nonexistent.patch"}, "patch '/nonexistent.patch' not found"),
    ("tree", {"FRAGMENTS": "/nonexistent.config"}, "fragment '/nonexistent.config' not found"),
    ("dirty", {}, "is not clean (it has a .config)"),
    ("notree", {}, "is not a kernel source tree"),
])
def test_bad_input(tmp_path: Path, setup: str, kw: dict[str, str], msg: str) -> None:
    if setup != "none":
        t = tmp_path / "t"
        if setup == "notree":
            t.mkdir()
        else:
            _tree(t)
        if setup == "dirty":
            (t / ".config").write_text("CONFIG_PCI=y\n")
        kw = dict(kw, KSRC=str(t))
    p = _lk(tmp_path / "cache", "key", **kw)
    assert p.returncode == 2 and msg in p.stderr, p.stderr


def test_patch_switching_restores_and_marks_changed(tmp_path: Path) -> None:
    """prepare: a hard-linked copy with the patches; a later patch set first
    restores what the previous one touched, with a new mtime (so make
    rebuilds it), and the pristine tree is never written."""
    t = _tree(tmp_path / "t")
    c = tmp_path / "cache"
    frag = _frag(tmp_path / "f.config", "CONFIG_PCI=y\n")
    p1 = _patch(tmp_path / "1.patch", "drivers/a.c", "int a = 1;", "int a = 3;")
    p2 = _patch(tmp_path / "2.patch", "drivers/b.c", "int b = 2;", "int b = 4;")

    def prepare(patches: str) -> Path:
        p = _lk(c, "prepare", KSRC=str(t), FRAGMENTS=str(frag), PATCHES=patches)
        assert p.returncode == 0, p.stderr
        return Path(p.stdout.strip())

    src = prepare(str(p1))
    assert src != t and (src / "drivers" / "a.c").read_text() == "int a = 3;\n"
    assert (src / "drivers" / "b.c").stat().st_ino == (t / "drivers" / "b.c").stat().st_ino
    assert (t / "drivers" / "a.c").read_text() == "int a = 1;\n"
    patched_at = (src / "drivers" / "a.c").stat().st_mtime_ns
    time.sleep(0.02)
    assert prepare(str(p2)) == src
    assert (src / "drivers" / "a.c").read_text() == "int a = 1;\n"
    assert (src / "drivers" / "a.c").stat().st_mtime_ns > patched_at
    assert (src / "drivers" / "b.c").read_text() == "int b = 4;\n"
    assert (t / "drivers" / "b.c").read_text() == "int b = 2;\n"
    # the same set again changes nothing
    b_at = (src / "drivers" / "b.c").stat().st_mtime_ns
    prepare(str(p2))
    assert (src / "drivers" / "b.c").stat().st_mtime_ns == b_at
    # a patch that does not apply: a clear error naming it
    bad = _patch(tmp_path / "bad.patch", "drivers/a.c", "int a = 9;", "int a = 0;")
    p = _lk(c, "prepare", KSRC=str(t), FRAGMENTS=str(frag), PATCHES=str(bad))
    assert p.returncode == 2 and "patch bad.patch does not apply" in p.stderr
    # unpatched, a tree builds in place (O= only)
    assert prepare("") == t


# ------------------------------------------------------------------ config check
@pytest.fixture(scope="module")
def kconfig_tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The kconfig part of Debian's linux-source-6.1 (lab/setup/linux-source.sh)."""
    dest = tmp_path_factory.mktemp("linux")
    p = subprocess.run([str(SETUP / "linux-source.sh"), "kconfig", str(dest)],
                       capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr
    return Path(p.stdout.strip())


def _kconfig(tree: Path, out: Path, *frags: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("CROSS_COMPILE", "MAKEFLAGS", "MFLAGS", "MAKELEVEL", "KCONFIG_CONFIG")}
    env.update(ARCH="arm64", O=str(out), KCONFIG_BASE="allnoconfig", STRICT="1", HOSTCC="gcc")
    return subprocess.run([str(SETUP / "kernel-config.sh"), str(tree), *map(str, frags)],
                          env=env, capture_output=True, text=True, timeout=300)


def test_strict_allnoconfig_into_build_dir(kconfig_tree: Path, tmp_path: Path) -> None:
    frag = _frag(tmp_path / "f.config", "CONFIG_PCI=y\nCONFIG_PCI_MSI=y\n# CONFIG_SWAP is not set\n")
    p = _kconfig(kconfig_tree, tmp_path / "obj", frag)
    assert p.returncode == 0, p.stdout + p.stderr
    cfg = (tmp_path / "obj" / ".config").read_text()
    assert "CONFIG_PCI=y" in cfg and "CONFIG_PCI_MSI=y" in cfg
    # allnoconfig: what the fragment does not ask for stays off
    assert "# CONFIG_VIRTIO_PCI is not set" in cfg or "CONFIG_VIRTIO_PCI" not in cfg
    assert "3 of 3 requested options as requested, 0 not" in p.stdout
    assert not (kconfig_tree / ".config").exists() or "CONFIG_PCI_MSI=y" not in \
        (kconfig_tree / ".config").read_text()


def test_strict_fails_on_the_lab_fragments_for_6_1(kconfig_tree: Path, tmp_path: Path) -> None:
    """The lab kernel's fragments on a kernel without KHO, LUO and iommufd's
    SMMUv3 part: STRICT=1 exits 3 and names them."""
    frags = sorted((paths.REPO / "kernel-config").glob("smmu-hil-*.config")) + \
        sorted((paths.REPO / "kernel-config" / "lab").glob("*.config"))
    p = _kconfig(kconfig_tree, tmp_path / "obj", *frags)
    assert p.returncode == 3, p.stdout + p.stderr
    for opt in ("KEXEC_HANDOVER", "LIVEUPDATE", "ARM_SMMU_V3_IOMMUFD"):
        assert (f"not as requested: CONFIG_{opt}=y (final: absent: this kernel has no such option)"
                in p.stdout), p.stdout
    assert "option(s) not as requested (STRICT=1)" in p.stderr


# ------------------------------------------------------------------ KTAP
# lib/kunit/debugfs.c's layout: a KTAP header, the suite as test 1, its cases
# indented by four spaces, a failing case's messages before its result line
DEBUGFS_RESULTS = """KTAP version 1
1..1
    KTAP version 1
    # Subtest: arm-smmu-v3-kunit-test
    1..4
    ok 1 arm_smmu_v3_write_ste_test_bypass_to_abort
    # arm_smmu_v3_write_ste_test_abort_to_bypass: EXPECTATION FAILED at drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3-test.c:176
    Expected test_writer.invalid_entry_written == !hitless, but
        test_writer.invalid_entry_written == 1 (0x1)
    not ok 2 arm_smmu_v3_write_ste_test_abort_to_bypass
    ok 3 arm_smmu_v3_write_cd_test_sva_clear # SKIP no SVA
        KTAP version 1
        # Subtest: arm_smmu_v3_invs_test
        ok 1 merge
        not ok 2 unref
    not ok 4 arm_smmu_v3_invs_test
# arm-smmu-v3-kunit-test: pass:1 fail:2 skip:1 total:4
# Totals: pass:1 fail:2 skip:1 total:4
not ok 1 arm-smmu-v3-kunit-test
"""


def test_suite_cases_from_debugfs() -> None:
    suite, rows = kunit.suite_cases(DEBUGFS_RESULTS, "arm-smmu-v3-kunit-test")
    assert suite.status == "fail" and suite.number == 1 and len(suite.subtests) == 4
    assert [(r["case"], r["status"]) for r in rows] == [
        ("arm_smmu_v3_write_ste_test_bypass_to_abort", "pass"),
        ("arm_smmu_v3_write_ste_test_abort_to_bypass", "fail"),
        ("arm_smmu_v3_write_cd_test_sva_clear", "skip"),
        ("arm_smmu_v3_invs_test", "fail")]
    assert rows[1]["reason"].startswith("arm_smmu_v3_write_ste_test_abort_to_bypass: "
                                        "EXPECTATION FAILED at drivers/iommu/")
    assert "Expected test_writer.invalid_entry_written == !hitless" in rows[1]["reason"]
    assert rows[2]["reason"] == "no SVA" and rows[0]["reason"] == ""
    params = suite.subtests[3].subtests
    assert [(p.name, p.status) for p in params] == [("merge", "pass"), ("unref", "fail")]


def test_kernel_log_with_timestamps_and_other_messages() -> None:
    log = "\n".join(f"[ {12 + i * 0.001:10.6f}] {line}" if line.strip() else line
                    for i, line in enumerate(DEBUGFS_RESULTS.splitlines()))
    log = "[    1.000000] arm-smmu-v3 arm-smmu-v3.0.auto: ias 44-bit, oas 44-bit\n" + log
    log += "\n[   13.000000] kunit: some later message\n"
    results = kunit.parse_ktap(log)
    assert [r.name for r in results] == ["arm-smmu-v3-kunit-test"]
    _, rows = kunit.suite_cases(log, "arm-smmu-v3-kunit-test")
    assert [r["status"] for r in rows] == ["pass", "fail", "skip", "fail"]


def test_all_pass() -> None:
    text = ("KTAP version 1\n1..1\n    # Subtest: s\n    1..2\n    ok 1 a\n    ok 2 b\n"
            "# s: pass:2 fail:0 skip:0 total:2\nok 1 s\n")
    suite, rows = kunit.suite_cases(text, "s")
    assert suite.status == "pass" and [r["status"] for r in rows] == ["pass", "pass"]


def test_suite_not_run() -> None:
    """debugfs of a suite loaded with kunit.autorun=0 (as the lab kernel's
    first build had it): header and plan, no case; ran_cases() says so."""
    text = ("KTAP version 1\n1..1\n    KTAP version 1\n    # Subtest: arm-smmu-v3-kunit-test\n"
            "    1..25\nok 1 arm-smmu-v3-kunit-test\n")
    assert not kunit.ran_cases(text, "arm-smmu-v3-kunit-test")
    assert kunit.ran_cases(DEBUGFS_RESULTS, "arm-smmu-v3-kunit-test")
    assert not kunit.ran_cases(DEBUGFS_RESULTS, "other")


@pytest.mark.parametrize("text, msg", [
    ("", "no KTAP result line"),
    ("KTAP version 1\n1..1\n# nothing ran\n", "no KTAP result line"),
    ("KTAP version 1\n1..1\nok 1 other-suite\n", "suite s not in the KTAP output"),
    ("KTAP version 1\n1..1\n    1..0\nok 1 s\n", "suite s reported no test case"),
])
def test_ktap_errors(text: str, msg: str) -> None:
    with pytest.raises(kunit.KtapError, match=msg):
        kunit.suite_cases(text, "s")


def test_skip_reasons() -> None:
    r = kunit.skip_reason("7.3.4+deb13-arm64", False, None)
    assert r and "7.3.4+deb13-arm64 has no KUnit" in r and "DUT_KERNEL=lab" in r
    r = kunit.skip_reason("7.2.12-lab-x", True, None)
    assert r and "has KUnit but no arm-smmu-v3-test module" in r
    assert kunit.skip_reason("7.2.12-lab-x", True,
                             "/lib/modules/7.2.12-lab-x/kernel/drivers/iommu/arm/arm-smmu-v3/"
                             "arm-smmu-v3-test.ko") is None
