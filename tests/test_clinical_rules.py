"""The clinical audit's rules (DOMAIN.md section 10) hold in every template of the bank.

One test per rule where a test can check it; the template-format pieces the rules needed (teaching
constraints that yield to pinned givens, misconceptions met only where a part is not attainable,
gentle first hints, count units) are tested at the end.
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import pytest

from psyq import bank
from psyq.data import load_tables
from psyq.errors import InputError, TemplateError
from psyq.grading import grade
from psyq.instance import generate, generate_many
from psyq.sampling import TeachingConstraintWarning
from psyq.template import loads_template

ROOT = Path(__file__).resolve().parent.parent
IDS = [e.id for e in bank.entries()]
TEMPLATES = {i: bank.load(i) for i in IDS}


def _rows(t, p):
    """The table rows a parameter can read (a categorical parameter's choices, or its literal row)."""
    return list(t.params[p.row].choices) if p.row in t.params else [p.row]


def _shipped_texts(t):
    yield t.title
    yield t.skill
    yield t.text
    yield t.solution or ""
    yield from t.sources
    for p in t.parts:
        yield p.prompt
        yield from p.hints
        yield p.insight or ""
        yield p.explain or ""
        for m in p.misconceptions:
            yield m.feedback


# ------------------------------------------------------------------------------------------------
# 10.8 Sources shown to students cite the paper, label or book, never psyq's notes

@pytest.mark.parametrize("template_id", IDS)
def test_no_shipped_text_mentions_domain_notes(template_id):
    for text in _shipped_texts(TEMPLATES[template_id]):
        assert "DOMAIN" not in text, text


# The reference notes number their equations (E3, M5, S1, E7b); a student cannot look those up.
_NOTE_CODE = re.compile(r"(?<![A-Za-z0-9_;:])[EMS]\d{1,2}[a-z]?(?![\w-])")


@pytest.mark.parametrize("template_id", IDS)
def test_no_shipped_text_cites_the_notes_equation_codes(template_id):
    for text in _shipped_texts(TEMPLATES[template_id]):
        assert not _NOTE_CODE.search(text), text


def test_no_data_citation_mentions_domain_notes():
    tables = load_tables()
    for table, row, column in (("drugs", "sertraline", "mw"), ("drugs", "imipramine", "t_half"),
                               ("mao", "mao_a_recovery_t_half", "value")):
        assert "DOMAIN" not in tables.value(table, row, column).source
    for path in (ROOT / "problems" / "data").glob("*.yaml"):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip().startswith("cite:"):
                assert "DOMAIN" not in line, line


# ------------------------------------------------------------------------------------------------
# 10.1 Washout before an MAOI: the labelled interval is keyed, never graded as a mistake

LABEL_DAYS = {"paroxetine": 14, "sertraline": 14, "citalopram": 14, "escitalopram": 14,
              "duloxetine": 5, "venlafaxine": 7, "desvenlafaxine": 7, "fluoxetine": 35}


def test_label_intervals_in_the_data():
    tables = load_tables()
    for drug, days in LABEL_DAYS.items():
        assert tables.value("drugs", drug, "maoi_washout").value == days


def test_washout_answers_equal_the_label_intervals():
    t = TEMPLATES["washout-five-half-lives"]
    seen = set()
    for inst in generate_many(t, range(300)):
        drug = inst.choices["drug"]
        seen.add(drug)
        a = inst.part("a")
        assert a.unit == "d" and a.value == pytest.approx(LABEL_DAYS[drug])
        assert grade(a, f"{LABEL_DAYS[drug]} days").correct
        for part in inst.parts:  # the label's value is never a named mistake
            for m in part.misconceptions:
                assert not (part.unit == "d" and m.value == pytest.approx(LABEL_DAYS[drug], rel=0.01)), \
                    (drug, part.id, m.name)
    assert seen == set(LABEL_DAYS) - {"fluoxetine"}


@pytest.mark.parametrize("template_id", [i for i in IDS if TEMPLATES[i].family == "washout"])
def test_no_washout_misconception_is_a_labelled_interval(template_id):
    """A label interval (14 d after an SSRI or an MAOI, 5 weeks after fluoxetine, 1 day after
    moclobemide, 4 weeks before moclobemide) is never the value of a named misconception."""
    t = TEMPLATES[template_id]
    labels = {p.name for p in t.params.values() if p.kind == "table" and p.column == "maoi_washout"}  # the drawn drug's own label
    for part in t.parts:
        for m in part.misconceptions:
            used = set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", m.source_text))
            assert not (used <= labels | {"n"} and used & labels and len(used) == 1), (part.id, m.name)


# ------------------------------------------------------------------------------------------------
# 10.2 An ED50 carries the Omax it was fitted with; a cited dose that reaches a target is never
# keyed "not attainable"

def _reads(t, table, columns):
    return [n for n, p in t.params.items() if p.kind == "table" and p.table == table and p.column in columns]


@pytest.mark.parametrize("template_id", [i for i in IDS if _reads(TEMPLATES[i], "snri_teaching", ("ed50_sert", "ed50_net"))
                                         or _reads(TEMPLATES[i], "drugs", ("ed50_sert", "ed50_net"))])
def test_fitted_ed50s_are_used_with_omax_one(template_id):
    t = TEMPLATES[template_id]
    for inst in generate_many(t, range(200), with_solution=False):
        if "Omax" in inst.values:
            assert inst.values["Omax"] == 1.0


def test_a_pinned_omax_refits_the_ed50_through_the_anchor():
    t = TEMPLATES["snri-engagement"]
    fitted = generate(t, 5, {"drug": "venlafaxine"})
    refit = generate(t, 5, {"drug": "venlafaxine", "Omax": 0.9})
    # the model keeps its occupancy at the 75 mg/day anchor: 0.9·75/(75 + ED50') = 75/(75 + ED50)
    e, e2 = fitted.values["ED50_SERT"], refit.values["ED50_SERT"]
    assert 0.9 * 75 / (75 + e2) == pytest.approx(75 / (75 + e), rel=0.01)
    assert e2 == pytest.approx(0.9 * (75 + e) - 75, rel=0.01) and 5 < e2 < 15  # a realistic plateau: a small ED50


def test_no_duloxetine_target_up_to_85_percent_is_keyed_not_attainable():
    """Takano 2006: 40 mg or more reached 80 % SERT occupancy (86.5 % was measured)."""
    checked = 0
    for template_id, t in TEMPLATES.items():
        if not any(p.unattainable_if is not None for p in t.parts):
            continue
        if "X" not in t.symbols or "SERT" not in t.symbols["X"].meaning:
            continue
        for inst in generate_many(t, range(1000), with_solution=False):
            drug = inst.choices.get("drug", "duloxetine" if "duloxetine" in t.text else None)
            if drug != "duloxetine" or "X" not in inst.values:
                continue
            checked += 1
            for part in inst.parts:
                if part.unattainable:
                    assert inst.values["X"] > 0.85, (template_id, inst.seed, inst.values["X"])
    assert checked > 500


# ------------------------------------------------------------------------------------------------
# 10.3 Dose ceilings are label maxima

def test_label_maxima_in_the_data():
    tables = load_tables()
    assert tables.value("drugs", "duloxetine", "dose_max").value == 120
    assert tables.value("drugs", "desvenlafaxine", "dose_max").value == 50
    assert tables.value("drugs", "milnacipran", "dose_max").value == 200


@pytest.mark.parametrize("template_id", [i for i in IDS if "dose_max" in TEMPLATES[i].params])
def test_ceilings_are_label_maxima(template_id):
    t = TEMPLATES[template_id]
    p = t.params["dose_max"]
    assert p.kind == "table" and (p.column == "dose_max" or p.row == "ir_max_daily"), "a ceiling reads the label maximum"


# ------------------------------------------------------------------------------------------------
# 10.4 Paroxetine's SERT plateau is about 85 %

def test_no_paroxetine_omax_above_088():
    checked = 0
    for template_id, t in TEMPLATES.items():
        drugs = {c for p in t.params.values() if p.categorical for c in p.choices}
        if "paroxetine" not in drugs or "Omax" not in t.symbols:
            continue
        for inst in generate_many(t, range(500), with_solution=False):
            if "paroxetine" in inst.choices.values():
                checked += 1
                assert inst.values["Omax"] <= 0.88 + 1e-12, (template_id, inst.seed)
    assert checked > 100


# ------------------------------------------------------------------------------------------------
# 10.5 TCA plasma ranges are parent + metabolite: a parent's level takes the parent share

COMBINED = {"amitriptyline", "imipramine", "clomipramine"}


@pytest.mark.parametrize("template_id", IDS)
def test_parent_levels_do_not_use_combined_ranges(template_id):
    t = TEMPLATES[template_id]
    for name, p in t.params.items():
        if p.kind == "table" and p.column in ("ther_low", "ther_high"):
            assert not COMBINED & set(_rows(t, p)), (name, "a parent + metabolite range used as the parent's level")


def test_imipramine_unbound_fraction_is_borga():
    assert load_tables().value("drugs", "imipramine", "fu").value == 0.042
    inst = generate(TEMPLATES["tca-side-effect-chain"], 1, {"drug": "imipramine"})
    assert inst.values["fu"] == 0.042


def test_parent_share_of_the_combined_range():
    tables = load_tables()
    for drug in COMBINED:
        lo, hi = tables.value("drugs", drug, "ther_low").value, tables.value("drugs", drug, "ther_high").value
        assert tables.value("drugs", drug, "ther_low_parent").value == pytest.approx(0.4 * lo)
        assert tables.value("drugs", drug, "ther_high_parent").value == pytest.approx(0.6 * hi)


# ------------------------------------------------------------------------------------------------
# 10.6 One laboratory per problem; one venlafaxine NET/SERT ratio across the bank (Bymaster, 30)

@pytest.mark.parametrize("template_id", IDS)
def test_venlafaxine_affinities_come_from_one_laboratory(template_id):
    t = TEMPLATES[template_id]
    for name, p in t.params.items():
        if p.kind == "table" and p.table == "drugs" and p.column in ("ki_sert", "ki_net") \
                and "venlafaxine" in _rows(t, p):
            pytest.fail(f"{name} reads Tatsumi's venlafaxine {p.column}; the bank uses Bymaster 2001")
        if p.kind == "table" and p.row == "desvenlafaxine" and p.column.startswith("ki_") \
                and any(q.kind == "table" and "venlafaxine" in _rows(t, q) and q.column.startswith("ki_")
                        for q in t.params.values()):
            pytest.fail("Deecher's ODV Ki combined with another laboratory's venlafaxine Ki")


def test_one_venlafaxine_ratio():
    tables = load_tables()
    bymaster = (tables.value("drugs", "venlafaxine", "ki_net_bymaster").value
                / tables.value("drugs", "venlafaxine", "ki_sert_bymaster").value)
    teaching = (tables.value("snri_teaching", "venlafaxine", "ed50_net").value
                / tables.value("snri_teaching", "venlafaxine", "ed50_sert").value)
    assert round(bymaster) == round(teaching) == 30
    inst = generate(TEMPLATES["selectivity-vs-occupancy-ratio"], 1, {"drug": "venlafaxine"})
    assert inst.part("a").value == pytest.approx(bymaster, rel=0.01)


# ------------------------------------------------------------------------------------------------
# 10.7 Paroxetine as dispensed is the hydrochloride hemihydrate

def test_dispensed_paroxetine_salt():
    assert load_tables().value("drugs", "paroxetine", "mw_salt").value == 374.84
    inst = generate(TEMPLATES["concentration-ngml-to-nm"], 1, {"drug": "paroxetine"})
    assert inst.values["MW_salt"] == 374.84


# ------------------------------------------------------------------------------------------------
# Other findings of the audit

@pytest.mark.parametrize("template_id", IDS)
def test_no_gut_mao_rationale_and_no_fold_dot_renderings(template_id):
    t = TEMPLATES[template_id]
    for text in _shipped_texts(t):
        assert not re.search(r"gut MAO-A turns over", text), text
    for inst in generate_many(t, (1, 2, 3)):
        assert not re.search(r"\bfold\s*·", inst.solution or ""), inst.solution
        assert not re.search(r"\bfold\s*·", inst.text), inst.text


def test_mao_recovery_prose_solution_has_numbers():
    inst = generate(TEMPLATES["mao-recovery"], 1)
    prose = TEMPLATES["mao-recovery"].solution
    assert "{A}" in prose and "{t.value}" in prose
    assert inst.part("a").display[:4] in inst.solution and "{" not in inst.solution


@pytest.mark.parametrize("template_id", IDS)
def test_counts_and_coefficients_have_meaningful_units(template_id):
    t = TEMPLATES[template_id]
    for name, s in t.symbols.items():
        if re.search(r"number of patients|number needed", s.meaning):
            assert s.unit == "patients", name
        if re.search(r"expected .*seizures|extra seizures", s.meaning):
            assert s.unit == "seizures", name
        if re.search(r"Hill coefficient|number of half-lives", s.meaning):
            assert s.unit == "1", name
        if s.unit == "fraction":
            assert not re.search(r"number|count|coefficient", s.meaning), name


def test_count_units_display_and_grade():
    inst = generate(TEMPLATES["bupropion-seizure-risk"], 1)
    assert inst.part("a").unit == "seizures" and inst.part("a").display.endswith(" seizures")
    assert grade(inst.part("a"), f"{inst.part('a').value}").correct
    assert "patients patients" not in inst.text


# ------------------------------------------------------------------------------------------------
# Teaching constraints: pinned givens win, with a warning; limits still refuse

def test_pinned_givens_that_break_a_teaching_constraint_warn_and_generate():
    t = TEMPLATES["mao-recovery"]
    with pytest.warns(TeachingConstraintWarning, match="linear_recovery"):
        inst = generate(t, 1, {"t": 14, "t_half": 14})
    assert inst.values["t"] == 14 and inst.values["t_half"] == 14
    assert inst.part("a").value == pytest.approx(100 * (1 - (1 - inst.values["A0"]) / 2))
    with warnings.catch_warnings():  # the same instance every time, alone or in a batch
        warnings.simplefilter("ignore", TeachingConstraintWarning)
        assert generate(t, 1, {"t": 14, "t_half": 14}).to_json() == inst.to_json()
        batch = generate_many(t, [1, 2, 3], {"t": 14, "t_half": 14})
    assert batch[0].to_json() == inst.to_json()


def test_pinned_givens_that_meet_the_teaching_constraints_do_not_warn():
    with warnings.catch_warnings():
        warnings.simplefilter("error", TeachingConstraintWarning)
        generate(TEMPLATES["mao-recovery"], 1, {"t": 28, "t_half": 14})


def test_physical_limits_and_plain_constraints_still_refuse_pinned_givens():
    t = TEMPLATES["mao-recovery"]
    with pytest.raises(InputError, match="above its maximum"):
        generate(t, 1, {"A0": 1.5})
    with pytest.raises(TemplateError, match="cannot satisfy"):
        generate(TEMPLATES["snri-engagement"], 1, {"dose": 10, "drug": "duloxetine"})  # dose >= 20 is a limit


def test_the_rare_collisions_of_the_audit_are_teaching_constraints():
    marks = {tid: {n for names in TEMPLATES[tid].teaching.values() for n in names}
             for tid in ("occupancy-from-ki", "mao-recovery", "tca-vs-ssri-anticholinergic")}
    assert "inverted_ratio" in marks["occupancy-from-ki"]
    assert "inhibited_fraction" in marks["mao-recovery"]
    assert "tca_concentration" in marks["tca-vs-ssri-anticholinergic"]
    # C = 1.618·Ki is where Ki/C equals the answer: pinned there, psyq warns and generates
    with pytest.warns(TeachingConstraintWarning, match="inverted_ratio"):
        inst = generate(TEMPLATES["occupancy-from-ki"], 1, {"drug": "sertraline", "Ki": 0.29, "C": 0.469})
    inverted = next(m for m in inst.part("a").misconceptions if m.name == "inverted_ratio")
    assert inverted.value == pytest.approx(inst.part("a").value, rel=0.01)


TEACHING_TEMPLATE = """
id: teaching-demo
title: demo
family: occupancy
text: C = {C}, Ki = {Ki}.
symbols:
  Ki: {unit: nM, meaning: inhibition constant, min: 0}
  C: {unit: nM, meaning: free concentration, min: 0}
  occ: {unit: fraction, meaning: occupancy, min: 0, max: 1, display_unit: "%"}
relations:
  - occ = C/(C + Ki)
params:
  Ki: {value: 1}
  C: {loguniform: [0.2, 5], sigfigs: 2}
constraints:
  - CONSTRAINT
parts:
  - id: a
    ask: occ
    prompt: occupancy?
    unit: "%"
    misconceptions:
      - {name: unoccupied, expr: "Ki/(C + Ki)", feedback: "unoccupied"}
      - {name: linear_ratio, expr: "C/Ki", feedback: "ratio"}
sources: ["Tatsumi 1997"]
"""


def test_teaching_constraints_in_the_format():
    t = loads_template(TEACHING_TEMPLATE.replace(
        "CONSTRAINT", '{check: "abs(occ - 0.5) > 0.03", teaching: [unoccupied]}'))
    assert t.teaching == {"abs(occ - 0.5) > 0.03": ("unoccupied",)}
    assert [text for _, text in t.constraints] == ["abs(occ - 0.5) > 0.03"]
    with pytest.raises(TemplateError, match="no misconception"):
        loads_template(TEACHING_TEMPLATE.replace("CONSTRAINT", '{check: "C > 0", teaching: [typo]}'))
    with pytest.raises(TemplateError, match="teaching constraint"):
        loads_template(TEACHING_TEMPLATE.replace("CONSTRAINT", '{check: "C > 0"}'))


def test_schema_knows_teaching_constraints_and_unattainable_misconceptions():
    import json

    import yaml

    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads((ROOT / "psyq" / "schemas" / "template.schema.json").read_text(encoding="utf-8"))
    validator = jsonschema.Draft202012Validator(schema)
    data = yaml.safe_load(TEACHING_TEMPLATE.replace(
        "CONSTRAINT", '{check: "abs(occ - 0.5) > 0.03", teaching: [unoccupied]}'))
    assert not list(validator.iter_errors(data))
    data["constraints"] = [{"check": "C > 0", "teaching": []}]
    assert list(validator.iter_errors(data))
    data["constraints"] = []
    data["parts"][0]["misconceptions"][0]["when"] = "sometimes"
    assert list(validator.iter_errors(data))


# ------------------------------------------------------------------------------------------------
# "Computed the dose but ignored the plateau or ceiling": a named mistake where not attainable

@pytest.mark.parametrize("template_id", [i for i in IDS if any(p.unattainable_if is not None for p in TEMPLATES[i].parts)])
def test_every_not_attainable_part_names_the_ignored_ceiling(template_id):
    t = TEMPLATES[template_id]
    for part in t.parts:
        if part.unattainable_if is not None:
            assert any(m.unattainable for m in part.misconceptions), part.id
    for inst in generate_many(t, range(300)):
        for part in inst.parts:
            if not part.unattainable:
                continue
            m = next(m for m in part.misconceptions if m.name == "ignored_ceiling")
            if m.value is None or m.value <= 0:
                continue
            v = grade(part, repr(m.value))
            assert not v.correct and "MISC:ignored_ceiling" in v.notes and "not attainable" in v.feedback
            return
    pytest.fail("no unattainable instance with a positive computed dose")


def test_an_attainable_answer_is_never_matched_to_the_ceiling_mistake():
    t = TEMPLATES["ssri-pet-dose-for-target"]
    inst = next(i for i in generate_many(t, range(50)) if not i.parts[0].unattainable)
    v = grade(inst.parts[0], repr(inst.parts[0].value))
    assert v.correct and not any("ignored_ceiling" in n for n in v.notes)


# ------------------------------------------------------------------------------------------------
# Hints go from gentle to explicit

def test_lint_flags_a_first_hint_that_states_the_solved_relation():
    from psyq.lint import lint_template

    base = TEACHING_TEMPLATE.replace("CONSTRAINT", '{check: "abs(occ - 0.5) > 0.03", teaching: [unoccupied]}')
    blunt = loads_template(base.replace('    unit: "%"\n', '    unit: "%"\n    hints: ["occ = C/(C + Ki)."]\n'))
    findings = [f for f in lint_template(blunt, seeds=50) if "hints" in f.check]
    assert findings and "C/(C + Ki)" in findings[0].message
    gentle = loads_template(base.replace('    unit: "%"\n', '    unit: "%"\n    hints: ["Compare C with Ki.", "occ = C/(C + Ki)."]\n'))
    assert not [f for f in lint_template(gentle, seeds=50) if "hints" in f.check]
