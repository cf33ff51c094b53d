"""Markdown exam sheets and answer keys (one file; math as $LaTeX$, figures as data: URIs).

Markdown has no escaping of its own for every renderer, so template text is backslash-escaped
for the characters CommonMark gives a meaning (emphasis, links, code, HTML, headings, lists,
tables) and math is written as LaTeX between dollars, which GitHub, GitLab, pandoc and most
editors render.
"""

from __future__ import annotations

import base64
import re
from typing import Mapping, Sequence

from psyq.export import common as C
from psyq.export import mathfmt as M

FORMAT = "md"
EXTENSION = ".md"
_SPECIAL = re.compile(r"([\\`*_{}\[\]<>()#+\-.!|~$&])")


def text(s: str) -> str:
    """Template text → Markdown that shows exactly that text."""
    return _SPECIAL.sub(r"\\\1", " ".join(C.clean_text(s).split()))


def cell(s: str) -> str:
    return text(s)


def math(box: M.Box) -> str:
    return "$" + M.to_latex(box) + "$"


def _figure(svg: str, alt: str) -> str:
    data = base64.b64encode(svg.encode("utf-8")).decode("ascii")
    return f"![{text(alt)}](data:image/svg+xml;base64,{data})"


def render(exam, versions: Sequence, *, sheets: bool, keys: bool, options: C.Options,
           figures: Mapping[str, object] | None = None) -> bytes:
    figures = figures or {}
    views = {v.index: [C.problem_view(p) for p in v.problems] for v in versions}
    out: list[str] = []
    if sheets:
        for v in versions:
            out += _sheet(exam, v, views[v.index], options, figures)
    if keys:
        out += _overview(exam, versions, views)
        for v in versions:
            out += _key(exam, v, views[v.index], options, figures)
    return (C.strip_trailing_ws("\n".join(out)).strip() + "\n").encode("utf-8")


def _sheet(exam, v, views, options, figures) -> list[str]:
    spec = exam.spec
    out = [f"# {text(spec.title)} — version {v.index} (code {v.code})", ""]
    for x in (spec.course, spec.date):
        if x:
            out += [text(x), ""]
    out += ["Name: ______________________________  Student ID: ________________", ""]
    note = f"**Total: {C.points_text(v.points)}.**"
    if spec.instructions:
        note += " " + " ".join(text(p) for p in C.paragraphs(spec.instructions))
    out += [note, ""]
    for pv in views:
        out += [f"## Problem {pv.number} ({C.points_text(pv.points)})", ""]
        for para in pv.stem:
            out += [text(para), ""]
        if pv.givens:
            out += ["| given | value | meaning |", "|---|---|---|"]
            out += [f"| {math(g.symbol)} | {math(g.value)} | {cell(g.meaning)} |" for g in pv.givens]
            out.append("")
        fig = figures.get(pv.figure_key) if options.figures == "all" else None
        if fig is not None:
            out += [_figure(fig.sheet, fig.caption), ""]
        multi = len(pv.parts) > 1
        for part in pv.parts:
            label = f"**{part.label}** " if multi else ""
            pts = f" *({C.points_text(part.points)})*" if multi else ""
            unit = f" {text(part.unit)}" if part.unit else ""
            out += [f"{label}{text(part.prompt)}{pts}", "",
                    f"Answer: ____________________{unit}", ""]
    out += ["---", ""]
    return out


def _overview(exam, versions, views) -> list[str]:
    first = views[versions[0].index]
    cols = [f"{pv.number}" + (f"({p.id})" if len(pv.parts) > 1 else "") for pv in first for p in pv.parts]
    out = [f"# {text(exam.spec.title)} — answer key", "", "## Answers at a glance", "",
           "| version | code | " + " | ".join(cols) + " |", "|---|---|" + "---|" * len(cols)]
    for v in versions:
        cells = [math(p.answer_box) for pv in views[v.index] for p in pv.parts]
        out.append(f"| {v.index} | `{v.code}` | " + " | ".join(cells) + " |")
    out.append("")
    return out


def _key(exam, v, views, options, figures) -> list[str]:
    out = [f"## Answer key — version {v.index} (code `{v.code}`)", "",
           f"{C.points_text(v.points)} in all. Reproduce a problem with `psyq show TEMPLATE --seed SEED --key`.", ""]
    for pv in views:
        out += [f"### Problem {pv.number} — {text(pv.title)}", "",
                f"`{pv.template_id}` · seed {pv.seed} · {C.points_text(pv.points)}", ""]
        for part in pv.parts:
            label = f"**{part.label}** " if len(pv.parts) > 1 else ""
            out += [f"{label}{text(part.prompt)}", ""]
            answer = math(part.answer_box) if not part.unattainable else "not attainable"
            extra = "; ".join(x for x in (part.tolerance, part.rule) if x)
            out += [f"- **Answer:** {answer}, accepted {text(part.interval)}" + (f" ({text(extra)})" if extra else "")]
            for i, s in enumerate(part.steps, start=1):
                solved = M.row(s.lhs, ("op", "="), s.solved)
                numbers = M.row(("op", "="), s.substituted, ("op", "="), s.result)
                out.append(f"- Step {i}: {math(solved)} ${M.to_latex(numbers)}$ (from `{s.relation}`)")
            for name, shown, feedback in part.misconceptions:
                out.append(f"- Misconception `{name}` gives {text(shown)}: {text(feedback)}")
            out.append("")
        fig = figures.get(pv.figure_key) if options.figures in ("key", "all") else None
        if fig is not None:
            out += [_figure(fig.key, fig.caption), "", f"*{text(C.figure_caption(fig))}*", ""]
        for para in pv.solution:
            out += [f"*{text(para)}*", ""]
    return out
