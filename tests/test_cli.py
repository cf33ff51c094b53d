"""The CLI end to end: output, JSON, exit codes and messages."""

import json
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from psyq.cli import app

runner = CliRunner()


def run(*args):
    return runner.invoke(app, list(args))


def test_list_shows_the_bank():
    res = run("list")
    assert res.exit_code == 0
    for tid in ("occupancy-from-ki", "mao-recovery", "snri-engagement"):
        assert tid in res.output
    data = json.loads(run("list", "--json").output)
    assert {"occupancy-from-ki", "mao-recovery", "snri-engagement"} <= {d["id"] for d in data}
    fam = json.loads(run("list", "--family", "mao", "--json").output)
    assert fam and all(d["family"] == "mao" for d in fam)
    assert run("list", "--family", "nope").exit_code == 2


def test_show_with_key():
    res = run("show", "occupancy-from-ki", "--seed", "1", "--key")
    assert res.exit_code == 0
    out = res.output.replace("\u00a0", " ")  # numbers and units are joined by no-break spaces
    assert "K_i = 0.13 nM" in out and "worked solution" in out  # the symbol table spells Ki
    assert "accepted [" in res.output and "unoccupied" in res.output
    plain = run("show", "occupancy-from-ki", "--seed", "1")
    assert "worked solution" not in plain.output


def test_show_keeps_id_and_seed_whole_under_a_long_title():
    # 80 columns: a long title once cut "tca-off-target-profile · seed 686" off the top border
    res = run("show", "tca-off-target-profile", "--seed", "686")
    assert res.exit_code == 0
    assert "tca-off-target-profile · seed 686 · difficulty" in res.output


def test_generate_json_and_jsonl():
    one = json.loads(run("generate", "mao-recovery", "--seed", "3").output)
    assert one["seed"] == 3 and one["template"] == "mao-recovery"
    lines = run("generate", "mao-recovery", "--seed", "3", "--count", "5", "--format", "jsonl").output.splitlines()
    assert [json.loads(line)["seed"] for line in lines] == [3, 4, 5, 6, 7]
    assert json.loads(lines[0]) == one
    arr = json.loads(run("generate", "mao-recovery", "--count", "3").output)
    assert [d["seed"] for d in arr] == [1, 2, 3]


def test_generate_with_given_units():
    a = json.loads(run("generate", "occupancy-from-ki", "--given", "C=1.2 nM").output)
    b = json.loads(run("generate", "occupancy-from-ki", "--given", "C=1200 pM").output)
    assert a["givens"]["C"]["value"] == pytest.approx(1.2) and b["givens"]["C"]["value"] == pytest.approx(1.2)
    bad = run("generate", "occupancy-from-ki", "--given", "C=1.2 d")
    assert bad.exit_code == 2 and "cannot convert" in bad.output
    assert run("generate", "occupancy-from-ki", "--given", "Q=1").exit_code == 2


def test_answer_exit_codes_and_json():
    ok = run("answer", "occupancy-from-ki", "--seed", "1", "89.4 %")
    assert ok.exit_code == 0 and "CORRECT" in ok.output
    wrong = run("answer", "occupancy-from-ki", "--seed", "1", "10.6 %")
    assert wrong.exit_code == 1 and "unoccupied" in wrong.output
    invalid = run("answer", "occupancy-from-ki", "--seed", "1", "__import__('os')")
    assert invalid.exit_code == 2
    shown = json.loads(run("generate", "snri-engagement", "--seed", "2").output)["parts"][1]["answer"]["display"]
    data = json.loads(run("answer", "snri-engagement", "--seed", "2", "--part", "b", shown, "--json").output)
    assert data["status"] == "correct" and data["part"] == "b" and data["accept"]["unit"] == "%"
    assert run("answer", "snri-engagement", "--seed", "2", "--part", "z", "1").exit_code == 2


def test_unknown_template_is_a_usage_error():
    res = run("show", "occupancy-from-kx")
    assert res.exit_code == 2 and "no template with id" in res.output


def test_lint_passes_on_the_bank_and_fails_on_a_bad_template(tmp_path):
    from psyq import bank

    res = run("lint", str(bank.builtin_dir() / "occupancy"), "--seeds", "200")
    assert res.exit_code == 0 and "ok" in res.output
    text = (bank.builtin_dir() / "occupancy" / "occupancy-from-ki.yaml").read_text()
    # Remove the constraint that keeps 'unoccupied' distinguishable: lint must catch it.
    text = text.replace('{check: "abs(occ - 0.5) > 0.04"', '{check: "occ > 0"').replace("id: occupancy-from-ki", "id: lint-me")
    (tmp_path / "bad.yaml").write_text(text)
    res = run("lint", str(tmp_path), "--json")
    report = json.loads(res.output)
    assert res.exit_code == 1 and not report["ok"]
    finding = report["findings"][0]
    assert finding["template"] == "lint-me" and "unoccupied" in finding["check"]
    assert isinstance(finding["seed"], int)


def test_templates_folder_option_and_env(tmp_path, monkeypatch):
    from psyq import bank

    text = (bank.builtin_dir() / "mao" / "mao-recovery.yaml").read_text().replace("id: mao-recovery", "id: my-mao")
    (tmp_path / "mine.yaml").write_text(text)
    assert "my-mao" in run("list", "--templates", str(tmp_path)).output
    monkeypatch.setenv("PSYQ_TEMPLATES", str(tmp_path))
    assert run("show", "my-mao").exit_code == 0
    monkeypatch.setenv("PSYQ_TEMPLATES", str(tmp_path / "missing"))
    res = run("list")
    assert res.exit_code == 2 and "does not exist" in res.output


def test_console_script_runs():
    res = subprocess.run([sys.executable, "-m", "psyq", "answer", "mao-recovery", "--seed", "3", "59.5 %"],
                         capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    assert "CORRECT" in res.stdout


def test_template_text_is_never_rich_markup(tmp_path):
    from psyq import bank

    text = (bank.builtin_dir() / "mao" / "mao-recovery.yaml").read_text()
    text = text.replace("id: mao-recovery", "id: markup-test").replace(
        "title: MAO-A activity after stopping an irreversible inhibitor", "title: MAO [c] [bold]x[/bold]")
    (tmp_path / "m.yaml").write_text(text)
    res = run("show", "markup-test", "--templates", str(tmp_path), "--key")
    assert res.exit_code == 0 and "[c]" in res.output and "[bold]x[/bold]" in res.output


def test_terminal_key_writes_steps_in_the_keys_math():
    """The terminal key uses the export keys' math: the symbol table and the teacher's form."""
    res = run("show", "mao-time-to-target", "--seed", "2", "--key")
    assert res.exit_code == 0
    out = res.output.replace("\u00a0", " ")
    assert "from X = 1 − (1 − A₀)·2^(−t/t½)" in out
    assert "t = (t½·ln((1 − A₀)/(1 − X)))/ln(2)" in out
    assert "log(" not in out and "t_half" not in out  # no sympy ASCII echo
