"""Command line of the lab controller: python3 -m smmu_hil_lab VERB ..."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import image


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="smmu_hil_lab", description=__doc__)
    sub = ap.add_subparsers(dest="verb", required=True)
    im = sub.add_parser("image", help="assemble the emulated DUT's boot files")
    im.add_argument("--out", type=Path, required=True)
    args = ap.parse_args(argv)
    if args.verb == "image":
        try:
            img = image.build_image(args.out)
        except image.ImageError as e:
            print(f"smmu_hil_lab: error: {e}", file=sys.stderr)
            return 2
        print(f"kernel {img.kernel_release}: {img.kernel} {img.initrd}")
        return 0
    return 2


if __name__ == "__main__":
    sys.exit(main())
