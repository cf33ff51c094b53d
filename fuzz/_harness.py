"""Shared pieces of psyq's atheris harnesses (see fuzz/README.md)."""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

BOUND = 2.0  # seconds: a single input taking longer is a finding (libFuzzer's -timeout is the hard stop)


class Finding(Exception):
    """Raised to make libFuzzer record the input as a crash."""


def check(fn, *args, **kwargs):
    """Call fn; a PsyqError with a one-line message is fine, anything else is a finding."""
    from psyq.errors import PsyqError

    t0 = time.perf_counter()
    try:
        return fn(*args, **kwargs)
    except PsyqError as exc:
        text = str(exc)
        if not text.strip() or not exc.message.strip():
            raise Finding(f"empty error message from {fn.__name__}") from exc
        if "\n" in text or "\r" in text:
            raise Finding(f"multi-line error message from {fn.__name__}: {text!r}") from exc
        return exc
    finally:
        elapsed = time.perf_counter() - t0
        if elapsed > BOUND:
            raise Finding(f"{fn.__name__} took {elapsed:.1f} s")
