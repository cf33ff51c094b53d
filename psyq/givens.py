"""Pinned givens typed on a command line or in an assignment: ``NAME=VALUE`` → the template's values.

This is engine code (psyq.exam and psyq.homework use it as the CLI does), so it lives here and not
under psyq.commands: imports point down, and nothing below the CLI imports psyq.commands.
"""

from __future__ import annotations

from typing import Any, Sequence

from psyq.errors import InputError


def parse_givens(template, givens: Sequence[str]) -> dict[str, Any]:
    """--given NAME=VALUE: a bare number is in the symbol's unit; a value with a unit is converted."""
    from psyq import units
    from psyq.answers import parse_answer
    from psyq.sampling import check_given_range

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
