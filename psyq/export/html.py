"""One self-contained HTML file: exam sheets and/or answer keys, for screen and print.

Self-contained means no request leaves the page: the style sheet is inline (with a print style
sheet: one version per printed page run, no split parts), math is presentation MathML (browsers
render it natively, no script), and figures are SVG embedded as data: URIs.  All template text
is HTML-escaped.
"""

from __future__ import annotations

import base64
import re
from html import escape
from typing import Mapping, Sequence

from psyq.export import common as C
from psyq.export import mathfmt as M

FORMAT = "html"
EXTENSION = ".html"

STYLE = """
:root { --ink: #1b1b1b; --muted: #5a5a5a; --rule: #9a9a9a; --tint: #f3f3f3; }
* { box-sizing: border-box; }
body { font-family: "Libertinus Serif", "Linux Libertine", Georgia, "Times New Roman", serif;
       color: var(--ink); line-height: 1.45; margin: 0; background: #e9e9e9; font-size: 11pt; }
.version { background: white; max-width: 52rem; margin: 1.5rem auto; padding: 2rem 2.4rem;
           box-shadow: 0 1px 4px rgba(0,0,0,.15); }
.head { display: flex; justify-content: space-between; align-items: flex-start; gap: 1rem; }
.head h1 { font-size: 1.6rem; margin: 0; }
.head .sub { color: var(--muted); margin: .1rem 0 0; }
.badge { border: 1.5px solid var(--ink); border-radius: 3px; padding: .25rem .7rem; text-align: center;
         min-width: 6rem; }
.badge .kind { font-size: .65rem; letter-spacing: .08em; text-transform: uppercase; }
.badge .index { font-size: 1.5rem; font-weight: bold; line-height: 1.1; }
.code, code { font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: .9em; }
.identity { display: grid; grid-template-columns: 3fr 2fr; gap: .6rem; margin: .9rem 0 .5rem; }
.field { border: 1px solid #444; border-radius: 3px; height: 3.1rem; padding: .15rem .35rem;
         font-size: .7rem; color: var(--muted); }
.note { font-size: .95rem; margin: .4rem 0 .6rem; }
hr { border: none; border-top: 1px solid var(--rule); }
.problem { margin-top: 1.4rem; }
.problem h2 { display: flex; justify-content: space-between; align-items: baseline; font-size: 1.15rem;
              margin: 0 0 .4rem; gap: 1rem; }
.problem h2 .meta { font-size: .8rem; font-weight: normal; color: var(--muted); }
table.givens { border-collapse: collapse; margin: .5rem 0 .8rem; font-size: .95rem; }
table.givens th { font-weight: normal; color: var(--muted); font-size: .8rem; text-align: left;
                  border-bottom: 1px solid var(--rule); padding: .1rem .6rem; }
table.givens td { padding: .15rem .6rem; }
table.givens tr:nth-child(even) td { background: var(--tint); }
.part { margin: .9rem 0; break-inside: avoid; page-break-inside: avoid; }
.part .prompt { display: flex; gap: .5rem; }
.part .prompt .pts { margin-left: auto; color: var(--muted); font-size: .85rem; white-space: nowrap; }
.work { border: 1px dashed #b5b5b5; border-radius: 3px; margin: .3rem 0; font-size: .65rem;
        color: #a0a0a0; padding: .2rem .3rem; }
.answer { text-align: right; }
.answer .blank { display: inline-block; width: 11rem; border-bottom: 1px solid var(--ink); height: 1.2em; }
.answer .unit { display: inline-block; min-width: 3.5rem; text-align: left; padding-left: .3rem; }
figure { margin: .6rem auto; text-align: center; }
figure img { width: 100%; max-width: 30rem; }
figcaption { font-size: .8rem; color: var(--muted); }
.key .answerline { margin: .3rem 0 .2rem 1.4rem; }
.key .interval, .key .rule { font-size: .9rem; color: var(--muted); margin-left: .6rem; }
.steps { margin: .3rem 0 .3rem 1.4rem; border-collapse: collapse; }
.steps td { padding: .15rem .5rem .15rem 0; vertical-align: middle; }
.steps .from { font-size: .75rem; color: var(--muted); }
table.mistakes { margin: .3rem 0 .3rem 1.4rem; border-collapse: collapse; font-size: .82rem; }
table.mistakes th { text-align: left; font-weight: normal; color: var(--muted); padding: .05rem .5rem .05rem 0; }
table.mistakes td { vertical-align: top; padding: .1rem .5rem .1rem 0; }
table.mistakes td.gives, .key .answerline, .key .interval, table.glance td { white-space: nowrap; }
table.mistakes .formula { display: block; margin: .05rem 0 .15rem; }
.steps math, table.mistakes math, .answerline math { math-style: normal; font-size: 1.1em; }
.solution { font-size: .92rem; color: #333; }
table.glance { border-collapse: collapse; font-size: .85rem; margin: .5rem 0 1rem; }
table.glance th, table.glance td { padding: .15rem .6rem; text-align: left; }
table.glance th { border-bottom: 1px solid var(--ink); }
table.glance tr:nth-child(even) td { background: var(--tint); }
.foot { margin-top: 1.5rem; font-size: .75rem; color: var(--muted); display: flex;
        justify-content: space-between; }
math { font-size: 1.05em; font-family: "Latin Modern Math", "STIX Two Math", "Libertinus Math", math; }
@media print {
  body { background: white; font-size: 10.5pt; }
  .version { box-shadow: none; margin: 0; padding: 0; max-width: none; break-before: page;
             page-break-before: always; }
  .version:first-of-type { break-before: auto; page-break-before: auto; }
  .problem h2 { break-after: avoid; page-break-after: avoid; }
  figure { break-inside: avoid; page-break-inside: avoid; }
  @page { size: PAPER; margin: 18mm 18mm 20mm; }
}
"""


def _m(box: M.Box) -> str:
    return M.to_mathml(box)


# The figure's text in the page's serif (matplotlib names DejaVu Sans inline; a style sheet rule
# marked !important wins over an inline style), as Typst sets it in the PDF.
_FIGURE_FONT = ('<style>text { font-family: "Libertinus Serif", "Linux Libertine", Georgia, '
                '"Times New Roman", serif !important; }</style>')


def _serif_figure(svg: str) -> str:
    return re.sub(r"(<svg\b[^>]*>)", lambda m: m.group(1) + _FIGURE_FONT, svg, count=1)


def _rich(pieces: list) -> str:
    """Prose pieces (:func:`psyq.export.common.rich`) → HTML: text escaped (a number and its unit
    joined by &nbsp;), symbols as MathML (K<sub>i</sub> as msub, the same as in the formulas)."""
    return "".join(_text(p) if isinstance(p, str) else _m(p) for p in pieces)


def _text(s: str) -> str:
    return escape(s).replace("\u00a0", "&nbsp;")


def _figure(svg: str, alt: str, caption: str | None) -> str:
    data = base64.b64encode(_serif_figure(svg).encode("utf-8")).decode("ascii")
    cap = f"<figcaption>{escape(caption)}</figcaption>" if caption else ""
    return f'<figure><img src="data:image/svg+xml;base64,{data}" alt="{escape(alt)}">{cap}</figure>'


def render(exam, versions: Sequence, *, sheets: bool, keys: bool, options: C.Options,
           figures: Mapping[str, object] | None = None) -> bytes:
    figures = figures or {}
    spec = exam.spec
    paper = "A4" if options.paper == "a4" else "letter"
    out = ["<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
           '<meta name="viewport" content="width=device-width, initial-scale=1">',
           '<meta name="generator" content="psyq">',
           f"<title>{escape(spec.title)}</title>", "<style>" + STYLE.replace("PAPER", paper) + "</style>",
           "</head>", "<body>"]
    views = {v.index: [C.problem_view(p) for p in v.problems] for v in versions}
    if sheets:
        for v in versions:
            out += _sheet(exam, v, views[v.index], options, figures)
    if keys:
        out += _overview(exam, versions, views)
        for v in versions:
            out += _key(exam, v, views[v.index], options, figures)
    out += ["</body>", "</html>", ""]
    return "\n".join(out).encode("utf-8")


def _head(spec, kind: str, index: str, code: str) -> list[str]:
    sub = "".join(f'<p class="sub">{escape(x)}</p>' for x in (spec.course, spec.date) if x)
    return [f'<div class="head"><div><h1>{escape(spec.title)}</h1>{sub}</div>',
            f'<div class="badge"><div class="kind">{escape(kind)}</div><div class="index">{escape(index)}</div>'
            f'<div class="code">{escape(code)}</div></div></div>']


def _foot(spec, text: str) -> str:
    return f'<div class="foot"><span>{escape(spec.title)}</span><span>{escape(text)}</span></div>'


def _sheet(exam, v, views, options, figures) -> list[str]:
    spec = exam.spec
    out = [f'<section class="version sheet" id="version-{v.index}" data-code="{escape(v.code)}">']
    out += _head(spec, "Version", str(v.index), v.code)
    out.append('<div class="identity"><div class="field">Name</div><div class="field">Student ID</div></div>')
    note = f"<strong>Total: {escape(C.points_text(v.points))}.</strong>"
    if spec.instructions:
        note += " " + " ".join(escape(p) for p in C.paragraphs(spec.instructions))
    out += [f'<p class="note">{note}</p>', "<hr>"]
    for pv in views:
        out.append(f'<article class="problem" id="v{v.index}-p{pv.number}">')
        out.append(f'<h2><span>Problem {pv.number}</span><span class="meta">{escape(C.points_text(pv.points))}'
                   f"</span></h2>")
        out += [f"<p>{_rich(pv.rich(p))}</p>" for p in pv.stem]
        out += _givens(pv)
        fig = figures.get(pv.figure_key) if options.figures == "all" else None
        if fig is not None:
            out.append(_figure(fig.sheet, fig.caption, None))
        multi = len(pv.parts) > 1
        for part in pv.parts:
            label = f"<strong>{escape(part.label)}</strong> " if multi else ""
            pts = f'<span class="pts">{escape(C.points_text(part.points))}</span>' if multi else ""
            out.append(f'<div class="part"><div class="prompt"><span>{label}{_rich(part.prompt_rich)}</span>{pts}</div>')
            if part.space_cm > 0:
                out.append(f'<div class="work" style="height: {part.space_cm:g}cm">work</div>')
            out.append(f'<p class="answer">Answer: <span class="blank"></span><span class="unit">'
                       f"{escape(part.unit)}</span></p></div>")
        out.append("</article>")
    out.append(_foot(spec, f"Version {v.index} · code {v.code}"))
    out.append("</section>")
    return out


def _givens(pv) -> list[str]:
    if not pv.givens:
        return []
    rows = ['<table class="givens"><thead><tr><th>given</th><th>value</th><th>meaning</th></tr></thead><tbody>']
    for g in pv.givens:
        rows.append(f"<tr><td>{_m(g.symbol)}</td><td>{_m(g.value)}</td><td>{escape(g.meaning)}</td></tr>")
    rows.append("</tbody></table>")
    return ["".join(rows)]


def _overview(exam, versions, views) -> list[str]:
    spec = exam.spec
    out = ['<section class="version key overview" id="answers-at-a-glance">']
    out += _head(spec, "Answer key", str(len(versions)), "versions")
    first = views[versions[0].index]
    cols = [f"{pv.number}" + (f"({p.id})" if len(pv.parts) > 1 else "") for pv in first for p in pv.parts]
    out.append("<h2>Answers at a glance</h2>")
    out.append('<table class="glance"><thead><tr><th>Version</th><th>Code</th>'
               + "".join(f"<th>{escape(c)}</th>" for c in cols) + "</tr></thead><tbody>")
    for v in versions:
        cells = [part for pv in views[v.index] for part in pv.parts]
        out.append(f'<tr><td>{v.index}</td><td class="code">{escape(v.code)}</td>'
                   + "".join(f"<td>{_m(p.answer_box)}</td>" for p in cells) + "</tr>")
    out.append("</tbody></table>")
    out.append("</section>")
    return out


def _key(exam, v, views, options, figures) -> list[str]:
    spec = exam.spec
    out = [f'<section class="version key" id="key-{v.index}" data-code="{escape(v.code)}">']
    out += _head(spec, "Answer key", str(v.index), v.code)
    out.append(f'<p class="note">Version {v.index} (code <span class="code">{escape(v.code)}</span>), '
               f"{escape(C.points_text(v.points))} in all. Reproduce a problem with "
               f"<code>psyq show TEMPLATE --seed SEED --key</code>.</p><hr>")
    for pv in views:
        out.append(f'<article class="problem" id="k{v.index}-p{pv.number}">')
        out.append(f"<h2><span>Problem {pv.number} <small><em>{escape(pv.title)}</em></small></span>"
                   f'<span class="meta">{escape(pv.template_id)} · seed {pv.seed} · '
                   f"{escape(C.points_text(pv.points))}</span></h2>")
        for part in pv.parts:
            label = f"<strong>{escape(part.label)}</strong> " if len(pv.parts) > 1 else ""
            out.append(f'<div class="part"><div class="prompt"><span>{label}{_rich(part.prompt_rich)}</span></div>')
            answer = _m(part.answer_box) if not part.unattainable else "not attainable"
            extra = "; ".join(x for x in (part.tolerance, part.rule) if x)
            out.append(f'<p class="answerline"><strong>Answer:</strong> {answer}'
                       f'<span class="interval">accepted {_text(C.nbsp_units(part.interval))}</span>'
                       + (f'<span class="rule">({_text(C.nbsp_units(extra))})</span>' if extra else "") + "</p>")
            if part.steps:
                out.append('<table class="steps"><tbody>')
                for i, s in enumerate(part.steps, start=1):
                    solved = M.row(s.lhs, ("op", "="), s.solved)
                    numbers = M.row(("op", "="), s.substituted, ("op", "="), s.result)
                    source = f"from {_m(s.relation_box)}" if s.relation_box is not None else ""
                    out.append(f"<tr><td>{i}.</td><td>{_m(solved)}</td><td>{_m(numbers)}</td>"
                               f'<td class="from">{source}</td></tr>')
                out.append("</tbody></table>")
            if part.mistakes:
                out.append('<table class="mistakes"><thead><tr><th>misconception</th><th>gives</th>'
                           "<th>feedback</th></tr></thead><tbody>")
                for m in part.mistakes:
                    formula = f'<span class="formula">{_m(m.formula)}</span>' if m.formula is not None else ""
                    out.append(f'<tr><td><code>{escape(m.name)}</code></td><td class="gives">{_text(m.shown)}</td>'
                               f"<td>{formula}{_rich(m.feedback_rich)}</td></tr>")
                out.append("</tbody></table>")
            out.append("</div>")
        fig = figures.get(pv.figure_key) if options.figures in ("key", "all") else None
        if fig is not None:
            out.append(_figure(fig.key, fig.caption, C.figure_caption(fig)))
        out += [f'<p class="solution">{_rich(pv.rich(p))}</p>' for p in pv.solution]
        out.append("</article>")
    out.append(_foot(spec, f"Answer key · version {v.index} · code {v.code}"))
    out.append("</section>")
    return out
