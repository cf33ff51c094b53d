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
    assert "\\*bold\\*" in stem and "\\_it\\_" in stem and "\\<script>" in stem and "[c]" in stem
    assert "\\`raw\\`" in stem and "\\$x^2\\$" in stem
    # only markup is escaped: parentheses, dots, hyphens and brackets without a link stay as typed
    assert "\\(" not in md and "\\." not in md and "\\-" not in md


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


# ------------------------------------------------------------------------------------------------
# Issue 15: editable Markdown, symbols from the symbol table, values that never break

def _md_to_text(md: str) -> str:
    """What a CommonMark reader shows for a Markdown paragraph (markdown-it, which rich brings)."""
    import html as html_mod

    from markdown_it import MarkdownIt

    out = MarkdownIt("commonmark").render(md)
    return html_mod.unescape(re.sub(r"<[^>]+>", "", out)).strip()


def test_markdown_text_round_trips_through_a_commonmark_reader():
    samples = ["Paroxetine binds SERT with Ki = 0.13 nM (Tatsumi et al. 1997, cloned human SERT).",
               "1. not a list", "# not a heading", "- not a list", "> not a quote", "a *b* _c_ `d` [e](f) <g>",
               "occ_SERT, t_half and 2*x; AT&T &amp; 50 % ~x~ \\ back", "+ plus", "[ref]: no"]
    for s in samples:
        assert _md_to_text(MD.text(s)) == s, s
    assert MD.text(samples[0]) == samples[0]  # nothing to escape: the text stays as typed


def test_markdown_of_the_bank_is_readable_prose():
    exam = build(["occupancy-from-ki", "cheng-prusoff", "mao-time-to-target"], versions=1, templates=())
    md = MD.render(exam, exam.versions, sheets=True, keys=True, options=C.Options(figures="none")).decode()
    prose = "\n".join(line for line in md.splitlines() if not line.startswith(("|", "- Step")))
    assert "0.13\u00a0nM (Tatsumi et al. 1997, cloned human SERT)" in md
    for escaped in ("\\.", "\\(", "\\)", "\\-", "\\["):
        assert escaped not in prose, escaped
    assert "${K}_{\\mathrm{i}}$" in md and "\\mathit{Ki}" not in md  # K_i from the symbol table


def test_html_writes_symbols_as_subscripts_and_values_on_one_line(tmp_path):
    from pathlib import Path

    exam = build(["occupancy-from-ki"], versions=1, templates=())
    [(_path, data)] = E.export(exam, "html", Path(tmp_path / "e.html"), C.Options(key="append"))
    html = data.decode()
    ki = '<msub><mrow><mi>K</mi></mrow><mrow><mi mathvariant="normal">i</mi></mrow></msub>'
    stem = next(p for p in re.findall(r"<p>.*?</p>", html) if "Paroxetine" in p)
    assert ki in stem  # the stem's Ki is K with subscript i, as in the givens and the formulas
    assert 'mathvariant="italic">Ki' not in html
    gives = re.findall(r'<td class="gives">([^<]*)</td>', html)
    assert gives and all("&nbsp;" in g for g in gives)  # '10.6&nbsp;%' cannot break
    assert "white-space: nowrap" in html and "math-style: normal" in html
    assert "from occ = C/(C + Ki)" not in html
    svg = base64.b64decode(re.search(r"data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)", html).group(1)).decode()
    assert "serif !important" in svg  # the figure's text in the page's serif


def _chromium() -> str | None:
    import shutil

    return shutil.which("chromium") or shutil.which("chromium-browser")


def test_html_key_printed_by_chromium_keeps_values_whole(tmp_path):
    """Print the HTML key with headless Chromium (skipped where it is not installed) and read the
    PDF back: every misconception value and answer is on one line, number and unit together."""
    import subprocess

    import pytest

    browser = _chromium()
    if browser is None:
        pytest.skip("chromium is not installed (apt-get install chromium) — the HTML print check needs it")
    pdfplumber = pytest.importorskip("pdfplumber")
    exam = build(["occupancy-from-ki", "cheng-prusoff", "snri-engagement"], versions=1, templates=())
    page = tmp_path / "key.html"
    page.write_bytes(H.render(exam, exam.versions, sheets=False, keys=True, options=C.Options(figures="none")))
    out = tmp_path / "key.pdf"
    profile = tmp_path / "profile"
    subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                    "--disable-background-networking", "--disable-component-update", "--disable-sync",
                    f"--user-data-dir={profile}", "--no-pdf-header-footer", f"--print-to-pdf={out}",
                    page.as_uri()], check=True, capture_output=True, timeout=120)
    with pdfplumber.open(out) as pdf:
        text = "\n".join(p.extract_text() for p in pdf.pages)
    values = [m.shown.replace("\u00a0", " ") for v in exam.versions for p in v.problems
              for part in C.problem_view(p).parts for m in part.mistakes]
    assert values
    for shown in values:
        assert shown in text, shown  # '93.6 %' never split as '93.6\n%'
