"""GIFT (Moodle's plain-text question format): each part of each version a numerical question.

``{#=%100%value:tolerance#feedback =%0%mistake:tolerance#feedback ####general feedback}`` — the
accepted interval, each misconception as a 0 % answer with its feedback, the worked solution as
general feedback.  GIFT numerical questions have no units: the prompt says which unit to answer
in.  Text and per-answer feedback are HTML ([html] format; plain text HTML-escaped) with GIFT's
special characters (~ = # { } : and backslash) escaped.
"""

from __future__ import annotations

from html import escape as html_escape

from psyq.export import common as C
from psyq.export import moodle

FORMAT = "gift"
EXTENSION = ".gift"
TARGET = "gift"
_SPECIAL = "\\~=#{}:"


def escape(text: str) -> str:
    """Text → GIFT text: special characters backslash-escaped, on one line."""
    out = []
    for ch in " ".join(C.clean_text(text).split("\n")):
        out.append("\\" + ch if ch in _SPECIAL else ch)
    return "".join(out)


def check(exam, findings: C.Findings) -> None:
    C.common_lms_findings(exam, TARGET, findings, units="dropped", multipart="split", misconceptions=True)


def render(exam, findings: C.Findings | None = None) -> bytes:
    out = [f"// psyq export: {' '.join(C.clean_text(exam.spec.title).split())}, "
           f"{len(exam.versions)} versions, seed {exam.seed}", ""]
    category = None
    parts = sorted(C.lms_parts(exam), key=lambda lp: moodle.category_path(exam, lp))  # stable sort
    for lp in parts:
        path = moodle.category_path(exam, lp)
        if path != category:
            out += [f"$CATEGORY: {' '.join(path.split())}", ""]
            category = path
        out += [_question(lp), ""]
    return ("\n".join(out)).encode("utf-8")


def _question(lp: C.LmsPart) -> str:
    name = escape(moodle.question_name(lp))
    text = escape(moodle.question_html(lp, math="text"))
    answers = [f"=%100%{C.plain_number(lp.value)}:{C.plain_number(lp.half)}#{escape('Correct.')}"]
    for alt in lp.alternatives:
        # Moodle reads GIFT feedback in the question's format (HTML here): escaped as the question
        # text is, so "C < Ki" and a stray "<script>" show as typed.
        answers.append(f"=%0%{C.plain_number(alt.value)}:{C.plain_number(alt.half)}"
                       f"#{escape(html_escape(alt.feedback, quote=False))}")
    general = escape(moodle.solution_html(lp, math="text"))
    body = " ".join(answers)
    return f"::{name}::[html]{text}{{#{body} ####{general}}}"
