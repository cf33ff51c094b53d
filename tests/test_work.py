"""tests/_work.py: the work bound the hostile-input and fuzz tests use instead of a clock."""

from __future__ import annotations

import sys

import pytest
from _work import STOP_FACTOR, work_bounded


def _runaway() -> None:
    out: list[int] = []
    while True:  # a hang, as a regression would make one
        out.append(len(out))


def _previous_profiler(frame, event, arg):  # stands for a profiler that was there before
    return None


def test_the_count_is_the_same_on_every_run():
    counts = []
    for _ in range(3):
        with work_bounded(calls=10_000) as w:
            sorted(str(i) for i in range(500))
        counts.append(w.count)
    assert counts[0] == counts[1] == counts[2]
    assert 500 <= counts[0] < 1_000  # one generator step per item, str() is a type (not counted)


def test_a_runaway_loop_is_stopped_and_named():
    sys.setprofile(_previous_profiler)
    try:
        with pytest.raises(AssertionError) as info, work_bounded(calls=1_000, what="the runaway"):
            _runaway()
        assert sys.getprofile() is _previous_profiler  # put back, not cleared
    finally:
        sys.setprofile(None)
    message = str(info.value)
    assert message.startswith("the runaway ran over its work bound (test_work.py:")
    stop = 1_000 * STOP_FACTOR
    assert f"stopped after {stop + 1:,} calls, {STOP_FACTOR}x its bound of 1,000" in message
    assert "in _runaway" in message and "test_work.py" in message


def test_a_body_that_finishes_over_its_bound_fails_with_the_ratio():
    over = (r"the call ran over its work bound .*: 2,\d{3} calls, 2\.\dx its bound of 1,000:"
            r" a blow-up")
    with pytest.raises(AssertionError, match=over), work_bounded(calls=1_000):
        for i in range(2_100):
            abs(i)


def test_the_stop_passes_through_the_handlers_of_the_code_under_test():
    def careful():
        try:
            _runaway()
        except Exception:  # noqa: BLE001 - a library's broad handler must not swallow the stop
            return "swallowed"

    with pytest.raises(AssertionError, match="stopped after"), work_bounded(calls=500), \
            pytest.raises(ValueError):
        careful()


def test_a_swallowed_stop_still_fails():
    def reckless():
        try:
            _runaway()
        except BaseException:  # noqa: BLE001, S110 - worse than a library should be
            pass
        for i in range(100):  # goes on, uncounted: CPython removed the profile function
            abs(i)

    swallowed = "caught the stop and went on, uncounted"
    with pytest.raises(AssertionError, match=swallowed), work_bounded(calls=500):
        reckless()
    assert sys.getprofile() is None


def test_the_body_s_own_errors_pass_through_and_the_profiler_is_put_back():
    with pytest.raises(KeyError), work_bounded(calls=100):
        {}["x"]
    assert sys.getprofile() is None


def test_module_imports_are_not_counted(tmp_path, monkeypatch):
    """A first import is paid once a process, by whichever test comes first: not this body's work.
    The count resumes after an import, even one that failed."""
    (tmp_path / "work_probe_heavy.py").write_text("X = [abs(i) for i in range(5_000)]\n")
    (tmp_path / "work_probe_broken.py").write_text("Y = [abs(i) for i in range(5_000)]\n1 / 0\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with work_bounded(calls=1_000) as w:
        import work_probe_heavy  # noqa: F401
        with pytest.raises(ZeroDivisionError):
            import work_probe_broken  # noqa: F401
        for i in range(300):
            abs(i)
    assert 300 <= w.count < 400  # the 10,000 calls of the two module bodies are not in it
