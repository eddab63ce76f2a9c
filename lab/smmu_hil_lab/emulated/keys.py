"""Per-run SSH keys for the emulated DUT: the lab's client key goes into
the DUT's initramfs (authorized_keys), with a dropbear host key."""
from __future__ import annotations

import subprocess
from pathlib import Path


def make_keys(directory: Path) -> tuple[Path, Path]:
    """A per-run client key pair (ssh-keygen, ed25519) and a dropbear host key
    (dropbearkey) in @directory. Returns (client private key, host key).
    Raises subprocess.CalledProcessError / FileNotFoundError."""
    key = directory / "id_ed25519"
    host = directory / "dropbear_ed25519_host_key"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "smmu-hil-lab",
                    "-f", str(key)], check=True, timeout=30, stdin=subprocess.DEVNULL)
    subprocess.run(["dropbearkey", "-t", "ed25519", "-f", str(host)], check=True,
                   timeout=30, capture_output=True)
    return key, host
