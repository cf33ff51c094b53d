"""The practice history store: location, schema, atomic writes, concurrent sessions, kills."""

from __future__ import annotations

import multiprocessing
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from psyq import history as H
from psyq.errors import PsyqError
from psyq.grading import Verdict


def verdict(
    answer="10.6 %",
    status="incorrect",
    notes=("ACC_OUTSIDE", "MISC:unoccupied"),
    misconception="unoccupied",
    value=10.6,
):
    return Verdict(
        status,
        answer,
        notes=list(notes),
        feedback="That is the unoccupied fraction.",
        value=value,
        unit="%",
        misconception=misconception,
    )


def test_home_precedence(tmp_path):
    env = {H.ENV_HOME: str(tmp_path / "env")}
    assert H.home_dir(tmp_path / "flag", env) == tmp_path / "flag"
    assert H.home_dir(None, env) == tmp_path / "env"
    from platformdirs import user_data_dir

    assert H.home_dir(None, {}) == Path(user_data_dir("psyq", appauthor=False))
    assert H.db_path(None, env) == tmp_path / "env" / "history.sqlite3"


def test_new_file_is_versioned_and_in_wal_mode(tmp_path):
    path = tmp_path / "deep" / "folder" / "history.sqlite3"
    with H.History(path) as h:
        assert h.schema_version == H.SCHEMA_VERSION == 1
        assert h.counts() == {"sessions": 0, "problems": 0, "attempts": 0}
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 1
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert tables == {"sessions", "problems", "attempts"}


def test_a_newer_schema_is_refused(tmp_path):
    path = tmp_path / "history.sqlite3"
    H.History(path).close()
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA user_version = 99")
    conn.commit()
    conn.close()
    with pytest.raises(PsyqError, match="newer psyq .schema 99; this psyq reads up to 1"):
        H.History(path)


def test_a_file_that_is_not_a_database_is_a_clear_error(tmp_path):
    path = tmp_path / "history.sqlite3"
    path.write_bytes(b"not a database at all" * 100)
    with pytest.raises(PsyqError, match="cannot open the practice history"):
        H.History(path)


def test_open_without_create_needs_the_file(tmp_path):
    with pytest.raises(PsyqError, match="no practice history"):
        H.History(tmp_path / "missing.sqlite3", create=False)
    assert not (tmp_path / "missing.sqlite3").exists()


def test_round_trip(tmp_path):
    with H.History(tmp_path / "h.sqlite3") as h:
        sid = h.start_session(seed=7, started=100.0, options={"count": 5})
        pid = h.start_problem(
            sid,
            template="occupancy-from-ki",
            family="occupancy",
            difficulty=1,
            seed=1,
            part="a",
            instance_id="abc",
            shown=101.0,
        )
        h.record_attempt(pid, verdict(), time=110.0, elapsed=9.0)
        h.record_attempt(pid, verdict("8O %", "invalid", ("INVALID",), None, None), time=111.0)
        h.record_hint(pid)
        h.record_attempt(pid, verdict("89.4 %", "correct", ("ACC_OK",), None, 89.4), time=120.0)
        h.finish_problem(pid, outcome=H.SOLVED, finished=121.0)
        h.end_session(sid, ended=130.0, reason="done")
        [s] = h.sessions()
        assert (s.seed, s.started, s.ended, s.reason, s.options) == (
            7,
            100.0,
            130.0,
            "done",
            {"count": 5},
        )
        [p] = h.problems()
        assert (p.outcome, p.tries, p.hints, p.finished, p.first_try, p.counted) == (
            "solved",
            2,
            1,
            121.0,
            False,
            True,
        )
        a = h.attempts()
        assert [x.status for x in a] == ["incorrect", "invalid", "correct"]
        assert (
            a[0].notes == ("ACC_OUTSIDE", "MISC:unoccupied") and a[0].misconception == "unoccupied"
        )
        assert a[0].value == 10.6 and a[1].value is None and a[2].time == 120.0
        assert [x.graded for x in a] == [True, False, True]
        assert h.seen_seeds() == {"occupancy-from-ki": {1}}
        assert h.seen_seeds("mao-recovery") == {}


def test_end_session_marks_open_parts_abandoned(tmp_path):
    with H.History(tmp_path / "h.sqlite3") as h:
        sid = h.start_session(seed=1, started=0.0)
        pid = h.start_problem(
            sid,
            template="t",
            family="f",
            difficulty=1,
            seed=3,
            part="a",
            instance_id="i",
            shown=1.0,
        )
        h.end_session(sid, ended=5.0, reason="interrupt")
        [p] = h.problems()
        assert (p.outcome, p.finished, p.counted) == ("abandoned", 5.0, False)
        with pytest.raises(ValueError):
            h.finish_problem(pid, outcome="won", finished=6.0)


def test_reset_deletes_everything_in_one_go(tmp_path):
    with H.History(tmp_path / "h.sqlite3") as h:
        sid = h.start_session(seed=1, started=0.0)
        pid = h.start_problem(
            sid,
            template="t",
            family="f",
            difficulty=1,
            seed=3,
            part="a",
            instance_id="i",
            shown=1.0,
        )
        h.record_attempt(pid, verdict(), time=2.0)
        assert h.reset() == {"sessions": 1, "problems": 1, "attempts": 1}
        assert h.counts() == {"sessions": 0, "problems": 0, "attempts": 0}
        assert h.schema_version == 1


def _writer(path: str, label: str, n: int, barrier) -> None:
    h = H.History(path)
    barrier.wait()
    sid = h.start_session(seed=hash(label) & 0xFFFF, started=0.0)
    for i in range(n):
        pid = h.start_problem(
            sid,
            template=f"t-{label}",
            family="f",
            difficulty=1,
            seed=i,
            part="a",
            instance_id=f"{label}{i}",
            shown=float(i),
        )
        h.record_attempt(pid, verdict(answer=f"{label}{i}"), time=float(i))
        h.finish_problem(pid, outcome=H.FAILED, finished=float(i))
    h.end_session(sid, ended=float(n), reason="done")
    h.close()


def test_two_sessions_at_once_do_not_corrupt_the_file(tmp_path):
    path = str(tmp_path / "h.sqlite3")
    H.History(path).close()
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(3)
    procs = [
        ctx.Process(target=_writer, args=(path, label, 60, barrier)) for label in ("x", "y", "z")
    ]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
    assert [p.exitcode for p in procs] == [0, 0, 0]
    with H.History(path) as h:
        assert h.integrity_ok()
        assert h.counts() == {"sessions": 3, "problems": 180, "attempts": 180}
        answers = sorted(a.answer for a in h.attempts())
        assert answers == sorted(f"{lab}{i}" for lab in "xyz" for i in range(60))
        assert all(p.tries == 1 for p in h.problems())


def test_a_killed_writer_keeps_every_committed_attempt(tmp_path):
    path = tmp_path / "h.sqlite3"
    script = textwrap.dedent(f"""
        import os, sys, time
        from psyq import history as H
        from psyq.grading import Verdict
        h = H.History({str(path)!r})
        sid = h.start_session(seed=1, started=0.0)
        for i in range(5):
            pid = h.start_problem(sid, template="t", family="f", difficulty=1, seed=i, part="a",
                                  instance_id="i", shown=0.0)
            v = Verdict("incorrect", str(i), notes=["ACC_OUTSIDE"])
            h.record_attempt(pid, v, time=float(i))
        print("ready", flush=True)
        time.sleep(60)
    """)
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "ready"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(10)
    assert proc.returncode == -signal.SIGKILL
    with H.History(path) as h:
        assert h.integrity_ok()
        assert [a.answer for a in h.attempts()] == ["0", "1", "2", "3", "4"]
        [s] = h.sessions()
        assert s.ended is None  # killed: the session never closed, but nothing it wrote is lost


# ------------------------------------------------------------------------------------------------
# One-line errors and read-only reading (issue 14)

def _one_attempt(path: Path) -> None:
    with H.History(path) as h:
        sid = h.start_session(seed=7, started=100.0)
        pid = h.start_problem(sid, template="occupancy-from-ki", family="occupancy", difficulty=1,
                              seed=1, part="a", instance_id="abc", shown=101.0)
        h.record_attempt(pid, verdict(), time=110.0, elapsed=9.0)


def test_a_full_disk_is_one_line_and_keeps_what_was_committed(tmp_path):
    path = tmp_path / "h.sqlite3"
    _one_attempt(path)
    with H.History(path) as h:
        pages = h.conn.execute("PRAGMA page_count").fetchone()[0]
        h.conn.execute(f"PRAGMA max_page_count = {pages}")  # the disk is full from now on
        sid = h.start_session(seed=8, started=200.0)
        with pytest.raises(PsyqError) as exc:
            for i in range(2000):
                h.start_problem(sid, template="occupancy-from-ki", family="occupancy", difficulty=1,
                                seed=i, part="a", instance_id="x" * 500, shown=201.0)
        assert "full" in str(exc.value) and "\n" not in str(exc.value)
    with H.History(path) as h:
        assert len(h.attempts()) == 1


def test_a_missing_table_is_one_line(tmp_path):
    path = tmp_path / "h.sqlite3"
    _one_attempt(path)
    conn = sqlite3.connect(path)
    conn.execute("DROP TABLE attempts")
    conn.commit()
    conn.close()
    with H.History(path) as h, pytest.raises(PsyqError) as exc:
        h.attempts()
    assert "no such table: attempts" in str(exc.value) and "\n" not in str(exc.value)


def test_bad_json_rows_read_as_empty(tmp_path):
    path = tmp_path / "h.sqlite3"
    _one_attempt(path)
    conn = sqlite3.connect(path)
    conn.execute("UPDATE attempts SET notes = '{not json'")
    conn.execute("UPDATE sessions SET options = '[1, 2'")
    conn.commit()
    conn.close()
    with H.History(path) as h:
        assert h.attempts()[0].notes == ()
        assert h.sessions()[0].options == {}


def test_readonly_history_never_writes(tmp_path):
    path = tmp_path / "h.sqlite3"
    _one_attempt(path)
    before = path.read_bytes()
    with H.History(path, readonly=True) as h:
        assert len(h.attempts()) == 1 and h.counts()["sessions"] == 1
        with pytest.raises(PsyqError, match="readonly"):
            h.start_session(seed=1, started=1.0)
    assert path.read_bytes() == before


def test_stats_reads_a_history_on_a_read_only_mount(tmp_path, monkeypatch):
    """On a read-only mount SQLite cannot create the WAL index (-shm) and a read-only open fails
    with "unable to open database file" (as root, in a test, the folder cannot be made read-only,
    so that failure is injected); psyq then reads the file as an immutable snapshot."""
    path = tmp_path / H.DB_NAME
    _one_attempt(path)
    for extra in ("-wal", "-shm"):
        Path(str(path) + extra).unlink(missing_ok=True)
    real = sqlite3.connect
    opened = []

    def connect(target, *args, **kwargs):
        opened.append(str(target))
        if kwargs.get("uri") and "immutable=1" not in str(target):
            raise sqlite3.OperationalError("unable to open database file")
        if not kwargs.get("uri"):
            raise AssertionError("stats opened the history for writing")
        return real(target, *args, **kwargs)

    monkeypatch.setattr(H.sqlite3, "connect", connect)
    from typer.testing import CliRunner

    from psyq.cli import app

    res = CliRunner().invoke(app, ["stats", "--json", "--home", str(tmp_path)])
    assert res.exit_code == 0, res.output
    import json

    assert json.loads(res.stdout)["totals"]["answers"] == 1
    assert any("immutable=1" in t for t in opened)
    assert sorted(p.name for p in tmp_path.iterdir()) == [H.DB_NAME]
