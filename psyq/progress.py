"""Progress from the practice history: accuracy by family and template, the trend over recent
sessions, the misconceptions that recur, and what to practise next (``psyq stats``).

:func:`report` builds one plain dict (the ``psyq stats --json`` document, fields described in
docs/practice.md); :func:`render` prints the same report for a person.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timezone
from typing import TYPE_CHECKING

from psyq import history as H

if TYPE_CHECKING:  # pragma: no cover
    from rich.console import Console

    from psyq.adaptive import Candidate

RECENT_SESSIONS = 10
TREND_MARGIN = 0.10  # accuracy change that counts as a trend
REPORT_FORMAT = 1


def iso(t: float | None) -> str | None:
    if t is None:
        return None
    return (
        datetime.fromtimestamp(t, tz=timezone.utc)
        .isoformat(timespec="seconds")
        .replace("+00:00", "Z")
    )


def _ratio(a: int, b: int) -> float | None:
    return round(a / b, 4) if b else None


def _group(
    problems: Sequence[H.ProblemRow], attempts: Sequence[H.AttemptRow], key: str
) -> list[dict]:
    rows: dict[str, dict] = {}
    for p in problems:
        if not p.counted:
            continue
        k = getattr(p, key)
        r = rows.setdefault(
            k,
            {
                key: k,
                **({"family": p.family} if key == "template" else {}),
                "problems": 0,
                "solved": 0,
                "first_try": 0,
                "answers": 0,
                "correct": 0,
                "hints": 0,
                "last_seen": None,
            },
        )
        r["problems"] += 1
        r["solved"] += p.outcome == H.SOLVED
        r["first_try"] += p.first_try
        r["hints"] += p.hints
        r["last_seen"] = max(r["last_seen"] or p.shown, p.shown)
    for a in attempts:
        if not a.graded:
            continue
        k = getattr(a, key)
        if k in rows:
            rows[k]["answers"] += 1
            rows[k]["correct"] += a.correct
    out = []
    for r in rows.values():
        r["accuracy"] = _ratio(r["correct"], r["answers"])
        r["last_seen"] = iso(r["last_seen"])
        out.append(r)
    return sorted(out, key=lambda r: (r["accuracy"] if r["accuracy"] is not None else 2.0, r[key]))


def _sessions(sessions: Sequence[H.SessionRow], problems, attempts, recent: int) -> list[dict]:
    out = []
    for s in sessions[-recent:]:
        ps = [p for p in problems if p.session_id == s.id and p.counted]
        ans = [a for a in attempts if a.session_id == s.id and a.graded]
        correct = sum(a.correct for a in ans)
        last = max([s.started] + [p.shown for p in ps] + [a.time for a in ans])
        ended = s.ended if s.ended is not None else last
        out.append(
            {
                "id": s.id,
                "started": iso(s.started),
                "ended": iso(s.ended),
                "reason": s.reason,
                "seed": s.seed,
                "problems": len(ps),
                "solved": sum(p.outcome == H.SOLVED for p in ps),
                "answers": len(ans),
                "correct": correct,
                "accuracy": _ratio(correct, len(ans)),
                "seconds": round(max(0.0, ended - s.started), 1),
            }
        )
    return out


def _trend(sessions: list[dict]) -> dict:
    scored = [s for s in sessions if s["accuracy"] is not None]
    if len(scored) < 2:
        return {
            "direction": "not enough data",
            "recent_accuracy": None,
            "earlier_accuracy": None,
            "sessions_compared": len(scored),
        }
    half = len(scored) // 2
    earlier, recent = scored[:half], scored[half:]

    def pooled(rows):
        return sum(r["correct"] for r in rows) / sum(r["answers"] for r in rows)

    e, r = pooled(earlier), pooled(recent)
    direction = (
        "improving" if r - e > TREND_MARGIN else "declining" if e - r > TREND_MARGIN else "steady"
    )
    return {
        "direction": direction,
        "recent_accuracy": round(r, 4),
        "earlier_accuracy": round(e, 4),
        "sessions_compared": len(scored),
    }


def _misconceptions(attempts: Sequence[H.AttemptRow]) -> list[dict]:
    rows: dict[tuple[str, str], dict] = {}
    last_correct: dict[str, float] = {}
    for a in attempts:
        if a.correct:
            last_correct[a.template] = max(last_correct.get(a.template, a.time), a.time)
        if not a.misconception:
            continue
        r = rows.setdefault(
            (a.misconception, a.template),
            {
                "name": a.misconception,
                "template": a.template,
                "family": a.family,
                "count": 0,
                "sessions": set(),
                "last_seen": a.time,
                "feedback": a.feedback,
            },
        )
        r["count"] += 1
        r["sessions"].add(a.session_id)
        r["last_seen"] = max(r["last_seen"], a.time)
        r["feedback"] = a.feedback
    out = []
    for r in rows.values():
        resolved = last_correct.get(r["template"], float("-inf")) > r["last_seen"]
        out.append(
            {
                **r,
                "sessions": len(r["sessions"]),
                "recurring": r["count"] >= 2,
                "resolved": resolved,
                "last_seen": iso(r["last_seen"]),
            }
        )
    return sorted(out, key=lambda r: (r["resolved"], -r["count"], r["name"], r["template"]))


def report(
    history: H.History | None,
    candidates: Sequence[Candidate],
    *,
    now: float,
    recent: int = RECENT_SESSIONS,
    database: str | None = None,
    top: int = 3,
) -> dict:
    """Everything ``psyq stats`` shows, as one JSON-ready dict."""
    from psyq import adaptive

    sessions = history.sessions() if history else []
    problems = history.problems() if history else []
    attempts = history.attempts() if history else []
    graded = [a for a in attempts if a.graded]
    correct = sum(a.correct for a in graded)
    counted = [p for p in problems if p.counted]
    recent_sessions = _sessions(sessions, problems, attempts, recent)
    seconds = 0.0
    for s in _sessions(sessions, problems, attempts, len(sessions) or 1):
        seconds += s["seconds"]
    ranked = adaptive.ranked(candidates, problems, attempts, now=now) if candidates else []
    return {
        "format": REPORT_FORMAT,
        "database": database if database is not None else (str(history.path) if history else None),
        "schema": history.schema_version if history else H.SCHEMA_VERSION,
        "generated": iso(now),
        "totals": {
            "sessions": len(sessions),
            "problems": len(counted),
            "solved": sum(p.outcome == H.SOLVED for p in counted),
            "first_try": sum(p.first_try for p in counted),
            "answers": len(graded),
            "correct": correct,
            "accuracy": _ratio(correct, len(graded)),
            "unreadable": len(attempts) - len(graded),
            "hints": sum(p.hints for p in problems),
            "seconds": round(seconds, 1),
        },
        "families": _group(problems, attempts, "family"),
        "templates": _group(problems, attempts, "template"),
        "sessions": recent_sessions,
        "trend": _trend(recent_sessions),
        "misconceptions": _misconceptions(attempts),
        "next": _entry(candidates) if not counted else [
            {
                "template": s.candidate.id,
                "family": s.candidate.family,
                "weight": round(s.weight, 3),
                "reasons": list(s.reasons),
            }
            for s in ranked[:top]
            if s.weight > 0
        ],
    }


def _entry(candidates: Sequence[Candidate]) -> list[dict]:
    """With no answers yet: an entry problem of each family (its easiest template)."""
    from psyq import adaptive

    return [
        {
            "template": c.id,
            "family": c.family,
            "weight": None,
            "reasons": [f"an entry problem in {c.family} (difficulty {c.difficulty})"],
        }
        for c in adaptive.entry_points(candidates)
    ]


def _pct(x: float | None) -> str:
    return "—" if x is None else f"{round(100 * x)}\u00a0%"  # no-break space: "80 %" stays whole


def render(console: Console, data: dict) -> None:
    from rich.table import Table
    from rich.text import Text

    from psyq.practice import format_duration

    tot = data["totals"]
    if not tot["sessions"]:
        console.print(Text("No practice yet. Start with: psyq practice", style="bold"))
    else:
        head = Text()
        head.append("Practice so far  ", style="bold")
        head.append(
            f"{tot['sessions']} session{'s' if tot['sessions'] != 1 else ''}, "
            f"{tot['problems']} problem part{'s' if tot['problems'] != 1 else ''}, "
            f"{tot['solved']} solved ({tot['first_try']} at the first try), "
            f"answer accuracy {_pct(tot['accuracy'])}, {format_duration(tot['seconds'])}"
        )
        console.print(head)
        for title, rows, key in (
            ("By family", data["families"], "family"),
            ("By template", data["templates"], "template"),
        ):
            table = Table(
                title=title,
                title_justify="left",
                title_style="bold",
                box=None,
                header_style="bold",
                pad_edge=False,
            )
            table.add_column(key, style="cyan", overflow="fold")
            table.add_column("solved", justify="right")
            table.add_column("accuracy", justify="right")
            table.add_column("last seen", style="dim", no_wrap=True)
            for r in rows:
                table.add_row(
                    r[key],
                    f"{r['solved']}/{r['problems']}",
                    _pct(r["accuracy"]),
                    (r["last_seen"] or "")[:10],
                )
            console.print(table)
        table = Table(
            title="Recent sessions",
            title_justify="left",
            title_style="bold",
            box=None,
            header_style="bold",
            pad_edge=False,
        )
        table.add_column("started", no_wrap=True)
        table.add_column("solved", justify="right")
        table.add_column("accuracy", justify="right")
        table.add_column("time", justify="right", style="dim")
        for s in data["sessions"]:
            table.add_row(
                (s["started"] or "")[:16].replace("T", " "),
                f"{s['solved']}/{s['problems']}",
                _pct(s["accuracy"]),
                format_duration(s["seconds"]),
            )
        console.print(table)
        tr = data["trend"]
        line = Text()
        line.append("Trend  ", style="bold")
        if tr["recent_accuracy"] is None:
            line.append("not enough sessions yet to see a trend")
        else:
            line.append(
                f"{tr['direction']}: {_pct(tr['recent_accuracy'])} in recent sessions against "
                f"{_pct(tr['earlier_accuracy'])} before"
            )
        console.print(line)
        miscs = [m for m in data["misconceptions"] if not m["resolved"] or m["recurring"]]
        if miscs:
            console.print(Text("Misconceptions", style="bold magenta"))
            for m in miscs:
                line = Text()
                line.append(f"• {m['name']}", style="magenta")
                state = "put right since" if m["resolved"] else "not yet put right"
                line.append(f" ×{m['count']} ({m['template']}, {state}): ", style="dim")
                line.append(m["feedback"])
                console.print(line)
    if data["next"]:
        console.print(Text("Practise next", style="bold green"))
        for n in data["next"]:
            line = Text()
            line.append(f"• psyq practice --template {n['template']}", style="green")
            if n["reasons"]:
                line.append(": " + "; ".join(n["reasons"]), style="dim")
            console.print(line)
    if data["database"]:
        console.print(Text(f"History: {data['database']}", style="dim"))
