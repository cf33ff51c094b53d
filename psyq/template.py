"""Loading and validating problem templates (YAML) into :class:`Template` objects.

A template states symbols, relations between them, how the givens are drawn, and the parts that ask
for unknowns.  Everything a person wrote is checked here, once, with errors that name the file, the
line and the key and say how to fix it.  Expressions go through :mod:`psyq.expr` (never ``eval``).
The format is documented in docs/templates.md and as a JSON Schema in psyq/schemas/.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from psyq import expr as E
from psyq.errors import InputError, TemplateError
from psyq.yamlsafe import Mapping, line_of
from psyq.yamlcache import load as load_yaml  # yamlsafe.load, cached by file hash
from psyq.yamlsafe import loads as loads_yaml

ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{1,63}$")
NAME_PATTERN = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,31}$")
PLACEHOLDER = re.compile(r"\{([A-Za-z][A-Za-z0-9_]*)(?:\.(value|unit|name))?\}")
RESERVED = set(E.FUNCTIONS) | set(E.CONSTANTS) | {"log", "and", "or", "not", "e", "if", "else",
                                                  "lambda", "None", "True", "False", "in", "is"}
MAX_EXPONENT_IN_RELATION = 10  # numeric powers in relations; keeps the symbolic solve bounded
DRAW_KINDS = ("uniform", "loguniform", "choice", "table", "expr", "value")
TOP_KEYS = {
    "id", "title", "family", "version", "difficulty", "skill", "text", "symbols", "relations",
    "params", "constraints", "parts", "solution", "sources", "molar_mass", "figure", "tags",
    "description",
}
PART_KEYS = {"id", "ask", "prompt", "unit", "sigfigs", "tolerance", "rule", "hints",
             "misconceptions", "unattainable_if", "explain", "insight", "points", "solution"}
PARAM_KEYS = set(DRAW_KINDS) | {"row", "column", "scale", "range", "sigfigs", "decimals", "hidden",
                                "unit", "note"}
SYMBOL_KEYS = {"unit", "meaning", "min", "max", "display_unit", "positive", "typeset"}


@dataclass(frozen=True)
class Symbol:
    name: str
    unit: str
    meaning: str
    min: float | None = None  # physical bounds that lint checks every value against
    max: float | None = None
    display_unit: str | None = None  # unit in which a given is shown (e.g. % for a fraction)
    positive: bool = True
    typeset: str | None = None  # how the symbol is written ('K_i'); default derived (psyq.typeset)


@dataclass(frozen=True)
class Param:
    """How one given (or helper value) is drawn.  ``kind`` is one of DRAW_KINDS."""

    name: str
    kind: str
    low: float | None = None
    high: float | None = None
    choices: tuple = ()
    table: str | None = None
    row: str | None = None  # a categorical param's name, or a literal row key
    column: str | None = None
    scale: tuple[float, float] | None = None  # log-uniform factor around a table value
    range: str | None = None  # draw uniform|loguniform within the table value's low..high
    expr: E.Node | None = None
    value: Any = None
    sigfigs: int | None = None
    decimals: int | None = None
    hidden: bool = False
    unit: str | None = None

    @property
    def categorical(self) -> bool:
        return self.kind == "choice" and any(isinstance(c, str) for c in self.choices)

    def depends_on(self) -> set[str]:
        deps = set()
        if self.expr is not None:
            deps |= E.free_symbols(self.expr)
        if self.kind == "table" and self.row is not None:
            deps.add(self.row)
        return deps


@dataclass(frozen=True)
class Misconception:
    name: str
    expr: E.Node
    feedback: str
    source_text: str
    # True (YAML `when: unattainable`): the number a student computes where the part is "not
    # attainable" (the dose found by ignoring the plateau or the labelled ceiling); matched only there.
    unattainable: bool = False


@dataclass(frozen=True)
class Rule:
    """An optional grading rule beyond relative/absolute tolerance (see docs/grading.md)."""

    kind: str  # relative | absolute | sigfigs | strict_sigfigs | decimals
    n: float | None = None
    m: int | None = None
    units: str = "convert"  # convert | strict

    def tolerances(self, rtol: float, atol: float) -> tuple[float, float]:
        """(rtol, atol) under this rule: a relative or absolute rule sets them, others keep them."""
        if self.kind == "relative":
            return float(self.n), 0.0
        if self.kind == "absolute":
            return 0.0, float(self.n)
        return rtol, atol

    @property
    def written_precision(self) -> bool:
        """True when the rule judges the digits as written (significant figures, decimal places)."""
        return self.kind in ("sigfigs", "strict_sigfigs", "decimals")


@dataclass(frozen=True)
class Part:
    id: str
    ask: str
    prompt: str
    unit: str
    sigfigs: int = 3
    rtol: float = 0.01
    atol: float = 0.0
    rule: Rule | None = None
    hints: tuple[str, ...] = ()
    misconceptions: tuple[Misconception, ...] = ()
    unattainable_if: E.Node | None = None
    explain: str | None = None
    insight: str | None = None
    points: float = 1.0
    # Prose shown with this part's worked solution (placeholders filled); the template's closing
    # ``solution`` belongs to the last part (a student sees it only after that part).
    solution: str | None = None


@dataclass(frozen=True)
class Figure:
    x: str
    y: tuple[str, ...]
    x_min: E.Node | None
    x_max: E.Node | None
    log_x: bool = False
    title: str | None = None
    x_label: str | None = None  # axis labels when the symbols' meanings do not fit the plot
    y_label: str | None = None


@dataclass(frozen=True)
class Template:
    id: str
    title: str
    family: str
    version: int
    difficulty: int
    skill: str
    text: str
    symbols: dict[str, Symbol]
    relations: tuple[tuple[E.Node, E.Node, str], ...]  # (lhs, rhs, as written)
    params: dict[str, Param]  # in draw order (dependencies first)
    constraints: tuple[tuple[E.Node, str], ...]
    parts: tuple[Part, ...]
    solution: str | None
    sources: tuple[str, ...]
    molar_mass: str | None
    figure: Figure | None
    tags: tuple[str, ...]
    path: str
    content_hash: str
    data_dirs: tuple[str, ...] = field(default=())
    # Teaching constraints (text → misconception names): they exist only to keep those misconceptions
    # apart from the answer, so pinned givens that break them warn instead of being refused.
    teaching: dict[str, tuple[str, ...]] = field(default_factory=dict, hash=False)

    @property
    def givens(self) -> list[str]:
        """Numeric symbols that are drawn (or pinned) rather than solved for."""
        return [n for n in self.params if n in self.symbols]

    @property
    def unknowns(self) -> list[str]:
        return [n for n in self.symbols if n not in self.params]

    def part(self, part_id: str) -> Part:
        for p in self.parts:
            if p.id == part_id:
                return p
        raise InputError(f"template {self.id} has no part '{part_id}'",
                         hint="parts: " + ", ".join(p.id for p in self.parts))


class _Ctx:
    """Error helper: knows the file, so every message names file, line and key."""

    def __init__(self, file: str):
        self.file = file

    def error(self, message: str, container: Any = None, key: Any = None, path: str = "",
              hint: str | None = None) -> TemplateError:
        line = line_of(container, key) if container is not None else None
        if key is None or isinstance(key, int):  # a list index is already part of ``path``
            full_key = path
        else:
            full_key = f"{path}.{key}" if path else str(key)
        return TemplateError(message, file=self.file, line=line, key=full_key or None, hint=hint)


def load_template(path: Path | str, data_dirs: tuple[str, ...] = ()) -> Template:
    path = Path(path)
    data, raw = load_yaml(path, raw=True)  # one bounded read of a regular file (psyq.fsio)
    return build_template(data, file=str(path), raw=raw, data_dirs=data_dirs)


def loads_template(text: str, file: str = "<template>") -> Template:
    return build_template(loads_yaml(text, file=file), file=file, raw=text.encode("utf-8"))


def build_template(data: Any, *, file: str, raw: bytes, data_dirs: tuple[str, ...] = ()) -> Template:
    ctx = _Ctx(file)
    if not isinstance(data, Mapping):
        raise ctx.error("a template must be a YAML mapping (key: value lines)", hint="start with 'id: my-template'")
    for key in data:
        if key not in TOP_KEYS:
            raise ctx.error(f"unknown key '{key}'", data, key, hint=_allowed(key, TOP_KEYS))
    for key in ("id", "title", "family", "text", "symbols", "relations", "params", "parts", "sources"):
        if key not in data:
            raise ctx.error(f"missing required key '{key}'", data, None, hint=f"add '{key}:' at the top level")

    tid = _text(ctx, data, "id")
    if not ID_PATTERN.match(tid):
        raise ctx.error(f"id '{tid}' must be lowercase letters, digits and hyphens", data, "id",
                        hint="for example 'occupancy-from-ki'")
    family = _text(ctx, data, "family")
    if not ID_PATTERN.match(family):
        raise ctx.error("family must be lowercase letters, digits and hyphens", data, "family")
    version = _int(ctx, data, "version", 1, lo=1, hi=10_000)
    difficulty = _int(ctx, data, "difficulty", 1, lo=1, hi=5)

    symbols = _symbols(ctx, data["symbols"], data)
    names = set(symbols)

    relations = []
    rel_seq = data["relations"]
    if not isinstance(rel_seq, list) or not rel_seq:
        raise ctx.error("relations must be a non-empty list of equations", data, "relations",
                        hint="e.g. '- occ = C/(C + Ki)'")
    for i, item in enumerate(rel_seq):
        if not isinstance(item, str) or item.count("=") != 1:
            raise ctx.error("a relation is one equation 'lhs = rhs'", rel_seq, i, f"relations[{i}]")
        lhs_text, rhs_text = item.split("=")
        lhs = _expr(ctx, lhs_text, names, rel_seq, i, f"relations[{i}]")
        rhs = _expr(ctx, rhs_text, names, rel_seq, i, f"relations[{i}]")
        _check_exponents(ctx, lhs, rel_seq, i, f"relations[{i}]")
        _check_exponents(ctx, rhs, rel_seq, i, f"relations[{i}]")
        relations.append((lhs, rhs, item.strip()))

    params = _params(ctx, data["params"], data, symbols)
    value_names = names | {n for n, p in params.items() if not p.categorical}

    constraints = []
    teaching_marks: list[tuple[str, list, int]] = []  # (text, names, index), checked once parts are known
    cons = data.get("constraints") or []
    if not isinstance(cons, list):
        raise ctx.error("constraints must be a list of comparisons", data, "constraints",
                        hint="e.g. '- C > 0.5*Ki'")
    for i, item in enumerate(cons):
        if isinstance(item, Mapping):
            # {check: "...", teaching: [misconception, ...]}: kept only to tell misconceptions apart
            if set(item) != {"check", "teaching"} or not isinstance(item.get("check"), str) \
                    or not isinstance(item.get("teaching"), list) or not item["teaching"]:
                raise ctx.error("a teaching constraint is {check: '<comparison>', teaching: [misconception, ...]}",
                                cons, i, f"constraints[{i}]",
                                hint="list the misconceptions the check keeps apart from the answer")
            teaching_marks.append((item["check"], item["teaching"], i))
            item = item["check"]
        elif not isinstance(item, str):
            raise ctx.error("a constraint is a comparison written as text", cons, i, f"constraints[{i}]")
        node = _expr(ctx, item, value_names, cons, i, f"constraints[{i}]", allow_compare=True)
        if not isinstance(node, (E.Compare, E.BoolOp)):
            raise ctx.error("a constraint must compare two values", cons, i, f"constraints[{i}]",
                            hint="e.g. 'X > A0'")
        constraints.append((node, item))

    parts = _parts(ctx, data["parts"], data, symbols, params, value_names)
    misconception_names = {m.name for p in parts for m in p.misconceptions}
    teaching: dict[str, tuple[str, ...]] = {}
    for text, names, i in teaching_marks:
        for name in names:
            if name not in misconception_names:
                raise ctx.error(f"teaching names '{name}', which is no misconception of this template",
                                cons, i, f"constraints[{i}]",
                                hint="misconceptions: " + ", ".join(sorted(misconception_names)))
        teaching[text] = tuple(str(n) for n in names)
    unknowns = [n for n in symbols if n not in params]
    used = set().union(*(E.free_symbols(l) | E.free_symbols(r) for l, r, _ in relations))
    for n in unknowns:
        if n not in used:
            raise ctx.error(f"symbol '{n}' is neither drawn in params nor used in a relation",
                            data["symbols"], n, "symbols",
                            hint="draw it under params, use it in a relation, or remove it")

    sources = data["sources"]
    if not isinstance(sources, list) or not sources or not all(isinstance(s, str) and s.strip() for s in sources):
        raise ctx.error("sources must be a non-empty list of citations", data, "sources",
                        hint="name the source of every constant the template uses")

    text = _text(ctx, data, "text")
    placeholder_names = set(symbols) | set(params)
    _check_placeholders(ctx, text, placeholder_names, data, "text")
    solution = data.get("solution")
    if solution is not None:
        if not isinstance(solution, str):
            raise ctx.error("solution must be text", data, "solution")
        _check_placeholders(ctx, solution, placeholder_names, data, "solution")
    for p in parts:
        _check_placeholders(ctx, p.prompt, placeholder_names, data, "parts")
        if p.solution:
            _check_placeholders(ctx, p.solution, placeholder_names, data, "parts")

    molar_mass = data.get("molar_mass")
    if molar_mass is not None and molar_mass not in symbols:
        raise ctx.error(f"molar_mass names '{molar_mass}', which is not a symbol", data, "molar_mass",
                        hint="name the symbol holding the molar mass in g/mol, e.g. MW")

    figure = _figure(ctx, data.get("figure"), data, symbols, value_names)
    tags = data.get("tags") or []
    if not isinstance(tags, list):
        raise ctx.error("tags must be a list", data, "tags")

    return Template(
        id=tid, title=_text(ctx, data, "title"), family=family, version=version,
        difficulty=difficulty, skill=str(data.get("skill") or ""), text=text, symbols=symbols,
        relations=tuple(relations), params=params, constraints=tuple(constraints),
        parts=tuple(parts), solution=solution, sources=tuple(s.strip() for s in sources),
        molar_mass=molar_mass, figure=figure, tags=tuple(str(t) for t in tags), path=file,
        content_hash=hashlib.sha256(raw).hexdigest(), data_dirs=data_dirs, teaching=teaching,
    )


# ------------------------------------------------------------------------------------------------

def _allowed(key: str, allowed: set[str]) -> str:
    """'did you mean skill?' for a near miss, else the list of allowed keys."""
    import difflib

    close = difflib.get_close_matches(str(key), sorted(allowed), n=1, cutoff=0.75)
    listing = "allowed: " + ", ".join(sorted(allowed))
    return f"did you mean '{close[0]}'? {listing}" if close else listing


def _text(ctx: _Ctx, data: Mapping, key: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value.strip():
        raise ctx.error(f"'{key}' must be non-empty text", data, key)
    return value.strip()


def _int(ctx: _Ctx, data: Mapping, key: str, default: int, lo: int, hi: int, path: str = "") -> int:
    value = data.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise ctx.error(f"'{key}' must be a whole number from {lo} to {hi}", data, key, path)
    return value


def _num(ctx: _Ctx, container: Any, key: Any, path: str, value: Any = None) -> float:
    value = container[key] if value is None else value
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        hint = None
        sci = re.fullmatch(r"([+-]?\d+)(\.\d*)?[eE]([+-]?)(\d+)", value.strip()) if isinstance(value, str) else None
        if sci:
            # YAML 1.1 reads 1e3 and 1.0e3 as text (it wants a point and a signed exponent)
            hint = (f"YAML reads '{value}' as text: write {sci[1]}{sci[2] or '.'}"
                    f"{'0' if not (sci[2] or '.')[1:] else ''}e{sci[3] or '+'}{sci[4]}")
        raise ctx.error(f"must be a number, not '{value}'" if hint else "must be a number", container, key,
                        path, hint=hint)
    f = float(value)
    if f != f or abs(f) > 1e300:
        raise ctx.error("number is out of range", container, key, path)
    return f


def _expr(ctx: _Ctx, text: str, names, container, key, path, allow_compare=False) -> E.Node:
    shown = text.strip() if isinstance(text, str) else repr(text)
    if len(shown) > 60:
        shown = shown[:57] + "…"
    try:
        node = E.parse(text, symbols=names, allow_compare=allow_compare)
        _check_constants(node)
    except InputError as exc:
        extra = f" at column {exc.position + 1}" if exc.position is not None else ""
        raise ctx.error(f"cannot read expression '{shown}'{extra}: {exc.message}",
                        container, key, path, hint=exc.hint) from None
    return node


def _check_constants(node: E.Node) -> None:
    """Every part without symbols must evaluate within psyq's bounds: ``9^9^9`` or
    ``((10^10)^10)^10…`` would otherwise reach sympy, which computes such integers exactly (and
    hangs), or numpy, which turns them into inf.  Raises InputError."""
    if isinstance(node, (E.Num, E.Sym)):
        return
    if not E.free_symbols(node):
        try:
            E.evaluate(node)
        except InputError as exc:
            raise InputError(f"'{E.to_text(node)[:40]}' cannot be evaluated: {exc.message}",
                             hint="write the constant as a number") from None
        return
    for child in _children(node):
        _check_constants(child)


def _children(node: E.Node) -> tuple:
    if isinstance(node, E.Neg):
        return (node.operand,)
    if isinstance(node, (E.BinOp, E.Compare)):
        return (node.left, node.right)
    if isinstance(node, E.Call):
        return node.args
    if isinstance(node, E.BoolOp):
        return node.values
    return ()


def _check_exponents(ctx, node: E.Node, container, key, path) -> None:
    if isinstance(node, E.BinOp):
        # A constant exponent (a number, or arithmetic such as 9^9 or -(2)) is bounded; constants
        # have been checked to evaluate (_check_constants), so evaluate() cannot fail here.
        if node.op == "^" and not E.free_symbols(node.right) \
                and abs(E.evaluate(node.right)) > MAX_EXPONENT_IN_RELATION:
            raise ctx.error(f"exponent {E.to_text(node.right)[:40]} is too large for a relation (at most "
                            f"{MAX_EXPONENT_IN_RELATION})", container, key, path)
        _check_exponents(ctx, node.left, container, key, path)
        _check_exponents(ctx, node.right, container, key, path)
    elif isinstance(node, E.Neg):
        _check_exponents(ctx, node.operand, container, key, path)
    elif isinstance(node, E.Call):
        for a in node.args:
            _check_exponents(ctx, a, container, key, path)


def _check_unit(ctx, text: Any, container, key, path) -> str:
    from psyq import units

    if not isinstance(text, str) or not text.strip():
        raise ctx.error("unit must be text such as nM, ng/mL, d, fraction or %", container, key, path)
    try:
        return units.parse_unit(text.strip()).text
    except InputError as exc:
        raise ctx.error(f"unknown unit '{text}': {exc.message}", container, key, path,
                        hint=exc.hint or "e.g. nM, µM, ng/mL, mg/day, h, d, wk, fraction, %") from None


def _symbols(ctx: _Ctx, node: Any, data: Mapping) -> dict[str, Symbol]:
    if not isinstance(node, Mapping) or not node:
        raise ctx.error("symbols must map each name to its unit and meaning", data, "symbols",
                        hint="e.g. 'Ki: {unit: nM, meaning: inhibition constant}'")
    out = {}
    for name, spec in node.items():
        path = f"symbols.{name}"
        if not NAME_PATTERN.match(name) or name in RESERVED:
            raise ctx.error(f"'{name}' is not a usable symbol name", node, name, "symbols",
                            hint="letters, digits and _, starting with a letter; not a function name")
        if not isinstance(spec, Mapping):
            raise ctx.error("a symbol needs {unit: …, meaning: …}", node, name, "symbols")
        for k in spec:
            if k not in SYMBOL_KEYS:
                raise ctx.error(f"unknown key '{k}'", spec, k, path, hint=_allowed(k, SYMBOL_KEYS))
        if "unit" not in spec or "meaning" not in spec:
            raise ctx.error("a symbol needs both 'unit' and 'meaning'", node, name, "symbols")
        unit = _check_unit(ctx, spec["unit"], spec, "unit", path)
        display = spec.get("display_unit")
        if display is not None:
            display = _check_unit(ctx, display, spec, "display_unit", path)
        lo = _num(ctx, spec, "min", path) if "min" in spec else None
        hi = _num(ctx, spec, "max", path) if "max" in spec else None
        if lo is not None and hi is not None and lo > hi:
            raise ctx.error("min is larger than max", spec, "min", path)
        positive = spec.get("positive", True)
        if not isinstance(positive, bool):
            raise ctx.error("positive must be true or false", spec, "positive", path)
        typeset = spec.get("typeset")
        if typeset is not None:
            from psyq.typeset import parse_declared

            try:
                parse_declared(typeset if isinstance(typeset, str) else "")
            except ValueError as exc:
                raise ctx.error(f"typeset: {exc}", spec, "typeset", path) from None
        out[name] = Symbol(name, unit, str(spec["meaning"]), lo, hi, display, positive, typeset)
    return out


def _params(ctx: _Ctx, node: Any, data: Mapping, symbols: dict[str, Symbol]) -> dict[str, Param]:
    if not isinstance(node, Mapping) or not node:
        raise ctx.error("params must say how each given is drawn", data, "params",
                        hint="e.g. 'Ki: {loguniform: [0.1, 10], sigfigs: 2}'")
    raw: dict[str, Param] = {}
    for name, spec in node.items():
        path = f"params.{name}"
        if not NAME_PATTERN.match(name) or name in RESERVED:
            raise ctx.error(f"'{name}' is not a usable parameter name", node, name, "params")
        if not isinstance(spec, Mapping):
            raise ctx.error("a parameter is a mapping such as {uniform: [1, 10], sigfigs: 2}", node, name, "params")
        for k in spec:
            if k not in PARAM_KEYS:
                raise ctx.error(f"unknown key '{k}'", spec, k, path, hint=_allowed(k, PARAM_KEYS))
        kinds = [k for k in DRAW_KINDS if k in spec]
        if len(kinds) != 1:
            raise ctx.error("give exactly one of " + ", ".join(DRAW_KINDS), node, name, "params")
        kind = kinds[0]
        kw: dict[str, Any] = {"name": name, "kind": kind}
        if kind in ("uniform", "loguniform"):
            rng = spec[kind]
            if not isinstance(rng, list) or len(rng) != 2:
                raise ctx.error(f"{kind} needs [low, high]", spec, kind, path)
            lo, hi = (_num(ctx, rng, i, f"{path}.{kind}") for i in (0, 1))
            if not lo < hi:
                raise ctx.error("low must be smaller than high", spec, kind, path)
            if kind == "loguniform" and lo <= 0:
                raise ctx.error("loguniform needs low > 0", spec, kind, path)
            kw.update(low=lo, high=hi)
        elif kind == "choice":
            choices = spec["choice"]
            if not isinstance(choices, list) or not choices or len(choices) > 1000:
                raise ctx.error("choice needs a non-empty list", spec, "choice", path)
            for i, c in enumerate(choices):
                if isinstance(c, bool) or not isinstance(c, (str, int, float)):
                    raise ctx.error("choices must be numbers or names", choices, i, f"{path}.choice")
            kinds_seen = {isinstance(c, str) for c in choices}
            if len(kinds_seen) > 1:
                raise ctx.error("choices must be all numbers or all names", spec, "choice", path)
            kw["choices"] = tuple(choices)
        elif kind == "table":
            for k in ("row", "column"):
                if not isinstance(spec.get(k), str):
                    raise ctx.error(f"a table parameter needs '{k}'", spec, "table", path,
                                    hint="e.g. {table: drugs, row: drug, column: ki_sert}")
            kw.update(table=str(spec["table"]), row=spec["row"], column=spec["column"])
            if "scale" in spec:
                sc = spec["scale"]
                if not isinstance(sc, list) or len(sc) != 2:
                    raise ctx.error("scale needs [low factor, high factor]", spec, "scale", path)
                a, b = (_num(ctx, sc, i, f"{path}.scale") for i in (0, 1))
                if not 0 < a <= b:
                    raise ctx.error("scale factors must be positive and ordered", spec, "scale", path)
                kw["scale"] = (a, b)
            if "range" in spec:
                if spec["range"] not in ("uniform", "loguniform"):
                    raise ctx.error("range is uniform or loguniform (draw within the table's low..high)",
                                    spec, "range", path)
                if "scale" in spec:
                    raise ctx.error("give scale or range, not both", spec, "range", path)
                kw["range"] = spec["range"]
        elif kind == "expr":
            if not isinstance(spec["expr"], str):
                raise ctx.error("expr must be text", spec, "expr", path)
            kw["expr"] = spec["expr"]  # parsed below, once all names are known
        else:
            v = spec["value"]
            if isinstance(v, bool) or not isinstance(v, (int, float, str)):
                raise ctx.error("value must be a number or a name", spec, "value", path)
            kw["value"] = v
        for k in ("sigfigs", "decimals"):
            if k in spec:
                kw[k] = _int(ctx, spec, k, 0, lo=0 if k == "decimals" else 1, hi=12, path=path)
        if "sigfigs" in kw and "decimals" in kw:
            raise ctx.error("give sigfigs or decimals, not both", spec, "decimals", path)
        hidden = spec.get("hidden", False)
        if not isinstance(hidden, bool):
            raise ctx.error("hidden must be true or false", spec, "hidden", path)
        kw["hidden"] = hidden
        if "unit" in spec:
            kw["unit"] = _check_unit(ctx, spec["unit"], spec, "unit", path)
        raw[name] = Param(**kw)

    numeric = {n for n, p in raw.items() if not p.categorical} | set(symbols)
    parsed: dict[str, Param] = {}
    for name, p in raw.items():
        spec = node[name]
        path = f"params.{name}"
        if p.kind == "expr":
            p = _replace(p, expr=_expr(ctx, p.expr, numeric, spec, "expr", path))  # type: ignore[arg-type]
        if p.kind == "table":
            if p.row in raw and not raw[p.row].categorical:
                raise ctx.error(f"row '{p.row}' must be a choice of names", spec, "row", path)
        if name in symbols and p.categorical:
            raise ctx.error("a symbol must be drawn as a number", node, name, "params")
        parsed[name] = p
    for name, p in parsed.items():
        for dep in p.depends_on():
            if dep in symbols and dep not in parsed:
                raise ctx.error(f"'{name}' depends on '{dep}', which is not drawn", node[name], None,
                                f"params.{name}", hint=f"draw '{dep}' under params too")
    return _draw_order(ctx, parsed, node)


def _replace(p: Param, **kw) -> Param:
    from dataclasses import replace

    return replace(p, **kw)


def _draw_order(ctx: _Ctx, params: dict[str, Param], node: Mapping) -> dict[str, Param]:
    ordered: dict[str, Param] = {}
    visiting: set[str] = set()

    def visit(name: str) -> None:
        if name in ordered:
            return
        if name in visiting:
            raise ctx.error(f"parameters depend on each other in a circle through '{name}'", node, name, "params")
        visiting.add(name)
        for dep in sorted(params[name].depends_on()):
            if dep in params:
                visit(dep)
        visiting.discard(name)
        ordered[name] = params[name]

    for name in params:
        visit(name)
    return ordered


def _parts(ctx, node, data, symbols, params, value_names) -> list[Part]:
    if not isinstance(node, list) or not node:
        raise ctx.error("parts must be a non-empty list", data, "parts",
                        hint="e.g. '- {id: a, ask: occ, prompt: …}'")
    parts: list[Part] = []
    seen = set()
    for i, spec in enumerate(node):
        path = f"parts[{i}]"
        if not isinstance(spec, Mapping):
            raise ctx.error("a part is a mapping with id, ask and prompt", node, i, path)
        for k in spec:
            if k not in PART_KEYS:
                raise ctx.error(f"unknown key '{k}'", spec, k, path, hint=_allowed(k, PART_KEYS))
        for k in ("id", "ask", "prompt"):
            if not isinstance(spec.get(k), str) or not spec[k].strip():
                raise ctx.error(f"a part needs '{k}'", spec, None, path)
        pid = spec["id"].strip()
        if not re.match(r"^[a-z][a-z0-9]{0,7}$", pid) or pid in seen:
            raise ctx.error(f"part id '{pid}' must be short lowercase (a, b, c…) and unique", spec, "id", path)
        seen.add(pid)
        ask = spec["ask"].strip()
        if ask not in symbols:
            raise ctx.error(f"part asks for '{ask}', which is not a symbol", spec, "ask", path,
                            hint="symbols: " + ", ".join(symbols))
        if ask in params:
            raise ctx.error(f"part asks for '{ask}', but '{ask}' is drawn as a given", spec, "ask", path,
                            hint="remove it from params so the relations solve for it")
        unit = _check_unit(ctx, spec.get("unit", symbols[ask].unit), spec, "unit", path)
        sigfigs = _int(ctx, spec, "sigfigs", 3, lo=1, hi=10, path=path)
        rtol, atol = 0.01, 0.0
        tol = spec.get("tolerance")
        if tol is not None:
            if not isinstance(tol, Mapping) or not set(tol) <= {"rtol", "atol"}:
                raise ctx.error("tolerance is {rtol: 0.01} and/or {atol: …}", spec, "tolerance", path)
            rtol = _num(ctx, tol, "rtol", path + ".tolerance") if "rtol" in tol else 0.0
            atol = _num(ctx, tol, "atol", path + ".tolerance") if "atol" in tol else 0.0
            if not (0 <= rtol <= 0.5 and atol >= 0) or (rtol == 0 and atol == 0):
                raise ctx.error("tolerance must have 0 ≤ rtol ≤ 0.5, atol ≥ 0, not both zero", spec, "tolerance", path)
        rule = _rule(ctx, spec.get("rule"), spec, path)
        if rule is not None:
            rtol, atol = rule.tolerances(rtol, atol)
        hints = spec.get("hints") or []
        if not isinstance(hints, list) or not all(isinstance(h, str) for h in hints):
            raise ctx.error("hints must be a list of text", spec, "hints", path)
        miscs = []
        mnode = spec.get("misconceptions") or []
        if not isinstance(mnode, list):
            raise ctx.error("misconceptions must be a list", spec, "misconceptions", path)
        mnames = set()
        for j, m in enumerate(mnode):
            mpath = f"{path}.misconceptions[{j}]"
            if isinstance(m, Mapping) and not set(m) <= {"name", "expr", "feedback", "when"}:
                raise ctx.error("a misconception has name, expr, feedback and optionally when", mnode, j, mpath)
            if isinstance(m, Mapping) and m.get("when", "unattainable") != "unattainable":
                raise ctx.error("when: unattainable is the only choice (a misconception met where the part "
                                "is 'not attainable')", m, "when", mpath)
            if not isinstance(m, Mapping) or not all(isinstance(m.get(k), str) for k in ("name", "expr", "feedback")):
                raise ctx.error("a misconception needs name, expr and feedback", mnode, j, mpath,
                                hint="e.g. {name: unoccupied, expr: 'Ki/(C + Ki)', feedback: '…'}")
            if not re.match(r"^[a-z][a-z0-9_]{0,47}$", m["name"]) or m["name"] in mnames:
                raise ctx.error("misconception names are unique lowercase_with_underscores", m, "name", mpath)
            mnames.add(m["name"])
            miscs.append(Misconception(m["name"], _expr(ctx, m["expr"], value_names, m, "expr", mpath),
                                       m["feedback"].strip(), m["expr"], "when" in m))
        if any(m.unattainable for m in miscs) and spec.get("unattainable_if") is None:
            raise ctx.error("a 'when: unattainable' misconception needs the part's unattainable_if", spec,
                            "misconceptions", path)
        un = spec.get("unattainable_if")
        un_node = None
        if un is not None:
            if not isinstance(un, str):
                raise ctx.error("unattainable_if is a comparison written as text", spec, "unattainable_if", path)
            un_node = _expr(ctx, un, value_names, spec, "unattainable_if", path, allow_compare=True)
        points = spec.get("points", 1)
        if isinstance(points, bool) or not isinstance(points, (int, float)) or points < 0:
            raise ctx.error("points must be a number ≥ 0", spec, "points", path)
        parts.append(Part(
            id=pid, ask=ask, prompt=spec["prompt"].strip(), unit=unit, sigfigs=sigfigs, rtol=rtol,
            atol=atol, rule=rule, hints=tuple(h.strip() for h in hints), misconceptions=tuple(miscs),
            unattainable_if=un_node, explain=(spec.get("explain") or None),
            insight=(spec.get("insight") or None), points=float(points),
            solution=_part_solution(ctx, spec, path),
        ))
    return parts


def _part_solution(ctx, spec, path) -> str | None:
    text = spec.get("solution")
    if text is not None and (not isinstance(text, str) or not text.strip()):
        raise ctx.error("a part's solution is text", spec, "solution", path)
    return text.strip() if text else None


def parse_rule(node: Any, container: Any, key: str, *, file: str, path: str) -> Rule | None:
    """A grading rule written in another file (an assignment item), checked the same way."""
    return _rule(_Ctx(file), node, container, path, key=key)


def _rule(ctx, node, spec, path, key: str = "rule") -> Rule | None:
    if node is None:
        return None
    if not isinstance(node, Mapping):
        raise ctx.error("rule is a mapping such as {sigfigs: 3}", spec, key, path)
    kinds = [k for k in ("relative", "absolute", "sigfigs", "strict_sigfigs", "decimals") if k in node]
    if len(kinds) != 1 or not set(node) <= set(kinds) | {"units"}:
        raise ctx.error("rule takes one of relative, absolute, sigfigs, strict_sigfigs, decimals "
                        "(and optionally units: convert|strict)", spec, key, path)
    kind = kinds[0]
    value = node[kind]
    n: float | None
    m: int | None = None
    if kind == "sigfigs" and isinstance(value, list):
        if len(value) != 2 or not all(isinstance(v, int) and not isinstance(v, bool) for v in value):
            raise ctx.error("sigfigs range is [n, m]", node, kind, f"{path}.{key}")
        n, m = value[0], value[1]
    elif isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise ctx.error(f"{kind} needs a number ≥ 0", node, kind, f"{path}.{key}")
    else:
        n = float(value)
    units_mode = node.get("units", "convert")
    if units_mode not in ("convert", "strict"):
        raise ctx.error("units is convert or strict", node, "units", f"{path}.{key}")
    return Rule(kind, n, m, units_mode)


def _figure(ctx, node, data, symbols, value_names) -> Figure | None:
    if node is None:
        return None
    path = "figure"
    if not isinstance(node, Mapping) or "x" not in node or "y" not in node:
        raise ctx.error("figure needs x (a given) and y (one or more symbols)", data, "figure", path,
                        hint="e.g. {x: C, y: occ, x_max: '20*Ki'}")
    x = node["x"]
    ys = node["y"] if isinstance(node["y"], list) else [node["y"]]
    for s in [x, *ys]:
        if s not in symbols:
            raise ctx.error(f"'{s}' is not a symbol", node, "y" if s != x else "x", path)
    x_min = _expr(ctx, str(node["x_min"]), value_names, node, "x_min", path) if "x_min" in node else None
    x_max = _expr(ctx, str(node["x_max"]), value_names, node, "x_max", path) if "x_max" in node else None
    labels = {}
    for k in ("x_label", "y_label"):
        if k in node and (not isinstance(node[k], str) or not node[k].strip() or len(node[k]) > 80):
            raise ctx.error(f"{k} is a short text (at most 80 characters)", node, k, path)
        labels[k] = node[k].strip() if k in node else None
    return Figure(x, tuple(ys), x_min, x_max, bool(node.get("log_x", False)), node.get("title"), **labels)


def _check_placeholders(ctx, text: str, names: set[str], data, key) -> None:
    cleaned = text.replace("{{", "  ").replace("}}", "  ")
    for m in re.finditer(r"\{[^}]*\}?", cleaned):
        token = m.group(0)
        pm = PLACEHOLDER.fullmatch(token)
        problem = None
        if not pm:
            problem = (f"placeholder {token} is malformed", "write {Ki} or {Ki.value}; {{ for a literal brace")
        elif pm.group(1) not in names:
            problem = (f"placeholder {{{pm.group(1)}}} names no symbol or parameter",
                       "known: " + ", ".join(sorted(names)))
        if problem:
            line = line_of(data, key)
            if line and "\n" in text:  # a block scalar starts on the line after its key
                line += 1 + cleaned.count("\n", 0, m.start())
            raise TemplateError(problem[0], file=ctx.file, line=line, key=key, hint=problem[1])
