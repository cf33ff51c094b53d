"""Stable random draws and display rounding: the same (template, seed, name) gives the same number
on every machine, with every numpy and Python version.

Draws are counter-based: a 64-bit key is derived from (template id, parameter name, attempt) with
BLAKE2b, mixed with the seed by SplitMix64 (integer arithmetic only, which numpy performs identically
everywhere), and the top 53 bits become a float in [0, 1).  Nothing depends on numpy's Generator
streams, which numpy does not promise to keep (numpy/numpy#16493).  Adding a parameter to a template
does not shift the others, because each name has its own key.

Rounding for display uses Python's correctly rounded ``format`` (half-to-even on the exact binary
value), never ``numpy.round``, whose algorithm (scale, round, unscale) differs at boundaries.
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

        return np.fromiter((math.exp(la + (lb - la) * float(v)) for v in u), dtype=np.float64, count=len(u))
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
    """:func:`round_display` over a float array (bit for bit the same values)."""
    import numpy as np

    return np.array([round_display(float(v), sigfigs, decimals) for v in np.asarray(x, dtype=np.float64)],
                    dtype=np.float64)


def format_number_array(x, sigfigs: int | None = None, decimals: int | None = None,
                        *, plain: bool = False) -> list[str]:
    """:func:`format_number` over a float array (the very same strings)."""
    import numpy as np

    return [format_number(v, sigfigs, decimals, plain=plain)
            for v in np.asarray(x, dtype=np.float64).tolist()]


_E_SPECS = tuple(f".{k - 1}e" for k in range(0, 24))  # index n: the spec for n significant figures


_SUP = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def _superscript(n: int) -> str:
    return str(n).translate(_SUP)


def canonical_float(x: float, digits: int = 12) -> float:
    """A float with the last-bit noise of different math libraries removed (for JSON output)."""
    if x == 0 or not math.isfinite(x):
        return x
    return float(format(x, f".{digits - 1}e"))
