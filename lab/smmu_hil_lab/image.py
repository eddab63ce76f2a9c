"""Assemble what the emulated DUT boots: kernel Image, initramfs, data disk.

The initramfs is the cached base (lab/setup/mkinitramfs.sh) followed by an
overlay cpio holding this tree's build outputs: the arm64 agent, the kernel
modules and the scenarios. Two newc archives concatenate; the second must
start 4-byte aligned.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from . import paths, scenario
from .errors import ImageError


@dataclass
class DutImage:
    kernel: Path
    initrd: Path
    data_disk: Path
    share: Path          # exported to the DUT over virtio-9p (tag smmu-hil)
    kernel_release: str


def overlay_cpio(stage: Path, out: Path) -> None:
    """Write the tree @stage as a newc cpio @out (owner root), to append to an initramfs."""
    files = sorted(p.relative_to(stage).as_posix() for p in stage.rglob("*"))
    data = "".join(f"./{f}\n" for f in ["."] + files)
    with out.open("wb") as fh:
        subprocess.run(["cpio", "-o", "-H", "newc", "--owner=0:0", "--quiet"], cwd=stage,
                       input=data.encode(), stdout=fh, check=True)


def _lab_scenarios(directory: str, names: list[str]) -> set[str]:
    """copytree's ignore: the lab-run *.yaml files of @directory."""
    return {n for n in names
            if n.endswith(".yaml") and scenario.is_lab_file(Path(directory) / n)}


def _copy_if_changed(src: Path, dst: Path) -> None:
    """Copy @src to @dst unless size and mtime match; replace atomically, so a
    DUT reading @dst over 9p never sees a half-written file."""
    if dst.exists():
        a, b = src.stat(), dst.stat()
        if a.st_size == b.st_size and int(a.st_mtime) == int(b.st_mtime):
            return
    tmp = dst.with_name(f"{dst.name}.{os.getpid()}.tmp")
    shutil.copy2(src, tmp)
    tmp.replace(dst)


def build_image(out: Path, data_disk_mib: int = 256, cache: Path | None = None,
                build: Path | None = None, extra: dict[str, Path] | None = None) -> DutImage:
    """Write Image, initrd.cpio and data.img into @out (the 9p share), for
    the DUT kernel $DUT_KERNEL names (paths.dut_kernel(), default 7.x): its
    Image and base initramfs from set-up's cache/kernel/<release>/, the
    modules built for it from build/modules/<release>/.

    @data_disk_mib: size of the raw virtio-blk data disk, created sparse once and
    kept between boots (the kexec scenario relies on its contents surviving).
    @extra: more overlay files, DUT path ("etc/smmu-hil/init.d/lava.sh") -> host file.
    Raises ImageError naming the missing step (make setup / make).
    """
    cache = cache or paths.cache_dir()
    build = build or paths.BUILD
    try:
        name = paths.dut_kernel()
        lock = paths.read_lock(cache, name)
    except FileNotFoundError as e:
        raise ImageError(f"no DUT set-up in {cache}: run `make setup`") from e
    except (LookupError, ValueError) as e:
        raise ImageError(str(e)) from e
    rel = lock["kernel_release"]
    kernel = cache / "kernel" / rel / "Image"
    base = cache / "kernel" / rel / "base.cpio"
    agent = build / "arm64" / "smmu-hil"
    mods = build / "modules" / rel
    for need, how in ((kernel, f"make setup DUT_KERNEL={name}"),
                      (base, f"make setup DUT_KERNEL={name}"), (agent, "make"),
                      (mods, f"make modules DUT_KERNEL={name}")):
        if not need.exists():
            raise ImageError(f"{need} is missing: run `{how}`")
    out.mkdir(parents=True, exist_ok=True)

    with tempfile.TemporaryDirectory() as tmp:
        stage = Path(tmp) / "stage"
        (stage / "opt/smmu-hil/bin").mkdir(parents=True)
        (stage / "opt/smmu-hil/modules").mkdir()
        shutil.copy2(agent, stage / "opt/smmu-hil/bin/smmu-hil")
        for ko in sorted(mods.glob("*.ko")):
            shutil.copy2(ko, stage / "opt/smmu-hil/modules" / ko.name)
        if paths.SCENARIOS.is_dir():
            # the agent's scenarios only: `smmu-hil run .../transitions/*.yaml`
            # must not meet a lab-run file (evtmon-cost), which it would reject
            shutil.copytree(paths.SCENARIOS, stage / "opt/smmu-hil/scenarios",
                            ignore=_lab_scenarios)
        for dut_path, src in (extra or {}).items():
            dst = stage / dut_path
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dst)
        overlay = Path(tmp) / "overlay.cpio"
        overlay_cpio(stage, overlay)
        initrd_tmp = out / f"initrd.cpio.{os.getpid()}.tmp"
        with initrd_tmp.open("wb") as fh:
            with base.open("rb") as b:
                shutil.copyfileobj(b, fh)
            pad = (-fh.tell()) % 4
            fh.write(b"\0" * pad)
            with overlay.open("rb") as o:
                shutil.copyfileobj(o, fh)
        initrd_tmp.replace(out / "initrd.cpio")

    _copy_if_changed(kernel, out / "Image")
    disk = out / "data.img"
    want = data_disk_mib << 20
    if not disk.exists() or disk.stat().st_size != want:
        with disk.open("wb") as fh:
            fh.truncate(want)
    return DutImage(kernel=out / "Image", initrd=out / "initrd.cpio", data_disk=disk,
                    share=out, kernel_release=rel)
