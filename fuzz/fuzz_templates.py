"""Coverage-guided fuzzing of the template loader (atheris / libFuzzer).

    python fuzz/fuzz_templates.py -max_total_time=30 -dict=fuzz/template.dict CORPUS_DIR

Each input is handed, as bytes, to psyq.yamlsafe.loads and, decoded, to
psyq.template.loads_template; a template that loads is also compiled and one instance generated
(sympy work, bounded by psyq's own solver time limit).  A finding is any exception other than a
PsyqError with a one-line message, or a call slower than its bound.
"""

from __future__ import annotations

import sys

import atheris

import _harness  # noqa: F401

with atheris.instrument_imports(include=["psyq"]):
    from psyq import yamlsafe
    from psyq.instance import generate
    from psyq.template import Template, loads_template

_harness_generate_bound = 30.0


def TestOneInput(data: bytes) -> None:  # noqa: N802
    _harness.check(yamlsafe.loads, data, file="fuzz.yaml")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return
    template = _harness.check(loads_template, text, file="fuzz.yaml")
    if isinstance(template, Template):
        old = _harness.BOUND
        _harness.BOUND = _harness_generate_bound
        try:
            _harness.check(generate, template, 1)
        finally:
            _harness.BOUND = old


def main() -> None:
    atheris.Setup(sys.argv, TestOneInput)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
