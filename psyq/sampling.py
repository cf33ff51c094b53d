"""Drawing the givens of many seeds at once, rounded as displayed, solved and checked.

Data flow (DESIGN.md): seed (+ pinned givens) → stable draws (:mod:`psyq.draws`) → givens, rounded
for display → compiled solution (:func:`psyq.solve.evaluate_steps`) → constraints.  A seed whose
draw breaks a constraint is drawn again (attempt 1, 2, … up to :data:`MAX_ATTEMPTS`), so the
values of a seed never depend on the other seeds of a batch.  Pinned givens are checked here
(:func:`check_pinned`, :func:`check_given_range`).

Why a module of its own: this is the numeric core (``solve_values``), a column per quantity;
turning its values into text is :mod:`psyq.batch`.
"""

from __future__ import annotations

import math
from typing import Any, Iterable, Mapping

from psyq import draws
from psyq import expr as E
from psyq.display import param_unit, tables, to_display_factor
from psyq.errors import InputError, PsyqError, PsyqWarning, TemplateError
from psyq.template import Param, Template

MAX_ATTEMPTS = 64  # rejection-sampling rounds before a template is declared unsatisfiable


def table_row_value(template: Template, p: Param, row: str) -> tuple[float, float, float]:
    """(value, low, high) of one table row, converted to the parameter's unit."""
    from psyq import units

    try:
        dv = tables(template).value(p.table, row, p.column)
    except PsyqError as exc:
        raise TemplateError(f"table lookup failed: {exc.message}", file=template.path,
                            key=f"params.{p.name}", hint=exc.hint) from None
    target = param_unit(template, p)
    factor = 1.0
    if target and dv.unit and dv.unit != target:
        factor = units.convert(1.0, units.unit(dv.unit), units.unit(target))
    value = float(dv.value)
    low = float(dv.low) if dv.low is not None else value
    high = float(dv.high) if dv.high is not None else value
    if p.range is not None and dv.low is None:
        raise TemplateError(f"table value {p.table}.{row}.{p.column} has no low..high range",
                            file=template.path, key=f"params.{p.name}.range",
                            hint="use scale: [a, b] instead, or add low/high to the table")
    return value * factor, low * factor, high * factor


def _table_values(template: Template, p: Param, rows: list[str]):
    """(value, low, high) per row, converted to the parameter's unit: an (n, 3) array.  Each
    distinct row is looked up once, in order of first appearance (so an error names the first
    failing row)."""
    import numpy as np

    found = {row: table_row_value(template, p, row) for row in dict.fromkeys(rows)}
    position = {row: i for i, row in enumerate(found)}
    table = np.array(list(found.values()), dtype=np.float64).reshape(-1, 3)
    return table[np.fromiter(map(position.__getitem__, rows), dtype=np.intp, count=len(rows))]


def _draw(template: Template, seeds, attempts, pinned: Mapping[str, Any]):
    """Draw every parameter for each seed at its attempt number; returns (numeric, categorical)."""
    import numpy as np

    n = len(seeds)
    numeric: dict[str, Any] = {}
    categorical: dict[str, list[str]] = {}
    attempt_values = np.unique(np.asarray(attempts, dtype=np.int64)).tolist()
    for name, p in template.params.items():
        if name in pinned:
            v = pinned[name]
            if p.categorical:
                categorical[name] = [str(v)] * n
            else:
                numeric[name] = np.full(n, float(v))
            continue
        u = np.empty(n)
        for a in attempt_values:
            mask = attempts == a
            u[mask] = draws.uniform01_array(template.id, name, seeds[mask], a)
        if p.kind == "uniform":
            raw = draws.scale_uniform(u, p.low, p.high)
        elif p.kind == "loguniform":
            raw = draws.scale_loguniform(u, p.low, p.high)
        elif p.kind == "choice":
            idx = draws.choose_index(u, len(p.choices))
            if p.categorical:
                categorical[name] = list(map(p.choices.__getitem__, idx.tolist()))
                continue
            raw = np.array([float(p.choices[i]) for i in idx])
        elif p.kind == "value":
            if isinstance(p.value, str):
                categorical[name] = [p.value] * n
                continue
            raw = np.full(n, float(p.value))
        elif p.kind == "table":
            rows = categorical[p.row] if p.row in categorical else [p.row] * n
            found = _table_values(template, p, rows)
            raw = found[:, 0]
            if p.scale is not None:
                raw = raw * draws.scale_loguniform(u, p.scale[0], p.scale[1])
            elif p.range == "uniform":
                raw = found[:, 1] + (found[:, 2] - found[:, 1]) * u
            elif p.range == "loguniform":
                raw = np.array([draws.scale_loguniform(float(ui), lo, hi)
                                for ui, lo, hi in zip(u, found[:, 1], found[:, 2])])
        else:  # expr
            env = {**numeric}
            missing = sorted(E.free_symbols(p.expr) - set(env))
            if missing:  # a name drawn later, or not drawn at all: say so rather than fail on it
                raise TemplateError(f"param {name} is computed from {', '.join(missing)}, which is not "
                                    "drawn before it", file=template.path, key=f"params.{name}",
                                    hint="list the params it uses above it, or use a drawn name")
            raw = np.asarray(E.evaluate_array(p.expr, env), dtype=np.float64) * np.ones(n)
        numeric[name] = _round_for_display(template, p, raw)
    return numeric, categorical


def _round_for_display(template: Template, p: Param, raw):
    """Round each value as it will be printed (in its display unit), then convert back."""
    import numpy as np

    if p.kind in ("value", "choice") and p.sigfigs is None and p.decimals is None:
        return raw
    factor = to_display_factor(template, p.name)
    shown = draws.round_display_array(np.asarray(raw, dtype=np.float64) * factor, p.sigfigs, p.decimals)
    return shown / factor if factor != 1.0 else shown


def check_seed(seed: Any) -> int:
    """A seed as psyq takes it (a whole number in [0, 2^63)), or an :class:`InputError`."""
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2**63:
        raise InputError(f"seed must be a whole number from 0 to 2^63−1, not {seed!r}")
    return seed


def check_given_range(template: Template, name: str, v: float) -> None:
    """A pinned given outside its symbol's min/max is refused (Omax = 2 would give 200 % occupancy)."""
    sym = template.symbols.get(name)
    if sym is not None and ((sym.min is not None and v < sym.min) or (sym.max is not None and v > sym.max)):
        unit = "" if sym.unit in ("", "fraction") else f" {sym.unit}"
        side = (f"below its minimum {sym.min:g}" if sym.min is not None and v < sym.min
                else f"above its maximum {sym.max:g}")
        hint = ("a bare number is a fraction here: write 0.9 or '90 %'" if sym.display_unit == "%"
                and sym.unit == "fraction" else f"{name} is the {sym.meaning}")
        raise InputError(f"{name} = {v:g}{unit} is {side}{unit}", hint=hint)


def check_pinned(template: Template, pinned: Mapping[str, Any]) -> dict[str, Any]:
    """Pinned givens as drawing uses them (a choice as text, a number as a float), each one
    checked: a given of the template, one of its choices, finite and within its symbol's range."""
    out = {}
    for name, value in pinned.items():
        if name not in template.params:
            raise InputError(f"'{name}' is not a given of {template.id}",
                             hint="givens: " + ", ".join(n for n, p in template.params.items() if not p.hidden))
        p = template.params[name]
        if p.categorical:
            if str(value) not in [str(c) for c in p.choices]:
                raise InputError(f"'{value}' is not a choice for {name}",
                                 hint="choices: " + ", ".join(map(str, p.choices)))
            out[name] = str(value)
        else:
            if isinstance(value, str):
                raise InputError(f"{name} needs a number")
            v = float(value)
            if not math.isfinite(v):
                raise InputError(f"{name} must be finite")
            check_given_range(template, name, v)
            out[name] = v
    return out


def solve_values(template: Template, seeds: Iterable[int], pinned: Mapping[str, Any] | None = None,
                 *, _teaching: bool = True):
    """Draw, round, solve and check constraints for many seeds at once.

    Returns (values: name → array, categorical: name → list, unattainable: part id → bool array).
    Seeds whose draws break a constraint are redrawn with the next attempt number, up to
    MAX_ATTEMPTS rounds; the result for a seed never depends on the other seeds in the batch.
    Pinned givens that can only break *teaching* constraints (template.teaching) are generated
    anyway, with a :class:`TeachingConstraintWarning` naming the misconceptions that coincide.
    """
    import numpy as np

    from psyq.solve import compile_template, evaluate_steps

    pinned = check_pinned(template, pinned or {})
    seeds = np.asarray(list(seeds), dtype=np.uint64)
    n = len(seeds)
    compiled = compile_template(template)
    attempts = np.zeros(n, dtype=np.int64)
    result_num: dict[str, Any] = {}
    result_cat: dict[str, list] = {}
    result_unatt: dict[str, Any] = {}
    todo = np.arange(n)
    for _round in range(MAX_ATTEMPTS):
        numeric, categorical = _draw(template, seeds[todo], attempts[todo], pinned)
        values = evaluate_steps(compiled, {k: v for k, v in numeric.items() if k in template.symbols})
        values.update({k: v for k, v in numeric.items() if k not in template.symbols})
        ok = np.ones(len(todo), dtype=bool)
        unatt = {}
        for part in template.parts:
            if part.unattainable_if is not None:
                un = np.asarray(E.evaluate_array(part.unattainable_if, values), dtype=bool) * np.ones(len(todo), dtype=bool)
            else:
                un = np.zeros(len(todo), dtype=bool)
            unatt[part.id] = un
            ok &= un | np.isfinite(values[part.ask])
        with np.errstate(all="ignore"):
            for node, _text in template.constraints:
                if _teaching or _text not in template.teaching:
                    ok &= np.asarray(E.evaluate_array(node, values), dtype=bool)
        if _round == 0:
            result_num = {k: np.full(n, np.nan) for k in values}
            result_cat = {k: [None] * n for k in categorical}
            result_unatt = {k: np.zeros(n, dtype=bool) for k in unatt}
        idx = todo[ok]
        for k, v in values.items():
            result_num[k][idx] = np.asarray(v)[ok]
        kept = np.nonzero(ok)[0].tolist()
        places = todo[ok].tolist()
        for k, v in categorical.items():
            column = result_cat[k]
            for j, i in zip(kept, places):
                column[i] = v[j]
        for k, v in unatt.items():
            result_unatt[k][idx] = v[ok]
        todo = todo[~ok]
        if len(todo) == 0:
            return result_num, result_cat, result_unatt
        if pinned and len(pinned) == len([p for p in template.params.values() if p.kind != "expr"]):
            break  # everything pinned: redrawing cannot help
        attempts[todo] += 1
    if pinned and _teaching and template.teaching:
        _teaching_fallback(template, seeds, todo, pinned, result_num, result_cat, result_unatt)
        return result_num, result_cat, result_unatt
    bad = int(seeds[todo[0]])
    what = "the pinned givens" if pinned else f"seed {bad}"
    raise TemplateError(f"{what} cannot satisfy the constraints of {template.id} after {MAX_ATTEMPTS} draws",
                        file=template.path, key="constraints",
                        hint="widen the parameter ranges or relax the constraints" if not pinned
                        else "choose pinned values that meet: " + "; ".join(t for _, t in template.constraints))


class TeachingConstraintWarning(PsyqWarning):
    """Pinned givens break a teaching constraint: the instance is made, a misconception coincides."""


def _teaching_fallback(template: Template, seeds, todo, pinned, result_num, result_cat, result_unatt) -> None:
    """An instructor's pinned givens win over teaching constraints (never over physical limits).

    The seeds in ``todo`` met no draw that satisfies every constraint; they are drawn again from
    attempt 0 with only the non-teaching constraints (so each stays a function of its own seed), a
    warning names the misconceptions that may now equal the answer, and the results are filled in.
    """
    import warnings

    import numpy as np

    num, cat, unatt = solve_values(template, seeds[todo].tolist(), pinned, _teaching=False)
    broken: list[str] = []
    with np.errstate(all="ignore"):
        for node, text in template.constraints:
            names = template.teaching.get(text)
            if names and not np.all(np.asarray(E.evaluate_array(node, num), dtype=bool)):
                broken.append(f"'{text}' ({', '.join(names)})")
    for k, v in num.items():
        result_num.setdefault(k, np.full(len(seeds), np.nan))[todo] = v
    for k, v in cat.items():
        column = result_cat.setdefault(k, [None] * len(seeds))
        for j, i in enumerate(todo.tolist()):
            column[i] = v[j]
    for k, v in unatt.items():
        result_unatt.setdefault(k, np.zeros(len(seeds), dtype=bool))[todo] = v
    given = ", ".join(f"{k}={v}" for k, v in pinned.items())
    warnings.warn(TeachingConstraintWarning(
        f"{template.id}: the pinned givens {given} break the teaching constraint "
        + "; ".join(broken) + ": those misconceptions may be indistinguishable from the answer"), stacklevel=3)
