"""Bounding work in tests without a wall clock.

A test never asserts elapsed wall time: on a shared, busy machine the same work takes several times
longer, and a wall-clock assertion fails at random (issue 12).  Where a test guards against a hang
or a blow-up (hostile input), it bounds the CPU time this process spends instead, with a wide
margin: CPU time measures work done, whatever else the machine is running.
"""

from __future__ import annotations

import contextlib
import time


@contextlib.contextmanager
def cpu_bounded(seconds: float, what: str = "the call"):
    """Assert that the body spends under ``seconds`` of this process's CPU time."""
    start = time.process_time()
    try:
        yield
    finally:
        spent = time.process_time() - start
        assert spent < seconds, f"{what} spent {spent:.2f} s of CPU (bound {seconds} s): a hang or a blow-up"
