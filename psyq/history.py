"""Practice history: every problem shown and every answer typed, kept in a small SQLite file.

Where it lives: ``--home DIR`` if given, else ``$PSYQ_HOME``, else the user data directory
that platformdirs names for psyq (``~/.local/share/psyq`` on Linux,
``~/Library/Application Support/psyq`` on macOS, ``%LOCALAPPDATA%\\psyq`` on Windows).
The file is ``history.sqlite3`` in that folder.

Why it survives a kill and a second session: the database runs in WAL mode and every write (a
problem shown, an answer graded, a hint asked) is its own short transaction, committed before the
next prompt.  A process killed at the prompt loses only the answer being typed; two sessions writing
at once wait for each other's commit (busy timeout) instead of corrupting the file.

The schema is versioned with ``PRAGMA user_version`` (:data:`SCHEMA_VERSION`); a file written by a
newer psyq is refused with a clear message rather than misread.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from psyq.errors import PsyqError

SCHEMA_VERSION = 1
ENV_HOME = "PSYQ_HOME"
DB_NAME = "history.sqlite3"
BUSY_TIMEOUT_S = 15.0

# Outcomes of one part of one problem.
OPEN, SOLVED, FAILED, REVEALED, SKIPPED, ABANDONED = (
    "open",
    "solved",
    "failed",
    "revealed",
    "skipped",
    "abandoned",
)
OUTCOMES = (OPEN, SOLVED, FAILED, REVEALED, SKIPPED, ABANDONED)

_SCHEMA = """
CREATE TABLE sessions (
    id       INTEGER PRIMARY KEY,
    started  REAL    NOT NULL,              -- unix time
    ended    REAL,                          -- NULL while running, or when the process was killed
    seed     INTEGER NOT NULL,              -- session seed: the adaptive choices follow from it
    reason   TEXT,                          -- done | quit | eof | interrupt
    options  TEXT    NOT NULL DEFAULT '{}', -- JSON: the selection asked for on the command line
    version  TEXT    NOT NULL               -- psyq version
);
CREATE TABLE problems (                     -- one row per part of a problem put to the student
    id          INTEGER PRIMARY KEY,
    session_id  INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    template    TEXT    NOT NULL,
    family      TEXT    NOT NULL,
    difficulty  INTEGER NOT NULL DEFAULT 1,
    seed        INTEGER NOT NULL,
    part        TEXT    NOT NULL,
    instance_id TEXT    NOT NULL,
    shown       REAL    NOT NULL,
    finished    REAL,
    outcome     TEXT    NOT NULL DEFAULT 'open',  -- open|solved|failed|revealed|skipped|abandoned
    tries       INTEGER NOT NULL DEFAULT 0,       -- graded answers (unreadable ones cost nothing)
    hints       INTEGER NOT NULL DEFAULT 0        -- hints asked for
);
CREATE TABLE attempts (                     -- one row per answer typed, graded or not
    id            INTEGER PRIMARY KEY,
    problem_id    INTEGER NOT NULL REFERENCES problems(id) ON DELETE CASCADE,
    session_id    INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    template      TEXT    NOT NULL,
    family        TEXT    NOT NULL,
    seed          INTEGER NOT NULL,
    part          TEXT    NOT NULL,
    answer        TEXT    NOT NULL,         -- as typed
    status        TEXT    NOT NULL,         -- correct | incorrect | invalid
    notes         TEXT    NOT NULL,         -- JSON list of tags: ACC_OK, MISC:…, SLIP:…
    misconception TEXT,                     -- name of the matched misconception, if any
    feedback      TEXT    NOT NULL,         -- what the student was told
    value         REAL,                     -- the answer in the part's unit
    unit          TEXT,                     -- the part's unit
    time          REAL    NOT NULL,         -- unix time of the answer
    elapsed       REAL                      -- seconds since the previous prompt for this part
);
CREATE INDEX problems_template ON problems(template, seed);
CREATE INDEX problems_session ON problems(session_id);
CREATE INDEX attempts_time ON attempts(time);
CREATE INDEX attempts_session ON attempts(session_id);
"""

_MIGRATIONS: dict[int, str] = {}  # from version n to n+1, when the schema grows


def home_dir(
    home: str | os.PathLike | None = None, environ: Mapping[str, str] | None = None
) -> Path:
    """The folder that holds the history: --home, then $PSYQ_HOME, then the user data directory."""
    env = os.environ if environ is None else environ
    if home:
        return Path(home).expanduser()
    if env.get(ENV_HOME, "").strip():
        return Path(env[ENV_HOME]).expanduser()
    from platformdirs import user_data_dir

    return Path(user_data_dir("psyq", appauthor=False))


def db_path(
    home: str | os.PathLike | None = None, environ: Mapping[str, str] | None = None
) -> Path:
    return home_dir(home, environ) / DB_NAME


@dataclass(frozen=True)
class SessionRow:
    id: int
    started: float
    ended: float | None
    seed: int
    reason: str | None
    options: dict


@dataclass(frozen=True)
class ProblemRow:
    id: int
    session_id: int
    template: str
    family: str
    difficulty: int
    seed: int
    part: str
    shown: float
    finished: float | None
    outcome: str
    tries: int
    hints: int

    @property
    def first_try(self) -> bool:
        return self.outcome == SOLVED and self.tries == 1

    @property
    def counted(self) -> bool:
        """Counts in scores: finished, or left after at least one graded answer (a part on screen
        when the session ended, or skipped, never answered, does not count against the student:
        it is not "0 of 1 solved")."""
        return self.outcome not in (OPEN, ABANDONED, SKIPPED) or self.tries > 0


@dataclass(frozen=True)
class AttemptRow:
    id: int
    problem_id: int
    session_id: int
    template: str
    family: str
    seed: int
    part: str
    answer: str
    status: str
    notes: tuple[str, ...]
    misconception: str | None
    feedback: str
    value: float | None
    time: float

    @property
    def graded(self) -> bool:
        return self.status != "invalid"

    @property
    def correct(self) -> bool:
        return self.status == "correct"


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


def _guarded(fn):
    """A sqlite error (disk full, a missing table, a locked or damaged file) as a one-line PsyqError."""
    import functools

    @functools.wraps(fn)
    def wrapper(self, *args, **kwargs):
        try:
            return fn(self, *args, **kwargs)
        except sqlite3.Error as exc:
            text = _one_line(exc)
            hint = ("free some disk space; every answer committed so far is kept" if "full" in text
                    else "move the file aside (or run 'psyq stats --reset') to start afresh")
            raise PsyqError(f"practice history {self.path}: {text}", hint=hint) from None

    return wrapper


def _json(text: Any, default: Any) -> Any:
    """A JSON column: a row damaged by hand (or another tool) reads as the default, not a crash."""
    try:
        value = json.loads(text) if text else default
    except (TypeError, ValueError):
        return default
    return value if isinstance(value, type(default)) else default


class History:
    """One open history file.  Every method that writes commits before it returns."""

    def __init__(self, path: str | os.PathLike, *, create: bool = True, readonly: bool = False):
        """``readonly=True`` (``psyq stats``): open without writing anything, so a history on a
        read-only mount (or another user's, or a backup) can be read; no WAL switch, no migration."""
        self.path = Path(path)
        self.readonly = readonly
        if readonly:
            create = False
        if create:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise PsyqError(
                    f"cannot create the history folder {self.path.parent}: {exc.strerror}",
                    hint=f"set ${ENV_HOME} or pass --home to a writable folder",
                ) from None
        elif not self.path.exists():
            raise PsyqError(f"no practice history at {self.path}", hint="run 'psyq practice' first")
        try:
            if readonly:
                self.conn = self._connect_readonly()
                self._check_version()
                return
            # isolation_level=None: no implicit transactions; each write below is one explicit,
            # short transaction, so nothing stays uncommitted while the student thinks.
            self.conn = sqlite3.connect(
                str(self.path), timeout=BUSY_TIMEOUT_S, isolation_level=None
            )
            self.conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
            self._wal()
            self.conn.execute("PRAGMA foreign_keys = ON")
            self.conn.execute("PRAGMA synchronous = NORMAL")  # WAL + NORMAL: durable across a kill
            self._migrate()
        except sqlite3.Error as exc:
            raise PsyqError(
                f"cannot open the practice history {self.path}: {_one_line(exc)}",
                hint="move the file aside (or run 'psyq stats --reset') to start afresh",
            ) from None

    # -- set-up ----------------------------------------------------------------------------------

    def _connect_readonly(self) -> sqlite3.Connection:
        uri = Path(os.path.abspath(self.path)).as_uri()
        try:
            conn = sqlite3.connect(f"{uri}?mode=ro", uri=True, timeout=BUSY_TIMEOUT_S, isolation_level=None)
            try:
                conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
                return conn
            except sqlite3.OperationalError:
                conn.close()
        except sqlite3.OperationalError:
            pass
        # A WAL file on a read-only mount cannot get its shared-memory index: read it as an
        # immutable snapshot instead (nothing can be writing to a read-only mount).
        return sqlite3.connect(f"{uri}?mode=ro&immutable=1", uri=True, isolation_level=None)

    def _check_version(self) -> None:
        version = self.conn.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise PsyqError(
                f"the practice history {self.path} was written by a newer psyq "
                f"(schema {version}; this psyq reads up to {SCHEMA_VERSION})",
                hint="upgrade psyq, or use another --home",
            )
        if version < 1:
            raise PsyqError(f"the practice history {self.path} holds no psyq tables",
                            hint="run 'psyq practice' to start one, or use another --home")

    def _wal(self) -> None:
        # Switching to WAL needs a moment with no other writer; retry within the busy timeout.
        deadline = time.monotonic() + BUSY_TIMEOUT_S
        while True:
            try:
                mode = self.conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
                if str(mode).lower() != "wal":
                    raise PsyqError(
                        f"the practice history {self.path} cannot use WAL mode ({mode})",
                        hint="keep the history on a local disk (set --home or $PSYQ_HOME)",
                    )
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def _migrate(self) -> None:
        version = self.conn.execute("PRAGMA user_version").fetchone()[0]
        if version == SCHEMA_VERSION:
            return
        if version > SCHEMA_VERSION:
            raise PsyqError(
                f"the practice history {self.path} was written by a newer psyq "
                f"(schema {version}; this psyq reads up to {SCHEMA_VERSION})",
                hint="upgrade psyq, or use another --home",
            )
        with self._write():
            version = self.conn.execute("PRAGMA user_version").fetchone()[
                0
            ]  # another process may have won
            if version == 0:
                for statement in _statements(_SCHEMA):
                    self.conn.execute(statement)
                version = 1
            while version < SCHEMA_VERSION:
                for statement in _statements(_MIGRATIONS[version]):
                    self.conn.execute(statement)
                version += 1
            self.conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    def _write(self):
        return _Transaction(self.conn)

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> History:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @property
    def schema_version(self) -> int:
        return int(self.conn.execute("PRAGMA user_version").fetchone()[0])

    # -- writing ---------------------------------------------------------------------------------

    @_guarded
    def start_session(
        self, *, seed: int, started: float, options: Mapping[str, Any] | None = None
    ) -> int:
        from psyq import __version__

        with self._write():
            cur = self.conn.execute(
                "INSERT INTO sessions (started, seed, options, version) VALUES (?, ?, ?, ?)",
                (started, int(seed), json.dumps(dict(options or {}), sort_keys=True), __version__),
            )
            return int(cur.lastrowid)

    @_guarded
    def end_session(self, session_id: int, *, ended: float, reason: str) -> None:
        with self._write():
            self.conn.execute(
                "UPDATE problems SET outcome = ?, finished = ?"
                " WHERE session_id = ? AND outcome = ?",
                (ABANDONED, ended, session_id, OPEN),
            )
            self.conn.execute(
                "UPDATE sessions SET ended = ?, reason = ? WHERE id = ?",
                (ended, reason, session_id),
            )

    @_guarded
    def start_problem(
        self,
        session_id: int,
        *,
        template: str,
        family: str,
        difficulty: int,
        seed: int,
        part: str,
        instance_id: str,
        shown: float,
    ) -> int:
        with self._write():
            cur = self.conn.execute(
                "INSERT INTO problems (session_id, template, family, difficulty, seed, part,"
                " instance_id, shown) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    session_id,
                    template,
                    family,
                    int(difficulty),
                    int(seed),
                    part,
                    instance_id,
                    shown,
                ),
            )
            return int(cur.lastrowid)

    @_guarded
    def record_attempt(
        self, problem_id: int, verdict, *, time: float, elapsed: float | None = None
    ) -> int:
        """Store one typed answer with its :class:`psyq.grading.Verdict`.

        A graded answer (not ``invalid``) also counts one try on the problem."""
        with self._write():
            row = self.conn.execute(
                "SELECT session_id, template, family, seed, part FROM problems WHERE id = ?",
                (problem_id,),
            ).fetchone()
            if row is None:
                raise PsyqError(f"no problem {problem_id} in the practice history")
            cur = self.conn.execute(
                "INSERT INTO attempts (problem_id, session_id, template, family, seed, part,"
                " answer, status, notes, misconception, feedback, value, unit, time, elapsed)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    problem_id,
                    *row,
                    verdict.answer,
                    verdict.status,
                    json.dumps(list(verdict.notes)),
                    verdict.misconception,
                    verdict.feedback,
                    None if verdict.value is None else float(verdict.value),
                    verdict.unit,
                    time,
                    elapsed,
                ),
            )
            if verdict.status != "invalid":
                self.conn.execute(
                    "UPDATE problems SET tries = tries + 1 WHERE id = ?", (problem_id,)
                )
            return int(cur.lastrowid)

    @_guarded
    def record_hint(self, problem_id: int) -> None:
        with self._write():
            self.conn.execute("UPDATE problems SET hints = hints + 1 WHERE id = ?", (problem_id,))

    @_guarded
    def finish_problem(self, problem_id: int, *, outcome: str, finished: float) -> None:
        if outcome not in OUTCOMES:
            raise ValueError(f"unknown outcome {outcome!r}")
        with self._write():
            self.conn.execute(
                "UPDATE problems SET outcome = ?, finished = ? WHERE id = ?",
                (outcome, finished, problem_id),
            )

    @_guarded
    def reset(self) -> dict[str, int]:
        """Delete every session, problem and attempt (one transaction); returns what was deleted."""
        counts = self.counts()
        with self._write():
            self.conn.execute("DELETE FROM attempts")
            self.conn.execute("DELETE FROM problems")
            self.conn.execute("DELETE FROM sessions")
        return counts

    # -- reading ---------------------------------------------------------------------------------

    @_guarded
    def counts(self) -> dict[str, int]:
        return {
            table: int(self.conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
            for table in ("sessions", "problems", "attempts")
        }

    @_guarded
    def seen_seeds(self, template: str | None = None) -> dict[str, set[int]]:
        """Seeds already put to the student, by template."""
        sql = "SELECT DISTINCT template, seed FROM problems"
        args: tuple = ()
        if template is not None:
            sql += " WHERE template = ?"
            args = (template,)
        out: dict[str, set[int]] = {}
        for t, s in self.conn.execute(sql, args):
            out.setdefault(t, set()).add(int(s))
        return out

    @_guarded
    def sessions(self) -> list[SessionRow]:
        return [
            SessionRow(r[0], r[1], r[2], r[3], r[4], _json(r[5], {}))
            for r in self.conn.execute(
                "SELECT id, started, ended, seed, reason, options FROM sessions ORDER BY id"
            )
        ]

    @_guarded
    def problems(self, session_id: int | None = None) -> list[ProblemRow]:
        sql = (
            "SELECT id, session_id, template, family, difficulty, seed, part, shown, finished,"
            " outcome, tries, hints FROM problems"
        )
        args: tuple = ()
        if session_id is not None:
            sql += " WHERE session_id = ?"
            args = (session_id,)
        return [ProblemRow(*r) for r in self.conn.execute(sql + " ORDER BY id", args)]

    @_guarded
    def attempts(self, session_id: int | None = None) -> list[AttemptRow]:
        sql = (
            "SELECT id, problem_id, session_id, template, family, seed, part, answer, status,"
            " notes, misconception, feedback, value, time FROM attempts"
        )
        args: tuple = ()
        if session_id is not None:
            sql += " WHERE session_id = ?"
            args = (session_id,)
        return [
            AttemptRow(
                r[0],
                r[1],
                r[2],
                r[3],
                r[4],
                r[5],
                r[6],
                r[7],
                r[8],
                tuple(_json(r[9], [])),
                r[10],
                r[11],
                r[12],
                r[13],
            )
            for r in self.conn.execute(sql + " ORDER BY id", args)
        ]

    @_guarded
    def integrity_ok(self) -> bool:
        return self.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


class _Transaction:
    """BEGIN IMMEDIATE … COMMIT (ROLLBACK on error): takes the write lock up front, so a second
    session waits for it (busy timeout) instead of failing half-way."""

    def __init__(self, conn: sqlite3.Connection):
        self.conn = conn

    def __enter__(self) -> sqlite3.Connection:
        self.conn.execute("BEGIN IMMEDIATE")
        return self.conn

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.conn.execute("COMMIT")
        else:
            self.conn.execute("ROLLBACK")


def _statements(script: str) -> Iterator[str]:
    """Split a schema script into statements (it holds no string literals with ';')."""
    for chunk in script.split(";"):
        lines = [line.split("--", 1)[0] for line in chunk.splitlines()]
        statement = "\n".join(lines).strip()
        if statement:
            yield statement


def open_history(
    home: str | os.PathLike | None = None,
    *,
    create: bool = True,
    readonly: bool = False,
    environ: Mapping[str, str] | None = None,
) -> History:
    return History(db_path(home, environ), create=create, readonly=readonly)
