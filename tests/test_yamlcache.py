"""The YAML cache (issue 12): the data tables and templates load from a cache of what yamlsafe
returned, keyed by the file's bytes and yamlsafe's source; the checks still apply to new bytes,
and a damaged entry is ignored with one line and re-read."""

from __future__ import annotations

import json

import pytest

from psyq import yamlcache, yamlsafe
from psyq.errors import TemplateError


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("PSYQ_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache" / "yaml"


def _same(a, b):
    assert a == b and type(a) is type(b)
    if isinstance(a, yamlsafe.Mapping):
        assert a.line == b.line and a.key_lines == b.key_lines
        for k in a:
            _same(a[k], b[k])
    if isinstance(a, yamlsafe.Sequence):
        assert a.line == b.line and a.item_lines == b.item_lines
        for x, y in zip(a, b):
            _same(x, y)


def test_the_data_tables_round_trip_exactly(cache):
    from psyq.data import data_dir

    for path in sorted(data_dir().glob("*.yaml")):
        first = yamlcache.load(path)  # read by yamlsafe, cached
        assert len(list(cache.iterdir())) >= 1
        again = yamlcache.load(path)  # from the cache
        _same(again, yamlsafe.load(path))
        _same(first, again)


def test_checks_still_apply_to_new_bytes(cache, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("a: 1\na: 2\n", encoding="utf-8")
    with pytest.raises(TemplateError, match="duplicate key"):
        yamlcache.load(bad)
    bad.write_text("a: &x [1]\nb: *x\n", encoding="utf-8")
    with pytest.raises(TemplateError, match="anchors|aliases"):
        yamlcache.load(bad)
    assert not cache.exists() or not list(cache.iterdir())  # nothing refused was cached


@pytest.mark.parametrize("damage", [
    "not json", json.dumps({"m": [["a", 1, 1], ["a", 2, 2]], "l": 1}),
    json.dumps({"m": [["a", {"__class__": "os.system"}, 1]], "l": 1}), json.dumps([1, 2])])
def test_a_damaged_entry_is_ignored_with_one_line(cache, tmp_path, capfd, damage):
    good = tmp_path / "good.yaml"
    good.write_text("a: 1\nb: [x, y]\n", encoding="utf-8")
    expected = yamlcache.load(good)
    [entry] = list(cache.iterdir())
    entry.write_text(damage, encoding="utf-8")
    capfd.readouterr()
    _same(yamlcache.load(good), expected)
    err = capfd.readouterr().err
    assert err.count("\n") == 1 and "psyq: warning: ignoring cached YAML" in err
