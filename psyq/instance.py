"""Instances: a template with its givens drawn from a seed, its unknowns solved, and its key.

Data flow (DESIGN.md): seed (+ pinned givens) → stable draws → givens, rounded for display →
compiled solution → answers, accepted intervals, misconception values, worked solution.  Answers
are computed from the *displayed* givens, so a student who uses exactly what is printed is right.

:func:`generate` makes one instance; :func:`generate_many` makes many with one vectorised pass
(each instance is identical to the one :func:`generate` gives for its seed).  The JSON form
(:meth:`Instance.to_json`) is the stable contract of DESIGN.md.

This is the public entry point; the work is done below it, a module per job:

* :mod:`psyq.sampling` draws, rounds, solves and checks the values of many seeds at once;
* :mod:`psyq.batch` renders them a column at a time (displays, texts, answers, worked solutions)
  and then makes one object per instance;
* :mod:`psyq.single` does both for one seed in pure Python (no numpy);
* :mod:`psyq.instance_model` holds the objects (exported here), :mod:`psyq.display`,
  :mod:`psyq.textfill` and :mod:`psyq.intervals` what those share.
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping

from psyq.batch import Batch, renderer
from psyq.instance_model import Given, Instance, Misconceived, PartInstance, SolutionStep
from psyq.sampling import check_pinned, check_seed, solve_values
from psyq.template import Template

__all__ = ["generate", "generate_many", "render_distinct", "Given", "Instance", "Misconceived",
           "PartInstance", "SolutionStep"]


def generate(template: Template, seed: int, pinned: Mapping[str, Any] | None = None) -> Instance:
    """One instance: exactly ``generate_many(template, [seed], pinned)[0]``.  Computed in pure
    Python (psyq.single) so that a command making one instance never imports numpy; what that
    path cannot vouch for bit for bit goes the batch way."""
    from psyq import single

    try:
        return single.generate_one(template, seed, pinned)
    except single.Unsupported:
        return generate_many(template, [seed], pinned)[0]


def generate_many(template: Template, seeds: Iterable[int], pinned: Mapping[str, Any] | None = None,
                  *, with_solution: bool = True) -> list[Instance]:
    """One instance per seed, made in one vectorised pass; each is what :func:`generate` gives for
    its seed."""
    seeds, pinned_checked, solved, r = _solved(template, seeds, pinned)
    return r.render(seeds, *solved, pinned_checked, with_solution)


def render_distinct(template: Template, seeds: Iterable[int], pinned: Mapping[str, Any] | None = None
                    ) -> tuple[Batch, list[int]]:
    """:func:`generate_many` for output that is written, not kept: ``(batch, which)``, the columns
    of one rendered row per distinct draw, seed ``seeds[k]`` drawing row ``which[k]``.

    Everything of an instance but its seed and id is a function of its draw (the values, the
    categorical choices and which parts are unattainable), and a batch draws the same thing again
    and again (givens are rounded for display: occupancy-from-ki's 20,000 seeds draw ~1,100
    distinct problems), so each distinct draw is rendered once.  ``batch.seeds[j]`` is the first
    seed that drew row j; the caller supplies each seed's own seed and id."""
    import numpy as np

    seeds, pinned_checked, (values, categorical, unatt), r = _solved(template, seeds, pinned)
    n = len(seeds)
    unseen = r.unseen  # (hidden draws that only feed others: occupancy-from-ki's ratio)
    first, which = _distinct_rows({k: v for k, v in values.items() if k not in unseen}, categorical, unatt, n)
    if first is None or len(first) * 4 > n * 3:  # mostly distinct: rendering every row is as cheap
        return r.columns(seeds, values, categorical, unatt, pinned_checked, True), list(range(n))
    take = first.tolist()
    return (r.columns([seeds[j] for j in take], {k: np.asarray(v)[first] for k, v in values.items()},
                      {k: [col[j] for j in take] for k, col in categorical.items()},
                      {k: np.asarray(v)[first] for k, v in unatt.items()}, pinned_checked, True),
            which)


def _solved(template: Template, seeds: Iterable[int], pinned: Mapping[str, Any] | None):
    """The checked seeds and pinned givens, their solved values ``(values, categorical,
    unattainable)`` (:func:`psyq.sampling.solve_values`) and the template's renderer."""
    seeds = list(seeds)
    if not (seeds and set(map(type, seeds)) == {int} and min(seeds) >= 0 and max(seeds) < 2**63):
        seeds = [check_seed(s) for s in seeds]  # (the quick test above passes any valid batch)
    pinned_checked = check_pinned(template, pinned or {})
    solved = solve_values(template, seeds, pinned_checked)
    from psyq.solve import compile_template

    return seeds, pinned_checked, solved, renderer(template, compile_template(template))


def _distinct_rows(values: Mapping[str, Any], categorical: Mapping[str, list], unatt: Mapping[str, Any], n: int):
    """(first row of each distinct draw, index of each row's draw), or (None, None) when a choice is
    unhashable.  Values are compared as bits (-0.0 and 0.0 may print differently); choices by type
    and value (1, 1.0 and True are equal keys but dump differently)."""
    import numpy as np

    if n < 64:
        return None, None
    keys = [np.ascontiguousarray(v, dtype=np.float64).view(np.uint64) for v in values.values()]
    for col in categorical.values():
        index: dict = {}
        try:
            keys.append(np.fromiter((index.setdefault((type(v), v), len(index)) for v in col), np.uint64, n))
        except TypeError:
            return None, None
    keys += [np.asarray(v, dtype=np.uint64) for v in unatt.values()]
    if not keys:
        return None, None
    rows = np.ascontiguousarray(np.stack(keys, axis=1))
    rows = rows.view(np.dtype((np.void, rows.dtype.itemsize * rows.shape[1]))).reshape(n)
    _u, first, inverse = np.unique(rows, return_index=True, return_inverse=True)
    return first, inverse.reshape(-1).tolist()
