"""Benchmark (b): grading throughput on a realistic mix of typed answers.

    python benchmarks/bench_grading.py [--answers 100000] [--runs 5] [--baseline 2000]

The mix is drawn (seeded, so every run grades the same answers) from instances of the three
canonical templates plus bank templates asked in nM, days and mg/d, in these shares:

* 30 % plain numbers: the answer to 3 significant figures, or a wrong value;
* 25 % numbers with units: converted (µM for nM, wk or h for days, g/d for mg/d, "80.1 %" …);
* 15 % percent/fraction forms: "80.1%", a bare fraction where % is asked (a slip), "8.01e1";
* 15 % misconceptions: the value of a named wrong derivation, with or without its unit;
* 10 % unreadable: words, stray symbols, unknown units, wrong dimensions, empty text;
*  5 % other forms: scientific notation, "×10^", arithmetic such as "3/4", "not attainable".

psyq's path is :func:`psyq.grading.grade` on every (part, text) pair.  The naive baseline, in the
same run, is the obvious grader: split number and unit with a regular expression, ``sympy.sympify``
the number, hand the unit text to pint, convert, compare and look for misconceptions.  It is timed on
``--baseline`` answers of the same mix (no hostile text: it would execute or hang on that) and
extrapolated per answer.
"""

from __future__ import annotations

import argparse
import math
import random
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import Sample, rate_text, table, timed  # noqa: E402

TARGET_PER_SECOND = 50_000
TEMPLATES = ("occupancy-from-ki", "mao-recovery", "snri-engagement",
             "occupancy-target-concentration", "mao-time-to-target", "ssri-pet-dose-for-target",
             "concentration-ngml-to-nm")
UNREADABLE = ["abc", "eighty", "1..2", "12 furlongs", "(3", "80 %%", "", "  ", "2x", "ln(-1)",
              "1,234", "0.8 kg", "1/0", "80 % %", "?", "1e", "five nM", "=80", "80 perc", "nM"]


def _fmt(x: float, sig: int = 3) -> str:
    from psyq.draws import format_number

    return format_number(x, sig, plain=True)


def _with_units(p, rnd: random.Random) -> str:
    v = p.value
    u = p.unit
    options = {
        "nM": [f"{_fmt(v)} nM", f"{_fmt(v / 1000)} µM", f"{_fmt(v / 1000)} uM", f"{_fmt(v * 1e-9)} M",
               f"{_fmt(v)} nmol/L"],
        "d": [f"{_fmt(v)} d", f"{_fmt(v)} days", f"{_fmt(v / 7)} wk", f"{_fmt(v * 24)} h"],
        "mg/d": [f"{_fmt(v)} mg/d", f"{_fmt(v)} mg/day", f"{_fmt(v / 1000)} g/d"],
        "%": [f"{_fmt(v)} %", f"{_fmt(v)}%", f"{_fmt(v / 100)} fraction"],
    }.get(u, [f"{_fmt(v)} {u}"])
    return rnd.choice(options)


def make_mix(n: int, seed: int = 0) -> list[tuple[object, str]]:
    """``n`` (part instance, typed text) pairs in the shares above (templates missing from the bank
    are skipped)."""
    from psyq import bank
    from psyq.errors import PsyqError
    from psyq.instance import generate_many

    rnd = random.Random(seed)
    parts = []
    for tid in TEMPLATES:
        try:
            t = bank.load(tid)
        except PsyqError:
            continue
        for inst in generate_many(t, range(400)):
            parts.extend(p for p in inst.parts if p.value is not None)
    mix = []
    for _ in range(n):
        p = rnd.choice(parts)
        v = p.value
        roll = rnd.random()
        if roll < 0.30:
            text = _fmt(v) if rnd.random() < 0.6 else _fmt(v * rnd.choice((0.5, 0.8, 1.25, 2.0)))
        elif roll < 0.55:
            text = _with_units(p, rnd)
        elif roll < 0.70:
            if p.unit == "%":
                text = rnd.choice((f"{_fmt(v)}%", _fmt(v / 100), f"{_fmt(v / 10, 3)}e1"))
            else:
                text = rnd.choice((_fmt(v), _fmt(v * 1000), _fmt(v / 1000)))
        elif roll < 0.85:
            ms = [m for m in p.misconceptions if m.value is not None and math.isfinite(m.value)]
            if ms:
                m = rnd.choice(ms)
                text = _fmt(m.value) + ("" if rnd.random() < 0.5 or p.unit in ("", "fraction")
                                        else f" {p.unit}")
            else:
                text = _fmt(v)
        elif roll < 0.95:
            text = rnd.choice(UNREADABLE)
        else:
            mant, _, exp = f"{v:.2e}".partition("e")
            text = rnd.choice((f"{v:.2e}", f"{mant}×10^{int(exp)}", f"{mant} x 10^{int(exp)}",
                               "3/4", "not attainable", f"({_fmt(v)})"))
        mix.append((p, text))
    return mix


def psyq_grade_all(mix):
    from psyq.grading import grade

    return [grade(p, text).status for p, text in mix]


class NaiveGrader:
    """The obvious grader: regex split, sympy for the number, pint for the unit."""

    _SPLIT = re.compile(r"^\s*([-+0-9.eE*/^()×x ]*?[0-9.)])\s*([^0-9].*)?$")

    def __init__(self):
        import pint
        import sympy

        self.sympy = sympy
        self.ureg = pint.UnitRegistry()
        self.ureg.define("fraction = 1")
        self.ureg.define("molar = mole / liter = M")

    def unit_of(self, text: str):
        text = {"%": "percent", "": "fraction", "d": "day", "wk": "week", "h": "hour",
                "mg/d": "mg/day", "g/d": "g/day", "µM": "uM"}.get(text, text)
        return self.ureg.parse_units(text.replace("µ", "u"))

    def grade(self, part, text: str) -> str:
        try:
            m = self._SPLIT.match(text)
            if not m:
                return "invalid"
            number = m.group(1).replace("×", "*").replace("x", "*").replace("^", "**")
            value = float(self.sympy.sympify(number).evalf())
            target_unit = self.unit_of(part.unit)
            if m.group(2):
                q = self.ureg.Quantity(value, self.unit_of(m.group(2).strip()))
                value = q.to(target_unit).magnitude
            if abs(value - part.value) <= part.atol + part.rtol * abs(part.value):
                return "correct"
            for mis in part.misconceptions:
                if mis.value is not None and abs(value - mis.value) <= part.rtol * abs(mis.value):
                    return "incorrect"
            return "incorrect"
        except Exception:  # noqa: BLE001 - the naive grader treats every failure as unreadable
            return "invalid"


def run(answers: int = 100_000, runs: int = 5, baseline: int = 2000, baseline_runs: int = 3,
        log=print) -> dict:
    mix = make_mix(answers)
    psyq_grade_all(mix[:2000])  # warm the unit and pint caches
    fast = Sample()
    for _ in range(runs):
        dt, statuses = timed(psyq_grade_all, mix)
        fast.add(dt / len(mix))
    counts = {s: statuses.count(s) for s in sorted(set(statuses))}
    naive = NaiveGrader()
    sample = mix[:: max(1, len(mix) // baseline)][:baseline]
    for p, text in sample[:50]:
        naive.grade(p, text)
    slow = Sample()
    for _ in range(baseline_runs):
        from sympy.core.cache import clear_cache

        clear_cache()
        dt, _ = timed(lambda: [naive.grade(p, text) for p, text in sample])
        slow.add(dt / len(sample))
    result = {"answers": len(mix), "runs": runs, "psyq_s": fast, "naive_s": slow,
              "baseline_answers": len(sample), "baseline_runs": baseline_runs, "statuses": counts,
              "ratio": slow.median / fast.median}
    result["met"] = 1 / fast.median >= TARGET_PER_SECOND
    log(f"  grading: psyq {rate_text(1 / fast.median)}/s, naive {rate_text(1 / slow.median)}/s")
    return result


def rows_for_table(r: dict) -> tuple[list[str], list[list[str]]]:
    f, s = r["psyq_s"], r["naive_s"]
    header = ["path", "answers/s (median, min–max)", "µs per answer", "target ≥ 50,000/s"]
    rows = [
        [f"psyq grade ({r['answers']:,} answers × {r['runs']} runs)",
         f"{rate_text(1 / f.median)} ({rate_text(1 / f.high)}–{rate_text(1 / f.low)})",
         f"{f.median * 1e6:.1f}", "met" if r["met"] else "NOT met"],
        [f"naive sympify + pint ({r['baseline_answers']:,} answers, extrapolated)",
         f"{rate_text(1 / s.median)} ({rate_text(1 / s.high)}–{rate_text(1 / s.low)})",
         f"{s.median * 1e6:.1f}", f"psyq is {r['ratio']:,.0f}× faster"],
    ]
    return header, rows


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--answers", type=int, default=100_000)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--baseline", type=int, default=2000)
    args = ap.parse_args(argv)
    r = run(args.answers, args.runs, args.baseline)
    print(table(*rows_for_table(r)))
    print("verdicts:", ", ".join(f"{k} {v:,}" for k, v in r["statuses"].items()))
    return 0 if r["met"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
