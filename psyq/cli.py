"""The psyq command line: a thin typer layer over the library (one module per command group).

Start-up is kept light on purpose: this module and the command modules import only typer and the
standard library at the top; sympy, numpy and pint are imported inside the commands that need them,
so ``psyq --help`` and ``psyq list`` start fast (a test checks it).
"""

from __future__ import annotations

import typer

from psyq import __version__
from psyq.commands import core

app = typer.Typer(
    name="psyq",
    help=(
        "Generate and grade quantitative psychopharmacology problems (occupancy from Ki, MAO "
        "recovery, SNRI engagement, …).\n\n"
        "Example:  psyq show occupancy-from-ki --seed 1 --key"
    ),
    no_args_is_help=True,
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


app.command(name="list")(core.list_templates)
app.command(name="show")(core.show)
app.command(name="generate")(core.generate)
app.command(name="answer")(core.answer)
app.command(name="lint")(core.lint)

# Commands of the other groups register themselves here when their modules exist.
for _module, _names in (
    ("compare", ["compare"]),
    ("practice", ["practice", "stats"]),
    ("export", ["export"]),
    ("homework", ["homework", "grade", "report"]),
    ("catalog", ["catalog"]),
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
            app.command(name=_name)(_obj)


def _defer_typer_rich_extras() -> None:
    """Keep ``psyq --help`` light: typer's help renderer (``typer.rich_utils``) imports
    ``rich.markdown`` (markdown-it, pygments) and ``rich.traceback`` at module level, about 40 ms,
    but uses them only for markdown-mode help and for tracebacks.  Let it bind stand-ins that import
    the real class on first use; the stand-ins are removed from ``sys.modules`` straight away, so
    any other ``import rich.markdown`` gets the real module.  Help output is unchanged."""
    import sys
    import types

    if "typer.rich_utils" in sys.modules or app.rich_markup_mode is None:
        return
    import typer.core

    if not getattr(typer.core, "HAS_RICH", True):  # TYPER_USE_RICH=0: plain help, no rich at all
        return
    stand_ins = {}
    if "rich.markdown" not in sys.modules:
        class Markdown:  # noqa: D401 - a stand-in
            def __new__(cls, *args, **kwargs):
                from rich.markdown import Markdown as Real

                return Real(*args, **kwargs)

        stand_ins["rich.markdown"] = ("Markdown", Markdown)
    if "rich.traceback" not in sys.modules:
        class Traceback:
            @staticmethod
            def from_exception(*args, **kwargs):
                from rich.traceback import Traceback as Real

                return Real.from_exception(*args, **kwargs)

        stand_ins["rich.traceback"] = ("Traceback", Traceback)
    for name, (attr, cls) in stand_ins.items():
        module = types.ModuleType(name)
        setattr(module, attr, cls)
        sys.modules[name] = module
    try:
        import typer.rich_utils  # noqa: F401
    except Exception:  # noqa: BLE001 - a typer without rich_utils: nothing to defer
        pass
    finally:
        for name in stand_ins:
            sys.modules.pop(name, None)


def main() -> None:
    from psyq.errors import ExitCode

    _defer_typer_rich_extras()
    try:
        app()
    except KeyboardInterrupt:
        raise SystemExit(int(ExitCode.INTERRUPTED)) from None


if __name__ == "__main__":  # pragma: no cover
    main()
