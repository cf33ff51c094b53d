"""Finding templates: the built-in bank, folders given with --templates, and $PSYQ_TEMPLATES.

Listing reads only each file's header keys through a tiny line scanner, so ``psyq list`` stays
fast and imports nothing heavy; full loading and validation happen when a template is used.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

from psyq.errors import InputError, PsyqError

ENV_VAR = "PSYQ_TEMPLATES"  # extra template folders, separated by os.pathsep


def builtin_dir() -> Path:
    here = Path(__file__).resolve().parent
    for candidate in (here / "problems", here.parent / "problems"):
        if candidate.is_dir() and (candidate / "__init__.py").exists():
            return candidate
    raise PsyqError("the built-in template bank is missing from this installation",
                    hint="reinstall psyq: pip install --force-reinstall psyq")


def template_dirs(extra: Sequence[str | Path] = ()) -> list[Path]:
    """The built-in bank first, then $PSYQ_TEMPLATES folders, then --templates folders."""
    dirs = [builtin_dir()]
    env = os.environ.get(ENV_VAR, "")
    for item in [*(p for p in env.split(os.pathsep) if p.strip()), *extra]:
        path = Path(item).expanduser()
        if not path.is_dir():
            source = f"${ENV_VAR}" if str(item) in env.split(os.pathsep) else "--templates"
            raise PsyqError(f"template folder '{item}' does not exist", where=source,
                            hint="give a folder that holds *.yaml templates")
        dirs.append(path)
    return dirs


@dataclass(frozen=True)
class Entry:
    """What ``psyq list`` shows, read without loading the template."""

    id: str
    title: str
    family: str
    difficulty: int
    path: Path
    skill: str = ""


_HEAD_BYTES = 16_384  # the header fields are in the first lines of a template
_HEADER = re.compile(r"^(id|title|family|difficulty|skill):\s*(.*?)\s*$")


def _scan(path: Path) -> Entry | None:
    fields: dict[str, str] = {}
    from psyq.fsio import FileError, read_regular

    try:  # a regular file only: a FIFO or a symlink to /dev/zero in a template folder is skipped
        head = read_regular(path, _HEAD_BYTES, head=True).decode("utf-8", errors="replace")
    except FileError:
        return None
    for i, line in enumerate(head.splitlines()):
        if i > 80 or len(fields) == 5:
            break
        m = _HEADER.match(line)
        if m and m.group(1) not in fields:
            fields[m.group(1)] = m.group(2).strip().strip("'\"")
    if "id" not in fields:
        return None
    try:
        difficulty = int(fields.get("difficulty", "1"))
    except ValueError:
        difficulty = 1
    return Entry(fields["id"], fields.get("title", fields["id"]), fields.get("family", "?"),
                 difficulty, path, fields.get("skill", ""))


def template_files(dirs: Iterable[Path]) -> list[Path]:
    files = []
    for d in dirs:
        for path in sorted(d.rglob("*.yaml")):
            if "data" in path.relative_to(d).parts[:-1]:
                continue  # data tables, not templates
            files.append(path)
    return files


def entries(extra: Sequence[str | Path] = ()) -> list[Entry]:
    """Every template, later folders overriding earlier ones with the same id."""
    found: dict[str, Entry] = {}
    for path in template_files(template_dirs(extra)):
        e = _scan(path)
        if e is not None:
            found[e.id] = e
    return sorted(found.values(), key=lambda e: (e.family, e.difficulty, e.id))


def families(extra: Sequence[str | Path] = ()) -> list[str]:
    return sorted({e.family for e in entries(extra)})


def data_dirs(extra: Sequence[str | Path] = ()) -> tuple[str, ...]:
    """Instructor folders' own data/ tables (added to the built-in tables)."""
    out = []
    for d in template_dirs(extra)[1:]:
        if (d / "data").is_dir():
            out.append(str(d / "data"))
    return tuple(out)


_LOADED: dict[tuple[str, float], object] = {}


def load(template_id: str, extra: Sequence[str | Path] = ()):
    """Load and validate one template by id (or by path to a .yaml file)."""
    from psyq.template import load_template

    path = Path(template_id)
    if template_id.endswith((".yaml", ".yml")) and path.is_file():
        return load_template(path, data_dirs(extra))
    for e in entries(extra):
        if e.id == template_id:
            key = (str(e.path), e.path.stat().st_mtime)
            if key not in _LOADED:
                _LOADED[key] = load_template(e.path, data_dirs(extra))
            return _LOADED[key]
    raise InputError(f"no template with id '{template_id}'", hint=suggest(template_id, extra))


def suggest(name: str, extra: Sequence[str | Path] = (), *, families: bool = False) -> str:
    """'did you mean: …' for a mistyped template id (or family), else where to look."""
    import difflib

    all_entries = entries(extra)
    known = [e.id for e in all_entries] + (sorted({e.family for e in all_entries}) if families else [])
    close = difflib.get_close_matches(name, known, n=3, cutoff=0.6)
    close += [k for k in known if name.split("-")[0] in k and k not in close]
    if close:
        return "did you mean: " + ", ".join(close[:5])
    return "run 'psyq list' to see the bank" + (
        "; families: " + ", ".join(sorted({e.family for e in all_entries})) if families else "")


def select(items: Sequence[str], extra: Sequence[str | Path] = ()) -> list[str]:
    """Expand template ids and family names to template ids (in bank order)."""
    all_entries = entries(extra)
    ids = {e.id for e in all_entries}
    fams = {e.family for e in all_entries}
    out: list[str] = []
    for item in items:
        if item in ids:
            out.append(item)
        elif item in fams:
            out.extend(e.id for e in all_entries if e.family == item)
        else:
            raise InputError(f"'{item}' is neither a template id nor a family",
                             hint=suggest(item, extra, families=True))
    return list(dict.fromkeys(out))
