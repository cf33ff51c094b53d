"""Curves behind a template's figure: y against x with the other givens of an instance held fixed.

Used by the terminal tutor (plotext) and by exports (matplotlib → SVG).  The relations are solved
again with x as a given (cached), so the curve comes from the same relations as the answer.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field


@dataclass
class Curve:
    title: str
    x_name: str
    x_label: str  # meaning and unit, e.g. "free drug concentration at SERT (nM)"
    x_unit: str
    x: list[float]  # in display units
    series: dict[str, list[float]]  # y name -> values in display units
    y_labels: dict[str, str]
    y_unit: str
    marks: dict[str, tuple[float, float]] = field(default_factory=dict)  # the instance's own point
    log_x: bool = False
    y_label: str = ""  # the y axis: what the curves have in common, with the display unit


def _factor(template, name: str) -> tuple[float, str]:
    from psyq import units

    sym = template.symbols[name]
    shown = sym.display_unit or sym.unit
    if shown == sym.unit:
        return 1.0, units.unit(shown).text
    return units.convert(1.0, units.unit(sym.unit), units.unit(shown)), units.unit(shown).text


def curve(instance, points: int = 200) -> Curve | None:
    """The figure of ``instance``'s template, or None when the template declares none."""
    import numpy as np

    from psyq import expr as E
    from psyq.solve import compile_template, evaluate_steps

    t = instance.template
    fig = t.figure
    if fig is None:
        return None
    values = instance.values
    x0 = values.get(fig.x, float("nan"))
    lo = E.evaluate(fig.x_min, values) if fig.x_min is not None else 0.0
    hi = E.evaluate(fig.x_max, values) if fig.x_max is not None else (3 * x0 if math.isfinite(x0) and x0 > 0 else 1.0)
    if fig.log_x:
        lo = lo if lo > 0 else hi / 1000
        xs = np.geomspace(lo, hi, points)
    else:
        xs = np.linspace(lo, hi, points)
    known = frozenset((set(t.givens) | {fig.x}) - set(fig.y))
    compiled = compile_template(t, known)
    env = {n: np.full(points, values[n]) for n in known if n != fig.x}
    env[fig.x] = xs
    solved = evaluate_steps(compiled, env)
    fx, x_unit = _factor(t, fig.x)
    series, labels = {}, {}
    y_unit = ""
    marks = {}
    for y in fig.y:
        fy, y_unit = _factor(t, y)
        series[y] = [float(v) * fy for v in np.asarray(solved[y], dtype=float)]
        labels[y] = plain_meaning(t.symbols[y].meaning)
        if math.isfinite(x0) and math.isfinite(values.get(y, float("nan"))):
            marks[y] = (x0 * fx, values[y] * fy)
    x_words = fig.x_label or plain_meaning(t.symbols[fig.x].meaning)
    y_words = fig.y_label or _common_label(list(labels.values()))
    return Curve(fig.title or t.title, fig.x, with_unit(x_words, x_unit), x_unit,
                 [float(v) * fx for v in xs], series, labels, y_unit, marks, fig.log_x,
                 with_unit(y_words, y_unit))


def plain_meaning(meaning: str) -> str:
    """A symbol's meaning as an axis or legend label: without its parenthesised asides ("(fraction
    of baseline)" reads wrong on an axis in %)."""
    import re

    return " ".join(re.sub(r"\s*\([^)]*\)", "", meaning).split()) or meaning


def with_unit(words: str, unit: str) -> str:
    return f"{words} ({unit})" if unit else words


def _common_label(labels: list[str]) -> str:
    """One y-axis label for several curves: the label itself for one; else their shared last words
    ("occupancy" for "SERT occupancy" and "NET occupancy"), else the labels joined."""
    if len(labels) == 1:
        return labels[0]
    words = [lab.split() for lab in labels]
    common: list[str] = []
    while all(len(w) > len(common) for w in words) and len({w[-1 - len(common)] for w in words}) < 2:
        common.insert(0, words[0][-1 - len(common)])
    return " ".join(common) if common else " / ".join(labels)


def for_part(c: Curve, instance, part) -> Curve | None:
    """``c`` as a student may see it with ``part``: without the curves (and points) of symbols a
    later part asks for, which would show those answers; None when nothing is left to draw."""
    from dataclasses import replace

    ids = [p.id for p in instance.parts]
    later = {p.ask for p in instance.parts[ids.index(part.id) + 1:]} if part.id in ids else set()
    if not later & (set(c.series) | {c.x_name}):
        return c
    series = {k: v for k, v in c.series.items() if k not in later}
    if not series:
        return None
    marks = {} if c.x_name in later else {k: v for k, v in c.marks.items() if k in series}
    labels = {k: v for k, v in c.y_labels.items() if k in series}
    y_label = c.y_label
    if len(series) < len(c.series) and not instance.template.figure.y_label:
        y_label = with_unit(_common_label(list(labels.values())), c.y_unit)
    return replace(c, series=series, y_labels=labels, marks=marks, y_label=y_label)


def nice_ticks(lo: float, hi: float, count: int = 7) -> list[float]:
    """Round tick positions inside [lo, hi]: the finest step of 1, 2 or 5 times a power of ten that
    gives at most ``count`` ticks (0, 20, 40 … rather than 6.8, 24.2 …)."""
    if not (math.isfinite(lo) and math.isfinite(hi)) or hi <= lo:
        return [lo] if math.isfinite(lo) else []
    power = 10 ** math.floor(math.log10((hi - lo) / count))
    for step in (power, 2 * power, 5 * power, 10 * power, 20 * power):
        first = math.ceil(lo / step - 1e-9)
        last = math.floor(hi / step + 1e-9)
        if last - first + 1 <= count:
            break
    return [round(k * step, 12) + 0.0 for k in range(first, last + 1)]


def tick_text(v: float, step: float) -> str:
    """A tick label with no more decimals than the step needs (20, 0.5, 2.5)."""
    decimals = max(0, -math.floor(math.log10(step) + 1e-9)) if step > 0 else 0
    if step > 0 and abs(step * 10 ** decimals - round(step * 10 ** decimals)) > 1e-9:
        decimals += 1
    return f"{v:.{decimals}f}"
