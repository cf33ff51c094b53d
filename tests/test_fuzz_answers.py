"""Property-based fuzzing of what students type: psyq.answers.parse_answer and psyq.grading.grade.

Properties: no exception other than a PsyqError with a one-line, non-empty message; every call
returns within a bound; numbers round-trip through psyq's own display (format → parse → format).

Examples are random locally and derandomized under CI (CI=true), so a CI failure reproduces;
PSYQ_FUZZ_EXAMPLES=20000 runs a longer hunt.
"""

from __future__ import annotations

import math
import os

import pytest
from _work import work_bounded
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from psyq.errors import PsyqError
from _fuzz_helpers import check_call

GRADE_CALLS = 50_000  # Python and C calls per grade (tests/_work.py); 2,565 at most, on 3.10-3.13
FUZZ = settings(max_examples=int(os.environ.get("PSYQ_FUZZ_EXAMPLES", "400")), deadline=None,
                derandomize=bool(os.environ.get("CI")),
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


@pytest.fixture(scope="module", autouse=True)
def _warm():
    from psyq import units

    units.parse_unit("kPa")  # an allow-listed unit read through pint: loads its registry  # pint's registry loads once, outside the bounds


# Pieces people type: digits, signs, separators, operators, units, look-alikes, invisibles.
PIECES = ["0", "1", "2", "5", "8", "9", ".", ",", " ", "e", "E", "-", "+", "*", "/", "^", "**",
          "(", ")", "%", "x", "X", "×", "·", "−", "10^", "e-3", "nM", "µM", "uM", "μM", "M", "ng/mL",
          "mg", "mg/d", "d", "h", "wk", "days", "fraction", "percent", "ln(", "exp(", "log(",
          "sqrt(", "pi", "π", "⁻³", "²", "\u00a0", "\u200b", "\u202e", "\t", "\n", "\x00", "°",
          "not attainable", "none", "n/a", "__", "import", "lambda", "'", '"', "[", "]", "{", "}",
          ":", ";", "=", "<", ">", "!", "@", "#", "$", "&", "|", "~", "`", "?", "а", "о", "８"]
typed = st.lists(st.sampled_from(PIECES), max_size=14).map("".join)
anything = st.text(max_size=260)


@FUZZ
@given(st.one_of(typed, anything))
def test_parse_answer_never_crashes(text):
    from psyq.answers import ParsedAnswer, parse_answer

    result = check_call(parse_answer, text)
    if isinstance(result, ParsedAnswer):
        assert result.word is not None or (result.value is not None and math.isfinite(result.value))


@pytest.fixture(scope="module")
def parts():
    from psyq import bank
    from psyq.instance import generate

    out = []
    for tid in ("occupancy-from-ki", "mao-recovery", "snri-engagement", "concentration-ngml-to-nm",
                "mao-time-to-target", "occupancy-target-concentration"):
        try:
            out.extend(generate(bank.load(tid), 3).parts)
        except PsyqError:
            continue
    return out


@FUZZ
@given(st.one_of(typed, anything), st.integers(min_value=0, max_value=1000))
def test_grade_never_raises(parts, text, k):
    from psyq.grading import grade

    part = parts[k % len(parts)]
    with work_bounded(calls=GRADE_CALLS, what=f"grade({text!r})"):
        verdict = grade(part, text)
    assert verdict.status in ("correct", "incorrect", "invalid")
    assert "\n" not in verdict.feedback
    if verdict.status == "invalid":
        assert verdict.feedback.strip()
    verdict.to_json()


finite = st.floats(min_value=-1e250, max_value=1e250, allow_nan=False, allow_infinity=False)
nonzero = finite.filter(lambda x: x == 0 or abs(x) > 1e-250)


@FUZZ
@given(nonzero, st.integers(min_value=1, max_value=12), st.booleans())
def test_display_parse_display_round_trips(x, sigfigs, plain):
    """format_number → parse_answer → format_number gives the same text; the parsed value is the
    rounded number (exactly, for fixed-point text)."""
    from psyq.answers import parse_answer
    from psyq.draws import format_number, round_sig

    text = format_number(x, sigfigs, plain=plain)
    parsed = parse_answer(text)
    assert parsed.unit is None and parsed.value is not None
    assert format_number(parsed.value, sigfigs, plain=plain) == text
    assert math.isclose(parsed.value, round_sig(x, sigfigs), rel_tol=1e-12, abs_tol=0.0)
    if "×" not in text and "e" not in text:
        assert parsed.value == float(text)
        assert parsed.number_text == text.lstrip("-") or parsed.number_text == text


@FUZZ
@given(nonzero, st.integers(min_value=1, max_value=8),
       st.sampled_from(["nM", "µM", "uM", "%", "mg/d", "d", "h", "wk", "ng/mL", "fraction"]),
       st.sampled_from([" ", "", "\u00a0"]))
def test_number_with_unit_round_trips(x, sigfigs, unit, space):
    from psyq.answers import parse_answer
    from psyq.draws import format_number

    text = format_number(x, sigfigs, plain=True)
    assume(not (unit == "%" and space == "" and "e" in text))
    parsed = parse_answer(text + space + unit)
    assert format_number(parsed.value, sigfigs, plain=True) == text
    assert parsed.unit is not None


def _format_number_reference(x, sigfigs=None, decimals=None, *, plain=False):
    """psyq.draws.format_number as first written (Decimal-based), kept as the oracle for the
    faster string-only version."""
    from decimal import Decimal

    from psyq.draws import _superscript

    if x is None:
        return "—"
    if not math.isfinite(x):
        return str(x)
    if decimals is not None:
        return format(x, f".{decimals}f")
    n = sigfigs or 3
    if x == 0:
        return "0" if n == 1 else "0." + "0" * (n - 1)
    mant, exp_text = format(x, f".{n - 1}e").split("e")
    exp = int(exp_text)
    if -4 <= exp < max(n, 6):
        return format(Decimal(format(x, f".{n - 1}e")), f".{max(n - 1 - exp, 0)}f")
    if plain:
        return f"{mant}e{exp}"
    return f"{mant}×10{_superscript(exp)}"


@settings(max_examples=2000, deadline=None, derandomize=bool(os.environ.get("CI")))
@given(st.floats(allow_nan=True, allow_infinity=True), st.one_of(st.none(), st.integers(1, 25)),
       st.booleans())
def test_format_number_matches_its_reference(x, sigfigs, plain):
    from psyq.draws import format_number

    assert format_number(x, sigfigs, plain=plain) == _format_number_reference(x, sigfigs, plain=plain)
