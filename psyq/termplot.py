"""Curves in the terminal (plotext): a template's figure with the correct point and the student's
answer marked, shown beside a worked solution.

The curve comes from :func:`psyq.curves.curve` (the same relations as the answer).  Nothing is drawn
when output is not a terminal or the terminal is narrower than :data:`MIN_WIDTH` columns: a plot
squeezed below that is harder to read than none, and piped transcripts stay plain text.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from rich.console import Console

    from psyq.curves import Curve
    from psyq.instance import Instance, PartInstance

MIN_WIDTH = 50
MAX_WIDTH = 80
HEIGHT = 16
SERIES_MARKERS = ("braille", "·", "+", "•")
SERIES_SAMPLES = ("⠒⠒", "··", "++", "••")
CORRECT_MARKER = "●"
STUDENT_MARKER = "x"


@dataclass
class Marks:
    """Points to mark on a curve (in the curve's display units) and what the caption says."""

    correct: tuple[float, float] | None = None
    student: tuple[float, float] | None = None
    student_off_chart: bool = False
    student_text: str = ""
    correct_text: str = ""
    notes: list[str] = field(default_factory=list)


def _convert(value: float, src: str, dst: str) -> float | None:
    """``value`` from unit ``src`` to ``dst`` ('' is 'fraction'); None if impossible."""
    norm = {"": "fraction"}
    src, dst = norm.get(src, src), norm.get(dst, dst)
    if src == dst:
        return value
    from psyq import units
    from psyq.errors import InputError

    try:
        a = units.FRACTION if src == "fraction" else units.unit(src)
        b = units.FRACTION if dst == "fraction" else units.unit(dst)
        return units.convert(value, a, b)
    except InputError:
        return None


def marks_for(curve: Curve, part: PartInstance, student_value: float | None) -> Marks:
    """Where the correct answer and the student's answer (in ``part.unit``) fall on ``curve``."""
    from psyq.draws import format_number

    m = Marks()
    if part.ask in curve.series:
        point = curve.marks.get(part.ask)
        if point is not None:
            m.correct = point
            m.correct_text = f"{format_number(point[1], 3)} {curve.y_unit}".strip()
        if student_value is not None and point is not None:
            y = _convert(student_value, part.unit, curve.y_unit)
            if y is not None and math.isfinite(y):
                m.student = (point[0], y)
                m.student_text = f"{format_number(y, 3)} {curve.y_unit}".strip()
    elif part.ask == curve.x_name and curve.marks:
        point = next(iter(curve.marks.values()))
        m.correct = point
        m.correct_text = f"{format_number(point[0], 3)} {curve.x_unit}".strip()
        if student_value is not None:
            x = _convert(student_value, part.unit, curve.x_unit)
            if x is not None and math.isfinite(x):
                m.student = (x, point[1])
                m.student_text = f"{format_number(x, 3)} {curve.x_unit}".strip()
    return m


def _finite(values) -> list[float]:
    return [v for v in values if v is not None and math.isfinite(v)]


def render(
    curve: Curve, marks: Marks, *, width: int, height: int = HEIGHT, color: bool = True
) -> str | None:
    """The plot as text (ANSI colours when ``color``), or None when plotext cannot draw it."""
    import plotext

    fig = getattr(plotext, "figure", None)
    if fig is None or not hasattr(fig, "signal"):  # plotext < 6 has another API: no plot, no harm
        return None
    xs = curve.x
    ys_all = [v for series in curve.series.values() for v in _finite(series)]
    if not ys_all or len(_finite(xs)) < 2:
        return None
    from psyq.curves import nice_ticks, tick_text

    lo, hi = min(ys_all), max(ys_all)
    if marks.correct:
        lo, hi = min(lo, marks.correct[1]), max(hi, marks.correct[1])
    # Round axes: from 0 for quantities that cannot go below it, to a round top (100 for a
    # percentage that stays below it), ticks in steps of 1, 2 or 5.
    y_lo = 0.0 if lo >= 0 else lo
    y_hi = 100.0 if curve.y_unit == "%" and 50 <= hi <= 100 else hi
    if y_hi <= y_lo:
        y_hi = y_lo + (abs(y_lo) or 1.0)
    y_ticks = nice_ticks(y_lo, y_hi)
    if len(y_ticks) > 1:
        step = y_ticks[1] - y_ticks[0]
        if y_ticks[-1] < y_hi - 1e-9 * step:
            y_ticks.append(y_ticks[-1] + step)
        y_lo, y_hi = min(y_lo, y_ticks[0]), max(y_hi, y_ticks[-1])
    x_lo, x_hi = min(_finite(xs)), max(_finite(xs))
    student = marks.student
    if student is not None and not (y_lo <= student[1] <= y_hi and x_lo <= student[0] <= x_hi):
        marks.student_off_chart = True
        student = None
    fig.clear()
    fig.plot_size(width, height)
    fig.theme("simple" if color else "colorless")
    for i, (name, ys) in enumerate(curve.series.items()):
        pts = [(x, y) for x, y in zip(xs, ys) if math.isfinite(x) and math.isfinite(y)]
        signal = fig.signal(
            [p[0] for p in pts], [p[1] for p in pts], marker=SERIES_MARKERS[i % len(SERIES_MARKERS)]
        )
        signal.lines()
        fig.draw(signal)
    # The student's answer first, the correct point last with its label: when the two are close
    # the correct one is the one on top.
    if student is not None:
        fig.draw(fig.signal([student[0]], [student[1]], marker=STUDENT_MARKER))
    if marks.correct is not None:
        cx, cy = marks.correct
        fig.draw(fig.signal([cx], [cy], marker=CORRECT_MARKER))
        right = (cx - x_lo) <= 0.6 * (x_hi - x_lo) if not curve.log_x else True
        shift = 2.5 * (x_hi - x_lo) / max(width, 1)
        label = fig.text(cx + shift if right else cx - shift, cy, "correct",
                         alignment="left" if right else "right")
        if label is not None:  # plotext 6 returns the annotation to draw
            fig.draw(label)
    fig.legend(active=False)
    fig.ruler("y").lim(y_lo, y_hi)
    if len(y_ticks) > 1:
        ystep = y_ticks[1] - y_ticks[0]
        fig.ruler("y").ticks(y_ticks, [tick_text(v, ystep) for v in y_ticks])
    if curve.log_x:
        fig.ruler("x").scale("log")
        decades = [10.0 ** k for k in range(math.ceil(math.log10(max(x_lo, 1e-300))),
                                            math.floor(math.log10(x_hi)) + 1)]
        if decades:
            fig.ruler("x").ticks(decades, [f"{v:g}" for v in decades])
    else:
        x_ticks = nice_ticks(x_lo, x_hi, 7 if width >= 70 else 5)
        if len(x_ticks) > 1:
            xstep = x_ticks[1] - x_ticks[0]
            fig.ruler("x").ticks(x_ticks, [tick_text(v, xstep) for v in x_ticks])
    title = curve.y_label or " / ".join(curve.y_labels.values())
    if len(title) > width - 6:  # too long: the curves' names are in the caption; keep the unit
        title = f"({curve.y_unit})" if curve.y_unit else ""
    fig.title(title)
    fig.label(curve.x_label, axis="x")
    text = fig.build().string(colorless=not color)
    fig.clear()
    return text


def caption(curve: Curve, marks: Marks) -> str:
    """What the markers mean: a line naming the curves (if several), then one for the points."""
    lines = []
    if len(curve.series) > 1:
        lines.append(
            "   ".join(
                f"{SERIES_SAMPLES[i % len(SERIES_SAMPLES)]} {curve.y_labels.get(name, name)}"
                for i, name in enumerate(curve.series)
            )
        )
    items = []
    if marks.correct is not None:
        items.append(f"{CORRECT_MARKER} correct: {marks.correct_text}")
    if marks.student_text:
        where = " (off the chart)" if marks.student_off_chart else ""
        items.append(f"{STUDENT_MARKER} your answer: {marks.student_text}{where}")
    if items:
        lines.append("   ".join(items))
    return "\n".join(lines)


def show(
    console: Console, instance: Instance, part: PartInstance, student_value: float | None = None
) -> bool:
    """Print the instance's curve under a worked solution; False (and nothing printed) when the
    template has no figure, the output is not a terminal, or the terminal is too narrow."""
    if not console.is_terminal or console.width < MIN_WIDTH:
        return False
    from rich.text import Text

    from psyq.curves import curve as make_curve

    from psyq.curves import for_part

    c = make_curve(instance)
    if c is not None:
        c = for_part(c, instance, part)
    if c is None:
        return False
    marks = marks_for(c, part, student_value)
    color = console.color_system is not None and not console.no_color
    text = render(c, marks, width=min(console.width - 2, MAX_WIDTH), color=color)
    if text is None:
        return False
    console.print(Text(f"  {c.title}", style="bold"))
    console.print(Text.from_ansi(text) if color else Text(text), crop=True, no_wrap=True)
    from psyq.render import nb

    for line in caption(c, marks).splitlines():
        console.print(Text("  " + nb(line), style="dim"))
    return True
