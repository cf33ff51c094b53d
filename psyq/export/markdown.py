"""Markdown exam sheets and answer keys (one file; math as $LaTeX$, figures as data: URIs).

Template text is kept as a person would type it, so the file can be edited: only what would
change its meaning in CommonMark/GFM is backslash-escaped — emphasis (``*``, ``_`` at a word's
edge), code (`` ` ``), links (``](``), HTML (``<`` before a tag), math (``$``), strikethrough
(``~``), entities (``&name;``), line-start markers (``# ``, ``>``, ``- ``, ``+ ``, ``1. ``) and,
in a table cell, pipes.
Parentheses, dots and hyphens inside a sentence stay as they are.  Math is LaTeX between
dollars, which GitHub, GitLab, pandoc and most editors render; a number and its unit are joined
by a no-break space.
"""

from __future__ import annotations

import base64
import re
from typing import Mapping, Sequence

from psyq.export import common as C
from psyq.export import mathfmt as M

FORMAT = "md"
EXTENSION = ".md"
_INLINE = re.compile(r"[\\`*$~]|\](?=[(\[:])|<(?=[A-Za-z/!?])|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])")
_ENTITY = re.compile(r"&(?=#?[A-Za-z0-9]+;)")
_LINE_START = re.compile(r"^(>|[#+-](?=\s|$))")
_ORDERED = re.compile(r"^(\d{1,9})([.)])(?=\s|$)")
_SPACES = re.compile(r"[ \t\n]+")  # not the no-break space, which keeps a number with its unit


def text(s: str, line_start: bool = True) -> str:
    """Template text → Markdown that shows exactly that text, escaping only what Markdown reads
    as markup (see the module docstring): '0.13 nM (Tatsumi et al. 1997)' stays as written.
    ``line_start``: the text begins a line (a piece inside a sentence does not)."""
    s = _SPACES.sub(" ", C.clean_text(s))
    if line_start:
        s = s.lstrip(" ")
    s = _INLINE.sub(lambda m: "\\" + m.group(0), s)
    s = _ENTITY.sub(r"\\&", s)
    if line_start:
        s = _LINE_START.sub(r"\\\1", s)
        s = _ORDERED.sub(r"\1\\\2", s)
    return s


def rich(pieces: list) -> str:
    """Prose pieces (:func:`psyq.export.common.rich`) → Markdown: text escaped, symbols as $LaTeX$."""
    return "".join(text(p, line_start=i == 0) if isinstance(p, str) else math(p)
                   for i, p in enumerate(pieces)).strip(" ")


def cell(s: str) -> str:
    """Text in a table cell: a pipe would end the cell."""
    return text(s).replace("|", "\\|")


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
            out += [rich(pv.rich(para)), ""]
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
            out += [f"{label}{rich(part.prompt_rich)}{pts}", "",
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
            out += [f"{label}{rich(part.prompt_rich)}", ""]
            answer = math(part.answer_box) if not part.unattainable else "not attainable"
            extra = "; ".join(x for x in (part.tolerance, part.rule) if x)
            out += [f"- **Answer:** {answer}, accepted {text(C.nbsp_units(part.interval), False)}"
                    + (f" ({text(C.nbsp_units(extra), False)})" if extra else "")]
            for i, s in enumerate(part.steps, start=1):
                solved = M.row(s.lhs, ("op", "="), s.solved)
                numbers = M.row(("op", "="), s.substituted, ("op", "="), s.result)
                source = f" (from {math(s.relation_box)})" if s.relation_box is not None else ""
                out.append(f"- Step {i}: {math(solved)} ${M.to_latex(numbers)}${source}")
            for m in part.mistakes:
                formula = f" ({math(m.formula)})" if m.formula is not None else ""
                out.append(f"- Misconception `{m.name}`{formula} gives {text(m.shown, False)}: {rich(m.feedback_rich)}")
            out.append("")
        fig = figures.get(pv.figure_key) if options.figures in ("key", "all") else None
        if fig is not None:
            out += [_figure(fig.key, fig.caption), "", f"*{text(C.figure_caption(fig))}*", ""]
        for para in pv.solution:
            out += [f"*{rich(pv.rich(para))}*", ""]
    return out
