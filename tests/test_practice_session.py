"""Whole practice sessions played through an injected console, input and clock."""

from __future__ import annotations

import json
import re

import pytest
from _practice_helpers import START, FakeClock, play

from psyq import bank
from psyq.history import History
from psyq.instance import generate
from psyq.practice import EOF, INTERRUPTED, QUITTED, Environment, Plan, Session

OCC = "occupancy-from-ki"


@pytest.fixture()
def occ1():
    """occupancy-from-ki, seed 1: paroxetine, Ki 0.13 nM, C 1.1 nM → 89.4 %."""
    return generate(bank.load(OCC), 1)


def test_seed_one_is_the_problem_the_tests_assume(occ1):
    part = occ1.parts[0]
    assert part.display == "89.4 %"
    assert {m.name: m.display for m in part.misconceptions}["unoccupied"] == "10.6 %"


def test_misconception_then_unreadable_then_hint_then_correct(tmp_path, occ1):
    p = play(["10.6 %", "8O %", "hint", "89.4 %"], tmp_path)
    out = p.out
    part = occ1.parts[0]
    unoccupied = next(m for m in part.misconceptions if m.name == "unoccupied")
    # the misconception's own feedback, then another try
    assert "✗ That is the unoccupied fraction, Ki/(C + Ki)." in out
    assert "Try again: 2 tries left." in out
    # unreadable: the parser's message with a caret under the bad token; no try spent
    assert "unknown unit 'O' before the percent sign (a zero typed as the letter O?" in out
    assert "  8O %\n   ^" in out  # under the letter O, not the percent sign
    assert "cost no try" in out
    assert (
        out.count("(a) try 2/3 ›") == 3
    )  # after the misconception, after the unreadable answer, after the hint
    assert "Hint 1/2: " + part.hints[0][:40] in out
    assert "✓ Correct: 89.4 %, accepted [88.54, 90.33] %." in out
    assert "Insight: Occupancy follows a hyperbola" in out
    # the summary
    assert "Score  1 of 1 part solved (100 %), 0 at the first try" in out
    assert "Time   " in out and "1 hint" in out
    assert re.search(r"^occupancy +1/1$", out, re.MULTILINE)
    assert "• unoccupied ×1 (occupancy-from-ki): " + unoccupied.feedback[:30] in out
    # the database
    h = p.history
    [prob] = h.problems()
    assert (prob.template, prob.family, prob.seed, prob.part) == (OCC, "occupancy", 1, "a")
    assert (prob.outcome, prob.tries, prob.hints) == ("solved", 2, 1)
    attempts = h.attempts()
    assert [a.answer for a in attempts] == ["10.6 %", "8O %", "89.4 %"]
    assert [a.status for a in attempts] == ["incorrect", "invalid", "correct"]
    assert attempts[0].misconception == "unoccupied"
    assert "MISC:unoccupied" in attempts[0].notes
    assert attempts[1].notes == ("INVALID",)
    assert attempts[2].notes == ("ACC_OK",)
    assert attempts[0].value == pytest.approx(10.6)
    assert attempts[0].feedback == unoccupied.feedback
    [session] = h.sessions()
    assert session.reason == "done" and session.seed == 1
    assert session.ended is not None and session.ended > session.started
    assert p.summary.reason == "done" and p.summary.solved == 1


def test_three_wrong_answers_give_nudge_then_worked_solution(tmp_path, occ1):
    p = play(["50", "3", "60 %"], tmp_path)
    out = p.out
    part = occ1.parts[0]
    # a wrong answer that matches nothing gets the first hint as a nudge
    assert "✗ Not within the accepted range." in out
    assert "Nudge: " + part.hints[0][:40] in out
    assert "Nudge: " + part.hints[1][:30] in out  # the second plain mistake gets the next hint
    assert "The answer is 89.4 % (accepted [88.54, 90.33] %)" in out
    # worked solution, step by step, with units carried through
    assert "worked solution:" in out
    # in the same math as the PDF and HTML keys: K_i from the symbol table, values with their units
    assert "1. from occ = C/(C + K_i)" in out
    assert "occ = (1.1 nM)/(1.1 nM + 0.13 nM)" in out
    assert "= 89.43 %" in out
    assert "The law of mass action for one site" in out
    assert "Score  0 of 1 part solved (0 %)" in out
    [prob] = p.history.problems()
    assert (prob.outcome, prob.tries, prob.hints) == (
        "failed",
        3,
        0,
    )  # nudges are not hints asked for
    assert [a.status for a in p.history.attempts()] == ["incorrect"] * 3


def test_slip_gets_its_own_feedback_not_a_nudge(tmp_path):
    p = play(["0.894", "89.4"], tmp_path)
    assert "0.894 is right as a fraction, but the answer is asked in %" in p.out
    assert "Nudge:" not in p.out
    first = p.history.attempts()[0]
    assert "SLIP:fraction_for_percent" in first.notes and first.status == "incorrect"
    assert p.history.problems()[0].outcome == "solved"


def test_answer_forms_the_grader_accepts(tmp_path):
    p = play(["89.4%"], tmp_path / "a")
    q = play(["(1.1/(1.1+0.13))*100 %"], tmp_path / "b")
    for x in (p, q):
        assert x.history.problems()[0].outcome == "solved"
        assert x.history.attempts()[0].value == pytest.approx(89.4, abs=0.05)


def test_solution_command_reveals_and_counts_as_not_solved(tmp_path):
    p = play(["solution"], tmp_path)
    assert "The answer is 89.4 %" in p.out
    assert "occ = (1.1 nM)/(1.1 nM + 0.13 nM)" in p.out
    assert "Score  0 of 1 part solved (0 %)" in p.out
    [prob] = p.history.problems()
    assert (prob.outcome, prob.tries) == ("revealed", 0)
    assert p.history.attempts() == []


def test_hints_in_turn_then_none_left(tmp_path, occ1):
    hints = occ1.parts[0].hints
    p = play(["?", "hint", "hint", "89.4 %"], tmp_path, width=200)
    assert len(hints) == 2
    assert f"Hint 1/2: {hints[0]}" in p.out
    assert "Hint 2/2: occ = C/(C + Ki), with both concentrations in nM" in p.out
    assert "No more hints. Type solution to see the worked solution." in p.out
    assert p.history.problems()[0].hints == 2


def test_help_lists_the_commands(tmp_path):
    p = play(["help", "quit"], tmp_path)
    for word in ("hint or ?", "solution", "skip", "help", "quit"):
        assert word in p.out
    assert "costs no try" in p.out or "cost no try" in p.out


def test_empty_line_is_not_an_answer(tmp_path):
    p = play(["", "89.4 %"], tmp_path)
    assert "Type an answer (for example 80 %), or help." in p.out
    assert [a.answer for a in p.history.attempts()] == ["89.4 %"]


def test_skip_goes_to_the_next_problem(tmp_path):
    p = play(["skip", "solution"], tmp_path, count=2)
    assert "Skipped: on to the next problem." in p.out
    assert "problem 2 of 2" in p.out
    outcomes = [pr.outcome for pr in p.history.problems()]
    assert outcomes == ["skipped", "revealed"]
    # the skipped problem is not scored as unsolved; the revealed one is
    assert "Score  0 of 1 part solved (0 %), 0 at the first try; 1 problem skipped" in p.out
    assert p.summary.skipped == 1 and len(p.summary.counted) == 1


@pytest.mark.parametrize("ending, reason", [("quit", QUITTED), ("^C", INTERRUPTED), (None, EOF)])
def test_quit_ctrl_c_and_end_of_input_end_cleanly_with_summary(tmp_path, ending, reason):
    lines = ["10.6 %"] + ([ending] if ending else [])
    p = play(lines, tmp_path, count=3)
    assert p.summary.reason == reason
    assert "session summary" in p.out
    assert "Score  0 of 1 part solved (0 %)" in p.out  # the part tried once counts; nothing after it
    assert "• unoccupied ×1" in p.out
    if reason == INTERRUPTED:
        assert "Interrupted: everything you answered is saved." in p.out
    h = p.history
    [session] = h.sessions()
    assert session.reason == reason and session.ended is not None
    [prob] = h.problems()
    assert (prob.outcome, prob.tries) == ("abandoned", 1)
    assert [a.answer for a in h.attempts()] == ["10.6 %"]


def test_two_part_problem(tmp_path):
    inst = generate(bank.load("snri-engagement"), 3)
    a, b = inst.parts
    p = play(
        [a.display, b.misconceptions[0].display, b.display],
        tmp_path,
        templates=("snri-engagement",),
        seed=3,
    )
    assert f"✓ Correct: {a.display}" in p.out
    assert "(b) What is the NET occupancy (in %)?" in p.out
    assert b.misconceptions[0].feedback[:40] in p.out
    assert f"✓ Correct: {b.display}" in p.out
    probs = p.history.problems()
    assert [(x.part, x.outcome, x.tries) for x in probs] == [("a", "solved", 1), ("b", "solved", 2)]
    assert "Score  2 of 2 parts solved (100 %), 1 at the first try" in p.out
    assert re.search(r"^snri +2/2$", p.out, re.MULTILINE)


def test_time_comes_from_the_injected_clock(tmp_path):
    clock = FakeClock(step=30.0)
    p = play(["89.4 %"], tmp_path, clock=clock)
    assert p.summary.started == START
    assert p.summary.ended - p.summary.started == pytest.approx(5 * 30.0)
    assert "Time   2 min 30 s" in p.out
    [a] = p.history.attempts()
    assert a.time == START + 3 * 30.0  # start, problem shown, prompt, answer read


def test_adaptive_session_never_repeats_a_seed(tmp_path):
    seen: list[tuple[str, int]] = []
    for session_seed in (5, 6):
        p = play(
            ["skip"] * 6,
            tmp_path,
            # all of difficulty 2: skipping solves nothing, so a harder one would never open
            templates=("occupancy-free-vs-total", "mao-recovery", "snri-engagement"),
            seed=None,
            session_seed=session_seed,
            count=6,
        )
        seen = [(pr.template, pr.seed) for pr in p.history.problems()]
    assert len(seen) == 12
    assert len(set(seen)) == 12
    assert len({t for t, _ in seen}) >= 2  # the rotation reaches more than one family


def test_adaptive_session_is_reproducible_from_its_seed(tmp_path):
    picks = []
    for home in ("x", "y"):
        p = play(
            ["skip"] * 4,
            tmp_path / home,
            templates=(OCC, "mao-recovery", "snri-engagement"),
            seed=None,
            session_seed=42,
            count=4,
        )
        picks.append([(pr.template, pr.seed) for pr in p.history.problems()])
    assert picks[0] == picks[1]


def test_explicit_seed_is_used_even_if_seen_before(tmp_path):
    play(["skip"], tmp_path)
    p = play(["skip"], tmp_path)
    assert [pr.seed for pr in p.history.problems()] == [1, 1]


def test_narrow_terminal_lines_fit(tmp_path):
    p = play(["10.6 %", "8O %", "hint", "3", "solution"], tmp_path, width=40)
    lines = p.out.splitlines()
    assert max(len(line) for line in lines) <= 40
    assert "Paroxetine" in p.out and "Hint 1/2" in p.out and "Score" in p.out


def test_non_terminal_output_has_no_escape_codes_and_no_plot(tmp_path):
    p = play(["1", "2", "3"], tmp_path)
    assert "\x1b[" not in p.raw
    assert "● correct" not in p.out


def test_terminal_shows_the_curve_with_both_points(tmp_path):
    p = play(["1", "2", "30 %"], tmp_path, terminal=True, width=90)
    assert "SERT occupancy against free concentration" in p.out
    assert "● correct: 89.4 %   x your answer: 30.0 %" in p.out
    assert "free drug concentration at SERT (nM)" in p.out


def test_plots_can_be_turned_off_and_skip_narrow_terminals(tmp_path):
    off = play(["solution"], tmp_path / "a", terminal=True, width=90, plots=False)
    narrow = play(["solution"], tmp_path / "b", terminal=True, width=45)
    for p in (off, narrow):
        assert "● correct" not in p.out
        assert "1. from occ = C/(C + K_i)" in p.out


def test_no_color_keeps_styles_off_colours(tmp_path, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    import io

    from rich.console import Console

    buf = io.StringIO()
    console = Console(file=buf, width=80, force_terminal=True, highlight=False)
    env = Environment.scripted(console, ["10.6 %", "89.4 %"], clock=FakeClock())
    from _practice_helpers import candidate

    with History(tmp_path / "h.sqlite3") as hist:
        Session(env, hist, Plan([candidate(OCC)], bank.load, count=1, seed=1, first_seed=1)).run()
    text = buf.getvalue()
    assert "That is the unoccupied fraction" in text
    assert not re.search(r"\x1b\[[0-9;]*3[0-7]m", text)  # no foreground colour
    assert not re.search(r"\x1b\[[0-9;]*38;", text)


def test_summary_json(tmp_path):
    p = play(["10.6 %", "89.4 %"], tmp_path)
    data = p.summary.to_json()
    assert data["parts"] == 1 and data["solved"] == 1 and data["first_try"] == 0
    assert data["by_family"] == {"occupancy": {"solved": 1, "parts": 1}}
    assert data["misconceptions"][0]["name"] == "unoccupied"
    assert data["results"][0]["misconceptions"] == ["unoccupied"]
    json.dumps(data)
