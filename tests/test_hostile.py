"""The hostile-input corpus (tests/hostile/, see its README): every case is refused quickly.

Refused means: a :class:`psyq.errors.PsyqError` (never another exception) whose message is one
non-empty line, raised within a bound of work (:data:`CALLS`, counted by tests/_work.py), with no
side effect (the eval payloads would create /tmp/psyq-hostile-pwned).  The grader turns the same
answers into ``invalid`` verdicts with a one-line feedback.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from _work import work_bounded

from psyq.errors import PsyqError

HERE = Path(__file__).resolve().parent / "hostile"
# Work bounds in Python and C calls per case (tests/_work.py), >= 10x the most a case makes on
# Python 3.10-3.13 (parsers and the grader: 2,920; YAML loaders: 34,140, the 5,000-deep flow list).
CALLS = {"parse_answer": 50_000, "parse_unit": 50_000, "parse_and_evaluate": 50_000,
         "grade": 50_000, "loads": 500_000, "loads_template": 500_000, "load_submission": 500_000}
PWNED = Path("/tmp/psyq-hostile-pwned")

_ESCAPE = re.compile(r"\\(?:x([0-9a-fA-F]{2})|u([0-9a-fA-F]{4})|U([0-9a-fA-F]{8})|(.))")
_SIMPLE = {"n": "\n", "r": "\r", "t": "\t", "\\": "\\"}


def _decode(line: str) -> str:
    def sub(m: re.Match) -> str:
        hexa = m.group(1) or m.group(2) or m.group(3)
        if hexa:
            return chr(int(hexa, 16))
        return _SIMPLE.get(m.group(4), "\\" + m.group(4))

    return _ESCAPE.sub(sub, line)


def cases(name: str) -> list[str]:
    out = []
    for raw in (HERE / name).read_text(encoding="utf-8").splitlines():
        if not raw.strip() or raw.startswith("# "):
            continue
        out.append(_decode(raw))
    return out


def _ids(items):
    return [ascii(x)[:60] for x in items]


# Generated cases: too large or too deep to keep as files.
GENERATED_TEXT = [
    "1" * 10_000,
    "(" * 10_000 + "1" + ")" * 10_000,
    "-" * 5_000 + "1",
    "+" * 150 + "1",
    "1+" * 300 + "1",
    "ln(" * 40 + "2" + ")" * 40,
    "2^" * 150 + "2",
    "1e" + "9" * 150,
    "8\u200b" * 100,
    "\u202e" * 1000,
    "a" * 1_000_000,
    "x" * 199 + "(",
]


@pytest.fixture(scope="module", autouse=True)
def _warm():
    """Load pint's registry and the solver once, outside the per-case work bound."""
    from psyq import units

    units.parse_unit("kPa")  # an allow-listed unit read through pint: loads its registry
    yield


def refused_by(fn, text, *args, **kwargs) -> PsyqError:
    """Call fn(text, …) and return the PsyqError it raised (failing the test otherwise)."""
    PWNED.unlink(missing_ok=True)
    try:
        with work_bounded(calls=CALLS[fn.__name__], what=f"{fn.__name__}({ascii(text)[:40]})"):
            result = fn(text, *args, **kwargs)
    except PsyqError as exc:
        message = str(exc)
        assert message.strip(), "empty error message"
        assert "\n" not in message and "\r" not in message, f"message is not one line: {message!r}"
        assert exc.message.strip()
        assert len(message) < 600, f"message too long ({len(message)} characters)"
        assert not PWNED.exists(), "the payload ran!"
        return exc
    except AssertionError:
        raise  # the work bound's own failure
    except Exception as exc:  # noqa: BLE001 - anything else is the bug this test is for
        pytest.fail(f"{type(exc).__name__} escaped: {exc!r}")
    pytest.fail(f"accepted: {result!r}")


# ---------------------------------------------------------------------------------------------
# Answers

ANSWERS = cases("answers.txt") + GENERATED_TEXT + ["9" * 201, "(" * 100 + "1" + ")" * 100]


@pytest.mark.parametrize("text", ANSWERS, ids=_ids(ANSWERS))
def test_answer_parser_refuses(text):
    from psyq.answers import parse_answer

    refused_by(parse_answer, text)


@pytest.fixture(scope="module")
def part():
    from psyq import bank
    from psyq.instance import generate

    return generate(bank.load("occupancy-from-ki"), 1).parts[0]


@pytest.mark.parametrize("text", ANSWERS, ids=_ids(ANSWERS))
def test_grader_says_invalid(part, text):
    from psyq.grading import grade

    PWNED.unlink(missing_ok=True)
    with work_bounded(calls=CALLS["grade"], what=f"grade({ascii(text)[:40]})"):
        verdict = grade(part, text)
    assert verdict.status == "invalid", verdict
    assert verdict.score == 0
    assert verdict.feedback.strip() and "\n" not in verdict.feedback
    assert not PWNED.exists()


WRONG_DIMENSION = cases("wrong-dimension.txt")


@pytest.mark.parametrize("text", WRONG_DIMENSION, ids=_ids(WRONG_DIMENSION))
def test_grader_explains_a_wrong_dimension(part, text):
    from psyq.grading import grade

    verdict = grade(part, text)
    assert verdict.status == "invalid" and verdict.notes == ["UNITS_INCOMPATIBLE"], verdict
    assert "cannot convert" in verdict.feedback and "\n" not in verdict.feedback


# ---------------------------------------------------------------------------------------------
# Template expressions

EXPRESSIONS = cases("expressions.txt") + GENERATED_TEXT


@pytest.mark.parametrize("text", EXPRESSIONS, ids=_ids(EXPRESSIONS))
def test_expression_parser_refuses(text):
    from psyq import expr

    def parse_and_evaluate(t):
        node = expr.parse(t, symbols={"C", "Ki"}, allow_compare=True)
        return expr.evaluate(node, {"C": 2.0, "Ki": 3.0})

    refused_by(parse_and_evaluate, text)


# ---------------------------------------------------------------------------------------------
# Units

UNITS = cases("units.txt") + ["m" * 61, "(" * 50 + "m" + ")" * 50, "m*" * 30 + "m"]


@pytest.mark.parametrize("text", UNITS, ids=_ids(UNITS))
def test_unit_parser_refuses(text):
    from psyq import units

    refused_by(units.parse_unit, text)


# "1 /h" and "1 *m" are fine after a number (1/h, 1·m); alone they are not units.
AFTER_NUMBER = [u for u in UNITS if not u.startswith(("/", "*"))]


@pytest.mark.parametrize("text", AFTER_NUMBER, ids=_ids(AFTER_NUMBER))
def test_unit_after_a_number_is_refused(text):
    from psyq.answers import parse_answer

    refused_by(parse_answer, "1 " + text)


# ---------------------------------------------------------------------------------------------
# YAML: files that no YAML reader of psyq may accept

YAML_FILES = sorted((HERE / "yaml").glob("*.yaml"))


def _generated_yaml() -> dict[str, bytes]:
    deep_list = "[" * 5000 + "]" * 5000
    deep_map = "".join("  " * i + f"k{i}:\n" for i in range(60)) + "  " * 60 + "v: 1\n"
    return {
        "deep-flow-list": f"id: x\nparams: {deep_list}\n".encode(),
        "deep-flow-map": ("a: " + "{b: " * 3000 + "1" + "}" * 3000 + "\n").encode(),
        "deep-block-map": deep_map.encode(),
        "too-large": b"id: x\ntext: |\n" + b"  " + b"a" * 1_100_000 + b"\n",
        "many-keys-too-large": b"".join(b"k%07d: 1\n" % i for i in range(120_000)),
        "binary": b"id: x\x00\x01\x02",
        "not-utf8": b"id: \xff\xfe\xfd\n",
        "anchor-bomb": (b"a: &a [x, x, x, x, x, x, x, x, x]\n"
                        + b"".join(b"%c: &%c [*%c, *%c, *%c, *%c, *%c, *%c, *%c, *%c, *%c]\n"
                                   % ((ord("b") + i,) * 2 + (ord("a") + i,) * 9) for i in range(9))),
    }


GENERATED_YAML = _generated_yaml()
YAML_CASES = [(p.name, p.read_bytes()) for p in YAML_FILES] + sorted(GENERATED_YAML.items())


@pytest.mark.parametrize("name,data", YAML_CASES, ids=[n for n, _ in YAML_CASES])
def test_yamlsafe_refuses(name, data):
    from psyq import yamlsafe

    refused_by(yamlsafe.loads, data, file=name)


@pytest.mark.parametrize("name,data", YAML_CASES, ids=[n for n, _ in YAML_CASES])
def test_template_loader_refuses_hostile_yaml(name, data):
    from psyq.template import loads_template

    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        pytest.skip("loads_template takes text; the byte-level case is covered by yamlsafe")
    refused_by(loads_template, text, file=name)


@pytest.mark.parametrize("name,data", YAML_CASES, ids=[n for n, _ in YAML_CASES])
def test_submission_loader_refuses_hostile_yaml(name, data, tmp_path):
    submission = pytest.importorskip("psyq.homework.submission")
    path = tmp_path / "answers.yaml"
    path.write_bytes(data)
    refused_by(submission.load_submission, path, ["1a"], "hw1")


# ---------------------------------------------------------------------------------------------
# Templates: valid YAML, hostile content

TEMPLATE_FILES = sorted((HERE / "templates").glob("*.yaml"))


@pytest.mark.parametrize("path", TEMPLATE_FILES, ids=[p.name for p in TEMPLATE_FILES])
def test_template_loader_refuses_hostile_templates(path):
    from psyq.template import loads_template

    exc = refused_by(loads_template, path.read_text(encoding="utf-8"), file=path.name)
    assert path.name in str(exc), "the error names the file"


def test_the_corpus_is_not_empty():
    assert len(ANSWERS) > 150 and len(YAML_FILES) >= 8 and len(TEMPLATE_FILES) >= 8
