"""Stable random draws and display rounding: the same (template, seed, name) gives the same number
on every machine, with every numpy and Python version.

Draws are counter-based: a 64-bit key is derived from (template id, parameter name, attempt) with
BLAKE2b, mixed with the seed by SplitMix64 (integer arithmetic only, which numpy performs identically
everywhere), and the top 53 bits become a float in [0, 1).  Nothing depends on numpy's Generator
streams, which numpy does not promise to keep (numpy/numpy#16493).  Adding a parameter to a template
does not shift the others, because each name has its own key.

Rounding for display uses Python's correctly rounded ``format`` (half-to-even on the exact binary
value), never ``numpy.round``, whose algorithm (scale, round, unscale) differs at boundaries.  The
array forms reach the very same digits with numpy only where that is proven (see "How the array
forms stay exact"), and hand every other element to the scalar functions.
"""

from __future__ import annotations

import hashlib
import math

MASK64 = (1 << 64) - 1
_GOLDEN = 0x9E3779B97F4A7C15
_M1 = 0xBF58476D1CE4E5B9
_M2 = 0x94D049BB133111EB


def stream_key(template_id: str, name: str, attempt: int = 0) -> int:
    digest = hashlib.blake2b(f"psyq/1\0{template_id}\0{name}\0{attempt}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "little")


def splitmix64(x: int) -> int:
    z = (x + _GOLDEN) & MASK64
    z = ((z ^ (z >> 30)) * _M1) & MASK64
    z = ((z ^ (z >> 27)) * _M2) & MASK64
    return z ^ (z >> 31)


def uniform01(template_id: str, name: str, seed: int, attempt: int = 0) -> float:
    """One draw in [0, 1) (scalar reference implementation; :func:`uniform01_array` matches it)."""
    z = splitmix64(stream_key(template_id, name, attempt) ^ ((seed * _GOLDEN) & MASK64))
    return (z >> 11) * (1.0 / (1 << 53))


def uniform01_array(template_id: str, name: str, seeds, attempt: int = 0):
    """Vectorised :func:`uniform01` over an array of seeds (numpy uint64 wrap-around arithmetic)."""
    import numpy as np

    s = np.asarray(seeds, dtype=np.uint64)
    with np.errstate(over="ignore"):
        x = np.uint64(stream_key(template_id, name, attempt)) ^ (s * np.uint64(_GOLDEN))
        z = x + np.uint64(_GOLDEN)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(_M1)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(_M2)
        z = z ^ (z >> np.uint64(31))
    return (z >> np.uint64(11)).astype(np.float64) * (1.0 / (1 << 53))


def scale_uniform(u, low: float, high: float):
    return low + (high - low) * u


def scale_loguniform(u, low: float, high: float):
    """Log-uniform on [low, high].  Uses math.exp per value so the result cannot depend on numpy's
    SIMD exp, which may differ in the last bit between builds."""
    la, lb = math.log(low), math.log(high)
    if hasattr(u, "__len__"):
        import numpy as np

        # la + (lb - la)·u in numpy is the same IEEE arithmetic as in Python; exp stays math.exp.
        x = la + (lb - la) * np.asarray(u, dtype=np.float64)
        return np.fromiter(map(math.exp, x.tolist()), dtype=np.float64, count=len(x))
    return math.exp(la + (lb - la) * u)


def choose_index(u, n: int):
    if hasattr(u, "__len__"):
        import numpy as np

        return np.minimum((np.asarray(u) * n).astype(np.int64), n - 1)
    return min(int(u * n), n - 1)


# ---------------------------------------------------------------------------------------------
# Rounding and formatting of numbers for display

def round_sig(x: float, sigfigs: int) -> float:
    """Round to ``sigfigs`` significant figures (correctly rounded via ``format``)."""
    if x == 0 or not math.isfinite(x):
        return x
    return float(format(x, f".{sigfigs - 1}e"))


def round_dec(x: float, decimals: int) -> float:
    if not math.isfinite(x):
        return x
    return float(format(x, f".{decimals}f"))


def round_display(x: float, sigfigs: int | None = None, decimals: int | None = None) -> float:
    if decimals is not None:
        return round_dec(x, decimals)
    return round_sig(x, sigfigs or 3)


def format_number(x: float, sigfigs: int | None = None, decimals: int | None = None,
                  *, plain: bool = False) -> str:
    """Text for a number as a person writes it: '0.29', '1.16', '80.5', '1.2×10⁻⁵'.

    Significant figures are kept (trailing zeros shown: '0.80'); very large or small magnitudes use
    powers of ten (``plain=True`` gives '1.2e-05' style, for machine-read text).
    """
    if x is None:
        return "—"
    if not math.isfinite(x):
        return str(x)
    if decimals is not None:
        return format(x, f".{decimals}f")
    n = sigfigs or 3
    if x == 0:
        return "0" if n == 1 else "0." + "0" * (n - 1)
    s = format(x, _E_SPECS[n] if 0 < n < len(_E_SPECS) else f".{n - 1}e")
    i = s.index("e")
    exp = int(s[i + 1:])
    if -4 <= exp < (n if n > 6 else 6):
        # The correctly rounded digits, moved to fixed-point notation (never rounded again; the
        # same text as formatting Decimal(s) with max(n - 1 - exp, 0) decimals).
        neg = s[0] == "-"
        digits = s[1 if neg else 0:i].replace(".", "")
        if exp < 0:
            body = "0." + "0" * (-exp - 1) + digits
        elif exp + 1 >= n:
            body = digits + "0" * (exp + 1 - n)
        else:
            body = digits[:exp + 1] + "." + digits[exp + 1:]
        return "-" + body if neg else body
    mant = s[:i]
    if plain:
        return f"{mant}e{exp}"
    return f"{mant}×10{_superscript(exp)}"



# ---------------------------------------------------------------------------------------------
# The same over arrays (generate_many renders whole columns of instances at once).  Each returns
# exactly, element by element, what the scalar function returns: the scalar one is the reference.

def round_display_array(x, sigfigs: int | None = None, decimals: int | None = None):
    """:func:`round_display` over a float array (bit for bit the same values).

    Vectorised (see "How the array forms stay exact" below); elements the fast path cannot vouch
    for go through :func:`round_display` itself.
    """
    import numpy as np

    xs = np.asarray(x, dtype=np.float64)
    plan = _array_plan(xs, sigfigs, decimals, _VECTOR_MIN // 2)
    if plan is None:
        return np.array([round_display(float(v), sigfigs, decimals) for v in xs], dtype=np.float64)
    ok, m, k, p = _rounded(xs, plan)
    with np.errstate(all="ignore"):
        if plan[0] == "dec":
            m /= p
        else:
            np.divide(m, p, out=m, where=k >= 0)
            np.multiply(m, p, out=m, where=k < 0)
    np.copysign(m, xs, out=m)
    out = np.where(ok, m, xs)  # zeros and non-finite values come back as they are, like the scalars
    if not ok.all():
        slow = np.flatnonzero(~ok & np.isfinite(xs) & ((xs != 0) | (plan[0] == "dec")))
        if slow.size:
            out[slow] = [round_display(v, sigfigs, decimals) for v in xs[slow].tolist()]
    return out


def format_number_array(x, sigfigs: int | None = None, decimals: int | None = None,
                        *, plain: bool = False, suffix: str = "") -> list[str]:
    """:func:`format_number` over a float array (the very same strings), each followed by
    ``suffix`` (" nM": a unit written in the same pass costs next to nothing).

    Vectorised (see "How the array forms stay exact" below); elements the fast path cannot vouch
    for go through :func:`format_number` itself.
    """
    import numpy as np

    xs = np.asarray(x, dtype=np.float64)
    plan = _array_plan(xs, sigfigs, decimals, _VECTOR_MIN)
    if plan is None or "\n" in suffix or "\0" in suffix:
        return [format_number(v, sigfigs, decimals, plain=plain) + suffix for v in xs.tolist()]
    kind, n = plan
    ok, digits, k, _ = _rounded(xs, plan)
    neg = np.signbit(xs)
    exponents = None
    if kind == "dec":
        places = n
    else:
        pow10f = _pow10f()
        zero = xs == 0
        if zero.any():                          # written "0.00": n - 1 decimals, no sign
            ok |= zero
            neg &= ~zero
            digits[zero] = 0
            k[zero] = n - 1
        carry = digits == pow10f[n]             # rounded up to 10**n: digits 10**(n-1), exp + 1
        digits[carry] = pow10f[n - 1]
        exp = np.subtract(n - 1, k, out=k)      # the decimal exponent of the rounded value
        exp += carry
        fixed = (exp >= -4) & (exp < max(n, 6))
        # Fixed point: the n digits with max(n - 1 - exp, 0) decimals, and exp - (n - 1) trailing
        # zeros when exp >= n; otherwise the mantissa d.ddd (n - 1 decimals) and a suffix ×10ᵉ.
        places = np.subtract(n - 1, exp, dtype=np.int32)
        np.maximum(places, 0, out=places)
        zeros = exp >= n
        if zeros.any():
            zeros &= fixed
            digits[zeros] *= pow10f[exp[zeros] - (n - 1)]
        sci = ok & ~fixed
        if sci.any():
            places[sci] = n - 1
            exponents = np.full(xs.shape, _NO_SUFFIX, dtype=np.intp)
            exponents[sci] = exp[sci] + _SUFFIX_SPAN
    if ok.all():
        return _fixed_point_texts(neg, digits, places, exponents, plain, suffix)
    texts = np.empty(xs.size, dtype=object)
    fast = np.flatnonzero(ok)
    if fast.size:
        texts[fast] = np.array(_fixed_point_texts(neg[fast], digits[fast],
                                                  places if kind == "dec" else places[fast],
                                                  None if exponents is None else exponents[fast], plain,
                                                  suffix),
                               dtype=object)
    for i in np.flatnonzero(~ok).tolist():
        texts[i] = format_number(float(xs[i]), sigfigs, decimals, plain=plain) + suffix
    return texts.tolist()


# How the array forms stay exact
# ------------------------------
# Let a = |x| and, for n significant figures, e = floor(log10 a) and k = n - 1 - e; for ``decimals``
# d, k = d.  The scalar functions keep the digits m = round_half_even(a * 10**k) (exact real
# product), i.e. what format(x, ".{n-1}e") / format(x, ".{d}f") write.
#
# 1. 10**|k| is an exact double for |k| <= 22 (5**22 < 2**53), so y = fl(a * 10**k) (k >= 0) or
#    fl(a / 10**-k) (k < 0) is one correctly rounded operation: |y - a*10**k| <= 2**-53 * |a*10**k|
#    (plus at most 2**-1075 if y is subnormal, which only happens far below 0.5).
# 2. We only use y < 10**15 < 2**50, so every half-integer h near y is an exact double, and y -
#    floor(y) is exact.  Rounding to nearest is monotone: if y < h then a*10**k < h (were it >= h,
#    its rounding y would be >= fl(h) = h), and likewise for y > h.  So when y is not itself a
#    half-integer, the exact a*10**k lies strictly between the same two consecutive half-integers
#    as y and has the same nearest integer: m = rint(y), with no tie involved.  The only elements
#    in question are those where y is exactly a half-integer (the band has width zero).
#    For those (when k != 0; with k == 0, y is a itself and a real tie, broken to even by rint as by
#    ``format``), the sign of the rounding error is computed exactly (_side_of_exact, Dekker's
#    error-free product): zero means a real tie (rint, to even), positive means the exact value is
#    above h (m = h + 0.5), negative below (m = h - 0.5).  No element goes back for a tie.
# 3. log10 may be off next to powers of ten, so e is checked: 10**(n-1) <= y <= 10**n is required
#    (if not, k is moved by one and y computed again; if still not, the element goes to the scalar
#    function).  Rounding is monotone and 10**(n-1), 10**n are exact doubles, so for y strictly
#    inside, a*10**k is inside too and e is the true exponent.  At the ends a*10**k may be a hair
#    (relative 2**-53) outside, and the answer is the same either way: y == 10**(n-1) with a*10**k
#    below means true exponent e - 1 and a true scaled value within 10**n * 2**-53 < 0.5 of 10**n,
#    which rounds to 10**n and carries back to digits 10**(n-1) at exponent e, as rint(y) gives;
#    y == 10**n means digits 10**(n-1) at exponent e + 1 whether a*10**k is a hair below 10**n
#    (rounds up to 10**n, carry) or a hair above (true exponent e + 1, scaled value a hair above
#    10**(n-1)).  A carry m == 10**n means digits 10**(n-1) and exponent e + 1, as in ``format``.
# 4. The rounded value: m < 2**53 and 10**|k| are exact doubles, so m / 10**k (or m * 10**-k) is the
#    correctly rounded double nearest to the decimal m * 10**-k, which is what float() of the
#    scalar's string gives.  Bit for bit, sign restored with copysign (so -0.001 to 2 decimals is
#    -0.0, like float('-0.00')).
# 5. The text is written from the integer digits alone (no float formatting): sign, integer part
#    without leading zeros (at least '0'), point and exactly ``places`` decimals, suffix.  These are
#    the characters format_number composes from the same digits and exponent.
# Everything else (nan, inf, zero for round_*, subnormal and huge or tiny magnitudes with |k| > 22,
# y >= 10**15, sigfigs above 15 or decimals above 22, unusual arguments or shapes) uses the scalars.

_VECTOR_MIN = 64             # shorter arrays: the scalar loop is faster than numpy's per-call costs
_SUFFIX_SPAN = 40            # suffix table: exponents -40..40 (the fast path needs |exp| < 40)
_NO_SUFFIX = 2 * _SUFFIX_SPAN + 1
_ARRAY_TABLES: dict = {}


def _array_plan(xs, sigfigs, decimals, min_size=0):
    """("dec", d) or ("sig", n) when the vectorised path applies, else None."""
    if xs.ndim != 1 or xs.size < min_size:
        return None
    if decimals is not None:
        d = _small_int(decimals)
        return ("dec", d) if d is not None and d <= 22 else None
    n = 3 if sigfigs is None else _small_int(sigfigs)
    if n is None:
        return None
    n = n or 3
    return ("sig", n) if n <= 15 else None


def _small_int(v):
    import numpy as np

    if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 0:
        return None
    return int(v)


def _pow10f():
    t = _ARRAY_TABLES.get("pow10f")
    if t is None:
        import numpy as np

        t = _ARRAY_TABLES["pow10f"] = np.array([float(10 ** i) for i in range(23)])  # all exact
    return t


def _rounded(xs, plan):
    """(ok, m, k, p): wherever ok, m = rint(|x| * 10**k) are the scalar's digits (see above) and the
    rounded |x| is m / p for k >= 0, m * p for k < 0 (p = 10**|k|).  For decimals, k and p are
    plain numbers.  m and k are new arrays the caller may overwrite."""
    import numpy as np

    kind, n = plan
    a = np.abs(xs)
    pow10f = _pow10f()
    with np.errstate(all="ignore"):
        ok = np.isfinite(a)
        if kind == "dec":
            k, p = n, pow10f[n]
            y = a * p
            ok &= y < 1e15
        else:
            ok &= a > 0
            t = np.log10(np.where(ok, a, 1.0))
            np.floor(t, out=t)
            np.subtract(n - 1, t, out=t)                 # k = n - 1 - floor(log10 a)
            ok &= (t >= -22) & (t <= 22)
            np.clip(t, -22, 22, out=t)
            k = t.astype(np.intp)
            up = k >= 0
            p = pow10f[np.abs(k)]
            y = np.multiply(a, p, out=t, where=up)
            np.divide(a, p, out=y, where=~up)
            lo, hi = pow10f[n - 1], pow10f[n]
            off = ok & ((y < lo) | (y > hi))
            if off.any():                                # log10 off by one next to a power of ten
                i = np.flatnonzero(off)
                ki = k[i] + np.where(y[i] < lo, 1, -1)
                ok[i] &= np.abs(ki) <= 22
                ki = np.clip(ki, -22, 22)
                k[i], p[i] = ki, pow10f[np.abs(ki)]
                y[i] = np.where(ki >= 0, a[i] * p[i], a[i] / p[i])
            ok &= (y >= lo) & (y <= hi)
        # Only a y that is exactly a half-integer can round differently from a * 10**k (see 2.).
        half = np.floor(y)
        np.subtract(y, half, out=half)
        half = half == 0.5
        if kind == "sig" or k:
            if kind == "sig":
                half &= k != 0                            # k == 0: y is a itself, ties are real
            half &= ok
        else:
            half = None
        m = np.rint(y)
        if half is not None and half.any():
            i = np.flatnonzero(half)
            side = _side_of_exact(a[i], y[i], p if kind == "dec" else p[i],
                                  True if kind == "dec" else k[i] >= 0)
            m[i] = np.where(side > 0, y[i] + 0.5, np.where(side < 0, y[i] - 0.5, m[i]))
    return ok, m, k, p


def _side_of_exact(a, y, p, up):
    """Sign of (a * p - y) where up, of (a / p - y) elsewhere, exactly: y = fl(a * p) or fl(a / p).

    Dekker's error-free product (Veltkamp splitting, no FMA needed): for doubles u, v whose product
    neither overflows nor underflows, u * v == hi + lo exactly, hi = fl(u * v).  Where up, the
    exact product is y + lo(a, p).  Elsewhere a / p - y has the sign of a - y * p = (a - hi) - lo
    with hi, lo from y * p; hi is within a relative 2**-52 of a, so a - hi is exact (Sterbenz) and
    the last subtraction keeps the sign.  Magnitudes here are within 10**-23 .. 10**38."""
    import numpy as np

    def split(v):
        c = v * 134217729.0                              # 2**27 + 1
        hi = c - (c - v)
        return hi, v - hi

    def product(u, v):
        hi = u * v
        uh, ul = split(u)
        vh, vl = split(v)
        return hi, ul * vl - (((hi - uh * vh) - ul * vh) - uh * vl)

    p = np.broadcast_to(p, a.shape)
    up = np.broadcast_to(up, a.shape)
    _, lo_up = product(a, p)                             # hi == y where up
    hi, lo = product(y, p)
    return np.sign(np.where(up, lo_up, (a - hi) - lo))


def _digit_table():
    """uint32 words of 4 bytes for v in 0..9999 and 7 kinds: kind s <= 4 holds the last s digits of
    f'{v:04d}', kind 5 str(v) without leading zeros ('' for 0), kind 6 str(v); NUL bytes pad."""
    t = _ARRAY_TABLES.get("digits")
    if t is None:
        import numpy as np

        v = np.arange(10000)
        chars = np.stack([v // 1000, v // 100 % 10, v // 10 % 10, v % 10], axis=1)
        chars = chars.astype(np.uint8) + 48
        ndig = (v >= 1).astype(np.int64) + (v >= 10) + (v >= 100) + (v >= 1000)
        col = np.arange(4)
        kinds = [col >= 4 - s for s in range(5)]
        kinds += [col >= 4 - ndig[:, None], col >= 4 - np.maximum(ndig, 1)[:, None]]
        t = np.concatenate([np.where(keep, chars, 0).astype(np.uint8) for keep in kinds])
        t = _ARRAY_TABLES["digits"] = np.ascontiguousarray(t).view(np.uint32).ravel()
    return t


def _suffix_table(plain: bool):
    """Rows of 4 uint32 words (16 UTF-8 bytes, NUL padded): '×10⁻⁵' or 'e-5' for each exponent."""
    key = ("suffix", bool(plain))
    t = _ARRAY_TABLES.get(key)
    if t is None:
        import numpy as np

        rows = [(f"e{e}" if plain else f"×10{_superscript(e)}").encode().ljust(16, b"\0")
                for e in range(-_SUFFIX_SPAN, _SUFFIX_SPAN + 1)] + [b"\0" * 16]
        t = _ARRAY_TABLES[key] = np.frombuffer(b"".join(rows), dtype=np.uint32).reshape(-1, 4)
    return t


def _fixed_point_texts(neg, digits, places, suffix, plain, text: str = "") -> list[str]:
    """Row i: '-' if neg[i], digits[i] / 10**places[i] written with exactly places[i] decimals (at
    least one integer digit), then the suffix row suffix[i] (if given), then ``text`` (the same for
    every row; no NUL or newline in it).  digits are float64 integers
    below 2**53; places (an array, or one number for all rows) are at most 22.

    Every row becomes a run of uint32 words whose NUL bytes are then deleted in one pass, so the
    rows' differing lengths need no per-row work in Python."""
    import numpy as np

    size = digits.size
    if size == 0:
        return []
    table = _digit_table()
    sep, sep_neg, point = np.frombuffer(b"\n\0\0\0\n-\0\0.\0\0\0", dtype=np.uint32)
    dmax = int(np.max(places))
    if dmax == 0:
        whole, frac = digits, None
    else:
        p = _pow10f()[places]
        # floor(fl(D / p)) is the exact quotient for integers D < 2**53: a non-integral D / p is at
        # least 1/p below the next integer, and its rounding error is below D * 2**-53 / p.
        whole = np.floor(digits / p)
        frac = digits - whole * p
    cols = [np.where(neg, sep_neg, sep)]                   # each row starts with '\n' (and '-')
    itype = np.int32 if whole.max() < 2 ** 31 else np.int64
    whole = whole.astype(itype)
    chunks, top = [], itype(60000)                         # integer part, 4 digits a word
    for _ in range(4):                                     # whole < 2**53 < 10**16
        q = whole // 10000
        whole -= q * itype(10000)
        whole += np.where(q > 0, itype(40000), top)       # kind 4 inside, 5 or 6 at the top
        chunks.append(table[whole])
        whole, top = q, itype(50000)
        if not whole.any():
            break
    cols += chunks[::-1]
    if dmax:
        cols.append(np.where(places > 0, point, np.uint32(0)) if np.ndim(places) else
                    np.full(size, point, dtype=np.uint32))
        ftype = np.int32 if dmax <= 9 else np.int64
        frac = frac.astype(ftype)
        chunks = []
        for j in range((dmax + 3) // 4):                   # exactly `places` decimals
            q = frac // 10000
            frac -= q * ftype(10000)
            shown = np.clip(np.subtract(places, 4 * j, dtype=ftype), 0, 4)
            frac += shown * ftype(10000)
            chunks.append(table[frac])
            frac = q
        cols += chunks[::-1]
    tail = text.encode("utf-8")
    tail = np.frombuffer(tail.ljust(-(-len(tail) // 4) * 4, b"\0"), dtype=np.uint32)
    width = len(cols) + (4 if suffix is not None else 0) + len(tail)
    buf = bytearray(size * width * 4)
    words = np.frombuffer(buf, dtype=np.uint32).reshape(size, width)
    for i, c in enumerate(cols):
        words[:, i] = c
    if suffix is not None:
        words[:, len(cols):len(cols) + 4] = _suffix_table(plain)[suffix]
    if len(tail):
        words[:, width - len(tail):] = tail
    del words
    return buf.translate(None, b"\0").decode("utf-8").split("\n")[1:]


_E_SPECS = tuple(f".{k - 1}e" for k in range(0, 24))  # index n: the spec for n significant figures


_SUP = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def _superscript(n: int) -> str:
    return str(n).translate(_SUP)


def canonical_float(x: float, digits: int = 12) -> float:
    """A float with the last-bit noise of different math libraries removed (for JSON output)."""
    if x == 0 or not math.isfinite(x):
        return x
    return float(format(x, f".{digits - 1}e"))
