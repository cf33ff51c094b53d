"""Exporters: one module per output format, all reading the one exam representation
(:class:`psyq.exam.Exam`, built by :func:`psyq.exam.build`).

* sheet formats (exam sheets and answer keys): ``pdf`` (typst_pdf), ``html``, ``md`` (markdown);
* LMS banks: ``moodle`` (Moodle XML), ``qti`` (QTI 2.1 package), ``canvas`` (Canvas QTI 1.2 zip),
  ``gift``; each has ``check(exam, findings)`` that says what the target cannot express;
* data: ``json``.

Nothing heavy is imported here; :func:`export` loads the one module it needs.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Callable

SHEET_FORMATS = {"pdf": "typst_pdf", "html": "html", "md": "markdown"}
BANK_FORMATS = {"moodle": "moodle", "qti": "qti21", "canvas": "canvas", "gift": "gift"}
DATA_FORMATS = {"json": "jsonout"}
FORMATS = {**SHEET_FORMATS, **BANK_FORMATS, **DATA_FORMATS}
TEXT_FORMATS = {"html", "md", "moodle", "gift", "json"}  # can be written to stdout


def module(fmt: str):
    from psyq.errors import InputError

    name = FORMATS.get(fmt)
    if name is None:
        raise InputError(f"unknown format '{fmt}'", hint="formats: " + ", ".join(FORMATS))
    return importlib.import_module(f"psyq.export.{name}")


def extension(fmt: str) -> str:
    return module(fmt).EXTENSION


def check(exam, fmt: str):
    """Portability findings for ``fmt`` (empty for sheet and data formats)."""
    from psyq.export.common import Findings

    findings = Findings()
    mod = module(fmt)
    if hasattr(mod, "check"):
        mod.check(exam, findings)
    return findings


def export(exam, fmt: str, out: Path | None, options=None, *,
           progress: Callable[[str, int, int], None] | None = None) -> list[tuple[Path | None, bytes]]:
    """Render ``exam`` in ``fmt``: a list of (path, bytes).  Nothing is written here.

    ``out`` None means one document for stdout (text formats).  ``progress(stage, done, total)``
    is called as figures are drawn and documents rendered."""
    from psyq.export import common as C

    options = options or C.Options()
    mod = module(fmt)
    if fmt not in SHEET_FORMATS:
        data = mod.render(exam)
        if progress:
            progress("render", 1, 1)
        return [(out, data)]
    docs = C.documents(exam, out or Path("-"), options)
    if out is None:
        docs = docs[:1]
    figures = {}
    if C.figure_needs(options, docs):
        from psyq import figures as F

        wanted = []
        for d in docs:
            for v in d.versions:
                wanted += [p.instance for p in v.problems]
        todo = [i for i in {i.id: i for i in wanted}.values() if i.template.figure is not None]
        total = len(todo)
        done = [0]

        def tick(n: int) -> None:
            done[0] += n
            if progress:
                progress("figures", done[0], total)

        figures = F.figures_for(todo, jobs=options.jobs, progress=tick, sheets=options.figures == "all")
    results = []
    for i, d in enumerate(docs, start=1):
        data = mod.render(exam, d.versions, sheets=d.sheets, keys=d.keys, options=options, figures=figures)
        results.append((None if out is None else d.path, data))
        if progress:
            progress("render", i, len(docs))
    return results
