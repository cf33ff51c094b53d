"""Run every psyq benchmark against its baseline in one go and regenerate docs/performance.md.

    python benchmarks/run.py              # full run (a few minutes), rewrites docs/performance.md
    python benchmarks/run.py --quick      # smaller counts, for a smoke test (still writes the doc)
    python benchmarks/run.py --no-write   # print only
    python benchmarks/run.py --check      # exit 1 when a target is missed

Benchmarks (each compared with its baseline in the same run; median of several runs, min–max):

(a) instance generation: ``psyq.instance.generate_many`` vs naive per-instance ``sympy.solve`` +
    ``evalf``, 100,000 instances of each canonical template (benchmarks/bench_generate.py);
(b) grading: ``psyq.grading.grade`` on 100,000 answers of a realistic mix vs a naive
    sympify + pint grader (benchmarks/bench_grading.py);
(c) CLI cold start: ``psyq --help`` / ``psyq show`` vs ``python -c "import typer"``
    (benchmarks/bench_startup.py);
(d) memory: retained bytes per instance, a batch vs one at a time, and the peak memory of
    writing 100,000 instances as JSON lines, ``psyq generate`` vs build-everything-then-write
    (benchmarks/bench_memory.py);
(e) export and homework benchmarks, when benchmarks/bench_export.py / bench_homework.py exist:
    each is run as its own script and its printed table is copied into the report;
(f) whole processes (issue 12): cold starts of psyq list / answer / practice (to its first
    prompt, in a pty) against psyq --help, a Maxima loop, psyq generate end to end, the peak
    memory of a 200-version PDF export, and every template under six busy processes
    (benchmarks/bench_process.py; --quick leaves out the last two).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import _common  # noqa: E402
import bench_generate  # noqa: E402
import bench_grading  # noqa: E402
import bench_memory  # noqa: E402
import bench_process  # noqa: E402
import bench_startup  # noqa: E402
import profile_generate  # noqa: E402

DOC = _common.ROOT / "docs" / "performance.md"
OTHER_SCRIPTS = ("bench_export.py", "bench_homework.py")
OTHER_TIMEOUT = 1800  # seconds per script


QUICK_ARGS = {"bench_export.py": ["--versions", "50"], "bench_homework.py": ["--students", "200"]}


def run_other(script: Path, log, quick: bool = False) -> tuple[str, float, int]:
    """Run one of the other benchmark scripts; returns (its output, seconds, exit status)."""
    args = QUICK_ARGS.get(script.name, []) if quick else []
    log(f"  {script.name} {' '.join(args)}…")
    t0 = time.perf_counter()
    try:
        proc = subprocess.run([sys.executable, str(script), *args], capture_output=True, text=True,
                              timeout=OTHER_TIMEOUT, cwd=str(_common.ROOT))
        if proc.returncode == 2 and args:  # the script does not know the quick flag: run it plain
            proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                                  timeout=OTHER_TIMEOUT, cwd=str(_common.ROOT))
        out = proc.stdout.strip() or proc.stderr.strip()
        if proc.returncode != 0 and proc.stderr.strip():
            out += "\n\n(stderr, last lines)\n" + "\n".join(proc.stderr.strip().splitlines()[-15:])
        status = proc.returncode
    except subprocess.TimeoutExpired:
        out, status = f"(stopped after {OTHER_TIMEOUT} s)", -1
    return out, time.perf_counter() - t0, status


def _rendering_note(gen: list[dict], per_instance: str, naive_ms: str) -> list[str]:
    """What the full-instance ratios say, in words that match this run's numbers."""
    how = ("  generate_many renders a column at a time: each display, text and misconception value\n"
           "  is made for the whole batch at once (numpy arithmetic, array formatting, each distinct\n"
           "  drawn given formatted once), then one object per instance is put together.")
    if all(r["met"] and r["agree"] for r in gen):
        return [f"* Full rendered instances meet 1,000× as well: a complete instance costs {per_instance}",
                f"  here, against {naive_ms} for the naive solve alone.", *how.splitlines()]
    short = ", ".join(r["template"] for r in gen if not r["met"])
    return [f"* Full rendered instances stay below 1,000× for {short}: a complete instance",
            f"  costs {per_instance} here, against {naive_ms} for the naive solve alone (least",
            "  for occupancy-from-ki, whose relation already reads `occ = …`).", *how.splitlines()]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true",
                    help="10,000 instances / 20,000 answers / fewer runs (a smoke test)")
    ap.add_argument("--no-write", action="store_true", help="do not rewrite docs/performance.md")
    ap.add_argument("--check", action="store_true", help="exit 1 if any target is missed")
    ap.add_argument("--skip", action="append", default=[],
                    choices=["generate", "grading", "startup", "memory", "others", "process"], help="leave one out")
    args = ap.parse_args(argv)
    os.environ.pop("PSYQ_TEMPLATES", None)

    def log(msg):
        print(msg, file=sys.stderr, flush=True)

    machine = _common.machine()
    started = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    if args.quick:
        gen_kw = dict(instances=10_000, runs=3, baseline=60)
        grade_kw = dict(answers=20_000, runs=3, baseline=500, baseline_runs=2)
        start_kw = dict(runs=7)
        memory_kw = dict(instances=20_000, sample=300)
    else:
        gen_kw = dict(instances=100_000, runs=5, baseline=300)
        grade_kw = dict(answers=100_000, runs=5, baseline=2000, baseline_runs=3)
        start_kw = dict(runs=21)
        memory_kw = dict(instances=100_000, sample=1000)

    sections: list[str] = []
    verdicts: list[tuple[str, bool]] = []
    t_all = time.perf_counter()

    if "generate" not in args.skip:
        log("(a) instance generation")
        gen = bench_generate.run(log=log, **gen_kw)
        header, rows = bench_generate.rows_for_table(gen)
        shares = {tid: profile_generate.profile(tid, 20_000 if not args.quick else 5_000)[1]
                  for tid in bench_generate.CANONICAL}
        for r in gen:
            verdicts.append((f"generation {r['template']} ≥ 1,000×, numbers only (like for like)",
                             r["met_numeric"] and r["agree"]))
        for r in gen:
            verdicts.append((f"generation {r['template']} ≥ 1,000×, full rendered instances",
                             r["met"] and r["agree"]))
        us = sorted(r["psyq_s"].median * 1e6 for r in gen)
        per_instance = f"{us[0]:.0f}–{us[-1]:.0f} µs" if len(us) > 1 else f"{us[0]:.0f} µs"
        ms = sorted(r["naive_s"].median * 1e3 for r in gen)
        naive_ms = f"{ms[0]:.0f}–{ms[-1]:.0f} ms" if len(ms) > 1 else f"{ms[0]:.0f} ms"
        prof_header = ["stage (share of generate_many's time, cProfile)"] + list(shares)
        prof_rows = [[stage] + [f"{dict(shares[t])[stage] * 100:.0f} %" for t in shares]
                     for stage, _ in next(iter(shares.values()))]
        sections.append("\n".join([
            "## (a) Instance generation",
            "",
            f"{gen[0]['instances']:,} instances of each canonical template per round, {gen[0]['runs']} "
            f"rounds; in each round the naive baseline runs right after psyq, on "
            f"{gen[0]['baseline_instances']} seeds spread over the same range (extrapolated per "
            "instance), and the ratio is taken within the round: a machine that slows down for a "
            "while slows both sides of a ratio alike. Ratios are the median (min–max) over the rounds.",
            "",
            _common.table(header, rows),
            "",
            "* **psyq generate_many** builds complete instances: drawn and rounded givens, the stem,",
            "  prompts, answers, accepted intervals, misconception values and displays, worked-solution",
            "  steps. The relations were solved once per template (sympy, cached) before timing.",
            "* **numeric core only** is `psyq.sampling.solve_values`: draws, rounding, the compiled",
            "  solution and the constraint checks, vectorised over all seeds, without any text.",
            "* **naive** substitutes each instance's givens into the relations and calls",
            "  `sympy.solve` and `evalf` per instance. It gets psyq's draws for free and renders no",
            "  text: it yields the numbers only, as the numeric core does (like for like), and the",
            "  ratio against full rendered instances is conservative. Its answers agree with",
            "  psyq's to 1e-9.",
            *_rendering_note(gen, per_instance, naive_ms),
            "",
            "Where generate_many's time goes (cProfile, shares of the total):",
            "",
            _common.table(prof_header, prof_rows),
        ]))

    if "grading" not in args.skip:
        log("(b) grading")
        gr = bench_grading.run(log=log, **grade_kw)
        header, rows = bench_grading.rows_for_table(gr)
        verdicts.append(("grading ≥ 50,000 answers/s", gr["met"]))
        sections.append("\n".join([
            "## (b) Grading",
            "",
            f"{gr['answers']:,} answers per run, {gr['runs']} runs. The mix (seeded): 30 % plain "
            "numbers, 25 % numbers with units (µM for nM, wk/h for days, g/d for mg/d …), 15 % "
            "percent/fraction forms, 15 % misconception values, 10 % unreadable text, 5 % "
            "scientific notation, arithmetic and 'not attainable'; parts from the three canonical "
            "templates and bank templates asked in nM, d and mg/d.",
            "",
            _common.table(header, rows),
            "",
            "Verdicts in the mix: " + ", ".join(f"{k} {v:,}" for k, v in gr["statuses"].items()) + ".",
            "The naive grader (regex split, `sympy.sympify`, pint's parser) is shown for scale only:",
            "it would execute or hang on hostile text, which psyq refuses (tests/test_hostile.py).",
        ]))

    if "startup" not in args.skip:
        log("(c) CLI cold start")
        st = bench_startup.run(log=log, **start_kw)
        header, rows = bench_startup.rows_for_table(st)
        verdicts.append(("psyq --help ≤ 1.5× bare typer", st["met"]))
        sections.append("\n".join([
            "## (c) CLI cold start",
            "",
            f"Fresh processes, {st['runs']} rounds, commands interleaved; `psyq` is "
            f"`{st['executable']}` with its byte-code compiled (as an install leaves it).",
            "",
            _common.table(header, rows),
            "",
            "Heaviest top-level imports of `psyq --help` (python -X importtime, one run): "
            + ", ".join(f"{n} {ms:.0f} ms" for n, ms in st["imports"]) + ".",
            "`psyq --help` imports neither sympy, numpy nor pint (tests/test_startup.py). The rest",
            "of its cost over bare typer is typer's own rich help renderer (rich's console, tables",
            "and panels) and building the click commands of every command group; typer's",
            "`rich.markdown` and `rich.traceback` imports are deferred (psyq/cli.py). The last row",
            "shows the same help without rich formatting, for comparison.",
        ]))

    if "memory" not in args.skip:
        log("(d) memory")
        mem = bench_memory.run(log=log, **memory_kw)
        header, rows = bench_memory.rows_for_table(mem)
        sections.append("\n".join([
            "## (d) Memory",
            "",
            f"{mem['template']}. Retained memory per instance: `tracemalloc`, each way in a fresh "
            "process after a warm-up. Peak memory: the whole process's peak resident set "
            "(`getrusage`), each in a fresh process; both write the same JSON lines"
            + ("" if mem["same_output_size"] else " (OUTPUT SIZES DIFFER)") + ".",
            "",
            _common.table(header, rows),
            "",
            "A batch shares what its instances have in common (one frozen Given per drawn value,",
            "text pieces, template-level strings); `psyq generate` renders and writes 20,000",
            "instances at a time, so its peak does not grow with --count.",
        ]))

    if "others" not in args.skip:
        found = [HERE / n for n in OTHER_SCRIPTS if (HERE / n).exists()]
        log("(e) other benchmarks: " + (", ".join(p.name for p in found) or "none present"))
        parts = ["## (e) Export and homework", ""]
        if not found:
            parts.append("No benchmarks/bench_export.py or bench_homework.py yet.")
        for script in found:
            out, secs, status = run_other(script, log, args.quick)
            shown_args = " ".join(QUICK_ARGS.get(script.name, [])) if args.quick else ""
            parts += [f"### `python benchmarks/{script.name}{' ' + shown_args if shown_args else ''}` "
                      f"({secs:.0f} s, exit {status})", "",
                      "```", out, "```", ""]
            verdicts.append((f"{script.name} runs to the end (exit 0)", status == 0))
        sections.append("\n".join(parts).rstrip())

    if "process" not in args.skip:
        log("(f) whole processes")
        text, process_verdicts = bench_process.section(bench_process.run(args.quick, log=log))
        verdicts += process_verdicts
        sections.append(text)

    elapsed = time.perf_counter() - t_all
    summary = _common.table(["target", "result"],
                            [[name, "met" if ok else "NOT met"] for name, ok in verdicts])
    doc = "\n".join([
        "# psyq performance",
        "",
        "<!-- Generated by `python benchmarks/run.py`; edit benchmarks/run.py, not this file. -->",
        "",
        f"Measured {started}{' (quick mode)' if args.quick else ''}, {elapsed:.0f} s in all. "
        "Regenerate with `python benchmarks/run.py` (a few minutes; `--quick` for a smoke test).",
        "",
        "## Machine",
        "",
        _common.table(["", ""], [[k, v] for k, v in machine.items()]),
        "",
        "Wall-clock times; other processes on the machine show up as a wide min–max.",
        "",
        "## Targets",
        "",
        summary,
        "",
        *[s + "\n" for s in sections],
    ]).rstrip() + "\n"
    print(doc)
    if not args.no_write:
        DOC.parent.mkdir(parents=True, exist_ok=True)
        DOC.write_text(doc, encoding="utf-8")
        log(f"wrote {DOC.relative_to(_common.ROOT)}")
    return 1 if args.check and not all(ok for _, ok in verdicts) else 0


if __name__ == "__main__":
    raise SystemExit(main())
