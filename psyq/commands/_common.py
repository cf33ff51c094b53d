"""Pieces every command shares: error reporting, consoles, --templates and --given handling.

Only typer and the standard library are imported here at module level (start-up stays light).
"""

from __future__ import annotations

import functools
import json
import sys
import warnings
from typing import Any, Callable, Sequence

import typer

from psyq.errors import ExitCode, InputError, PsyqError, PsyqWarning

TEMPLATES_HELP = "Extra template folder (repeatable); also read from $PSYQ_TEMPLATES."


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


def parse_givens(template, givens: Sequence[str]) -> dict[str, Any]:
    """--given NAME=VALUE: a bare number is in the symbol's unit; a value with a unit is converted."""
    from psyq import units
    from psyq.answers import parse_answer
    from psyq.instance import check_given_range

    out: dict[str, Any] = {}
    for item in givens:
        name, sep, text = item.partition("=")
        name, text = name.strip(), text.strip()
        if not sep or not name or not text:
            raise InputError(f"--given '{item}' must be NAME=VALUE", hint="e.g. --given Ki=0.29 or --given C='1.2 nM'")
        if name not in template.params:
            raise InputError(f"'{name}' is not a given of {template.id}",
                             hint="givens: " + ", ".join(n for n, p in template.params.items() if not p.hidden))
        p = template.params[name]
        if p.categorical:
            out[name] = text
            continue
        parsed = parse_answer(text)
        if parsed.value is None:
            raise InputError(f"--given {name} needs a number", text=text)
        value = parsed.value
        if parsed.unit is not None:
            target = template.symbols[name].unit if name in template.symbols else (p.unit or "")
            value = units.convert(value, parsed.unit, units.unit(target or "fraction"))
        check_given_range(template, name, value)
        out[name] = value
    return out


def dump_json(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2)
