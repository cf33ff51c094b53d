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
        labels[y] = t.symbols[y].meaning
        if math.isfinite(x0) and math.isfinite(values.get(y, float("nan"))):
            marks[y] = (x0 * fx, values[y] * fy)
    x_label = f"{t.symbols[fig.x].meaning} ({x_unit})" if x_unit else t.symbols[fig.x].meaning
    return Curve(fig.title or t.title, fig.x, x_label, x_unit, [float(v) * fx for v in xs], series,
                 labels, y_unit, marks, fig.log_x)
