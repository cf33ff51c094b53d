"""A beginner's path and the manners of the tutor: difficulty 1 first, entry problems in stats,
sources on request, insights that fit their part, no grader tags, numbers joined to their units."""

from __future__ import annotations

from dataclasses import dataclass

from typer.testing import CliRunner

from psyq import adaptive as A
from psyq import bank, progress
from psyq.cli import app
from psyq.instance import generate
from tests._practice_helpers import candidate, play

NOW = 1_700_000_000.0
BANK = [candidate(e.id) for e in bank.entries()]


@dataclass
class P:  # a ProblemRow look-alike
    id: int
    family: str
    shown: float
    difficulty: int
    outcome: str = "solved"
    tries: int = 1
    template: str = ""


def test_an_unknown_student_starts_at_difficulty_one():
    assert {c.difficulty for c in BANK} >= {1, 2, 3}
    picks = [A.choose(BANK, [], [], now=NOW, seed=7, index=i).candidate for i in range(40)]
    assert {c.difficulty for c in picks} == {1}


def test_solving_opens_the_next_difficulty():
    easy = next(c for c in BANK if c.difficulty == 1)
    solved = [P(1, easy.family, NOW - 100, 1, template=easy.id)]
    assert A.reach(BANK, []) == 1 and A.reach(BANK, solved) == 2
    picks = {A.choose(BANK, solved, [], now=NOW, seed=3, index=i).candidate.difficulty
             for i in range(60)}
    assert picks == {1, 2}
    failed = [P(1, easy.family, NOW - 100, 1, outcome="failed", template=easy.id)]
    assert A.reach(BANK, failed) == 1  # a failed problem opens nothing


def test_a_selection_of_hard_templates_still_runs():
    hard = [c for c in BANK if c.difficulty == 3]
    assert A.reach(hard, []) == 3
    assert A.choose(hard, [], [], now=NOW, seed=1, index=0).candidate in hard


def test_stats_without_history_recommends_an_entry_problem_of_each_family():
    data = progress.report(None, BANK, now=NOW)
    families = sorted({c.family for c in BANK})
    assert [n["family"] for n in data["next"]] == families
    for n in data["next"]:
        easiest = min(c.difficulty for c in BANK if c.family == n["family"])
        assert bank.load(n["template"]).difficulty == easiest
        assert n["reasons"] == [f"an entry problem in {n['family']} (difficulty {easiest})"]


def test_sources_command_shows_the_templates_sources(tmp_path):
    t = bank.load("snri-net-threshold-dose")
    assert "see sources" in t.text  # the stem points at them
    p = play(["sources", "solution"], tmp_path, templates=(t.id,), seed=1)
    assert "Sources" in p.out
    for src in t.sources:
        assert src.split()[0] in p.out
    assert [pr.tries for pr in p.history.problems()][:1] == [0]  # asking costs no try


def test_insights_fit_their_part(tmp_path):
    inst = generate(bank.load("mao-a-vs-b"), 3)
    a, b, c = inst.parts
    p = play([a.display, b.display, c.display], tmp_path, templates=("mao-a-vs-b",), seed=3)
    after_b = p.out[p.out.index("(b) try 1/3"):p.out.index("(c) try 1/3")]
    assert "✓ Correct" in after_b
    assert "MAO-A: A =" not in after_b and "Insight" not in after_b  # (a)'s sentence no longer leaks
    after_c = p.out[p.out.index("(c) try 1/3"):]
    assert "Insight: Recovery is counted in half-lives" in after_c
    delay = bank.load("delay-autoreceptor-recovery")
    assert "first week" not in delay.parts[1].insight  # t is drawn from 3 to 14 d


def test_grader_tags_only_in_json():
    runner = CliRunner()
    res = runner.invoke(app, ["answer", "occupancy-from-ki", "-s", "1", "89.4"])
    assert res.exit_code == 0 and "CORRECT" in res.output
    assert "ACC_OK" not in res.output and "UNITS_BARE" not in res.output and "notes" not in res.output
    res = runner.invoke(app, ["answer", "occupancy-from-ki", "-s", "1", "89.4", "--json"])
    assert "UNITS_BARE" in res.output


def test_practice_never_prints_grader_tags(tmp_path):
    p = play(["10.6 %", "89.4"], tmp_path)
    for tag in ("ACC_OK", "UNITS_BARE", "MISC:", "SLIP:", "["+"ACC"):
        assert tag not in p.out


def test_numbers_and_units_are_joined_by_no_break_spaces(tmp_path):
    p = play(["solution"], tmp_path)
    assert "The answer is 89.4\u00a0%" in p.raw
    assert "0.13\u00a0nM" in p.raw  # the givens table
    assert "89.4 %" not in p.raw
