"""Loading templates: every error names the file, the line and the key, and says how to fix it;
hostile templates are refused quickly."""


import pytest
from _work import work_bounded

from psyq import bank
from psyq.errors import TemplateError
from psyq.instance import generate
from psyq.template import load_template, loads_template

GOOD = (bank.builtin_dir() / "occupancy" / "occupancy-from-ki.yaml").read_text()


def broken(old: str, new: str) -> str:
    assert old in GOOD, old
    return GOOD.replace(old, new, 1)


def line_of(text: str, fragment: str) -> int:
    return text.splitlines().index(next(line for line in text.splitlines() if fragment in line)) + 1


@pytest.mark.parametrize("old, new, key, fragment", [
    ("id: occupancy-from-ki", "id: Occupancy From Ki", "id", "lowercase"),
    ("  - occ = C/(C + Ki)", "  - occ = C/(C + Kx)", "relations[0]", "unknown name 'Kx'"),
    ("  - occ = C/(C + Ki)", "  - occ == C/(C + Ki)", "relations[0]", "one equation"),
    ("    ask: occ", "    ask: occupancy", "parts[0].ask", "not a symbol"),
    ("  ratio: {loguniform: [0.25, 30], hidden: true}", "  ratio: {loguniform: [30, 0.25], hidden: true}",
     "params.ratio.loguniform", "smaller"),
    ("  ratio: {loguniform: [0.25, 30], hidden: true}", "  ratio: {lognormal: [0.25, 30], hidden: true}",
     "params.ratio.lognormal", "unknown key"),
    # YAML 1.1 reads 3e1 (and 3.0e1) as text: the error says how to write it
    ("  ratio: {loguniform: [0.25, 30], hidden: true}", "  ratio: {loguniform: [0.25, 3.0e1], hidden: true}",
     "params.ratio.loguniform", "YAML reads '3.0e1' as text: write 3.0e+1"),
    ("    unit: \"%\"", "    unit: \"nmo\"", "parts[0].unit", "unknown unit"),
    ("        expr: \"Ki/(C + Ki)\"", "        expr: \"__import__('os').system('x')\"",
     "parts[0].misconceptions[0].expr", "not allowed"),
    ("{check: \"abs(occ - 0.5) > 0.04\"", "{check: \"abs(occ - 0.5)\"", "constraints[0]", "compare"),
    ("In a patient the free", "In a {patient} the free", "text", "{patient}"),
])
def test_errors_name_file_line_and_key(tmp_path, old, new, key, fragment):
    text = broken(old, new)
    path = tmp_path / "t.yaml"
    path.write_text(text)
    with pytest.raises(TemplateError) as info:
        load_template(path)
    err = info.value
    message = str(err)
    assert str(path) in message
    assert err.key == key, message
    assert fragment in message
    assert err.line == line_of(text, new.strip()), message


def test_missing_key_says_how_to_fix():
    text = GOOD.replace("sources:", "references:")
    with pytest.raises(TemplateError) as info:
        loads_template(text, file="x.yaml")
    assert "unknown key 'references'" in str(info.value) or "sources" in str(info.value)


def test_line_number_is_exact_for_a_bad_relation(tmp_path):
    text = broken("  - occ = C/(C + Ki)", "  - occ = C/(C + 2**Kx)")
    with pytest.raises(TemplateError) as info:
        loads_template(text, file="t.yaml")
    assert info.value.line == line_of(text, "occ = C/(C + 2**Kx)")


@pytest.mark.parametrize("text, fragment", [
    ("a: &x [1]\nb: *x\n", "anchor"),
    ("a: 1\na: 2\n", "duplicate key"),
    ("[" * 100 + "]" * 100, "nested too deeply"),
    ("id: [unclosed\n", "invalid YAML"),
    ("!!python/object/apply:os.system ['ls']\n", "invalid YAML"),
    ("just text", "mapping"),
])
def test_hostile_yaml_is_refused_quickly(text, fragment):
    # 7,593 calls measured at most; YAML with no depth or size limit would take millions
    with work_bounded(calls=100_000, what="loading hostile YAML"), \
            pytest.raises(TemplateError) as info:
        loads_template(text, file="evil.yaml")
    assert fragment in str(info.value)


def test_billion_laughs_is_refused():
    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n" for i in range(8))
    # 712 calls measured; expanding the aliases would make 9 * 4**8 = 589,824 nodes
    with work_bounded(calls=10_000, what="loading a YAML bomb"), \
            pytest.raises(TemplateError, match="anchor|alias"):
        loads_template(bomb)


def test_runaway_exponent_in_a_relation_is_refused():
    text = broken("  - occ = C/(C + Ki)", "  - occ = C^99999/(C + Ki)")
    with pytest.raises(TemplateError, match="too large"):
        loads_template(text)


def test_unsatisfiable_constraints_are_a_clear_error():
    text = broken('{check: "abs(occ - 0.5) > 0.04"', '{check: "occ > 2"')
    tpl = loads_template(text, file="t.yaml")
    with pytest.raises(TemplateError) as info:
        generate(tpl, 1)
    assert "cannot satisfy the constraints" in str(info.value)
    assert info.value.key == "constraints"


def test_a_symbol_that_nothing_determines():
    text = broken("  occ: {unit: fraction,", "  extra: {unit: nM, meaning: nothing}\n  occ: {unit: fraction,")
    with pytest.raises(TemplateError, match="neither drawn"):
        loads_template(text)


def test_the_bank_loads():
    for e in bank.entries():
        t = load_template(e.path)
        assert t.id == e.id and t.sources and t.parts


def _coupled(relations: str, symbols: str, params: str) -> str:
    return f"""
id: hostile-solve
title: t
family: test
text: "x"
symbols:
{symbols}
relations:
{relations}
params:
{params}
parts:
  - id: a
    ask: a
    prompt: a?
    misconceptions:
      - {{name: m1, expr: "C", feedback: f}}
      - {{name: m2, expr: "K", feedback: f}}
sources: [test]
"""


def test_relations_sympy_cannot_finish_are_refused_quickly():
    syms = "\n".join(f"  {n}: {{unit: fraction, meaning: {n}}}" for n in "abcdCK")
    rels = "\n".join(f"  - {r}" for r in ["C = a^3 + b^2*c + d", "K = b^3 + c^2*a + d*a",
                                          "C*K = c^3 + a*b*d + a", "C + K = d^3 + a*b*c"])
    tpl = loads_template(_coupled(rels, syms, "  C: {uniform: [1, 2]}\n  K: {uniform: [1, 2]}"))
    from psyq.solve import SOLVE_SECONDS

    # The guard is psyq's own solve budget (CPU seconds by design, psyq.solve.SOLVE_SECONDS): the
    # test asserts that it refused, and how; how long that took is the budget's business.
    with pytest.raises(TemplateError) as info:
        generate(tpl, 1)
    assert f"solving template hostile-solve took longer than {SOLVE_SECONDS:g} s" in str(info.value)
    assert info.value.key == "relations" and "simplify the relations" in str(info.value)


def test_relations_sympy_cannot_solve_are_a_clear_error():
    syms = "  a: {unit: fraction, meaning: a}\n  C: {unit: fraction, meaning: C}\n  K: {unit: fraction, meaning: K}"
    tpl = loads_template(_coupled("  - C = exp(a)*a^3 + ln(a)*a^2 + K", syms,
                                  "  C: {uniform: [1, 2]}\n  K: {uniform: [1, 2]}"))
    with pytest.raises(TemplateError, match="cannot solve"):
        generate(tpl, 1)


def test_a_mistyped_key_gets_a_suggestion():
    with pytest.raises(TemplateError) as info:
        loads_template(GOOD.replace("skill:", "skil:"), file="t.yaml")
    assert "unknown key 'skil'" in str(info.value) and "did you mean 'skill'?" in str(info.value)


def test_a_param_computed_from_a_name_not_drawn_is_a_template_error():
    """Found by fuzz_templates: a param turned into a bare `value:` (never drawn as a number) that
    another param's expression reads raised KeyError from the batch draw."""
    import re
    from pathlib import Path

    src = (Path(__file__).resolve().parents[1] / "problems/snri/snri-sert-net-ratio.yaml").read_text()
    bad = re.sub(r"  ED50_SERT: \{table: ", "  ED50_SERT: {value: ", src, count=1)
    assert bad != src
    with pytest.raises(TemplateError) as info:
        generate(loads_template(bad, "x.yaml"), 1)
    assert info.value.key == "params.sel" and "ED50_SERT" in str(info.value)
