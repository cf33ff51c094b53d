"""Homework: answers.yaml read without trusting it — every hostile file gets a message, none crashes."""

from __future__ import annotations

from pathlib import Path

import pytest
from _work import memory_bounded, work_bounded

from psyq.homework.assignment import compile_assignment, load_assignment
from psyq.homework.grading import grade_files
from psyq.homework.submission import SubmissionError, load_submission, parse_submission, shown

COURSE = Path(__file__).parent / "data" / "course"
HOSTILE = COURSE / "hostile"
PARTS = ["1a", "2a", "2b", "3a"]
AID = "hw3-occupancy"


@pytest.fixture(scope="module")
def compiled():
    return compile_assignment(load_assignment(COURSE / "assignment.yaml"))


def parse(text: str, **kw):
    return parse_submission(text, "answers.yaml", PARTS, AID, **kw)


def rejected(path_or_text, **kw) -> SubmissionError:
    with pytest.raises(SubmissionError) as exc:
        if isinstance(path_or_text, Path):
            load_submission(path_or_text, PARTS, AID, **kw)
        else:
            parse(path_or_text, **kw)
    return exc.value


def test_a_good_file_keeps_answers_as_written():
    s = parse("student: alice\nassignment: hw3-occupancy\nanswers:\n  1a: 0.80\n  2A: '81 %'\n  3a:\n")
    assert s.student == "alice"
    assert s.answers["1a"].text == "0.80" and s.answers["1a"].line == 4  # not the float 0.8
    assert s.answers["2a"].text == "81 %"  # part ids are case-insensitive
    assert s.answers["2b"].text is None and s.answers["2b"].line is None  # missing
    assert s.answers["3a"].text is None and s.answers["3a"].line == 6  # blank
    assert not s.warnings


@pytest.mark.parametrize("folder,line,words", [
    ("frank", 7, "quoted scalar that starts on line 4"),
    ("grace", None, "binary"),
    ("heidi", 4, "anchors"),
    ("ken", 2, "for assignment 'hw2-clearance', not 'hw3-occupancy'"),
    ("nina", 1, "must be a YAML mapping"),
    ("oscar", 4, "nested too deeply"),
])
def test_files_unreadable_as_a_whole_name_file_and_line(folder, line, words):
    path = HOSTILE / folder / "answers.yaml"
    e = rejected(path)
    assert e.file == str(path)
    assert e.line == line
    assert words in str(e)
    assert e.exit_code == 3


def test_wrong_student_is_rejected_when_the_identity_is_known():
    path = HOSTILE / "judy" / "answers.yaml"
    e = rejected(path, expected_student="judy")
    assert e.line == 2 and e.key == "student" and "says student 'alice'" in str(e)
    assert load_submission(path, PARTS, AID).student == "alice"  # without a trusted identity: as written
    e = rejected("student: zed\nassignment: hw3-occupancy\nanswers: {}\n", roster={"alice", "bob"})
    assert "not on the roster" in str(e)


@pytest.mark.parametrize("text,words", [
    ("student: alice\nassignment: hw3-occupancy\n", "missing 'answers'"),
    ("assignment: hw3-occupancy\nanswers: {}\n", "missing 'student'"),
    ("student: [alice]\nassignment: hw3-occupancy\nanswers: {}\n", "student must be"),
    ("student: 'alice; rm -rf /'\nassignment: hw3-occupancy\nanswers: {}\n", "not valid"),
    ("student: alice\nstudent: bob\nassignment: hw3-occupancy\nanswers: {}\n", "given twice (lines 1 and 2)"),
    ("student: alice\nassignment: hw3-occupancy\nanswers: [80 %]\n", "answers must map"),
    ("student: alice\nassignment: hw3-occupancy\nanswers: {}\n---\nstudent: bob\n", "invalid YAML"),
    ("!!python/object/apply:os.system ['touch /tmp/x']\n", "invalid YAML"),
    ("", "must be a YAML mapping"),
])
def test_other_whole_file_problems(text, words):
    assert words in str(rejected(text))


def test_a_50_megabyte_file_is_refused_without_being_read(tmp_path):
    big = tmp_path / "answers.yaml"
    with big.open("wb") as fh:
        fh.write(b"student: alice\n")
        fh.truncate(50 * 1024 * 1024)
    # measured: 552 calls and a 557 kB peak (importing psyq.fsio); reading the file takes 50 MB
    what = "refusing a 50 MB file"
    with work_bounded(calls=10_000, what=what), memory_bounded(bytes=8 << 20, what=what):
        e = rejected(big)
    assert "too large" in str(e)


def test_non_utf8_names_the_line(tmp_path):
    f = tmp_path / "answers.yaml"
    f.write_bytes(b"student: alice\nassignment: hw3-occupancy\nanswers:\n  1a: '\xff80 %'\n")
    e = rejected(f)
    assert "not UTF-8" in str(e) and e.line == 4


def test_bad_parts_score_zero_with_their_reason_and_the_rest_is_graded():
    s = parse("student: ivan\nassignment: hw3-occupancy\nanswers:\n"
              "  1a: '50 %'\n  2a: [1, 2]\n  1A: '55 %'\n  2b: '" + "9" * 5000 + "'\n  3a: '70 %'\n"
              "  4z: '1 %'\nname: Ivan\n")
    assert s.answers["1a"].problem == "answered more than once (lines 4 and 6): keep one answer"
    assert "a list" in s.answers["2a"].problem
    assert "5,000 characters" in s.answers["2b"].problem
    assert s.answers["3a"].problem is None and s.answers["3a"].text == "70 %"
    messages = [w.message for w in s.warnings]
    assert any("'4z' is not a part" in m for m in messages)
    assert any("unknown key 'name'" in m for m in messages)


def test_shown_makes_hostile_text_printable():
    assert shown("\x1b[31mred\x00") == "\\x1b[31mred\\x00"
    assert len(shown("x" * 1000)) == 60


def test_grading_the_whole_hostile_folder_loses_nothing(compiled, tmp_path):
    files = sorted(HOSTILE.glob("*/answers.yaml")) + sorted((COURSE / "submissions").glob("*/answers.yaml"))
    results = grade_files(compiled, files, "sample-course-secret",
                          expected_student=lambda p: p.parent.name)
    assert len(results) == len(files)
    by = {Path(r.file).parent.name: r for r in results}
    assert {k for k, r in by.items() if r.status == "rejected"} == {
        "frank", "grace", "heidi", "judy", "ken", "nina", "oscar"}
    for name in ("alice", "bob", "carol", "dave", "erin", "ivan", "leo", "mia"):
        assert by[name].status == "graded" and len(by[name].parts) == 4
    leo = {p.id: p for p in by["leo"].parts}
    assert all(p.status == "invalid" and p.points == 0 for p in leo.values())
    assert "not allowed" in leo["1a"].feedback
    assert not Path("/tmp/psyq-pwned").exists()
    ivan = {p.id: p for p in by["ivan"].parts}
    assert ivan["1a"].status == "invalid" and "more than once" in ivan["1a"].feedback
    assert ivan["3a"].status in ("correct", "incorrect")
    mia = {p.id: p for p in by["mia"].parts}
    assert mia["2a"].status == "missing" and "No answer" in mia["2a"].feedback
