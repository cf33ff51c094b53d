"""The property every fuzzer checks: a call returns, or raises psyq's own error with a one-line
message, within a bound of work (tests/_work.py: counted calls, never a clock)."""

from __future__ import annotations

from _work import work_bounded

from psyq.errors import PsyqError

# The default bound, for the small parsers (answers, units, expressions): >= 10x the most a fuzzed
# input was measured to make on Python 3.10-3.13 (2,729 calls, parse_unit).
CALLS = 50_000


def check_call(fn, *args, calls: int = CALLS, **kwargs):
    """``fn(*args, **kwargs)`` returns, or raises a PsyqError with a one-line message, within
    ``calls`` Python and C calls."""
    try:
        with work_bounded(calls=calls, what=f"{getattr(fn, '__name__', fn)}{args!r}"):
            return fn(*args, **kwargs)
    except PsyqError as exc:
        text = str(exc)
        assert text.strip() and exc.message.strip(), "empty message"
        assert "\n" not in text and "\r" not in text, f"not one line: {text!r}"
        return exc
