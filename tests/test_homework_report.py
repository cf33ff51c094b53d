"""Homework class report: the statistics are the textbook ones, computed on a class we can check by hand."""

from __future__ import annotations

import json
import math

import pytest

from psyq.errors import PsyqError
from psyq.homework.report import Grades, class_stats, load_grades, to_gradebook_csv, to_markdown


def make_grades(rows: dict[str, tuple[int, int, str | None]]) -> Grades:
    """rows: student → (points on item 1 (of 1), points on item 2 (of 1), misconception on item 2)."""
    assignment = {"id": "hw", "title": "HW", "max_points": 2,
                  "items": [{"index": 1, "template": "t1", "title": "One", "points": 1,
                             "parts": [{"id": "1a", "points": 1}]},
                            {"index": 2, "template": "t2", "title": "Two", "points": 1,
                             "parts": [{"id": "2a", "points": 1}]}]}
    subs = []
    for s, (p1, p2, misc) in rows.items():
        subs.append({"student": s, "status": "graded", "points": p1 + p2, "passed": p1 + p2 >= 1, "parts": [
            {"id": "1a", "points": p1, "max_points": 1, "status": "correct" if p1 else "incorrect", "notes": []},
            {"id": "2a", "points": p2, "max_points": 1, "status": "correct" if p2 else "incorrect",
             "notes": ["ACC_OUTSIDE", f"MISC:{misc}"] if misc else []}]})
    subs.append({"student": "zed", "status": "rejected", "file": "zed/answers.yaml",
                 "error": {"text": "zed/answers.yaml:3: invalid YAML"}, "parts": []})
    return Grades(assignment, subs, ["x.json"])


ROWS = {
    "a": (1, 1, None), "b": (1, 1, None), "c": (1, 0, "swapped"), "d": (0, 1, None),
    "e": (1, 0, "swapped"), "f": (0, 0, "omax"), "g": (0, 0, "swapped"), "h": (1, 1, None),
}


def test_difficulty_discrimination_and_distribution():
    st = class_stats(make_grades(ROWS))
    assert st.n_graded == 8 and st.n_rejected == 1
    assert st.items[0].difficulty == pytest.approx(5 / 8)
    assert st.items[1].difficulty == pytest.approx(4 / 8)
    # corrected item-total correlation: item 1 against item 2 (the rest of the test)
    x = [ROWS[s][0] for s in sorted(ROWS)]
    y = [ROWS[s][1] for s in sorted(ROWS)]
    mx, my = sum(x) / 8, sum(y) / 8
    r = sum((a - mx) * (b - my) for a, b in zip(x, y)) / math.sqrt(
        sum((a - mx) ** 2 for a in x) * sum((b - my) ** 2 for b in y))
    assert st.items[0].discrimination == pytest.approx(r)
    assert st.items[1].discrimination == pytest.approx(r)
    # scores 0, 0.5, 1: bins 0, 5, 9
    assert st.histogram[0] == 2 and st.histogram[5] == 3 and st.histogram[9] == 3
    assert st.mean == pytest.approx(sum(a + b for a, b, _ in ROWS.values()) / 16)
    assert st.items[1].misconceptions == [("2a", "swapped", 3), ("2a", "omax", 1)]
    assert st.reteach == (2, "2a", "swapped", 3)
    # upper-lower index with k = round(0.27 * 8) = 2 students at each end
    assert st.items[0].upper_lower is not None and -1 <= st.items[0].upper_lower <= 1


def test_markdown_and_gradebook():
    st = class_stats(make_grades(ROWS))
    md = to_markdown(st)
    assert "Re-teach **swapped** (item 2, part 2a): 3 of 8 students (38 %)" in md
    assert "zed: zed/answers.yaml:3: invalid YAML" in md
    lines = to_gradebook_csv(st).splitlines()
    assert lines[0] == "Student,ID,SIS User ID,SIS Login ID,Section,HW (hw)"
    assert "a,,,a,,2" in lines and not any(line.startswith("zed") for line in lines)


def test_constant_items_have_no_discrimination():
    st = class_stats(make_grades({s: (1, 1, None) for s in "abcd"}))
    assert st.items[0].discrimination is None and st.items[0].difficulty == 1.0


def test_load_grades_merges_files_and_the_later_submission_wins(tmp_path):
    g = make_grades(ROWS)
    first = {"format": "psyq-grades", "version": 1, "assignment": g.assignment, "submissions": g.submissions}
    later = json.loads(json.dumps(first))
    later["submissions"] = [dict(later["submissions"][0], points=0)]
    (tmp_path / "1.json").write_text(json.dumps(first))
    (tmp_path / "2.json").write_text(json.dumps(later))
    merged = load_grades([tmp_path / "1.json", tmp_path / "2.json"])
    assert merged.replaced == 1 and len(merged.submissions) == 9
    assert next(s for s in merged.submissions if s["student"] == "a")["points"] == 0
    other = dict(first, assignment=dict(g.assignment, id="hw2"))
    (tmp_path / "3.json").write_text(json.dumps(other))
    with pytest.raises(PsyqError, match="one assignment at a time"):
        load_grades([tmp_path / "1.json", tmp_path / "3.json"])
    (tmp_path / "bad.json").write_text("not json")
    with pytest.raises(PsyqError, match="not JSON"):
        load_grades([tmp_path / "bad.json"])
