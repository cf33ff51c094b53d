"""psyq generate's writer (issue 12, point 6): JSON lines made a batch at a time, each distinct draw
rendered once, written as UTF-8 in chunks, must be byte for byte the per-instance
``json.dumps(instance.to_json(), ensure_ascii=False)`` of every seed."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from psyq import bank, instance_json
from psyq.instance import generate_many, render_distinct
from psyq.instance_json import dumps_many, json_chunks
from psyq.template import loads_template

SEEDS = [*range(300), 2**63 - 1, 123456789]


def _expected(instances, sep: str = "\n") -> bytes:
    return sep.join(json.dumps(i.to_json(), ensure_ascii=False) for i in instances).encode()


@pytest.mark.parametrize("tid", [e.id for e in bank.entries()])
def test_batch_lines_equal_each_instance_dump_for_every_template(tid):
    t = bank.load(tid)
    instances = generate_many(t, SEEDS)
    chunks = list(json_chunks(t, SEEDS, rows=64))
    assert len(chunks) == 5 and all(chunks)  # 302 rows in pieces of at most 64
    assert b"\n".join(chunks) == _expected(instances)
    assert list(dumps_many(instances)) == [json.dumps(i.to_json(), ensure_ascii=False) for i in instances]
    # The column-at-a-time writer, from the renderer's columns, one row per distinct draw.
    lines = [json.dumps(i.to_json(), ensure_ascii=False) for i in instances]
    batch, which = render_distinct(t, SEEDS)
    bodies = list(map("".join, zip(*instance_json._row_pieces(instance_json._batch_columns(batch, instance_json._Bodies())))))
    assert [line.partition('"id": ')[2][17:] for line in lines] == [bodies[j] for j in which]  # after the id


def test_canonical_floats_a_column_at_a_time_equal_each_alone():
    import math

    import numpy as np

    rng = np.random.default_rng(7)
    values = (rng.lognormal(0, 8, 20000) * rng.choice([-1, 1], 20000)).tolist()
    values += (10.0 ** rng.uniform(-14, 36, 20000)).tolist()
    for i in range(-15, 40):  # powers of ten and their neighbours: where log10 may land either side
        values += [10.0 ** i, math.nextafter(10.0 ** i, 0), math.nextafter(10.0 ** i, math.inf)]
    # halfway between two 12-digit decimals (as near as a double gets): ties go the scalar way
    values += [float(f"{d}5e{e}") for d, e in zip(rng.integers(10**11, 10**12, 5000).tolist(),
                                                   rng.integers(-20, 20, 5000).tolist())]
    values += [round(v, 4) for v in rng.uniform(0, 100, 5000).tolist()]
    values += [0.0, -0.0, math.inf, -math.inf, math.nan, None, 5e-324, 1.7976931348623157e308, 3, True]
    got = instance_json.canonical_column(values)
    assert got == [instance_json._canonical(v) for v in values]
    assert got[-10:] == ["0.0", "-0.0", "Infinity", "-Infinity", "NaN", "null", "5e-324",
                         "1.79769313486e+308", "3.0", "1.0"]


def test_each_distinct_draw_is_rendered_once():
    t = bank.load("occupancy-from-ki")
    seeds = list(range(4000))
    batch, which = render_distinct(t, seeds)
    instances = batch.instances()
    # Ki is one number per drug and C is rounded to 2 significant figures: draws repeat (the
    # hidden ratio that C is drawn from does not count: no text shows it).
    assert len(instances) < len(seeds) // 2
    assert len(which) == len(seeds) and max(which) == len(instances) - 1
    full = generate_many(t, seeds)
    for k in range(0, len(seeds), 97):
        a, b = full[k].to_json(), instances[which[k]].to_json()
        for key in ("seed", "id"):
            a.pop(key), b.pop(key)
        assert a == b


def test_pinned_and_odd_batches():
    from test_generate_batch import ODD

    t = bank.load("occupancy-from-ki")
    pinned = {"C": 3.14159, "drug": "sertraline"}
    assert b",\n".join(json_chunks(t, range(200), pinned, sep=b",\n")) == _expected(
        generate_many(t, range(200), pinned), ",\n")
    odd = loads_template(ODD)  # choices with spaces, unattainable rows, misconceptions without a value
    assert b"\n".join(json_chunks(odd, range(400), rows=100)) == _expected(generate_many(odd, range(400)))


def test_a_part_solution_text_is_written():
    from test_generate_batch import ODD

    text = ODD.replace("    misconceptions:\n", "    solution: |\n      {who} at {t}: see above.\n    misconceptions:\n", 1)
    t = loads_template(text)
    instances = generate_many(t, range(120))
    assert instances[0].parts[0].solution_text
    assert b"\n".join(json_chunks(t, range(120))) == _expected(instances)


@pytest.mark.parametrize("fmt,sep", [("jsonl", "\n"), ("json", ",\n")])
def test_the_command_writes_the_same_bytes(fmt, sep):
    from psyq.cli import app

    t = bank.load("snri-engagement")
    result = CliRunner().invoke(app, ["generate", "snri-engagement", "--seed", "7", "--count", "300",
                                      "--format", fmt])
    assert result.exit_code == 0, result.output
    body = _expected(generate_many(t, range(7, 307)), sep)
    want = body + b"\n" if fmt == "jsonl" else b"[\n" + body + b"\n]\n"
    assert result.stdout_bytes == want
