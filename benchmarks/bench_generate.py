"""Benchmark (a): instance generation, psyq's compiled path against naive per-instance sympy.

    python benchmarks/bench_generate.py [--instances 100000] [--runs 5] [--baseline 300]

psyq's path is :func:`psyq.instance.generate_many` over ``--instances`` seeds of one template: the
relations were solved once (compiled, cached; the first call is made before timing), the draws are
vectorised, and every instance is rendered in full (text, givens, parts, accepted intervals,
misconception values, worked-solution steps).

The naive baseline, in the same run, does for each instance what a straightforward generator does:
substitute that instance's givens into the template's relations and call ``sympy.solve`` for the
unknowns, then ``evalf``.  It gets psyq's own drawn, rounded givens for free (the draws are not
timed) and renders no text at all, so it does strictly less work than psyq's path and the ratio is
conservative.  It is timed on ``--baseline`` seeds spread over the range and extrapolated per
instance; its answers are checked against psyq's (relative difference below 1e-9).

The two are timed in alternation, round by round, and the ratio is taken within each round (its
median and min–max over the rounds are reported), so a machine that slows down for a while slows
both sides of a ratio alike.
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import Sample, rate_text, table, timed  # noqa: E402

CANONICAL = ("occupancy-from-ki", "mao-recovery", "snri-engagement")
TARGET_RATIO = 1000.0


def psyq_generate(template, n: int):
    from psyq.instance import generate_many

    return generate_many(template, range(n))


def psyq_numeric(template, n: int):
    from psyq.sampling import solve_values

    return solve_values(template, range(n))


class NaiveGenerator:
    """Per instance: substitute, ``sympy.solve``, ``evalf`` (no caching of solutions)."""

    def __init__(self, template):
        import sympy as sp

        from psyq import expr as E

        self.t = template
        self.sp = sp
        self.syms = {n: (sp.Symbol(n, positive=True) if s.positive else sp.Symbol(n, real=True))
                     for n, s in template.symbols.items()}
        self.relations = [(E.to_sympy(lhs, self.syms), E.to_sympy(rhs, self.syms))
                          for lhs, rhs, _ in template.relations]
        self.givens = list(template.givens)
        self.unknowns = [n for n in template.symbols if n not in self.givens]

    def one(self, given_values: dict[str, float]) -> dict[str, float]:
        sp = self.sp
        subs = {self.syms[n]: sp.Float(given_values[n]) for n in self.givens}
        equations = [sp.Eq(lhs.subs(subs), rhs.subs(subs)) for lhs, rhs in self.relations]
        solutions = sp.solve(equations, [self.syms[u] for u in self.unknowns], dict=True)
        for sol in solutions:
            out = {}
            for u in self.unknowns:
                value = complex(sol[self.syms[u]].evalf())
                if abs(value.imag) > 1e-12 or not self._in_range(u, value.real):
                    break
                out[u] = value.real
            else:
                return out
        return {u: math.nan for u in self.unknowns}

    def _in_range(self, name: str, v: float) -> bool:
        s = self.t.symbols[name]
        return (math.isfinite(v) and (not s.positive or v >= 0)
                and (s.min is None or v >= s.min - 1e-12) and (s.max is None or v <= s.max + 1e-12))


def naive_sample(template, seeds: list[int]):
    """(the timed callable, a checker): given values come from psyq's draws, untimed."""
    from psyq.sampling import solve_values

    gen = NaiveGenerator(template)
    values, _, _ = solve_values(template, seeds)
    rows = [{n: float(values[n][i]) for n in gen.givens} for i in range(len(seeds))]

    def run():
        return [gen.one(r) for r in rows]

    def check(results) -> bool:
        for i, res in enumerate(results):
            for u, v in res.items():
                want = float(values[u][i])
                if not (math.isclose(v, want, rel_tol=1e-9, abs_tol=1e-12)
                        or (math.isnan(v) and math.isnan(want))):
                    return False
        return True

    return run, check


def run(template_ids=CANONICAL, instances: int = 100_000, runs: int = 5, baseline: int = 300,
        baseline_runs: int | None = None, log=print) -> list[dict]:
    """Time psyq and the naive baseline in alternation, round by round, so that both see the same
    machine (a shared or throttled machine slows both alike); the ratio is taken within each
    round, and its median and min–max over the rounds are reported.  The naive baseline is timed
    in the first ``baseline_runs`` rounds (all of them by default)."""
    from psyq import bank

    baseline_runs = runs if baseline_runs is None else min(baseline_runs, runs)
    results = []
    for tid in template_ids:
        template = bank.load(tid)
        psyq_generate(template, 10)  # compile (sympy, once per template) and warm caches
        step = max(1, instances // baseline)
        seeds = list(range(0, step * baseline, step))[:baseline]
        naive_run, naive_check = naive_sample(template, seeds)
        naive_sample(template, seeds[:5])[0]()  # sympy's own import and first-call set-up, untimed
        full, numeric, naive = Sample(), Sample(), Sample()
        ratio, ratio_numeric = Sample(), Sample()
        agree = True
        for round_no in range(runs):
            dt, out = timed(psyq_generate, template, instances)
            assert len(out) == instances
            del out
            full.add(dt / instances)
            dt, _ = timed(psyq_numeric, template, instances)
            numeric.add(dt / instances)
            if round_no < baseline_runs:
                dt, res = timed(naive_run)
                naive.add(dt / len(seeds))
                agree = agree and naive_check(res)
                ratio.add(naive.values[-1] / full.values[-1])
                ratio_numeric.add(naive.values[-1] / numeric.values[-1])
        row = {
            "template": tid, "instances": instances, "runs": runs,
            "psyq_s": full, "numeric_s": numeric, "naive_s": naive,
            "baseline_instances": len(seeds), "baseline_runs": baseline_runs, "agree": agree,
            "ratio": ratio.median, "ratio_low": ratio.low, "ratio_high": ratio.high,
            "ratio_numeric": ratio_numeric.median,
        }
        row["met"] = row["ratio"] >= TARGET_RATIO
        row["met_numeric"] = row["ratio_numeric"] >= TARGET_RATIO
        log(f"  {tid}: psyq {rate_text(1 / full.median)}/s, naive {rate_text(1 / naive.median)}/s, "
            f"ratio {row['ratio']:,.0f}× ({row['ratio_low']:,.0f}–{row['ratio_high']:,.0f})")
        results.append(row)
    return results


def rows_for_table(results: list[dict]) -> tuple[list[str], list[list[str]]]:
    header = ["template", "psyq generate_many, instances/s (median, min–max)",
              "numeric core only, instances/s", "naive sympy.solve+evalf, instances/s",
              "ratio, full instances (median, min–max)", "ratio, numbers only",
              "target ≥ 1,000×"]
    rows = []
    for r in results:
        f, n, b = r["psyq_s"], r["numeric_s"], r["naive_s"]
        verdict = ("met" if r["met"] else "not met") + " full, " + \
                  ("met" if r["met_numeric"] else "NOT met") + " numbers only"
        rows.append([
            r["template"],
            f"{rate_text(1 / f.median)} ({rate_text(1 / f.high)}–{rate_text(1 / f.low)})",
            f"{rate_text(1 / n.median)}",
            f"{rate_text(1 / b.median)} ({rate_text(1 / b.high)}–{rate_text(1 / b.low)})",
            f"{r['ratio']:,.0f}× ({r['ratio_low']:,.0f}–{r['ratio_high']:,.0f})",
            f"{r['ratio_numeric']:,.0f}×",
            verdict + ("" if r["agree"] else "; ANSWERS DIFFER"),
        ])
    return header, rows


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--instances", type=int, default=100_000)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--baseline", type=int, default=300)
    ap.add_argument("--template", action="append", help="template id (repeatable; default: the three canonical)")
    args = ap.parse_args(argv)
    res = run(tuple(args.template or CANONICAL), args.instances, args.runs, args.baseline)
    print(table(*rows_for_table(res)))
    return 0 if all(r["met"] and r["met_numeric"] and r["agree"] for r in res) else 1


if __name__ == "__main__":
    raise SystemExit(main())
