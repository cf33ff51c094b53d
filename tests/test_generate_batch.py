"""generate_many renders a batch a column at a time; every instance must be exactly the one
``generate`` gives for its seed alone (which takes the scalar paths: a batch of one is below the
array functions' vectorising threshold).

Batches here are large enough for the array paths (vectorised rounding, formatting, misconception
values, shared givens), and an odd template covers the row-by-row fallbacks: a choice name with
surrounding spaces (the prepared reflow would not be exact), a misconception that divides by zero
on some rows, a part that is not attainable on some rows, a pinned given.
"""

from __future__ import annotations

import json

import pytest

from psyq import bank
from psyq.instance import generate, generate_many
from psyq.template import loads_template


def _same(a, b) -> None:
    assert json.dumps(a.to_json(), sort_keys=True) == json.dumps(b.to_json(), sort_keys=True)


@pytest.mark.parametrize("tid", [e.id for e in bank.entries()])
def test_a_batch_equals_each_seed_alone(tid):
    t = bank.load(tid)
    seeds = list(range(1000, 1256))
    batch = generate_many(t, seeds)
    assert [i.seed for i in batch] == seeds
    for inst in batch[::37]:
        _same(inst, generate(t, inst.seed))
    bare = generate_many(t, seeds[:100], with_solution=False)
    for inst, full in zip(bare, batch):
        assert [p.steps for p in inst.parts] == [[] for _ in inst.parts]
        assert inst.text == full.text and [p.display for p in inst.parts] == [p.display for p in full.parts]


def test_a_pinned_batch_equals_each_seed_alone():
    t = bank.load("occupancy-from-ki")
    pinned = {"C": 3.14159, "drug": "sertraline"}
    batch = generate_many(t, range(200), pinned)
    for inst in batch[::23]:
        _same(inst, generate(t, inst.seed, pinned))
    assert {i.givens["C"].display for i in batch} == {"3.14159 nM"}
    assert all(i.givens["C"].pinned and i.pinned == {"C": 3.14159, "drug": "sertraline"} for i in batch)
    batch[0].pinned["C"] = 1.0  # each instance has a dict of its own
    assert batch[1].pinned["C"] == 3.14159


ODD = """
id: odd-batch
title: Odd batch
family: test
version: 1
difficulty: 1
skill: probe
text: |
  {who} has Ki = {Ki} and C = {C}; t = {t}.
symbols:
  Ki: {unit: nM, meaning: inhibition constant, min: 0}
  C: {unit: nM, meaning: free concentration, min: 0}
  t: {unit: d, meaning: time, min: 0}
  occ: {unit: fraction, meaning: occupancy, min: 0, max: 1, display_unit: "%"}
relations:
  - occ = C/(C + Ki)
params:
  who: {choice: [plain, " padded ", two_words]}
  Ki: {loguniform: [0.1, 10], sigfigs: 2}
  C: {loguniform: [0.1, 30], sigfigs: 2}
  t: {uniform: [3, 7], decimals: 0}
parts:
  - id: a
    ask: occ
    prompt: What is the occupancy for {who} at t = {t.value} {t.unit}?
    unit: "%"
    unattainable_if: "C > 20"
    misconceptions:
      - {name: pole, expr: "1/(t - 5)", feedback: "divides by zero when t = 5"}
      - {name: ratio, expr: "C/Ki", feedback: "a ratio"}
solution: |
  {who}: occ = C/(C + Ki) = {occ}.
sources: [a test template]
"""


def test_row_fallbacks_in_a_batch_equal_each_seed_alone():
    t = loads_template(ODD)
    batch = generate_many(t, range(400))
    names = {i.choices["who"] for i in batch}
    assert names == {"plain", " padded ", "two_words"}
    pole = [m for i in batch for m in i.parts[0].misconceptions if m.name == "pole"]
    assert any(m.value is None and m.display == "—" for m in pole)      # t = 5: division by zero
    assert any(m.value is not None for m in pole)
    unatt = [i for i in batch if i.parts[0].value is None]
    assert unatt and all(i.parts[0].display == "not attainable" and i.parts[0].low is None for i in unatt)
    for inst in batch[::7]:
        _same(inst, generate(t, inst.seed))
    padded = [i for i in batch if i.choices["who"] == " padded "]
    assert padded and all(i.text.startswith("Padded  has Ki = ") for i in padded)  # the long way


def test_rows_share_givens_but_not_mutable_parts():
    t = bank.load("occupancy-from-ki")
    batch = generate_many(t, range(2000))
    by_value = {}
    for inst in batch:
        g = inst.givens["Ki"]
        by_value.setdefault((g.value, g.display), set()).add(id(g))
    assert len(by_value) <= 6 and all(len(ids) == 1 for ids in by_value.values())  # one per drug
    with pytest.raises(AttributeError):
        batch[0].givens["Ki"].display = "changed"  # frozen: safe to share
    assert len({id(i.parts[0]) for i in batch}) == len(batch)
    assert len({id(i.values) for i in batch}) == len(batch)
    batch[0].parts[0].regrade(rtol=0.5)
    assert batch[1].parts[0].rtol == 0.01
