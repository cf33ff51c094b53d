"""How a template's quantities are shown to the student: display units and the factor into them,
the unit after a number, the significant figures of a pinned value, the names of choices.

Why a module of its own: givens are drawn rounded as they will be displayed (:mod:`psyq.sampling`)
and then displayed (:mod:`psyq.batch`, :mod:`psyq.single`); all of them must agree on the unit and
the factor, so there is one definition of each.
"""

from __future__ import annotations

from typing import Mapping

from psyq.template import Param, Template


def tables(template: Template):
    """The data tables a template reads (the built-in ones and its own data folders)."""
    from psyq.data import load_tables

    return load_tables(tuple(template.data_dirs))


def param_unit(template: Template, p: Param) -> str | None:
    """The unit a parameter is drawn and computed in (its symbol's unit where it has a symbol)."""
    if p.name in template.symbols:
        return template.symbols[p.name].unit
    return p.unit


def display_unit(template: Template, name: str) -> str | None:
    """The unit ``name`` is shown in."""
    sym = template.symbols.get(name)
    if sym is None:
        return template.params[name].unit if name in template.params else None
    return sym.display_unit or sym.unit


def to_display_factor(template: Template, name: str) -> float:
    """value_in_display_unit = value_in_symbol_unit * factor."""
    from psyq import units

    sym = template.symbols.get(name)
    if sym is None or not sym.display_unit or sym.display_unit == sym.unit:
        return 1.0
    return units.convert(1.0, units.unit(sym.unit), units.unit(sym.display_unit))


def unit_suffix(unit: str) -> str:
    """What follows a number: " nM"; nothing after a fraction (shown as a bare number)."""
    return "" if not unit or unit in ("fraction", "1") else " " + unit  # "1": a dimensionless coefficient


def natural_sigfigs(x: float) -> int:
    """Significant figures of the shortest text for ``x`` (pinned values print as typed)."""
    text = format(x, ".12g")
    mant = text.split("e")[0].lstrip("-").replace(".", "").lstrip("0")
    return max(1, min(12, len(mant)))


def choice_names(t: Template, cats: Mapping[str, str]) -> dict[str, str]:
    """Display names for categorical choices (drug keys become drug names)."""
    names = {}
    for k, v in cats.items():
        shown = str(v)
        try:
            shown = tables(t).display_name(v)
        except Exception:  # noqa: BLE001 - a choice that is not a table row is shown as written
            shown = str(v).replace("_", " ")
        names[k] = shown
    return names
