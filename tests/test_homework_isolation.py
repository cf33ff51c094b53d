"""One student's files never touch another's grade (issue 14).

A class where one folder holds every hostile case a student's repository can carry (Git keeps
symlinks; Classroom tools collect whole repositories): psyq grade must still grade everyone else,
reject each hostile submission with a one-line reason, exit 3, and write valid JSON, JUnit and
results.json.  psyq runs in a subprocess so that /proc/self/fd/1 is a real pipe, as in CI.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

COURSE = Path(__file__).parent / "data" / "course"
SECRET = "sample-course-secret"
PARTS = ("1a", "2a", "2b", "3a")


def psyq(*args, cwd: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    full = {k: v for k, v in os.environ.items() if k != "PSYQ_SECRET"}
    full.update({"PSYQ_SECRET": SECRET, **(env or {})})
    # the timeout only guards the test run against a hang (the bug this file pins); nothing is timed
    return subprocess.run([sys.executable, "-m", "psyq", *map(str, args)], cwd=cwd, env=full,
                          capture_output=True, timeout=600, stdin=subprocess.DEVNULL)


def key(cwd: Path, student: str) -> dict:
    res = psyq("homework", "key", "assignment.yaml", "--student", student, "--format", "json", cwd=cwd)
    assert res.returncode == 0, res.stderr
    return json.loads(res.stdout)


def answers_text(student: str, answers: dict[str, str]) -> str:
    return "\n".join([f"student: {student}", "assignment: hw3-occupancy", "answers:",
                      *[f"  {k}: \"{v}\"" for k, v in answers.items()]]) + "\n"


def right(cwd: Path, student: str) -> str:
    return answers_text(student, {pid: p["answer"]["display"] for pid, p in key(cwd, student)["parts"].items()})


@pytest.fixture(scope="module")
def hostile_class(tmp_path_factory):
    root = tmp_path_factory.mktemp("hostile-class")
    shutil.copy(COURSE / "assignment.yaml", root / "assignment.yaml")
    subs = root / "submissions"
    subs.mkdir()

    def student(name: str | bytes, text: str | bytes | None = None) -> Path:
        folder = Path(os.fsdecode(os.path.join(os.fsencode(subs), os.fsencode(name))))
        folder.mkdir()
        if text is not None:
            data = text.encode() if isinstance(text, str) else text
            (folder / "answers.yaml").write_bytes(data)
        return folder

    # three honest students (carol's folder is a symlink to where her repository was cloned)
    alice = student("alice", right(root, "alice"))
    student("bob", right(root, "bob"))
    clones = root / "clones" / "carol-repo-1234"
    clones.mkdir(parents=True)
    (clones / "answers.yaml").write_text(right(root, "carol"))
    (subs / "carol").symlink_to(clones, target_is_directory=True)

    # bob's repository plants a forged file for alice, deeper in his own tree
    forged = subs / "bob" / "evil" / "alice"
    forged.mkdir(parents=True)
    (forged / "answers.yaml").write_text(answers_text("alice", {p: "1 %" for p in PARTS}))
    # alice keeps an old copy in a subfolder with a space in its name
    (alice / "old copy").mkdir()
    (alice / "old copy" / "answers.yaml").write_text(answers_text("alice", {p: "2 %" for p in PARTS}))

    student("surrogate", 'student: surrogate\nassignment: hw3-occupancy\nanswers:\n  1a: "\\ud800"\n')
    student("oddbytes", b"student: oddbytes\nanswers:\n  1a: \"\xff\xfe 80 %\"\n")
    student("binary", b"\x00\x01\x02PK\x03\x04")
    student(b"caf\xe9", answers_text("cafe", {"1a": "1 %"}))  # a folder name that is not UTF-8
    student("old copy", answers_text("old", {"1a": "1 %"}))  # not a student id
    deep = student("deep")
    try:
        yield from _finish_class(root, subs, student, deep)
    finally:
        _remove_deep(deep)  # also when building the class failed: pytest's clean-up would recurse


def _finish_class(root: Path, subs: Path, student, deep: Path):
    fd = os.open(deep, os.O_RDONLY)
    for _ in range(1500):  # 1,500 nested folders (relative to a folder fd: no path is that long)
        os.mkdir("d", dir_fd=fd)
        inner = os.open("d", os.O_RDONLY, dir_fd=fd)
        os.close(fd)
        fd = inner
    leaf = os.open("answers.yaml", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd)  # noqa: SIM115
    os.write(leaf, answers_text("deep", {}).encode())
    os.close(leaf)
    os.close(fd)
    (student("dangling") / "answers.yaml").symlink_to(root / "nowhere.yaml")
    os.mkfifo(student("fifo") / "answers.yaml")
    (student("stdout") / "answers.yaml").symlink_to("/proc/self/fd/1")
    (student("zero") / "answers.yaml").symlink_to("/dev/zero")
    (student("peek") / "answers.yaml").symlink_to(subs / "alice" / "answers.yaml")
    (student("folder") / "answers.yaml").mkdir()
    twice = student("twice", answers_text("twice", {"1a": "1 %"}))
    (twice / "answers.yml").write_text(answers_text("twice", {"1a": "1 %"}))
    student("alias", "student: alias\nassignment: &a hw3-occupancy\nx: *a\nanswers:\n")
    student("hugeint", "student: hugeint\nassignment: hw3-occupancy\nanswers:\n  1a: " + "9" * 100_000 + "\n")
    student("nested", "student: nested\nassignment: hw3-occupancy\nanswers:\n  1a: " + "[" * 5000 + "\n")
    student("impostor", answers_text("alice", {p: "1 %" for p in PARTS}))

    # a good grades.json from an earlier run: it must be replaced whole, never left as a fragment
    (root / "grades.json").write_text('{"earlier": true}\n')
    res = psyq("grade", "assignment.yaml", "submissions", "--student-from-folder", "--json", "grades.json",
               "--junit", "junit.xml", "--results-json", "results.json", cwd=root)
    yield root, res


def _remove_deep(folder: Path) -> None:
    """Remove the 1,500-deep tree without recursion (shutil.rmtree, and pytest's clean-up, recurse)."""
    if not folder.is_dir():
        return
    fds = [os.open(folder, os.O_RDONLY)]
    while "d" in os.listdir(fds[-1]):
        fds.append(os.open("d", os.O_RDONLY, dir_fd=fds[-1]))
    if "answers.yaml" in os.listdir(fds[-1]):
        os.unlink("answers.yaml", dir_fd=fds[-1])
    os.close(fds.pop())
    while fds:
        os.rmdir("d", dir_fd=fds[-1])
        os.close(fds.pop())


HOSTILE = ("surrogate", "oddbytes", "binary", "caf\\xe9", "old copy", "dangling", "fifo", "stdout",
           "zero", "peek", "folder", "twice", "alias", "nested", "impostor")


def test_everyone_else_is_graded_and_each_hostile_file_rejected_alone(hostile_class):
    root, res = hostile_class
    assert res.returncode == 3, res.stderr.decode(errors="replace")
    assert b"Traceback" not in res.stderr + res.stdout
    grades = json.loads((root / "grades.json").read_bytes().decode("utf-8"))  # strict UTF-8, valid JSON
    by = {s["student"]: s for s in grades["submissions"]}
    for honest in ("alice", "bob", "carol"):
        assert by[honest]["status"] == "graded" and by[honest]["points"] == 8, honest
    # carol's folder is a symlink: its own name is the student, not the target's
    assert "carol-repo" not in json.dumps(by["carol"]["student"])
    rejected = {s["student"]: s for s in grades["submissions"] if s["status"] == "rejected"}
    assert set(rejected) == set(HOSTILE)
    for name, s in rejected.items():
        text = s["error"]["text"]
        assert text and "\n" not in text, (name, text)
    reasons = {name: s["error"]["text"] for name, s in rejected.items()}
    assert "lone surrogate" in reasons["surrogate"]
    assert "not UTF-8" in reasons["oddbytes"] and "binary" in reasons["binary"]
    assert "not valid" in reasons["caf\\xe9"] and "not valid" in reasons["old copy"]
    for link in ("dangling", "stdout", "zero", "peek"):  # never followed, whatever the target
        assert "is a symlink, not a regular file" in reasons[link], reasons[link]
    assert "FIFO" in reasons["fifo"] and "folder" in reasons["folder"]
    assert "alice" not in json.dumps(rejected["peek"])  # the link is not followed: nothing of alice
    assert "answers.yaml and answers.yml" in reasons["twice"]
    assert "aliases" in reasons["alias"] or "anchors" in reasons["alias"]
    assert "nested too deeply" in reasons["nested"]
    # a 100,000-digit answer is kept as text: that part scores 0 with the reason, the rest is graded
    huge = by["hugeint"]
    assert huge["status"] == "graded" and "characters long" in huge["parts"][0]["feedback"]
    assert "submitted by 'impostor'" in reasons["impostor"]
    assert grades["summary"] == {**grades["summary"], "graded": 4, "rejected": len(HOSTILE)}


def test_deeper_files_are_ignored_and_listed(hostile_class):
    root, res = hostile_class
    err = res.stderr.decode("utf-8")
    assert "bob/evil/alice/answers.yaml: deeper than" in err
    assert "alice/old copy/answers.yaml: deeper than" in err
    assert "not searched" in err  # the 1,500-deep tree is cut off, not walked to the bottom
    grades = json.loads((root / "grades.json").read_text())
    assert not any("evil" in s["file"] or "alice/old copy" in s["file"] for s in grades["submissions"])
    assert "deep" not in {s["student"] for s in grades["submissions"]}


def test_every_report_is_written_and_valid(hostile_class):
    root, _ = hostile_class
    junit = ET.parse(root / "junit.xml").getroot()
    assert {e.get("type") for e in junit.iter("error")} == {"rejected"}  # the table's and the JSON's word
    assert int(junit.get("errors")) == len(HOSTILE) and int(junit.get("tests")) == 4 * 4 + len(HOSTILE)
    results = json.loads((root / "results.json").read_bytes().decode("utf-8"))
    assert len(results) == 4 + len(HOSTILE)
    assert sorted(r["score"] for r in results if r["gradable"])[-3:] == [1.0, 1.0, 1.0]
    assert not [p for p in root.iterdir() if p.name.endswith(".tmp")]  # no temporary file left


def test_the_table_and_the_json_use_the_same_word(hostile_class):
    root, res = hostile_class
    out = res.stdout.decode("utf-8")
    assert "rejected" in out and "unreadable" not in out


def test_report_reads_the_hostile_class_grades(hostile_class):
    root, _ = hostile_class
    res = psyq("report", "grades.json", "--format", "md", cwd=root)
    assert res.returncode == 0, res.stderr
    assert "4 graded" in res.stdout.decode()
