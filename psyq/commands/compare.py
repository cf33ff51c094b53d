"""`psyq compare`: grade one typed answer against a value under one rule, without a template."""

from __future__ import annotations

from typing import Annotated

import typer


def compare(
    expected: Annotated[str, typer.Argument(
        help="The correct value, with its unit if it has one: 0.25, '0.25 µM', 1.2e-3.",
        show_default=False)],
    answer: Annotated[str, typer.Argument(
        help="The answer exactly as a student typed it: '250 nM', 0.250, '2.5*10^-1'.",
        show_default=False)],
    rtol: Annotated[str | None, typer.Option(
        "--rtol", metavar="R", help="Relative tolerance: accept |s − t| ≤ R·|t| (default 0.05; '5%' also works).",
        show_default=False)] = None,
    atol: Annotated[str | None, typer.Option(
        "--atol", metavar="A", help="Absolute tolerance: accept |s − t| ≤ A (both ends); may carry a unit ('0.5 nM').",
        show_default=False)] = None,
    sigfigs: Annotated[str | None, typer.Option(
        "--sigfigs", metavar="N[,M]",
        help="N significant figures, written and accurate; N,M: accurate to M; N,-1: at least N; N,0: digits only.",
        show_default=False)] = None,
    strict_sigfigs: Annotated[str | None, typer.Option(
        "--strict-sigfigs", metavar="N", help="Exactly N significant figures as written ('100' has 1); value not checked.",
        show_default=False)] = None,
    decimals: Annotated[str | None, typer.Option(
        "--decimals", metavar="N", help="Exactly N decimal places written, rounding to the expected value.",
        show_default=False)] = None,
    units: Annotated[str | None, typer.Option(
        "--units", metavar="convert|strict",
        help="convert: compatible units are converted (default when EXPECTED has a unit); strict: the answer must use EXPECTED's unit.",
        show_default=False)] = None,
    json_output: Annotated[bool, typer.Option(
        "--json", help="Print the verdict, interval, significant figures and note tags as JSON.")] = False,
) -> None:
    """Grade ANSWER against EXPECTED under one rule, and show why.

    Exit status: 0 accepted, 1 rejected, 2 the answer is invalid under the rule (or bad usage).
    Rules follow STACK's answer tests; docs/grading.md gives every formula.

    Example:

        psyq compare "0.25 µM" "250 nM" --sigfigs 2

    For a negative EXPECTED put -- before the arguments: psyq compare -- -9.81 -9.8
    """
    import json

    from psyq.errors import ExitCode, InputError, PsyqError

    try:
        from psyq.compare import compare as run_compare
        from psyq.compare import make_rule

        rule = make_rule(rtol=rtol, atol=atol, sigfigs=sigfigs, strict_sigfigs=strict_sigfigs,
                         decimals=decimals, units=units)
        outcome = run_compare(expected, answer, rule)
    except InputError as err:
        if json_output:
            typer.echo(json.dumps({"verdict": "invalid", "accepted": None, "error": err.message,
                                   "position": err.position, "hint": err.hint}, ensure_ascii=False))
        else:
            typer.echo(f"invalid: {err.message}", err=True)
            pointer = err.pointer()
            if pointer:
                typer.echo(pointer, err=True)
            if err.hint:
                typer.echo(f"hint: {err.hint}", err=True)
        raise typer.Exit(int(ExitCode.USAGE)) from None
    except PsyqError as err:
        if json_output:
            typer.echo(json.dumps({"verdict": "invalid", "accepted": None, "error": err.message,
                                   "hint": err.hint}, ensure_ascii=False))
        else:
            typer.echo(f"error: {err}", err=True)
        raise typer.Exit(int(ExitCode.USAGE)) from None

    if json_output:
        typer.echo(json.dumps(outcome.to_json(), ensure_ascii=False))
        raise typer.Exit(int(outcome.exit_code))

    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    console = Console(highlight=False)
    style = {"accepted": "bold green", "rejected": "bold red", "invalid": "bold yellow"}[outcome.verdict]
    console.print(f"[{style}]{outcome.verdict}[/]  {escape(outcome.result.message)}")
    table = Table.grid(padding=(0, 2))
    table.add_column(style="dim")
    table.add_column()
    table.add_row("rule", escape(f"{outcome.rule.describe()} (STACK {outcome.stack_test})"))
    table.add_row("expected", escape(expected))
    table.add_row("answer", escape(answer))
    if outcome.interval_text():
        table.add_row("accepted", escape(outcome.interval_text()))
    if outcome.sigfigs_written:
        low, high = outcome.sigfigs_written
        places = outcome.decimals_written
        text = (f"{low} significant figure{'s' if low != 1 else ''}" if low == high
                else f"{low}–{high} significant figures (trailing zeros are ambiguous)")
        text += f", {places} decimal place{'s' if places != 1 else ''}"
        table.add_row("written", text)
    table.add_row("notes", escape(" ".join(outcome.result.notes)))
    console.print(table)
    raise typer.Exit(int(outcome.exit_code))
