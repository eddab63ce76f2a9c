"""Command line of the lab controller: python3 -m smmu_hil_lab VERB ...

    run --suite smoke[,transitions...] --results DIR [--target qemu|ssh]
        [--inventory FILE] [--resume RUN_DIR] [--smmu-model nested|s1|s2]
        [-- PYTEST-ARGS]
    run --plan FILE --results DIR [--resume RUN_DIR]
                           a plan's phases (suites on targets), one report
    validate DIR...        check scenario files
    report RUN_DIR         (re)write report.html and kcidb.json of a finished run
    compare RUN_A RUN_B [--tolerance 20%] [--metric-tolerance GLOB=TOL]... [--all] [-j]
                           what changed from run A to run B (regressions first);
                           exit 0 none, 1 regressions, 2 a missing/malformed report
    image --out DIR        assemble the emulated DUT's boot files
    qemu --out DIR [--append ARGS] [--smmu-model nested|s1|s2] [-- QEMU-ARGS]
                           assemble them and boot the DUT on this terminal

The emulated DUT's SMMU model (smmu_model.py): --smmu-model, else the
inventory DUT's smmu_model, else $SMMU_HIL_SMMU_MODEL, else nested.
    lava jobs --out DIR [--inventory FILE...] [--suite S] [--scenario NAME...]
                           LAVA device dictionary and jobs (docs/lava.md)
    lava validate DIR      the jobs of DIR against lava_common's schema and lava-run --validate
    lava run --job J --device D --results DIR
                           lava-run a job, its results as a run directory
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from . import image, inventory, scenario, smmu_model


def main(argv: list[str] | None = None) -> int:
    """Parse @argv and run the verb. Returns the process exit status."""
    ap = argparse.ArgumentParser(prog="smmu_hil_lab", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="verb", required=True)
    im = sub.add_parser("image", help="assemble the emulated DUT's boot files")
    im.add_argument("--out", type=Path, required=True)
    rn = sub.add_parser("run", help="run a suite on a target, write results")
    rn.add_argument("--suite", default="smoke",
                    help="suite, or several comma-separated in one run (smoke,transitions)")
    rn.add_argument("--results", type=Path, required=True)
    rn.add_argument("--target", default=None,
                    help="qemu, qemu-noedu (the emulated DUT without edu) or ssh "
                         "(default: the inventory DUT's, else qemu)")
    rn.add_argument("--inventory", type=Path, default=None,
                    help="inventory file (lab/inventory/*.yaml); its first DUT is used")
    rn.add_argument("--resume", type=Path, default=None, metavar="RUN_DIR",
                    help="continue that run: tests in its results.jsonl are not rerun")
    rn.add_argument("--plan", type=Path, default=None,
                    help="run plan (lab/plans/*.yaml): phases of suites on targets, one "
                         "report; --suite/--target/--inventory do not apply")
    rn.add_argument("--smmu-model", choices=smmu_model.MODELS, default=None,
                    help="the emulated DUT's SMMU: nested (stage 1+2), s1 or s2 (default "
                         f"${smmu_model.ENV}, else nested); sets ${smmu_model.ENV}")
    rn.add_argument("pytest_args", nargs="*", help="extra pytest arguments (after --)")
    qm = sub.add_parser("qemu", help="boot the emulated DUT on this terminal (Ctrl-A X quits)")
    qm.add_argument("--out", type=Path, required=True, help="image directory (the 9p share)")
    qm.add_argument("--append", default="", help="extra kernel command line")
    qm.add_argument("--smmu-model", choices=smmu_model.MODELS, default=None,
                    help=f"the SMMU model (default ${smmu_model.ENV}, else nested)")
    qm.add_argument("qemu_args", nargs="*", help="extra QEMU arguments (after --)")
    rp = sub.add_parser("report", help="(re)write report.html and kcidb.json of a run")
    rp.add_argument("run_dir", type=Path)
    from .compare import DEFAULT_TOLERANCE
    cp = sub.add_parser("compare", help="what changed between two runs' report.json "
                        "(regressions first; exit 1 when there is one)")
    cp.add_argument("run_a", metavar="RUN_A",
                    help="the reference run: a run directory, its report.json, or a run id "
                         "(or `latest`) under results/")
    cp.add_argument("run_b", metavar="RUN_B", help="the run to judge, likewise")
    cp.add_argument("--tolerance", default=str(DEFAULT_TOLERANCE),
                    help="relative change of a metric that counts (0.2 or 20%%; default 20%%)")
    cp.add_argument("--metric-tolerance", action="append", default=[], metavar="GLOB=TOL",
                    help="another tolerance for the metrics matching GLOB (rate_per_s=50%%); "
                         "repeatable, the last match wins")
    cp.add_argument("--all", action="store_true",
                    help="also list metrics without a better direction that moved, and every "
                         "package version")
    cp.add_argument("-j", "--json", action="store_true", help="JSON instead of text")
    va = sub.add_parser("validate", help="validate scenario files or directories")
    va.add_argument("paths", type=Path, nargs="+")
    lv = sub.add_parser("lava", help="LAVA jobs: generate, validate, run (docs/lava.md)")
    lsub = lv.add_subparsers(dest="lava_verb", required=True)
    lj = lsub.add_parser("jobs", help="write the device dictionary and jobs")
    lj.add_argument("--out", type=Path, required=True)
    lj.add_argument("--inventory", type=Path, nargs="*", default=[],
                    help="inventory files: a server job per DUT with IPMI power")
    lj.add_argument("--suite", default="transitions", help="scenario suite (agent scenarios)")
    lj.add_argument("--scenario", nargs="*", default=None, help="only these scenarios")
    lj.add_argument("--artifacts-url", default="http://lava-artifacts.example/smmu-hil",
                    help="where a real server's LAVA worker fetches Image and initrd.cpio")
    lval = lsub.add_parser("validate", help="validate the jobs written by `lava jobs`")
    lval.add_argument("dir", type=Path)
    lr = lsub.add_parser("run", help="lava-run a job; its results as a run directory")
    lr.add_argument("--job", type=Path, required=True)
    lr.add_argument("--device", type=Path, required=True)
    lr.add_argument("--results", type=Path, required=True)
    args = ap.parse_args(argv)

    if args.verb == "image":
        try:
            img = image.build_image(args.out)
        except image.ImageError as e:
            print(f"smmu_hil_lab: error: {e}", file=sys.stderr)
            return 2
        print(f"kernel {img.kernel_release}: {img.kernel} {img.initrd}")
        return 0
    if getattr(args, "smmu_model", None):
        os.environ[smmu_model.ENV] = args.smmu_model    # for every target and phase
    if args.verb == "qemu":
        return boot_interactive(args.out, args.append, args.qemu_args)
    if args.verb == "validate":
        return validate(args.paths)
    if args.verb == "report":
        from . import publish, rundir
        try:
            for f in publish.write_all(args.run_dir):
                print(f)
        except rundir.RunDirError as e:
            print(f"smmu_hil_lab: error: {e}", file=sys.stderr)
            return 2
        return 0
    if args.verb == "lava":
        return lava_command(args)
    if args.verb == "compare":
        return compare_command(args)
    if args.verb == "run":
        from . import plan, runner
        try:
            if args.plan is not None:
                rc, run_dir = runner.run_plan(args.plan, args.results, args.pytest_args,
                                              args.resume)
            else:
                rc, run_dir = runner.run(args.suite, args.results, args.target,
                                         args.pytest_args, args.inventory, args.resume)
        except (scenario.ScenarioError, inventory.InventoryError, plan.PlanError,
                smmu_model.SmmuModelError) as e:
            print(f"smmu_hil_lab: error: {e}", file=sys.stderr)
            return 2
        if rc == 2:
            print(f"smmu_hil_lab: the run broke; see {run_dir}", file=sys.stderr)
        return rc
    return 2


def boot_interactive(out: Path, append: str, qemu_args: list[str]) -> int:
    """Assemble the boot files into @out and exec QEMU with the lab's machine
    (resources.QemuMachine, its SMMU model from $SMMU_HIL_SMMU_MODEL, else
    nested) on this terminal. Returns 2 on a missing set-up or build or an
    unknown model; on success it does not return.
    """
    from .resources import QemuMachine
    try:
        img = image.build_image(out)
        scratch = img.data_disk.with_name("scratch.img")
        if not scratch.exists():
            with scratch.open("wb") as fh:
                fh.truncate(img.data_disk.stat().st_size)
        m = QemuMachine(kernel=img.kernel, initrd=img.initrd, data_disk=img.data_disk,
                        share=img.share, extra_args=list(qemu_args), scratch_disk=scratch,
                        edu=os.environ.get("SMMU_HIL_EDU", "1") != "0",
                        smmu_model=smmu_model.resolve())
        if append:
            m.append = f"{m.append} {append}"
        argv = m.interactive_argv()
    except (image.ImageError, FileNotFoundError, smmu_model.SmmuModelError) as e:
        print(f"smmu_hil_lab: error: {e}", file=sys.stderr)
        return 2
    sys.stdout.flush()
    os.execv(argv[0], argv)
    return 2  # not reached


def lava_command(args: argparse.Namespace) -> int:
    """`lava jobs|validate|run`. Returns the exit status (2: bad input)."""
    from . import lava
    try:
        if args.lava_verb == "jobs":
            gen = lava.write_jobs(args.out, args.inventory, args.suite, args.artifacts_url,
                                  args.scenario)
            for f in [gen.device, gen.emulated_job, *gen.server_jobs, *gen.server_devices]:
                print(f)
            return 0
        if args.lava_verb == "validate":
            bad = 0
            for line, ok in lava.validate_dir(args.dir):
                print(line)
                bad += not ok
            return 1 if bad else 0
        rc, run_dir, seconds = lava.run_job(args.job, args.device, args.results)
        print(f"smmu-hil: lava-run {seconds:.1f} s; results in {run_dir}")
        return rc
    except (lava.LavaError, image.ImageError, FileNotFoundError) as e:
        print(f"smmu_hil_lab: error: {e}", file=sys.stderr)
        return 2


def compare_command(args: argparse.Namespace) -> int:
    """`compare RUN_A RUN_B`: print what changed (compare.format_text, or
    JSON with -j). Returns 0 no regression, 1 regressions, 2 bad input."""
    from . import compare
    from .errors import CompareError
    try:
        tol = compare.parse_tolerance(args.tolerance)
        per_metric = compare.parse_metric_tolerances(args.metric_tolerance)
        ra, rb = compare.load(args.run_a), compare.load(args.run_b)
    except CompareError as e:
        print(f"smmu_hil_lab: compare: {e}", file=sys.stderr)
        return 2
    result = compare.compare(ra, rb, tol, per_metric)
    if args.json:
        print(json.dumps(result.to_dict(), indent=2))
    else:
        sys.stdout.write(compare.format_text(result, show_all=args.all))
    return 1 if result.regressions else 0


def validate(targets: list[Path]) -> int:
    """Validate scenario files (or every *.yaml of directories); print errors.

    Returns 0 when all are valid, 1 otherwise.
    """
    errors = 0
    for p in targets:
        files = sorted(p.glob("*.yaml")) if p.is_dir() else [p]
        for f in files:
            try:
                s = scenario.load(f)
                print(f"ok   {f} ({s.name}; requires {', '.join(s.requires) or 'nothing'})")
            except scenario.ScenarioError as e:
                print(f"FAIL {e}")
                errors += 1
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
