"""The DUT kernel selection and set-up's per-kernel package lock."""
from pathlib import Path

import pytest

from smmu_hil_lab import image, paths

LOCK = """\
# smmu-hil DUT package lock
[dut]
# requested: busybox-static:arm64
busybox-static:arm64=1:1.35.0-4+deb12u1+b1
[kernel 7.x]
suite=trixie-backports
release=7.3.4+deb13-arm64
# linux-image-7.3.4+deb13-arm64:arm64=7.3.4-1~bpo13+1 is the meta package
linux-binary-unsigned-7.3.4+deb13-arm64:arm64=7.3.4-1~bpo13+1
linux-source-7.3:all=7.3.4-1~bpo13+1
[kernel 6.1]
suite=bookworm
release=6.1.0-57-arm64
abi=6.1.0-57
linux-image-6.1.0-57-arm64:arm64=6.1.192-3
"""


def test_dut_kernel(monkeypatch: pytest.MonkeyPatch) -> None:
    """7.x unless DUT_KERNEL says otherwise; an unknown name is refused."""
    monkeypatch.delenv("DUT_KERNEL", raising=False)
    assert paths.dut_kernel() == "7.x"
    monkeypatch.setenv("DUT_KERNEL", "6.12")
    assert paths.dut_kernel() == "6.12"
    monkeypatch.setenv("DUT_KERNEL", "5.10")
    with pytest.raises(ValueError, match="DUT_KERNEL=5.10: must be one of 7.x, 6.12, 6.1"):
        paths.dut_kernel()


def test_read_lock_sections(tmp_path: Path) -> None:
    """One kernel's section plus the user space; the other kernels' packages are not in it."""
    (tmp_path / "dut.lock").write_text(LOCK)
    k7 = paths.read_lock(tmp_path, "7.x")
    assert k7["kernel_release"] == "7.3.4+deb13-arm64" and k7["dut_kernel"] == "7.x"
    assert k7["suite"] == "trixie-backports"
    assert k7["linux-source-7.3:all"] == "7.3.4-1~bpo13+1"
    assert k7["busybox-static:arm64"] == "1:1.35.0-4+deb12u1+b1"
    assert "linux-image-6.1.0-57-arm64:arm64" not in k7 and "abi" not in k7
    k61 = paths.read_lock(tmp_path, "6.1")
    assert k61["kernel_release"] == "6.1.0-57-arm64"
    assert k61["linux-image-6.1.0-57-arm64:arm64"] == "6.1.192-3"
    with pytest.raises(LookupError, match=r"no DUT kernel 6.12: run `make setup DUT_KERNEL=6.12`"):
        paths.read_lock(tmp_path, "6.12")


def test_read_lock_errors(tmp_path: Path) -> None:
    """No lock, an old flat lock and a duplicated section are clear errors."""
    with pytest.raises(FileNotFoundError):
        paths.read_lock(tmp_path, "7.x")
    (tmp_path / "dut.lock").write_text("kernel_abi=6.1.0-56\nkernel_release=6.1.0-56-arm64\n")
    with pytest.raises(ValueError, match="dut.lock"):
        paths.read_lock(tmp_path, "6.1")
    (tmp_path / "dut.lock").write_text(LOCK + "[kernel 6.1]\nrelease=x\n")
    with pytest.raises(ValueError, match="already exists"):
        paths.read_lock(tmp_path, "6.1")


def test_image_names_the_missing_step(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """build_image() boots DUT_KERNEL's release and says which step is missing."""
    cache, build = tmp_path / "cache", tmp_path / "build"
    cache.mkdir()
    monkeypatch.setenv("DUT_KERNEL", "6.12")
    with pytest.raises(image.ImageError, match="no DUT set-up"):
        image.build_image(tmp_path / "out", cache=cache, build=build)
    (cache / "dut.lock").write_text(LOCK)
    with pytest.raises(image.ImageError, match="DUT_KERNEL=6.12"):
        image.build_image(tmp_path / "out", cache=cache, build=build)
    monkeypatch.setenv("DUT_KERNEL", "7.x")
    kdir = cache / "kernel" / "7.3.4+deb13-arm64"
    kdir.mkdir(parents=True)
    (kdir / "Image").write_bytes(b"kernel")
    (kdir / "base.cpio").write_bytes(b"")
    (build / "arm64").mkdir(parents=True)
    (build / "arm64" / "smmu-hil").write_bytes(b"agent")
    with pytest.raises(image.ImageError,
                       match=r"modules/7.3.4\+deb13-arm64 is missing: run `make modules DUT_KERNEL=7.x`"):
        image.build_image(tmp_path / "out", cache=cache, build=build)
    (build / "modules" / "7.3.4+deb13-arm64").mkdir(parents=True)
    (build / "modules" / "7.3.4+deb13-arm64" / "smmu_hil_edu.ko").write_bytes(b"ko")
    (build / "modules" / "6.1.0-57-arm64").mkdir(parents=True)
    (build / "modules" / "6.1.0-57-arm64" / "smmu_hil_other.ko").write_bytes(b"ko")
    img = image.build_image(tmp_path / "out", data_disk_mib=1, cache=cache, build=build)
    assert img.kernel_release == "7.3.4+deb13-arm64"
    assert img.kernel.read_bytes() == b"kernel"
    listing = img.initrd.read_bytes()
    assert b"opt/smmu-hil/modules/smmu_hil_edu.ko" in listing
    assert b"smmu_hil_other" not in listing
