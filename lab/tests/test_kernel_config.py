"""lab/setup/kernel-config.sh against Debian's linux-source-6.1 for real:
the kconfig part of the tree (lab/setup/linux-source.sh kconfig, from the
cached .deb), `make ARCH=arm64 defconfig` with the host gcc, the lab's
fragments merged with the kernel's merge_config.sh, the result checked.
About 15 s (7 s of it xz)."""
from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from smmu_hil_lab import paths

SETUP = paths.REPO / "lab" / "setup"


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("CROSS_COMPILE", "MAKEFLAGS", "MFLAGS", "MAKELEVEL", "KCONFIG_CONFIG")}
    env["ARCH"] = "arm64"
    return env


def _run(argv: list[str], cwd: Path | None = None) -> str:
    p = subprocess.run(argv, cwd=cwd, env=_env(), capture_output=True, text=True,
                       timeout=120)
    assert p.returncode == 0, f"{argv} exit {p.returncode}:\n{p.stdout[-3000:]}{p.stderr[-3000:]}"
    return p.stdout


@pytest.fixture(scope="module")
def merged(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """(tree, kernel-config.sh's output) after defconfig + the lab's fragments."""
    dest = tmp_path_factory.mktemp("linux")
    tree = Path(_run([str(SETUP / "linux-source.sh"), "kconfig", str(dest)]).strip())
    _run(["make", "-s", "ARCH=arm64", "HOSTCC=gcc", "defconfig"], cwd=tree)
    out = _run([str(SETUP / "kernel-config.sh"), str(tree)])
    return tree, out


def _config(tree: Path) -> dict[str, str]:
    """CONFIG_X -> value of the tree's .config (set options only)."""
    found = re.findall(r"^(CONFIG_\w+)=(.*)$", (tree / ".config").read_text(), re.M)
    return dict(found)


def test_merged_options(merged: tuple[Path, str]) -> None:
    tree, _ = merged
    cfg = _config(tree)
    for opt in ("ARM_SMMU_V3", "KPROBES", "KPROBE_EVENTS", "KEXEC", "KEXEC_FILE",
                "DEBUG_FS", "MAGIC_SYSRQ", "IOMMU_DEFAULT_DMA_STRICT"):
        assert cfg.get(f"CONFIG_{opt}") == "y", opt
    assert cfg.get("CONFIG_ARM_SMMU_V3_PMU") == "m"
    assert cfg.get("CONFIG_VFIO_PCI") == "m"


def test_missing_reported(merged: tuple[Path, str]) -> None:
    tree, out = merged
    missing = dict(re.findall(r"^kernel-config: not as requested: (CONFIG_\w+)=\S+ "
                              r"\(final: (.*)\)$", out, re.M))
    # 6.1 has neither KHO nor LUO nor iommufd's SMMUv3 part: listed, not fatal
    for opt in ("KEXEC_HANDOVER", "LIVEUPDATE", "ARM_SMMU_V3_IOMMUFD"):
        assert missing.get(f"CONFIG_{opt}") == "absent: this kernel has no such option", out
        assert f"CONFIG_{opt}" not in (tree / ".config").read_text()
    assert "CONFIG_ARM_SMMU_V3" not in missing
    m = re.search(r"^kernel-config: (\d+) of (\d+) requested options as requested, (\d+) not$",
                  out, re.M)
    assert m and int(m[3]) == len(missing) and int(m[1]) + int(m[3]) == int(m[2])


def test_not_a_tree(tmp_path: Path) -> None:
    for tree, msg in ((tmp_path / "none", "does not exist"),
                      (tmp_path, "is not a kernel source tree")):
        p = subprocess.run([str(SETUP / "kernel-config.sh"), str(tree)],
                           capture_output=True, text=True)
        assert p.returncode == 2 and msg in p.stderr
    (tmp_path / "scripts" / "kconfig").mkdir(parents=True)
    (tmp_path / "scripts" / "kconfig" / "merge_config.sh").touch()
    (tmp_path / "Makefile").touch()
    p = subprocess.run([str(SETUP / "kernel-config.sh"), str(tmp_path)],
                       capture_output=True, text=True)
    assert p.returncode == 2 and "has no .config" in p.stderr
