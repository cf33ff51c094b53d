"""Grade one typed answer against an expected value under one named rule, and say why (`psyq compare`).

An instructor uses this to try a rule before putting it in a template: the verdict, the accepted
interval, the significant figures and decimal places counted in the answer as written, and the stable
note tags come from the same functions that grade (:mod:`psyq.numeric_rules`).

>>> c = compare("0.25 µM", "250 nM", make_rule(sigfigs="2"))
>>> c.verdict, c.result.notes
('accepted', ('SF_OK', 'ACC_OK', 'UNITS_COMPATIBLE'))
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from psyq.errors import ExitCode, InputError, PsyqError
from psyq.numeric_rules import (
    RuleResult,
    decimal_places,
    num_absolute,
    num_decplaces,
    num_relative,
    num_sigfigs,
    parse_number,
    parse_sigfig_option,
    read_number,
    sigfig_range,
    sigfigs_strict,
    split_number_unit,
    units_rule,
)

RULE_NAMES = ("relative", "absolute", "sigfigs", "strict-sigfigs", "decimals")
UNITS_MODES = ("convert", "strict")
DEFAULT_RTOL = Decimal("0.05")  # STACK's default for NumRelative


class UsageError(PsyqError):
    """Options that do not make one rule (two rules at once, a tolerance that is not a number …)."""


@dataclass(frozen=True)
class Rule:
    """One grading rule: ``name`` (see :data:`RULE_NAMES`), its option, and how units are treated.

    ``option`` is a Decimal tolerance (relative), a tolerance text that may carry a unit (absolute),
    ``(n, m)`` (sigfigs) or ``n`` (strict-sigfigs, decimals).  ``units`` is ``None`` (convert when
    either side has a unit), ``"convert"`` or ``"strict"``.
    """

    name: str = "relative"
    option: object = DEFAULT_RTOL
    units: str | None = None

    def describe(self) -> str:
        """One line, e.g. "relative tolerance 5 % (STACK NumRelative)"."""
        if self.name == "relative":
            text = f"relative tolerance {_pct(self.option)} %: |s − t| ≤ {self.option}·|t|"
        elif self.name == "absolute":
            text = f"absolute tolerance ±{self.option}, ends included"
        elif self.name == "sigfigs":
            n, m = self.option  # type: ignore[misc]
            if m == n:
                text = f"{n} significant figures, written and accurate"
            elif m == -1:
                text = f"at least {n} significant figures, accurate to {n}"
            elif m == 0:
                text = f"{n} significant figures written (value not checked)"
            else:
                text = f"{n} significant figures written, accurate to {m}"
        elif self.name == "strict-sigfigs":
            text = f"exactly {self.option} significant figures written (value not checked)"
        else:
            text = f"{self.option} decimal places, written and rounding to the expected value"
        return text

    def to_json(self) -> dict:
        if self.name == "relative":
            return {"name": self.name, "rtol": float(self.option)}  # type: ignore[arg-type]
        if self.name == "absolute":
            return {"name": self.name, "atol": str(self.option)}
        if self.name == "sigfigs":
            n, m = self.option  # type: ignore[misc]
            return {"name": self.name, "n": n, "m": m}
        return {"name": self.name, "n": self.option}


def _pct(tol: object) -> str:
    return f"{float(tol) * 100:g}"  # type: ignore[arg-type]


def make_rule(*, rtol: float | str | None = None, atol: float | str | None = None,
              sigfigs: int | str | None = None, strict_sigfigs: int | str | None = None,
              decimals: int | str | None = None, units: str | None = None) -> Rule:
    """The rule the options name (at most one of them); relative 5 % when none is given.

    Raises :class:`UsageError` for two rules at once or an option that cannot be used.
    """
    given = [name for name, value in (("--rtol", rtol), ("--atol", atol), ("--sigfigs", sigfigs),
                                      ("--strict-sigfigs", strict_sigfigs), ("--decimals", decimals))
             if value is not None]
    if len(given) > 1:
        raise UsageError(f"choose one rule, not {' and '.join(given)}",
                         hint="e.g. --rtol 0.01, or --sigfigs 3")
    if units is not None and units not in UNITS_MODES:
        raise UsageError(f"--units must be convert or strict, not {units!r}")
    try:
        if rtol is not None:
            text = str(rtol).strip()
            percent = text.endswith("%")
            tol = parse_number(text.rstrip("%"), what="relative tolerance").value
            if percent:
                tol = tol / 100
            if tol < 0:
                raise UsageError("--rtol must not be negative", hint="e.g. --rtol 0.05 for 5 %")
            return Rule("relative", tol, units)
        if atol is not None:
            number, unit_text = split_number_unit(str(atol))
            if not number:
                raise UsageError(f"--atol must be a number, optionally with a unit, not {atol!r}",
                                 hint="e.g. --atol 0.5 or --atol '0.5 nM'")
            if parse_number(number, what="absolute tolerance").value < 0:
                raise UsageError("--atol must not be negative")
            return Rule("absolute", f"{number} {unit_text}".strip(), units)
        if sigfigs is not None:
            return Rule("sigfigs", parse_sigfig_option(sigfigs), units)
        if strict_sigfigs is not None:
            n, _ = parse_sigfig_option(strict_sigfigs)
            return Rule("strict-sigfigs", n, units)
        if decimals is not None:
            n = int(decimals)
            if n < 1:
                raise UsageError(f"--decimals must be at least 1, not {n}")
            return Rule("decimals", n, units)
    except InputError as err:
        raise UsageError(err.message, hint=err.hint) from None
    except ValueError:
        raise UsageError(f"--decimals must be a whole number, not {decimals!r}") from None
    return Rule("relative", DEFAULT_RTOL, units)


@dataclass(frozen=True)
class Comparison:
    """The outcome of :func:`compare`, ready to print or to serialise with :meth:`to_json`."""

    expected: str
    answer: str
    rule: Rule
    stack_test: str  # the STACK answer test with the same semantics
    result: RuleResult
    unit: str  # the unit of the interval (the expected value's unit), "" when none
    ends_included: tuple[bool, bool] | None  # whether the interval's low/high ends are accepted
    sigfigs_written: tuple[int, int] | None
    decimals_written: int | None

    @property
    def verdict(self) -> str:
        return {True: "accepted", False: "rejected", None: "invalid"}[self.result.accepted]

    @property
    def exit_code(self) -> ExitCode:
        return {True: ExitCode.OK, False: ExitCode.FAILURE, None: ExitCode.USAGE}[self.result.accepted]

    def interval_text(self) -> str:
        """The accepted interval in interval notation, e.g. "[0.95, 1.05] nM"; "" when none."""
        if self.result.interval is None or self.ends_included is None:
            return ""
        low, high = self.result.interval
        left = "[" if self.ends_included[0] else "("
        right = "]" if self.ends_included[1] else ")"
        text = f"{left}{low:.10g}, {high:.10g}{right}"
        return f"{text} {self.unit}" if self.unit else text

    def to_json(self) -> dict:
        interval = None
        if self.result.interval is not None:
            low, high = self.result.interval
            interval = {"low": low, "high": high, "unit": self.unit,
                        "low_included": self.ends_included[0] if self.ends_included else None,
                        "high_included": self.ends_included[1] if self.ends_included else None}
        return {
            "verdict": self.verdict,
            "accepted": self.result.accepted,
            "expected": self.expected,
            "answer": self.answer,
            "rule": self.rule.to_json() | {"units": self.rule.units, "stack_test": self.stack_test},
            "interval": interval,
            "sigfigs_written": list(self.sigfigs_written) if self.sigfigs_written else None,
            "decimals_written": self.decimals_written,
            "note": self.result.note,
            "notes": list(self.result.notes),
            "message": self.result.message,
        }


_STACK_NAMES = {"relative": "NumRelative", "absolute": "NumAbsolute", "sigfigs": "NumSigFigs",
                "strict-sigfigs": "SigFigsStrict", "decimals": "NumDecPlaces"}
_STACK_UNITS = {"relative": "Relative", "absolute": "Absolute", "sigfigs": "", "decimals": "DecPlaces"}
_UNITS_RULE = {"relative": "relative", "absolute": "absolute", "sigfigs": "sigfigs", "decimals": "decplaces"}


def _check_unit(text: str, unit_text: str, what: str) -> None:
    """Raise an InputError pointing into ``text`` if ``unit_text`` is not a unit psyq reads."""
    from psyq.units import parse_unit

    offset = text.rfind(unit_text)
    if unit_text[:1] in ",.":
        raise InputError(f"{what}: unexpected '{unit_text[0]}' after the number", text=text,
                         position=offset if offset >= 0 else None,
                         hint="use a point as the decimal separator and no thousands separators")
    try:
        parse_unit(unit_text)
    except InputError as err:
        position = None if err.position is None or offset < 0 else offset + err.position
        raise InputError(f"{what}: {err.message}", text=text, position=position, hint=err.hint) from None


# What compare's reader saw, when it is not one written number (with a unit): said before any unit
# is looked at, so that "7/7 J" is not blamed on a "number inside a unit".
_COMMA_NUMBER = re.compile(r"\s*[+\-\u2212]?(\d+),(\d+)")
_CALL_OR_GROUP = re.compile(r"\s*(?:[A-Za-z]+\s*\(|[+\-\u2212]?\s*\()")
_POWER_AFTER = re.compile(r"(?:\^|\*\*)")
_SPACED_E = re.compile(r"[eE]\s*[+\-\u2212]?\s*(\d+)")
_OPERATOR_AFTER = re.compile(r"(?:[/+\-\u2212×÷]|\*(?!\*))\s*[\d.(]")
_ONE_NUMBER = "compare reads one written number (with a unit), nothing to work out"


def describe_form(text: str, what: str) -> InputError | None:
    """An error saying what ``text`` is, if it is not one written number with an optional unit.

    "an expression" (``7/7 J``, ``2*3``, ``ln(2)``), "a power of ten without a number before it"
    (``10^-3 kJ``), "scientific notation with a space" (``1.23 e 2``), "a decimal comma"
    (``3,14159``) or "a comma that may be a thousands separator" (``1,234``); ``None`` otherwise
    (the unit, if any, is then checked on its own).
    """
    comma = _COMMA_NUMBER.match(text)
    if comma:
        pos = comma.start(2) - 1
        whole, frac = comma.group(1), comma.group(2)
        if len(frac) == 3 and len(whole) <= 3 and not whole.startswith("0"):
            return InputError(f"{what}: a comma that may be a decimal comma or a thousands separator",
                              text=text, position=pos,
                              hint=f"compare reads a point as the decimal separator and no thousands separators: "
                                   f"write {whole}.{frac} or {whole}{frac}")
        return InputError(f"{what}: a decimal comma", text=text, position=pos,
                          hint=f"compare reads a point as the decimal separator: write {whole}.{frac}")
    number = read_number(text, what=what)
    if number is None:
        call = _CALL_OR_GROUP.match(text)
        if call:
            return InputError(f"{what}: an expression; compare reads one written number", text=text,
                              position=len(text) - len(text.lstrip()),
                              hint="work it out and type the result, e.g. 0.693 rather than ln(2)")
        return None
    rest = text[number.end:]
    after = rest.lstrip()
    pos = number.end + len(rest) - len(after)
    if _POWER_AFTER.match(after):
        if number.mantissa == "10" and number.exponent == 0:
            power = after.lstrip("^*").strip().split(" ")[0]
            return InputError(f"{what}: a power of ten without a number before it", text=text,
                              position=number.start,
                              hint=f"{_ONE_NUMBER}: write 1e{power} or 1*10^{power}")
        return InputError(f"{what}: an expression (a power); compare reads one written number", text=text,
                          position=pos, hint=f"{_ONE_NUMBER}: write the result, or 1.2*10^-3 for a power of ten")
    spaced = _SPACED_E.match(after)
    if spaced and (rest[:1].isspace() or after[1:2].isspace()):
        digits = re.sub(r"\s", "", after[:spaced.end()])[1:]
        return InputError(f"{what}: scientific notation with a space", text=text, position=pos,
                          hint=f"write it without spaces: {number.text}e{digits}")
    if _OPERATOR_AFTER.match(after):
        return InputError(f"{what}: an expression; compare reads one written number", text=text,
                          position=pos, hint="work it out and type the result (the template grader, "
                                             "psyq answer, also takes 3/4 and ln(2)*14)")
    if after.startswith(","):
        return InputError(f"{what}: a comma after the number", text=text, position=pos,
                          hint="compare reads a point as the decimal separator and no thousands separators")
    return None


def _check_form(text: str, what: str) -> None:
    error = describe_form(text, what)
    if error is not None:
        raise error


def _ends(rule: Rule, result: RuleResult) -> tuple[bool, bool] | None:
    if result.interval is None:
        return None
    if rule.name in ("relative", "absolute"):  # STACK's 1e-9 margin: the ends are accepted
        return (True, True)
    if rule.name == "decimals":  # round half away from zero: [r − h, r + h) for r ≥ 0
        return (True, False) if result.interval[0] + result.interval[1] >= 0 else (False, True)
    return (False, False)


def compare(expected: str, answer: str, rule: Rule | None = None) -> Comparison:
    """Grade ``answer`` against ``expected`` under ``rule`` (default: relative 5 %, as STACK).

    Either side may carry a unit ("0.25 µM", "250 nM"); then STACK's Units tests apply: compatible
    units are converted (or, with ``units="strict"``, must be the expected unit), an answer without a
    unit is "units missing".  Raises :class:`InputError` when EXPECTED or ANSWER cannot be read at all;
    an answer that is readable but not valid under the rule comes back with verdict "invalid".
    """
    rule = rule or Rule()
    _check_form(expected, "EXPECTED")
    if answer.strip():
        _check_form(answer, "answer")
    if rule.name == "absolute":
        _check_form(str(rule.option), "--atol")
    e_number, e_unit = split_number_unit(expected)
    if not e_number:
        raise InputError("EXPECTED must start with a number", text=expected,
                         position=len(expected) - len(expected.lstrip()),
                         hint="e.g. 0.25, 1.2e-3 or '0.25 µM'")
    if e_unit:
        _check_unit(expected, e_unit, "EXPECTED")
    if not answer.strip():
        raise InputError("the answer is empty", text=answer, hint="type a number, with a unit if any")
    a_number, a_unit = split_number_unit(answer)
    counted = sigfig_range(a_number) if a_number else None
    decimals = decimal_places(a_number) if a_number else None
    unit_mode = rule.units is not None or bool(e_unit)

    if rule.name == "strict-sigfigs":  # STACK SigFigsStrict: the value and any unit are not looked at
        if not a_number:
            parse_number(answer)  # raises, pointing at the text
        result = sigfigs_strict(answer, rule.option)  # type: ignore[arg-type]
        return Comparison(expected, answer, rule, "SigFigsStrict", result, e_unit, None, counted, decimals)

    if unit_mode:
        if not e_unit:
            raise UsageError("--units needs a unit in EXPECTED", hint="e.g. psyq compare '0.25 µM' '250 nM' --units convert")
        if a_unit and a_number:
            _check_unit(answer, a_unit, "answer")
        if rule.name == "absolute":
            tol_number, tol_unit = split_number_unit(str(rule.option))
            if tol_unit:
                _check_unit(str(rule.option), tol_unit, "--atol")
        option = rule.option
        result = units_rule(answer, expected, _UNITS_RULE[rule.name], option, strict=rule.units == "strict")
        stack = "Units" + ("Strict" if rule.units == "strict" else "") + _STACK_UNITS[rule.name]
        from psyq.units import parse_unit

        unit_text = parse_unit(e_unit).text or e_unit
        return Comparison(expected, answer, rule, stack, result, unit_text, _ends(rule, result),
                          counted, decimals)

    # No units anywhere: the answer must be a number alone.
    if a_unit and a_number:
        _check_unit(answer, a_unit, "answer")
        raise UsageError(f"the answer has a unit ({a_unit}) but EXPECTED has none",
                         hint="give EXPECTED its unit to grade units, e.g. '0.25 µM'")
    parse_number(answer)  # raises, with a pointer, for anything that is not one number
    t = parse_number(e_number, what="expected value").value
    if rule.name == "relative":
        result = num_relative(answer, t, rule.option)  # type: ignore[arg-type]
    elif rule.name == "absolute":
        tol_number, tol_unit = split_number_unit(str(rule.option))
        if tol_unit:
            raise UsageError(f"--atol has a unit ({tol_unit}) but EXPECTED has none",
                             hint="give EXPECTED its unit too")
        result = num_absolute(answer, t, tol_number)
    elif rule.name == "sigfigs":
        n, m = rule.option  # type: ignore[misc]
        result = num_sigfigs(answer, t, n, m)
    else:
        result = num_decplaces(answer, t, rule.option)  # type: ignore[arg-type]
    return Comparison(expected, answer, rule, _STACK_NAMES[rule.name], result, "", _ends(rule, result),
                      counted, decimals)
