"""The adaptive rule: weak families, unresolved misconceptions and due families weigh more; choices
and seeds are deterministic given the session seed; seeds already seen are never drawn again."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import pytest

from psyq import adaptive as A

DAY = A.DAY
NOW = 1_700_000_000.0

OCC = A.Candidate("occupancy-from-ki", "occupancy", 1, frozenset({"unoccupied", "linear_ratio"}))
MAO = A.Candidate("mao-recovery", "mao", 2, frozenset({"ln_for_log2", "inhibited_fraction"}))
SNRI = A.Candidate("snri-engagement", "snri", 2, frozenset({"omax_ignored"}))
OCC2 = A.Candidate(
    "occupancy-free-vs-total", "occupancy", 2, frozenset({"unoccupied", "total_not_free"})
)
ALL = [OCC, MAO, SNRI]


@dataclass
class P:  # a ProblemRow look-alike
    id: int
    family: str
    shown: float
    outcome: str = "solved"
    tries: int = 1
    template: str = ""


@dataclass
class At:  # an AttemptRow look-alike
    id: int
    template: str
    family: str
    status: str
    time: float
    misconception: str | None = None


def by_id(scores):
    return {s.candidate.id: s for s in scores}


def test_new_student_every_family_is_novel_and_equal():
    s = by_id(A.score(ALL, [], [], now=NOW))
    for c in ALL:
        assert s[c.id].weakness == 0.5
        assert s[c.id].due == A.NOVELTY
        assert s[c.id].misconception == 0.0
        assert s[c.id].weight == pytest.approx(A.BASE + A.W_WEAK * 0.5 + A.NOVELTY)
        assert s[c.id].reasons == (f"you have not tried {c.family} yet",)


def test_weakness_is_the_smoothed_wrong_share_of_recent_answers():
    attempts = [At(i, MAO.id, "mao", "incorrect", NOW - 100 + i) for i in range(3)]
    attempts.append(At(9, MAO.id, "mao", "correct", NOW - 50))
    attempts.append(At(10, MAO.id, "mao", "invalid", NOW - 40))  # unreadable: not counted
    problems = [P(1, "mao", NOW - 200, "solved", 4)]
    s = by_id(A.score(ALL, problems, attempts, now=NOW))
    assert s[MAO.id].weakness == pytest.approx((3 + 1) / (4 + 2))
    assert "3 of your last 4 answers in mao were wrong" in s[MAO.id].reasons


def test_only_the_last_RECENT_answers_count():
    old_wrong = [At(i, OCC.id, "occupancy", "incorrect", NOW - 10_000 + i) for i in range(30)]
    new_right = [
        At(100 + i, OCC.id, "occupancy", "correct", NOW - 100 + i) for i in range(A.RECENT)
    ]
    s = by_id(A.score([OCC], [], old_wrong + new_right, now=NOW))
    assert s[OCC.id].weakness == pytest.approx(1 / (A.RECENT + 2))


def test_misconception_pressure_reaches_templates_that_share_it_and_fades_with_correct_answers():
    hit = At(1, OCC.id, "occupancy", "incorrect", NOW - 300, "unoccupied")
    s = by_id(A.score([OCC, OCC2, MAO], [], [hit], now=NOW))
    assert s[OCC.id].misconception == 1.0
    assert s[OCC2.id].misconception == 1.0  # the other template that detects 'unoccupied'
    assert s[MAO.id].misconception == 0.0
    assert (
        "you gave the 'unoccupied' answer 1× and have not put it right since" in s[OCC2.id].reasons
    )
    right = [
        At(2, OCC.id, "occupancy", "correct", NOW - 200),
        At(3, OCC.id, "occupancy", "correct", NOW - 100),
    ]
    s = by_id(A.score([OCC], [], [hit, right[0]], now=NOW))
    assert s[OCC.id].misconception == 0.5
    s = by_id(A.score([OCC], [], [hit, *right], now=NOW))
    assert s[OCC.id].misconception == 0.25
    assert not any("unoccupied" in r for r in s[OCC.id].reasons)


def test_misconception_pressure_is_capped():
    hits = [At(i, OCC.id, "occupancy", "incorrect", NOW - 100 + i, "unoccupied") for i in range(10)]
    assert by_id(A.score([OCC], [], hits, now=NOW))[OCC.id].misconception == A.MISC_CAP


def test_spacing_interval_doubles_with_first_try_streak():
    # last seen two days ago, no streak: interval 1 day → due capped at 1.5
    s = by_id(A.score([MAO], [P(1, "mao", NOW - 2 * DAY, "failed", 3)], [], now=NOW))
    assert s[MAO.id].due == A.DUE_CAP
    assert "mao is due: last practised 2 days ago" in s[MAO.id].reasons
    # two first-try solves in a row: interval 4 days → 2 days elapsed is half due
    streak = [P(1, "mao", NOW - 3 * DAY, "solved", 1), P(2, "mao", NOW - 2 * DAY, "solved", 1)]
    assert by_id(A.score([MAO], streak, [], now=NOW))[MAO.id].due == pytest.approx(0.5)
    # a failure breaks the streak
    broken = [P(0, "mao", NOW - 4 * DAY, "failed", 3), *streak]
    assert by_id(A.score([MAO], broken, [], now=NOW))[MAO.id].due == pytest.approx(0.5)
    broken_last = [*streak, P(3, "mao", NOW - 2 * DAY + 1, "failed", 3)]
    assert by_id(A.score([MAO], broken_last, [], now=NOW))[MAO.id].due == A.DUE_CAP
    # just seen: nothing due
    assert by_id(A.score([MAO], [P(1, "mao", NOW - 60, "solved", 1)], [], now=NOW))[
        MAO.id
    ].due == pytest.approx(60 / (2 * DAY))


def test_the_previous_template_is_damped():
    plain = by_id(A.score(ALL, [], [], now=NOW))
    damped = by_id(A.score(ALL, [], [], now=NOW, previous=OCC.id))
    assert damped[OCC.id].weight == pytest.approx(plain[OCC.id].weight * A.REPEAT_DAMPING)
    assert damped[MAO.id].weight == plain[MAO.id].weight


def test_choose_is_deterministic_and_follows_the_weights():
    problems = [
        P(1, "occupancy", NOW - 600),
        P(2, "mao", NOW - 600, "failed", 3),
        P(3, "snri", NOW - 600),
    ]
    attempts = [
        At(1, OCC.id, "occupancy", "correct", NOW - 590),
        At(2, MAO.id, "mao", "incorrect", NOW - 590, "ln_for_log2"),
        At(3, MAO.id, "mao", "incorrect", NOW - 580, "ln_for_log2"),
        At(4, MAO.id, "mao", "incorrect", NOW - 570),
        At(5, SNRI.id, "snri", "correct", NOW - 590),
    ]
    first = A.choose(ALL, problems, attempts, now=NOW, seed=11, index=0)
    again = A.choose(ALL, problems, attempts, now=NOW, seed=11, index=0)
    assert first.candidate == again.candidate
    picks = Counter(
        A.choose(ALL, problems, attempts, now=NOW, seed=11, index=i).candidate.id
        for i in range(2000)
    )
    weights = by_id(A.score(ALL, problems, attempts, now=NOW))
    total = sum(s.weight for s in weights.values())
    assert weights[MAO.id].weight > 2 * weights[OCC.id].weight
    for cid, s in weights.items():
        assert picks[cid] / 2000 == pytest.approx(s.weight / total, abs=0.04)
    assert picks.most_common(1)[0][0] == MAO.id


def test_ranked_puts_the_weakest_first():
    attempts = [
        At(i, SNRI.id, "snri", "incorrect", NOW - 100 + i, "omax_ignored") for i in range(3)
    ]
    problems = [
        P(1, "snri", NOW - 200, "failed", 3),
        P(2, "occupancy", NOW - 200),
        P(3, "mao", NOW - 200),
    ]
    ranked = A.ranked(ALL, problems, attempts, now=NOW)
    assert ranked[0].candidate == SNRI
    assert ranked[0].reasons[:2] == (
        "3 of your last 3 answers in snri were wrong",
        "you gave the 'omax_ignored' answer 3× and have not put it right since",
    )


def test_pick_seed_skips_seen_seeds_and_is_deterministic():
    s1 = A.pick_seed(OCC.id, set(), session_seed=3, index=0)
    assert s1 == A.pick_seed(OCC.id, set(), session_seed=3, index=0)
    assert 1 <= s1 <= A.SEED_SPACE
    s2 = A.pick_seed(OCC.id, {s1}, session_seed=3, index=0)
    assert s2 != s1 and 1 <= s2 <= A.SEED_SPACE
    assert A.pick_seed(MAO.id, set(), session_seed=3, index=0) != s1  # keyed by template too
    seen: set[int] = set()
    for i in range(300):
        s = A.pick_seed(OCC.id, seen, session_seed=9, index=i % 3)
        assert s not in seen
        seen.add(s)
    assert len(seen) == 300


def test_pick_seed_when_the_space_is_exhausted():
    seen = set(range(1, A.SEED_SPACE + 3))
    assert A.pick_seed(OCC.id, seen, session_seed=1, index=0) == A.SEED_SPACE + 3


def test_unit_draw_is_stable():
    assert A.unit_draw("psyq-practice-pick", 1, 0) == A.unit_draw("psyq-practice-pick", 1, 0)
    assert 0.0 <= A.unit_draw("x") < 1.0
    # pinned: a change in the stream would silently change every student's next problem
    assert round(A.unit_draw("psyq-practice-pick", 1, 0), 12) == round(
        int.from_bytes(
            __import__("hashlib").sha256(b"psyq-practice-pick\x001\x000").digest()[:8], "big"
        )
        / 2**64,
        12,
    )
