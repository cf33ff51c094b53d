"""Instances: a template with its givens drawn from a seed, its unknowns solved, and its key.

Data flow (DESIGN.md): seed (+ pinned givens) → stable draws → givens, rounded for display →
compiled solution → answers, accepted intervals, misconception values, worked solution.  Answers
are computed from the *displayed* givens, so a student who uses exactly what is printed is right.

:func:`generate` makes one instance; :func:`generate_many` makes many with one vectorised pass
(each instance is identical to the one :func:`generate` gives for its seed).  The JSON form
(:meth:`Instance.to_json`) is the stable contract of DESIGN.md.
"""

from __future__ import annotations

import gc
import functools
import hashlib
import json
import math
import re
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

from psyq import draws
from psyq import expr as E
from psyq.errors import InputError, PsyqError, TemplateError
from psyq.template import PLACEHOLDER, Param, Part, Template

MAX_ATTEMPTS = 64  # rejection-sampling rounds before a template is declared unsatisfiable


@dataclass
class Given:
    name: str
    value: float  # in ``unit`` (the symbol's unit)
    unit: str
    display: str  # as printed to the student, in the display unit
    meaning: str
    pinned: bool = False

    def to_json(self) -> dict:
        return {"value": draws.canonical_float(self.value), "unit": self.unit, "display": self.display}


@dataclass
class Misconceived:
    name: str
    value: float | None  # in the part's unit
    display: str
    feedback: str


@dataclass
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


@dataclass
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
        if self.spec.rule is not None:
            r = self.spec.rule
            data["rule"] = {"kind": r.kind, "n": r.n, **({"m": r.m} if r.m is not None else {}),
                            "units": r.units}
        if self.value is None:
            data["unattainable"] = True
        return data


@dataclass
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
        key = json.dumps({"t": self.template.content_hash, "s": self.seed,
                          "p": {k: (v if isinstance(v, str) else repr(float(v)))
                                for k, v in sorted(self.pinned.items())}}, sort_keys=True)
        return hashlib.sha256(key.encode()).hexdigest()[:16]

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


def _table_values(template: Template, p: Param, rows: list[str]) -> list[tuple[float, float, float]]:
    """(value, low, high) per row, converted to the parameter's unit."""
    from psyq import units

    tables = _tables(template)
    target = _param_unit(template, p)
    out = []
    cache: dict[str, tuple[float, float, float]] = {}
    for row in rows:
        if row not in cache:
            try:
                dv = tables.value(p.table, row, p.column)
            except PsyqError as exc:
                raise TemplateError(f"table lookup failed: {exc.message}", file=template.path,
                                    key=f"params.{p.name}", hint=exc.hint) from None
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
            cache[row] = (value * factor, low * factor, high * factor)
        out.append(cache[row])
    return out


def _draw(template: Template, seeds, attempts, pinned: Mapping[str, Any]):
    """Draw every parameter for each seed at its attempt number; returns (numeric, categorical)."""
    import numpy as np

    n = len(seeds)
    numeric: dict[str, Any] = {}
    categorical: dict[str, list[str]] = {}
    attempt_values = sorted(set(int(a) for a in attempts))
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
                categorical[name] = [p.choices[i] for i in idx]
                continue
            raw = np.array([float(p.choices[i]) for i in idx])
        elif p.kind == "value":
            if isinstance(p.value, str):
                categorical[name] = [p.value] * n
                continue
            raw = np.full(n, float(p.value))
        elif p.kind == "table":
            rows = categorical[p.row] if p.row in categorical else [p.row] * n
            found = np.array(_table_values(template, p, rows)).reshape(n, 3)
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
            raw = np.asarray(E.evaluate_array(p.expr, env), dtype=np.float64) * np.ones(n)
        numeric[name] = _round_for_display(template, p, raw)
    return numeric, categorical


def _round_for_display(template: Template, p: Param, raw):
    """Round each value as it will be printed (in its display unit), then convert back."""
    import numpy as np

    if p.kind in ("value", "choice") and p.sigfigs is None and p.decimals is None:
        return raw
    factor = _to_display_factor(template, p.name)
    shown = [draws.round_display(float(v) * factor, p.sigfigs, p.decimals) if math.isfinite(v) else v
             for v in raw]
    return np.array(shown, dtype=np.float64) / factor if factor != 1.0 else np.array(shown, dtype=np.float64)


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


def solve_values(template: Template, seeds: Iterable[int], pinned: Mapping[str, Any] | None = None):
    """Draw, round, solve and check constraints for many seeds at once.

    Returns (values: name → array, categorical: name → list, unattainable: part id → bool array).
    Seeds whose draws break a constraint are redrawn with the next attempt number, up to
    MAX_ATTEMPTS rounds; the result for a seed never depends on the other seeds in the batch.
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
                ok &= np.asarray(E.evaluate_array(node, values), dtype=bool)
        if _round == 0:
            result_num = {k: np.full(n, np.nan) for k in values}
            result_cat = {k: [None] * n for k in categorical}
            result_unatt = {k: np.zeros(n, dtype=bool) for k in unatt}
        idx = todo[ok]
        for k, v in values.items():
            result_num[k][idx] = np.asarray(v)[ok]
        for k, v in categorical.items():
            for j in np.nonzero(ok)[0]:
                result_cat[k][todo[j]] = v[j]
        for k, v in unatt.items():
            result_unatt[k][idx] = v[ok]
        todo = todo[~ok]
        if len(todo) == 0:
            return result_num, result_cat, result_unatt
        if pinned and len(pinned) == len([p for p in template.params.values() if p.kind != "expr"]):
            break  # everything pinned: redrawing cannot help
        attempts[todo] += 1
    bad = int(seeds[todo[0]])
    what = "the pinned givens" if pinned else f"seed {bad}"
    raise TemplateError(f"{what} cannot satisfy the constraints of {template.id} after {MAX_ATTEMPTS} draws",
                        file=template.path, key="constraints",
                        hint="widen the parameter ranges or relax the constraints" if not pinned
                        else "choose pinned values that meet: " + "; ".join(t for _, t in template.constraints))


# ------------------------------------------------------------------------------------------------
# Building instances

def generate(template: Template, seed: int, pinned: Mapping[str, Any] | None = None) -> Instance:
    return generate_many(template, [seed], pinned)[0]


def generate_many(template: Template, seeds: Iterable[int], pinned: Mapping[str, Any] | None = None,
                  *, with_solution: bool = True) -> list[Instance]:
    seeds = [_check_seed(s) for s in seeds]
    pinned_checked = _check_pinned(template, pinned or {})
    values, categorical, unatt = solve_values(template, seeds, pinned_checked)
    from psyq.solve import compile_template

    compiled = compile_template(template)
    renderer = _Renderer(template, compiled)
    # Plain Python lists: indexing them is much cheaper than indexing numpy arrays element by
    # element, and .tolist() gives the very same Python floats/bools that float(v[i]) would.
    value_lists = [(k, [float(x) for x in v.tolist()]) for k, v in values.items()]
    cat_lists = list(categorical.items())
    unatt_lists = [(k, [bool(x) for x in v.tolist()]) for k, v in unatt.items()]
    out = []
    # The loop allocates many small objects and frees none: pausing the cyclic garbage collector
    # (which would otherwise rescan the growing list again and again) halves its time.
    paused = gc.isenabled()
    if paused:
        gc.disable()
    try:
        for i, seed in enumerate(seeds):
            vals = {k: v[i] for k, v in value_lists}
            cats = {k: v[i] for k, v in cat_lists}
            un = {k: v[i] for k, v in unatt_lists}
            out.append(renderer.instance(seed, vals, cats, un, pinned_checked, with_solution))
    finally:
        if paused:
            gc.enable()
    return out


def _check_seed(seed: Any) -> int:
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2**63:
        raise InputError(f"seed must be a whole number from 0 to 2^63−1, not {seed!r}")
    return seed


class _Renderer:
    """Turns solved values into text, displays, intervals and worked solutions.

    Everything that depends only on the template (unit texts, display factors, prepared text
    templates, compiled misconception expressions, solution chains) is worked out once here and
    cached, so that rendering one instance is string formatting and float arithmetic only.
    """

    def __init__(self, template: Template, compiled):
        from psyq import units

        self.t = template
        self.compiled = compiled
        self.step_text = {s.unknown: _step_templates(s) for s in compiled.steps}
        self._factors: dict[str, float] = {}
        self._unit_texts: dict[str, str] = {}
        self._fills: dict[str, _FillPlan] = {}
        self._substs: dict[str, _SubstPlan] = {}
        self._choice_name: dict[Any, str] = {}
        self._display_specs: dict[str, tuple] = {}
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
            miscs = [(m, E.compile_scalar(m.expr)) for m in p.misconceptions]
            self._parts[p.id] = (to_part, units.unit(p.unit).text, miscs, compiled.chain_for(p.ask))

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

    def fill(self, text: str, shown, vals, names) -> str:
        plan = self._fills.get(text)
        if plan is None:
            plan = self._fills[text] = _FillPlan(text)
        return plan.fill(shown, vals, names)

    def choice_names(self, cats: Mapping[str, str]) -> dict[str, str]:
        """:func:`_choice_names`, with the look-up of each choice value done once."""
        names = {}
        for k, v in cats.items():
            try:
                shown = self._choice_name[v]
            except (KeyError, TypeError):
                shown = _choice_names(self.t, {k: v})[k]
                try:
                    self._choice_name[v] = shown
                except TypeError:  # an unhashable choice: not cached
                    pass
            names[k] = shown
        return names

    def display_value(self, name: str, value: float, *, pinned: bool = False, sigfigs: int | None = None) -> str:
        spec = self._display_specs.get(name)
        if spec is None:
            p = self.t.params.get(name)
            spec = self._display_specs[name] = (
                self.factor(name), self.unit_text(name), p is not None,
                p.sigfigs if p is not None else None, p.decimals if p is not None else None)
        factor, unit_text, is_param, sf, dec = spec
        if is_param and not pinned:
            if sf is None and dec is None:
                sf = _natural_sigfigs(value * factor)
        else:
            sf, dec = sigfigs, None
            if pinned:
                sf = _natural_sigfigs(value * factor)
        number = draws.format_number(value * factor, sf or 4, dec)
        return f"{number} {unit_text}" if unit_text and unit_text != "fraction" else number

    def instance(self, seed, vals, cats, unatt, pinned, with_solution) -> Instance:
        t = self.t
        givens: dict[str, Given] = {}
        for name, unit, meaning in self._given_specs:
            is_pinned = name in pinned
            givens[name] = Given(name, vals[name], unit,
                                 self.display_value(name, vals[name], pinned=is_pinned),
                                 meaning, is_pinned)
        shown = {n: g.display for n, g in givens.items()}
        symbols = t.symbols
        for name, value in vals.items():
            if name not in shown and name in symbols:
                shown[name] = self.display_value(name, value, sigfigs=4) if math.isfinite(value) else "—"
        names = self.choice_names(cats)
        text = self.fill(t.text, shown, vals, names)
        molar_mass = vals.get(t.molar_mass) if t.molar_mass else None
        parts = [self.part(p, vals, shown, names, unatt.get(p.id, False), molar_mass, with_solution)
                 for p in t.parts]
        solution = self.fill(t.solution, shown, vals, names) if t.solution else None
        return Instance(t, seed, givens, dict(cats), vals, text, parts, solution, dict(pinned))

    def part(self, p: Part, vals, shown, names, unattainable, molar_mass, with_solution) -> PartInstance:
        to_part, unit_text, compiled_miscs, _chain = self._parts[p.id]
        prompt = self.fill(p.prompt, shown, vals, names)
        miscs = []
        for m, fn in compiled_miscs:
            try:
                mv = fn(vals) * to_part
            except InputError:
                mv = None
            disp = _with_unit(draws.format_number(mv, p.sigfigs), unit_text) if mv is not None else "—"
            miscs.append(Misconceived(m.name, mv, disp, m.feedback))
        if unattainable or not math.isfinite(vals[p.ask]):
            value = low = high = None
            display = "not attainable"
            symbol_value = None
        else:
            symbol_value = vals[p.ask]
            value = symbol_value * to_part
            display = _with_unit(draws.format_number(value, p.sigfigs), unit_text)
            low, high = part_interval(p, value)
        steps = self.steps(p, vals, shown, unattainable) if with_solution else []
        return PartInstance(p.id, p.ask, prompt, unit_text, value, display, low, high, p.rtol, p.atol, p,
                            miscs, steps, molar_mass, symbol_value)

    def _math_values(self, shown, vals) -> Mapping[str, str]:
        """Values as they go into the arithmetic of a worked solution: a fraction shown to the
        student as a percentage is substituted as the fraction (0.63, not "63 %"), so that
        "1 − A0" reads 1 − 0.063 rather than 63 % − 1."""
        fractions = self._fraction_symbols
        if not fractions:
            return shown
        out = dict(shown)
        for name in fractions:
            value = vals.get(name)
            if value is not None and math.isfinite(value) and name in shown:
                out[name] = draws.format_number(value, _natural_sigfigs(value) if name in self.t.params else 4)
        return out

    @functools.cached_property
    def _fraction_symbols(self) -> tuple[str, ...]:
        return tuple(n for n, s in self.t.symbols.items()
                     if s.display_unit and s.display_unit != s.unit and s.unit in ("fraction", ""))

    def steps(self, p: Part, vals, shown, unattainable) -> list[SolutionStep]:
        out = []
        for step in self._parts[p.id][3]:
            solved, subst, latex = self.step_text[step.unknown]
            plan = self._substs.get(subst)
            if plan is None:
                plan = self._substs[subst] = _SubstPlan(subst)
            # Percentages read well on their own (max(33 %, 37 %)); in arithmetic with numbers
            # (1 − A0) the fraction is substituted instead.
            subst_text = plan.apply(self._math_values(shown, vals) if plan.has_numbers else shown)
            value = vals.get(step.unknown, float("nan"))
            result = shown.get(step.unknown, "—") if math.isfinite(value) else "not attainable"
            out.append(SolutionStep(step.unknown, step.relation, solved, f"{step.unknown} = {subst_text}",
                                    result, latex, step.rearranged))
        return out


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
    """|s − t| ≤ atol + rtol·|t|, as an interval (DESIGN.md grading contract)."""
    half = atol + rtol * abs(value)
    return value - half, value + half


def _natural_sigfigs(x: float) -> int:
    """Significant figures of the shortest text for ``x`` (pinned values print as typed)."""
    text = format(x, ".12g")
    mant = text.split("e")[0].lstrip("-").replace(".", "").lstrip("0")
    return max(1, min(12, len(mant)))


def _with_unit(number: str, unit: str) -> str:
    if not unit or unit == "fraction":
        return number
    return f"{number} {unit}"


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
    place of each placeholder.  Filling in is then a join.  That equals ``_fill`` exactly whenever
    every filled-in value is non-empty, neither starts nor ends with whitespace and holds no line
    break (then no line strip, paragraph split or blank-line test can see a difference between a
    marker and its value); for any other value the plan falls back to ``_fill`` itself.
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

    def fill(self, shown: Mapping[str, str], vals: Mapping[str, float], names: Mapping[str, str]) -> str:
        if not self.usable:
            return _fill(self.text, shown, vals, names)
        values = []
        for name, attr in self.tokens:
            if name in names:
                v = names[name]
            else:
                display = shown.get(name)
                if display is None:
                    value = vals.get(name)
                    v = "—" if value is None else draws.format_number(value, 3)
                elif attr == "value":
                    v = display.split(" ")[0]
                elif attr == "unit":
                    v = display.partition(" ")[2]
                else:
                    v = display
            if not v or v.strip() != v:
                return _fill(self.text, shown, vals, names)
            values.append(v)
        if values and _LINE_BREAKS.search("".join(values)):
            return _fill(self.text, shown, vals, names)
        pieces = self.segments.copy()
        pieces[1::2] = values  # markers survive the reflow in order, one each: odd places
        text = "".join(pieces)
        if self.capital_known:
            return text
        return text[:1].upper() + text[1:] if text[:1].isalpha() else text


class _SubstPlan:
    """:func:`_substitute` for one prepared solution text: literal pieces and slot names."""

    def __init__(self, template_text: str):
        self.pieces = re.split(r"\{([A-Za-z][A-Za-z0-9_]*)\}", template_text)
        self.has_numbers = any(re.search(r"\d", p) for p in self.pieces[0::2])

    def apply(self, shown: Mapping[str, str]) -> str:
        out = []
        pieces = self.pieces
        for k, piece in enumerate(pieces):
            if k % 2:
                value = shown.get(piece, piece)
                # "(0.44 nM)^1.41", "(-3)": a value with a unit or a sign is grouped where it matters
                raised = k + 1 < len(pieces) and pieces[k + 1].startswith("^")
                out.append(f"({value})" if value.startswith("-") or (raised and " " in value) else value)
            else:
                out.append(piece)
        return "".join(out)


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


_PLACE = "PSYQSLOT"


def _letters(i: int) -> str:
    s = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        s = chr(ord("a") + r) + s
    return s


def _step_templates(step) -> tuple[str, str, str]:
    """Printed forms of a solved step, computed once per template: the solved equation, the same
    with slots for substituted values, and LaTeX."""
    import sympy as sp

    expr = step.solved[0]
    solved = f"{step.unknown} = {_math_text(sp.sstr(expr))}"
    slots = {}
    mapping = {}
    for i, name in enumerate(step.inputs):
        slot = f"{_PLACE}{_letters(i).upper()}Z"
        slots[slot] = name
        mapping[sp.Symbol(name, **_assumptions(expr, name))] = sp.Symbol(slot)
    subst = sp.sstr(expr.xreplace({s: mapping[k] for k in mapping for s in expr.free_symbols if s.name == k.name}))
    subst = _math_text(subst)
    for slot, name in slots.items():
        subst = subst.replace(slot, "{" + name + "}")
    latex = f"{sp.latex(sp.Symbol(step.unknown))} = {sp.latex(expr)}"
    return solved, subst, latex


def _math_text(text: str) -> str:
    """sympy's plain printer → how people write it: ^ for powers, · for products."""
    return text.replace("**", "^").replace("*", "·")


def _assumptions(expr, name):
    for s in expr.free_symbols:
        if s.name == name:
            return s.assumptions0
    return {}
