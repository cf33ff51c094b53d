"""One boundary rule for tolerances in every path, exact at the ends (docs/grading.md §4.1–4.2).

The template grader (``grading.within``/``grade``), homework regrading (``PartInstance.regrade``),
``psyq compare`` (``--rtol`` / ``--atol``) and the intervals written into exports all accept
|s − t| ≤ atol + rtol·|t| on the decimals as written, ends included.
"""

from __future__ import annotations

import copy
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from psyq import bank
from psyq.compare import compare, make_rule
from psyq.grading import accepted_interval, grade, within
from psyq.instance import generate


def test_absolute_ends_are_both_accepted():
    # 1.1 - 1.0 is 0.10000000000000009 in binary; 1.2 - 1.1 is 0.09999999999999987.
    assert within(1.0, 1.1, 0, 0.1) is True
    assert within(1.2, 1.1, 0, 0.1) is True
    assert within(0.9999, 1.1, 0, 0.1) is False
    assert within(1.2001, 1.1, 0, 0.1) is False


def test_relative_ends_are_both_accepted():
    assert within(0.95, 1.0, 0.05, 0) and within(1.05, 1.0, 0.05, 0)
    assert not within(1.0501, 1.0, 0.05, 0)


def test_accepted_interval_ends_are_the_decimal_ends():
    assert accepted_interval(1.1, 0, 0.1) == (1.0, 1.2)
    assert accepted_interval(0.3, 0.1, 0.01) == (0.26, 0.34)


@pytest.fixture()
def part_11():
    """A real part, regraded as an assignment item does, with its value set to 1.1."""
    p = copy.deepcopy(generate(bank.load("occupancy-from-ki"), 1,
                               {"drug": "sertraline", "Ki": 0.29, "C": 1.16}).part("a"))
    p.value = 1.1
    p.regrade(rtol=0.0, atol=0.1)
    return p


def test_part_interval_and_grade_accept_both_ends(part_11):
    assert (part_11.low, part_11.high) == (1.0, 1.2)
    assert grade(part_11, "1.0").status == "correct"
    assert grade(part_11, "1.2").status == "correct"
    assert grade(part_11, "0.99").status == "incorrect"


def test_homework_tolerance_override_uses_the_same_rule(part_11):
    from types import SimpleNamespace

    from psyq.homework.grading import apply_tolerance

    apply_tolerance(SimpleNamespace(item=SimpleNamespace(rule=None, rtol=None, atol=0.1)), part_11)
    assert (part_11.low, part_11.high) == (1.0, 1.2)
    assert grade(part_11, "1.0 %").status == "correct"


def test_compare_atol_and_rtol_accept_both_ends():
    assert compare("1.1", "1.0", make_rule(atol="0.1")).verdict == "accepted"
    assert compare("1.1", "1.2", make_rule(atol="0.1")).verdict == "accepted"
    assert compare("1.1", "0.98", make_rule(rtol="0.1")).verdict == "rejected"  # 1.1 ± 0.11
    assert compare("1.1", "0.99", make_rule(rtol="0.1")).verdict == "accepted"


# Decimals with at most 12 significant digits: repr(float(d)) reads back as d, so the grader (which
# sees floats) and compare (which reads text) are given the same numbers.
_mantissa = st.integers(min_value=-10**6, max_value=10**6)
_exp = st.integers(min_value=-6, max_value=4)
_dec = st.builds(lambda m, e: Decimal(m).scaleb(e), _mantissa, _exp)
_tol = st.builds(lambda m, e: Decimal(m).scaleb(e), st.integers(0, 10**4), st.integers(-5, 1))


def _student(t: Decimal, tol: Decimal, relative: bool, where: str, other: Decimal) -> Decimal:
    width = abs(t) * tol if relative else tol
    return {"low": t - width, "high": t + width, "other": other}[where]


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(t=_dec, tol=_tol, relative=st.booleans(), where=st.sampled_from(["low", "high", "other"]),
       other=_dec)
@example(t=Decimal("1.1"), tol=Decimal("0.1"), relative=False, where="low", other=Decimal(0))
@example(t=Decimal("1.1"), tol=Decimal("0.1"), relative=False, where="high", other=Decimal(0))
@example(t=Decimal("-0.3"), tol=Decimal("0.1"), relative=True, where="low", other=Decimal(0))
def test_grader_and_compare_agree(t, tol, relative, where, other):
    s = _student(t, tol, relative, where, other)
    s_text, t_text = format(s.normalize(), "f"), format(t.normalize(), "f")
    if len(s_text.lstrip("-").replace(".", "").lstrip("0")) > 15:
        s_text = format(s.normalize(), "e")
    rule = make_rule(rtol=str(tol)) if relative else make_rule(atol=str(tol))
    via_compare = compare(t_text, s_text, rule).result.accepted
    rtol, atol = (float(tol), 0.0) if relative else (0.0, float(tol))
    via_grader = within(float(Decimal(s_text)), float(t), rtol, atol)
    assert via_compare == via_grader, (t_text, s_text, str(tol), relative)
    if where != "other":
        assert via_grader is True  # the ends are accepted
    # the interval exports write holds the student's value exactly when the rule accepts it
    low, high = accepted_interval(float(t), rtol, atol)
    if where != "other":
        assert low <= float(Decimal(s_text)) <= high


def test_export_interval_has_the_exact_ends():
    """What exports write (QTI's gte/lte, Canvas's range, Moodle's and GIFT's value ± tolerance)."""
    from types import SimpleNamespace

    from psyq.export import common as C

    part = SimpleNamespace(value=1.1, rtol=0.0, atol=0.1, low=1.1 - 0.1, high=1.1 + 0.1,
                           spec=SimpleNamespace(rule=None))
    assert part.high != 1.2  # the binary arithmetic every export used: 1.2000000000000002
    centre, half, low, high, rule = C.accepted(part)
    assert (low, high) == (1.0, 1.2) and centre == 1.1 and C.plain_number(half) == "0.1"
