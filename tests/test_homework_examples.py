"""The CI examples in docs/examples/ run, as written, against a freshly built wheel of psyq.

A wheel is built from this checkout (``python -m build --wheel``) and kept in a temporary course
repository under ``wheels/``, as docs/homework.md tells a course to do.  Each test lays out the
repository the way its example expects (a student's repository for the GitHub Classroom and GitLab
jobs, the instructor's for the summative workflow) and runs every shell step of the example in
order with bash: ``pip install wheels/psyq-*.whl`` included, into a virtual environment that sees
the system's packages (offline: ``PIP_NO_INDEX``, ``PIP_NO_DEPS``), then the ``psyq`` commands
from that environment.  Steps that ``uses:`` an action are GitHub's, not ours, and are skipped.
"""

from __future__ import annotations

import base64
import json
import os
import shlex
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "docs" / "examples"
COURSE = Path(__file__).parent / "data" / "course"
PSYQ = f"{shlex.quote(sys.executable)} -m psyq"  # this checkout, to prepare a repository's files
SECRET = "sample-course-secret"


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """psyq built as a wheel from a copy of this checkout (the checkout itself is left untouched)."""
    pytest.importorskip("build", reason="the test extra installs 'build' (python -m build)")
    src = tmp_path_factory.mktemp("src")
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(ROOT / "psyq", src / "psyq", ignore=ignore)
    shutil.copytree(ROOT / "problems", src / "problems", ignore=ignore)
    dist = tmp_path_factory.mktemp("dist")
    res = subprocess.run([sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(dist),
                          str(src)], capture_output=True, text=True, timeout=600)
    if res.returncode != 0 and "Missing dependencies" in res.stdout + res.stderr:
        pytest.skip("building a wheel offline needs setuptools>=70.1 or the 'wheel' package: "
                    + (res.stdout + res.stderr).strip().splitlines()[-1])
    assert res.returncode == 0, res.stdout + res.stderr
    (found,) = dist.glob("psyq-*.whl")
    return found


@pytest.fixture(scope="module")
def ci_env(tmp_path_factory) -> dict[str, str]:
    """A CI runner's shell: a fresh virtual environment first on PATH, offline pip."""
    where = tmp_path_factory.mktemp("runner") / "venv"
    base = getattr(sys, "_base_executable", sys.executable)
    subprocess.run([base, "-m", "venv", "--system-site-packages", "--without-pip", str(where)], check=True,
                   timeout=300)
    bin_dir = where / ("Scripts" if os.name == "nt" else "bin")
    if sys.prefix != sys.base_prefix:
        # The tests run in a virtual environment (as .ci/python-range.sh does): its packages stand
        # in for the system's, so psyq's dependencies are there as on a runner with them installed.
        import site

        purelib = subprocess.run([str(bin_dir / "python"), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                                 capture_output=True, text=True, check=True).stdout.strip()
        Path(purelib, "_runner_packages.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    # pip comes from the system site packages; "pip" on PATH must be this environment's
    (bin_dir / "pip").write_text(f"#!/bin/sh\nexec {shlex.quote(str(bin_dir / 'python'))} -m pip \"$@\"\n")
    (bin_dir / "pip").chmod(0o755)
    env = {k: v for k, v in os.environ.items()
           if k not in ("PSYQ_SECRET", "GITHUB_OUTPUT", "PYTHONPATH", "VIRTUAL_ENV", "PSYQ_TEMPLATES")}
    env.update(PATH=f"{bin_dir}{os.pathsep}{env.get('PATH', '')}", VIRTUAL_ENV=str(where),
               PIP_NO_INDEX="1", PIP_NO_DEPS="1", PIP_DISABLE_PIP_VERSION_CHECK="1",
               PIP_NO_INPUT="1")
    return env


def steps(example: str, job: str | None = None) -> list[dict]:
    """The example's shell steps in order: {"run": script, "continue": continue-on-error}."""
    data = yaml.safe_load((EXAMPLES / example).read_text())
    out: list[dict] = []
    if "jobs" in data:  # GitHub Actions
        for name, j in data["jobs"].items():
            if job is None or name == job:
                out += [{"run": s["run"], "continue": bool(s.get("continue-on-error"))}
                        for s in j["steps"] if "run" in s]
    else:  # GitLab CI
        for name, j in data.items():
            if isinstance(j, dict) and "script" in j and (job is None or name == job):
                out += [{"run": line, "continue": False} for line in j["script"]]
    assert out, f"no shell step in {example}"
    return out


def run_steps(example: str, repo: Path, env: dict[str, str], *, job: str | None = None,
              extra_env: dict[str, str] | None = None) -> list[tuple[str, int]]:
    """Run each shell step with bash -e in the repository; a failing step fails the job unless
    the example marks it continue-on-error.  Returns (first line, exit code) per step."""
    codes = []
    for step in steps(example, job):
        res = subprocess.run(["bash", "-e", "-c", step["run"]], cwd=repo, env={**env, **(extra_env or {})},
                             capture_output=True, text=True, timeout=600)
        first = step["run"].strip().splitlines()[0]
        if res.returncode and not step["continue"]:
            raise AssertionError(f"{example}: step '{first}' failed ({res.returncode}):\n{res.stdout}{res.stderr}")
        assert "Traceback" not in res.stderr, res.stderr
        codes.append((first, res.returncode, res.stdout, res.stderr))
    return codes


def test_every_example_installs_a_pinned_psyq_not_an_index_package():
    for example in EXAMPLES.glob("*.yml"):
        text = example.read_text()
        assert "pip install psyq\n" not in text and "pip install psyq " not in text, example.name
        installs = [s["run"] for s in steps(example.name) if "pip install" in s["run"]]
        assert installs and all("wheels/psyq-" in s for s in installs), example.name
        assert "git+https://" in text and "@vX.Y.Z" in text  # the other pinned way, documented


def course_repo(tmp_path: Path, wheel: Path) -> Path:
    repo = tmp_path / "repo"
    (repo / "wheels").mkdir(parents=True)
    shutil.copy(wheel, repo / "wheels" / wheel.name)
    return repo


def psyq_lines(example: str, job: str | None = None) -> list[str]:
    lines = [ln.strip() for s in steps(example, job) for ln in s["run"].replace("\\\n", " ").splitlines()]
    found = [ln for ln in lines if ln.startswith("psyq ")]
    assert found, f"no psyq command in {example}"
    return found


def sh(line: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    full_env = {k: v for k, v in os.environ.items() if k not in ("PSYQ_SECRET", "GITHUB_OUTPUT")}
    full_env.update(env)
    return subprocess.run(["bash", "-c", PSYQ + line[len("psyq"):]], check=False, cwd=cwd, env=full_env,
                          capture_output=True, text=True, timeout=300)


def student_repo(tmp_path: Path, student: str, wheel: Path, *, wrong: tuple[str, ...] = ()) -> Path:
    """A student's repository as the docs describe it: the wheel, the assignment, then the
    student's own sheet and answers.yaml (made with psyq homework sheet), answered from the key."""
    repo = course_repo(tmp_path, wheel)
    shutil.copy(COURSE / "assignment.yaml", repo / "assignment.yaml")
    res = sh(f"psyq homework sheet assignment.yaml --student {student}", repo, {})
    assert res.returncode == 0, res.stderr
    assert "can compute each other's keys" in res.stderr  # formative: no secret, and psyq says so
    key = json.loads(sh(f"psyq homework key assignment.yaml --student {student} --format json", repo, {}).stdout)
    text = (repo / "answers.yaml").read_text()
    for pid, p in key["parts"].items():
        answer = "1 %" if pid in wrong else p["answer"]["display"]
        text = text.replace(f"  {pid}: \"\"", f"  {pid}: \"{answer}\"")
    (repo / "answers.yaml").write_text(text)
    return repo


def test_the_wheel_is_what_the_examples_run(tmp_path, wheel, ci_env):
    repo = course_repo(tmp_path, wheel)
    subprocess.run(["bash", "-e", "-c", "pip install wheels/psyq-*.whl"], cwd=repo, env=ci_env, check=True,
                   capture_output=True, timeout=600)
    where = subprocess.run(["python", "-c", "import psyq, sys; print(psyq.__file__)"], cwd=tmp_path, env=ci_env,
                           capture_output=True, text=True, timeout=300).stdout.strip()
    assert where.startswith(ci_env["VIRTUAL_ENV"]), where  # the wheel's psyq, not this checkout
    assert Path(where).parent.joinpath("problems").is_dir()  # the template bank ships in the wheel


def test_github_classroom_example(tmp_path, wheel, ci_env):
    lines = psyq_lines("github-classroom-autograding.yml")
    assert any("--github-classroom" in ln for ln in lines)
    repo = student_repo(tmp_path, "alice", wheel)
    out = tmp_path / "github_output"
    codes = run_steps("github-classroom-autograding.yml", repo, ci_env, extra_env={"GITHUB_OUTPUT": str(out)})
    assert [c for _, c, *_ in codes] == [0, 0]
    result = out.read_text().strip()
    data = json.loads(base64.b64decode(result.split("=", 1)[1]))
    assert data["status"] == "pass" and data["max_score"] == 8
    assert sum(t["score"] for t in data["tests"]) == 8
    assert (repo / "junit.xml").exists() and (repo / "grades.json").exists()


def test_github_classroom_example_with_a_wrong_answer(tmp_path, wheel, ci_env):
    repo = student_repo(tmp_path, "bob", wheel, wrong=("2a", "2b"))
    out = tmp_path / "github_output"
    codes = run_steps("github-classroom-autograding.yml", repo, ci_env, extra_env={"GITHUB_OUTPUT": str(out)})
    (_, code, stdout, _), = [c for c in codes if c[0].startswith("psyq grade")]
    res = subprocess.CompletedProcess([], code, stdout, "")
    assert res.returncode == 1  # 4/8 points, below the assignment's pass mark of 60 %
    data = json.loads(base64.b64decode(out.read_text().strip().split("=", 1)[1]))
    failed = [t for t in data["tests"] if t["status"] == "fail"]
    assert [t["name"] for t in failed] == ["2a", "2b"] and failed[0]["line_no"] > 0
    assert "::warning file=answers.yaml,line=" in res.stdout


def test_gitlab_example(tmp_path, wheel, ci_env):
    repo = student_repo(tmp_path, "carol", wheel)
    codes = run_steps("gitlab-ci.yml", repo, ci_env)
    assert [c for _, c, *_ in codes] == [0, 0]
    root = ET.parse(repo / "junit.xml").getroot()
    assert len(list(root.iter("testcase"))) == 4 and root.get("failures") == "0"
    assert json.loads((repo / "results.json").read_text())["score"] == 1.0


def test_summative_example(tmp_path, wheel, ci_env):
    repo = course_repo(tmp_path, wheel)
    (repo / "hw3").mkdir(parents=True)
    shutil.copy(COURSE / "assignment.yaml", repo / "hw3" / "assignment.yaml")
    shutil.copy(COURSE / "roster.csv", repo / "roster.csv")
    shutil.copytree(COURSE / "submissions", repo / "submissions")
    secret = {"PSYQ_SECRET": SECRET}
    issue = run_steps("summative-grading.yml", repo, ci_env, job="issue", extra_env=secret)
    grade = run_steps("summative-grading.yml", repo, ci_env, job="grade", extra_env=secret)
    for _, _, _, err in issue + grade:
        assert "warning" not in err  # the secret is set: no warning
    assert [c for _, c, *_ in issue] == [0, 0]  # pip install; sheets and keys
    codes = {first: code for first, code, *_ in grade}
    assert codes["psyq grade hw3/assignment.yaml submissions/ --student-from-folder --roster roster.csv "
                 "--reveal --json grades.json --junit junit.xml"] == 1  # some below the pass mark; all graded
    assert codes["psyq report grades.json --format html --out report.html"] == 0
    assert sorted(p.name for p in (repo / "sheets").iterdir()) == ["alice", "bob", "carol", "dave", "erin"]
    assert (repo / "keys" / "alice" / "key.json").exists()
    grades = json.loads((repo / "grades.json").read_text())
    assert grades["summary"]["graded"] == 5 and "expected" in grades["submissions"][0]["parts"][0]
    assert "<svg" in (repo / "report.html").read_text()
    assert "Re-teach" in (repo / "report.md").read_text()
    assert len((repo / "gradebook.csv").read_text().splitlines()) == 6


@pytest.mark.parametrize("example", ["github-classroom-autograding.yml", "gitlab-ci.yml", "summative-grading.yml"])
def test_student_examples_keep_secrets_out_of_student_repositories(example):
    text = (EXAMPLES / example).read_text()
    if example == "summative-grading.yml":
        assert "secrets.PSYQ_SECRET" in text
    else:
        assert "secrets." not in text and "PSYQ_SECRET:" not in text
