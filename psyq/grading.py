"""Grading a typed answer against one part of an instance: accuracy, units, misconceptions.

The three checks of DESIGN.md's grading contract, each reported with a stable note tag:

* accuracy — in the part's unit, ``|s − t| ≤ atol + rtol·|t|`` (``ACC_OK`` / ``ACC_OUTSIDE``), or
  a significant-figure / decimal-place rule where the part asks for one (docs/grading.md);
* units — an answer with a unit is converted to the part's unit (``UNITS_CONVERTED``); a bare number
  is read in the part's unit (``UNITS_BARE``); a wrong dimension is an explained error
  (``UNITS_INCOMPATIBLE``, status ``invalid``); a bare number that would be right as a fraction
  instead of a percentage, or in a neighbouring unit, is explained (``SLIP:…``);
* misconceptions — a wrong answer that matches a named wrong derivation gets its feedback
  (``MISC:<name>``).

Grading never raises for what a student typed: unreadable input comes back as an ``invalid``
verdict with a pointed message.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field
from decimal import Context, Decimal

from psyq import draws
from psyq.answers import ParsedAnswer, parse_answer, thousands_point
from psyq.errors import InputError

CORRECT, INCORRECT, INVALID = "correct", "incorrect", "invalid"


@dataclass
class Verdict:
    status: str  # correct | incorrect | invalid
    answer: str  # as typed
    notes: list[str] = field(default_factory=list)
    feedback: str = ""
    value: float | None = None  # the student's value in the part's unit
    unit: str | None = None  # the part's unit
    unit_written: str | None = None  # the unit the student typed, if any
    low: float | None = None  # accepted interval in the part's unit
    high: float | None = None
    misconception: str | None = None
    pointer: str = ""  # the answer with a caret under the bad token (invalid answers)
    expected: str = ""  # the correct answer, displayed

    @property
    def correct(self) -> bool:
        return self.status == CORRECT

    @property
    def score(self) -> float:
        return 1.0 if self.status == CORRECT else 0.0

    def interval_text(self) -> str:
        if self.low is None or self.high is None:
            return "not attainable"
        unit = "" if self.unit in (None, "", "fraction") else f" {self.unit}"
        return f"[{draws.format_number(self.low, 4)}, {draws.format_number(self.high, 4)}]{unit}"

    def to_json(self) -> dict:
        return {
            "status": self.status, "correct": self.correct, "score": self.score, "answer": self.answer,
            "notes": list(self.notes), "feedback": self.feedback,
            "value": None if self.value is None else draws.canonical_float(self.value),
            "unit": self.unit, "unit_written": self.unit_written,
            "accept": None if self.low is None else {"low": draws.canonical_float(self.low),
                                                     "high": draws.canonical_float(self.high),
                                                     "unit": self.unit},
            "misconception": self.misconception, "expected": self.expected,
        }


# The float test decides unless |s − t| is this close (relative to the magnitudes involved) to the
# edge; then the exact decimal rule does.  Float rounding of |s − t| and of the width is below
# 4·2⁻⁵³ of (|s| + |t| + width); 1e-13 leaves a wide safety factor.
_EDGE_BAND = 1e-13
_MARGIN = 1 + 1e-9  # numeric_rules.STACK_NUM_TOL, as a float


def within(s: float, t: float, rtol: float, atol: float) -> bool:
    """Whether ``s`` is accepted for ``t``: |s − t| ≤ (atol + rtol·|t|)·(1 + 1e-9), exact at the ends.

    One rule for every path (template parts, homework regrading, ``psyq compare``, the intervals of
    exports): :func:`psyq.numeric_rules.tolerance_accepts` on the decimals the floats print as, so
    ``within(1.0, 1.1, 0, 0.1)`` and ``within(1.2, 1.1, 0, 0.1)`` are both True although
    1.1 − 1.0 is 0.10000000000000009 in binary.  Far from an end the float test gives the same
    answer at a hundredth of the cost, so only the near-edge cases pay for the decimals.
    """
    if not (math.isfinite(s) and math.isfinite(t)):
        return False
    diff = abs(s - t)
    width = abs(atol) + abs(rtol * t)
    edge = width * _MARGIN
    band = _EDGE_BAND * (abs(s) + abs(t) + width)
    if diff < edge - band:
        return True
    if diff > edge + band:
        return False
    from psyq import numeric_rules as R

    return R.tolerance_accepts(_dec(s), _dec(t), _dec(rtol), _dec(atol))


def accepted_interval(t: float, rtol: float, atol: float) -> tuple[float, float]:
    """The interval :func:`within` accepts, ``t ± (atol + rtol·|t|)``, its ends computed exactly.

    1.1 ± 0.1 is [1.0, 1.2], not the binary [1.0000000000000002, 1.2000000000000002]: an LMS given
    these ends accepts what psyq accepts.  (The 1e-9 margin of :func:`within` is left out.)
    """
    if not math.isfinite(t):
        half = abs(atol) + abs(rtol * t)
        return t - half, t + half
    # 17-digit decimals: rtol·t is exact in 34 digits; 60 keeps the sum exact unless the terms are
    # 26 orders of magnitude apart, where rounding at the 60th digit cannot move the float.
    td = Decimal(repr(t))
    if rtol:
        half = abs(_CTX60.multiply(td, _tol_dec(rtol)))
        if atol:
            half = _CTX60.add(half, _tol_dec(atol))
    else:
        half = _tol_dec(atol)
    return float(_CTX60.subtract(td, half)), float(_CTX60.add(td, half))


def _dec(x: float) -> Decimal:
    return Decimal(repr(float(x)))


@functools.lru_cache(maxsize=256)
def _tol_dec(x: float) -> Decimal:
    """|tolerance| as a decimal; a part's few tolerances repeat for every instance."""
    return abs(Decimal(repr(float(x))))


_CTX60 = Context(prec=60, Emax=100_000, Emin=-100_000)


def grade(part, text: str) -> Verdict:
    """Grade ``text`` against a :class:`psyq.instance.PartInstance`."""
    base = Verdict(INVALID, text, unit=part.unit, low=part.low, high=part.high, expected=part.display)
    try:
        parsed = parse_answer(text)
    except InputError as exc:
        base.notes = ["INVALID"]
        base.feedback = str(exc)
        base.pointer = exc.pointer()
        return base
    return grade_parsed(part, parsed, base)


def grade_parsed(part, parsed: ParsedAnswer, v: Verdict) -> Verdict:
    from psyq import units

    if parsed.word is not None:
        if part.unattainable:
            v.status, v.notes = CORRECT, ["UNATTAINABLE_OK"]
            v.feedback = "Right: no value reaches this."
        else:
            v.status, v.notes = INCORRECT, ["ATTAINABLE"]
            v.feedback = f"It is attainable: the relations give a value in {part.unit or 'the asked unit'}."
        return v
    if part.unattainable:
        v.status, v.notes = INCORRECT, ["UNATTAINABLE_EXPECTED"]
        v.feedback = ("No value reaches this target (check it against the maximum the model allows); "
                      "answer 'not attainable'.")
        v.value = parsed.value
        mis = _match_misconception(part, parsed.value, unattainable=True) \
            if parsed.unit is None or parsed.unit.text == part.unit else None
        if mis is not None:  # the dose computed while ignoring the plateau or the ceiling
            v.notes.append(f"MISC:{mis.name}")
            v.misconception = mis.name
            v.feedback = f"{mis.feedback} Answer 'not attainable'."
        return v

    part_unit = units.unit(part.unit) if part.unit not in ("", "fraction") else units.FRACTION
    s = parsed.value
    notes: list[str] = []
    rule = getattr(part.spec, "rule", None)
    if parsed.unit is None:
        if part_unit.dimensionless and part_unit.text in ("", "fraction"):
            pass
        else:
            notes.append("UNITS_BARE")
    else:
        v.unit_written = parsed.unit.text
        if rule is not None and rule.units == "strict" and parsed.unit.text != part_unit.text:
            return _strict_units(part, parsed, v, part_unit)
        if parsed.unit.text != part_unit.text:
            try:
                s = units.convert(s, parsed.unit, part_unit, molar_mass=part.molar_mass)
            except InputError as exc:
                v.status = INVALID
                v.notes = ["UNITS_INCOMPATIBLE"]
                v.feedback = (f"{exc.message}. The answer is asked in {part.unit}"
                              f" ({part_unit.describe_dims()}).")
                return v
            notes.append("UNITS_CONVERTED")
    v.value = s
    t = part.value
    if rule is not None and rule.written_precision:
        ok, rule_notes, message = _apply_rule(rule, parsed, s, t, part, parsed.unit is None)
        notes.extend(rule_notes)
        if ok is None:
            v.status, v.notes, v.feedback = INVALID, notes, message
            return v
    else:
        ok = within(s, t, part.rtol, part.atol)
        notes.append("ACC_OK" if ok else "ACC_OUTSIDE")
        message = ""
    if ok:
        v.status, v.notes = CORRECT, notes
        v.feedback = "Correct." + (f" {message}" if message else "")
        return v
    v.status = INCORRECT
    mis = _match_misconception(part, s)
    as_fraction = False
    if mis is None and parsed.unit is None and part_unit.text == "%":
        mis = _match_misconception(part, s * 100)  # the mistake, written as a fraction
        as_fraction = mis is not None
    if mis is not None:
        notes.append(f"MISC:{mis.name}")
        if as_fraction:
            notes.append("SLIP:fraction_for_percent")
        v.misconception = mis.name
        v.notes, v.feedback = notes, mis.feedback
        if as_fraction:
            v.feedback += " (Also: the answer is asked in %; a bare number is read in %.)"
        return v
    slip = _match_slip(part, parsed, s, part_unit)
    if slip is not None:
        tag, text = slip
        notes.append(tag)
        v.notes, v.feedback = notes, text
        return v
    v.notes = notes
    v.feedback = message or "Not within the accepted range."
    return v


def _match_misconception(part, s: float, unattainable: bool = False):
    """The closest misconception within tolerance; ``unattainable`` selects those the template marks
    `when: unattainable` (met only where the part is "not attainable"), otherwise the others."""
    spec = getattr(part, "spec", None)
    only_there = {m.name for m in getattr(spec, "misconceptions", ()) if getattr(m, "unattainable", False)}
    best, best_err = None, math.inf
    for m in part.misconceptions:
        if m.value is None or not math.isfinite(m.value) or (m.name in only_there) != unattainable:
            continue
        if within(s, m.value, part.rtol, part.atol):
            err = abs(s - m.value)
            if err < best_err:
                best, best_err = m, err
    return best


def _match_slip(part, parsed: ParsedAnswer, s: float, part_unit) -> tuple[str, str] | None:
    from psyq import units

    t, rtol, atol = part.value, part.rtol, part.atol
    shown = draws.format_number(t, 3)
    if thousands_point(parsed.number_text) and within(s * 1000, t, rtol, atol):
        # As "1,234" is refused as ambiguous, a "1.234" that is right read as 1234 is pointed out.
        written = parsed.number_text.strip()
        return ("SLIP:thousands_point",
                f"{written} is read with a decimal point ({written.replace('.', ',')} in some countries); "
                f"if you meant {written.replace('.', '')}, write it without a separator.")
    if parsed.unit is None:
        if part_unit.text == "%" and within(s * 100, t, rtol, atol):
            return ("SLIP:fraction_for_percent",
                    f"{parsed.raw.strip()} is right as a fraction, but the answer is asked in %: "
                    f"write {shown} % (a bare number is read in %).")
        if part_unit.text == "fraction" and within(s / 100, t, rtol, atol):
            return ("SLIP:percent_for_fraction",
                    f"That is a percentage; the answer is asked as a fraction: write {shown} "
                    f"(or add the % sign).")
        for sib in units.sibling_units(part_unit):
            if sib.text == part_unit.text:
                continue
            try:
                converted = units.convert(s, sib, part_unit)
            except InputError:
                continue
            if within(converted, t, rtol, atol):
                return (f"SLIP:unit:{sib.text}",
                        f"That number would be right in {sib.text}, but a bare number is read in "
                        f"{part_unit.text}: write {shown} {part_unit.text} or add the unit you mean.")
    for factor, tag in ((1e3, "SLIP:x1000"), (1e-3, "SLIP:x1000"), (1e6, "SLIP:x1e6"), (1e-6, "SLIP:x1e6")):
        if within(s * factor, t, rtol, atol):
            size = "1000" if tag == "SLIP:x1000" else "a million"
            return (tag, f"Off by a factor of {size}: check the prefixes (nM vs µM vs mM, ng vs µg) "
                         f"and the unit conversion.")
    if part_unit.describe_dims() == "time":
        for factor in (24.0, 1 / 24.0, 7.0, 1 / 7.0):
            if within(s * factor, t, rtol, atol):
                return ("SLIP:time_unit", "Off by a factor of 24 or 7: check hours vs days vs weeks.")
    return None


def _strict_units(part, parsed: ParsedAnswer, v: Verdict, part_unit) -> Verdict:
    """STACK UnitsStrict: the number must match in the teacher's units, written in those units."""
    from psyq import units

    v.status = INCORRECT
    try:
        converted = units.convert(parsed.value, parsed.unit, part_unit, molar_mass=part.molar_mass)
    except InputError:
        v.notes = ["UNITS_INCOMPATIBLE"]
        v.feedback = f"Incompatible units: the answer is asked in {part_unit.text}."
        return v
    v.value = converted
    if within(converted, part.value, part.rtol, part.atol):
        v.notes = ["UNITS_WRONG_BUT_CONVERTIBLE", "ACC_OK"]
        v.feedback = f"Right quantity, but give it in {part_unit.text} as asked."
    else:
        v.notes = ["UNITS_WRONG", "ACC_OUTSIDE"]
        v.feedback = f"Give the answer in {part_unit.text}."
    return v


def _apply_rule(rule, parsed: ParsedAnswer, s: float, t: float, part, bare: bool):
    """Significant-figure and decimal-place rules (STACK semantics, see docs/grading.md)."""
    from psyq import numeric_rules as R

    number_text = parsed.number_text
    if number_text is None:
        return None, ["INVALID_FORM"], ("Write the answer as a single number (no arithmetic) so its "
                                        "significant figures can be counted.")
    # The rule applies to the number as written, in the unit written; scale when converted.
    scale = s / parsed.value if parsed.value else 1.0
    t_written = t / scale if scale else t
    if rule.kind == "sigfigs":
        res = R.num_sigfigs(number_text, t_written, int(rule.n), rule.m)
    elif rule.kind == "strict_sigfigs":
        # SigFigsStrict checks only the digits written; a part also needs the value right.
        digits = R.sigfigs_strict(number_text, int(rule.n), t_written)
        value = R.num_sigfigs(number_text, t_written, int(rule.n))
        accepted = None if digits.accepted is None or value.accepted is None else (digits.accepted and value.accepted)
        message = digits.message if not digits.accepted else value.message
        return accepted, list(dict.fromkeys([*digits.notes, *value.notes])), message
    else:
        res = R.num_decplaces(number_text, t_written, int(rule.n))
    return res.accepted, list(res.notes), res.message
