"""The drug and constant tables: values sourced and tagged, numbers as DOMAIN.md, errors point."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from psyq.data import DRUG_CLASSES, TAGS, DataValue, data_dir, load_tables
from psyq.errors import TemplateError


@pytest.fixture(scope="module")
def tables():
    return load_tables()


ALL = list(load_tables().values())


# ------------------------------------------------------------------------------------------------
# Every value

@pytest.mark.parametrize("address,dv", ALL, ids=[a for a, _ in ALL])
def test_every_value_is_sourced_tagged_and_positive(address, dv: DataValue, tables):
    assert dv.tag in TAGS
    assert dv.source_id in tables.sources
    assert dv.source == tables.sources[dv.source_id].cite and dv.source.strip()
    assert dv.value > 0
    assert dv.unit
    if dv.low is not None:
        assert dv.low >= 0
    if dv.low is not None and dv.high is not None:
        assert dv.low <= dv.high
        if dv.bound is None:
            assert dv.low <= dv.value <= dv.high


def test_units_parse_with_psyq_units():
    from psyq import units

    for address, dv in ALL:
        units.unit(dv.unit)  # raises on unknown unit text


def test_unbound_fractions_are_fractions(tables):
    fus = [(d, c, dv) for d in tables.drug_names() for c, dv in tables.drug(d).items()
           if c == "fu" or c.startswith("fu_")]
    assert len(fus) >= 20
    for d, c, dv in fus:
        assert 0 < dv.value <= 1, (d, c)
        assert dv.unit == "fraction"


def test_drugs_have_classes_and_display_names(tables):
    for d in tables.drug_names():
        info = tables.drug_info(d)
        assert info.drug_class in DRUG_CLASSES
        assert tables.display_name(d)
        if info.parent:
            assert info.parent in tables.drug_names()


def test_required_drugs_present(tables):
    wanted = """amitriptyline nortriptyline imipramine desipramine clomipramine doxepin fluoxetine
        norfluoxetine sertraline paroxetine citalopram escitalopram venlafaxine desvenlafaxine
        duloxetine milnacipran levomilnacipran bupropion hydroxybupropion phenelzine
        tranylcypromine moclobemide selegiline ketamine fluvoxamine trazodone atomoxetine""".split()
    assert set(wanted) <= set(tables.drug_names())


# ------------------------------------------------------------------------------------------------
# Numbers as DOMAIN.md gives them

MW = {
    "amitriptyline": 277.41, "nortriptyline": 263.38, "imipramine": 280.41, "desipramine": 266.39,
    "clomipramine": 314.86, "desmethylclomipramine": 300.83, "doxepin": 279.38,
    "fluoxetine": 309.33, "norfluoxetine": 295.30, "sertraline": 306.23, "paroxetine": 329.37,
    "citalopram": 324.40, "escitalopram": 324.40, "venlafaxine": 277.41, "desvenlafaxine": 263.38,
    "duloxetine": 297.42, "milnacipran": 246.35, "levomilnacipran": 246.35, "bupropion": 239.74,
    "hydroxybupropion": 255.74, "phenelzine": 136.20, "tranylcypromine": 133.19,
    "moclobemide": 268.74, "selegiline": 187.29, "ketamine": 237.73,
}

SALT_MW = {
    "amitriptyline": 313.87, "nortriptyline": 299.84, "imipramine": 316.87, "desipramine": 302.85,
    "clomipramine": 351.32, "fluoxetine": 345.79, "sertraline": 342.69, "paroxetine": 374.84,  # hydrochloride hemihydrate as dispensed (DOMAIN 10.7)
    "citalopram": 405.31, "escitalopram": 414.43, "venlafaxine": 313.87, "desvenlafaxine": 399.48,
    "duloxetine": 333.88, "milnacipran": 282.81, "levomilnacipran": 282.81, "bupropion": 276.20,
    "phenelzine": 234.27, "tranylcypromine": 364.45, "ketamine": 274.19,
}


@pytest.mark.parametrize("drug,mw", sorted(MW.items()))
def test_molar_masses_match_domain(tables, drug, mw):
    dv = tables.value("drugs", drug, "mw")
    assert dv.value == mw and dv.unit == "g/mol"


@pytest.mark.parametrize("drug,mw", sorted(SALT_MW.items()))
def test_salt_molar_masses_match_domain(tables, drug, mw):
    assert tables.value("drugs", drug, "mw_salt").value == mw
    assert tables.drug_info(drug).salt


def test_molar_masses_agree_with_formulas():
    import re

    weights = {"C": 12.011, "H": 1.008, "N": 14.007, "O": 15.999, "F": 18.998, "Cl": 35.45,
               "S": 32.06}

    formulas = {"sertraline": "C17H17Cl2N", "venlafaxine": "C17H27NO2",
                "desvenlafaxine": "C16H25NO2", "duloxetine": "C18H19NOS",
                "fluoxetine": "C17H18F3NO", "bupropion": "C13H18ClNO"}
    t = load_tables()
    for drug, f in formulas.items():
        mw = sum(weights[el] * int(n or 1) for el, n in re.findall(r"([A-Z][a-z]?)(\d*)", f))
        assert abs(mw - t.value("drugs", drug, "mw").value) < 0.006, drug


SPOT = [
    ("drugs", "sertraline", "ki_sert", 0.29, "V"),
    ("drugs", "sertraline", "ki_dat", 25, "V"),
    ("drugs", "duloxetine", "ki_net", 7.5, "V"),
    ("drugs", "venlafaxine", "ki_sert", 8.9, "V"),
    ("drugs", "venlafaxine", "ki_sert_bymaster", 82, "V"),
    ("drugs", "venlafaxine", "ki_net_bymaster", 2480, "V"),
    ("drugs", "desvenlafaxine", "ki_sert", 40.2, "V"),
    ("drugs", "levomilnacipran", "ic50_net_uptake", 10.5, "V"),
    ("drugs", "milnacipran", "ed50_sert", 122.5, "V"),
    ("drugs", "milnacipran", "ed50_net", 149.9, "V"),
    ("drugs", "nortriptyline", "ec50_net", 79.8, "V"),
    ("drugs", "nortriptyline", "ed50_net", 65.9, "V"),
    ("drugs", "duloxetine", "ec50_sert", 3.7, "V"),
    ("drugs", "amitriptyline", "kd_musc", 18, "V"),
    ("drugs", "doxepin", "kd_h1", 0.24, "V"),
    ("drugs", "amitriptyline", "kd_h1", 1.1, "M"),
    ("drugs", "desvenlafaxine", "fu", 0.70, "V"),
    ("drugs", "citalopram", "fu", 0.20, "V"),
    ("drugs", "desipramine", "fu", 0.095, "V"),
    ("drugs", "ketamine", "fu", 0.53, "V"),
    ("drugs", "escitalopram", "ki_net", 7841, "M"),
    ("drugs", "phenelzine", "t_half", 11.6, "M"),
    ("drugs", "venlafaxine", "dose_max", 375, "V"),
    ("mao", "mao_a_recovery_t_half", "value", 14, "D"),
    ("mao", "mao_b_recovery_t_half", "value", 40, "M"),
    ("mao", "rat_brain_recovery_t_half", "value", 10, "V"),
    ("mao", "rat_gut_mucosa_recovery_t_half", "value", 0.5, "V"),
    ("mao", "moclobemide_occupancy", "value", 0.74, "V"),
    ("snri_teaching", "duloxetine", "ed50_net", 71.1, "D"),
    ("snri_teaching", "venlafaxine", "ed50_sert", 18.75, "D"),
    ("snri_teaching", "venlafaxine", "ed50_net", 562.5, "D"),
    ("snri_teaching", "desvenlafaxine", "ed50_sert", 14.4, "V"),
    ("occupancy_targets", "sert", "value", 0.80, "V"),
    ("occupancy_targets", "net", "value", 0.50, "V"),
    ("washout", "maoi_to_ssri", "value", 14, "V"),
    ("washout", "fluoxetine_to_maoi", "value", 5, "V"),
    ("tyramine", "dose_ratio_tranylcypromine", "value", 55, "V"),
    ("tyramine", "dose_ratio_phenelzine", "value", 13, "V"),
    ("bupropion_seizure", "sr_up_to_300", "value", 0.001, "V"),
    ("bupropion_seizure", "ir_300_to_450", "value", 0.004, "V"),
    ("ketamine", "dose", "value", 0.5, "V"),
    ("ketamine", "infusion_time", "value", 40, "V"),
    ("sert_occupancy", "min_therapeutic_dose", "value", 0.80, "V"),
]


@pytest.mark.parametrize("table,row,column,value,tag", SPOT,
                         ids=[f"{t}.{r}.{c}" for t, r, c, _, _ in SPOT])
def test_spot_values_match_domain(tables, table, row, column, value, tag):
    dv = tables.value(table, row, column)
    assert dv.value == value
    assert dv.tag == tag


def test_ranges_and_bounds(tables):
    nt = tables.value("drugs", "nortriptyline", "t_half")
    assert (nt.value, nt.low, nt.high, nt.unit) == (30, 18, 44, "h")
    mao_a = tables.value("mao", "mao_a_recovery_t_half")
    assert (mao_a.low, mao_a.high, mao_a.unit) == (7, 16, "d")
    mao_b = tables.value("mao", "mao_b_recovery_t_half")
    assert (mao_b.low, mao_b.high) == (30, 45)
    moc = tables.value("mao", "moclobemide_occupancy")
    assert (moc.low, moc.high) == (0.60, 0.85)
    m1 = tables.value("drugs", "venlafaxine", "kd_m1")
    assert m1.value == 35000 and m1.bound == "lower" and not m1.exact
    assert "bupropion" not in tables.drugs_with("kd_m1", exact=True)
    assert "bupropion" in tables.drugs_with("kd_m1")
    assert "82" in tables.value("drugs", "venlafaxine", "ki_sert").note


def test_snri_teaching_model_reproduces_domain_checks(tables):
    def occ(row, col, dose):
        ed50 = tables.value("snri_teaching", row, col).value
        omax = tables.value("snri_teaching", row, "omax").value
        return omax * dose / (dose + ed50)

    assert occ("milnacipran", "ed50_sert", 100) == pytest.approx(0.4494, abs=1e-4)
    assert occ("milnacipran", "ed50_net", 100) == pytest.approx(0.4002, abs=1e-4)
    assert occ("duloxetine", "ed50_net", 60) == pytest.approx(0.458, abs=1e-3)
    assert occ("venlafaxine", "ed50_net", 225) == pytest.approx(0.286, abs=1e-3)
    assert occ("venlafaxine", "ed50_net", 375) == pytest.approx(0.40, abs=1e-3)
    for row in ("venlafaxine", "duloxetine", "desvenlafaxine"):
        assert (tables.value("snri_teaching", row, "ed50_net").low
                > tables.value("snri_teaching", row, "ed50_sert").high)


def test_parent_metabolite_ranges_say_so(tables):
    for drug in ("amitriptyline", "clomipramine", "fluoxetine", "venlafaxine"):
        assert "combined" in tables.value("drugs", drug, "ther_low").note


# ------------------------------------------------------------------------------------------------
# The API

def test_addressing(tables):
    sert = tables.value("drugs", "sertraline", "ki_sert")
    assert tables.lookup("drugs.sertraline.ki_sert") == sert
    assert tables.lookup("mao.mao_a_recovery_t_half").value == 14
    assert tables.lookup("constants.mao.mao_a_recovery_t_half").value == 14
    assert tables.lookup("snri_teaching.milnacipran.ed50_sert").value == 122.5
    assert tables.value("drugs", "ODV", "fu").value == 0.70  # alias
    assert tables.display_name("ODV") == "desvenlafaxine"
    assert tables.display_name("desmethylclomipramine") == "N-desmethylclomipramine"
    assert tables.parent("nortriptyline") == "amitriptyline"
    assert tables.drugs_with("ec50_net") == ["nortriptyline"]
    assert "sertraline" in tables.drugs_with("ki_sert")
    assert "snri_teaching" in tables.groups() and "drugs" in tables.tables()
    assert tables.group("snri_teaching")["duloxetine"]["ed50_sert"].value == 7.9
    cols = tables.drug("sertraline")
    cols.clear()  # a copy: the cached tables are untouched
    assert tables.drug("sertraline")


@pytest.mark.parametrize("args,needle", [
    (("drugs", "sertralin", "ki_sert"), "sertraline"),
    (("drugs", "sertraline", "ki_sertt"), "ki_sert"),
    (("moa", "mao_a_recovery_t_half"), "mao"),
    (("mao", "mao_a_recovery"), "mao_a_recovery_t_half"),
    (("mao", "mao_a_recovery_t_half", "low"), "value"),
    (("snri_teaching", "duloxetine", "ed50"), "ed50_sert"),
])
def test_lookup_errors_suggest(tables, args, needle):
    with pytest.raises(TemplateError) as exc:
        tables.value(*args)
    assert needle in str(exc.value)


def test_data_dir_is_checkout_folder():
    assert data_dir() == Path(__file__).resolve().parent.parent / "problems" / "data"
    assert (data_dir() / "drugs.yaml").is_file()


def test_cached(tables):
    assert load_tables() is tables


def test_import_is_light():
    code = ("import sys, psyq.data; psyq.data.load_tables(); "
            "bad = [m for m in ('numpy', 'sympy', 'pint') if m in sys.modules]; print(bad)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=Path(__file__).resolve().parent.parent, check=True)
    assert out.stdout.strip() == "[]"


# ------------------------------------------------------------------------------------------------
# Extra folders and malformed tables

def _write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def test_extra_folder_adds_and_overrides(tmp_path):
    _write(tmp_path / "data", "mine.yaml", """\
        sources:
          mylab: {cite: "Our lab, 2024"}
        drugs:
          sertraline:
            ki_sert: {value: 0.5, unit: nM, source: mylab, tag: M}
          vortioxetine:
            class: SSRI
            ki_sert: {value: 1.6, unit: nM, source: mylab, tag: M}
        constants:
          mao:
            mao_a_recovery_t_half: {value: 12, unit: d, source: mylab, tag: M}
        """)
    t = load_tables([tmp_path])  # a template folder: its data/ is read
    assert t.value("drugs", "sertraline", "ki_sert").value == 0.5
    assert t.value("drugs", "sertraline", "ki_net").value == 420  # other columns kept
    assert t.value("drugs", "vortioxetine", "ki_sert").source == "Our lab, 2024"
    assert t.value("mao", "mao_a_recovery_t_half").value == 12
    assert t.value("mao", "mao_b_recovery_t_half").value == 40
    assert load_tables([tmp_path / "data"]).value("drugs", "sertraline", "ki_sert").value == 0.5
    assert load_tables().value("drugs", "sertraline", "ki_sert").value == 0.29


BAD = [
    ("missing tag", """\
        sources:
          s: {cite: "x"}
        drugs:
          sertraline:
            ki_sert: {value: 0.29, unit: nM, source: s}
        """, 5, "drugs.sertraline.ki_sert", "missing 'tag'"),
    ("bad tag", """\
        sources:
          s: {cite: "x"}
        drugs:
          sertraline:
            ki_sert:
              value: 0.29
              unit: nM
              source: s
              tag: X
        """, 9, "drugs.sertraline.ki_sert.tag", "unknown tag"),
    ("unknown source", """\
        drugs:
          sertraline:
            ki_sert:
              value: 0.29
              unit: nM
              source: nobody2020
              tag: V
        """, 6, "drugs.sertraline.ki_sert.source", "unknown source"),
    ("text value", """\
        sources:
          s: {cite: "x"}
        constants:
          mao:
            mao_a_recovery_t_half:
              value: 1e3
              unit: d
              source: s
              tag: D
        """, 6, "constants.mao.mao_a_recovery_t_half.value", "expected a number"),
    ("text value with a point", """\
        sources:
          s: {cite: "x"}
        constants:
          mao:
            mao_a_recovery_t_half:
              value: 1.0e3
              unit: d
              source: s
              tag: D
        """, 6, "constants.mao.mao_a_recovery_t_half.value", "write 1.0e+3 or 1000"),  # 1.0e3 is text too
    ("negative", """\
        sources:
          s: {cite: "x"}
        drugs:
          sertraline:
            ki_net:
              value: -4
              unit: nM
              source: s
              tag: V
        """, 6, "drugs.sertraline.ki_net.value", "positive"),
    ("fu above one", """\
        sources:
          s: {cite: "x"}
        drugs:
          sertraline:
            fu:
              value: 1.2
              unit: fraction
              source: s
              tag: V
        """, 6, "drugs.sertraline.fu.value", "(0, 1]"),
    ("wrong unit", """\
        sources:
          s: {cite: "x"}
        drugs:
          sertraline:
            ki_net:
              value: 0.42
              unit: uM
              source: s
              tag: V
        """, 7, "drugs.sertraline.ki_net.unit", "nM"),
    ("typo key", """\
        sources:
          s: {cite: "x"}
        drugs:
          sertraline:
            ki_net:
              value: 420
              unit: nM
              sorce: s
              tag: V
        """, 8, "drugs.sertraline.ki_net.sorce", "unknown key"),
    ("new drug without class", """\
        sources:
          s: {cite: "x"}
        drugs:
          vortioxetine:
            ki_sert: {value: 1.6, unit: nM, source: s, tag: M}
        """, 5, "drugs.vortioxetine", "no class"),
    ("bad class", """\
        drugs:
          vortioxetine:
            class: multimodal
        """, 3, "drugs.vortioxetine.class", "unknown drug class"),
    ("reserved group", """\
        constants:
          drugs:
            x: {value: 1, unit: "1", source: formula, tag: D}
        """, 2, "constants.drugs", "cannot be a group"),
    ("value outside its range", """\
        sources:
          s: {cite: "x"}
        drugs:
          sertraline:
            t_half:
              value: 50
              low: 20
              high: 40
              unit: h
              source: s
              tag: V
        """, 6, "drugs.sertraline.t_half.value", "above high"),
    ("unknown top-level key", """\
        drug:
          sertraline: {}
        """, 1, "drug", "unknown top-level key"),
]


@pytest.mark.parametrize("label,text,line,key,message", BAD, ids=[b[0] for b in BAD])
def test_malformed_table_names_file_line_and_key(tmp_path, label, text, line, key, message):
    path = _write(tmp_path / "data", "bad.yaml", text)
    with pytest.raises(TemplateError) as exc:
        load_tables([tmp_path / "data"])
    err = exc.value
    assert err.file == str(path.resolve()) or Path(err.file).resolve() == path.resolve()
    assert err.line == line, str(err)
    assert err.key == key, str(err)
    assert message in str(err)


def test_duplicate_keys_refused(tmp_path):
    path = _write(tmp_path / "data", "dup.yaml", """\
        sources:
          s: {cite: "x"}
        drugs:
          sertraline:
            ki_sert: {value: 0.29, unit: nM, source: s, tag: V}
            ki_sert: {value: 0.30, unit: nM, source: s, tag: V}
        """)
    with pytest.raises(TemplateError) as exc:
        load_tables([tmp_path / "data"])
    assert exc.value.line == 6
    assert exc.value.key == "ki_sert"
    assert "duplicate" in str(exc.value)
    assert Path(exc.value.file).resolve() == path.resolve()


def test_same_drug_twice_in_one_folder_refused(tmp_path):
    for name in ("a.yaml", "b.yaml"):
        _write(tmp_path / "data", name, """\
            drugs:
              sertraline:
                name: sertraline
            """)
    with pytest.raises(TemplateError) as exc:
        load_tables([tmp_path / "data"])
    assert exc.value.key == "drugs.sertraline" and "twice" in str(exc.value)
    assert exc.value.file.endswith("b.yaml") and exc.value.line == 2


def test_broken_yaml_names_line(tmp_path):
    _write(tmp_path / "data", "broken.yaml", "drugs:\n  sertraline: {ki_sert: [\n")
    with pytest.raises(TemplateError) as exc:
        load_tables([tmp_path / "data"])
    assert exc.value.file.endswith("broken.yaml") and exc.value.line


def test_missing_extra_folder(tmp_path):
    with pytest.raises(TemplateError):
        load_tables([tmp_path / "nowhere"])
