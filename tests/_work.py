"""Bounding work in tests without any clock.

A test never asserts elapsed time, wall or CPU: on a shared, busy machine the same work takes
several times longer (CPU time too: cache contention, frequency scaling), so a time bound fails at
random (issue 12).  Where a test guards against a hang or a blow-up (hostile input), it bounds the
*work* instead: :func:`work_bounded` counts the Python function calls and C calls the body makes,
a number that is the same on every run and every machine, and stops the body once it runs far
over.  Where the guarded risk is a size (a result's digits, an output's length), the test asserts
the size; :func:`memory_bounded` bounds the memory a body allocates (a file refused unread).

Calibration: each bound is about 10x or more above the count measured for that call (across the
supported Python, pint and sympy versions), and well below what the blow-up it guards against
would make.  ``PSYQ_WORK_LOG=FILE pytest ...`` appends every bounded call's count to FILE (one
line each: count, bound, call site, what) to recalibrate after a deliberate change.
"""

from __future__ import annotations

import os
import sys
import tracemalloc

STOP_FACTOR = 10  # a runaway body is stopped after this many times its bound of calls

# A module's first import is a one-off cost of the process, paid by whichever test happens to need
# the module first: calls made while one runs are not counted, so a bound does not depend on the
# order tests run in (tests/test_startup.py and tests/test_hot_path.py watch what gets imported).
_IMPORT = sys.modules["_frozen_importlib"]._find_and_load.__code__


class WorkExceeded(BaseException):
    """Raised from the profile hook to stop a runaway body.

    A BaseException, so that the ``except Exception`` handlers of the code under test (psyq, pint,
    sympy) let it through; CPython propagates an exception raised by a profile function into the
    running frame and removes the profile function, so a handler that swallows it anyway leaves
    the rest of the body uncounted, and :class:`work_bounded` still fails on exit."""


class work_bounded:  # a class used like a function: ``with work_bounded(calls=..., what=...):``
    """Assert that the body makes at most ``calls`` Python and C function calls.

    Counts the ``call`` and ``c_call`` events of :func:`sys.setprofile` on this thread, outside
    module imports (the previous profile function is put back on exit).  A body that reaches
    ``STOP_FACTOR`` times its bound is stopped there by :class:`WorkExceeded`; either way the test
    fails with what ran over, by how much, and where it was."""

    def __init__(self, calls: int, what: str = "the call"):
        self.bound = int(calls)
        self.what = what
        self.count = 0
        self._stopped_at = ""
        self._site = ""

    def __enter__(self):
        caller = sys._getframe(1)
        self._site = f"{os.path.basename(caller.f_code.co_filename)}:{caller.f_lineno}"
        self._previous = sys.getprofile()
        stop = self.bound * STOP_FACTOR
        count = 0
        importing = 0  # depth of module imports in progress: their work is not counted

        def profile(frame, event, arg):
            nonlocal count, importing
            if event == "call" or event == "c_call":
                if event == "call" and frame.f_code is _IMPORT:
                    importing += 1
                if importing:
                    return
                count += 1
                if count > stop:
                    self.count = count
                    name = getattr(arg, "__qualname__", None) if event == "c_call" else None
                    code = frame.f_code
                    self._stopped_at = (f"{code.co_filename}:{frame.f_lineno} in {code.co_name}"
                                        + (f", calling {name}" if name else ""))
                    raise WorkExceeded(self._message())
            elif event == "return" and frame.f_code is _IMPORT:  # (also when the import failed)
                importing -= 1

        def spent() -> int:
            return count

        self._spent = spent
        sys.setprofile(profile)
        return self

    def __exit__(self, exc_type, exc, tb) -> bool:
        sys.setprofile(self._previous)
        if not self._stopped_at:
            self.count = self._spent()
        log = os.environ.get("PSYQ_WORK_LOG")
        if log:
            with open(log, "a", encoding="utf-8") as fh:
                fh.write(f"{self.count}\t{self.bound}\t{self._site}\t{self.what!r}\n")
        if self.count > self.bound:
            message = self._message()
            if self._stopped_at and exc_type is not WorkExceeded:
                message += " (the body caught the stop and went on, uncounted)"
            raise AssertionError(message) from (exc if exc_type is WorkExceeded else None)
        return False

    def _message(self) -> str:
        what = self.what if len(self.what) <= 60 else self.what[:57] + "..."
        if self._stopped_at:
            return (f"{what} ran over its work bound ({self._site}): stopped after"
                    f" {self.count:,} calls, {STOP_FACTOR}x its bound of {self.bound:,},"
                    f" in {self._stopped_at}: a hang or a blow-up")
        return (f"{what} ran over its work bound ({self._site}): {self.count:,} calls,"
                f" {self.count / self.bound:.1f}x its bound of {self.bound:,}: a blow-up")


class memory_bounded:  # used like a function: ``with memory_bounded(bytes=..., what=...):``
    """Assert that the Python memory the body allocates peaks under ``bytes`` above where it started
    (tracemalloc: a size, the same on every run), e.g. a file that must be refused unread."""

    def __init__(self, bytes: int, what: str = "the call"):  # the unit is the name
        self.bound = int(bytes)
        self.what = what
        self.peak = 0

    def __enter__(self):
        self._was_tracing = tracemalloc.is_tracing()
        if not self._was_tracing:
            tracemalloc.start()
        tracemalloc.reset_peak()
        self._start = tracemalloc.get_traced_memory()[0]
        return self

    def __exit__(self, exc_type, exc, tb) -> bool:
        self.peak = tracemalloc.get_traced_memory()[1] - self._start
        if not self._was_tracing:
            tracemalloc.stop()
        if self.peak > self.bound:
            raise AssertionError(f"{self.what} allocated {self.peak:,} bytes at its peak,"
                                 f" {self.peak / self.bound:.1f}x its bound of {self.bound:,}")
        return False
