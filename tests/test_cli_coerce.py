"""Option values converted without pydantic (psyq/commands/_coerce.py) are exactly what typer's own
converter gives: the same values, the same messages, the same exit codes, for plain inputs and odd
ones alike."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import pytest
import typer
from typer.testing import CliRunner

from psyq.commands import _coerce
from psyq.commands._common import PsyqCommand

pytestmark = pytest.mark.skipif(_coerce.RuntimeParam is None, reason="this typer converts through click's types")


def _app() -> typer.Typer:
    app = typer.Typer(add_completion=False)

    @app.command(cls=PsyqCommand)
    def probe(
        paths: List[Path] = typer.Argument(None),
        text: Optional[str] = typer.Option(None, "--text"),
        n: int = typer.Option(1, "--n"),
        r: int = typer.Option(2, "--r", min=1, max=10),
        low: int = typer.Option(0, "--low", min=0),
        x: Optional[float] = typer.Option(None, "--x"),
        flag: bool = typer.Option(False, "--flag/--no-flag"),
        path: Optional[Path] = typer.Option(None, "--path"),
        items: List[str] = typer.Option([], "--item"),
    ) -> None:
        typer.echo(repr((paths, text, n, r, low, x, flag, path, items)))
        typer.echo(repr(tuple(type(v).__name__ for v in (paths, text, n, r, low, x, flag, path, items))))

    return app


ARGS = [
    [], ["--n", "7"], ["--n", "-3"], ["--n", "007"], ["--n", " 7"], ["--n", "+7"], ["--n", "1_000"],
    ["--n", "1.0"], ["--n", "1.5"], ["--n", "abc"], ["--n", ""], ["--n", "9" * 25], ["--n", "١٢"],
    ["--r", "0"], ["--r", "1"], ["--r", "10"], ["--r", "11"], ["--r", "-5"], ["--low", "-1"],
    ["--x", "1.5"], ["--x", "2"], ["--x", "-0"], ["--x", "-0.0"], ["--x", "1e3"], ["--x", "inf"],
    ["--x", "nan"], ["--x", "abc"], ["--x", ".5"], ["--x", "0.1000000000000000055511151231257827"],
    ["--text", ""], ["--text", "a b"], ["--text", " padded "], ["--text", "[x]"],
    ["--item", "a", "--item", "b"], ["--item", ""], ["--path", ""], ["--path", "a/b"], ["--path", "-"],
    ["p1", "p2"], ["--flag"], ["--no-flag"], ["--text", "x\udcff"],
]


def _run(args: list[str], *, fast: bool, monkeypatch) -> tuple[int, str]:
    if not fast:
        monkeypatch.setattr(_coerce, "prime", lambda params: None)
    try:
        result = CliRunner().invoke(_app(), args)
    finally:
        monkeypatch.undo()
    return result.exit_code, result.output


@pytest.mark.parametrize("args", ARGS, ids=[" ".join(a) or "(none)" for a in ARGS])
def test_the_same_values_and_messages_as_typer(args, monkeypatch):
    assert _run(args, fast=True, monkeypatch=monkeypatch) == _run(args, fast=False, monkeypatch=monkeypatch)


def test_plain_inputs_do_not_reach_pydantic(monkeypatch):
    calls = []
    real = _coerce.build_runtime_param
    monkeypatch.setattr(_coerce, "build_runtime_param", lambda d: calls.append(d.annotation) or real(d))
    code, out = _run(["p1", "--n", "7", "--r", "3", "--x", "2.5", "--text", "hi", "--path", "a",
                      "--item", "a", "--flag"], fast=True, monkeypatch=monkeypatch)
    assert code == 0 and "(7, 3, 0, 2.5, True" in out.replace("[PosixPath('p1')], 'hi', ", "")
    assert calls == []
    monkeypatch.setattr(_coerce, "build_runtime_param", lambda d: calls.append(d.annotation) or real(d))
    code, out = _run(["--r", "11"], fast=True, monkeypatch=monkeypatch)  # out of range: typer's message
    assert code == 2 and "less than or equal to 10" in out and calls == [int]
