"""Filling a template's texts: ``{name}`` placeholders replaced by displays, values and choice
names, YAML line breaks reflowed.

:func:`fill` fills one text for one instance.  :class:`FillPlan` and :class:`SubstPlan` prepare a
text once and fill it for every row of a batch (a :class:`Columns`) with a join per row, equal row
for row to :func:`fill`: filling texts is a large part of the cost of a batch.

Why a module of its own: the batch renderer (:mod:`psyq.batch`) and the one-row path
(:mod:`psyq.single`) fill the same texts and must give the same characters.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import repeat
from typing import Any, Mapping

from psyq import draws
from psyq.template import PLACEHOLDER


def fill(text: str, shown: Mapping[str, str], vals: Mapping[str, float], names: Mapping[str, str]) -> str:
    """Replace {name}, {name.value}, {name.unit}, {name.name} placeholders; {{ }} are literal braces."""
    def sub(m: re.Match) -> str:
        name, attr = m.group(1), m.group(2)
        if name in names:
            return names[name]
        display = shown.get(name)
        if display is None:
            value = vals.get(name)
            return "—" if value is None else draws.format_number(value, 3)
        if attr == "value":
            return display.split(" ")[0]
        if attr == "unit":
            return display.partition(" ")[2]
        return display

    out = []
    for chunk in re.split(r"(\{\{|\}\})", text):
        if chunk == "{{":
            out.append("{")
        elif chunk == "}}":
            out.append("}")
        else:
            out.append(PLACEHOLDER.sub(sub, chunk))
    return _reflow("".join(out).strip())


def _reflow(text: str) -> str:
    """YAML block text keeps the author's line breaks; join lines, keep blank-line paragraphs,
    and start with a capital letter (a drug name often opens the stem)."""
    text = _reflow_lines(text)
    return text[:1].upper() + text[1:] if text[:1].isalpha() else text


def _reflow_lines(text: str) -> str:
    """The line joining of :func:`_reflow`, without the capital letter."""
    paragraphs = [" ".join(line.strip() for line in para.splitlines() if line.strip())
                  for para in re.split(r"\n\s*\n", text)]
    return "\n\n".join(p for p in paragraphs if p)


# ------------------------------------------------------------------------------------------------
# A text for every row of a batch at once

@dataclass
class Columns:
    """One batch's columns: displays and choice names (lists of text) and values (arrays)."""

    n: int
    shown: dict[str, list[str]]
    values: Mapping[str, Any]
    names: dict[str, list[str]]
    math: dict[str, list[str]] | None = None  # psyq.batch.Renderer._math_columns, once per batch

    def token(self, name: str, attr: str | None) -> list[str]:
        """The text a ``{name}`` / ``{name.value}`` / ``{name.unit}`` placeholder becomes, per row."""
        if name in self.names:
            return self.names[name]
        display = self.shown.get(name)
        if display is None:
            value = self.values.get(name)
            if value is None:
                return ["—"] * self.n
            return draws.format_number_array(value, 3)
        if attr == "value":
            return map_values(display, lambda d: d.split(" ")[0])
        if attr == "unit":
            return map_values(display, lambda d: d.partition(" ")[2])
        return display

    def row(self, i: int) -> tuple[dict, dict, dict]:
        """(shown, vals, names) of row ``i`` as the one-row :func:`fill` takes them."""
        return ({k: v[i] for k, v in self.shown.items()},
                {k: float(v[i]) for k, v in self.values.items()},
                {k: v[i] for k, v in self.names.items()})


def map_values(col: list, fn) -> list:
    """``[fn(v) for v in col]`` with ``fn`` called once per distinct value (the columns it maps,
    choice names and displays, repeat their values a lot)."""
    try:
        mapping = {v: fn(v) for v in set(col)}
    except TypeError:  # an unhashable value: mapped one by one
        return [fn(v) for v in col]
    if all(k is v for k, v in mapping.items()):
        return col  # fn changed nothing
    return list(map(mapping.__getitem__, col))


_MARK_OPEN, _MARK_CLOSE = "\ue000", "\ue001"  # private-use characters: never whitespace
_MARK = re.compile("\ue000(\\d+)\ue001")
# Characters at which str.splitlines() breaks a line (a filled-in value must contain none of them
# for the prepared reflow to be exact).
_LINE_BREAKS = re.compile("[\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")


class FillPlan:
    """:func:`fill` for one text, prepared once.

    The text is split into literal pieces and placeholders, and reflowed once with a marker in
    place of each placeholder.  Filling in is then a join, a whole column of rows at once.  That
    equals ``fill`` exactly whenever every filled-in value is non-empty, neither starts nor ends
    with whitespace and holds no line break (then no line strip, paragraph split or blank-line test
    can see a difference between a marker and its value); a row with any other value falls back
    to ``fill`` itself.
    """

    def __init__(self, text: str):
        self.text = text
        pieces: list[Any] = []
        for chunk in re.split(r"(\{\{|\}\})", text):
            if chunk == "{{":
                pieces.append("{")
            elif chunk == "}}":
                pieces.append("}")
            else:
                pos = 0
                for m in PLACEHOLDER.finditer(chunk):
                    pieces.append(chunk[pos:m.start()])
                    pieces.append((m.group(1), m.group(2)))
                    pos = m.end()
                pieces.append(chunk[pos:])
        self.usable = _MARK_OPEN not in text and _MARK_CLOSE not in text
        tokens = []
        marked_pieces = []
        for p in pieces:
            if isinstance(p, str):
                marked_pieces.append(p)
            else:
                marked_pieces.append(f"{_MARK_OPEN}{len(tokens)}{_MARK_CLOSE}")
                tokens.append(p)
        marked = "".join(marked_pieces)
        flowed = _reflow_lines(marked.strip())
        self.tokens = tokens
        # literal text at even places, token numbers at odd places
        self.segments: list[Any] = [int(part) if k % 2 else part
                                    for k, part in enumerate(_MARK.split(flowed))]
        if self.segments[1::2] != list(range(len(tokens))):  # pragma: no cover - defensive
            self.usable = False  # (cannot happen: reflow neither drops nor reorders markers)
        # The capital letter of _reflow: decided now when the text opens with literal text.
        first = self.segments[0]
        self.capital_known = bool(first)
        if first and first[:1].isalpha():
            self.segments[0] = first[:1].upper() + first[1:]

    def fill_column(self, cols: Columns) -> list[str]:
        """The text filled in for every row of a batch: equal, row by row, to :func:`fill`."""
        n = cols.n
        if not self.usable:
            return [fill(self.text, *cols.row(i)) for i in range(n)]
        if not self.tokens:
            text = "".join(self.segments)
            if not self.capital_known:
                text = text[:1].upper() + text[1:] if text[:1].isalpha() else text
            return [text] * n
        columns = [cols.token(name, attr) for name, attr in self.tokens]
        # Rows where a filled-in value could change the reflow go the long way (see the class).
        bad: set[int] = set()
        for col in columns:
            odd = {v for v in set(col) if not v or v.strip() != v or _LINE_BREAKS.search(v)}
            if odd:
                bad.update(i for i, v in enumerate(col) if v in odd)
        if not self.capital_known:  # the text opens with the first value: capitalise it
            columns[0] = map_values(columns[0], lambda v: v[:1].upper() + v[1:] if v[:1].isalpha() else v)
        pieces = self.segments.copy()
        pieces[1::2] = columns  # markers survive the reflow in order, one each: odd places
        out = _join_rows(pieces, n)
        for i in bad:
            out[i] = fill(self.text, *cols.row(i))
        return out


class SubstPlan:
    """A worked-solution line with slots ({C}) for the values substituted into it, prepared once:
    literal pieces and slot names."""

    def __init__(self, template_text: str):
        self.pieces = re.split(r"\{([A-Za-z][A-Za-z0-9_]*)\}", template_text)
        self.has_numbers = any(re.search(r"\d", p) for p in self.pieces[0::2])

    def apply_column(self, shown: Mapping[str, list[str]], n: int, prefix: str = "") -> list[str]:
        """``prefix`` and the line with each row's values in its slots, for every row of a batch.  A
        slot missing from ``shown`` keeps its name; "(0.44 nM)^1.41", "(-3)": a value with a unit
        or a sign is grouped where it matters."""
        pieces = self.pieces
        parts: list[Any] = [prefix]
        for k, piece in enumerate(pieces):
            if k % 2:
                col = shown.get(piece)
                if col is None:
                    col = [piece] * n
                raised = k + 1 < len(pieces) and pieces[k + 1].startswith("^")
                parts.append(map_values(col, lambda v, raised=raised: (
                    f"({v})" if v.startswith("-") or (raised and " " in v) else v)))
            else:
                parts.append(piece)
        return _join_rows(parts, n)


def _join_rows(pieces: list, n: int) -> list[str]:
    """Row ``i`` of the result joins, in order, each piece that is a text and element ``i`` of each
    piece that is a column."""
    if all(isinstance(p, str) for p in pieces):
        return ["".join(pieces)] * n
    return list(map("".join, zip(*[repeat(p) if isinstance(p, str) else p for p in pieces if p != ""])))
