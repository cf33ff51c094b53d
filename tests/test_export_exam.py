"""Exam files and versions: loading with located errors, seeds, repeats, codes, points, pins."""

from pathlib import Path

import pytest
from _export_helpers import EXPORT_TEMPLATES, build

from psyq import exam as X
from psyq.errors import InputError, TemplateError
from psyq.instance import generate

EXAM = """\
title: PHAR 301 midterm
course: Pharmacology of depression
instructions: |
  Show your work.
items:
  - template: occupancy-from-ki
    points: 4
  - template: mao-recovery
    given: {t_half: 14, t: "3 wk"}
    space: 2
  - template: occupancy-from-ki
    points: 2
"""


def write(tmp_path: Path, text: str, name: str = "exam.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_exam_file_is_read_with_its_fields(tmp_path):
    spec = X.load_exam(write(tmp_path, EXAM))
    assert spec.title == "PHAR 301 midterm" and spec.course == "Pharmacology of depression"
    assert spec.instructions == "Show your work."
    assert [i.template for i in spec.items] == ["occupancy-from-ki", "mao-recovery", "occupancy-from-ki"]
    assert spec.items[0].points == 4 and spec.items[1].points is None
    assert dict(spec.items[1].given) == {"t_half": 14, "t": "3 wk"}
    assert spec.items[1].space_cm == 2 and spec.items[0].space_cm is None


def test_versions_use_seed_plus_index_and_repeats_differ(tmp_path):
    spec = X.spec_from_items([str(write(tmp_path, EXAM))])
    exam = X.build(spec, versions=3, seed=10)
    assert [v.seed for v in exam.versions] == [10, 11, 12]
    for v in exam.versions:
        first, pinned, repeat = v.problems
        assert first.seed == v.seed  # psyq show occupancy-from-ki --seed S reproduces it
        assert first.instance.to_json() == generate(first.instance.template, v.seed).to_json()
        assert repeat.seed == v.seed + X.REPEAT_STRIDE
        assert repeat.instance.id != first.instance.id
        # pinned givens, '3 wk' converted to the symbol's unit (days)
        assert pinned.instance.givens["t_half"].value == 14
        assert pinned.instance.givens["t"].value == pytest.approx(21)
    assert [p.number for p in exam.versions[0].problems] == [1, 2, 3]


def test_points_split_over_parts_and_default_to_part_points():
    exam = build(["snri-engagement", "occupancy-from-ki"], versions=1)
    snri, occ = exam.versions[0].problems
    assert snri.part_points == (1.0, 1.0) and occ.part_points == (1.0,)
    spec = X.ExamSpec("t", (X.ExamItem("snri-engagement", points=5),))
    (p,) = X.build(spec, 1, 1).versions[0].problems
    assert p.part_points == (2.5, 2.5) and p.points == 5
    assert exam.versions[0].points == 3


def test_version_codes_are_short_unique_and_reproducible():
    a = build(["occupancy-from-ki", "mao-recovery"], versions=40, seed=3)
    b = build(["occupancy-from-ki", "mao-recovery"], versions=40, seed=3)
    codes = [v.code for v in a.versions]
    assert codes == [v.code for v in b.versions]
    assert len(set(codes)) == 40 and all(len(c) >= 4 and c.isalnum() and c.isupper() or c.isdigit()
                                         for c in codes)
    other = build(["occupancy-from-ki", "mao-recovery"], versions=1, seed=4)
    assert other.versions[0].code != a.versions[1].code or other.versions[0].seed != a.versions[1].seed


def test_families_expand_and_unknown_items_are_refused():
    spec = X.spec_from_items(["mao"])
    assert spec.items and all(i.template.startswith("mao") for i in spec.items)
    with pytest.raises(InputError, match="neither a template id nor a family"):
        X.spec_from_items(["no-such-thing"])
    with pytest.raises(InputError, match="give template ids"):
        X.spec_from_items([])


def test_exam_file_errors_name_file_line_and_key(tmp_path):
    bad = write(tmp_path, "title: x\nitems:\n  - template: occupancy-from-ki\n    pointz: 3\n")
    with pytest.raises(TemplateError) as err:
        X.load_exam(bad)
    assert err.value.line == 4 and "pointz" in str(err.value) and str(bad) in str(err.value)
    unknown = write(tmp_path, "title: x\nitems:\n  - template: nope-nope\n", "u.yaml")
    with pytest.raises(TemplateError) as err:
        X.spec_from_items([str(unknown)])
    assert err.value.line == 3 and "nope-nope" in str(err.value)
    pinned = write(tmp_path, "items:\n  - template: mao-recovery\n    given: {t_halff: 3}\n", "p.yaml")
    spec = X.spec_from_items([str(pinned)])
    with pytest.raises(TemplateError) as err:
        X.build(spec, 1, 1)
    assert err.value.line == 2 and "t_halff" in str(err.value)
    alias = write(tmp_path, "items: &a [occupancy-from-ki]\n", "a.yaml")
    with pytest.raises(TemplateError, match="anchors"):
        X.load_exam(alias)
    with pytest.raises(InputError, match="either one exam file"):
        X.spec_from_items([str(write(tmp_path, EXAM, "e2.yaml")), "mao-recovery"])


def test_title_and_space_options_override(tmp_path):
    spec = X.spec_from_items([str(write(tmp_path, EXAM))], title="Final\n  exam", space_cm=1.5)
    assert spec.title == "Final exam"
    assert [i.space_cm for i in spec.items] == [1.5, 2, 1.5]


def test_build_refuses_bad_counts():
    spec = X.spec_from_items(["occupancy-from-ki"])
    with pytest.raises(InputError):
        X.build(spec, versions=0)
    with pytest.raises(InputError):
        X.build(spec, versions=2, seed=2**63 - 1)


def test_exam_json_is_the_instance_contract():
    exam = build(["export-edge"], versions=2, seed=1)
    data = exam.to_json()
    assert data["format"] == "psyq-exam" and len(data["versions"]) == 2
    prob = data["versions"][1]["problems"][0]
    assert prob["instance"]["template"] == "export-edge" and prob["instance"]["seed"] == 2
    assert prob["part_points"] == [1.0, 1.0, 1.0]
    assert EXPORT_TEMPLATES.is_dir()
