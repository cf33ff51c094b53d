"""Reading a student's ``answers.yaml`` without trusting it.

A submission is::

    student: alice
    assignment: hw3-occupancy
    answers:
      1a: "80.5 %"
      2a: "1.2 nM"

What can go wrong, and what happens:

* the file as a whole cannot be read — missing, a folder, larger than ``MAX_SUBMISSION_BYTES``
  (only that many bytes are ever read), binary, not UTF-8, malformed YAML, YAML aliases (the
  "billion laughs" bomb), nesting too deep, not a mapping, no ``student``/``answers``, the wrong
  student or assignment — raises :class:`SubmissionError` (exit code 3 for ``psyq grade``), whose
  message names the file, the line and the key;
* one part is wrong — missing, blank, answered twice, a list instead of text, far too long — the
  part gets a ``problem`` and scores 0 with that reason, and every other part is graded;
* an unknown part id or top-level key is a warning, not a failure.

Scalars are kept as the text written (``0.80`` keeps its two significant figures).  Nothing in the
file is executed or evaluated: answers are handed to the allow-list parser of :mod:`psyq.answers`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from psyq.answers import MAX_ANSWER
from psyq.errors import ExitCode, TemplateError
from psyq.homework.roster import check_student_id
from psyq.yamlsafe import Mapping
from psyq.yamlsafe import loads as loads_yaml

MAX_SUBMISSION_BYTES = 256_000  # a 100-part answer file is a few kilobytes
MAX_ANSWER_CHARS = MAX_ANSWER  # longer text is refused before it reaches the parser
MAX_SHOWN = 60
TOP_KEYS = ("student", "assignment", "issued", "answers")
REQUIRED_KEYS = ("student", "assignment", "answers")
ANSWERS_NAMES = ("answers.yaml", "answers.yml")
MAX_WALK_ENTRIES = 20_000  # folder entries looked at under one submissions folder
MAX_WALK_DEPTH = 32  # deeper folders are not searched (and listed as such)
MAX_LISTED = 20
_UNPRINTABLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029\ufffe\uffff\ud800-\udfff]")


class SubmissionError(TemplateError):
    """A submission that cannot be graded as a whole (``psyq grade`` exits 3)."""

    exit_code = ExitCode.UNREADABLE


@dataclass
class AnswerEntry:
    part: str  # the assignment's part id, e.g. "2b"
    text: str | None  # as written; None when there is no answer
    line: int | None = None
    problem: str | None = None  # why this part cannot be graded as written (scores 0)


@dataclass
class Notice:
    message: str
    line: int | None = None

    def to_json(self) -> dict:
        return {"message": self.message, "line": self.line}


@dataclass
class Submission:
    file: str
    student: str
    assignment: str
    answers: dict[str, AnswerEntry]
    warnings: list[Notice] = field(default_factory=list)
    issued: str | None = None  # the secret fingerprint the sheet was issued with (seeds.fingerprint)


def shown(text: str, limit: int = MAX_SHOWN) -> str:
    """Text safe to print in a terminal, XML or a message: control characters made visible, cut short."""
    text = _UNPRINTABLE.sub(lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100
                            else f"\\u{ord(m.group()):04x}", text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def read_bytes(path: Path, limit: int = MAX_SUBMISSION_BYTES) -> bytes:
    """The file's bytes: a regular file only (a FIFO, a device or any symlink is refused before it is
    opened: Git keeps symlinks, and one could point at another student's file or at the grading
    machine's), never more than ``limit`` bytes (psyq.fsio)."""
    from psyq.fsio import FileError, read_regular

    try:
        return read_regular(path, limit, what="answers file", follow_symlinks=False)
    except FileError as exc:
        raise SubmissionError(exc.message, file=exc.file,
                              hint=exc.hint or "an answers file is a short YAML text file") from None


def decode(data: bytes, file: str) -> str:
    if b"\x00" in data:
        raise SubmissionError("file is binary, not YAML text", file=file,
                              hint="save answers.yaml as plain UTF-8 text")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise SubmissionError(f"file is not UTF-8 text (byte {exc.start})", file=file, line=line,
                              hint="save answers.yaml as UTF-8") from None
    return text.lstrip("\ufeff")


def load_submission(path: Path | str, part_ids: Iterable[str], assignment_id: str, *,
                    expected_student: str | None = None,
                    roster: set[str] | None = None,
                    limit: int = MAX_SUBMISSION_BYTES) -> Submission:
    """Read and check one answers file against an assignment's part ids."""
    from psyq.fsio import display

    path = Path(path)
    file = display(path)  # printable and UTF-8 safe, even for a name that is not UTF-8
    text = decode(read_bytes(path, limit), file)
    return parse_submission(text, file, part_ids, assignment_id, expected_student=expected_student,
                            roster=roster)


def parse_submission(text: str, file: str, part_ids: Iterable[str], assignment_id: str, *,
                     expected_student: str | None = None,
                     roster: set[str] | None = None) -> Submission:
    part_ids = list(part_ids)
    try:
        data = loads_yaml(text, file=file, text_scalars=True, duplicates="keep-first")
    except TemplateError as exc:
        raise SubmissionError(exc.message, file=file, line=exc.line, key=exc.key, hint=exc.hint) from None
    if not isinstance(data, Mapping):
        raise SubmissionError("an answers file must be a YAML mapping with student, assignment and answers",
                              file=file, line=getattr(data, "line", None) or 1,
                              hint="start from the blank answers.yaml that came with your sheet")
    bad = _surrogate(data)
    if bad is not None:
        raise SubmissionError(f"the file holds a lone surrogate ({bad}), which is not a character",
                              file=file, hint="remove the \\u escape; save answers.yaml as UTF-8 text")
    dups = getattr(data, "duplicates", {})
    for key in TOP_KEYS:
        if key in dups:
            raise SubmissionError(f"'{key}' is given twice (lines {_lines(dups[key])})", file=file,
                                  line=dups[key][-1], key=key, hint="keep one")
    warnings: list[Notice] = []
    for key in data:
        if key not in TOP_KEYS:
            warnings.append(Notice(f"unknown key '{shown(key)}' ignored (expected: "
                                   + ", ".join(TOP_KEYS) + ")", data.line_of(key)))

    for key in REQUIRED_KEYS:
        if key not in data:
            raise SubmissionError(f"missing '{key}'", file=file, line=1, key=key,
                                  hint=f"add '{key}:' at the top of the file")
    student_raw = data["student"]
    if not isinstance(student_raw, str) or not student_raw.strip():
        raise SubmissionError("student must be your student id, as on your sheet", file=file,
                              line=data.line_of("student"), key="student")
    try:
        student = check_student_id(student_raw, file=file, line=data.line_of("student"), key="student")
    except TemplateError as exc:
        raise SubmissionError(exc.message, file=file, line=exc.line, key="student", hint=exc.hint) from None
    if expected_student is not None and student != expected_student:
        raise SubmissionError(f"the file says student '{student}', but it was submitted by "
                              f"'{expected_student}'", file=file, line=data.line_of("student"),
                              key="student", hint="write your own id, as on your sheet")
    if roster is not None and student not in roster:
        raise SubmissionError(f"student '{student}' is not on the roster", file=file,
                              line=data.line_of("student"), key="student",
                              hint="write your id exactly as on your sheet")
    assignment = data["assignment"]
    if not isinstance(assignment, str) or assignment.strip() != assignment_id:
        got = shown(assignment.strip()) if isinstance(assignment, str) else type(assignment).__name__
        raise SubmissionError(f"these answers are for assignment '{got}', not '{assignment_id}'",
                              file=file, line=data.line_of("assignment"), key="assignment",
                              hint=f"write 'assignment: {assignment_id}' and answer this assignment's parts")

    issued = data.get("issued")
    issued = shown(str(issued).strip(), 40) if isinstance(issued, str) and issued.strip() else None

    answers_node = data["answers"]
    if isinstance(answers_node, str) and not answers_node.strip():
        answers_node = Mapping()  # "answers:" with nothing under it: every part unanswered
        answers_node.line = data.line_of("answers")
        answers_node.key_lines = {}
    if not isinstance(answers_node, Mapping):
        raise SubmissionError("answers must map part ids to answers (1a: '80 %')", file=file,
                              line=data.line_of("answers"), key="answers")

    wanted = {pid.lower(): pid for pid in part_ids}
    entries: dict[str, AnswerEntry] = {}
    seen_lines: dict[str, list[int]] = {}
    for key, value in answers_node.items():
        line = answers_node.line_of(key)
        pid = wanted.get(key.strip().lower())
        if pid is None:
            warnings.append(Notice(f"'{shown(key)}' is not a part of this assignment; not graded "
                                   f"(parts: {', '.join(part_ids)})", line))
            continue
        lines = [line, *getattr(answers_node, "duplicates", {}).get(key, [])[1:]]
        seen_lines.setdefault(pid, []).extend(lines)
        if pid in entries:  # "1a" and "1A"
            continue
        entries[pid] = _entry(pid, value, line)
    for pid, lines in seen_lines.items():
        if len(lines) > 1:
            entries[pid].problem = f"answered more than once (lines {_lines(lines)}): keep one answer"
            entries[pid].line = lines[-1]
    for pid in part_ids:
        if pid not in entries:
            entries[pid] = AnswerEntry(pid, None, None, None)
    return Submission(file, student, assignment_id, {pid: entries[pid] for pid in part_ids}, warnings,
                      issued)


def _surrogate(node) -> str | None:
    """The first lone surrogate (``"\\ud800"`` in YAML) in a parsed file: it cannot be written as
    UTF-8, so a report that quoted it would fail to write.  Iterative: depth is bounded anyway."""
    stack = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, dict):
            stack.extend(n.keys())
            stack.extend(n.values())
        elif isinstance(n, list):
            stack.extend(n)
        elif isinstance(n, str):
            for ch in n:
                if 0xD800 <= ord(ch) <= 0xDFFF:
                    return f"\\u{ord(ch):04x}"
    return None


def _entry(pid: str, value, line: int | None) -> AnswerEntry:
    if isinstance(value, (list, dict)):
        kind = "a list" if isinstance(value, list) else "a mapping"
        return AnswerEntry(pid, None, line, f"the answer is {kind}; write it as text, e.g. {pid}: '80 %'")
    text = str(value).strip()
    if not text:
        return AnswerEntry(pid, None, line)
    if len(text) > MAX_ANSWER_CHARS:
        return AnswerEntry(pid, text[:MAX_ANSWER_CHARS], line,
                           f"the answer is {len(text):,} characters long (at most {MAX_ANSWER_CHARS})")
    return AnswerEntry(pid, text, line)


def _lines(lines: list[int]) -> str:
    lines = sorted(set(lines))
    return ", ".join(map(str, lines[:-1])) + f" and {lines[-1]}" if len(lines) > 1 else str(lines[0])


def error_json(exc: TemplateError) -> dict:
    return {"message": exc.message, "file": exc.file, "line": exc.line, "key": exc.key,
            "hint": exc.hint, "text": str(exc)}


@dataclass
class Found:
    """Answers files found under the submission arguments, and what was left out and why."""

    files: list[tuple[Path, str | None]] = field(default_factory=list)  # (file, student from layout)
    refused: list[tuple[str, str | None, str]] = field(default_factory=list)  # (file, student, reason)
    ignored: list[str] = field(default_factory=list)  # files not read, with the reason


def _walk(folder: Path, found: Found, *, min_depth: int, budget: list[int]) -> list[Path]:
    """Answers files under ``folder`` at depth ≥ ``min_depth``: iterative, symlinks not followed,
    bounded in depth and in entries looked at; unreadable folders are noted, never fatal."""
    from psyq.fsio import display

    out: list[Path] = []
    stack: list[tuple[Path, int]] = [(folder, 0)]
    while stack:
        here, depth = stack.pop()
        try:
            with os.scandir(here) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError as exc:
            found.ignored.append(f"{display(here)}: folder not searched ({exc.strerror or exc})")
            continue
        for e in entries:
            budget[0] -= 1
            if budget[0] < 0:
                found.ignored.append(f"{display(folder)}: search stopped after {MAX_WALK_ENTRIES:,} entries")
                return out
            path = Path(e.path)
            try:
                is_dir = e.is_dir(follow_symlinks=False)
            except OSError:
                is_dir = False
            if is_dir:
                if depth + 1 >= MAX_WALK_DEPTH:
                    found.ignored.append(f"{display(path)}: more than {MAX_WALK_DEPTH} folders deep; not searched")
                else:
                    stack.append((path, depth + 1))
            elif e.name in ANSWERS_NAMES and depth >= min_depth:
                out.append(path)
    return sorted(out)


def locate(paths: Iterable[Path | str], *, student_from_folder: bool = False) -> Found:
    """The answers files to grade.

    Without ``student_from_folder`` a folder is searched (iteratively, symlinks not followed) for
    ``answers.yaml``/``answers.yml``; the student is whoever the file names.  With it, identity comes
    from the layout alone: only ``ROOT/ID/answers.yaml`` (or ``.yml``) counts, one per student,
    ``ID`` being the folder's own name (a symlinked folder keeps its name); a file deeper in a
    student's folder is ignored and listed; two files for one student are refused.
    """
    from psyq.fsio import display

    found = Found()
    budget = [MAX_WALK_ENTRIES]
    for arg in paths:
        arg = Path(arg)
        if not student_from_folder:
            if arg.is_dir():
                found.files += [(p, None) for p in _walk(arg, found, min_depth=0, budget=budget)]
            else:
                found.files.append((arg, None))
            continue
        if not arg.is_dir():  # SUBMISSIONS/ID/answers.yaml given as a file: its folder names the student
            found.files.append((arg, Path(os.path.abspath(arg)).parent.name))
            continue
        try:
            with os.scandir(arg) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError as exc:
            raise SubmissionError(f"cannot list the folder: {exc.strerror or exc}", file=display(arg)) from None
        for e in entries:
            path = Path(e.path)
            try:
                is_dir = e.is_dir()  # a symlinked student folder counts, under its own name
            except OSError:
                is_dir = False
            if not is_dir:
                if e.name in ANSWERS_NAMES:
                    found.ignored.append(f"{display(path)}: not in a student's folder (ROOT/ID/answers.yaml)")
                continue
            here = [path / n for n in ANSWERS_NAMES if os.path.lexists(path / n)]
            if len(here) > 1:
                found.refused.append((str(path), e.name, "two answers files (answers.yaml and answers.yml) "
                                      "for one student: keep one"))
            elif here:
                found.files.append((here[0], e.name))
            if e.is_symlink():  # its inside is the student's to arrange; nothing deeper is read anyway
                continue
            for deeper in _walk(path, found, min_depth=1, budget=budget):
                found.ignored.append(f"{display(deeper)}: deeper than {display(arg)}/ID/answers.yaml; not graded")
    # one file per student, whatever the arguments: never a silent replacement
    by_student: dict[str, list[int]] = {}
    for i, (_, sid) in enumerate(found.files):
        if sid is not None:
            by_student.setdefault(sid, []).append(i)
    drop = set()
    for sid, idx in by_student.items():
        if len(idx) > 1:
            names = " and ".join(display(found.files[i][0]) for i in idx[:3])
            for i in idx:
                found.refused.append((str(found.files[i][0]), sid,
                                      f"more than one answers file for student '{sid}' ({names}): keep one"))
            drop.update(idx)
    found.files = [f for i, f in enumerate(found.files) if i not in drop]
    return found
