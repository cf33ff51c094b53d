"""Micro-benchmark: the vectorised draws.round_display_array / format_number_array against the
element-by-element loops over the scalar functions they must equal.

    python benchmarks/micro_draws.py [--n 100000] [--runs 5] [--low 1e-3] [--high 1e4]

Values are log-uniform on [low, high] (seeded), half of them negated in a second data set.  Each
case is checked for exact equality before it is timed.  The "fallback" column is the share of
elements the fast path hands to the scalar function.
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import Sample, table, timed


def _fallback_share(xs, sigfigs, decimals) -> float:
    from psyq import draws

    plan = draws._array_plan(xs, sigfigs, decimals)
    ok = draws._rounded(xs, plan)[0]
    return float((~ok & (xs != 0)).mean())


def _calls(draws, data, sf, dec):
    """The four timed calls: the scalar loops (references) and the array forms."""
    import numpy as np

    def ref_round():
        return np.array([draws.round_display(float(v), sf, dec) for v in data], dtype=np.float64)

    def ref_text():
        return [draws.format_number(v, sf, dec) for v in data.tolist()]

    def new_round():
        return draws.round_display_array(data, sf, dec)

    def new_text():
        return draws.format_number_array(data, sf, dec)

    return ref_round, ref_text, new_round, new_text


def main(argv=None) -> int:
    import numpy as np

    from psyq import draws

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--low", type=float, default=1e-3)
    ap.add_argument("--high", type=float, default=1e4)
    args = ap.parse_args(argv)

    rng = np.random.default_rng(20240601)
    xs = np.exp(rng.uniform(math.log(args.low), math.log(args.high), args.n))
    signed = xs * rng.choice([-1.0, 1.0], args.n)
    cases = [("sigfigs=2", 2, None), ("sigfigs=3", 3, None), ("sigfigs=4", 4, None),
             ("decimals=0", None, 0), ("decimals=2", None, 2)]
    rows = []
    for data_name, data in (("positive", xs), ("signed", signed)):
        for name, sf, dec in cases:
            ref_round, ref_text, new_round, new_text = _calls(draws, data, sf, dec)
            assert np.array_equal(ref_round().view(np.uint64), new_round().view(np.uint64)), name
            assert ref_text() == new_text(), name
            times = {}
            for label, fn in (("round ref", ref_round), ("round new", new_round),
                              ("format ref", ref_text), ("format new", new_text)):
                s = Sample()
                for _ in range(args.runs):
                    s.add(timed(fn)[0])
                times[label] = s.median
            rows.append([data_name, name,
                         f"{times['round ref'] * 1e3:.1f}", f"{times['round new'] * 1e3:.2f}",
                         f"{times['round ref'] / times['round new']:.0f}×",
                         f"{times['format ref'] * 1e3:.1f}", f"{times['format new'] * 1e3:.2f}",
                         f"{times['format ref'] / times['format new']:.1f}×",
                         f"{_fallback_share(data, sf, dec):.2e}"])
    print(f"{args.n:,} values, log-uniform on [{args.low:g}, {args.high:g}]; "
          f"median of {args.runs} runs, ms")
    print(table(["data", "case", "round ref", "round new", "speedup", "format ref", "format new",
                 "speedup", "fallback"], rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
