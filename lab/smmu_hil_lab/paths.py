"""Where things live: the repository, build outputs and the set-up cache."""
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


def read_lock(cache: Path | None = None) -> dict[str, str]:
    """Parse the DUT package lock written by lab/setup/setup.sh.

    Returns a mapping "name:arch" (or kernel_abi / kernel_release) -> version.
    Raises FileNotFoundError when set-up has not run.
    """
    lock = (cache or cache_dir()) / "dut.lock"
    out: dict[str, str] = {}
    for line in lock.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, val = line.partition("=")
        out[key] = val
    return out
