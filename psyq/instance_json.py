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
from itertools import chain, islice, repeat
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

    Each distinct draw is rendered once (:func:`psyq.instance.render_distinct`) and its JSON
    made a column at a time (:func:`_batch_columns`), then encoded: template-wide texts once,
    column entries once per distinct draw.  Where draws repeat a lot, each distinct draw's text is
    joined once and a piece is one ``bytes.join`` of each seed's own head and its draw's text; else
    a piece is one ``bytes.join`` over all its rows' pieces.  256 rows a piece keeps the join in
    the processor's cache (a join of fresh memory runs at a fraction of the speed here)."""
    import hashlib
    from operator import methodcaller

    from psyq.instance import render_distinct
    from psyq.instance_model import id_prefix

    seeds = list(seeds)
    if not seeds:
        return
    batch, which = render_distinct(template, seeds, pinned)
    columns = _batch_columns(batch, _Bodies())
    distinct, pinned_names = len(batch.seeds), tuple(sorted(batch.pinned.items()))
    del batch  # (the columns are all that is needed of it)
    chash = template.content_hash
    prefix = id_prefix(chash, pinned_names)
    # Instance.id's key and the line up to the id's closing quote, as format strings.
    key = _braces(prefix) + "{}" + _braces(f', "t": "{chash}"}}')
    line = _braces(_head(template)) + '{}, "id": "{:.16}'
    digest = methodcaller("hexdigest")
    encode = methodcaller("encode", "utf-8", errors)
    # UTF-8 from here: a template-wide text is encoded once, a column entry once per distinct draw.
    columns = [c.encode("utf-8", errors) if isinstance(c, str) else list(map(encode, c)) for c in columns]
    if distinct * 4 > len(seeds):
        # Mostly distinct draws: a piece of rows is one join of all their pieces.
        every = distinct == len(seeds) and which == list(range(len(seeds)))
        for start in range(0, len(seeds), rows):
            texts = list(map(str, seeds[start:start + rows]))
            ids = map(digest, map(hashlib.sha256, map(str.encode, map(key.format, texts))))
            if every:
                body_pieces = _row_pieces([c if isinstance(c, bytes) else c[start:start + rows] for c in columns])
            else:
                body_pieces = _row_pieces(columns, which[start:start + rows])
            pieces = chain.from_iterable(zip(repeat(sep), map(encode, map(line.format, texts, ids)), *body_pieces))
            yield b"".join(islice(pieces, 1, None))
        return
    bodies = list(map(b"".join, zip(*_row_pieces(columns))))
    del columns
    for start in range(0, len(seeds), rows):
        texts = list(map(str, seeds[start:start + rows]))
        ids = map(digest, map(hashlib.sha256, map(str.encode, map(key.format, texts))))
        pieces = chain.from_iterable(zip(repeat(sep), map(encode, map(line.format, texts, ids)),
                                         map(bodies.__getitem__, which[start:start + rows])))
        yield b"".join(islice(pieces, 1, None))


def _braces(text: str) -> str:
    """``text`` as a literal in a str.format string."""
    return text.replace("{", "{{").replace("}", "}}")


def _spec_pieces(spec, specs: dict) -> tuple[str, str]:
    """(points and hints, rule) of a part spec, encoded once."""
    cached = specs.get(id(spec))
    if cached is None or cached[0] is not spec:
        r = spec.rule
        rule = "" if r is None else ', "rule": ' + _dump(
            {"kind": r.kind, "n": r.n, **({"m": r.m} if r.m is not None else {}), "units": r.units})
        cached = specs[id(spec)] = (spec, f', "points": {_dump(spec.points)}, "hints": {_dump(list(spec.hints))}', rule)
    return cached[1], cached[2]


def _part(p, pieces: list, text: _Memo, specs: dict, tolerances: _Memo) -> None:
    cached = _spec_pieces(p.spec, specs)
    unit = text[p.unit]
    value = p.value
    pieces += ('{"id": ', text[p.id], ', "ask": ', text[p.ask], ', "prompt": ', text[p.prompt],
               ', "answer": {"value": ', _canonical(value), ', "unit": ', unit, ', "display": ',
               text[p.display], '}, "accept": ')
    if value is None:
        pieces.append("null")
    else:
        pieces += ('{"low": ', _canonical(p.low), ', "high": ', _canonical(p.high), ', "unit": ', unit, "}")
    pieces += (', "tolerance": ', tolerances[(type(p.rtol), p.rtol, type(p.atol), p.atol)], cached[0], ', "misconceptions": [')
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
    pieces += (cached[1], ', "unattainable": true}' if value is None else "}")


# ------------------------------------------------------------------------------------------------
# A column at a time: a batch of one template's instances (as psyq.instance renders them) written
# field by field over all rows, with no Python code run per row.

_P10 = None  # 10.0**0 … 10.0**22: every one exactly a double


def canonical_column(values: list) -> list[str]:
    """``[_canonical(v) for v in values]`` (json's text of :func:`psyq.draws.canonical_float`),
    with numpy doing the rounding for all values at once.

    ``float(format(x, ".11e"))`` is the decimal M·10^j nearest to x with 12 significant digits,
    read back.  With a = |x| and k = 11 − floor(log10 a), q = a·10^k carries a relative error of at
    most 2^-53 (10^k is exact for |k| ≤ 22: one rounding), i.e. less than 1.2e-4 on a q below 10^12,
    so M = rint(q) is right wherever q lies in [10^11, 10^12) and its fraction is not within
    10^-3 of one half; M < 2^53 and 10^|j| are exact, so M·10^j (or M/10^-j) is one correctly
    rounded operation: the very float that ``float()`` reads from the digits.  Every other value
    (zero, not finite, 10^-11 > a or a ≥ 10^34, near a tie or a power of ten, None) takes the
    scalar path."""
    n = len(values)
    if n < 32:
        return list(map(_canonical, values))
    try:
        table = dict.fromkeys(values)
    except TypeError:
        table = None
    if table is not None and len(table) * 4 <= n * 3:  # values repeat: each distinct one once
        keys = list(table)
        table = dict(zip(keys, _canonical_floats(keys)))
        out = list(map(table.__getitem__, values))
        if 0.0 in table:  # (0.0 and -0.0 are one key but print differently)
            for i, v in enumerate(values):
                if v == 0:
                    out[i] = _canonical(v)
        return out
    return _canonical_floats(values)


def _canonical_floats(values: list) -> list[str]:
    """:func:`canonical_column` without looking for repeats."""
    global _P10
    import numpy as np

    n = len(values)
    if n < 32:
        return list(map(_canonical, values))
    if _P10 is None:
        _P10 = np.array([float(10 ** i) for i in range(23)])
    try:
        x = np.array(values, dtype=np.float64)  # (None → nan: taken by the scalar path below)
    except (TypeError, ValueError, OverflowError):
        return list(map(_canonical, values))
    if x.shape != (n,):
        return list(map(_canonical, values))
    a = np.abs(x)
    with np.errstate(all="ignore"):
        e = np.floor(np.log10(a))
        ok = np.isfinite(e) & (e >= -11) & (e <= 33)
        e = np.where(ok, e, 0).astype(np.int64)
        k = 11 - e
        q = np.where(k >= 0, a * _P10[np.clip(k, 0, 22)], a / _P10[np.clip(-k, 0, 22)])
        ok &= (q >= 1e11) & (q < 1e12) & (np.abs(q - np.floor(q) - 0.5) > 1e-3)
        m = np.rint(q)
        y = np.copysign(np.where(k <= 0, m * _P10[np.clip(-k, 0, 22)], m / _P10[np.clip(k, 0, 22)]), x)
    out = list(map(repr, y.tolist()))
    for i in np.flatnonzero(~ok).tolist():
        out[i] = _canonical(values[i])
    return out


def _batch_columns(batch, shared: _Bodies) -> list:
    """The JSON text after the id of every row of a rendered :class:`psyq.batch.Batch`, as
    ``shared`` writes it for the row's instance, a field at a time: the pieces of a row, in order,
    each a text (the same for every row) or a column (made by C-level maps and
    :func:`canonical_column`); no object per row is made."""
    t = batch.template
    n = len(batch.seeds)
    text = shared.text
    memo = text.__getitem__
    enc = encode_basestring

    def strings(column, distinct: bool = False) -> list[str]:
        """JSON strings of a column: the memo where values repeat, else each encoded."""
        return list(map(enc if distinct else memo, column))

    middle = (f', "title": {_dump(t.title)}, "family": {_dump(t.family)}, '
              f'"difficulty": {_dump(t.difficulty)}, "version": {_dump(t.version)}, "text": ')
    cols: list = ['"', middle, strings(batch.text, True), ', "givens": {']
    for k, (name, unit, _meaning, _pinned, shown) in enumerate(batch.givens):
        cols += [(", " if k else "") + text[name] + ': {"value": ', canonical_column(batch.values[name].tolist()),
                 ', "unit": ' + text[unit] + ', "display": ', strings(shown), "}"]
    cols.append('}, "choices": ')
    if batch.categorical:
        for k, (key, column) in enumerate(batch.categorical.items()):
            try:
                typed = list(zip(map(type, column), column))
                if float in {ty for ty, _v in typed}:
                    raise TypeError  # (-0.0 == 0.0 and nan: not keys)
                table = {tv: _dump(tv[1]) for tv in set(typed)}
                dumped = list(map(table.__getitem__, typed))
            except TypeError:
                dumped = list(map(_dump, column))
            cols += [("{" if not k else ", ") + enc(key) + ": ", dumped]
        cols.append("}")
    else:
        cols.append("{}")
    cols += [', "pinned": ', _dump(sorted(batch.pinned)) if batch.pinned else "[]", ', "parts": [']
    for k, pc in enumerate(batch.parts):
        _part_columns(pc, n, cols, shared, strings, k)
    cols += ['], "solution": ', "null" if batch.solution is None else strings(batch.solution, True),
             f', "sources": {_dump(list(t.sources))}}}']
    # Neighbouring texts become one piece.
    merged: list = []
    for c in cols:
        if isinstance(c, str) and merged and isinstance(merged[-1], str):
            merged[-1] += c
        else:
            merged.append(c)
    return merged


def _row_pieces(columns: list, rows=None) -> list:
    """Iterables of each piece over the rows (all of them, or those listed in ``rows``): a text
    (str or bytes) is every row's, a list has an entry per row."""
    if rows is None:
        return [c if isinstance(c, list) else repeat(c) for c in columns]
    return [map(c.__getitem__, rows) if isinstance(c, list) else repeat(c) for c in columns]


def _part_columns(pc, n: int, cols: list, shared: _Bodies, strings, k: int) -> None:
    """Part ``k`` of every row, as :func:`_part` writes it, appended to ``cols``."""
    p = pc.part
    text = shared.text
    hints_points, rule = _spec_pieces(p, shared.specs)
    values = pc.value
    unit = text[pc.unit_text]
    cols += [(", " if k else "") + '{"id": ' + text[p.id] + ', "ask": ' + text[p.ask] + ', "prompt": ',
             strings(pc.prompt, True), ', "answer": {"value": ', canonical_column(values),
             ', "unit": ' + unit + ', "display": ', strings(pc.display, True), '}, "accept": ']
    accept = list(map("".join, zip(repeat('{"low": '), canonical_column(pc.low), repeat(', "high": '),
                                   canonical_column(pc.high), repeat(', "unit": ' + unit + "}"))))
    answered = None not in values
    if not answered:
        accept = ["null" if v is None else a for v, a in zip(values, accept)]
    cols += [accept, ', "tolerance": ' + shared.tolerances[(type(p.rtol), p.rtol, type(p.atol), p.atol)]
             + hints_points + ', "misconceptions": [']
    for j, (name, feedback, mvs, shown) in enumerate(pc.misconceptions):
        cols += [('{"name": ' if not j else ', {"name": ') + text[name] + ', "value": ', canonical_column(mvs),
                 ', "display": ', strings(shown, True), ', "feedback": ' + text[feedback] + "}"]
    cols.append('], "solution": [')
    for j, (unknown, relation, solved, subst, result, latex, rearranged) in enumerate(pc.steps):
        cols += [('{"unknown": ' if not j else ', {"unknown": ') + text[unknown] + ', "relation": ' + text[relation]
                 + ', "solved": ' + text[solved] + ', "substituted": ', strings(subst, True), ', "result": ',
                 strings(result, True), ', "latex": ' + text[latex] + ', "rearranged": '
                 + ("true" if rearranged else "false") + "}"]
    cols.append("]")
    if pc.solution is not None:
        cols += [', "text": ', strings(pc.solution, True)]
    cols.append(rule)
    cols.append("}" if answered else ["}" if v is not None else ', "unattainable": true}' for v in values])
