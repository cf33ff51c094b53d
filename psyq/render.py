"""Rendering instances and verdicts for a terminal with rich (also used by practice and grade)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from rich.console import RenderableType

    from psyq.grading import Verdict
    from psyq.instance import Instance, PartInstance


def givens_table(inst: "Instance"):
    from rich.table import Table

    table = Table(show_header=True, header_style="bold", box=None, pad_edge=False)
    table.add_column("given", style="cyan", no_wrap=True)
    table.add_column("value", style="bold", no_wrap=True)
    table.add_column("meaning", overflow="fold")
    from psyq import typeset

    spellings = typeset.table(inst.template)  # the same symbol table as the PDF and HTML
    for name, g in inst.givens.items():
        table.add_row(typeset.text(name, spellings), g.display, g.meaning)
    return table


def problem_panel(inst: "Instance", *, highlight_part: str | None = None, key: bool = False,
                  number: int | None = None) -> "RenderableType":
    from rich.console import Group
    from rich.panel import Panel
    from rich.text import Text

    from psyq import typeset

    t = inst.template
    spellings = typeset.table(t)
    body: list = [Text(typeset.prose_text(inst.text, spellings)), Text("")]
    if inst.givens:
        body += [givens_table(inst), Text("")]
    for part in inst.parts:
        style = "bold yellow" if highlight_part == part.id else ("bold" if highlight_part is None else "dim")
        unit = "" if part.unit in ("", "fraction") else f"  [answer in {part.unit}]"
        line = Text(f"({part.id}) ", style=style)
        line.append(typeset.prose_text(part.prompt, spellings), style=style)
        line.append(unit, style="dim")
        body.append(line)
        if key:
            body.append(key_block(part))
    from rich.markup import escape

    title = f"{number}. " if number else ""
    # Template text is data, never markup: "[c]" in a title must print as written.
    title += escape(t.title)
    # id and seed on the bottom border: a long title must not cut off what `psyq show` needs
    meta = f"[dim]{escape(t.id)} · seed {inst.seed} · difficulty {t.difficulty}[/]"
    return Panel(Group(*body), title=title, title_align="left", subtitle=meta, subtitle_align="right",
                 border_style="blue", expand=True)


def key_block(part: "PartInstance") -> "RenderableType":
    from rich.console import Group
    from rich.text import Text

    rows: list = []
    answer = Text("   answer: ", style="green")
    answer.append(part.display, style="bold green")
    if part.low is not None:
        from psyq.draws import format_number

        unit = "" if part.unit in ("", "fraction") else f" {part.unit}"
        answer.append(f"   accepted [{format_number(part.low, 4)}, {format_number(part.high, 4)}]{unit}",
                      style="dim")
    rows.append(answer)
    rows.append(solution_block(part))
    if part.misconceptions:
        rows.append(Text("   misconceptions:", style="magenta"))
        for m in part.misconceptions:
            rows.append(Text(f"     {m.name}: {m.display}", style="magenta"))
    return Group(*rows)


def solution_block(part: "PartInstance", indent: str = "   ") -> "RenderableType":
    from rich.console import Group
    from rich.text import Text

    rows: list = [Text(f"{indent}worked solution:", style="green")]
    for i, step in enumerate(part.steps, 1):
        rows.append(Text(f"{indent}  {i}. from {step.relation}", style="dim"))
        if step.rearranged:
            rows.append(Text(f"{indent}     {step.solved}"))
        rows.append(Text(f"{indent}     {step.substituted}"))
        rows.append(Text(f"{indent}     = {step.result}", style="bold"))
    if part.unattainable:
        rows.append(Text(f"{indent}  The target cannot be reached: answer 'not attainable'.", style="bold"))
    if part.spec.explain:
        rows.append(Text(f"{indent}{part.spec.explain.strip()}"))
    return Group(*rows)


def verdict_text(verdict: "Verdict") -> "RenderableType":
    from rich.text import Text

    style = {"correct": "bold green", "incorrect": "bold red", "invalid": "bold yellow"}[verdict.status]
    out = Text(verdict.status.upper(), style=style)
    out.append(f"  {verdict.feedback}")
    if verdict.pointer:
        out.append("\n" + verdict.pointer, style="yellow")
    if verdict.status != "invalid" or verdict.low is not None:
        out.append(f"\n  accepted: {verdict.interval_text()}", style="dim")
    if verdict.notes:
        out.append(f"\n  notes: {', '.join(verdict.notes)}", style="dim")
    return out
