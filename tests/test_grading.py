"""Grading typed answers against real instances, as a careful instructor would."""

import pytest

from psyq import bank
from psyq.grading import grade, within
from psyq.instance import generate


@pytest.fixture(scope="module")
def occ():
    # Pinned givens make the expected values exact: occ = 1.16/(1.16 + 0.29) = 0.8 exactly.
    return generate(bank.load("occupancy-from-ki"), 1, {"drug": "sertraline", "Ki": 0.29, "C": 1.16}).part("a")


def test_pinned_instance_answer(occ):
    assert occ.value == pytest.approx(80.0)
    assert occ.unit == "%"
    assert (occ.low, occ.high) == pytest.approx((79.2, 80.8))


@pytest.mark.parametrize("text", ["80", "80 %", "80%", "80.0 %", "0.8 fraction", "79.3", "80.7 %", "4/5 fraction",
                                  "80,0"])
def test_correct_forms(occ, text):
    v = grade(occ, text)
    assert v.status == "correct", v.feedback
    assert "ACC_OK" in v.notes


def test_bare_number_is_read_in_the_parts_unit(occ):
    assert "UNITS_BARE" in grade(occ, "80").notes
    assert "UNITS_CONVERTED" in grade(occ, "0.8 fraction").notes


def test_fraction_for_percent_slip_is_explained(occ):
    v = grade(occ, "0.8")
    assert v.status == "incorrect"
    assert "SLIP:fraction_for_percent" in v.notes
    assert "asked in %" in v.feedback


def test_misconception_gets_its_feedback(occ):
    v = grade(occ, "20 %")
    assert v.status == "incorrect" and v.misconception == "unoccupied"
    assert "MISC:unoccupied" in v.notes
    assert "unoccupied fraction" in v.feedback


def test_wrong_dimension_is_an_explained_error(occ):
    v = grade(occ, "1.16 nM")
    assert v.status == "invalid"
    assert v.notes == ["UNITS_INCOMPATIBLE"]
    assert "amount concentration" in v.feedback and "%" in v.feedback


def test_outside_tolerance(occ):
    v = grade(occ, "81 %")
    assert v.status == "incorrect" and v.notes[-1] == "ACC_OUTSIDE"
    assert v.interval_text() == "[79.20, 80.80] %"


def test_unreadable_answers_are_invalid_not_errors(occ):
    for text in ["__import__('os')", "9**9**9", "", "80 %%", "\x00"]:
        v = grade(occ, text)
        assert v.status == "invalid", text
        assert v.feedback


def test_concentration_units_convert():
    t = bank.load("occupancy-from-ki")
    # Ask for C instead: a template given occ would be a different template, so check the
    # converter through a concentration-valued part built from the same relation.
    from psyq.template import loads_template

    text = (bank.builtin_dir() / "occupancy" / "occupancy-from-ki.yaml").read_text()
    del t
    inverse = text.replace("id: occupancy-from-ki", "id: occ-inverse-test")
    inverse = inverse.replace("  C: {expr: \"ratio*Ki\", sigfigs: 2}", "  occ: {uniform: [0.6, 0.9], decimals: 2}")
    inverse = inverse.replace("ask: occ", "ask: C").replace('unit: "%"\n    sigfigs: 3', "unit: nM\n    sigfigs: 3")
    inverse = inverse.split("constraints:\n")[0] + "parts:" + inverse.split("\nparts:", 1)[1]  # no constraints
    tpl = loads_template(inverse)
    part = generate(tpl, 3, {"drug": "sertraline", "occ": 0.8}).part("a")
    assert part.value == pytest.approx(1.16)
    for text in ["1.16 nM", "1.16", "0.00116 µM", "0.00116 uM", "1.16e-9 M", "1.16 nmol/L", "1160 pM"]:
        assert grade(part, text).correct, text
    slip = grade(part, "0.00116")
    assert slip.status == "incorrect" and any(n.startswith("SLIP:unit:") or n == "SLIP:x1000" for n in slip.notes)
    assert "µM" in slip.feedback or "1000" in slip.feedback
    x1000 = grade(part, "1160 nM")
    assert "SLIP:x1000" in x1000.notes


def test_molar_mass_conversion_when_the_instance_has_one():
    from psyq.template import loads_template

    tpl = loads_template("""
id: conc-test
title: t
family: test
text: "A drug with MW {MW} is at {C_ng}."
symbols:
  MW: {unit: g/mol, meaning: molar mass}
  C_ng: {unit: ng/mL, meaning: total concentration}
  C: {unit: nM, meaning: molar concentration}
relations:
  - C = C_ng*1000/MW
params:
  MW: {value: 306.23}
  C_ng: {value: 100, sigfigs: 3}
molar_mass: MW
parts:
  - id: a
    ask: C
    prompt: Concentration?
    misconceptions:
      - {name: no_conversion, expr: "C_ng", feedback: "convert with 1000/MW"}
      - {name: salt, expr: "C_ng*1000/342.69", feedback: "base"}
sources: [test]
""")
    part = generate(tpl, 1).part("a")
    assert part.value == pytest.approx(326.55, rel=1e-4)
    assert grade(part, "100 ng/mL").correct
    assert grade(part, "0.1 µg/mL").correct
    assert grade(part, "100").misconception == "no_conversion"


def test_within_is_the_contract_formula():
    assert within(1.01, 1.0, 0.01, 0.0)
    assert not within(1.0101, 1.0, 0.01, 0.0)
    assert within(0.0, 0.0, 0.01, 0.0)
    assert within(0.05, 0.0, 0.0, 0.05)


def test_unattainable_parts():
    from psyq.template import loads_template

    tpl = loads_template("""
id: threshold-test
title: t
family: test
text: "Omax {Omax}, ED50 {ED50}, target {X}."
symbols:
  Omax: {unit: fraction, meaning: max}
  ED50: {unit: mg/day, meaning: ed50}
  X: {unit: fraction, meaning: target}
  dose: {unit: mg/day, meaning: dose}
relations:
  - X = Omax*dose/(dose + ED50)
params:
  Omax: {value: 0.6}
  ED50: {value: 100}
  X: {choice: [0.3, 0.7]}
parts:
  - id: a
    ask: dose
    prompt: Dose?
    unattainable_if: "X >= Omax"
    misconceptions:
      - {name: a, expr: "ED50*X", feedback: "f"}
      - {name: b, expr: "ED50", feedback: "g"}
sources: [test]
""")
    reachable = generate(tpl, 1, {"X": 0.3}).part("a")
    assert reachable.value == pytest.approx(100.0)
    assert grade(reachable, "100 mg/day").correct
    assert grade(reachable, "not attainable").notes == ["ATTAINABLE"]
    unreachable = generate(tpl, 1, {"X": 0.7}).part("a")
    assert unreachable.unattainable and unreachable.display == "not attainable"
    assert grade(unreachable, "not attainable").correct
    assert grade(unreachable, "impossible").correct
    assert grade(unreachable, "350").notes == ["UNATTAINABLE_EXPECTED"]


def _with_rule(rule_line: str):
    from psyq.template import loads_template

    text = (bank.builtin_dir() / "occupancy" / "occupancy-from-ki.yaml").read_text()
    tpl = loads_template(text.replace("    tolerance: {rtol: 0.01}\n", f"    rule: {rule_line}\n", 1))
    return generate(tpl, 1, {"drug": "sertraline", "C": 1.16}).part("a")


def test_significant_figure_rule_on_a_template_part():
    part = _with_rule("{sigfigs: 3}")
    assert (part.low, part.high) == pytest.approx((79.95, 80.05))
    assert grade(part, "80.0 %").correct
    assert grade(part, "0.800 fraction").correct  # digits counted as written, in the unit written
    wrong_digits = grade(part, "80.04 %")
    assert not wrong_digits.correct and "SF_WRONG_DIGITS" in wrong_digits.notes
    inaccurate = grade(part, "80.1 %")
    assert not inaccurate.correct and "SF_INACCURATE" in inaccurate.notes
    assert grade(part, "ln(2)*100").notes == ["UNITS_BARE", "INVALID_FORM"]


def test_strict_significant_figures_need_the_value_too():
    part = _with_rule("{strict_sigfigs: 3}")
    assert grade(part, "80.0 %").correct
    assert not grade(part, "80.1 %").correct
    assert not grade(part, "80 %").correct


def test_relative_rule_sets_the_tolerance():
    part = _with_rule("{relative: 0.05}")
    assert (part.low, part.high) == pytest.approx((76.0, 84.0))
    assert grade(part, "83.9 %").correct and not grade(part, "84.1 %").correct


def _part_with_value(value, unit="mg/day"):
    import copy

    p = copy.deepcopy(generate(bank.load("occupancy-from-ki"), 1, {"drug": "sertraline", "Ki": 0.29, "C": 1.16}).part("a"))
    p.value, p.unit, p.misconceptions = value, unit, []
    p.regrade(rtol=0.01, atol=0.0)
    return p


@pytest.mark.parametrize("answer", ["1.234", "1.234 mg/day", "1.235"])
def test_a_point_that_may_be_a_thousands_separator_is_pointed_out(answer):
    v = grade(_part_with_value(1234.0), answer)
    assert v.status == "incorrect"
    assert v.notes[-1] == "SLIP:thousands_point"
    assert "if you meant 123" in v.feedback and "without a separator" in v.feedback


@pytest.mark.parametrize("value,answer", [
    (125.0, "0.125"),      # integer part 0: never a thousands separator
    (1.234, "1.234"),      # right as read: no warning
    (1234.0, "1.2340"),    # four decimals
    (1234.0, "1.23"),      # two decimals
    (12340.0, "1.234"),    # x1000 is not near the expected value
    (1234.0, "1234.567"),  # four digits before the point
])
def test_no_thousands_warning_on_normal_answers(value, answer):
    v = grade(_part_with_value(value), answer)
    assert "SLIP:thousands_point" not in v.notes
