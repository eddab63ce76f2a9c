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


def test_read_lock_lab_kernel(tmp_path: Path) -> None:
    """The lab kernel's section as lab/setup/lab-kernel.sh writes it: its
    release, the Debian source package among the packages, nothing else of
    it (key, checksums) taken for a package."""
    lab = ("[kernel lab]\nrelease=7.2.12-lab-738bed68\nkey=738bed685f7e7b2f\n"
           "linux-source-7.2:all=7.2.12-1~bpo13+1\n"
           "source_id=deb linux-source-7.2=7.2.12-1~bpo13+1 73ca6c22\n"
           "fragments=kernel-config/smmu-hil-base.config kernel-config/lab/lab.config\n"
           "fragments_sha256=6067e674\npatches=\npatches_sha256=none\n"
           "tools=aarch64-linux-gnu-gcc (Debian 12.2.0-14) 12.2.0|GNU ld 2.40|recipe 1\n")
    (tmp_path / "dut.lock").write_text(LOCK)
    with pytest.raises(LookupError, match=r"no DUT kernel lab: run `make lab-kernel`"):
        paths.read_lock(tmp_path, "lab")
    (tmp_path / "dut.lock").write_text(LOCK + lab)
    k = paths.read_lock(tmp_path, "lab")
    assert k["kernel_release"] == "7.2.12-lab-738bed68" and k["dut_kernel"] == "lab"
    assert k["linux-source-7.2:all"] == "7.2.12-1~bpo13+1"
    assert "key" not in k and "linux-source-7.3:all" not in k
    assert k["busybox-static:arm64"] == "1:1.35.0-4+deb12u1+b1"


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


def test_setup_release(tmp_path: Path) -> None:
    """`setup.sh release` (what the Makefile's KREL reads) follows DUT_KERNEL
    through the same sections; an unknown DUT_KERNEL is refused."""
    import os
    import subprocess
    (tmp_path / "dut.lock").write_text(LOCK)
    script = str(paths.REPO / "lab" / "setup" / "setup.sh")

    def release(kernel: str | None) -> subprocess.CompletedProcess[str]:
        env = {k: v for k, v in os.environ.items() if k != "DUT_KERNEL"}
        env["SMMU_HIL_CACHE"] = str(tmp_path)
        if kernel is not None:
            env["DUT_KERNEL"] = kernel
        return subprocess.run(["bash", script, "release"], env=env, text=True,
                              capture_output=True, timeout=30)

    assert release(None).stdout == "7.3.4+deb13-arm64\n"
    assert release("6.1").stdout == "6.1.0-57-arm64\n"
    r = release("6.12")
    assert r.returncode == 0 and r.stdout == ""          # not set up: empty
    r = release("7")
    assert r.returncode == 1 and "DUT_KERNEL=7: must be one of 7.x, 6.12, 6.1" in r.stderr
