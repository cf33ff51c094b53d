"""The fast JSON writer and the instance id (issue 12): the same bytes as json.dumps(to_json())
and as the id's old serialise-then-hash definition, over the whole bank."""

from __future__ import annotations

import hashlib
import json

import pytest

from psyq import bank
from psyq.instance import generate_many
from psyq.instance_json import dumps_many


def _old_id(inst) -> str:
    key = json.dumps({"t": inst.template.content_hash, "s": inst.seed,
                      "p": {k: (v if isinstance(v, str) else repr(float(v)))
                            for k, v in sorted(inst.pinned.items())}}, sort_keys=True)
    return hashlib.sha256(key.encode()).hexdigest()[:16]


@pytest.mark.parametrize("tid", [e.id for e in bank.entries()])
def test_same_bytes_as_json_dumps_for_every_template(tid):
    t = bank.load(tid)
    instances = generate_many(t, [*range(40), 2**63 - 1, 123456789])
    fast = list(dumps_many(instances))
    assert len(fast) == len(instances)
    for inst, text in zip(instances, fast):
        assert text == json.dumps(inst.to_json(), ensure_ascii=False), (tid, inst.seed)
        assert inst.id == _old_id(inst)


def test_pinned_regraded_and_unattainable_instances():
    from psyq.givens import parse_givens
    from psyq.template import Rule

    t = bank.load("occupancy-from-ki")
    pinned = parse_givens(t, ["C=1.16 nM"])
    instances = generate_many(t, range(5), pinned)
    instances[1].parts[0].regrade(rule=Rule("sigfigs", 3), rtol=None)
    instances[2].parts[0].value = None  # as an unattainable part is written
    for inst in instances:
        assert next(dumps_many([inst])) == json.dumps(inst.to_json(), ensure_ascii=False)
        assert inst.id == _old_id(inst) and inst.to_json()["pinned"] == ["C"]


def test_repeated_strings_are_encoded_once_not_kept_for_ever():
    from psyq import instance_json

    memo = instance_json._Memo(lambda s: s.upper(), limit=3)
    for s in "abcdefg":
        assert memo[s] == s.upper()
    assert len(memo) <= 3
