"""Rendering instances and verdicts for a terminal with rich (also used by practice and grade)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from rich.console import RenderableType

    from psyq.grading import Verdict
    from psyq.instance import Instance, PartInstance


# A number and its unit stay on one line ("100 %", "1.2 nM", "14 d", "600 mg/day"): the space
# between them becomes a no-break space.  A short English word after a number is not a unit.
_UNIT_GAP = re.compile(r"(?<=\d) (?=(?:%|‰|°C|[µμ]?[A-Za-z]{1,3}(?:/[A-Za-z]{1,4})?)(?![\w]))")
_NOT_UNITS = {"and", "or", "to", "of", "in", "at", "on", "is", "as", "by", "the", "for", "an", "a",
              "if", "it", "so", "are", "was", "per", "not", "but"}
NBSP = "\u00a0"


def nb(text: str) -> str:
    """``text`` with a no-break space between each number and the unit after it."""
    if not text or " " not in text:
        return text

    def gap(m: re.Match) -> str:
        word = re.match(r"[^\s,.;:)\]]*", text[m.end():]).group(0)
        return " " if word.lower() in _NOT_UNITS else NBSP

    keep_no_break_spaces()
    return _UNIT_GAP.sub(gap, text)


_KEPT = False


def keep_no_break_spaces() -> None:
    """Make rich wrap at ordinary spaces only.  rich splits words at any Unicode space (its word
    pattern is ``\\s*\\S+\\s*``), which would break "100 %" at the no-break space; its word
    pattern is replaced once by one that splits at ASCII whitespace.  Without the private
    attribute (another rich) nothing changes and text merely wraps as before."""
    global _KEPT
    if _KEPT:
        return
    _KEPT = True
    try:
        import rich._wrap as wrap
    except ImportError:  # pragma: no cover
        return
    if hasattr(wrap, "re_word"):
        wrap.re_word = re.compile(r"[ \t\n\r\f\v]*[^ \t\n\r\f\v]+[ \t\n\r\f\v]*")


def givens_table(inst: "Instance"):
    from rich.table import Table

    table = Table(show_header=True, header_style="bold", box=None, pad_edge=False)
    table.add_column("given", style="cyan", no_wrap=True)
    table.add_column("value", style="bold", no_wrap=True)
    table.add_column("meaning", overflow="fold")
    from psyq import typeset

    spellings = typeset.table(inst.template)  # the same symbol table as the PDF and HTML
    for name, g in inst.givens.items():
        table.add_row(typeset.text(name, spellings), nb(g.display), nb(g.meaning))
    return table


def problem_panel(inst: "Instance", *, highlight_part: str | None = None, key: bool = False,
                  number: int | None = None) -> "RenderableType":
    from rich.console import Group
    from rich.panel import Panel
    from rich.text import Text

    from psyq import typeset

    t = inst.template
    spellings = typeset.table(t)
    body: list = [Text(nb(typeset.prose_text(inst.text, spellings))), Text("")]
    if inst.givens:
        body += [givens_table(inst), Text("")]
    for part in inst.parts:
        style = "bold yellow" if highlight_part == part.id else ("bold" if highlight_part is None else "dim")
        unit = "" if part.unit in ("", "fraction") else f"  [answer in {part.unit}]"
        line = Text(f"({part.id}) ", style=style)
        line.append(nb(typeset.prose_text(part.prompt, spellings)), style=style)
        line.append(unit.replace("answer in ", "answer in" + NBSP), style="dim")
        body.append(line)
        if key:
            body.append(key_block(part, inst))
    from rich.markup import escape

    title = f"{number}. " if number else ""
    # Template text is data, never markup: "[c]" in a title must print as written.
    title += escape(t.title)
    # id and seed on the bottom border: a long title must not cut off what `psyq show` needs
    meta = f"[dim]{escape(t.id)} · seed {inst.seed} · difficulty {t.difficulty}[/]"
    return Panel(Group(*body), title=title, title_align="left", subtitle=meta, subtitle_align="right",
                 border_style="blue", expand=True)


def key_block(part: "PartInstance", inst: "Instance | None" = None) -> "RenderableType":
    from rich.console import Group
    from rich.text import Text

    rows: list = []
    answer = Text("   answer: ", style="green")
    answer.append(nb(part.display), style="bold green")
    if part.low is not None:
        from psyq.draws import format_number

        unit = "" if part.unit in ("", "fraction") else f" {part.unit}"
        answer.append(f"   accepted [{format_number(part.low, 4)}, {format_number(part.high, 4)}]{unit}",
                      style="dim")
    rows.append(answer)
    rows.append(solution_block(part, inst=inst))
    if part.misconceptions:
        rows.append(Text("   misconceptions:", style="magenta"))
        for m in part.misconceptions:
            rows.append(Text(f"     {m.name}: {m.display}", style="magenta"))
    return Group(*rows)


def solution_block(part: "PartInstance", indent: str = "   ",
                   inst: "Instance | None" = None) -> "RenderableType":
    """The worked solution of one part.  With the instance, each step is written in the same math
    as the PDF and HTML keys (the one symbol table, the teacher's rearrangement: K_i, t½,
    ln(1/(1 − Q))); without it, in the plain text the instance carries."""
    from rich.console import Group
    from rich.text import Text

    views = _step_views(inst, part) if inst is not None else None
    rows: list = [Text(f"{indent}worked solution:", style="green")]
    for i, step in enumerate(part.steps, 1):
        if views is not None:
            from psyq.export import mathfmt as M

            v = views[i - 1]
            relation = M.to_text(v.relation_box) if v.relation_box is not None else \
                M.to_text(M.row(v.lhs, ("op", "="), v.solved))
            rows.append(Text(f"{indent}  {i}. from {relation}", style="dim"))
            if step.rearranged:
                rows.append(Text(f"{indent}     {M.to_text(M.row(v.lhs, ('op', '='), v.solved))}"))
            rows.append(Text(f"{indent}     {nb(M.to_text(M.row(v.lhs, ('op', '='), v.substituted)))}"))
        else:
            rows.append(Text(f"{indent}  {i}. from {step.relation}", style="dim"))
            if step.rearranged:
                rows.append(Text(f"{indent}     {step.solved}"))
            rows.append(Text(f"{indent}     {nb(step.substituted)}"))
        rows.append(Text(f"{indent}     = {nb(step.result)}", style="bold"))
    if part.unattainable:
        rows.append(Text(f"{indent}  The target cannot be reached: answer 'not attainable'.", style="bold"))
    if part.spec.explain:
        rows.append(Text(f"{indent}{nb(part.spec.explain.strip())}"))
    return Group(*rows)


def _step_views(inst: "Instance", part: "PartInstance") -> list | None:
    """The export keys' step views of ``part`` (None where a step cannot be typeset: the plain
    text is shown instead, never an error in place of a solution)."""
    try:
        from psyq.export.common import step_views

        views = step_views(inst, part)
    except Exception:  # noqa: BLE001 - a solution must always be shown; the plain form serves
        return None
    return views if len(views) == len(part.steps) else None


def verdict_text(verdict: "Verdict") -> "RenderableType":
    from rich.text import Text

    style = {"correct": "bold green", "incorrect": "bold red", "invalid": "bold yellow"}[verdict.status]
    out = Text(verdict.status.upper(), style=style)
    out.append(f"  {nb(verdict.feedback)}")
    if verdict.pointer:
        out.append("\n" + verdict.pointer, style="yellow")
    if verdict.status != "invalid" or verdict.low is not None:
        out.append(f"\n  accepted: {nb(verdict.interval_text())}", style="dim")
    # The grader's tags (ACC_OK, UNITS_BARE …) are for machines and course staff: --json has them.
    return out
