"""Figures for exports: a template's curve (psyq.curves) drawn with matplotlib to SVG.

Deterministic by construction: the Agg-free SVG canvas, a fixed ``svg.hashsalt``, no date or
version in the metadata, explicit styles (a user's matplotlibrc cannot change the output), text
drawn as paths (the SVG needs no font, in a browser or in Typst).

One drawing serves both the sheet and the key: the answer mark (a dot on the curve at this
instance's point, with dashed guides to the axes) is drawn in groups with known ids, and the
sheet's copy is the same SVG with those groups cut out.  Many figures are drawn in worker
processes (the drawing is pure: same curve, same bytes).
"""

from __future__ import annotations

import io
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
    "svg.fonttype": "path",
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
    sheet: str  # the curve without the answer
    key: str  # the same drawing with the answer marked
    caption: str  # what the figure shows (its title)


def render(curve) -> FigureSVG:
    """Draw ``curve`` (a psyq.curves.Curve) once; return the sheet and key SVGs."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.backends.backend_svg import FigureCanvasSVG
    from matplotlib.figure import Figure

    with matplotlib.rc_context(_RC):
        fig = Figure(figsize=(WIDTH_IN, HEIGHT_IN))
        FigureCanvasSVG(fig)
        ax = fig.add_subplot()
        xs = curve.x
        y_max = 0.0
        for i, (name, ys) in enumerate(curve.series.items()):
            finite = [y for y in ys if y == y and abs(y) != float("inf")]
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
        if len(curve.series) == 1:
            (name,) = curve.series
            label = re.sub(r"\s*\([^)]*\)", "", str(curve.y_labels.get(name, name))) or name
            ax.set_ylabel(_short(f"{label} ({curve.y_unit})" if curve.y_unit else label, 45))
        else:
            words = {str(curve.y_labels.get(n, n)).split()[-1] for n in curve.series}
            common = words.pop() if len(words) == 1 else ""
            ax.set_ylabel(_short(f"{common} ({curve.y_unit})" if curve.y_unit else common, 45))
            ax.legend(loc="lower right", frameon=False)
        ax.set_title(_short(curve.title, 80), loc="left")
        x_lo = min(xs) if not curve.log_x else min(x for x in xs if x > 0)
        y_lo = ax.get_ylim()[0]
        for i, (name, (x0, y0)) in enumerate(sorted(curve.marks.items())):
            color = _COLORS[list(curve.series).index(name) % len(_COLORS)] if name in curve.series else "#000"
            guide = ax.plot([x_lo, x0, x0], [y0, y0, y_lo], linestyle=(0, (3, 2)), linewidth=0.8,
                            color=color, zorder=3)[0]
            guide.set_gid(f"{MARK_ID}-guide-{i}")
            dot = ax.plot([x0], [y0], marker="o", markersize=5.5, markerfacecolor=color,
                          markeredgecolor="black", markeredgewidth=0.6, linestyle="none", zorder=4)[0]
            dot.set_gid(f"{MARK_ID}-dot-{i}")
        fig.tight_layout(pad=0.4)
        buf = io.StringIO()
        fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": "psyq"})
    key = buf.getvalue()
    return FigureSVG(strip_marks(key), key, curve.title)


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


def _render_job(curve):
    return render(curve)


def render_many(curves: Sequence, *, jobs: int | None = None,
                progress: Callable[[int], None] | None = None) -> list[FigureSVG]:
    """Draw many curves, in worker processes when there are many (same output either way)."""
    n = len(curves)
    if jobs is None:
        jobs = min(os.cpu_count() or 1, 8)
    if n < PARALLEL_THRESHOLD or jobs <= 1:
        out = []
        for c in curves:
            out.append(render(c))
            if progress:
                progress(1)
        return out
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    ctx = multiprocessing.get_context("spawn")  # no fork: safe with threads, same on every OS
    chunk = max(1, min(16, n // (jobs * 4) or 1))
    out = []
    with ProcessPoolExecutor(max_workers=jobs, mp_context=ctx) as pool:
        for fig in pool.map(_render_job, curves, chunksize=chunk):
            out.append(fig)
            if progress:
                progress(1)
    return out


def figures_for(instances: Iterable, **kw) -> dict[str, FigureSVG]:
    """instance id → figure, for the instances whose template declares one."""
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
