"""The core commands: list, show, generate, answer, lint."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import List, Optional

import typer

from psyq.commands._common import (
    console,
    dump_json,
    handle_errors,
    parse_givens,
    templates_option,
)
from psyq.errors import ExitCode, PsyqError


@handle_errors
def list_templates(
    family: Optional[str] = typer.Option(None, "--family", "-f", help="Only this family."),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
    templates: List[str] = templates_option(),
) -> None:
    """List the templates in the bank.

    Example:  psyq list --family occupancy
    """
    from psyq import bank

    entries = bank.entries(templates)
    if family:
        fams = {e.family for e in entries}
        if family not in fams:
            raise PsyqError(f"no family '{family}'", hint="families: " + ", ".join(sorted(fams)))
        entries = [e for e in entries if e.family == family]
    if as_json:
        typer.echo(dump_json([{"id": e.id, "title": e.title, "family": e.family,
                               "difficulty": e.difficulty, "skill": e.skill, "path": str(e.path)}
                              for e in entries]))
        return
    from rich.table import Table
    from rich.text import Text

    # Title, headers and cells as Text rather than str: the same output, but rich runs no markup
    # parser over each cell and never loads its emoji table (start-up CPU, docs/performance.md).
    table = Table(title=Text(f"psyq templates ({len(entries)})", style="table.title"), title_justify="left")
    table.add_column(Text("id"), style="cyan", no_wrap=True)
    table.add_column(Text("family"))
    table.add_column(Text("diff."), justify="right")
    table.add_column(Text("title"), overflow="fold")
    for e in entries:
        table.add_row(Text(e.id), Text(e.family), Text(str(e.difficulty)), Text(e.title))
    console().print(table)


def _instance(template_id: str, seed: int, given: List[str], templates: List[str]):
    from psyq import bank
    from psyq.instance import generate as make

    template = bank.load(template_id, templates)
    return make(template, seed, parse_givens(template, given))


@handle_errors
def show(
    template_id: str = typer.Argument(..., metavar="TEMPLATE", help="Template id (see psyq list)."),
    seed: int = typer.Option(1, "--seed", "-s", help="Seed: the same seed gives the same problem."),
    given: List[str] = typer.Option([], "--given", "-g", help="Pin a given: NAME=VALUE (repeatable)."),
    key: bool = typer.Option(False, "--key", "-k", help="Add answers, accepted intervals and the worked solution."),
    templates: List[str] = templates_option(),
) -> None:
    """Show a problem as a student sees it (with --key: answers and worked solution).

    Example:  psyq show occupancy-from-ki --seed 1 --key
    """
    from psyq.render import problem_panel

    inst = _instance(template_id, seed, given, templates)
    out = console()
    out.print(problem_panel(inst, key=key))
    if key:
        from rich.text import Text

        if inst.solution:
            out.print(Text(inst.solution))
        out.print(Text("Sources: " + "; ".join(inst.template.sources), style="dim"))


@handle_errors
def generate(
    template_id: str = typer.Argument(..., metavar="TEMPLATE", help="Template id (see psyq list)."),
    seed: int = typer.Option(1, "--seed", "-s", help="First seed."),
    count: int = typer.Option(1, "--count", "-n", min=1, max=10_000_000, help="How many instances (seeds seed, seed+1, …)."),
    given: List[str] = typer.Option([], "--given", "-g", help="Pin a given: NAME=VALUE (repeatable)."),
    fmt: str = typer.Option("json", "--format", help="json (one object, or an array for --count > 1) or jsonl."),
    templates: List[str] = templates_option(),
) -> None:
    """Print instances in the JSON instance contract (see docs/instance.md).

    Example:  psyq generate snri-engagement --seed 7 --count 100 --format jsonl > bank.jsonl
    """
    from psyq import bank
    from psyq.instance import generate_many

    if fmt not in ("json", "jsonl"):
        raise PsyqError(f"unknown format '{fmt}'", hint="use json or jsonl")
    if seed < 0:
        raise PsyqError("seed must be ≥ 0")
    template = bank.load(template_id, templates)
    pinned = parse_givens(template, given)
    out = sys.stdout
    chunk = 20_000  # bounded memory for very large --count
    if fmt == "json" and count == 1:
        out.write(dump_json(generate_many(template, [seed], pinned)[0].to_json()) + "\n")
        return
    from psyq.instance_json import json_chunks  # dumps_many(generate_many(…)) as UTF-8, byte for byte

    write, flush, errors = _byte_writer(out)
    sep = b",\n" if fmt == "json" else b"\n"
    if fmt == "json":
        write(b"[\n")
    first = True
    for start in range(seed, seed + count, chunk):
        for data in json_chunks(template, range(start, min(seed + count, start + chunk)), pinned,
                                sep=sep, errors=errors):
            if not first:
                write(sep)
            write(data)
            first = False
    write(b"\n]\n" if fmt == "json" else b"\n")
    flush()


def _byte_writer(out):
    """(write bytes, flush, encoding error handler) for ``out``: its binary buffer when the text layer
    would write UTF-8 unchanged (a chunk of JSON lines is then encoded once, not line by line),
    else through the text layer (bytes decoded back), so the bytes written are the same."""
    import codecs
    import os

    errors = getattr(out, "errors", None) or "strict"
    try:
        utf8 = codecs.lookup(out.encoding).name == "utf-8"
    except (AttributeError, LookupError, TypeError):
        utf8 = False
    buffer = getattr(out, "buffer", None)
    if utf8 and buffer is not None and os.linesep == "\n":
        out.flush()  # (whatever the text layer holds goes first)
        return buffer.write, buffer.flush, errors
    return (lambda data: out.write(data.decode("utf-8", errors))), out.flush, errors


@handle_errors
def answer(
    template_id: str = typer.Argument(..., metavar="TEMPLATE", help="Template id."),
    answer_text: str = typer.Argument(..., metavar="ANSWER", help="The answer as typed, e.g. '80.5 %' or '1.16 nM'."),
    seed: int = typer.Option(..., "--seed", "-s", help="Seed of the problem."),
    part: Optional[str] = typer.Option(None, "--part", "-p", help="Part id (default: the first part)."),
    given: List[str] = typer.Option([], "--given", "-g", help="Pinned givens, as for show."),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable verdict."),
    templates: List[str] = templates_option(),
) -> None:
    """Grade one answer. Exit 0 correct, 1 incorrect, 2 unreadable answer or usage error.

    Example:  psyq answer occupancy-from-ki --seed 1 '80 %'
    """
    from psyq.grading import grade
    from psyq.render import verdict_text

    inst = _instance(template_id, seed, given, templates)
    p = inst.part(part)
    verdict = grade(p, answer_text)
    if as_json:
        typer.echo(dump_json({"template": inst.template.id, "seed": seed, "part": p.id, **verdict.to_json()}))
    else:
        console().print(verdict_text(verdict))
    code = {"correct": ExitCode.OK, "incorrect": ExitCode.FAILURE, "invalid": ExitCode.USAGE}[verdict.status]
    raise typer.Exit(int(code))


@handle_errors
def lint(
    paths: List[Path] = typer.Argument(None, help="Template files or folders (default: the whole bank)."),
    seeds: int = typer.Option(1000, "--seeds", min=10, max=1_000_000, help="Seeds sampled per template."),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable report."),
    templates: List[str] = templates_option(),
) -> None:
    """Validate templates and sample each over many seeds; exit 1 on any finding.

    Example:  psyq lint problems/occupancy --seeds 2000
    """
    from psyq import bank
    from psyq.lint import lint_paths

    if paths:
        files: list[Path] = []
        for p in paths:
            if p.is_dir():
                files.extend(bank.template_files([p]))
            elif p.is_file():
                files.append(p)
            else:
                raise PsyqError(f"no such file or folder: {p}")
    else:
        files = bank.template_files(bank.template_dirs(templates))
    data_dirs = bank.data_dirs(templates)
    err = console(stderr=True)
    if err.is_terminal and not as_json:
        from rich.progress import Progress

        with Progress(transient=True, console=err) as progress:
            task = progress.add_task("linting", total=len(files))
            report = lint_paths(files, seeds=seeds, data_dirs=data_dirs,
                                progress=lambda path: progress.advance(task))
    else:
        report = lint_paths(files, seeds=seeds, data_dirs=data_dirs)
    if as_json:
        typer.echo(dump_json({"ok": report.ok, "templates": report.checked,
                              "findings": [f.to_json() for f in report.findings]}))
    else:
        from rich.markup import escape

        out = console()
        for f in report.findings:
            out.print(f"[red]✗[/] {escape(str(f))}")
        status = "[green]ok[/]" if report.ok else f"[red]{len(report.findings)} finding(s)[/]"
        out.print(f"psyq lint: {len(report.checked)} template(s), {seeds} seeds each: {status}")
    raise typer.Exit(int(ExitCode.OK if report.ok else ExitCode.FAILURE))
