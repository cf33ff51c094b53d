"""Property-based fuzzing of the file loaders: templates (random and mutated YAML, including
mutations of every real bank template) and student submissions (psyq.homework.submission).

Properties: a loader returns or raises a PsyqError with a one-line message, within a bound; a
mutated template that still loads also generates an instance (or refuses with a PsyqError).
PSYQ_FUZZ_EXAMPLES scales the number of examples; under CI=true examples are derandomized.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from _work import work_bounded
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from psyq.errors import PsyqError
from _fuzz_helpers import check_call as _check_call

# Work bounds in Python and C calls (tests/_work.py), >= 10x the most measured on Python 3.10-3.13:
# a loader reads the largest bank template in 80,325 calls (psyq's YAML reader is pure Python);
# generation takes at most 2,509 once compiled, 179,619 when 64 rounds of draws all miss the
# constraints (tca-vs-ssri-anticholinergic made unsatisfiable).
LOADER_CALLS = 1_000_000
GENERATE_CALLS = 5_000_000
EXAMPLES = int(os.environ.get("PSYQ_FUZZ_EXAMPLES", "300"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None,
                derandomize=bool(os.environ.get("CI")),
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                       HealthCheck.data_too_large])


def _bank_texts() -> list[tuple[str, str]]:
    from psyq import bank

    return [(e.id, Path(e.path).read_text(encoding="utf-8")) for e in bank.entries()]


BANK = _bank_texts()


def check_call(fn, *args, **kwargs):
    return _check_call(fn, *args, calls=LOADER_CALLS, **kwargs)


JUNK = ["", " ", ":", "- ", "{", "}", "[", "]", "&a", "*a", "<<", "!!python/object:os.system", "|",
        ">", "#", "'", '"', "\t", "\n", "\x00", "1e400", "-.inf", ".nan", "~", "null", "yes",
        "9^9^9", "__import__('os')", "C.__class__", "lambda: 0", "1/0", "ln(0)", "{x}", "{C.value}",
        "𝟖", "\u202e", "a" * 70, "[[[[[[[[", "?", "%", "µM", "nM/", "1e-400", "0", "-1", "10000000"]


@st.composite
def mutated_template(draw):
    """A bank template with a few line- and character-level mutations."""
    tid, text = draw(st.sampled_from(BANK))
    lines = text.splitlines(keepends=True)
    for _ in range(draw(st.integers(1, 4))):
        if not lines:
            break
        i = draw(st.integers(0, len(lines) - 1))
        op = draw(st.integers(0, 6))
        if op == 0:
            del lines[i]
        elif op == 1:
            lines.insert(i, lines[i])
        elif op == 2:
            j = draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
        elif op == 3:  # replace one character
            line = lines[i]
            if line:
                k = draw(st.integers(0, len(line) - 1))
                lines[i] = line[:k] + draw(st.sampled_from(JUNK + list(":-[]{}*&!|>#'\"0123456789^"))) + line[k + 1:]
        elif op == 4:  # replace a value after a colon
            line = lines[i]
            if ":" in line:
                key = line.split(":", 1)[0]
                lines[i] = key + ": " + draw(st.sampled_from(JUNK)) + "\n"
        elif op == 5:  # insert junk text
            line = lines[i]
            k = draw(st.integers(0, len(line)))
            lines[i] = line[:k] + draw(st.text(max_size=8)) + line[k:]
        else:  # truncate the file
            lines = lines[:i]
    return tid, "".join(lines)


@FUZZ
@given(mutated_template())
def test_mutated_bank_templates_load_or_refuse(case):
    from psyq.template import Template, loads_template

    tid, text = case
    result = check_call(loads_template, text, file=f"{tid}.yaml")
    if isinstance(result, PsyqError):
        assert f"{tid}.yaml" in str(result), "the error names the file"
    else:
        assert isinstance(result, Template)


@settings(max_examples=max(20, EXAMPLES // 6), deadline=None, derandomize=bool(os.environ.get("CI")),
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                 HealthCheck.data_too_large])
@given(mutated_template(), st.integers(min_value=0, max_value=2**63 - 1))
def test_mutated_templates_that_load_also_generate_or_refuse(case, seed):
    """What the loader accepts must not crash the solver or the renderer."""
    from psyq.data import load_tables
    from psyq.instance import generate
    from psyq.solve import compile_template
    from psyq.template import loads_template

    tid, text = case
    try:
        template = loads_template(text, file=f"{tid}.yaml")
    except PsyqError:
        return
    try:
        compile_template(template)  # sympy's part: bounded by psyq's own solve budget (CPU seconds)
        load_tables(tuple(template.data_dirs))  # read once per process: not this call's work
        with work_bounded(calls=GENERATE_CALLS, what=f"generating {tid} (seed {seed})"):
            inst = generate(template, seed)
    except PsyqError as exc:
        assert str(exc).strip() and "\n" not in str(exc)
        return
    inst.to_json()


yaml_scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=30),
                         st.sampled_from(JUNK))
yaml_values = st.recursive(yaml_scalars,
                           lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                   st.dictionaries(st.text(max_size=10), inner, max_size=4)),
                           max_leaves=20)


@FUZZ
@given(yaml_values, st.sampled_from(["", "id", "params", "relations", "symbols", "parts", "text"]))
@example({"\n": None}, "")  # regression: a key holding a newline made a two-line message
@example({"symbols": {"a\u2028b": 1}}, "")
def test_random_yaml_documents_load_or_refuse(value, key):
    """Arbitrary YAML documents (and a bank template with one top-level key replaced)."""
    import yaml

    from psyq.template import loads_template

    if key:
        from psyq.yamlsafe import loads

        data = dict(loads(BANK[0][1]))
        data[key] = value
        doc = data
    else:
        doc = value
    try:
        text = yaml.safe_dump(doc, allow_unicode=True)
    except (yaml.YAMLError, ValueError, TypeError):
        return
    check_call(loads_template, text, file="random.yaml")


@FUZZ
@given(st.text(max_size=400))
def test_random_text_loads_or_refuses(text):
    from psyq import yamlsafe
    from psyq.template import loads_template

    check_call(yamlsafe.loads, text, file="random.yaml")
    check_call(loads_template, text, file="random.yaml")


@FUZZ
@given(st.binary(max_size=400))
def test_random_bytes_load_or_refuse(data):
    from psyq import yamlsafe

    check_call(yamlsafe.loads, data, file="random.yaml")


# ---------------------------------------------------------------------------------------------
# Submissions (psyq.homework.submission), when the homework package is there


PART_IDS = ["1a", "1b", "2a", "3a", "3b"]
VALID = """\
student: alice
assignment: hw1
answers:
  1a: "80.5 %"
  1b: 0.80
  2a: "1.2 nM"
  3a: not attainable
  3b: "14 d"
"""
SUB_JUNK = JUNK + ["student: bob", "assignment: hw2", "answers:", "  1a:", "  9z: 1", "  - 1",
                   "  1a: [1, 2]", "  1a: {x: 1}", "x" * 300, "  1a: " + "9" * 300, "student: ../../x",
                   "student: \u202ealice", "answers: 5"]


@st.composite
def mutated_submission(draw):
    lines = VALID.splitlines(keepends=True)
    for _ in range(draw(st.integers(1, 4))):
        i = draw(st.integers(0, max(0, len(lines) - 1)))
        op = draw(st.integers(0, 3))
        if op == 0 and lines:
            del lines[i]
        elif op == 1:
            lines.insert(i, draw(st.sampled_from(SUB_JUNK)) + "\n")
        elif op == 2 and lines:
            line = lines[i]
            k = draw(st.integers(0, len(line)))
            lines[i] = line[:k] + draw(st.one_of(st.sampled_from(SUB_JUNK), st.text(max_size=6))) + line[k:]
        elif lines:
            key = lines[i].split(":", 1)[0]
            lines[i] = key + ": " + draw(st.sampled_from(SUB_JUNK)) + "\n"
    return "".join(lines)


def _submission_module():
    return pytest.importorskip("psyq.homework.submission")


@FUZZ
@given(st.one_of(mutated_submission(), st.text(max_size=300)))
def test_submissions_load_or_refuse(text):
    sub = _submission_module()
    result = check_call(sub.parse_submission, text, "answers.yaml", PART_IDS, "hw1",
                        expected_student="alice")
    if not isinstance(result, PsyqError):
        for pid, entry in result.answers.items():
            assert entry.text is None or isinstance(entry.text, str)


@FUZZ
@given(st.binary(max_size=600))
def test_submission_files_load_or_refuse(tmp_path_factory, data):
    sub = _submission_module()
    path = tmp_path_factory.mktemp("sub") / "answers.yaml"
    path.write_bytes(data)
    check_call(sub.load_submission, path, PART_IDS, "hw1")


def test_the_valid_submission_loads():
    sub = _submission_module()
    result = sub.parse_submission(VALID, "answers.yaml", PART_IDS, "hw1", expected_student="alice")
    assert result.student == "alice"
