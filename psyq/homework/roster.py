"""roster.csv: one student a row, an ``id`` column (the id students write in answers.yaml).

Accepted id column names: ``id``, ``student``, ``student_id``, ``login``, ``username``, ``github``
(case-insensitive).  Optional: ``name``, ``email``, ``section``.  Errors name the file and line.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

from psyq.errors import TemplateError
from psyq.homework.seeds import STUDENT_ID, normalise_id

ID_COLUMNS = ("id", "student", "student_id", "login", "username", "github")
MAX_ROSTER_BYTES = 5_000_000


@dataclass(frozen=True)
class Student:
    id: str
    name: str = ""
    email: str = ""
    section: str = ""
    line: int = 0


def check_student_id(student_id: str, *, file: str | None = None, line: int | None = None,
                     key: str | None = None) -> str:
    sid = normalise_id(student_id)
    if not STUDENT_ID.match(sid):
        shown = sid if len(sid) <= 40 and sid.isprintable() else repr(sid[:40])
        raise TemplateError(f"student id {shown} is not valid", file=file, line=line, key=key,
                            hint="ids are 1–100 letters, digits or . _ @ + -, starting with a letter or digit")
    return sid


def load_roster(path: Path | str) -> list[Student]:
    from psyq.fsio import FileError, read_regular

    path = Path(path)
    file = str(path)
    try:  # a regular file only (no FIFO or device), bounded
        raw = read_regular(path, MAX_ROSTER_BYTES, what="roster")
    except FileError as exc:
        raise TemplateError(exc.message, file=exc.file, hint=exc.hint) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise TemplateError("roster is not UTF-8 text", file=file) from None
    rows = csv.reader(io.StringIO(text))
    try:
        header = next(rows)
    except StopIteration:
        raise TemplateError("roster is empty", file=file, hint="first line: id,name") from None
    names = [h.strip().lower() for h in header]
    id_col = next((names.index(c) for c in ID_COLUMNS if c in names), None)
    if id_col is None:
        raise TemplateError("roster has no id column", file=file, line=1,
                            hint="name one column " + " or ".join(ID_COLUMNS[:3]))

    def col(row: list[str], name: str) -> str:
        return row[names.index(name)].strip() if name in names and names.index(name) < len(row) else ""

    students: list[Student] = []
    seen: dict[str, int] = {}
    for row in rows:
        line = rows.line_num
        if not row or all(not c.strip() for c in row):
            continue
        if id_col >= len(row) or not row[id_col].strip():
            raise TemplateError("row has no student id", file=file, line=line, key=header[id_col])
        sid = check_student_id(row[id_col], file=file, line=line, key=header[id_col])
        if sid in seen:
            raise TemplateError(f"student '{sid}' is listed twice (lines {seen[sid]} and {line})",
                                file=file, line=line)
        seen[sid] = line
        students.append(Student(sid, col(row, "name"), col(row, "email"), col(row, "section"), line))
    if not students:
        raise TemplateError("roster lists no students", file=file)
    return students
