"""psyq compile: solve templates ahead of time (the compiled bank and the user cache)."""

from __future__ import annotations

from typing import List

import typer

from psyq.commands._common import handle_errors, templates_option


@handle_errors
def compile_templates(
    bank: bool = typer.Option(False, "--bank", help="Rewrite the built-in bank's shipped compiled "
                              "entries (psyq/compiled_bank/) from the templates, with sympy."),
    check: bool = typer.Option(False, "--check", help="Only check that the shipped entries are current; "
                               "exit 1 if any is stale."),
    templates: List[str] = templates_option(),
) -> None:
    """Solve templates once with sympy and keep the result as data, so every other command starts
    without sympy.  The built-in bank ships compiled; a folder of your own (--templates,
    $PSYQ_TEMPLATES) is compiled into the user cache ($PSYQ_CACHE_DIR overrides where), which
    otherwise happens on first use.

    Example:  psyq compile -T my-templates

    After changing a built-in template or data table (developers):  psyq compile --bank
    """
    from psyq import compiled

    if bank or check:
        if check:
            stale = compiled.stale_bank()
            if stale:
                typer.echo("psyq compile: stale compiled entries: " + ", ".join(stale)
                           + " (run: psyq compile --bank)", err=True)
                raise typer.Exit(1)
            typer.echo("psyq compile: the shipped compiled bank is current", err=True)
            return
        written, removed = compiled.rebuild_bank()
        typer.echo(f"psyq compile: {len(written)} entries rewritten, {len(removed)} removed, in "
                   f"{compiled.shipped_dir()}", err=True)
        return
    ids = compiled.compile_folders(templates)
    typer.echo(f"psyq compile: {len(ids)} template(s) compiled into {compiled.cache_dir()}", err=True)
