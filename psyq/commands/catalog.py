"""psyq catalog: the bank's catalogue (docs/catalog.md) generated from the templates."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from psyq.commands._common import handle_errors, templates_option


@handle_errors
def catalog(
    fmt: str = typer.Option("md", "--format", "-F", help="md (Markdown) or json."),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="Write to this file instead of stdout."),
    templates: List[str] = templates_option(),
) -> None:
    """Catalogue of the bank: id, family, difficulty, skill, misconceptions, an example instance.

    Example:  psyq catalog --out docs/catalog.md
    """
    from psyq import catalog as C

    if fmt not in ("md", "json"):
        from psyq.errors import InputError

        raise InputError(f"unknown format '{fmt}'", hint="use --format md or --format json")
    text = C.render(C.build(templates), fmt)
    if out is None:
        typer.echo(text, nl=False)
        return
    from psyq.fsio import write_atomic

    write_atomic(out, text)
    typer.echo(f"psyq catalog: wrote {out}", err=True)
