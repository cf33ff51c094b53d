"""Compiled templates (issue 12): the shipped bank is current, entries are data checked on the way
in (a tampered, corrupt or stale entry is refused and rebuilt, never executed), the user cache is
written atomically and optional, and the numbers are those the sympy/numpy path gave."""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from psyq import bank, compiled, solve
from psyq import expr as E
from psyq.instance import generate, generate_many
from psyq.template import load_template

ROOT = Path(__file__).resolve().parents[1]
OCC = bank.builtin_dir() / "occupancy" / "occupancy-from-ki.yaml"


@pytest.fixture
def cache(tmp_path, monkeypatch):
    """A fresh user cache, and no in-process memory of compiled templates."""
    monkeypatch.setenv("PSYQ_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(solve, "_CACHE", {})
    monkeypatch.setattr(compiled, "_ENTRIES", {})
    return tmp_path / "cache" / "compiled"


@pytest.fixture
def user_template(tmp_path):
    """occupancy-from-ki copied into a folder of the user's own (so it goes through the cache)."""
    folder = tmp_path / "mine"
    folder.mkdir()
    path = folder / "occupancy-from-ki.yaml"
    shutil.copy(OCC, path)
    return load_template(path)


def test_a_user_template_is_compiled_once_into_the_cache(cache, user_template):
    first = generate(user_template, 3).to_json()
    entry = cache / f"{compiled.artifact_key(user_template)}.json"
    assert entry.is_file() and [p.name for p in cache.iterdir()] == [entry.name]  # no temp file left
    data = json.loads(entry.read_text(encoding="utf-8"))
    assert data["template"] == "occupancy-from-ki" and data["compiler"] == compiled.COMPILER_VERSION
    assert data["chains"][0]["steps"][0]["candidates"] == ["(C / (C + Ki))"]
    # A second process reads it instead of solving: no sympy import at all.
    code = ("import sys, json; from psyq.template import load_template; from psyq.instance import generate; "
            f"print(json.dumps(generate(load_template({str(user_template.path)!r}), 3).to_json())); "
            "print('sympy' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={**os.environ, "PSYQ_CACHE_DIR": str(cache.parent)})
    lines = out.stdout.splitlines()
    assert json.loads(lines[0]) == first and lines[1] == "False", out.stderr
    assert out.stderr == ""


@pytest.mark.parametrize("damage, why", [
    (lambda d: d["chains"][0]["steps"][0].update(candidates=["__import__('os').system('touch PWNED')"]),
     "refused"),
    (lambda d: d["chains"][0]["steps"][0].update(candidates=["(C / (C + Kd))"]), "unknown name"),
    (lambda d: d["chains"][0]["steps"][0].update(inputs=["C", "nowhere"]), "bad inputs"),
    (lambda d: d["chains"][0]["steps"][0].update(box=["script", "alert(1)"]), "bad box"),
    (lambda d: d.update(template="another"), "another template"),
    (lambda d: d.update(key="0" * 64), "other content"),
    (lambda d: d.update(compiler=999), "format version"),
])
def test_a_tampered_entry_is_refused_with_one_line_and_rebuilt(cache, user_template, capfd, damage, why, tmp_path):
    expected = generate(user_template, 5).to_json()
    entry = cache / f"{compiled.artifact_key(user_template)}.json"
    data = json.loads(entry.read_text(encoding="utf-8"))
    damage(data)
    entry.write_text(json.dumps(data), encoding="utf-8")
    capfd.readouterr()
    solve._CACHE.clear()
    compiled._ENTRIES.clear()
    os.chdir(tmp_path)
    assert generate(user_template, 5).to_json() == expected
    err = capfd.readouterr().err
    assert err.count("\n") == 1 and "psyq: warning: ignoring compiled entry" in err and why in err, err
    assert not (tmp_path / "PWNED").exists()
    assert compiled.dumps(json.loads(entry.read_text(encoding="utf-8"))) == compiled.dumps(compiled.build(user_template))


def test_a_corrupt_entry_is_rebuilt(cache, user_template, capfd):
    generate(user_template, 1)
    entry = cache / f"{compiled.artifact_key(user_template)}.json"
    entry.write_bytes(b"\xff{not json")
    solve._CACHE.clear()
    compiled._ENTRIES.clear()
    capfd.readouterr()
    assert generate(user_template, 1).parts[0].value is not None
    assert "not JSON" in capfd.readouterr().err
    json.loads(entry.read_text(encoding="utf-8"))


def test_a_cache_that_cannot_be_written_still_works(cache, user_template, capfd, monkeypatch, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder", encoding="utf-8")  # (mkdir below it fails, even for root)
    monkeypatch.setenv("PSYQ_CACHE_DIR", str(blocker / "cache"))
    inst = generate(user_template, 2)
    assert inst.parts[0].value is not None
    assert capfd.readouterr().err == ""


def test_a_stale_shipped_entry_is_not_used(cache, monkeypatch, tmp_path):
    shipped = tmp_path / "shipped"
    shipped.mkdir()
    data = json.loads((compiled.shipped_dir() / "occupancy-from-ki.json").read_text(encoding="utf-8"))
    data["key"] = "f" * 64  # compiled from other content
    data["chains"][0]["steps"][0]["candidates"] = ["(2 * C)"]  # (would give wrong answers if used)
    (shipped / "occupancy-from-ki.json").write_text(json.dumps(data), encoding="utf-8")
    monkeypatch.setattr(compiled, "shipped_dir", lambda: shipped)
    t = bank.load("occupancy-from-ki")
    chain = solve.compile_template(t)
    assert E.to_source(chain.steps[0].candidates[0]) == "(C / (C + Ki))"
    assert (cache / f"{compiled.artifact_key(t)}.json").is_file()  # compiled into the user cache


def test_the_key_covers_the_tables_a_template_reads(tmp_path):
    reads = bank.load("occupancy-from-plasma-level")
    assert compiled.reads_tables(reads)
    copy = tmp_path / "data"
    copy.mkdir()
    (copy / "extra.yaml").write_text("constants:\n  x: {value: 1, unit: h, source: none}\n", encoding="utf-8")
    moved = load_template(reads.path, data_dirs=(str(copy),))
    assert compiled.artifact_key(moved) != compiled.artifact_key(reads)
    assert compiled.artifact_key(bank.load("occupancy-from-plasma-level")) == compiled.artifact_key(reads)


def test_expressions_round_trip_through_the_parser():
    for path in sorted(compiled.shipped_dir().glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        for chain in data["chains"]:
            for step in chain["steps"]:
                for text in step["candidates"]:
                    node = E.parse(text, symbols=set(step["inputs"]), max_length=E.MAX_ARTIFACT_LENGTH)
                    assert E.to_source(node) == text


def test_the_chain_gives_what_sympy_and_numpy_gave(monkeypatch):
    """Bit for bit, the compiled chain evaluates as the lambdified numpy functions of the old
    path did (each built-in step, on the values of 300 instances)."""
    import numpy as np
    import sympy as sp

    from psyq import compiler

    def libm(fn):
        def safe(*xs):
            try:
                return fn(*xs)
            except (ValueError, ZeroDivisionError):
                return math.nan
            except OverflowError:
                return math.inf
        loop = np.frompyfunc(safe, 2 if fn is math.pow else 1, 1)
        return lambda *xs: np.asarray(loop(*(np.asarray(x, dtype=np.float64) for x in xs)), dtype=np.float64)

    def log(x):
        return 0.0 if x == 1 else (-math.inf if x == 0 else math.log(x))

    namespace = {"exp": libm(math.exp), "log": libm(log), "libm_pow": libm(math.pow)}
    checked = 0
    for entry in bank.entries():
        t = bank.load(entry.id)
        values = generate_many(t, range(300), with_solution=False)
        ours = solve.compile_template(t)
        for s in solve.solve_relations(t):
            step = ours.step_for(s.unknown)
            args = [np.array([i.values[n] for i in values]) for n in s.inputs]
            with np.errstate(all="ignore"):
                theirs = np.asarray(sp.lambdify([s.symbols[n] for n in s.inputs], compiler._libm_powers(s.solutions[0]),
                                                modules=[namespace, "numpy"])(*args), dtype=np.float64)
            mine, ok = E.evaluate_checked_array(step.candidates[0], dict(zip(s.inputs, args)), len(values))
            theirs = np.broadcast_to(theirs, mine.shape)
            keep = ok & np.isfinite(theirs)
            assert (ok == np.isfinite(theirs)).all(), (entry.id, s.unknown)
            assert mine[keep].tobytes() == theirs[keep].tobytes(), (entry.id, s.unknown)
            checked += 1
    assert checked > 80


def test_the_shipped_box_is_what_mathfmt_builds():
    from psyq.export import mathfmt

    t = bank.load("occupancy-target-concentration")
    step = solve.compile_template(t).step_for("C")
    [s] = [s for s in solve.solve_relations(t) if s.unknown == "C"]
    assert step.box == mathfmt.expr_box(s.solutions[0])
    assert step.solved == "C = -Ki·occ/(occ - 1)" and step.substituted == "-{Ki}·{occ}/({occ} - 1)"


def test_psyq_compile_fills_the_cache_and_checks_the_bank(cache, user_template, monkeypatch, tmp_path):
    from typer.testing import CliRunner

    from psyq.cli import app

    runner = CliRunner()
    res = runner.invoke(app, ["compile", "-T", str(Path(user_template.path).parent)])
    assert res.exit_code == 0, res.output
    assert "1 template(s) compiled" in res.output
    assert (cache / f"{compiled.artifact_key(user_template)}.json").is_file()
    # --check compares with a fresh compile; a stale shipped entry fails it with the fix named
    monkeypatch.setattr(compiled, "bank_entries", lambda: {"occupancy-from-ki": "{}\n"})
    shipped = tmp_path / "shipped"
    shipped.mkdir()
    (shipped / "occupancy-from-ki.json").write_text("{}\n", encoding="utf-8")
    monkeypatch.setattr(compiled, "shipped_dir", lambda: shipped)
    assert runner.invoke(app, ["compile", "--check"]).exit_code == 0
    (shipped / "occupancy-from-ki.json").write_text("{\"old\": 1}\n", encoding="utf-8")
    res = runner.invoke(app, ["compile", "--check"])
    assert res.exit_code == 1 and "occupancy-from-ki" in res.output and "psyq compile --bank" in res.output
    res = runner.invoke(app, ["compile", "--bank"])
    assert res.exit_code == 0 and (shipped / "occupancy-from-ki.json").read_text(encoding="utf-8") == "{}\n"
