"""The property every fuzzer checks: a call returns, or raises psyq's own error with a one-line
message, within a time bound."""

from __future__ import annotations

import time

from psyq.errors import PsyqError


def check_call(fn, *args, bound: float = 1.0, **kwargs):
    """``fn(*args, **kwargs)`` returns, or raises a PsyqError with a one-line message, within ``bound`` s."""
    t0 = time.process_time()  # CPU time (work done), never wall time: see tests/_work.py
    try:
        return fn(*args, **kwargs)
    except PsyqError as exc:
        text = str(exc)
        assert text.strip() and exc.message.strip(), "empty message"
        assert "\n" not in text and "\r" not in text, f"not one line: {text!r}"
        return exc
    finally:
        elapsed = time.process_time() - t0
        assert elapsed < bound, f"{getattr(fn, '__name__', fn)}{args!r} spent {elapsed:.2f} s of CPU"
