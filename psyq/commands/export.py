"""psyq export: exam sheets with keys (PDF, HTML, Markdown), LMS banks (Moodle XML, QTI 2.1,
Canvas QTI 1.2, GIFT) and JSON, from template ids, family names or an exam file."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import List, Optional

import typer

from psyq.commands._common import console, handle_errors, templates_option
from psyq.errors import ExitCode, InputError, PsyqError

FORMATS_HELP = "pdf | html | md | moodle | qti | canvas | gift | json"


@handle_errors
def export(
    items: List[str] = typer.Argument(..., metavar="ITEMS...",
                                      help="Template ids, family names, or one exam file (YAML)."),
    fmt: str = typer.Option("pdf", "--format", "-F", help=f"Output format: {FORMATS_HELP}."),
    versions: int = typer.Option(1, "--versions", "-n", min=1, max=10_000,
                                 help="How many versions (version i uses seed S+i-1)."),
    seed: int = typer.Option(1, "--seed", "-s", min=0, help="Base seed S."),
    out: Optional[str] = typer.Option(None, "--out", "-o",
                                      help="Output file (default exam.<ext>; exam-qti.zip and exam-canvas.zip "
                                           "for the two zip formats); '-' writes text formats to stdout."),
    key: bool = typer.Option(False, "--key", help="Also write the answer key, to OUT-key.<ext>."),
    key_only: bool = typer.Option(False, "--key-only", help="Write only the answer key, to OUT."),
    append_key: bool = typer.Option(False, "--append-key", help="Put the answer key after the sheets, in OUT."),
    title: Optional[str] = typer.Option(None, "--title", help="Exam title (overrides the exam file's)."),
    per_version: bool = typer.Option(False, "--per-version",
                                     help="Also write one file per version (OUT-v01.<ext>, …)."),
    figures: str = typer.Option("key", "--figures",
                                help="Figures: key (in the key, answer marked) | all (sheets too) | none."),
    paper: str = typer.Option("a4", "--paper", help="Paper size: a4 | letter."),
    space: Optional[float] = typer.Option(None, "--space",
                                          help="Work space under each part, in cm (default 4; an exam file's "
                                               "'space' wins)."),
    duplex: bool = typer.Option(False, "--duplex", help="Start every version on an odd page (two-sided)."),
    strict: bool = typer.Option(False, "--strict",
                                help="Refuse to write an LMS format when it would approximate (exit 2)."),
    lint: bool = typer.Option(False, "--lint",
                              help="Only say what the format cannot express; write nothing (exit 1 if anything)."),
    jobs: Optional[int] = typer.Option(None, "--jobs", min=1, max=64,
                                       help="Worker processes for drawing figures (default: CPU count, ≤ 8)."),
    templates: List[str] = templates_option(),
) -> None:
    """Export exam versions with answer keys, or question banks for an LMS.

    Example:  psyq export occupancy mao-recovery --format pdf --versions 30 --key --out midterm.pdf

    Example:  psyq export exam.yaml --format moodle --versions 20 --out bank.xml
    """
    from psyq import exam as X
    from psyq import export as E
    from psyq.export import common as C

    fmt = fmt.lower().strip()
    E.module(fmt)  # unknown formats fail here, before any work
    if sum([key, key_only, append_key]) > 1:
        raise InputError("choose one of --key, --key-only and --append-key")
    if figures not in C.FIGURE_MODES:
        raise InputError(f"unknown --figures '{figures}'", hint="key, all or none")
    if paper not in ("a4", "letter"):
        raise InputError(f"unknown --paper '{paper}'", hint="a4 or letter")
    key_mode = "separate" if key else "only" if key_only else "append" if append_key else "none"
    err = console(stderr=True)
    to_stdout = out == "-"
    if to_stdout and fmt not in E.TEXT_FORMATS:
        raise InputError(f"{fmt} is binary: give --out FILE", hint="stdout takes " + ", ".join(sorted(E.TEXT_FORMATS)))
    if to_stdout and (per_version or key_mode == "separate"):
        raise InputError("--per-version and --key write several files: give --out FILE")
    out_path = None if to_stdout else Path(out or default_out(fmt))
    sheet = fmt in E.SHEET_FORMATS
    if not sheet:
        ignored = [name for name, on in (("--key", key), ("--key-only", key_only), ("--append-key", append_key),
                                         ("--per-version", per_version), ("--duplex", duplex)) if on]
        if ignored:
            err.print(f"psyq: note: {', '.join(ignored)} {'does' if len(ignored) == 1 else 'do'} not apply "
                      f"to {fmt} (the bank carries its answers)", markup=False)

    spec = X.spec_from_items(items, templates, title, space)
    interactive = sys.stderr.isatty()
    progress_bar = _progress(err) if interactive else None
    try:
        if progress_bar is not None:
            progress_bar.start()
            task = progress_bar.add_task("drawing versions", total=len(spec.items))

            def built(n: int) -> None:
                progress_bar.advance(task, n)
                progress_bar.refresh()
        else:
            built = None
        exam = X.build(spec, versions=versions, seed=seed, templates=templates, progress=built)
        findings = E.check(exam, fmt)
        if progress_bar is not None:
            progress_bar.stop()
        _report(err, findings, strict or lint)
        if lint:
            raise typer.Exit(int(ExitCode.FAILURE) if findings.warnings else int(ExitCode.OK))
        if strict and findings.warnings:
            n = len(findings.lines(("warning",)))
            raise PsyqError(f"{n} portability warning{'s' if n != 1 else ''} for {fmt} (--strict)",
                            hint="drop --strict to write the approximated bank, or choose another format")
        options = C.Options(key=key_mode, per_version=per_version, figures=figures, paper=paper,
                            duplex=duplex, jobs=jobs)
        stages: dict[str, int] = {}
        if progress_bar is not None:
            progress_bar = _progress(err)
            progress_bar.start()

        def tick(stage: str, done: int, total: int) -> None:
            if progress_bar is None:
                return
            label = {"figures": "drawing figures", "render": f"writing {fmt}"}.get(stage, stage)
            if stage not in stages:
                stages[stage] = progress_bar.add_task(label, total=total)
            progress_bar.update(stages[stage], completed=done, total=total)
            progress_bar.refresh()

        results = E.export(exam, fmt, out_path, options, progress=tick)
    finally:
        if progress_bar is not None:
            progress_bar.stop()
    if to_stdout:
        sys.stdout.buffer.write(results[0][1])
        sys.stdout.flush()
        return
    from psyq.fsio import write_atomic

    for path, data in results:
        write_atomic(path, data)  # temp file in the same folder + fsync + rename
        err.print(f"psyq: wrote {path} ({_size(len(data))})", markup=False, highlight=False)


def default_out(fmt: str) -> str:
    """exam.<ext>; formats that share an extension (qti and canvas: .zip) are named by format too,
    so exporting both never overwrites one with the other."""
    from psyq import export as E

    ext = E.extension(fmt)
    shared = sum(1 for f in E.FORMATS if E.extension(f) == ext) > 1
    return f"exam-{fmt}{ext}" if shared else f"exam{ext}"


def _progress(err):
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    # auto_refresh off: no background thread (figures are drawn in worker processes).
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    console=err, transient=True, auto_refresh=False)


def _report(err, findings, loud: bool) -> None:
    """Warnings always; notes only when asked to lint or be strict (they are informational)."""
    for severity, text in findings.lines(("warning", "note") if loud else ("warning",)):
        err.print(f"psyq: {severity}: {text}", markup=False, highlight=False, soft_wrap=True)


def _size(n: int) -> str:
    if n < 1024:
        return f"{n} B"
    if n < 1024 * 1024:
        return f"{n / 1024:.1f} kB"
    return f"{n / (1024 * 1024):.1f} MB"
