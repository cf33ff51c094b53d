"""Instances: a template with its givens drawn from a seed, its unknowns solved, and its key.

Data flow (DESIGN.md): seed (+ pinned givens) → stable draws → givens, rounded for display →
compiled solution → answers, accepted intervals, misconception values, worked solution.  Answers
are computed from the *displayed* givens, so a student who uses exactly what is printed is right.

:func:`generate` makes one instance; :func:`generate_many` makes many with one vectorised pass
(each instance is identical to the one :func:`generate` gives for its seed).  The JSON form
(:meth:`Instance.to_json`) is the stable contract of DESIGN.md.
"""

from __future__ import annotations

import functools
import gc
import hashlib
import json
import math
import re
from collections import deque
from dataclasses import dataclass, field
from itertools import repeat
from operator import setitem
from typing import Any, Iterable, Mapping

from psyq import draws
from psyq import expr as E
from psyq.errors import InputError, PsyqError, PsyqWarning, TemplateError
from psyq.template import PLACEHOLDER, Param, Part, Template

MAX_ATTEMPTS = 64  # rejection-sampling rounds before a template is declared unsatisfiable


@dataclass(frozen=True, slots=True)
class Given:
    """A given as drawn (or pinned) and shown.  Frozen: instances of one batch that drew the same
    value share one object."""

    name: str
    value: float  # in ``unit`` (the symbol's unit)
    unit: str
    display: str  # as printed to the student, in the display unit
    meaning: str
    pinned: bool = False

    def to_json(self) -> dict:
        return {"value": draws.canonical_float(self.value), "unit": self.unit, "display": self.display}


@dataclass(slots=True)
class Misconceived:
    name: str
    value: float | None  # in the part's unit
    display: str
    feedback: str


@dataclass(slots=True)
class SolutionStep:
    unknown: str
    relation: str
    solved: str  # e.g. "C = Ki*occ/(1 - occ)"
    substituted: str  # e.g. "C = 0.29 nM × 0.8/(1 − 0.8)"
    result: str  # e.g. "1.16 nM"
    latex: str = ""  # the solved form in LaTeX (for PDF/HTML)
    rearranged: bool = True  # False when the relation already reads "unknown = …"

    def to_json(self) -> dict:
        return {"unknown": self.unknown, "relation": self.relation, "solved": self.solved,
                "substituted": self.substituted, "result": self.result, "latex": self.latex,
                "rearranged": self.rearranged}


@dataclass(slots=True)
class PartInstance:
    id: str
    ask: str
    prompt: str
    unit: str  # the unit the answer is asked in
    value: float | None  # the answer in ``unit``; None when not attainable
    display: str
    low: float | None
    high: float | None
    rtol: float
    atol: float
    spec: Part
    misconceptions: list[Misconceived]
    steps: list[SolutionStep]
    molar_mass: float | None = None  # g/mol, for ng/mL ⇄ nM conversions while grading
    symbol_value: float | None = None  # the answer in the symbol's unit
    solution_text: str | None = None  # the part's own prose (template part ``solution``), filled

    @property
    def unattainable(self) -> bool:
        return self.value is None

    @property
    def hints(self) -> tuple[str, ...]:
        return self.spec.hints

    def regrade(self, *, rule=None, rtol: float | None = None, atol: float | None = None) -> None:
        """Grade this part under another rule or tolerance (an assignment item's override); the
        accepted interval follows.  ``rule=None`` with a tolerance means plain tolerance grading."""
        from dataclasses import replace

        rtol = self.spec.rtol if rtol is None else rtol
        atol = self.spec.atol if atol is None else atol
        if rule is not None:
            rtol, atol = rule.tolerances(rtol, atol)
        self.spec = replace(self.spec, rule=rule, rtol=rtol, atol=atol)
        self.rtol, self.atol = rtol, atol
        if self.value is not None:
            self.low, self.high = part_interval(self.spec, self.value)

    def to_json(self) -> dict:
        answer = {"value": None if self.value is None else draws.canonical_float(self.value),
                  "unit": self.unit, "display": self.display}
        data = {
            "id": self.id, "ask": self.ask, "prompt": self.prompt, "answer": answer,
            "accept": None if self.value is None else {
                "low": draws.canonical_float(self.low), "high": draws.canonical_float(self.high),
                "unit": self.unit},
            "tolerance": {"rtol": self.rtol, **({"atol": self.atol} if self.atol else {})},
            "points": self.spec.points,
            "hints": list(self.spec.hints),
            "misconceptions": [
                {"name": m.name, "value": None if m.value is None else draws.canonical_float(m.value),
                 "display": m.display, "feedback": m.feedback} for m in self.misconceptions],
            "solution": [s.to_json() for s in self.steps],
        }
        if self.solution_text is not None:
            data["text"] = self.solution_text
        if self.spec.rule is not None:
            r = self.spec.rule
            data["rule"] = {"kind": r.kind, "n": r.n, **({"m": r.m} if r.m is not None else {}),
                            "units": r.units}
        if self.value is None:
            data["unattainable"] = True
        return data


@dataclass(slots=True)
class Instance:
    template: Template
    seed: int
    givens: dict[str, Given]
    choices: dict[str, str]
    values: dict[str, float]  # every symbol and numeric parameter, in symbol units
    text: str
    parts: list[PartInstance]
    solution: str | None
    pinned: dict[str, Any] = field(default_factory=dict)

    @property
    def id(self) -> str:
        """sha256 of ``json.dumps({"t": content hash, "s": seed, "p": pinned}, sort_keys=True)``,
        16 hex digits.  The text is put together from its pieces (the pinned part once per
        template and pinned set) rather than serialised per instance: the same bytes, hashed."""
        prefix = _id_prefix(self.template.content_hash, tuple(sorted(self.pinned.items())))
        seed = str(self.seed) if type(self.seed) is int else json.dumps(self.seed)
        return hashlib.sha256(f'{prefix}{seed}, "t": "{self.template.content_hash}"}}'.encode()).hexdigest()[:16]

    def part(self, part_id: str | None = None) -> PartInstance:
        if part_id is None:
            return self.parts[0]
        for p in self.parts:
            if p.id == part_id:
                return p
        raise InputError(f"no part '{part_id}' in {self.template.id}",
                         hint="parts: " + ", ".join(p.id for p in self.parts))

    def to_json(self) -> dict:
        t = self.template
        return {
            "template": t.id,
            "seed": self.seed,
            "id": self.id,
            "title": t.title,
            "family": t.family,
            "difficulty": t.difficulty,
            "version": t.version,
            "text": self.text,
            "givens": {n: g.to_json() for n, g in self.givens.items()},
            "choices": dict(self.choices),
            "pinned": sorted(self.pinned),
            "parts": [p.to_json() for p in self.parts],
            "solution": self.solution,
            "sources": list(t.sources),
        }


@functools.lru_cache(maxsize=256)
def _id_prefix(content_hash: str, pinned: tuple) -> str:
    """The instance-id key up to the seed: ``{"p": {…}, "s": `` (sorted keys, json's separators)."""
    if not all(c in "0123456789abcdef" for c in content_hash):  # (a sha256: never escaped by json)
        raise ValueError(content_hash)
    p = {k: (v if isinstance(v, str) else repr(float(v))) for k, v in pinned}
    return '{"p": ' + json.dumps(p, sort_keys=True) + ', "s": '


# ------------------------------------------------------------------------------------------------
# Drawing the givens

def _tables(template: Template):
    from psyq.data import load_tables

    return load_tables(tuple(template.data_dirs))


def _param_unit(template: Template, p: Param) -> str | None:
    if p.name in template.symbols:
        return template.symbols[p.name].unit
    return p.unit


def _display_unit(template: Template, name: str) -> str | None:
    sym = template.symbols.get(name)
    if sym is None:
        return template.params[name].unit if name in template.params else None
    return sym.display_unit or sym.unit


def _to_display_factor(template: Template, name: str) -> float:
    """value_in_display_unit = value_in_symbol_unit * factor."""
    from psyq import units

    sym = template.symbols.get(name)
    if sym is None or not sym.display_unit or sym.display_unit == sym.unit:
        return 1.0
    return units.convert(1.0, units.unit(sym.unit), units.unit(sym.display_unit))


def table_row_value(template: Template, p: Param, row: str) -> tuple[float, float, float]:
    """(value, low, high) of one table row, converted to the parameter's unit."""
    from psyq import units

    try:
        dv = _tables(template).value(p.table, row, p.column)
    except PsyqError as exc:
        raise TemplateError(f"table lookup failed: {exc.message}", file=template.path,
                            key=f"params.{p.name}", hint=exc.hint) from None
    target = _param_unit(template, p)
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
    factor = _to_display_factor(template, p.name)
    shown = draws.round_display_array(np.asarray(raw, dtype=np.float64) * factor, p.sigfigs, p.decimals)
    return shown / factor if factor != 1.0 else shown


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


def _check_pinned(template: Template, pinned: Mapping[str, Any]) -> dict[str, Any]:
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

    pinned = _check_pinned(template, pinned or {})
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


# ------------------------------------------------------------------------------------------------
# Building instances

def generate(template: Template, seed: int, pinned: Mapping[str, Any] | None = None) -> Instance:
    """One instance: exactly ``generate_many(template, [seed], pinned)[0]``.  Computed in pure
    Python (psyq.single) so that a command making one instance never imports numpy; what that
    path cannot vouch for bit for bit goes the batch way."""
    from psyq import single

    try:
        return single.generate_one(template, seed, pinned)
    except single.Unsupported:
        return generate_many(template, [seed], pinned)[0]


def generate_many(template: Template, seeds: Iterable[int], pinned: Mapping[str, Any] | None = None,
                  *, with_solution: bool = True) -> list[Instance]:
    seeds = list(seeds)
    if not (seeds and set(map(type, seeds)) == {int} and min(seeds) >= 0 and max(seeds) < 2**63):
        seeds = [_check_seed(s) for s in seeds]  # (the quick test above passes any valid batch)
    pinned_checked = _check_pinned(template, pinned or {})
    values, categorical, unatt = solve_values(template, seeds, pinned_checked)
    from psyq.solve import compile_template

    return _renderer(template, compile_template(template)).render(
        seeds, values, categorical, unatt, pinned_checked, with_solution)


def render_distinct(template: Template, seeds: Iterable[int], pinned: Mapping[str, Any] | None = None
                    ) -> tuple[Batch, list[int]]:
    """:func:`generate_many` for output that is written, not kept: ``(batch, which)``, the columns
    of one rendered row per distinct draw, seed ``seeds[k]`` drawing row ``which[k]``.

    Everything of an instance but its seed and id is a function of its draw (the values, the
    categorical choices and which parts are unattainable), and a batch draws the same thing again
    and again (givens are rounded for display: occupancy-from-ki's 20,000 seeds draw ~1,100
    distinct problems), so each distinct draw is rendered once.  ``batch.seeds[j]`` is the first
    seed that drew row j; the caller supplies each seed's own seed and id."""
    import numpy as np

    seeds = list(seeds)
    if not (seeds and set(map(type, seeds)) == {int} and min(seeds) >= 0 and max(seeds) < 2**63):
        seeds = [_check_seed(s) for s in seeds]
    pinned_checked = _check_pinned(template, pinned or {})
    values, categorical, unatt = solve_values(template, seeds, pinned_checked)
    from psyq.solve import compile_template

    renderer = _renderer(template, compile_template(template))
    n = len(seeds)
    unseen = renderer.unseen  # (hidden draws that only feed others: occupancy-from-ki's ratio)
    first, which = _distinct_rows({k: v for k, v in values.items() if k not in unseen}, categorical, unatt, n)
    if first is None or len(first) * 4 > n * 3:  # mostly distinct: rendering every row is as cheap
        return renderer.columns(seeds, values, categorical, unatt, pinned_checked, True), list(range(n))
    take = first.tolist()
    return (renderer.columns([seeds[j] for j in take], {k: np.asarray(v)[first] for k, v in values.items()},
                             {k: [col[j] for j in take] for k, col in categorical.items()},
                             {k: np.asarray(v)[first] for k, v in unatt.items()}, pinned_checked, True),
            which)


def _distinct_rows(values: Mapping[str, Any], categorical: Mapping[str, list], unatt: Mapping[str, Any], n: int):
    """(first row of each distinct draw, index of each row's draw), or (None, None) when a choice is
    unhashable.  Values are compared as bits (-0.0 and 0.0 may print differently); choices by type
    and value (1, 1.0 and True are equal keys but dump differently)."""
    import numpy as np

    if n < 64:
        return None, None
    keys = [np.ascontiguousarray(v, dtype=np.float64).view(np.uint64) for v in values.values()]
    for col in categorical.values():
        index: dict = {}
        try:
            keys.append(np.fromiter((index.setdefault((type(v), v), len(index)) for v in col), np.uint64, n))
        except TypeError:
            return None, None
    keys += [np.asarray(v, dtype=np.uint64) for v in unatt.values()]
    if not keys:
        return None, None
    rows = np.ascontiguousarray(np.stack(keys, axis=1))
    rows = rows.view(np.dtype((np.void, rows.dtype.itemsize * rows.shape[1]))).reshape(n)
    _u, first, inverse = np.unique(rows, return_index=True, return_inverse=True)
    return first, inverse.reshape(-1).tolist()


def _check_seed(seed: Any) -> int:
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2**63:
        raise InputError(f"seed must be a whole number from 0 to 2^63−1, not {seed!r}")
    return seed


# One renderer per compiled template (compile_template keeps those for the life of the process):
# its prepared texts are made once, not on every call.
_RENDERERS: dict[int, tuple[Any, _Renderer]] = {}


def _renderer(template: Template, compiled) -> _Renderer:
    entry = _RENDERERS.get(id(compiled))
    if entry is None or entry[0] is not compiled:  # (holding ``compiled`` keeps its id unique)
        entry = _RENDERERS[id(compiled)] = (compiled, _Renderer(template, compiled))
    return entry[1]


class _Renderer:
    """Turns solved values into text, displays, intervals and worked solutions.

    It works a column at a time: every display of one quantity, every filled-in text and every
    misconception value is made for all the instances of a batch at once (numpy for arithmetic,
    array formatting from :mod:`psyq.draws`, each distinct drawn given formatted once), and only
    then are the instances put together, one object per instance.  Everything that depends only
    on the template (unit texts, display factors, prepared texts, solution chains) is worked out
    once here.  Each instance is exactly what rendering it on its own would give.
    """

    def __init__(self, template: Template, compiled):
        from psyq import units

        self.t = template
        self.compiled = compiled
        self.step_text = {s.unknown: (s.solved, s.substituted, s.latex) for s in compiled.steps}
        self._factors: dict[str, float] = {}
        self._unit_texts: dict[str, str] = {}
        self._fills: dict[str, _FillPlan] = {}
        self._substs: dict[str, _SubstPlan] = {}
        self._choice_name: dict[Any, str] = {}
        t = template
        self._given_specs = [
            (name, _param_unit(t, p) or "", t.symbols[name].meaning if name in t.symbols else name)
            for name, p in t.params.items()
            if not (p.hidden or p.categorical or (p.kind == "value" and isinstance(p.value, str)))]
        self._parts: dict[str, tuple] = {}
        for p in t.parts:
            sym = t.symbols[p.ask]
            to_part = (units.convert(1.0, units.unit(sym.unit), units.unit(p.unit))
                       if sym.unit != p.unit else 1.0)
            self._parts[p.id] = (to_part, units.unit(p.unit).text, compiled.chain_for(p.ask))

    def factor(self, name: str) -> float:
        f = self._factors.get(name)
        if f is None:
            f = self._factors[name] = _to_display_factor(self.t, name)
        return f

    def unit_text(self, name: str) -> str:
        u = self._unit_texts.get(name)
        if u is None:
            from psyq import units

            unit = _display_unit(self.t, name)
            u = self._unit_texts[name] = units.unit(unit).text if unit else ""
        return u

    def plan(self, text: str) -> _FillPlan:
        plan = self._fills.get(text)
        if plan is None:
            plan = self._fills[text] = _FillPlan(text)
        return plan

    def choice_name(self, key: str, value: Any) -> str:
        """:func:`_choice_names` for one choice value, looked up once."""
        try:
            return self._choice_name[value]
        except (KeyError, TypeError):
            shown = _choice_names(self.t, {key: value})[key]
            try:
                self._choice_name[value] = shown
            except TypeError:  # an unhashable choice: not cached
                pass
            return shown

    # -- columns ---------------------------------------------------------------------------------

    def display_column(self, name: str, values, *, pinned: bool = False, sigfigs: int | None = None,
                       few: bool = False) -> list[str]:
        """The display of ``name`` (in its display unit, with the unit) for every value: a drawn
        given as its parameter rounds it; a pinned given as typed; anything else to ``sigfigs``."""
        import numpy as np

        factor, unit_text = self.factor(name), self.unit_text(name)
        p = self.t.params.get(name)
        shown = np.asarray(values, dtype=np.float64) * factor
        if p is not None and not pinned:
            sf, dec = p.sigfigs, p.decimals
            natural = sf is None and dec is None
        else:
            sf, dec, natural = sigfigs, None, pinned
        suffix = _unit_suffix(unit_text)

        def texts(xs) -> list[str]:
            if natural:
                return [draws.format_number(x, _natural_sigfigs(x), None) + suffix for x in xs.tolist()]
            return draws.format_number_array(xs, sf or 4, dec, suffix=suffix)
        # Drawn givens (``few``) take few distinct values: each is formatted once.
        return _map_distinct(shown, texts) if few else texts(shown)

    def render(self, seeds: list[int], values: Mapping[str, Any], categorical: Mapping[str, list],
               unatt: Mapping[str, Any], pinned: Mapping[str, Any], with_solution: bool) -> list[Instance]:
        return self.columns(seeds, values, categorical, unatt, pinned, with_solution).instances()

    def columns(self, seeds: list[int], values: Mapping[str, Any], categorical: Mapping[str, list],
                unatt: Mapping[str, Any], pinned: Mapping[str, Any], with_solution: bool) -> Batch:
        """Every text, display and number of a batch, a column each (no object per row yet)."""
        import numpy as np

        t = self.t
        n = len(seeds)
        symbols = t.symbols
        # Displays, by name: the givens first (as drawn or pinned), then every other symbol to 4
        # significant figures ("—" where it has no finite value).
        shown: dict[str, list[str]] = {}
        for name, _unit, _meaning in self._given_specs:
            shown[name] = self.display_column(name, values[name], pinned=name in pinned, few=True)
        for name, col in values.items():
            if name not in shown and name in symbols:
                texts = self.display_column(name, col, sigfigs=4)
                finite = np.isfinite(col)
                if not finite.all():
                    texts = [s if ok else "—" for s, ok in zip(texts, finite.tolist())]
                shown[name] = texts
        names = {k: _map_values(col, lambda v, k=k: self.choice_name(k, v)) for k, col in categorical.items()}
        cols = _Columns(n, shown, values, names)
        text = self.plan(t.text).fill_column(cols)
        solution = self.plan(t.solution).fill_column(cols) if t.solution else None
        molar = values.get(t.molar_mass) if t.molar_mass else None
        molar_mass = molar.tolist() if molar is not None else [None] * n
        return Batch(t, seeds, values, categorical, pinned, text, solution,
                     [(name, unit, meaning, name in pinned, shown[name]) for name, unit, meaning in self._given_specs],
                     [self.part_columns(p, cols, unatt.get(p.id), with_solution) for p in t.parts], molar_mass)

    def part_columns(self, p: Part, cols: _Columns, unattainable, with_solution) -> PartColumns:
        """One part, for every row of the batch."""
        import numpy as np

        from psyq import expr as E

        n = cols.n
        to_part, unit_text, _chain = self._parts[p.id]
        suffix = _unit_suffix(unit_text)
        prompt = self.plan(p.prompt).fill_column(cols)
        miscs = []
        for m in p.misconceptions:
            raw, ok = E.evaluate_checked_array(m.expr, cols.values, n)
            mv = raw * to_part
            texts = draws.format_number_array(mv, p.sigfigs, suffix=suffix)
            mv_list = mv.tolist()
            if not ok.all():
                ok_list = ok.tolist()
                mv_list = [v if good else None for v, good in zip(mv_list, ok_list)]
                texts = [s if good else "—" for s, good in zip(texts, ok_list)]
            miscs.append((m.name, m.feedback, mv_list, texts))
        symbol = cols.values[p.ask]
        answered = np.isfinite(symbol)
        if unattainable is not None:
            answered &= ~np.asarray(unattainable, dtype=bool)
        value = symbol * to_part
        display = draws.format_number_array(value, p.sigfigs, suffix=suffix)
        if p.rule is not None and p.rule.written_precision:
            bounds = [part_interval(p, v) if good else (None, None)
                      for v, good in zip(value.tolist(), answered.tolist())]
            low = [b[0] for b in bounds]
            high = [b[1] for b in bounds]
        else:
            half = p.atol + p.rtol * np.abs(value)  # accepted_interval, a column at a time
            low, high = (value - half).tolist(), (value + half).tolist()
        symbol_list, value_list = symbol.tolist(), value.tolist()
        if not answered.all():
            ok_list = answered.tolist()
            value_list = [v if good else None for v, good in zip(value_list, ok_list)]
            symbol_list = [v if good else None for v, good in zip(symbol_list, ok_list)]
            display = [s if good else "not attainable" for s, good in zip(display, ok_list)]
            low = [v if good else None for v, good in zip(low, ok_list)]
            high = [v if good else None for v, good in zip(high, ok_list)]
        steps = self.step_columns(p, cols) if with_solution else []
        texts = self.plan(p.solution).fill_column(cols) if p.solution else None
        return PartColumns(p, unit_text, prompt, value_list, symbol_list, display, low, high, miscs, steps, texts)

    def step_columns(self, p: Part, cols: _Columns) -> list[tuple]:
        """The worked-solution steps of one part, a column per field."""
        import numpy as np

        out = []
        for step in self._parts[p.id][2]:
            solved, subst, latex = self.step_text[step.unknown]
            plan = self._substs.get(subst)
            if plan is None:
                plan = self._substs[subst] = _SubstPlan(subst)
            # Percentages read well on their own (max(33 %, 37 %)); in arithmetic with numbers
            # (1 − A0) the fraction is substituted instead.
            source = self._math_columns(cols) if plan.has_numbers else cols.shown
            substituted = plan.apply_column(source, cols.n, prefix=f"{step.unknown} = ")
            value = cols.values.get(step.unknown)
            if value is None:
                result = ["not attainable"] * cols.n
            else:
                finite = np.isfinite(value).tolist()
                result = cols.shown.get(step.unknown) or ["—"] * cols.n
                if not all(finite):
                    result = [r if ok else "not attainable" for r, ok in zip(result, finite)]
            out.append((step.unknown, step.relation, solved, substituted, result, latex, step.rearranged))
        return out

    def _math_columns(self, cols: _Columns) -> Mapping[str, list[str]]:
        """Values as they go into the arithmetic of a worked solution: a fraction shown to the
        student as a percentage is substituted as the fraction (0.63, not "63 %"), so that
        "1 − A0" reads 1 − 0.063 rather than 63 % − 1."""
        import numpy as np

        if cols.math is not None:
            return cols.math
        out = dict(cols.shown)
        for name in self._fraction_symbols:
            value = cols.values.get(name)
            if value is None or name not in out:
                continue
            natural = name in self.t.params
            texts = _map_distinct(np.asarray(value, dtype=np.float64), lambda xs, natural=natural: (
                [draws.format_number(x, _natural_sigfigs(x)) for x in xs.tolist()] if natural
                else draws.format_number_array(xs, 4)))
            finite = np.isfinite(value).tolist()
            out[name] = [s if ok else shown for s, ok, shown in zip(texts, finite, out[name])]
        cols.math = out
        return out

    @functools.cached_property
    def unseen(self) -> frozenset[str]:
        """Hidden parameters that no text, display, misconception or worked step of an instance
        reads (they only feed the draws of others), so instances that differ only in them are
        the same but for seed and id."""
        t = self.t
        seen = {name for name, _u, _m in self._given_specs}
        texts = [t.text, t.solution or ""] + [text or "" for p in t.parts for text in (p.prompt, p.solution)]
        for text in texts:
            seen.update(m.group(1) for m in PLACEHOLDER.finditer(text))
        for p in t.parts:
            seen.add(p.ask)
            for m in p.misconceptions:
                seen |= E.free_symbols(m.expr)
            for step in self._parts[p.id][2]:
                seen.add(step.unknown)
                seen.update(re.findall(r"\{([A-Za-z][A-Za-z0-9_]*)\}", self.step_text[step.unknown][1]))
        if t.molar_mass:
            seen.add(t.molar_mass)
        return frozenset(n for n, p in t.params.items() if p.hidden and n not in seen)

    @functools.cached_property
    def _fraction_symbols(self) -> tuple[str, ...]:
        return tuple(n for n, s in self.t.symbols.items()
                     if s.display_unit and s.display_unit != s.unit and s.unit in ("fraction", ""))


@dataclass
class PartColumns:
    """One part of a batch, a column per field (None in ``value``, ``low``, ``high``, ``symbol``
    where the part is not attainable)."""

    part: Part
    unit_text: str
    prompt: list[str]
    value: list
    symbol: list
    display: list[str]
    low: list
    high: list
    misconceptions: list[tuple[str, str, list, list[str]]]  # (name, feedback, values, displays)
    steps: list[tuple]  # (unknown, relation, solved, substituted, result, latex, rearranged) columns
    solution: list[str] | None  # the part's own prose, filled in


@dataclass
class Batch:
    """A rendered batch, a column per field, before (or instead of) an object per instance."""

    template: Template
    seeds: list[int]
    values: Mapping[str, Any]  # name -> array
    categorical: Mapping[str, list]
    pinned: Mapping[str, Any]
    text: list[str]
    solution: list[str] | None
    givens: list[tuple[str, str, str, bool, list[str]]]  # (name, unit, meaning, pinned, displays)
    parts: list[PartColumns]
    molar_mass: list

    def instances(self) -> list[Instance]:
        t, n = self.template, len(self.seeds)
        # This allocates many small objects and frees none: pausing the cyclic garbage collector
        # (which would otherwise rescan the growing lists again and again) halves its time.
        paused = gc.isenabled()
        if paused:
            gc.disable()
        try:
            parts = _rows([self._part_objects(pc) for pc in self.parts], n)
            givens = _dict_rows([g[0] for g in self.givens],
                                [_given_column(name, unit, meaning, pinned, self.values[name], shown)
                                 for name, unit, meaning, pinned, shown in self.givens], n)
            chosen = _dict_rows(list(self.categorical), list(self.categorical.values()), n)
            numbers = _dict_rows(list(self.values), [v.tolist() for v in self.values.values()], n)
            solution = self.solution if self.solution is not None else [None] * n
            # map() over the columns: the constructor is called from C, with no per-row bytecode.
            return list(map(Instance, repeat(t), self.seeds, givens, chosen, numbers, self.text, parts, solution,
                            _dict_rows(list(self.pinned), [repeat(v, n) for v in self.pinned.values()], n)))
        finally:
            if paused:
                gc.enable()

    def _part_objects(self, pc: PartColumns) -> list[PartInstance]:
        p, n = pc.part, len(self.seeds)
        misc_rows = _rows([list(map(Misconceived, repeat(name), mvs, texts, repeat(feedback)))
                           for name, feedback, mvs, texts in pc.misconceptions], n)
        step_rows = _rows([list(map(SolutionStep, repeat(unknown), repeat(relation), repeat(solved), subst,
                                    result, repeat(latex), repeat(rearranged)))
                           for unknown, relation, solved, subst, result, latex, rearranged in pc.steps], n)
        return list(map(PartInstance, repeat(p.id), repeat(p.ask), pc.prompt, repeat(pc.unit_text), pc.value,
                        pc.display, pc.low, pc.high, repeat(p.rtol), repeat(p.atol), repeat(p), misc_rows, step_rows,
                        self.molar_mass, pc.symbol, pc.solution if pc.solution is not None else repeat(None, n)))


@dataclass
class _Columns:
    """One batch's columns: displays and choice names (lists of text) and values (arrays)."""

    n: int
    shown: dict[str, list[str]]
    values: Mapping[str, Any]
    names: dict[str, list[str]]
    math: dict[str, list[str]] | None = None  # _Renderer._math_columns, once per batch

    def token(self, name: str, attr: str | None) -> list[str]:
        """The text a ``{name}`` / ``{name.value}`` / ``{name.unit}`` placeholder becomes, per row."""
        if name in self.names:
            return self.names[name]
        display = self.shown.get(name)
        if display is None:
            value = self.values.get(name)
            if value is None:
                return ["—"] * self.n
            return draws.format_number_array(value, 3)
        if attr == "value":
            return _map_values(display, lambda d: d.split(" ")[0])
        if attr == "unit":
            return _map_values(display, lambda d: d.partition(" ")[2])
        return display

    def row(self, i: int) -> tuple[dict, dict, dict]:
        """(shown, vals, names) of row ``i`` as the one-row :func:`_fill` takes them."""
        return ({k: v[i] for k, v in self.shown.items()},
                {k: float(v[i]) for k, v in self.values.items()},
                {k: v[i] for k, v in self.names.items()})


def _given_column(name: str, unit: str, meaning: str, pinned: bool, values, displays: list[str]) -> list[Given]:
    """One :class:`Given` per row; rows that drew the same value (as bits) share one object (its
    display is a function of the value)."""
    import numpy as np

    x = np.asarray(values, dtype=np.float64)
    vlist = x.tolist()
    if len(x) >= 64:
        _bits, first, inverse = np.unique(x.view(np.uint64), return_index=True, return_inverse=True)
        if len(first) * 4 <= len(x):
            objs = [Given(name, vlist[j], unit, displays[j], meaning, pinned) for j in first.tolist()]
            return [objs[k] for k in inverse.reshape(-1).tolist()]
    return [Given(name, v, unit, d, meaning, pinned) for v, d in zip(vlist, displays)]


def _map_distinct(x, format_many) -> list[str]:
    """``format_many(x)`` (an array → list of texts), computed once per distinct value of ``x``
    (distinct as bits: -0.0 and 0.0 may print differently)."""
    import numpy as np

    x = np.asarray(x, dtype=np.float64)
    if len(x) < 64:
        return format_many(x)
    bits, first, inverse = np.unique(x.view(np.uint64), return_index=True, return_inverse=True)
    if len(bits) * 4 > len(x):  # mostly distinct: sorting would not pay
        return format_many(x)
    texts = format_many(x[first])
    return [texts[j] for j in inverse.reshape(-1).tolist()]


def _rows(columns: list[list], n: int) -> list[list]:
    """Columns of objects → one list per row (a new list each)."""
    if not columns:
        return [[] for _ in range(n)]
    return list(map(list, zip(*columns)))


def _dict_rows(keys: list[str], columns: list[list], n: int) -> list[dict]:
    """Columns by key → one dict per row (a new dict each)."""
    rows: list[dict] = [{} for _ in range(n)]
    for key, column in zip(keys, columns):  # a key at a time: setitem mapped in C over the rows
        deque(map(setitem, rows, repeat(key), column), maxlen=0)
    return rows


def _map_values(col: list, fn) -> list:
    """``[fn(v) for v in col]`` with ``fn`` called once per distinct value (the columns it maps,
    choice names and displays, repeat their values a lot)."""
    try:
        mapping = {v: fn(v) for v in set(col)}
    except TypeError:  # an unhashable value: mapped one by one
        return [fn(v) for v in col]
    if all(k is v for k, v in mapping.items()):
        return col  # fn changed nothing
    return list(map(mapping.__getitem__, col))


def _unit_suffix(unit: str) -> str:
    """What follows a number: " nM"; nothing after a fraction (shown as a bare number)."""
    return "" if not unit or unit in ("fraction", "1") else " " + unit  # "1": a dimensionless coefficient


def part_interval(p: Part, value: float) -> tuple[float, float]:
    """The accepted interval of a part's answer: its tolerance, or what its precision rule accepts."""
    low, high = accepted_interval(value, p.rtol, p.atol)
    if p.rule is None or not p.rule.written_precision:
        return low, high
    from psyq import numeric_rules as R

    n = int(p.rule.n)
    written = draws.format_number(value, decimals=n, plain=True) if p.rule.kind == "decimals" \
        else draws.format_number(value, n, plain=True)
    res = R.num_decplaces(written, value, n) if p.rule.kind == "decimals" else R.num_sigfigs(written, value, n)
    return res.interval if res.interval is not None else (low, high)


def accepted_interval(value: float, rtol: float, atol: float) -> tuple[float, float]:
    """|s − t| ≤ atol + rtol·|t|, as an interval (DESIGN.md grading contract), exact at the ends."""
    from psyq.grading import accepted_interval as exact  # the one boundary rule (docs/grading.md §4.2)

    return exact(value, rtol, atol)


def _natural_sigfigs(x: float) -> int:
    """Significant figures of the shortest text for ``x`` (pinned values print as typed)."""
    text = format(x, ".12g")
    mant = text.split("e")[0].lstrip("-").replace(".", "").lstrip("0")
    return max(1, min(12, len(mant)))


def _choice_names(t: Template, cats: Mapping[str, str]) -> dict[str, str]:
    """Display names for categorical choices (drug keys become drug names)."""
    names = {}
    for k, v in cats.items():
        shown = str(v)
        try:
            shown = _tables(t).display_name(v)
        except Exception:  # noqa: BLE001 - a choice that is not a table row is shown as written
            shown = str(v).replace("_", " ")
        names[k] = shown
    return names


def _fill(text: str, shown: Mapping[str, str], vals: Mapping[str, float], names: Mapping[str, str]) -> str:
    """Replace {name}, {name.value}, {name.unit}, {name.name} placeholders; {{ }} are literal braces."""
    def sub(m: re.Match) -> str:
        name, attr = m.group(1), m.group(2)
        if name in names:
            return names[name]
        display = shown.get(name)
        if display is None:
            value = vals.get(name)
            return "—" if value is None else draws.format_number(value, 3)
        if attr == "value":
            return display.split(" ")[0]
        if attr == "unit":
            return display.partition(" ")[2]
        return display

    out = []
    for chunk in re.split(r"(\{\{|\}\})", text):
        if chunk == "{{":
            out.append("{")
        elif chunk == "}}":
            out.append("}")
        else:
            out.append(PLACEHOLDER.sub(sub, chunk))
    return _reflow("".join(out).strip())


_MARK_OPEN, _MARK_CLOSE = "\ue000", "\ue001"  # private-use characters: never whitespace
_MARK = re.compile("\ue000(\\d+)\ue001")
# Characters at which str.splitlines() breaks a line (a filled-in value must contain none of them
# for the prepared reflow to be exact).
_LINE_BREAKS = re.compile("[\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")


class _FillPlan:
    """:func:`_fill` for one text, prepared once.

    The text is split into literal pieces and placeholders, and reflowed once with a marker in
    place of each placeholder.  Filling in is then a join, a whole column of rows at once.  That
    equals ``_fill`` exactly whenever every filled-in value is non-empty, neither starts nor ends
    with whitespace and holds no line break (then no line strip, paragraph split or blank-line test
    can see a difference between a marker and its value); a row with any other value falls back
    to ``_fill`` itself.
    """

    def __init__(self, text: str):
        self.text = text
        pieces: list[Any] = []
        for chunk in re.split(r"(\{\{|\}\})", text):
            if chunk == "{{":
                pieces.append("{")
            elif chunk == "}}":
                pieces.append("}")
            else:
                pos = 0
                for m in PLACEHOLDER.finditer(chunk):
                    pieces.append(chunk[pos:m.start()])
                    pieces.append((m.group(1), m.group(2)))
                    pos = m.end()
                pieces.append(chunk[pos:])
        self.usable = _MARK_OPEN not in text and _MARK_CLOSE not in text
        tokens = []
        marked_pieces = []
        for p in pieces:
            if isinstance(p, str):
                marked_pieces.append(p)
            else:
                marked_pieces.append(f"{_MARK_OPEN}{len(tokens)}{_MARK_CLOSE}")
                tokens.append(p)
        marked = "".join(marked_pieces)
        flowed = _reflow_lines(marked.strip())
        self.tokens = tokens
        # literal text at even places, token numbers at odd places
        self.segments: list[Any] = [int(part) if k % 2 else part
                                    for k, part in enumerate(_MARK.split(flowed))]
        if self.segments[1::2] != list(range(len(tokens))):  # pragma: no cover - defensive
            self.usable = False  # (cannot happen: reflow neither drops nor reorders markers)
        # The capital letter of _reflow: decided now when the text opens with literal text.
        first = self.segments[0]
        self.capital_known = bool(first)
        if first and first[:1].isalpha():
            self.segments[0] = first[:1].upper() + first[1:]

    def fill_column(self, cols: _Columns) -> list[str]:
        """The text filled in for every row of a batch: equal, row by row, to :func:`_fill`."""
        n = cols.n
        if not self.usable:
            return [_fill(self.text, *cols.row(i)) for i in range(n)]
        if not self.tokens:
            text = "".join(self.segments)
            if not self.capital_known:
                text = text[:1].upper() + text[1:] if text[:1].isalpha() else text
            return [text] * n
        columns = [cols.token(name, attr) for name, attr in self.tokens]
        # Rows where a filled-in value could change the reflow go the long way (see the class).
        bad: set[int] = set()
        for col in columns:
            odd = {v for v in set(col) if not v or v.strip() != v or _LINE_BREAKS.search(v)}
            if odd:
                bad.update(i for i, v in enumerate(col) if v in odd)
        if not self.capital_known:  # the text opens with the first value: capitalise it
            columns[0] = _map_values(columns[0], lambda v: v[:1].upper() + v[1:] if v[:1].isalpha() else v)
        pieces = self.segments.copy()
        pieces[1::2] = columns  # markers survive the reflow in order, one each: odd places
        out = _join_rows(pieces, n)
        for i in bad:
            out[i] = _fill(self.text, *cols.row(i))
        return out


class _SubstPlan:
    """A worked-solution line with slots ({C}) for the values substituted into it, prepared once:
    literal pieces and slot names."""

    def __init__(self, template_text: str):
        self.pieces = re.split(r"\{([A-Za-z][A-Za-z0-9_]*)\}", template_text)
        self.has_numbers = any(re.search(r"\d", p) for p in self.pieces[0::2])

    def apply_column(self, shown: Mapping[str, list[str]], n: int, prefix: str = "") -> list[str]:
        """``prefix`` and the line with each row's values in its slots, for every row of a batch.  A
        slot missing from ``shown`` keeps its name; "(0.44 nM)^1.41", "(-3)": a value with a unit
        or a sign is grouped where it matters."""
        pieces = self.pieces
        parts: list[Any] = [prefix]
        for k, piece in enumerate(pieces):
            if k % 2:
                col = shown.get(piece)
                if col is None:
                    col = [piece] * n
                raised = k + 1 < len(pieces) and pieces[k + 1].startswith("^")
                parts.append(_map_values(col, lambda v, raised=raised: (
                    f"({v})" if v.startswith("-") or (raised and " " in v) else v)))
            else:
                parts.append(piece)
        return _join_rows(parts, n)


def _join_rows(pieces: list, n: int) -> list[str]:
    """Row ``i`` of the result joins, in order, each piece that is a text and element ``i`` of each
    piece that is a column."""
    if all(isinstance(p, str) for p in pieces):
        return ["".join(pieces)] * n
    return list(map("".join, zip(*[repeat(p) if isinstance(p, str) else p for p in pieces if p != ""])))


def _reflow_lines(text: str) -> str:
    """The line joining of :func:`_reflow`, without the capital letter."""
    paragraphs = [" ".join(line.strip() for line in para.splitlines() if line.strip())
                  for para in re.split(r"\n\s*\n", text)]
    return "\n\n".join(p for p in paragraphs if p)


def _reflow(text: str) -> str:
    """YAML block text keeps the author's line breaks; join lines, keep blank-line paragraphs,
    and start with a capital letter (a drug name often opens the stem)."""
    text = _reflow_lines(text)
    return text[:1].upper() + text[1:] if text[:1].isalpha() else text
