"""Helpers for the practice tests: play a whole scripted session through an injected console."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console

from psyq import bank
from psyq.adaptive import Candidate
from psyq.history import History
from psyq.practice import Environment, Plan, Session, Summary

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
START = 1_700_000_000.0  # 2023-11-14T22:13:20Z


class FakeClock:
    """Each reading advances by ``step`` seconds."""

    def __init__(self, start: float = START, step: float = 5.0):
        self.now = start - step
        self.step = step

    def __call__(self) -> float:
        self.now += self.step
        return self.now


def candidate(template_id: str) -> Candidate:
    t = bank.load(template_id)
    return Candidate(
        t.id, t.family, t.difficulty, frozenset(m.name for p in t.parts for m in p.misconceptions)
    )


@dataclass
class Played:
    summary: Summary
    out: str  # what the console showed (ANSI codes removed, no-break spaces read as spaces)
    raw: str  # as printed: ANSI codes and no-break spaces
    history: History


def play(
    lines,
    home: Path,
    *,
    templates=("occupancy-from-ki",),
    seed: int | None = 1,
    session_seed: int = 1,
    count: int = 1,
    tries: int = 3,
    width: int = 80,
    terminal: bool = False,
    plots: bool = True,
    clock: FakeClock | None = None,
) -> Played:
    buf = io.StringIO()
    console = Console(
        file=buf,
        width=width,
        force_terminal=terminal,
        highlight=False,
        color_system="standard" if terminal else None,
    )
    env = Environment.scripted(console, lines, clock=clock or FakeClock(), plots=plots)
    hist = History(Path(home) / "history.sqlite3")
    plan = Plan(
        [candidate(t) for t in templates],
        bank.load,
        count=count,
        tries=tries,
        seed=session_seed if seed is None else seed,
        first_seed=seed,
    )
    summary = Session(env, hist, plan).run()
    raw = buf.getvalue()
    return Played(summary, ANSI.sub("", raw).replace("\u00a0", " "), raw, hist)
