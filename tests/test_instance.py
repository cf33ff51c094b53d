"""Instances: answers from the displayed givens, vectorised = one at a time, pinned givens, JSON."""

import json
import re

import pytest

from psyq import bank
from psyq.errors import InputError
from psyq.instance import generate, generate_many

CANONICAL = ["occupancy-from-ki", "mao-recovery", "snri-engagement"]


def _number(display: str) -> float:
    return float(re.match(r"-?[\d.]+", display).group(0))


def test_answers_come_from_the_displayed_givens():
    tpl = bank.load("occupancy-from-ki")
    for inst in generate_many(tpl, range(50)):
        Ki, C = _number(inst.givens["Ki"].display), _number(inst.givens["C"].display)
        assert inst.givens["C"].value == C  # the value used is exactly the value shown
        assert inst.part("a").value == pytest.approx(100 * C / (C + Ki), rel=1e-12)


def test_mao_recovery_from_displayed_values():
    tpl = bank.load("mao-recovery")
    for inst in generate_many(tpl, range(50)):
        A0 = _number(inst.givens["A0"].display) / 100  # shown in %
        th, t = _number(inst.givens["t_half"].display), _number(inst.givens["t"].display)
        assert inst.part("a").value == pytest.approx(100 * (1 - (1 - A0) * 2 ** (-t / th)), rel=1e-12)
        assert 0.05 <= A0 <= 0.30 and 7 <= th <= 16


@pytest.mark.parametrize("tid", CANONICAL)
def test_vectorised_equals_one_at_a_time(tid):
    tpl = bank.load(tid)
    many = generate_many(tpl, [5, 17, 123456789])
    for inst in many:
        assert generate(tpl, inst.seed).to_json() == inst.to_json()


@pytest.mark.parametrize("tid", CANONICAL)
def test_json_contract(tid):
    data = generate(bank.load(tid), 7).to_json()
    for key in ("template", "seed", "id", "title", "family", "text", "givens", "parts"):
        assert key in data
    assert data["template"] == tid and data["seed"] == 7 and len(data["id"]) == 16
    for g in data["givens"].values():
        assert set(g) == {"value", "unit", "display"}
    for p in data["parts"]:
        assert {"id", "ask", "prompt", "answer", "accept", "tolerance"} <= set(p)
        assert p["accept"]["low"] < p["answer"]["value"] < p["accept"]["high"]
        assert p["misconceptions"] and p["solution"]
    json.dumps(data)  # serialisable


def test_canonical_symbol_names():
    assert set(bank.load("occupancy-from-ki").givens) == {"Ki", "C"}
    assert bank.load("occupancy-from-ki").parts[0].ask == "occ"
    assert set(bank.load("mao-recovery").givens) == {"A0", "t_half", "t"}
    assert bank.load("mao-recovery").parts[0].ask == "A"
    snri = bank.load("snri-engagement")
    assert set(snri.givens) == {"dose", "ED50_SERT", "ED50_NET", "Omax"}
    assert [p.ask for p in snri.parts] == ["occ_SERT", "occ_NET"]


def test_pinned_givens():
    tpl = bank.load("occupancy-from-ki")
    inst = generate(tpl, 3, {"drug": "sertraline", "C": 1.16})
    assert inst.givens["Ki"].value == 0.29  # Tatsumi 1997 sertraline SERT
    assert inst.givens["C"].display == "1.16 nM"
    assert inst.part("a").value == pytest.approx(80.0)
    assert inst.id != generate(tpl, 3).id
    with pytest.raises(InputError, match="not a given"):
        generate(tpl, 3, {"occ": 0.5})
    with pytest.raises(InputError, match="not a choice"):
        generate(tpl, 3, {"drug": "aspirin"})
    # a pinned given outside its symbol's min/max is refused, not solved into nonsense (Omax = 200 %)
    with pytest.raises(InputError, match=r"Omax = 2 is above its maximum 1") as info:
        generate(bank.load("snri-engagement"), 1, {"Omax": 2.0})
    assert "90 %" in info.value.hint
    with pytest.raises(InputError, match=r"Ki = -1 nM is below its minimum 0 nM"):
        generate(tpl, 3, {"Ki": -1.0})
    assert generate(bank.load("snri-engagement"), 1, {"Omax": 1.0}).givens["Omax"].value == 1.0


def test_worked_solution_steps_carry_units():
    inst = generate(bank.load("occupancy-from-ki"), 1, {"drug": "sertraline", "C": 1.16})
    step = inst.part("a").steps[0]
    assert step.unknown == "occ" and step.relation == "occ = C/(C + Ki)"
    assert "1.16 nM" in step.substituted and "0.29 nM" in step.substituted
    assert step.result == "80.00 %"


def test_seed_validation():
    with pytest.raises(InputError):
        generate(bank.load("mao-recovery"), -1)
