"""Coverage-guided fuzzing of the template loader (atheris / libFuzzer).

    python fuzz/fuzz_templates.py -max_total_time=30 -dict=fuzz/template.dict CORPUS_DIR

Each input is handed, as bytes, to psyq.yamlsafe.loads and, decoded, to
psyq.template.loads_template; a template that loads is also compiled and one instance generated
(sympy work, bounded by psyq's own solver time limit).  A finding is any exception other than a
PsyqError with a one-line message, or a call that makes more calls than its bound
(fuzz/_harness.py).
"""

from __future__ import annotations

import sys

import atheris

import _harness  # noqa: F401

with atheris.instrument_imports(include=["psyq"]):
    from psyq import yamlsafe
    from psyq.data import load_tables
    from psyq.instance import generate
    from psyq.solve import compile_template
    from psyq.template import Template, loads_template

# Python and C calls per call (fuzz/_harness.py); measured under atheris at most 79,898 (yamlsafe),
# 95,694 (loads_template: psyq's YAML reader is pure Python) and 8,444 (generate, once compiled).
YAML_CALLS = 2_000_000
TEMPLATE_CALLS = 2_000_000
GENERATE_CALLS = 5_000_000


def TestOneInput(data: bytes) -> None:  # noqa: N802
    _harness.check(yamlsafe.loads, data, file="fuzz.yaml", calls=YAML_CALLS)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return
    template = _harness.check(loads_template, text, file="fuzz.yaml", calls=TEMPLATE_CALLS)
    if isinstance(template, Template):
        # sympy's part is bounded by psyq's own solve budget (CPU seconds, by design); the data
        # tables are read once per process; what is left of generation is bounded by its work.
        compiled = _harness.check(compile_template, template, calls=None)
        if not isinstance(compiled, Exception):
            _harness.check(load_tables, tuple(template.data_dirs), calls=None)
            _harness.check(generate, template, 1, calls=GENERATE_CALLS)


def main() -> None:
    atheris.Setup(sys.argv, TestOneInput)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
