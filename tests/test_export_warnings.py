"""Portability warnings: said before writing an LMS format, --strict refuses (exit 2), --lint only says."""

from _export_helpers import EXPORT_TEMPLATES, build, cli

from psyq import export as E

T = str(EXPORT_TEMPLATES)


def codes(fmt: str, items, versions: int = 6):
    findings = E.check(build(items, versions=versions), fmt)
    return {f.code: f for f in findings}


def test_each_target_says_what_it_cannot_express():
    moodle = codes("moodle", ["export-edge", "snri-engagement"])
    assert {"RULE_AS_INTERVAL", "STRICT_UNITS", "MULTIPART_SPLIT", "UNATTAINABLE_SKIPPED"} <= set(moodle)
    assert moodle["UNITS_MULTIPLIERS"].severity == "note"
    assert "UNITS_DROPPED" not in moodle and "MISCONCEPTION_FEEDBACK_GENERAL" not in moodle
    assert moodle["RULE_AS_INTERVAL"].detail == "2 significant figures"

    canvas = codes("canvas", ["export-edge", "occupancy-from-ki"])
    assert {"UNITS_DROPPED", "MISCONCEPTION_FEEDBACK_GENERAL", "CANVAS_RESCALED", "RULE_AS_INTERVAL",
            "MULTIPART_SPLIT"} <= set(canvas)
    assert canvas["CANVAS_RESCALED"].detail == "M → nM"

    qti = codes("qti", ["export-edge", "snri-engagement"])
    assert "UNITS_DROPPED" in qti and "MULTIPART_SPLIT" not in qti  # several interactions in one item
    assert "MISCONCEPTION_FEEDBACK_GENERAL" not in qti  # modal feedback per misconception

    gift = codes("gift", ["snri-engagement"])
    assert {"UNITS_DROPPED", "MULTIPART_SPLIT"} <= set(gift)

    assert not E.check(build(["occupancy-from-ki"], 1), "pdf")  # sheets lose nothing


def test_findings_are_counted_over_versions_and_grouped_per_message():
    findings = E.check(build(["snri-engagement", "occupancy-from-ki"], versions=5), "gift")
    units = [f for f in findings if f.code == "UNITS_DROPPED"]
    assert {(f.template, f.part) for f in units} == {("snri-engagement", "a"), ("snri-engagement", "b"),
                                                    ("occupancy-from-ki", "a")}
    assert all(f.count == 5 for f in units)
    lines = findings.lines(("warning",))
    text = next(t for s, t in lines if "units cannot be graded" in t)
    assert "snri-engagement (a: %, b: %); occupancy-from-ki (a: %)" in text


def test_warnings_are_printed_before_writing_and_strict_refuses(tmp_path):
    out = tmp_path / "bank.zip"
    res = cli("export-edge", "-T", T, "-F", "canvas", "-n", "3", "-o", str(out))
    assert res.exit_code == 0
    assert "psyq: warning: canvas:" in res.stderr and "smaller unit" in res.stderr
    assert res.stderr.index("warning") < res.stderr.index("wrote")
    strict = tmp_path / "strict.zip"
    res = cli("export-edge", "-T", T, "-F", "canvas", "-n", "3", "-o", str(strict), "--strict")
    assert res.exit_code == 2 and "--strict" in res.stderr
    assert not strict.exists()


def test_strict_passes_when_nothing_is_approximated(tmp_path):
    out = tmp_path / "bank.xml"
    res = cli("occupancy-from-ki", "-F", "moodle", "-n", "2", "-o", str(out), "--strict")
    assert res.exit_code == 0, res.stderr
    assert "note: moodle: units become a multiplier table" in res.stderr and out.is_file()


def test_lint_only_reports(tmp_path):
    res = cli("export-edge", "-T", T, "-F", "gift", "-o", str(tmp_path / "x.gift"), "--lint")
    assert res.exit_code == 1 and "warning: gift:" in res.stderr
    assert not (tmp_path / "x.gift").exists()
    res = cli("occupancy-from-ki", "-F", "moodle", "-o", str(tmp_path / "x.xml"), "--lint")
    assert res.exit_code == 0 and "note: moodle" in res.stderr
    res = cli("occupancy-from-ki", "-F", "pdf", "-o", str(tmp_path / "x.pdf"), "--lint")
    assert res.exit_code == 0 and res.stderr == ""
