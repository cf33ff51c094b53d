"""Exams: what to ask (an exam file, or template ids and family names) and the versions built from it.

An exam file is YAML (read with :mod:`psyq.yamlsafe`, so errors name file, line and key)::

    title: PHAR 301 midterm 2
    course: Pharmacology of depression        # optional
    instructions: |                           # optional
      Show your work. Give every answer with its unit.
    items:
      - template: occupancy-from-ki
        points: 4                              # optional; default: the sum of the parts' points
      - template: mao-recovery
        points: 3
        given: {t_half: 14, t: "3 wk"}         # optional pinned givens (a number is in the symbol's unit)
        space: 5                               # optional work space per part, in cm
      - template: snri                         # a family name asks every template of the family

Versions: version *i* (1-based) of an exam with base seed *S* draws every problem with seed
``S + i − 1``.  When the same template appears more than once in an exam, its *k*-th repeat
(k = 1, 2, …) uses ``S + i − 1 + k·2³²`` so that the repeats differ.  A problem of any version can
therefore be shown on its own with ``psyq show TEMPLATE --seed SEED``; the key prints the seed.

:class:`Exam` is the one representation every exporter reads (psyq/export/*).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

from psyq.errors import InputError, PsyqError, TemplateError

EXAM_KEYS = {"title", "course", "instructions", "items", "date"}
ITEM_KEYS = {"template", "points", "given", "space"}
REPEAT_STRIDE = 2**32  # seed offset of a repeated template within one version
MAX_VERSIONS = 10_000
MAX_ITEMS = 200
DEFAULT_TITLE = "Exam"
DEFAULT_SPACE_CM = 4.0
_CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base 32: no I, L, O, U


@dataclass(frozen=True)
class ExamItem:
    template: str  # a template id (or a path to a template .yaml)
    points: float | None = None  # None: the sum of the template's part points
    given: tuple[tuple[str, Any], ...] = ()  # pinned givens as written (name, number or "value unit")
    space_cm: float | None = None  # work space per part (None: the exam's default, DEFAULT_SPACE_CM)
    line: int | None = None  # where the item is in the exam file


@dataclass(frozen=True)
class ExamSpec:
    title: str
    items: tuple[ExamItem, ...]
    course: str = ""
    instructions: str = ""
    date: str = ""
    path: str | None = None


@dataclass
class Problem:
    """One numbered problem of one version."""

    number: int
    item: ExamItem
    instance: Any  # psyq.instance.Instance
    points: float
    part_points: tuple[float, ...]

    @property
    def seed(self) -> int:
        return self.instance.seed


@dataclass
class Version:
    index: int  # 1-based
    code: str  # short code printed on the sheet and on its key
    seed: int  # the base seed of this version (S + index − 1)
    problems: list[Problem] = field(default_factory=list)

    @property
    def points(self) -> float:
        return sum(p.points for p in self.problems)


@dataclass
class Exam:
    spec: ExamSpec
    seed: int
    versions: list[Version]

    @property
    def title(self) -> str:
        return self.spec.title

    def to_json(self) -> dict:
        """Every version with its instances in the instance contract (docs/export.md)."""
        from psyq import draws

        return {
            "format": "psyq-exam", "format_version": 1,
            "title": self.spec.title, "course": self.spec.course,
            "instructions": self.spec.instructions, "date": self.spec.date,
            "seed": self.seed,
            "versions": [{
                "version": v.index, "code": v.code, "seed": v.seed, "points": draws.canonical_float(v.points),
                "problems": [{
                    "number": p.number, "points": draws.canonical_float(p.points),
                    "part_points": [draws.canonical_float(x) for x in p.part_points],
                    "instance": p.instance.to_json(),
                } for p in v.problems],
            } for v in self.versions],
        }


# ------------------------------------------------------------------------------------------------
# Reading exam files and item lists

def looks_like_exam_file(item: str) -> bool:
    path = Path(item)
    if not item.endswith((".yaml", ".yml")) or not path.is_file():
        return False
    from psyq import yamlsafe

    data = yamlsafe.load(path)
    return isinstance(data, dict) and "items" in data


def load_exam(path: str | Path) -> ExamSpec:
    from psyq import yamlsafe

    file = str(path)
    data = yamlsafe.load(path)
    if not isinstance(data, yamlsafe.Mapping):
        raise TemplateError("an exam file is a mapping with title and items", file=file, line=1,
                            hint="see docs/export.md for an example")

    def err(message: str, container: Any, key: Any, path_key: str, hint: str | None = None):
        return TemplateError(message, file=file, line=yamlsafe.line_of(container, key), key=path_key, hint=hint)

    for k in data:
        if k not in EXAM_KEYS:
            raise err(f"unknown key '{k}'", data, k, k, hint="allowed: " + ", ".join(sorted(EXAM_KEYS)))
    texts = {}
    for k in ("title", "course", "instructions", "date"):
        v = data.get(k, "")
        if v is None:
            v = ""
        if not isinstance(v, (str, int, float)) or isinstance(v, bool):
            raise err(f"'{k}' must be text", data, k, k)
        text = str(v).strip()
        texts[k] = text if k == "instructions" else " ".join(text.split())  # one-line fields
    items_node = data.get("items")
    if not isinstance(items_node, list) or not items_node:
        raise err("items must be a non-empty list", data, "items", "items",
                  hint="e.g. items: [{template: occupancy-from-ki, points: 4}]")
    if len(items_node) > MAX_ITEMS:
        raise err(f"at most {MAX_ITEMS} items", data, "items", "items")
    items: list[ExamItem] = []
    for i, node in enumerate(items_node):
        where = f"items[{i}]"
        if isinstance(node, str):
            items.append(ExamItem(node.strip(), line=yamlsafe.line_of(items_node, i)))
            continue
        if not isinstance(node, yamlsafe.Mapping):
            raise err("an item is a template id or a mapping with 'template'", items_node, i, where)
        for k in node:
            if k not in ITEM_KEYS:
                raise err(f"unknown key '{k}'", node, k, f"{where}.{k}",
                          hint="allowed: " + ", ".join(sorted(ITEM_KEYS)))
        tid = node.get("template")
        if not isinstance(tid, str) or not tid.strip():
            raise err("an item needs 'template' (a template id or family name)", node, None, where)
        points = node.get("points")
        if points is not None and (isinstance(points, bool) or not isinstance(points, (int, float))
                                   or not 0 <= points <= 10_000):
            raise err("points must be a number from 0 to 10000", node, "points", f"{where}.points")
        space = node.get("space")
        if space is not None and (isinstance(space, bool) or not isinstance(space, (int, float))
                                  or not 0 <= space <= 25):
            raise err("space is the work space per part in cm (0 to 25)", node, "space", f"{where}.space")
        given = node.get("given")
        if given is None:
            given = {}
        if not isinstance(given, dict):
            raise err("given is a mapping NAME: value", node, "given", f"{where}.given",
                      hint="e.g. given: {t_half: 14, t: '3 wk'}")
        pairs = []
        for name, value in given.items():
            if isinstance(value, bool) or not isinstance(value, (int, float, str)):
                raise err(f"given {name} must be a number or text such as '3 wk'", given, name,
                          f"{where}.given.{name}")
            pairs.append((str(name), value))
        items.append(ExamItem(tid.strip(), None if points is None else float(points), tuple(pairs),
                              None if space is None else float(space), yamlsafe.line_of(items_node, i)))
    return ExamSpec(texts["title"] or DEFAULT_TITLE, tuple(items), texts["course"], texts["instructions"],
                    texts["date"], file)


def spec_from_items(items: Sequence[str], templates: Sequence[str] = (), title: str | None = None,
                    space_cm: float | None = None) -> ExamSpec:
    """ITEMS of ``psyq export``: one exam file, or template ids, family names and template files.

    ``title`` replaces the exam file's title; ``space_cm`` is the work space of every item that
    does not set its own."""
    items = [i for i in items if i.strip()]
    if not items:
        raise InputError("give template ids, family names or an exam file",
                         hint="e.g. psyq export occupancy-from-ki mao-recovery --format pdf")
    exam_files = [i for i in items if looks_like_exam_file(i)]
    if exam_files:
        if len(items) > 1:
            raise InputError("give either one exam file or template ids and families, not both",
                             hint=f"add the templates to {exam_files[0]}'s items")
        spec = load_exam(exam_files[0])
    else:
        spec = ExamSpec(DEFAULT_TITLE, tuple(ExamItem(i) for i in items))
    spec = _expand_families(spec, templates)
    if title is not None and title.strip():
        spec = ExamSpec(" ".join(title.split()), spec.items, spec.course, spec.instructions, spec.date, spec.path)
    if space_cm is not None:
        if not 0 <= space_cm <= 25:
            raise InputError("--space is the work space per part in cm, from 0 to 25")
        items = tuple(i if i.space_cm is not None else
                      ExamItem(i.template, i.points, i.given, float(space_cm), i.line) for i in spec.items)
        spec = ExamSpec(spec.title, items, spec.course, spec.instructions, spec.date, spec.path)
    return spec


def _expand_families(spec: ExamSpec, templates: Sequence[str]) -> ExamSpec:
    from psyq import bank

    out: list[ExamItem] = []
    for item in spec.items:
        if item.template.endswith((".yaml", ".yml")) and Path(item.template).is_file():
            out.append(item)
            continue
        try:
            ids = bank.select([item.template], templates)
        except PsyqError as exc:
            if spec.path:
                raise TemplateError(exc.message, file=spec.path, line=item.line, key="template",
                                    hint=exc.hint) from None
            raise
        if len(ids) > 1 and item.given:
            raise TemplateError(f"'{item.template}' is a family: pinned givens need one template",
                                file=spec.path, line=item.line, key="given")
        out.extend(ExamItem(t, item.points, item.given, item.space_cm, item.line) for t in ids)
    return ExamSpec(spec.title, tuple(out), spec.course, spec.instructions, spec.date, spec.path)


# ------------------------------------------------------------------------------------------------
# Building versions

def version_seeds(base_seed: int, versions: int) -> list[int]:
    return [base_seed + i for i in range(versions)]


def build(spec: ExamSpec, versions: int = 1, seed: int = 1, templates: Sequence[str] = (),
          progress: Callable[[int], None] | None = None) -> Exam:
    """Draw every version of the exam: one vectorised pass per item over all versions."""
    from psyq import bank
    from psyq.instance import generate_many

    if not 1 <= versions <= MAX_VERSIONS:
        raise InputError(f"--versions must be from 1 to {MAX_VERSIONS}")
    repeats = len(spec.items)
    top = seed + versions - 1 + (repeats - 1) * REPEAT_STRIDE
    if seed < 0 or top >= 2**63:
        raise InputError("seed must be a whole number ≥ 0 (and small enough for every version)")
    seen: dict[str, int] = {}
    columns: list[tuple[ExamItem, list, tuple[float, ...]]] = []
    for item in spec.items:
        template = bank.load(item.template, templates)
        k = seen.get(template.id, 0)
        seen[template.id] = k + 1
        pinned = _pinned(spec, item, template)
        seeds = [s + k * REPEAT_STRIDE for s in version_seeds(seed, versions)]
        instances = generate_many(template, seeds, pinned)
        columns.append((item, instances, _part_points(item, template)))
        if progress is not None:
            progress(1)
    out: list[Version] = []
    for i in range(versions):
        problems = []
        for number, (item, instances, part_points) in enumerate(columns, start=1):
            problems.append(Problem(number, item, instances[i], sum(part_points), part_points))
        out.append(Version(i + 1, "", seed + i, problems))
    _assign_codes(spec, out)
    return Exam(spec, seed, out)


def _pinned(spec: ExamSpec, item: ExamItem, template) -> dict[str, Any]:
    from psyq.givens import parse_givens

    if not item.given:
        return {}
    texts = [f"{name}={value}" for name, value in item.given]
    try:
        return parse_givens(template, texts)
    except PsyqError as exc:
        if spec.path:
            raise TemplateError(exc.message, file=spec.path, line=item.line, key="given",
                                hint=exc.hint) from None
        raise


def _part_points(item: ExamItem, template) -> tuple[float, ...]:
    weights = [p.points for p in template.parts]
    if item.points is None:
        return tuple(float(w) for w in weights)
    total = sum(weights)
    if total <= 0:
        share = item.points / len(weights)
        return tuple(share for _ in weights)
    return tuple(item.points * w / total for w in weights)


def _assign_codes(spec: ExamSpec, versions: list[Version]) -> None:
    """A short code per version from its content (title and instance ids): a key can be matched
    to its sheet, and a sheet from another run or seed does not carry the same code."""
    digests = []
    for v in versions:
        payload = json.dumps({"title": spec.title, "ids": [p.instance.id for p in v.problems],
                              "v": v.index}, sort_keys=True)
        digests.append(hashlib.sha256(payload.encode()).digest())
    for length in (4, 5, 6, 8):
        codes = [_base32(d, length) for d in digests]
        if len(set(codes)) == len(codes):
            break
    for v, c in zip(versions, codes):
        v.code = c


def _base32(digest: bytes, length: int) -> str:
    n = int.from_bytes(digest[:8], "big")
    chars = []
    for _ in range(length):
        n, r = divmod(n, 32)
        chars.append(_CODE_ALPHABET[r])
    return "".join(chars)
