"""Where things live: the repository, build outputs, the set-up cache and
the DUT kernel chosen (DUT_KERNEL) with the packages set-up locked for it."""
import configparser
import os
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
# Build outputs: build/ unless $SMMU_HIL_BUILD names another (absolute) directory.
BUILD = Path(os.environ["SMMU_HIL_BUILD"]) if os.environ.get("SMMU_HIL_BUILD") else REPO / "build"
RESULTS = REPO / "results"
SCENARIOS = REPO / "scenarios"


def cache_dir() -> Path:
    """The set-up cache ($SMMU_HIL_CACHE, default ~/.cache/smmu-hil)."""
    env = os.environ.get("SMMU_HIL_CACHE")
    return Path(env) if env else Path.home() / ".cache" / "smmu-hil"


# DUT_KERNEL's values (docs/kernels.md): the newest Debian 7.x from
# trixie-backports, 6.12 from bookworm-backports, 6.1 from bookworm, and the
# lab kernel built from source (make lab-kernel, lab/setup/lab-kernel.sh).
DUT_KERNELS = ("7.x", "6.12", "6.1", "lab")
DEFAULT_DUT_KERNEL = "7.x"


def dut_kernel() -> str:
    """The DUT kernel asked for: $DUT_KERNEL, default 7.x.
    Raises ValueError for a value not in DUT_KERNELS."""
    name = os.environ.get("DUT_KERNEL") or DEFAULT_DUT_KERNEL
    if name not in DUT_KERNELS:
        raise ValueError(f"DUT_KERNEL={name}: must be one of {', '.join(DUT_KERNELS)}")
    return name


def read_lock(cache: Path | None = None, kernel: str | None = None) -> dict[str, str]:
    """The packages set-up locked for DUT kernel @kernel (default dut_kernel()).

    $SMMU_HIL_CACHE/dut.lock (written by lab/setup/setup.sh) is an INI file:
    [dut] the user space, [kernel NAME] per DUT kernel (release=, suite=,
    packages). Returns a mapping "name:arch" -> version of both sections,
    with "kernel_release" (the release), "dut_kernel" (NAME) and "suite".
    Raises FileNotFoundError when set-up has not run, LookupError when it
    has not set up @kernel, ValueError for a malformed lock.
    """
    kernel = kernel or dut_kernel()
    path = (cache or cache_dir()) / "dut.lock"
    cp = configparser.ConfigParser(delimiters=("=",), interpolation=None,
                                   comment_prefixes=("#",), strict=True)
    cp.optionxform = str  # type: ignore[assignment,method-assign]  # keys are case-sensitive
    try:
        cp.read_string(path.read_text(), source=str(path))
    except configparser.Error as e:
        raise ValueError(f"{path}: {e}") from e
    sec = f"kernel {kernel}"
    if not cp.has_section(sec) or not cp.get(sec, "release", fallback=""):
        how = "make lab-kernel" if kernel == "lab" else f"make setup DUT_KERNEL={kernel}"
        raise LookupError(f"{path} has no DUT kernel {kernel}: run `{how}`")
    out = dict(cp.items("dut")) if cp.has_section("dut") else {}
    k = dict(cp.items(sec))
    out.update({n: v for n, v in k.items() if ":" in n})
    out.update(kernel_release=k["release"], dut_kernel=kernel, suite=k.get("suite", ""))
    return out
