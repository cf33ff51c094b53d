"""Where generate_many's time goes: a cProfile of one template, grouped into stages.

    python benchmarks/profile_generate.py [TEMPLATE] [--instances 20000]

The stages are cumulative times of the functions that do each job (cProfile slows Python code
down unevenly, so read the shares, not the absolute numbers).
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common  # noqa: E402,F401  (puts the checkout on sys.path)

# (stage, [(file suffix, function name)]): cumulative time of the listed functions
STAGES = [
    ("draws, vectorised solve and constraints (solve_values)", [("sampling.py", "solve_values")]),
    ("number formatting, a column at a time (format_number_array)",
     [("draws.py", "format_number_array"), ("display.py", "natural_sigfigs")]),
    ("text placeholders: stem, prompts, solution (fill_column)", [("textfill.py", "fill_column")]),
    ("misconception values (evaluate_checked_array)", [("expr.py", "evaluate_checked_array")]),
    ("worked-solution steps (step_columns)", [("batch.py", "step_columns")]),
]


def profile(template_id: str, instances: int = 20_000) -> tuple[float, list[tuple[str, float]]]:
    from psyq import bank
    from psyq.instance import generate_many

    t = bank.load(template_id)
    generate_many(t, range(10))
    prof = cProfile.Profile()
    prof.enable()
    generate_many(t, range(instances))
    prof.disable()
    stats = pstats.Stats(prof).stats  # (file, line, func) -> (cc, nc, tt, ct, callers)
    total = sum(v[2] for v in stats.values())
    shares = []
    seen = 0.0
    for stage, funcs in STAGES:
        t_stage = 0.0
        for suffix, name in funcs:
            if name == "*":  # every function of the module, own time only
                t_stage += sum(v[2] for (file, _l, _f), v in stats.items() if file.endswith(suffix))
            else:  # same-named functions may call each other (fill → fill): the outermost counts
                t_stage += max((v[3] for (file, _l, func), v in stats.items()
                                if file.endswith(suffix) and func == name), default=0.0)
        shares.append((stage, t_stage / total))
        seen += t_stage
    shares.append(("objects: an Instance, its parts, givens and dicts per row, and the rest",
                    max(0.0, 1 - seen / total)))
    return total, shares


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("template", nargs="?", default="snri-engagement")
    ap.add_argument("--instances", type=int, default=20_000)
    args = ap.parse_args(argv)
    total, shares = profile(args.template, args.instances)
    print(f"{args.template}: {args.instances:,} instances, {total:.2f} s under cProfile")
    for stage, share in shares:
        print(f"  {share * 100:5.1f} %  {stage}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
