"""STACK's and PrairieLearn's own grading fixtures, run through psyq's rules.

The fixtures live outside the repository (copyleft sources, see ../shared/conformance/README.md) and
are read here at test time: from ``$PSYQ_CONFORMANCE_DIR`` if set, else ``../shared/conformance``
beside the project.  When they are absent every test here is skipped with a message saying so.

The contract, per row:

* a STACK row (answer tests, significant-figure counting, decimal-place rounding) agrees with psyq —
  same verdict and, for answer tests, every STACK answer note present among psyq's tags — unless the
  row is listed in docs/grading.md's table of deliberate differences, in which case it must *disagree*
  exactly as the table says (a listed row that agrees is a stale entry and fails);
* a PrairieLearn row is reproduced by psyq's port of PrairieLearn's rule where psyq has one, and
  wherever psyq (STACK semantics) decides differently from PrairieLearn the row is in the
  STACK-vs-PrairieLearn table with both outcomes, and only then;
* STACK's numeric rows are also run through psyq's ports of PrairieLearn's rules; those that
  PrairieLearn would grade differently are in the "coming from PrairieLearn" table, and only those.

``python tests/test_conformance.py`` prints the three tables as they should read, to paste into the doc.
"""

from __future__ import annotations

import csv
import json
import math
import os
import re
import sys
from decimal import Decimal
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # when run as a script
    sys.path.insert(0, str(ROOT))

from psyq.errors import InputError
from psyq.numeric_rules import (
    STACK_NOTES,
    RuleResult,
    decimal_places,
    num_absolute,
    num_decplaces,
    num_decplaces_wrong,
    num_relative,
    num_sigfigs,
    pl_decdig,
    pl_decimal_digits,
    pl_is_numberless,
    pl_precision,
    pl_relabs,
    pl_sig_digits,
    pl_sigfig,
    round_half_up,
    sigfig_range,
    sigfigs_strict,
    split_number_unit,
    units_rule,
)

CONFORMANCE_DIR = Path(os.environ.get("PSYQ_CONFORMANCE_DIR")
                       or Path(__file__).resolve().parents[2] / "shared" / "conformance")
GRADING_DOC = ROOT / "docs" / "grading.md"
MISSING = (f"conformance fixtures not found in {CONFORMANCE_DIR} "
           "(check out ../shared/conformance beside the project, or set PSYQ_CONFORMANCE_DIR)")

STACK_NUMERIC = "stack_numeric.tsv"
STACK_COUNT = "stack_sigfig_count.tsv"
STACK_ROUNDING = "stack_decimalplaces_rounding.tsv"
PL_NUMERIC = "prairielearn_numeric.tsv"
PL_COUNT = "prairielearn_sigfig_count.tsv"

UNITS_TESTS = {
    "Units": ("sigfigs", False), "UnitsStrict": ("sigfigs", True),
    "UnitsRelative": ("relative", False), "UnitsStrictRelative": ("relative", True),
    "UnitsAbsolute": ("absolute", False), "UnitsStrictAbsolute": ("absolute", True),
}
ANSWER_TESTS = {"NumRelative", "NumAbsolute", "NumSigFigs", "SigFigsStrict", "NumDecPlaces",
                "NumDecPlacesWrong", *UNITS_TESTS}
VERDICT = {True: "1", False: "0", None: "-1"}


def read_rows(name: str) -> list[dict[str, str]] | None:
    path = CONFORMANCE_DIR / name
    if not path.is_file():
        return None
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f, delimiter="\t"))


def params(name: str, key) -> list:
    """One pytest param per fixture row (id from ``key``), or one skipped param when the file is absent."""
    rows = read_rows(name)
    if rows is None:
        return [pytest.param(None, marks=pytest.mark.skip(reason=MISSING), id="fixtures-missing")]
    return [pytest.param(row, id=key(row)) for row in rows]


# --------------------------------------------------------------------------------------------------
# The documented tables in docs/grading.md


def doc_table(marker: str) -> list[dict[str, str]]:
    """Rows of the markdown table between ``<!-- marker -->`` and ``<!-- /marker -->`` in docs/grading.md."""
    text = GRADING_DOC.read_text(encoding="utf-8") if GRADING_DOC.is_file() else ""
    m = re.search(rf"<!-- {re.escape(marker)} -->(.*?)<!-- /{re.escape(marker)} -->", text, re.DOTALL)
    if not m:
        return []
    lines = [ln.strip() for ln in m.group(1).splitlines() if ln.strip().startswith("|")]
    if len(lines) < 2:
        return []

    def cells(line: str) -> list[str]:
        return [c.strip().replace("\\|", "|").strip("`").strip() for c in re.split(r"(?<!\\)\|", line.strip("|"))]

    header = cells(lines[0])
    return [dict(zip(header, cells(line))) for line in lines[2:]]


def doc_index(marker: str, *key_columns: str) -> dict[tuple[str, ...], dict[str, str]]:
    return {tuple(r[c] for c in key_columns): r for r in doc_table(marker)}


STACK_DIFF = "conformance:stack-differences"
PL_DIFF = "conformance:stack-vs-prairielearn"
COMING_FROM_PL = "conformance:stack-rows-under-prairielearn"


# --------------------------------------------------------------------------------------------------
# STACK rows through psyq


def run_stack_answer_test(row: dict[str, str]) -> RuleResult:
    test, option = row["source_test"], row["options"]
    s, t = row["student_typed"], row["teacher_typed"] or None
    if test == "NumRelative":
        return num_relative(s, t, option or None)
    if test == "NumAbsolute":
        return num_absolute(s, t, option or None)
    if test == "NumSigFigs":
        return num_sigfigs(s, t, option or None)
    if test == "SigFigsStrict":
        return sigfigs_strict(s, option)
    if test == "NumDecPlaces":
        return num_decplaces(s, t, option)
    if test == "NumDecPlacesWrong":
        return num_decplaces_wrong(s, t, option)
    rule, strict = UNITS_TESTS[test]
    return units_rule(s, t or "", rule, option or None, strict)


def stack_notes(answernote: str) -> list[str]:
    """STACK's answer notes as psyq tags ("ATUnits_compatible_units kg." → "UNITS_COMPATIBLE")."""
    tags = []
    for part in answernote.split(". "):
        name = part.strip().rstrip(".").split(" ")[0]
        if name:
            tags.append(STACK_NOTES.get(name, f"?{name}"))
    return tags


def stack_answer_outcome(row: dict[str, str]) -> tuple[str, str, bool]:
    """(STACK's verdict, psyq's verdict, whether they agree — notes included)."""
    result = run_stack_answer_test(row)
    got = VERDICT[result.accepted]
    agree = got == row["expected"]
    # Notes of STACK's known failures (-3) describe the failing behaviour, not the intended value.
    if agree and "stack_known_failure" not in row["flags"]:
        agree = all(tag in result.notes for tag in stack_notes(row["answernote"]))
    return row["expected"], got, agree


def count_text(low: int, high: int, places: int) -> str:
    return f"{low}..{high} sf, {places} dp" if low != high else f"{low} sf, {places} dp"


def stack_count_outcome(row: dict[str, str]) -> tuple[str, str, bool]:
    expected = count_text(int(row["sf_lower"]), int(row["sf_upper"]), int(row["decimal_places"]))
    try:
        got = count_text(*sigfig_range(row["string"]), decimal_places(row["string"]))
    except InputError:
        got = "error"
    return expected, got, expected == got


def stack_rounding_outcome(row: dict[str, str]) -> tuple[str, str, bool]:
    expected = "error" if row["error"] else row["result"]
    try:
        got_value = round_half_up(row["string"], decimals=int(row["decimal_places_arg"]))
        got = str(got_value)
    except (InputError, ValueError):
        return expected, "error", expected == "error"
    try:
        agree = expected != "error" and Decimal(expected) == got_value
    except ArithmeticError:
        agree = False
    return expected, got, agree


def stack_key(file: str, row: dict[str, str]) -> tuple[str, str]:
    return (file, row["source_line"])


def check_stack_row(file: str, row: dict[str, str], outcome: tuple[str, str, bool]) -> None:
    expected, got, agree = outcome
    documented = doc_index(STACK_DIFF, "file", "source_line").get(stack_key(file, row))
    what = f"{file}:{row['source_line']}"
    if documented is None:
        assert agree, (f"{what}: psyq gives {got}, STACK {expected} — an undocumented difference; fix "
                       f"psyq or list it in docs/grading.md ({STACK_DIFF}) with the reason")
        return
    assert not agree, f"{what} is listed as a deliberate difference in docs/grading.md but psyq agrees: remove it"
    assert documented["STACK"] == expected, f"{what}: docs/grading.md says STACK gives {documented['STACK']}, the fixture {expected}"
    assert documented["psyq"] == got, f"{what}: docs/grading.md says psyq gives {documented['psyq']}, psyq gives {got}"
    assert documented.get("reason"), f"{what}: the documented difference needs a reason"


def _stack_rows_for(*tests: str) -> list:
    return [p for p in params(STACK_NUMERIC, lambda r: f"{r['source_line']}-{r['source_test']}")
            if not p.values[0] or p.values[0]["source_test"] in tests]


@pytest.mark.parametrize("row", _stack_rows_for("NumRelative", "NumAbsolute"))
def test_stack_tolerance(row):
    check_stack_row(STACK_NUMERIC, row, stack_answer_outcome(row))


@pytest.mark.parametrize("row", _stack_rows_for("NumSigFigs", "SigFigsStrict"))
def test_stack_sigfigs(row):
    check_stack_row(STACK_NUMERIC, row, stack_answer_outcome(row))


@pytest.mark.parametrize("row", _stack_rows_for("NumDecPlaces", "NumDecPlacesWrong"))
def test_stack_decimal_places(row):
    check_stack_row(STACK_NUMERIC, row, stack_answer_outcome(row))


@pytest.mark.parametrize("row", _stack_rows_for(*UNITS_TESTS))
def test_stack_units(row):
    check_stack_row(STACK_NUMERIC, row, stack_answer_outcome(row))


@pytest.mark.parametrize("row", params(STACK_COUNT, lambda r: f"{r['source_line']}-{r['string']}"))
def test_stack_sigfig_counting(row):
    check_stack_row(STACK_COUNT, row, stack_count_outcome(row))


@pytest.mark.parametrize("row", params(STACK_ROUNDING, lambda r: f"{r['source_line']}-{r['string']}"))
def test_stack_rounding(row):
    check_stack_row(STACK_ROUNDING, row, stack_rounding_outcome(row))


def test_every_stack_answer_test_is_run():
    rows = read_rows(STACK_NUMERIC)
    if rows is None:
        pytest.skip(MISSING)
    assert {r["source_test"] for r in rows} <= ANSWER_TESTS, "a STACK answer test this suite does not run"


def test_documented_stack_differences_exist():
    """Every row of the deliberate-differences table names a fixture row that exists."""
    index = {}
    for file in (STACK_NUMERIC, STACK_COUNT, STACK_ROUNDING):
        rows = read_rows(file)
        if rows is None:
            pytest.skip(MISSING)
        index.update({stack_key(file, r): r for r in rows})
    documented = doc_table(STACK_DIFF)
    assert documented, f"docs/grading.md has no {STACK_DIFF} table"
    unknown = [(r["file"], r["source_line"]) for r in documented if (r["file"], r["source_line"]) not in index]
    assert not unknown, f"docs/grading.md lists rows that are not in the fixtures: {unknown}"


# --------------------------------------------------------------------------------------------------
# PrairieLearn rows: psyq's port reproduces PrairieLearn, and psyq's STACK-semantics verdict is compared


def _pl_scalar_text(x) -> str:
    return x if isinstance(x, str) else repr(float(x))


def _elements(field: str) -> list[str]:
    value = json.loads(field)
    return [_pl_scalar_text(x) for line in value for x in line]


def _psyq_scalar(function: str, student: str, true: str, digits: int) -> bool | None:
    try:
        t = float(true)
    except ValueError:
        return None  # complex: psyq grades real numbers only
    if not math.isfinite(t):
        return None  # psyq grades finite numbers only
    if function.endswith("_sf"):
        return num_sigfigs(student, t, digits).accepted
    return num_decplaces(student, t, digits).accepted


def _and(verdicts: list[bool | None]) -> bool | None:
    if any(v is None for v in verdicts):
        return None
    return all(verdicts)


def pl_numeric_outcomes(row: dict[str, str]) -> tuple[bool | None, bool | None]:
    """(psyq's port of PrairieLearn's rule — None where psyq has no port, psyq's STACK-semantics verdict)."""
    function, p = row["function"], json.loads(row["params"])
    s, t = row["student"], row["true_value"]
    if function in ("is_correct_scalar_sf", "is_correct_scalar_dd"):
        port = (pl_sigfig if function.endswith("_sf") else pl_decdig)(s, t, p["digits"]).accepted
        return port, _psyq_scalar(function, s, t, p["digits"])
    if function in ("is_correct_ndarray2d_sf", "is_correct_ndarray2d_dd"):
        scalar = "is_correct_scalar_" + function[-2:]
        pl_rule = pl_sigfig if function.endswith("_sf") else pl_decdig
        pairs = list(zip(_elements(s), _elements(t)))
        port = all(pl_rule(a, b, p["digits"]).accepted for a, b in pairs)
        return port, _and([_psyq_scalar(scalar, a, b, p["digits"]) for a, b in pairs])
    if function == "get_only_units_grading_fn":
        from psyq.units import parse_unit

        try:
            return None, parse_unit(s).same_as(parse_unit(t))
        except InputError:
            return None, None
    if function == "get_with_units_grading_fn":
        if p["rtol"] == 0:
            return None, units_rule(s, t, "absolute", p["atol"]).accepted
        return None, units_rule(s, t, "relative", str(p["rtol"])).accepted
    if function == "get_exact_units_grading_fn":
        return None, units_rule(s, t, "relative", "0", strict=True).accepted
    raise AssertionError(f"unknown PrairieLearn function {function}")


def pl_count_outcomes(row: dict[str, str]) -> tuple[str, str, str | None]:
    """(PrairieLearn's expected value, psyq's port, psyq's STACK-semantics value — None if no counterpart)."""
    s, function = json.loads(row["string_json"]), row["function"]
    if function == "is_numberless":
        return row["expected"], str(pl_is_numberless(s)).lower(), str(split_number_unit(s)[0] == "").lower()
    if function == "get_string_precision":
        return row["expected"], repr(pl_precision(s)), None
    if function == "get_string_significant_digits":
        low, high = sigfig_range(s)
        return row["expected"], str(pl_sig_digits(s)), str(low) if low == high else f"{low}..{high}"
    return row["expected"], str(pl_decimal_digits(s)), str(decimal_places(s))


def _pl_text(v: bool | None) -> str:
    return {True: "accept", False: "reject", None: "invalid"}[v]


def check_pl_row(row: dict[str, str], pl: str, psyq: str | None) -> None:
    documented = doc_index(PL_DIFF, "source").get((row["source"],))
    what = row["source"]
    if psyq is None or psyq == pl:
        assert documented is None, f"{what} is in docs/grading.md's STACK-vs-PrairieLearn table but psyq agrees: remove it"
        return
    assert documented is not None, (f"{what}: PrairieLearn gives {pl}, psyq {psyq}; list it in docs/grading.md "
                                    f"({PL_DIFF}) side by side")
    assert documented["PrairieLearn"] == pl and documented["psyq"] == psyq, \
        f"{what}: docs/grading.md shows {documented['PrairieLearn']} / {documented['psyq']}, actual {pl} / {psyq}"


@pytest.mark.parametrize("row", params(PL_NUMERIC, lambda r: r["source"].split("::")[-1]))
def test_prairielearn_numeric(row):
    port, psyq = pl_numeric_outcomes(row)
    pl = row["expected"] == "true"
    if port is not None:
        assert port == pl, f"psyq's port of PrairieLearn {row['function']} gives {port}, PrairieLearn {pl}"
    check_pl_row(row, _pl_text(pl), _pl_text(psyq))


@pytest.mark.parametrize("row", params(PL_COUNT, lambda r: f"{r['function']}-{r['string_json']}"))
def test_prairielearn_counting(row):
    expected, port, psyq = pl_count_outcomes(row)
    if row["function"] == "get_string_precision":
        assert float(port) == float(expected), f"pl_precision gives {port}, PrairieLearn {expected}"
        port = expected
    assert port == expected, f"psyq's port of {row['function']} gives {port}, PrairieLearn {expected}"
    check_pl_row(row, expected, psyq)


def test_documented_prairielearn_rows_exist():
    numeric, count = read_rows(PL_NUMERIC), read_rows(PL_COUNT)
    if numeric is None or count is None:
        pytest.skip(MISSING)
    sources = {r["source"] for r in numeric + count}
    documented = doc_table(PL_DIFF)
    assert documented, f"docs/grading.md has no {PL_DIFF} table"
    unknown = [r["source"] for r in documented if r["source"] not in sources]
    assert not unknown, f"docs/grading.md lists PrairieLearn rows that are not in the fixtures: {unknown}"


# --------------------------------------------------------------------------------------------------
# STACK's numeric rows under PrairieLearn's rules (for instructors coming from PrairieLearn)


def stack_row_under_pl(row: dict[str, str]) -> bool | None:
    """PrairieLearn's verdict on a STACK numeric row, or None where PrairieLearn has no such rule."""
    test, option, s, t = row["source_test"], row["options"], row["student_typed"], row["teacher_typed"]
    if row["expected"] == "-1" or not t or option.startswith("["):
        return None
    try:
        sv, tv = float(s.replace("*10^", "e")), float(t.replace("*10^", "e"))
    except ValueError:
        return None
    if test == "NumRelative":
        return pl_relabs(sv, tv, rtol=float(option or 0.05), atol=0.0).accepted
    if test == "NumAbsolute":
        return pl_relabs(sv, tv, rtol=0.0, atol=float(option or 0.05)).accepted
    if test == "NumSigFigs":
        return pl_sigfig(sv, tv, int(option)).accepted
    if test == "NumDecPlaces":
        return pl_decdig(sv, tv, int(option)).accepted
    return None


@pytest.mark.parametrize("row", _stack_rows_for("NumRelative", "NumAbsolute", "NumSigFigs", "NumDecPlaces"))
def test_stack_rows_under_prairielearn(row):
    pl = stack_row_under_pl(row)
    documented = doc_index(COMING_FROM_PL, "source_line").get((row["source_line"],))
    stack = {"1": True, "0": False}.get(row["expected"])
    if pl is None or pl == stack:
        assert documented is None, f"{row['source_line']} is in docs/grading.md ({COMING_FROM_PL}) but PrairieLearn agrees"
        return
    assert documented is not None, (f"{row['source_line']}: STACK/psyq {_pl_text(stack)}, PrairieLearn "
                                    f"{_pl_text(pl)}; list it in docs/grading.md ({COMING_FROM_PL})")
    assert documented["psyq"] == _pl_text(stack) and documented["PrairieLearn"] == _pl_text(pl)


def test_documented_rows_under_prairielearn_exist():
    rows = read_rows(STACK_NUMERIC)
    if rows is None:
        pytest.skip(MISSING)
    lines = {r["source_line"] for r in rows}
    documented = doc_table(COMING_FROM_PL)
    assert documented, f"docs/grading.md has no {COMING_FROM_PL} table"
    unknown = [r["source_line"] for r in documented if r["source_line"] not in lines]
    assert not unknown, f"docs/grading.md lists STACK rows that are not in the fixtures: {unknown}"


# --------------------------------------------------------------------------------------------------
# Printing the tables for the doc: python tests/test_conformance.py


def _md(value: str) -> str:
    return f"`{value}`" if value else ""


def _pl_params(p: dict) -> str:
    return ", ".join(f"{k}={v}" for k, v in p.items())


def print_tables() -> None:  # pragma: no cover - a maintenance helper
    reasons = doc_index(STACK_DIFF, "file", "source_line")
    print(f"<!-- {STACK_DIFF} -->")
    print("| file | source_line | test | option | student | teacher | STACK | psyq | reason |")
    print("|---|---|---|---|---|---|---|---|---|")
    for file, outcome in ((STACK_NUMERIC, stack_answer_outcome), (STACK_COUNT, stack_count_outcome),
                          (STACK_ROUNDING, stack_rounding_outcome)):
        for row in read_rows(file) or []:
            expected, got, agree = outcome(row)
            if agree:
                continue
            if file == STACK_NUMERIC:
                test, option, s, t = row["source_test"], row["options"], row["student_typed"], row["teacher_typed"]
            elif file == STACK_COUNT:
                test, option, s, t = "count", "", row["string"], ""
            else:
                test, option, s, t = "decimalplaces", row["decimal_places_arg"], row["string"], ""
            reason = reasons.get((file, row["source_line"]), {}).get("reason", "")
            print(f"| {file} | {row['source_line']} | {test} | {_md(option)} | {_md(s)} | {_md(t)} | "
                  f"{expected} | {got} | {reason} |")
    print(f"<!-- /{STACK_DIFF} -->\n")

    notes = doc_index(PL_DIFF, "source")
    print(f"<!-- {PL_DIFF} -->")
    print("| source | function | student | true value | params | PrairieLearn | psyq | note |")
    print("|---|---|---|---|---|---|---|---|")
    for row in read_rows(PL_NUMERIC) or []:
        _, psyq = pl_numeric_outcomes(row)
        pl = _pl_text(row["expected"] == "true")
        if _pl_text(psyq) != pl:
            note = notes.get((row["source"],), {}).get("note", "")
            print(f"| {row['source']} | {row['function']} | {_md(row['student'])} | {_md(row['true_value'])} | "
                  f"{_pl_params(json.loads(row['params']))} | {pl} | {_pl_text(psyq)} | {note} |")
    for row in read_rows(PL_COUNT) or []:
        expected, _, psyq = pl_count_outcomes(row)
        if psyq is not None and psyq != expected:
            note = notes.get((row["source"],), {}).get("note", "")
            print(f"| {row['source']} | {row['function']} | {_md(json.loads(row['string_json']))} | | | "
                  f"{expected} | {psyq} | {note} |")
    print(f"<!-- /{PL_DIFF} -->\n")

    print(f"<!-- {COMING_FROM_PL} -->")
    print("| source_line | test | option | student | teacher | psyq | PrairieLearn | STACK note |")
    print("|---|---|---|---|---|---|---|---|")
    for row in read_rows(STACK_NUMERIC) or []:
        if row["source_test"] not in ("NumRelative", "NumAbsolute", "NumSigFigs", "NumDecPlaces"):
            continue
        pl = stack_row_under_pl(row)
        stack = {"1": True, "0": False}.get(row["expected"])
        if pl is not None and pl != stack:
            print(f"| {row['source_line']} | {row['source_test']} | {_md(row['options'])} | "
                  f"{_md(row['student_typed'])} | {_md(row['teacher_typed'])} | {_pl_text(stack)} | "
                  f"{_pl_text(pl)} | {row['answernote']} |")
    print(f"<!-- /{COMING_FROM_PL} -->")


if __name__ == "__main__":  # pragma: no cover
    print_tables()
