"""PDF exam sheets and keys (Typst): read back with pypdf — pages, problems, boxes, keys, fonts,
determinism, per-version files, hostile template text."""

import io
import re

import pytest
from _export_helpers import (
    EXPORT_TEMPLATES,
    build,
    cli,
    count,
    overlapping_runs,
    pdf_text,
    text_runs,
)

from psyq import export as E
from psyq.export import common as C
from psyq.export import typst_pdf as T

pypdf = pytest.importorskip("pypdf")

ITEMS = ["occupancy-from-ki", "mao-recovery", "snri-engagement"]


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    out = tmp_path_factory.mktemp("pdf") / "midterm.pdf"
    res = cli(*ITEMS, "--versions", "3", "--seed", "7", "--key", "--out", str(out), "--title", "Midterm 2",
              "--figures", "key")
    assert res.exit_code == 0, res.output
    return out


def test_sheets_have_one_header_per_version_and_every_problem(exported):
    pages, texts = pdf_text(exported.read_bytes())
    assert count(r"Problem \d+", texts) == 3 * len(ITEMS)
    assert count(r"Page 1 of \d+", texts) == 3  # one page run per version
    lasts = [int(n) for n in re.findall(r"Page \d+ of (\d+)", "\n".join(texts))]
    assert pages == sum(sorted(set(lasts), key=lasts.index)) or pages == sum(
        int(m) for m in re.findall(r"Page 1 of (\d+)", "\n".join(texts)))
    joined = "\n".join(texts)
    assert joined.count("Student ID") == 3 and joined.count("Name") >= 3
    assert joined.count("Midterm 2") >= 3
    assert "Answer:" in joined and "accepted" not in joined  # no answers on the sheets
    assert "4 points" in joined  # total points in the header (1 + 1 + 2)


def test_sheets_show_version_codes_givens_and_points(exported):
    exam = build(ITEMS, versions=3, seed=7, title="Midterm 2")
    _, texts = pdf_text(exported.read_bytes())
    joined = "\n".join(texts)
    for v in exam.versions:
        assert v.code in joined
        for prob in v.problems:
            for g in prob.instance.givens.values():
                number = g.display.split(" ")[0]
                assert number in joined
    assert "1 point" in joined and "2 points" in joined


def test_key_has_answers_intervals_and_worked_solutions(exported):
    key = exported.with_name("midterm-key.pdf")
    exam = build(ITEMS, versions=3, seed=7, title="Midterm 2")
    _pages, texts = pdf_text(key.read_bytes())
    joined = re.sub(r"\s+", " ", "\n".join(texts))
    assert "Answers at a glance" in joined
    assert count(r"Problem \d+", texts) >= 3 * len(ITEMS)
    for v in exam.versions:
        assert v.code in joined
        for prob in v.problems:
            assert f"seed {prob.seed}" in joined and prob.instance.template.id in joined
            for part in prob.instance.parts:
                value = part.display.split(" ")[0]
                assert value in joined  # the answer
                assert C.interval_text(part.low, part.high, part.unit).split(",")[0].strip("[") in joined
    assert "Worked solution" in joined and "within 1 % of the answer" in joined
    assert "unoccupied" in joined  # misconceptions listed for graders
    assert "The dot marks this version's answer." in joined  # figures with the answer marked


def test_fonts_are_embedded_and_date_is_fixed(exported):
    reader = pypdf.PdfReader(io.BytesIO(exported.read_bytes()))
    fonts = {}
    for page in reader.pages:
        res = page["/Resources"]
        for name, ref in (res.get("/Font") or {}).items():
            fonts[name] = ref.get_object()
    assert fonts
    for font in fonts.values():
        desc = font.get("/FontDescriptor")
        if desc is None and "/DescendantFonts" in font:
            desc = font["/DescendantFonts"][0].get_object()["/FontDescriptor"]
        desc = desc.get_object()
        assert any(k in desc for k in ("/FontFile", "/FontFile2", "/FontFile3")), font
    info = reader.metadata
    assert info.get("/CreationDate", "").startswith("D:20260101")


def test_same_inputs_give_byte_identical_pdfs(tmp_path, exported):
    again = tmp_path / "again.pdf"
    res = cli(*ITEMS, "--versions", "3", "--seed", "7", "--key", "--out", str(again), "--title", "Midterm 2",
              "--figures", "key")
    assert res.exit_code == 0, res.output
    assert again.read_bytes() == exported.read_bytes()
    assert again.with_name("again-key.pdf").read_bytes() == exported.with_name("midterm-key.pdf").read_bytes()
    other = tmp_path / "other.pdf"
    assert cli(*ITEMS, "--versions", "3", "--seed", "8", "--out", str(other), "--title", "Midterm 2").exit_code == 0
    assert other.read_bytes() != exported.read_bytes()


def test_typst_source_uses_no_packages_and_a_fixed_date():
    exam = build(["occupancy-from-ki"], versions=1)
    src, _inputs = T.source(exam, exam.versions, sheets=True, keys=True, options=C.Options())
    assert "@preview" not in src and "#import" not in src
    assert "datetime(year: 2026, month: 1, day: 1)" in src


def test_per_version_files_and_key_modes(tmp_path):
    out = tmp_path / "quiz.pdf"
    res = cli("occupancy-from-ki", "snri-engagement", "-n", "2", "--per-version", "--key", "-o", str(out),
              "--figures", "none")
    assert res.exit_code == 0, res.output
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["quiz-key.pdf", "quiz-v01-key.pdf", "quiz-v01.pdf", "quiz-v02-key.pdf", "quiz-v02.pdf",
                     "quiz.pdf"]
    combined, _ = pdf_text(out.read_bytes())
    singles = [pdf_text((tmp_path / f"quiz-v0{i}.pdf").read_bytes())[0] for i in (1, 2)]
    assert combined == sum(singles)
    _, v2 = pdf_text((tmp_path / "quiz-v02.pdf").read_bytes())
    exam = build(["occupancy-from-ki", "snri-engagement"], versions=2, title="Exam")
    assert exam.versions[1].code in "\n".join(v2) and exam.versions[0].code not in "\n".join(v2)
    only = tmp_path / "k.pdf"
    assert cli("occupancy-from-ki", "-n", "2", "--key-only", "-o", str(only), "--figures", "none").exit_code == 0
    _, texts = pdf_text(only.read_bytes())
    assert "Answer key" in "\n".join(texts) and "Student ID" not in "\n".join(texts)
    both = tmp_path / "b.pdf"
    assert cli("occupancy-from-ki", "-n", "2", "--append-key", "-o", str(both), "--figures", "none").exit_code == 0
    _, texts = pdf_text(both.read_bytes())
    assert "Answer key" in "\n".join(texts) and "Student ID" in "\n".join(texts)


def test_duplex_starts_every_version_on_an_odd_page():
    exam = build(["occupancy-from-ki"], versions=3, space=0)
    opts = C.Options(duplex=True, figures="none")
    _pages, texts = pdf_text(T.render(exam, exam.versions, sheets=True, keys=False, options=opts))
    starts = [i for i, t in enumerate(texts) if "Page 1 of" in t]
    assert len(starts) == 3 and all(i % 2 == 0 for i in starts)


def test_hostile_template_text_is_printed_as_written():
    exam = build(["export-hostile"], versions=1)
    pdf = T.render(exam, exam.versions, sheets=True, keys=True, options=C.Options(figures="none"))
    _, texts = pdf_text(pdf)
    joined = re.sub(r"\s+", " ", "\n".join(texts))
    for fragment in ('HOSTILE-STEM #import "@preview/cetz:0.2.0": *', "$x^2$", "*bold* _it_ @ref <lab> [c]",
                     "// comment /* block */", "<script>alert(1)</script>", "{braces} 50 %",
                     "HOSTILE-PROMPT What % is occupied? #emph *x* $y$ {z}", "HOSTILE-FEEDBACK",
                     "HOSTILE-SOLUTION occ = C/(C + 𝐾i) #sol $z$."):  # Ki typeset as K_i
        assert fragment in joined, fragment
    assert "Hostile text #1: $x$ *b* _i_ @r <l> [c]" in joined


def test_markup_escaping_covers_typst_syntax():
    for ch in "#$*_@<>[]\\`~=-+/\"'":
        assert T.markup(ch) == "\\" + ch
    assert T.markup("a\nb") == "a b"
    assert T.string('say "hi" \\ now') == '"say \\"hi\\" \\\\ now"'
    assert T.markup("x\x00y\x07") == "xy"


def test_library_export_returns_every_document():
    exam = build(["occupancy-from-ki"], versions=2)
    from pathlib import Path

    docs = E.export(exam, "pdf", Path("x.pdf"), C.Options(key="separate", per_version=True, figures="none"))
    assert [p.name for p, _ in docs] == ["x.pdf", "x-key.pdf", "x-v01.pdf", "x-v01-key.pdf", "x-v02.pdf",
                                         "x-v02-key.pdf"]
    assert all(data.startswith(b"%PDF-") for _, data in docs)
    assert EXPORT_TEMPLATES.is_dir()


# ------------------------------------------------------------------------------------------------
# Print quality (issue 15): no overlapping lines, the preamble filled without text substitution,
# the answer line and the givens table as a person lays them out

def _pages(data: bytes):
    pdfplumber = pytest.importorskip("pdfplumber", reason="pdfplumber (test extra) reads character boxes")
    return pdfplumber.open(io.BytesIO(data)).pages


def test_the_overlap_check_sees_an_inline_display_fraction_running_into_the_next_line():
    """The check has teeth: the old key layout (a display fraction set inline in a grid row,
    the misconception table right under it) is reported."""
    src = ('#set page(width: 12cm, height: 6cm)\n#set text(font: "Libertinus Serif", size: 10.5pt)\n'
           '#grid(columns: 2, gutter: 7pt, [1.], [$display(K_i = frac(C, C + K_i))$])\n'
           '#block(above: 0.4em, text(size: 8.5pt)[misconception gives feedback])\n')
    pages = _pages(T.compile_pdf(src, {}))
    assert overlapping_runs(pages[0]), "the detector must see the collision"


def test_keys_of_every_bank_template_have_no_overlapping_lines():
    """Render sheets and keys of EVERY built-in template and check every page: no two lines of
    text overlap (display fractions, misconception tables, subscripts, headers)."""
    from psyq import bank
    from psyq import exam as X

    ids = [e.id for e in bank.entries()]
    exam = X.build(X.spec_from_items(ids, (), "Every template", None), versions=1, seed=3)
    pdf = T.render(exam, exam.versions, sheets=True, keys=True, options=C.Options(figures="none"))
    pages = _pages(pdf)
    assert len(pages) > len(ids) // 2
    bad = {i + 1: overlapping_runs(p) for i, p in enumerate(pages)}
    assert not {k: v for k, v in bad.items() if v}


def test_a_title_with_the_preamble_words_comes_through_verbatim():
    title = 'PAPER YEAR DAY MONTH DUPLEX TITLE "quoted" \\ #set $x$ ] ['
    exam = build(["occupancy-from-ki"], versions=1, title=title)
    src, _ = T.source(exam, exam.versions, sheets=True, keys=False, options=C.Options(paper="letter"))
    assert "PAPER" not in T.PREAMBLE.replace("psyq-config.paper", "")  # no placeholder left to replace
    pdf = T.compile_pdf(src, {})
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    assert reader.metadata.title == title
    assert title in re.sub(r"\s+", " ", reader.pages[0].extract_text())
    assert float(reader.pages[0].mediabox.width) == pytest.approx(612, abs=1)  # the paper still applies


def test_the_unit_sits_next_to_the_answer_blank_and_the_givens_rule_clears_the_first_row():
    exam = build(["occupancy-from-ki"], versions=1)
    pdf = T.render(exam, exam.versions, sheets=True, keys=False, options=C.Options(figures="none"))
    page = _pages(pdf)[0]
    blank = max((r for r in page.rects if r["height"] < 2), key=lambda r: r["top"])  # the answer's underline
    runs = text_runs(page)
    unit = next(r for r in runs if r["text"] == "%" and abs(r["base"] - blank["top"]) < 6)
    assert 0 < unit["x0"] - blank["x1"] < 8  # beside the blank, not pushed to the margin
    rule = next(ln for ln in page.lines if ln["x1"] - ln["x0"] > 200 and ln["top"] > 150)
    first = min((r for r in runs if r["top"] > rule["top"]), key=lambda r: r["top"])
    header = max((r for r in runs if r["base"] < rule["top"]), key=lambda r: r["base"])
    assert first["top"] - rule["top"] >= 2.5 and rule["top"] - header["bottom"] >= 1


def test_numbers_and_units_are_joined_by_no_break_spaces_in_the_key():
    exam = build(["occupancy-from-ki"], versions=1)
    src, _ = T.source(exam, exam.versions, sheets=False, keys=True, options=C.Options(figures="none"))
    assert "1 % of the answer" not in src and "1\u00a0% of the answer" in src
    assert re.search(r"\[\d[\d.]*, \d[\d.]*\]\u00a0%", src.replace("\\", ""))  # the interval


def test_symbols_are_typeset_from_the_symbol_table_and_relations_are_math():
    exam = build(["occupancy-from-ki"], versions=1, templates=())
    src, _ = T.source(exam, exam.versions, sheets=True, keys=True, options=C.Options(figures="none"))
    assert 'K_(upright("i"))' in src and 'italic("Ki")' not in src
    assert "from occ = C/(C + Ki)" not in src  # no grey ASCII echo of the relation
    assert "with $K_(upright(\"i\"))$ = 0.13" in src.replace("\u00a0", " ") or "$K_(upright(\"i\"))$" in src


def test_no_table_rule_touches_the_text_below_it():
    """Every long horizontal rule (table headers: givens, answers at a glance, misconceptions)
    leaves a gap above the next line of text; the answers-at-a-glance rule once cut through the
    first version's row."""
    exam = build(["occupancy-from-ki", "mao-time-to-target", "snri-engagement"], versions=3)
    for sheets in (True, False):
        pdf = T.render(exam, exam.versions, sheets=sheets, keys=not sheets, options=C.Options(figures="none"))
        for n, page in enumerate(_pages(pdf)):
            runs = text_runs(page)
            for ln in page.lines:
                if abs(ln["top"] - ln["bottom"]) > 0.5 or ln["x1"] - ln["x0"] < 100:
                    continue  # fraction bars are short and sit close to their terms by design
                below = [r["top"] - ln["top"] for r in runs
                         if min(ln["x1"], r["x1"]) - max(ln["x0"], r["x0"]) > 1 and r["top"] >= ln["top"] - 3]
                if below:
                    assert min(below) >= 1.5, ("sheet" if sheets else "key", n, ln["top"], min(below))


# ------------------------------------------------------------------------------------------------
# Memory (issue 12): every compile in a child process that ends with it; a heavy document typeset
# in runs of whole versions and joined — the same glyphs at the same places, reproducible bytes

def _glyphs(data: bytes):
    """Every character of every page with its position and font (subset prefix dropped)."""
    return [[(c["text"], round(c["x0"], 2), round(c["top"], 2), c["fontname"].split("+")[-1]) for c in p.chars]
            for p in _pages(data)]


@pytest.fixture(scope="module")
def runs_exam():
    return build(ITEMS, versions=4, seed=5, title="Runs")


@pytest.mark.parametrize("duplex", [False, True])
def test_a_document_typeset_in_runs_has_the_same_pages_as_one_compile(runs_exam, monkeypatch, duplex):
    exam = runs_exam
    opts = C.Options(figures="none", duplex=duplex)
    whole = T.render(exam, exam.versions, sheets=True, keys=True, options=opts)
    monkeypatch.setattr(T, "SEGMENT_WEIGHT", 12_000)  # a version or two per run
    doc = T._document(exam, exam.versions, sheets=True, keys=True, options=opts, figures=None)
    runs = T.segments(doc.pieces)
    assert len(doc.pieces) == 2 * 4 + 1 and 4 <= len(runs) < len(doc.pieces)
    joined = T.render(exam, exam.versions, sheets=True, keys=True, options=opts)
    assert joined != whole  # really joined from runs …
    assert _glyphs(joined) == _glyphs(whole)  # … with every glyph where one compile puts it
    pages, texts = pdf_text(joined)
    assert pages == pdf_text(whole)[0]
    starts = [i for i, t in enumerate(texts) if "Page 1 of" in t]
    assert len(starts) == 4 + 1 + 4  # sheets, the overview, keys: each its own page run
    if duplex:
        assert all(i % 2 == 0 for i in starts)
    for i, t in enumerate(texts):  # the footers count within a version across the joins
        m = re.search(r"Page (\d+) of (\d+)", t)
        if m:
            first = max(s for s in starts if s <= i)
            assert int(m.group(1)) == i - first + 1 and int(m.group(1)) <= int(m.group(2))
    assert T.render(exam, exam.versions, sheets=True, keys=True, options=opts) == joined  # reproducible
    reader = pypdf.PdfReader(io.BytesIO(joined))
    info = dict(pypdf.PdfReader(io.BytesIO(whole)).metadata)
    assert info["/Title"] == "Runs" and info["/CreationDate"].startswith("D:20260101")
    assert {k: v for k, v in reader.metadata.items() if k != "/Producer"} == info  # Typst's fixed dates
    assert "/ID" not in reader.trailer  # no random file identifier
    assert reader.trailer["/Root"]["/Lang"] == "en"


def test_runs_hold_whole_pieces_in_order_under_the_weight():
    P = T._Piece
    pieces = [P(i, i + 1, (), w) for i, w in enumerate([50, 60, 200, 10, 10, 90, 5])]
    runs = T.segments(pieces, 100)
    assert [[p.weight for p in r] for r in runs] == [[50], [60], [200], [10, 10], [90, 5]]
    assert [p for r in runs for p in r] == pieces
    assert T.segments([], 100) == []


def test_a_run_carries_only_the_figures_it_shows():
    exam = build(["occupancy-from-ki"], versions=2, templates=())
    from psyq import figures as F

    inst = [p.instance for v in exam.versions for p in v.problems]
    figs = F.figures_for(inst, jobs=1, sheets=False)
    doc = T._document(exam, exam.versions, sheets=False, keys=True, options=C.Options(), figures=figs)
    assert len(doc.inputs) == 2
    src, inputs = doc.text(doc.pieces[2:])  # version 2's key
    assert list(inputs) == ["fig2"] and 'sys.inputs.at("fig2")' in src and "fig1" not in src
    assert src.startswith("\n".join(doc.lines[:doc.head]))  # the settings and the preamble


def test_typst_errors_from_the_child_process_are_one_line_psyq_errors():
    from psyq.errors import PsyqError

    with pytest.raises(PsyqError, match=r"^Typst could not typeset the exam: .*unknown variable"):
        T.compile_pdf("#nonexistent-thing\n", {})


def test_no_process_of_a_40_version_export_peaks_above_200_mib(tmp_path):
    """Before: the sheets and the key compiled in psyq's own process, and Typst kept what each
    used (~500 MiB here).  Now each run is compiled in a child; the parent never loads Typst."""
    import subprocess
    import sys
    from pathlib import Path

    if not Path("/proc/self/status").exists():
        pytest.skip("peak memory is read from /proc (Linux)")
    code = (
        "import resource, sys\n"
        "from typer.testing import CliRunner\n"
        "from psyq.cli import app\n"
        f"r = CliRunner().invoke(app, ['export', {', '.join(repr(i) for i in ITEMS)}, '--versions', '40', "
        f"'--key', '--figures', 'none', '--out', {str(tmp_path / 'big.pdf')!r}])\n"
        "assert r.exit_code == 0, r.output\n"
        "hwm = [int(x.split()[1]) for x in open('/proc/self/status') if x.startswith('VmHWM:')][0] // 1024\n"
        "kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024\n"
        "print(hwm, kids, 'typst' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    hwm, kids, typst_loaded = out.split()
    assert typst_loaded == "False"
    assert 0 < int(hwm) <= 200 and 0 < int(kids) <= 200, out
    _n, texts = pdf_text((tmp_path / "big-key.pdf").read_bytes())
    assert count(r"Page 1 of \d+", texts) == 41


def test_joining_frees_each_part_and_gives_the_bytes_a_plain_pypdf_join_gives(runs_exam):
    from pypdf.generic import NameObject

    exam = runs_exam
    opts = C.Options(figures="none")
    parts = [T.render(exam, [v], sheets=True, keys=False, options=opts) for v in exam.versions[:3]]
    writer = pypdf.PdfWriter()  # the plain join: every reader kept alive until the end
    readers = [pypdf.PdfReader(io.BytesIO(p)) for p in parts]
    for r in readers:
        for page in r.pages:
            writer.add_page(page)
    writer.add_metadata({k: str(v) for k, v in readers[0].metadata.items()})
    writer._root_object[NameObject("/Lang")] = readers[0].trailer["/Root"]["/Lang"]
    plain = io.BytesIO()
    writer.write(plain)
    assert T.join_pdfs(parts) == plain.getvalue()
    assert pdf_text(T.join_pdfs(parts))[0] == sum(pdf_text(p)[0] for p in parts)


def test_small_documents_share_a_typst_child_until_they_weigh_a_run(monkeypatch):
    exam = build(["occupancy-from-ki"], versions=3, templates=())
    opts = C.Options(figures="none")
    srcs = [T.source(exam, [v], sheets=True, keys=False, options=opts)[0] for v in exam.versions]
    monkeypatch.setattr(T, "SEGMENT_WEIGHT", 2 * len(srcs[0]) + 100)
    T.close()
    pids = []
    for src in srcs:
        T.compile_pdf(src, {})
        pids.append(T._typesetter.proc.pid)
    assert pids[0] == pids[1] != pids[2]  # two fit in one child's budget, the third starts afresh
    child = T._typesetter.proc
    T.close()
    assert T._typesetter is None and child.returncode == 0  # ended, not killed
