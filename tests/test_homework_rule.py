"""An assignment item can choose its grading rule (issue 8: modes per template part or item)."""

import pytest

from psyq.errors import TemplateError
from psyq.homework.assignment import loads_assignment


def _assignment(rule: str) -> str:
    return f"""
id: hw-rule
title: Rule override
items:
  - template: occupancy-from-ki
    points: 2
    given: {{drug: sertraline, C: 1.16}}
    rule: {rule}
"""


def test_item_rule_replaces_the_parts_rule():
    from psyq.grading import grade
    from psyq.homework.assignment import compile_assignment
    from psyq.homework.grading import variants

    compiled = compile_assignment(loads_assignment(_assignment("{sigfigs: 3}"), "hw.yaml"))
    inst = variants(compiled, "s3cret", ["alice"])["alice"][0]
    part = inst.part("a")
    assert part.spec.rule.kind == "sigfigs"
    assert (part.low, part.high) == pytest.approx((79.95, 80.05))
    assert grade(part, "80.0 %").correct
    assert "SF_WRONG_DIGITS" in grade(part, "80 %").notes


def test_bad_item_rule_names_file_line_and_key():
    with pytest.raises(TemplateError) as info:
        loads_assignment(_assignment("{sigfigz: 3}"), "hw.yaml")
    assert info.value.file == "hw.yaml" and info.value.line == 8
    assert "rule" in (info.value.key or "")


def test_item_tolerance_override_sets_the_interval():
    from psyq.grading import grade
    from psyq.homework.assignment import compile_assignment
    from psyq.homework.grading import variants

    text = _assignment("{sigfigs: 3}").replace("    rule: {sigfigs: 3}\n", "    tolerance: {rtol: 0.05}\n")
    inst = variants(compile_assignment(loads_assignment(text, "hw.yaml")), "s3cret", ["bob"])["bob"][0]
    part = inst.part("a")
    assert part.spec.rule is None and (part.low, part.high) == pytest.approx((76.0, 84.0))
    assert grade(part, "83.9 %").correct and not grade(part, "84.1 %").correct
