"""The drug and constant tables templates draw numbers from, each value with unit, source, tag.

The tables live in ``problems/data/*.yaml`` (``psyq/problems/data`` once installed) and are
described in that folder's README.  Every value is a :class:`DataValue`: the number, its unit,
the full citation of its source, a provenance tag (``V`` checked, ``M`` commonly quoted, ``D``
derived) and, where the table gives them, a range (``low``/``high``), a ``bound`` (``lower`` for
"> 35 000") and a note.

Tables are addressed as ``(table, row, column)``:

* ``table="drugs"``: ``row`` is a drug key (``sertraline``), ``column`` a column (``ki_sert``).
* ``table=<constants group>`` with flat entries (``mao``, ``washout``, ...): ``row`` is the key
  (``mao_a_recovery_t_half``) and ``column`` is ``"value"`` (the default).
* ``table=<constants group>`` with rows (``snri_teaching``): ``row`` is the row (``duloxetine``),
  ``column`` the column (``ed50_sert``).

The same address as one dotted string works with :meth:`Tables.lookup`:
``drugs.sertraline.ki_sert``, ``mao.mao_a_recovery_t_half``, ``snri_teaching.duloxetine.ed50_sert``.

Only the standard library and PyYAML are imported, so loading tables stays cheap.
"""

from __future__ import annotations

import difflib
import functools
import math
import re
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any, Mapping, Sequence

from psyq import yamlcache, yamlsafe
from psyq.errors import TemplateError

__all__ = [
    "DataValue", "DrugInfo", "Source", "Tables", "data_dir", "load_tables", "clear_cache",
    "TAGS", "DRUG_CLASSES", "COLUMN_UNITS",
]

TAGS = frozenset({"V", "M", "D"})
BOUNDS = frozenset({"lower", "upper"})
DRUG_CLASSES = frozenset({"SSRI", "SNRI", "TCA", "MAOI", "RIMA", "NDRI", "NMDA", "NRI", "SARI",
                          "metabolite"})

# The unit each column family must use, so that a template can rely on it without converting.
COLUMN_UNITS: tuple[tuple[str, str], ...] = (
    (r"(ki|kd|ic50)_", "nM"),
    (r"mw(_|$)", "g/mol"),
    (r"fu(_|$)", "fraction"),
    (r"t_half(_|$)", "h"),
    (r"(ther|plasma|cmax|ec50)_", "ng/mL"),
    (r"(dose|ed50)(_|$)", "mg/day"),
    (r"(omax|occ_|bioavail_)", "fraction"),
)
_COLUMN_UNIT_RES = tuple((re.compile(p), u) for p, u in COLUMN_UNITS)

_VALUE_KEYS = ("value", "unit", "source", "tag", "low", "high", "bound", "note")
_DRUG_META = ("name", "class", "parent", "aliases", "salt", "note")
_SOURCE_KEYS = ("cite", "url", "note")
_TOP_KEYS = ("sources", "drugs", "constants")
_RESERVED_GROUPS = frozenset({"drugs", "constants", "sources"})
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_SOURCE_ID = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")


# ------------------------------------------------------------------------------------------------
# Result types

@dataclass(frozen=True)
class DataValue:
    """One tabulated number with its unit, resolved citation and provenance tag.

    ``bound`` is ``"lower"`` when the source gives only "> value" and ``"upper"`` for "< value" or
    "up to value": such a number must not be treated as exact.  ``low``/``high`` give the range the
    source (or DOMAIN's randomization table) gives; where the source gives only a range, ``value``
    is its midpoint and ``note`` says so.
    """

    value: float
    unit: str
    source: str
    tag: str
    low: float | None = None
    high: float | None = None
    bound: str | None = None
    note: str | None = None
    source_id: str = ""
    url: str | None = None

    @property
    def exact(self) -> bool:
        """False for "> x" / "< x" entries."""
        return self.bound is None

    def range(self) -> tuple[float, float]:
        """(low, high), falling back to the value itself for a missing end."""
        return (self.value if self.low is None else self.low,
                self.value if self.high is None else self.high)


@dataclass(frozen=True)
class Source:
    id: str
    cite: str
    url: str | None = None
    note: str | None = None


@dataclass(frozen=True)
class DrugInfo:
    """The non-numeric facts about a drug row."""

    key: str
    name: str
    drug_class: str
    parent: str | None = None
    aliases: tuple[str, ...] = ()
    salt: str | None = None
    note: str | None = None


# ------------------------------------------------------------------------------------------------
# Where the tables are

def data_dir() -> Path:
    """The built-in data folder.

    ``psyq/problems/data`` when installed, ``problems/data`` in a source checkout.
    """
    here = Path(__file__).resolve().parent
    candidates = (here / "problems" / "data", here.parent / "problems" / "data")
    for c in candidates:
        if c.is_dir():
            return c
    return candidates[0]


# ------------------------------------------------------------------------------------------------
# The tables

class Tables:
    """All drugs, constant groups and sources, merged from the built-in and any extra folders."""

    def __init__(self, sources: Mapping[str, Source], drugs: Mapping[str, Mapping[str, DataValue]],
                 info: Mapping[str, DrugInfo],
                 constants: Mapping[str, Mapping[str, DataValue | Mapping[str, DataValue]]]):
        self._sources = MappingProxyType(dict(sources))
        self._drugs = MappingProxyType({k: MappingProxyType(dict(v)) for k, v in drugs.items()})
        self._info = MappingProxyType(dict(info))
        self._constants = MappingProxyType({
            g: MappingProxyType({k: (MappingProxyType(dict(v)) if isinstance(v, Mapping) else v)
                                 for k, v in rows.items()})
            for g, rows in constants.items()})
        names: dict[str, str] = {}
        for key, di in self._info.items():
            for alias in (di.name, *di.aliases):
                names.setdefault(alias.casefold(), key)
        for key in self._info:
            names[key.casefold()] = key
        self._names = names

    # -- drugs --------------------------------------------------------------------------------
    def drug_names(self) -> list[str]:
        """All drug keys, sorted."""
        return sorted(self._drugs)

    def resolve_drug(self, name: str) -> str:
        """The drug key for a key, display name or alias (case-insensitive)."""
        if isinstance(name, str):
            if name in self._drugs:
                return name
            key = self._names.get(name.strip().casefold())
            if key is not None:
                return key
        raise TemplateError(f"unknown drug '{name}'", key=str(name),
                            hint=_close_hint(str(name), list(self._drugs), "drugs"))

    def drug(self, name: str) -> dict[str, DataValue]:
        """Every numeric column of one drug (a copy; text columns are in :meth:`drug_info`)."""
        return dict(self._drugs[self.resolve_drug(name)])

    def drug_info(self, name: str) -> DrugInfo:
        return self._info[self.resolve_drug(name)]

    def display_name(self, drug: str) -> str:
        """The drug's name as a problem shows it (``N-desmethylclomipramine``)."""
        return self._info[self.resolve_drug(drug)].name

    def drug_class(self, drug: str) -> str:
        return self._info[self.resolve_drug(drug)].drug_class

    def parent(self, drug: str) -> str | None:
        """The parent drug of a metabolite (``nortriptyline`` -> ``amitriptyline``), else None."""
        return self._info[self.resolve_drug(drug)].parent

    def drugs_with(self, column: str, *, exact: bool = False) -> list[str]:
        """Drug keys that have ``column``, sorted; ``exact=True`` leaves out "> x" entries."""
        return sorted(k for k, cols in self._drugs.items()
                      if column in cols and (not exact or cols[column].bound is None))

    def columns(self) -> list[str]:
        """Every column used by at least one drug, sorted."""
        return sorted({c for cols in self._drugs.values() for c in cols})

    # -- constants ------------------------------------------------------------------------------
    def groups(self) -> list[str]:
        """The constants group names, sorted."""
        return sorted(self._constants)

    def group(self, name: str) -> dict[str, DataValue | dict[str, DataValue]]:
        """One constants group: key -> DataValue, or row -> {column -> DataValue} for row groups."""
        if name not in self._constants:
            raise TemplateError(f"unknown constants group '{name}'", key=name,
                                hint=_close_hint(name, list(self._constants), "groups"))
        return {k: (dict(v) if isinstance(v, Mapping) else v)
                for k, v in self._constants[name].items()}

    # -- addressing ----------------------------------------------------------------------------
    def tables(self) -> list[str]:
        """Every name :meth:`value` accepts as ``table``: ``drugs`` and the constants groups."""
        return ["drugs", *self.groups()]

    def value(self, table: str, row: str, column: str = "value") -> DataValue:
        """One value by address; see the module docstring.

        Examples: ``value("drugs", "sertraline", "ki_sert")``,
        ``value("mao", "mao_a_recovery_t_half")``,
        ``value("snri_teaching", "duloxetine", "ed50_sert")``.  Raises :class:`TemplateError`
        (with a did-you-mean hint) for an unknown table, row or column.
        """
        where = f"{table}.{row}.{column}"
        if table == "drugs":
            cols = self._drugs[self.resolve_drug(row)]
            if column not in cols:
                key = self.resolve_drug(row)
                raise TemplateError(f"drug '{key}' has no column '{column}'", key=where,
                                    hint=_close_hint(column, list(cols), "columns of this drug"))
            return cols[column]
        rows = self._constants.get(table)
        if rows is None:
            raise TemplateError(f"unknown table '{table}'", key=where,
                                hint=_close_hint(table, self.tables(), "tables"))
        entry = rows.get(row)
        if entry is None:
            raise TemplateError(f"table '{table}' has no row '{row}'", key=where,
                                hint=_close_hint(row, list(rows), "rows"))
        if isinstance(entry, DataValue):
            if column not in ("value", "", None):
                raise TemplateError(f"'{table}.{row}' is a single value; its column is 'value'",
                                    key=where,
                                    hint=f"use column: value (or the reference {table}.{row})")
            return entry
        if column not in entry:
            raise TemplateError(f"row '{table}.{row}' has no column '{column}'", key=where,
                                hint=_close_hint(column, list(entry), "columns"))
        return entry[column]

    def has(self, table: str, row: str, column: str = "value") -> bool:
        try:
            self.value(table, row, column)
        except TemplateError:
            return False
        return True

    def lookup(self, ref: str) -> DataValue:
        """A value by dotted reference: ``drugs.<drug>.<column>``, ``<group>.<key>`` or
        ``<group>.<row>.<column>`` (an optional leading ``constants.`` is ignored)."""
        parts = ref.strip().split(".") if isinstance(ref, str) else []
        if parts and parts[0] == "constants":
            parts = parts[1:]
        if len(parts) == 2 and parts[0] != "drugs":
            return self.value(parts[0], parts[1])
        if len(parts) == 3:
            return self.value(*parts)
        raise TemplateError(f"bad data reference '{ref}'", key=str(ref),
                            hint="write drugs.<drug>.<column>, <group>.<key> or "
                                 "<group>.<row>.<column>")

    # -- sources --------------------------------------------------------------------------------
    @property
    def sources(self) -> Mapping[str, Source]:
        return self._sources

    def source(self, source_id: str) -> Source:
        if source_id not in self._sources:
            raise TemplateError(f"unknown source '{source_id}'", key=source_id,
                                hint=_close_hint(source_id, list(self._sources), "sources"))
        return self._sources[source_id]

    def values(self):
        """Every (address, DataValue) pair, for checks over the whole table."""
        for drug, cols in sorted(self._drugs.items()):
            for col, dv in cols.items():
                yield f"drugs.{drug}.{col}", dv
        for group, rows in sorted(self._constants.items()):
            for key, entry in rows.items():
                if isinstance(entry, DataValue):
                    yield f"{group}.{key}", entry
                else:
                    for col, dv in entry.items():
                        yield f"{group}.{key}.{col}", dv


def _close_hint(word: str, known: Sequence[str], what: str) -> str:
    close = difflib.get_close_matches(word, known, n=3, cutoff=0.6)
    if close:
        return "did you mean " + " or ".join(f"'{c}'" for c in close) + "?"
    shown = ", ".join(sorted(known)[:12]) + (", ..." if len(known) > 12 else "")
    return f"known {what}: {shown}"


# ------------------------------------------------------------------------------------------------
# Loading

def load_tables(extra_dirs: Sequence[Path | str] = ()) -> Tables:
    """The built-in tables merged with each extra folder's ``*.yaml``, later folders overriding.

    An extra folder is a data folder, or a template folder whose ``data/`` subfolder is read instead
    (``psyq.bank.data_dirs`` passes the data folders themselves).  Within one folder a drug, a
    group key or a source may be defined once; a later folder overrides single columns of a drug
    (or keys of a group) and may add new ones.  Results are cached per list of folders
    (see :func:`clear_cache`).
    """
    dirs = []
    for d in extra_dirs:
        p = Path(d)
        if not p.is_dir():
            raise TemplateError("data folder not found", file=str(p),
                                hint="pass a template folder or its data/ folder")
        if (p / "data").is_dir():
            p = p / "data"
        dirs.append(str(p.resolve()))
    return _load_cached(tuple(dirs))


def clear_cache() -> None:
    """Forget cached tables (after editing a data file in a long-running process)."""
    _load_cached.cache_clear()


@functools.lru_cache(maxsize=16)
def _load_cached(extra: tuple[str, ...]) -> Tables:
    base = data_dir()
    if not base.is_dir():
        raise TemplateError("the built-in data folder is missing", file=str(base),
                            hint="reinstall psyq; problems/data must ship with the package")
    merged = _Merged()
    for folder in (base, *map(Path, extra)):
        _Folder(folder).load_into(merged)
    return merged.finish()


@dataclass
class _Pending:
    """A value whose source id is resolved once every file is read."""

    fields: dict[str, Any]
    source_id: str
    file: str
    line: int
    key: str


class _Merged:
    def __init__(self) -> None:
        self.sources: dict[str, Source] = {}
        self.drugs: dict[str, dict[str, _Pending]] = {}
        self.meta: dict[str, dict[str, Any]] = {}  # drug -> field -> (value, file, line)
        self.constants: dict[str, dict[str, _Pending | dict[str, _Pending]]] = {}

    def finish(self) -> Tables:
        def resolve(p: _Pending) -> DataValue:
            src = self.sources.get(p.source_id)
            if src is None:
                raise TemplateError(f"unknown source '{p.source_id}'", file=p.file, line=p.line,
                                    key=p.key, hint=_close_hint(p.source_id, list(self.sources),
                                                                "sources"))
            return DataValue(source=src.cite, source_id=src.id, url=src.url, **p.fields)

        info: dict[str, DrugInfo] = {}
        for drug, meta in self.meta.items():
            cls = meta.get("class")
            if cls is None:
                file, line = meta["_where"]
                raise TemplateError(f"drug '{drug}' has no class", file=file, line=line,
                                    key=f"drugs.{drug}",
                                    hint="add class: one of " + ", ".join(sorted(DRUG_CLASSES)))
            parent = meta.get("parent")
            if parent is not None and parent[0] not in self.meta:
                raise TemplateError(f"parent '{parent[0]}' is not a drug in the tables",
                                    file=parent[1], line=parent[2], key=f"drugs.{drug}.parent",
                                    hint=_close_hint(parent[0], list(self.meta), "drugs"))
            info[drug] = DrugInfo(
                key=drug, name=meta["name"][0] if "name" in meta else drug, drug_class=cls[0],
                parent=parent[0] if parent else None,
                aliases=tuple(meta["aliases"][0]) if "aliases" in meta else (),
                salt=meta["salt"][0] if "salt" in meta else None,
                note=meta["note"][0] if "note" in meta else None)
        drugs = {d: {c: resolve(p) for c, p in cols.items()} for d, cols in self.drugs.items()}
        constants = {
            g: {k: ({c: resolve(p) for c, p in e.items()} if isinstance(e, dict) else resolve(e))
                for k, e in rows.items()}
            for g, rows in self.constants.items()}
        return Tables(self.sources, drugs, info, constants)


class _Folder:
    """One data folder: its files are read, checked, and merged into the running result."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.sources: dict[str, tuple[Source, str]] = {}
        self.drug_files: dict[str, str] = {}
        self.const_files: dict[tuple[str, str], str] = {}

    def load_into(self, merged: _Merged) -> None:
        files = sorted([*self.folder.glob("*.yaml"), *self.folder.glob("*.yml")])
        for path in files:
            self._load_file(path, merged)

    # -- one file ------------------------------------------------------------------------------
    def _load_file(self, path: Path, merged: _Merged) -> None:
        file = str(path)
        data = yamlcache.load(path)  # yamlsafe's checks, cached by the file's hash
        if data is None:
            return
        if not isinstance(data, yamlsafe.Mapping):
            raise TemplateError("a data file must be a mapping with sources:, drugs:, constants:",
                                file=file, line=getattr(data, "line", 1))
        for key in data:
            if key not in _TOP_KEYS:
                raise TemplateError(f"unknown top-level key '{key}'", file=file,
                                    line=data.line_of(key), key=key,
                                    hint="a data file has sources:, drugs: and constants:")
        if data.get("sources") is not None:
            self._sources(file, _mapping(data["sources"], file, data, "sources"), merged)
        if data.get("drugs") is not None:
            self._drugs(file, _mapping(data["drugs"], file, data, "drugs"), merged)
        if data.get("constants") is not None:
            self._constants(file, _mapping(data["constants"], file, data, "constants"), merged)

    def _sources(self, file: str, block: yamlsafe.Mapping, merged: _Merged) -> None:
        for sid, entry in block.items():
            key = f"sources.{sid}"
            line = block.line_of(sid)
            if not _SOURCE_ID.match(sid):
                raise TemplateError(f"source id '{sid}' must be letters, digits and _", file=file,
                                    line=line, key=key)
            if sid in self.sources:
                raise TemplateError(f"source '{sid}' is defined twice in this folder", file=file,
                                    line=line, key=key,
                                    hint=f"it is already defined in {self.sources[sid][1]}")
            if isinstance(entry, str):
                src = Source(sid, _text(entry, file, line, key))
            else:
                m = _mapping(entry, file, block, sid, key)
                _known_keys(m, _SOURCE_KEYS, file, key)
                if "cite" not in m:
                    raise TemplateError("a source needs cite:", file=file, line=m.line, key=key,
                                        hint='cite: "Author A et al. Journal Year;Vol:Pages"')
                src = Source(sid, _text(m["cite"], file, m.line_of("cite"), f"{key}.cite"),
                             url=_opt_text(m, "url", file, key),
                             note=_opt_text(m, "note", file, key))
            self.sources[sid] = (src, file)
            merged.sources[sid] = src

    def _drugs(self, file: str, block: yamlsafe.Mapping, merged: _Merged) -> None:
        for drug, entry in block.items():
            key = f"drugs.{drug}"
            line = block.line_of(drug)
            _check_name(drug, file, line, key, "drug key")
            if drug in self.drug_files:
                raise TemplateError(f"drug '{drug}' is defined twice in this folder", file=file,
                                    line=line, key=key,
                                    hint=f"it is already in {self.drug_files[drug]}")
            self.drug_files[drug] = file
            m = _mapping(entry, file, block, drug, key)
            meta = merged.meta.setdefault(drug, {"_where": (file, m.line)})
            cols = merged.drugs.setdefault(drug, {})
            for col, raw in m.items():
                ckey = f"{key}.{col}"
                cline = m.line_of(col)
                if col in _DRUG_META:
                    meta[col] = _drug_meta(col, raw, file, cline, ckey)
                    continue
                _check_name(col, file, cline, ckey, "column name")
                cols[col] = _value(raw, m, col, file, ckey, column=col)

    def _constants(self, file: str, block: yamlsafe.Mapping, merged: _Merged) -> None:
        for group, entries in block.items():
            gkey = f"constants.{group}"
            gline = block.line_of(group)
            _check_name(group, file, gline, gkey, "group name")
            if group in _RESERVED_GROUPS:
                raise TemplateError(f"'{group}' cannot be a group name", file=file, line=gline,
                                    key=gkey, hint="pick another name")
            m = _mapping(entries, file, block, group, gkey)
            rows = merged.constants.setdefault(group, {})
            for name, raw in m.items():
                ekey = f"{gkey}.{name}"
                eline = m.line_of(name)
                _check_name(name, file, eline, ekey, "key")
                if (group, name) in self.const_files:
                    raise TemplateError(f"'{group}.{name}' is defined twice in this folder",
                                        file=file, line=eline, key=ekey,
                                        hint=f"it is already in {self.const_files[(group, name)]}")
                self.const_files[(group, name)] = file
                entry = _mapping(raw, file, m, name, ekey)
                if "value" in entry:  # a single value
                    rows[name] = _value(entry, m, name, file, ekey)
                    continue
                # a row of columns: merge column by column over an earlier folder's row
                old = rows.get(name)
                row = dict(old) if isinstance(old, dict) else {}
                for col, craw in entry.items():
                    ckey = f"{ekey}.{col}"
                    _check_name(col, file, entry.line_of(col), ckey, "column name")
                    row[col] = _value(craw, entry, col, file, ckey, column=col)
                if not row:
                    raise TemplateError(f"'{group}.{name}' is empty", file=file, line=eline,
                                        key=ekey, hint="give {value:, unit:, source:, tag:} "
                                                       "or columns of such values")
                rows[name] = row


# ------------------------------------------------------------------------------------------------
# Checking one entry

def _mapping(obj: Any, file: str, parent: Any, key: Any,
             path: str | None = None) -> yamlsafe.Mapping:
    if not isinstance(obj, yamlsafe.Mapping):
        raise TemplateError("expected a mapping here", file=file,
                            line=yamlsafe.line_of(parent, key), key=path or str(key),
                            hint="indent the entries under this key, or write {key: value, ...}")
    return obj


def _known_keys(m: yamlsafe.Mapping, allowed: Sequence[str], file: str, path: str) -> None:
    for k in m:
        if k not in allowed:
            close = difflib.get_close_matches(str(k), allowed, n=1, cutoff=0.6)
            hint = f"did you mean '{close[0]}'?" if close else "allowed: " + ", ".join(allowed)
            raise TemplateError(f"unknown key '{k}'", file=file, line=m.line_of(k),
                                key=f"{path}.{k}", hint=hint)


def _check_name(name: Any, file: str, line: int, path: str, what: str) -> None:
    if not isinstance(name, str) or not _NAME.match(name):
        raise TemplateError(f"{what} '{name}' must be lowercase letters, digits and _", file=file,
                            line=line, key=path)


def _text(obj: Any, file: str, line: int, path: str) -> str:
    if not isinstance(obj, str) or not obj.strip():
        raise TemplateError("expected text here", file=file, line=line, key=path)
    return obj.strip()


def _opt_text(m: yamlsafe.Mapping, k: str, file: str, path: str) -> str | None:
    return _text(m[k], file, m.line_of(k), f"{path}.{k}") if k in m else None


def _number(obj: Any, file: str, line: int, path: str) -> float:
    if isinstance(obj, bool) or not isinstance(obj, (int, float)):
        hint = "write a plain number"
        if isinstance(obj, str) and re.fullmatch(r"[-+]?\d+(\.\d*)?[eE][-+]?\d+", obj.strip()):
            hint = "YAML reads 1e3 and 1.0e3 as text: write 1.0e+3 or 1000"
        raise TemplateError(f"expected a number, got {obj!r}", file=file, line=line, key=path,
                            hint=hint)
    x = float(obj)
    if not math.isfinite(x):
        raise TemplateError("the number must be finite", file=file, line=line, key=path)
    return x


def _drug_meta(col: str, raw: Any, file: str, line: int, path: str) -> tuple[Any, str, int]:
    if col == "aliases":
        if not isinstance(raw, list) or not all(isinstance(a, str) and a.strip() for a in raw):
            raise TemplateError("aliases must be a list of names", file=file, line=line, key=path,
                                hint="aliases: [ODV, O-desmethylvenlafaxine]")
        return [a.strip() for a in raw], file, line
    value = _text(raw, file, line, path)
    if col == "class" and value not in DRUG_CLASSES:
        raise TemplateError(f"unknown drug class '{value}'", file=file, line=line, key=path,
                            hint="one of " + ", ".join(sorted(DRUG_CLASSES)))
    return value, file, line


def _expected_unit(column: str) -> str | None:
    for pattern, unit in _COLUMN_UNIT_RES:
        if pattern.match(column):
            return unit
    return None


def _value(raw: Any, parent: yamlsafe.Mapping, name: str, file: str, path: str,
           column: str | None = None) -> _Pending:
    """Check one {value, unit, source, tag, ...} entry; `column` turns on the column-unit check."""
    m = _mapping(raw, file, parent, name, path)
    _known_keys(m, _VALUE_KEYS, file, path)
    for k in ("value", "unit", "source", "tag"):
        if k not in m:
            raise TemplateError(f"missing '{k}'", file=file, line=m.line, key=path,
                                hint="each value needs value:, unit:, source: and tag: (V, M or D)")

    def num(k: str) -> float:
        return _number(m[k], file, m.line_of(k), f"{path}.{k}")

    value = num("value")
    unit = _text(m["unit"] if isinstance(m["unit"], str) else str(m["unit"]), file,
                 m.line_of("unit"), f"{path}.unit")
    tag = m["tag"]
    if tag not in TAGS:
        raise TemplateError(f"unknown tag {tag!r}", file=file, line=m.line_of("tag"),
                            key=f"{path}.tag",
                            hint="V (checked), M (quoted, unchecked) or D (derived)")
    source_id = m["source"]
    if not isinstance(source_id, str) or not _SOURCE_ID.match(source_id):
        raise TemplateError(f"source must be a source id, got {source_id!r}", file=file,
                            line=m.line_of("source"), key=f"{path}.source",
                            hint="define it under sources: and write its id here")
    low = num("low") if "low" in m else None
    high = num("high") if "high" in m else None
    bound = m.get("bound")
    if bound is not None and bound not in BOUNDS:
        raise TemplateError(f"bound must be 'lower' or 'upper', got {bound!r}", file=file,
                            line=m.line_of("bound"), key=f"{path}.bound",
                            hint="bound: lower for '> x', bound: upper for '< x' or 'up to x'")
    note = _opt_text(m, "note", file, path)

    if value <= 0:
        raise TemplateError(f"value must be positive, got {value:g}", file=file,
                            line=m.line_of("value"), key=f"{path}.value",
                            hint="every tabulated quantity is positive")
    if low is not None and high is not None and low > high:
        raise TemplateError(f"low ({low:g}) is above high ({high:g})", file=file,
                            line=m.line_of("low"), key=f"{path}.low")
    if bound is None:
        if low is not None and value < low:
            raise TemplateError(f"value {value:g} is below low {low:g}", file=file,
                                line=m.line_of("value"), key=f"{path}.value")
        if high is not None and value > high:
            raise TemplateError(f"value {value:g} is above high {high:g}", file=file,
                                line=m.line_of("value"), key=f"{path}.value")
    if unit == "fraction":
        if not 0 < value <= 1:
            raise TemplateError(f"a fraction must be in (0, 1], got {value:g}", file=file,
                                line=m.line_of("value"), key=f"{path}.value",
                                hint="write 0.8 for 80 %")
        for k, x in (("low", low), ("high", high)):
            if x is not None and not 0 <= x <= 1:
                raise TemplateError(f"a fraction's {k} must be in [0, 1], got {x:g}", file=file,
                                    line=m.line_of(k), key=f"{path}.{k}")
    if column is not None:
        expected = _expected_unit(column)
        if expected is not None and unit != expected:
            raise TemplateError(f"column '{column}' is in {expected}, not {unit}", file=file,
                                line=m.line_of("unit"), key=f"{path}.unit",
                                hint=f"convert the value to {expected}")
    return _Pending(fields=dict(value=value, unit=unit, tag=tag, low=low, high=high, bound=bound,
                                note=note),
                    source_id=source_id, file=file, line=m.line_of("source"), key=f"{path}.source")
