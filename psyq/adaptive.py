"""Choosing the next practice problem: weak families, recurring misconceptions, and what is due.

Every candidate template gets a weight (docs/practice.md explains the rule to students)::

    weight = BASE + W_WEAK·weakness(family) + misconception(template) + due(family)

* ``weakness`` — the share of the student's last :data:`RECENT` graded answers in the family that
  were wrong, smoothed as (wrong + 1)/(answers + 2), so a family never tried counts 0.5;
* ``misconception`` — for every recent answer that matched a named misconception this template can
  detect (same name, any template), 1 point, halved for every correct answer the student has given
  in that family since; capped at :data:`MISC_CAP`;
* ``due`` — spaced repetition: a family is due again after an interval that starts at one day and
  doubles with every problem in a row solved at the first try (up to 32 days); ``due`` is the time
  since it was last seen divided by that interval, capped at :data:`DUE_CAP`.  A family never seen
  counts :data:`NOVELTY`.

A beginner's path: the student may be asked one difficulty above the hardest problem they have
solved (at first, the easiest difficulty among the candidates); harder templates get weight 0
(:func:`reach`).  An unknown student therefore starts at difficulty 1 and climbs as they solve.

The template asked just before is damped (× :data:`REPEAT_DAMPING`) for variety.  The next template
is drawn with probability proportional to its weight from a deterministic stream (SHA-256 of the
session seed and the problem's position), and its seed is drawn the same way, skipping every seed
the student has already seen for that template.  Same history + same session seed → same choices.
"""

from __future__ import annotations

import bisect
import hashlib
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

DAY = 86_400.0
RECENT = 20
BASE = 0.2
W_WEAK = 2.0
MISC_CAP = 3.0
NOVELTY = 1.0
DUE_CAP = 1.5
FIRST_INTERVAL_DAYS = 1.0
MAX_STREAK = 5
REPEAT_DAMPING = 0.5
SEED_SPACE = 1_000_000  # practice seeds are drawn from 1 … SEED_SPACE


@dataclass(frozen=True)
class Candidate:
    """A template that may be asked next (id, family, difficulty, misconception names)."""

    id: str
    family: str
    difficulty: int = 1
    misconceptions: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Score:
    candidate: Candidate
    weight: float
    weakness: float
    misconception: float
    due: float
    reasons: tuple[str, ...]


def unit_draw(*keys: object) -> float:
    """A number in [0, 1) fixed by ``keys`` (stable across machines and Python versions)."""
    digest = hashlib.sha256("\0".join(str(k) for k in keys).encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2.0**64


def score(
    candidates: Sequence[Candidate],
    problems: Iterable,
    attempts: Iterable,
    *,
    now: float,
    previous: str | None = None,
) -> list[Score]:
    """Weights for ``candidates`` given the history rows (:class:`psyq.history.ProblemRow` and
    :class:`psyq.history.AttemptRow`, or anything with the same attributes)."""
    problems = sorted(problems, key=lambda p: (p.shown, p.id))
    graded = sorted((a for a in attempts if a.status != "invalid"), key=lambda a: (a.time, a.id))
    by_family: dict[str, list] = {}
    correct_times: dict[str, list[float]] = {}
    for a in graded:
        by_family.setdefault(a.family, []).append(a)
        if a.status == "correct":
            correct_times.setdefault(a.family, []).append(a.time)
    last_seen: dict[str, float] = {}
    finished_by_family: dict[str, list] = {}
    for p in problems:
        last_seen[p.family] = max(last_seen.get(p.family, -math.inf), p.shown)
        if p.outcome not in ("open", "abandoned") or p.tries > 0:
            finished_by_family.setdefault(p.family, []).append(p)
    out = []
    for c in sorted(candidates, key=lambda c: c.id):
        reasons: list[str] = []
        recent = by_family.get(c.family, [])[-RECENT:]
        wrong = sum(1 for a in recent if a.status != "correct")
        weakness = (wrong + 1) / (len(recent) + 2)
        if recent and wrong:
            reasons.append(f"{wrong} of your last {len(recent)} answers in {c.family} were wrong")
        pressure = 0.0
        hits: dict[str, int] = {}
        for a in graded:
            name = a.misconception
            if not name or not (name in c.misconceptions or a.template == c.id):
                continue
            times = correct_times.get(a.family, [])
            later_correct = len(times) - bisect.bisect_right(times, a.time)
            pressure += 0.5**later_correct
            if later_correct == 0:
                hits[name] = hits.get(name, 0) + 1
        pressure = min(MISC_CAP, pressure)
        for name, n in sorted(hits.items()):
            reasons.append(f"you gave the '{name}' answer {n}× and have not put it right since")
        if c.family in last_seen:
            streak = 0
            for p in reversed(finished_by_family.get(c.family, [])):
                if p.outcome == "solved" and p.tries == 1:
                    streak += 1
                else:
                    break
            interval = FIRST_INTERVAL_DAYS * DAY * 2 ** min(streak, MAX_STREAK)
            elapsed = max(0.0, now - last_seen[c.family])
            due = min(DUE_CAP, elapsed / interval)
            if elapsed >= interval:
                reasons.append(f"{c.family} is due: last practised {_ago(elapsed)}")
        else:
            due = NOVELTY
            reasons.append(f"you have not tried {c.family} yet")
        weight = BASE + W_WEAK * weakness + pressure + due
        if previous is not None and c.id == previous and len(candidates) > 1:
            weight *= REPEAT_DAMPING
        out.append(Score(c, weight, weakness, pressure, due, tuple(reasons)))
    return out


def reach(candidates: Sequence[Candidate], problems: Iterable) -> int:
    """The highest difficulty the student may be asked: one above the hardest problem they have
    solved, and at least the easiest candidate's (so a selection of hard templates still runs)."""
    easiest = min((c.difficulty for c in candidates), default=1)
    solved = max((getattr(p, "difficulty", 1) or 1 for p in problems if p.outcome == "solved"),
                 default=0)
    return max(easiest, solved + 1)


def gated(scores: list[Score], problems: Iterable) -> list[Score]:
    """``scores`` with the templates beyond the student's :func:`reach` at weight 0."""
    from dataclasses import replace

    top = reach([s.candidate for s in scores], problems)
    return [
        s if s.candidate.difficulty <= top
        else replace(
            s, weight=0.0, reasons=(f"opens when you have solved a difficulty-{top} problem",)
        )
        for s in scores
    ]


def entry_points(candidates: Sequence[Candidate]) -> list[Candidate]:
    """One entry problem per family: its easiest template (by id among equals), by family."""
    best: dict[str, Candidate] = {}
    for c in sorted(candidates, key=lambda c: (c.difficulty, c.id)):
        best.setdefault(c.family, c)
    return [best[f] for f in sorted(best)]


def choose(
    candidates: Sequence[Candidate],
    problems: Iterable,
    attempts: Iterable,
    *,
    now: float,
    seed: int,
    index: int,
    previous: str | None = None,
) -> Score:
    """Draw the next template, with probability proportional to its weight (deterministic)."""
    if not candidates:
        raise ValueError("no candidate templates")
    problems = list(problems)
    scores = gated(score(candidates, problems, attempts, now=now, previous=previous), problems)
    total = sum(s.weight for s in scores)
    u = unit_draw("psyq-practice-pick", seed, index) * total
    acc = 0.0
    for s in scores:
        acc += s.weight
        if u < acc:
            return s
    return scores[-1]


def ranked(
    candidates: Sequence[Candidate], problems: Iterable, attempts: Iterable, *, now: float
) -> list[Score]:
    """Candidates from the most to the least worth practising (for ``psyq stats``)."""
    problems = list(problems)
    return sorted(
        gated(score(candidates, problems, attempts, now=now), problems),
        key=lambda s: (-s.weight, s.candidate.id),
    )


def pick_seed(
    template: str, seen: Iterable[int] | Mapping, *, session_seed: int, index: int
) -> int:
    """A seed for ``template`` that the student has not seen, drawn from the session seed."""
    seen = set(seen)
    for k in range(1000):
        s = 1 + int(unit_draw("psyq-practice-seed", session_seed, index, template, k) * SEED_SPACE)
        if s not in seen:
            return s
    s = SEED_SPACE + 1  # the seed space is nearly exhausted: take the first free seed above it
    while s in seen:
        s += 1
    return s


def _ago(seconds: float) -> str:
    days = seconds / DAY
    if days >= 2:
        return f"{days:.0f} days ago"
    hours = seconds / 3600
    if hours >= 2:
        return f"{hours:.0f} hours ago"
    return f"{max(1, round(seconds / 60))} min ago"
