"""Benchmark (d): memory of instance generation, against naive baselines in the same run.

    python benchmarks/bench_memory.py [--instances 100000] [--template occupancy-from-ki]

1. Retained memory per instance (tracemalloc, each way in a fresh process):
   :func:`psyq.instance.generate_many` over ``--instances`` seeds against the same instances made
   one at a time with :func:`psyq.instance.generate` (on a sample, per instance).  The batch shares what instances
   have in common (the frozen Given of a drawn value, unit texts, template-level strings); one at a
   time shares nothing of what was drawn.
2. Peak resident memory of a whole process writing ``--instances`` instances as JSON lines:
   ``psyq generate --count N --format jsonl`` (which renders and writes in chunks of 20,000)
   against a naive script that builds every instance first and then writes them.  Each runs in a
   fresh process that reports its own peak (VmHWM from /proc on Linux; ``ru_maxrss`` elsewhere,
   which on Linux would still hold the parent's size from before exec).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import ROOT, table  # noqa: E402

# Run in a child: prints the child's own peak RSS in bytes on stderr's last line.
_PEAK = '''
def _peak():  # VmHWM is this process's own high-water mark (ru_maxrss survives exec on Linux)
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * (1 if sys.platform == "darwin" else 1024)
'''
_PSYQ = """
import resource, sys
""" + _PEAK + """
sys.argv = ["psyq", "generate", {tid!r}, "--seed", "0", "--count", "{n}", "--format", "jsonl"]
from psyq.cli import main
try:
    main()
except SystemExit:
    pass
print(_peak(), file=sys.stderr)
"""
_NAIVE = """
import json, resource, sys
""" + _PEAK + """
from psyq import bank
from psyq.instance import generate_many
t = bank.load({tid!r})
instances = generate_many(t, range({n}))          # everything first ...
text = "\\n".join(json.dumps(i.to_json(), ensure_ascii=False) for i in instances)
sys.stdout.write(text + "\\n")                       # ... then write
print(_peak(), file=sys.stderr)
"""


# Run in a child: retained bytes per instance (tracemalloc), after a warm-up outside the count.
_RETAINED = """
import sys, tracemalloc
from psyq import bank
from psyq.instance import generate, generate_many
t = bank.load({tid!r})
generate_many(t, range(10)); generate(t, 10**6)       # compile, load tables, warm caches
tracemalloc.start()
before = tracemalloc.get_traced_memory()[0]
kept = {make}
print((tracemalloc.get_traced_memory()[0] - before) / len(kept))
"""


def retained_per_instance(template_id: str, n: int, sample: int) -> dict:
    """Each way in a fresh process, so neither inherits the other's freed memory or caches."""
    def measure(make: str) -> float:
        script = _RETAINED.format(tid=template_id, make=make)
        return float(_child(script).stdout.decode().strip().splitlines()[-1])

    return {"batch": measure(f"generate_many(t, range({n}))"),
            "alone": measure(f"[generate(t, s) for s in range({sample})]"), "sample": sample}


def _child(script: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    return subprocess.run([sys.executable, "-c", script], capture_output=True, env=env, check=True)


def peak_rss(script: str) -> tuple[int, int]:
    """(peak RSS in bytes, bytes written to stdout) of ``script`` in a fresh Python process."""
    proc = _child(script)
    return int(proc.stderr.decode().strip().splitlines()[-1]), len(proc.stdout)


def run(template_id: str = "occupancy-from-ki", instances: int = 100_000, sample: int = 1000,
        log=print) -> dict:
    from psyq import bank

    bank.load(template_id)  # an unknown id fails here, with psyq's own message
    log(f"  retained memory: {instances:,} instances in one batch, {sample:,} one at a time")
    kept = retained_per_instance(template_id, instances, sample)
    log("  peak memory of writing JSON lines: psyq generate, then the naive build-then-write")
    psyq_peak, psyq_out = peak_rss(_PSYQ.format(tid=template_id, n=instances))
    naive_peak, naive_out = peak_rss(_NAIVE.format(tid=template_id, n=instances))
    return {"template": template_id, "instances": instances, "kept": kept,
            "psyq_peak": psyq_peak, "naive_peak": naive_peak,
            "same_output_size": psyq_out == naive_out, "output_bytes": psyq_out}


def rows_for_table(r: dict) -> tuple[list[str], list[list[str]]]:
    mib = 1024 * 1024
    k = r["kept"]
    header = ["measure", "psyq", "naive baseline", "psyq uses"]
    rows = [
        ["retained memory per instance (tracemalloc)",
         f"{k['batch'] / 1024:.2f} KiB (generate_many, {r['instances']:,} in one batch)",
         f"{k['alone'] / 1024:.2f} KiB (generate, one at a time, {k['sample']:,} sampled)",
         f"{k['batch'] / k['alone']:.0%}"],
        [f"peak RSS writing {r['instances']:,} instances as JSON lines "
         f"({r['output_bytes'] / mib:,.0f} MiB of output)",
         f"{r['psyq_peak'] / mib:,.0f} MiB (psyq generate, chunks of 20,000)",
         f"{r['naive_peak'] / mib:,.0f} MiB (build all, then write)",
         f"{r['psyq_peak'] / r['naive_peak']:.0%}"],
    ]
    return header, rows


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--instances", type=int, default=100_000)
    ap.add_argument("--sample", type=int, default=1000)
    ap.add_argument("--template", default="occupancy-from-ki")
    args = ap.parse_args(argv)
    r = run(args.template, args.instances, args.sample)
    print(table(*rows_for_table(r)))
    return 0 if r["same_output_size"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
