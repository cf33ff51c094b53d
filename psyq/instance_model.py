"""The instance contract as objects: :class:`Instance` and its :class:`Given`, :class:`PartInstance`,
:class:`Misconceived` and :class:`SolutionStep`, each with the ``to_json`` of DESIGN.md, and the
instance id.

Why a module of its own: everything that makes instances (the batch renderer in
:mod:`psyq.batch`, the one-row path in :mod:`psyq.single`) and everything that reads them (grading,
practice, export) needs these classes and nothing else of the engine; here they sit below both.
:mod:`psyq.instance` is the public entry point and exports them.
"""

from __future__ import annotations

import functools
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from psyq import draws
from psyq.errors import InputError
from psyq.intervals import part_interval
from psyq.template import Part, Template


@dataclass(frozen=True, slots=True)
class Given:
    """A given as drawn (or pinned) and shown.  Frozen: instances of one batch that drew the same
    value share one object."""

    name: str
    value: float  # in ``unit`` (the symbol's unit)
    unit: str
    display: str  # as printed to the student, in the display unit
    meaning: str
    pinned: bool = False

    def to_json(self) -> dict:
        return {"value": draws.canonical_float(self.value), "unit": self.unit, "display": self.display}


@dataclass(slots=True)
class Misconceived:
    name: str
    value: float | None  # in the part's unit
    display: str
    feedback: str


@dataclass(slots=True)
class SolutionStep:
    unknown: str
    relation: str
    solved: str  # e.g. "C = Ki*occ/(1 - occ)"
    substituted: str  # e.g. "C = 0.29 nM × 0.8/(1 − 0.8)"
    result: str  # e.g. "1.16 nM"
    latex: str = ""  # the solved form in LaTeX (for PDF/HTML)
    rearranged: bool = True  # False when the relation already reads "unknown = …"

    def to_json(self) -> dict:
        return {"unknown": self.unknown, "relation": self.relation, "solved": self.solved,
                "substituted": self.substituted, "result": self.result, "latex": self.latex,
                "rearranged": self.rearranged}


@dataclass(slots=True)
class PartInstance:
    id: str
    ask: str
    prompt: str
    unit: str  # the unit the answer is asked in
    value: float | None  # the answer in ``unit``; None when not attainable
    display: str
    low: float | None
    high: float | None
    rtol: float
    atol: float
    spec: Part
    misconceptions: list[Misconceived]
    steps: list[SolutionStep]
    molar_mass: float | None = None  # g/mol, for ng/mL ⇄ nM conversions while grading
    symbol_value: float | None = None  # the answer in the symbol's unit
    solution_text: str | None = None  # the part's own prose (template part ``solution``), filled

    @property
    def unattainable(self) -> bool:
        return self.value is None

    @property
    def hints(self) -> tuple[str, ...]:
        return self.spec.hints

    def regrade(self, *, rule=None, rtol: float | None = None, atol: float | None = None) -> None:
        """Grade this part under another rule or tolerance (an assignment item's override); the
        accepted interval follows.  ``rule=None`` with a tolerance means plain tolerance grading."""
        from dataclasses import replace

        rtol = self.spec.rtol if rtol is None else rtol
        atol = self.spec.atol if atol is None else atol
        if rule is not None:
            rtol, atol = rule.tolerances(rtol, atol)
        self.spec = replace(self.spec, rule=rule, rtol=rtol, atol=atol)
        self.rtol, self.atol = rtol, atol
        if self.value is not None:
            self.low, self.high = part_interval(self.spec, self.value)

    def to_json(self) -> dict:
        answer = {"value": None if self.value is None else draws.canonical_float(self.value),
                  "unit": self.unit, "display": self.display}
        data = {
            "id": self.id, "ask": self.ask, "prompt": self.prompt, "answer": answer,
            "accept": None if self.value is None else {
                "low": draws.canonical_float(self.low), "high": draws.canonical_float(self.high),
                "unit": self.unit},
            "tolerance": {"rtol": self.rtol, **({"atol": self.atol} if self.atol else {})},
            "points": self.spec.points,
            "hints": list(self.spec.hints),
            "misconceptions": [
                {"name": m.name, "value": None if m.value is None else draws.canonical_float(m.value),
                 "display": m.display, "feedback": m.feedback} for m in self.misconceptions],
            "solution": [s.to_json() for s in self.steps],
        }
        if self.solution_text is not None:
            data["text"] = self.solution_text
        if self.spec.rule is not None:
            r = self.spec.rule
            data["rule"] = {"kind": r.kind, "n": r.n, **({"m": r.m} if r.m is not None else {}),
                            "units": r.units}
        if self.value is None:
            data["unattainable"] = True
        return data


@dataclass(slots=True)
class Instance:
    template: Template
    seed: int
    givens: dict[str, Given]
    choices: dict[str, str]
    values: dict[str, float]  # every symbol and numeric parameter, in symbol units
    text: str
    parts: list[PartInstance]
    solution: str | None
    pinned: dict[str, Any] = field(default_factory=dict)

    @property
    def id(self) -> str:
        """sha256 of ``json.dumps({"t": content hash, "s": seed, "p": pinned}, sort_keys=True)``,
        16 hex digits.  The text is put together from its pieces (the pinned part once per
        template and pinned set) rather than serialised per instance: the same bytes, hashed."""
        prefix = id_prefix(self.template.content_hash, tuple(sorted(self.pinned.items())))
        seed = str(self.seed) if type(self.seed) is int else json.dumps(self.seed)
        return hashlib.sha256(f'{prefix}{seed}, "t": "{self.template.content_hash}"}}'.encode()).hexdigest()[:16]

    def part(self, part_id: str | None = None) -> PartInstance:
        if part_id is None:
            return self.parts[0]
        for p in self.parts:
            if p.id == part_id:
                return p
        raise InputError(f"no part '{part_id}' in {self.template.id}",
                         hint="parts: " + ", ".join(p.id for p in self.parts))

    def to_json(self) -> dict:
        t = self.template
        return {
            "template": t.id,
            "seed": self.seed,
            "id": self.id,
            "title": t.title,
            "family": t.family,
            "difficulty": t.difficulty,
            "version": t.version,
            "text": self.text,
            "givens": {n: g.to_json() for n, g in self.givens.items()},
            "choices": dict(self.choices),
            "pinned": sorted(self.pinned),
            "parts": [p.to_json() for p in self.parts],
            "solution": self.solution,
            "sources": list(t.sources),
        }


@functools.lru_cache(maxsize=256)
def id_prefix(content_hash: str, pinned: tuple) -> str:
    """The instance-id key up to the seed: ``{"p": {…}, "s": `` (sorted keys, json's separators)."""
    if not all(c in "0123456789abcdef" for c in content_hash):  # (a sha256: never escaped by json)
        raise ValueError(content_hash)
    p = {k: (v if isinstance(v, str) else repr(float(v))) for k, v in pinned}
    return '{"p": ' + json.dumps(p, sort_keys=True) + ', "s": '
