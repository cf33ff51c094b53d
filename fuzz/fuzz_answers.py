"""Coverage-guided fuzzing of the answer parser and the grader (atheris / libFuzzer).

    python fuzz/fuzz_answers.py -max_total_time=30 CORPUS_DIR

Each input is decoded as text and handed to psyq.answers.parse_answer, then graded against one
part of each canonical template.  A finding is any exception other than a PsyqError with a
one-line message, or a parse that makes more calls than its bound (fuzz/_harness.py).
"""

from __future__ import annotations

import sys

import atheris

import _harness  # noqa: F401  (puts the checkout on sys.path)

with atheris.instrument_imports(include=["psyq"]):
    from psyq.answers import parse_answer
    from psyq.grading import grade

ANSWER_CALLS = 200_000  # Python and C calls (fuzz/_harness.py); 9,222 at most, under atheris
PARTS = []


def _parts():
    if not PARTS:
        from psyq import bank
        from psyq.instance import generate

        for tid in ("occupancy-from-ki", "mao-recovery", "snri-engagement"):
            PARTS.extend(generate(bank.load(tid), 7).parts)
        from psyq import units

        units.parse_unit("kPa")  # pint's registry, loaded before the clock starts
    return PARTS


def TestOneInput(data: bytes) -> None:  # noqa: N802 - atheris' name
    fdp = atheris.FuzzedDataProvider(data)
    which = fdp.ConsumeIntInRange(0, 255)
    text = fdp.ConsumeUnicodeNoSurrogates(320)
    _harness.check(parse_answer, text, calls=ANSWER_CALLS)
    parts = _parts()
    verdict = grade(parts[which % len(parts)], text)
    if verdict.status not in ("correct", "incorrect", "invalid"):
        raise _harness.Finding(f"unknown status {verdict.status!r}")
    if "\n" in verdict.feedback:
        raise _harness.Finding(f"multi-line feedback {verdict.feedback!r}")


def main() -> None:
    _parts()
    atheris.Setup(sys.argv, TestOneInput)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
