"""What every exporter shares: views of a problem and of its key, LMS answers and intervals,
portability findings, number and text helpers, and output file names.

The exporters (one module per format) read :class:`psyq.exam.Exam` through these helpers, so the
numbers, intervals and worked solutions are computed once, the same way, for every format.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Iterable, Iterator

from psyq import draws
from psyq.errors import PsyqError
from psyq.exam import DEFAULT_SPACE_CM
from psyq.export import mathfmt as M

# Characters XML 1.0 cannot carry (and that have no business in a printed exam either).
_INVALID_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff\ud800-\udfff]")


def clean_text(text: str | None) -> str:
    """Template text made safe to carry: control characters dropped, line ends normalised."""
    if not text:
        return ""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")
    return _INVALID_CHARS.sub("", text)


def paragraphs(text: str | None) -> list[str]:
    return [" ".join(p.split()) for p in re.split(r"\n\s*\n", clean_text(text)) if p.strip()]


def fmt_points(x: float) -> str:
    """'2', '1.5', '0.25', '0.333' — as a person writes a score."""
    if abs(x - round(x)) < 1e-9:
        return str(round(x))
    return format(Decimal(repr(round(x, 3))).normalize(), "f")


def points_text(x: float) -> str:
    return f"{fmt_points(x)} point" + ("" if abs(x - 1) < 1e-9 else "s")


def plain_number(x: float, sigfigs: int = 10) -> str:
    """A number for machine-read formats: fixed-point (never '1e-05'), at most ``sigfigs``
    significant figures, no trailing zeros ('69.48289474', '0.00012', '1500')."""
    if x == 0 or not math.isfinite(x):
        return "0" if x == 0 else str(x)
    d = Decimal(format(x, f".{sigfigs - 1}e"))
    text = format(d, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def unit_label(unit: str) -> str:
    """The unit as printed after an answer box ('' for a bare fraction)."""
    return "" if unit in ("", "fraction") else unit


def figure_caption(fig) -> str:
    """Under a key's figure: what the mark shows."""
    if getattr(fig, "marked", True):
        return "The dot marks this version's answer."
    return "This version's answer lies outside the plotted range (or is not attainable)."


def interval_text(low: float | None, high: float | None, unit: str) -> str:
    if low is None or high is None:
        return "only 'not attainable'"
    u = unit_label(unit)
    # a no-break space: the unit never starts a line of its own
    return f"[{draws.format_number(low, 4)}, {draws.format_number(high, 4)}]" + (f"\u00a0{u}" if u else "")


def tolerance_text(part) -> str:
    bits = []
    if part.rtol:
        pct = part.rtol * 100
        bits.append(f"{fmt_points(pct)} % of the answer")
    if part.atol:
        bits.append(f"{draws.format_number(part.atol, 3)} {unit_label(part.unit)}".strip())
    return "within " + " + ".join(bits) if bits else ""


def rule_text(part) -> str:
    """The grading rule beyond the tolerance, in words ('' when there is none)."""
    rule = getattr(part.spec, "rule", None)
    if rule is None or rule.kind in ("relative", "absolute"):
        return ""
    if rule.kind == "sigfigs":
        n = int(rule.n)
        if rule.m == -1:
            return f"at least {n} significant figures"
        if rule.m == 0:
            return f"{n} significant figures written (value not checked)"
        return f"{n} significant figures" + (f", accurate to {rule.m}" if rule.m not in (None, n) else "")
    if rule.kind == "strict_sigfigs":
        return f"exactly {int(rule.n)} significant figures as written"
    if rule.kind == "decimals":
        return f"{int(rule.n)} decimal places"
    return rule.kind


# ------------------------------------------------------------------------------------------------
# Views of a problem (sheet) and of its key

@dataclass
class GivenView:
    name: str
    symbol: M.Box
    value: M.Box
    display: str
    meaning: str


@dataclass
class MistakeView:
    """A misconception in the key: its name, the value it gives, what it computes (as math, in the
    template's symbols) and its feedback (prose with the symbols typeset, see :func:`rich`)."""

    name: str
    shown: str  # the value it gives, number and unit kept together
    formula: M.Box | None  # the unknown = the misconception's expression, or None
    feedback: str
    feedback_rich: list


@dataclass
class StepView:
    unknown: str
    relation: str
    lhs: M.Box  # the unknown
    solved: M.Box  # its expression in symbols
    substituted: M.Box  # the same with the displayed values put in
    result: M.Box  # the value, with its unit
    result_text: str
    substituted_text: str
    solved_text: str
    relation_box: M.Box | None = None  # the relation as the template writes it (None: same as solved)


@dataclass
class PartView:
    id: str
    label: str  # "(a)"
    prompt: str
    unit: str  # '' for a bare fraction
    points: float
    space_cm: float
    # key
    answer: str
    answer_box: M.Box
    interval: str
    tolerance: str
    rule: str
    unattainable: bool
    steps: list[StepView]
    misconceptions: list[tuple[str, str, str]]  # (name, value displayed, feedback)
    hints: tuple[str, ...]
    instance_part: object = None
    mistakes: list[MistakeView] = field(default_factory=list)
    prompt_rich: list = field(default_factory=list)  # the prompt with its symbols typeset (rich)


@dataclass
class ProblemView:
    number: int
    points: float
    template_id: str
    title: str
    seed: int
    stem: list[str]  # paragraphs
    givens: list[GivenView]
    parts: list[PartView]
    solution: list[str]  # the template's closing explanation, as paragraphs
    instance: object = None
    figure_key: str = ""  # instance id for figure lookups
    spellings: dict = field(default_factory=dict)  # symbol name → psyq.typeset.Spelling

    def rich(self, text: str) -> list:
        return rich(text, self.spellings)


def problem_view(problem) -> ProblemView:
    """The view of one problem (computed once per problem and kept on it)."""
    cached = problem.__dict__.get("_psyq_view")
    if cached is not None:
        return cached
    view = _problem_view(problem)
    problem.__dict__["_psyq_view"] = view
    return view


def rich(text: str, spellings) -> list:
    """Prose (a stem, a prompt, feedback) as pieces: strings, with every number kept next to its
    unit (a no-break space), and symbol boxes where the text names a template symbol ('Ki = 0.13
    nM' → K_i) — each renderer writes the boxes in its own math, so a symbol reads the same in
    prose and in formulas."""
    from psyq import typeset as T

    out: list = []
    for piece in T.prose(text, spellings):
        out.append(T.keep_units(piece) if isinstance(piece, str) else M.symbol_box(piece.name, spellings))
    return out


def plain_prose(text: str, template) -> str:
    """Prose for a plain-text field (LMS feedback): symbols in plain Unicode from the symbol
    table (K_i, A₀, t½), numbers kept with their units."""
    from psyq import typeset as T

    return T.keep_units(T.prose_text(text, T.table(template)))


def nbsp_units(text: str) -> str:
    """A displayed value or interval with its number and unit kept on one line."""
    from psyq import typeset as T

    return T.keep_units(text)


def _problem_view(problem) -> ProblemView:
    from psyq import typeset as T

    inst = problem.instance
    t = inst.template
    spellings = T.table(t)
    givens = [GivenView(g.name, M.symbol_box(g.name, spellings), M.quantity_box(clean_text(g.display)),
                        clean_text(g.display), clean_text(g.meaning))
              for g in inst.givens.values()]
    parts = []
    for i, p in enumerate(inst.parts):
        prompt = " ".join(clean_text(p.prompt).split())
        parts.append(PartView(
            id=p.id, label=f"({p.id})", prompt=prompt, unit=unit_label(p.unit),
            points=problem.part_points[i],
            space_cm=problem.item.space_cm if problem.item.space_cm is not None else DEFAULT_SPACE_CM,
            answer=clean_text(p.display), answer_box=M.quantity_box(clean_text(p.display))
            if not p.unattainable else ("text", "not attainable"),
            interval=interval_text(p.low, p.high, p.unit),
            tolerance="" if p.unattainable else tolerance_text(p), rule="" if p.unattainable else rule_text(p),
            unattainable=p.unattainable, steps=step_views(inst, p, spellings),
            misconceptions=[(m.name, clean_text(m.display), clean_text(m.feedback)) for m in p.misconceptions],
            hints=tuple(clean_text(h) for h in p.hints), instance_part=p,
            mistakes=_mistake_views(p, spellings), prompt_rich=rich(prompt, spellings)))
    return ProblemView(problem.number, problem.points, t.id, clean_text(t.title), inst.seed,
                       paragraphs(inst.text), givens, parts, paragraphs(inst.solution), inst, inst.id,
                       spellings)


def _mistake_views(part, spellings) -> list[MistakeView]:
    exprs = {m.name: m.expr for m in getattr(part.spec, "misconceptions", ())}
    out = []
    for m in part.misconceptions:
        node = exprs.get(m.name)
        formula = None
        if node is not None:
            ask = getattr(part.spec, "ask", None)
            body = M.node_box(node, spellings)
            formula = M.row(M.symbol_box(ask, spellings), ("op", "="), body) if ask else body
        feedback = clean_text(m.feedback)
        out.append(MistakeView(m.name, nbsp_units(clean_text(m.display)), formula, feedback,
                               rich(feedback, spellings)))
    return out


def step_views(inst, part, spellings=None) -> list[StepView]:
    """The worked solution of one part as boxes: solved form, values put in, result, and the
    relation it comes from as the template writes it."""
    from psyq import typeset as T

    spellings = spellings if spellings is not None else T.table(inst.template)
    relations = {text: (lhs, rhs) for lhs, rhs, text in getattr(inst.template, "relations", ())}
    values = {n: g.display for n, g in inst.givens.items()}
    out = []
    for s in part.steps:
        lhs, solved = M.step_boxes(inst.template, s.unknown)
        substituted = M.substitute(solved, values)
        result_box = M.quantity_box(clean_text(s.result)) if s.result not in ("—", "not attainable") \
            else ("text", clean_text(s.result))
        rel = relations.get(s.relation)
        relation_box = None
        if rel is not None and getattr(s, "rearranged", True):
            relation_box = M.row(M.node_box(rel[0], spellings), ("op", "="), M.node_box(rel[1], spellings))
        out.append(StepView(s.unknown, clean_text(s.relation), lhs, solved, substituted, result_box,
                            clean_text(s.result), clean_text(s.substituted), clean_text(s.solved),
                            relation_box))
        values[s.unknown] = s.result  # later steps use the value as the solution shows it
    return out


# ------------------------------------------------------------------------------------------------
# LMS answers

@dataclass
class Alternative:
    """A misconception as a wrong answer the LMS can recognise (0 % credit, its feedback)."""

    name: str
    value: float
    half: float  # tolerance (half-width) around value
    feedback: str


@dataclass
class LmsPart:
    """One part of one problem of one version, as an LMS numerical question sees it."""

    version: object
    problem: object
    part: object  # PartInstance
    index: int  # the part's position in the problem
    points: float
    value: float  # the centre of the accepted interval (the answer, or its rounding under a rule)
    half: float  # half-width: the LMS 'tolerance'
    low: float
    high: float
    unit: str  # the unit the answer is asked in ('' for a bare fraction)
    rule: str = ""  # the rule that was turned into an interval ('' when none)
    alternatives: list[Alternative] = field(default_factory=list)

    @property
    def multipart(self) -> bool:
        return len(self.problem.instance.parts) > 1

    @property
    def label(self) -> str:
        return f"({self.part.id})"


def accepted(part) -> tuple[float, float, float, float, str]:
    """(centre, half-width, low, high, rule) of the interval an LMS should accept for ``part``.

    psyq's tolerance rule |s − t| ≤ atol + rtol·|t| is an interval already.  A significant-figure
    or decimal-place rule is turned into the interval of values that round to the answer (the
    accuracy half of the rule; the written-precision half cannot be expressed)."""
    from psyq import numeric_rules as R

    t = part.value
    rule = getattr(part.spec, "rule", None)
    if rule is None or rule.kind in ("relative", "absolute"):
        # The exact decimal ends (1.1 ± 0.1 is [1.0, 1.2]): the LMS accepts what psyq accepts.
        from psyq.grading import accepted_interval

        low, high = accepted_interval(t, part.rtol, part.atol)
        return t, (high - low) / 2, low, high, ""
    text = plain_number(t, 15)
    interval = None
    if rule.kind == "decimals":
        res = R.num_decplaces(text, t, int(rule.n))
        interval = res.interval
    else:
        m = rule.m if rule.kind == "sigfigs" and rule.m not in (0,) else None
        res = R.num_sigfigs(text, t, int(rule.n), m)
        interval = res.interval
    if not interval:
        return t, (part.high - part.low) / 2, part.low, part.high, rule_text(part)
    low, high = sorted(interval)
    return (low + high) / 2, (high - low) / 2, low, high, rule_text(part)


def lms_parts(exam, findings: Findings | None = None, target: str = "") -> Iterator[LmsPart]:
    """Every attainable part of every problem of every version; unattainable parts are reported."""
    for v in exam.versions:
        for prob in v.problems:
            for i, p in enumerate(prob.instance.parts):
                if p.unattainable:
                    if findings is not None:
                        findings.add(target, "UNATTAINABLE_SKIPPED", WARNING, prob.instance.template.id, p.id,
                                     "a part whose answer is 'not attainable' cannot be a numerical "
                                     "question: it is left out of those versions")
                    continue
                centre, half, low, high, rule = accepted(p)
                alts = []
                for m in p.misconceptions:
                    if m.value is None or not math.isfinite(m.value):
                        if findings is not None:
                            findings.add(target, "MISCONCEPTION_UNDEFINED", NOTE, prob.instance.template.id, p.id,
                                         "a misconception without a value in some versions is left out there",
                                         m.name)
                        continue
                    alts.append(Alternative(m.name, m.value, p.atol + p.rtol * abs(m.value),
                                            plain_prose(clean_text(m.feedback), prob.instance.template)))
                yield LmsPart(v, prob, p, i, prob.part_points[i], centre, half, low, high,
                              unit_label(p.unit), rule, alts)


def unit_table(part) -> list[tuple[str, float]]:
    """(unit name, multiplier) pairs for an LMS: the answer's unit first (multiplier 1), then the
    units psyq converts from, each with the factor that turns a value in the answer's unit into
    a value in that unit (Moodle's convention), including µ spelled 'u' and 'μ'."""
    from psyq import units

    unit = part.unit
    if unit in ("", "fraction"):
        return []
    base = units.unit(unit)
    out: list[tuple[str, float]] = [(base.text, 1.0)]
    candidates = [u for u in units.sibling_units(base) if u.text != base.text]
    molar_mass = getattr(part, "molar_mass", None)
    if molar_mass:  # ng/mL ⇄ nM with this version's molar mass
        for other in ("ng/mL", "nM"):
            candidates += [u for u in units.sibling_units(units.unit(other))
                           if u.text != base.text and u not in candidates]
    for u in candidates:
        if u.text == "fraction":
            continue  # a bare number is already read in the answer's unit
        try:
            factor = units.convert(1.0, base, u, molar_mass=molar_mass)
        except PsyqError:
            continue
        out.append((u.text, factor))
    expanded: list[tuple[str, float]] = []
    seen = set()
    for name, factor in out:
        for alias in (name, name.replace("µ", "u"), name.replace("µ", "μ")):
            if alias not in seen:
                seen.add(alias)
                expanded.append((alias, factor))
    return expanded


# ------------------------------------------------------------------------------------------------
# Portability findings

WARNING = "warning"  # the target cannot express something; psyq approximated it (--strict: error)
NOTE = "note"  # said for completeness; nothing a student meets is lost


@dataclass
class Finding:
    target: str
    code: str
    severity: str
    template: str
    part: str
    message: str  # what the target cannot express and what psyq does instead (same for every place)
    detail: str = ""  # what is particular to this place ('→ µM')
    count: int = 1  # how many versions

    def place(self) -> str:
        if self.template == "*":
            return ""
        inner = _place_inner(self.part, self.detail)
        return f"{self.template} ({inner})" if inner else self.template

    def text(self) -> str:
        place = self.place()
        return f"{self.target}: {self.message}" + (f" — {place}" if place else "")


def _place_inner(part: str, detail: str) -> str:
    return f"{part}: {detail}" if part and detail else part or detail


class Findings:
    """Portability findings, one per (target, code, template, part, detail), counted over versions."""

    def __init__(self) -> None:
        self._items: dict[tuple, Finding] = {}

    def add(self, target: str, code: str, severity: str, template: str, part: str, message: str,
            detail: str = "") -> None:
        key = (target, code, template, part, detail)
        hit = self._items.get(key)
        if hit is None:
            self._items[key] = Finding(target, code, severity, template, part, message, detail)
        else:
            hit.count += 1

    def __iter__(self) -> Iterator[Finding]:
        return iter(self._items.values())

    def __len__(self) -> int:
        return len(self._items)

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self if f.severity == WARNING]

    def codes(self) -> set[str]:
        return {f.code for f in self}

    def lines(self, severities: tuple[str, ...] = (WARNING, NOTE)) -> list[tuple[str, str]]:
        """(severity, text) per code: the message once, then every place it applies to."""
        groups: dict[tuple, list[Finding]] = {}
        for f in self:
            if f.severity in severities:
                groups.setdefault((f.severity, f.target, f.code, f.message), []).append(f)
        out = []
        for (severity, target, _code, message), items in groups.items():
            by_template: dict[str, list[str]] = {}
            for f in items:
                if f.template == "*":
                    continue
                inner = _place_inner(f.part, f.detail)
                by_template.setdefault(f.template, [])
                if inner:
                    by_template[f.template].append(inner)
            places = "; ".join(f"{t} ({', '.join(p)})" if p else t for t, p in by_template.items())
            out.append((severity, f"{target}: {message}" + (f" — {places}" if places else "")))
        return out


def common_lms_findings(exam, target: str, findings: Findings, *, units: str, multipart: str,
                        misconceptions: bool) -> None:
    """Findings every LMS target shares, per part (counted over versions).

    ``units``: 'table' (units with multipliers) or 'dropped'; ``multipart``: 'split' or 'kept';
    ``misconceptions``: whether the target can give a wrong value its own feedback."""
    for lp in lms_parts(exam, findings, target):
        tid = lp.problem.instance.template.id
        pid = lp.part.id
        if lp.rule:
            findings.add(target, "RULE_AS_INTERVAL", WARNING, tid, pid,
                         "significant-figure and decimal-place rules become the interval of values that "
                         "round to the answer (the figures written are not checked)", lp.rule)
        if lp.unit:
            if units == "dropped":
                findings.add(target, "UNITS_DROPPED", WARNING, tid, pid,
                             "units cannot be graded: the box takes a number in the unit the prompt names, "
                             "and an answer in another unit is marked wrong", lp.unit)
            else:
                names = " ".join(n for n, _ in unit_table(lp.part))
                findings.add(target, "UNITS_MULTIPLIERS", NOTE, tid, pid,
                             "units become a multiplier table; a unit outside it is not recognised", names)
        rule = getattr(lp.part.spec, "rule", None)
        if rule is not None and rule.units == "strict":
            findings.add(target, "STRICT_UNITS", WARNING, tid, pid,
                         "strict units are approximated: only the asked unit is offered")
        if lp.multipart and lp.index == 0 and multipart == "split":
            findings.add(target, "MULTIPART_SPLIT", WARNING, tid, "",
                         "a problem with several parts becomes one question per part, each repeating the stem",
                         f"{len(lp.problem.instance.parts)} parts")
        if lp.alternatives and not misconceptions:
            findings.add(target, "MISCONCEPTION_FEEDBACK_GENERAL", WARNING, tid, pid,
                         "no feedback for a particular wrong value: the misconceptions and their feedback "
                         "are listed in the general feedback for a wrong answer")
        if lp.alternatives and misconceptions:
            overlap = [a.name for a in lp.alternatives if abs(a.value - lp.value) <= a.half + lp.half]
            if overlap:
                findings.add(target, "MISCONCEPTION_OVERLAP", NOTE, tid, pid,
                             "a misconception's answer overlaps the accepted interval; the correct answer "
                             "is listed first and wins", ", ".join(overlap))
        if lp.part.hints and target in ("qti", "canvas", "gift"):
            findings.add(target, "HINTS_DROPPED", NOTE, tid, pid, "hints are not exported")
    for v in exam.versions[:1]:
        for prob in v.problems:
            if prob.instance.template.figure is not None:
                findings.add(target, "FIGURE_OMITTED", NOTE, prob.instance.template.id, "",
                             "figures are drawn in PDF and HTML only")


# ------------------------------------------------------------------------------------------------
# Output names

def sibling(out: Path, suffix: str) -> Path:
    """exam.pdf + '-key' → exam-key.pdf"""
    return out.with_name(out.stem + suffix + out.suffix)


def version_suffix(index: int, total: int) -> str:
    width = max(2, len(str(total)))
    return f"-v{index:0{width}d}"


def write_bytes(path: Path, data: bytes) -> Path:
    """Write atomically: a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    tmp.replace(path)
    return path


def strip_trailing_ws(text: str) -> str:
    return "\n".join(line.rstrip() for line in text.split("\n"))


def chunks(seq: list, size: int) -> Iterable[list]:
    for i in range(0, len(seq), size):
        yield seq[i:i + size]


# ------------------------------------------------------------------------------------------------
# Options and the documents a sheet format writes

KEY_MODES = ("none", "separate", "only", "append")
FIGURE_MODES = ("key", "all", "none")


@dataclass(frozen=True)
class Options:
    key: str = "none"  # none | separate (OUT-key) | only (OUT is the key) | append (key after the sheets)
    per_version: bool = False  # also one file per version
    figures: str = "key"  # key: figures in the key (answer marked) | all: also on sheets | none
    paper: str = "a4"  # a4 | letter
    duplex: bool = False  # each version starts on an odd page (two-sided printing)
    jobs: int | None = None  # worker processes for figures (None: up to 8, by CPU count)


@dataclass(frozen=True)
class Document:
    path: Path
    versions: tuple  # the Version objects it holds
    sheets: bool
    keys: bool


def documents(exam, out: Path, options: Options) -> list[Document]:
    """The files a sheet format writes: the combined file, its key, and per-version files."""
    all_v = tuple(exam.versions)
    docs: list[Document] = []
    if options.key == "only":
        docs.append(Document(out, all_v, False, True))
    else:
        docs.append(Document(out, all_v, True, options.key == "append"))
        if options.key == "separate":
            docs.append(Document(sibling(out, "-key"), all_v, False, True))
    if options.per_version:
        for v in exam.versions:
            base = sibling(out, version_suffix(v.index, len(exam.versions)))
            if options.key == "only":
                docs.append(Document(sibling(base, "-key"), (v,), False, True))
                continue
            docs.append(Document(base, (v,), True, options.key == "append"))
            if options.key == "separate":
                docs.append(Document(sibling(base, "-key"), (v,), False, True))
    return docs


def figure_needs(options: Options, docs: list[Document]) -> bool:
    if options.figures == "none":
        return False
    if options.figures == "all":
        return True
    return any(d.keys for d in docs)


# ------------------------------------------------------------------------------------------------
# XML writing

CDATA = "psyq-cdata"  # set this attribute on an element to write its text as a CDATA section


def xml_bytes(root, *, indent: str = "  ") -> bytes:
    """Serialise an ElementTree element, indented, with CDATA where asked (Moodle's HTML texts
    read better that way); every other text and attribute is escaped."""
    from xml.sax.saxutils import escape, quoteattr

    out: list[str] = ['<?xml version="1.0" encoding="UTF-8"?>']

    def text_of(el) -> str:
        t = clean_text(el.text or "")
        if el.get(CDATA) is not None:
            return "<![CDATA[" + t.replace("]]>", "]]]]><![CDATA[>") + "]]>"
        return escape(t)

    def attrs_of(el) -> str:
        return "".join(f" {k}={quoteattr(clean_text(v))}" for k, v in el.attrib.items() if k != CDATA)

    def inline(el, tail: bool = True) -> str:
        """Mixed content (text with elements inside) is written as it stands, on one line."""
        after = escape(clean_text(el.tail or "")) if tail else ""
        if not isinstance(el.tag, str):
            return f"<!--{clean_text(el.text or '').replace('--', '- -')}-->" + after
        inner = text_of(el) if el.text else ""
        inner += "".join(inline(c) for c in el)
        tag = f"<{el.tag}{attrs_of(el)}>{inner}</{el.tag}>" if inner else f"<{el.tag}{attrs_of(el)}/>"
        return tag + after

    def walk(el, depth: int) -> None:
        pad = indent * depth
        if not isinstance(el.tag, str):  # a comment
            out.append(f"{pad}<!--{clean_text(el.text or '').replace('--', '- -')}-->")
            return
        attrs = attrs_of(el)
        children = list(el)
        mixed = bool(children) and (bool(el.text and el.text.strip())
                                    or any(c.tail and c.tail.strip() for c in children))
        if mixed:
            out.append(pad + inline(el, tail=False))
            return
        if not children:
            if el.text:
                out.append(f"{pad}<{el.tag}{attrs}>{text_of(el)}</{el.tag}>")
            else:
                out.append(f"{pad}<{el.tag}{attrs}/>")
            return
        out.append(f"{pad}<{el.tag}{attrs}>")
        for child in children:
            walk(child, depth + 1)
        out.append(f"{pad}</{el.tag}>")

    walk(root, 0)
    return ("\n".join(out) + "\n").encode("utf-8")
