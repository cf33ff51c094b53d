"""The bank catalogue: what each template practises, which mistakes it recognises, and an example.

One :class:`CatalogEntry` per template (id, title, family, difficulty, skill, the named
misconceptions of each part, the number of sources, and the instance for :data:`EXAMPLE_SEED`),
rendered as Markdown (``docs/catalog.md``, checked by a test to be current) or as JSON.  Everything
comes from the templates themselves, so the catalogue cannot drift from the bank.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Sequence

EXAMPLE_SEED = 1

# Families in teaching order, with the heading the catalogue gives them.  A family not listed here
# (an instructor's own) follows, alphabetically, under its id.
FAMILY_TITLES: dict[str, str] = {
    "occupancy": "Occupancy from Ki",
    "tca": "Tricyclic side-effect profile",
    "ssri-pet": "SSRI PET occupancy",
    "snri": "SNRI engagement",
    "mao": "MAO recovery",
    "washout": "Washout and switching",
    "bupropion": "Bupropion: seizure risk and NDRI occupancy",
    "delay": "Therapeutic delay",
    "ketamine": "Ketamine dosing and NMDA occupancy",
    "pk": "Pharmacokinetics: accumulation and steady state",
}


@dataclass(frozen=True)
class PartSummary:
    id: str
    ask: str
    unit: str
    misconceptions: tuple[str, ...]
    can_be_unattainable: bool = False


@dataclass(frozen=True)
class ExamplePart:
    id: str
    prompt: str
    answer: str


@dataclass(frozen=True)
class CatalogEntry:
    id: str
    title: str
    family: str
    difficulty: int
    skill: str
    parts: tuple[PartSummary, ...]
    sources: int
    example_text: str
    example_parts: tuple[ExamplePart, ...] = field(default=())

    @property
    def family_title(self) -> str:
        return FAMILY_TITLES.get(self.family, self.family)

    @property
    def misconceptions(self) -> list[str]:
        """Every misconception name of the template, in order of first appearance."""
        return list(dict.fromkeys(m for p in self.parts for m in p.misconceptions))

    def to_json(self) -> dict:
        return {
            "id": self.id, "title": self.title, "family": self.family,
            "family_title": self.family_title, "difficulty": self.difficulty, "skill": self.skill,
            "parts": [{"id": p.id, "ask": p.ask, "unit": p.unit,
                       "misconceptions": list(p.misconceptions),
                       "can_be_unattainable": p.can_be_unattainable} for p in self.parts],
            "sources": self.sources,
            "example": {"seed": EXAMPLE_SEED, "text": self.example_text,
                        "parts": [{"id": p.id, "prompt": p.prompt, "answer": p.answer}
                                  for p in self.example_parts]},
        }


def family_order(families: Sequence[str]) -> list[str]:
    known = [f for f in FAMILY_TITLES if f in families]
    return known + sorted(set(families) - set(FAMILY_TITLES))


def entry_for(template) -> CatalogEntry:
    """The catalogue entry of one loaded template (generates its example instance)."""
    from psyq.instance import generate

    inst = generate(template, EXAMPLE_SEED)
    parts = tuple(PartSummary(p.id, p.ask, p.unit, tuple(m.name for m in p.misconceptions),
                              p.unattainable_if is not None) for p in template.parts)
    example = tuple(ExamplePart(p.id, p.prompt, p.display) for p in inst.parts)
    return CatalogEntry(template.id, template.title, template.family, template.difficulty,
                        template.skill, parts, len(template.sources), inst.text, example)


def build(extra: Sequence[str] = ()) -> list[CatalogEntry]:
    """Catalogue entries for the bank (plus ``extra`` template folders), in catalogue order."""
    from psyq import bank

    found = [entry_for(bank.load(e.id, extra)) for e in bank.entries(extra)]
    order = {f: i for i, f in enumerate(family_order([e.family for e in found]))}
    return sorted(found, key=lambda e: (order[e.family], e.difficulty, e.id))


# ------------------------------------------------------------------------------------------------
# Rendering

def to_json(entries: Sequence[CatalogEntry]) -> str:
    return json.dumps({"templates": [e.to_json() for e in entries]}, ensure_ascii=False, indent=1,
                      sort_keys=True) + "\n"


def _cell(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def _quote(text: str) -> str:
    return "\n>\n".join("> " + " ".join(para.split()) for para in text.split("\n\n"))


def to_markdown(entries: Sequence[CatalogEntry]) -> str:
    families = family_order(list(dict.fromkeys(e.family for e in entries)))
    by_family = {f: [e for e in entries if e.family == f] for f in families}
    n_mis = len({m for e in entries for m in e.misconceptions})
    out = [
        "# psyq problem bank: catalogue",
        "",
        "Generated from the templates by `psyq catalog --out docs/catalog.md`; do not edit by hand",
        "(`tests/test_catalog.py` fails when this file is out of date). Each entry gives the skill",
        "practised, the named misconceptions the grader recognises in each part (an answer matching",
        f"one gets its feedback), and the problem for seed {EXAMPLE_SEED} with its answers. See a",
        "template in full with `psyq show ID --seed N --key`.",
        "",
        f"{len(entries)} templates in {len(families)} families; {n_mis} distinct named misconceptions.",
        "",
        "| family | templates | difficulty |",
        "|---|---|---|",
    ]
    for f in families:
        items = by_family[f]
        levels = sorted({e.difficulty for e in items})
        span = str(levels[0]) if len(levels) == 1 else f"{levels[0]}–{levels[-1]}"
        out.append(f"| [{_cell(FAMILY_TITLES.get(f, f))}](#{_anchor(f)}) (`{f}`) | {len(items)} | {span} |")
    for f in families:
        items = by_family[f]
        out += ["", f"## {FAMILY_TITLES.get(f, f)} (`{f}`)", ""]
        out += ["| id | difficulty | skill |", "|---|---|---|"]
        out += [f"| [`{e.id}`](#{e.id}) | {e.difficulty} | {_cell(e.skill)} |" for e in items]
        for e in items:
            out += ["", f"### {e.id}", "", f"**{_cell(e.title)}** · difficulty {e.difficulty} · "
                    f"{e.sources} source{'s' if e.sources != 1 else ''}", "", f"Skill: {_cell(e.skill)}", ""]
            out.append("Misconceptions recognised:")
            out.append("")
            for p in e.parts:
                extra = " (answer can be \"not attainable\")" if p.can_be_unattainable else ""
                names = ", ".join(f"`{m}`" for m in p.misconceptions) or "none"
                out.append(f"- part {p.id} (`{p.ask}`, in {p.unit}){extra}: {names}")
            out += ["", f"Example (seed {EXAMPLE_SEED}):", "", _quote(e.example_text), ">"]
            for p in e.example_parts:
                out.append(f"> ({p.id}) {_cell(p.prompt)} — **{_cell(p.answer)}**")
                out.append(">")
            out.pop()
    out += ["", "## Misconception index", "",
            "Which templates recognise each named mistake.", "", "| misconception | templates |", "|---|---|"]
    index: dict[str, list[str]] = {}
    for e in entries:
        for m in e.misconceptions:
            index.setdefault(m, []).append(e.id)
    for m in sorted(index):
        out.append(f"| `{m}` | {', '.join(f'[`{t}`](#{t})' for t in index[m])} |")
    return "\n".join(out) + "\n"


def _anchor(family: str) -> str:
    """The GitHub-style anchor of a family's heading."""
    heading = f"{FAMILY_TITLES.get(family, family)} ({family})".lower()
    kept = "".join(ch for ch in heading if ch.isalnum() or ch in " -_")
    return kept.replace(" ", "-")


def render(entries: Sequence[CatalogEntry], fmt: str = "md") -> str:
    if fmt == "md":
        return to_markdown(entries)
    if fmt == "json":
        return to_json(entries)
    from psyq.errors import InputError

    raise InputError(f"unknown catalogue format '{fmt}'", hint="use md or json")
