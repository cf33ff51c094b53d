"""One instance without numpy (issue 12): ``generate`` of one seed takes the pure-Python path of
psyq.single, and must give exactly the instance ``generate_many`` gives for that seed; the commands
that make one instance (answer, show, practice) import neither numpy nor pydantic nor pint."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import warnings

import pytest

from psyq import bank, single
from psyq import expr as E
from psyq.instance import generate, generate_many
from psyq.sampling import TeachingConstraintWarning
from psyq.template import loads_template

SEEDS = [0, 1, 2, 3, 7, 42, 99, 1000, 123_456_789, 2**63 - 1]


def _same(one, row) -> None:
    """The very same instance: its JSON and every field (repr tells -0.0 from 0.0, shows nan)."""
    assert json.dumps(one.to_json(), sort_keys=True) == json.dumps(row.to_json(), sort_keys=True)
    assert repr(one) == repr(row)


@pytest.mark.parametrize("tid", [e.id for e in bank.entries()])
def test_one_seed_equals_the_batch_row_for_every_template(tid):
    t = bank.load(tid)
    batch = generate_many(t, SEEDS)
    left_to_numpy = []
    for seed, row in zip(SEEDS, batch):
        _same(generate(t, seed), row)
        try:
            one = single.generate_one(t, seed)
        except single.Unsupported:
            left_to_numpy.append(seed)
            continue
        _same(one, row)  # the pure-Python path itself (not a fall-back to the batch)
    assert left_to_numpy == []  # nothing in the bank needs the batch path


def test_constraints_with_power_and_logs_take_the_pure_python_path():
    """mao-recovery's constraint A0·2^(−t/t_half) > 0.02, mao-time-to-target's log2, occupancy-hill's
    C^nH: evaluate_array computes ^, exp and logs with libm, as psyq.single does, so every seed is
    decided in pure Python, the exact ties included."""
    for tid in ("mao-recovery", "mao-time-to-target", "occupancy-hill", "mao-moclobemide-reversible"):
        t = bank.load(tid)
        seeds = range(200, 400)
        for seed, row in zip(seeds, generate_many(t, seeds)):
            _same(single.generate_one(t, seed), row)


def test_seeds_once_too_close_to_call_are_made_in_pure_python():
    """These mao-recovery seeds drew, at some attempt, A0·2^(−t/t_half) within numpy's last bits of
    0.02 (A0 = 0.08, t = 2·t_half: exactly 0.02): with numpy's power the verdict could depend on the
    CPU, so psyq.single used to leave them to the batch path.  Both now use libm."""
    t = bank.load("mao-recovery")
    seeds = [969, 1074, 1832]
    for seed, row in zip(seeds, generate_many(t, seeds)):
        _same(single.generate_one(t, seed), row)
    node = E.parse("A0*2^(-t/t_half) > 0.02", symbols={"A0", "t", "t_half"}, allow_compare=True)
    tie = {"A0": 0.08, "t": 28.0, "t_half": 14.0}
    assert single._like_array(node, tie) is False  # 0.08·2⁻² is 0.02 in binary too: not above it
    import numpy as np

    assert not np.asarray(E.evaluate_array(node, {k: np.array([v]) for k, v in tie.items()})).any()


POWERED = """
id: powered-single
title: Powered single
family: test
version: 1
difficulty: 1
skill: probe
text: |
  Ki = {Ki}, C = {C}, t = {t}, k = {k}, h = {h}.
symbols:
  Ki: {unit: nM, meaning: inhibition constant, min: 0}
  C: {unit: nM, meaning: free concentration, min: 0}
  t: {unit: d, meaning: time, min: 0}
  occ: {unit: fraction, meaning: occupancy, min: 0, max: 1, display_unit: "%"}
relations:
  - occ = C/(C + Ki)
params:
  Ki: {loguniform: [0.1, 10], sigfigs: 2}
  C: {loguniform: [0.1, 30], sigfigs: 2}
  t: {uniform: [3, 7], decimals: 0}
  k: {expr: "C^1.7*exp(-t/Ki) + log2(C)*ln(t)/log10(Ki + 1)"}
  h: {expr: "(C - Ki)^(1/3) + ln(t - 5)"}
constraints:
  - "Ki*2^(-t/C) > 0.001 or exp(-C) < 0.5"
parts:
  - id: a
    ask: occ
    prompt: What is the occupancy?
    unit: "%"
    unattainable_if: "log10(C) > 1.3"
sources: [a test template]
"""


def test_derived_givens_with_power_exp_and_logs_take_the_pure_python_path():
    """A derived given computed with ^, exp and logs (unrounded: every bit shows in the instance),
    one that is nan or -inf on some rows (a negative base to the power 1/3, ln(0)), a constraint
    and an unattainable_if with them: psyq.single made all of these the batch path's way before;
    now it makes each one itself, bit for bit."""
    t = loads_template(POWERED)
    batch = generate_many(t, range(300))
    ks = [i.values["h"] for i in batch]
    assert any(math.isnan(h) for h in ks) and any(h == -math.inf for h in ks)
    assert any(i.parts[0].value is None for i in batch)
    for inst in batch:
        _same(single.generate_one(t, inst.seed), inst)


def test_pinned_givens_alone_equal_the_batch():
    t = bank.load("occupancy-from-ki")
    for pinned in ({"C": 3.14159, "drug": "sertraline"}, {"Ki": 0.29}, {"drug": "paroxetine"}):
        batch = generate_many(t, range(25), pinned)
        for seed in (0, 5, 24):
            one = single.generate_one(t, seed, pinned)
            _same(one, batch[seed])
            _same(generate(t, seed, pinned), batch[seed])


def test_a_teaching_fallback_goes_the_batch_way_with_its_warning():
    t = bank.load("occupancy-from-ki")
    pinned = {"drug": "sertraline", "Ki": 0.29, "C": 0.469}  # Ki/C equals the answer
    with pytest.raises(single.Unsupported):
        single.generate_one(t, 1, pinned)
    with pytest.warns(TeachingConstraintWarning, match="inverted_ratio"):
        one = generate(t, 1, pinned)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", TeachingConstraintWarning)
        _same(one, generate_many(t, [1], pinned)[0])


def test_bad_seeds_and_givens_are_refused_as_before():
    from psyq.errors import InputError

    t = bank.load("occupancy-from-ki")
    for seed in (-1, 2**63, True, 1.0):
        with pytest.raises(InputError, match="seed must be a whole number"):
            generate(t, seed)
    with pytest.raises(InputError, match="not a given"):
        generate(t, 1, {"nope": 1.0})


ODD = """
id: odd-single
title: Odd single
family: test
version: 1
difficulty: 1
skill: probe
text: |
  {who} has Ki = {Ki} and C = {C}; t = {t}; k = {k}.
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
  k: {expr: "min(C, Ki)/(t - 5) + sqrt(abs(C - Ki))", sigfigs: 3}
constraints:
  - "max(C, Ki) >= 0.1 or C/(t - 5) > 1"
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


def test_odd_rows_alone_equal_the_batch():
    """Division by zero in a derived parameter (numpy's inf), min/max/sqrt/abs, an unattainable
    part, a misconception refused on some rows, a choice name that is filled in the long way."""
    t = loads_template(ODD)
    batch = generate_many(t, range(300))
    assert any(not math.isfinite(i.values["k"]) for i in batch)  # t = 5: k = ±inf, as numpy gives
    assert any(i.parts[0].value is None for i in batch)
    for inst in batch:
        _same(single.generate_one(t, inst.seed), inst)


@pytest.mark.parametrize("text", ["1/0", "-1/0", "0/0", "C/(t - t)", "-(C - C)/(t - t)", "min(C, 0/0)",
                                  "max(-0.0, 0.0) + 1", "abs(-C)", "sqrt(0 - C)", "C > 1 and t < 2",
                                  "C > 1 or t < 2", "(C > 1) < 2", "C*1e300*1e300",
                                  "C*2^(-t/C) > 0.02", "abs(t - C*log2(1/(1 - 0.5))) > 0.02*t",
                                  "0.08*2^(-28/14) > 0.02", "exp(C) > 12 and ln(t) < 1.1", "C*2^(-t/C)",
                                  "min(2^C, 3) > 2", "(0 - C)^0.5", "(t - t)^(0 - 1)", "(-0.0)^(0 - 3)",
                                  "(-0.0)^(0 - 2)", "(0 - C)^401", "C^400", "(0 - C)^3", "ln(t - t)",
                                  "ln(-0.0)", "log10(0 - C)", "log2(C - C) < 0", "exp(1000*C)",
                                  "exp(0 - 1000*C)", "ln(C*1e300*1e300)", "exp(C)^t", "(C > 1)^2"])
def test_array_semantics_for_one_row(text):
    node = E.parse(text, symbols={"C", "t"}, allow_compare=True)
    env = {"C": 2.5, "t": 3.0}
    import numpy as np

    with np.errstate(all="ignore"):
        want = np.asarray(E.evaluate_array(node, {k: np.array([v]) for k, v in env.items()}), dtype=np.float64)
    want = float(np.broadcast_to(want, (1,))[0])
    # Left to numpy: a tie of signed zeros, arithmetic on a boolean.  Powers, exp and logs (their
    # nan/±inf at the domain edges included) are the same libm calls in both.
    if text in ("max(-0.0, 0.0) + 1", "(C > 1)^2"):
        with pytest.raises(single.Unsupported):
            single._like_array(node, env)
        return
    got = float(single._like_array(node, env))
    assert (math.isnan(got) and math.isnan(want)) or (got == want and math.copysign(1, got) == math.copysign(1, want))


# ------------------------------------------------------------------------------------------------
# Whole processes: what answer, show and practice import

PROBE = ("import sys, atexit, json\n"
         "atexit.register(lambda: sys.stderr.write('\\nIMPORTED ' + json.dumps("
         "[m for m in ('numpy', 'pydantic', 'pint', 'sympy', 'yaml') if m in sys.modules]) + '\\n'))\n"
         "from psyq.cli import main\n"
         "sys.argv = ['psyq', *sys.argv[1:]]\n"
         "main()\n")

ONE_INSTANCE = {
    "answer": (["answer", "occupancy-from-ki", "--seed", "1", "89.4 %"], "", 0, "Correct"),
    "answer --json": (["answer", "cheng-prusoff", "--seed", "3", "--json", "5 nM"], "", None, '"status"'),
    "show": (["show", "occupancy-from-ki", "--seed", "1", "--key", "--given", "Ki=0.3"], "", 0, "Sources"),
    "show mao-recovery": (["show", "mao-recovery", "--seed", "2", "--key"], "", 0, "Sources"),
    "practice": (["practice", "--template", "occupancy-from-ki", "--seed", "1", "--count", "1",
                  "--no-plots"], "89.4 %\n", 0, "Correct"),
}


@pytest.mark.parametrize("name", list(ONE_INSTANCE))
def test_one_instance_commands_import_no_numpy_pydantic_pint_or_yaml(name, tmp_path):
    args, stdin, code, shown = ONE_INSTANCE[name]
    env = {**os.environ, "PSYQ_HOME": str(tmp_path / "home"), "COLUMNS": "100",
           "PSYQ_CACHE_DIR": str(tmp_path / "cache")}
    env.pop("PSYQ_TEMPLATES", None)
    for _warm_cache in range(2):  # the first run fills the user cache (data tables read as YAML once)
        proc = subprocess.run([sys.executable, "-c", PROBE, *args], cwd=tmp_path, input=stdin, text=True,
                              capture_output=True, env=env)
    if code is not None:
        assert proc.returncode == code, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert shown in proc.stdout
    line = [x for x in proc.stderr.splitlines() if x.startswith("IMPORTED ")]
    assert line, proc.stderr
    assert json.loads(line[-1].split(" ", 1)[1]) == []
