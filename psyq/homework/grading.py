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

from psyq.errors import TemplateError
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
REJECTED = "rejected"  # a submission not graded as a whole: the same word in tables, JSON and JUnit
DEFAULT_PASS_MARK = 0.5
PARTIAL_CREDIT = 0.5  # fraction_for_percent: partial gives half the part's points
DIFFERENT_SECRET = "issued with a different secret"


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
            # a string: 63-bit seeds lose precision as JavaScript numbers (53 bits)
            "template_part": self.template_part, "seed": str(self.seed), "instance": self.instance,
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
    status: str  # graded | rejected (REJECTED)
    max_points: float
    pass_mark: float
    parts: list[PartResult] = field(default_factory=list)
    warnings: list[Notice] = field(default_factory=list)
    error: dict | None = None
    name: str | None = None  # the roster's name for the student (psyq grade --roster)

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
            "file": self.file, "student": self.student, "name": self.name, "assignment": self.assignment,
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

def _fraction_for_percent(policy: str, v, pr: PartResult, cp: CompiledPart) -> None:
    """The assignment's fraction_for_percent policy, for a value right as a fraction of a % part."""
    if policy == "reject" or v.misconception is not None or "SLIP:fraction_for_percent" not in v.notes:
        return
    if policy == "accept":
        pr.status, pr.points = "correct", cp.points
        pr.feedback = (f"Accepted as {100 * v.value:.4g} % (this assignment accepts a fraction for a "
                       f"percentage); {v.feedback}")
    elif policy == "partial":
        pr.points = cp.points * PARTIAL_CREDIT
        pr.feedback = (f"{v.feedback} Half credit: this assignment gives partial credit for a "
                       "fraction written for a percentage.")


def grade_submission(compiled: CompiledAssignment, submission: Submission, instances: list, *,
                     pass_mark: float = DEFAULT_PASS_MARK) -> SubmissionResult:
    from psyq.grading import grade

    policy = compiled.assignment.fraction_for_percent

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
                if p.unit == "%" and v.value is not None:
                    _fraction_for_percent(policy, v, pr, cp)
        result.parts.append(pr)
    return result


def rejected(compiled: CompiledAssignment, file: str, exc: SubmissionError, *,
             pass_mark: float = DEFAULT_PASS_MARK, student: str | None = None) -> SubmissionResult:
    from psyq.fsio import display

    return SubmissionResult(display(file), None if student is None else display(student), compiled.id,
                            REJECTED, compiled.max_points, pass_mark, error=error_json(exc))


def _load_one(compiled: CompiledAssignment, path: Path, expected: str | None, roster: set[str] | None,
              pass_mark: float) -> Submission | SubmissionResult:
    """One student's file, isolated: whatever is wrong with it rejects it alone, in one line."""
    from psyq.fsio import display

    file = display(path)
    try:
        if expected is not None:
            from psyq.homework.roster import check_student_id

            try:
                expected = check_student_id(expected, file=file, key="folder name")
            except TemplateError as exc:
                raise SubmissionError(exc.message, file=file, key="folder name", hint=exc.hint) from None
        return load_submission(path, compiled.part_ids, compiled.id, expected_student=expected, roster=roster)
    except SubmissionError as exc:
        return rejected(compiled, file, exc, pass_mark=pass_mark, student=expected)
    except (RecursionError, MemoryError, ValueError, OSError, UnicodeError, TemplateError) as exc:
        # a hostile file psyq's checks did not foresee: reject it, keep grading the class
        why = SubmissionError(f"cannot be read ({type(exc).__name__})", file=file,
                              hint="save answers.yaml again from the blank one on your sheet")
        return rejected(compiled, file, why, pass_mark=pass_mark, student=expected)


def grade_files(compiled: CompiledAssignment, files: Iterable[Path | str | tuple], secret: str | None, *,
                pass_mark: float = DEFAULT_PASS_MARK,
                expected_student: Callable[[Path], str | None] | None = None,
                roster: set[str] | None = None,
                refused: Iterable[tuple[str, str | None, str]] = (),
                progress: Callable[[], None] | None = None) -> list[SubmissionResult]:
    """Read, check and grade answer files; results come back in the order of ``files``.

    ``files`` holds paths, or (path, student id from the layout) pairs; ``refused`` holds
    (file, student, reason) for submissions refused before reading (psyq.homework.submission.locate).
    ``progress`` is called once per file read and once per submission graded (2 × files in all).
    """
    loaded: list[Submission | SubmissionResult] = []
    for f in files:
        path, expected = (Path(f[0]), f[1]) if isinstance(f, tuple) else (Path(f), None)
        if expected is None and expected_student:
            expected = expected_student(path)
        loaded.append(_load_one(compiled, path, expected, roster, pass_mark))
        if progress:
            progress()
    for file, student, reason in refused:
        loaded.append(rejected(compiled, file, SubmissionError(reason, file=file), pass_mark=pass_mark,
                               student=student))
    return grade_loaded(compiled, loaded, secret, pass_mark=pass_mark, progress=progress)


def grade_loaded(compiled: CompiledAssignment, loaded: Sequence[Submission | SubmissionResult],
                 secret: str | None, *, pass_mark: float = DEFAULT_PASS_MARK,
                 progress: Callable[[], None] | None = None) -> list[SubmissionResult]:
    from psyq.homework.seeds import fingerprint

    issued = fingerprint(secret)
    loaded = list(loaded)
    # Two files naming one student: both refused (never one silently replacing the other).
    count: dict[str, list[str]] = {}
    for s in loaded:
        if isinstance(s, Submission):
            count.setdefault(s.student, []).append(s.file)
    for i, s in enumerate(loaded):
        if not isinstance(s, Submission):
            continue
        if len(count[s.student]) > 1:
            names = " and ".join(count[s.student][:3])
            loaded[i] = rejected(compiled, s.file, SubmissionError(
                f"more than one answers file for student '{s.student}' ({names})", file=s.file,
                hint="keep one"), pass_mark=pass_mark, student=s.student)
        elif s.issued is not None and s.issued != issued:
            loaded[i] = rejected(compiled, s.file, SubmissionError(
                f"{DIFFERENT_SECRET} (answers.yaml says issued: {s.issued}; this run's secret is "
                f"{issued})", file=s.file, key="issued",
                hint="grade with the secret the sheets were issued with: is the secret variable set?"),
                pass_mark=pass_mark, student=s.student)
    subs = [s for s in loaded if isinstance(s, Submission)]
    by_student = variants(compiled, secret, [s.student for s in subs])
    out: list[SubmissionResult] = []
    for s in loaded:
        if progress:
            progress()
        if isinstance(s, SubmissionResult):
            out.append(s)
            continue
        out.append(grade_submission(compiled, s, by_student[s.student], pass_mark=pass_mark))
    return out
