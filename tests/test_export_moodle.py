"""Moodle XML read back: questions, categories, tolerances, misconception answers, units, hints."""

import pytest
from _export_helpers import EXPORT_TEMPLATES, build, cli

from psyq.export import common as C
from psyq.export import moodle

etree = pytest.importorskip("lxml.etree")


def parse(data: bytes):
    return etree.fromstring(data, parser=etree.XMLParser(resolve_entities=False, no_network=True))


def questions_by_category(root):
    out, current = {}, None
    for q in root.findall("question"):
        if q.get("type") == "category":
            current = q.findtext("category/text")
            out.setdefault(current, [])
        else:
            out[current].append(q)
    return out


def test_every_part_of_every_version_is_a_numerical_question():
    exam = build(["occupancy-from-ki", "snri-engagement", "mao-recovery"], versions=4, title="Unit 3 / quiz")
    root = parse(moodle.render(exam))
    cats = questions_by_category(root)
    assert list(cats) == ["$course$/top/Unit 3 // quiz/occupancy-from-ki",
                          "$course$/top/Unit 3 // quiz/snri-engagement/part a",
                          "$course$/top/Unit 3 // quiz/snri-engagement/part b",
                          "$course$/top/Unit 3 // quiz/mao-recovery"]
    assert all(len(qs) == 4 for qs in cats.values())
    assert all(q.get("type") == "numerical" for qs in cats.values() for q in qs)
    names = [q.findtext("name/text") for qs in cats.values() for q in qs]
    assert len(set(names)) == len(names) == 16


def test_tolerances_answers_and_misconception_feedback_match_the_instances():
    exam = build(["occupancy-from-ki", "snri-engagement"], versions=3)
    root = parse(moodle.render(exam))
    by_id = {q.findtext("idnumber"): q for q in root.findall("question") if q.get("type") == "numerical"}
    for v in exam.versions:
        for prob in v.problems:
            for part in prob.instance.parts:
                q = by_id[f"{prob.instance.id}-{part.id}"]
                answers = q.findall("answer")
                right = answers[0]
                assert right.get("fraction") == "100"
                value, tol = float(right.findtext("text")), float(right.findtext("tolerance"))
                assert value - tol == pytest.approx(part.low, rel=1e-8)
                assert value + tol == pytest.approx(part.high, rel=1e-8)
                wrong = answers[1:]
                assert [a.get("fraction") for a in wrong] == ["0"] * len(part.misconceptions)
                for a, m in zip(wrong, part.misconceptions):
                    assert float(a.findtext("text")) == pytest.approx(m.value, rel=1e-8)
                    assert float(a.findtext("tolerance")) == pytest.approx(part.rtol * abs(m.value), rel=1e-8)
                    assert C.plain_prose(m.feedback, prob.instance.template) in a.findtext("feedback/text")  # Ki → K_i
                assert q.findtext("defaultgrade") == "1"
                units = [(u.findtext("unit_name"), float(u.findtext("multiplier"))) for u in q.findall("units/unit")]
                assert units[0] == ("%", 1.0)
                assert q.findtext("showunits") == "0" and q.findtext("unitgradingtype") == "0"
                assert len(q.findall("hint")) == len(part.hints)
                assert "accepted" in q.findtext("generalfeedback/text")
                assert "\\(" in q.findtext("generalfeedback/text")  # MathJax LaTeX


def test_units_become_a_multiplier_table_and_rules_an_interval():
    exam = build(["export-edge"], versions=6, seed=1)
    root = parse(moodle.render(exam))
    qs = [q for q in root.findall("question") if q.get("type") == "numerical"]
    part_a = [q for q in qs if q.findtext("idnumber").endswith("-a")]
    assert len(part_a) == 6
    units = {u.findtext("unit_name"): float(u.findtext("multiplier")) for u in part_a[0].findall("units/unit")}
    assert units["M"] == 1 and units["nM"] == pytest.approx(1e9) and units["µM"] == pytest.approx(1e6)
    assert units["uM"] == units["µM"] == units["μM"]
    assert units["ng/mL"] == pytest.approx(3e8)  # 1 M × 300 g/mol = 300 g/L (the version's molar mass)
    # rule sigfigs 2 → the interval of values that round to the answer, strict units graded
    part_b = [q for q in qs if q.findtext("idnumber").endswith("-b")]
    for q, v in zip(part_b, exam.versions):
        part = v.problems[0].instance.parts[1]
        value, tol = float(q.findtext("answer/text")), float(q.findtext("answer/tolerance"))
        rounded = float(f"{part.value:.2g}")
        assert value == pytest.approx(rounded) and tol == pytest.approx(0.5 * 10 ** (len(str(int(rounded))) - 2))
        assert q.findtext("unitgradingtype") == "1"
        assert [u.findtext("unit_name") for u in q.findall("units/unit")] == ["%"] or q.find("units") is not None
    # unattainable parts are left out
    unattainable = sum(v.problems[0].instance.parts[2].unattainable for v in exam.versions)
    assert unattainable > 0
    part_c = [q for q in qs if q.findtext("idnumber").endswith("-c")]
    assert len(part_c) == 6 - unattainable


def test_template_text_is_carried_verbatim():
    exam = build(["export-hostile"], versions=1)
    data = moodle.render(exam)
    root = parse(data)
    q = next(q for q in root.findall("question") if q.get("type") == "numerical")
    text = q.findtext("questiontext/text")
    assert "HOSTILE-STEM" in text and "&lt;script&gt;" in text and "]]&gt;" in text
    assert "<script>" not in text
    assert "HOSTILE-FEEDBACK unoccupied" in q.findall("answer")[1].findtext("feedback/text")


def test_cdata_sections_survive_their_terminator():
    import xml.etree.ElementTree as ET

    root = ET.Element("quiz")
    ET.SubElement(root, "text", {C.CDATA: ""}).text = "a ]]> b <c> & \x01"
    back = parse(C.xml_bytes(root))
    assert back.findtext("text") == "a ]]> b <c> & "


def test_moodle_file_is_byte_identical_across_runs(tmp_path):
    a, b = tmp_path / "a.xml", tmp_path / "b.xml"
    for out in (a, b):
        res = cli("occupancy", "-T", str(EXPORT_TEMPLATES), "-F", "moodle", "-n", "5", "-o", str(out))
        assert res.exit_code == 0, res.output
    assert a.read_bytes() == b.read_bytes()
    root = parse(a.read_bytes())
    assert len([q for q in root.findall("question") if q.get("type") == "numerical"]) > 5
    assert C.Findings() is not None
