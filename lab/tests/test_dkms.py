"""modules/dkms.conf against the modules it packages: dkms sources the file
with bash, so it is read here the same way; every module Kbuild builds is
listed once (BUILT_MODULE_NAME, DEST_MODULE_LOCATION, STRIP) and dkms builds
through the modules' own Makefile. (`make test-dkms` builds it for real.)"""
from __future__ import annotations

import re
import subprocess

from smmu_hil_lab import paths

MODULES = paths.REPO / "modules"


def _conf() -> dict[str, list[str]]:
    """dkms.conf's variables as bash sees them (arrays in index order), with
    the kernel source directory dkms would set."""
    script = ('kernel_source_dir=/KDIR; source "$1"; '
              'for v in PACKAGE_NAME PACKAGE_VERSION MAKE CLEAN AUTOINSTALL; do '
              'printf "%s=%s\\n" "$v" "${!v}"; done; '
              'for a in BUILT_MODULE_NAME DEST_MODULE_LOCATION STRIP; do '
              'declare -n arr="$a"; printf "%s=%s\\n" "$a" "$(IFS=,; echo "${arr[*]}")"; '
              'unset -n arr; done')
    out = subprocess.run(["bash", "-c", script, "bash", str(MODULES / "dkms.conf")],
                         capture_output=True, text=True, check=True).stdout
    return {k: v.split(",") for k, _, v in (ln.partition("=") for ln in out.splitlines())}


def test_dkms_conf_lists_every_kbuild_module_once() -> None:
    kbuild = re.findall(r"^obj-m\s*\+=\s*(\w+)\.o", (MODULES / "Kbuild").read_text(), re.M)
    conf = _conf()
    names = conf["BUILT_MODULE_NAME"]
    assert sorted(names) == sorted(kbuild) and len(set(names)) == len(names)
    assert len(conf["DEST_MODULE_LOCATION"]) == len(names)
    assert len(conf["STRIP"]) == len(names)
    assert all(loc.startswith("/") for loc in conf["DEST_MODULE_LOCATION"])


def test_dkms_conf_builds_through_the_modules_makefile() -> None:
    conf = _conf()
    assert conf["PACKAGE_NAME"] == ["smmu-hil"] and conf["PACKAGE_VERSION"][0]
    assert conf["MAKE"] == ["make KDIR=/KDIR modules"]
    assert conf["CLEAN"] == ["make KDIR=/KDIR clean"]
    mk = (MODULES / "Makefile").read_text()
    assert re.search(r"^all modules:\n\t\$\(MAKE\) -C \$\(KDIR\) M=\$\(CURDIR\) modules", mk, re.M)
    assert conf["AUTOINSTALL"] == ["yes"]
