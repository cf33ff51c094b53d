"""A validated cache of YAML files read through :mod:`psyq.yamlsafe` (data tables, templates).

Pure-Python YAML parsing of the data tables cost every process ~190 ms.  This keeps what
:func:`psyq.yamlsafe.load` returned for a file (mappings and sequences with their line numbers) as
JSON in the user cache, keyed by a hash of the file's bytes *and* of yamlsafe's own source: a
file is read by yamlsafe, with every check it makes (no aliases or anchors, no duplicate keys,
size, depth and whatever else it checks), the first time its bytes are seen by this version of
the checks; afterwards the checked result is read back.  JSON has no aliases and no objects; the
decoder refuses anything but the two shapes written here (and repeated keys), so a damaged entry
is ignored with a one-line warning and the file is read by yamlsafe again.
"""

from __future__ import annotations

import functools
import hashlib
import json
import sys
from pathlib import Path
from typing import Any

from psyq import yamlsafe

VERSION = 1  # of the cached form below
MAX_ENTRY_BYTES = 8 * yamlsafe.MAX_BYTES


class _Bad(Exception):
    pass


@functools.lru_cache(maxsize=1)
def _checks_hash() -> bytes:
    """yamlsafe's source: a change to any of its checks makes every cached entry stale."""
    return hashlib.sha256(Path(yamlsafe.__file__).read_bytes()).digest()


def _cache_dir() -> Path:
    from psyq.compiled import cache_dir

    return cache_dir().parent / "yaml"


def load(path: Path | str, *, raw: bool = False) -> Any:
    """:func:`psyq.yamlsafe.load` (a bounded read of a regular file; ``raw=True`` also returns the
    bytes read), served from the cache when this file's bytes were read before."""
    data = yamlsafe.read(path)
    parsed = loads(data, str(path))
    return (parsed, data) if raw else parsed


def loads(raw: bytes, file: str) -> Any:
    key = hashlib.sha256(f"psyq-yaml/{VERSION}\n".encode() + _checks_hash() + raw).hexdigest()
    try:
        entry = _cache_dir() / f"{key}.json"
    except Exception:  # noqa: BLE001 - no cache location: read the file the slow way
        entry = None
    if entry is not None and entry.is_file():
        try:
            from psyq.fsio import FileError, read_regular

            try:
                cached = read_regular(entry, MAX_ENTRY_BYTES)
            except FileError as exc:
                raise _Bad(exc.message) from None
            return _decode(json.loads(cached.decode("utf-8")), 0)
        except (OSError, ValueError, RecursionError, _Bad) as exc:
            sys.stderr.write(f"psyq: warning: ignoring cached YAML {entry} ({exc or type(exc).__name__}); "
                             "reading the file again\n")
    data = yamlsafe.loads(raw, file=file)
    if entry is not None:
        try:
            text = json.dumps(_encode(data), ensure_ascii=False, separators=(",", ":"))
        except _Bad:
            return data  # (a value JSON cannot hold: not cached)
        from psyq.compiled import write_atomically

        try:
            write_atomically(entry, text)
        except OSError:
            pass  # a read-only cache: read by yamlsafe every time
    return data


def _encode(x: Any) -> Any:
    if isinstance(x, yamlsafe.Mapping):
        if hasattr(x, "duplicates"):
            raise _Bad("duplicates")
        lines = getattr(x, "key_lines", {})
        return {"m": [[k, _encode(v), lines.get(k, x.line)] for k, v in x.items()], "l": x.line}
    if isinstance(x, yamlsafe.Sequence):
        return {"s": [_encode(v) for v in x], "l": x.line, "il": list(getattr(x, "item_lines", []))}
    if x is None or isinstance(x, (str, bool, int, float)):
        return x
    raise _Bad(type(x).__name__)


def _decode(x: Any, depth: int) -> Any:
    if depth > yamlsafe.MAX_DEPTH + 2:
        raise _Bad("nested too deeply")
    if x is None or isinstance(x, (str, bool, int, float)):
        return x
    if isinstance(x, dict) and set(x) == {"m", "l"} and isinstance(x["m"], list) and _line(x["l"]):
        out = yamlsafe.Mapping()
        out.line = x["l"]
        out.key_lines = {}
        for item in x["m"]:
            if not (isinstance(item, list) and len(item) == 3 and isinstance(item[0], str)
                    and _line(item[2]) and item[0] not in out):
                raise _Bad("bad mapping")
            out[item[0]] = _decode(item[1], depth + 1)
            out.key_lines[item[0]] = item[2]
        return out
    if (isinstance(x, dict) and set(x) == {"s", "l", "il"} and isinstance(x["s"], list) and _line(x["l"])
            and isinstance(x["il"], list) and len(x["il"]) == len(x["s"]) and all(map(_line, x["il"]))):
        out_s = yamlsafe.Sequence(_decode(v, depth + 1) for v in x["s"])
        out_s.line = x["l"]
        out_s.item_lines = list(x["il"])
        return out_s
    raise _Bad("not a cached YAML document")


def _line(v: Any) -> bool:
    return type(v) is int and 0 <= v <= 10_000_000
