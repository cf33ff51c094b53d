"""``psyq practice`` (the interactive tutor) and ``psyq stats`` (progress from the history).

Thin commands over :mod:`psyq.practice`, :mod:`psyq.history` and :mod:`psyq.progress`; only typer
and the standard library are imported at module level, so ``psyq --help`` stays light.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import typer

from psyq.commands._common import console, dump_json, handle_errors, templates_option
from psyq.errors import ExitCode, PsyqError

__all__ = ["practice", "stats"]

HOME_HELP = "Folder for the practice history (default: $PSYQ_HOME, else the user data folder)."


def home_option():
    return typer.Option(None, "--home", help=HOME_HELP, show_default=False, file_okay=False)


def candidates(
    families: list[str],
    template_ids: list[str],
    difficulty: int | None,
    templates: list[str],
    *,
    strict: bool = True,
):
    """The templates a session may ask, as :class:`psyq.adaptive.Candidate` (loaded and checked).

    With ``strict`` a template named with --template that fails to load is an error; templates
    reached through a family or the whole bank are left out with a warning instead.
    """
    from psyq import bank
    from psyq.adaptive import Candidate

    entries = {e.id: e for e in bank.entries(templates)}
    if families or template_ids:
        for f in families:
            if f not in {e.family for e in entries.values()}:
                raise PsyqError(
                    f"no family '{f}'",
                    hint="families: " + ", ".join(sorted({e.family for e in entries.values()})),
                )
        ids = bank.select([*families, *template_ids], templates)
    else:
        ids = list(entries)
    if difficulty is not None:
        ids = [i for i in ids if entries[i].difficulty == difficulty]
        if not ids:
            have = sorted({e.difficulty for e in entries.values()})
            raise PsyqError(
                f"no template of difficulty {difficulty} in this selection",
                hint="difficulties in the bank: " + ", ".join(map(str, have)),
            )
    out = []
    for i in ids:
        try:
            t = bank.load(i, templates)
        except PsyqError as exc:
            if strict and i in template_ids:
                raise
            typer.echo(f"psyq: warning: leaving out {i}: {exc}", err=True)
            continue
        names = frozenset(m.name for p in t.parts for m in p.misconceptions)
        out.append(Candidate(t.id, t.family, t.difficulty, names))
    if not out:
        raise PsyqError("no usable template in this selection", hint="run 'psyq lint' to see why")
    return out


@handle_errors
def practice(
    family: list[str] = typer.Option(
        [], "--family", "-f", help="Practise this family (repeatable).", show_default=False
    ),
    template: list[str] = typer.Option(
        [], "--template", "-t", help="Practise this template (repeatable).", show_default=False
    ),
    difficulty: int | None = typer.Option(
        None, "--difficulty", "-d", min=1, max=5, help="Only templates of this difficulty."
    ),
    count: int = typer.Option(5, "--count", "-n", min=1, max=200, help="How many problems."),
    seed: int | None = typer.Option(
        None,
        "--seed",
        "-s",
        min=0,
        help="The first problem uses this seed (as psyq show does); "
        "the next choices follow from it.",
    ),
    tries: int = typer.Option(
        3, "--tries", min=1, max=10, help="Tries per part before the worked solution."
    ),
    plots: bool = typer.Option(
        True, "--plots/--no-plots", help="Curves under worked solutions (terminals ≥ 50 columns)."
    ),
    home: Path | None = home_option(),
    templates: list[str] = templates_option(),
) -> None:
    """Practise problems with feedback, hints and worked solutions; progress is saved.

    One problem at a time; feedback names your actual mistake. At the prompt type an answer
    (80 %, 1.2 nM, 0.8 where a fraction is asked) or hint, ?, solution, sources, skip, help, quit.
    Answers can be piped in, one per line. Ctrl-C or end of input ends with a summary.

    Example:  psyq practice --template occupancy-from-ki --seed 1
    """
    from psyq import bank
    from psyq.history import open_history
    from psyq.practice import INTERRUPTED, Environment, Plan, Session

    cands = candidates(family, template, difficulty, templates)
    session_seed = seed if seed is not None else int.from_bytes(os.urandom(4), "big")
    if seed is not None and seed >= 2**63:
        raise PsyqError("seed must be below 2^63")
    plan = Plan(
        cands,
        lambda tid: bank.load(tid, templates),
        count=count,
        tries=tries,
        seed=session_seed,
        first_seed=seed,
        options={
            "family": family,
            "template": template,
            "difficulty": difficulty,
            "count": count,
            "seed": seed,
            "tries": tries,
        },
    )
    env = Environment.system(plots=plots)
    with open_history(home) as hist:
        summary = Session(env, hist, plan).run()
    if summary.reason == INTERRUPTED:
        raise typer.Exit(int(ExitCode.INTERRUPTED))


@handle_errors
def stats(
    as_json: bool = typer.Option(
        False, "--json", help="Machine-readable report (fields in docs/practice.md)."
    ),
    reset: bool = typer.Option(False, "--reset", help="Delete the practice history (asks first)."),
    yes: bool = typer.Option(False, "--yes", "-y", help="With --reset: do not ask."),
    sessions: int = typer.Option(
        10, "--sessions", min=1, max=1000, help="Recent sessions in the trend."
    ),
    home: Path | None = home_option(),
    templates: list[str] = templates_option(),
) -> None:
    """Your progress: accuracy, trend, recurring misconceptions, what to practise next.

    Accuracy by family and template, the trend over recent sessions, the misconceptions that
    recur, and what to practise next. --reset deletes the history (asks first; --yes for scripts).

    Example:  psyq stats            psyq stats --json            psyq stats --reset
    """
    from psyq import progress
    from psyq.history import History, db_path

    path = db_path(home)
    if reset:
        _reset(path, yes)
        return
    hist = History(path, readonly=True) if path.exists() else None  # stats never writes
    try:
        try:
            cands = candidates([], [], None, templates, strict=False)
        except PsyqError:
            cands = []
        data = progress.report(hist, cands, now=time.time(), recent=sessions, database=str(path))
    finally:
        if hist is not None:
            hist.close()
    if as_json:
        typer.echo(dump_json(data))
    else:
        progress.render(console(), data)


def _reset(path: Path, yes: bool) -> None:
    from psyq.history import History

    if not path.exists():
        typer.echo(f"No practice history at {path}: nothing to delete.")
        return
    with History(path, create=False) as hist:
        counts = hist.counts()
        what = (
            f"{counts['sessions']} session(s), {counts['problems']} problem part(s) and "
            f"{counts['attempts']} answer(s) in {path}"
        )
        if not yes:
            try:
                ok = typer.confirm(f"Delete {what}?", default=False)
            except typer.Abort:  # end of input or Ctrl-C at the question
                ok = False
                typer.echo()
            if not ok:
                typer.echo("Nothing deleted.")
                raise typer.Exit(int(ExitCode.FAILURE))
        deleted = hist.reset()
    typer.echo(
        f"Deleted {deleted['sessions']} session(s), {deleted['problems']} problem part(s) and "
        f"{deleted['attempts']} answer(s)."
    )
