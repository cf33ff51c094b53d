"""Benchmark: grading 1,000 submissions of a 10-part assignment in one process.

    python benchmarks/bench_homework.py [--students 1000] [--baseline 25]

psyq's path (``psyq grade``): load and compile each template once, derive every student's seeds,
generate each item's variants for all students in one vectorised ``generate_many`` call, read each
answers.yaml safely and grade every part with ``psyq.grading.grade``.

The naive baseline, in the same run: for every submission, reload each template, compile it afresh
(the solver cache cleared, as a one-process-per-submission grader would) and generate that
student's instance on its own.  It is timed on ``--baseline`` submissions and scaled up, since
running it on all of them would take minutes.  Both paths must give the same verdicts.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ASSIGNMENT = """\
id: bench-10
title: Benchmark assignment, ten parts
items:
  - {template: occupancy-from-ki, points: 1}
  - {template: snri-engagement, points: 2}
  - {template: mao-recovery, points: 1}
  - {template: occupancy-from-ki, points: 1}
  - {template: snri-engagement, points: 2}
  - {template: mao-recovery, points: 1}
  - {template: snri-engagement, points: 2}
"""
SECRET = "benchmark-secret"


def write_submissions(folder: Path, compiled, students: list[str]) -> list[Path]:
    """Realistic answer files: most parts right, some a named misconception, a few blank."""
    from psyq.draws import format_number
    from psyq.homework.grading import variants

    by_student = variants(compiled, SECRET, students)
    files = []
    for k, s in enumerate(students):
        lines = [f"student: {s}", f"assignment: {compiled.id}", "answers:"]
        for j, cp in enumerate(compiled.parts):
            p = by_student[s][cp.item.index - 1].part(cp.part_id)
            unit = "" if p.unit in ("", "fraction") else f" {p.unit}"
            roll = (k * 7 + j * 3) % 10
            if roll == 0:
                lines.append(f"  {cp.id}:")
            elif roll in (1, 2) and p.misconceptions and p.misconceptions[0].value is not None:
                lines.append(f"  {cp.id}: \"{format_number(p.misconceptions[0].value, 3)}{unit}\"")
            else:
                lines.append(f"  {cp.id}: \"{format_number(p.value, 3)}{unit}\"")
        path = folder / s / "answers.yaml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("\n".join(lines) + "\n")
        files.append(path)
    return files


def psyq_path(assignment_file: Path, files: list[Path]):
    from psyq.homework.assignment import compile_assignment, load_assignment
    from psyq.homework.grading import grade_files

    compiled = compile_assignment(load_assignment(assignment_file))
    return grade_files(compiled, files, SECRET, expected_student=lambda p: p.parent.name)


def naive_path(assignment_file: Path, files: list[Path]):
    """Per submission: fresh template loads and compilation, one instance at a time."""
    from psyq import bank, solve
    from psyq.grading import grade
    from psyq.homework.assignment import load_assignment
    from psyq.homework.seeds import item_seed
    from psyq.homework.submission import load_submission
    from psyq.instance import generate
    from psyq.template import load_template

    assignment = load_assignment(assignment_file)
    out = []
    for f in files:
        solve._CACHE.clear()
        bank._LOADED.clear()
        templates = [load_template(next(e.path for e in bank.entries() if e.id == it.template_id))
                     for it in assignment.items]
        part_ids = [f"{it.index}{p.id}" for it, t in zip(assignment.items, templates) for p in t.parts]
        sub = load_submission(f, part_ids, assignment.id, expected_student=f.parent.name)
        statuses = []
        for it, t in zip(assignment.items, templates):
            inst = generate(t, item_seed(SECRET, assignment.id, sub.student, it.index))
            for p in inst.parts:
                entry = sub.answers[f"{it.index}{p.id}"]
                statuses.append("missing" if entry.text is None else grade(p, entry.text).status)
        out.append(statuses)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--students", type=int, default=1000)
    ap.add_argument("--baseline", type=int, default=25, help="submissions the naive path is timed on")
    args = ap.parse_args(argv)
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    os.environ.pop("PSYQ_TEMPLATES", None)

    from psyq.homework.assignment import compile_assignment, loads_assignment

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        afile = folder / "assignment.yaml"
        afile.write_text(ASSIGNMENT)
        compiled = compile_assignment(loads_assignment(ASSIGNMENT, file=str(afile)))
        assert len(compiled.parts) == 10, compiled.part_ids
        students = [f"s{i:05d}" for i in range(args.students)]
        files = write_submissions(folder / "submissions", compiled, students)

        from psyq import bank, solve

        solve._CACHE.clear()
        bank._LOADED.clear()
        t0 = time.perf_counter()
        results = psyq_path(afile, files)
        fast = time.perf_counter() - t0

        n_base = min(args.baseline, len(files))
        t0 = time.perf_counter()
        naive = naive_path(afile, files[:n_base])
        slow_each = (time.perf_counter() - t0) / n_base
        slow = slow_each * len(files)

    for r, statuses in zip(results, naive):
        assert [p.status for p in r.parts] == statuses, (r.student, statuses)
    graded = sum(r.status == "graded" for r in results)
    parts = sum(len(r.parts) for r in results)
    rows = [
        ("psyq grade (compile once, vectorised variants)", f"{fast:.2f} s", f"{1000 * fast / len(files):.2f} ms",
         "measured"),
        ("naive (per-submission reload + compile + generate)", f"{slow:.1f} s", f"{1000 * slow_each:.1f} ms",
         f"measured on {n_base}, scaled"),
    ]
    print(f"Grading {len(files):,} submissions × {len(compiled.parts)} parts ({parts:,} answers, "
          f"{graded:,} graded) in one process\n")
    widths = [max(len(r[i]) for r in rows + [("path", "total", "per submission", "how")]) for i in range(4)]
    header = ("path", "total", "per submission", "how")
    print("  ".join(h.ljust(w) for h, w in zip(header, widths)))
    print("  ".join("-" * w for w in widths))
    for r in rows:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths)))
    print(f"\nspeed-up: {slow / fast:.0f}×  (verdicts identical on the {n_base} baseline submissions)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
