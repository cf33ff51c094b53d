"""The one symbol table for typesetting (psyq.typeset): the default spelling of a name, a
template's declared spelling, symbols in prose, and numbers kept with their units — and that PDF,
HTML, Markdown/Moodle (LaTeX), plain-text LMS fields and the terminal all write a symbol the
same way."""

import pytest

from psyq import bank
from psyq import typeset as T
from psyq.errors import PsyqError
from psyq.export import mathfmt as M
from psyq.template import loads_template


def spelled(name, others=()):
    s = T.derive(name, others)
    return (s.base.text, s.base.italic, tuple((p.text, p.italic) for p in s.subs))


@pytest.mark.parametrize("name, expected", [
    ("Ki", ("K", True, (("i", False),))),
    ("Kd", ("K", True, (("d", False),))),
    ("Kd_M", ("K", True, (("d", False), ("M", False)))),
    ("Omax", ("O", True, (("max", False),))),
    ("ED50_SERT", ("ED", False, (("50", False), ("SERT", False)))),
    ("IC50", ("IC", False, (("50", False),))),
    ("t_half", ("t", True, (("½", False),))),
    ("t_half_A", ("t", True, (("½", False), ("A", False)))),
    ("occ", ("occ", False, ())),  # a word is upright, never an italic product o·c·c
    ("dose", ("dose", False, ())),
    ("occ_SERT", ("occ", False, (("SERT", False),))),
    ("A0", ("A", True, (("0", False),))),
    ("T90", ("T", True, (("90", False),))),
    ("fu", ("f", True, (("u", False),))),
    ("nH", ("n", True, (("H", False),))),
    ("MW", ("MW", False, ())),
    ("C", ("C", True, ())),
    ("alpha", ("α", True, ())),
])
def test_default_spelling_follows_pharmacology_notation(name, expected):
    assert spelled(name) == expected


def test_a_subscript_naming_another_one_letter_symbol_stays_italic():
    assert spelled("t_X", {"X", "t_X"}) == ("t", True, (("X", True),))
    assert spelled("t_X") == ("t", True, (("X", False),))


def test_plain_text_spelling():
    assert [T.derive(n).text() for n in ("Ki", "Omax", "ED50_SERT", "t_half", "A0", "IC50", "occ")] == \
        ["K_i", "O_max", "ED_50,SERT", "t½", "A₀", "IC₅₀", "occ"]


def test_every_format_writes_a_symbol_the_same_way():
    box = M.symbol_box("Ki")
    assert M.to_typst(box) == 'K_(upright("i"))'
    assert M.to_latex(box) == r"{K}_{\mathrm{i}}"
    assert "<msub><mrow><mi>K</mi></mrow><mrow><mi mathvariant=\"normal\">i</mi></mrow></msub>" in M.to_mathml(box)
    assert M.to_text(box) == T.text("Ki") == "K_i"
    assert M.to_typst(M.symbol_box("occ")) == 'upright("occ")'
    assert M.to_latex(M.symbol_box("t_half")) == r"{t}_{1/2}"
    assert M.to_text(M.symbol_box("A0")) == T.text("A0") == "A₀"


TEMPLATE = """
id: typeset-declared
title: Declared spellings
family: test
text: "The unbound fraction fu_M = {fu_M}, and Ki = {Ki}; the dose is {dose}."
symbols:
  fu_M: {unit: fraction, meaning: unbound fraction of the metabolite, typeset: "f_u,M"}
  Ki: {unit: nM, meaning: inhibition constant}
  dose: {unit: mg, meaning: dose, typeset: "D"}
  occ: {unit: fraction, meaning: occupancy}
relations:
  - occ = fu_M*dose/(fu_M*dose + Ki)
params:
  fu_M: {value: 0.5}
  Ki: {value: 2}
  dose: {value: 10}
parts:
  - {id: a, ask: occ, prompt: "What is occ?"}
sources: ["test"]
"""


def test_a_template_may_declare_a_spelling():
    t = loads_template(TEMPLATE, "typeset-declared.yaml")
    table = T.table(t)
    assert table["fu_M"].text() == "f_u,M" and table["dose"].text() == "D" and table["Ki"].text() == "K_i"
    assert M.to_typst(M.symbol_box("dose", table)) == "D"


def test_a_malformed_declared_spelling_is_a_template_error():
    bad = TEMPLATE.replace('typeset: "D"', 'typeset: "#set page(x)"')
    with pytest.raises(PsyqError) as err:
        loads_template(bad, "bad.yaml")
    assert "typeset" in str(err.value) and "bad.yaml" in str(err.value.where or "") + str(err.value)


def test_symbols_in_prose_are_recognised_without_catching_words():
    table = {n: T.derive(n) for n in ("Ki", "C", "dose", "IC50", "A")}
    pieces = T.prose("A patient: Ki = 0.13 nM, C = 1 nM, the dose was high; IC50 over Ki.", table)
    names = [p.name for p in pieces if not isinstance(p, str)]
    assert names == ["Ki", "C", "IC50", "Ki"]  # 'A patient' and 'the dose' stay words
    assert T.prose_text("dose = 3 and a dose", table) == "dose = 3 and a dose"


def test_numbers_keep_their_units():
    nb = "\u00a0"
    assert T.keep_units("occupancy 93.6 % at 0.13 nM over 14 d") == f"occupancy 93.6{nb}% at 0.13{nb}nM over 14{nb}d"
    assert T.keep_units("3 patients, 2 of them, 1 − X") == "3 patients, 2 of them, 1 − X"


def test_every_bank_symbol_has_a_spelling_without_an_italic_product():
    for entry in bank.entries():
        t = bank.load(entry.id)
        for name, s in T.table(t).items():
            # a base longer than one letter is never italic (K·i, O·m·a·x)
            assert not (s.base.italic and len(s.base.text) > 1), (t.id, name)


def test_lms_stems_use_the_symbol_table_and_keep_units():
    from psyq import exam as X
    from psyq.export import common as C
    from psyq.export import moodle, qti21

    exam = X.build(X.spec_from_items(["occupancy-from-ki"], (), "Quiz", None), versions=1, seed=1)
    lp = next(C.lms_parts(exam))
    html = moodle.question_html(lp)
    assert r"\({K}_{\mathrm{i}}\) = 0.13" in html.replace("\u00a0", " ")  # MathJax K_i in the stem
    assert "0.13\u00a0nM" in html
    v = exam.versions[0]
    text = qti21.item_xml(exam, v, v.problems[0], [lp]).decode()
    assert "K_i = 0.13\u00a0nM" in text  # plain text: the same spelling as the terminal
    assert "K_i" in lp.alternatives[0].feedback and "Ki/" not in lp.alternatives[0].feedback
