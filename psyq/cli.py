"""The psyq command line: a thin typer layer over the library (one module per command group).

Start-up is kept light on purpose: this module and the command modules import only typer and the
standard library at the top; sympy, numpy and pint are imported inside the commands that need them,
so ``psyq --help`` and ``psyq list`` start fast (a test checks it).
"""

from __future__ import annotations

import typer

from psyq import __version__
from psyq.commands import core
from psyq.commands._common import PsyqCommand, PsyqGroup

app = typer.Typer(
    name="psyq",
    help=(
        "Generate and grade quantitative psychopharmacology problems (occupancy from Ki, MAO "
        "recovery, SNRI engagement, …).\n\n"
        "Example:  psyq show occupancy-from-ki --seed 1 --key"
    ),
    no_args_is_help=True,
    cls=PsyqGroup,  # option values converted without pydantic where exact (commands/_coerce.py)
    # Plain click-style help: rendering help through rich costs more start-up than the rest of
    # psyq --help together (docs/performance.md); output commands still use rich.
    rich_markup_mode=None,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"psyq {__version__}")
        raise typer.Exit()


@app.callback()
def _root(version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                       help="Print the version and exit.")) -> None:
    """psyq: problems from YAML templates, seeded, solved with sympy, graded with care."""


app.command(name="list", cls=PsyqCommand)(core.list_templates)
app.command(name="show", cls=PsyqCommand)(core.show)
app.command(name="generate", cls=PsyqCommand)(core.generate)
app.command(name="answer", cls=PsyqCommand)(core.answer)
app.command(name="lint", cls=PsyqCommand)(core.lint)

# Commands of the other groups register themselves here when their modules exist.
for _module, _names in (
    ("compare", ["compare"]),
    ("practice", ["practice", "stats"]),
    ("export", ["export"]),
    ("homework", ["homework", "grade", "report"]),
    ("catalog", ["catalog"]),
    ("compile", ["compile_templates"]),
):
    try:
        _mod = __import__(f"psyq.commands.{_module}", fromlist=["_"])
    except ModuleNotFoundError as _exc:  # a group not built yet
        if _exc.name != f"psyq.commands.{_module}":
            raise
        continue
    for _name in _names:
        _obj = getattr(_mod, _name, None)
        if isinstance(_obj, typer.Typer):
            app.add_typer(_obj, name=_name)
        elif _obj is not None:
            app.command(name=_name.removesuffix("_templates"), cls=PsyqCommand)(_obj)


def _for_argv(argv: list[str]) -> typer.Typer:
    """``app`` as typer builds it for this command line: only the command (or command group) the
    first word names, when it names one exactly.  typer builds every registered command's
    parameters before it dispatches (~10 ms of CPU for psyq's 20 commands); the one command it
    dispatches to sees the same group, context and names either way.  Anything else (an option
    first, a word that names no command, ``--help``) gets the whole app, so help listings and
    "No such command" suggestions are unchanged."""
    if not argv or argv[0].startswith("-"):
        return app
    word = argv[0]
    commands = [c for c in app.registered_commands if c.name == word]
    groups = [g for g in app.registered_groups if g.name == word]
    if len(commands) + len(groups) != 1:
        return app
    import copy

    only = copy.copy(app)  # (a shallow copy: the module's app keeps every command)
    only.registered_commands = commands
    only.registered_groups = groups
    return only


def main() -> None:
    import sys

    from psyq.errors import ExitCode

    try:
        _for_argv(sys.argv[1:])()
    except KeyboardInterrupt:
        raise SystemExit(int(ExitCode.INTERRUPTED)) from None


if __name__ == "__main__":  # pragma: no cover
    main()
