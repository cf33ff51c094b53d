"""The CI examples in docs/examples/ work: their psyq commands are run here, as written.

Each test lays out a repository the way the example expects (a student's repository for the
GitHub Classroom and GitLab jobs, the instructor's for the summative workflow), pulls every
``psyq …`` line out of the example's ``run:``/``script:`` steps, and runs it with a shell.
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
PSYQ = f"{shlex.quote(sys.executable)} -m psyq"


def psyq_lines(example: str, job: str | None = None) -> list[str]:
    data = yaml.safe_load((EXAMPLES / example).read_text())
    scripts: list[str] = []
    if "jobs" in data:  # GitHub Actions
        for name, j in data["jobs"].items():
            if job is None or name == job:
                scripts += [s["run"] for s in j["steps"] if "run" in s]
    else:  # GitLab CI
        for name, j in data.items():
            if isinstance(j, dict) and "script" in j and (job is None or name == job):
                scripts += j["script"]
    lines = [ln.strip() for text in scripts for ln in text.replace("\\\n", " ").splitlines()]
    found = [ln for ln in lines if ln.startswith("psyq ")]
    assert found, f"no psyq command in {example}"
    return found


def sh(line: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    full_env = {k: v for k, v in os.environ.items() if k not in ("PSYQ_SECRET", "GITHUB_OUTPUT")}
    full_env.update(env)
    return subprocess.run(["bash", "-c", PSYQ + line[len("psyq"):]], check=False, cwd=cwd, env=full_env,
                          capture_output=True, text=True, timeout=300)


def student_repo(tmp_path: Path, student: str, *, wrong: tuple[str, ...] = ()) -> Path:
    """A student's repository as the docs describe it: the assignment, then the student's own
    sheet and answers.yaml (made with psyq homework sheet), answered from the key."""
    repo = tmp_path / "repo"
    repo.mkdir()
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


def test_github_classroom_example(tmp_path):
    lines = psyq_lines("github-classroom-autograding.yml")
    assert any("--github-classroom" in ln for ln in lines)
    repo = student_repo(tmp_path, "alice")
    out = tmp_path / "github_output"
    for line in lines:
        res = sh(line, repo, {"GITHUB_OUTPUT": str(out)})
        assert res.returncode == 0, res.stdout + res.stderr
    result = out.read_text().strip()
    data = json.loads(base64.b64decode(result.split("=", 1)[1]))
    assert data["status"] == "pass" and data["max_score"] == 8
    assert sum(t["score"] for t in data["tests"]) == 8
    assert (repo / "junit.xml").exists() and (repo / "grades.json").exists()


def test_github_classroom_example_with_a_wrong_answer(tmp_path):
    repo = student_repo(tmp_path, "bob", wrong=("2a", "2b"))
    out = tmp_path / "github_output"
    line = psyq_lines("github-classroom-autograding.yml")[0]
    res = sh(line, repo, {"GITHUB_OUTPUT": str(out)})
    assert res.returncode == 1  # 4/8 points, below the assignment's pass mark of 60 %
    data = json.loads(base64.b64decode(out.read_text().strip().split("=", 1)[1]))
    failed = [t for t in data["tests"] if t["status"] == "fail"]
    assert [t["name"] for t in failed] == ["2a", "2b"] and failed[0]["line_no"] > 0
    assert "::warning file=answers.yaml,line=" in res.stdout


def test_gitlab_example(tmp_path):
    repo = student_repo(tmp_path, "carol")
    for line in psyq_lines("gitlab-ci.yml"):
        res = sh(line, repo, {})
        assert res.returncode == 0, res.stdout + res.stderr
    root = ET.parse(repo / "junit.xml").getroot()
    assert len(list(root.iter("testcase"))) == 4 and root.get("failures") == "0"
    assert json.loads((repo / "results.json").read_text())["score"] == 1.0


def test_summative_example(tmp_path):
    repo = tmp_path / "instructor"
    (repo / "hw3").mkdir(parents=True)
    shutil.copy(COURSE / "assignment.yaml", repo / "hw3" / "assignment.yaml")
    shutil.copy(COURSE / "roster.csv", repo / "roster.csv")
    shutil.copytree(COURSE / "submissions", repo / "submissions")
    env = {"PSYQ_SECRET": "sample-course-secret"}
    codes = {}
    for line in psyq_lines("summative-grading.yml"):
        res = sh(line, repo, env)
        assert "warning" not in res.stderr  # the secret is set: no warning
        codes[line.split()[1]] = codes.get(line.split()[1], []) + [res.returncode]
    assert codes["homework"] == [0, 0]
    assert codes["grade"] == [1]  # some students are below the pass mark; all are graded
    assert codes["report"] == [0, 0, 0]
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
