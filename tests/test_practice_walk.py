"""A student who types `solution` on every part of every template never sees a later part's answer.

Every bank template is walked through the injected-console session (fast, a terminal console so
the curves are drawn too), and one multi-part template in a real pseudo-terminal.  What counts as
"an answer": the later part's displayed answer ("77.1 %") and the same value to 4 significant
figures as solution texts print solved symbols ("77.12 %"), unless that text is already in the
problem as posed (a given may equal an answer by chance).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from psyq import bank
from psyq.draws import format_number
from psyq.instance import generate
from psyq.lint import answer_leaks
from psyq.practice import teaching_text
from tests._practice_helpers import play

IDS = [e.id for e in bank.entries()]
SEEDS = (1, 2)


def _answer_texts(part) -> set[str]:
    """How part's answer may be printed: as displayed, and to 4 significant figures."""
    if part.value is None:
        return set()
    suffix = "" if part.unit in ("", "fraction") else f" {part.unit}"
    out = {part.display}
    for sf in (3, 4):
        out.add(format_number(part.value, sf) + suffix)
    return {t for t in out if any(c.isdigit() for c in t)}


def _shows(text: str, answer: str) -> bool:
    # not part of a longer number: "7.71 %" is not in "77.71 %"
    return re.search(r"(?<![\d.])" + re.escape(answer) + r"(?![\d])", text) is not None


def _segments(out: str, part_ids: list[str]) -> dict[str, str]:
    """What the console showed while each part was open: from its first prompt to the next part's
    question line (the last part: to the summary)."""
    segs = {}
    for k, pid in enumerate(part_ids):
        start = out.index(f"({pid}) try 1/")
        if k + 1 < len(part_ids):
            end = out.index(f"\n({part_ids[k + 1]}) ", start)
        else:
            end = out.index("session summary", start)
        segs[pid] = out[start:end]
    return segs


@pytest.mark.parametrize("template_id", IDS)
def test_solution_on_each_part_gives_no_later_answer(tmp_path, template_id):
    t = bank.load(template_id)
    for seed in SEEDS:
        inst = generate(t, seed)
        ids = [p.id for p in inst.parts]
        home = tmp_path / str(seed)
        home.mkdir()
        p = play(["solution"] * len(ids), home, templates=(template_id,), seed=seed,
                 terminal=True, width=100)
        posed = p.out[: p.out.index(f"({ids[0]}) try 1/")]
        segs = _segments(p.out, ids)
        for k, part in enumerate(inst.parts):
            assert "The answer is" in segs[part.id]  # the part's own answer is shown
            told = set().union(*(_answer_texts(q) for q in inst.parts[: k + 1]))
            for later in inst.parts[k + 1:]:
                for answer in _answer_texts(later):
                    if _shows(posed, answer) or answer in told:  # equal by chance: not a leak
                        continue
                    assert not _shows(segs[part.id], answer), (
                        f"{template_id} seed {seed}: after `solution` on ({part.id}) the screen "
                        f"shows {answer!r}, the answer of ({later.id})")


@pytest.mark.parametrize("template_id", IDS)
def test_no_bank_template_prints_an_answer_early(template_id):
    assert answer_leaks(bank.load(template_id)) == []


def test_closing_text_belongs_to_the_last_part():
    inst = generate(bank.load("ketamine-bioavailability"), 1)
    assert inst.solution
    assert [teaching_text(inst, p) for p in inst.parts[:-1]] == [[] for _ in inst.parts[:-1]]
    assert teaching_text(inst, inst.parts[-1]) == [inst.solution]


def test_lint_flags_a_prompt_that_prints_its_own_answer(tmp_path):
    src = Path(bank.load("occupancy-from-ki").path).read_text(encoding="utf-8")
    src = src.replace("prompt: What percentage of SERT is occupied by {drug}?",
                      "prompt: What percentage of SERT is occupied by {drug} ({occ.value})?")
    assert "{occ.value}" in src
    path = tmp_path / "leaky.yaml"
    path.write_text(src.replace("id: occupancy-from-ki", "id: leaky-occupancy"), encoding="utf-8")
    from psyq.template import load_template

    leaks = answer_leaks(load_template(path))
    assert leaks == [("part a prompt answer leak",
                      "part a prompt prints {occ}, the answer of part (a), before the student answers it")]


def test_lint_flags_a_part_solution_naming_a_later_answer(tmp_path):
    src = Path(bank.load("snri-engagement").path).read_text(encoding="utf-8")
    marker = "  - id: b\n"
    assert marker in src
    src = src.replace(marker, "    solution: \"NET follows at {occ_NET}.\"\n" + marker, 1)
    path = tmp_path / "leaky.yaml"
    path.write_text(src.replace("id: snri-engagement", "id: leaky-snri"), encoding="utf-8")
    from psyq.instance import generate as make
    from psyq.template import load_template

    t = load_template(path)
    assert [c for c, _ in answer_leaks(t)] == ["part a solution answer leak"]
    inst = make(t, 1)
    assert inst.parts[0].solution_text.startswith("NET follows at ")  # filled, 4 significant figures
    assert inst.parts[0].solution_text.endswith(" %.")
    assert inst.parts[0].to_json()["text"] == inst.parts[0].solution_text


def test_a_student_in_a_real_terminal_sees_no_later_answer(tmp_path):
    pexpect = pytest.importorskip("pexpect")
    from _pty import spawn_python  # a pty without forking this (threaded) process
    tid, seed = "ketamine-bioavailability", 1
    inst = generate(bank.load(tid), seed)
    env = dict(os.environ, PSYQ_HOME=str(tmp_path), TERM="xterm-256color", COLUMNS="100",
               LINES="50")
    env.pop("NO_COLOR", None)
    env.pop("PSYQ_TEMPLATES", None)
    child = spawn_python(["-m", "psyq", "practice", "-t", tid, "-s", str(seed), "-n", "1"],
                         env=env, dimensions=(50, 100), timeout=60)
    ansi = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b[=>]|\r|[\x01\x02]")
    seen = []
    try:
        for k, part in enumerate(inst.parts):
            child.expect(rf"\({part.id}\) [^\n]*?try 1/3")  # pexpect's "." spans lines
            child.sendline("solution")
            if k + 1 < len(inst.parts):
                child.expect(rf"\({inst.parts[k + 1].id}\) [^\n]*?\n")  # the next part's question
            else:
                child.expect("session summary")
            seen.append(ansi.sub("", child.before).replace("\u00a0", " "))
        child.expect(pexpect.EOF)
    finally:
        child.close()
    for k, screen in enumerate(seen):
        assert f"The answer is {inst.parts[k].display}" in screen
        for later in inst.parts[k + 1:]:
            for answer in _answer_texts(later):
                assert not _shows(screen, answer), (k, answer)
    assert inst.solution.split()[0] in seen[-1]  # the closing text, after the last part


def test_the_empty_line_message_is_not_printed_on_the_prompt_line(tmp_path):
    pexpect = pytest.importorskip("pexpect")
    from _pty import spawn_python  # a pty without forking this (threaded) process
    env = dict(os.environ, PSYQ_HOME=str(tmp_path), TERM="xterm-256color", COLUMNS="100",
               LINES="50")
    env.pop("NO_COLOR", None)
    child = spawn_python(["-m", "psyq", "practice", "-t", "occupancy-from-ki", "-s", "1", "-n", "1"],
                         env=env, dimensions=(50, 100), timeout=60)
    ansi = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b[=>]|\r|[\x01\x02]")
    try:
        child.expect(r"try 1/3")
        child.sendline("")
        child.expect(r"or help\.")
        screen = ansi.sub("", child.before + child.after).replace("\u00a0", " ")
        child.sendline("quit")
        child.expect(pexpect.EOF)
    finally:
        child.close()
    line = next(s for s in screen.splitlines() if "Type an answer" in s)
    assert line.startswith("Type an answer (for example 80 %)"), screen  # not after "› "
