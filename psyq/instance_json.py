"""The instance contract's JSON text, written at the speed instances are made.

``json.dumps(instance.to_json(), ensure_ascii=False)`` builds a dict tree per instance (with a
canonical float per value) and then encodes it; for ``psyq generate --count 100000`` that cost
ten times the generation itself.  :func:`dumps_many` writes the very same bytes (a test checks it
over the whole bank) without the intermediate dicts: everything that is the same for every
instance of a template (titles, sources, tolerances, hints, rules, step texts) is encoded once per
batch, each distinct string once, and shared :class:`~psyq.instance.Given` objects once.
"""

from __future__ import annotations

import json
import math
from json.encoder import encode_basestring  # json's own string encoder (ensure_ascii=False)
from typing import Any, Callable, Iterable, Iterator

_INF = math.inf


def _float(x: Any) -> str:
    """json.dumps of a number (float.__repr__, NaN, Infinity), as the encoder writes it."""
    if x is None:
        return "null"
    if x != x:
        return "NaN"
    if x == _INF:
        return "Infinity"
    if x == -_INF:
        return "-Infinity"
    return repr(x) if type(x) is not bool else ("true" if x else "false")


def _canonical(x: Any) -> str:
    """``_float(draws.canonical_float(x))`` (12 significant figures), or null for None."""
    if x is None:
        return "null"
    if x == 0 or not math.isfinite(x):
        return _float(x)
    return repr(float(format(x, ".11e")))


def _dump(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


class _Memo(dict):
    """Encoded form of each distinct key, computed once (forgotten past ``limit`` entries, so that
    strings unique to each instance cannot pile up)."""

    def __init__(self, fn: Callable[[Any], str], limit: int = 4096):
        super().__init__()
        self.fn, self.limit = fn, limit

    def __missing__(self, key):
        if len(self) >= self.limit:
            self.clear()
        value = self[key] = self.fn(key)
        return value


def dumps_many(instances: Iterable) -> Iterator[str]:
    """``json.dumps(i.to_json(), ensure_ascii=False)`` for each instance, byte for byte (a generator:
    nothing is kept from one instance to the next but the encodings shared by many)."""
    text = _Memo(encode_basestring)
    givens: dict[int, tuple[Any, str]] = {}  # id(Given) -> (the object, its encoding)
    specs: dict[int, tuple[Any, str, str]] = {}  # id(Part) -> (spec, hints+points piece, rule piece)
    tolerances = _Memo(lambda k: _dump({"rtol": k[1], **({"atol": k[3]} if k[3] else {})}))
    headers: dict[int, tuple[Any, str, str]] = {}
    for inst in instances:
        t = inst.template
        head = headers.get(id(t))
        if head is None or head[0] is not t:
            middle = (f', "title": {_dump(t.title)}, "family": {_dump(t.family)}, '
                      f'"difficulty": {_dump(t.difficulty)}, "version": {_dump(t.version)}, "text": ')
            head = headers[id(t)] = (t, f'{{"template": {_dump(t.id)}, "seed": ', middle,
                                     f', "sources": {_dump(list(t.sources))}}}')
        pieces = [head[1], str(inst.seed) if type(inst.seed) is int else _dump(inst.seed),
                  ', "id": "', inst.id, '"', head[2], encode_basestring(inst.text), ', "givens": {']
        first = True
        for name, g in inst.givens.items():
            hit = givens.get(id(g))
            if hit is None or hit[0] is not g:
                hit = givens[id(g)] = (g, f'{{"value": {_canonical(g.value)}, "unit": {text[g.unit]}, '
                                          f'"display": {text[g.display]}}}')
            pieces += ("" if first else ", ", text[name], ": ", hit[1])
            first = False
        pieces += ('}, "choices": ', _dump(dict(inst.choices)) if inst.choices else "{}",
                   ', "pinned": ', _dump(sorted(inst.pinned)) if inst.pinned else "[]", ', "parts": [')
        for k, p in enumerate(inst.parts):
            if k:
                pieces.append(", ")
            _part(p, pieces, text, specs, tolerances)
        pieces += ('], "solution": ', "null" if inst.solution is None else text[inst.solution], head[3])
        yield "".join(pieces)


def _part(p, pieces: list, text: _Memo, specs: dict, tolerances: _Memo) -> None:
    spec = p.spec
    cached = specs.get(id(spec))
    if cached is None or cached[0] is not spec:
        r = spec.rule
        rule = "" if r is None else ', "rule": ' + _dump(
            {"kind": r.kind, "n": r.n, **({"m": r.m} if r.m is not None else {}), "units": r.units})
        cached = specs[id(spec)] = (spec, f', "points": {_dump(spec.points)}, "hints": {_dump(list(spec.hints))}', rule)
    unit = text[p.unit]
    value = p.value
    pieces += ('{"id": ', text[p.id], ', "ask": ', text[p.ask], ', "prompt": ', text[p.prompt],
               ', "answer": {"value": ', _canonical(value), ', "unit": ', unit, ', "display": ',
               text[p.display], '}, "accept": ')
    if value is None:
        pieces.append("null")
    else:
        pieces += ('{"low": ', _canonical(p.low), ', "high": ', _canonical(p.high), ', "unit": ', unit, "}")
    pieces += (', "tolerance": ', tolerances[(type(p.rtol), p.rtol, type(p.atol), p.atol)], cached[1], ', "misconceptions": [')
    for k, m in enumerate(p.misconceptions):
        pieces += ('{"name": ' if not k else ', {"name": ', text[m.name], ', "value": ', _canonical(m.value),
                   ', "display": ', text[m.display], ', "feedback": ', text[m.feedback], "}")
    pieces.append('], "solution": [')
    for k, s in enumerate(p.steps):
        pieces += ('{"unknown": ' if not k else ', {"unknown": ', text[s.unknown], ', "relation": ',
                   text[s.relation], ', "solved": ', text[s.solved], ', "substituted": ', encode_basestring(s.substituted),
                   ', "result": ', text[s.result], ', "latex": ', text[s.latex], ', "rearranged": ',
                   "true" if s.rearranged else "false", "}")
    pieces += ("]", cached[2], ', "unattainable": true}' if value is None else "}")
