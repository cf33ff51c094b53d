"""Moodle XML: every part of every version a numerical question, one category per template.

What carries over: the accepted interval (answer ± tolerance; Moodle's numerical tolerance is the
absolute half-width), units as Moodle's multiplier table (the asked unit first, with multiplier 1,
then the units psyq would convert from, ng/mL ⇄ nM with this version's molar mass), each
misconception as a 0 % answer with its own feedback, the worked solution as general feedback
(LaTeX for Moodle's MathJax filter), the hints as Moodle hints (interactive mode).

Categories: ``$course$/top/<title>/<template id>``; a problem with several parts gets one
sub-category per part (``…/<template id>/part a``) so that a quiz slot can draw a random version
of one part.  The XML is built with ElementTree, so all text is escaped by the serializer.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from html import escape

from psyq.export import common as C
from psyq.export import mathfmt as M

FORMAT = "moodle"
EXTENSION = ".xml"
TARGET = "moodle"


def check(exam, findings: C.Findings) -> None:
    C.common_lms_findings(exam, TARGET, findings, units="table", multipart="split", misconceptions=True)


def category_path(exam, lp: C.LmsPart) -> str:
    def part(name: str) -> str:
        return name.replace("/", "//")  # Moodle escapes a slash inside a category name by doubling it

    path = ["$course$", "top", part(exam.spec.title), part(lp.problem.instance.template.id)]
    if lp.multipart:
        path.append(f"part {lp.part.id}")
    return "/".join(path)


def question_name(lp: C.LmsPart) -> str:
    tid = lp.problem.instance.template.id
    part = f" ({lp.part.id})" if lp.multipart else ""
    return f"{tid} v{lp.version.index:02d} {lp.version.code}{part}"


def _text(parent: ET.Element, tag: str, content: str, fmt: str | None = "html") -> ET.Element:
    el = ET.SubElement(parent, tag, {"format": fmt} if fmt else {})
    ET.SubElement(el, "text", {C.CDATA: ""} if fmt == "html" else {}).text = content
    return el


def _plain(parent: ET.Element, tag: str, content: str) -> ET.Element:
    el = ET.SubElement(parent, tag)
    el.text = content
    return el


def _math(box: M.Box, math: str) -> str:
    if math == "latex":
        return f"\\({escape(M.to_latex(box))}\\)"
    return escape(M.to_text(box))


def _rich(pieces: list, math: str) -> str:
    """Prose pieces (:func:`psyq.export.common.rich`): text escaped, symbols as math."""
    return "".join(escape(p) if isinstance(p, str) else _math(p, math) for p in pieces)


def question_html(lp: C.LmsPart, math: str = "latex") -> str:
    """The stem, the givens, and this part's prompt (HTML; symbols as \\( LaTeX \\) for Moodle's
    MathJax filter, or plain text)."""
    view = C.problem_view(lp.problem)
    out = [f"<p>{_rich(view.rich(p), math)}</p>" for p in view.stem]
    if view.givens:
        rows = "".join(f"<tr><td>{_math(g.symbol, math)}</td><td>{escape(g.display)}</td>"
                       f"<td>{escape(g.meaning)}</td></tr>" for g in view.givens)
        out.append(f'<table class="psyq-givens"><tbody>{rows}</tbody></table>')
    pv = view.parts[lp.index]
    label = f"<strong>{escape(pv.label)}</strong> " if lp.multipart else ""
    out.append(f"<p>{label}{_rich(pv.prompt_rich, math)}</p>")
    if lp.unit:
        out.append(f"<p><em>Give the answer in {escape(lp.unit)}.</em></p>")
    return "".join(out)


def solution_html(lp: C.LmsPart, math: str = "latex") -> str:
    """The worked solution of one part, with the accepted interval (HTML; math as \\( LaTeX \\))."""
    view = C.problem_view(lp.problem)
    pv = view.parts[lp.index]
    out = [f"<p>Answer: {escape(C.nbsp_units(pv.answer))} (accepted {escape(C.nbsp_units(pv.interval))}"
           + (f"; {escape(lp.rule)}" if lp.rule else "") + ")</p>"]
    if pv.steps:
        out.append("<ol>")
        for s in pv.steps:
            solved = M.row(s.lhs, ("op", "="), s.solved)
            numbers = M.row(s.lhs, ("op", "="), s.substituted, ("op", "="), s.result)
            out.append(f"<li>{_math(solved, math)}<br>{_math(numbers, math)}</li>")
        out.append("</ol>")
    out += [f"<p>{_rich(view.rich(p), math)}</p>" for p in view.solution]
    return "".join(out)


def render(exam, findings: C.Findings | None = None) -> bytes:
    quiz = ET.Element("quiz")
    quiz.append(ET.Comment(f" psyq export: {C.clean_text(exam.spec.title)}, {len(exam.versions)} versions, "
                           f"seed {exam.seed} ".replace("--", "- -")))
    by_category: dict[str, list[C.LmsPart]] = {}
    for lp in C.lms_parts(exam):
        by_category.setdefault(category_path(exam, lp), []).append(lp)
    for path, parts in by_category.items():
        cat = ET.SubElement(quiz, "question", {"type": "category"})
        c = ET.SubElement(cat, "category")
        ET.SubElement(c, "text").text = path
        for lp in parts:
            _question(quiz, lp)
    return C.xml_bytes(quiz)


def _question(quiz: ET.Element, lp: C.LmsPart) -> None:
    inst = lp.problem.instance
    q = ET.SubElement(quiz, "question", {"type": "numerical"})
    name = ET.SubElement(q, "name")
    ET.SubElement(name, "text").text = question_name(lp)
    _text(q, "questiontext", question_html(lp))
    _text(q, "generalfeedback", solution_html(lp))
    _plain(q, "defaultgrade", C.plain_number(lp.points, 7))
    _plain(q, "penalty", "0.3333333")
    _plain(q, "hidden", "0")
    _plain(q, "idnumber", f"{inst.id}-{lp.part.id}")
    answer = ET.SubElement(q, "answer", {"fraction": "100", "format": "moodle_auto_format"})
    ET.SubElement(answer, "text").text = C.plain_number(lp.value)
    _text(answer, "feedback", "<p>Correct.</p>")
    _plain(answer, "tolerance", C.plain_number(lp.half))
    for alt in lp.alternatives:
        a = ET.SubElement(q, "answer", {"fraction": "0", "format": "moodle_auto_format"})
        ET.SubElement(a, "text").text = C.plain_number(alt.value)
        _text(a, "feedback", f"<p>{escape(alt.feedback)}</p>")
        _plain(a, "tolerance", C.plain_number(alt.half))
    rule = getattr(lp.part.spec, "rule", None)
    strict = rule is not None and rule.units == "strict"
    table = C.unit_table(lp.part)
    if strict:  # only the asked unit (and its spellings), and the unit is graded
        table = [(name, factor) for name, factor in table if factor == 1.0]
    if table:
        units = ET.SubElement(q, "units")
        for unit_name, multiplier in table:
            u = ET.SubElement(units, "unit")
            _plain(u, "multiplier", C.plain_number(multiplier, 12))
            _plain(u, "unit_name", unit_name)
    # unitgradingtype 0 + showunits 0: units optional, typed after the number, converted if given;
    # strict units: the unit is graded (a missing or unlisted unit costs the whole mark).
    _plain(q, "unitgradingtype", "1" if strict and table else "0")
    _plain(q, "unitpenalty", "1.0000000" if strict else "0.1000000")
    _plain(q, "showunits", "0" if table else "3")
    _plain(q, "unitsleft", "0")
    for hint in lp.part.hints:
        _text(q, "hint", f"<p>{escape(C.clean_text(hint))}</p>")
    tags = ET.SubElement(q, "tags")
    for tag in ("psyq", inst.template.family, inst.template.id, f"version-{lp.version.index}"):
        t = ET.SubElement(tags, "tag")
        ET.SubElement(t, "text").text = tag
