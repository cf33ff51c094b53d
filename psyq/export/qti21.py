"""IMS QTI 2.1 content package (a zip with imsmanifest.xml): one assessmentItem per problem and
version, one assessmentTest per version.

Each part is a ``textEntryInteraction`` with a float response; response processing gives the
part's points when the answer lies in the accepted interval (``gte``/``lte`` on the bounds) and,
for each misconception, adds its identifier to FEEDBACK so that its ``modalFeedback`` is shown.
The worked solution is a modal feedback shown after every attempt.  Units cannot be graded in a
float response: the unit is printed after the box.  The items validate against the IMS XSD
(imsqti_v2p1.xsd); the tests check it with the schemas in ../shared/schemas/qti21.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from psyq.export import common as C
from psyq.export import mathfmt as M

FORMAT = "qti"
EXTENSION = ".zip"
TARGET = "qti"
NS = "http://www.imsglobal.org/xsd/imsqti_v2p1"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
SCHEMA_LOCATION = f"{NS} http://www.imsglobal.org/xsd/imsqti_v2p1.xsd"
CP_NS = "http://www.imsglobal.org/xsd/imscp_v1p1"
CP_LOCATION = f"{CP_NS} http://www.imsglobal.org/xsd/imscp_v1p1.xsd"
ZIP_DATE = (2026, 1, 1, 0, 0, 0)


def check(exam, findings: C.Findings) -> None:
    C.common_lms_findings(exam, TARGET, findings, units="dropped", multipart="kept", misconceptions=True)
    findings.add(TARGET, "TOLERANCE_DISPLAY", C.NOTE, "*", "",
                 "some players (e.g. OLAT) do not show a tolerant numeric answer as correct in review; "
                 "the worked solution feedback states the accepted interval")


def identifier(text: str) -> str:
    """A QTI identifier (an NCName without dots): letters, digits, '-' and '_', starting with a letter."""
    out = re.sub(r"[^A-Za-z0-9_-]", "_", text)
    return out if out[:1].isalpha() else "I" + out


def item_id(version, problem) -> str:
    return identifier(f"psyq-{problem.instance.template.id}-v{version.index:03d}-p{problem.number}")


def _el(parent, tag: str, attrs: dict | None = None, text: str | None = None):
    e = ET.SubElement(parent, tag, attrs or {})
    if text is not None:
        e.text = text
    return e


def _base(tag: str, attrs: dict) -> ET.Element:
    root = ET.Element(tag, {"xmlns": NS, "xmlns:xsi": XSI, "xsi:schemaLocation": SCHEMA_LOCATION, **attrs})
    return root


def _p(parent, text: str, cls: str | None = None):
    return _el(parent, "p", {"class": cls} if cls else None, text)


def item_xml(exam, version, problem, parts: list[C.LmsPart]) -> bytes:
    view = C.problem_view(problem)
    title = f"{C.clean_text(exam.spec.title)} · version {version.index} · problem {problem.number}"
    root = _base("assessmentItem", {"identifier": item_id(version, problem), "title": title,
                                    "adaptive": "false", "timeDependent": "false"})
    for lp in parts:
        rd = _el(root, "responseDeclaration", {"identifier": f"RESPONSE_{lp.part.id}",
                                              "cardinality": "single", "baseType": "float"})
        cr = _el(rd, "correctResponse")
        _el(cr, "value", text=C.plain_number(lp.value))
    score = _el(root, "outcomeDeclaration", {"identifier": "SCORE", "cardinality": "single", "baseType": "float"})
    _el(_el(score, "defaultValue"), "value", text="0")
    maxscore = _el(root, "outcomeDeclaration", {"identifier": "MAXSCORE", "cardinality": "single",
                                                "baseType": "float"})
    _el(_el(maxscore, "defaultValue"), "value", text=C.plain_number(sum(lp.points for lp in parts) or 0))
    _el(root, "outcomeDeclaration", {"identifier": "FEEDBACK", "cardinality": "multiple", "baseType": "identifier"})

    body = _el(root, "itemBody")
    stem = _el(body, "div", {"class": "stem"})
    for para in view.stem:
        _p(stem, C.plain_prose(para, view.instance.template))
    if view.givens:
        table = _el(body, "table", {"class": "givens"})
        tb = _el(table, "tbody")
        for g in view.givens:
            tr = _el(tb, "tr")
            _el(tr, "td", text=M.to_text(g.symbol))
            _el(tr, "td", text=g.display)
            _el(tr, "td", text=g.meaning)
    for lp in parts:
        pv = view.parts[lp.index]
        para = _el(body, "p", {"class": "part"})
        label = f"{pv.label} " if len(view.parts) > 1 else ""
        para.text = f"{label}{C.plain_prose(pv.prompt, view.instance.template)} "
        entry = _el(para, "textEntryInteraction", {"responseIdentifier": f"RESPONSE_{lp.part.id}",
                                                   "expectedLength": "12"})
        entry.tail = f" {lp.unit}" if lp.unit else None

    rp = _el(root, "responseProcessing")
    for lp in parts:
        rc = _el(rp, "responseCondition")
        branch = _el(rc, "responseIf")
        _in_range(branch, lp.part.id, lp.low, lp.high)
        add = _el(branch, "setOutcomeValue", {"identifier": "SCORE"})
        s = _el(add, "sum")
        _el(s, "variable", {"identifier": "SCORE"})
        _el(s, "baseValue", {"baseType": "float"}, C.plain_number(lp.points))
        _feedback(branch, f"{lp.part.id}_CORRECT")
        for alt in lp.alternatives:
            other = _el(rc, "responseElseIf")
            _in_range(other, lp.part.id, alt.value - alt.half, alt.value + alt.half)
            _feedback(other, identifier(f"{lp.part.id}_MISC_{alt.name}"))
    _feedback(rp, "SOLUTION")

    for lp in parts:
        pv = view.parts[lp.index]
        mf = _el(root, "modalFeedback", {"outcomeIdentifier": "FEEDBACK", "identifier": f"{lp.part.id}_CORRECT",
                                         "showHide": "show"})
        mf.text = f"{pv.label if len(view.parts) > 1 else ''} Correct.".strip()
        for alt in lp.alternatives:
            mf = _el(root, "modalFeedback", {"outcomeIdentifier": "FEEDBACK",
                                             "identifier": identifier(f"{lp.part.id}_MISC_{alt.name}"),
                                             "showHide": "show"})
            mf.text = (f"{pv.label} " if len(view.parts) > 1 else "") + alt.feedback
    sol = _el(root, "modalFeedback", {"outcomeIdentifier": "FEEDBACK", "identifier": "SOLUTION", "showHide": "show"})
    for lp in parts:
        pv = view.parts[lp.index]
        lines = [f"{pv.label if len(view.parts) > 1 else 'Answer'}: {pv.answer}, accepted {pv.interval}"
                 + (f" ({lp.rule})" if lp.rule else "") + "."]
        for st in pv.steps:
            lines.append(f"{M.to_text(M.row(st.lhs, ('op', '='), st.solved))} = "
                         f"{M.to_text(st.substituted)} = {st.result_text}")
        _p(sol, " ".join(lines))
    for para in view.solution:
        _p(sol, C.plain_prose(para, view.instance.template))
    return _serialise(root)


def _in_range(parent, pid: str, low: float, high: float) -> None:
    both = _el(parent, "and")
    gte = _el(both, "gte")
    _el(gte, "variable", {"identifier": f"RESPONSE_{pid}"})
    _el(gte, "baseValue", {"baseType": "float"}, C.plain_number(min(low, high), 12))
    lte = _el(both, "lte")
    _el(lte, "variable", {"identifier": f"RESPONSE_{pid}"})
    _el(lte, "baseValue", {"baseType": "float"}, C.plain_number(max(low, high), 12))


def _feedback(parent, ident: str) -> None:
    sov = _el(parent, "setOutcomeValue", {"identifier": "FEEDBACK"})
    mult = _el(sov, "multiple")
    _el(mult, "variable", {"identifier": "FEEDBACK"})
    _el(mult, "baseValue", {"baseType": "identifier"}, ident)


def _serialise(root: ET.Element) -> bytes:
    return C.xml_bytes(root)


def test_xml(exam, version, items: list[tuple[str, str]]) -> bytes:
    root = _base("assessmentTest", {"identifier": identifier(f"psyq-test-v{version.index:03d}"),
                                    "title": f"{C.clean_text(exam.spec.title)} — version {version.index} "
                                             f"(code {version.code})"})
    out = _el(root, "outcomeDeclaration", {"identifier": "SCORE", "cardinality": "single", "baseType": "float"})
    _el(_el(out, "defaultValue"), "value", text="0")
    tp = _el(root, "testPart", {"identifier": "part1", "navigationMode": "nonlinear",
                                "submissionMode": "simultaneous"})
    section = _el(tp, "assessmentSection", {"identifier": "section1", "title": f"Version {version.index}",
                                            "visible": "true"})
    for ident, href in items:
        # The reference carries the item's own identifier: QTI allows another, but Canvas's converter
        # matches them and imports exact-text blanks when they differ.
        _el(section, "assessmentItemRef", {"identifier": ident, "href": href})
    op = _el(root, "outcomeProcessing")
    sov = _el(op, "setOutcomeValue", {"identifier": "SCORE"})
    s = _el(sov, "sum")
    _el(s, "testVariables", {"variableIdentifier": "SCORE"})
    return _serialise(root)


def manifest_xml(exam, resources: list[tuple[str, str, str, list[str]]]) -> bytes:
    """resources: (identifier, type, href, dependencies)."""
    root = ET.Element("manifest", {"xmlns": CP_NS, "xmlns:xsi": XSI, "xsi:schemaLocation": CP_LOCATION,
                                   "identifier": identifier(f"psyq-manifest-{exam.seed}")})
    md = _el(root, "metadata")
    _el(md, "schema", text="QTIv2.1 Package")
    _el(md, "schemaversion", text="1.0.0")
    _el(root, "organizations")
    res = _el(root, "resources")
    for ident, kind, href, deps in resources:
        r = _el(res, "resource", {"identifier": ident, "type": kind, "href": href})
        _el(r, "file", {"href": href})
        for d in deps:
            _el(r, "dependency", {"identifierref": d})
    return C.xml_bytes(root)


def package(exam) -> dict[str, bytes]:
    """path in the zip → bytes (items, tests, manifest)."""
    files: dict[str, bytes] = {}
    resources: list[tuple[str, str, str, list[str]]] = []
    parts_by_problem: dict[tuple[int, int], list[C.LmsPart]] = {}
    for lp in C.lms_parts(exam):
        parts_by_problem.setdefault((lp.version.index, lp.problem.number), []).append(lp)
    for v in exam.versions:
        refs = []
        item_resources = []
        for prob in v.problems:
            parts = parts_by_problem.get((v.index, prob.number), [])
            if not parts:
                continue
            ident = item_id(v, prob)
            href = f"items/{ident}.xml"
            files[href] = item_xml(exam, v, prob, parts)
            resources.append((f"RES-{ident}", "imsqti_item_xmlv2p1", href, []))
            refs.append((ident, f"../{href}"))
            item_resources.append(f"RES-{ident}")
        if refs:
            tid = identifier(f"psyq-test-v{v.index:03d}")
            href = f"tests/{tid}.xml"
            files[href] = test_xml(exam, v, refs)
            resources.append((f"RES-{tid}", "imsqti_test_xmlv2p1", href, item_resources))
    files["imsmanifest.xml"] = manifest_xml(exam, resources)
    return files


def zip_bytes(files: dict[str, bytes], first: str = "imsmanifest.xml") -> bytes:
    """A deterministic zip: fixed dates and permissions, manifest first, then sorted names."""
    import io
    import zipfile

    buf = io.BytesIO()
    names = [first] + sorted(n for n in files if n != first)
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as z:
        for name in names:
            info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            info.create_system = 3
            z.writestr(info, files[name], compresslevel=6)
    return buf.getvalue()


def render(exam, findings: C.Findings | None = None) -> bytes:
    return zip_bytes(package(exam))

