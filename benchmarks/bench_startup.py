"""Benchmark (c): CLI cold start against bare typer.

    python benchmarks/bench_startup.py [--runs 21]

Each command is started as a fresh process ``--runs`` times, the commands interleaved round by
round (so a burst of load on the machine hits all of them alike); the table gives the median and
the min–max wall-clock time, and each command's ratio to ``python -c "import typer"``.

``psyq`` is the installed console script next to the running interpreter (not a version-manager
shim, which would add its own start-up), so what is timed is what a user's shell runs.  psyq's
byte-code is compiled first, as an install would (see :func:`compile_bytecode`).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import Sample, seconds_text, table  # noqa: E402

TARGET_HELP_RATIO = 1.5


def psyq_executable() -> list[str]:
    beside = Path(sys.executable).parent / "psyq"
    if beside.exists():
        return [str(beside)]
    found = shutil.which("psyq")
    if found and "shims" not in found:
        return [found]
    return [sys.executable, "-m", "psyq"]


def commands() -> list[tuple[str, list[str]]]:
    psyq = psyq_executable()
    return [
        ('python -c "import typer"', [sys.executable, "-c", "import typer"]),
        ("psyq --help", [*psyq, "--help"]),
        ("psyq list", [*psyq, "list"]),
        ("psyq show occupancy-from-ki", [*psyq, "show", "occupancy-from-ki"]),
        (PLAIN_HELP, [*psyq, "--help"]),
    ]


PLAIN_HELP = "psyq --help, TYPER_USE_RICH=0 (plain help)"


def _once(argv: list[str], env: dict, name: str = "") -> float:
    if name == PLAIN_HELP:
        env = dict(env, TYPER_USE_RICH="0")
    t0 = time.perf_counter()
    proc = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env,
                          timeout=120)
    dt = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed: {proc.stderr.decode()[-300:]}")
    return dt


def import_profile(argv: list[str], top: int = 8) -> list[tuple[str, float]]:
    """The heaviest top-level imports of one start-up (``python -X importtime``), in ms."""
    env = dict(os.environ, PYTHONPROFILEIMPORTTIME="1", COLUMNS="100")
    proc = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env,
                          timeout=120, text=True)
    rows = []
    for line in proc.stderr.splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        _, cumulative, name = line.split("|", 2)
        try:
            us = int(cumulative.strip())
        except ValueError:
            continue
        depth = (len(name) - len(name.lstrip(" "))) // 2
        if depth == 0:
            rows.append((name.strip(), us / 1000))
    rows.sort(key=lambda r: -r[1])
    return rows[:top]


def compile_bytecode() -> None:
    """Write psyq's byte-code, as ``pip install`` does for an installed package (an editable
    checkout, run with PYTHONDONTWRITEBYTECODE set, would otherwise recompile psyq's source at
    every start while typer's byte-code sits ready in site-packages)."""
    import compileall

    import psyq

    compileall.compile_dir(str(Path(psyq.__file__).parent), quiet=1)


def run(runs: int = 21, log=print) -> dict:
    compile_bytecode()
    env = dict(os.environ, COLUMNS="100", NO_COLOR="1")
    env.pop("PSYQ_TEMPLATES", None)
    cmds = commands()
    for name, argv in cmds:  # warm the file-system cache once
        _once(argv, env, name)
    samples = {name: Sample() for name, _ in cmds}
    for _ in range(runs):
        for name, argv in cmds:
            if name.startswith("psyq show") and len(samples[name].values) >= max(5, runs // 3):
                continue  # the slow one: fewer rounds are enough
            samples[name].add(_once(argv, env, name))
    base = samples[cmds[0][0]].median
    result = {"runs": runs, "samples": samples, "baseline": cmds[0][0],
              "ratios": {n: s.median / base for n, s in samples.items()},
              "executable": " ".join(psyq_executable()),
              "imports": import_profile(cmds[1][1])}
    result["met"] = result["ratios"]["psyq --help"] <= TARGET_HELP_RATIO
    log(f"  start-up: typer {seconds_text(base)}, psyq --help "
        f"{seconds_text(samples['psyq --help'].median)} ({result['ratios']['psyq --help']:.2f}×)")
    return result


def rows_for_table(r: dict) -> tuple[list[str], list[list[str]]]:
    header = ["command", "wall time (median, min–max)", "runs", "ratio to bare typer", "target"]
    rows = []
    for name, s in r["samples"].items():
        target = ""
        if name == "psyq --help":
            target = ("met" if r["met"] else "NOT met") + f" (≤ {TARGET_HELP_RATIO}×)"
        elif name == r["baseline"]:
            target = "baseline"
        elif name == PLAIN_HELP:
            target = "for comparison"
        rows.append([name, f"{seconds_text(s.median)} ({seconds_text(s.low)}–{seconds_text(s.high)})",
                     str(len(s.values)), f"{r['ratios'][name]:.2f}×", target])
    return header, rows


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=21)
    args = ap.parse_args(argv)
    r = run(args.runs)
    print(table(*rows_for_table(r)))
    print("heaviest imports of psyq --help:",
          ", ".join(f"{n} {ms:.0f} ms" for n, ms in r["imports"]))
    return 0 if r["met"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
