"""Shared pieces of psyq's atheris harnesses (see fuzz/README.md)."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
for _path in (ROOT, ROOT / "tests"):  # the checkout, and tests/_work.py (the work bound)
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

from _work import work_bounded

# A single input is a finding when one call makes more Python and C calls than its bound (counted
# by tests/_work.py, so a finding reproduces on any machine); libFuzzer's -timeout stays the hard
# stop, and -max_total_time the run's time box.  The bounds are per call site, >= 10x the largest
# count measured under atheris' instrumentation (which adds a C call per branch of psyq's code).


class Finding(Exception):
    """Raised to make libFuzzer record the input as a crash."""


def check(fn, *args, calls: int | None, **kwargs):
    """Call fn; a PsyqError with a one-line message is fine, anything else is a finding, and so is
    a call that makes more than ``calls`` Python and C calls (``None``: the call is bounded by
    psyq itself, as sympy's solving is by psyq's CPU-second budget)."""
    from psyq.errors import PsyqError

    try:
        if calls is None:
            return fn(*args, **kwargs)
        with work_bounded(calls=calls, what=fn.__name__):
            return fn(*args, **kwargs)
    except PsyqError as exc:
        text = str(exc)
        if not text.strip() or not exc.message.strip():
            raise Finding(f"empty error message from {fn.__name__}") from exc
        if "\n" in text or "\r" in text:
            raise Finding(f"multi-line error message from {fn.__name__}: {text!r}") from exc
        return exc
    except AssertionError as exc:  # the work bound
        raise Finding(str(exc)) from exc
