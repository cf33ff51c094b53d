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
from itertools import chain, islice, repeat
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


def _head(t) -> str:
    """The line up to the seed: ``{"template": "…", "seed": ``."""
    return f'{{"template": {_dump(t.id)}, "seed": '


class _Bodies:
    """Each instance's JSON text after its id, with what many instances share encoded once."""

    def __init__(self):
        self.text = _Memo(encode_basestring)
        self.givens: dict[int, tuple[Any, str]] = {}  # id(Given) -> (the object, its encoding)
        self.specs: dict[int, tuple[Any, str, str]] = {}  # id(Part) -> (spec, hints+points piece, rule piece)
        self.tolerances = _Memo(lambda k: _dump({"rtol": k[1], **({"atol": k[3]} if k[3] else {})}))
        self.templates: dict[int, tuple[Any, str, str]] = {}
        self.choices = _Memo(lambda items: _dump({k: v for k, _t, v in items}), limit=256)

    def __call__(self, inst) -> str:
        """``json.dumps(inst.to_json(), ensure_ascii=False)`` from the character after the id's
        closing quote to the end."""
        t = inst.template
        text = self.text
        tail = self.templates.get(id(t))
        if tail is None or tail[0] is not t:
            middle = (f', "title": {_dump(t.title)}, "family": {_dump(t.family)}, '
                      f'"difficulty": {_dump(t.difficulty)}, "version": {_dump(t.version)}, "text": ')
            tail = self.templates[id(t)] = (t, middle, f', "sources": {_dump(list(t.sources))}}}')
        pieces = [tail[1], encode_basestring(inst.text), ', "givens": {']
        first = True
        givens = self.givens
        for name, g in inst.givens.items():
            hit = givens.get(id(g))
            if hit is None or hit[0] is not g:
                hit = givens[id(g)] = (g, f'{{"value": {_canonical(g.value)}, "unit": {text[g.unit]}, '
                                          f'"display": {text[g.display]}}}')
            pieces += ("" if first else ", ", text[name], ": ", hit[1])
            first = False
        pieces += ('}, "choices": ', _choices(self.choices, inst.choices),
                   ', "pinned": ', _dump(sorted(inst.pinned)) if inst.pinned else "[]", ', "parts": [')
        for k, p in enumerate(inst.parts):
            if k:
                pieces.append(", ")
            _part(p, pieces, text, self.specs, self.tolerances)
        pieces += ('], "solution": ', "null" if inst.solution is None else text[inst.solution], tail[2])
        return "".join(pieces)


def _choices(memo: _Memo, choices: dict) -> str:
    if not choices:
        return "{}"
    if any(type(v) is float for v in choices.values()):  # (-0.0 == 0.0, nan: not memo keys)
        return _dump(dict(choices))
    try:  # (type, value): 1, 1.0 and True are equal keys but dump differently
        return memo[tuple((k, type(v), v) for k, v in choices.items())]
    except TypeError:  # an unhashable choice
        return _dump(dict(choices))


def dumps_many(instances: Iterable) -> Iterator[str]:
    """``json.dumps(i.to_json(), ensure_ascii=False)`` for each instance, byte for byte (a generator:
    nothing is kept from one instance to the next but the encodings shared by many)."""
    body = _Bodies()
    heads: dict[int, tuple[Any, str]] = {}
    for inst in instances:
        t = inst.template
        head = heads.get(id(t))
        if head is None or head[0] is not t:
            head = heads[id(t)] = (t, _head(t))
        yield "".join((head[1], str(inst.seed) if type(inst.seed) is int else _dump(inst.seed),
                       ', "id": "', inst.id, '"', body(inst)))


def json_chunks(template, seeds: Iterable[int], pinned=None, *, sep: bytes = b"\n", rows: int = 256,
                errors: str = "strict") -> Iterator[bytes]:
    """``sep.join(dumps_many(generate_many(template, seeds, pinned)))`` encoded as UTF-8 (with
    ``errors``), byte for byte, in pieces of at most ``rows`` instances (the caller puts ``sep``
    between pieces).

    Each distinct draw is rendered and encoded once (:func:`psyq.instance.generate_distinct`); a
    seed adds its seed and id, and a piece is one ``bytes.join`` of ready-made bytes."""
    import hashlib
    from operator import methodcaller

    from psyq.instance import _id_prefix, generate_distinct

    seeds = list(seeds)
    instances, which = generate_distinct(template, seeds, pinned)
    if not instances:
        return
    body = _Bodies()
    bodies = [('"' + body(inst)).encode("utf-8", errors) for inst in instances]
    del instances[1:]  # (the bodies are all that is needed of them)
    inst = instances[0]
    chash = template.content_hash
    prefix = _id_prefix(chash, tuple(sorted(inst.pinned.items())))
    # Instance.id's key and the line up to the id's closing quote, as format strings.
    key = _braces(prefix) + "{}" + _braces(f', "t": "{chash}"}}')
    line = _braces(_head(template)) + '{}, "id": "{:.16}'
    encode, digest = methodcaller("encode", "utf-8", errors), methodcaller("hexdigest")
    for start in range(0, len(seeds), rows):
        texts = list(map(str, seeds[start:start + rows]))
        ids = map(digest, map(hashlib.sha256, map(str.encode, map(key.format, texts))))
        pieces = chain.from_iterable(zip(repeat(sep), map(encode, map(line.format, texts, ids)),
                                         map(bodies.__getitem__, which[start:start + rows])))
        yield b"".join(islice(pieces, 1, None))


def _braces(text: str) -> str:
    """``text`` as a literal in a str.format string."""
    return text.replace("{", "{{").replace("}", "}}")


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
    pieces.append("]")
    if p.solution_text is not None:
        pieces += (', "text": ', encode_basestring(p.solution_text))
    pieces += (cached[2], ', "unattainable": true}' if value is None else "}")
