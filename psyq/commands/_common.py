"""Pieces every command shares: error reporting, consoles, --templates and --given handling.

Only typer and the standard library are imported here at module level (start-up stays light).
"""

from __future__ import annotations

import functools
import json
import sys
from typing import Any, Callable

import typer

from psyq.errors import ExitCode, InputError, PsyqError
from psyq.givens import parse_givens  # noqa: F401 - the commands' --given; engine code lives in psyq.givens

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
            return fn(*args, **kwargs)
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
