"""Homework a course can trust (issue 14): atomic contained writes, secret hygiene and the
fingerprint, the fraction-for-percent policy, bounds on rules and YAML scalars, safe reads of
templates/rosters/grades, consistent statuses, roster names, seeds as strings, the small-n note."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from typer.testing import CliRunner

from psyq.cli import app
from psyq.errors import PsyqError, TemplateError

COURSE = Path(__file__).parent / "data" / "course"
SECRET = "sample-course-secret"
runner = CliRunner()


def run(*args, env: dict | None = None):
    return runner.invoke(app, [str(a) for a in args], env={"PSYQ_SECRET": SECRET, **(env or {})})


@pytest.fixture()
def course(tmp_path):
    dest = tmp_path / "course"
    shutil.copytree(COURSE, dest, ignore=shutil.ignore_patterns("hostile"))
    return dest


def key_for(course: Path, student: str, env: dict | None = None) -> dict:
    res = run("homework", "key", course / "assignment.yaml", "--student", student, "--format", "json", env=env)
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout)


def write_answers(path: Path, student: str, answers: dict[str, str], issued: str | None = None) -> Path:
    lines = [f"student: {student}", "assignment: hw3-occupancy"]
    if issued is not None:
        lines.append(f'issued: "{issued}"')
    lines += ["answers:", *[f'  {k}: "{v}"' for k, v in answers.items()]]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")
    return path


# ------------------------------------------------------------------------------------------------
# Atomic, contained writes

def test_a_failed_rerun_keeps_the_previous_grades_json(course, monkeypatch):
    from psyq import fsio

    out = course / "grades.json"
    res = run("grade", course / "assignment.yaml", course / "submissions", "--student-from-folder",
              "--json", out)
    assert res.exit_code == 1, res.output
    good = out.read_bytes()
    assert json.loads(good)["summary"]["graded"] == 5

    def disk_full(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(fsio.os, "fsync", disk_full)
    res = run("grade", course / "assignment.yaml", course / "submissions", "--student-from-folder",
              "--json", out, "--junit", course / "junit.xml")
    assert res.exit_code == 2 and "No space left on device" in res.output
    assert "Traceback" not in res.output
    assert out.read_bytes() == good  # the earlier copy is intact, not a fragment
    assert not [p.name for p in course.iterdir() if p.name.endswith(".tmp")]


def test_write_atomic_never_writes_through_a_symlink_leaving_the_folder(tmp_path):
    from psyq.fsio import FileError, write_atomic

    out, elsewhere = tmp_path / "out", tmp_path / "elsewhere"
    out.mkdir()
    elsewhere.mkdir()
    (out / "alice").symlink_to(elsewhere, target_is_directory=True)
    with pytest.raises(FileError, match="outside the output folder"):
        write_atomic(out / "alice" / "key.md", "secret key", root=out)
    assert list(elsewhere.iterdir()) == []
    # a symlink as the file itself is replaced, never followed
    victim = elsewhere / "victim.txt"
    victim.write_text("keep me")
    (out / "sheet.md").symlink_to(victim)
    write_atomic(out / "sheet.md", "new sheet", root=out)
    assert victim.read_text() == "keep me" and not (out / "sheet.md").is_symlink()
    assert (out / "sheet.md").read_text() == "new sheet"


def test_homework_key_refuses_a_symlink_out_of_out(course, tmp_path):
    keys, stolen = tmp_path / "keys", tmp_path / "stolen"
    keys.mkdir()
    stolen.mkdir()
    (keys / "alice").symlink_to(stolen, target_is_directory=True)
    res = run("homework", "key", course / "assignment.yaml", "--roster", course / "roster.csv",
              "--out", keys)
    assert res.exit_code == 2 and "outside the output folder" in res.output
    assert list(stolen.iterdir()) == []


def test_homework_sheet_does_not_follow_a_symlinked_answers_yaml(course, tmp_path):
    out = tmp_path / "sheets"
    out.mkdir()
    target = tmp_path / "target.txt"
    target.write_text("untouched")
    (out / "answers.yaml").symlink_to(target)
    res = run("homework", "sheet", course / "assignment.yaml", "--student", "alice", "--out", out, "--force")
    assert res.exit_code == 0, res.output
    assert target.read_text() == "untouched" and "student: alice" in (out / "answers.yaml").read_text()


# ------------------------------------------------------------------------------------------------
# Secret hygiene and the fingerprint

def test_the_sheet_has_no_seed_or_instance_id(course, tmp_path):
    res = run("homework", "sheet", course / "assignment.yaml", "--student", "alice", "--format", "json",
              "--out", "-")
    assert res.exit_code == 0, res.output
    sheet = json.loads(res.stdout)
    key = key_for(course, "alice")
    seeds = {str(p["seed"]) for p in key["parts"].values()}
    ids = {p["instance"] for p in key["parts"].values()}
    text = res.stdout
    assert not any(s in text for s in seeds) and not any(i in text for i in ids)
    for item in sheet["items"].values():
        assert "seed" not in item and "id" not in item
    for p in sheet["parts"].values():
        assert "seed" not in p and "instance" not in p
    from psyq.homework.seeds import fingerprint

    assert sheet["issued"] == fingerprint(SECRET) and len(sheet["issued"]) == 8


def test_seeds_are_strings_in_json(course):
    key = key_for(course, "alice")
    assert all(isinstance(p["seed"], str) and int(p["seed"]) >= 0 for p in key["parts"].values())
    assert all(isinstance(i["seed"], str) for i in key["items"].values())
    path = write_answers(course / "a.yaml", "alice", {})
    res = run("grade", course / "assignment.yaml", path, "--json", "-")
    data = json.loads(res.stdout)
    assert all(isinstance(p["seed"], str) for p in data["submissions"][0]["parts"])
    assert {p["seed"] for p in data["submissions"][0]["parts"]} == {p["seed"] for p in key["parts"].values()}


def test_sheet_md_and_answers_yaml_carry_the_fingerprint(course, tmp_path):
    from psyq.homework.seeds import fingerprint

    res = run("homework", "sheet", course / "assignment.yaml", "--student", "alice", "--out", tmp_path / "s")
    assert res.exit_code == 0, res.output
    fp = fingerprint(SECRET)
    assert f"**Issued:** {fp}" in (tmp_path / "s" / "sheet.md").read_text()
    assert f'issued: "{fp}"' in (tmp_path / "s" / "answers.yaml").read_text()
    assert SECRET not in (tmp_path / "s" / "sheet.md").read_text()


def test_graded_under_another_secret_is_reported_not_zeroed(course, tmp_path):
    from psyq.homework.seeds import fingerprint

    key = key_for(course, "alice")
    right = {pid: p["answer"]["display"] for pid, p in key["parts"].items()}
    path = write_answers(tmp_path / "alice" / "answers.yaml", "alice", right, issued=fingerprint(SECRET))
    ok = run("grade", course / "assignment.yaml", path, "--json", "-")
    assert ok.exit_code == 0 and json.loads(ok.stdout)["submissions"][0]["points"] == 8
    for env in ({"PSYQ_SECRET": ""}, {"PSYQ_SECRET": "another-course-secret-2026"}):
        res = run("grade", course / "assignment.yaml", path, "--json", "-", env=env)
        assert res.exit_code == 3, res.output
        sub = json.loads(res.stdout)["submissions"][0]
        assert sub["status"] == "rejected" and "issued with a different secret" in sub["error"]["text"]


def test_short_secret_is_refused_on_the_command_line(course):
    res = run("homework", "sheet", course / "assignment.yaml", "--student", "alice", "--out", "-",
              env={"PSYQ_SECRET": "a"})
    assert res.exit_code == 2 and "secrets.token_hex(16)" in res.output


def test_secret_env_given_a_value_does_not_echo_it(course):
    value = "9f8e7d6c5b4a39281706f5e4d3c2b1a0"
    res = run("homework", "key", course / "assignment.yaml", "--student", "alice", "--secret-env", value + "!")
    assert res.exit_code == 2 and value not in res.output


def test_a_trailing_newline_does_not_change_the_variants(course):
    plain = key_for(course, "alice")
    newline = key_for(course, "alice", env={"PSYQ_SECRET": SECRET + "\n"})
    assert plain["parts"] == newline["parts"]


# ------------------------------------------------------------------------------------------------
# Fraction for a percent

def _policy_course(course: Path, policy: str | None) -> Path:
    text = (course / "assignment.yaml").read_text()
    if policy is not None:
        text = text.replace("pass_mark: 0.6\n", f"pass_mark: 0.6\nfraction_for_percent: {policy}\n")
    path = course / f"assignment-{policy}.yaml"
    path.write_text(text)
    return path


@pytest.mark.parametrize("policy, points", [(None, 0.0), ("reject", 0.0), ("partial", 1.0), ("accept", 2.0)])
def test_fraction_for_percent_policy(course, tmp_path, policy, points):
    key = key_for(course, "alice")
    one_a = key["parts"]["1a"]
    assert one_a["answer"]["unit"] == "%"
    fraction = f"{one_a['answer']['value'] / 100:.6g}"
    path = write_answers(tmp_path / "a.yaml", "alice", {"1a": fraction})
    res = run("grade", _policy_course(course, policy), path, "--json", "-")
    part = json.loads(res.stdout)["submissions"][0]["parts"][0]
    assert part["id"] == "1a" and part["points"] == points, part
    assert "SLIP:fraction_for_percent" in part["notes"]
    assert ("Accepted" in part["feedback"]) == (policy == "accept")


def test_fraction_for_percent_must_be_a_known_policy(course):
    from psyq.homework.assignment import load_assignment

    with pytest.raises(TemplateError, match="accept, partial or reject"):
        load_assignment(_policy_course(course, "maybe"))


def test_readme_and_practice_help_list_a_fraction_only_where_it_is_graded():
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    line = next(ln for ln in readme.splitlines() if "`0.801`" in ln)
    assert "where a part asks for a fraction" in line
    assert "fraction_for_percent" in readme
    from psyq.practice import HELP_TEXT

    assert "0.8 (where a fraction is asked)" in HELP_TEXT


# ------------------------------------------------------------------------------------------------
# Bounds: assignment rules, YAML scalars

@pytest.mark.parametrize("rule, message", [
    ("{sigfigs: 99999999999}", "sigfigs must be a whole number from 1 to 10"),
    ("{sigfigs: 0}", "sigfigs must be"),
    ("{sigfigs: [2, 200]}", "sigfigs must be"),
    ("{strict_sigfigs: 11}", "strict_sigfigs must be"),
    ("{relative: 1.0e+300}", "relative must be > 0 and ≤ 0.5"),
    ("{relative: .inf}", "relative must be"),
    ("{relative: .nan}", "relative must be"),
    ("{absolute: 1.0e+99}", "absolute must be"),
    ("{decimals: 400}", "decimals must be"),
])
def test_assignment_rules_have_the_template_bounds(rule, message):
    from psyq.homework.assignment import loads_assignment

    text = f"id: hw\ntitle: HW\nitems:\n  - template: occupancy-from-ki\n    rule: {rule}\n"
    with pytest.raises(TemplateError) as exc:
        loads_assignment(text)
    assert message in str(exc.value) and "\n" not in str(exc.value)
    assert loads_assignment(text.replace(rule, "{sigfigs: 3}")).items[0].rule.n == 3


@pytest.mark.parametrize("scalar, message", [
    ("9" * 5000, "characters long"),
    ("1" + ":1" * 300_000, "characters long"),
    ("1:2:3:4:5", "base-60"),
    ("[" + "1," * 30_000 + "1]", "more than 20,000 entries"),
])
def test_yaml_scalars_are_bounded_in_every_loader(tmp_path, scalar, message):
    from psyq import yamlsafe
    from psyq.data import load_tables
    from psyq.homework.assignment import load_assignment
    from psyq.template import load_template

    body = f"id: x\ntitle: {scalar}\nitems: [occupancy-from-ki]\n"
    for loader in (load_assignment, load_template):
        path = tmp_path / "f.yaml"
        path.write_text(body)
        with pytest.raises(TemplateError, match=message):
            loader(path)
    data = tmp_path / "data"
    data.mkdir()
    (data / "extra.yaml").write_text(f"constants:\n  misc:\n    x: {scalar}\n")
    with pytest.raises(TemplateError, match=message):
        load_tables([data])
    assert yamlsafe.loads("a: 1:30:00") == {"a": 5400}


# ------------------------------------------------------------------------------------------------
# Nothing but a regular file is read: templates, rosters, grades, data

def _fifo(path: Path) -> Path:
    os.mkfifo(path)
    return path


def test_template_folder_with_a_fifo_and_a_dev_zero_link(tmp_path):
    folder = tmp_path / "templates"
    folder.mkdir()
    _fifo(folder / "pipe.yaml")
    (folder / "zero.yaml").symlink_to("/dev/zero")
    done: dict = {}

    def work():
        done["list"] = subprocess.run([sys.executable, "-m", "psyq", "list", "--templates", str(folder)],
                                      capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL)
        from psyq.template import load_template

        for name in ("pipe.yaml", "zero.yaml"):
            try:
                load_template(folder / name)
            except TemplateError as exc:
                done[name] = str(exc)

    t = threading.Thread(target=work, daemon=True)
    t.start()
    t.join(300)  # a guard against the hang this test pins, not a timing
    assert not t.is_alive(), "reading a FIFO or /dev/zero hung"
    assert done["list"].returncode == 0, done["list"].stderr
    assert "FIFO" in done["pipe.yaml"] and "device" in done["zero.yaml"]


def test_roster_and_grades_must_be_regular_files(tmp_path):
    from psyq.homework.report import load_grades
    from psyq.homework.roster import load_roster

    with pytest.raises(TemplateError, match="FIFO"):
        load_roster(_fifo(tmp_path / "roster.csv"))
    (tmp_path / "g.json").symlink_to("/dev/zero")
    with pytest.raises(PsyqError, match="device"):
        load_grades([tmp_path / "g.json"])


# ------------------------------------------------------------------------------------------------
# psyq report refuses every malformed grades file in one line

GOOD = {"format": "psyq-grades", "version": 1,
        "assignment": {"id": "hw", "title": "HW", "max_points": 1,
                       "items": [{"index": 1, "template": "t", "points": 1, "parts": [{"id": "1a"}]}]},
        "submissions": [{"student": "a", "status": "graded", "points": 1,
                         "parts": [{"id": "1a", "points": 1, "max_points": 1, "status": "correct", "notes": []}]}]}


def _set(path: str, value):
    data = json.loads(json.dumps(GOOD))
    *parents, last = path.split(".")
    node = data
    for p in parents:
        node = node[int(p)] if isinstance(node, list) else node[p]
    if value is KeyError:
        del node[int(last) if isinstance(node, list) else last]
    elif isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value
    return json.dumps(data)


MALFORMED = [
    "", "[]", "null", "42", '"psyq-grades"', "{", '{"format": "psyq-grades"}',
    _set("version", "1"), _set("version", 99),
    _set("assignment", None), _set("assignment", []), _set("assignment.id", KeyError), _set("assignment.id", 3),
    _set("assignment.max_points", "1"), _set("assignment.max_points", KeyError),
    _set("assignment.items", None), _set("assignment.items", {}), _set("assignment.items.0", "x"),
    _set("assignment.items.0.index", "1"), _set("assignment.items.0.points", None),
    _set("assignment.items.0.parts", 5), _set("assignment.items.0.parts.0", []),
    _set("assignment.items.0.parts.0.id", None), _set("submissions", {}), _set("submissions", "x"),
    _set("submissions.0", 7), _set("submissions.0.status", None), _set("submissions.0.student", None),
    _set("submissions.0.student", ["a"]), _set("submissions.0.points", "1"), _set("submissions.0.points", KeyError),
    _set("submissions.0.parts", None), _set("submissions.0.parts.0", "1a"),
    _set("submissions.0.parts.0.points", None), _set("submissions.0.parts.0.max_points", "1"),
    _set("submissions.0.parts.0.status", 1), _set("submissions.0.parts.0.notes", "MISC:x"),
    _set("submissions.0.parts.0.notes", [1]), _set("submissions.0.parts.0.id", {}),
    json.dumps(GOOD).replace('"points": 1,', '"points": 1e999,', 1),
    json.dumps(GOOD).replace('"points": 1,', '"points": NaN,', 1),
    "[" * 100_000 + "]" * 100_000,
    '{"format": "psyq-grades", "assignment": {"id": "x"}}',
]


@pytest.mark.parametrize("text", MALFORMED, ids=range(len(MALFORMED)))
def test_report_refuses_a_malformed_grades_file_in_one_line(tmp_path, text):
    (tmp_path / "g.json").write_text(text)
    res = run("report", tmp_path / "g.json")
    assert res.exit_code == 2, res.output
    assert "Traceback" not in res.output and res.exception is None or isinstance(res.exception, SystemExit)
    assert len(res.output.strip().splitlines()) == 1, res.output


def test_report_reads_the_good_grades_file(tmp_path):
    (tmp_path / "g.json").write_text(json.dumps(GOOD))
    res = run("report", tmp_path / "g.json")
    assert res.exit_code == 0 and "1 graded" in res.stdout


# ------------------------------------------------------------------------------------------------
# Consistent statuses, roster names, small-n note

def test_a_student_id_mismatch_reads_rejected_in_table_and_json(course, tmp_path):
    sub = tmp_path / "subs"
    write_answers(sub / "alice" / "answers.yaml", "mallory", {})
    write_answers(sub / "bob" / "answers.yaml", "bob", {})
    res = run("grade", course / "assignment.yaml", sub, "--student-from-folder", "--json", tmp_path / "g.json")
    assert res.exit_code == 3
    data = json.loads((tmp_path / "g.json").read_text())
    alice = next(s for s in data["submissions"] if s["student"] == "alice")
    assert alice["status"] == "rejected"
    row = next(ln for ln in res.stdout.splitlines() if "│ alice" in ln)
    assert "rejected" in row and "unreadable" not in res.stdout


def test_the_gradebook_shows_roster_names(course, tmp_path):
    out = tmp_path / "g.json"
    run("grade", course / "assignment.yaml", course / "submissions", "--student-from-folder",
        "--roster", course / "roster.csv", "--json", out)
    data = json.loads(out.read_text())
    assert {s["student"]: s["name"] for s in data["submissions"]}["alice"] == "Alice Adams"
    res = run("report", out, "--format", "csv")
    rows = res.stdout.splitlines()
    assert rows[1].startswith("Alice Adams,,,alice,")


def test_small_classes_get_a_note_on_the_statistics(course, tmp_path):
    out = tmp_path / "g.json"
    run("grade", course / "assignment.yaml", course / "submissions", "--student-from-folder", "--json", out)
    md = run("report", out).stdout
    assert "Only 5 graded students" in md and "rough" in md
    data = json.loads(run("report", out, "--format", "json").stdout)
    assert data["small_n"] is True and "Only 5" in data["note"]


def test_practice_reads_a_line_of_non_utf8_bytes(tmp_path):
    env = dict(os.environ, PSYQ_HOME=str(tmp_path), COLUMNS="80")
    res = subprocess.run([sys.executable, "-m", "psyq", "practice", "--template", "occupancy-from-ki",
                          "--seed", "1"], input=b"\xff\xfe 80 %\n", capture_output=True, env=env, timeout=300)
    assert res.returncode == 0, res.stderr.decode(errors="replace")
    assert b"Traceback" not in res.stderr
