"""expr.evaluate_array computes ^, exp and logs with the C library, element by element.

numpy's SIMD power/exp/log may differ from libm in the last bit, and differently from one CPU or
numpy build to another; derived givens and constraint verdicts must not (same template + seed, same
problem on any machine).  So evaluate_array's value must be math.*'s, bit for bit, while keeping
numpy's nan/±inf where libm raises (a constraint then rejects the row, as before).
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

from psyq import expr as E


def bits(x) -> list[int]:
    return np.asarray(x, dtype=np.float64).reshape(-1).view(np.uint64).tolist()


def run(text: str, **env):
    node = E.parse(text, symbols=set(env), allow_compare=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # numpy's float warnings stay silenced, as before
        return E.evaluate_array(node, env)


# A small deterministic scan per operation: expression, env, numpy's value, the row function
# libm gives (math.*) and the one psyq.single calls for a row (expr.LIKE_NUMPY).
X_EXP = np.linspace(-30.0, 30.0, 6001)
X_LOG = np.linspace(1e-3, 60.0, 6001)
LN = E.LIKE_NUMPY
SCANS = {
    "exp": ("exp(x)", {"x": X_EXP}, lambda e: np.exp(e["x"]), math.exp, LN["exp"]),
    "ln": ("ln(x)", {"x": X_LOG}, lambda e: np.log(e["x"]), math.log, LN["ln"]),
    "log10": ("log10(x)", {"x": X_LOG}, lambda e: np.log10(e["x"]), math.log10, LN["log10"]),
    "log2": ("log2(x)", {"x": X_LOG}, lambda e: np.log2(e["x"]), math.log2, LN["log2"]),
    "2^x": ("2^x", {"x": np.linspace(-12.0, 12.0, 6001)}, lambda e: np.power(2.0, e["x"]),
            lambda x: math.pow(2.0, x), lambda x: LN["^"](2.0, x)),
    "x^1.7": ("x^1.7", {"x": X_LOG}, lambda e: np.power(e["x"], 1.7), lambda x: math.pow(x, 1.7),
              lambda x: LN["^"](x, 1.7)),
    "x^2": ("x^2", {"x": X_LOG}, lambda e: np.power(e["x"], 2.0), lambda x: math.pow(x, 2.0),
            lambda x: LN["^"](x, 2.0)),
    "x^y": ("x^y", {"x": X_LOG, "y": np.linspace(-3.0, 3.0, 6001)}, lambda e: np.power(e["x"], e["y"]),
            math.pow, LN["^"]),
}


def _rows(env):
    names = sorted(env)
    return list(zip(*(env[k].tolist() for k in names)))


@pytest.mark.parametrize("name", list(SCANS))
def test_values_are_libms_bit_for_bit_where_numpy_differs_too(name):
    text, env, numpy_f, libm_f, row_f = SCANS[name]
    rows = _rows(env)
    want = np.array([libm_f(*row) for row in rows])
    got = run(text, **env)
    assert got.dtype == np.float64 and got.shape == want.shape
    with np.errstate(all="ignore"):
        numpy_value = numpy_f(env)
    differ = np.nonzero(np.array(bits(numpy_value)) != np.array(bits(want)))[0]
    # Where numpy's last bit is not libm's (on this machine: SIMD), evaluate_array gives libm's...
    assert bits(got[differ]) == bits(want[differ]), (name, differ[:5])
    # ...and everywhere else too (every scanned element, whatever this machine's numpy does).
    assert bits(got) == bits(want), name
    # One row alone (psyq.single's path) is the same value.
    assert bits([row_f(*row) for row in rows]) == bits(want), name


EDGES = [-math.inf, -1e300, -10.0, -2.0, -1.0, -0.5, -0.0, 0.0, 5e-324, 0.5, 1.0, 2.0, 10.0, 1e300,
         math.inf, math.nan]
EXPONENTS = [-math.inf, -401.0, -3.0, -2.0, -1.0, -0.5, -0.0, 0.0, 0.5, 1.0, 2.0, 3.0, 401.0, 1e300,
             math.inf, math.nan]


def _edge_equal(got: np.ndarray, numpy_value: np.ndarray, libm_value: list[float]) -> None:
    """nan where numpy gives nan; numpy's very bits where it gives ±inf or ±0; libm's elsewhere."""
    for g, w, m in zip(got.tolist(), numpy_value.tolist(), libm_value):
        if math.isnan(w):
            assert math.isnan(g), (g, w)
        elif math.isinf(w) or w == 0:
            assert bits(g) == bits(w), (g, w)
        else:
            assert bits(g) == bits(m), (g, w, m)


def test_power_keeps_numpys_nan_and_inf_at_the_domain_edges():
    a, b = (np.array(v) for v in zip(*[(x, y) for x in EDGES for y in EXPONENTS]))
    got = run("a^b", a=a, b=b)
    with np.errstate(all="ignore"):
        numpy_value = np.power(a, b)
    _edge_equal(got, numpy_value, [E.pow_like_numpy(x, y) for x, y in zip(a.tolist(), b.tolist())])
    # The cases libm raises on, spelled out: numpy's values.
    assert bits(run("(t - t)^(0 - 1)", t=np.array([3.0]))) == bits([math.inf])
    assert bits(run("(-0.0)^(0 - 3)", t=np.array([3.0]))) == bits([-math.inf])
    assert bits(run("(-0.0)^(0 - 2)")) == bits(math.inf)
    assert math.isnan(run("(0 - t)^0.5", t=np.array([3.0]))[0])
    assert run("t^401", t=np.array([-10.0, 10.0])).tolist() == [-math.inf, math.inf]
    assert run("t^400", t=np.array([-10.0])).tolist() == [math.inf]


@pytest.mark.parametrize("func, ufunc", [("exp", np.exp), ("ln", np.log), ("log10", np.log10),
                                         ("log2", np.log2)])
def test_exp_and_logs_keep_numpys_nan_and_inf_at_the_domain_edges(func, ufunc):
    x = np.array(EDGES + [-745.2, 709.8, 710.0, 1000.0, -1000.0])
    got = run(f"{func}(x)", x=x)
    with np.errstate(all="ignore"):
        numpy_value = ufunc(x)
    _edge_equal(got, numpy_value, [E.LIKE_NUMPY[func](v) for v in x.tolist()])
    if func != "exp":
        assert run(f"{func}(x)", x=np.array([0.0, -0.0, -1.0])).tolist()[:2] == [-math.inf, -math.inf]
        assert math.isnan(run(f"{func}(x)", x=np.array([-1.0]))[0])
    else:
        assert run("exp(x)", x=np.array([1000.0, -1000.0])).tolist() == [math.inf, 0.0]


def test_shapes_scalars_and_numpys_own_types_are_as_before():
    # constants: a numpy scalar, as np.power gives
    value = run("2^0.5 + exp(1)")
    assert type(value) is np.float64 and value == math.pow(2.0, 0.5) + math.exp(1.0)
    # a scalar and a column broadcast; a 0-d array is a scalar
    got = run("x^t", x=np.array(1.5), t=np.array([1.0, 2.0, 3.5]))
    assert bits(got) == bits([math.pow(1.5, t) for t in (1.0, 2.0, 3.5)])
    # a list is an array, as numpy's ufuncs read it; a 2-d array keeps its shape
    assert bits(run("exp(x)", x=[0.5, 1.5])) == bits([math.exp(0.5), math.exp(1.5)])
    assert run("x^y", x=np.full((2, 3), 2.0), y=np.arange(3.0)).tolist() == [[1.0, 2.0, 4.0]] * 2
    # a constraint is a boolean column
    assert run("exp(x) > 1", x=np.array([-1.0, 1.0])).tolist() == [False, True]
    # a comparison's boolean used as a number: ^ computes in float64 (0 and 1, exact either way)...
    assert run("(x > 0)^2", x=np.array([-1.0, 1.0])).tolist() == [0.0, 1.0]
    # ...exp and logs of a boolean stay numpy's own (float16, as they always were)
    got = run("exp(x > 0)", x=np.array([-1.0, 1.0]))
    with np.errstate(all="ignore"):
        assert got.dtype == np.exp(np.array([False, True])).dtype == np.float16
        assert bits(got.astype(np.float64)) == bits(np.exp(np.array([False, True])).astype(np.float64))


def test_only_powers_exp_and_logs_go_element_by_element(monkeypatch):
    """Work bound: the per-element (Python) calls are one per row of each ^/exp/log node; the IEEE
    operations (+ − × /, sqrt, min/max, comparisons) stay in numpy; constants are computed once."""
    calls = {"n": 0}

    def counting(pair):
        f, like = pair

        def cf(*xs):
            calls["n"] += 1
            return f(*xs)

        def cl(*xs):
            calls["n"] += 1
            return like(*xs)
        return cf, cl

    monkeypatch.setattr(E, "_LIKE_NUMPY", {k: counting(v) for k, v in E._LIKE_NUMPY.items()})
    x = np.linspace(0.5, 5.0, 1000)
    t = np.linspace(1.0, 3.0, 1000)
    run("x*t + sqrt(x)/t - min(x, t) > abs(x - 2) and x != t", x=x, t=t)
    assert calls["n"] == 0
    run("x^t + 2^0.5*exp(1) - x*t", x=x, t=t)
    assert calls["n"] == 1000 + 2
    calls["n"] = 0
    run("ln(x) + log2(t - 2)", x=x, t=t)  # t − 2 ≤ 0 on half the rows: that column is mapped twice
    assert 2000 <= calls["n"] <= 3000
