"""Homework: the assignment file and its schema, per-student seeds, the roster."""

from __future__ import annotations

import hashlib
import hmac
import json
from pathlib import Path

import pytest

from psyq.errors import TemplateError
from psyq.homework.assignment import compile_assignment, load_assignment, loads_assignment
from psyq.homework.grading import variants
from psyq.homework.roster import load_roster
from psyq.homework.seeds import item_seed, no_secret_warning, secret_from_env
from psyq.yamlsafe import loads as loads_yaml

COURSE = Path(__file__).parent / "data" / "course"
SCHEMA = Path(__file__).parents[1] / "psyq" / "schemas" / "assignment.schema.json"


@pytest.fixture(scope="module")
def compiled():
    return compile_assignment(load_assignment(COURSE / "assignment.yaml"))


# ------------------------------------------------------------------------------------------------
# Assignment file

def test_sample_assignment_lays_out_part_ids_and_points(compiled):
    assert compiled.part_ids == ["1a", "2a", "2b", "3a"]
    assert [p.points for p in compiled.parts] == [2.0, 2.0, 2.0, 2.0]  # item 2's 4 points over 2 parts
    assert compiled.max_points == 8.0
    assert compiled.assignment.pass_mark == 0.6
    assert compiled.assignment.due == "2025-03-14"


def test_points_per_part_and_pinned_givens_and_tolerance_override():
    a = loads_assignment(
        "id: hw9\ntitle: T\nitems:\n"
        "  - template: snri-engagement\n    points: {a: 3, b: 1}\n"
        "    given: {Omax: 0.9, dose: '150 mg/day'}\n    tolerance: {rtol: 0.05}\n"
        "  - occupancy-from-ki\n", file="hw9.yaml")
    c = compile_assignment(a)
    assert c.part_ids == ["1a", "1b", "2a"]
    assert [p.points for p in c.parts] == [3.0, 1.0, 1.0]
    inst = variants(c, "s", ["alice"])["alice"][0]
    assert inst.values["Omax"] == pytest.approx(0.9) and inst.values["dose"] == pytest.approx(150)
    p = inst.part("a")
    assert p.rtol == 0.05
    assert p.low == pytest.approx(p.value * 0.95) and p.high == pytest.approx(p.value * 1.05)


@pytest.mark.parametrize("text,line,key,words", [
    ("id: hw1\ntitle: T\nitems: []\n", 3, "items", "non-empty"),
    ("id: hw1\ntitle: T\nitems:\n  - template: x\n    pionts: 2\n", 5, "items[0].pionts", "unknown key"),
    ("id: hw 1\ntitle: T\nitems: [occupancy-from-ki]\n", 1, "id", "id must be"),
    ("id: hw1\ntitle: T\nitems:\n  - template: occupancy-from-ki\n    points: -1\n", 5, "items[0].points", "must be >"),
    ("id: hw1\ntitle: T\nitems:\n  - template: occupancy-from-ki\n    tolerance: {rtol: 2}\n", 5,
     "items[0].tolerance.rtol", "≤ 0.5"),
    ("id: hw1\ntitle: T\npass_mark: 1.5\nitems: [occupancy-from-ki]\n", 3, "pass_mark", "≤ 1"),
    ("title: T\nitems: [occupancy-from-ki]\n", 1, None, "missing required key 'id'"),
    ("id: hw1\ntitle: T\nitems: [occupancy-from-ki]\nextra: 1\n", 4, "extra", "unknown key"),
])
def test_validation_errors_name_file_line_and_key(text, line, key, words):
    with pytest.raises(TemplateError) as exc:
        loads_assignment(text, file="hw1.yaml")
    e = exc.value
    assert e.file == "hw1.yaml" and e.line == line and e.key == key
    assert words in str(e)


@pytest.mark.parametrize("text,key,words", [
    ("id: hw1\ntitle: T\nitems:\n  - template: no-such-template\n", "items[0].template", "no template"),
    ("id: hw1\ntitle: T\nitems:\n  - template: snri-engagement\n    given: {Kx: 1}\n", "items[0].given.Kx",
     "not a given"),
    ("id: hw1\ntitle: T\nitems:\n  - template: snri-engagement\n    given: {Omax: 94}\n", "items[0].given.Omax",
     "Omax = 94 is above its maximum 1"),  # outside the symbol's range: refused here, with the line
    ("id: hw1\ntitle: T\nitems:\n  - template: snri-engagement\n    points: {a: 1}\n", "items[0].points",
     "each part"),
])
def test_compile_errors_name_file_line_and_key(text, key, words):
    with pytest.raises(TemplateError) as exc:
        compile_assignment(loads_assignment(text, file="hw1.yaml"))
    assert exc.value.file == "hw1.yaml" and exc.value.line == 4 and exc.value.key == key
    assert words in str(exc.value)


def test_schema_accepts_the_sample_and_agrees_with_the_loader_on_bad_files():
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads(SCHEMA.read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    sample = loads_yaml((COURSE / "assignment.yaml").read_text())
    sample = json.loads(json.dumps(sample))
    jsonschema.validate(sample, schema)
    for bad in ({"id": "hw1", "title": "T", "items": []},
                {"id": "hw1", "title": "T", "items": [{"template": "x", "pionts": 1}]},
                {"id": "hw1", "title": "T", "items": ["x"], "pass_mark": 2}):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(bad, schema)


# ------------------------------------------------------------------------------------------------
# Seeds

def test_seed_derivation_is_exactly_as_documented():
    digest = hmac.new(b"sample-course-secret", b"hw3-occupancy\x00alice\x001", hashlib.sha256).digest()
    assert item_seed("sample-course-secret", "hw3-occupancy", "alice", 1) == int.from_bytes(digest[:8], "big") >> 1
    # golden values: these must never change between psyq versions
    assert item_seed("sample-course-secret", "hw3-occupancy", "alice", 1) == 9015159336486600633
    assert item_seed(None, "hw3-occupancy", "alice", 1) == 5888813696954922508
    assert item_seed("s", "hw1", "bob", 3) == 8823887442087940226


def test_fields_are_separated_and_ids_normalised():
    assert item_seed("k", "ab", "c", 1) != item_seed("k", "a", "bc", 1)
    assert item_seed("k", "hw", " alice ", 1) == item_seed("k", "hw", "alice", 1)
    assert 0 <= item_seed("k", "hw", "alice", 7) < 2**63


def test_changing_the_secret_changes_every_variant_and_the_same_secret_reproduces_them(compiled):
    students = [s.id for s in load_roster(COURSE / "roster.csv")]
    one = variants(compiled, "secret-one", students)
    again = variants(compiled, "secret-one", list(reversed(students)))
    other = variants(compiled, "secret-two", students)
    for s in students:
        assert [i.to_json() for i in one[s]] == [i.to_json() for i in again[s]]
        for a, b in zip(one[s], other[s]):
            assert a.seed != b.seed and a.id != b.id
    # different students get different variants
    assert len({one[s][0].seed for s in students}) == len(students)


def test_secret_comes_from_the_named_environment_variable():
    x, y = "x" * 16, "y" * 16
    assert secret_from_env("PSYQ_SECRET", {"PSYQ_SECRET": x}) == x
    assert secret_from_env("COURSE_KEY", {"COURSE_KEY": y, "PSYQ_SECRET": x}) == y
    assert secret_from_env("PSYQ_SECRET", {"PSYQ_SECRET": "  "}) is None
    assert secret_from_env("PSYQ_SECRET", {}) is None
    assert "can compute each other's keys" in no_secret_warning("PSYQ_SECRET")


def test_short_secrets_are_refused_with_how_to_make_one():
    from psyq.errors import InputError

    with pytest.raises(InputError) as exc:
        secret_from_env("PSYQ_SECRET", {"PSYQ_SECRET": "a"})
    assert "shorter than 16 bytes" in str(exc.value) and "secrets.token_hex(16)" in str(exc.value)
    assert secret_from_env("PSYQ_SECRET", {"PSYQ_SECRET": "a" * 16}) == "a" * 16


def test_one_trailing_newline_is_not_part_of_the_secret():
    s = "0123456789abcdef0123"
    assert secret_from_env("S", {"S": s + "\n"}) == s
    assert secret_from_env("S", {"S": s + "\r\n"}) == s
    assert secret_from_env("S", {"S": s + "\n\n"}) == s + "\n"  # only one is stripped


def test_a_value_given_for_secret_env_is_never_echoed():
    from psyq.errors import InputError

    value = "f3a9c0d1e2b4a5968778695a4b3c2d1e"
    with pytest.raises(InputError) as exc:
        secret_from_env(value + "-x", {})
    assert value not in str(exc.value) and "NAME" in str(exc.value)


# ------------------------------------------------------------------------------------------------
# Roster

def test_roster(tmp_path):
    ids = [s.id for s in load_roster(COURSE / "roster.csv")]
    assert ids == ["alice", "bob", "carol", "dave", "erin"]
    bad = tmp_path / "r.csv"
    bad.write_text("login,name\nalice,A\nbob,B\nalice,A2\n")
    with pytest.raises(TemplateError, match="listed twice") as exc:
        load_roster(bad)
    assert exc.value.line == 4
    bad.write_text("name\nAlice\n")
    with pytest.raises(TemplateError, match="no id column"):
        load_roster(bad)
    bad.write_text("id\n=cmd|' /C calc'!A0\n")
    with pytest.raises(TemplateError, match="not valid"):
        load_roster(bad)
