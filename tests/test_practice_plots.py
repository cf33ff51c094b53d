"""Plots people can read: labels from the plotted symbols' meanings (or the figure's own labels),
round ticks, the correct point drawn last and labelled, later parts' curves hidden, and student
sheets that carry a sketch, never the version-exact curve."""

from __future__ import annotations

import math
import re

import pytest

from psyq import bank, figures, termplot
from psyq.curves import curve, for_part, nice_ticks
from psyq.instance import generate

NUMBER = re.compile(r"^-?\d+(\.\d+)?$")


def _tick_labels(text: str) -> tuple[list[str], list[str]]:
    """(y tick labels, x tick labels) of a plotext chart without colours."""
    lines = text.splitlines()
    ys = [m.group(1) for line in lines if (m := re.match(r"^\s*(-?[\d.]+)┤", line))]
    axis = next(i for i, line in enumerate(lines) if "└" in line)
    xs = lines[axis + 1].split()
    return ys, xs


@pytest.mark.parametrize("lo, hi, want", [
    (0, 129, [0, 20, 40, 60, 80, 100, 120]),
    (6.8, 41.6, [10, 15, 20, 25, 30, 35, 40]),
    (0, 1, [0, 0.2, 0.4, 0.6, 0.8, 1.0]),
    (0, 3000, [0, 500, 1000, 1500, 2000, 2500, 3000]),
])
def test_nice_ticks_are_one_two_five_steps(lo, hi, want):
    assert nice_ticks(lo, hi) == pytest.approx(want)


def test_washout_axes_say_what_is_plotted():
    inst = generate(bank.load("washout-maoi-to-ssri"), 1)
    c = curve(inst)
    # before: x "required drug-free interval", y "activity at the end of the interval"
    assert c.x_label == "time since stopping phenelzine (d)"
    assert c.y_label == "MAO-A activity (%)"
    text = termplot.render(c, termplot.marks_for(c, inst.parts[2], None), width=70, color=False)
    assert "MAO-A activity (%)" in text.splitlines()[0]
    assert "time since stopping phenelzine (d)" in text
    assert "required drug-free interval" not in text and "end of the interval" not in text


@pytest.mark.parametrize("template_id, seed", [("mao-a-vs-b", 3), ("occupancy-from-ki", 1),
                                               ("washout-maoi-to-ssri", 1),
                                               ("delay-autoreceptor-recovery", 2)])
def test_terminal_ticks_are_round(template_id, seed):
    inst = generate(bank.load(template_id), seed)
    part = next(p for p in inst.parts if p.ask in inst.template.figure.y or p is inst.parts[-1])
    c = for_part(curve(inst), inst, part)
    text = termplot.render(c, termplot.marks_for(c, part, None), width=78, color=False)
    ys, xs = _tick_labels(text)
    for labels in (ys, xs):
        values = sorted(float(v) for v in labels)
        assert len(values) >= 3, text
        steps = {round(b - a, 9) for a, b in zip(values, values[1:])}
        assert len(steps) == 1, labels  # evenly spaced
        (step,) = steps
        mantissa = step / 10 ** math.floor(math.log10(step))
        assert round(mantissa, 6) in (1, 2, 5), labels  # 1-2-5 steps, not 6.8, 24.2 …
        assert all(abs(v / step - round(v / step)) < 1e-6 for v in values), labels


def test_the_correct_point_stays_visible_and_labelled_when_the_student_is_close():
    inst = generate(bank.load("occupancy-from-ki"), 1)
    part = inst.parts[0]
    c = curve(inst)
    close = part.value * 1.001  # the same cell of the chart
    text = termplot.render(c, termplot.marks_for(c, part, close), width=70, color=False)
    assert text.count(termplot.CORRECT_MARKER) == 1  # drawn last: on top of the student's x
    row = next(line for line in text.splitlines() if termplot.CORRECT_MARKER in line)
    assert "correct" in row  # labelled beside the point


def test_a_part_does_not_see_later_parts_curves():
    inst = generate(bank.load("mao-a-vs-b"), 3)
    c = curve(inst)
    a, b, _c = inst.parts
    seen_a = for_part(c, inst, a)
    assert list(seen_a.series) == ["A_A"] and list(seen_a.marks) == ["A_A"]
    assert seen_a.y_label == "MAO-A activity at t (%)"
    assert list(for_part(c, inst, b).series) == ["A_A", "A_B"]


def test_student_sheet_figure_is_a_sketch_without_numbers():
    inst = generate(bank.load("snri-engagement"), 1)
    fig = figures.render(curve(inst))
    texts = lambda svg: re.findall(r"<text[^>]*>([^<]*)</text>", svg)  # noqa: E731
    key_numbers = [t for t in texts(fig.key) if NUMBER.match(t.strip().replace("−", "-"))]
    assert len(key_numbers) >= 6  # the key's axes are scaled
    sheet = texts(fig.sheet)
    assert sheet and not [t for t in sheet if NUMBER.match(t.strip().replace("−", "-"))]
    assert f'id="{figures.MARK_ID}' in fig.key and f'id="{figures.MARK_ID}' not in fig.sheet
    assert fig.sheet.count("#d9d9d9") == 0 < fig.key.count("#d9d9d9")  # no grid on the sheet
