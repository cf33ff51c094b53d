"""Grading submissions: each student's variants, per-part verdicts, points and totals.

Fast by construction: each template is loaded and compiled once per assignment
(:func:`psyq.homework.assignment.compile_assignment`), every student's variant of an item comes
from one vectorised :func:`psyq.instance.generate_many` call over all the students' seeds, and
each answer goes through :func:`psyq.grading.grade`.  A bad part scores 0 with its reason; a bad
submission is reported as rejected; neither stops the others.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from psyq.homework.assignment import CompiledAssignment, CompiledPart
from psyq.homework.seeds import item_seed
from psyq.homework.submission import (
    Notice,
    Submission,
    SubmissionError,
    error_json,
    load_submission,
)

MISSING = "missing"
DEFAULT_PASS_MARK = 0.5


@dataclass
class PartResult:
    id: str  # "2b"
    item: int
    template: str
    template_part: str
    seed: int
    instance: str  # the instance id (stable hash of template, seed and pinned givens)
    prompt: str
    unit: str
    max_points: float
    points: float
    status: str  # correct | incorrect | invalid | missing
    answer: str | None
    line: int | None
    notes: list[str]
    feedback: str
    expected: str | None = None
    accept: dict | None = None
    value: float | None = None
    unit_written: str | None = None
    misconception: str | None = None

    @property
    def correct(self) -> bool:
        return self.status == "correct"

    def to_json(self, reveal: bool = False) -> dict:
        data = {
            "id": self.id, "item": self.item, "template": self.template,
            "template_part": self.template_part, "seed": self.seed, "instance": self.instance,
            "prompt": self.prompt, "unit": self.unit, "status": self.status, "correct": self.correct,
            "points": _round(self.points), "max_points": _round(self.max_points),
            "answer": self.answer, "line": self.line, "notes": list(self.notes),
            "feedback": self.feedback, "misconception": self.misconception,
            "value": self.value, "unit_written": self.unit_written,
        }
        if reveal:
            data["expected"] = self.expected
            data["accept"] = self.accept
        return data


@dataclass
class SubmissionResult:
    file: str
    student: str | None
    assignment: str
    status: str  # graded | rejected
    max_points: float
    pass_mark: float
    parts: list[PartResult] = field(default_factory=list)
    warnings: list[Notice] = field(default_factory=list)
    error: dict | None = None

    @property
    def points(self) -> float:
        return sum(p.points for p in self.parts)

    @property
    def fraction(self) -> float:
        return self.points / self.max_points if self.max_points else 0.0

    @property
    def passed(self) -> bool:
        return self.status == "graded" and self.fraction + 1e-12 >= self.pass_mark

    def to_json(self, reveal: bool = False) -> dict:
        return {
            "file": self.file, "student": self.student, "assignment": self.assignment,
            "status": self.status, "points": _round(self.points), "max_points": _round(self.max_points),
            "score": _round(self.fraction), "pass_mark": self.pass_mark, "passed": self.passed,
            "error": self.error, "warnings": [w.to_json() for w in self.warnings],
            "parts": [p.to_json(reveal) for p in self.parts],
        }


def _round(x: float) -> float:
    return float(f"{x:.10g}")


# ------------------------------------------------------------------------------------------------
# Variants

def apply_tolerance(compiled_item, part_instance) -> None:
    """An item's grading rule or tolerance override replaces the template's, interval included."""
    item = compiled_item.item
    if item.rule is not None:
        part_instance.regrade(rule=item.rule)
    elif item.rtol is not None or item.atol is not None:
        part_instance.regrade(rtol=item.rtol or 0.0, atol=item.atol or 0.0)


def variants(compiled: CompiledAssignment, secret: str | None, students: Sequence[str], *,
             with_solution: bool = False) -> dict[str, list]:
    """Each student's instances, one per item, in item order: {student: [Instance, …]}.

    One :func:`generate_many` call per item covers every student.
    """
    from psyq.instance import generate_many

    students = list(dict.fromkeys(students))
    out: dict[str, list] = {s: [] for s in students}
    if not students:
        return out
    for ci in compiled.items:
        seeds = [item_seed(secret, compiled.id, s, ci.index) for s in students]
        instances = generate_many(ci.template, seeds, ci.pinned, with_solution=with_solution)
        for s, inst in zip(students, instances):
            for p in inst.parts:
                apply_tolerance(ci, p)
            out[s].append(inst)
    return out


def part_instance(instances: list, part: CompiledPart):
    inst = instances[part.item.index - 1]
    return inst, inst.part(part.part_id)


# ------------------------------------------------------------------------------------------------
# Grading

def grade_submission(compiled: CompiledAssignment, submission: Submission, instances: list, *,
                     pass_mark: float = DEFAULT_PASS_MARK) -> SubmissionResult:
    from psyq.grading import grade

    result = SubmissionResult(submission.file, submission.student, compiled.id, "graded",
                              compiled.max_points, pass_mark, warnings=list(submission.warnings))
    for cp in compiled.parts:
        inst, p = part_instance(instances, cp)
        entry = submission.answers[cp.id]
        unit = p.unit
        pr = PartResult(cp.id, cp.item.index, inst.template.id, cp.part_id, inst.seed, inst.id,
                        p.prompt, unit, cp.points, 0.0, "invalid", entry.text, entry.line, [], "",
                        expected=p.display,
                        accept=None if p.low is None else {"low": p.low, "high": p.high, "unit": unit})
        if entry.problem is not None:
            pr.notes, pr.feedback = ["SUBMISSION_PROBLEM"], entry.problem
        elif entry.text is None:
            pr.status, pr.notes = MISSING, ["MISSING"]
            asked = f" (answer in {unit})" if unit and unit != "fraction" else " (a fraction, e.g. 0.25)"
            pr.feedback = f"No answer: write {cp.id}: '…'{asked} under answers:."
        else:
            try:
                v = grade(p, entry.text)
            except Exception as exc:  # noqa: BLE001 - one odd answer must not stop the run
                pr.notes = ["GRADER_ERROR"]
                pr.feedback = f"This answer could not be graded ({type(exc).__name__}); ask your instructor."
            else:
                pr.status, pr.notes, pr.feedback = v.status, list(v.notes), v.feedback
                pr.points = cp.points * v.score
                pr.value, pr.unit_written, pr.misconception = v.value, v.unit_written, v.misconception
        result.parts.append(pr)
    return result


def rejected(compiled: CompiledAssignment, file: str, exc: SubmissionError, *,
             pass_mark: float = DEFAULT_PASS_MARK, student: str | None = None) -> SubmissionResult:
    return SubmissionResult(file, student, compiled.id, "rejected", compiled.max_points, pass_mark,
                            error=error_json(exc))


def grade_files(compiled: CompiledAssignment, files: Iterable[Path | str], secret: str | None, *,
                pass_mark: float = DEFAULT_PASS_MARK,
                expected_student: Callable[[Path], str | None] | None = None,
                roster: set[str] | None = None,
                progress: Callable[[], None] | None = None) -> list[SubmissionResult]:
    """Read, check and grade answer files; results come back in the order of ``files``.

    ``progress`` is called once per file read and once per submission graded (2 × files in all).
    """
    loaded: list[Submission | SubmissionResult] = []
    for f in files:
        path = Path(f)
        expected = expected_student(path) if expected_student else None
        try:
            loaded.append(load_submission(path, compiled.part_ids, compiled.id,
                                          expected_student=expected, roster=roster))
        except SubmissionError as exc:
            loaded.append(rejected(compiled, str(path), exc, pass_mark=pass_mark, student=expected))
        if progress:
            progress()
    return grade_loaded(compiled, loaded, secret, pass_mark=pass_mark, progress=progress)


def grade_loaded(compiled: CompiledAssignment, loaded: Sequence[Submission | SubmissionResult],
                 secret: str | None, *, pass_mark: float = DEFAULT_PASS_MARK,
                 progress: Callable[[], None] | None = None) -> list[SubmissionResult]:
    subs = [s for s in loaded if isinstance(s, Submission)]
    by_student = variants(compiled, secret, [s.student for s in subs])
    seen: dict[str, str] = {}
    out: list[SubmissionResult] = []
    for s in loaded:
        if progress:
            progress()
        if isinstance(s, SubmissionResult):
            out.append(s)
            continue
        r = grade_submission(compiled, s, by_student[s.student], pass_mark=pass_mark)
        if s.student in seen:
            r.warnings.append(Notice(f"student '{s.student}' also submitted {seen[s.student]}"))
        seen.setdefault(s.student, s.file)
        out.append(r)
    return out
