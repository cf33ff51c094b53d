"""`psyq stats`: accuracy by family and template, trend, misconceptions, what next, reset."""

from __future__ import annotations

import json

import pytest
import typer
from _practice_helpers import START, FakeClock, candidate, play
from typer.testing import CliRunner

from psyq import progress
from psyq.commands.practice import practice as practice_command
from psyq.commands.practice import stats as stats_command
from psyq.history import DB_NAME, History

DAY = 86_400.0
app = typer.Typer()
app.command(name="practice")(practice_command)
app.command(name="stats")(stats_command)
runner = CliRunner()


@pytest.fixture()
def two_sessions(tmp_path):
    """Session 1: three 'unoccupied' answers (failed). Session 2, a day later: right first time."""
    play(["10.6 %", "10.6 %", "10.6 %"], tmp_path, clock=FakeClock(START))
    p = play(["89.4 %"], tmp_path, clock=FakeClock(START + DAY))
    return p.history


def test_report_values(two_sessions):
    cands = [candidate(t) for t in ("occupancy-from-ki", "mao-recovery", "snri-engagement")]
    r = progress.report(two_sessions, cands, now=START + DAY + 3600)
    assert r["totals"] == {
        "sessions": 2,
        "problems": 2,
        "solved": 1,
        "first_try": 1,
        "answers": 4,
        "correct": 1,
        "accuracy": 0.25,
        "unreadable": 0,
        "hints": 0,
        "seconds": r["totals"]["seconds"],
    }
    assert r["totals"]["seconds"] > 0
    [fam] = r["families"]
    assert (
        fam["family"],
        fam["problems"],
        fam["solved"],
        fam["answers"],
        fam["correct"],
        fam["accuracy"],
    ) == ("occupancy", 2, 1, 4, 1, 0.25)
    assert fam["last_seen"].startswith("2023-11-15T")
    [tpl] = r["templates"]
    assert (tpl["template"], tpl["family"], tpl["accuracy"]) == (
        "occupancy-from-ki",
        "occupancy",
        0.25,
    )
    assert [s["accuracy"] for s in r["sessions"]] == [0.0, 1.0]
    assert [s["reason"] for s in r["sessions"]] == ["done", "done"]
    assert r["sessions"][0]["started"] == "2023-11-14T22:13:20Z"
    assert r["trend"] == {
        "direction": "improving",
        "recent_accuracy": 1.0,
        "earlier_accuracy": 0.0,
        "sessions_compared": 2,
    }
    [m] = r["misconceptions"]
    assert (m["name"], m["template"], m["count"], m["sessions"], m["recurring"], m["resolved"]) == (
        "unoccupied",
        "occupancy-from-ki",
        3,
        1,
        True,
        True,
    )
    assert m["feedback"].startswith("That is the unoccupied fraction")
    nxt = r["next"]
    occ = next(n for n in nxt if n["template"] == "occupancy-from-ki")
    assert "3 of your last 4 answers in occupancy were wrong" in occ["reasons"]
    assert {n["template"] for n in nxt} == {"occupancy-from-ki", "mao-recovery", "snri-engagement"}
    assert all(n["reasons"] == [f"you have not tried {n['family']} yet"] for n in nxt if n is not occ)
    # snri-engagement also trains the recurring 'unoccupied' mistake, so it outranks mao-recovery
    order = [n["template"] for n in nxt]
    assert order.index("snri-engagement") < order.index("mao-recovery")
    assert r["schema"] == 1 and r["format"] == 1


def test_trend_declining_and_steady():
    rows = [
        {"accuracy": a, "correct": c, "answers": n}
        for a, c, n in ((1.0, 4, 4), (1.0, 4, 4), (0.5, 2, 4), (0.25, 1, 4))
    ]
    assert progress._trend(rows)["direction"] == "declining"
    rows = [{"accuracy": 0.5, "correct": 2, "answers": 4}] * 4
    assert progress._trend(rows) == {
        "direction": "steady",
        "recent_accuracy": 0.5,
        "earlier_accuracy": 0.5,
        "sessions_compared": 4,
    }
    assert progress._trend(rows[:1])["direction"] == "not enough data"


def test_unresolved_misconception(tmp_path):
    play(["10.6 %", "solution"], tmp_path)
    r = progress.report(History(tmp_path / DB_NAME), [], now=START + 100)
    [m] = r["misconceptions"]
    assert (m["count"], m["recurring"], m["resolved"]) == (1, False, False)
    assert r["next"] == []


def test_report_on_no_history():
    r = progress.report(
        None, [candidate("mao-recovery")], now=START, database="/nowhere/history.sqlite3"
    )
    assert r["totals"]["sessions"] == 0 and r["totals"]["accuracy"] is None
    assert r["families"] == [] and r["misconceptions"] == []
    assert r["trend"]["direction"] == "not enough data"
    assert r["next"][0]["template"] == "mao-recovery"


def test_stats_json_cli(two_sessions, tmp_path):
    res = runner.invoke(app, ["stats", "--json", "--home", str(tmp_path)])
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    assert data["database"] == str(tmp_path / DB_NAME)
    assert data["totals"]["answers"] == 4 and data["totals"]["correct"] == 1
    assert data["misconceptions"][0]["name"] == "unoccupied"
    assert data["next"]  # from the whole bank
    assert set(data) == {
        "format",
        "database",
        "schema",
        "generated",
        "totals",
        "families",
        "templates",
        "sessions",
        "trend",
        "misconceptions",
        "next",
    }


def test_stats_text_cli(two_sessions, tmp_path):
    res = runner.invoke(app, ["stats", "--home", str(tmp_path)], env={"COLUMNS": "100"})
    assert res.exit_code == 0, res.output
    out = res.output.replace("\u00a0", " ")  # numbers and units are joined by no-break spaces
    head = "Practice so far  2 sessions, 2 problem parts, 1 solved (1 at the first try), "
    assert head + "answer accuracy 25 %" in out
    assert "By family" in out and "By template" in out and "Recent sessions" in out
    assert "Trend  improving: 100 % in recent sessions against 0 % before" in out
    assert (
        "• unoccupied ×3 (occupancy-from-ki, put right since): That is the unoccupied fraction"
        in out
    )
    assert "Practise next" in out and "• psyq practice --template" in out


def test_stats_with_no_history_creates_nothing(tmp_path):
    res = runner.invoke(app, ["stats", "--home", str(tmp_path / "fresh")])
    assert res.exit_code == 0
    assert "No practice yet. Start with: psyq practice" in res.output
    assert not (tmp_path / "fresh").exists()


def test_stats_home_from_environment(two_sessions, tmp_path):
    res = runner.invoke(app, ["stats", "--json"], env={"PSYQ_HOME": str(tmp_path)})
    assert json.loads(res.output)["totals"]["sessions"] == 2


def test_reset_asks_first(two_sessions, tmp_path):
    res = runner.invoke(app, ["stats", "--reset", "--home", str(tmp_path)], input="n\n")
    assert res.exit_code == 1
    assert "Delete 2 session(s), 2 problem part(s) and 4 answer(s)" in res.output
    assert "Nothing deleted." in res.output
    assert History(tmp_path / DB_NAME).counts()["attempts"] == 4
    res = runner.invoke(
        app, ["stats", "--reset", "--home", str(tmp_path)], input=""
    )  # end of input: no
    assert res.exit_code == 1 and History(tmp_path / DB_NAME).counts()["attempts"] == 4
    res = runner.invoke(app, ["stats", "--reset", "--home", str(tmp_path)], input="y\n")
    assert res.exit_code == 0
    assert "Deleted 2 session(s), 2 problem part(s) and 4 answer(s)." in res.output
    assert History(tmp_path / DB_NAME).counts() == {"sessions": 0, "problems": 0, "attempts": 0}


def test_reset_yes_for_scripts(two_sessions, tmp_path):
    res = runner.invoke(app, ["stats", "--reset", "--yes", "--home", str(tmp_path)])
    assert res.exit_code == 0 and "Deleted 2 session(s)" in res.output
    res = runner.invoke(app, ["stats", "--reset", "--yes", "--home", str(tmp_path / "none")])
    assert res.exit_code == 0 and "nothing to delete" in res.output


def test_docs_describe_every_json_field():
    """docs/practice.md lists the stats --json fields; a new report field must be documented."""
    import re
    from pathlib import Path

    doc = (Path(__file__).resolve().parent.parent / "docs" / "practice.md").read_text(
        encoding="utf-8"
    )
    section = doc.split("### `psyq stats --json`", 1)[1].split("\n## ", 1)[0]
    documented = set()
    for cell in re.findall(r"^\| ([^|]+) \|", section, re.MULTILINE):
        documented |= set(re.findall(r"`(\w+)(?:\[\])?`", cell))
    r = progress.report(None, [candidate("mao-recovery")], now=START)
    assert set(r) <= documented
    assert set(r["totals"]) <= set(re.findall(r"`(\w+)`", section))
    assert set(r["trend"]) <= set(re.findall(r"`(\w+)`", section))
