"""Problem sheets, blank answer files and instructor keys for each student's variant.

* :func:`sheet_markdown` — what the student reads (no answers);
* :func:`answers_template` — the blank ``answers.yaml``: every part id with a comment saying what is
  asked and in which unit;
* :func:`key_markdown` — the instructor's key: answers, accepted intervals, misconception values,
  worked solutions;
* :func:`sheet_json` / :func:`key_json` — the same as data, in the instance contract of
  docs/instance.md, keyed by part id (the sheet's copy has every answer-bearing field removed).
"""

from __future__ import annotations

import json
import re

from psyq.homework.assignment import CompiledAssignment

# Fields of the instance contract that give the answer away: never on a student's sheet.
ANSWER_FIELDS = ("answer", "accept", "misconceptions", "solution", "rule", "unattainable")
# Fields that let anyone regenerate the variant, and so its key, without the secret
# (psyq show TEMPLATE --seed N --key): never on a student's sheet either.
VARIANT_FIELDS = ("seed", "instance", "id")


def unit_phrase(unit: str) -> str:
    if unit in ("", None):
        return "a number"
    if unit == "fraction":
        return "a fraction, e.g. 0.25"
    return f"in {unit}"


def _one_line(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _points(x: float) -> str:
    text = f"{x:.2f}".rstrip("0").rstrip(".")
    return f"{text} point" + ("" if text == "1" else "s")


def _md_escape(text: str) -> str:
    return re.sub(r"([\\`*_{}\[\]<>|#])", r"\\\1", text)


def sheet_markdown(compiled: CompiledAssignment, student: str, instances: list, *,
                   fingerprint: str = "none") -> str:
    a = compiled.assignment
    lines = [f"# {_md_escape(a.title)}", ""]
    meta = [f"**Assignment:** {a.id}", f"**Student:** {student}"]
    if a.due:
        meta.append(f"**Due:** {a.due}")
    meta.append(f"**Points:** {compiled.max_points:g}")
    meta.append(f"**Issued:** {fingerprint}")
    lines += [" · ".join(meta), ""]
    if a.instructions:
        lines += [a.instructions.strip(), ""]
    lines += [("Write your answers in `answers.yaml` under the part ids shown in bold "
              "(for example `1a: \"80.5 %\"`), with their units."), ""]
    for ci, inst in zip(compiled.items, instances):
        heading = ci.item.title or inst.template.title
        lines += [f"## Problem {ci.index}: {_md_escape(heading)} ({_points(ci.points)})", "",
                  inst.text.strip(), ""]
        for cp in ci.parts:
            p = inst.part(cp.part_id)
            lines.append(f"- **{cp.id}** ({_points(cp.points)}) {p.prompt.strip()} "
                         f"*Answer {unit_phrase(p.unit)}.*")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def answers_template(compiled: CompiledAssignment, student: str, instances: list, *,
                     fingerprint: str = "none") -> str:
    a = compiled.assignment
    out = [
        f"# Answers to \"{_one_line(a.title)}\" ({a.id}) for student {student}.",
        "# Write each answer in quotes after its part id, with its unit, e.g.  1a: \"80.5 %\"",
        "# Keep the student, assignment and issued lines as they are. Lines starting with # are comments.",
        f"student: {student}",
        f"assignment: {a.id}",
        f"issued: \"{fingerprint}\"",
        "answers:",
    ]
    for ci, inst in zip(compiled.items, instances):
        for cp in ci.parts:
            p = inst.part(cp.part_id)
            prompt = _one_line(p.prompt)
            out.append(f"  # {cp.id} ({_points(cp.points)}): {prompt} Answer {unit_phrase(p.unit)}.")
            out.append(f"  {cp.id}: \"\"")
    return "\n".join(out) + "\n"


def key_markdown(compiled: CompiledAssignment, student: str, instances: list, *,
                 secret_set: bool = True) -> str:
    a = compiled.assignment
    lines = [f"# Key: {_md_escape(a.title)}", "",
             f"**Assignment:** {a.id} · **Student:** {student} · **Points:** {compiled.max_points:g}"
             + ("" if secret_set else " · seeds without a secret"), ""]
    for ci, inst in zip(compiled.items, instances):
        lines += [f"## Problem {ci.index}: {_md_escape(ci.item.title or inst.template.title)}", "",
                  f"Template `{inst.template.id}`, seed {inst.seed}, instance `{inst.id}`.", "",
                  inst.text.strip(), ""]
        for cp in ci.parts:
            p = inst.part(cp.part_id)
            lines.append(f"- **{cp.id}** ({_points(cp.points)}) {p.prompt.strip()}")
            if p.value is None:
                lines.append("  - answer: not attainable")
            else:
                unit = "" if p.unit in ("", "fraction") else f" {p.unit}"
                lines.append(f"  - answer: **{p.display}**, accepted [{p.low:.4g}, {p.high:.4g}]{unit}")
            for m in p.misconceptions:
                lines.append(f"  - misconception `{m.name}`: {m.display}")
            for s in p.steps:
                lines.append(f"  - {s.substituted} = {s.result}")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def key_json(compiled: CompiledAssignment, student: str, instances: list) -> dict:
    """Each of the student's instances in the instance contract, and every part keyed by its id."""
    items = {}
    parts = {}
    for ci, inst in zip(compiled.items, instances):
        data = inst.to_json()
        data["seed"] = str(data["seed"])  # 63-bit seeds: JavaScript numbers keep only 53 bits
        items[str(ci.index)] = data
        by_id = {p["id"]: p for p in data["parts"]}
        for cp in ci.parts:
            # the assignment's points win over the template part's own weight
            parts[cp.id] = {**by_id[cp.part_id], "item": ci.index, "template": inst.template.id,
                            "seed": str(inst.seed), "instance": inst.id, "points": cp.points}
    return {"format": "psyq-homework-key", "version": 1, "assignment": compiled.id,
            "title": compiled.assignment.title, "student": student, "max_points": compiled.max_points,
            "items": items, "parts": parts}


def sheet_json(compiled: CompiledAssignment, student: str, instances: list, *,
               fingerprint: str = "none") -> dict:
    """The key without anything that gives an answer away or regenerates the variant (seeds, ids)."""
    data = key_json(compiled, student, instances)
    data["format"] = "psyq-homework-sheet"
    data["due"] = compiled.assignment.due
    data["instructions"] = compiled.assignment.instructions
    data["issued"] = fingerprint
    for inst in data["items"].values():
        inst.pop("solution", None)
        for f in VARIANT_FIELDS:
            inst.pop(f, None)
        for p in inst["parts"]:
            for f in ANSWER_FIELDS:
                p.pop(f, None)
    for p in data["parts"].values():
        for f in (*ANSWER_FIELDS, *VARIANT_FIELDS):
            if f != "id":
                p.pop(f, None)
    return data


def dumps(data) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def render_document(compiled: CompiledAssignment, student: str, instances: list, fmt: str, *,
                    key: bool = False, fingerprint: str = "none") -> bytes:
    """A student's sheet (or key) as PDF or HTML, through psyq's exam exporter (psyq.export):
    the student's variant is laid out as one exam version whose code is the student id."""
    import importlib

    from psyq.errors import PsyqError

    unavailable = PsyqError(f"--format {fmt} is not available yet: the PDF/HTML exporter (psyq.export) "
                            "is not installed in this psyq", hint="use --format md or --format json")
    try:
        from psyq.exam import Exam, ExamItem, ExamSpec, Problem, Version
        from psyq.export import common as C

        renderer = importlib.import_module("psyq.export.html" if fmt == "html" else "psyq.export.typst_pdf")
    except ImportError:
        raise unavailable from None
    a = compiled.assignment
    note = ("Write your answers in answers.yaml under the part ids: the problem number followed by "
            "the part letter (1a, 2b, …), each with its unit.")
    spec_items = tuple(ExamItem(ci.template.id, ci.points) for ci in compiled.items)
    spec = ExamSpec(title=a.title, items=spec_items, course=f"{a.id} · student {student} · issued {fingerprint}",
                    instructions="\n\n".join(x for x in (a.instructions, note) if x),
                    date=f"due {a.due}" if a.due else "")
    problems = [Problem(ci.index, item, inst, ci.points, tuple(cp.points for cp in ci.parts))
                for ci, item, inst in zip(compiled.items, spec_items, instances)]
    version = Version(1, student, 0, problems)
    try:
        return renderer.render(Exam(spec, 0, [version]), [version], sheets=not key, keys=key,
                               options=C.Options())
    except (TypeError, AttributeError) as exc:  # the exporter's interface moved on
        raise PsyqError(f"--format {fmt}: the PDF/HTML exporter could not lay out this sheet ({exc})",
                        hint="use --format md or --format json") from None
