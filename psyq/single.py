"""One instance in pure Python: what ``generate_many(template, [seed], pinned)[0]`` gives, without numpy.

Why: ``psyq answer``, ``show`` and ``practice`` make one instance per process, and importing numpy
costs more CPU than everything else they do (docs/performance.md (f)).  The batch path
(:func:`psyq.instance.generate_many`) works a column at a time with numpy; for one row every step
of it has a scalar twin that gives the very same floats and texts:

* draws: :func:`psyq.draws.uniform01` and the scalar forms of ``scale_*``/``choose_index`` (the
  array forms are the same IEEE operations, and call ``math.exp`` per element);
* display rounding and formatting: ``round_display``/``format_number``, which the array forms
  call themselves for short arrays;
* solved unknowns and misconception values: :func:`psyq.expr.compile_scalar`, which
  ``evaluate_checked_array`` equals row for row by contract;
* texts: :func:`psyq.textfill.fill`, which the prepared column fill equals row for row;
* derived parameters, constraints and ``unattainable_if``: ``expr.evaluate_array``, repeated for
  one row by :func:`_like_array`.  The IEEE operations it vectorises (``+ − × /`` with numpy's
  division by zero, ``sqrt``, ``abs``, comparisons, ``and``/``or``, ``min``/``max``) round the same
  in Python, and its ``^``, ``exp`` and logarithms call libm per element through the very functions
  used here (``expr.LIKE_NUMPY``: numpy's nan/±inf where libm raises), so every verdict and every
  derived given is the same bits.

What this module cannot vouch for bit for bit raises :class:`Unsupported`, and
:func:`psyq.instance.generate` takes the batch path, which decides (and raises the same errors as
always): a ``min``/``max`` tie of −0.0 and 0.0 (which one numpy's SIMD loop keeps is its own
affair), arithmetic on a comparison's boolean (numpy computes it in its own types), pinned givens
that break teaching constraints (the fallback and its warning), no draw meeting the constraints,
a table lookup that fails, any error while drawing or solving.  tests/test_single.py compares the
two paths for every template of the bank over many seeds.
"""

from __future__ import annotations

import math
from typing import Any, Mapping

from psyq import draws
from psyq import expr as E
from psyq.errors import InputError, PsyqError


class Unsupported(Exception):
    """This instance is left to the batch path (see the module docstring)."""


def generate_one(template, seed: int, pinned: Mapping[str, Any] | None = None):
    """``generate_many(template, [seed], pinned)[0]``, computed without numpy, or
    :class:`Unsupported`.  Invalid seeds and pinned givens raise what the batch path raises."""
    from psyq.batch import renderer
    from psyq.sampling import check_pinned, check_seed

    if not (type(seed) is int and 0 <= seed < 2**63):
        seed = check_seed(seed)
    pinned_checked = check_pinned(template, pinned or {})
    from psyq.solve import compile_template

    compiled = compile_template(template)  # (the batch path's next step too: its errors are the same)
    try:
        values, categorical, unatt = _solve(template, compiled, seed, pinned_checked)
        return _render(renderer(template, compiled), seed, values, categorical, unatt, pinned_checked)
    except Unsupported:
        raise
    except Exception as exc:  # noqa: BLE001 - the batch path raises (or decides) the same way
        raise Unsupported(repr(exc)) from exc


# ------------------------------------------------------------------------------------------------
# Drawing and solving (sampling.solve_values for one seed)

def _solve(t, compiled, seed: int, pinned: Mapping[str, Any]):
    from psyq.sampling import MAX_ATTEMPTS

    all_pinned = bool(pinned) and len(pinned) == len([p for p in t.params.values() if p.kind != "expr"])
    for attempt in range(MAX_ATTEMPTS):
        numeric, categorical = _draw(t, seed, attempt, pinned)
        values = _evaluate_steps(compiled, {k: v for k, v in numeric.items() if k in t.symbols})
        values.update({k: v for k, v in numeric.items() if k not in t.symbols})
        ok = True
        unatt: dict[str, bool] = {}
        for part in t.parts:
            un = bool(_like_array(part.unattainable_if, values)) if part.unattainable_if is not None else False
            unatt[part.id] = un
            ok = ok and (un or math.isfinite(values[part.ask]))
        for node, _text in t.constraints:  # every one, as the batch path evaluates them
            ok = bool(_like_array(node, values)) and ok
        if ok:
            return values, categorical, unatt
        if all_pinned:
            break
    raise Unsupported("no draw met the constraints")  # teaching fallback or the error: batch path


def _draw(t, seed: int, attempt: int, pinned: Mapping[str, Any]):
    """sampling._draw for one seed at one attempt: (numeric, categorical)."""
    numeric: dict[str, float] = {}
    categorical: dict[str, Any] = {}
    for name, p in t.params.items():
        if name in pinned:
            v = pinned[name]
            if p.categorical:
                categorical[name] = str(v)
            else:
                numeric[name] = float(v)
            continue
        kind = p.kind
        if kind == "uniform":
            raw = float(draws.scale_uniform(draws.uniform01(t.id, name, seed, attempt), p.low, p.high))
        elif kind == "loguniform":
            raw = draws.scale_loguniform(draws.uniform01(t.id, name, seed, attempt), p.low, p.high)
        elif kind == "choice":
            i = draws.choose_index(draws.uniform01(t.id, name, seed, attempt), len(p.choices))
            if p.categorical:
                categorical[name] = p.choices[i]
                continue
            raw = float(p.choices[i])
        elif kind == "value":
            if isinstance(p.value, str):
                categorical[name] = p.value
                continue
            raw = float(p.value)
        elif kind == "table":
            row = categorical[p.row] if p.row in categorical else p.row
            value, low, high = _table_value(t, p, row)
            raw = value
            if p.scale is not None:
                u = draws.uniform01(t.id, name, seed, attempt)
                raw = raw * draws.scale_loguniform(u, p.scale[0], p.scale[1])
            elif p.range == "uniform":
                raw = low + (high - low) * draws.uniform01(t.id, name, seed, attempt)
            elif p.range == "loguniform":
                raw = draws.scale_loguniform(draws.uniform01(t.id, name, seed, attempt), low, high)
        else:  # expr
            raw = float(_like_array(p.expr, dict(numeric)))  # np.asarray(…, dtype=float64)
        numeric[name] = _round_one(t, p, raw)
    return numeric, categorical


def _round_one(t, p, raw: float) -> float:
    """sampling._round_for_display for one value (round_display_array is round_display for it)."""
    from psyq.display import to_display_factor

    if p.kind in ("value", "choice") and p.sigfigs is None and p.decimals is None:
        return raw
    factor = to_display_factor(t, p.name)
    shown = draws.round_display(float(raw * factor), p.sigfigs, p.decimals)
    return shown / factor if factor != 1.0 else shown


def _table_value(t, p, row) -> tuple[float, float, float]:
    """sampling.table_row_value, with its errors left for the batch path to word."""
    from psyq.sampling import table_row_value

    try:
        return table_row_value(t, p, row)
    except PsyqError:
        raise Unsupported("a table lookup that fails") from None


def _evaluate_steps(compiled, values: dict[str, float]) -> dict[str, float]:
    """solve.evaluate_steps for one row (evaluate_checked_array is compile_scalar, row by row)."""
    out = dict(values)
    nan = math.nan
    for step in compiled.steps:
        sym = compiled.template.symbols[step.unknown]
        missing = any(math.isnan(out[name]) for name in step.inputs)
        chosen = None
        for node in step.candidates:
            try:
                val = float(E.compile_scalar(node)(out))
                ok = True
            except InputError:
                val, ok = nan, False
            ok = ok and not missing
            if sym.positive:
                ok = ok and val >= 0
            if sym.min is not None:
                ok = ok and val >= sym.min - 1e-12 * max(1.0, abs(sym.min))
            if sym.max is not None:
                ok = ok and val <= sym.max + 1e-12 * max(1.0, abs(sym.max))
            cand = val if ok else nan
            chosen = cand if chosen is None or math.isnan(chosen) else chosen
        if chosen is None:
            raise Unsupported("a step without candidates")
        out[step.unknown] = chosen
    return out


def _like_array(node, env: Mapping[str, Any]):
    """``E.evaluate_array(node, env)`` for one row of floats, bit for bit, or :class:`Unsupported`
    where numpy's own behaviour is not one Python computes the same way (see the module docstring).

    ``+ − × /`` and ``sqrt`` are IEEE 754 operations, rounded the same in numpy and Python (numpy's
    division by zero gives ±inf or nan); ``^``, ``exp`` and the logarithms are the very libm calls
    ``evaluate_array`` makes per element, with numpy's values where libm raises
    (``E.LIKE_NUMPY``)."""
    if isinstance(node, E.Num):
        return node.value
    if isinstance(node, E.Sym):
        return env[node.name]
    if isinstance(node, E.Neg):
        return -_number(_like_array(node.operand, env))
    if isinstance(node, E.BinOp):
        a = _number(_like_array(node.left, env))
        b = _number(_like_array(node.right, env))
        op = node.op
        if op == "+":
            return a + b
        if op == "-":
            return a - b
        if op == "*":
            return a * b
        if op == "/":
            if b == 0:  # numpy's (IEEE) division by zero: ±inf, or nan for 0/0 and nan/0
                return math.nan if a == 0 or math.isnan(a) else math.copysign(math.inf, a) * math.copysign(1.0, b)
            return a / b
        return E.LIKE_NUMPY["^"](a, b)
    if isinstance(node, E.Call):
        args = [_number(_like_array(a, env)) for a in node.args]
        func = node.func
        if func in E.LIKE_NUMPY and len(args) == 1:
            return E.LIKE_NUMPY[func](args[0])
        if func == "abs" and len(args) == 1:
            return abs(args[0])
        if func == "sqrt" and len(args) == 1:  # correctly rounded in both
            x = args[0]
            return math.nan if x < 0 or math.isnan(x) else math.sqrt(x)
        if func in ("min", "max") and args:
            if any(math.isnan(x) for x in args):  # np.minimum/np.maximum propagate nan
                return math.nan
            best = min(args) if func == "min" else max(args)
            if any(x == best and math.copysign(1.0, x) != math.copysign(1.0, best) for x in args):
                raise Unsupported("a tie of signed zeros")  # which one numpy picks is its own
            return best
        raise Unsupported(f"numpy's {func}")
    if isinstance(node, E.Compare):  # (numpy compares a boolean as 0 or 1, as Python does)
        a = _like_array(node.left, env)
        b = _like_array(node.right, env)
        a = float(a) if type(a) is bool else _number(a)
        b = float(b) if type(b) is bool else _number(b)
        return {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b, "==": a == b, "!=": a != b}[node.op]
    if isinstance(node, E.BoolOp):
        vals = [bool(_like_array(v, env)) for v in node.values]  # every value, as numpy does
        if node.op == "and":
            return all(vals)
        if node.op == "or":
            return any(vals)
    raise Unsupported(f"node {node!r}")


def _number(x) -> float:
    """A float operand (numpy's arithmetic on booleans differs from Python's: not vouched for)."""
    if type(x) is float:
        return x
    if type(x) is int:
        return float(x)
    raise Unsupported(f"operand {x!r}")


# ------------------------------------------------------------------------------------------------
# Rendering (batch.Renderer.render for one row)

def _render(r, seed: int, values: dict[str, float], categorical: dict[str, Any], unatt: dict[str, bool],
            pinned: Mapping[str, Any]):
    from psyq.instance_model import Given, Instance

    t = r.t
    symbols = t.symbols
    shown: dict[str, str] = {}
    for name, _unit, _meaning in r.given_specs:
        shown[name] = _display(r, name, values[name], pinned=name in pinned)
    for name, value in values.items():
        if name not in shown and name in symbols:
            text = _display(r, name, value, sigfigs=4)
            shown[name] = text if math.isfinite(value) else "—"
    names = {k: r.choice_name(k, v) for k, v in categorical.items()}
    row = _Row(shown, values, names)
    text = row.fill(t.text)
    solution = row.fill(t.solution) if t.solution else None
    molar_mass = values.get(t.molar_mass) if t.molar_mass else None
    parts = [_part(r, p, row, unatt.get(p.id), molar_mass) for p in t.parts]
    givens = {name: Given(name, values[name], unit, shown[name], meaning, name in pinned)
              for name, unit, meaning in r.given_specs}
    return Instance(t, seed, givens, dict(categorical), dict(values), text, parts, solution, dict(pinned))


class _Row:
    """One row's displays, values and choice names (textfill.Columns for one instance)."""

    def __init__(self, shown: dict[str, str], values: dict[str, float], names: dict[str, str]):
        self.shown, self.values, self.names = shown, values, names
        self.math: dict[str, str] | None = None

    def fill(self, text: str) -> str:
        from psyq.textfill import fill

        return fill(text, self.shown, self.values, self.names)


def _display(r, name: str, x: float, *, pinned: bool = False, sigfigs: int | None = None) -> str:
    """Renderer.display_column for one value."""
    from psyq.display import natural_sigfigs, unit_suffix

    factor, unit_text = r.factor(name), r.unit_text(name)
    p = r.t.params.get(name)
    shown = x * factor
    if p is not None and not pinned:
        sf, dec = p.sigfigs, p.decimals
        natural = sf is None and dec is None
    else:
        sf, dec, natural = sigfigs, None, pinned
    suffix = unit_suffix(unit_text)
    if natural:
        return draws.format_number(shown, natural_sigfigs(shown), None) + suffix
    return draws.format_number(shown, sf or 4, dec) + suffix


def _part(r, p, row: _Row, unattainable: bool | None, molar_mass: float | None):
    """Renderer.part_columns for one row."""
    from psyq.display import unit_suffix
    from psyq.instance_model import Misconceived, PartInstance, SolutionStep
    from psyq.intervals import part_interval

    to_part, unit_text, _chain = r.parts[p.id]
    suffix = unit_suffix(unit_text)
    prompt = row.fill(p.prompt)
    miscs = []
    for m in p.misconceptions:
        try:
            raw, good = float(E.compile_scalar(m.expr)(row.values)), True
        except InputError:
            raw, good = math.nan, False
        mv = raw * to_part
        miscs.append(Misconceived(m.name, mv if good else None,
                                  draws.format_number(mv, p.sigfigs) + suffix if good else "—", m.feedback))
    symbol = row.values[p.ask]
    answered = math.isfinite(symbol) and not unattainable
    value = symbol * to_part
    display = draws.format_number(value, p.sigfigs) + suffix
    if p.rule is not None and p.rule.written_precision:
        low, high = part_interval(p, value) if answered else (None, None)
    else:
        half = p.atol + p.rtol * abs(value)
        low, high = value - half, value + half
    if not answered:
        value = symbol = low = high = None
        display = "not attainable"
    steps = [SolutionStep(*fields) for fields in _steps(r, p, row)]
    texts = row.fill(p.solution) if p.solution else None
    return PartInstance(p.id, p.ask, prompt, unit_text, value, display, low, high, p.rtol, p.atol, p,
                        miscs, steps, molar_mass, symbol, texts)


def _steps(r, p, row: _Row) -> list[tuple]:
    """Renderer.step_columns for one row."""
    from psyq.textfill import SubstPlan

    out = []
    for step in r.parts[p.id][2]:
        solved, subst, latex = r.step_text[step.unknown]
        plan = r.substs.get(subst)
        if plan is None:
            plan = r.substs[subst] = SubstPlan(subst)
        source = _math_row(r, row) if plan.has_numbers else row.shown
        substituted = plan.apply_column({k: [v] for k, v in source.items()}, 1,
                                        prefix=f"{step.unknown} = ")[0]
        value = row.values.get(step.unknown)
        if value is None:
            result = "not attainable"
        else:
            result = row.shown[step.unknown] if step.unknown in row.shown else "—"
            if not math.isfinite(value):
                result = "not attainable"
        out.append((step.unknown, step.relation, solved, substituted, result, latex, step.rearranged))
    return out


def _math_row(r, row: _Row) -> dict[str, str]:
    """Renderer._math_columns for one row: fractions shown as percentages substituted as fractions."""
    from psyq.display import natural_sigfigs

    if row.math is not None:
        return row.math
    out = dict(row.shown)
    for name in r.fraction_symbols:
        value = row.values.get(name)
        if value is None or name not in out:
            continue
        x = float(value)
        if math.isfinite(x):
            out[name] = (draws.format_number(x, natural_sigfigs(x)) if name in r.t.params
                         else draws.format_number(x, 4))
    row.math = out
    return out
