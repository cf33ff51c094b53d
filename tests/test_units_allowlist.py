"""The unit allow-list (docs/grading.md §1.1): what psyq reads, what it refuses and how, and that no
unit text — every name pint knows included — crashes or overflows in any path that reads units."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from psyq.cli import app
from psyq.errors import InputError, PsyqError, TemplateError
from psyq.units import DIMS_COUNT, MAX_LOG10_FACTOR, convert, parse_unit

runner = CliRunner()
HUGE = ["1 (Ypc^6)^2", "1 (Ym^6)^2", "1 (YL^4)^3", "2 (ym^6)^2"]


def one_line_error(exc: BaseException) -> str:
    text = str(exc)
    assert "\n" not in text.strip(), text
    return text


# A pharmacology, chemistry or physiology student's units, as they write them.
READ = {
    "nM": 1e-6, "µM": 1e-3, "uM": 1e-3, "mM": 1.0, "M": 1e3, "mol": 1.0, "mmol": 1e-3,
    "mg": 1e-6, "µg": 1e-9, "mcg": 1e-9, "kg": 1.0, "Mg": 1e3, "mL": 1e-6, "dL": 1e-4, "L": 1e-3,
    "cc": 1e-6, "s": 1.0, "ms": 1e-3, "min": 60.0, "h": 3600.0, "d": 86400.0, "wk": 604800.0,
    "Da": 1e-3, "kDa": 1.0, "%": 0.01, "Bq": 1.0, "MBq": 1e6, "GBq": 1e9, "Ci": 3.7e10,
    "mCi": 3.7e7, "µCi": 3.7e4, "Pa": 1.0, "kPa": 1e3, "mmHg": 133.322387415, "J": 1.0, "kJ": 1e3,
    "cal": 4.184, "kcal": 4184.0, "N": 1.0, "m": 1.0, "cm": 1e-2, "µm": 1e-6, "nm": 1e-9, "K": 1.0,
    "Hz": 1.0, "W": 1.0, "mV": 1e-3, "pA": 1e-12, "nS": 1e-9, "µF": 1e-6, "Gy": 1.0, "mSv": 1e-3,
    "kat": 1.0, "bar": 1e5, "atm": 101325.0, "kWh": 3.6e6, "eV": 1.602176634e-19,
    "meter": 1.0, "meters": 1.0, "millilitre": 1e-6, "kilopascal": 1e3, "kilocalories": 4184.0,
    "hours": 3600.0, "mg/kg": 1e-6, "mL/min": 1e-6 / 60, "J/(mol·K)": 1.0, "N·m": 1.0,
    "L/h/kg": 1e-3 / 3600,
}


@pytest.mark.parametrize("text,factor", sorted(READ.items()))
def test_allow_listed_units_are_read(text, factor):
    assert parse_unit(text).factor == pytest.approx(factor, rel=1e-12)


@pytest.mark.parametrize("text,words", [
    ("me", "unknown unit 'me'"),            # pint: milli-elementary-charge
    ("ke", "unknown unit 'ke'"),
    ("ue", "unknown unit 'ue'"),
    ("µe", "unknown unit 'µe'"),
    ("e", "'e' is not a unit"),
    ("Nm", "did you mean N·m"),              # pint: number_meter, a yarn count
    ("Ns", "did you mean N·s"),
    ("G", "'G' is a prefix (giga), not a unit"),  # pint: the gauss, a fractional dimension
    ("k", "'k' is a prefix (kilo), not a unit"),
    ("mEq", "depends on the ion's charge"),
    ("IU", "depends on the substance"),
    ("°C", "temperature scale"),
    ("degC", "temperature scale"),
    ("furlong", "unknown unit 'furlong'"),
    ("Ypc", "unknown unit 'Ypc'"),
    ("pint", "unknown unit 'pint'"),
    ("number_meter", "unexpected character '_'"),
])
def test_other_names_are_refused_with_a_reason(text, words):
    with pytest.raises(InputError) as exc:
        parse_unit(text)
    assert words in one_line_error(exc.value)


def test_patients_is_a_count_unit():
    u = parse_unit("patients")
    assert parse_unit("patient").same_as(u) and u.dims == DIMS_COUNT and u.describe_dims() == "count"
    with pytest.raises(PsyqError):
        convert(25.0, u, parse_unit("%"))


def test_unit_factor_beyond_the_bound_is_refused_before_any_power_is_taken():
    with pytest.raises(InputError) as exc:
        parse_unit("(Ym^6)^2")
    assert "too large or too small" in one_line_error(exc.value) and "10^288" in str(exc.value)
    assert abs(__import__("math").log10(parse_unit("(km^6)^2").factor)) <= MAX_LOG10_FACTOR


@pytest.mark.parametrize("answer", HUGE)
def test_answer_command_refuses_a_huge_unit_in_one_line(answer):
    res = runner.invoke(app, ["answer", "snri-engagement", "--seed", "1", answer])
    assert res.exit_code == 2, res.output
    assert not isinstance(res.exception, OverflowError)
    assert "Traceback" not in res.output and ("unknown unit" in res.output or "too large" in res.output)


@pytest.mark.parametrize("answer", HUGE)
def test_compare_refuses_a_huge_unit_in_one_line(answer):
    for args in (["compare", "1 m", answer], ["compare", answer, "1 m"],
                 ["compare", "--atol", answer, "1 m", "1 m"]):
        res = runner.invoke(app, args)
        assert res.exit_code == 2, (args, res.output)
        assert not isinstance(res.exception, OverflowError), args
        assert "Traceback" not in res.output


@pytest.mark.parametrize("given", HUGE)
def test_given_refuses_a_huge_unit(given):
    res = runner.invoke(app, ["show", "snri-engagement", "--seed", "1", "--given", f"dose={given}"])
    assert res.exit_code == 2, res.output
    assert not isinstance(res.exception, OverflowError)


def test_practice_grading_refuses_a_huge_unit():
    from psyq import bank
    from psyq.grading import grade
    from psyq.instance import generate

    part = generate(bank.load("snri-engagement"), 1).parts[0]
    for answer in HUGE:
        v = grade(part, answer)  # what practice calls for each typed answer
        assert v.status == "invalid" and "\n" not in v.feedback


def test_assignment_given_refuses_a_huge_unit():
    from psyq.homework.assignment import compile_assignment, loads_assignment

    text = "id: hw1\ntitle: T\nitems:\n  - template: snri-engagement\n    given: {dose: '1 (Ypc^6)^2'}\n"
    with pytest.raises(PsyqError) as exc:
        compile_assignment(loads_assignment(text, file="hw1.yaml"))
    one_line_error(exc.value)


@pytest.mark.parametrize("unit", ["(Ypc^6)^2", "(Ym^6)^2"])
def test_template_unit_beyond_the_bound_is_a_template_error(unit):
    from psyq.template import loads_template

    text = (Path(__file__).parent / "hostile" / "templates" / "unit-unknown.yaml").read_text()
    text = text.replace("furlong_per_fortnight_squared", f'"{unit}"')
    with pytest.raises(TemplateError):
        loads_template(text, file="t.yaml")


def _pint_names() -> list[str]:
    pint = pytest.importorskip("pint")
    ureg = pint.UnitRegistry()
    names = set()
    for name, definition in ureg._units.items():
        names.add(name)
        names.update(getattr(definition, "aliases", ()) or ())
        symbol = getattr(definition, "symbol", None)
        if symbol:
            names.add(symbol)
    prefixes = {p for p in ureg._prefixes if p} | {d.symbol for d in ureg._prefixes.values() if d.symbol}
    base = sorted(names)
    # prefixed forms where cheap: every prefix on the short names (symbols), a few on every name
    prefixed = {p + n for p in prefixes for n in base if len(n) <= 3}
    prefixed |= {p + n for p in ("k", "m", "µ", "u", "M", "G", "Y", "kilo", "milli") for n in base}
    return sorted(set(base) | prefixed)


def test_no_name_pint_knows_crashes_psyq():
    names = _pint_names()
    assert len(names) > 20000
    read = refused = 0
    for name in names:
        for text in (name, f"({name}^6)^2", f"{name}/h"):
            try:
                parse_unit(text)
                read += 1
            except PsyqError as exc:
                one_line_error(exc)
                refused += 1
    assert read > 100 and refused > 10000


def test_no_name_pint_knows_crashes_an_answer_or_compare():
    from psyq.answers import parse_answer
    from psyq.compare import compare

    for name in _pint_names()[::7]:
        for text in (f"1 {name}", f"1 ({name}^6)^2"):
            try:
                parse_answer(text)
            except PsyqError as exc:
                one_line_error(exc)
            try:
                compare("1 m", text)
            except PsyqError as exc:
                one_line_error(exc)
