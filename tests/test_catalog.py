"""psyq catalog and docs/catalog.md: generated from the templates, and kept current."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from psyq import bank
from psyq import catalog as C
from psyq.cli import app

ROOT = Path(__file__).resolve().parent.parent
CATALOG_MD = ROOT / "docs" / "catalog.md"


@pytest.fixture(scope="module")
def entries():
    return C.build()


def test_docs_catalog_is_current(entries):
    expected = C.to_markdown(entries)
    actual = CATALOG_MD.read_text(encoding="utf-8")
    assert actual == expected, ("docs/catalog.md is out of date: regenerate it with "
                                "'psyq catalog --out docs/catalog.md' and commit it")


def test_every_template_is_catalogued_with_its_misconceptions(entries):
    ids = [e.id for e in bank.entries()]
    assert sorted(e.id for e in entries) == sorted(ids)
    text = CATALOG_MD.read_text(encoding="utf-8")
    for e in entries:
        t = bank.load(e.id)
        assert f"### {e.id}\n" in text
        assert e.family == t.family and e.difficulty == t.difficulty and e.skill == t.skill
        for p in t.parts:
            for m in p.misconceptions:
                assert f"`{m.name}`" in text
        assert e.example_text and all(p.answer for p in e.example_parts)


NEW_IN_ISSUE_13 = ("sert-occupancy-time-course", "accumulation-factor", "venlafaxine-css-occupancy",
                   "bupropion-ndri-occupancy", "ketamine-nmda-occupancy", "mao-tyramine-thresholds",
                   "delay-occupancy-vs-onset", "washout-rima-switch")


def test_docs_catalog_lists_the_new_templates():
    text = CATALOG_MD.read_text(encoding="utf-8")
    for template_id in NEW_IN_ISSUE_13:
        assert f"### {template_id}\n" in text, template_id
    assert "Pharmacokinetics: accumulation and steady state" in text  # the tenth family has a title


def test_catalogue_order_follows_families_then_difficulty(entries):
    order = C.family_order([e.family for e in entries])
    keys = [(order.index(e.family), e.difficulty, e.id) for e in entries]
    assert keys == sorted(keys)
    assert order[:3] == ["occupancy", "tca", "ssri-pet"]


def test_example_is_the_seed_1_instance(entries):
    from psyq.instance import generate

    e = next(e for e in entries if e.id == "occupancy-from-ki")
    inst = generate(bank.load("occupancy-from-ki"), C.EXAMPLE_SEED)
    assert e.example_text == inst.text
    assert e.example_parts[0].answer == inst.parts[0].display


def test_unattainable_parts_are_marked(entries):
    e = next(e for e in entries if e.id == "snri-net-threshold-dose")
    assert [p.can_be_unattainable for p in e.parts] == [False, True]
    assert 'part b (`dose`, in mg/d) (answer can be "not attainable")' in C.to_markdown([e])


def test_json_catalogue(entries):
    data = json.loads(C.to_json(entries))
    assert [t["id"] for t in data["templates"]] == [e.id for e in entries]
    first = data["templates"][0]
    assert set(first) >= {"id", "family", "family_title", "difficulty", "skill", "parts", "example"}
    assert first["example"]["seed"] == C.EXAMPLE_SEED


def test_cli_catalog_markdown_and_json(tmp_path):
    runner = CliRunner()
    out = tmp_path / "catalog.md"
    result = runner.invoke(app, ["catalog", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_text(encoding="utf-8") == CATALOG_MD.read_text(encoding="utf-8")
    result = runner.invoke(app, ["catalog", "--format", "json"])
    assert result.exit_code == 0
    assert len(json.loads(result.stdout)["templates"]) == len(bank.entries())


def test_cli_catalog_refuses_unknown_format():
    result = CliRunner().invoke(app, ["catalog", "--format", "pdf"])
    assert result.exit_code == 2
    assert "unknown format" in result.output


def test_instructor_folder_joins_the_catalogue(tmp_path):
    src = (ROOT / "problems" / "occupancy" / "occupancy-from-ki.yaml").read_text(encoding="utf-8")
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "my-occupancy.yaml").write_text(
        src.replace("id: occupancy-from-ki", "id: my-occupancy").replace("family: occupancy", "family: my-course"),
        encoding="utf-8")
    entries = C.build([str(tmp_path)])
    assert entries[-1].id == "my-occupancy" and entries[-1].family_title == "my-course"
    assert "## my-course (`my-course`)" in C.to_markdown(entries)
