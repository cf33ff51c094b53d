"""The accepted interval of a part's answer: what its tolerance, or its precision rule, accepts.

Why a module of its own: the interval is part of an instance (``accept`` in the JSON contract),
recomputed when an assignment regrades a part, and made by both the batch and the one-row path;
the boundary rule itself is :func:`psyq.grading.accepted_interval`, the one rule grading uses.
"""

from __future__ import annotations

from psyq import draws
from psyq.template import Part


def part_interval(p: Part, value: float) -> tuple[float, float]:
    """The accepted interval of a part's answer: its tolerance, or what its precision rule accepts."""
    from psyq.grading import accepted_interval  # the one boundary rule (docs/grading.md §4.2)

    low, high = accepted_interval(value, p.rtol, p.atol)
    if p.rule is None or not p.rule.written_precision:
        return low, high
    from psyq import numeric_rules as R

    n = int(p.rule.n)
    written = draws.format_number(value, decimals=n, plain=True) if p.rule.kind == "decimals" \
        else draws.format_number(value, n, plain=True)
    res = R.num_decplaces(written, value, n) if p.rule.kind == "decimals" else R.num_sigfigs(written, value, n)
    return res.interval if res.interval is not None else (low, high)
