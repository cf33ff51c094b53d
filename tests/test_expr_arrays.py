"""expr.evaluate_checked_array: compile_scalar over many rows at once, bit for bit.

The contract: row i is not ok exactly where ``compile_scalar(node)`` raises InputError for that
row's values, and otherwise holds the very float it returns (the sign of a zero included).  Every
test here compares against compile_scalar run row by row, or against hand-computed Python floats.
"""

from __future__ import annotations

import math
import os

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from psyq import expr as E
from psyq.errors import InputError, PsyqError

# Fewer examples than the fuzzers' 300 by default, to keep this file near 3 s; PSYQ_FUZZ_EXAMPLES
# scales it as it does them.
PROPS = settings(max_examples=int(os.environ.get("PSYQ_FUZZ_EXAMPLES", "100")),
                 deadline=None, derandomize=bool(os.environ.get("CI")),
                 suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def bits(x) -> np.ndarray:
    return np.asarray(x, dtype=np.float64).view(np.uint64)


def reference(node, env, n):
    """The contract spelled out: compile_scalar on each row's Python floats."""
    fn = E.compile_scalar(node)
    names = sorted(E.free_symbols(node))
    values, ok = [], []
    for i in range(n):
        row = {}
        for k in names:
            if k in env:
                v = np.asarray(env[k], dtype=np.float64)
                row[k] = float(v) if v.ndim == 0 else float(v[i])
        try:
            values.append(fn(row))
            ok.append(True)
        except InputError:
            values.append(math.nan)
            ok.append(False)
    return np.array(values, dtype=np.float64), np.array(ok, dtype=bool)


def assert_matches(node, env, n):
    values, ok = E.evaluate_checked_array(node, env, n)
    ref_values, ref_ok = reference(node, env, n)
    assert values.dtype == np.float64 and values.shape == (n,)
    assert ok.dtype == bool and ok.shape == (n,)
    assert ok.tolist() == ref_ok.tolist(), (E.to_text(node), env)
    assert bits(values[ok]).tolist() == bits(ref_values[ref_ok]).tolist(), (E.to_text(node), env)
    assert np.isnan(values[~ok]).all()
    return values, ok


def check(text, env, n=None, symbols=("a", "b", "c")):
    node = E.parse(text, symbols=set(symbols), allow_compare=True)
    if n is None:
        n = max((np.size(v) for v in env.values()), default=1)
    return assert_matches(node, env, n)


# ---------------------------------------------------------------------------------------------
# Random trees and random rows

INTERESTING = [0.0, -0.0, 1.0, -1.0, 2.0, -2.0, 0.5, -0.5, 3.0, -3.0, 10.0, 0.1, 1 / 3, 400.0, -400.0,
               401.0, 400.5, 690.0, 690.5, -745.0, 1e300, -1e300, 1e299, 1e150, 1e-150, 1e-300, 5e-324,
               -5e-324, 2.2250738585072014e-308, 1.7976931348623157e308, -1.7976931348623157e308,
               math.pi, 0.7, 1e-9, 123456.789]
finite = st.floats(allow_nan=False, allow_infinity=False)
values_st = st.one_of(st.sampled_from(INTERESTING), finite,
                      st.floats(min_value=-50, max_value=50, allow_nan=False),
                      st.integers(-12, 12).map(float), st.integers(-900, 900).map(lambda k: k / 2))
num_st = st.one_of(st.sampled_from(INTERESTING), finite, st.integers(-5, 5).map(float)).map(
    lambda v: E.Num(v, repr(v)))
leaves = st.one_of(st.sampled_from([E.Sym("a"), E.Sym("b"), E.Sym("c")]), num_st)


def _extend(children):
    return st.one_of(
        st.builds(E.Neg, children),
        st.builds(E.BinOp, st.sampled_from(["+", "-", "*", "/", "^"]), children, children),
        st.builds(lambda f, x: E.Call(f, (x,)),
                  st.sampled_from(["ln", "log10", "log2", "exp", "sqrt", "abs"]), children),
        st.builds(lambda f, xs: E.Call(f, tuple(xs)), st.sampled_from(["min", "max"]),
                  st.lists(children, min_size=2, max_size=4)),
        st.builds(E.Compare, st.sampled_from(["<", "<=", ">", ">=", "==", "!="]), children, children),
        st.builds(lambda op, xs: E.BoolOp(op, tuple(xs)), st.sampled_from(["and", "or"]),
                  st.lists(children, min_size=2, max_size=3)),
    )


trees = st.recursive(leaves, _extend, max_leaves=14)


@st.composite
def envs(draw, values=values_st):
    """Columns for a, b, c: arrays of n rows, now and then a scalar broadcast to all of them."""
    n = draw(st.integers(1, 24))
    env = {}
    for name in "abc":
        kind = draw(st.integers(0, 5))
        if kind == 0:
            env[name] = draw(values)  # a Python float, broadcast
        elif kind == 1:
            env[name] = np.float64(draw(values))
        else:
            env[name] = np.array(draw(st.lists(values, min_size=n, max_size=n)), dtype=np.float64)
    return env, n


@PROPS
@given(trees, envs())
def test_random_trees_match_compile_scalar(tree, env_n):
    env, n = env_n
    assert_matches(tree, env, n)


@PROPS
@given(trees, envs(st.one_of(values_st, st.sampled_from([math.inf, -math.inf, math.nan]))))
def test_random_trees_match_compile_scalar_with_inf_and_nan_inputs(tree, env_n):
    """Symbols pass inf and nan through unchecked (only operations are bounded), so they can
    reach comparisons, min/max, and pow's specials (1^nan, nan^0): still the scalar answer."""
    env, n = env_n
    assert_matches(tree, env, n)


@PROPS
@given(trees.map(E.to_text), envs())
def test_parsed_text_matches_compile_scalar(text, env_n):
    """The same through the parser (allow_compare), as templates write expressions."""
    env, n = env_n
    try:
        node = E.parse(text, symbols={"a", "b", "c"}, allow_compare=True)
    except PsyqError:
        assume(False)
    assert_matches(node, env, n)


# ---------------------------------------------------------------------------------------------
# Every refusal, by hand

@pytest.mark.parametrize("text, a, b, expected", [
    # + - * : any result beyond ±MAX_MAGNITUDE (or inf/nan) is refused; the bound itself is not
    ("a + b", 1e300, 0.0, 1e300),
    ("a + b", 1e300, 1e300, None),
    ("a - b", -1e300, 1e300, None),
    ("a * b", 1e300, 1.0000001, None),
    ("a * b", 1e200, 1e200, None),  # inf
    ("a * b", -1e300, -1.0, 1e300),
    ("a * b", 1e-200, 1e-200, 0.0),  # underflow is fine
    # division
    ("a / b", 1.0, 0.0, None),
    ("a / b", 1.0, -0.0, None),
    ("a / b", 0.0, 0.0, None),
    ("a / b", 1e300, 1e-10, None),
    ("a / b", 3.0, 4.0, 0.75),
    ("a / b", -0.0, 5.0, -0.0),
    # ^
    ("a ^ b", 1.0, 401.0, None),  # |b| > MAX_EXPONENT even though 1^401 is 1
    ("a ^ b", 1.0, -400.5, None),
    ("a ^ b", 1.0, 400.0, 1.0),
    ("a ^ b", 0.0, -1.0, None),
    ("a ^ b", -0.0, -2.0, None),
    ("a ^ b", 0.0, 0.0, 1.0),
    ("a ^ b", -8.0, 1 / 3, None),  # negative base, fractional exponent
    ("a ^ b", -2.0, 3.0, -8.0),
    ("a ^ b", -0.0, 3.0, -0.0),
    ("a ^ b", -0.0, 0.5, 0.0),
    ("a ^ b", 10.0, 400.0, None),  # math.pow overflows
    ("a ^ b", 1e200, 2.0, None),
    ("a ^ b", 10.0, 301.0, None),  # finite but beyond MAX_MAGNITUDE
    ("a ^ b", 0.1, 400.0, 0.0),  # underflow is fine
    ("2 ^ b", 0.0, -10.0, 2.0 ** -10),
    # functions
    ("exp(a)", 690.0, 0.0, math.exp(690.0)),
    ("exp(a)", 690.0000001, 0.0, None),
    ("exp(a)", -1000.0, 0.0, 0.0),
    ("ln(a)", 0.0, 0.0, None),
    ("ln(a)", -0.0, 0.0, None),
    ("ln(a)", -1.0, 0.0, None),
    ("ln(a)", 1.0, 0.0, 0.0),
    ("log10(a)", -1e-300, 0.0, None),
    ("log10(a)", 1000.0, 0.0, 3.0),
    ("log2(a)", 0.0, 0.0, None),
    ("log2(a)", 5e-324, 0.0, -1074.0),
    ("sqrt(a)", -1.0, 0.0, None),
    ("sqrt(a)", -0.0, 0.0, -0.0),
    ("sqrt(a)", 2.0, 0.0, math.sqrt(2.0)),
    ("abs(a)", -0.0, 0.0, 0.0),
    ("abs(a)", -1.7976931348623157e308, 0.0, None),  # a symbol is unbounded, abs() is not
    ("min(a, b)", 0.0, -0.0, 0.0),  # Python keeps the first of equal arguments
    ("min(a, b)", -0.0, 0.0, -0.0),
    ("max(a, b)", 0.0, -0.0, 0.0),
    ("max(a, b)", -0.0, 0.0, -0.0),
    ("min(a, b, -a*1e300)", 2.0, 1.0, None),  # the -2e300 argument is refused first
    ("max(b, a, 3)", -5.0, 2.0, 3.0),
    # an error anywhere refuses the row, even where it does not change the value
    ("(a / b < 1) or 1", 1.0, 0.0, None),
    ("min(1, ln(b))", 5.0, -1.0, None),
    ("a * 0 + exp(b)", 1.0, 1000.0, None),
    # comparisons and and/or give 1.0 / 0.0
    ("a < b", 1.0, 2.0, 1.0),
    ("a >= b", 1.0, 2.0, 0.0),
    ("a == b", 0.0, -0.0, 1.0),
    ("a != b and b", 1.0, 0.0, 0.0),
    ("a or b", 0.0, -0.0, 0.0),
    ("0 < a < b", 1.0, 2.0, 1.0),
    ("(a < b) * 3 - 1", 1.0, 2.0, 2.0),
    # signs of zero
    ("-a", 0.0, 0.0, -0.0),
    ("a - b", 0.0, 0.0, 0.0),
    ("a - b", -0.0, 0.0, -0.0),
    ("a * b", -1.0, 0.0, -0.0),
    ("-a + b", 0.0, 0.0, 0.0),
])
def test_hand_cases(text, a, b, expected):
    values, ok = check(text, {"a": np.array([a, 2.0]), "b": np.array([b, 3.0])})
    if expected is None:
        assert not ok[0]
    else:
        assert ok[0]
        assert bits(values[0]) == bits(expected), (values[0], expected)


@pytest.mark.parametrize("text, a, expected", [
    ("1 ^ a", math.nan, 1.0),  # math.pow(1, nan) is 1
    ("a ^ 0", math.nan, 1.0),
    ("a ^ 0", math.inf, 1.0),
    ("min(1, a)", math.nan, 1.0),  # nan < 1 is False: the first argument stays
    ("min(a, 1)", math.nan, None),  # ... and here it is nan, refused as undefined
    ("a and 1", math.nan, 1.0),  # bool(nan) is True
    ("a > 0", math.nan, 0.0),
    ("a != a", math.nan, 1.0),
    ("exp(a)", -math.inf, 0.0),
    ("exp(a)", math.nan, None),
    ("ln(a)", math.inf, None),
    ("a", math.inf, math.inf),  # a bare symbol is not bounded
    ("-a", math.inf, -math.inf),
    ("a + 0", math.inf, None),
])
def test_inf_and_nan_inputs(text, a, expected):
    values, ok = check(text, {"a": np.array([a])})
    if expected is None:
        assert not ok[0]
    else:
        assert ok[0] and bits(values[0]) == bits(expected)


def test_a_name_without_a_value_refuses_every_row():
    node = E.parse("a + b", symbols={"a", "b"})
    values, ok = assert_matches(node, {"a": np.arange(5.0)}, 5)
    assert not ok.any() and np.isnan(values).all()


def test_a_constant_error_refuses_every_row_and_constants_broadcast():
    _, ok = check("a + 1/0", {"a": np.arange(4.0)})
    assert not ok.any()
    _, ok = check("a * 2^401", {"a": np.arange(4.0)})
    assert not ok.any()
    values, ok = check("ln(2) * 14", {}, n=3)
    assert ok.all() and values.tolist() == [math.log(2) * 14] * 3
    values, ok = check("a*0 + 7", {"a": 1.5}, n=4)  # a scalar symbol over four rows
    assert ok.all() and values.tolist() == [7.0] * 4
    values, ok = check("a + b", {"a": np.float64(1.0), "b": np.array([1, 2, 3])})  # ints converted
    assert ok.all() and values.tolist() == [2.0, 3.0, 4.0]


def test_zero_rows():
    values, ok = E.evaluate_checked_array(E.parse("a / b", symbols={"a", "b"}), {"a": [], "b": []}, 0)
    assert values.shape == ok.shape == (0,)


def test_libm_results_not_numpy_ones():
    """exp, ln and ^ come from math.* (the scalar code's libm calls), which numpy's own SIMD
    versions do not always equal in the last bit; x^2 is not x*x either (pow is not correctly
    rounded).  Rows where they differ on this machine must follow math."""
    rng = np.random.default_rng(7)
    x = rng.uniform(-20, 20, 20_000)
    y = rng.uniform(1e-3, 1e3, 20_000)
    env = {"a": x, "b": y}
    for text, want in [("exp(a)", [math.exp(v) for v in x.tolist()]),
                       ("ln(b)", [math.log(v) for v in y.tolist()]),
                       ("a ^ 2", [math.pow(v, 2.0) for v in x.tolist()]),
                       ("2 ^ a", [math.pow(2.0, v) for v in x.tolist()]),
                       ("b ^ 0.5", [math.pow(v, 0.5) for v in y.tolist()])]:
        values, ok = check(text, env)
        assert ok.all() and bits(values).tolist() == bits(want).tolist(), text


def test_hand_made_trees_the_parser_never_builds():
    """Integer literals and a call without arguments take the row-by-row path: same answers,
    same exceptions as compile_scalar."""
    node = E.BinOp("/", E.Sym("a"), E.Num(4, "4"))
    values, ok = assert_matches(node, {"a": np.array([1.0, 3.0])}, 2)
    assert ok.all() and values.tolist() == [0.25, 0.75]
    with pytest.raises(IndexError):
        E.evaluate_checked_array(E.Call("ln", ()), {}, 2)
    with pytest.raises(TypeError):
        E.evaluate_checked_array("a", {"a": 1.0}, 2)


# ---------------------------------------------------------------------------------------------
# Misconception expressions as templates write them

MISCONCEPTIONS = ["Omax*dose/(dose + ED50_NET)", "1 - (1 - A0)*exp(-t/t_half)",
                  "(1 - A0)*2^(-t/t_half)", "min(1, A0 + (1 - A0)*t/(2*t_half))", "ln(2)/k", "C/Ki"]


@pytest.fixture(scope="module")
def realistic_env():
    n = 10_000
    rng = np.random.default_rng(2024)
    env = {"Omax": rng.uniform(0.5, 1.0, n), "dose": rng.uniform(0, 300, n).round(0),
           "ED50_NET": rng.uniform(0, 80, n).round(1), "A0": rng.uniform(0, 1, n),
           "t": rng.uniform(0, 72, n), "t_half": rng.uniform(0.5, 40, n).round(1),
           "k": rng.uniform(0.01, 2, n), "C": rng.uniform(0, 500, n), "Ki": rng.uniform(0, 20, n).round(1)}
    env["dose"][:50] = 0.0
    env["ED50_NET"][:25] = 0.0  # 0/0 in the first 25 rows
    env["t_half"][::400] = 0.0
    env["Ki"][::300] = 0.0
    env["A0"][::7] = 1.0
    return env, n


@pytest.mark.parametrize("text", MISCONCEPTIONS)
def test_misconception_expressions_over_many_rows(text, realistic_env):
    env, n = realistic_env
    node = E.parse(text, symbols=set(env))
    _, ok = assert_matches(node, env, n)
    assert ok.sum() > n * 0.9


def test_misconception_values_are_the_formulas(realistic_env):
    env, n = realistic_env
    E_ = {k: v.tolist() for k, v in env.items()}
    values, ok = E.evaluate_checked_array(E.parse("Omax*dose/(dose + ED50_NET)", symbols=set(env)), env, n)
    assert not ok[:25].any() and ok[25:50].all()
    assert values[25:50].tolist() == [0.0] * 25
    i = 100
    assert values[i] == E_["Omax"][i] * E_["dose"][i] / (E_["dose"][i] + E_["ED50_NET"][i])

    values, ok = E.evaluate_checked_array(E.parse("ln(2)/k", symbols=set(env)), env, n)
    assert ok.all() and values.tolist() == [math.log(2) / k for k in E_["k"]]

    values, ok = E.evaluate_checked_array(E.parse("C/Ki", symbols=set(env)), env, n)
    assert ok.tolist() == [ki != 0 for ki in E_["Ki"]]
    assert values[ok].tolist() == [c / ki for c, ki in zip(E_["C"], E_["Ki"]) if ki != 0]

    values, ok = E.evaluate_checked_array(E.parse("1 - (1 - A0)*exp(-t/t_half)", symbols=set(env)), env, n)
    assert ok.tolist() == [th != 0 for th in E_["t_half"]]
    assert values[1] == 1 - (1 - E_["A0"][1]) * math.exp(-E_["t"][1] / E_["t_half"][1])
    assert values[7] == 1.0  # A0 = 1

    values, ok = E.evaluate_checked_array(E.parse("(1 - A0)*2^(-t/t_half)", symbols=set(env)), env, n)
    assert ok.tolist() == [th != 0 for th in E_["t_half"]]
    assert values[1] == (1 - E_["A0"][1]) * math.pow(2.0, -E_["t"][1] / E_["t_half"][1])
    assert values[7] == 0.0

    values, ok = E.evaluate_checked_array(
        E.parse("min(1, A0 + (1 - A0)*t/(2*t_half))", symbols=set(env)), env, n)
    assert ok.tolist() == [th != 0 for th in E_["t_half"]]
    assert ((values[ok] <= 1) & (values[ok] >= 0)).all() and (values[ok] == 1.0).any()
