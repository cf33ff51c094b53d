"""HTML (self-contained, print style sheet, MathML, embedded SVG) and Markdown exports."""

import base64
import json
import re
from html.parser import HTMLParser

from _export_helpers import EXPORT_TEMPLATES, build, cli

from psyq import export as E
from psyq.export import common as C
from psyq.export import html as H
from psyq.export import markdown as MD

ITEMS = ["occupancy-from-ki", "snri-engagement"]


class _Collect(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)


def parse(data: bytes) -> _Collect:
    p = _Collect()
    p.feed(data.decode("utf-8"))
    return p


def test_html_is_one_self_contained_file_with_print_styles():
    exam = build(ITEMS, versions=2)
    data = H.render(exam, exam.versions, sheets=True, keys=True, options=C.Options(figures="all"),
                    figures=_figures(exam))
    page = parse(data)
    for tag, attrs in page.tags:
        for attr in ("src", "href"):
            value = attrs.get(attr)
            if value is not None:
                assert value.startswith("data:"), (tag, attr, value[:60])  # nothing loaded from the network
        assert tag not in ("script", "link", "iframe")
    text = data.decode()
    assert "@media print" in text and "break-before: page" in text and "@page" in text
    sections = [a for t, a in page.tags if t == "section"]
    assert len([s for s in sections if "sheet" in s.get("class", "")]) == 2
    assert len([s for s in sections if s.get("class") == "version key"]) == 2
    assert text.count('class="field">Name<') == 2 and text.count("Student ID") == 2
    for v in exam.versions:
        assert f'data-code="{v.code}"' in text


def test_html_math_is_mathml_and_figures_are_embedded_svg():
    exam = build(["snri-engagement"], versions=1)
    figs = _figures(exam)
    data = H.render(exam, exam.versions, sheets=True, keys=True, options=C.Options(figures="all"), figures=figs)
    text = data.decode()
    assert '<math xmlns="http://www.w3.org/1998/Math/MathML">' in text and "<mfrac>" in text
    imgs = re.findall(r'src="data:image/svg\+xml;base64,([^"]+)"', text)
    assert len(imgs) == 2  # the sheet's plain figure and the key's marked one
    svgs = [base64.b64decode(i).decode() for i in imgs]
    assert all(s.lstrip().startswith("<?xml") and "<svg" in s for s in svgs)
    assert "psyq-answer" not in svgs[0] and "psyq-answer" in svgs[1]


def test_html_escapes_template_text():
    exam = build(["export-hostile"], versions=1)
    text = H.render(exam, exam.versions, sheets=True, keys=True, options=C.Options(figures="none")).decode()
    assert "<script>" not in text and "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "<b>#Ki</b>" not in text and "&lt;b&gt;#Ki&lt;/b&gt;" in text
    page = parse(text.encode())
    joined = "".join(page.text)
    assert "HOSTILE-STEM #import" in joined and "]]>" in joined


def test_markdown_sheet_and_key():
    exam = build(ITEMS, versions=2)
    md = MD.render(exam, exam.versions, sheets=True, keys=True, options=C.Options(figures="none")).decode()
    assert len(re.findall(r"^## Problem ", md, re.MULTILINE)) == 4
    assert len(re.findall(r"^### Problem ", md, re.MULTILINE)) == 4
    assert md.count("Name: ____") == 2
    assert "## Answers at a glance" in md and md.count("## Answer key — version") == 2
    for v in exam.versions:
        assert f"code {v.code}" in md
        for p in v.problems:
            assert f"`{p.instance.template.id}` · seed {p.seed}" in md
    assert "\\frac{" in md and "- Step 1: $" in md  # worked solutions as LaTeX
    assert "**(a)**" in md and "Answer: ____" in md


def test_markdown_escapes_template_text():
    exam = build(["export-hostile"], versions=1)
    md = MD.render(exam, exam.versions, sheets=True, keys=False, options=C.Options(figures="none")).decode()
    stem = next(line for line in md.splitlines() if "HOSTILE" in line and "STEM" in line)
    assert "\\*bold\\*" in stem and "\\_it\\_" in stem and "\\<script\\>" in stem and "\\[c\\]" in stem
    assert "\\`raw\\`" in stem and "\\$x^2\\$" in stem


def test_text_formats_are_byte_identical_across_runs_and_go_to_stdout(tmp_path):
    for fmt in ("html", "md", "json"):
        a = cli(*ITEMS, "-F", fmt, "-n", "2", "--key-only" if fmt != "json" else "--seed", *([] if fmt != "json" else ["1"]),
                "-o", "-")
        b = cli(*ITEMS, "-F", fmt, "-n", "2", "--key-only" if fmt != "json" else "--seed", *([] if fmt != "json" else ["1"]),
                "-o", "-")
        assert a.exit_code == 0, a.output
        assert a.stdout_bytes == b.stdout_bytes and len(a.stdout_bytes) > 1000
    data = json.loads(cli(*ITEMS, "-F", "json", "-n", "2", "-o", "-").stdout)
    assert data["format"] == "psyq-exam" and [v["version"] for v in data["versions"]] == [1, 2]
    assert data["versions"][0]["problems"][1]["instance"]["parts"][1]["id"] == "b"


def test_html_file_written_by_the_cli(tmp_path):
    out = tmp_path / "exam.html"
    res = cli("export-hostile", "-T", str(EXPORT_TEMPLATES), "-F", "html", "-n", "3", "--key", "-o", str(out))
    assert res.exit_code == 0, res.output
    assert out.is_file() and out.with_name("exam-key.html").is_file()
    assert out.read_bytes().startswith(b"<!DOCTYPE html>")
    assert E.extension("html") == ".html"


def _figures(exam):
    from psyq import figures as F

    return F.figures_for([p.instance for v in exam.versions for p in v.problems])
