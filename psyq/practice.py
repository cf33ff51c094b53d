"""The practice session: put problems to a student one at a time, grade, coach, and remember.

The session is a library object with its console, its input and its clock injected
(:class:`Environment`, after httpie's), so a test can play a whole session with scripted answers
and a fake clock, and ``psyq practice`` is a thin command over it.

Per part of a problem the student may type an answer or a command (``hint``/``?``, ``solution``,
``skip``, ``help``, ``quit``).  A correct answer gets the accepted interval and the part's insight;
a recognised misconception gets its own feedback and another try; any other wrong answer gets a
nudge (the next hint) and another try; after the last try comes the worked solution, step by step,
with the template's curve when the terminal can show it.  Unreadable input is pointed at and costs
no try.  Every answer is written to the history before the next prompt (:mod:`psyq.history`).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from psyq import history as H
from psyq.render import NBSP, nb

if TYPE_CHECKING:  # pragma: no cover
    from rich.console import Console

    from psyq.adaptive import Candidate
    from psyq.grading import Verdict
    from psyq.instance import Instance, PartInstance

DEFAULT_COUNT = 5
DEFAULT_TRIES = 3

HINT, SOLUTION, SKIP, HELP, QUIT, SOURCES = "hint", "solution", "skip", "help", "quit", "sources"
COMMANDS = {
    "hint": HINT,
    "?": HINT,
    "hints": HINT,
    "solution": SOLUTION,
    "solve": SOLUTION,
    "answer": SOLUTION,
    "skip": SKIP,
    "sources": SOURCES,
    "source": SOURCES,
    "references": SOURCES,
    "refs": SOURCES,
    "next": SKIP,
    "help": HELP,
    "commands": HELP,
    "quit": QUIT,
    "exit": QUIT,
    "q": QUIT,
    "bye": QUIT,
}

HELP_TEXT = (
    "Type your answer as a number, with a unit if you like: 80 %, 0.8 (where a fraction is asked), "
    "1.2 nM, 0.0012 µM, 14 d, or 'not attainable'. A bare number is read in the unit asked for "
    "(0.8 where % is asked is 0.8 %).\n"
    "  hint or ?   the next hint\n"
    "  solution    the worked solution of this part (the part counts as not solved)\n"
    "  sources     where the numbers in this problem come from\n"
    "  skip        go on to the next problem\n"
    "  help        this text\n"
    "  quit        end the session with a summary (Ctrl-C and Ctrl-D do the same)\n"
    "An answer that cannot be read costs no try."
)

# Why a session ended.
DONE, QUITTED, EOF, INTERRUPTED = "done", "quit", "eof", "interrupt"


# ------------------------------------------------------------------------------------------------
# The injectable environment


@dataclass
class Environment:
    """What the session talks to: a rich console, a line reader, a clock.

    ``read_line`` returns one line without its newline and raises ``EOFError`` at end of input and
    ``KeyboardInterrupt`` on Ctrl-C.  When ``echo`` is true (answers piped in, or scripted in a
    test) each line read is printed after its prompt, so the transcript reads like a session.
    """

    console: Console
    read_line: Callable[[], str]
    clock: Callable[[], float] = time.time
    echo: bool = False
    plots: bool = True
    # Interactive line editing: reads a line after the prompt given as ANSI text.  readline must
    # draw the prompt itself, or it loses track of the line (an empty answer left the cursor on
    # the prompt line, and the next message was printed after it).
    read_prompted: Callable[[str], str] | None = None

    @classmethod
    def system(cls, *, plots: bool = True) -> Environment:
        """The real terminal: rich console on stdout (NO_COLOR and non-TTY respected), stdin."""
        from rich.console import Console

        console = Console(highlight=False)
        interactive = sys.stdin is not None and sys.stdin.isatty()
        if interactive:
            prompted = None
            try:
                import readline  # noqa: F401 - line editing and history at the prompt

                prompted = input
            except ImportError:  # pragma: no cover - Windows
                pass

            def read_line() -> str:
                try:
                    return _utf8_text(input())
                except UnicodeDecodeError:  # a strict-UTF-8 terminal and bytes that are not UTF-8
                    return "\ufffd"

            def read_after_prompt(prompt: str) -> str:
                try:
                    return _utf8_text(input(prompt))
                except UnicodeDecodeError:
                    return "\ufffd"

            return cls(
                console, read_line, time.time, echo=False, plots=plots,
                read_prompted=read_after_prompt if prompted is not None else None,
            )
        else:

            def read_line() -> str:
                line = sys.stdin.readline() if sys.stdin is not None else ""
                if not line:
                    raise EOFError
                return _utf8_text(line.rstrip("\r\n"))

        return cls(console, read_line, time.time, echo=not interactive, plots=plots)

    @classmethod
    def scripted(
        cls,
        console: Console,
        lines: Iterable[str],
        *,
        clock: Callable[[], float] | None = None,
        plots: bool = True,
    ) -> Environment:
        """For tests and scripts: answers from ``lines``; the string ``"^C"`` acts as Ctrl-C."""
        it = iter(lines)

        def read_line() -> str:
            try:
                line = next(it)
            except StopIteration:
                raise EOFError from None
            if line == "^C":
                raise KeyboardInterrupt
            return line

        return cls(console, read_line, clock or time.time, echo=True, plots=plots)

    def ask(self, prompt: Any) -> str:
        if self.read_prompted is not None:
            return self.read_prompted(_readline_prompt(self.console, prompt))
        self.console.print(prompt, end="")
        self.console.file.flush()
        line = self.read_line()
        if self.echo:
            from rich.text import Text

            self.console.print(Text(line), highlight=False)
        return line


def _readline_prompt(console: Console, prompt: Any) -> str:
    """``prompt`` rendered for ``input()``: ANSI styles wrapped in readline's \\001…\\002
    markers so that readline counts only the visible characters."""
    import re

    with console.capture() as cap:
        console.print(prompt, end="")
    return re.sub(r"(\x1b\[[0-9;]*m)", "\x01\\1\x02", cap.get())


# ------------------------------------------------------------------------------------------------
# What a session is asked to do, and what it did


@dataclass
class Plan:
    """The problems a session may ask: candidate templates (already selected and filtered), how
    many, how many tries, the session seed, and an explicit seed for the first problem."""

    candidates: Sequence[Candidate]
    load: Callable[[str], Any]  # template id → Template
    count: int = DEFAULT_COUNT
    tries: int = DEFAULT_TRIES
    seed: int = 0
    first_seed: int | None = None
    options: dict = field(default_factory=dict)  # recorded with the session


@dataclass
class PartResult:
    template: str
    family: str
    seed: int
    part: str
    outcome: str  # history outcome: solved | failed | revealed | skipped | abandoned
    tries: int = 0
    hints: int = 0
    misconceptions: list[str] = field(default_factory=list)

    @property
    def counted(self) -> bool:
        """Counts towards the score: finished, or left (skipped, abandoned) after at least one try.
        A part skipped or abandoned untried was not attempted: it is not "0 of 1 solved"."""
        return self.outcome not in (H.ABANDONED, H.SKIPPED) or self.tries > 0

    @property
    def first_try(self) -> bool:
        return self.outcome == H.SOLVED and self.tries == 1


@dataclass
class MisconceptionHit:
    name: str
    template: str
    feedback: str
    count: int = 0


@dataclass
class Summary:
    session_id: int
    seed: int
    started: float
    ended: float
    reason: str
    results: list[PartResult]
    misconceptions: list[MisconceptionHit]
    database: str

    @property
    def counted(self) -> list[PartResult]:
        return [r for r in self.results if r.counted]

    @property
    def solved(self) -> int:
        return sum(1 for r in self.results if r.outcome == H.SOLVED)

    @property
    def first_try(self) -> int:
        return sum(1 for r in self.results if r.first_try)

    @property
    def hints(self) -> int:
        return sum(r.hints for r in self.results)

    @property
    def skipped(self) -> int:
        """Parts skipped before any try (not counted in the score)."""
        return sum(1 for r in self.results if r.outcome == H.SKIPPED and not r.counted)

    def by_family(self) -> dict[str, tuple[int, int]]:
        """family → (solved, counted parts), in order of first appearance."""
        out: dict[str, list[int]] = {}
        for r in self.counted:
            row = out.setdefault(r.family, [0, 0])
            row[0] += r.outcome == H.SOLVED
            row[1] += 1
        return {k: (v[0], v[1]) for k, v in out.items()}

    def to_json(self) -> dict:
        return {
            "session": self.session_id,
            "seed": self.seed,
            "reason": self.reason,
            "seconds": round(self.ended - self.started, 3),
            "parts": len(self.counted),
            "solved": self.solved,
            "first_try": self.first_try,
            "hints": self.hints,
            "skipped": self.skipped,
            "by_family": {k: {"solved": s, "parts": n} for k, (s, n) in self.by_family().items()},
            "misconceptions": [
                {"name": m.name, "template": m.template, "count": m.count, "feedback": m.feedback}
                for m in self.misconceptions
            ],
            "results": [
                {
                    "template": r.template,
                    "family": r.family,
                    "seed": r.seed,
                    "part": r.part,
                    "outcome": r.outcome,
                    "tries": r.tries,
                    "hints": r.hints,
                    "misconceptions": r.misconceptions,
                }
                for r in self.results
            ],
            "database": self.database,
        }


class _Quit(Exception):
    pass


class _Skip(Exception):
    pass


# ------------------------------------------------------------------------------------------------
# The session


class Session:
    """One practice session over ``plan``, talking through ``env``, writing to ``history``."""

    def __init__(self, env: Environment, history: H.History, plan: Plan):
        if not plan.candidates:
            raise ValueError("a practice session needs at least one template")
        self.env = env
        self.console = env.console
        self.history = history
        self.plan = plan
        self.results: list[PartResult] = []
        self.hits: dict[tuple[str, str], MisconceptionHit] = {}
        self.session_id = 0
        self.previous: str | None = None

    # -- the outer loop --------------------------------------------------------------------------

    def run(self) -> Summary:
        clock = self.env.clock
        started = clock()
        self.session_id = self.history.start_session(
            seed=self.plan.seed, started=started, options=self.plan.options
        )
        reason = "error"  # until the loop ends one of the ordinary ways
        try:
            try:
                for index in range(self.plan.count):
                    inst = self._next_instance(index)
                    try:
                        self._present(inst, index)
                    except _Skip:
                        pass
                reason = DONE
            except _Quit:
                reason = QUITTED
            except EOFError:
                reason = EOF
                self.console.print()
            except KeyboardInterrupt:
                reason = INTERRUPTED
                self.console.print()
        finally:
            ended = clock()
            self._close_open()
            self.history.end_session(self.session_id, ended=ended, reason=reason)
        summary = Summary(
            self.session_id,
            self.plan.seed,
            started,
            ended,
            reason,
            self.results,
            sorted(self.hits.values(), key=lambda m: (-m.count, m.name)),
            str(self.history.path),
        )
        try:
            render_summary(self.console, summary)
        except KeyboardInterrupt:  # a second Ctrl-C while the summary prints: everything is saved
            pass
        return summary

    def _close_open(self) -> None:
        for r in self.results:
            if r.outcome == H.OPEN:
                r.outcome = H.ABANDONED

    def _next_instance(self, index: int):
        from psyq import adaptive
        from psyq.instance import generate

        plan = self.plan
        if len(plan.candidates) == 1:
            chosen = plan.candidates[0]
        else:
            chosen = adaptive.choose(
                plan.candidates,
                self.history.problems(),
                self.history.attempts(),
                now=self.env.clock(),
                seed=plan.seed,
                index=index,
                previous=self.previous,
            ).candidate
        if index == 0 and plan.first_seed is not None:
            seed = plan.first_seed
        else:
            seen = self.history.seen_seeds(chosen.id).get(chosen.id, set())
            seed = adaptive.pick_seed(chosen.id, seen, session_seed=plan.seed, index=index)
        self.previous = chosen.id
        return generate(plan.load(chosen.id), seed)

    # -- one problem -----------------------------------------------------------------------------

    def _present(self, inst: Instance, index: int) -> None:
        from rich.rule import Rule
        from rich.text import Text

        from psyq.render import problem_panel

        out = self.console
        progress = f"problem {index + 1} of {self.plan.count}"
        if index > 0:
            out.print()
            out.print(Rule(Text(progress, style="bold"), style="blue"))
        out.print(problem_panel(inst, highlight_part=inst.parts[0].id))
        if index == 0:
            line = Text()
            line.append(progress.capitalize(), style="bold")
            line.append(
                " · answer, or type hint, solution, sources, skip, help, quit", style="dim"
            )
            out.print(line)
        for k, part in enumerate(inst.parts):
            if k > 0:
                out.print()
                ask = Text()
                ask.append(f"({part.id}) ", style="bold yellow")
                ask.append(nb(part.prompt), style="bold yellow")
                if part.unit not in ("", "fraction"):
                    ask.append(f"  [answer in{NBSP}{part.unit}]", style="dim")
                out.print(ask)
            self._work_part(inst, part)

    def _work_part(self, inst: Instance, part: PartInstance) -> None:
        from rich.text import Text

        from psyq.grading import INVALID, grade

        env, out, clock = self.env, self.console, self.env.clock
        tries = self.plan.tries
        t = inst.template
        result = PartResult(t.id, t.family, inst.seed, part.id, H.OPEN)
        self.results.append(result)
        pid = self.history.start_problem(
            self.session_id,
            template=t.id,
            family=t.family,
            difficulty=t.difficulty,
            seed=inst.seed,
            part=part.id,
            instance_id=inst.id,
            shown=clock(),
        )
        next_hint = 0
        last_value: float | None = None

        def finish(outcome: str) -> None:
            result.outcome = outcome
            self.history.finish_problem(pid, outcome=outcome, finished=clock())

        while True:
            prompt = Text()
            prompt.append(f"({part.id}) ", style="bold yellow")
            prompt.append(f"try {result.tries + 1}/{tries}", style="dim")
            prompt.append(" › ", style="bold")
            asked_at = clock()
            text = env.ask(prompt).strip()
            answered_at = clock()
            if not text:
                out.print(Text(f"Type an answer (for example 80{NBSP}%), or help.", style="dim"))
                continue
            command = COMMANDS.get(text.lower())
            if command == HINT:
                if next_hint < len(part.hints):
                    out.print(
                        _labelled(
                            f"Hint {next_hint + 1}/{len(part.hints)}: ",
                            part.hints[next_hint],
                            "cyan",
                        )
                    )
                    next_hint += 1
                    result.hints += 1
                    self.history.record_hint(pid)
                else:
                    out.print(
                        Text(
                            "No more hints. Type solution to see the worked solution.", style="cyan"
                        )
                    )
                continue
            if command == HELP:
                out.print(Text(HELP_TEXT))
                continue
            if command == SOURCES:
                out.print(sources_text(t))
                continue
            if command == SOLUTION:
                self._show_solution(inst, part, last_value, reveal=True)
                finish(H.REVEALED)
                return
            if command == SKIP:
                finish(H.SKIPPED)
                out.print(Text("Skipped: on to the next problem.", style="dim"))
                raise _Skip
            if command == QUIT:
                raise _Quit
            verdict = grade(part, text)
            self.history.record_attempt(
                pid, verdict, time=answered_at, elapsed=answered_at - asked_at
            )
            if verdict.status == INVALID:
                self._say_invalid(verdict)
                continue
            result.tries += 1
            if verdict.value is not None:
                last_value = verdict.value
            if verdict.correct:
                self._say_correct(inst, part, verdict)
                finish(H.SOLVED)
                return
            if verdict.misconception:
                result.misconceptions.append(verdict.misconception)
                hit = self.hits.setdefault(
                    (verdict.misconception, t.id),
                    MisconceptionHit(verdict.misconception, t.id, _idea(part, verdict)),
                )
                hit.count += 1
            left = tries - result.tries
            targeted = verdict.misconception is not None or any(
                n.startswith("SLIP:") for n in verdict.notes
            )
            message = _labelled("✗ ", nb(verdict.feedback), "bold red")
            out.print(message)
            if left <= 0:
                shown = Text()
                shown.append("The answer is ", style="bold")
                shown.append(nb(part.display), style="bold green")
                if part.low is not None:
                    shown.append(f" (accepted {nb(verdict.interval_text())})", style="dim")
                out.print(shown)
                self._show_solution(inst, part, last_value, reveal=False)
                finish(H.FAILED)
                return
            if not targeted:
                if next_hint < len(part.hints):
                    out.print(_labelled("Nudge: ", part.hints[next_hint], "cyan"))
                    next_hint += 1
                else:
                    out.print(
                        Text("Check the relation, the givens you used and the units.", style="cyan")
                    )
            out.print(
                Text(f"Try again: {left} {'try' if left == 1 else 'tries'} left.", style="dim")
            )

    # -- what the student is told ----------------------------------------------------------------

    def _say_invalid(self, verdict: Verdict) -> None:
        from rich.text import Text

        self.console.print(_labelled("? ", nb(verdict.feedback), "bold yellow"))
        if verdict.pointer:
            self.console.print(Text(verdict.pointer, style="yellow"), no_wrap=True, crop=True)
        self.console.print(
            Text("That could not be read, so it cost no try. Type help for examples.", style="dim")
        )

    def _say_correct(self, inst: Instance, part: PartInstance, verdict: Verdict) -> None:
        from rich.text import Text

        line = Text()
        line.append("✓ Correct", style="bold green")
        if part.low is not None:
            line.append(f": {nb(part.display)}, accepted {nb(verdict.interval_text())}.")
        else:
            line.append(". " + nb(verdict.feedback))
        if any(n.startswith("UNITS_CONVERTED") for n in verdict.notes) and verdict.unit_written:
            line.append(f" (read from {verdict.unit_written})", style="dim")
        self.console.print(line)
        insight = _insight(inst, part)
        if insight:
            self.console.print(_labelled("Insight: ", nb(insight), "green"))

    def _show_solution(
        self, inst: Instance, part: PartInstance, student_value: float | None, *, reveal: bool
    ) -> None:
        from rich.text import Text

        from psyq.render import solution_block

        out = self.console
        if reveal:
            shown = Text()
            shown.append("The answer is ", style="bold")
            shown.append(nb(part.display), style="bold green")
            out.print(shown)
        out.print(solution_block(part, indent="", inst=inst))
        # Teaching text belongs to a part: this part's own prose, and the template's closing text
        # only after the last part (it names every answer).
        for text in teaching_text(inst, part):
            out.print(Text(nb(text)))
        if self.env.plots:
            from psyq import termplot

            try:
                termplot.show(out, inst, part, student_value)
            except Exception:  # noqa: BLE001 - a picture must never end a session; the text stands
                pass


def _utf8_text(line: str) -> str:
    """A typed line as valid text: bytes that were not UTF-8 (surrogate escapes) become U+FFFD, so
    the grader reads an invalid answer instead of the history failing to store it."""
    return line.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def teaching_text(inst: Instance, part: PartInstance) -> list[str]:
    """The prose a student may read with ``part``'s worked solution: the part's own ``solution``,
    then (after the last part only) the template's closing text."""
    out = []
    if part.solution_text:
        out.append(part.solution_text)
    if inst.solution and part is inst.parts[-1]:
        out.append(inst.solution)
    return out


def sources_text(template) -> Any:
    """The template's sources, numbered (the ``sources`` command)."""
    from rich.text import Text

    text = Text("Sources\n", style="bold")
    for i, src in enumerate(template.sources, 1):
        text.append(f"  {i}. ", style="dim")
        text.append(nb(src) + ("\n" if i < len(template.sources) else ""))
    return text


def _labelled(label: str, text: str, style: str):
    from rich.text import Text

    line = Text()
    line.append(label, style=style)
    line.append(text)
    return line


def _insight(inst: Instance, part: PartInstance) -> str:
    """The part's one-line insight; for a one-part problem without one, the first sentence of the
    closing text.  A part of a longer problem gets its own insight or none: the closing text's
    first sentence is about another part (and may give its answer away)."""
    if part.spec.insight:
        return part.spec.insight.strip()
    if inst.solution and len(inst.parts) == 1:
        first = inst.solution.strip().split(". ")[0].strip()
        return first if first.endswith(".") else first + "."
    return ""


def _idea(part: PartInstance, verdict: Verdict) -> str:
    for m in part.misconceptions:
        if m.name == verdict.misconception:
            return m.feedback
    return verdict.feedback


# ------------------------------------------------------------------------------------------------
# The summary


def format_duration(seconds: float) -> str:
    seconds = max(0, int(round(seconds)))
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    if h:
        return f"{h}{NBSP}h {m:02d}{NBSP}min"
    if m:
        return f"{m}{NBSP}min {s:02d}{NBSP}s"
    return f"{s}{NBSP}s"


def render_summary(console: Console, summary: Summary) -> None:
    from rich.rule import Rule
    from rich.table import Table
    from rich.text import Text

    console.print()
    console.print(Rule(Text("session summary", style="bold"), style="blue"))
    counted = summary.counted
    if summary.reason == INTERRUPTED:
        console.print(Text("Interrupted: everything you answered is saved.", style="dim"))
    skipped = summary.skipped
    skipped_text = f"{skipped} problem{'s' if skipped != 1 else ''} skipped"
    if not counted:
        none = f"No answers given ({skipped_text})." if skipped else "No problems attempted."
        console.print(Text(none, style="dim"))
    else:
        pct = round(100 * summary.solved / len(counted))
        score = Text()
        score.append("Score  ", style="bold")
        parts = "part" if len(counted) == 1 else "parts"
        score.append(f"{summary.solved} of {len(counted)} {parts} solved ({pct}{NBSP}%)")
        score.append(f", {summary.first_try} at the first try", style="dim")
        if skipped:
            score.append(f"; {skipped_text}", style="dim")
        console.print(score)
    t = Text()
    t.append("Time   ", style="bold")
    t.append(format_duration(summary.ended - summary.started))
    if summary.hints:
        t.append(f" · {summary.hints} hint{'s' if summary.hints != 1 else ''}", style="dim")
    console.print(t)
    fams = summary.by_family()
    if fams:
        table = Table(box=None, show_header=True, header_style="bold", pad_edge=False)
        table.add_column("family", style="cyan")
        table.add_column("solved", justify="right")
        for fam, (solved, n) in fams.items():
            table.add_row(fam, f"{solved}/{n}")
        console.print(table)
    if summary.misconceptions:
        console.print(Text("Misconceptions to revisit", style="bold magenta"))
        for m in summary.misconceptions:
            line = Text()
            line.append(f"• {m.name}", style="magenta")
            line.append(f" ×{m.count} ({m.template}): ", style="dim")
            line.append(m.feedback)
            console.print(line)
    foot = Text(f"Saved to {summary.database}. See psyq stats for your progress.", style="dim")
    console.print(foot)
