"""Grading a class reports progress (a bar on a terminal) without changing any result."""

from pathlib import Path

from psyq.homework.assignment import compile_assignment, load_assignment
from psyq.homework.grading import grade_files

COURSE = Path(__file__).parent / "data" / "course"


def test_progress_is_reported_twice_per_file_and_results_do_not_change():
    compiled = compile_assignment(load_assignment(COURSE / "assignment.yaml"))
    files = sorted((COURSE / "submissions").glob("*/answers.yaml"))
    files.append(COURSE / "hostile" / "not-yaml.yaml") if (COURSE / "hostile" / "not-yaml.yaml").exists() else None
    ticks = []
    with_bar = grade_files(compiled, files, "s3cret", progress=lambda: ticks.append(1))
    without = grade_files(compiled, files, "s3cret")
    assert len(ticks) == 2 * len(files) and len(files) >= 5
    assert [r.to_json(True) for r in with_bar] == [r.to_json(True) for r in without]
