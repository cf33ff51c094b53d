"""Canvas-flavoured QTI 1.2 zip: one quiz whose question groups each draw one version at random.

One group per problem part ("Problem 2 (b)") holds that part of every version; Canvas picks one
question per group for each student (``selection_number`` 1, ``points_per_item``).  Each question
is a ``numerical_question`` with a range answer [low, high].

What Canvas cannot express, and what psyq does instead (said before writing, see ``check``):
units (the prompt names the unit; a number is read in it), feedback for a particular wrong value
(misconception feedback goes into the general feedback for a wrong answer), several parts in one
numerical question (split into groups), and numbers below 1e-4 (Canvas turns them into zero and
keeps four decimal places of what a student types): such answers are rescaled into a smaller
unit (M → µM, a fraction → %) and the prompt says so.
"""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET
from html import escape, unescape

from psyq.errors import PsyqError
from psyq.export import common as C
from psyq.export import moodle, qti21

FORMAT = "canvas"
EXTENSION = ".zip"
TARGET = "canvas"
NS = "http://www.imsglobal.org/xsd/ims_qtiasiv1p2"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
LOCATION = f"{NS} http://www.imsglobal.org/xsd/ims_qtiasiv1p2p1.xsd"
SMALLEST = 1e-4  # Canvas replaces a number below this by zero
DECIMALS = 4  # and keeps this many decimal places of a typed answer


def _fits(low: float, high: float) -> bool:
    """Canvas can grade [low, high]: no bound is zeroed, and rounding a typed answer to four
    decimals moves it by at most a tenth of the half-width."""
    small = min(abs(low), abs(high))
    if low <= 0 <= high:
        small = max(abs(low), abs(high))
    return small >= SMALLEST and (high - low) / 2 >= 10 * 0.5 * 10 ** -DECIMALS


def canvas_unit(lp: C.LmsPart) -> tuple[str, float]:
    """(unit, factor): the unit to ask in on Canvas and the factor from the part's unit to it.

    The part's own unit when its interval survives Canvas's rounding; otherwise, of the units of
    the same dimension that make it survive, the one that puts the answer nearest 1–1000;
    (the part's unit, 1.0) when none does."""
    import math

    from psyq import units

    if _fits(lp.low, lp.high):
        return lp.unit, 1.0
    unit_text = lp.part.unit
    base = units.unit(unit_text) if unit_text not in ("", "fraction") else units.FRACTION
    best = None
    for u in units.sibling_units(base):
        if u.text == base.text:
            continue
        try:
            f = units.convert(1.0, base, u)
        except PsyqError:  # a sibling that does not convert is simply not a candidate
            continue
        if not _fits(lp.low * f, lp.high * f):
            continue
        magnitude = math.log10(abs(lp.value * f)) if lp.value else 0.0
        distance = max(0.0, -magnitude, magnitude - 3)
        if best is None or distance < best[0]:
            best = (distance, C.unit_label(u.text), f)
    return (best[1], best[2]) if best is not None else (lp.unit, 1.0)


def check(exam, findings: C.Findings) -> None:
    C.common_lms_findings(exam, TARGET, findings, units="dropped", multipart="split", misconceptions=False)
    for lp in C.lms_parts(exam):
        tid, pid = lp.problem.instance.template.id, lp.part.id
        unit, factor = canvas_unit(lp)
        if factor != 1.0:
            findings.add(TARGET, "CANVAS_RESCALED", C.WARNING, tid, pid,
                         "Canvas turns numbers below 1e-4 into zero (and keeps 4 decimals of an answer): "
                         "the answer is asked in a smaller unit", f"{lp.unit or 'fraction'} → {unit}")
        elif not _fits(lp.low, lp.high):
            findings.add(TARGET, "CANVAS_TOO_SMALL", C.WARNING, tid, pid,
                         "Canvas turns numbers below 1e-4 into zero and no other unit fits: "
                         "these answers cannot be graded reliably on Canvas")
    findings.add(TARGET, "CANVAS_GROUPS", C.NOTE, "*", "",
                 "each problem part is a question group from which Canvas draws one version per student, "
                 "so one student's questions may come from different versions")


def _el(parent, tag: str, attrs: dict | None = None, text: str | None = None):
    e = ET.SubElement(parent, tag, attrs or {})
    if text is not None:
        e.text = text
    return e


def _meta(parent, label: str, entry: str) -> None:
    f = _el(parent, "qtimetadatafield")
    _el(f, "fieldlabel", text=label)
    _el(f, "fieldentry", text=entry)


def _mattext(parent, html: str) -> None:
    material = _el(parent, "material")
    _el(material, "mattext", {"texttype": "text/html"}, html)


def quiz_id(exam) -> str:
    return qti21.identifier(f"psyq-{exam.seed}-{len(exam.versions)}")


def assessment_xml(exam) -> bytes:
    root = ET.Element("questestinterop", {"xmlns": NS, "xmlns:xsi": XSI, "xsi:schemaLocation": LOCATION})
    title = C.clean_text(exam.spec.title)
    assessment = _el(root, "assessment", {"ident": quiz_id(exam), "title": title})
    md = _el(assessment, "qtimetadata")
    _meta(md, "cc_maxattempts", "1")
    root_section = _el(assessment, "section", {"ident": "root_section"})
    groups: dict[tuple[int, str], list[C.LmsPart]] = {}
    for lp in C.lms_parts(exam):
        groups.setdefault((lp.problem.number, lp.part.id), []).append(lp)
    # Problem then part, in numeric order ("Problem 9 (c)" before "Problem 10"): a part that only
    # some versions have would otherwise be appended after the first version's groups.
    for (number, pid), parts in sorted(groups.items(), key=lambda kv: (kv[0][0], _natural(kv[0][1]))):
        multi = parts[0].multipart
        section = _el(root_section, "section", {"ident": qti21.identifier(f"group-{number}-{pid}"),
                                                "title": f"Problem {number}" + (f" ({pid})" if multi else "")})
        so = _el(section, "selection_ordering")
        sel = _el(so, "selection")
        _el(sel, "selection_number", text="1")
        ext = _el(sel, "selection_extension")
        _el(ext, "points_per_item", text=C.plain_number(parts[0].points, 6))
        for lp in parts:
            _item(section, lp)
    return C.xml_bytes(root)


def _natural(text: str) -> tuple:
    """Sort key reading runs of digits as numbers ("a2" before "a10")."""
    return tuple((0, int(tok), "") if tok.isdigit() else (1, 0, tok) for tok in re.findall(r"\d+|\D+", text))


def _item(section, lp: C.LmsPart) -> None:
    ident = qti21.identifier(f"{lp.problem.instance.id}-{lp.part.id}")
    item = _el(section, "item", {"ident": ident, "title": moodle.question_name(lp)})
    meta = _el(_el(item, "itemmetadata"), "qtimetadata")
    _meta(meta, "question_type", "numerical_question")
    _meta(meta, "points_possible", C.plain_number(lp.points, 6))
    _meta(meta, "original_answer_ids", f"{ident}-answer")
    _meta(meta, "assessment_question_identifierref", f"{ident}-question")
    unit, factor = canvas_unit(lp)
    presentation = _el(item, "presentation")
    html = moodle.question_html(lp, math="text")
    if factor != 1.0 or unit != lp.unit:
        html = html.replace(f"<p><em>Give the answer in {escape(lp.unit)}.</em></p>", "")
        html = _prompt_in_unit(lp, html, unit)
        html += f"<p><em>Give the answer in {escape(unit) if unit else 'plain numbers'}.</em></p>"
    _mattext(presentation, html)
    response = _el(presentation, "response_str", {"ident": "response1", "rcardinality": "Single"})
    fib = _el(response, "render_fib", {"fibtype": "Decimal"})
    _el(fib, "response_label", {"ident": f"{ident}-answer"})
    proc = _el(item, "resprocessing")
    outcomes = _el(proc, "outcomes")
    _el(outcomes, "decvar", {"maxvalue": "100", "minvalue": "0", "varname": "SCORE", "vartype": "Decimal"})
    general = _el(proc, "respcondition", {"continue": "Yes"})
    _el(_el(general, "conditionvar"), "other")
    _el(general, "displayfeedback", {"feedbacktype": "Response", "linkrefid": "general_fb"})
    correct = _el(proc, "respcondition", {"continue": "No"})
    cond = _el(correct, "conditionvar")
    low, high = sorted((lp.low * factor, lp.high * factor))
    _el(cond, "vargte", {"respident": "response1"}, _fixed(low))
    _el(cond, "varlte", {"respident": "response1"}, _fixed(high))
    _el(correct, "setvar", {"action": "Set", "varname": "SCORE"}, "100")
    wrong = _el(proc, "respcondition", {"continue": "Yes"})
    _el(_el(wrong, "conditionvar"), "other")
    _el(wrong, "displayfeedback", {"feedbacktype": "Response", "linkrefid": "general_incorrect_fb"})
    fb = _el(item, "itemfeedback", {"ident": "general_fb"})
    _mattext(_el(fb, "flow_mat"), moodle.solution_html(lp, math="text"))
    if lp.alternatives:
        rows = "".join(f"<li>{_fixed(a.value * factor)}{(' ' + escape(unit)) if unit else ''}: "
                       f"{escape(a.feedback)}</li>" for a in lp.alternatives)
        wrong_html = f"<p>Common mistakes and the answers they give:</p><ul>{rows}</ul>"
    else:
        wrong_html = "<p>Not within the accepted range.</p>"
    fb = _el(item, "itemfeedback", {"ident": "general_incorrect_fb"})
    _mattext(_el(fb, "flow_mat"), wrong_html)


# "in mol/L", "in µM": the unit a prompt asks in (up to the punctuation or space after it).
_IN_UNIT = re.compile(r"(\bin\s+)([^\s?!,;:()<>]+?)(?=[.]?(?:[\s?!,;:)<]|$))")


def _prompt_in_unit(lp: C.LmsPart, html: str, unit: str) -> str:
    """The part's prompt with "in <the part's unit>" (any spelling: mol/L for M) rewritten into
    ``unit``, so that a rescaled question does not ask "in mol/L?" and then for nM."""
    from psyq import units

    if not unit:
        return html
    try:
        asked = units.unit(lp.part.unit) if lp.part.unit not in ("", "fraction") else units.FRACTION
    except PsyqError:
        return html
    prompt = escape(C.problem_view(lp.problem).parts[lp.index].prompt)

    def swap(m: re.Match) -> str:
        try:
            written = units.parse_unit(unescape(m.group(2)))
        except PsyqError:  # not a unit: "in the plasma"
            return m.group(0)
        if written.text == asked.text or written.same_as(asked):
            return m.group(1) + escape(unit)
        return m.group(0)

    head, found, tail = html.rpartition(prompt)
    if not found:
        return html
    return head + _IN_UNIT.sub(swap, prompt) + tail


def _fixed(x: float) -> str:
    """Plain decimal text (Canvas gives no margin to scientific notation)."""
    if not math.isfinite(x):
        return "0"
    return C.plain_number(x, 10)


def meta_xml(exam) -> bytes:
    root = ET.Element("quiz", {"xmlns": "http://canvas.instructure.com/xsd/cccv1p0", "xmlns:xsi": XSI,
                               "identifier": quiz_id(exam),
                               "xsi:schemaLocation": "http://canvas.instructure.com/xsd/cccv1p0 "
                                                     "https://canvas.instructure.com/xsd/cccv1p0.xsd"})
    _el(root, "title", text=C.clean_text(exam.spec.title))
    _el(root, "description", text=C.clean_text(exam.spec.instructions))
    _el(root, "shuffle_answers", text="false")
    _el(root, "scoring_policy", text="keep_highest")
    _el(root, "quiz_type", text="assignment")
    _el(root, "points_possible", text=C.plain_number(exam.versions[0].points if exam.versions else 0, 6))
    _el(root, "allowed_attempts", text="1")
    _el(root, "show_correct_answers", text="true")
    _el(root, "assignment_group_identifierref", text="psyq")
    return C.xml_bytes(root)


def manifest_xml(exam) -> bytes:
    qid = quiz_id(exam)
    root = ET.Element("manifest", {"xmlns": "http://www.imsglobal.org/xsd/imsccv1p1/imscp_v1p1",
                                   "identifier": qti21.identifier(f"{qid}-manifest")})
    md = _el(root, "metadata")
    _el(md, "schema", text="IMS Content")
    _el(md, "schemaversion", text="1.1.3")
    _el(root, "organizations")
    resources = _el(root, "resources")
    r = _el(resources, "resource", {"identifier": qid, "type": "imsqti_xmlv1p2"})
    _el(r, "file", {"href": f"{qid}/{qid}.xml"})
    _el(r, "dependency", {"identifierref": f"{qid}-meta"})
    m = _el(resources, "resource", {"identifier": f"{qid}-meta",
                                    "type": "associatedcontent/imscc_xmlv1p1/learning-application-resource",
                                    "href": f"{qid}/assessment_meta.xml"})
    _el(m, "file", {"href": f"{qid}/assessment_meta.xml"})
    return C.xml_bytes(root)


def package(exam) -> dict[str, bytes]:
    qid = quiz_id(exam)
    return {"imsmanifest.xml": manifest_xml(exam), f"{qid}/{qid}.xml": assessment_xml(exam),
            f"{qid}/assessment_meta.xml": meta_xml(exam)}


def render(exam, findings: C.Findings | None = None) -> bytes:
    return qti21.zip_bytes(package(exam))
