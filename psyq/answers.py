"""Reading what a person typed as an answer: a number (or safe arithmetic) and an optional unit.

Accepted forms include ``0.801``, ``80.1%``, ``1.16 nM``, ``0.00116 µM``, ``1.16e-9 M``,
``1.2×10^-3``, ``1.2 x 10^-3``, ``10⁻³``, ``3/4``, ``ln(2)*14 d``, ``0,8`` (a decimal comma where it
cannot be a thousands separator) and the words "not attainable" / "impossible" / "none".

The number part goes through :mod:`psyq.expr` (an allow-list parser, nothing executed) and the unit
part through :mod:`psyq.units` (a strict unit grammar; pint sees one vetted identifier at a time).
Every rejection is an :class:`InputError` whose ``position`` points into the original text.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from psyq import expr as E
from psyq.errors import InputError

MAX_ANSWER = 200  # characters

_WORDS = re.compile(r"^\s*(not\s+attainable|unattainable|not\s+reachable|unreachable|not\s+possible|"
                    r"impossible|never|none|n/?a|no\s+(?:dose|solution|such\s+\w+))\s*\.?\s*$",
                    re.IGNORECASE)
_SPACES = str.maketrans({"\u00a0": " ", "\u2009": " ", "\u202f": " ", "\u2007": " "})
_SUPER = str.maketrans("⁻⁺⁰¹²³⁴⁵⁶⁷⁸⁹", "-+0123456789")
_FUNCS = set(E.FUNCTIONS) | {"log"}


@dataclass(frozen=True)
class ParsedAnswer:
    raw: str
    value: float | None  # None when the answer is a word such as "not attainable"
    unit: object | None  # psyq.units.Unit, or None for a bare number
    number_text: str | None  # the number as written, when it is a single literal (for sig figs)
    word: str | None = None

    @property
    def bare(self) -> bool:
        return self.value is not None and self.unit is None


def _fail(message: str, text: str, position: int | None, hint: str | None = None) -> InputError:
    return InputError(message, text=text, position=position, hint=hint)


def parse_answer(text: str) -> ParsedAnswer:
    if not isinstance(text, str):
        raise _fail("the answer must be text", "", None)
    if len(text) > MAX_ANSWER:
        raise _fail(f"answer is too long ({len(text)} characters; at most {MAX_ANSWER})", text[:40] + "…", None)
    # Printable ASCII holds no control or format character: only other text needs the scan.
    for i, ch in enumerate(() if text.isascii() and text.isprintable() else text):
        if unicodedata.category(ch) in ("Cc", "Cf", "Co", "Cs") and ch not in "\t":
            raise _fail(f"invisible or control character (U+{ord(ch):04X}) in the answer", text, i,
                        hint="retype the answer")
    if _WORDS.match(text):
        return ParsedAnswer(text, None, None, None, word="not attainable")
    work = text.translate(_SPACES)
    if not work.strip():
        raise _fail("empty answer", text, 0, hint="type a number, optionally with a unit, e.g. 80 %")
    work = _normalise_powers(work)
    work = _decimal_comma(work, text)
    unit_start = _unit_start(work)
    number_part, unit_part = work[:unit_start], work[unit_start:]
    stripped_num = number_part.rstrip()
    # "12*m" and "12·m": the multiplication sign belongs to neither side.
    if stripped_num.endswith(("*", "·", "×", "⋅")):
        stripped_num = stripped_num[:-1].rstrip()
    if stripped_num.endswith("/") and unit_part.strip():
        stripped_num = stripped_num[:-1].rstrip()
        unit_part = "1/" + unit_part.strip()
    if not stripped_num.strip():
        if unit_part.strip():
            from psyq import units

            if not units.is_unit_text(unit_part.strip()):
                raise _fail(f"cannot read '{unit_part.strip()[:30]}' as an answer", text, unit_start,
                            hint="type a number, optionally with a unit, e.g. 80 % or 1.2 nM")
            raise _fail("the answer has a unit but no number", text, unit_start,
                        hint=f"write the value too, e.g. 1.5 {unit_part.strip()}")
        raise _fail("empty answer", text, 0)
    node = E.parse(stripped_num)
    value = E.evaluate(node, text=text)
    number_text = E.single_literal(node)
    unit = None
    if "%" in unit_part and unit_part.strip() != "%":
        from psyq import units

        before = unit_part[:unit_part.index("%")]
        if before.strip() and not units.is_unit_text(before.strip()):
            # "8O %": the bad character is the letter, not the percent sign
            bad = before.strip()
            hint = ("a zero typed as the letter O? e.g. 80 %" if set(bad) <= {"O", "o"}
                    else "a percent sign must stand alone after the number, e.g. 80 %")
            raise _fail(f"unknown unit '{bad[:30]}' before the percent sign", text,
                        unit_start + len(before) - len(before.lstrip()), hint=hint)
        raise _fail("a percent sign must stand alone after the number", text,
                    unit_start + unit_part.index("%"), hint="e.g. 80 %")
    if unit_part.strip():
        from psyq import units

        try:
            unit = units.parse_unit(unit_part.strip())
        except InputError as exc:
            offset = unit_start + (len(unit_part) - len(unit_part.lstrip()))
            pos = None if exc.position is None else min(len(text), offset + exc.position)
            raise InputError(exc.message, text=text, position=pos, hint=exc.hint) from None
        if unit.dimensionless and unit.text in ("", "fraction"):
            unit = units.FRACTION
    return ParsedAnswer(text, value, unit, number_text)


def _normalise_powers(work: str) -> str:
    """'1.2 x 10^-3', '1.2X10^3' → '1.2*10^-3'; '10⁻³' → '10^-3' (same number of characters or more,
    positions after this point are approximate only for these rare forms)."""
    if "x" in work or "X" in work:
        work = _TIMES_TEN.sub("*", work)
    if not work.isascii():
        work = _SUPER_POWER.sub(lambda m: "10^" + m.group(1).translate(_SUPER), work)
    return work


_TIMES_TEN = re.compile(r"(?<=[\d.])\s*[xX]\s*(?=10\s*(\^|\*\*|[⁻⁺⁰¹²³⁴⁵⁶⁷⁸⁹]))")
_SUPER_POWER = re.compile(r"10([⁻⁺]?[⁰¹²³⁴⁵⁶⁷⁸⁹]+)")


def _decimal_comma(work: str, text: str) -> str:
    if "," not in work:
        return work
    depth = 0
    commas = []
    for i, ch in enumerate(work):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "," and depth == 0:
            commas.append(i)
    if not commas:
        return work
    if len(commas) > 1 or "." in work:
        raise _fail("cannot tell decimal commas from thousands separators here", text, commas[0],
                    hint="write the number with a decimal point and no separators, e.g. 1160.5")
    i = commas[0]
    before = re.search(r"(\d+)$", work[:i])
    after = re.match(r"(\d+)", work[i + 1:])
    if not before or not after:
        raise _fail("a comma must sit between digits", text, i, hint="use a decimal point, e.g. 0.8")
    if len(after.group(1)) == 3 and not before.group(1).startswith("0"):
        raise _fail(f"'{before.group(1)},{after.group(1)}' could be a decimal comma or a thousands separator",
                    text, i, hint=f"write {before.group(1)}.{after.group(1)} or {before.group(1)}{after.group(1)}")
    return work[:i] + "." + work[i + 1:]


# "1.234" where 1234 was meant (a European thousands separator): one point, 1-3 digits before it
# (not starting with 0, so 0.125 never matches), exactly 3 after, no exponent.  Only a reading to
# question: the grader says so when the answer is wrong and 1000 times it would be right.
_THOUSANDS_POINT = re.compile(r"[+\-\u2212]?[1-9]\d{0,2}\.\d{3}")


def thousands_point(number_text: str | None) -> bool:
    """Whether a number as written could be a thousands separator read as a decimal point."""
    return number_text is not None and _THOUSANDS_POINT.fullmatch(number_text.strip()) is not None


_NUMBER_RUN = re.compile(r"\d*\.?\d*(?:[eE][+-]?\d+)?")
_WORD_RUN = re.compile(r"[A-Za-zµμ°Ω_]+\d*")


def _unit_start(work: str) -> int:
    """Index where the unit text begins (len(work) when there is none)."""
    i, n = 0, len(work)
    while i < n:
        ch = work[i]
        if ch.isdigit() or ch == ".":
            m = _NUMBER_RUN.match(work, i)
            i += max(1, m.end() - i)
            continue
        if ch == "%":
            return _back_to_open_paren(work, i)
        if ch.isalpha() or ch in "µμ°Ω":
            m = _WORD_RUN.match(work, i)
            word = m.group(0) if m else ch
            rest = work[i + len(word):].lstrip()
            if rest.startswith("("):
                # A call: the expression parser accepts it (ln, exp…) or says why not.
                i += len(word)
                continue
            if word == "pi":
                i += len(word)
                continue
            return _back_to_open_paren(work, i)
        i += 1
    return n


def _back_to_open_paren(work: str, i: int) -> int:
    """A unit such as '(s M)^-1' starts at its opening parenthesis, not inside it."""
    last_open = []
    for j, ch in enumerate(work[:i]):
        if ch == "(":
            last_open.append(j)
        elif ch == ")" and last_open:
            last_open.pop()
    return last_open[0] if last_open else i
