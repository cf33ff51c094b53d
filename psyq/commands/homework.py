"""Homework commands: ``psyq homework sheet|key``, ``psyq grade`` and ``psyq report``.

Thin: options are parsed here, the work is in :mod:`psyq.homework`.  Heavy modules are imported
inside the commands so that ``psyq --help`` stays light.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import List, Optional

import typer

from psyq.commands._common import PsyqCommand, PsyqGroup, console, dump_json, handle_errors, templates_option
from psyq.errors import ExitCode, InputError

MAX_IGNORED_SHOWN = 20
SECRET_HELP = "Environment variable that holds the course secret (never a file in a student's repo)."

homework = typer.Typer(
    name="homework",
    help=("Per-student homework: problem sheets with blank answers.yaml files, and instructor keys.\n\n"
          "Example:  psyq homework sheet hw3.yaml --roster roster.csv --out sheets/"),
    no_args_is_help=True,
    cls=PsyqGroup,
    rich_markup_mode=None,  # plain help, like the main app (start-up cost)
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _secret(var: str, *, quiet: bool = False) -> str | None:
    from psyq.homework.seeds import no_secret_warning, secret_from_env

    secret = secret_from_env(var)
    if secret is None and not quiet:
        typer.echo(f"psyq: warning: {no_secret_warning(var)}", err=True)
    return secret


def _compiled(assignment: Path, templates: List[str]):
    from psyq.homework.assignment import compile_assignment, load_assignment

    return compile_assignment(load_assignment(assignment), templates)


def _students(student: Optional[str], roster: Optional[Path]) -> tuple[list[str], bool]:
    """The students to issue for, and whether they came from a roster (one folder each)."""
    from psyq.homework.roster import check_student_id, load_roster

    if (student is None) == (roster is None):
        raise InputError("give exactly one of --student ID or --roster roster.csv",
                         hint="e.g. --student alice, or --roster roster.csv for the whole class")
    if student is not None:
        return [check_student_id(student, key="--student")], False
    return [s.id for s in load_roster(roster)], True


def _check_format(fmt: str) -> None:
    if fmt not in ("md", "json", "pdf", "html"):
        raise InputError(f"unknown format '{fmt}'", hint="use md, json, html or pdf")


def _emit_document(compiled, student: str, instances: list, fmt: str, folder: Path | None, *,
                   key: bool, root: Path | None = None, fingerprint: str = "none") -> None:
    """pdf/html via psyq.export: to FOLDER/sheet.pdf (key.pdf …), or stdout when folder is None."""
    from psyq.homework.sheets import render_document

    data = render_document(compiled, student, instances, fmt, key=key, fingerprint=fingerprint)
    if folder is None:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return
    _write(folder / f"{'key' if key else 'sheet'}.{fmt}", data, root=root)


def _write(path: Path, data: str | bytes, *, root: Path | None = None) -> None:
    """Atomically (temp file + rename); with ``root``, never through a symlink leading out of it."""
    from psyq.fsio import write_atomic

    write_atomic(path, data, root=root)


@homework.command("sheet", cls=PsyqCommand)
@handle_errors
def sheet(
    assignment: Path = typer.Argument(..., metavar="ASSIGNMENT", help="The assignment's .yaml file."),
    student: Optional[str] = typer.Option(None, "--student", help="One student's id."),
    roster: Optional[Path] = typer.Option(None, "--roster", help="roster.csv with an id column: one sheet each."),
    fmt: str = typer.Option("md", "--format", help="md, json, html or pdf (html/pdf through psyq's exam exporter)."),
    out: str = typer.Option(".", "--out", "-o", help="Folder to write into ('-' prints to stdout)."),
    secret_env: str = typer.Option("PSYQ_SECRET", "--secret-env", help=SECRET_HELP),
    force: bool = typer.Option(False, "--force", help="Overwrite an existing answers.yaml."),
    templates: List[str] = templates_option(),
) -> None:
    """Write each student's problem sheet and a blank answers.yaml listing every part id.

    With --student the files go straight into --out (sheet.md, answers.yaml); with --roster each
    student gets a folder --out/ID/. An existing answers.yaml is kept unless --force.

    Example:  psyq homework sheet hw3.yaml --roster roster.csv --out sheets/
    """
    from psyq.homework.grading import variants
    from psyq.homework.seeds import fingerprint
    from psyq.homework.sheets import answers_template, dumps, sheet_json, sheet_markdown

    _check_format(fmt)
    compiled = _compiled(assignment, templates)
    ids, per_folder = _students(student, roster)
    secret = _secret(secret_env)
    fp = fingerprint(secret)
    by_student = variants(compiled, secret, ids)
    if out == "-":
        if fmt == "json":
            docs = [sheet_json(compiled, s, by_student[s], fingerprint=fp) for s in ids]
            sys.stdout.write(dumps(docs[0] if len(docs) == 1 else docs))
            return
        for s in ids:
            if fmt in ("pdf", "html"):
                _emit_document(compiled, s, by_student[s], fmt, None, key=False, fingerprint=fp)
                continue
            sys.stdout.write(sheet_markdown(compiled, s, by_student[s], fingerprint=fp) + "\n")
            sys.stdout.write("```yaml\n" + answers_template(compiled, s, by_student[s], fingerprint=fp) + "```\n")
        return
    base = Path(out)
    kept = 0
    for s in ids:
        folder = base / s if per_folder else base
        if fmt in ("pdf", "html"):
            _emit_document(compiled, s, by_student[s], fmt, folder, key=False, root=base, fingerprint=fp)
        elif fmt == "json":
            _write(folder / "sheet.json", dumps(sheet_json(compiled, s, by_student[s], fingerprint=fp)),
                   root=base)
        else:
            _write(folder / "sheet.md", sheet_markdown(compiled, s, by_student[s], fingerprint=fp), root=base)
        answers = folder / "answers.yaml"
        if os.path.lexists(answers) and not force:
            kept += 1
        else:
            _write(answers, answers_template(compiled, s, by_student[s], fingerprint=fp), root=base)
    where = f"{base}/<id>/" if per_folder else f"{base}/"
    typer.echo(f"wrote {len(ids)} sheet{'s' if len(ids) != 1 else ''} ({fmt}) and answers.yaml to {where}",
               err=True)
    if kept:
        typer.echo(f"kept {kept} existing answers.yaml (use --force to overwrite)", err=True)


@homework.command("key", cls=PsyqCommand)
@handle_errors
def key(
    assignment: Path = typer.Argument(..., metavar="ASSIGNMENT", help="The assignment's .yaml file."),
    student: Optional[str] = typer.Option(None, "--student", help="One student's id."),
    roster: Optional[Path] = typer.Option(None, "--roster", help="roster.csv: a key for each student."),
    fmt: str = typer.Option("md", "--format", help="md, json (each student's instances in the instance contract, keyed by part id), html or pdf."),
    out: str = typer.Option("-", "--out", "-o", help="Folder to write into (default: print to stdout)."),
    secret_env: str = typer.Option("PSYQ_SECRET", "--secret-env", help=SECRET_HELP),
    templates: List[str] = templates_option(),
) -> None:
    """Print or write the instructor's keys: answers, accepted intervals, misconceptions, solutions.

    Example:  PSYQ_SECRET=… psyq homework key hw3.yaml --roster roster.csv --format json --out keys/
    """
    from psyq.homework.grading import variants
    from psyq.homework.sheets import dumps, key_json, key_markdown

    _check_format(fmt)
    compiled = _compiled(assignment, templates)
    ids, per_folder = _students(student, roster)
    secret = _secret(secret_env)
    by_student = variants(compiled, secret, ids, with_solution=True)
    if out == "-":
        if fmt in ("pdf", "html"):
            for s in ids:
                _emit_document(compiled, s, by_student[s], fmt, None, key=True)
        elif fmt == "json":
            docs = [key_json(compiled, s, by_student[s]) for s in ids]
            sys.stdout.write(dumps(docs[0] if len(docs) == 1 else docs))
        else:
            sys.stdout.write("\n".join(key_markdown(compiled, s, by_student[s], secret_set=secret is not None)
                                       for s in ids))
        return
    base = Path(out)
    for s in ids:
        folder = base / s if per_folder else base
        if fmt in ("pdf", "html"):
            _emit_document(compiled, s, by_student[s], fmt, folder, key=True, root=base)
        elif fmt == "json":
            _write(folder / "key.json", dumps(key_json(compiled, s, by_student[s])), root=base)
        else:
            _write(folder / "key.md", key_markdown(compiled, s, by_student[s], secret_set=secret is not None),
                   root=base)
    typer.echo(f"wrote {len(ids)} key{'s' if len(ids) != 1 else ''} ({fmt}) to {base}/", err=True)


@handle_errors
def grade(
    assignment: Path = typer.Argument(..., metavar="ASSIGNMENT", help="The assignment's .yaml file."),
    submissions: List[Path] = typer.Argument(..., metavar="SUBMISSION...",
                                             help="answers.yaml files, or folders searched for answers.yaml."),
    secret_env: str = typer.Option("PSYQ_SECRET", "--secret-env", help=SECRET_HELP),
    json_out: Optional[str] = typer.Option(None, "--json", help="Write full results as JSON ('-': stdout)."),
    junit: Optional[Path] = typer.Option(None, "--junit", help="Write JUnit XML (one test case per part)."),
    results_json: Optional[Path] = typer.Option(None, "--results-json", help="Write PrairieLearn-style results.json."),
    github_classroom: bool = typer.Option(False, "--github-classroom",
                                          help="Emit the GitHub Classroom runner result (to $GITHUB_OUTPUT) and annotations."),
    pass_mark: Optional[float] = typer.Option(None, "--pass-mark", help="Fraction of points needed to pass (default: the assignment's, else 0.5)."),
    roster: Optional[Path] = typer.Option(None, "--roster", help="Only accept students on this roster."),
    student: Optional[str] = typer.Option(None, "--student", help="The trusted id of the student who submitted (one file)."),
    student_from_folder: bool = typer.Option(False, "--student-from-folder",
                                             help="Trust the folder name as the student id (submissions/ID/answers.yaml)."),
    reveal: bool = typer.Option(False, "--reveal", help="Put expected answers in the JSON (after the deadline)."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Only the summary line."),
    templates: List[str] = templates_option(),
) -> None:
    """Grade answers.yaml submissions: per-part feedback, points, CI reports.

    Exit codes: 0 all passed; 1 a submission below the pass mark; 2 usage error; 3 a submission
    unreadable as a whole (every other submission is still graded and reported).

    Example:  psyq grade hw3.yaml submissions/ --student-from-folder --json grades.json --junit junit.xml
    """
    from psyq.homework import outputs
    from psyq.homework.grading import DEFAULT_PASS_MARK, grade_files
    from psyq.homework.roster import check_student_id, load_roster
    from psyq.homework.submission import locate

    if pass_mark is not None and not 0.0 <= pass_mark <= 1.0:
        raise InputError(f"--pass-mark must be a fraction from 0 to 1, not {pass_mark:g}",
                         hint="e.g. --pass-mark 0.6 for 60 %")
    if student is not None and student_from_folder:
        raise InputError("give --student or --student-from-folder, not both")
    compiled = _compiled(assignment, templates)
    mark = pass_mark if pass_mark is not None else (compiled.assignment.pass_mark
                                                    if compiled.assignment.pass_mark is not None
                                                    else DEFAULT_PASS_MARK)
    found = locate(submissions, student_from_folder=student_from_folder)
    files: list = list(found.files)
    if not files and not found.refused:
        raise InputError("no answers.yaml under " + ", ".join(map(str, submissions)),
                         hint="with --student-from-folder: SUBMISSIONS/ID/answers.yaml, one folder per student")
    if student is not None:
        if len(files) != 1:
            raise InputError("--student names the student of one submission; for many use --student-from-folder")
        sid = check_student_id(student, key="--student")
        files = [(files[0][0], sid)]
    roster_list = load_roster(roster) if roster is not None else None
    roster_ids = {s.id for s in roster_list} if roster_list is not None else None
    secret = _secret(secret_env, quiet=quiet)
    err = console(stderr=True)
    if err.is_terminal and not quiet and len(files) > 1:
        # A class of submissions: a progress bar on a terminal, nothing when piped or in CI logs.
        from rich.progress import Progress

        with Progress(transient=True, console=err) as bar:
            task = bar.add_task("grading", total=2 * len(files) + len(found.refused))
            results = grade_files(compiled, files, secret, pass_mark=mark, roster=roster_ids,
                                  refused=found.refused, progress=lambda: bar.advance(task))
    else:
        results = grade_files(compiled, files, secret, pass_mark=mark, roster=roster_ids,
                              refused=found.refused)
    if roster_list is not None:  # the gradebook shows names, not only ids
        names = {s.id: s.name for s in roster_list if s.name}
        for r in results:
            r.name = names.get(r.student) if r.student else None
    if found.ignored and not quiet:
        from psyq.homework.submission import shown

        shown_list = found.ignored[:MAX_IGNORED_SHOWN]
        for why in shown_list:
            typer.echo(f"psyq: ignored: {shown(why, 300)}", err=True)
        if len(found.ignored) > len(shown_list):
            typer.echo(f"psyq: ignored {len(found.ignored) - len(shown_list)} more", err=True)

    if json_out is not None:
        data = dump_json(outputs.grades_json(compiled, results, secret_env=secret_env,
                                             secret_set=secret is not None, reveal=reveal)) + "\n"
        if json_out == "-":
            sys.stdout.write(data)
        else:
            _write(Path(json_out), data)
        # (every report below is written even when some submissions were rejected)
    if junit is not None:
        _write(junit, outputs.junit_xml(compiled, results))
    if results_json is not None:
        _write(results_json, dump_json(outputs.prairielearn_json(results)) + "\n")
    if github_classroom:
        line = outputs.classroom_output(results)
        target = os.environ.get("GITHUB_OUTPUT")
        if target:
            # appended, not replaced: the runner collects every step's outputs in this one file
            with open(target, "a", encoding="utf-8") as fh:
                fh.write(line + "\n")
        else:
            sys.stdout.write(line + "\n")
        for a in outputs.annotations(results):
            sys.stdout.write(a + "\n")
        got = sum(r.points for r in results)
        top = sum(r.max_points for r in results)
        sys.stdout.write(f"Points {got:g}/{top:g}\n")

    _print_results(compiled, results, quiet=quiet, to_stderr=json_out == "-")
    if any(r.status == "rejected" for r in results):
        raise typer.Exit(int(ExitCode.UNREADABLE))
    if not all(r.passed for r in results):
        raise typer.Exit(int(ExitCode.FAILURE))


def _print_results(compiled, results, *, quiet: bool, to_stderr: bool) -> None:
    from rich.table import Table
    from rich.text import Text

    from psyq.homework.grading import REJECTED

    from psyq.homework.submission import shown

    out = console(stderr=to_stderr)
    detail = len(results) == 1 and not quiet
    for r in results:
        if r.status == "rejected":
            out.print(Text(f"✗ {REJECTED}: {shown(r.error['text'], 400)}", style="red"), soft_wrap=True)
            continue
        if not detail:
            continue
        table = Table(title=Text(f"{compiled.assignment.title} — {r.student}"), title_justify="left")
        for col, kw in (("part", {}), ("points", {"justify": "right"}), ("result", {}),
                        ("answer", {"overflow": "fold"}), ("feedback", {"overflow": "fold"})):
            table.add_column(col, **kw)
        for p in r.parts:
            style = {"correct": "green", "incorrect": "red", "invalid": "yellow", "missing": "yellow"}[p.status]
            answer = "—" if p.answer is None else shown(p.answer, 60)
            table.add_row(p.id, f"{p.points:g}/{p.max_points:g}", Text(p.status, style=style), Text(answer),
                          # grader tags (ACC_OK, UNITS_BARE …) are in --json, not in what students read
                          Text(shown(p.feedback, 400), style="dim" if p.correct else ""))
        out.print(table)
    for r in results:
        if quiet:
            break
        for w in r.warnings:
            line = f"{shown(r.file, 200)}:{w.line}: " if w.line else f"{shown(r.file, 200)}: "
            out.print(Text(f"warning: {line}{shown(w.message, 300)}", style="yellow"), soft_wrap=True)
    if len(results) > 1 and not quiet:
        table = Table(title=Text(f"{compiled.assignment.title}: {len(results)} submissions"),
                      title_justify="left")
        for col in ("student", "points", "score", "result", "file"):
            table.add_column(col, justify="right" if col in ("points", "score") else "left")
        for r in results:
            if r.status == "rejected":
                table.add_row(Text(shown(r.student or "?", 40)), "—", "—", Text(REJECTED, style="red"),
                              Text(shown(r.file, 80)))
                continue
            table.add_row(Text(shown(r.student, 40)), f"{r.points:g}/{r.max_points:g}",
                          f"{100 * r.fraction:.0f} %",
                          Text("passed" if r.passed else "below pass mark",
                               style="green" if r.passed else "red"), Text(shown(r.file, 80)))
        out.print(table)
    graded = [r for r in results if r.status == "graded"]
    passed = sum(r.passed for r in results)
    mark = results[0].pass_mark if results else 0
    summary = (f"{len(results)} submission{'s' if len(results) != 1 else ''}: {len(graded)} graded, "
               f"{passed} passed (pass mark {100 * mark:g} %), {len(results) - len(graded)} {REJECTED}")
    if len(graded) == 1 and len(results) == 1:
        r = graded[0]
        summary = f"{r.student}: {r.points:g}/{r.max_points:g} points ({100 * r.fraction:.0f} %), " + \
                  ("passed" if r.passed else f"below the pass mark of {100 * r.pass_mark:g} %")
    out.print(Text(summary), soft_wrap=True)


@handle_errors
def report(
    grades: List[Path] = typer.Argument(..., metavar="GRADES...", help="JSON files written by psyq grade --json."),
    fmt: str = typer.Option("md", "--format", help="md, html, csv (a gradebook for Canvas/Moodle) or json."),
    out: str = typer.Option("-", "--out", "-o", help="File to write (default: stdout)."),
    top: int = typer.Option(3, "--top", min=1, max=20, help="Misconceptions listed per item."),
) -> None:
    """Class report: score distribution, item difficulty and discrimination, misconceptions.

    Reads the JSON of psyq grade --json; --format csv gives a gradebook Canvas and Moodle import.

    Example:  psyq report grades.json --format html --out report.html
    """
    from psyq.homework import report as R

    if fmt not in ("md", "html", "csv", "json"):
        raise InputError(f"unknown format '{fmt}'", hint="use md, html, csv or json")
    stats = R.class_stats(R.load_grades(grades), top=top)
    text = {"md": R.to_markdown, "html": R.to_html, "csv": R.to_gradebook_csv, "json": R.to_json}[fmt](stats)
    if out == "-":
        sys.stdout.write(text)
    else:
        _write(Path(out), text)
        typer.echo(f"wrote {fmt} report to {out}", err=True)
