"""Numeric answer tests with STACK's semantics (and PrairieLearn's, for comparison), on numbers as written.

Every rule here reads the student's answer as the *raw text* they typed, because significant figures
and decimal places live in the text ("100." has 3 significant figures, 100.0 has 4, the float 100.0
remembers neither).  Values are compared exactly with :class:`decimal.Decimal`; a teacher's value given
as a float is read through its shortest repr (``0.04985`` is the decimal 0.04985, not the binary double
just below it), so half-up rounding rounds the number a person wrote.

The rules, each returning a :class:`RuleResult`:

* :func:`num_relative`, :func:`num_absolute` — STACK NumRelative / NumAbsolute;
* :func:`num_sigfigs` — STACK NumSigFigs (``n``, ``[n, m]``, ``[n, -1]``, ``[n, 0]``);
* :func:`sigfigs_strict` — STACK SigFigsStrict;
* :func:`num_decplaces`, :func:`num_decplaces_wrong` — STACK NumDecPlaces / NumDecPlacesWrong;
* :func:`units_rule` — STACK's Units family (Units, UnitsStrict, Units(Strict)Relative, Units(Strict)Absolute);
* :func:`pl_relabs`, :func:`pl_sigfig`, :func:`pl_decdig` — PrairieLearn's comparisons, to show
  instructors coming from PrairieLearn what changes.

Counting: :func:`sigfig_range` and :func:`decimal_places` (STACK ``sig_figs_from_str``), and PrairieLearn's
:func:`pl_sig_digits`, :func:`pl_decimal_digits`, :func:`pl_precision`.

docs/grading.md states every formula; tests/test_conformance.py runs STACK's and PrairieLearn's own
fixtures through this module.  Only the standard library is imported (units are imported lazily, by
:func:`units_rule` alone).  Nothing here evaluates text: numbers are read by one regular expression,
input is capped at :data:`MAX_LENGTH` characters and written exponents at :data:`MAX_EXPONENT`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Context, Decimal, InvalidOperation
from typing import TYPE_CHECKING

from psyq.errors import InputError

if TYPE_CHECKING:  # pragma: no cover
    from psyq.units import Unit

MAX_LENGTH = 200  # characters of one typed number (with its unit)
MAX_EXPONENT = 400  # largest |exponent| a person may write (1e400 is read; 1e401 is refused)
MAX_DIGITS_OPTION = 200  # largest n in a significant-figure or decimal-place option

# STACK's guard against float noise: NumRelative accepts |s - t| <= |t*tol|*(1 + 1e-9).
STACK_NUM_TOL = Decimal("1e-9")

# Exact arithmetic for everything: 1200 digits covers a 200-character number at exponent +-400
# against another one at the other end of the range.
_CTX = Context(prec=1200, Emax=100_000, Emin=-100_000, rounding=ROUND_HALF_UP)

Number = str | float | int | Decimal


# --------------------------------------------------------------------------------------------------
# The result of every rule


@dataclass(frozen=True)
class RuleResult:
    """The verdict of one rule on one answer.

    ``accepted`` is ``None`` when the answer is not a valid answer under the rule or the rule is
    misconfigured (STACK's "error" outcome, not a mark).  ``notes`` are stable tags (see
    :data:`NOTE_TAGS`), in the order STACK would list its answer notes.  ``interval`` is the accepted
    interval for the value, in the teacher's unit, where one exists (whether its ends are included is
    stated per rule in docs/grading.md).  ``sigfigs_written`` is the [lower, upper] count of significant
    figures in the student's text, where the rule counted them.
    """

    accepted: bool | None
    notes: tuple[str, ...] = ()
    interval: tuple[float, float] | None = None
    sigfigs_written: tuple[int, int] | None = None
    message: str = ""

    @property
    def note(self) -> str:
        """The one tag that decided the verdict: a unit problem first, else the first problem found,
        else the last tag."""
        for tag in self.notes:
            if tag in _UNIT_PROBLEMS:
                return tag
        for tag in self.notes:
            if tag not in _PASSING_TAGS:
                return tag
        return self.notes[-1] if self.notes else ""


# psyq's tags, with the STACK answer note each stands for (None: psyq's own).
NOTE_TAGS: dict[str, str | None] = {
    "ACC_OK": "ATNumDecPlaces_Equiv",  # also: the value passed NumRelative/NumAbsolute/NumSigFigs
    "ACC_OUTSIDE": "ATNumDecPlaces_Not_equiv",  # also: outside a relative/absolute tolerance
    "SF_OK": None,  # exactly the required significant figures written
    "SF_WITHIN_RANGE": "ATNumSigFigs_WithinRange",
    "SF_WRONG_DIGITS": "ATNumSigFigs_WrongDigits",
    "SF_WRONG_SIGN": "ATNumSigFigs_WrongSign",
    "SF_INACCURATE": "ATNumSigFigs_Inaccurate",
    "SF_VERY_INACCURATE": "ATNumSigFigs_VeryInaccurate",
    "SF_AMBIGUOUS": "ATSigFigsStrict_WithinRange",
    "DP_OK": "ATNumDecPlaces_Correct",
    "DP_WRONG_COUNT": "ATNumDecPlaces_Wrong_DPs",
    "DIGITS_MATCH": "ATNumDecPlacesWrong_Correct",
    "DIGITS_DIFFER": "ATNumDecPlacesWrong_Wrong",
    "UNITS_MATCH": "ATUnits_units_match",
    "UNITS_COMPATIBLE": "ATUnits_compatible_units",
    "UNITS_NOT_AS_ASKED": None,  # strict units: right dimension, not the teacher's unit
    "UNITS_INCOMPATIBLE": "ATUnits_incompatible_units",
    "UNITS_RIGHT_NUMBER": "ATUnits_correct_numerical",
    "UNITS_MISSING": "ATUnits_SA_no_units",
    "UNITS_ONLY": "ATUnits_SA_only_units",
    "UNITS_TEACHER_MISSING": "ATUnits_SB_no_units",
    "UNITS_UNKNOWN": None,  # a unit psyq cannot read
    "TOL_UNITS_INCOMPATIBLE": None,  # STACK: ATUnits_SO_wrong_units (psyq converts compatible ones)
    "ANSWER_INVALID": None,  # not a number psyq can read
    "TEACHER_INVALID": None,  # the expected value is not a number
    "OPTION_INVALID": "STACKERROR_OPTION",
}

# STACK answer notes -> psyq tags (for reading STACK's fixtures and for people who know STACK).
STACK_NOTES: dict[str, str] = {
    stack: tag for tag, stack in NOTE_TAGS.items() if stack is not None
} | {
    "ATNumSigFigs_STACKERROR_list_wrong_length": "OPTION_INVALID",
    "ATNumSigFigs_STACKERROR_not_integer": "OPTION_INVALID",
    "ATNumDecPlaces_OptNotInt": "OPTION_INVALID",
    "ATNumDecPlacesWrong_OptNotInt": "OPTION_INVALID",
    "ATUnits_SO_wrong_units": "TOL_UNITS_INCOMPATIBLE",
}

_UNIT_PROBLEMS = frozenset({"UNITS_INCOMPATIBLE", "UNITS_MISSING", "UNITS_ONLY", "UNITS_NOT_AS_ASKED",
                            "UNITS_RIGHT_NUMBER", "UNITS_TEACHER_MISSING", "UNITS_UNKNOWN",
                            "TOL_UNITS_INCOMPATIBLE"})
_PASSING_TAGS = frozenset({"ACC_OK", "SF_OK", "SF_WITHIN_RANGE", "DP_OK", "DIGITS_MATCH",
                           "UNITS_MATCH", "UNITS_COMPATIBLE"})


def _invalid(tag: str, message: str, **kw) -> RuleResult:
    return RuleResult(None, (tag,), message=message, **kw)


# --------------------------------------------------------------------------------------------------
# Reading numbers


@dataclass(frozen=True)
class WrittenNumber:
    """A number as a person wrote it: the text, the mantissa and the power of ten, and its exact value."""

    text: str  # the number's own characters, as typed (no unit)
    negative: bool
    mantissa: str  # digits with an optional '.', as written ("0.0010", "100.", ".5")
    exponent: int  # the written power of ten (0 when none was written)
    value: Decimal
    start: int  # offsets of the number in the text it was read from
    end: int


_SUPERSCRIPTS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺", "0123456789-+")
_TIMES = r"(?:\*|×|x|X|·|⋅|∙)"
_NUMBER_RE = re.compile(
    r"""
    (?P<sign>[+\-\u2212]?)[ \t]*
    (?P<mant>\d+(?:\.\d*)?|\.\d+)
    (?:
        [eE](?P<e1>[+\-\u2212]?\d+)
      | [ \t]*""" + _TIMES + r"""[ \t]*10[ \t]*(?:\^|\*\*)[ \t]*
            (?:\((?P<e2>[ \t]*[+\-\u2212]?[ \t]*\d+[ \t]*)\)|(?P<e3>[+\-\u2212]?\d+))
      | [ \t]*""" + _TIMES + r"""[ \t]*10(?P<e4>[⁺⁻]?[⁰¹²³⁴⁵⁶⁷⁸⁹]+)
    )?
    """,
    re.VERBOSE,
)
_EXPONENT_DIGITS_RE = re.compile(r"\d+")


def _check_length(text: str, what: str) -> None:
    if not isinstance(text, str):
        raise InputError(f"{what} must be text, got {type(text).__name__}")
    if len(text) > MAX_LENGTH:
        raise InputError(f"{what} is too long ({len(text)} characters; the limit is {MAX_LENGTH})",
                         text=text[:MAX_LENGTH], hint="type one number, with its unit if any")


def read_number(text: str, *, what: str = "answer") -> WrittenNumber | None:
    """Read the number at the start of ``text`` (after spaces); ``None`` if the text starts otherwise.

    Accepted forms: ``12``, ``-0.5``, ``.5``, ``100.``, ``1.2e-3``, ``1.2E3``, ``1.2*10^-3``,
    ``1.2×10^-3``, ``1.2 x 10^(3)``, ``1.2·10⁻³``, with a leading ``+``, ``-`` or ``−`` (U+2212).
    Raises :class:`InputError` for text over :data:`MAX_LENGTH` characters or an exponent beyond
    ±:data:`MAX_EXPONENT`.
    """
    _check_length(text, what)
    start = len(text) - len(text.lstrip())
    m = _NUMBER_RE.match(text, start)
    if not m:
        return None
    exp_text = next((g for g in (m.group("e1"), m.group("e2"), m.group("e3"), m.group("e4"))
                     if g is not None), None)
    exponent = 0
    if exp_text is not None:
        cleaned = exp_text.translate(_SUPERSCRIPTS).replace("\u2212", "-").replace(" ", "")
        cleaned = cleaned.replace("\t", "")
        digits = _EXPONENT_DIGITS_RE.search(cleaned)
        if digits is None or len(digits.group()) > 6 or int(digits.group()) > MAX_EXPONENT:
            raise InputError(f"the exponent in this {what} is too large (the limit is ±{MAX_EXPONENT})",
                             text=text, position=m.start() + m.group(0).find(exp_text),
                             hint="check the power of ten")
        exponent = int(cleaned)
    negative = m.group("sign") in ("-", "\u2212")
    mantissa = m.group("mant")
    value = Decimal(f"{'-' if negative else ''}{mantissa}E{exponent}")
    return WrittenNumber(text=m.group(0).strip(), negative=negative, mantissa=mantissa,
                         exponent=exponent, value=value, start=m.start(), end=m.end())


def split_number_unit(text: str) -> tuple[str, str]:
    """Split typed text into (number as written, unit text); either may be ``""``.

    ``"12.3 m/s"`` → ``("12.3", "m/s")``; ``"1.2×10^-3 M"`` → ``("1.2×10^-3", "M")``;
    ``"m/s"`` → ``("", "m/s")``; ``"0.25"`` → ``("0.25", "")``.  A ``*`` between the number and the
    unit (STACK's ``12*m/s``) is dropped.  The unit text is not checked here.
    """
    number = read_number(text)
    if number is None:
        return "", text.strip()
    rest = text[number.end:].strip()
    if rest.startswith("*") and not rest.startswith("**"):
        rest = rest[1:].strip()
    return number.text, rest


def parse_number(text: str, *, what: str = "answer") -> WrittenNumber:
    """Read ``text`` as one number and nothing else, or raise :class:`InputError` pointing at the problem."""
    _check_length(text, what)
    if not text.strip():
        raise InputError(f"the {what} is empty", text=text, hint="type a number such as 0.25 or 1.2e-3")
    number = read_number(text, what=what)
    if number is None:
        position = len(text) - len(text.lstrip())
        raise InputError(f"the {what} does not start with a number", text=text, position=position,
                         hint="type a number such as 0.25, 1.2e-3 or 1.2*10^-3")
    rest = text[number.end:]
    if rest.strip():
        position = number.end + (len(rest) - len(rest.lstrip()))
        hint = "use a point as the decimal separator and no thousands separators" \
            if rest.lstrip()[:1] in ",." else "type the number alone"
        raise InputError(f"unexpected text after the number in the {what}", text=text,
                         position=position, hint=hint)
    return number


def _as_decimal(value: Number | WrittenNumber, what: str) -> Decimal:
    """A teacher's value, tolerance or converted quantity as an exact Decimal (finite)."""
    if isinstance(value, WrittenNumber):
        return value.value
    if isinstance(value, bool):
        raise InputError(f"the {what} must be a number, not {value!r}")
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise InputError(f"the {what} must be a finite number, not {value}")
        return value
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise InputError(f"the {what} must be a finite number, not {value!r}")
        return Decimal(repr(value))
    if isinstance(value, str):
        return parse_number(value, what=what).value
    raise InputError(f"the {what} must be a number, not {type(value).__name__}")


def _float(value: Decimal) -> float:
    try:
        return float(value)
    except (OverflowError, InvalidOperation):  # pragma: no cover - float() saturates to inf
        return math.copysign(math.inf, value)


def _fmt(value: Decimal | float) -> str:
    """A short human form of a value for messages (never more than 10 significant digits)."""
    f = float(value)
    if f == 0:
        return "0"
    return f"{f:.10g}"


# --------------------------------------------------------------------------------------------------
# Counting significant figures and decimal places


def _stack_count(text: str) -> tuple[int, int, int]:
    """STACK's ``sig_figs_from_str``: (lower bound, upper bound, decimal places) of the first number.

    Characters before the first digit or point (signs, brackets) are skipped; scanning stops at the
    first character that cannot continue the number, so units and exponents are not counted.
    """
    leading = indefinite = trailing = meaningful = decimals = 0
    before_point = True
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        i += 1
        if c == ".":
            before_point = False
            meaningful += indefinite
            indefinite = leading = 0
            break
        if c == "0":
            leading = 1
            break
        if c in "123456789":
            meaningful += indefinite + 1
            indefinite = 0
            break
    while i < n:
        c = text[i]
        if not before_point and c in "0123456789":
            decimals += 1
        if c == "0":
            if meaningful == 0:
                leading += 1
            elif before_point:
                indefinite += 1
            else:
                meaningful += 1 + indefinite + trailing
                trailing = indefinite = 0
        elif c == "." and before_point:
            before_point = False
            meaningful += indefinite
            indefinite = leading = 0
        elif c in "123456789":
            meaningful += indefinite + 1
            indefinite = 0
        elif meaningful + leading + indefinite > 0:
            break
        i += 1
    if meaningful == 0:
        low = high = max(1, leading)
    elif not before_point:
        low = high = meaningful
    else:
        low, high = meaningful, meaningful + indefinite
    return low, high, decimals


def _require_digit(text: str, what: str) -> None:
    _check_length(text, what)
    if not any(c in "0123456789" for c in text):
        raise InputError(f"there is no number in the {what} to count digits in", text=text,
                         position=0)


def sigfig_range(number_text: str) -> tuple[int, int]:
    """Significant figures written in ``number_text``, as STACK counts them: (lower, upper).

    >>> sigfig_range("2000"), sigfig_range("0.0010"), sigfig_range("100."), sigfig_range("1.00e3")
    ((1, 4), (2, 2), (3, 3), (3, 3))

    Zeros between the last non-zero digit and an absent decimal point are ambiguous (they widen the
    upper bound); zero itself has max(1, zeros after the point) ("0" → 1, "0.00" → 2).  Only the
    mantissa counts: exponents and units after the number are ignored ("1030 m/s" → (3, 4)).
    """
    _require_digit(number_text, "number")
    low, high, _ = _stack_count(number_text)
    return low, high


def decimal_places(number_text: str) -> int:
    """Digits written after the decimal point of the mantissa (STACK): "4.320e-3" → 3, "100." → 0."""
    _require_digit(number_text, "number")
    return _stack_count(number_text)[2]


# PrairieLearn's counters (pl-number-input), for the comparison tables.  They expand scientific
# notation through Decimal first, so "1.00e5" has 1 significant digit there.

def _pl_normalize(text: str) -> str | None:
    _check_length(text, "number")
    s = text.strip().lstrip("+-\u2212")
    if "/" in s:
        return None
    if "e" in s.lower():
        try:
            d = Decimal(s)
        except InvalidOperation:
            return s
        if d.is_finite() and abs(d.adjusted()) > MAX_EXPONENT + MAX_LENGTH:
            raise InputError("the exponent in this number is too large", text=text)
        return format(d, "f")
    return s


def pl_precision(number_text: str) -> float:
    """PrairieLearn ``get_string_precision``: the place value of the last written digit ("420" → 10)."""
    s = _pl_normalize(number_text)
    if s is None:
        return 0.0
    if "." in s:
        return 10 ** -len(s.partition(".")[2])
    return 10 ** (len(s) - len(s.rstrip("0")))


def pl_sig_digits(number_text: str) -> int:
    """PrairieLearn ``get_string_significant_digits`` ("420" → 2, "1.00e5" → 1, fractions → 1000)."""
    s = _pl_normalize(number_text)
    if s is None:
        return 1000
    if "." in s:
        int_part, _, frac_part = s.partition(".")
        stripped = (int_part + frac_part).lstrip("0")
        if stripped == "":
            return len(frac_part) if frac_part else 1
        return len(stripped)
    stripped = s.strip("0")
    return len(stripped) if stripped else 1


def pl_decimal_digits(number_text: str) -> int:
    """PrairieLearn ``get_string_decimal_digits``: fraction digits after its leading zeros ("0.000690" → 3)."""
    s = _pl_normalize(number_text)
    if s is None:
        return 1000
    if "." in s:
        return len(s.partition(".")[2].lstrip("0"))
    return 0


def pl_is_numberless(text: str) -> bool:
    """PrairieLearn ``is_numberless``: the text is units only (no number written)."""
    number, unit = split_number_unit(text)
    return number == "" and unit != "" and "1" not in text


# --------------------------------------------------------------------------------------------------
# Rounding


def round_half_up(value: Number | WrittenNumber, sigfigs: int | None = None,
                  decimals: int | None = None) -> Decimal:
    """Round the number *as written* to ``sigfigs`` significant figures or ``decimals`` places.

    Ties go away from zero ("half up"), decided on the decimal digits, never on a binary double:
    ``round_half_up("0.04985", sigfigs=3) == Decimal("0.0499")`` (binary rounding gives 0.0498), and
    ``round_half_up("61250", sigfigs=3) == Decimal("6.13E+4")``.  Negative ``decimals`` round to tens,
    hundreds...  A float is read through its repr.
    """
    if (sigfigs is None) == (decimals is None):
        raise ValueError("give exactly one of sigfigs= or decimals=")
    d = _as_decimal(value, "value")
    if sigfigs is not None:
        if isinstance(sigfigs, bool) or not isinstance(sigfigs, int) or not 1 <= sigfigs <= MAX_DIGITS_OPTION:
            raise ValueError(f"sigfigs must be an integer from 1 to {MAX_DIGITS_OPTION}")
        if d == 0:
            return _CTX.quantize(d, Decimal(1).scaleb(1 - sigfigs, _CTX))
        exp = d.adjusted() - sigfigs + 1
        r = _CTX.quantize(d, Decimal(1).scaleb(exp, _CTX))
        if r.adjusted() > d.adjusted():  # 9.96 -> 10: keep exactly `sigfigs` digits
            r = _CTX.quantize(r, Decimal(1).scaleb(exp + 1, _CTX))
        return r
    if isinstance(decimals, bool) or not isinstance(decimals, int) or abs(decimals) > MAX_EXPONENT:
        raise ValueError(f"decimals must be an integer from -{MAX_EXPONENT} to {MAX_EXPONENT}")
    return _CTX.quantize(d, Decimal(1).scaleb(-decimals, _CTX))


# --------------------------------------------------------------------------------------------------
# Relative and absolute tolerance (STACK NumRelative / NumAbsolute)


def tolerance_accepts(s: Decimal, t: Decimal, rtol: Decimal, atol: Decimal) -> bool:
    """psyq's one boundary rule for tolerances: accept iff |s − t| ≤ (atol + rtol·|t|)·(1 + 1e-9).

    Exact on the decimals: both ends of ``t ± (atol + rtol·|t|)`` are accepted whichever binary
    double is near them.  The 1e-9 (STACK's NumRelative margin, applied to the whole width) absorbs
    float noise in an expected value that was computed rather than typed.  The template grader
    (:func:`psyq.grading.within`), homework regrading, ``psyq compare`` (``--rtol`` and ``--atol``)
    and the intervals of exports all come here (docs/grading.md §4.1–4.2).
    """
    width = _CTX.add(abs(atol), abs(_CTX.multiply(t, rtol)))
    return abs(_CTX.subtract(s, t)) <= _CTX.multiply(width, 1 + STACK_NUM_TOL)


def tolerance_interval(t: Decimal, rtol: Decimal, atol: Decimal) -> tuple[Decimal, Decimal]:
    """The interval :func:`tolerance_accepts` accepts (without the 1e-9 margin), ends included."""
    width = _CTX.add(abs(atol), abs(_CTX.multiply(t, rtol)))
    return _CTX.subtract(t, width), _CTX.add(t, width)


def _relative_core(s: Decimal, t: Decimal, tol: Decimal) -> tuple[bool, tuple[float, float]]:
    low, high = tolerance_interval(t, tol, Decimal(0))
    return tolerance_accepts(s, t, tol, Decimal(0)), (_float(low), _float(high))


def _absolute_core(s: Decimal, t: Decimal, tol: Decimal) -> tuple[bool, tuple[float, float]]:
    low, high = tolerance_interval(t, Decimal(0), tol)
    return tolerance_accepts(s, t, Decimal(0), tol), (_float(low), _float(high))


def _tolerance(tol: Number | None, default: str = "0.05") -> Decimal:
    if tol is None or (isinstance(tol, str) and not tol.strip()):
        return Decimal(default)
    return _as_decimal(tol, "tolerance")


def _read_student(s_text: str) -> WrittenNumber | RuleResult:
    try:
        return parse_number(s_text)
    except InputError as err:
        return _invalid("ANSWER_INVALID", str(err))


def _read_teacher(t: Number) -> Decimal | RuleResult:
    try:
        return _as_decimal(t, "expected value")
    except InputError as err:
        return _invalid("TEACHER_INVALID", str(err))


def num_relative(s_text: str, t: Number, tol: Number | None = 0.05) -> RuleResult:
    """STACK NumRelative: accept iff |s − t| ≤ |t·tol|·(1 + 1e-9).  Default tol 0.05 (5 %).

    The ends of the interval t ± |t·tol| are included; with t = 0 only s = 0 passes.
    """
    return _tolerance_rule(s_text, t, tol, _relative_core,
                           lambda d: (f"within {_fmt(abs(d) * 100)} % of",
                                      f"more than {_fmt(abs(d) * 100)} % away from"))


def num_absolute(s_text: str, t: Number, tol: Number | None = 0.05) -> RuleResult:
    """STACK NumAbsolute: accept iff |s − t| ≤ |tol|·(1 + 1e-9).  Default tol 0.05 (absolute).

    The ends t ± |tol| are accepted (1.05 passes for t = 1, tol = 0.05, as in STACK).  STACK's margin
    is an absolute 1e-9 on a strict ``<``; psyq's is relative to the tolerance, so that a tolerance of
    1e-10 M means what it says, and the rule is :func:`tolerance_accepts`, shared with the grader.
    """
    return _tolerance_rule(s_text, t, tol, _absolute_core,
                           lambda d: (f"within ±{_fmt(abs(d))} of", f"more than ±{_fmt(abs(d))} away from"))


def _tolerance_rule(s_text: str, t: Number, tol: Number | None, core, wording) -> RuleResult:
    """Read the tolerance, the student's number and the expected value, then apply ``core``."""
    try:
        tol_d = _tolerance(tol)
    except InputError as err:
        return _invalid("OPTION_INVALID", str(err))
    s = _read_student(s_text)
    if isinstance(s, RuleResult):
        return s
    t_d = _read_teacher(t)
    if isinstance(t_d, RuleResult):
        return t_d
    ok, interval = core(s.value, t_d, tol_d)
    near, far = wording(tol_d)
    if ok:
        return RuleResult(True, ("ACC_OK",), interval, message=f"Accepted: {near} the expected value.")
    return RuleResult(False, ("ACC_OUTSIDE",), interval, message=f"Not accepted: {far} the expected value.")


# --------------------------------------------------------------------------------------------------
# Significant figures (STACK NumSigFigs, SigFigsStrict)

_OPTION_LIST_RE = re.compile(r"^\s*\[?\s*([^\[\]]*?)\s*\]?\s*$")


def parse_sigfig_option(option: int | str | Sequence[int] | None, m: int | None = None) -> tuple[int, int]:
    """Read a NumSigFigs option: ``n``, ``"n"``, ``"[n, m]"``, ``"n,m"`` or ``(n, m)`` → ``(n, m)``.

    ``m`` defaults to ``n``; ``m = -1`` means "at least n", ``m = 0`` "digits only".  Raises
    :class:`InputError` for what STACK calls an option error: missing, not two integers, n ≤ 0, m < −1.
    """
    hint = "write n, or [n, m] with m = -1 (at least n) or m = 0 (count digits only)"
    if option is None or (isinstance(option, str) and not option.strip()):
        raise InputError("the significant-figures option is missing", hint=hint)
    if isinstance(option, bool):
        raise InputError("the significant-figures option must be an integer", hint=hint)
    if isinstance(option, int):
        items: list[object] = [option]
    elif isinstance(option, str):
        _check_length(option, "significant-figures option")
        inner = _OPTION_LIST_RE.match(option)
        parts = inner.group(1).split(",") if inner else [option]
        items = [p.strip() for p in parts]
    else:
        items = list(option)
    if len(items) not in (1, 2):
        raise InputError(f"the significant-figures option has {len(items)} entries, not 1 or 2",
                         text=str(option), hint=hint)
    values: list[int] = []
    for item in items:
        if isinstance(item, bool):
            raise InputError("the significant-figures option must be integers", hint=hint)
        if isinstance(item, int):
            values.append(item)
        elif isinstance(item, str) and re.fullmatch(r"[+-]?\d{1,4}", item):
            values.append(int(item))
        else:
            raise InputError(f"the significant-figures option must be integers, not {item!r}", hint=hint)
    n = values[0]
    mm = values[1] if len(values) == 2 else n
    if m is not None:
        mm = m
    if not 1 <= n <= MAX_DIGITS_OPTION or not -1 <= mm <= MAX_DIGITS_OPTION:
        raise InputError(f"the significant-figures option [{n}, {mm}] is out of range", hint=hint)
    return n, mm


def _sign(d: Decimal) -> int:
    return 0 if d == 0 else (-1 if d < 0 else 1)


def _digits_text(low: int, high: int) -> str:
    return f"{low}" if low == high else f"{low} to {high}"


def _sigfig_digits_check(low: int, high: int, n: int, m: int) -> tuple[bool, tuple[str, ...], str]:
    if m == -1:
        if n > high:
            return False, ("SF_WRONG_DIGITS",), \
                f"Give at least {n} significant figures (you wrote {_digits_text(low, high)})."
        return True, ("SF_OK",), ""
    if n == low:
        return True, ("SF_OK",), ""
    if low <= n <= high:
        return True, ("SF_WITHIN_RANGE",), ""
    return False, ("SF_WRONG_DIGITS",), \
        f"Give the answer to {n} significant figures (you wrote {_digits_text(low, high)})."


def _sigfig_core(low: int, high: int, s: Decimal | None, t: Decimal | None, n: int, m: int
                 ) -> RuleResult:
    """NumSigFigs on counted digits (low, high) and values s, t (t may be None when m = 0)."""
    digits_ok, notes, message = _sigfig_digits_check(low, high, n, m)
    written = (low, high)
    if m == 0:
        return RuleResult(digits_ok, notes, None, written,
                          message or f"Accepted: {n} significant figures written.")
    assert s is not None and t is not None
    ok = digits_ok
    notes_l = list(notes)
    messages = [message] if message else []
    if _sign(s) != _sign(t):
        ok = False
        notes_l.append("SF_WRONG_SIGN")
        messages.append("Check the sign of your answer.")
    sa = abs(s)
    sb = round_half_up(abs(t), sigfigs=n)
    accuracy = n if m == -1 else m
    if m == -1:
        sa = round_half_up(sa, sigfigs=n)
    # c0 puts round_n(|t|) between 0.1 and 1; STACK compares |sa - sb| * 10^(c0 + accuracy) with 0.5.
    c0 = 0 if sb == 0 else -(sb.adjusted() + 1)
    c2 = abs(_CTX.subtract(sa, sb)).scaleb(c0 + accuracy, _CTX)
    half_unit = Decimal(5).scaleb(-(c0 + accuracy) - 1, _CTX)
    centre = -sb if t < 0 else sb
    interval = (_float(_CTX.subtract(centre, half_unit)), _float(_CTX.add(centre, half_unit)))
    if c2 < Decimal("0.5"):
        notes_l.append("ACC_OK")
    else:
        ok = False
        if c2 < 5:
            notes_l.append("SF_INACCURATE")
            messages.append(f"The value is not accurate to {accuracy} significant figures; check your rounding.")
        else:
            notes_l.append("SF_VERY_INACCURATE")
            messages.append("The value is not the expected one.")
    if ok:
        msg = f"Accepted: correct to {accuracy} significant figures."
        if "SF_WITHIN_RANGE" in notes_l:
            msg += f" (Trailing zeros make the count ambiguous; {n} is one reading.)"
    else:
        msg = " ".join(messages)
    return RuleResult(ok, tuple(notes_l), interval, written, msg)


def num_sigfigs(s_text: str, t: Number | None, n: int | str | Sequence[int] | None,
                m: int | None = None) -> RuleResult:
    """STACK NumSigFigs: the right number of significant figures written, and accurate.

    * digits written (counted from the raw text, :func:`sigfig_range` = [lo, hi]): pass if lo = n,
      pass with ``SF_WITHIN_RANGE`` if lo ≤ n ≤ hi, else ``SF_WRONG_DIGITS``; with m = −1, need hi ≥ n;
    * with m = 0, stop here (the teacher's value is not used);
    * signs must match (``SF_WRONG_SIGN``);
    * accuracy: with r = round_half_up(|t|, n) and u = one unit in the m-th significant place of r,
      pass iff ||s| − r| < u/2 (open interval); ``SF_INACCURATE`` if < 5u, else ``SF_VERY_INACCURATE``.
      With m = −1, |s| is first rounded half-up to n significant figures and m = n.
    """
    try:
        n_, m_ = parse_sigfig_option(n, m)
    except InputError as err:
        return _invalid("OPTION_INVALID", str(err))
    s = _read_student(s_text)
    if isinstance(s, RuleResult):
        return s
    low, high, _ = _stack_count(s.mantissa)
    if m_ == 0:
        return _sigfig_core(low, high, None, None, n_, m_)
    if t is None:
        return _invalid("TEACHER_INVALID", "num_sigfigs needs the expected value unless m = 0")
    t_d = _read_teacher(t)
    if isinstance(t_d, RuleResult):
        return t_d
    return _sigfig_core(low, high, s.value, t_d, n_, m_)


def sigfigs_strict(s_text: str, n: int | str, t: Number | None = None) -> RuleResult:
    """STACK SigFigsStrict: accept iff exactly ``n`` significant figures are written (the lower count).

    The value is not checked (``t`` is accepted and ignored, as STACK ignores the teacher's answer),
    and a unit after the number is ignored.  "100" has exactly 1 significant
    figure here (``SF_AMBIGUOUS`` for 2 or 3); write "1.00e2" for 3.
    """
    n_ = _small_int(n)
    if n_ is None or not 1 <= n_ <= MAX_DIGITS_OPTION:
        return _invalid("OPTION_INVALID", f"the required significant figures must be a positive integer, not {n!r}")
    try:
        number = read_number(s_text)
    except InputError as err:
        return _invalid("ANSWER_INVALID", str(err))
    if number is None:
        return _invalid("ANSWER_INVALID", "the answer does not start with a number")
    low, high, _ = _stack_count(number.mantissa)
    written = (low, high)
    if n_ == low:
        return RuleResult(True, ("SF_OK",), None, written, f"Accepted: {n_} significant figures written.")
    if low <= n_ <= high:
        return RuleResult(False, ("SF_AMBIGUOUS",), None, written,
                          f"As written this has {low} significant figure{'s' if low != 1 else ''}; "
                          f"use scientific notation to show {n_} (e.g. {_sci_example(number, n_)}).")
    return RuleResult(False, ("SF_WRONG_DIGITS",), None, written,
                      f"Give exactly {n_} significant figures (you wrote {_digits_text(low, high)}).")


def _sci_example(number: WrittenNumber, n: int) -> str:
    d = abs(number.value)
    if d == 0:
        return "0." + "0" * (n - 1) if n > 1 else "0"
    r = round_half_up(d, sigfigs=n)
    mant = r.scaleb(-r.adjusted(), _CTX)
    return f"{mant:.{n - 1}f}e{r.adjusted()}"


# --------------------------------------------------------------------------------------------------
# Decimal places (STACK NumDecPlaces, NumDecPlacesWrong)


def _small_int(n: object) -> int | None:
    """An option that must be a whole number: an int, or text such as "3"; None for anything else."""
    if isinstance(n, bool):
        return None
    if isinstance(n, int):
        return n
    if isinstance(n, str) and re.fullmatch(r"\s*[+-]?\d{1,4}\s*", n):
        return int(n)
    return None


def _decplaces_option(n: int | str) -> int | RuleResult:
    n_ = _small_int(n)
    if n_ is None or not 1 <= n_ <= MAX_EXPONENT:
        return _invalid("OPTION_INVALID", f"the number of decimal places must be a positive integer, not {n!r}")
    return n_


def _decplaces_core(written_dp: int, s: Decimal, t: Decimal, n: int) -> RuleResult:
    notes: list[str] = []
    messages: list[str] = []
    ok = True
    if written_dp == n:
        notes.append("DP_OK")
    else:
        ok = False
        notes.append("DP_WRONG_COUNT")
        messages.append(f"Give the answer to {n} decimal place{'s' if n != 1 else ''} "
                        f"(you wrote {written_dp}; trailing zeros count).")
    r = round_half_up(t, decimals=n)
    half = Decimal(5).scaleb(-n - 1, _CTX)
    interval = (_float(_CTX.subtract(r, half)), _float(_CTX.add(r, half)))
    if round_half_up(s, decimals=n) == r:
        notes.append("ACC_OK")
    else:
        ok = False
        notes.append("ACC_OUTSIDE")
        messages.append(f"The value does not round to the expected one at {n} decimal place{'s' if n != 1 else ''}.")
    msg = f"Accepted: correct to {n} decimal place{'s' if n != 1 else ''}." if ok else " ".join(messages)
    return RuleResult(ok, tuple(notes), interval, None, msg)


def num_decplaces(s_text: str, t: Number, n: int | str) -> RuleResult:
    """STACK NumDecPlaces: exactly ``n`` decimal places written (trailing zeros count) and
    round_half_up(s, n) = round_half_up(t, n).  n must be an integer ≥ 1.

    STACK rounds with Maxima's ``round`` on doubles; psyq rounds the written decimals half-up.
    """
    read = _decplaces_inputs(s_text, t, n)
    if isinstance(read, RuleResult):
        return read
    n_, s, t_d = read
    return _decplaces_core(_stack_count(s.mantissa)[2], s.value, t_d, n_)


def _decplaces_inputs(s_text: str, t: Number, n: int | str):
    """The decimal-place rules' inputs read in STACK's order (option, student, teacher): the first
    refusal as a RuleResult, else (n, the student's reading, the teacher's value)."""
    n_ = _decplaces_option(n)
    if isinstance(n_, RuleResult):
        return n_
    s = _read_student(s_text)
    if isinstance(s, RuleResult):
        return s
    t_d = _read_teacher(t)
    if isinstance(t_d, RuleResult):
        return t_d
    return n_, s, t_d


def _leading_digits(x: Decimal, n: int) -> Decimal:
    """floor(x·10^k) with k = n − ceil(log10|x|): the first n digits of x as an integer (exactly)."""
    ceil_log = x.adjusted() if abs(x).normalize(_CTX).as_tuple().digits == (1,) else x.adjusted() + 1
    return x.scaleb(n - ceil_log, _CTX).quantize(Decimal(1), rounding=ROUND_FLOOR, context=_CTX)


def num_decplaces_wrong(s_text: str, t: Number, n: int | str) -> RuleResult:
    """STACK NumDecPlacesWrong: the first ``n`` digits agree, wherever the decimal point is.

    Both values are shifted to n digits before the point and floored; they must be equal.  If either
    is zero: pass iff |s − t| < 10^−n (STACK compares the signed difference; psyq its size).
    """
    read = _decplaces_inputs(s_text, t, n)
    if isinstance(read, RuleResult):
        return read
    n_, s, t_d = read
    sv = s.value
    if sv == 0 or t_d == 0:
        ok = abs(_CTX.subtract(sv, t_d)) < Decimal(1).scaleb(-n_, _CTX)
    else:
        ok = _leading_digits(sv, n_) == _leading_digits(t_d, n_)
    if ok:
        return RuleResult(True, ("DIGITS_MATCH",), None, None,
                          f"The first {n_} digits are right; check where the decimal point goes.")
    return RuleResult(False, ("DIGITS_DIFFER",), None, None, f"The first {n_} digits are not the expected ones.")


# --------------------------------------------------------------------------------------------------
# Units family (STACK Units, UnitsStrict, Units(Strict)Relative, Units(Strict)Absolute)

UNIT_RULES = ("sigfigs", "relative", "absolute", "decplaces")


def _same_unit_text(a: str, b: str) -> bool:
    norm = lambda u: re.sub(r"\s*([*/^()])\s*", r"\1", " ".join(u.split())).replace("*", " ")
    return norm(a) == norm(b)


def _same_unit(a: Unit, b: Unit) -> bool:
    """Algebraically the same unit (m/s/s ≡ m/s², nmol/L ≡ nM), not merely convertible (g ≢ kg)."""
    return a.same_as(b)


def _numeric_test(rule: str, digits: tuple[int, int, int], s: Decimal, t: Decimal,
                  option: object) -> RuleResult:
    low, high, dp = digits
    if rule == "sigfigs":
        n, m = option  # type: ignore[misc]
        return _sigfig_core(low, high, s, t, n, m)
    if rule == "decplaces":
        return _decplaces_core(dp, s, t, option)  # type: ignore[arg-type]
    if rule == "relative":
        ok, interval = _relative_core(s, t, option)  # type: ignore[arg-type]
    else:
        ok, interval = _absolute_core(s, t, option)  # type: ignore[arg-type]
    return RuleResult(ok, ("ACC_OK",) if ok else ("ACC_OUTSIDE",), interval,
                      message="" if ok else "The value is outside the tolerance.")


def units_rule(student_text: str, teacher_text: str, rule: str = "sigfigs", option: object = None,
               strict: bool = False) -> RuleResult:
    """STACK's Units answer tests: split number and unit, convert compatible units, apply ``rule``.

    ``rule`` is ``"sigfigs"`` (option n or [n, m]: STACK Units / UnitsStrict), ``"relative"`` (option a
    relative tolerance, default 0.05: Units(Strict)Relative), ``"absolute"`` (option a tolerance, bare or
    with a unit such as ``"5 kJ"``: Units(Strict)Absolute) or ``"decplaces"`` (psyq's own: NumDecPlaces
    with units).  Steps:

    1. the student wrote no unit → rejected, ``UNITS_MISSING``; only a unit → ``UNITS_ONLY``;
       the teacher wrote no unit → invalid (``UNITS_TEACHER_MISSING``); a unit-only teacher means 1.0·unit;
    2. the numeric test on the numbers as written; if the units are the same (``m/s/s`` ≡ ``m/s^2``),
       that result is final (``UNITS_MATCH``);
    3. otherwise, different dimensions → rejected, ``UNITS_INCOMPATIBLE`` (plus ``UNITS_RIGHT_NUMBER`` if
       step 2 passed); same dimensions → the student's value is converted to the teacher's unit and
       tested again (``UNITS_COMPATIBLE``): that verdict stands, except with ``strict=True``, which
       rejects (``UNITS_NOT_AS_ASKED``); if only step 2 passed, ``UNITS_RIGHT_NUMBER`` ("right
       number, wrong unit").  Written significant figures always come from the student's text.

    ``interval`` is given in the teacher's unit.
    """
    if rule not in UNIT_RULES:
        return _invalid("OPTION_INVALID", f"unknown rule {rule!r}; choose one of {', '.join(UNIT_RULES)}")
    # The option.
    tol_unit_text = ""
    try:
        if rule == "sigfigs":
            opt: object = parse_sigfig_option(option)  # type: ignore[arg-type]
        elif rule == "decplaces":
            opt = _decplaces_option(option)  # type: ignore[arg-type]
            if isinstance(opt, RuleResult):
                return opt
        elif rule == "absolute" and isinstance(option, str) and option.strip():
            tol_num, tol_unit_text = split_number_unit(option)
            opt = _tolerance(tol_num or option)
        else:
            opt = _tolerance(option)  # type: ignore[arg-type]
    except InputError as err:
        return _invalid("OPTION_INVALID", str(err))

    # The teacher's answer.
    try:
        t_num_text, t_unit_text = split_number_unit(teacher_text)
    except InputError as err:
        return _invalid("TEACHER_INVALID", str(err))
    if not t_unit_text:
        return _invalid("UNITS_TEACHER_MISSING", "the expected answer has no unit, so a units test cannot be used")
    t_val = parse_number(t_num_text).value if t_num_text else Decimal("1.0")

    # The student's answer.
    try:
        s_num_text, s_unit_text = split_number_unit(student_text)
    except InputError as err:
        return _invalid("ANSWER_INVALID", str(err))
    if not s_num_text and not s_unit_text:
        return _invalid("ANSWER_INVALID", "the answer is empty")

    from psyq import units as _units  # lazily: the unit registry is only needed here

    def unit_of(text: str) -> Unit:
        return _units.parse_unit(text)

    t_unit: Unit | None = None
    try:
        t_unit = unit_of(t_unit_text)
    except InputError:
        t_unit = None  # an unknown teacher unit is usable only if the student writes the same text

    if not s_num_text:
        if _same_unit_text(s_unit_text, t_unit_text):
            return RuleResult(False, ("UNITS_ONLY",), message="Give a number as well as the unit.")
        try:
            unit_of(s_unit_text)
        except InputError as err:
            return _invalid("ANSWER_INVALID", f"the answer does not start with a number ({err})")
        return RuleResult(False, ("UNITS_ONLY",), message="Give a number as well as the unit.")
    if not s_unit_text:
        return RuleResult(False, ("UNITS_MISSING",),
                          message=f"Give the unit too (for example {t_unit_text}).")
    s_written = parse_number(s_num_text)
    digits = _stack_count(s_written.mantissa)
    s_val = s_written.value
    written = digits[:2] if rule == "sigfigs" else None

    # A tolerance with a unit is converted to the teacher's unit.
    if tol_unit_text:
        if t_unit is None:
            return _invalid("UNITS_UNKNOWN", f"unknown unit {t_unit_text!r} in the expected answer")
        try:
            tol_unit = unit_of(tol_unit_text)
        except InputError as err:
            return _invalid("OPTION_INVALID", f"the tolerance's unit cannot be read ({err})")
        if tol_unit.dims != t_unit.dims:
            return _invalid("TOL_UNITS_INCOMPATIBLE",
                            f"the tolerance is in {tol_unit_text}, which cannot be converted to {t_unit_text}")
        opt = _CTX.divide(_CTX.multiply(opt, _as_decimal(tol_unit.factor, "unit factor")),  # type: ignore[arg-type]
                          _as_decimal(t_unit.factor, "unit factor"))

    first = _numeric_test(rule, digits, s_val, t_val, opt)
    first = RuleResult(first.accepted, first.notes, first.interval, written, first.message)

    # Same units: the first test is final.
    same = _same_unit_text(s_unit_text, t_unit_text)
    s_unit: Unit | None = None
    if not same:
        if t_unit is None:
            return _invalid("UNITS_UNKNOWN", f"unknown unit {t_unit_text!r} in the expected answer")
        try:
            s_unit = unit_of(s_unit_text)
        except InputError as err:
            return _invalid("UNITS_UNKNOWN", f"psyq does not know the unit {s_unit_text!r} ({err.message})")
        same = _same_unit(s_unit, t_unit)
    if same:
        return RuleResult(first.accepted, first.notes + ("UNITS_MATCH",), first.interval, written,
                          first.message)
    assert s_unit is not None and t_unit is not None

    if s_unit.dims != t_unit.dims:
        # A value in another dimension is neither inside nor outside the interval: keep only what was
        # said about the digits (as STACK does), not ACC_OK / ACC_OUTSIDE.
        notes = tuple(x for x in first.notes if x not in ("ACC_OK", "ACC_OUTSIDE")) + ("UNITS_INCOMPATIBLE",)
        if first.accepted:
            notes += ("UNITS_RIGHT_NUMBER",)
            msg = (f"Right number, but {s_unit_text} is {s_unit.describe_dims()} and the answer is "
                   f"{t_unit.describe_dims()} (expected a unit like {t_unit_text}).")
        else:
            msg = (f"Incompatible units: {s_unit_text} is {s_unit.describe_dims()}, "
                   f"the answer is {t_unit.describe_dims()} (a unit like {t_unit_text}).")
        return RuleResult(False, notes, None, written, msg)

    # Compatible units: convert the student's value to the teacher's unit and test again.  (STACK
    # converts both to SI base units; the same for tolerances, but for significant figures a
    # non-decimal factor such as h -> s would move the rounding grid away from the teacher's unit.)
    fs = _as_decimal(s_unit.factor, "unit factor")
    ft = _as_decimal(t_unit.factor, "unit factor")
    second = _numeric_test(rule, digits, _CTX.divide(_CTX.multiply(s_val, fs), ft), t_val, opt)
    interval = second.interval
    if second.accepted:
        if strict:
            return RuleResult(False, second.notes + ("UNITS_COMPATIBLE", "UNITS_NOT_AS_ASKED"), interval, written,
                              f"Right quantity, but give it in {t_unit_text} (you used {s_unit_text}).")
        return RuleResult(True, second.notes + ("UNITS_COMPATIBLE",), interval, written,
                          f"Accepted after converting {s_unit_text} to {t_unit_text}.")
    if first.accepted:
        return RuleResult(False, ("UNITS_COMPATIBLE", "UNITS_RIGHT_NUMBER"), interval, written,
                          f"Right number, wrong unit: the answer is in {t_unit_text}, not {s_unit_text}.")
    return RuleResult(False, second.notes + ("UNITS_COMPATIBLE",), interval, written,
                      second.message or "The value is not the expected one.")


# --------------------------------------------------------------------------------------------------
# PrairieLearn's comparisons (grading_utils.py), for the side-by-side tables

PLNumber = str | float | int | complex


def _pl_value(x: PLNumber) -> float | complex:
    if isinstance(x, bool):
        raise InputError("a number is needed, not a bool")
    if isinstance(x, (int, float, complex)):
        return x
    if isinstance(x, Decimal):
        return float(x)
    _check_length(x, "answer")
    try:
        return float(parse_number(x).value)
    except InputError:
        text = x.strip().replace("\u2212", "-")
        try:
            return float(text)  # "inf", "nan"
        except ValueError:
            try:
                return complex(text)  # "1.0+1.0j": the builtin parses literals only, never evaluates
            except ValueError:
                raise InputError("not a number PrairieLearn would accept", text=x) from None


def _pl_window(s: float, t: float, eps: float) -> bool:
    if math.isinf(t):
        return s == t
    if math.isnan(t):
        return math.isnan(s)
    return t - eps < s < t + eps


def _pl_result(ok: bool, interval: tuple[float, float] | None) -> RuleResult:
    return RuleResult(ok, ("ACC_OK",) if ok else ("ACC_OUTSIDE",), interval,
                      message="Accepted." if ok else "Not accepted.")


def _pl_guard(s: PLNumber, t: PLNumber) -> tuple[float | complex, float | complex] | RuleResult:
    try:
        return _pl_value(s), _pl_value(t)
    except InputError as err:
        return _invalid("ANSWER_INVALID", str(err))


def pl_relabs(s: PLNumber, t: PLNumber, rtol: float = 1e-2, atol: float = 1e-8) -> RuleResult:
    """PrairieLearn relabs (numpy ``allclose``): accept iff |s − t| ≤ atol + rtol·|t| (closed).

    Defaults are pl-number-input's (rtol 1e-2, atol 1e-8).  NaN never matches; ±inf only itself.
    """
    vals = _pl_guard(s, t)
    if isinstance(vals, RuleResult):
        return vals
    sv, tv = vals
    if isinstance(sv, complex) or isinstance(tv, complex):
        sv, tv = complex(sv), complex(tv)
        if any(math.isinf(v) or math.isnan(v) for v in (sv.real, sv.imag, tv.real, tv.imag)):
            return _pl_result(sv == tv and not any(math.isnan(v) for v in (sv.real, sv.imag)), None)
        return _pl_result(abs(sv - tv) <= atol + rtol * abs(tv), None)
    if math.isnan(sv) or math.isnan(tv):
        return _pl_result(False, None)
    if math.isinf(sv) or math.isinf(tv):
        return _pl_result(sv == tv, None)
    width = atol + rtol * abs(tv)
    return _pl_result(abs(sv - tv) <= width, (tv - width, tv + width))


def _pl_windowed(s: PLNumber, t: PLNumber, eps_for: Callable[[float], float]) -> RuleResult:
    vals = _pl_guard(s, t)
    if isinstance(vals, RuleResult):
        return vals
    sv, tv = vals
    if isinstance(sv, complex) or isinstance(tv, complex):
        sv, tv = complex(sv), complex(tv)
        ok = (_pl_window(sv.real, tv.real, eps_for(tv.real))
              and _pl_window(sv.imag, tv.imag, eps_for(tv.imag)))
        return _pl_result(ok, None)
    eps = eps_for(tv)
    interval = None if not math.isfinite(tv) else (tv - eps, tv + eps)
    return _pl_result(_pl_window(sv, tv, eps), interval)


def pl_sigfig(s: PLNumber, t: PLNumber, digits: int = 2) -> RuleResult:
    """PrairieLearn ``is_correct_scalar_sf``: accept iff t − eps < s < t + eps, eps = 0.51·10^−n, where
    n = digits − 1 − floor(log10|t|) (digits − 1 for t = 0).  The digits typed are not checked."""

    def eps_for(tv: float) -> float:
        if tv == 0 or not math.isfinite(tv):
            n = digits - 1
        else:
            n = -math.floor(math.log10(abs(tv))) + (digits - 1)
        return 0.51 * 10.0 ** -n

    return _pl_windowed(s, t, eps_for)


def pl_decdig(s: PLNumber, t: PLNumber, digits: int = 2) -> RuleResult:
    """PrairieLearn ``is_correct_scalar_dd``: accept iff t − eps < s < t + eps, eps = 0.51·10^−digits."""
    return _pl_windowed(s, t, lambda tv: 0.51 * 10.0 ** -digits)
