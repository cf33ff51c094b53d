"""The vectorised draws.round_display_array / format_number_array against their scalar references.

Both must equal, element for element, ``round_display`` (bit for bit, nan for nan, -0.0 for -0.0)
and ``format_number`` (string for string).  Properties over arbitrary floats (extremes,
subnormals, negatives, near-ties of decimal rounding), hand-picked boundaries, and a large
log-uniform array compared in full.  PSYQ_FUZZ_EXAMPLES scales the number of examples.
"""

from __future__ import annotations

import math
import os
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from psyq import draws

FUZZ = settings(max_examples=int(os.environ.get("PSYQ_FUZZ_EXAMPLES", "150")),
                deadline=None, derandomize=bool(os.environ.get("CI")),
                suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture(scope="module", autouse=True)
def _vectorise_every_length():
    """Short arrays normally take the scalar loop (faster below ~64 values); here every array takes
    the vectorised path, so the small examples below test it."""
    saved, draws._VECTOR_MIN = draws._VECTOR_MIN, 0
    yield
    draws._VECTOR_MIN = saved


# ---------------------------------------------------------------------------------------------
# Comparison helpers: real values, exact

def _bits(a) -> np.ndarray:
    return np.asarray(a, dtype=np.float64).view(np.uint64)


def check_round(xs, sigfigs=None, decimals=None):
    xs = np.asarray(xs, dtype=np.float64)
    got = draws.round_display_array(xs, sigfigs, decimals)
    want = np.array([draws.round_display(float(v), sigfigs, decimals) for v in xs],
                    dtype=np.float64)
    assert isinstance(got, np.ndarray) and got.dtype == np.float64 and got.shape == want.shape
    bad = np.flatnonzero(_bits(got) != _bits(want))
    assert bad.size == 0, [(float(xs[i]).hex(), repr(float(got[i])), repr(float(want[i])))
                           for i in bad[:5]]


def check_format(xs, sigfigs=None, decimals=None, plain=False):
    xs = np.asarray(xs, dtype=np.float64)
    got = draws.format_number_array(xs, sigfigs, decimals, plain=plain)
    want = [draws.format_number(v, sigfigs, decimals, plain=plain) for v in xs.tolist()]
    assert isinstance(got, list) and all(type(s) is str for s in got)
    bad = [i for i, (g, w) in enumerate(zip(got, want)) if g != w]
    assert len(got) == len(want)
    assert not bad, [(float(xs[i]).hex(), got[i], want[i]) for i in bad[:5]]


def check_all(xs, sigfigs=None, decimals=None):
    check_round(xs, sigfigs, decimals)
    check_format(xs, sigfigs, decimals, plain=False)
    check_format(xs, sigfigs, decimals, plain=True)


def _loguniform(n, low=1e-3, high=1e4, seed=7, signed=False):
    rng = np.random.default_rng(seed)
    xs = np.exp(rng.uniform(math.log(low), math.log(high), n))
    return xs * rng.choice([-1.0, 1.0], n) if signed else xs


# ---------------------------------------------------------------------------------------------
# Hand-picked edges

def _edges() -> list[float]:
    vals = [0.0, -0.0, math.nan, -math.nan, math.inf, -math.inf,
            0.125, 2.5, 0.0625, 0.5, 1.5, 12.5, 0.375, 1.25, 0.03125, 1024.5, 65536.5,
            9.995, 9.9995, 99.95, 0.9995, 0.000099999, 0.00009995, 999999.5, 999999.4, 9999999.5,
            99999.5, 1e-4, 0.0001, 1e6, 999999.0, 1000000.0, 999500.0, 0.00099995, 0.00010000001,
            5e-324, -5e-324, 2.2250738585072014e-308, 2.225073858507201e-308,
            1.7976931348623157e308, -1.7976931348623157e308, 1e-300, 1e300, 1e-23, 1e-22, 1e37,
            1e38, 123456789012345.0, 999999999999999.0, 1e15, 1e15 - 1, 4.5e15, 2.0 ** 52,
            2.0 ** 53, 2.0 ** 53 + 2,
            0.1, 0.2, 0.3, 1 / 3, 2 / 3, math.pi, math.e, 0.015, 0.025, 0.035, 0.045, 1.005, 2.675,
            # Large values with fractional parts: x * 10**decimals passes 1e15 and 2**53.
            123456789012.345, 98765432109.87654, 1234567.891011, 4503599627370495.5,
            99999999999.99998, 1e14 + 0.3, 2.0 ** 49 + 0.75, 7e15 + 0.5, 12345678.123456789]
    for p in range(-25, 40):
        v = float(f"1e{p}")
        vals += [v, math.nextafter(v, 0.0), math.nextafter(v, math.inf), 5 * v,
                 math.nextafter(5 * v, 0.0), math.nextafter(5 * v, math.inf), 9.5 * v, 9.95 * v]
    # Binary-exact ties of decimal rounding at many scales: (2j + 1) / 2**s.
    for s in range(1, 12):
        vals += [(2 * j + 1) / 2 ** s for j in range(0, 40, 3)]
    vals += [-v for v in vals]
    return vals


EDGES = _edges()


@pytest.mark.parametrize("sigfigs", [None, 0, 1, 2, 3, 4, 5, 6, 7, 9, 12, 15, 16, 17, 20])
def test_edges_sigfigs(sigfigs):
    check_all(EDGES, sigfigs=sigfigs)


@pytest.mark.parametrize("decimals", [0, 1, 2, 3, 4, 6, 8, 12, 15, 16, 18, 22, 23, 30])
def test_edges_decimals(decimals):
    check_all(EDGES, decimals=decimals)


def test_notation_boundaries():
    """1e-4 is the last fixed-point magnitude, 1e-5 is written ×10⁻⁵; 999999.5 rounds to 1e6."""
    got = draws.format_number_array([1e-4, 9.9996e-5, 1e6, 999999.5, 999999.4, 123456.0, -0.0], 3)
    assert got == ["0.000100", "0.000100", "1.00×10⁶", "1.00×10⁶", "1.00×10⁶", "123000",
                   "0.00"]
    assert draws.format_number_array([1e-5, 1.5e7], 2, plain=True) == ["1.0e-5", "1.5e7"]
    assert draws.format_number_array([999999.5, -999999.5], 7) == ["999999.5", "-999999.5"]
    assert draws.format_number_array([0.0, -0.0], 1) == ["0", "0"]
    assert draws.format_number_array([-0.0, -0.001, math.nan, -math.inf], decimals=2) == \
        ["-0.00", "-0.00", "nan", "-inf"]


def test_ties_round_half_even_on_the_exact_binary_value():
    """Exact binary ties go to even; decimal 'ties' that are not exact in binary go the way their
    binary value lies (2.675 is 2.67499999…, 1.005 is 1.00499999…)."""
    assert draws.format_number_array([0.125, 0.375, 2.5, 3.5, 0.0625], 2) == \
        ["0.12", "0.38", "2.5", "3.5", "0.062"]
    assert draws.format_number_array([2.5, 3.5, 0.125], 1) == ["2", "4", "0.1"]
    assert draws.format_number_array([2.675, 1.005, 0.5, 1.5, 2.5], decimals=2) == \
        ["2.67", "1.00", "0.50", "1.50", "2.50"]
    assert draws.format_number_array([0.5, 1.5, 2.5, -0.5], decimals=0) == ["0", "2", "2", "-0"]
    r = draws.round_display_array([0.125, 0.375, 2.675, -0.5], 2)
    assert _bits(r).tolist() == _bits([0.12, 0.38, 2.7, -0.5]).tolist()
    r = draws.round_display_array([-0.5, -0.001, 2.5], decimals=0)
    assert _bits(r).tolist() == _bits([-0.0, -0.0, 2.0]).tolist()


def test_powers_of_ten_and_neighbours():
    xs = []
    for p in range(-5, 23):
        v = float(10 ** p) if p >= 0 else float(f"1e{p}")
        xs += [v, math.nextafter(v, 0.0), math.nextafter(v, math.inf)]
    for n in range(1, 16):
        check_all(xs, sigfigs=n)
    assert draws.format_number_array([1e22, 1e-5, 1e5], 3) == \
        ["1.00×10²²", "1.00×10⁻⁵", "100000"]


def test_short_arrays_take_the_scalar_loop_by_default(monkeypatch):
    monkeypatch.setattr(draws, "_VECTOR_MIN", 64)
    xs = np.array(EDGES[:63])
    assert draws._array_plan(xs, 3, None, draws._VECTOR_MIN) is None
    assert draws._array_plan(np.array(EDGES[:64]), 3, None, draws._VECTOR_MIN) == ("sig", 3)
    check_all(xs, sigfigs=3)
    check_all(xs, decimals=2)


def test_empty_and_list_inputs():
    assert draws.format_number_array([], 3) == []
    out = draws.round_display_array([], 3)
    assert out.dtype == np.float64 and out.shape == (0,)
    assert draws.format_number_array([1, 2.345, -7], 3) == ["1.00", "2.35", "-7.00"]
    check_all([1, 2, 3], sigfigs=2)


def test_unusual_arguments_follow_the_scalars():
    xs = [0.0, 1.2345, -98765.4321, 1e-7]
    for sf in [np.int64(3), np.int32(2), True, False, 0, 16, 25]:
        check_all(xs, sigfigs=sf)
    for dec in [np.int64(2), 40]:
        check_all(xs, decimals=dec)
    with pytest.raises(ValueError):
        draws.format_number_array(xs, decimals=-1)
    with pytest.raises(ValueError):
        draws.round_display_array(xs, decimals=-1)
    with pytest.raises(TypeError):
        draws.round_display_array(np.float64(1.0), 3)        # the scalar loop cannot iterate it


def test_fast_path_takes_realistic_and_tie_heavy_data():
    """The fast path vouches for every in-range value, including the near-ties of decimal rounding
    (resolved exactly, not sent back): only nan/inf/zero/huge/tiny/subnormal values are not ok."""
    xs = _loguniform(20_000, signed=True)
    for plan in [("sig", 2), ("sig", 3), ("sig", 4), ("sig", 15), ("dec", 0), ("dec", 2)]:
        assert draws._rounded(xs, plan)[0].all(), plan
    for n in (1, 3, 7, 15):
        ties = _decimal_ties(n, 2000)
        assert draws._rounded(ties, ("sig", n))[0].all()
    xs = np.array([0.125, 9.995, 12.5, 125.0, 0.5, 0.0, math.nan, 1e-30, 1e40])
    ok = draws._rounded(xs, ("sig", 2))[0]
    assert ok.tolist() == [True] * 5 + [False] * 4


def test_fast_path_next_to_powers_of_ten():
    """log10 may land on the wrong side of a power of ten: the exponent is corrected, not refused."""
    for n in (1, 2, 3, 4, 6, 9, 12, 15):
        xs = []
        for p in range(n - 22, n + 22):
            v = float(f"1e{p}")
            xs += [v, math.nextafter(v, 0.0), math.nextafter(v, math.inf),
                   math.nextafter(math.nextafter(v, 0.0), 0.0)]
        xs += [0.3 - 0.2, 1 - 0.9, 0.1 * 3, 1e-3 * 1e3]
        xs = np.array(xs)
        assert draws._rounded(xs, ("sig", n))[0].all(), n
        check_all(xs, sigfigs=n)


def test_exact_side_of_ties():
    """y = fl(a * 10**k) lands exactly on a half-integer: the exact product's side decides."""
    a = np.array([0.125, 1.005, 0.0625, 2.675, 1.25])
    p = np.array([100.0, 100.0, 1000.0, 100.0, 10.0])
    y = a * p
    assert (y - np.floor(y)).tolist()[:1] == [0.5]
    got = draws._side_of_exact(a, y, p, True)
    want = [np.sign(float(Fraction(v) * Fraction(q) - Fraction(w))) for v, q, w in zip(a, p, y)]
    assert got.tolist() == want
    y = a / p
    got = draws._side_of_exact(a, y, p, False)
    want = [np.sign(float(Fraction(v) / Fraction(q) - Fraction(w))) for v, q, w in zip(a, p, y)]
    assert got.tolist() == want
    # Quotients that land exactly on .5 although the exact value is above / below it.
    a = np.array([5.606394622305e+24, 4.809938040755e+20, 3115.0])
    p = np.array([1e13, 1e9, 10.0])
    y = a / p
    assert ((y - np.floor(y)) == 0.5).all()
    assert draws._side_of_exact(a, y, p, False).tolist() == [1.0, -1.0, 0.0]
    assert draws.format_number_array(a, 12) == [draws.format_number(v, 12) for v in a.tolist()]


def _decimal_ties(n: int, count: int, seed: int = 5) -> np.ndarray:
    """Doubles nearest to n-digit decimal ties d.dd…d5 × 10**j (and their neighbours)."""
    rng = np.random.default_rng(seed + n)
    digits = rng.integers(10 ** (n - 1), 10 ** n, count)
    exps = rng.integers(-12, 12, count)
    xs = np.array([float(f"{d}5e{j}") for d, j in zip(digits.tolist(), exps.tolist())])
    return np.concatenate([xs, np.nextafter(xs, 0), np.nextafter(xs, np.inf)])


@pytest.mark.parametrize("sigfigs", [1, 2, 3, 4, 6, 9, 12, 15])
def test_decimal_ties_sigfigs(sigfigs):
    check_all(_decimal_ties(sigfigs, 700), sigfigs=sigfigs)


@pytest.mark.parametrize("decimals", [1, 2, 3, 5, 8])
def test_decimal_ties_decimals(decimals):
    rng = np.random.default_rng(decimals)
    xs = np.array([float(f"{d}5e-{decimals + 1}") for d in rng.integers(0, 10 ** 7, 2000).tolist()])
    check_all(np.concatenate([xs, -xs, np.nextafter(xs, 0)]), decimals=decimals)


def test_text_builder_matches_python_formatting():
    rng = np.random.default_rng(3)
    n = 5000
    places = rng.integers(0, 23, n)
    digits = np.floor(rng.uniform(0, 1, n) * 10.0 ** rng.integers(0, 16, n))
    neg = rng.random(n) < 0.5
    got = draws._fixed_point_texts(neg, digits, places, None, False)
    from decimal import Decimal

    want = [("-" if s else "") + format(Decimal(int(d)).scaleb(-int(p)), f".{int(p)}f")
            for s, d, p in zip(neg, digits, places)]
    assert got == want


# ---------------------------------------------------------------------------------------------
# Properties

def _near_decimal_ties():
    """Floats nearest to d.dd…5 × 10**j (decimal ties, rarely exact in binary), and neighbours."""
    return st.builds(lambda i, j, step: _step(float(f"{i}5e{j}"), step),
                     st.integers(0, 10 ** 8), st.integers(-12, 12), st.integers(-2, 2))


def _step(v: float, step: int) -> float:
    for _ in range(abs(step)):
        v = math.nextafter(v, math.inf if step > 0 else -math.inf)
    return v


any_float = st.floats(allow_nan=True, allow_infinity=True)
realistic = st.floats(min_value=1e-6, max_value=1e9)
large = st.floats(min_value=1e6, max_value=1e17)
values = st.lists(st.one_of(any_float, realistic, realistic.map(lambda v: -v), large,
                            _near_decimal_ties(), _near_decimal_ties().map(lambda v: -v),
                            st.sampled_from(EDGES)),
                  max_size=40)


@FUZZ
@given(values, st.one_of(st.none(), st.integers(1, 15)), st.booleans())
def test_property_sigfigs(xs, sigfigs, plain):
    check_round(xs, sigfigs=sigfigs)
    check_format(xs, sigfigs=sigfigs, plain=plain)


@FUZZ
@given(st.integers(1, 15).flatmap(lambda n: st.tuples(
    st.just(n), st.lists(st.builds(lambda d, j, step: _step(float(f"{d}5e{j}"), step),
                                   st.integers(10 ** (n - 1), 10 ** n - 1), st.integers(-30, 30),
                                   st.integers(-1, 1)), min_size=1, max_size=20))))
def test_property_ties_at_the_rounding_digit(case):
    n, xs = case
    check_round(xs, sigfigs=n)
    check_format(xs, sigfigs=n)
    check_round([-v for v in xs], sigfigs=n)


@FUZZ
@given(values, st.integers(0, 8), st.booleans())
def test_property_decimals(xs, decimals, plain):
    check_round(xs, decimals=decimals)
    check_format(xs, decimals=decimals, plain=plain)


@FUZZ
@given(st.lists(st.floats(allow_subnormal=True, min_value=-1e-290, max_value=1e-290), max_size=20),
       st.integers(1, 15))
def test_property_tiny_and_subnormal(xs, sigfigs):
    check_round(xs, sigfigs=sigfigs)
    check_format(xs, sigfigs=sigfigs)
    check_round(xs, decimals=3)


# ---------------------------------------------------------------------------------------------
# A large realistic array, compared in full

BIG = _loguniform(100_000, signed=True)


def test_big_array_sigfigs():
    check_round(BIG, sigfigs=3)
    check_format(BIG, sigfigs=3)
    for sigfigs in (2, 4):
        check_round(BIG[:30_000], sigfigs=sigfigs)
        check_format(BIG[:30_000], sigfigs=sigfigs)


def test_big_array_decimals_and_wide_range():
    check_round(BIG, decimals=0)
    check_format(BIG, decimals=0)
    wide = _loguniform(20_000, low=1e-12, high=1e12, seed=11, signed=True)
    check_format(wide, sigfigs=3, plain=True)
    check_format(wide, sigfigs=3)
    check_round(wide, sigfigs=6)
    check_format(wide, decimals=4)


# ---------------------------------------------------------------------------------------------
# A unit written in the same pass (suffix=)

@pytest.mark.parametrize("suffix", ["", " nM", " %", " µg/L", " mg/day", " ng·h/mL", "  x"])
def test_suffix_follows_every_text(suffix):
    rng = np.random.default_rng(7)
    xs = np.concatenate([rng.lognormal(0, 6, 2000) * rng.choice([-1, 1], 2000),
                         [0.0, -0.0, math.nan, math.inf, -math.inf, 1e-300, 3e25, 5e-324]])
    for sigfigs in (1, 2, 3, 4):
        got = draws.format_number_array(xs, sigfigs, suffix=suffix)
        assert got == [draws.format_number(v, sigfigs) + suffix for v in xs.tolist()]
    got = draws.format_number_array(xs, decimals=1, suffix=suffix, plain=True)
    assert got == [draws.format_number(v, None, 1, plain=True) + suffix for v in xs.tolist()]


def test_suffix_with_a_line_break_or_nul_still_appends_it():
    xs = np.array([1.5, 22.25, 0.001234])
    assert draws.format_number_array(xs, 3, suffix=" a\nb") == ["1.50 a\nb", "22.2 a\nb", "0.00123 a\nb"]
    assert draws.format_number_array(xs, 2, suffix="\0") == ["1.5\0", "22\0", "0.0012\0"]


@FUZZ
@given(values, st.integers(1, 15), st.text(max_size=12))
def test_property_suffix(xs, sigfigs, suffix):
    got = draws.format_number_array(np.array(xs, dtype=np.float64), sigfigs, suffix=suffix)
    assert got == [draws.format_number(v, sigfigs) + suffix for v in xs]
