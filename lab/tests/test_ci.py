"""The nightly pipelines (ci/gitlab-ci.yml, .github/workflows/nightly.yml)
and the ci/*.sh steps they share: the YAML parses, every job calls scripts
that exist and are executable, both pipelines call the same steps, the
scripts pass `bash -n` and shellcheck; and the steps do what they say
against a fake lavacli (a shell script on PATH with canned replies) and a
local HTTP server standing in for KCIDB's REST submission."""
from __future__ import annotations

import http.server
import json
import os
import re
import shutil
import subprocess
import threading
from pathlib import Path
from typing import Any, Iterator

import pytest
import yaml

from smmu_hil_lab import paths

CI = paths.REPO / "ci"
GITLAB = CI / "gitlab-ci.yml"
GITHUB = paths.REPO / ".github" / "workflows" / "nightly.yml"
STEPS = ["deps.sh", "build.sh", "emulated.sh", "lava-submit.sh", "lava-collect.sh",
         "kcidb-submit.sh"]
SCRIPT_RE = re.compile(r"(?<![\w/.])ci/([\w.-]+\.sh)\b")


def _gitlab_commands() -> dict[str, list[str]]:
    """Job name -> its before_script and script lines (templates merged in)."""
    doc = yaml.safe_load(GITLAB.read_text())
    jobs = {}
    for name, job in doc.items():
        if name.startswith(".") or not isinstance(job, dict) or "script" not in job:
            continue
        base = doc.get(job.get("extends", ""), {}) if isinstance(job.get("extends"), str) else {}
        lines = list(job.get("before_script", base.get("before_script", []))) + list(job["script"])
        jobs[name] = [str(x) for x in lines]
    return jobs


def _github_commands() -> dict[str, list[str]]:
    """Step name (or uses) -> its run lines, over all jobs."""
    doc = yaml.safe_load(GITHUB.read_text())
    steps = {}
    for job in doc["jobs"].values():
        for i, st in enumerate(job["steps"]):
            steps[st.get("name", st.get("uses", str(i)))] = str(st.get("run", "")).splitlines()
    return steps


def _scripts(lines: list[str]) -> set[str]:
    return {m.group(1) for ln in lines for m in SCRIPT_RE.finditer(ln)}


def test_gitlab_pipeline_parses_and_jobs_call_existing_scripts() -> None:
    jobs = _gitlab_commands()
    assert {"nightly-build", "nightly-emulated", "nightly-lava", "nightly-publish"} <= set(jobs)
    for name, lines in jobs.items():
        used = _scripts(lines)
        assert used, f"{name} calls no ci/ script"
        for s in used:
            assert os.access(CI / s, os.X_OK), f"{name}: ci/{s} missing or not executable"
    doc = yaml.safe_load(GITLAB.read_text())
    stages = doc["stages"]
    for name in jobs:
        assert doc[name]["stage"] in stages
        # GitLab refuses a job-level "when" next to "rules".
        assert not ("when" in doc[name] and "rules" in doc[name]), name
    # The LAVA job never runs without the server's address.
    assert doc["nightly-lava"]["rules"][0]["when"] == "never"
    assert "LAVA_URI" in doc["nightly-lava"]["rules"][0]["if"]


def test_github_workflow_parses_and_steps_call_existing_scripts() -> None:
    doc = yaml.safe_load(GITHUB.read_text())
    on = doc.get("on", doc.get(True))          # YAML 1.1 reads the key `on` as True
    assert "schedule" in on and on["schedule"][0]["cron"]
    used = set()
    for lines in _github_commands().values():
        used |= _scripts(lines)
    for s in used:
        assert os.access(CI / s, os.X_OK), f"ci/{s} missing or not executable"
    # Secrets reach the steps only through the environment.
    env = doc["jobs"]["nightly"]["env"]
    for key in ("LAVA_URI", "LAVA_USER", "LAVA_TOKEN", "KCIDB_REST"):
        assert env[key] == "${{ secrets.%s }}" % key


def test_both_pipelines_call_the_same_steps() -> None:
    gitlab = set().union(*(_scripts(v) for v in _gitlab_commands().values()))
    github = set().union(*(_scripts(v) for v in _github_commands().values()))
    assert gitlab == github == set(STEPS)
    # Every script in ci/ is a step some pipeline runs, or the shared library.
    assert {p.name for p in CI.glob("*.sh")} == set(STEPS) | {"lib.sh"}


def test_no_credentials_in_the_pipelines() -> None:
    for f in (GITLAB, GITHUB, *CI.glob("*.sh")):
        text = f.read_text()
        assert not re.search(r"(TOKEN|PASSWORD)\s*[:=]\s*['\"]?[A-Za-z0-9]{12,}", text), f


@pytest.mark.parametrize("script", sorted(p.name for p in CI.glob("*.sh")))
def test_script_bash_n(script: str) -> None:
    p = subprocess.run(["bash", "-n", str(CI / script)], capture_output=True, text=True)
    assert p.returncode == 0, p.stderr


def test_scripts_shellcheck() -> None:
    if not shutil.which("shellcheck"):
        pytest.skip("shellcheck not installed")
    p = subprocess.run(["shellcheck", "-x", *sorted(str(s) for s in CI.glob("*.sh"))],
                       cwd=paths.REPO, capture_output=True, text=True)
    assert p.returncode == 0, p.stdout


# ------------------------------------------------------------ the steps run

FAKE_LAVACLI = r"""#!/bin/bash
# fake lavacli: logs its argv and the identity file it was given, answers
# from $FAKE_DIR.
printf '%s\n' "$*" >>"$FAKE_DIR/argv"
[ -f "$XDG_CONFIG_HOME/lavacli.yaml" ] && cp "$XDG_CONFIG_HOME/lavacli.yaml" "$FAKE_DIR/identity.yaml"
echo "$XDG_CONFIG_HOME" >"$FAKE_DIR/config_home"
[ "$1" = -i ] && shift 2
case "$1 $2" in
"jobs submit")
    case "$3" in *bad*) echo "Unable to submit $3: invalid definition" ;;
                 *multi*) echo 41.0; echo 41.1 ;;
                 *) echo 40 ;; esac ;;
"jobs wait") [ -f "$FAKE_DIR/timeout-$3" ] && { echo timeout!; exit 1; }; echo Finished ;;
"jobs show") cat "$FAKE_DIR/job-$3.json" ;;
"jobs logs") echo "- {lvl: info, msg: job $3}" ;;
results*) cat "$FAKE_DIR/results-$2.json" ;;
*) echo "unexpected: $*" >&2; exit 3 ;;
esac
"""


@pytest.fixture
def fake_lava(tmp_path: Path) -> Iterator[tuple[Path, dict[str, str]]]:
    """(fake dir, environment) with the fake lavacli first on PATH and the
    LAVA secrets set."""
    fake = tmp_path / "fake"
    (fake / "bin").mkdir(parents=True)
    lc = fake / "bin" / "lavacli"
    lc.write_text(FAKE_LAVACLI)
    lc.chmod(0o755)
    env = dict(os.environ, PATH=f"{fake / 'bin'}:{os.environ['PATH']}", FAKE_DIR=str(fake),
               LAVA_URI="https://lava.example.org/RPC2", LAVA_USER="ci",
               LAVA_TOKEN="s3cr3t-token-value")
    yield fake, env


def _run(argv: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, env=env, capture_output=True, text=True, timeout=60)


def _dir_with(d: Path, files: dict[str, str]) -> Path:
    """Directory @d (made) holding @files (name -> text)."""
    d.mkdir()
    for name, text in files.items():
        (d / name).write_text(text)
    return d


def test_lava_submit_records_job_ids_and_keeps_the_token_off_argv(
        fake_lava: tuple[Path, dict[str, str]], tmp_path: Path) -> None:
    fake, env = fake_lava
    jobs = _dir_with(tmp_path / "lava", {"smoke-server1.yaml": "job_name: a\n",
                                         "multi-node.yaml": "job_name: b\n"})
    out = tmp_path / "out"
    p = _run([str(CI / "lava-submit.sh"), str(jobs), str(out)], env)
    assert p.returncode == 0, p.stderr
    rows = [ln.split("\t") for ln in (out / "jobs.tsv").read_text().splitlines()]
    assert rows == [["41.0", str(jobs / "multi-node.yaml")],
                    ["41.1", str(jobs / "multi-node.yaml")],
                    ["40", str(jobs / "smoke-server1.yaml")]]
    argv = (fake / "argv").read_text()
    assert "s3cr3t" not in argv and argv.startswith("-i smmu-hil-ci jobs submit")
    ident = yaml.safe_load((fake / "identity.yaml").read_text())
    assert ident == {"smmu-hil-ci": {"uri": "https://lava.example.org/RPC2",
                                     "username": "ci", "token": "s3cr3t-token-value"}}
    # The private configuration directory is gone after the step.
    assert not Path((fake / "config_home").read_text().strip()).exists()


def test_lava_submit_fails_on_a_refused_job_or_no_jobs(
        fake_lava: tuple[Path, dict[str, str]], tmp_path: Path) -> None:
    _, env = fake_lava
    jobs = _dir_with(tmp_path / "lava", {})
    p = _run([str(CI / "lava-submit.sh"), str(jobs), str(tmp_path / "o1")], env)
    assert p.returncode == 1 and "no LAVA job definitions" in p.stderr
    (jobs / "bad.yaml").write_text("x\n")
    (jobs / "good.yaml").write_text("x\n")
    p = _run([str(CI / "lava-submit.sh"), str(jobs), str(tmp_path / "o2")], env)
    assert p.returncode == 1 and "bad.yaml: not submitted" in p.stderr
    assert (tmp_path / "o2" / "jobs.tsv").read_text() == f"40\t{jobs / 'good.yaml'}\n"
    no_secrets = {k: v for k, v in env.items() if not k.startswith("LAVA_")}
    p = _run([str(CI / "lava-submit.sh"), str(jobs), str(tmp_path / "o3")], no_secrets)
    assert p.returncode == 1 and "no LAVA credentials" in p.stderr


def _lava_job(fake: Path, job: str, health: str, results: list[str]) -> None:
    (fake / f"job-{job}.json").write_text(json.dumps({"id": job, "health": health,
                                                      "state": "Finished"}))
    (fake / f"results-{job}.json").write_text(json.dumps(
        [{"suite": "0_smmu-hil", "name": f"t{i}", "result": r} for i, r in enumerate(results)]))


def test_lava_collect_summarises_and_fails_on_bad_jobs(
        fake_lava: tuple[Path, dict[str, str]], tmp_path: Path) -> None:
    fake, env = fake_lava
    out = _dir_with(tmp_path / "out", {"jobs.tsv": "40\ta.yaml\n"})
    _lava_job(fake, "40", "Complete", ["pass", "pass", "skip"])
    p = _run([str(CI / "lava-collect.sh"), str(out), "60"], env)
    assert p.returncode == 0, p.stderr
    assert (out / "summary.txt").read_text() == "40 Complete pass=2 fail=0 skip=1 a.yaml\n"
    assert json.loads((out / "40" / "results.json").read_text())[0]["result"] == "pass"
    assert "job 40" in (out / "40" / "log.yaml").read_text()
    assert "jobs wait 40 --polling 30 --timeout 60" in (fake / "argv").read_text()

    # A failed test case fails the step, so does a job that did not complete.
    (out / "jobs.tsv").write_text("40\ta.yaml\n50\tb.yaml\n")
    _lava_job(fake, "50", "Complete", ["pass", "fail"])
    assert _run([str(CI / "lava-collect.sh"), str(out)], env).returncode == 1
    (out / "jobs.tsv").write_text("40\ta.yaml\n60\tc.yaml\n")
    _lava_job(fake, "60", "Incomplete", [])
    assert _run([str(CI / "lava-collect.sh"), str(out)], env).returncode == 1
    (out / "jobs.tsv").write_text("40\ta.yaml\n50\tb.yaml\n60\tc.yaml\n")
    p = _run([str(CI / "lava-collect.sh"), str(out)], env)
    assert p.returncode == 1
    assert (out / "summary.txt").read_text().splitlines() == [
        "40 Complete pass=2 fail=0 skip=1 a.yaml",
        "50 Complete pass=1 fail=1 skip=0 b.yaml",
        "60 Incomplete pass=0 fail=0 skip=0 c.yaml"]

    (out / "jobs.tsv").write_text("70\td.yaml\n")
    (fake / "timeout-70").touch()
    p = _run([str(CI / "lava-collect.sh"), str(out), "5"], env)
    assert p.returncode == 1 and "not finished after 5s" in p.stderr
    assert (out / "summary.txt").read_text() == "70 Timeout pass=0 fail=0 skip=0 d.yaml\n"


def _kcidb_run(tmp_path: Path, name: str, origin: str = "smmu_hil") -> Path:
    run = tmp_path / name
    run.mkdir()
    doc: dict[str, Any] = {
        "version": {"major": 5, "minor": 0},
        "checkouts": [{"id": f"{origin}:r", "origin": origin}],
        "builds": [{"id": f"{origin}:r:k", "checkout_id": f"{origin}:r", "origin": origin}],
        "tests": [{"id": f"{origin}:r:smoke.boot", "build_id": f"{origin}:r:k",
                   "origin": origin, "path": "smmu_hil.smoke.boot", "status": "PASS"},
                  {"id": f"{origin}:r:smoke.kexec", "build_id": f"{origin}:r:k",
                   "origin": origin, "path": "smmu_hil.smoke.kexec", "status": "FAIL"}]}
    (run / "kcidb.json").write_text(json.dumps(doc))
    return run


class _Capture(http.server.BaseHTTPRequestHandler):
    got: list[tuple[str, str, bytes]] = []

    def do_POST(self) -> None:  # noqa: N802 (http.server's name)
        body = self.rfile.read(int(self.headers["Content-Length"]))
        _Capture.got.append((self.path, self.headers.get("Authorization", ""), body))
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b'{"id": "1"}\n')

    def log_message(self, *args: Any) -> None:
        pass


def test_kcidb_submit_posts_each_run_with_the_bearer_token(tmp_path: Path) -> None:
    if not shutil.which("curl"):
        pytest.skip("curl not installed")
    srv = http.server.HTTPServer(("127.0.0.1", 0), _Capture)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    try:
        _Capture.got = []
        r1, r2 = _kcidb_run(tmp_path, "r1"), _kcidb_run(tmp_path, "r2")
        env = dict(os.environ, KCIDB_REST=f"http://tok3n@127.0.0.1:{srv.server_port}/submit")
        p = _run([str(CI / "kcidb-submit.sh"), str(r1), str(r2)], env)
        assert p.returncode == 0, p.stderr
        assert "2 tests, 1 failed" in p.stderr and "tok3n" not in p.stderr
        assert [(g[0], g[1]) for g in _Capture.got] == [("/submit", "Bearer tok3n")] * 2
        assert json.loads(_Capture.got[0][2]) == json.loads((r1 / "kcidb.json").read_text())
    finally:
        srv.shutdown()


def test_kcidb_submit_checks_without_credentials_and_rejects_bad_documents(
        tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KCIDB_")}
    good = _kcidb_run(tmp_path, "good")
    p = _run([str(CI / "kcidb-submit.sh"), str(good)], env)
    assert p.returncode == 0 and "checked, not submitted" in p.stderr
    foreign = _kcidb_run(tmp_path, "foreign", origin="other")
    p = _run([str(CI / "kcidb-submit.sh"), str(good), str(foreign)], env)
    assert p.returncode == 1 and "outside the smmu_hil origin" in p.stderr
    empty = _dir_with(tmp_path / "empty", {})
    p = _run([str(CI / "kcidb-submit.sh"), str(empty)], env)
    assert p.returncode == 1 and "no kcidb.json" in p.stderr


def test_kcidb_submit_accepts_the_lab_controllers_own_document(tmp_path: Path) -> None:
    """kcidb.json as kcidb.py writes it passes the step's checks."""
    from smmu_hil_lab import publish
    from test_publish import make_run  # the publish tests' run directory
    run = make_run(tmp_path / "run")
    publish.write_all(run)
    env = {k: v for k, v in os.environ.items() if not k.startswith("KCIDB_")}
    p = _run([str(CI / "kcidb-submit.sh"), str(run)], env)
    assert p.returncode == 0, p.stderr
    assert "checked, not submitted" in p.stderr
