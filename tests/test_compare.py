"""`psyq compare` and the rules behind it: exit codes, --json, units convert vs strict, hostile input."""

from __future__ import annotations

import json
import subprocess
import sys
from decimal import Decimal

import pytest
from _work import work_bounded
import typer
from typer.testing import CliRunner

from psyq.commands.compare import compare as compare_command
from psyq.compare import UsageError, compare, make_rule
from psyq.errors import ExitCode, InputError
from psyq.numeric_rules import (
    RuleResult,
    decimal_places,
    num_relative,
    num_sigfigs,
    parse_number,
    round_half_up,
    sigfig_range,
    split_number_unit,
    units_rule,
)

app = typer.Typer()
app.command(name="compare")(compare_command)


@app.command(name="other")
def _other() -> None:  # a second command, so that "compare" is a sub-command as in psyq's CLI
    pass


runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, ["compare", *args])


def run_json(*args: str) -> tuple[int, dict]:
    result = run(*args, "--json")
    return result.exit_code, json.loads(result.stdout)


# --------------------------------------------------------------------------------------------------
# Exit codes


@pytest.mark.parametrize("args, code", [
    (("1", "1.05"), ExitCode.OK),  # the default rule: relative 5 %, ends included
    (("1", "1.051"), ExitCode.FAILURE),
    (("1", "abc"), ExitCode.USAGE),  # unreadable answer
    (("1", ""), ExitCode.USAGE),
    (("abc", "1"), ExitCode.USAGE),  # unreadable EXPECTED
    (("1", "2", "--rtol", "0.1", "--atol", "1"), ExitCode.USAGE),  # two rules
    (("1", "1", "--units", "sometimes"), ExitCode.USAGE),
    (("1", "1", "--sigfigs", "0"), ExitCode.USAGE),
    (("1", "1", "--sigfigs", "1,2,3"), ExitCode.USAGE),
    (("1", "1", "--decimals", "x"), ExitCode.USAGE),
    (("1", "1 nM"), ExitCode.USAGE),  # a unit in the answer but not in EXPECTED
    (("3.1415927", "3.142", "--sigfigs", "4"), ExitCode.OK),
    (("3.1415927", "3.1416", "--sigfigs", "4"), ExitCode.FAILURE),
    (("3.143", "3.14", "--decimals", "2"), ExitCode.OK),
    (("7", "7.000", "--decimals", "4"), ExitCode.FAILURE),
    (("0", "100", "--strict-sigfigs", "1"), ExitCode.OK),
    (("0", "100", "--strict-sigfigs", "3"), ExitCode.FAILURE),
    (("2.0", "2.5", "--atol", "0.5"), ExitCode.OK),
    (("1", "1.04", "--rtol", "5%"), ExitCode.OK),
    (("--", "-9.81", "-9.8"), ExitCode.OK),  # a negative EXPECTED after --
    (("−9.81", "−9.8"), ExitCode.OK),  # or typed with U+2212
])
def test_exit_codes(args, code):
    result = run(*args)
    assert result.exit_code == code, result.output


def test_human_output_says_verdict_rule_interval_and_notes():
    result = run("0.25 µM", "250 nM", "--sigfigs", "2")
    assert result.exit_code == 0
    out = result.stdout
    assert out.startswith("accepted")
    assert "STACK Units" in out
    assert "(0.245, 0.255) µM" in out
    assert "2–3 significant figures (trailing zeros are ambiguous)" in out
    assert "UNITS_COMPATIBLE" in out


def test_unreadable_answer_points_at_the_token():
    result = run("1", "1,5")
    assert result.exit_code == 2
    assert "decimal separator" in result.stderr
    assert "  1,5\n   ^" in result.stderr


def test_help_has_a_pasteable_example():
    result = run("--help")
    assert result.exit_code == 0
    assert 'psyq compare "0.25 µM" "250 nM" --sigfigs 2' in result.stdout


# --------------------------------------------------------------------------------------------------
# --json


def test_json_fields():
    code, data = run_json("1", "1.1")
    assert code == 1
    assert data["verdict"] == "rejected" and data["accepted"] is False
    assert data["interval"] == {"low": 0.95, "high": 1.05, "unit": "", "low_included": True,
                                "high_included": True}
    assert data["sigfigs_written"] == [2, 2] and data["decimals_written"] == 1
    assert data["note"] == "ACC_OUTSIDE" and data["notes"] == ["ACC_OUTSIDE"]
    assert data["rule"] == {"name": "relative", "rtol": 0.05, "units": None, "stack_test": "NumRelative"}
    assert data["message"]


def test_json_sigfigs_interval_is_open_and_counts_the_written_range():
    code, data = run_json("999", "1000", "--sigfigs", "2")
    assert code == 0
    assert data["interval"]["low"] == 950 and data["interval"]["high"] == 1050
    assert data["interval"]["low_included"] is False and data["interval"]["high_included"] is False
    assert data["sigfigs_written"] == [1, 4]
    assert data["notes"] == ["SF_WITHIN_RANGE", "ACC_OK"]
    assert data["rule"]["n"] == 2 and data["rule"]["m"] == 2 and data["rule"]["stack_test"] == "NumSigFigs"


def test_json_decimals_interval_is_half_open():
    code, data = run_json("3.143", "3.14", "--decimals", "2")
    assert code == 0
    assert (data["interval"]["low"], data["interval"]["high"]) == (3.135, 3.145)
    assert (data["interval"]["low_included"], data["interval"]["high_included"]) == (True, False)


def test_json_invalid_answer():
    code, data = run_json("1", "abc")
    assert code == 2
    assert data["verdict"] == "invalid" and data["accepted"] is None
    assert "number" in data["error"] and data["position"] == 0


def test_json_wrong_digits_note():
    code, data = run_json("999", "1E3", "--sigfigs", "2")
    assert code == 1
    assert data["note"] == "SF_WRONG_DIGITS"


# --------------------------------------------------------------------------------------------------
# Units: convert vs strict


def test_units_convert_accepts_a_compatible_unit():
    code, data = run_json("0.025 kg", "25 g", "--sigfigs", "2")
    assert code == 0
    assert data["notes"] == ["SF_OK", "ACC_OK", "UNITS_COMPATIBLE"]
    assert data["rule"]["stack_test"] == "Units"
    assert data["interval"]["unit"] == "kg"


def test_units_strict_rejects_a_compatible_unit_and_says_why():
    code, data = run_json("0.025 kg", "25 g", "--sigfigs", "2", "--units", "strict")
    assert code == 1
    assert data["note"] == "UNITS_NOT_AS_ASKED"
    assert data["rule"]["stack_test"] == "UnitsStrict"
    assert "give it in kg" in data["message"]


def test_units_strict_accepts_the_same_unit_spelt_differently():
    code, data = run_json("12 nM", "12 nmol/L", "--units", "strict")
    assert code == 0
    assert "UNITS_MATCH" in data["notes"]


@pytest.mark.parametrize("expected, answer, note, words", [
    ("0.25 µM", "0.25 nM", "UNITS_RIGHT_NUMBER", "right number, wrong unit"),
    ("12.3 m/s", "12.3 m", "UNITS_INCOMPATIBLE", "right number"),
    ("0.25 µM", "250 ng/mL", "UNITS_INCOMPATIBLE", "incompatible units"),
    ("0.25 µM", "250", "UNITS_MISSING", "give the unit"),
    ("12.3 m/s", "m/s", "UNITS_ONLY", "give a number"),
])
def test_unit_feedback(expected, answer, note, words):
    code, data = run_json(expected, answer)
    assert code == 1
    assert data["note"] == note
    assert words in data["message"].lower()


def test_units_absolute_tolerance_with_a_unit_is_converted():
    result = run("--atol", "5 kJ", "--json", "--", "-123 kJ", "-123006 J")
    data = json.loads(result.stdout)
    assert result.exit_code == 0
    assert (data["interval"]["low"], data["interval"]["high"]) == (-128, -118)
    assert run("--atol", "5 kJ", "--", "-123 kJ", "-129006 J").exit_code == 1
    assert run("--atol", "5 s", "--", "-123 kJ", "-123006 J").exit_code == 2  # incompatible tolerance


def test_converted_sigfigs_are_judged_in_the_expected_unit():
    # 0.26 d = 6.24 h is not 6.0 h to 2 significant figures (STACK's SI-base grid would accept it).
    assert run("6.0 h", "0.26 d", "--sigfigs", "2").exit_code == 1
    assert run("6.0 h", "0.25 d", "--sigfigs", "2").exit_code == 0


def test_unknown_unit_is_invalid_with_a_pointer():
    result = run("1 nM", "1 nMx")
    assert result.exit_code == 2
    assert "^" in result.stderr


# --------------------------------------------------------------------------------------------------
# Hostile input: refused, and fast


@pytest.mark.parametrize("answer", [
    "1e999999999",  # STACK#200: an answer 960 million orders of magnitude off
    "1*10^999999999",
    "9" * 10_000,
    "9**9**9",
    "__import__('os').system('echo hi')",
    "1 " + "(" * 500 + "m" + ")" * 500,
    "1 m^999999999",
    "1\x00",
    "1e" + "9" * 5000,
    "(" * 100_000,
])
def test_hostile_answers_are_refused_fast(answer):
    from psyq import units

    units.parse_unit("kPa")  # pint's registry: 1.1 M calls once a process, not this answer's work
    with work_bounded(calls=200_000, what=answer[:20]):  # 12,671 measured, mostly the CLI runner
        result = run("1 m" if " " in answer[:3] else "1", answer)
    assert result.exit_code == 2, result.output


def test_huge_but_bounded_numbers_are_graded_exactly():
    assert run("1e400", "1.04e400").exit_code == 0
    assert run("1e-400", "1.06e-400").exit_code == 1
    assert run("1e400", "1e-400", "--sigfigs", "1").exit_code == 1


def test_importing_the_command_stays_light():
    code = ("import sys, psyq.commands.compare, psyq.numeric_rules, psyq.compare; "
            "heavy = [m for m in ('numpy', 'sympy', 'pint') if m in sys.modules]; "
            "assert not heavy, heavy")
    subprocess.run([sys.executable, "-c", code], check=True)


# --------------------------------------------------------------------------------------------------
# The library behind the command


def test_default_rule_is_relative_five_percent():
    rule = make_rule()
    assert rule.name == "relative" and rule.option == Decimal("0.05")
    assert compare("1", "1.05").verdict == "accepted"
    assert compare("1", "0.949").verdict == "rejected"


def test_make_rule_refuses_two_rules():
    with pytest.raises(UsageError):
        make_rule(rtol="0.1", sigfigs="2")


def test_sigfig_counting_as_stack():
    assert sigfig_range("2000") == (1, 4)
    assert sigfig_range("0.0010") == (2, 2)
    assert sigfig_range("100.") == (3, 3)
    assert sigfig_range("1.00e3") == (3, 3)
    assert sigfig_range("1.2×10^-3") == (2, 2)
    assert decimal_places("4.320e-3") == 3
    with pytest.raises(InputError):
        sigfig_range("abc")


def test_round_half_up_on_the_number_as_written():
    assert round_half_up("0.04985", sigfigs=3) == Decimal("0.0499")
    assert round_half_up(0.04985, sigfigs=3) == Decimal("0.0499")  # a float is read through its repr
    assert round_half_up("61250", sigfigs=3) == Decimal(61300)
    assert round_half_up("3.45", decimals=1) == Decimal("3.5")
    assert round_half_up("-2.5", decimals=0) == Decimal(-3)
    assert str(round_half_up("9.96", sigfigs=2)) == "10"
    with pytest.raises(ValueError):
        round_half_up("1.5", sigfigs=2, decimals=1)


@pytest.mark.parametrize("text, number, unit", [
    ("12.3 m/s", "12.3", "m/s"),
    ("12*m/s", "12", "m/s"),
    ("1.2e-3", "1.2e-3", ""),
    ("1.2E3 M", "1.2E3", "M"),
    ("1.2*10^-3 M", "1.2*10^-3", "M"),
    ("1.2×10^(-3) mg", "1.2×10^(-3)", "mg"),
    ("1.2x10^3", "1.2x10^3", ""),
    ("1.2·10⁻³ g", "1.2·10⁻³", "g"),
    ("−42.5 nM", "−42.5", "nM"),
    ("+.5", "+.5", ""),
    ("5 eV", "5", "eV"),
    ("m/s", "", "m/s"),
    ("80 %", "80", "%"),
])
def test_split_number_unit(text, number, unit):
    assert split_number_unit(text) == (number, unit)


def test_number_values_are_exact():
    assert parse_number("1.2×10^-3").value == Decimal("0.0012")
    assert parse_number("−5").value == Decimal(-5)
    with pytest.raises(InputError) as err:
        parse_number("1.2e401")
    assert err.value.position == 4


def test_rule_result_note_is_the_deciding_tag():
    result = num_sigfigs("-3.149", 3.1415927, 4)
    assert isinstance(result, RuleResult)
    assert result.notes == ("SF_OK", "SF_WRONG_SIGN", "SF_VERY_INACCURATE")
    assert result.note == "SF_WRONG_SIGN"
    assert num_relative("1", 1).note == "ACC_OK"


def test_invalid_options_are_not_marks():
    assert num_sigfigs("1", 1, None).accepted is None
    assert num_sigfigs("1", 1, [1, 2, 3]).note == "OPTION_INVALID"
    assert units_rule("9.81 m", "12.3", "sigfigs", 3).note == "UNITS_TEACHER_MISSING"


@pytest.mark.parametrize("expected,answer,said,pointer", [
    ("1 J", "7/7 J", "answer: an expression; compare reads one written number", "  7/7 J\n   ^"),
    ("1 J", "2*3", "answer: an expression; compare reads one written number", "  2*3\n   ^"),
    ("1 J", "ln(2) J", "answer: an expression; compare reads one written number", "  ln(2) J\n  ^"),
    ("1 J", "10^-3 kJ", "answer: a power of ten without a number before it", "  10^-3 kJ\n  ^"),
    ("1 J", "1.23 e 2", "answer: scientific notation with a space", "  1.23 e 2\n       ^"),
    ("1", "3,14159", "answer: a decimal comma", "  3,14159\n   ^"),
    ("1", "1,234", "answer: a comma that may be a decimal comma or a thousands separator", "  1,234\n   ^"),
    ("7/7 J", "1 J", "EXPECTED: an expression", "  7/7 J\n   ^"),
])
def test_reader_says_what_it_saw(expected, answer, said, pointer):
    result = run(expected, answer)
    assert result.exit_code == 2
    assert said in result.stderr and pointer in result.stderr
    assert "unit" not in result.stderr.splitlines()[0]  # no unit is blamed


def test_atol_reader_says_what_it_saw():
    result = run("--atol", "10^-3 kJ", "1 J", "1 J")
    assert result.exit_code == 2 and "--atol: a power of ten without a number before it" in result.stderr


@pytest.mark.parametrize("answer", ["1e3 kJ", "1.2 * 10^-3 J", "12*J", "5 J", "1.2×10^-3 J"])
def test_numbers_with_units_are_still_read(answer):
    assert run("1 J", answer).exit_code in (0, 1)
