"""Compiled templates as data: the format, where it lives, and how it is checked on the way in.

A template's solve chain (see :mod:`psyq.solve`) is made once with sympy by :mod:`psyq.compiler`
and kept as JSON:

.. code-block:: json

    {"format": "psyq-compiled", "compiler": 1, "key": "<sha256>", "template": "occupancy-from-ki",
     "chains": [{"known": ["C", "Ki"],
                 "steps": [{"unknown": "occ", "relation": "occ = C/(C + Ki)", "inputs": ["C", "Ki"],
                            "rearranged": false, "candidates": ["(C / (C + Ki))"],
                            "solved": "occ = C/(C + Ki)", "substituted": "{C}/({C} + {Ki})",
                            "latex": "...", "box": ["frac", ...]}]}]}

``key`` hashes the template file's bytes, the bytes of the data tables it reads, and
:data:`COMPILER_VERSION`; an entry whose key differs is stale and is not used.  Loading parses each
expression with :func:`psyq.expr.parse` (the allow-list parser every typed answer goes through)
and checks every field's type, size and names, so a tampered entry is refused (and rebuilt),
never executed.

Where entries live:

* the built-in bank ships compiled in ``psyq/compiled_bank/<template id>.json`` (``psyq compile
  --bank`` rebuilds them; a test checks they are current);
* any other template (``-T``, ``$PSYQ_TEMPLATES``, or a built-in one whose shipped entry is stale)
  is compiled once into ``<user cache dir>/compiled/<key>.json`` (``$PSYQ_CACHE_DIR`` overrides the
  platformdirs location), written atomically.  A corrupt or foreign entry there is ignored with a
  one-line warning and rebuilt; a cache directory that cannot be written is no error (the template
  is compiled in memory).
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from pathlib import Path
from typing import Any

from psyq import expr as E
from psyq import yamlsafe
from psyq.errors import PsyqError
from psyq.template import Template

COMPILER_VERSION = 1  # bump when the compiled form or what the compiler puts in it changes
FORMAT = "psyq-compiled"
CACHE_ENV = "PSYQ_CACHE_DIR"
MAX_ENTRY_BYTES = 2_000_000  # a compiled template is a few kilobytes
MAX_TEXT = 20_000  # characters of one printed form
MAX_STEPS = 200
MAX_CANDIDATES = 16
_BOX_KINDS = {"row", "id", "up", "num", "op", "text", "frac", "sup", "sub", "sqrt", "fence", "abs", "func",
              "qty", "sym"}


class ArtifactError(Exception):
    """A compiled entry that is not what psyq writes (corrupt, tampered, or from elsewhere)."""


def shipped_dir() -> Path:
    return Path(__file__).resolve().parent / "compiled_bank"


def cache_dir() -> Path:
    override = os.environ.get(CACHE_ENV, "").strip()
    if override:
        return Path(override).expanduser() / "compiled"
    import platformdirs

    return Path(platformdirs.user_cache_dir("psyq")) / "compiled"


def reads_tables(t: Template) -> bool:
    return any(p.kind == "table" for p in t.params.values())


def _table_files(t: Template) -> list[Path]:
    from psyq.data import data_dir

    files: list[Path] = []
    for folder in [data_dir(), *(Path(d) for d in t.data_dirs)]:
        files += sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")])
    return files


def artifact_key(t: Template) -> str:
    """sha256 over the compiler version, the template's bytes and the tables it reads."""
    h = hashlib.sha256(f"{FORMAT}/{COMPILER_VERSION}\n{t.content_hash}\n".encode())
    if reads_tables(t):
        for path in _table_files(t):
            h.update(path.name.encode() + b"\n" + hashlib.sha256(yamlsafe.read(path)).digest())
    return h.hexdigest()


def is_builtin(t: Template) -> bool:
    from psyq import bank

    try:
        return Path(t.path).resolve().is_relative_to(bank.builtin_dir())
    except (OSError, PsyqError):
        return False


# ------------------------------------------------------------------------------------------------
# Building and serialising

def build(t: Template) -> dict:
    """The compiled entry of ``t`` (solving with sympy)."""
    from psyq import compiler

    chains = compiler.compile_chains(t, compiler.standard_known_sets(t))
    return {"format": FORMAT, "compiler": COMPILER_VERSION, "key": artifact_key(t), "template": t.id,
            "chains": chains}


def dumps(entry: dict) -> str:
    """The one byte-stable text of an entry: sorted keys, one step per line (readable diffs)."""
    def one(x: Any) -> str:
        return json.dumps(x, ensure_ascii=False, sort_keys=True, separators=(",", ":"))

    head = {k: v for k, v in entry.items() if k != "chains"}
    lines = ["{" + ",\n".join(f"{one(k)}:{one(v)}" for k, v in sorted(head.items())) + ',\n"chains":[']
    chains = []
    for chain in entry["chains"]:
        steps = ",\n  ".join(one(s) for s in chain["steps"])
        chains.append(f'{{"known":{one(chain["known"])},"steps":[\n  {steps}]}}')
    lines.append(",\n".join(chains) + "]}")
    return "\n".join(lines) + "\n"


def write_atomically(path: Path, text: str) -> None:
    """psyq.fsio.write_atomic, with its refusal as an OSError (a cache that cannot be written is
    not an error: the entry is compiled in memory)."""
    from psyq.fsio import FileError, write_atomic

    try:
        write_atomic(path, text)
    except FileError as exc:
        raise OSError(exc.message) from None


# ------------------------------------------------------------------------------------------------
# Loading (and checking) an entry

def load_entry(data: Any, t: Template) -> dict[frozenset[str], Any]:
    """Known set → :class:`psyq.solve.Compiled`, from a decoded entry; :class:`ArtifactError` for
    anything psyq would not have written for this template."""
    from psyq.solve import Compiled, Step

    _expect(isinstance(data, dict) and set(data) == {"format", "compiler", "key", "template", "chains"},
            "not a compiled template")
    _expect(data["format"] == FORMAT and data["compiler"] == COMPILER_VERSION, "another format version")
    _expect(data["template"] == t.id, "compiled for another template")
    _expect(data["key"] == artifact_key(t), "compiled from other content")
    chains = data["chains"]
    _expect(isinstance(chains, list) and 1 <= len(chains) <= 8, "bad chains")
    out: dict[frozenset[str], Any] = {}
    names = set(t.symbols)
    for chain in chains:
        _expect(isinstance(chain, dict) and set(chain) == {"known", "steps"}, "bad chain")
        known = chain["known"]
        _expect(isinstance(known, list) and all(isinstance(n, str) and n in names for n in known),
                "bad known names")
        steps_data = chain["steps"]
        _expect(isinstance(steps_data, list) and len(steps_data) <= MAX_STEPS, "bad steps")
        have = set(known)
        steps = []
        for s in steps_data:
            step = _step(s, names, have)
            have.add(step.unknown)
            steps.append(step)
        out[frozenset(known)] = Compiled(t, frozenset(known), steps)
    return out


_STEP_KEYS = {"unknown", "relation", "inputs", "rearranged", "candidates", "solved", "substituted",
              "latex", "box"}


def _step(s: Any, names: set[str], have: set[str]):
    from psyq.solve import Step

    _expect(isinstance(s, dict) and set(s) == _STEP_KEYS, "bad step")
    unknown, inputs = s["unknown"], s["inputs"]
    _expect(isinstance(unknown, str) and unknown in names and unknown not in have, "bad unknown")
    _expect(isinstance(inputs, list) and all(isinstance(n, str) and n in have for n in inputs)
            and inputs == sorted(set(inputs)), "bad inputs")
    for k in ("relation", "solved", "substituted", "latex"):
        _expect(isinstance(s[k], str) and len(s[k]) <= MAX_TEXT, f"bad {k}")
    _expect(isinstance(s["rearranged"], bool), "bad rearranged")
    texts = s["candidates"]
    _expect(isinstance(texts, list) and 1 <= len(texts) <= MAX_CANDIDATES
            and all(isinstance(x, str) for x in texts), "bad candidates")
    candidates = []
    for text in texts:
        try:  # psyq's own allow-list parser: names, functions, sizes and depth are all checked
            node = E.parse(text, symbols=set(inputs), max_length=E.MAX_ARTIFACT_LENGTH)
        except PsyqError as exc:
            raise ArtifactError(f"candidate for {unknown} refused: {exc.message}") from None
        candidates.append(node)
    return Step(unknown, s["relation"], tuple(inputs), s["rearranged"], tuple(candidates), s["solved"],
                s["substituted"], s["latex"], _box(s["box"], 0))


def _box(b: Any, depth: int) -> tuple:
    """A mathfmt box from JSON (lists back to tuples), checked: known kinds, text, bounded depth."""
    _expect(depth < 60 and isinstance(b, list) and b and b[0] in _BOX_KINDS, "bad box")
    out: list[Any] = [b[0]]
    for item in b[1:]:
        if isinstance(item, str):
            _expect(len(item) <= MAX_TEXT, "bad box text")
            out.append(item)
        elif isinstance(item, list) and item and isinstance(item[0], str):
            out.append(_box(item, depth + 1))
        elif isinstance(item, list):
            _expect(len(item) <= 1000, "bad box row")
            out.append([_box(x, depth + 1) for x in item])
        else:
            raise ArtifactError("bad box item")
    return tuple(out)


def _expect(ok: bool, why: str) -> None:
    if not ok:
        raise ArtifactError(why)


def _read(path: Path) -> Any:
    from psyq.fsio import FileError, read_regular

    try:  # a regular file only, bounded (a FIFO or a link to a device never blocks or floods)
        raw = read_regular(path, MAX_ENTRY_BYTES)
    except FileError as exc:
        raise ArtifactError(exc.message) from None
    try:
        return json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise ArtifactError(f"not JSON ({type(exc).__name__})") from None


def _warn(path: Path, why: str) -> None:
    sys.stderr.write(f"psyq: warning: ignoring compiled entry {path} ({why}); rebuilding it\n")


# ------------------------------------------------------------------------------------------------
# Finding a template's chains

_ENTRIES: dict[tuple[str, str], dict[frozenset[str], Any]] = {}


def chains(t: Template) -> dict[frozenset[str], Any]:
    """Known set → Compiled for ``t``: shipped entry, else the user cache, else compiled now."""
    key = (t.id, t.content_hash)
    hit = _ENTRIES.get(key)
    if hit is not None:
        return hit
    hit = _ENTRIES[key] = _find(t)
    return hit


def _find(t: Template) -> dict[frozenset[str], Any]:
    akey = artifact_key(t)
    if is_builtin(t):
        path = shipped_dir() / f"{t.id}.json"
        if path.is_file():
            try:
                data = _read(path)
                if isinstance(data, dict) and data.get("key") == akey:  # else stale: compiled below
                    return load_entry(data, t)
            except (ArtifactError, OSError) as exc:
                _warn(path, str(exc))
    try:
        path = cache_dir() / f"{akey}.json"
    except Exception:  # noqa: BLE001 - no usable cache location: compile in memory
        path = None
    if path is not None and path.is_file():
        try:
            return load_entry(_read(path), t)
        except (ArtifactError, OSError) as exc:
            _warn(path, str(exc))
    entry = build(t)
    text = dumps(entry)
    if path is not None:
        try:
            write_atomically(path, text)
        except OSError:
            pass  # a read-only cache: the template is compiled in memory, every time
    # Through the same checks as a stored entry: a fresh compile and a cached one are the same objects.
    return load_entry(json.loads(text), t)


def compiled_chain(t: Template, known: frozenset[str]):
    """The :class:`psyq.solve.Compiled` for ``known``; a known set no entry holds is solved now."""
    found = chains(t).get(known)
    if found is not None:
        return found
    from psyq import compiler

    data = compiler.compile_chains(t, [known])[0]
    return load_entry({"format": FORMAT, "compiler": COMPILER_VERSION, "key": artifact_key(t),
                       "template": t.id, "chains": [json.loads(json.dumps(data))]}, t)[known]


# ------------------------------------------------------------------------------------------------
# The shipped bank (psyq compile --bank)

def bank_entries() -> dict[str, str]:
    """Template id → the text its shipped entry must have, compiled now with sympy."""
    from psyq import bank
    from psyq.template import load_template

    out = {}
    for path in bank.template_files([bank.builtin_dir()]):  # never $PSYQ_TEMPLATES overrides
        t = load_template(path)
        out[t.id] = dumps(build(t))
    return out


def rebuild_bank() -> tuple[list[str], list[str]]:
    """Rewrite ``psyq/compiled_bank/`` from the built-in templates: (ids written, files removed).
    Deterministic: the same templates, tables and sympy give the same bytes."""
    folder = shipped_dir()
    wanted = bank_entries()
    written = []
    for tid, text in sorted(wanted.items()):
        path = folder / f"{tid}.json"
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            write_atomically(path, text)
            written.append(tid)
    removed = []
    for path in sorted(folder.glob("*.json")):
        if path.stem not in wanted:
            path.unlink()
            removed.append(path.name)
    return written, removed


def stale_bank() -> list[str]:
    """Ids whose shipped entry differs from a fresh compile (or is missing, or has no template)."""
    folder = shipped_dir()
    wanted = bank_entries()
    stale = [tid for tid, text in sorted(wanted.items())
             if not (folder / f"{tid}.json").is_file() or (folder / f"{tid}.json").read_text(encoding="utf-8") != text]
    stale += [p.stem for p in sorted(folder.glob("*.json")) if p.stem not in wanted]
    return stale


def compile_folders(extra) -> list[str]:
    """Compile every template of the extra folders (and $PSYQ_TEMPLATES) into the user cache."""
    from psyq import bank
    from psyq.template import load_template

    dirs = bank.template_dirs(extra)[1:]
    data = bank.data_dirs(extra)
    ids = []
    for path in bank.template_files(dirs):
        t = load_template(path, data)
        chains(t)
        ids.append(t.id)
    return ids
