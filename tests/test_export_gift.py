"""GIFT read back with a small parser written from the format's description: answers, tolerances,
misconception feedback and escaped text round-trip."""

import html
import re

import pytest
from _export_helpers import EXPORT_TEMPLATES, build, cli

from psyq.export import common as C
from psyq.export import gift


def unescape(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text)


def split_unescaped(text: str, sep: str) -> list[str]:
    """Split on ``sep`` where it is not backslash-escaped."""
    out, cur, i = [], "", 0
    while i < len(text):
        if text[i] == "\\" and i + 1 < len(text):
            cur += text[i:i + 2]
            i += 2
            continue
        if text.startswith(sep, i):
            out.append(cur)
            cur = ""
            i += len(sep)
            continue
        cur += text[i]
        i += 1
    out.append(cur)
    return out


def find_unescaped(text: str, ch: str, start: int = 0) -> int:
    i = start
    while i < len(text):
        if text[i] == "\\":
            i += 2
            continue
        if text[i] == ch:
            return i
        i += 1
    return -1


def parse_gift(data: bytes) -> list[dict]:
    questions, category = [], None
    for block in data.decode("utf-8").split("\n\n"):
        block = "\n".join(line for line in block.splitlines() if not line.startswith("//")).strip()
        if not block:
            continue
        if block.startswith("$CATEGORY:"):
            category = block[len("$CATEGORY:"):].strip()
            continue
        m = re.match(r"^::(.*?)::", block, re.DOTALL)
        assert m, block[:80]
        name = unescape(m.group(1))
        rest = block[m.end():]
        assert rest.startswith("[html]")
        rest = rest[len("[html]"):]
        open_at = find_unescaped(rest, "{")
        close_at = find_unescaped(rest, "}", open_at)
        assert rest[close_at + 1:].strip() == ""
        text, body = rest[:open_at], rest[open_at + 1:close_at]
        assert body.startswith("#")
        body, _, general = body[1:].partition("####")
        answers = []
        for chunk in split_unescaped(body, "="):
            chunk = chunk.strip()
            if not chunk:
                continue
            mm = re.match(r"^%(-?[\d.]+)%([^:#]+):([^#]+)#(.*)$", chunk, re.DOTALL)
            assert mm, chunk
            answers.append({"weight": float(mm.group(1)), "value": float(mm.group(2)),
                            "tolerance": float(mm.group(3)), "feedback": unescape(mm.group(4)).strip()})
        questions.append({"category": category, "name": name, "text": unescape(text),
                          "answers": answers, "general": unescape(general).strip()})
    return questions


def test_gift_round_trips_answers_tolerances_and_feedback():
    exam = build(["occupancy-from-ki", "snri-engagement", "export-hostile"], versions=3)
    questions = parse_gift(gift.render(exam))
    parts = list(C.lms_parts(exam))
    assert len(questions) == len(parts)
    by_name = {q["name"]: q for q in questions}
    from psyq.export import moodle

    for lp in parts:
        q = by_name[moodle.question_name(lp)]
        right = q["answers"][0]
        assert right["weight"] == 100
        assert right["value"] - right["tolerance"] == pytest.approx(lp.part.low, rel=1e-8)
        assert right["value"] + right["tolerance"] == pytest.approx(lp.part.high, rel=1e-8)
        wrong = q["answers"][1:]
        assert [a["weight"] for a in wrong] == [0] * len(lp.part.misconceptions)
        for a, m in zip(wrong, lp.part.misconceptions):
            assert a["value"] == pytest.approx(m.value, rel=1e-8)
            assert html.unescape(a["feedback"]) == C.plain_prose(m.feedback, lp.problem.instance.template)  # escaped; symbols as K_i
        assert q["category"].endswith(lp.problem.instance.template.id) or "/part " in q["category"]
        assert "accepted" in q["general"]


def test_gift_escapes_special_characters():
    exam = build(["export-hostile"], versions=1)
    data = gift.render(exam)
    (q,) = parse_gift(data)
    assert "HOSTILE-PROMPT What % is occupied? #emph *x* $y$ {z} ~ = # : ]]&gt;" in q["text"]
    assert q["answers"][1]["feedback"].startswith("HOSTILE-FEEDBACK unoccupied: 1 − answer ~ = # { } : $ * _")
    # Moodle reads the feedback as HTML, like the question text: markup is escaped, not live.
    assert q["answers"][1]["feedback"].endswith("]]&gt; &lt;i&gt;")


def test_gift_feedback_is_html_escaped():
    from types import SimpleNamespace
    from unittest import mock

    from psyq.export import moodle

    alt = SimpleNamespace(value=2.0, half=0.1, feedback="<script>alert(1)</script> when C < Ki & more")
    lp = SimpleNamespace(value=1.0, half=0.1, alternatives=[alt])
    with mock.patch.object(moodle, "question_name", return_value="q"), \
            mock.patch.object(moodle, "question_html", return_value="<p>x</p>"), \
            mock.patch.object(moodle, "solution_html", return_value="<p>y</p>"):
        text = gift._question(lp)
    assert "<script>" not in text and "C < Ki" not in text
    assert "#&lt;script&gt;alert(1)&lt;/script&gt; when C &lt; Ki &amp; more" in text
    assert gift.escape("a=b~c#d{e}f:g\\h") == "a\\=b\\~c\\#d\\{e\\}f\\:g\\\\h"


def test_gift_file_is_byte_identical_across_runs(tmp_path):
    outs = [tmp_path / "a.gift", tmp_path / "b.gift"]
    for out in outs:
        res = cli("mao", "export-edge", "-T", str(EXPORT_TEMPLATES), "-F", "gift", "-n", "4", "-o", str(out))
        assert res.exit_code == 0, res.output
    assert outs[0].read_bytes() == outs[1].read_bytes()
    assert parse_gift(outs[0].read_bytes())
