"""Figures (matplotlib → SVG, deterministic, the key marks the answer) and math boxes (Typst, MathML,
LaTeX, text from the sympy solve chain)."""

import re
import xml.etree.ElementTree as ET

import pytest

from psyq import bank, figures
from psyq.curves import curve
from psyq.export import mathfmt as M
from psyq.instance import generate


def _svg_refs_resolve(svg: str) -> None:
    ids = set(re.findall(r'\bid="([^"]+)"', svg))
    refs = set(re.findall(r'xlink:href="#([^"]+)"', svg)) | set(re.findall(r"url\(#([^)]+)\)", svg))
    assert refs <= ids, refs - ids


@pytest.mark.parametrize("template_id", ["occupancy-from-ki", "mao-recovery", "snri-engagement"])
def test_figures_are_deterministic_and_mark_the_answer_in_the_key_only(template_id):
    inst = generate(bank.load(template_id), 4)
    c = curve(inst)
    a, b = figures.render(c), figures.render(c)
    assert a == b
    for svg in (a.sheet, a.key):
        ET.fromstring(svg.encode())  # well-formed
        _svg_refs_resolve(svg)
        assert "<text" in svg and "font-family: 'DejaVu Sans'" in svg  # text stays text
        assert "Date" not in svg and "Matplotlib v" not in svg
    marks = len(c.marks)
    assert a.key.count(f'id="{figures.MARK_ID}-dot-') == marks
    assert f'id="{figures.MARK_ID}' not in a.sheet
    assert a.marked


def test_strip_marks_removes_nested_groups_only():
    svg = ('<svg><g id="keep"><path/></g>\n  <g id="psyq-answer-dot-0">\n <g><path/></g>\n</g>\n'
           '<g id="psyq-answer-guide-1"><path/></g><g id="also"/></svg>')
    out = figures.strip_marks(svg)
    assert out == '<svg><g id="keep"><path/></g>\n<g id="also"/></svg>'


def test_parallel_and_serial_drawing_agree():
    insts = [generate(bank.load("occupancy-from-ki"), s) for s in range(1, 7)]
    curves = [curve(i) for i in insts]
    serial = figures.render_many(curves, jobs=1)
    parallel = figures._render_in_workers(curves, 2, None)
    assert serial == parallel


def test_step_boxes_come_from_the_solved_expressions():
    t = bank.load("occupancy-from-ki")
    _lhs, solved = M.step_boxes(t, "occ")
    assert M.to_text(solved) == "C/(C + K_i)"
    assert M.to_typst(solved) == 'frac(C, C + K_(upright("i")))'  # K_i, never an italic product K·i
    assert M.to_latex(solved) == r"\frac{C}{C + {K}_{\mathrm{i}}}"
    assert M.to_mathml(solved).startswith('<math xmlns="http://www.w3.org/1998/Math/MathML"><mfrac>')
    values = M.substitute(solved, {"C": "1.1 nM", "Ki": "0.13 nM"})
    assert M.to_text(values) == "(1.1\u00a0nM)/(1.1\u00a0nM + 0.13\u00a0nM)"  # no-break space before units
    assert 'upright("nM")' in M.to_typst(values)


def test_symbols_numbers_and_quantities():
    assert M.to_text(M.symbol_box("t_half")) == "t½"
    assert M.to_typst(M.symbol_box("ED50_SERT")) == 'upright("ED")_(upright("50,SERT"))'  # no comma space
    assert M.to_mathml(M.symbol_box("alpha")) == '<math xmlns="http://www.w3.org/1998/Math/MathML"><mi>α</mi></math>'
    assert M.to_typst(M.quantity_box("1.2×10⁻⁵ M")) == '1.2 times 10^(- 5) thin upright("M")'
    assert M.to_latex(M.quantity_box("87 %")) == r"87\,\text{\%}"
    assert M.quantity_box("0.8") == ("num", "0.8")
    assert M.quantity_box("not attainable") == ("text", "not attainable")
    assert M.number_box("a12") == ("text", "a12") and M.number_box("−2") == ("row", [("op", "−"), ("num", "2")])


def test_emitters_escape_their_text():
    box = ("text", 'a"b\\c<d>&{%}')
    assert M.to_typst(box) == 'upright("a\\"b\\\\c<d>&{%}")'
    assert "<mtext>a&quot;b\\c&lt;d&gt;&amp;{%}</mtext>" in M.to_mathml(box)
    assert M.to_latex(box) == r"\text{a" + '"' + r"b\textbackslash{}c<d>\&\{\%\}}"


def test_every_bank_template_typesets():
    import typst

    lines = []
    for entry in bank.entries():
        t = bank.load(entry.id)
        inst = generate(t, 2)
        for part in inst.parts:
            for step in part.steps:
                lhs, solved = M.step_boxes(t, step.unknown)
                lines.append("$ " + M.to_typst(M.row(lhs, ("op", "="), solved)) + " $")
                ET.fromstring(M.to_mathml(solved))
    src = "#set page(width: 20cm, height: auto)\n" + "\n".join(lines)
    pdf = typst.compile(src.encode(), ignore_system_fonts=True)
    assert pdf.startswith(b"%PDF")


@pytest.mark.parametrize("template_id, unknown, written", [
    # sympy writes T90*log(2)/log(-1/(Q - 1)); a teacher writes ln(1/(1 − Q))
    ("delay-autoreceptor-recovery", "t_half", "(T₉₀·ln(2))/ln(1/(1 − Q))"),
    ("mao-time-to-target", "t", "(t½·ln((1 − A₀)/(1 − X)))/ln(2)"),
    ("mao-recovery", "A", "1 − (1 − A₀)·2^(−t/t½)"),  # the sum before the power, as the relation
    ("ketamine-amount-remaining", "t_X", "(t_½,D·ln(1/X))/ln(2)"),  # no leading minus
    ("mao-moclobemide-reversible", "occ", "occ_ss/((1 − occ_ss)·2^(t/t_½,D) + occ_ss)"),  # one fraction
])
def test_solved_forms_are_written_as_a_teacher_writes_them(template_id, unknown, written):
    _lhs, solved = M.step_boxes(bank.load(template_id), unknown)
    assert M.to_text(solved) == written
    assert "−1" not in M.to_text(solved).replace(" ", "")


def test_substituted_values_keep_the_teacher_form():
    t = bank.load("delay-autoreceptor-recovery")
    _lhs, solved = M.step_boxes(t, "t_half")
    shown = M.to_text(M.substitute(solved, {"T90": "21 d", "Q": "90 %"}))
    assert shown == "(21\u00a0d·ln(2))/ln(1/(1 − 90\u00a0%))"


def test_relations_and_misconceptions_are_typeset_as_written():
    from psyq import expr as E
    from psyq import typeset

    t = bank.load("mao-time-to-target")
    lhs, rhs, _text = t.relations[0]
    box = M.row(M.node_box(lhs, typeset.table(t)), ("op", "="), M.node_box(rhs, typeset.table(t)))
    assert M.to_text(box) == "X = 1 − (1 − A₀)·2^(−t/t½)"
    node = E.parse("t_half*log2((1 - A0)/(1 - X))", symbols={"t_half", "A0", "X"})
    assert M.to_latex(M.node_box(node)) == r"{t}_{1/2} \cdot \log_{2}\left(\frac{1 - {A}_{0}}{1 - X}\right)"
