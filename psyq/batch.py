"""Rendering a batch: solved values into displays, texts, answers, intervals, misconception values
and worked solutions, a column at a time, then one object per instance.

:func:`renderer` gives the :class:`Renderer` of a compiled template (made once per process);
``Renderer.columns`` renders a :class:`Batch` (a column per field, no object per row), which
:func:`psyq.instance_json.json_chunks` writes as it is and :meth:`Batch.instances` turns into
:class:`~psyq.instance_model.Instance` objects.

Why a module of its own: drawing (:mod:`psyq.sampling`) gives numbers; this is everything between
those numbers and what a student reads, done for all seeds of a batch at once.
"""

from __future__ import annotations

import functools
import gc
import re
from collections import deque
from dataclasses import dataclass
from itertools import repeat
from operator import setitem
from typing import Any, Mapping

from psyq import draws
from psyq import expr as E
from psyq.display import (
    choice_names,
    display_unit,
    natural_sigfigs,
    param_unit,
    to_display_factor,
    unit_suffix,
)
from psyq.instance_model import Given, Instance, Misconceived, PartInstance, SolutionStep
from psyq.intervals import part_interval
from psyq.template import PLACEHOLDER, Part, Template
from psyq.textfill import Columns, FillPlan, SubstPlan, map_values

# One renderer per compiled template (compile_template keeps those for the life of the process):
# its prepared texts are made once, not on every call.
_RENDERERS: dict[int, tuple[Any, Renderer]] = {}


def renderer(template: Template, compiled) -> Renderer:
    entry = _RENDERERS.get(id(compiled))
    if entry is None or entry[0] is not compiled:  # (holding ``compiled`` keeps its id unique)
        entry = _RENDERERS[id(compiled)] = (compiled, Renderer(template, compiled))
    return entry[1]


class Renderer:
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
        self._fills: dict[str, FillPlan] = {}
        self.substs: dict[str, SubstPlan] = {}  # worked-solution lines, prepared once (psyq.single too)
        self._choice_name: dict[Any, str] = {}
        t = template
        # (name, unit, meaning) of each given a student sees
        self.given_specs = [
            (name, param_unit(t, p) or "", t.symbols[name].meaning if name in t.symbols else name)
            for name, p in t.params.items()
            if not (p.hidden or p.categorical or (p.kind == "value" and isinstance(p.value, str)))]
        self.parts: dict[str, tuple] = {}  # part id -> (factor into the part's unit, unit text, steps)
        for p in t.parts:
            sym = t.symbols[p.ask]
            to_part = (units.convert(1.0, units.unit(sym.unit), units.unit(p.unit))
                       if sym.unit != p.unit else 1.0)
            self.parts[p.id] = (to_part, units.unit(p.unit).text, compiled.chain_for(p.ask))

    def factor(self, name: str) -> float:
        f = self._factors.get(name)
        if f is None:
            f = self._factors[name] = to_display_factor(self.t, name)
        return f

    def unit_text(self, name: str) -> str:
        u = self._unit_texts.get(name)
        if u is None:
            from psyq import units

            unit = display_unit(self.t, name)
            u = self._unit_texts[name] = units.unit(unit).text if unit else ""
        return u

    def plan(self, text: str) -> FillPlan:
        plan = self._fills.get(text)
        if plan is None:
            plan = self._fills[text] = FillPlan(text)
        return plan

    def choice_name(self, key: str, value: Any) -> str:
        """:func:`choice_names` for one choice value, looked up once."""
        try:
            return self._choice_name[value]
        except (KeyError, TypeError):
            shown = choice_names(self.t, {key: value})[key]
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
        suffix = unit_suffix(unit_text)

        def texts(xs) -> list[str]:
            if natural:
                return [draws.format_number(x, natural_sigfigs(x), None) + suffix for x in xs.tolist()]
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
        for name, _unit, _meaning in self.given_specs:
            shown[name] = self.display_column(name, values[name], pinned=name in pinned, few=True)
        for name, col in values.items():
            if name not in shown and name in symbols:
                texts = self.display_column(name, col, sigfigs=4)
                finite = np.isfinite(col)
                if not finite.all():
                    texts = [s if ok else "—" for s, ok in zip(texts, finite.tolist())]
                shown[name] = texts
        names = {k: map_values(col, lambda v, k=k: self.choice_name(k, v)) for k, col in categorical.items()}
        cols = Columns(n, shown, values, names)
        text = self.plan(t.text).fill_column(cols)
        solution = self.plan(t.solution).fill_column(cols) if t.solution else None
        molar = values.get(t.molar_mass) if t.molar_mass else None
        molar_mass = molar.tolist() if molar is not None else [None] * n
        return Batch(t, seeds, values, categorical, pinned, text, solution,
                     [(name, unit, meaning, name in pinned, shown[name]) for name, unit, meaning in self.given_specs],
                     [self.part_columns(p, cols, unatt.get(p.id), with_solution) for p in t.parts], molar_mass)

    def part_columns(self, p: Part, cols: Columns, unattainable, with_solution) -> PartColumns:
        """One part, for every row of the batch."""
        import numpy as np

        n = cols.n
        to_part, unit_text, _chain = self.parts[p.id]
        suffix = unit_suffix(unit_text)
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

    def step_columns(self, p: Part, cols: Columns) -> list[tuple]:
        """The worked-solution steps of one part, a column per field."""
        import numpy as np

        out = []
        for step in self.parts[p.id][2]:
            solved, subst, latex = self.step_text[step.unknown]
            plan = self.substs.get(subst)
            if plan is None:
                plan = self.substs[subst] = SubstPlan(subst)
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

    def _math_columns(self, cols: Columns) -> Mapping[str, list[str]]:
        """Values as they go into the arithmetic of a worked solution: a fraction shown to the
        student as a percentage is substituted as the fraction (0.63, not "63 %"), so that
        "1 − A0" reads 1 − 0.063 rather than 63 % − 1."""
        import numpy as np

        if cols.math is not None:
            return cols.math
        out = dict(cols.shown)
        for name in self.fraction_symbols:
            value = cols.values.get(name)
            if value is None or name not in out:
                continue
            natural = name in self.t.params
            texts = _map_distinct(np.asarray(value, dtype=np.float64), lambda xs, natural=natural: (
                [draws.format_number(x, natural_sigfigs(x)) for x in xs.tolist()] if natural
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
        seen = {name for name, _u, _m in self.given_specs}
        texts = [t.text, t.solution or ""] + [text or "" for p in t.parts for text in (p.prompt, p.solution)]
        for text in texts:
            seen.update(m.group(1) for m in PLACEHOLDER.finditer(text))
        for p in t.parts:
            seen.add(p.ask)
            for m in p.misconceptions:
                seen |= E.free_symbols(m.expr)
            for step in self.parts[p.id][2]:
                seen.add(step.unknown)
                seen.update(re.findall(r"\{([A-Za-z][A-Za-z0-9_]*)\}", self.step_text[step.unknown][1]))
        if t.molar_mass:
            seen.add(t.molar_mass)
        return frozenset(n for n, p in t.params.items() if p.hidden and n not in seen)

    @functools.cached_property
    def fraction_symbols(self) -> tuple[str, ...]:
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
