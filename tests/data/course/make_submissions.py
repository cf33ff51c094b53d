"""Regenerate the sample submissions of this course from the current templates.

    PSYQ_SECRET=sample-course-secret python tests/data/course/make_submissions.py

Each student in roster.csv answers in a characteristic way (all right, a named misconception, a
unit slip, blanks), so that ``psyq grade`` and ``psyq report`` have something to say.  The
hostile submissions under hostile/ are written by hand and are not touched here.
"""

from __future__ import annotations

import os
from pathlib import Path

from psyq.draws import format_number
from psyq.homework.assignment import compile_assignment, load_assignment
from psyq.homework.grading import variants

HERE = Path(__file__).resolve().parent
SECRET = os.environ.get("PSYQ_SECRET", "sample-course-secret")


def answer(p, how: str) -> str | None:
    unit = "" if p.unit in ("", "fraction") else f" {p.unit}"
    if how == "right":
        return f"{format_number(p.value, 3)}{unit}"
    if how == "blank":
        return None
    if how == "fraction":  # 0.81 where 81 % is asked
        return format_number(p.value / 100, 3) if p.unit == "%" else f"{format_number(p.value, 3)}{unit}"
    for m in p.misconceptions:  # the named misconception, if the template has it
        if m.name == how and m.value is not None:
            return f"{format_number(m.value, 3)}{unit}"
    return f"{format_number(p.value * 1.5, 3)}{unit}"  # plainly wrong


PLANS = {
    "alice": {"1a": "right", "2a": "right", "2b": "right", "3a": "right"},
    "bob": {"1a": "unoccupied", "2a": "swapped_ed50", "2b": "swapped_ed50", "3a": "right"},
    "carol": {"1a": "fraction", "2a": "right", "2b": "blank", "3a": "ln_for_log2"},
    "dave": {"1a": "right", "2a": "unoccupied", "2b": "linear_dose", "3a": "inhibited_fraction"},
    "erin": {"1a": "unoccupied", "2a": "right", "2b": "swapped_ed50", "3a": "right"},
}


def main() -> None:
    compiled = compile_assignment(load_assignment(HERE / "assignment.yaml"))
    by_student = variants(compiled, SECRET, list(PLANS))
    for student, plan in PLANS.items():
        lines = [f"student: {student}", f"assignment: {compiled.id}", "answers:"]
        for cp in compiled.parts:
            inst = by_student[student][cp.item.index - 1]
            text = answer(inst.part(cp.part_id), plan[cp.id])
            lines.append(f"  {cp.id}: \"{text}\"" if text is not None else f"  {cp.id}:")
        folder = HERE / "submissions" / student
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "answers.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
