"""PDF exam sheets and answer keys, typeset with Typst (the ``typst`` Python package) in a child
process, a long document in runs of whole versions whose pages are joined (see "Compiling" below).

No TeX, no network: only the fonts embedded in Typst itself are used (Libertinus Serif, New
Computer Modern Math, DejaVu Sans Mono; system fonts are ignored so that every machine makes the
same bytes), no ``@preview`` packages are imported, and the document date is fixed.  Every piece
of template text is escaped for Typst markup (:func:`markup`) or written as a Typst string
literal (:func:`string`); figures travel as ``sys.inputs`` strings, never as file paths.
"""

from __future__ import annotations

import atexit
import io
import json
import string as _string
from typing import Mapping, NamedTuple, Sequence

from psyq.errors import PsyqError
from psyq.export import common as C
from psyq.export import mathfmt as M

FORMAT = "pdf"
EXTENSION = ".pdf"
DOCUMENT_DATE = (2026, 1, 1)  # fixed: the same inputs give the same bytes
_PUNCTUATION = frozenset(_string.punctuation)
PAPERS = {"a4": "a4", "letter": "us-letter"}


def markup(text: str) -> str:
    """Text → Typst markup that prints exactly that text.

    Every ASCII punctuation character is backslash-escaped (Typst reads a backslash before any
    character as that character), so nothing a template says can start code (#), math ($),
    emphasis (* _), references (@ <>), content blocks ([ ]), raw text (`), comments (// /*),
    headings (=) or lists (- + /), or turn into a URL link.  Line breaks become spaces."""
    out = []
    for ch in C.clean_text(text):
        if ch in _PUNCTUATION:
            out.append("\\" + ch)
        elif ch == "\n":
            out.append(" ")
        else:
            out.append(ch)
    return "".join(out)


def string(text: str) -> str:
    """Text → a Typst string literal."""
    return M._typst_string(C.clean_text(text))


def math_inline(box: M.Box) -> str:
    return "$" + M.to_typst(box) + "$"


def math_display(box: M.Box) -> str:
    """A block equation, left-aligned (see the preamble), for worked solutions: unlike inline
    math, a block's full height (a display fraction's denominator) counts in the layout, so it
    never runs into the next line."""
    return "$ " + M.to_typst(box) + " $"


def rich(pieces: list) -> str:
    """Prose pieces (:func:`psyq.export.common.rich`) → markup: text escaped, symbols as math."""
    return "".join(markup(p) if isinstance(p, str) else math_inline(p) for p in pieces)


def _value(v) -> str:
    """A Python value → Typst code (a string literal, a number, none, a datetime or a dictionary)."""
    if v is None:
        return "none"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, tuple):  # a date
        return f"datetime(year: {int(v[0])}, month: {int(v[1])}, day: {int(v[2])})"
    if isinstance(v, dict):
        return "(" + ", ".join(f"{k}: {_value(x)}" for k, x in v.items()) + ")"
    return string(str(v))


def config(exam, options: C.Options) -> str:
    """The document's settings as one Typst dictionary the (fixed) preamble reads: the
    preamble's text is never edited, so nothing in a title can change it."""
    return "#let psyq-config = " + _value({
        "title": exam.spec.title, "date": DOCUMENT_DATE, "paper": PAPERS.get(options.paper, "a4"),
        "duplex": "odd" if options.duplex else None}) + "\n"


PREAMBLE = r"""
#let psyq-ver = state("psyq-ver", none)
#set document(title: psyq-config.title, author: "psyq", date: psyq-config.date)
#set page(paper: psyq-config.paper, margin: (x: 2cm, top: 1.7cm, bottom: 2cm), footer: context {
  let v = psyq-ver.get()
  if v != none {
    let last = counter(page).at(label("psyq-end-" + v.key)).first()
    let n = counter(page).get().first()
    if n <= last {
      set text(size: 8pt, fill: luma(70))
      grid(columns: (1fr, auto, 1fr), align: (left, center, right),
        v.title, if v.index > 0 [#v.kind · Version #v.index · code #text(font: "DejaVu Sans Mono", v.code)]
                 else [#v.kind],
        [Page #n of #last])
    }
  }
})
#set text(font: ("Libertinus Serif", "New Computer Modern"), size: 10.5pt, lang: "en")
#set par(leading: 0.62em, spacing: 0.95em)
#show math.equation: set text(font: "New Computer Modern Math")
#set table(stroke: none)
#show math.equation.where(block: true): set align(left)
#show math.equation.where(block: true): set block(above: 0.35em, below: 0.35em)

#let psyq-start(key, kind, index, code, title) = {
  pagebreak(weak: true, to: psyq-config.duplex)
  counter(page).update(1)
  psyq-ver.update((key: key, kind: kind, index: index, code: code, title: title))
}
#let psyq-end(key) = [#metadata(key)#label("psyq-end-" + key)]

#let psyq-field(name) = box(width: 100%, height: 1.15cm, stroke: 0.7pt + luma(40), radius: 2pt,
  inset: (x: 5pt, y: 4pt), align(top + left, text(size: 7.5pt, fill: luma(70), name)))

#let psyq-header(title, course, date, kind, index, code, note) = {
  grid(columns: (1fr, auto), gutter: 10pt, align: (left + top, right + top),
    [#text(size: 16pt, weight: "bold", title)
     #if course != "" [\ #text(size: 10pt, fill: luma(60), course)]
     #if date != "" [\ #text(size: 9pt, fill: luma(60), date)]],
    box(stroke: 0.9pt, inset: (x: 8pt, y: 5pt), radius: 2pt, align(center)[
      #text(size: 7pt, tracking: 0.5pt)[#upper(kind)] \
      #text(size: 15pt, weight: "bold")[#index] \
      #text(size: 9.5pt, font: "DejaVu Sans Mono", code)]))
  v(4pt)
  if note != none { note }
}

#let psyq-identity() = {
  grid(columns: (3fr, 2fr), gutter: 8pt, psyq-field[Name], psyq-field[Student ID])
  v(2pt)
}

#let psyq-problem(number, points, title) = block(above: 1.5em, below: 0.7em, sticky: true, width: 100%,
  grid(columns: (auto, 1fr, auto), gutter: 8pt, align: (left + bottom, left + bottom, right + bottom),
    text(size: 12pt, weight: "bold")[Problem #number], text(size: 9pt, fill: luma(80), title),
    text(size: 9.5pt, fill: luma(60), points)))

#let psyq-givens(..cells) = block(above: 0.6em, below: 0.8em, grid(
  columns: (auto, auto, 1fr), column-gutter: 12pt, row-gutter: 2.5pt, inset: (y: 1.5pt),
  align: left + horizon,
  grid.cell(inset: (bottom: 3pt), text(size: 8.5pt, fill: luma(70))[given]),
  grid.cell(inset: (bottom: 3pt), text(size: 8.5pt, fill: luma(70))[value]),
  grid.cell(inset: (bottom: 3pt), text(size: 8.5pt, fill: luma(70))[meaning]),
  grid.hline(stroke: 0.4pt + luma(150)),
  ..cells.pos().slice(0, 3).map(c => grid.cell(inset: (top: 5pt, bottom: 1.5pt), c)), ..cells.pos().slice(3)))

#let psyq-part(label, prompt, points, unit, space) = block(breakable: false, width: 100%, above: 1em,
  below: 0.8em, {
  if label == "" {
    grid(columns: (1fr, auto), gutter: 6pt, prompt, text(size: 9pt, fill: luma(60), points))
  } else {
    grid(columns: (auto, 1fr, auto), gutter: 6pt, text(weight: "bold", label), prompt,
         text(size: 9pt, fill: luma(60), points))
  }
  if space > 0cm {
    v(3pt)
    block(width: 100%, height: space, stroke: (paint: luma(170), thickness: 0.5pt, dash: "dashed"),
          radius: 2pt, inset: 4pt, text(size: 7pt, fill: luma(150))[work])
  }
  v(2pt)
  align(right)[Answer: #box(width: 4.4cm, height: 1.2em, stroke: (bottom: 0.7pt))#h(3pt)#unit]
})

#let psyq-figure(data, width, caption) = figure(image(bytes(data), format: "svg", width: width),
  caption: if caption != none { text(size: 8.5pt, caption) }, numbering: none, gap: 4pt)

#let psyq-key-part(label, prompt, answer, interval, rule, steps, mistakes) = block(width: 100%,
  above: 0.9em, below: 0.9em, {
  if label == "" { text(fill: luma(40), prompt) } else {
    grid(columns: (auto, 1fr), gutter: 6pt, text(weight: "bold", label), text(fill: luma(40), prompt))
  }
  pad(left: 1.2em, {
    block(above: 0.5em, below: 0.4em)[*Answer:* #answer #h(1em) #text(size: 9.5pt)[accepted #interval]
      #if rule != none [#h(0.6em) #text(size: 9pt, fill: luma(70), rule)]]
    if steps != none { block(above: 0.3em, below: 0.3em, steps) }
    if mistakes != none { mistakes }
  })
})

#let psyq-mistakes(..cells) = block(above: 0.6em, {
  set text(size: 8.5pt)
  show math.equation.where(block: true): set block(above: 0.3em, below: 0.5em)
  grid(columns: (auto, auto, 1fr), column-gutter: 8pt, row-gutter: 7pt, align: left + top,
    text(fill: luma(70))[misconception], text(fill: luma(70))[gives], text(fill: luma(70))[feedback],
    ..cells)
})
"""


class _Doc:
    """Typst source being written, with the figures it embeds as sys.inputs, cut into pieces (a
    version's sheet, the overview, a version's key) that each start a page run of their own, so
    that any run of consecutive pieces typesets alone exactly as it does inside the whole."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.inputs: dict[str, str] = {}
        self._names: dict[tuple[str, str], str] = {}
        self.head = 0  # lines[:head]: the settings and the preamble every document starts with
        self.pieces: list[_Piece] = []
        self._start = 0
        self._used: dict[str, None] = {}

    def add(self, *lines: str) -> None:
        self.lines.extend(lines)

    def figure(self, instance_id: str, variant: str, svg: str) -> str:
        key = (instance_id, variant)
        name = self._names.get(key)
        if name is None:
            name = f"fig{len(self._names) + 1}"
            self._names[key] = name
            self.inputs[name] = svg
        self._used[name] = None
        return f'sys.inputs.at("{name}")'

    def begin(self) -> None:
        self._start, self._used = len(self.lines), {}

    def end(self) -> None:
        lines = self.lines[self._start:]
        weight = sum(len(x) + 1 for x in lines) + sum(len(self.inputs[n]) for n in self._used) // SVG_DISCOUNT
        self.pieces.append(_Piece(self._start, len(self.lines), tuple(self._used), weight))

    def text(self, pieces: Sequence[_Piece] | None = None) -> tuple[str, dict[str, str]]:
        """The source and sys.inputs of a document holding ``pieces`` (default: the whole)."""
        if pieces is None:
            return "\n".join(self.lines) + "\n", self.inputs
        lines = self.lines[:self.head]
        used: dict[str, None] = {}
        for p in pieces:
            lines += self.lines[p.start:p.end]
            used.update(dict.fromkeys(p.figures))
        return "\n".join(lines) + "\n", {k: v for k, v in self.inputs.items() if k in used}


class _Piece(NamedTuple):
    start: int  # its lines in _Doc.lines
    end: int
    figures: tuple[str, ...]  # the sys.inputs it shows
    weight: int  # what it costs Typst, roughly: characters of source (+ figures, discounted)


def _document(exam, versions: Sequence, *, sheets: bool, keys: bool, options: C.Options,
              figures: Mapping[str, object] | None) -> _Doc:
    figures = figures or {}
    doc = _Doc()
    doc.add(config(exam, options), PREAMBLE)
    doc.head = len(doc.lines)
    views = {v.index: [C.problem_view(p) for p in v.problems] for v in versions}
    if sheets:
        for v in versions:
            doc.begin()
            _sheet(doc, exam, v, views[v.index], options, figures)
            doc.end()
    if keys:
        doc.begin()
        _overview(doc, exam, versions, views)
        doc.end()
        for v in versions:
            doc.begin()
            _key(doc, exam, v, views[v.index], options, figures)
            doc.end()
    return doc


def source(exam, versions: Sequence, *, sheets: bool, keys: bool, options: C.Options,
           figures: Mapping[str, object] | None = None) -> tuple[str, dict[str, str]]:
    """Typst source for ``versions`` (their sheets, then their keys, or both) and its sys.inputs."""
    return _document(exam, versions, sheets=sheets, keys=keys, options=options, figures=figures).text()


def _sheet(doc: _Doc, exam, v, views, options, figures) -> None:
    spec = exam.spec
    key = f"s{v.index}"
    doc.add(f"#psyq-start({string(key)}, \"Exam\", {v.index}, {string(v.code)}, {string(spec.title)})")
    total = C.points_text(v.points)
    note = f"[*Total: {markup(total)}.* " + (markup(spec.instructions) if spec.instructions else "") + "]"
    doc.add(f"#psyq-header({string(spec.title)}, {string(spec.course)}, {string(spec.date)}, "
            f"\"Version\", {v.index}, {string(v.code)}, none)")
    doc.add("#psyq-identity()")
    doc.add(f"#block(above: 0.4em, below: 0.6em, text(size: 9.5pt, {note}))")
    doc.add("#line(length: 100%, stroke: 0.6pt + luma(90))")
    for pv in views:
        # the heading, the stem and the givens stay together, and with the first part
        doc.add("#block(breakable: false, sticky: true, width: 100%)[")
        doc.add(f"#psyq-problem({pv.number}, {string(C.points_text(pv.points))}, [])")
        for para in pv.stem:
            doc.add(rich(pv.rich(para)), "")
        if pv.givens:
            cells = []
            for g in pv.givens:
                cells += [f"[{math_inline(g.symbol)}]", f"[{math_inline(g.value)}]",
                          f"text(size: 9pt, {string(g.meaning)})"]
            doc.add("#psyq-givens(" + ", ".join(cells) + ")")
        doc.add("]")
        fig = figures.get(pv.figure_key) if options.figures == "all" else None
        if fig is not None:
            ref = doc.figure(pv.figure_key, "sheet", fig.sheet)
            doc.add(f"#psyq-figure({ref}, 10.5cm, none)")
        for part in pv.parts:
            label = part.label if len(pv.parts) > 1 else ""
            unit = markup(part.unit) if part.unit else ""
            pts = C.points_text(part.points) if len(pv.parts) > 1 else ""
            doc.add(f"#psyq-part({string(label)}, [{rich(part.prompt_rich)}], {string(pts)}, [{unit}], "
                    f"{part.space_cm:g}cm)")
    doc.add(f"#psyq-end({string(key)})")


def _overview(doc: _Doc, exam, versions, views) -> None:
    """Answers at a glance: one row per version, one column per part (split when wide)."""
    spec = exam.spec
    key = "k0"
    doc.add(f"#psyq-start({string(key)}, \"Answer key\", 0, \"—\", {string(spec.title)})")
    doc.add(f"#psyq-header({string(spec.title)}, {string(spec.course)}, {string(spec.date)}, "
            f"\"Answer key\", {len(versions)}, \"versions\", none)")
    doc.add("#text(size: 12pt, weight: \"bold\")[Answers at a glance]", "")
    first = views[versions[0].index]
    columns = [(pv.number, part.id, len(pv.parts) > 1) for pv in first for part in pv.parts]
    for chunk_cols in C.chunks(list(range(len(columns))), 6):
        head = ["[*Version*]", "[*Code*]"]
        for ci in chunk_cols:
            number, pid, multi = columns[ci]
            head.append(f"[*{number}{markup('(' + pid + ')') if multi else ''}*]")
        cells = []
        for v in versions:
            cells += [f"[{v.index}]", f"text(font: \"DejaVu Sans Mono\", {string(v.code)})"]
            flat = [part for pv in views[v.index] for part in pv.parts]
            for ci in chunk_cols:
                part = flat[ci] if ci < len(flat) else None
                cells.append(f"[{math_inline(part.answer_box)}]" if part else "[]")
        ncols = len(head)
        doc.add(f"#block(above: 0.6em, below: 1em, text(size: 9pt, grid(columns: {ncols}, "
                f"column-gutter: 12pt, row-gutter: 3pt, inset: (y: 2.5pt), align: left, "
                f"grid.header({', '.join(head)}), grid.hline(stroke: 0.6pt), {', '.join(cells)})))")
    doc.add(f"#psyq-end({string(key)})")


def _key(doc: _Doc, exam, v, views, options, figures) -> None:
    spec = exam.spec
    key = f"k{v.index}"
    doc.add(f"#psyq-start({string(key)}, \"Answer key\", {v.index}, {string(v.code)}, {string(spec.title)})")
    doc.add(f"#psyq-header({string(spec.title)}, {string(spec.course)}, {string(spec.date)}, "
            f"\"Answer key\", {v.index}, {string(v.code)}, none)")
    doc.add(f"#text(size: 9.5pt, fill: luma(60))[Version {v.index} (code {markup(v.code)}), "
            f"{markup(C.points_text(v.points))} in all. Seeds and template ids reproduce each problem "
            f"with #raw(\"psyq show TEMPLATE --seed SEED --key\").]")
    doc.add("#line(length: 100%, stroke: 0.6pt + luma(90))")
    for pv in views:
        title = f"{pv.template_id} · seed {pv.seed} · {C.points_text(pv.points)}"
        doc.add(f"#psyq-problem({pv.number}, {string(title)}, text(style: \"italic\", {string(pv.title)}))")
        for part in pv.parts:
            answer = math_inline(part.answer_box) if not part.unattainable else "not attainable"
            interval = markup(C.nbsp_units(part.interval))
            extra = "; ".join(x for x in (part.tolerance, part.rule) if x)
            rule = f"text({string('(' + C.nbsp_units(extra) + ')')})" if extra else "none"
            steps = _steps(part)
            mistakes = _mistakes(part)
            label = part.label if len(pv.parts) > 1 else ""
            doc.add(f"#psyq-key-part({string(label)}, [{rich(part.prompt_rich)}], [{answer}], [{interval}], "
                    f"{rule}, {steps}, {mistakes})")
        fig = figures.get(pv.figure_key) if options.figures in ("key", "all") else None
        if fig is not None:
            ref = doc.figure(pv.figure_key, "key", fig.key)
            doc.add(f"#psyq-figure({ref}, 10cm, [{markup(C.figure_caption(fig))}])")
        for para in pv.solution:
            doc.add(f"#text(size: 9.5pt, fill: luma(40))[{rich(pv.rich(para))}]", "")
    doc.add(f"#psyq-end({string(key)})")


def _steps(part: C.PartView) -> str:
    """One row per step: the solved form, the same with this version's numbers and the result,
    and the relation it comes from (as math, in the template's own form)."""
    if not part.steps:
        return "none"
    rows = []
    for i, s in enumerate(part.steps, start=1):
        solved = M.row(s.lhs, ("op", "="), s.solved)
        numbers = M.row(("op", "="), s.substituted, ("op", "="), s.result)
        source = "[]"
        if s.relation_box is not None:
            source = (f"text(size: 8pt, fill: luma(90), grid(columns: 2, column-gutter: 3pt, align: horizon, "
                      f"[from], [{math_display(s.relation_box)}]))")
        rows.append(f"[{i}.], [{math_display(solved)}], [{math_display(numbers)}], {source}")
    return ("[#text(size: 9pt, weight: \"bold\")[Worked solution] \\ #grid(columns: (auto, auto, auto, 1fr), "
            "column-gutter: 7pt, row-gutter: 4pt, align: left + horizon, " + ", ".join(rows) + ")]")


def _mistakes(part: C.PartView) -> str:
    """What each misconception computes (as math), the value it gives and its feedback."""
    if not part.mistakes:
        return "none"
    cells = []
    for m in part.mistakes:
        formula = f"{math_display(m.formula)}" if m.formula is not None else ""
        cells += [f"raw({string(m.name)})", f"[{markup(m.shown)}]", f"[{formula}{rich(m.feedback_rich)}]"]
    return "psyq-mistakes(" + ", ".join(cells) + ")"


# ------------------------------------------------------------------------------------------------
# Compiling.  Typst's memory grows with the document (its layout of every page is held until the
# PDF is written: ~3.5 MiB per version's sheet, ~8.5 MiB per version's key with figures) and
# typst-py keeps it after the call, growing again with each new document (measured: five 20-version
# documents in a row peak at 440 MiB, each alone at 100-230 MiB).  So every compile runs in a
# child process (never psyq's own), and a document heavier than SEGMENT_WEIGHT is typeset in runs of
# whole pieces (a version's sheet, the overview, a version's key), one child each, and the runs'
# pages are joined in order.  A piece starts its own page run (the footer's "Page n of m" counts
# within a version), so a run typesets alone exactly as inside the whole.  A child is kept for
# the next document while the documents it typeset weigh SEGMENT_WEIGHT in all, so that many
# small files (--per-version) do not each pay a start.  Not bounded: the overview of a very large
# exam is one piece (a table of every version: 70 kB of source at 200 versions × 5 problems).

SEGMENT_WEIGHT = 160_000  # source characters per compile: a child peaks near 150 MiB (sheets) at most
SVG_DISCOUNT = 10  # a figure's SVG costs Typst about a tenth of what as much markup does (measured)

# The child: reads jobs from stdin (8-byte length, then {"src", "inputs"} as JSON) until EOF and
# answers each with a status byte (0: a PDF, 1: Typst's diagnosis), an 8-byte length and the bytes.
# The working directory is dropped from sys.path first, so that no file there can stand in for
# json or typst.
_WORKER = r"""
import sys
if sys.path and sys.path[0] in ("", "."):
    del sys.path[0]
import json, struct
import typst
inp, out = sys.stdin.buffer, sys.stdout.buffer
while True:
    head = inp.read(8)
    if len(head) < 8:
        break
    job = json.loads(inp.read(struct.unpack(">Q", head)[0]).decode("utf-8"))
    try:
        data, status = typst.compile(job["src"].encode("utf-8"), sys_inputs=job["inputs"],
                                     ignore_system_fonts=True), b"0"
    except (typst.TypstError, RuntimeError) as exc:
        data, status = str(getattr(exc, "message", None) or exc).encode("utf-8", "replace"), b"1"
    out.write(status + struct.pack(">Q", len(data)) + data)
    out.flush()
"""


def _failed(message: str) -> PsyqError:
    first = (str(message).strip().splitlines() or ["no diagnosis"])[0]
    return PsyqError(f"Typst could not typeset the exam: {first}",
                     hint="please report this with the command you ran")


class _Typesetter:
    """A child process that typesets documents until they weigh SEGMENT_WEIGHT in all (Typst's
    memory grows with each), then ends; the next document starts a fresh one.  Many small
    documents (--per-version) so share a child instead of paying a start each (~0.1 s)."""

    def __init__(self) -> None:
        import subprocess
        import sys
        import tempfile

        # a file, not a pipe: nothing the child says can block it; closed by close()
        self.errors = tempfile.TemporaryFile()  # noqa: SIM115
        self.proc = subprocess.Popen([sys.executable, "-c", _WORKER], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=self.errors)
        self.weight = 0

    def compile(self, job: bytes) -> bytes:
        import struct

        try:
            self.proc.stdin.write(struct.pack(">Q", len(job)) + job)
            self.proc.stdin.flush()
            head = self.proc.stdout.read(9)
            if len(head) < 9:
                raise BrokenPipeError
            data = self.proc.stdout.read(struct.unpack(">Q", head[1:])[0])
        except (BrokenPipeError, OSError):
            self.close()
            self.errors.seek(0)
            said = self.errors.read().decode("utf-8", "replace").strip().splitlines()
            raise _failed(said[-1] if said else f"the Typst process exited with {self.proc.returncode}") from None
        if head[:1] != b"0":
            raise _failed(data.decode("utf-8", "replace"))
        return data

    def close(self) -> None:
        try:
            self.proc.stdin.close()
        except OSError:
            pass
        self.proc.wait()
        self.proc.stdout.close()
        self.errors.close()


_typesetter: _Typesetter | None = None


def close() -> None:
    """End the Typst child process, if one is waiting (also done at exit)."""
    global _typesetter
    if _typesetter is not None:
        t, _typesetter = _typesetter, None
        t.close()


atexit.register(close)


def compile_pdf(src: str, inputs: Mapping[str, str]) -> bytes:
    """One Typst document → PDF bytes, typeset in a child process, never in this one (Typst keeps
    what a compile used until its process ends)."""
    global _typesetter
    import sys

    if not sys.executable:  # an embedded interpreter cannot start a child: typeset here
        return _compile_here(src, inputs)
    weight = len(src) + sum(len(v) for v in inputs.values()) // SVG_DISCOUNT
    if _typesetter is not None and _typesetter.weight + weight > SEGMENT_WEIGHT:
        close()
    if _typesetter is None:
        _typesetter = _Typesetter()
    _typesetter.weight += weight
    job = json.dumps({"src": src, "inputs": dict(inputs)}, ensure_ascii=False).encode("utf-8")
    try:
        return _typesetter.compile(job)
    except PsyqError:
        close()  # a fresh child for whatever comes next
        raise


def _compile_here(src: str, inputs: Mapping[str, str]) -> bytes:
    import typst

    try:
        return typst.compile(src.encode("utf-8"), sys_inputs=dict(inputs), ignore_system_fonts=True)
    except (typst.TypstError, RuntimeError) as exc:  # a psyq bug, reported with Typst's diagnosis
        raise _failed(getattr(exc, "message", None) or str(exc)) from None


def segments(pieces: Sequence[_Piece], budget: int = 0) -> list[list[_Piece]]:
    """Consecutive pieces grouped so that each group weighs at most ``budget`` (one piece alone
    may weigh more)."""
    budget = budget or SEGMENT_WEIGHT
    out: list[list[_Piece]] = []
    weight = 0
    for p in pieces:
        if out and out[-1] and weight + p.weight <= budget:
            out[-1].append(p)
            weight += p.weight
        else:
            out.append([p])
            weight = p.weight
    return out


class _Joiner:
    """PDFs → one, pages in order, taken one part at a time (the parent holds the joined pages
    and one part, never every part): the first part's document info and language kept; no file
    identifier and no dates beyond Typst's fixed ones, so the same parts give the same bytes.
    ``duplex``: a blank page where a part would start on an even page (as Typst's own break to an
    odd page does inside one document).  The parts' structure trees (PDF tags) are not merged:
    a joined file is untagged; every glyph, its position and its font are as in one document."""

    def __init__(self, *, duplex: bool = False) -> None:
        from pypdf import PdfWriter

        self.writer = PdfWriter()
        self.duplex = duplex
        self.info: dict[str, str] | None = None

    def add(self, data: bytes) -> None:
        from pypdf import PdfReader
        from pypdf.generic import NameObject

        reader = PdfReader(io.BytesIO(data))
        if self.duplex and len(self.writer.pages) % 2:
            self.writer.add_blank_page()
        for page in reader.pages:
            self.writer.add_page(page)
        if self.info is None:
            self.info = {k: str(v) for k, v in (reader.metadata or {}).items()}
            lang = reader.trailer["/Root"].get("/Lang")
            if lang is not None:
                root = getattr(self.writer, "root_object", None) or self.writer._root_object
                root[NameObject("/Lang")] = lang
        # The pages are cloned into the writer by now, but pypdf keeps the reader alive (its
        # IndirectObjects point back to it) with the part's bytes and every object it parsed:
        # ~60 MiB over the 26 parts of a 200-version key.  Drop them; the joined bytes are the
        # same (tests/test_export_pdf.py compares them with a join that keeps the readers).
        for name, empty in (("resolved_objects", {}), ("xref", {}), ("stream", None)):
            if hasattr(reader, name):
                setattr(reader, name, empty)

    def finish(self) -> bytes:
        self.writer.add_metadata(self.info or {})
        out = io.BytesIO()
        self.writer.write(out)
        return out.getvalue()


def join_pdfs(parts: Sequence[bytes], *, duplex: bool = False) -> bytes:
    """PDFs → one (see :class:`_Joiner`)."""
    joiner = _Joiner(duplex=duplex)
    for data in parts:
        joiner.add(data)
    return joiner.finish()


def render(exam, versions, *, sheets: bool, keys: bool, options: C.Options, figures=None) -> bytes:
    doc = _document(exam, versions, sheets=sheets, keys=keys, options=options, figures=figures)
    runs = segments(doc.pieces)
    if len(runs) <= 1:
        return compile_pdf(*doc.text())
    joiner = _Joiner(duplex=options.duplex)
    for run in runs:
        joiner.add(compile_pdf(*doc.text(run)))
    return joiner.finish()
