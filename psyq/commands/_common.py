"""Pieces every command shares: error reporting, consoles, --templates and --given handling.

Only typer and the standard library are imported here at module level (start-up stays light).
"""

from __future__ import annotations

import functools
import json
import sys
import warnings
from typing import Any, Callable

import typer

from psyq.errors import ExitCode, InputError, PsyqError, PsyqWarning
from psyq.givens import parse_givens  # noqa: F401 - the commands' --given; engine code lives in psyq.givens

TEMPLATES_HELP = "Extra template folder (repeatable); also read from $PSYQ_TEMPLATES."

# ------------------------------------------------------------------------------------------------
# Help that reads as words: every value an option takes is named (TEMPLATE, N, DIR), never by its
# Python type (<list[str]>, <int range>) or typer's braces ({ITEMS...}...).  One meaning per short
# option across commands (docs/practice.md, docs/export.md): -f --family, -F --format,
# -t --template, -T --templates, -n how many (--count, --versions), -s --seed, -o --out,
# -g --given, -p --part, -k --key.

METAVARS = {
    "seed": "N", "count": "N", "versions": "N", "seeds": "N", "sessions": "N", "tries": "N",
    "difficulty": "1-5", "jobs": "N", "top": "N", "family": "FAMILY", "template": "TEMPLATE",
    "template_id": "TEMPLATE", "templates": "DIR", "given": "NAME=VALUE", "part": "PART",
    "fmt": "FORMAT", "out": "FILE", "home": "DIR", "title": "TEXT", "figures": "key|all|none",
    "paper": "a4|letter", "space": "CM", "secret_env": "VAR", "json_out": "FILE", "junit": "FILE",
    "results_json": "FILE", "pass_mark": "FRACTION", "roster": "FILE", "student": "STUDENT",
    "paths": "PATH", "items": "ITEM", "expected": "EXPECTED", "answer": "ANSWER",
    "answer_text": "ANSWER", "assignment": "ASSIGNMENT", "submissions": "SUBMISSION",
    "grades": "GRADES",
}


def _click():
    """click, where typer still uses it (typer < 0.2x); None where typer brings its own trimmed copy
    and describes a parameter by its annotation instead."""
    try:
        import click
    except ImportError:
        return None
    return click


def metavar(param) -> str:
    """The word shown for a parameter's value: its own metavar, else by name, else by type."""
    click = _click()
    own = getattr(param, "metavar", None)
    if own:
        return own.rstrip(".")
    if param.name in METAVARS:
        return METAVARS[param.name]
    kind = getattr(param, "type", None)  # click's type (older typer), else typer's annotation
    desc = getattr(param, "type_descriptor", None)
    annotation = getattr(desc, "annotation", None)
    if annotation is int or (click and isinstance(kind, (click.types.IntParamType, click.IntRange))):
        return "N"
    if annotation is float or (click and isinstance(kind, (click.types.FloatParamType, click.FloatRange))):
        return "NUMBER"
    if getattr(annotation, "__name__", "") in ("Path", "PosixPath") or (click and isinstance(kind, click.Path)):
        return "PATH"
    return (param.name or "value").upper()


def _is_argument(param) -> bool:
    click = _click()
    return getattr(param, "param_type_name", "") == "argument" or bool(click and isinstance(param, click.Argument))


def _typer_command_class():
    from typer.core import TyperCommand

    return TyperCommand


class PsyqCommand(_typer_command_class()):  # type: ignore[misc]
    """A typer command whose help names values with words (see METAVARS), and whose option values
    are converted without importing pydantic where that gives the same value (_coerce)."""

    def parse_args(self, ctx, args):
        from psyq.commands._coerce import prime

        prime(self.get_params(ctx))
        return super().parse_args(ctx, args)

    def collect_usage_pieces(self, ctx):
        pieces = [self.options_metavar] if self.options_metavar else []
        for p in self.get_params(ctx):
            if _is_argument(p):
                word = metavar(p)
                if p.nargs != 1:
                    word += "..."
                pieces.append(word if p.required else f"[{word}]")
        return pieces

    def format_options(self, ctx, formatter) -> None:
        args, opts = [], []
        for p in self.get_params(ctx):
            record = p.get_help_record(ctx)
            if record is None:
                continue
            if _is_argument(p):
                args.append((metavar(p) + ("..." if p.nargs != 1 else ""), record[1]))
                continue
            names = ", ".join(sorted(p.opts, key=len))
            if p.secondary_opts:
                names += " / " + ", ".join(p.secondary_opts)
            if not (getattr(p, "is_flag", False) or getattr(p, "count", False)):
                names += " " + metavar(p)
            opts.append((names, record[1]))
        for title, rows in (("Arguments", args), ("Options", opts)):
            if rows:
                with formatter.section(title):
                    formatter.write_dl(rows)


def _typer_group_class():
    from typer.core import TyperGroup

    return TyperGroup


class PsyqGroup(_typer_group_class()):  # type: ignore[misc]
    """A typer group (psyq itself, psyq homework) whose own options (--version) are converted
    without importing pydantic where that gives the same value (_coerce)."""

    def parse_args(self, ctx, args):
        from psyq.commands._coerce import prime

        prime(self.get_params(ctx))
        return super().parse_args(ctx, args)


def command_options() -> dict:
    """Keyword arguments for ``app.command(...)``: psyq's help formatting."""
    return {"cls": PsyqCommand}


def templates_option():
    return typer.Option([], "--templates", "-T", help=TEMPLATES_HELP, show_default=False)


def console(stderr: bool = False):
    """A rich console that respects NO_COLOR and stays plain when output is not a terminal."""
    from rich.console import Console

    return Console(stderr=stderr, highlight=False, soft_wrap=False)


def fail(message: str, code: ExitCode = ExitCode.USAGE, pointer: str = "") -> None:
    typer.echo(f"psyq: error: {message}", err=True)
    if pointer:
        typer.echo(pointer, err=True)
    raise typer.Exit(int(code))


def handle_errors(fn: Callable) -> Callable:
    """Turn psyq's own errors into a one-line message and the right exit code."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always", PsyqWarning)
                try:
                    return fn(*args, **kwargs)
                finally:  # psyq's own warnings as one line each, not Python's file:line form
                    for w in caught:
                        if issubclass(w.category, PsyqWarning):
                            typer.echo(f"psyq: warning: {w.message}", err=True)
                        else:
                            warnings.showwarning(w.message, w.category, w.filename, w.lineno)
        except InputError as exc:
            fail(str(exc), exc.exit_code, exc.pointer())
        except PsyqError as exc:
            fail(str(exc), exc.exit_code)
        except BrokenPipeError:  # `psyq generate … | head`
            sys.stderr.close()
            raise typer.Exit(0)

    return wrapper


def dump_json(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2)
