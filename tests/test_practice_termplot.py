"""Curves under worked solutions: the right points marked, skipped where a plot cannot be read."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from psyq import bank, termplot
from psyq.curves import curve
from psyq.instance import generate


@pytest.fixture(scope="module")
def occ1():
    return generate(bank.load("occupancy-from-ki"), 1)


def test_marks_for_the_asked_quantity(occ1):
    c = curve(occ1)
    part = occ1.parts[0]
    m = termplot.marks_for(c, part, 10.6)
    assert m.correct == pytest.approx((1.1, 89.43), abs=0.01)
    assert m.student == pytest.approx((1.1, 10.6))
    assert (m.correct_text, m.student_text) == ("89.4 %", "10.6 %")
    assert termplot.marks_for(c, part, None).student is None


def test_marks_for_a_two_curve_figure():
    inst = generate(bank.load("snri-engagement"), 3)
    c = curve(inst)
    b = inst.parts[1]
    m = termplot.marks_for(c, b, 20.0)
    assert set(c.series) == {"occ_SERT", "occ_NET"}
    assert m.correct[1] == pytest.approx(b.value, rel=1e-9)
    assert m.student == (m.correct[0], 20.0)
    assert termplot.caption(c, m).splitlines()[0] == "⠒⠒ SERT occupancy   ·· NET occupancy"
    assert termplot.caption(c, m).splitlines()[1].startswith("● correct: ")


def test_render_draws_both_points(occ1):
    c = curve(occ1)
    m = termplot.marks_for(c, occ1.parts[0], 10.6)
    text = termplot.render(c, m, width=70, height=16, color=False)
    assert text is not None and "\x1b[" not in text
    lines = text.splitlines()
    assert len(lines) >= 14 and max(len(line) for line in lines) <= 70
    assert text.count(termplot.CORRECT_MARKER) == 1
    canvas = [line for line in lines if "│" in line or "┤" in line]
    assert sum(line.count(termplot.STUDENT_MARKER) for line in canvas) == 1
    # the student's 10.6 % sits low on the chart, the correct 89.4 % high
    row_of = {
        mark: next(i for i, line in enumerate(canvas) if mark in line)
        for mark in (termplot.CORRECT_MARKER, termplot.STUDENT_MARKER)
    }
    assert row_of[termplot.CORRECT_MARKER] < row_of[termplot.STUDENT_MARKER] - 5
    assert "fractional occupancy of SERT (%)" in lines[0]
    assert "free drug concentration at SERT (nM)" in text
    assert "  0┤" in text and "100┤" in text  # occupancy axis from 0 to a round 100 %


def test_an_answer_far_off_the_curve_is_reported_not_drawn(occ1):
    c = curve(occ1)
    m = termplot.marks_for(c, occ1.parts[0], 846.0)
    text = termplot.render(c, m, width=70, color=False)
    assert m.student_off_chart
    assert "x your answer: 846 % (off the chart)" in termplot.caption(c, m)
    assert "846" not in text.splitlines()[1]  # the y axis was not stretched to reach it


def _console(width: int, terminal: bool) -> tuple[Console, io.StringIO]:
    buf = io.StringIO()
    return Console(
        file=buf,
        width=width,
        force_terminal=terminal,
        color_system="standard" if terminal else None,
    ), buf


def test_show_in_a_terminal(occ1):
    console, buf = _console(90, True)
    assert termplot.show(console, occ1, occ1.parts[0], 10.6) is True
    out = buf.getvalue()
    assert "SERT occupancy against free concentration" in out
    assert "x your answer: 10.6\u00a0%" in out  # number and unit joined by a no-break space


@pytest.mark.parametrize("width, terminal", [(49, True), (120, False)])
def test_show_skips_narrow_or_non_terminal_output(occ1, width, terminal):
    console, buf = _console(width, terminal)
    assert termplot.show(console, occ1, occ1.parts[0], 10.6) is False
    assert buf.getvalue() == ""
