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
TOP_KEYS = ("student", "assignment", "answers")
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


def shown(text: str, limit: int = MAX_SHOWN) -> str:
    """Text safe to print in a terminal, XML or a message: control characters made visible, cut short."""
    text = _UNPRINTABLE.sub(lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100
                            else f"\\u{ord(m.group()):04x}", text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def read_bytes(path: Path, limit: int = MAX_SUBMISSION_BYTES) -> bytes:
    file = str(path)
    if not path.exists():
        raise SubmissionError("no such file", file=file)
    if path.is_dir():
        raise SubmissionError("is a folder, not an answers file", file=file)
    try:
        with path.open("rb") as fh:
            data = fh.read(limit + 1)  # never more, whatever the file's size
    except OSError as exc:
        raise SubmissionError(f"cannot read the file: {exc.strerror}", file=file) from None
    if len(data) > limit:
        raise SubmissionError(f"file is too large (more than {limit:,} bytes)", file=file,
                              hint="an answers file lists part ids and short answers")
    return data


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
    path = Path(path)
    file = str(path)
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

    for key in ("student", "assignment", "answers"):
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
    return Submission(file, student, assignment_id, {pid: entries[pid] for pid in part_ids}, warnings)


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


def locate(path: Path | str) -> list[Path]:
    """A submission argument: a file, or a folder holding answers.yaml files (searched recursively)."""
    path = Path(path)
    if path.is_dir():
        return sorted(p for p in path.rglob("answers.y*ml") if p.is_file() or p.is_symlink())
    return [path]
