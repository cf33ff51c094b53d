"""The allow-list expression parser: what it reads, what it refuses, and where it points."""

import math

import pytest
from _work import work_bounded

from psyq import expr as E
from psyq.errors import InputError


@pytest.mark.parametrize("text, value", [
    ("0.801", 0.801), ("3/4", 0.75), ("ln(2)*14", math.log(2) * 14), ("1.2×10^-3", 1.2e-3),
    ("2^10", 1024.0), ("-(3 - 5)", 2.0), ("sqrt(16) + exp(0)", 5.0), ("log10(1000)", 3.0),
    ("log2(8)", 3.0), ("pi", math.pi), ("1e-9", 1e-9), ("max(1, 4, 2)", 4.0), ("−2", -2.0),
])
def test_reads_arithmetic(text, value):
    assert E.evaluate(E.parse(text)) == pytest.approx(value)


def test_symbols_and_sympy_construction():
    node = E.parse("C/(C + Ki)", symbols={"C", "Ki"})
    assert E.free_symbols(node) == {"C", "Ki"}
    assert E.evaluate(node, {"C": 3, "Ki": 1}) == 0.75
    import sympy as sp

    C, Ki = sp.symbols("C Ki", positive=True)
    assert sp.simplify(E.to_sympy(node, {"C": C, "Ki": Ki}) - C / (C + Ki)) == 0
    # Decimal literals become exact rationals for the solver.
    assert E.to_sympy(E.parse("0.29"), {}) == sp.Rational(29, 100)


def test_single_literal_keeps_the_digits_as_written():
    assert E.single_literal(E.parse("0.80")) == "0.80"
    assert E.single_literal(E.parse("-1.50e-3")) == "-1.50e-3"
    assert E.single_literal(E.parse("1.2×10^-3")) == "1.2e-3"
    assert E.single_literal(E.parse("3/4")) is None


@pytest.mark.parametrize("text, fragment, position", [
    ("__import__('os').system('ls')", "not allowed", 0),
    ("().__class__", "not allowed", None),
    ("lambda: 1", "lambda", 0),
    ("a.b", "attribute", 0),
    ("log(10)", "ambiguous", 0),
    ("2 + foo", "unknown name 'foo'", 4),
    ("[1, 2]", "list", 0),
    ("'text'", "only numbers", 0),
    ("1e999", "out of range", 0),
    ("2 +* 3", "cannot read", None),
])
def test_refuses_with_a_pointer(text, fragment, position):
    with pytest.raises(InputError) as info:
        E.evaluate(E.parse(text))
    assert fragment in str(info.value)
    if position is not None:
        assert info.value.position == position
        assert info.value.pointer().splitlines()[1].index("^") == 2 + position


@pytest.mark.parametrize("text", ["9**9**9", "10^10^10", "2^1000", "exp(1000)", "(1e200)*(1e200)",
                                  "1/0", "ln(0)", "sqrt(-1)", "(-8)^(1/3)"])
def test_bounded_evaluation_is_quick_and_clear(text):
    with work_bounded(calls=5_000, what=text), pytest.raises(InputError) as info:  # 217 measured
        E.evaluate(E.parse(text))
    assert str(info.value)


def test_size_limits():
    with pytest.raises(InputError, match="too long"):
        E.parse("1+" * 300 + "1")
    with pytest.raises(InputError, match="nested too deeply|too long"):
        E.parse("-" * 60 + "1")
    with pytest.raises(InputError, match="control character"):
        E.parse("1\x00+2")


def test_comparisons_only_where_allowed():
    with pytest.raises(InputError):
        E.parse("1 < 2")
    node = E.parse("A0 < X and X < 1", symbols={"A0", "X"}, allow_compare=True)
    assert E.evaluate(node, {"A0": 0.1, "X": 0.5}) == 1.0
    assert E.evaluate(node, {"A0": 0.6, "X": 0.5}) == 0.0


def test_to_text_round_trips():
    for text in ["C / (C + Ki)", "1 - (1 - A0) * 2^(-t / t_half)", "Ki * occ / (1 - occ)"]:
        names = {"C", "Ki", "A0", "t", "t_half", "occ"}
        node = E.parse(text, symbols=names)
        assert E.parse(E.to_text(node), symbols=names) == node
