"""`psyq practice` in a real pseudo-terminal (pexpect): typed answers, hint, Ctrl-C, a kill."""

from __future__ import annotations

import os
import re
import signal
import sys

import pytest

from psyq.history import DB_NAME, History

pexpect = pytest.importorskip("pexpect")
from _pty import spawn_python  # noqa: E402 - after the importorskip above

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b[=>]|\r|[\x01\x02]")


def spawn(home, *args, width=100):
    env = dict(
        os.environ, PSYQ_HOME=str(home), TERM="xterm-256color", COLUMNS=str(width), LINES="50"
    )
    env.pop("NO_COLOR", None)
    env.pop("PSYQ_TEMPLATES", None)
    return spawn_python(["-m", "psyq", "practice", *args], env=env, dimensions=(50, width),
                        timeout=60)


class Screen:
    """Everything the child printed, with the ANSI codes taken out."""

    def __init__(self, child):
        self.child = child
        self.text = ""

    def expect(self, pattern: str) -> str:
        self.child.expect(pattern)
        after = self.child.after if isinstance(self.child.after, str) else ""
        # no-break spaces (number and unit) read as spaces here; a test below checks them
        self.text += ANSI.sub("", self.child.before + after).replace("\u00a0", " ")
        return self.text


def test_typed_session_in_a_pty(tmp_path):
    child = spawn(tmp_path, "--template", "occupancy-from-ki", "--seed", "1", "--count", "2")
    screen = Screen(child)
    try:
        screen.expect(r"try 1/3")
        assert "Paroxetine binds the human serotonin transporter" in screen.text
        assert "(a) What percentage of SERT is occupied by paroxetine?" in screen.text
        assert "occupancy-from-ki · seed 1" in screen.text

        child.sendline("10.6 %")  # a misconception
        screen.expect(r"try 2/3")
        assert "That is the unoccupied fraction, Ki/(C + Ki)." in screen.text
        assert "Try again: 2 tries left." in screen.text

        child.sendline("8O %")  # unreadable
        screen.expect(r"cost no try.*?try 2/3")
        assert "unknown unit 'O' before the percent sign" in screen.text
        assert re.search(r"  8O %\n\s+\^", screen.text.replace("\r", ""))

        child.sendline("hint")
        screen.expect(r"Hint 1/2:.*?try 2/3")
        assert "Occupancy is the fraction of sites bound" in screen.text

        child.sendline("89.4 %")  # correct
        screen.expect(r"problem 2 of 2.*?try 1/3")
        assert "Correct: 89.4 %, accepted [88.54, 90.33] %." in screen.text
        assert "Insight: Occupancy follows a hyperbola" in screen.text

        child.sendintr()  # Ctrl-C at the second problem's prompt
        screen.expect(pexpect.EOF)
    finally:
        child.close()
    assert child.exitstatus == 130
    text = screen.text
    assert "session summary" in text
    assert "Interrupted: everything you answered is saved." in text
    assert "Score  1 of 1 part solved (100 %), 0 at the first try" in text
    assert "• unoccupied ×1 (occupancy-from-ki)" in text
    assert "Traceback" not in text

    with History(tmp_path / DB_NAME) as h:
        [session] = h.sessions()
        assert session.reason == "interrupt" and session.ended is not None and session.seed == 1
        probs = h.problems()
        assert [(p.seed, p.outcome, p.tries, p.hints) for p in probs][0] == (1, "solved", 2, 1)
        assert probs[1].outcome == "abandoned" and probs[1].tries == 0 and probs[1].seed != 1
        attempts = h.attempts()
        assert [(a.answer, a.status, a.misconception) for a in attempts] == [
            ("10.6 %", "incorrect", "unoccupied"),
            ("8O %", "invalid", None),
            ("89.4 %", "correct", None),
        ]
        assert "MISC:unoccupied" in attempts[0].notes


def test_failed_problem_shows_the_curve_in_a_wide_terminal(tmp_path):
    child = spawn(
        tmp_path, "--template", "occupancy-from-ki", "--seed", "1", "--count", "1", "--tries", "1"
    )
    screen = Screen(child)
    try:
        screen.expect(r"try 1/1")
        child.sendline("30 %")
        screen.expect(pexpect.EOF)
    finally:
        child.close()
    assert child.exitstatus == 0
    assert "worked solution:" in screen.text
    assert "● correct: 89.4 %   x your answer: 30.0 %" in screen.text
    assert "free drug concentration at SERT (nM)" in screen.text


def test_a_kill_at_the_prompt_loses_nothing_answered(tmp_path):
    child = spawn(tmp_path, "--template", "mao-recovery", "--seed", "2", "--count", "3")
    screen = Screen(child)
    try:
        screen.expect(r"try 1/3")
        child.sendline("50 %")
        screen.expect(r"try 2/3")
        child.send("12")  # half-typed when the process dies
        child.kill(signal.SIGKILL)
        child.expect(pexpect.EOF)
    finally:
        child.close(force=True)
    with History(tmp_path / DB_NAME) as h:
        assert h.integrity_ok()
        [a] = h.attempts()
        assert (a.answer, a.template, a.seed) == ("50 %", "mao-recovery", 2)
        [p] = h.problems()
        assert (p.outcome, p.tries) == ("open", 1)
        assert h.sessions()[0].ended is None
