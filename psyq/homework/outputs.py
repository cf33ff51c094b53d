"""What ``psyq grade`` writes: full JSON, JUnit XML, PrairieLearn results.json, GitHub Classroom.

All four are built from the same :class:`~psyq.homework.grading.SubmissionResult` list.  Text a
student wrote is made printable (:func:`psyq.homework.submission.shown`) before it reaches XML or a
CI log, so an answer full of escape codes or XML-illegal characters cannot break a report.
"""

from __future__ import annotations

import base64
import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence

from psyq.homework.assignment import CompiledAssignment
from psyq.homework.grading import PartResult, SubmissionResult, _round
from psyq.homework.submission import shown

FORMAT = "psyq-grades"
FORMAT_VERSION = 1
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def _xml_text(text: str | None) -> str:
    return _XML_ILLEGAL.sub("\ufffd", text or "")


# ------------------------------------------------------------------------------------------------
# JSON (full detail; the input of psyq report)

def grades_json(compiled: CompiledAssignment, results: Sequence[SubmissionResult], *,
                secret_env: str, secret_set: bool, reveal: bool = False) -> dict:
    from psyq import __version__

    a = compiled.assignment
    graded = [r for r in results if r.status == "graded"]
    return {
        "format": FORMAT, "version": FORMAT_VERSION, "psyq": __version__,
        "assignment": {
            "id": a.id, "title": a.title, "file": a.path, "due": a.due,
            "max_points": _round(compiled.max_points),
            "items": [{"index": ci.index, "template": ci.template.id,
                       "title": ci.item.title or ci.template.title, "points": _round(ci.points),
                       "parts": [{"id": p.id, "template_part": p.part_id, "points": _round(p.points),
                                  "unit": p.unit} for p in ci.parts]}
                      for ci in compiled.items],
        },
        "seeds": {"scheme": "HMAC-SHA256(secret, assignment id ‖ 0x00 ‖ student id ‖ 0x00 ‖ item index)",
                  "secret_env": secret_env, "secret_set": secret_set},
        "summary": {
            "submissions": len(results), "graded": len(graded),
            "rejected": len(results) - len(graded), "passed": sum(r.passed for r in results),
            "mean_score": _round(sum(r.fraction for r in graded) / len(graded)) if graded else None,
        },
        "submissions": [r.to_json(reveal) for r in results],
    }


# ------------------------------------------------------------------------------------------------
# JUnit XML: one <testsuite> per submission, one <testcase> per part

def _part_message(p: PartResult) -> str:
    return shown(f"{p.id}: {p.feedback}", 500)


def junit_xml(compiled: CompiledAssignment, results: Sequence[SubmissionResult]) -> str:
    root = ET.Element("testsuites", name=f"psyq grade {compiled.id}")
    total = failures = errors = 0
    used: set[tuple[str, str]] = set()
    for r in results:
        student = shown(r.student or "unknown", 100)
        classname = _xml_text(f"{compiled.id}.{student}")
        suite = ET.SubElement(root, "testsuite", name=_xml_text(f"{compiled.id} {student} ({shown(r.file, 200)})"))
        s_tests = s_fail = s_err = 0
        if r.status == "rejected":
            case = ET.SubElement(suite, "testcase", classname=classname,
                                 name=_unique(used, classname, f"answers file ({student})"), file=_xml_text(r.file),
                                 time="0")
            err = ET.SubElement(case, "error", message=_xml_text(shown(r.error["text"], 500)),
                                type="rejected")  # the same word as the table and the JSON
            err.text = _xml_text(shown(r.error["text"], 2000))
            s_tests, s_err = 1, 1
        for p in r.parts:
            name = _unique(used, classname, f"{p.id} ({student})")  # stable across runs, unique per student
            attrs = {"classname": classname, "name": name, "file": _xml_text(r.file), "time": "0"}
            if p.line:
                attrs["line"] = str(p.line)
            case = ET.SubElement(suite, "testcase", **attrs)
            s_tests += 1
            if not p.correct:
                s_fail += 1
                fail = ET.SubElement(case, "failure", message=_xml_text(_part_message(p)), type=p.status)
                answer = "(no answer)" if p.answer is None else shown(p.answer, 200)
                fail.text = _xml_text(f"answer: {answer}\nnotes: {' '.join(p.notes)}\n{shown(p.feedback, 1000)}")
            out = ET.SubElement(case, "system-out")
            out.text = _xml_text(f"{p.prompt}\npoints: {_round(p.points):g}/{_round(p.max_points):g}")
        if r.warnings:
            ET.SubElement(suite, "system-err").text = _xml_text(
                "\n".join(f"line {w.line}: " * bool(w.line) + shown(w.message, 500) for w in r.warnings))
        suite.set("tests", str(s_tests))
        suite.set("failures", str(s_fail))
        suite.set("errors", str(s_err))
        suite.set("skipped", "0")
        suite.set("time", "0")
        total, failures, errors = total + s_tests, failures + s_fail, errors + s_err
    root.set("tests", str(total))
    root.set("failures", str(failures))
    root.set("errors", str(errors))
    root.set("time", "0")
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _unique(used: set, classname: str, name: str) -> str:
    name = _xml_text(name)
    candidate, n = name, 2
    while (classname, candidate) in used:
        candidate, n = f"{name} #{n}", n + 1
    used.add((classname, candidate))
    return candidate


# ------------------------------------------------------------------------------------------------
# PrairieLearn external-grader results.json

def prairielearn_result(r: SubmissionResult) -> dict:
    if r.status == "rejected":
        return {"gradable": False, "succeeded": False, "score": 0.0,
                "message": shown(r.error["text"], 2000), "output": "", "tests": []}
    tests = [{"name": p.id, "description": shown(p.prompt, 300),
              "points": _round(p.points), "max_points": _round(p.max_points),
              "message": shown(p.feedback, 1000),
              "output": "answer: " + ("(no answer)" if p.answer is None else shown(p.answer, 200))
                        + "\nnotes: " + " ".join(p.notes)}
             for p in r.parts]
    message = f"{_round(r.points):g}/{_round(r.max_points):g} points"
    if r.warnings:
        message += "; " + "; ".join(shown(w.message, 200) for w in r.warnings)
    return {"gradable": True, "succeeded": True, "score": min(1.0, max(0.0, _round(r.fraction))),
            "message": message, "output": "", "tests": tests}


def prairielearn_json(results: Sequence[SubmissionResult]):
    """One object for one submission; a list for several."""
    objs = [prairielearn_result(r) for r in results]
    return objs[0] if len(objs) == 1 else objs


# ------------------------------------------------------------------------------------------------
# GitHub Classroom (autograding-grading-reporter runner result)

def classroom_result(results: Sequence[SubmissionResult]) -> dict:
    """The runner result the GitHub Classroom reporter reads (base64 of this JSON, step output ``result``)."""
    tests = []
    many = len(results) > 1
    max_score = 0.0
    for r in results:
        prefix = f"{r.student or r.file}: " if many else ""
        max_score += r.max_points
        if r.status == "rejected":
            tests.append({"name": f"{prefix}answers file", "status": "error",
                          "message": shown(r.error["text"], 1000), "line_no": r.error.get("line") or 0,
                          "filename": r.file, "score": 0, "test_code": "psyq grade",
                          "execution_time": "0.0s"})
            continue
        for p in r.parts:
            tests.append({"name": f"{prefix}{p.id}", "status": "pass" if p.correct else "fail",
                          "message": "" if p.correct else _part_message(p),
                          "line_no": p.line or 0, "filename": r.file, "score": _round(p.points),
                          "test_code": f"psyq grade: {p.id}", "execution_time": "0.0s"})
    if any(t["status"] == "error" for t in tests):
        status = "error"
    elif any(t["status"] == "fail" for t in tests):
        status = "fail"
    else:
        status = "pass"
    return {"version": 1, "status": status, "max_score": _round(max_score), "tests": tests}


def classroom_output(results: Sequence[SubmissionResult]) -> str:
    """``result=<base64 JSON>``: append to $GITHUB_OUTPUT for a step the reporter names in ``runners``."""
    payload = json.dumps(classroom_result(results), ensure_ascii=False).encode("utf-8")
    return "result=" + base64.b64encode(payload).decode("ascii")


def annotations(results: Sequence[SubmissionResult]) -> list[str]:
    """GitHub Actions workflow commands that pin each wrong part to its line of answers.yaml."""
    def esc(text: str, prop: bool = False) -> str:
        text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
        return text.replace(":", "%3A").replace(",", "%2C") if prop else text

    lines = []
    for r in results:
        if r.status == "rejected":
            line = r.error.get("line") or 1
            lines.append(f"::error file={esc(r.file, True)},line={line},title=answers file::"
                         f"{esc(shown(r.error['text'], 500))}")
            continue
        for w in r.warnings:
            where = f"file={esc(r.file, True)}" + (f",line={w.line}" if w.line else "")
            lines.append(f"::notice {where},title=answers file::{esc(shown(w.message, 500))}")
        for p in r.parts:
            if p.correct:
                continue
            where = f"file={esc(r.file, True)}" + (f",line={p.line}" if p.line else "")
            lines.append(f"::warning {where},title={esc(p.id, True)}::{esc(_part_message(p))}")
    return lines
