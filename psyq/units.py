"""Units of typed answers and template quantities: a strict parser in front of pint.

A person's unit text is never handed to pint.  It is tokenised here against a whitelist
(identifiers of letters, ``* · ⋅ /``, whitespace as multiplication, ``^``/``**`` with a small whole
exponent, unicode superscripts, parentheses, and the literal ``1`` as in ``1/h``).  Each identifier
is then looked up on its own against an allow-list: psyq's alias table (the pharmacology units:
``M`` is molar, ``hr`` is an hour, ``%`` is 0.01 …, defined here without pint), then
``UNIT_SYMBOLS``/``UNIT_WORDS`` (SI and common units, with the SI prefixes each takes), whose
factors are read from pint by pint's own internal name.  A name on neither list is refused with a
suggestion ("Nm" → "did you mean N·m?"), even if pint knows it.  A whole unit's factor is bounded
(``MAX_LOG10_FACTOR``) before it is computed, so no unit overflows.  pint is imported lazily.

A parsed :class:`Unit` is plain data: a factor to SI base units and the base dimensions, so
conversion after warm-up is one multiplication and a division (~1 µs).  Both identifier look-ups
and whole unit texts are cached.

Conventions worth knowing (see ``ALIASES`` for the full table):

* ``M`` is mol/L (never mega or metre); ``mM``, ``µM``/``uM``/``μM``, ``nM``, ``pM``, ``fM`` likewise.
* ``d``/``day``/``days`` display as ``d``; ``hr``/``hrs``/``hour(s)`` as ``h``; ``wk``/``week(s)`` as ``wk``.
* ``%``/``percent`` is the dimensionless factor 0.01; ``fraction``, ``ratio``, ``fold``, ``1`` and the
  empty text are dimensionless with factor 1.
* ``Da``/``kDa`` are molar masses (g/mol, kg/mol), as pharmacologists use them, not atomic masses.
* ``dpt`` is the dioptre (1/m), as in STACK (pint would read deci-pint).
* Dimensionless pint names (``pi``, ``ppm``, ``rad``, ``deg`` …), offset units (``°C``), ``mEq``
  (depends on the ion's charge), ``IU`` and bare prefixes (``G``, ``k``) are refused with a reason.
* ``patient``/``patients`` is a count: its own dimension, so 25 patients is not 25 %.
* After a ``/``, a further multiplication is refused as ambiguous (``mg/L h``, ``J/mol·K``):
  write ``mg·h/L`` or ``J/(mol·K)``.  Chained division (``m/s/s``, ``mg/kg/d``) is left-associative.
"""

from __future__ import annotations

import difflib
import functools
import math
import unicodedata
from dataclasses import dataclass

from psyq.errors import InputError

__all__ = [
    "Unit", "UnitMismatch", "parse_unit", "unit", "convert", "convertible", "sibling_units",
    "is_unit_text", "FRACTION", "PERCENT", "DIMENSIONLESS", "ALIASES",
]

MAX_TEXT = 60        # characters in a whole unit text
MAX_IDENT = 20       # characters in one identifier
MAX_DEPTH = 5        # parenthesis nesting
MAX_EXP = 6          # |exponent| as written
MAX_TOTAL_EXP = 12   # |exponent| of one identifier or one base dimension after combining
MAX_LOG10_FACTOR = 60  # |log10| of a whole unit's factor to SI base units (yotta³ is 10^72: refused)

Dims = tuple[tuple[str, int], ...]

_L, _M, _N, _T = "[length]", "[mass]", "[substance]", "[time]"

DIMS_AMOUNT_CONC: Dims = ((_L, -3), (_N, 1))
DIMS_MASS_CONC: Dims = ((_L, -3), (_M, 1))
DIMS_TIME: Dims = ((_T, 1),)
DIMS_MASS: Dims = ((_M, 1),)
DIMS_DOSE_RATE: Dims = ((_M, 1), (_T, -1))
DIMS_MOLAR_MASS: Dims = ((_M, 1), (_N, -1))
DIMS_VOLUME: Dims = ((_L, 3),)
DIMS_AMOUNT: Dims = ((_N, 1),)
DIMS_RATE: Dims = ((_T, -1),)

_DIM_WORDS: dict[Dims, str] = {
    (): "dimensionless",
    DIMS_AMOUNT_CONC: "amount concentration",
    DIMS_MASS_CONC: "mass concentration",
    DIMS_TIME: "time",
    DIMS_MASS: "mass",
    DIMS_DOSE_RATE: "dose rate (mass/time)",
    DIMS_MOLAR_MASS: "molar mass",
    DIMS_VOLUME: "volume",
    DIMS_AMOUNT: "amount of substance",
    DIMS_RATE: "rate (1/time)",
    ((_L, 1),): "length",
    ((_L, 2),): "area",
    ((_L, -1),): "inverse length",
    ((_L, 3), (_T, -1)): "clearance (volume/time)",
    ((_L, 3), (_M, -1)): "volume per mass",
    ((_L, -3), (_M, 1), (_T, 1)): "exposure (mass concentration × time)",
    ((_L, -3), (_N, 1), (_T, 1)): "exposure (amount concentration × time)",
    ((_L, -3), (_N, 1), (_T, -1)): "amount concentration per time",
    ((_L, -3), (_M, 1), (_T, -1)): "mass concentration per time",
    ((_N, 1), (_T, -1)): "amount rate (amount/time)",
    ((_L, 3), (_N, -1), (_T, -1)): "rate constant (1/(concentration·time))",
    ((_L, 1), (_T, -1)): "speed",
    ((_L, 1), (_T, -2)): "acceleration",
    ((_L, 2), (_M, 1), (_T, -2)): "energy",
}


@dataclass(frozen=True)
class Unit:
    """A unit: display text, factor to SI base units, and base dimensions."""

    text: str            # canonical display text, e.g. "nM", "ng/mL", "%", "d", "m/s^2"
    factor: float        # value in this unit × factor = value in SI base units (kg, m, s, mol, …)
    dims: Dims           # sorted (base dimension, exponent) pairs; () when dimensionless

    @property
    def dimensionless(self) -> bool:
        return not self.dims

    def describe_dims(self) -> str:
        """The dimension in words ("amount concentration", "time" …), else pint-like text."""
        words = _DIM_WORDS.get(self.dims)
        if words is not None:
            return words
        return _dims_text(self.dims)

    def same_as(self, other: "Unit") -> bool:
        """Algebraically the same unit (``m/s/s`` and ``m s^-2``): same dimensions and factor."""
        return self.dims == other.dims and _close(self.factor, other.factor)

    def __str__(self) -> str:
        return self.text


def _dims_text(dims: Dims) -> str:
    def term(name: str, exp: int) -> str:
        return name if exp == 1 else f"{name} ** {exp}"

    num = [term(n, e) for n, e in dims if e > 0]
    den = [term(n, -e) for n, e in dims if e < 0]
    text = " * ".join(num) if num else "1"
    if den:
        text += " / " + " / ".join(den)
    return text


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= 1e-9 * max(abs(a), abs(b))


FRACTION = Unit("fraction", 1.0, ())
PERCENT = Unit("%", 0.01, ())
DIMENSIONLESS = Unit("", 1.0, ())


class UnitMismatch(InputError):
    """A value cannot be converted between two units: the dimensions differ."""

    def __init__(self, message: str, *, src: Unit, dst: Unit, hint: str | None = None):
        super().__init__(message, text=src.text, position=None, hint=hint)
        self.src = src
        self.dst = dst


# --------------------------------------------------------------------------------------------
# The alias table (no pint needed)

# identifier -> (display text, factor to SI base units, dims)
ALIASES: dict[str, tuple[str, float, Dims]] = {}

_MICRO_SPELLINGS = ("µ", "μ", "u")   # U+00B5, U+03BC, ASCII u; displayed as U+00B5
_PREFIX_EXP = {"f": -15, "p": -12, "n": -9, "µ": -6, "m": -3, "c": -2, "d": -1, "": 0, "k": 3}


def _add(names: tuple[str, ...] | str, display: str, factor: float, dims: Dims) -> None:
    for name in (names,) if isinstance(names, str) else names:
        ALIASES[name] = (display, factor, dims)


def _add_prefixed(symbols: tuple[str, ...], display_symbol: str, base_exp: int, dims: Dims,
                  prefixes: str, *, display_prefix_case: str | None = None) -> None:
    """Add prefixed forms: factor = 10**(prefix exponent + base_exp), computed exactly."""
    for p in prefixes.split(","):
        spellings = _MICRO_SPELLINGS if p == "µ" else (p,)
        factor = float(f"1e{_PREFIX_EXP[p] + base_exp}")
        for sp in spellings:
            for sym in symbols:
                _add(sp + sym, p + display_symbol, factor, dims)


# molar: M = mol/L = 1e3 mol/m^3
_add_prefixed(("M",), "M", 3, DIMS_AMOUNT_CONC, "f,p,n,µ,m,")
_add("molar", "M", 1e3, DIMS_AMOUNT_CONC)
# amount
_add_prefixed(("mol",), "mol", 0, DIMS_AMOUNT, "f,p,n,µ,m,")
_add(("mole", "moles"), "mol", 1.0, DIMS_AMOUNT)
# mass (SI base is kg)
_add_prefixed(("g",), "g", -3, DIMS_MASS, "f,p,n,µ,m,,k")
_add("mcg", "µg", 1e-9, DIMS_MASS)
_add(("gram", "grams"), "g", 1e-3, DIMS_MASS)
_add(("milligram", "milligrams"), "mg", 1e-6, DIMS_MASS)
_add(("microgram", "micrograms"), "µg", 1e-9, DIMS_MASS)
_add(("kilogram", "kilograms"), "kg", 1.0, DIMS_MASS)
# volume (SI base is m^3): L and l both display as L
_add_prefixed(("L", "l"), "L", -3, DIMS_VOLUME, "n,µ,m,c,d,")
_add(("liter", "liters", "litre", "litres"), "L", 1e-3, DIMS_VOLUME)
_add(("milliliter", "milliliters", "millilitre", "millilitres"), "mL", 1e-6, DIMS_VOLUME)
# time
_add_prefixed(("s",), "s", 0, DIMS_TIME, "µ,m,")
_add(("sec", "secs", "second", "seconds"), "s", 1.0, DIMS_TIME)
_add(("min", "mins", "minute", "minutes"), "min", 60.0, DIMS_TIME)
_add(("h", "hr", "hrs", "hour", "hours"), "h", 3600.0, DIMS_TIME)
_add(("d", "day", "days"), "d", 86400.0, DIMS_TIME)
_add(("wk", "wks", "week", "weeks"), "wk", 604800.0, DIMS_TIME)
# dimensionless
_add(("%", "percent"), "%", 0.01, ())
_add("fraction", "fraction", 1.0, ())
_add("ratio", "ratio", 1.0, ())
_add("fold", "fold", 1.0, ())
# molar mass as pharmacologists use Da (SI base kg/mol)
_add("Da", "Da", 1e-3, DIMS_MOLAR_MASS)
_add("kDa", "kDa", 1.0, DIMS_MOLAR_MASS)
# STACK's dioptre (pint would read "dpt" as deci-pint)
_add("dpt", "dpt", 1.0, ((_L, -1),))

# Names pint knows but which are not units in an answer (constants, maths letters).
_NOT_UNITS = frozenset({"e", "E", "i", "j", "pi", "π", "inf", "nan", "x", "X", "y", "z"})

# Common symbols suggested when an identifier is unknown (besides the alias table).
_SUGGEST_EXTRA = ("m", "cm", "mm", "km", "µm", "nm", "J", "kJ", "K", "C", "N", "Pa", "W", "V",
                  "A", "Hz", "amu", "cc", "in", "ft", "mi", "yr", "year")


# --------------------------------------------------------------------------------------------
# Tokeniser

_IDENT_EXTRA = frozenset("µμ°ΩΩ")          # micro (both), degree, ohm (Greek and ohm sign)
_MUL_CHARS = frozenset("*·⋅")
_SPACE = frozenset(" \t\u00a0\u2009\u202f")
_SUPERSCRIPT = {"⁰": 0, "¹": 1, "²": 2, "³": 3, "⁴": 4, "⁵": 5, "⁶": 6, "⁷": 7, "⁸": 8, "⁹": 9}
_SUP_SIGN = {"⁻": -1, "⁺": 1}
_MINUS = frozenset("-−")   # ASCII hyphen-minus and U+2212
_CONFUSABLE = {
    # Cyrillic
    "А": "A", "В": "B", "Е": "E", "К": "K", "М": "M", "Н": "H", "О": "O", "Р": "P", "С": "C",
    "Т": "T", "Х": "X", "а": "a", "е": "e", "о": "o", "р": "p", "с": "c", "у": "y", "х": "x",
    "Ѕ": "S", "ѕ": "s", "І": "I", "і": "i", "ј": "j", "һ": "h", "ԁ": "d", "ɡ": "g",
    # Greek (lower-case μ is accepted as micro)
    "Α": "A", "Β": "B", "Ε": "E", "Ζ": "Z", "Η": "H", "Ι": "I", "Κ": "K", "Μ": "M", "Ν": "N",
    "Ο": "O", "Ρ": "P", "Τ": "T", "Υ": "Y", "Χ": "X", "ο": "o",
}
_ALLOWED_HINT = "units use Latin letters, µ, °, Ω, '%', '*' '·' '/', '^' with a whole exponent, and parentheses"

# token kinds
_ID, _ONE, _MUL, _DIV, _POW, _LP, _RP, _END = "id", "one", "mul", "div", "pow", "(", ")", "end"


def _is_ident_char(ch: str) -> bool:
    return ("a" <= ch <= "z") or ("A" <= ch <= "Z") or ch in _IDENT_EXTRA


def _err(msg: str, text: str, pos: int | None, hint: str | None = None) -> InputError:
    return InputError(msg, text=text, position=pos, hint=hint)


def _bad_char(text: str, i: int) -> InputError:
    ch = text[i]
    code = f"U+{ord(ch):04X}"
    if ch in _CONFUSABLE:
        name = unicodedata.name(ch, code)
        return _err(f"'{ch}' ({name}) in unit looks like '{_CONFUSABLE[ch]}' but is not a Latin letter",
                    text, i, f"retype it as the Latin '{_CONFUSABLE[ch]}'")
    if unicodedata.category(ch)[0] == "C" or ch in "\n\r\v\f":
        return _err(f"control character {code} in unit", text, i, "remove it")
    if ch.isalpha():
        name = unicodedata.name(ch, code)
        return _err(f"unexpected letter '{ch}' ({name}) in unit", text, i, _ALLOWED_HINT)
    if ch == "_":
        return _err("unexpected character '_' in unit", text, i, _ALLOWED_HINT)
    shown = f'"{ch}"' if ch == "'" else f"'{ch}'"
    return _err(f"unexpected character {shown} in unit", text, i, _ALLOWED_HINT)


def _read_exponent(text: str, i: int, op_pos: int, op: str) -> tuple[int, int]:
    """Read a whole exponent after ``^``/``**`` starting at i; return (value, next index)."""
    n = len(text)

    def skip(j: int) -> int:
        while j < n and text[j] in _SPACE:
            j += 1
        return j

    j = skip(i)
    paren = j < n and text[j] == "("
    if paren:
        j = skip(j + 1)
    sign = 1
    if j < n and (text[j] in _MINUS or text[j] == "+"):
        sign = -1 if text[j] in _MINUS else 1
        j = skip(j + 1)
    start = j
    while j < n and (text[j].isdigit() and text[j].isascii() or text[j] == "."):
        j += 1
    digits = text[start:j]
    if not digits:
        where = j if j < n else op_pos
        return_hint = f"write e.g. s{op}-1 or s{op}2"
        raise _err(f"expected a whole-number exponent after '{op}'", text, where, return_hint)
    if "." in digits or digits.startswith("0") and len(digits) > 1:
        raise _err(f"exponent '{digits}' must be a small whole number", text, start,
                   f"exponents from -{MAX_EXP} to {MAX_EXP}")
    value = int(digits)
    if value > MAX_EXP:
        raise _err(f"exponent {sign * value} is too large", text, start,
                   f"exponents from -{MAX_EXP} to {MAX_EXP}")
    if paren:
        j = skip(j)
        if j >= n or text[j] != ")":
            raise _err("expected ')' to close the exponent", text, min(j, n - 1) if n else 0)
        j += 1
    return sign * value, j


def _tokenise(text: str) -> list[tuple[str, object, int, bool]]:
    """Tokens (kind, value, position, space_before)."""
    toks: list[tuple[str, object, int, bool]] = []
    n = len(text)
    i = 0
    space = False
    while i < n:
        ch = text[i]
        if ch in _SPACE:
            space = True
            i += 1
            continue
        if _is_ident_char(ch) or ch == "%":
            j = i + 1
            if ch != "%":
                while j < n and _is_ident_char(text[j]):
                    j += 1
                if j - i > MAX_IDENT:
                    raise _err(f"unit name '{text[i:i + MAX_IDENT]}…' is too long", text, i,
                               f"names have at most {MAX_IDENT} letters")
                if j < n and text[j].isdigit() and text[j].isascii():
                    raise _err(f"unexpected number after '{text[i:j]}'", text, j,
                               f"write powers with '^', e.g. {text[i:j]}^{text[j]}")
                if (j + 1 < n and text[j] in _MINUS and text[j + 1].isdigit()):
                    raise _err(f"unexpected '{text[j]}' after '{text[i:j]}'", text, j,
                               f"write powers with '^', e.g. {text[i:j]}^-{text[j + 1]}")
            toks.append((_ID, text[i:j], i, space))
            i = j
        elif ch.isdigit() and ch.isascii() or ch == ".":
            j = i
            while j < n and (text[j].isdigit() and text[j].isascii() or text[j] == "."):
                j += 1
            if text[i:j] != "1":
                raise _err(f"number '{text[i:j]}' inside a unit", text, i,
                           "put the number before the unit; only 1 may appear in a unit, as in 1/h")
            toks.append((_ONE, "1", i, space))
            i = j
        elif ch == "*" and i + 1 < n and text[i + 1] == "*":
            pos = i
            value, i = _read_exponent(text, i + 2, i, "**")
            toks.append((_POW, value, pos, space))
        elif ch == "^":
            pos = i
            value, i = _read_exponent(text, i + 1, i, "^")
            toks.append((_POW, value, pos, space))
        elif ch in _MUL_CHARS:
            toks.append((_MUL, ch, i, space))
            i += 1
        elif ch == "/":
            toks.append((_DIV, ch, i, space))
            i += 1
        elif ch == "(":
            toks.append((_LP, ch, i, space))
            i += 1
        elif ch == ")":
            toks.append((_RP, ch, i, space))
            i += 1
        elif ch in _SUPERSCRIPT or ch in _SUP_SIGN:
            pos = i
            sign = 1
            if ch in _SUP_SIGN:
                sign = _SUP_SIGN[ch]
                i += 1
            start = i
            while i < n and text[i] in _SUPERSCRIPT:
                i += 1
            if i == start:
                raise _err("expected superscript digits", text, pos, "write e.g. s⁻¹ or s^-1")
            value = 0
            for c in text[start:i]:
                value = value * 10 + _SUPERSCRIPT[c]
                if value > MAX_EXP:
                    raise _err(f"exponent {text[pos:i]} is too large", text, pos,
                               f"exponents from -{MAX_EXP} to {MAX_EXP}")
            toks.append((_POW, sign * value, pos, space))
        else:
            raise _bad_char(text, i)
        space = False
    toks.append((_END, None, n, space))
    return toks


# --------------------------------------------------------------------------------------------
# Parser: builds (display text, [(identifier, position, exponent)])

class _Parser:
    def __init__(self, text: str):
        self.text = text
        self.toks = _tokenise(text)
        self.k = 0

    def peek(self) -> tuple[str, object, int, bool]:
        return self.toks[self.k]

    def take(self) -> tuple[str, object, int, bool]:
        tok = self.toks[self.k]
        self.k += 1
        return tok

    def parse(self) -> tuple[str, list[tuple[str, int, int]]]:
        if self.peek()[0] == _END:
            return "", []
        display, leaves = self.expr(0)
        kind, _, pos, _ = self.peek()
        if kind == _RP:
            raise _err("unmatched ')' in unit", self.text, pos, "remove it or add a '('")
        if kind != _END:  # pragma: no cover - expr consumes everything else
            raise _err("unexpected text in unit", self.text, pos)
        return display, leaves

    def expr(self, depth: int) -> tuple[str, list[tuple[str, int, int]]]:
        display, leaves = self.term(depth)
        seen_div = False
        while True:
            kind, _, pos, space = self.peek()
            if kind in (_END, _RP):
                return display, leaves
            if kind == _POW:
                raise _err("a second exponent here", self.text, pos,
                           "put the base in parentheses, e.g. (m^2)^3, or write one exponent")
            if kind == _DIV:
                self.take()
                sep, sign = "/", -1
                seen_div = True
            elif kind == _MUL or kind in (_ID, _ONE, _LP):
                if seen_div:
                    raise _err("ambiguous unit: a multiplication after '/'", self.text, pos,
                               self._ambiguity_hint(display, kind))
                if kind == _MUL:
                    self.take()
                    sep = "·"
                else:
                    sep = " "
                sign = 1
            else:  # pragma: no cover
                raise _err("unexpected text in unit", self.text, pos)
            nk, _, npos, _ = self.peek()
            if nk in (_END, _RP, _MUL, _DIV, _POW):
                raise _err(f"expected a unit after '{'/' if sign < 0 else '*'}'", self.text,
                           npos if nk != _END else pos, "remove the operator or add a unit")
            d, lv = self.term(depth)
            display += sep + d
            leaves += [(name, p, sign * e) for name, p, e in lv]

    def _ambiguity_hint(self, display: str, kind: str) -> str:
        generic = "use parentheses, e.g. mg·h/L or mg/(L·h)"
        if display.count("/") != 1 or "(" in display:
            return generic
        if kind == _MUL:
            self.take()
        try:
            nxt, _ = self.term(MAX_DEPTH)
        except InputError:
            return generic
        num, den = display.split("/")
        return f"write {num}·{nxt}/{den} or {num}/({den}·{nxt})"

    def term(self, depth: int) -> tuple[str, list[tuple[str, int, int]]]:
        kind, value, pos, _ = self.take()
        if kind == _ID:
            display = _display_ident(str(value))
            leaves = [(str(value), pos, 1)]
        elif kind == _ONE:
            display, leaves = "1", []
        elif kind == _LP:
            if depth + 1 > MAX_DEPTH:
                raise _err("parentheses nested too deeply in unit", self.text, pos,
                           f"at most {MAX_DEPTH} levels")
            if self.peek()[0] == _RP:
                raise _err("empty parentheses in unit", self.text, pos)
            inner, leaves = self.expr(depth + 1)
            rk, _, rpos, _ = self.take()
            if rk != _RP:
                raise _err("unclosed '(' in unit", self.text, pos, "add a ')'")
            display = f"({inner})"
        elif kind == _END:
            raise _err("expected a unit", self.text, min(pos, len(self.text) - 1) if self.text else 0)
        elif kind == _DIV:
            raise _err("expected a unit before '/'", self.text, pos, "write 1/h rather than /h")
        elif kind == _RP:
            raise _err("unmatched ')' in unit", self.text, pos)
        elif kind == _POW:
            raise _err("exponent without a unit", self.text, pos)
        else:
            raise _err(f"expected a unit, not '{value}'", self.text, pos)
        if self.peek()[0] == _POW:
            _, exp, ppos, _ = self.take()
            exp = int(exp)  # type: ignore[arg-type]
            display += f"^{exp}"
            leaves = [(name, p, e * exp) for name, p, e in leaves]
            for name, p, e in leaves:
                if abs(e) > MAX_TOTAL_EXP:
                    raise _err(f"combined exponent of '{name}' is too large", self.text, ppos,
                               f"at most {MAX_TOTAL_EXP}")
        return display, leaves


def _normalise_ident(ident: str) -> str:
    return ident.replace("μ", "µ").replace("Ω", "Ω")


def _display_ident(ident: str) -> str:
    alias = ALIASES.get(ident)
    if alias is not None:
        return alias[0]
    norm = _normalise_ident(ident)
    alias = ALIASES.get(norm)
    return alias[0] if alias is not None else norm


# --------------------------------------------------------------------------------------------
# Identifier look-up: alias table, then pint (lazily)

@functools.lru_cache(maxsize=1)
def _registry():
    import pint  # deferred: importing psyq.units must not import pint

    return pint.UnitRegistry()


# The allow-list.  A name psyq has not vetted is refused, even if pint knows it: pint reads "Nm" as
# number_meter (a yarn count), "me" as milli-elementary-charge and "G" as the gauss (a fractional
# dimension in base units).  What a pharmacology, chemistry or physiology student writes is here:
# ALIASES above (molar, mass, volume, time, %, Da …), and below the SI and common units whose
# factors come from pint's definitions (CODATA/SI values), each with the prefixes it takes.

# SI prefixes, symbol -> power of ten (the BIPM SI Brochure, 9th ed., Table 7; ronna/quecto left out).
SI_PREFIXES: dict[str, int] = {
    "y": -24, "z": -21, "a": -18, "f": -15, "p": -12, "n": -9, "µ": -6, "u": -6, "μ": -6, "m": -3,
    "c": -2, "d": -1, "da": 1, "h": 2, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18, "Z": 21,
    "Y": 24,
}
SI_PREFIX_WORDS: dict[str, int] = {
    "yocto": -24, "zepto": -21, "atto": -18, "femto": -15, "pico": -12, "nano": -9, "micro": -6,
    "milli": -3, "centi": -2, "deci": -1, "deca": 1, "deka": 1, "hecto": 2, "kilo": 3, "mega": 6,
    "giga": 9, "tera": 12, "peta": 15, "exa": 18, "zetta": 21, "yotta": 24,
}
_PREFIX_NAMES = {"y": "yocto", "z": "zepto", "a": "atto", "f": "femto", "p": "pico", "n": "nano",
                 "µ": "micro", "u": "micro", "μ": "micro", "m": "milli", "c": "centi", "d": "deci",
                 "da": "deca", "h": "hecto", "k": "kilo", "M": "mega", "G": "giga", "T": "tera",
                 "P": "peta", "E": "exa", "Z": "zetta", "Y": "yotta"}

# symbol -> (pint's name for it, takes SI prefixes)
UNIT_SYMBOLS: dict[str, tuple[str, bool]] = {
    # SI base and derived units
    "m": ("meter", True), "g": ("gram", True), "s": ("second", True), "L": ("liter", True),
    "l": ("liter", True), "mol": ("mole", True), "K": ("kelvin", True), "A": ("ampere", True),
    "Hz": ("hertz", True), "N": ("newton", True), "Pa": ("pascal", True), "J": ("joule", True),
    "W": ("watt", True), "C": ("coulomb", True), "V": ("volt", True), "F": ("farad", True),
    "Ω": ("ohm", True), "S": ("siemens", True), "T": ("tesla", True), "Bq": ("becquerel", True),
    "Gy": ("gray", True), "Sv": ("sievert", True), "kat": ("katal", True),
    # accepted alongside the SI, and common in physiology and chemistry
    "Ci": ("curie", True), "cal": ("calorie", True), "eV": ("electron_volt", True),
    "Wh": ("watt_hour", True), "VA": ("volt_ampere", True), "bar": ("bar", True),
    "amu": ("unified_atomic_mass_unit", True), "U": ("enzyme_unit", True),
    "mmHg": ("mmHg", False), "torr": ("torr", True), "Torr": ("torr", True),
    "atm": ("standard_atmosphere", False), "psi": ("pound_force_per_square_inch", False),
    "yr": ("year", False),
    # US customary, for STACK's and PrairieLearn's fixtures and the odd American textbook
    "ft": ("foot", True), "in": ("inch", False), "mi": ("mile", False), "lb": ("pound", False),
    "oz": ("ounce", False),
}
# spelled-out names -> (pint's name, takes SI prefix words); a plural adds "s" unless listed
UNIT_WORDS: dict[str, tuple[str, bool]] = {
    "meter": ("meter", True), "metre": ("meter", True), "gram": ("gram", True),
    "liter": ("liter", True), "litre": ("liter", True), "second": ("second", True),
    "mole": ("mole", True), "kelvin": ("kelvin", True), "ampere": ("ampere", True),
    "hertz": ("hertz", True), "newton": ("newton", True), "pascal": ("pascal", True),
    "joule": ("joule", True), "watt": ("watt", True), "coulomb": ("coulomb", True),
    "volt": ("volt", True), "farad": ("farad", True), "ohm": ("ohm", True),
    "siemens": ("siemens", True), "tesla": ("tesla", True), "becquerel": ("becquerel", True),
    "gray": ("gray", True), "sievert": ("sievert", True), "katal": ("katal", True),
    "curie": ("curie", True), "calorie": ("calorie", True), "electronvolt": ("electron_volt", True),
    "bar": ("bar", True), "atmosphere": ("standard_atmosphere", False),
    "minute": ("minute", False), "hour": ("hour", False), "day": ("day", False),
    "week": ("week", False), "month": ("month", False), "year": ("year", False), "foot": ("foot", True), "feet": ("foot", True),
    "inch": ("inch", False), "inches": ("inch", False), "mile": ("mile", False),
    "pound": ("pound", False),
}
_NO_PLURAL = frozenset({"hertz", "siemens", "feet", "inches", "kelvin"})

# Counts of things: their own dimension, so that "25 patients" is not 25 % or a fraction.
DIMS_COUNT: Dims = (("[count]", 1),)
_DIM_WORDS[DIMS_COUNT] = "count"
_add(("patient", "patients"), "patients", 1.0, DIMS_COUNT)  # N, a number needed to harm
_add(("seizure", "seizures"), "seizures", 1.0, DIMS_COUNT)  # events counted in a cohort
# the cubic centimetre, as clinicians (and STACK's fixtures) write it
_add("cc", "cc", 1e-6, DIMS_VOLUME)
# STACK's hecto-hour, kept for its fixtures ("2.0 hh" is 720000 s); h takes no other prefix.
_add("hh", "hh", 360000.0, DIMS_TIME)

# Names refused with a reason of their own.
_REFUSED: dict[str, tuple[str, str]] = {
    "Eq": ("an equivalent depends on the ion's charge", "write mmol (mEq ÷ the charge of the ion)"),
    "IU": ("an international unit depends on the substance", "convert to a mass or an amount first"),
    "°C": ("°C is a temperature scale (an offset unit) that psyq does not convert", "use K"),
    "degC": ("°C is a temperature scale (an offset unit) that psyq does not convert", "use K"),
    "°F": ("°F is a temperature scale (an offset unit) that psyq does not convert", "use K"),
    "degF": ("°F is a temperature scale (an offset unit) that psyq does not convert", "use K"),
}


def _allowed(ident: str) -> tuple[str, int] | None:
    """(pint name, power of ten of the prefix) if ``ident`` is on the allow-list, else None."""
    entry = UNIT_SYMBOLS.get(ident)
    if entry is not None:
        return entry[0], 0
    for word in (ident, ident[:-1] if ident.endswith("s") else None):
        if word and word in UNIT_WORDS and (word == ident or word not in _NO_PLURAL):
            return UNIT_WORDS[word][0], 0
    for p, e in SI_PREFIX_WORDS.items():
        if ident.startswith(p) and len(ident) > len(p):
            rest = ident[len(p):]
            for word in (rest, rest[:-1] if rest.endswith("s") else None):
                if word and word in UNIT_WORDS and UNIT_WORDS[word][1] and (word == rest or word not in _NO_PLURAL):
                    return UNIT_WORDS[word][0], e
    for p in ("da", *SI_PREFIXES):
        if ident.startswith(p) and len(ident) > len(p):
            entry = UNIT_SYMBOLS.get(ident[len(p):])
            if entry is not None and entry[1]:
                return entry[0], SI_PREFIXES[p]
    return None


def _known(ident: str) -> bool:
    return bool(ALIASES.get(ident) or ALIASES.get(_normalise_ident(ident)) or _allowed(_normalise_ident(ident)))


@functools.lru_cache(maxsize=4096)
def _lookup(ident: str) -> tuple[bool, object, object]:
    """(True, factor, dims) or (False, message, hint).  Cached, including misses."""
    alias = ALIASES.get(ident) or ALIASES.get(_normalise_ident(ident))
    if alias is not None:
        return True, alias[1], alias[2]
    norm = _normalise_ident(ident)
    if ident.lower() == "per":
        return False, "'per' is not a unit", "write '/' instead, e.g. mg/d"
    if norm in _NOT_UNITS:
        return False, f"'{ident}' is not a unit", None
    for name, (why, hint) in _REFUSED.items():
        if norm == name or (norm.endswith(name) and norm[:-len(name)] in SI_PREFIXES):
            return False, f"'{ident}' is not a unit psyq accepts: {why}", hint
    allowed = _allowed(norm)
    if allowed is None:
        if norm in SI_PREFIXES or norm in SI_PREFIX_WORDS:  # "G", "k", "mega": not units by themselves
            word = _PREFIX_NAMES.get(norm, norm)
            return False, f"'{ident}' is a prefix ({word}), not a unit", \
                f"put it before a unit, e.g. {norm}Bq or {norm}m"
        return False, f"unknown unit '{ident}'", _suggest(ident)
    try:
        ok, factor, dims = _lookup_pint(allowed[0])
    except Exception as exc:  # a vetted name pint cannot read: say so, never crash  # noqa: BLE001
        return False, f"unit '{ident}' cannot be used", str(exc)[:80]
    if not ok:
        return ok, factor, dims
    return True, float(factor) * 10.0 ** allowed[1], dims


def _lookup_pint(name: str) -> tuple[bool, object, object]:
    """Factor and dimensions of one allow-listed unit, by pint's internal name (never user text)."""
    ureg = _registry()
    from pint.util import UnitsContainer

    uc = UnitsContainer({name: 1})
    q0 = ureg.Quantity(0.0, uc).to_base_units().magnitude
    if q0 != 0:  # pragma: no cover - no offset unit is on the allow-list
        return False, f"'{name}' is an offset unit (a temperature scale) that psyq does not convert", \
            "use an absolute unit such as K"
    q1 = ureg.Quantity(1.0, uc).to_base_units()
    factor = float(q1.magnitude)
    dims = []
    for dim, exp in dict(q1.dimensionality).items():
        if exp != int(exp):  # pragma: no cover - none on the allow-list
            return False, f"'{name}' has a fractional dimension", None
        if exp:
            dims.append((str(dim), int(exp)))
    if not dims:  # pragma: no cover - none on the allow-list
        return False, f"'{name}' is not a unit psyq accepts", "for ratios write %, fraction, or no unit"
    return True, factor, tuple(sorted(dims))


@functools.lru_cache(maxsize=1)
def _suggest_pool() -> tuple[dict[str, str], list[str]]:
    pool: dict[str, str] = {}
    for key, (display, _, _) in ALIASES.items():
        pool.setdefault(key, display)
    for sym in _SUGGEST_EXTRA:
        pool.setdefault(sym, sym)
    return pool, list(pool)


def _suggest(ident: str) -> str | None:
    pool, names = _suggest_pool()
    found: list[str] = []
    # "Nm", "Ns", "kgm": two units run together
    norm = _normalise_ident(ident)
    for i in range(1, len(norm)):
        left, right = norm[:i], norm[i:]
        if _known(left) and _known(right):
            found.append(f"{_display_ident(left)}·{_display_ident(right)}")
            break
    low = ident.lower()
    for key, display in pool.items():
        if key.lower() == low and display not in found:
            found.append(display)
    for key in difflib.get_close_matches(ident, names, n=6, cutoff=0.6):
        if pool[key] not in found:
            found.append(pool[key])
    if not found:
        return "known units include nM, µM, ng/mL, mg, mg/d, h, d, wk, %, fraction"
    return "did you mean " + ", ".join(found[:3]) + "?"


# --------------------------------------------------------------------------------------------
# Public API

@functools.lru_cache(maxsize=4096)
def _parse_cached(text: str) -> Unit:
    display, leaves = _Parser(text).parse()
    log_factor = 0.0
    dims: dict[str, int] = {}
    for ident, pos, exp in leaves:
        ok, a, b = _lookup(ident)
        if not ok:
            raise _err(str(a), text, pos, b)  # type: ignore[arg-type]
        log_factor += math.log10(float(a)) * exp  # type: ignore[arg-type]
        for dim, e in b:  # type: ignore[union-attr]
            dims[dim] = dims.get(dim, 0) + e * exp
    if any(abs(e) > MAX_TOTAL_EXP for e in dims.values()):
        raise _err("unit has too large a combined exponent", text, 0, f"at most {MAX_TOTAL_EXP}")
    # Checked on the logarithm, before any power is taken: (Ym^6)^2 is 10^288 m^12 and a float power
    # of it would raise OverflowError; no unit a student writes comes near 10^±MAX_LOG10_FACTOR.
    if abs(log_factor) > MAX_LOG10_FACTOR:
        raise _err(f"unit is too large or too small to use (about 10^{round(log_factor)} in SI base units)",
                   text, 0, f"psyq takes units within 10^±{MAX_LOG10_FACTOR} of the SI base units")
    factor = 1.0
    for ident, _pos, exp in leaves:
        factor *= float(_lookup(ident)[1]) ** exp  # type: ignore[arg-type]
    if not (math.isfinite(factor) and factor > 0):  # pragma: no cover - excluded by the bound
        raise _err("unit is too large or too small to use", text, 0)
    return Unit(display, factor, tuple(sorted((d, e) for d, e in dims.items() if e)))


def parse_unit(text: str) -> Unit:
    """Parse a unit text a person typed.  Cached; raises :class:`InputError` pointing at the fault."""
    if not isinstance(text, str):
        raise InputError(f"unit must be text, not {type(text).__name__}")
    if len(text) > MAX_TEXT:
        raise _err(f"unit text is too long ({len(text)} characters; at most {MAX_TEXT})", text,
                   MAX_TEXT, "type just the unit, e.g. nM or ng/mL")
    return _parse_cached(text)


def unit(text: str) -> Unit:
    """The unit for a trusted canonical text used in templates (same parser and cache)."""
    return parse_unit(text)




@functools.lru_cache(maxsize=1024)
def _mw_direction(src_dims: Dims, dst_dims: Dims) -> int:
    """+1 if src = dst × mass/substance (divide by M), -1 if the reverse, else 0."""
    diff: dict[str, int] = dict(src_dims)
    for d, e in dst_dims:
        diff[d] = diff.get(d, 0) - e
    diff = {d: e for d, e in diff.items() if e}
    if diff == {_M: 1, _N: -1}:
        return 1
    if diff == {_M: -1, _N: 1}:
        return -1
    return 0


def _check_mw(molar_mass: float) -> float:
    mw = float(molar_mass)
    if not (math.isfinite(mw) and mw > 0):
        raise ValueError(f"molar mass must be a positive number of g/mol, not {molar_mass!r}")
    return mw * 1e-3  # kg/mol


def convertible(src: Unit, dst: Unit, *, molar_mass: float | None = None) -> bool:
    """Whether :func:`convert` would succeed."""
    if src.dims == dst.dims:
        return True
    return molar_mass is not None and _mw_direction(src.dims, dst.dims) != 0


def convert(value: float, src: Unit, dst: Unit, *, molar_mass: float | None = None) -> float:
    """``value`` in ``src`` expressed in ``dst``.

    Same dimensions: ``value·src.factor/dst.factor``.  Mass ⇄ amount (ng/mL ⇄ nM, mg ⇄ µmol,
    mg/d ⇄ µmol/d) when ``molar_mass`` (g/mol) is given.  Otherwise :class:`UnitMismatch`.
    """
    if src.dims == dst.dims:
        return value * src.factor / dst.factor
    if molar_mass is not None:
        direction = _mw_direction(src.dims, dst.dims)
        if direction:
            mw = _check_mw(molar_mass)
            si = value * src.factor
            si = si / mw if direction > 0 else si * mw
            return si / dst.factor
    raise _mismatch(src, dst, molar_mass)


def _mismatch(src: Unit, dst: Unit, molar_mass: float | None) -> UnitMismatch:
    src_name = src.text or "a number without a unit"
    dst_name = dst.text or "no unit"
    msg = (f"cannot convert {src_name} ({src.describe_dims()}) to {dst_name} "
           f"({dst.describe_dims()})")
    hint: str | None
    if molar_mass is None and _mw_direction(src.dims, dst.dims):
        hint = f"give the molar mass or answer in {dst_name}"
    else:
        hint = None
        low = src.text.lower()
        if low:
            for sib in sibling_units(dst) + [dst]:
                if sib.text.lower() == low and sib.text != src.text:
                    hint = f"did you mean {sib.text}? unit symbols are case-sensitive"
                    break
        if hint is None:
            hint = (f"answer in {dst_name}" if not dst.text or dst.dimensionless
                    else f"answer in {dst_name} or another {dst.describe_dims()} unit")
    return UnitMismatch(msg, src=src, dst=dst, hint=hint)


# sibling tables: dims -> (canonical texts, window) ; window = None returns the whole list,
# window = 1 returns the matched unit and its neighbours.
_SIBLINGS: dict[Dims, tuple[tuple[str, ...], int | None]] = {
    DIMS_AMOUNT_CONC: (("pM", "nM", "µM", "mM", "M"), None),
    DIMS_MASS_CONC: (("pg/mL", "ng/mL", "µg/mL", "mg/mL"), None),
    DIMS_TIME: (("s", "min", "h", "d", "wk"), 1),
    DIMS_MASS: (("ng", "µg", "mg", "g", "kg"), None),
    DIMS_DOSE_RATE: (("µg/d", "mg/d", "g/d"), None),
    DIMS_MOLAR_MASS: (("g/mol", "kg/mol"), None),
    DIMS_VOLUME: (("µL", "mL", "L"), None),
    DIMS_AMOUNT: (("pmol", "nmol", "µmol", "mmol", "mol"), None),
    DIMS_RATE: (("1/s", "1/min", "1/h", "1/d", "1/wk"), 1),
}


def sibling_units(u: Unit) -> list[Unit]:
    """Common units of u's dimension, for "did you mean" slips (nM -> pM, nM, µM, mM, M).

    When u matches one of them by factor, u itself takes that place (keeping its own text).
    ``%`` -> [fraction]; ``fraction`` -> [%]; [] when psyq has no list for the dimension.
    """
    return list(_siblings(u))


@functools.lru_cache(maxsize=1024)
def _siblings(u: Unit) -> tuple[Unit, ...]:
    if u.dimensionless:
        if u.text == "%":
            return (FRACTION,)
        if u.text == "fraction":
            return (PERCENT,)
        return ()
    entry = _SIBLINGS.get(u.dims)
    if entry is None:
        return ()
    texts, window = entry
    units = [unit(t) for t in texts]
    match = next((i for i, s in enumerate(units) if _close(s.factor, u.factor)), None)
    if match is None:
        return tuple(units)
    units[match] = u
    if window is not None:
        units = units[max(0, match - window): match + window + 1]
    return tuple(units)


def is_unit_text(text: str) -> bool:
    """Cheap test used by the answer splitter: is the whole text a unit (with at least one name)?

    The empty text and a bare ``1`` are not (they carry no unit), although :func:`parse_unit`
    accepts both as dimensionless.
    """
    if not text or len(text) > MAX_TEXT:
        return False
    if not any(_is_ident_char(ch) or ch == "%" for ch in text):
        return False
    try:
        _parse_cached(text)
    except InputError:
        return False
    return True
