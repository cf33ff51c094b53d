"""Benchmark: 200 versions × 5 problems to one PDF and to Moodle XML, against a naive baseline.

psyq's path: every problem is drawn for all versions in one vectorised pass over a template
solved once (psyq.exam.build), then one Typst compile writes the whole PDF and one pass writes
the Moodle XML.

The naive baseline, in the same run: each instance generated one at a time with a fresh sympy
solve (the compile cache cleared before each), and each version rendered on its own (one Typst
compile per version, pages merged; one Moodle document per version, concatenated).

    python benchmarks/bench_export.py                 # 200 versions × 5 problems
    python benchmarks/bench_export.py --versions 50   # smaller
    python benchmarks/bench_export.py --key-figures   # also time the key with every figure drawn
"""

from __future__ import annotations

import argparse
import io
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

PREFERRED = ["occupancy-from-ki", "mao-recovery", "snri-engagement", "cheng-prusoff", "occupancy-hill"]


def pick_templates(n: int) -> list[str]:
    from psyq import bank

    known = [e.id for e in bank.entries()]
    chosen = [t for t in PREFERRED if t in known]
    for t in known:
        if len(chosen) >= n:
            break
        if t not in chosen:
            chosen.append(t)
    while len(chosen) < n:  # a tiny bank: repeat (repeats get their own seeds)
        chosen.append(chosen[len(chosen) % max(1, len(chosen))])
    return chosen[:n]


def timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


def naive_exam(spec, versions: int, seed: int):
    """Every instance on its own, with a fresh symbolic solve each time."""
    from psyq import bank, solve
    from psyq import exam as X
    from psyq.instance import generate

    out = []
    seen_templates = {}
    for i in range(versions):
        problems = []
        counts: dict[str, int] = {}
        for number, item in enumerate(spec.items, start=1):
            template = seen_templates.setdefault(item.template, bank.load(item.template))
            k = counts.get(template.id, 0)
            counts[template.id] = k + 1
            solve._CACHE.clear()  # the naive path solves the relations again for every instance
            inst = generate(template, seed + i + k * X.REPEAT_STRIDE)
            pts = tuple(p.points for p in template.parts)
            problems.append(X.Problem(number, item, inst, sum(pts), pts))
        out.append(X.Version(i + 1, "", seed + i, problems))
    X._assign_codes(spec, out)
    return X.Exam(spec, seed, out)


def naive_pdf(exam) -> bytes:
    from psyq.export import common as C
    from psyq.export import typst_pdf as T

    parts = [T.render(exam, [v], sheets=True, keys=False, options=C.Options(figures="none")) for v in exam.versions]
    try:
        import pypdf
    except ImportError:  # merging is not what is measured; the compiles are
        return b"".join(parts)
    writer = pypdf.PdfWriter()
    for data in parts:
        for page in pypdf.PdfReader(io.BytesIO(data)).pages:
            writer.add_page(page)
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()


def naive_moodle(exam) -> bytes:
    from psyq import exam as X
    from psyq.export import moodle

    return b"".join(moodle.render(X.Exam(exam.spec, exam.seed, [v])) for v in exam.versions)


def page_count(pdf: bytes) -> str:
    try:
        import pypdf
    except ImportError:
        return "?"
    return str(len(pypdf.PdfReader(io.BytesIO(pdf)).pages))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--versions", type=int, default=200)
    ap.add_argument("--problems", type=int, default=5)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--naive-versions", type=int, default=None,
                    help="run the naive baseline on fewer versions and scale it up (labelled)")
    ap.add_argument("--key-figures", action="store_true", help="also time the answer key with every figure")
    ap.add_argument("--out", type=Path, default=None, help="keep the outputs in this folder")
    args = ap.parse_args(argv)

    from psyq import exam as X
    from psyq import export as E
    from psyq.export import common as C
    from psyq.export import moodle
    from psyq.export import typst_pdf as T

    items = pick_templates(args.problems)
    spec = X.spec_from_items(items, title="Benchmark exam")
    n = args.versions
    print(f"psyq export benchmark: {n} versions × {len(items)} problems ({', '.join(items)})")

    # warm-up outside the timings: imports, Typst fonts, matplotlib
    warm = X.build(spec, versions=1, seed=10**9)
    T.render(warm, warm.versions, sheets=True, keys=False, options=C.Options(figures="none"))
    moodle.render(warm)
    from psyq import solve

    solve._CACHE.clear()  # psyq's own timing includes solving each template once

    exam, t_build = timed(lambda: X.build(spec, versions=n, seed=args.seed))
    pdf, t_pdf = timed(lambda: T.render(exam, exam.versions, sheets=True, keys=False,
                                        options=C.Options(figures="none")))
    key, t_key = timed(lambda: T.render(exam, exam.versions, sheets=False, keys=True,
                                        options=C.Options(figures="none")))
    xml, t_xml = timed(lambda: moodle.render(exam))
    questions = xml.count(b'<question type="numerical">')
    rows = []

    nv = min(args.naive_versions or n, n)
    scale = n / nv
    label = "" if nv == n else f" (measured on {nv}, ×{scale:g})"
    naive, t_naive_build = timed(lambda: naive_exam(spec, nv, args.seed))
    _, t_naive_pdf = timed(lambda: naive_pdf(naive))
    _, t_naive_xml = timed(lambda: naive_moodle(naive))
    t_naive_build *= scale
    t_naive_pdf *= scale
    t_naive_xml *= scale

    rows.append(("draw all instances", t_build, t_naive_build))
    rows.append((f"typeset the PDF ({page_count(pdf)} pages, 1 file)", t_pdf, t_naive_pdf))
    rows.append(("PDF → end to end", t_build + t_pdf, t_naive_build + t_naive_pdf))
    rows.append((f"Moodle XML ({questions} questions) → end to end", t_build + t_xml, t_naive_build + t_naive_xml))
    rows.append((f"PDF answer key, no figures ({page_count(key)} pages)", t_key, None))
    if args.key_figures:
        keyfig, t_keyfig = timed(lambda: E.export(exam, "pdf", Path("bench.pdf"),
                                                  C.Options(key="only", figures="key")))
        rows.append((f"PDF answer key with every figure ({page_count(keyfig[0][1])} pages)", t_keyfig, None))

    width = max(len(r[0]) for r in rows) + 2
    print()
    print(f"{'task':<{width}}{'psyq (s)':>10}{'naive (s)':>12}{'speed-up':>10}")
    print("-" * (width + 32))
    for name, fast, slow in rows:
        slow_text = f"{slow:>12.2f}" if slow is not None else f"{'—':>12}"
        ratio = f"{slow / fast:>9.1f}×" if slow is not None and fast > 0 else f"{'':>10}"
        print(f"{name:<{width}}{fast:>10.2f}{slow_text}{ratio}")
    if label:
        print(f"\nnaive baseline{label}")
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "bench.pdf").write_bytes(pdf)
        (args.out / "bench-key.pdf").write_bytes(key)
        (args.out / "bench.xml").write_bytes(xml)
        print(f"outputs in {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
