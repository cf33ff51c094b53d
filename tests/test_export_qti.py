"""QTI 2.1 package (validated against the IMS XSDs in ../shared/schemas/qti21, resolved locally)
and the Canvas-flavoured QTI 1.2 zip (checked against ../shared/schemas/qti12)."""

import io
import re
import zipfile

import pytest
from _export_helpers import EXPORT_TEMPLATES, build, cli, qti12_schema, qti21_schema

from psyq.export import canvas, qti21
from psyq.export import common as C

etree = pytest.importorskip("lxml.etree")
QTI = "{http://www.imsglobal.org/xsd/imsqti_v2p1}"
CP = "{http://www.imsglobal.org/xsd/imscp_v1p1}"
Q12 = "{http://www.imsglobal.org/xsd/ims_qtiasiv1p2}"
ITEMS = ["occupancy-from-ki", "snri-engagement", "export-edge", "export-hostile"]


def unzip(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        assert z.testzip() is None
        return {n: z.read(n) for n in z.namelist()}


@pytest.fixture(scope="module")
def exam():
    return build(ITEMS, versions=4, seed=3)


@pytest.fixture(scope="module")
def package(exam):
    return unzip(qti21.render(exam))


def test_qti_items_and_tests_validate_against_the_ims_schema(package):
    schema = qti21_schema()
    xml_files = [n for n in package if n != "imsmanifest.xml"]
    assert xml_files
    for name in xml_files:
        errors = list(schema.iter_errors(io.BytesIO(package[name])))
        assert not errors, f"{name}: {errors[0]}"


def test_manifest_lists_every_file_and_resolves_every_reference(package):
    assert next(iter(package)) == "imsmanifest.xml"
    manifest = etree.fromstring(package["imsmanifest.xml"])
    assert manifest.tag == f"{CP}manifest"
    assert manifest.findtext(f"{CP}metadata/{CP}schema") == "QTIv2.1 Package"
    resources = manifest.findall(f"{CP}resources/{CP}resource")
    idents = {r.get("identifier") for r in resources}
    hrefs = set()
    for r in resources:
        assert r.get("type") in ("imsqti_item_xmlv2p1", "imsqti_test_xmlv2p1")
        files = [f.get("href") for f in r.findall(f"{CP}file")]
        assert r.get("href") in files and all(f in package for f in files)
        hrefs.update(files)
        for dep in r.findall(f"{CP}dependency"):
            assert dep.get("identifierref") in idents
    assert hrefs == set(package) - {"imsmanifest.xml"}
    for name in (n for n in package if n.startswith("tests/")):
        test = etree.fromstring(package[name])
        for ref in test.iter(f"{QTI}assessmentItemRef"):
            assert re.sub(r"^\.\./", "", ref.get("href")) in package


def test_items_carry_intervals_points_and_misconception_feedback(exam, package):
    for v in exam.versions:
        for prob in v.problems:
            name = f"items/{qti21.item_id(v, prob)}.xml"
            item = etree.fromstring(package[name])
            body_entries = item.findall(f".//{QTI}textEntryInteraction")
            attainable = [p for p in prob.instance.parts if not p.unattainable]
            assert len(body_entries) == len(attainable)
            conditions = item.findall(f"{QTI}responseProcessing/{QTI}responseCondition")
            assert len(conditions) == len(attainable)
            for part, cond in zip(attainable, conditions):
                bounds = [float(b.text) for b in cond.find(f"{QTI}responseIf").iter(f"{QTI}baseValue")
                          if b.get("baseType") == "float"]
                assert bounds[0] == pytest.approx(part.low, rel=1e-9)
                assert bounds[1] == pytest.approx(part.high, rel=1e-9) or prob.instance.template.id == "export-edge"
                assert len(cond.findall(f"{QTI}responseElseIf")) == len(part.misconceptions)
            feedback_ids = {m.get("identifier") for m in item.findall(f"{QTI}modalFeedback")}
            for part in attainable:
                for m in part.misconceptions:
                    assert f"{part.id}_MISC_{m.name}" in feedback_ids
            assert "SOLUTION" in feedback_ids
            maxscore = item.find(f"{QTI}outcomeDeclaration[@identifier='MAXSCORE']")
            assert float(maxscore.findtext(f".//{QTI}value")) == pytest.approx(
                sum(pp for pp, p in zip(prob.part_points, prob.instance.parts) if not p.unattainable))


def test_qti_zip_is_byte_identical_across_runs(tmp_path):
    outs = [tmp_path / "a.zip", tmp_path / "b.zip"]
    for out in outs:
        res = cli("occupancy-from-ki", "export-edge", "-T", str(EXPORT_TEMPLATES), "-F", "qti", "-n", "3",
                  "-o", str(out))
        assert res.exit_code == 0, res.output
    assert outs[0].read_bytes() == outs[1].read_bytes()


# ------------------------------------------------------------------------------------------------
# Canvas

@pytest.fixture(scope="module")
def canvas_files(exam):
    return unzip(canvas.render(exam))


def test_canvas_quiz_validates_against_the_qti12_schema(canvas_files):
    schema = qti12_schema()
    qid = canvas.quiz_id(build(ITEMS, versions=4, seed=3))
    quiz = canvas_files[f"{qid}/{qid}.xml"]
    errors = list(schema.iter_errors(io.BytesIO(quiz)))
    assert not errors, errors[0]


def test_canvas_structure_groups_and_ranges(exam, canvas_files):
    manifest = etree.fromstring(canvas_files["imsmanifest.xml"])
    ns = "{http://www.imsglobal.org/xsd/imsccv1p1/imscp_v1p1}"
    for r in manifest.iter(f"{ns}resource"):
        for f in r.findall(f"{ns}file"):
            assert f.get("href") in canvas_files
    qid = canvas.quiz_id(exam)
    root = etree.fromstring(canvas_files[f"{qid}/{qid}.xml"])
    groups = root.findall(f"{Q12}assessment/{Q12}section/{Q12}section")
    expected_groups = sum(len(p.instance.parts) for p in exam.versions[0].problems)
    assert len(groups) == expected_groups
    for g in groups:
        assert g.findtext(f"{Q12}selection_ordering/{Q12}selection/{Q12}selection_number") == "1"
        items = g.findall(f"{Q12}item")
        assert 1 <= len(items) <= len(exam.versions)
        for item in items:
            fields = {f.findtext(f"{Q12}fieldlabel"): f.findtext(f"{Q12}fieldentry")
                      for f in item.iter(f"{Q12}qtimetadatafield")}
            assert fields["question_type"] == "numerical_question"
            low = item.findtext(f".//{Q12}vargte")
            high = item.findtext(f".//{Q12}varlte")
            assert "e" not in low.lower() and "e" not in high.lower()  # no scientific notation
            assert float(low) < float(high)
            assert min(abs(float(low)), abs(float(high))) >= 1e-4


def test_canvas_rescales_answers_below_1e4(exam, canvas_files):
    qid = canvas.quiz_id(exam)
    root = etree.fromstring(canvas_files[f"{qid}/{qid}.xml"])
    for v in exam.versions:
        prob = next(p for p in v.problems if p.instance.template.id == "export-edge")
        part = prob.instance.parts[0]  # asked in M, about 1e-8
        item = next(i for i in root.iter(f"{Q12}item") if i.get("ident") == qti21.identifier(f"{prob.instance.id}-a"))
        low = float(item.findtext(f".//{Q12}vargte"))
        assert low == pytest.approx(part.low * 1e9, rel=1e-8)  # rescaled to nM
        text = item.findtext(f".//{Q12}mattext")
        assert "Give the answer in nM." in text and "Give the answer in M." not in text
        wrong = item.find(f"{Q12}itemfeedback[@ident='general_incorrect_fb']")
        assert wrong is not None


def test_canvas_puts_misconception_feedback_in_the_wrong_answer_feedback(exam, canvas_files):
    qid = canvas.quiz_id(exam)
    root = etree.fromstring(canvas_files[f"{qid}/{qid}.xml"])
    prob = exam.versions[0].problems[0]
    item = next(i for i in root.iter(f"{Q12}item") if i.get("ident") == qti21.identifier(f"{prob.instance.id}-a"))
    wrong = item.find(f"{Q12}itemfeedback[@ident='general_incorrect_fb']").findtext(f".//{Q12}mattext")
    for m in prob.instance.parts[0].misconceptions:
        assert C.plain_prose(m.feedback, prob.instance.template) in wrong  # symbols as K_i


def test_manifest_validates_against_the_ims_content_packaging_schema(package):
    from _export_helpers import imscp_schema

    schema = imscp_schema()
    errors = list(schema.iter_errors(io.BytesIO(package["imsmanifest.xml"])))
    assert not errors, f"imsmanifest.xml: {errors[0]}"


def test_assessment_item_refs_carry_the_item_identifiers(package):
    """Canvas's QTI 2.1 converter matches a test's item references to the items by identifier."""
    tests = [n for n in package if n.startswith("tests/")]
    assert tests
    for name in tests:
        refs = etree.fromstring(package[name]).iter(f"{QTI}assessmentItemRef")
        seen = 0
        for ref in refs:
            item = etree.fromstring(package[ref.get("href").removeprefix("../")])
            assert ref.get("identifier") == item.get("identifier")
            seen += 1
        assert seen


def test_canvas_groups_are_sorted_by_problem_then_part():
    # Version 1's part (c) is unattainable (left out), so its group first appears with version 2,
    # after every group of version 1.
    exam = build(["export-edge", "occupancy-from-ki"], versions=3, seed=1)
    assert [v.problems[0].instance.parts[2].unattainable for v in exam.versions] == [True, False, False]
    root = etree.fromstring(canvas.assessment_xml(exam))
    titles = [g.get("title") for g in root.findall(f"{Q12}assessment/{Q12}section/{Q12}section")]
    assert titles == ["Problem 1 (a)", "Problem 1 (b)", "Problem 1 (c)", "Problem 2"]
    assert canvas._natural("9") < canvas._natural("10") and canvas._natural("a2") < canvas._natural("a10")


def test_canvas_rescaled_stem_asks_in_the_new_unit(exam, canvas_files):
    qid = canvas.quiz_id(exam)
    root = etree.fromstring(canvas_files[f"{qid}/{qid}.xml"])
    prob = next(p for p in exam.versions[0].problems if p.instance.template.id == "export-edge")
    item = next(i for i in root.iter(f"{Q12}item") if i.get("ident") == qti21.identifier(f"{prob.instance.id}-a"))
    text = item.findtext(f".//{Q12}mattext")
    assert "What is C in nM?" in text and "mol/L" not in text
    assert text.endswith("<p><em>Give the answer in nM.</em></p>")
