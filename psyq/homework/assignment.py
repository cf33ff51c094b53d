"""The assignment file: which templates, in which order, for how many points.

An assignment is a YAML file (schema: psyq/schemas/assignment.schema.json, guide: docs/homework.md)::

    id: hw3-occupancy
    title: "Homework 3: occupancy and transporter engagement"
    due: 2025-03-14
    instructions: Give every answer with its unit.
    pass_mark: 0.6
    items:
      - template: occupancy-from-ki
        points: 2
      - template: snri-engagement
        points: 4                       # shared by the parts in proportion to the template's part points
        given: {Omax: 0.9}              # pinned for everyone
        tolerance: {rtol: 0.02}         # overrides the template's tolerance for every part

Part ids across the assignment are the item number followed by the template's part id: ``1a``,
``2a``, ``2b``.  Every error names the file, the line and the key.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from psyq.errors import PsyqError, TemplateError
from psyq.yamlsafe import Mapping, line_of
from psyq.yamlsafe import load as load_yaml
from psyq.yamlsafe import loads as loads_yaml

ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
TOP_KEYS = {"id", "title", "due", "instructions", "pass_mark", "templates", "items", "fraction_for_percent"}
# A value right as a fraction where a percentage is asked (0.547 for 54.7 %): full marks, half the
# part's points, or none (the default: the feedback explains the slip either way; docs/homework.md).
FRACTION_POLICIES = ("accept", "partial", "reject")
DEFAULT_FRACTION_POLICY = "reject"
# The bounds a template's own part keys have (psyq/template.py: sigfigs 1–10, 0 ≤ rtol ≤ 0.5): an
# assignment's rule may not make every answer right (relative: 1e300) or crash a run (sigfigs: 1e10).
RULE_SIGFIGS = (1, 10)
RULE_DECIMALS = (0, 10)
RULE_RELATIVE_MAX = 0.5
RULE_ABSOLUTE_MAX = 1e12
ITEM_KEYS = {"template", "points", "given", "tolerance", "rule", "title"}
MAX_ITEMS = 100


@dataclass(frozen=True)
class Item:
    """One problem of the assignment (``index`` is 1-based, as students see it)."""

    index: int
    template_id: str
    points: float | dict[str, float]
    given: dict[str, Any] = field(default_factory=dict)
    rtol: float | None = None
    atol: float | None = None
    title: str | None = None
    line: int = 0
    rule: Any = None  # psyq.template.Rule overriding every part's grading rule (docs/grading.md)


@dataclass(frozen=True)
class Assignment:
    id: str
    title: str
    items: tuple[Item, ...]
    path: str
    due: str | None = None
    instructions: str | None = None
    pass_mark: float | None = None
    template_dirs: tuple[str, ...] = ()
    fraction_for_percent: str = DEFAULT_FRACTION_POLICY


@dataclass
class CompiledPart:
    """A part of the assignment: its id (``2b``), its item, the template part, its points."""

    id: str
    item: CompiledItem
    part_id: str  # the template's own part id (``b``)
    points: float
    prompt: str
    unit: str


@dataclass
class CompiledItem:
    item: Item
    template: Any  # psyq.template.Template
    pinned: dict[str, Any]
    parts: list[CompiledPart] = field(default_factory=list)

    @property
    def index(self) -> int:
        return self.item.index

    @property
    def points(self) -> float:
        return sum(p.points for p in self.parts)


@dataclass
class CompiledAssignment:
    """An assignment with its templates loaded, compiled and its part ids laid out."""

    assignment: Assignment
    items: list[CompiledItem]

    @property
    def id(self) -> str:
        return self.assignment.id

    @property
    def parts(self) -> list[CompiledPart]:
        return [p for it in self.items for p in it.parts]

    @property
    def part_ids(self) -> list[str]:
        return [p.id for p in self.parts]

    @property
    def max_points(self) -> float:
        return sum(p.points for p in self.parts)


# ------------------------------------------------------------------------------------------------
# Reading

def load_assignment(path: Path | str) -> Assignment:
    path = Path(path)
    if not path.exists():
        raise TemplateError("no such assignment file", file=str(path),
                            hint="give the path of the assignment's .yaml file")
    return build_assignment(load_yaml(path), file=str(path))  # a regular file only, bounded


def loads_assignment(text: str, file: str = "<assignment>") -> Assignment:
    return build_assignment(loads_yaml(text, file=file), file=file)


def _err(file: str, message: str, container: Any = None, key: Any = None, path: str = "",
         hint: str | None = None) -> TemplateError:
    line = line_of(container, key) if container is not None else None
    full = path if key is None else (f"{path}.{key}" if path and not isinstance(key, int)
                                     else f"{path}[{key}]" if path else str(key))
    return TemplateError(message, file=file, line=line, key=full or None, hint=hint)


def _number(file: str, data: Any, key: str, path: str, *, lo: float, hi: float,
            lo_open: bool = False) -> float:
    value = data[key]
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _err(file, f"{key} must be a number", data, key, path)
    value = float(value)
    if not (lo < value if lo_open else lo <= value) or value > hi:
        bound = f"{'>' if lo_open else '≥'} {lo:g} and ≤ {hi:g}"
        raise _err(file, f"{key} must be {bound}, not {value:g}", data, key, path)
    return value


def build_assignment(data: Any, *, file: str) -> Assignment:
    if not isinstance(data, Mapping):
        raise _err(file, "an assignment must be a YAML mapping (key: value lines)",
                   hint="start with 'id: hw1'")
    for key in data:
        if key not in TOP_KEYS:
            raise _err(file, f"unknown key '{key}'", data, key,
                       hint="allowed: " + ", ".join(sorted(TOP_KEYS)))
    for key in ("id", "title", "items"):
        if key not in data:
            raise _err(file, f"missing required key '{key}'", data, None,
                       hint=f"add '{key}:' at the top level")
    aid = data["id"]
    if not isinstance(aid, str) or not ID_PATTERN.match(aid):
        raise _err(file, "id must be letters, digits, '.', '_' or '-' (at most 64)", data, "id",
                   hint="for example 'hw3-occupancy'")
    title = data["title"]
    if not isinstance(title, str) or not title.strip():
        raise _err(file, "title must be text", data, "title")
    due = data.get("due")
    if due is not None and not isinstance(due, (str, int)):
        raise _err(file, "due must be a date such as 2025-03-14", data, "due")
    instructions = data.get("instructions")
    if instructions is not None and not isinstance(instructions, str):
        raise _err(file, "instructions must be text", data, "instructions")
    pass_mark = None
    if "pass_mark" in data:
        pass_mark = _number(file, data, "pass_mark", "", lo=0.0, hi=1.0)
    policy = data.get("fraction_for_percent", DEFAULT_FRACTION_POLICY)
    if policy not in FRACTION_POLICIES:
        raise _err(file, "fraction_for_percent must be accept, partial or reject", data, "fraction_for_percent",
                   hint=f"the default is {DEFAULT_FRACTION_POLICY}: a fraction for a percentage scores 0, explained")
    dirs: list[str] = []
    if "templates" in data:
        seq = data["templates"]
        if isinstance(seq, str):
            seq = [seq]
        if not isinstance(seq, list) or not all(isinstance(s, str) for s in seq):
            raise _err(file, "templates must be a folder or a list of folders", data, "templates")
        base = Path(file).parent
        for i, s in enumerate(seq):
            folder = (base / s) if not Path(s).is_absolute() else Path(s)
            if not folder.is_dir():
                raise _err(file, f"template folder '{s}' does not exist (relative to the assignment)",
                           data, "templates")
            dirs.append(str(folder))
    items_seq = data["items"]
    if not isinstance(items_seq, list) or not items_seq:
        raise _err(file, "items must be a non-empty list", data, "items",
                   hint="e.g. '- template: occupancy-from-ki'")
    if len(items_seq) > MAX_ITEMS:
        raise _err(file, f"at most {MAX_ITEMS} items", data, "items")
    items = [_item(file, items_seq, i) for i in range(len(items_seq))]
    return Assignment(id=aid, title=title.strip(), items=tuple(items), path=file,
                      due=None if due is None else str(due),
                      instructions=instructions.strip() if instructions else None,
                      pass_mark=pass_mark, template_dirs=tuple(dirs), fraction_for_percent=policy)


def _item(file: str, seq: list, i: int) -> Item:
    spec = seq[i]
    path = f"items[{i}]"
    if isinstance(spec, str):  # "- occupancy-from-ki" is shorthand for one point's worth
        spec_map = Mapping({"template": spec})
        spec_map.line = line_of(seq, i) or 0
        spec_map.key_lines = {"template": spec_map.line}
        spec = spec_map
    if not isinstance(spec, Mapping):
        raise _err(file, "an item is a mapping with 'template' and 'points'", seq, i, "items")
    for key in spec:
        if key not in ITEM_KEYS:
            raise _err(file, f"unknown key '{key}'", spec, key, path,
                       hint="allowed: " + ", ".join(sorted(ITEM_KEYS)))
    if "template" not in spec:
        raise _err(file, "missing 'template'", spec, None, path, hint="the id of a template (psyq list)")
    tid = spec["template"]
    if not isinstance(tid, str) or not tid.strip():
        raise _err(file, "template must be a template id", spec, "template", path)
    points: float | dict[str, float] = 1.0
    if "points" in spec:
        raw = spec["points"]
        if isinstance(raw, Mapping):
            points = {}
            for pid in raw:
                points[pid] = _number(file, raw, pid, path + ".points", lo=0.0, hi=1e6)
        else:
            points = _number(file, spec, "points", path, lo=0.0, hi=1e6, lo_open=True)
    given: dict[str, Any] = {}
    if "given" in spec:
        g = spec["given"]
        if not isinstance(g, Mapping):
            raise _err(file, "given is a mapping NAME: value", spec, "given", path,
                       hint="e.g. given: {Ki: 0.29, C: '1.2 nM'}")
        for name, value in g.items():
            if isinstance(value, bool) or not isinstance(value, (int, float, str)):
                raise _err(file, "a given is a number or text such as '1.2 nM'", g, name, path + ".given")
            given[name] = value
    rtol = atol = None
    if "tolerance" in spec:
        tol = spec["tolerance"]
        if not isinstance(tol, Mapping) or not tol or not set(tol) <= {"rtol", "atol"}:
            raise _err(file, "tolerance is {rtol: 0.02} and/or {atol: …}", spec, "tolerance", path)
        rtol = _number(file, tol, "rtol", path + ".tolerance", lo=0.0, hi=0.5) if "rtol" in tol else 0.0
        atol = _number(file, tol, "atol", path + ".tolerance", lo=0.0, hi=1e12) if "atol" in tol else 0.0
        if rtol == 0 and atol == 0:
            raise _err(file, "tolerance cannot be zero (set rtol or atol above 0)", spec, "tolerance", path)
    title = spec.get("title")
    if title is not None and not isinstance(title, str):
        raise _err(file, "title must be text", spec, "title", path)
    rule = None
    if "rule" in spec:
        from psyq.template import parse_rule

        rule = parse_rule(spec["rule"], spec, "rule", file=file, path=path)
        _check_rule_bounds(file, spec, path, rule)
        if "tolerance" in spec:
            raise _err(file, "give tolerance or rule, not both", spec, "rule", path)
    return Item(index=i + 1, template_id=tid.strip(), points=points, given=given, rtol=rtol,
                atol=atol, title=title, line=line_of(seq, i) or 0, rule=rule)


def _check_rule_bounds(file: str, spec: Any, path: str, rule: Any) -> None:
    """The template limits, for a rule written in an assignment."""
    if rule is None:
        return
    node = spec["rule"]
    where = f"{path}.rule"
    kind, n, m = rule.kind, rule.n, rule.m
    if kind in ("sigfigs", "strict_sigfigs"):
        lo, hi = RULE_SIGFIGS
        values = [n] + ([m] if m is not None else [])
        if not all(float(v).is_integer() and lo <= v <= hi for v in values):
            raise _err(file, f"{kind} must be a whole number from {lo} to {hi}", node, kind, where)
        if m is not None and m < n:
            raise _err(file, f"{kind} range [n, m] needs n ≤ m", node, kind, where)
    elif kind == "decimals":
        lo, hi = RULE_DECIMALS
        if not (float(n).is_integer() and lo <= n <= hi):
            raise _err(file, f"decimals must be a whole number from {lo} to {hi}", node, kind, where)
    elif kind == "relative":
        if not 0 < n <= RULE_RELATIVE_MAX:
            raise _err(file, f"relative must be > 0 and ≤ {RULE_RELATIVE_MAX:g} (a fraction: 0.02 is 2 %)",
                       node, kind, where)
    elif kind == "absolute":
        if not 0 < n <= RULE_ABSOLUTE_MAX:
            raise _err(file, f"absolute must be > 0 and ≤ {RULE_ABSOLUTE_MAX:g}", node, kind, where)


# ------------------------------------------------------------------------------------------------
# Compiling

def compile_assignment(assignment: Assignment, templates: tuple[str, ...] | list[str] = ()) -> CompiledAssignment:
    """Load every template once, check pinned givens and point maps, lay out the part ids."""
    from psyq import bank
    from psyq.givens import parse_givens
    from psyq.solve import compile_template

    file = assignment.path
    extra = [*assignment.template_dirs, *templates]
    items: list[CompiledItem] = []
    for item in assignment.items:
        where = {"file": file, "line": item.line, "key": f"items[{item.index - 1}].template"}
        try:
            template = bank.load(_template_ref(item.template_id, file), extra)
        except TemplateError:
            raise
        except PsyqError as exc:
            raise TemplateError(exc.message, hint=exc.hint, **where) from None
        pinned: dict[str, Any] = {}
        for name, value in item.given.items():
            try:
                pinned.update(parse_givens(template, [f"{name}={value}"]))
            except PsyqError as exc:
                raise TemplateError(exc.message, file=file, line=item.line,
                                    key=f"items[{item.index - 1}].given.{name}", hint=exc.hint) from None
        compile_template(template)  # once per template, cached; errors surface here, not mid-grading
        ci = CompiledItem(item, template, pinned)
        weights = {p.id: p.points for p in template.parts}
        if isinstance(item.points, dict):
            missing = set(weights) - set(item.points)
            unknown = set(item.points) - set(weights)
            if missing or unknown:
                raise TemplateError(
                    "points per part must name each part of the template once", file=file,
                    line=item.line, key=f"items[{item.index - 1}].points",
                    hint=f"{template.id} has parts: " + ", ".join(weights))
            per_part = dict(item.points)
        else:
            total = sum(weights.values())
            if total <= 0:
                per_part = {pid: item.points / len(weights) for pid in weights}
            else:
                per_part = {pid: item.points * w / total for pid, w in weights.items()}
        for p in template.parts:
            ci.parts.append(CompiledPart(f"{item.index}{p.id}", ci, p.id, per_part[p.id],
                                         p.prompt, p.unit))
        items.append(ci)
    return CompiledAssignment(assignment, items)


def _template_ref(ref: str, assignment_file: str) -> str:
    """A template given as a path is relative to the assignment file."""
    if ref.endswith((".yaml", ".yml")):
        candidate = Path(assignment_file).parent / ref
        if candidate.is_file():
            return str(candidate)
    return ref
