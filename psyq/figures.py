"""Figures for exports: a template's curve (psyq.curves) drawn with matplotlib to SVG.

Deterministic by construction: the SVG canvas, a fixed ``svg.hashsalt``, no date or version in
the metadata, explicit styles (a user's matplotlibrc cannot change the output).  Text stays text
(``svg.fonttype: none``): a quarter faster to draw and a third the size of glyph paths; Typst sets
it in the document's own embedded fonts (so the PDF stays byte-identical everywhere) and a browser
in its sans-serif.

The key's drawing has the answer marked (a dot on the curve at this instance's point, with dashed
guides to the axes, in groups with known ids).  A student sheet never gets that drawing: its copy
is a generic sketch of the same figure, the curves' shape without numbers on the axes, grid or mark
(a version-exact curve with a grid would let the answer be read off).  Many figures are drawn in worker
processes (the drawing is pure: same curve, same bytes).
"""

from __future__ import annotations

import io
import math
import os
import re
from dataclasses import dataclass
from typing import Callable, Iterable, Sequence

MARK_ID = "psyq-answer"
SVG_SALT = "psyq"
PARALLEL_THRESHOLD = 48  # fewer figures than this are drawn in-process
_COLORS = ("#1f5fa8", "#c2571a", "#2e8b57", "#8e44ad")
_RC = {
    "svg.hashsalt": SVG_SALT,
    "svg.fonttype": "none",
    "svg.image_inline": True,
    "font.family": ["DejaVu Sans"],
    "font.size": 8.5,
    "axes.titlesize": 9.0,
    "axes.labelsize": 8.5,
    "xtick.labelsize": 7.5,
    "ytick.labelsize": 7.5,
    "legend.fontsize": 7.5,
    "axes.linewidth": 0.7,
    "lines.linewidth": 1.5,
    "axes.grid": True,
    "grid.color": "#d9d9d9",
    "grid.linewidth": 0.5,
    "axes.edgecolor": "#333333",
    "axes.facecolor": "white",
    "figure.facecolor": "white",
    "axes.spines.top": False,
    "axes.spines.right": False,
    "path.simplify": True,
    "axes.formatter.useoffset": False,
    "axes.unicode_minus": True,
}
WIDTH_IN, HEIGHT_IN = 4.6, 2.7


@dataclass(frozen=True)
class FigureSVG:
    sheet: str  # a generic sketch: the curves' shape, no numbers, grid or answer
    key: str  # the same drawing with the answer marked
    caption: str  # what the figure shows (its title)
    marked: bool = True  # False when this version's answer lies outside the plotted range


def render(curve, sheet: bool = True) -> FigureSVG:
    """Draw ``curve`` (a psyq.curves.Curve) once; return the sheet sketch and the key SVG (the
    sketch is a second save of the same axes: ``sheet=False`` skips it when no sheet shows it)."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.backends.backend_svg import FigureCanvasSVG
    from matplotlib.figure import Figure

    with matplotlib.rc_context(_RC):
        fig = Figure(figsize=(WIDTH_IN, HEIGHT_IN), layout=None)
        FigureCanvasSVG(fig)
        ax = fig.add_subplot()
        xs = curve.x
        y_max = 0.0
        for i, (name, ys) in enumerate(curve.series.items()):
            finite = [y for y in ys if math.isfinite(y)]
            if finite:
                y_max = max(y_max, max(finite))
            ax.plot(xs, ys, color=_COLORS[i % len(_COLORS)], label=_short(curve.y_labels.get(name, name)),
                    zorder=2)
        if curve.log_x:
            ax.set_xscale("log")
        ax.set_xlim(min(xs), max(xs))
        if curve.y_unit == "%":
            ax.set_ylim(0, max(100.0, y_max * 1.05))
        elif y_max > 0:
            ax.set_ylim(0, y_max * 1.08)
        ax.set_xlabel(_short(curve.x_label, 70))
        y_label = getattr(curve, "y_label", "") or ""  # psyq.curves: meanings, or the figure's y_label
        if not y_label and len(curve.series) == 1:
            (name,) = curve.series
            label = re.sub(r"\s*\([^)]*\)", "", str(curve.y_labels.get(name, name))) or name
            y_label = f"{label} ({curve.y_unit})" if curve.y_unit else label
        ax.set_ylabel(_short(y_label, 45))
        if len(curve.series) > 1:
            ax.legend(loc="lower right", frameon=False)
        ax.set_title(_short(curve.title, 80), loc="left")
        x_lo = min(xs) if not curve.log_x else min(x for x in xs if x > 0)
        y_lo, y_hi = ax.get_ylim()
        x_hi = max(xs)
        marked = bool(curve.marks) and all(x_lo <= x0 <= x_hi and y_lo <= y0 <= y_hi
                                           for x0, y0 in curve.marks.values())
        for i, (name, (x0, y0)) in enumerate(sorted(curve.marks.items())):
            color = _COLORS[list(curve.series).index(name) % len(_COLORS)] if name in curve.series else "#000"
            guide = ax.plot([x_lo, x0, x0], [y0, y0, y_lo], linestyle=(0, (3, 2)), linewidth=0.8,
                            color=color, zorder=3)[0]
            guide.set_gid(f"{MARK_ID}-guide-{i}")
            dot = ax.plot([x0], [y0], marker="o", markersize=5.5, markerfacecolor=color,
                          markeredgecolor="black", markeredgewidth=0.6, linestyle="none", zorder=4)[0]
            dot.set_gid(f"{MARK_ID}-dot-{i}")
        fig.subplots_adjust(left=0.13, right=0.975, bottom=0.17, top=0.89)  # fixed: no second layout pass
        buf = io.StringIO()
        fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": "psyq"})
        key = buf.getvalue()
        if not sheet:
            return FigureSVG("", key, curve.title, marked)
        # The sheet's sketch: the same axes without the answer, the numbers and the grid.
        for line in list(ax.lines):
            if (line.get_gid() or "").startswith(MARK_ID):
                line.remove()
        ax.grid(False)
        ax.set_xticks([])
        ax.set_yticks([])
        ax.minorticks_off()
        buf = io.StringIO()
        fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": "psyq"})
        sketch = buf.getvalue()
    return FigureSVG(sketch, key, curve.title, marked)


def _short(text: str, limit: int = 60) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


_GROUP_OPEN = re.compile(r'<g id="' + MARK_ID + r'-[a-z]+-\d+">')


def strip_marks(svg: str) -> str:
    """The SVG without the answer-mark groups (balanced <g>…</g> removal)."""
    out = []
    pos = 0
    while True:
        m = _GROUP_OPEN.search(svg, pos)
        if m is None:
            out.append(svg[pos:])
            break
        start = m.start()
        # also remove the indentation before the group
        line_start = svg.rfind("\n", pos, start) + 1
        if svg[line_start:start].strip() == "":
            start = line_start
        out.append(svg[pos:start])
        depth = 0
        i = m.start()
        tag = re.compile(r"<g[\s>]|</g>")
        while True:
            t = tag.search(svg, i)
            if t is None:
                raise ValueError("unbalanced SVG groups")
            depth += 1 if t.group(0).startswith("<g") else -1
            i = t.end()
            if depth == 0:
                break
        if svg[i:i + 1] == "\n":
            i += 1
        pos = i
    return "".join(out)


def render_many(curves: Sequence, *, jobs: int | None = None,
                progress: Callable[[int], None] | None = None, sheets: bool = True) -> list[FigureSVG]:
    """Draw many curves, in worker processes when there are many (same output either way).

    Workers are fresh interpreters (``python -m psyq.figures``) fed pickled curves on stdin: no
    fork (safe with threads, the same on every OS) and no re-import of the caller's main module
    (multiprocessing's spawn would run an unguarded script again)."""
    n = len(curves)
    if jobs is None:
        jobs = min(os.cpu_count() or 1, 8)
    jobs = max(1, min(jobs, n // 12 or 1))
    if n < PARALLEL_THRESHOLD or jobs <= 1:
        return _render_here(curves, progress, sheets)
    try:
        return _render_in_workers(list(curves), jobs, progress, sheets)
    except (OSError, _WorkerFailed):
        return _render_here(curves, progress, sheets)


class _WorkerFailed(Exception):
    pass


def _render_here(curves, progress, sheets: bool = True) -> list[FigureSVG]:
    out = []
    for c in curves:
        out.append(render(c, sheets))
        if progress:
            progress(1)
    return out


def _render_in_workers(curves: list, jobs: int, progress, sheets: bool = True) -> list[FigureSVG]:
    import pickle
    import queue
    import struct
    import subprocess
    import sys
    import threading
    from pathlib import Path

    import psyq

    env = dict(os.environ)
    root = str(Path(psyq.__file__).resolve().parent.parent)
    env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    size = -(-len(curves) // jobs)
    chunks = [curves[i:i + size] for i in range(0, len(curves), size)]
    results: list[list] = [[] for _ in chunks]
    events: queue.Queue[tuple[int, object]] = queue.Queue()
    procs = []
    for _ in chunks:
        procs.append(subprocess.Popen([sys.executable, "-c", "from psyq.figures import _worker; _worker()"],
                                      stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                      env=env))

    def feed(i: int) -> None:
        proc = procs[i]
        try:
            proc.stdin.write(pickle.dumps((sheets, chunks[i]), protocol=pickle.HIGHEST_PROTOCOL))
        except OSError:
            pass
        finally:
            try:
                proc.stdin.close()
            except OSError:
                pass

    def read(i: int) -> None:
        proc = procs[i]
        try:
            for _ in chunks[i]:
                head = proc.stdout.read(4)
                if len(head) < 4:
                    raise _WorkerFailed(proc.stderr.read().decode(errors="replace")[-400:])
                (length,) = struct.unpack(">I", head)
                events.put((i, FigureSVG(*pickle.loads(proc.stdout.read(length)))))
            events.put((i, None))
        except Exception as exc:  # noqa: BLE001 - reported to the main thread
            events.put((i, exc))

    threads = [threading.Thread(target=f, args=(i,), daemon=True) for i in range(len(chunks)) for f in (feed, read)]
    for t in threads:
        t.start()
    finished = 0
    failure = None
    while finished < len(chunks):
        i, item = events.get()
        if item is None:
            finished += 1
        elif isinstance(item, Exception):
            failure = item
            finished += 1
        else:
            results[i].append(item)
            if progress:
                progress(1)
    if failure is not None:
        for p in procs:
            p.kill()
    for p in procs:
        p.wait()
        p.stdout.close()
        p.stderr.close()
    if failure is not None or any(p.returncode for p in procs):
        raise _WorkerFailed(str(failure or "a figure worker failed"))
    return [fig for chunk in results for fig in chunk]


def _worker() -> None:
    """A figure worker: read pickled curves on stdin, write each figure (as plain strings) as it is drawn."""
    import pickle
    import struct
    import sys

    sheets, curves = pickle.loads(sys.stdin.buffer.read())
    out = sys.stdout.buffer
    for c in curves:
        fig = render(c, sheets)
        data = pickle.dumps((fig.sheet, fig.key, fig.caption, fig.marked), protocol=pickle.HIGHEST_PROTOCOL)
        out.write(struct.pack(">I", len(data)) + data)
        out.flush()


def figures_for(instances: Iterable, **kw) -> dict[str, FigureSVG]:
    """instance id → figure, for the instances whose template declares one (``sheets=False``: no
    sheet sketch, when only keys show figures)."""
    from psyq.curves import curve

    todo: dict[str, object] = {}
    for inst in instances:
        if inst.id in todo or inst.template.figure is None:
            continue
        c = curve(inst)
        if c is not None:
            todo[inst.id] = c
    drawn = render_many(list(todo.values()), **kw)
    return dict(zip(todo.keys(), drawn))

