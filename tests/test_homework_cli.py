"""Homework commands end to end: sheet, key, grade (every output format and exit code), report."""

from __future__ import annotations

import base64
import csv
import io
import json
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from typer.testing import CliRunner

from psyq.cli import app

COURSE = Path(__file__).parent / "data" / "course"
SECRET = "sample-course-secret"
runner = CliRunner()


def run(*args: str, env: dict | None = None):
    return runner.invoke(app, [str(a) for a in args], env={"PSYQ_SECRET": SECRET, **(env or {})})


@pytest.fixture()
def course(tmp_path):
    dest = tmp_path / "course"
    shutil.copytree(COURSE, dest)
    return dest


def key_for(course: Path, student: str) -> dict:
    res = run("homework", "key", course / "assignment.yaml", "--student", student, "--format", "json")
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout)


def write_answers(path: Path, student: str, answers: dict[str, str | None], assignment="hw3-occupancy"):
    lines = [f"student: {student}", f"assignment: {assignment}", "answers:"]
    lines += [f"  {k}: \"{v}\"" if v is not None else f"  {k}:" for k, v in answers.items()]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")
    return path


def right_answers(key: dict) -> dict[str, str]:
    return {pid: p["answer"]["display"] for pid, p in key["parts"].items()}


# ------------------------------------------------------------------------------------------------
# sheet and key

def test_sheet_for_one_student_writes_sheet_and_blank_answers(course, tmp_path):
    out = tmp_path / "repo"
    res = run("homework", "sheet", course / "assignment.yaml", "--student", "alice", "--out", out)
    assert res.exit_code == 0, res.output
    sheet = (out / "sheet.md").read_text()
    answers = (out / "answers.yaml").read_text()
    key = key_for(course, "alice")
    for pid, p in key["parts"].items():
        assert f"**{pid}**" in sheet
        assert f"\n  {pid}: \"\"\n" in answers
        assert f"# {pid} (2 points): " in answers and "Answer in %." in answers
        assert p["answer"]["display"] not in answers
    assert key["items"]["1"]["text"] in sheet
    from psyq.homework.seeds import fingerprint

    assert f'student: alice\nassignment: hw3-occupancy\nissued: "{fingerprint(SECRET)}"\nanswers:\n' in answers
    # the blank file is a valid submission with every part missing
    res = run("grade", course / "assignment.yaml", out / "answers.yaml", "--json", "-")
    assert res.exit_code == 1
    data = json.loads(res.stdout)
    assert [p["status"] for p in data["submissions"][0]["parts"]] == ["missing"] * 4


def test_sheet_for_a_roster_keeps_existing_answers_unless_forced(course, tmp_path):
    out = tmp_path / "sheets"
    assert run("homework", "sheet", course / "assignment.yaml", "--roster", course / "roster.csv",
               "--out", out).exit_code == 0
    assert sorted(p.name for p in out.iterdir()) == ["alice", "bob", "carol", "dave", "erin"]
    (out / "bob" / "answers.yaml").write_text("mine")
    res = run("homework", "sheet", course / "assignment.yaml", "--roster", course / "roster.csv", "--out", out)
    assert "kept 5 existing answers.yaml" in res.output
    assert (out / "bob" / "answers.yaml").read_text() == "mine"
    run("homework", "sheet", course / "assignment.yaml", "--roster", course / "roster.csv", "--out", out, "--force")
    assert (out / "bob" / "answers.yaml").read_text().startswith("# Answers")


def test_sheet_json_hides_answers_and_key_json_follows_the_instance_contract(course):
    res = run("homework", "sheet", course / "assignment.yaml", "--student", "carol", "--format", "json",
              "--out", "-")
    sheet = json.loads(res.stdout)
    key = key_for(course, "carol")
    assert set(sheet["parts"]) == set(key["parts"]) == {"1a", "2a", "2b", "3a"}
    text = json.dumps(sheet)
    for field in ('"answer"', '"accept"', '"misconceptions"', '"solution"'):
        assert field not in text
    inst = key["items"]["2"]
    for field in ("template", "seed", "id", "title", "family", "text", "givens", "parts"):
        assert field in inst
    p = key["parts"]["2b"]
    assert p["item"] == 2 and p["instance"] == inst["id"] and p["seed"] == inst["seed"]
    assert p["accept"]["low"] < p["answer"]["value"] < p["accept"]["high"]
    assert p["tolerance"]["rtol"] == 0.02  # the item's override
    assert sheet["parts"]["2b"]["prompt"] == p["prompt"]
    # each part's points are the assignment's (2 each here), not the template part's weight (1)
    assert [q["points"] for q in key["parts"].values()] == [2.0] * 4
    assert sum(q["points"] for q in sheet["parts"].values()) == sheet["max_points"] == 8


def test_key_markdown_for_a_roster(course):
    res = run("homework", "key", course / "assignment.yaml", "--roster", course / "roster.csv")
    assert res.exit_code == 0
    assert res.stdout.count("# Key: ") == 5 and "accepted [" in res.stdout and "misconception `" in res.stdout


def test_no_secret_warns(course, tmp_path):
    res = runner.invoke(app, ["homework", "key", str(course / "assignment.yaml"), "--student", "alice"],
                        env={"PSYQ_SECRET": ""})
    assert res.exit_code == 0
    assert "can compute each other's keys" in res.stderr
    res = runner.invoke(app, ["homework", "key", str(course / "assignment.yaml"), "--student", "alice",
                              "--secret-env", "COURSE_KEY"], env={"COURSE_KEY": "k"})
    assert "warning" not in res.stderr


def _exporter_available() -> bool:
    try:
        import psyq.exam  # noqa: F401
        import psyq.export.html  # noqa: F401
        import psyq.export.typst_pdf  # noqa: F401
    except ImportError:
        return False
    return True


@pytest.mark.parametrize("fmt,magic", [("pdf", b"%PDF-"), ("html", b"<!DOCTYPE html>")])
def test_pdf_and_html_sheets_and_keys(course, tmp_path, fmt, magic):
    res = run("homework", "sheet", course / "assignment.yaml", "--student", "alice", "--format", fmt,
              "--out", tmp_path)
    if not _exporter_available():
        assert res.exit_code == 2 and "not available yet" in res.stderr
        return
    assert res.exit_code == 0, res.output
    assert (tmp_path / f"sheet.{fmt}").read_bytes().startswith(magic)
    assert (tmp_path / "answers.yaml").exists()
    res = run("homework", "key", course / "assignment.yaml", "--roster", course / "roster.csv", "--format", fmt,
              "--out", tmp_path / "keys")
    assert res.exit_code == 0, res.output
    for s in ("alice", "erin"):
        assert (tmp_path / "keys" / s / f"key.{fmt}").read_bytes().startswith(magic)
    if fmt == "html":
        page = (tmp_path / "keys" / "alice" / "key.html").read_text()
        key = key_for(course, "alice")
        assert key["parts"]["2b"]["answer"]["display"].split()[0] in page


# ------------------------------------------------------------------------------------------------
# grade: exit codes

def test_exit_0_when_everything_passes_and_1_below_the_pass_mark(course, tmp_path):
    key = key_for(course, "alice")
    good = write_answers(tmp_path / "a" / "answers.yaml", "alice", right_answers(key))
    res = run("grade", course / "assignment.yaml", good)
    assert res.exit_code == 0, res.output
    assert "alice: 8/8 points (100 %), passed" in res.stdout
    half = dict(right_answers(key), **{"2a": "1 %", "2b": "1 %"})
    write_answers(good, "alice", half)
    res = run("grade", course / "assignment.yaml", good)
    assert res.exit_code == 1 and "4/8 points (50 %), below the pass mark of 60 %" in res.stdout
    assert run("grade", course / "assignment.yaml", good, "--pass-mark", "0.5").exit_code == 0


@pytest.mark.parametrize("extra,words", [
    (["--pass-mark", "1.5"], "--pass-mark must be a fraction"),
    (["--student", "alice", "--student-from-folder"], "not both"),
])
def test_exit_2_for_usage_errors(course, extra, words):
    res = run("grade", course / "assignment.yaml", course / "submissions/alice/answers.yaml", *extra)
    assert res.exit_code == 2 and words in res.stderr


def test_exit_2_for_a_bad_assignment_or_no_submissions(course, tmp_path):
    assert run("grade", tmp_path / "nope.yaml", course / "submissions").exit_code == 2
    (tmp_path / "bad.yaml").write_text("id: hw1\ntitle: T\nitems:\n  - template: nope\n")
    res = run("grade", tmp_path / "bad.yaml", course / "submissions")
    assert res.exit_code == 2 and "bad.yaml:4: key 'items[0].template'" in res.stderr
    (tmp_path / "empty").mkdir()
    res = run("grade", course / "assignment.yaml", tmp_path / "empty")
    assert res.exit_code == 2 and "no answers.yaml" in res.stderr
    res = run("grade", course / "assignment.yaml", course / "submissions", "--student", "alice")
    assert res.exit_code == 2


def test_exit_3_when_a_submission_is_unreadable_and_the_others_are_still_reported(course, tmp_path):
    res = run("grade", course / "assignment.yaml", course / "submissions", course / "hostile",
              "--student-from-folder", "--json", tmp_path / "g.json", "--junit", tmp_path / "j.xml",
              "--results-json", tmp_path / "r.json")
    assert res.exit_code == 3
    data = json.loads((tmp_path / "g.json").read_text())
    assert data["summary"] == {"submissions": 15, "graded": 8, "rejected": 7, "passed": data["summary"]["passed"],
                               "mean_score": data["summary"]["mean_score"]}
    assert len(json.loads((tmp_path / "r.json").read_text())) == 15
    assert "heidi/answers.yaml:4: YAML anchors" in res.stdout


# ------------------------------------------------------------------------------------------------
# grade: output formats

@pytest.fixture()
def graded(course, tmp_path):
    """The whole course, hostile files included, graded into every format."""
    out = tmp_path / "out"
    out.mkdir()
    gh = out / "github_output"
    res = run("grade", course / "assignment.yaml", course / "submissions", course / "hostile",
              "--student-from-folder", "--json", out / "grades.json", "--junit", out / "junit.xml",
              "--results-json", out / "results.json", "--github-classroom", env={"GITHUB_OUTPUT": str(gh)})
    assert res.exit_code == 3
    return out, res


def test_json_has_full_detail(graded):
    out, _ = graded
    data = json.loads((out / "grades.json").read_text())
    assert data["format"] == "psyq-grades" and data["version"] == 1
    assert data["assignment"]["max_points"] == 8
    assert [p["id"] for it in data["assignment"]["items"] for p in it["parts"]] == ["1a", "2a", "2b", "3a"]
    assert data["seeds"]["secret_set"] is True and data["seeds"]["secret_env"] == "PSYQ_SECRET"
    bob = next(s for s in data["submissions"] if s["student"] == "bob")
    p = bob["parts"][1]
    for field in ("id", "item", "template", "seed", "instance", "prompt", "unit", "status", "points",
                  "max_points", "answer", "line", "notes", "feedback"):
        assert field in p
    assert "expected" not in p  # only with --reveal
    assert any(n.startswith("MISC:") for s in bob["parts"] for n in s["notes"])
    heidi = next(s for s in data["submissions"] if s["file"].endswith("heidi/answers.yaml"))
    assert heidi["status"] == "rejected" and heidi["error"]["line"] == 4 and heidi["parts"] == []


def test_junit_is_valid_with_one_uniquely_named_case_per_part(graded):
    out, _ = graded
    root = ET.parse(out / "junit.xml").getroot()  # well-formed despite hostile answers
    assert root.tag == "testsuites"
    names = set()
    total = failures = errors = 0
    for suite in root.findall("testsuite"):
        cases = suite.findall("testcase")
        assert int(suite.get("tests")) == len(cases)
        assert int(suite.get("failures")) == sum(c.find("failure") is not None for c in cases)
        assert int(suite.get("errors")) == sum(c.find("error") is not None for c in cases)
        for c in cases:
            key = (c.get("classname"), c.get("name"))
            assert key not in names
            names.add(key)
            assert c.get("time") == "0"
        total += len(cases)
        failures += int(suite.get("failures"))
        errors += int(suite.get("errors"))
    assert int(root.get("tests")) == total == 8 * 4 + 7
    assert int(root.get("errors")) == errors == 7
    alice = [c for c in root.iter("testcase") if c.get("classname") == "hw3-occupancy.alice"]
    assert [c.get("name") for c in alice] == ["1a (alice)", "2a (alice)", "2b (alice)", "3a (alice)"]
    bob_fail = next(c for c in root.iter("testcase") if c.get("name") == "2a (bob)").find("failure")
    assert bob_fail is not None and "ED50" in bob_fail.get("message")


def test_junit_validates_against_the_junit_schema(graded):
    xmlschema = pytest.importorskip("xmlschema")
    out, _ = graded
    schema = xmlschema.XMLSchema(str(Path(__file__).parent / "data" / "junit.xsd"))
    schema.validate(str(out / "junit.xml"))


def test_prairielearn_results(graded):
    out, _ = graded
    results = json.loads((out / "results.json").read_text())
    for r in results:
        assert 0.0 <= r["score"] <= 1.0
        assert set(r) >= {"gradable", "score", "message", "tests"}
        for t in r["tests"]:
            assert set(t) >= {"name", "description", "points", "max_points", "message", "output"}
            assert 0 <= t["points"] <= t["max_points"]
    alice = next(r for r in results if r["gradable"] and r["score"] == 1.0)
    assert [t["name"] for t in alice["tests"]] == ["1a", "2a", "2b", "3a"]
    assert sum(not r["gradable"] for r in results) == 7


def test_github_classroom_output(graded):
    out, res = graded
    line = (out / "github_output").read_text().strip()
    assert line.startswith("result=")
    data = json.loads(base64.b64decode(line[len("result="):]))
    assert data["version"] == 1 and data["status"] == "error" and data["max_score"] == 15 * 8
    assert {t["status"] for t in data["tests"]} == {"pass", "fail", "error"}
    assert sum(t["score"] for t in data["tests"]) == pytest.approx(
        sum(s["points"] for s in json.loads((out / "grades.json").read_text())["submissions"]))
    assert "::warning file=" in res.stdout and "::error file=" in res.stdout
    assert "Points " in res.stdout


def test_reveal_adds_expected_answers(course):
    res = run("grade", course / "assignment.yaml", course / "submissions/bob/answers.yaml", "--reveal",
              "--json", "-")
    p = json.loads(res.stdout)["submissions"][0]["parts"][0]
    assert p["expected"] and p["accept"]["low"] < p["accept"]["high"]


# ------------------------------------------------------------------------------------------------
# report

def test_report_formats(graded, tmp_path):
    out, _ = graded
    grades = out / "grades.json"
    md = run("report", grades).stdout
    assert "## Scores" in md and "## Items" in md and "Re-teach **" in md
    assert "`swapped_ed50` in 2b: 2" in md
    data = json.loads(run("report", grades, "--format", "json").stdout)
    assert data["graded"] == 8 and data["rejected"] == 7
    assert sum(data["score"]["histogram"]["counts"]) == 8
    item2 = data["items"][1]
    assert item2["parts"] == ["2a", "2b"] and 0 <= item2["difficulty"] <= 1
    assert {"part": "2b", "name": "swapped_ed50", "count": 2} in item2["misconceptions"]
    html = run("report", grades, "--format", "html", "--out", tmp_path / "r.html")
    assert html.exit_code == 0
    page = (tmp_path / "r.html").read_text()
    assert page.count("<svg") == 2 and "<script" not in page
    rows = list(csv.reader(io.StringIO(run("report", grades, "--format", "csv").stdout)))
    assert rows[0][:5] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
    assert ["alice", "", "", "alice", "", "8"] in rows
    assert len(rows) == 1 + 8


def test_report_rejects_files_that_are_not_grades(tmp_path):
    f = tmp_path / "x.json"
    f.write_text("{}")
    res = run("report", f)
    assert res.exit_code == 2 and "not a psyq grades file" in res.stderr
