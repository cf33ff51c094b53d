"""Property-based fuzzing of unit handling (psyq.units) and the expression parser (psyq.expr).

Properties: only PsyqErrors with one-line messages escape, within a time bound; conversions
round-trip; a parsed expression re-parses from its own text to the same tree; the compiled
evaluator agrees with the tree-walking one.  PSYQ_FUZZ_EXAMPLES scales the number of examples.
"""

from __future__ import annotations

import math
import os

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from psyq.errors import PsyqError
from _fuzz_helpers import check_call

FUZZ = settings(max_examples=int(os.environ.get("PSYQ_FUZZ_EXAMPLES", "300")),
                deadline=None, derandomize=bool(os.environ.get("CI")),
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


@pytest.fixture(scope="module", autouse=True)
def _warm():
    from psyq import units

    units.parse_unit("kPa")  # an allow-listed unit read through pint: loads its registry


# ---------------------------------------------------------------------------------------------
# Units

NAMES = ["nM", "µM", "uM", "μM", "mM", "M", "pM", "mol", "nmol", "g", "mg", "µg", "ng", "kg", "L",
         "mL", "µL", "dL", "h", "hr", "min", "s", "d", "day", "days", "wk", "week", "%", "percent",
         "fraction", "Da", "kDa", "m", "cm", "1", "furlong", "degC", "°C", "ppm", "rad", "pi", "per",
         "foo", "N", "J", "K", "Hz", "molar", "mcg", "x", "_", "ohm", "Ω"]
OPS = ["", " ", "/", "*", "·", "^", "^2", "^-1", "^3", "**2", "²", "⁻¹", "(", ")", "^99", "^0.5",
       " / ", "//", "1/"]
unit_text = st.lists(st.one_of(st.sampled_from(NAMES), st.sampled_from(OPS)), max_size=10).map("".join)


@FUZZ
@given(st.one_of(unit_text, st.text(max_size=80)))
def test_parse_unit_never_crashes(text):
    from psyq import units

    result = check_call(units.parse_unit, text)
    if isinstance(result, units.Unit):
        assert math.isfinite(result.factor) and result.factor > 0
        assert all(isinstance(d, str) and isinstance(e, int) and e for d, e in result.dims)
        again = units.parse_unit(result.text) if result.text else result
        assert again.same_as(result), (text, result, again)


COMMON = ["nM", "µM", "mM", "M", "pM", "ng/mL", "µg/mL", "mg/L", "mg", "g", "µg", "h", "d", "wk",
          "min", "s", "mg/d", "g/d", "1/h", "1/d", "%", "fraction", "L", "mL", "mol", "µmol",
          "g/mol", "kDa", "nmol/L", "L/h", "mg·h/L"]


@FUZZ
@given(st.sampled_from(COMMON), st.sampled_from(COMMON),
       st.floats(min_value=1e-12, max_value=1e12, allow_nan=False),
       st.one_of(st.none(), st.floats(min_value=1, max_value=5e5)))
def test_convert_round_trips_or_refuses(a, b, value, molar_mass):
    from psyq import units

    ua, ub = units.parse_unit(a), units.parse_unit(b)
    result = check_call(units.convert, value, ua, ub, molar_mass=molar_mass)
    if isinstance(result, PsyqError):
        assert isinstance(result, units.UnitMismatch)
        assert not units.convertible(ua, ub, molar_mass=molar_mass)
        return
    assert units.convertible(ua, ub, molar_mass=molar_mass)
    back = units.convert(result, ub, ua, molar_mass=molar_mass)
    assert math.isclose(back, value, rel_tol=1e-9)


# ---------------------------------------------------------------------------------------------
# Expressions

ATOMS = ["C", "Ki", "occ", "t", "t_half", "0", "1", "2", "0.5", "10", "1e-3", "1e300", "pi", "π",
         "1e400", "x", "log", "ln", "__class__", "_", "1_0"]
EOPS = ["+", "-", "*", "/", "^", "**", "(", ")", "ln(", "exp(", "sqrt(", "log10(", "min(", "max(",
        ",", " ", "<", ">=", "==", " and ", " or ", "not ", ".", "[", "]", "lambda", ":", "−", "×"]
expr_text = st.lists(st.one_of(st.sampled_from(ATOMS), st.sampled_from(EOPS)), max_size=16).map("".join)
SYMBOLS = {"C", "Ki", "occ", "t", "t_half"}


@FUZZ
@given(st.one_of(expr_text, st.text(max_size=120)), st.booleans())
def test_expression_parse_and_evaluate_never_crash(text, allow_compare):
    from psyq import expr as E

    node = check_call(E.parse, text, symbols=SYMBOLS, allow_compare=allow_compare)
    if isinstance(node, PsyqError):
        return
    env = {"C": 2.0, "Ki": 0.5, "occ": 0.8, "t": 14.0, "t_half": 7.0}
    value = check_call(E.evaluate, node, env)
    if not isinstance(value, PsyqError):
        assert math.isfinite(value)


@st.composite
def trees(draw, depth=0):
    from psyq import expr as E

    if depth > 4 or draw(st.integers(0, 3)) == 0:
        if draw(st.booleans()):
            return E.Sym(draw(st.sampled_from(sorted(SYMBOLS))))
        text = draw(st.sampled_from(["0", "1", "2", "3", "0.5", "10", "1e-3", "2.5e2", "7"]))
        return E.Num(float(text), text)
    kind = draw(st.integers(0, 4))
    if kind == 0:
        return E.Neg(draw(trees(depth + 1)))
    if kind == 1:
        func = draw(st.sampled_from(["ln", "exp", "sqrt", "abs", "log10", "log2"]))
        return E.Call(func, (draw(trees(depth + 1)),))
    if kind == 2:
        func = draw(st.sampled_from(["min", "max"]))
        return E.Call(func, (draw(trees(depth + 1)), draw(trees(depth + 1))))
    op = draw(st.sampled_from(["+", "-", "*", "/", "^"]))
    return E.BinOp(op, draw(trees(depth + 1)), draw(trees(depth + 1)))


def _canonical(node):
    """A tree with Neg(Num) folded the way the parser reads '-2' back (as Neg of a literal)."""
    return node


@FUZZ
@given(trees(), st.floats(min_value=0.01, max_value=50), st.floats(min_value=0.01, max_value=50))
def test_to_text_reparses_to_the_same_value(tree, c, ki):
    """A tree printed by to_text and parsed again evaluates to the same value (or fails alike):
    the printer's parentheses keep the meaning."""
    from psyq import expr as E

    env = {"C": c, "Ki": ki, "occ": 0.5, "t": 3.0, "t_half": 7.0}
    text = E.to_text(tree)
    assume(len(text) <= E.MAX_LENGTH)
    reparsed = check_call(E.parse, text, symbols=SYMBOLS)
    if isinstance(reparsed, PsyqError):
        assert "too long" in reparsed.message or "nested too deeply" in reparsed.message, (text, reparsed)
        return

    def value(n):
        try:
            return E.evaluate(n, env)
        except PsyqError:
            return "error"

    a, b = value(tree), value(reparsed)
    assert a == b or (isinstance(a, float) and isinstance(b, float)
                      and math.isclose(a, b, rel_tol=1e-12)), (text, a, b)
    assert E.to_text(reparsed) == text


@FUZZ
@given(trees(), st.floats(min_value=-50, max_value=50), st.floats(min_value=0, max_value=50))
def test_compiled_evaluation_equals_tree_evaluation(tree, c, ki):
    from psyq import expr as E

    env = {"C": c, "Ki": ki, "occ": 0.5, "t": 3.0, "t_half": 7.0}

    def outcome(fn):
        try:
            return ("value", fn())
        except PsyqError as exc:
            return ("error", exc.message)

    a = outcome(lambda: E.evaluate(tree, env))
    b = outcome(lambda: E.compile_scalar(tree)(env))
    assert a == b or (a[0] == b[0] == "value" and math.isnan(a[1]) and math.isnan(b[1]))


@pytest.mark.parametrize("text", ["(1or 2)*80", "1and 2", "1if 2", "0x", "1in C"])
def test_parsing_prints_no_python_warning(text, recwarn):
    """Regression (found by this fuzzer): Python's parser warned 'invalid decimal literal' on
    stderr for text such as '(1or 2)', printing into a student's terminal."""
    from psyq import expr as E

    for allow_compare in (False, True):
        try:
            E.parse(text, symbols={"C"}, allow_compare=allow_compare)
        except PsyqError:
            pass
    assert not [w for w in recwarn if issubclass(w.category, SyntaxWarning)]
