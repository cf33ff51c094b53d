"""Reading typed answers: numbers, arithmetic, units, words, decimal commas."""

import math

import pytest

from psyq.answers import parse_answer
from psyq.errors import InputError


@pytest.mark.parametrize("text, value, unit", [
    ("0.801", 0.801, None), ("80.1%", 80.1, "%"), ("80.1 %", 80.1, "%"), ("1.16 nM", 1.16, "nM"),
    ("0.00116 µM", 0.00116, "µM"), ("0.00116 uM", 0.00116, "µM"), ("1.16e-9 M", 1.16e-9, "M"),
    ("1.16 nmol/L", 1.16, "nmol/L"), ("17.8 ng/mL", 17.8, "ng/mL"), ("44 d", 44, "d"),
    ("6.3 weeks", 6.3, "wk"), ("1.2×10^-3", 1.2e-3, None), ("1.2 x 10^-3", 1.2e-3, None),
    ("1.2·10⁻³ M", 1.2e-3, "M"), ("3/4", 0.75, None), ("ln(2)*14", math.log(2) * 14, None),
    ("ln(2)*14 d", math.log(2) * 14, "d"), ("0,8", 0.8, None), ("0,116 µM", 0.116, "µM"),
    ("12*m", 12, "m"), ("-9.81 m/s^2", -9.81, "m/s^2"), ("7.54E-5 (s M)^-1", 7.54e-5, None),
])
def test_reads_what_people_type(text, value, unit):
    parsed = parse_answer(text)
    assert parsed.value == pytest.approx(value)
    if unit is None:
        if parsed.unit is not None:
            assert parsed.unit.text not in ("nM", "%")
    else:
        assert parsed.unit.text == unit


def test_number_as_written_is_kept_for_significant_figures():
    assert parse_answer("0.80 %").number_text == "0.80"
    assert parse_answer("1.50e-3 M").number_text == "1.50e-3"
    assert parse_answer("ln(2)").number_text is None


@pytest.mark.parametrize("text", ["not attainable", "Not attainable.", "impossible", "none", "N/A",
                                  "unattainable", "no dose"])
def test_words_for_an_unattainable_target(text):
    parsed = parse_answer(text)
    assert parsed.word == "not attainable" and parsed.value is None


@pytest.mark.parametrize("text, fragment, position", [
    ("", "empty", 0),
    ("1,160", "thousands separator", 1),
    ("1,5,3", "decimal commas", 1),
    ("abc", "cannot read 'abc'", 0),
    ("nM", "no number", 0),
    ("12 nmo", "nmo", 3),
    ("5 \u041c", None, 2),  # Cyrillic capital em, not M
    ("1\u200b2", "invisible", 1),
    ("x" * 500, "too long", None),
    ("8O %", "zero typed as the letter O", 1),  # the letter O is the problem, not the percent sign
    ("80 xyz %", "unknown unit 'xyz' before the percent sign", 3),
    ("80 nM %", "percent sign must stand alone", 6),
])
def test_refusals_point_at_the_problem(text, fragment, position):
    with pytest.raises(InputError) as info:
        parse_answer(text)
    if fragment:
        assert fragment in str(info.value)
    if position is not None:
        assert info.value.position == position
