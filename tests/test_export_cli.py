"""`psyq export` options, messages and exit codes."""

import subprocess
import sys

from _export_helpers import EXPORT_TEMPLATES, ROOT, cli, pdf_text


def test_help_has_an_example_and_every_format():
    res = cli("--help")
    assert res.exit_code == 0
    for word in ("Example:", "pdf", "moodle", "qti", "canvas", "gift", "--strict", "--versions", "--key-only"):
        assert word in res.output


def test_usage_errors_exit_2_with_one_line():
    bad = [("occupancy-from-ki", "-F", "docx"), ("occupancy-from-ki", "-F", "pdf", "-o", "-"),
           ("occupancy-from-ki", "--key", "--key-only"), ("no-such-template",),
           ("occupancy-from-ki", "--figures", "some"), ("occupancy-from-ki", "--paper", "a3"),
           ("occupancy-from-ki", "-F", "html", "-o", "-", "--per-version")]
    for args in bad:
        res = cli(*args)
        assert res.exit_code == 2, (args, res.output)
        assert res.stderr.startswith("psyq: error:"), res.stderr


def test_exam_file_default_output_name_and_quiet_when_piped(tmp_path, monkeypatch):
    exam = tmp_path / "midterm.yaml"
    exam.write_text("title: Midterm\ninstructions: No phones.\nitems:\n"
                    "  - {template: occupancy-from-ki, points: 3}\n  - {template: export-edge, points: 6}\n",
                    encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    res = cli(str(exam), "-T", str(EXPORT_TEMPLATES), "-n", "2", "--figures", "none")
    assert res.exit_code == 0, res.stderr
    assert (tmp_path / "exam.pdf").is_file()
    assert "drawing" not in res.stderr  # no progress bar when stderr is not a terminal
    assert res.stderr.strip().splitlines() == [f"psyq: wrote exam.pdf ({res.stderr.split('(')[1].split(')')[0]})"]
    _, texts = pdf_text((tmp_path / "exam.pdf").read_bytes())
    joined = "\n".join(texts)
    assert "Midterm" in joined and "No phones." in joined and "Total: 9 points." in joined
    assert "3 points" in joined and "6 points" in joined


def test_lms_formats_note_sheet_only_options(tmp_path):
    res = cli("occupancy-from-ki", "-F", "gift", "--key", "-o", str(tmp_path / "b.gift"))
    assert res.exit_code == 0
    assert "note: --key does not apply to gift" in res.stderr


def test_command_module_starts_light():
    code = ("import sys, psyq.commands.export; "
            "print(any(m in sys.modules for m in ('sympy', 'numpy', 'matplotlib', 'typst', 'pint')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.strip() == "False"
