"""Template QA: load, solve and sample each template over many seeds, and say what is wrong.

Checks, per template (docs/templates.md lists them for authors):

* it loads and validates (file, line and key on failure) and its relations solve;
* every given and every solved value stays inside its symbol's declared range and is finite;
* the exact answer, and the answer as displayed (rounded), both grade correct;
* every misconception lies outside the accepted interval in at least 99 % of seeds, and an answer
  equal to it is recognised (gets its MISC tag);
* one-at-a-time generation equals vectorised generation (a seed's problem never depends on batch).

Each finding names the file, the template, the check and the smallest failing seed.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

from psyq.errors import PsyqError

DEFAULT_SEEDS = 1000
MISCONCEPTION_DISTINCT = 0.999  # every named mistake must be recognisable on (nearly) every seed


@dataclass
class Finding:
    file: str
    template: str
    check: str
    message: str
    seed: int | None = None

    def __str__(self) -> str:
        seed = f" (smallest failing seed {self.seed})" if self.seed is not None else ""
        return f"{self.file}: {self.template}: {self.check}: {self.message}{seed}"

    def to_json(self) -> dict:
        return {"file": self.file, "template": self.template, "check": self.check,
                "message": self.message, "seed": self.seed}


@dataclass
class Report:
    checked: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.findings


def lint_paths(paths: Iterable[Path], *, seeds: int = DEFAULT_SEEDS, data_dirs: tuple[str, ...] = (),
               progress: Callable[[str], None] | None = None) -> Report:
    from psyq.template import load_template

    report = Report()
    seen_ids: dict[str, str] = {}
    for path in paths:
        if progress:
            progress(str(path))
        try:
            template = load_template(path, data_dirs)
        except PsyqError as exc:
            report.findings.append(Finding(str(path), Path(path).stem, "load", str(exc)))
            continue
        if template.id in seen_ids:
            report.findings.append(Finding(str(path), template.id, "unique id",
                                           f"id also used by {seen_ids[template.id]}"))
        seen_ids[template.id] = str(path)
        report.checked.append(template.id)
        report.findings.extend(lint_template(template, seeds=seeds))
    return report


def lint_template(template, *, seeds: int = DEFAULT_SEEDS) -> list[Finding]:
    from psyq.grading import grade, within
    from psyq.instance import generate, generate_many

    file, tid = template.path, template.id
    findings: list[Finding] = []

    def add(check: str, message: str, seed: int | None = None) -> None:
        findings.append(Finding(file, tid, check, message, seed))

    for check, message in answer_leaks(template):
        add(check, message)

    try:
        instances = generate_many(template, range(seeds))
    except PsyqError as exc:
        add("generate", str(exc))
        return findings
    except Exception as exc:  # noqa: BLE001 - a template must never crash psyq; report it instead
        add("generate", f"{type(exc).__name__}: {exc}")
        return findings

    first_bad: dict[str, tuple[int, str]] = {}

    def fail(check: str, seed: int, message: str) -> None:
        if check not in first_bad:
            first_bad[check] = (seed, message)

    mis_hits: dict[tuple[str, str], int] = {}
    mis_seen: dict[tuple[str, str], int] = {}  # attainable instances of the part (the denominator)
    mis_first: dict[tuple[str, str], int] = {}
    for inst in instances:
        seed = inst.seed
        for name, value in inst.values.items():
            sym = template.symbols.get(name)
            if sym is None:
                continue
            unattainable_here = any(p.unattainable and p.ask == name for p in inst.parts)
            if not math.isfinite(value):
                if not unattainable_here and not any(p.unattainable for p in inst.parts):
                    fail(f"finite {name}", seed, f"{name} is not a finite number")
                continue
            slack = 1e-9 * max(1.0, abs(value))
            if sym.min is not None and value < sym.min - slack:
                fail(f"range {name}", seed, f"{name} = {value:.6g} is below its minimum {sym.min:g}")
            if sym.max is not None and value > sym.max + slack:
                fail(f"range {name}", seed, f"{name} = {value:.6g} is above its maximum {sym.max:g}")
        for name, p in template.params.items():
            if p.kind in ("uniform", "loguniform") and name in inst.values:
                v = inst.values[name]
                tol = 0.5 * 10 ** (math.floor(math.log10(max(abs(p.high), 1e-300))) - (p.sigfigs or 3) + 1) \
                    if p.decimals is None else 0.5 * 10 ** (-p.decimals)
                if not (p.low - tol - 1e-12 <= v <= p.high + tol + 1e-12):
                    fail(f"draw {name}", seed, f"{name} = {v:g} outside [{p.low:g}, {p.high:g}]")
        for part in inst.parts:
            if part.unattainable:
                v = grade(part, "not attainable")
                if not v.correct:
                    fail(f"part {part.id} unattainable", seed, "'not attainable' does not grade correct")
                continue
            exact = grade(part, repr(float(part.value)) + (f" {part.unit}" if part.unit not in ("", "fraction") else ""))
            written_precision = part.spec.rule is not None and part.spec.rule.written_precision
            if not exact.correct and not written_precision:  # a precision rule wants the digits as asked
                fail(f"part {part.id} exact answer", seed, f"the exact answer {part.value!r} grades {exact.status}: {exact.feedback}")
            shown = grade(part, part.display)
            if not shown.correct:
                fail(f"part {part.id} displayed answer", seed,
                     f"the displayed answer '{part.display}' grades {shown.status}: {shown.feedback}")
            only_unattainable = {m.name for m in part.spec.misconceptions if m.unattainable}
            for m in part.misconceptions:
                if m.name in only_unattainable:
                    continue  # met only where the part is "not attainable": nothing to be told apart from
                key = (part.id, m.name)
                mis_hits.setdefault(key, 0)
                mis_seen[key] = mis_seen.get(key, 0) + 1
                if m.value is not None and math.isfinite(m.value) and not within(m.value, part.value, part.rtol, part.atol):
                    mis_hits[key] += 1
                else:
                    mis_first.setdefault(key, seed)
    for check, (seed, message) in sorted(first_bad.items(), key=lambda kv: kv[1][0]):
        add(check, message, seed)
    for (pid, name), hits in mis_hits.items():
        rate = hits / mis_seen[(pid, name)]
        if rate < MISCONCEPTION_DISTINCT:
            add(f"part {pid} misconception {name}",
                f"distinguishable from the answer in only {rate:.1%} of seeds (needs {MISCONCEPTION_DISTINCT:.1%})",
                mis_first.get((pid, name)))
    for template_part in template.parts:
        if len(template_part.misconceptions) < 2:
            add(f"part {template_part.id} misconceptions", "needs at least two named misconceptions")
        if template_part.hints:
            stated = solved_relation_in_hint(template, template_part, template_part.hints[0])
            if stated:
                add(f"part {template_part.id} hints",
                    f"the first hint states the solved relation '{stated}': hints go from gentle to "
                    "explicit, so give the idea first and the formula in a later hint")
    # A seed's instance must not depend on its batch.
    for seed in (0, seeds // 2, seeds - 1):
        single = generate(template, seed).to_json()
        if single != instances[seed].to_json():
            add("determinism", "one-at-a-time generation differs from vectorised generation", seed)
            break
    return findings


# --- hints: gentle first ------------------------------------------------------------------------
# The first hint must not hand over the answer's formula.  A hint "states the solved relation" when
# it contains an equation whose left side names the asked symbol (its name, the name before its
# first underscore, or words all taken from its meaning) and whose right side is a formula (an
# operator or function) that does not itself contain the asked symbol (that would be a relation
# still to be solved, which is a fair first hint).
_HINT_MATH = str.maketrans({"·": "*", "×": "*", "−": "-", "[": "(", "]": ")", "θ": "occ"})
_EQUATION = re.compile(r"([A-Za-z][A-Za-z0-9_ ]{0,40}?)\s*=\s*([^=;:]+)")
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
_FORMULA = re.compile(r"[*/^+]|(?<![A-Za-z])-|\b(?:log2|log10|ln|exp|sqrt)\(")
_STOP = {"the", "a", "an", "of", "at", "in", "is", "and", "so", "then", "with", "to", "for", "by"}


def _hint_math(text: str) -> str:
    return text.translate(_HINT_MATH).replace("t½", "t_half").replace("½", "_half")


def solved_relation_in_hint(template, part, hint: str) -> str | None:
    """The equation in ``hint`` that gives the part's asked symbol explicitly, or None."""
    ask = part.ask
    names = {ask.lower(), ask.split("_")[0].lower(), ask.replace("_", "").lower()}
    if ask.startswith("occ"):
        names |= {"occ", "occupancy"}
    meaning = {w.lower() for w in _WORD.findall(template.symbols[ask].meaning)}
    text = _hint_math(hint)
    for m in _EQUATION.finditer(text):
        lhs_words = [w.lower() for w in _WORD.findall(m.group(1))]
        if not lhs_words:
            continue
        content = [w for w in lhs_words if w not in _STOP]
        named = lhs_words[-1] in names or (content and all(w in meaning for w in content[-2:]))
        rhs = m.group(2).split(". ")[0].split(", ")[0].strip().rstrip(".")
        rhs_words = {w.lower() for w in _WORD.findall(rhs)}
        if named and _FORMULA.search(rhs) and not (rhs_words & {ask.lower()}):
            return f"{m.group(1).split()[-1]} = {rhs}"
    return None


def answer_leaks(template) -> list[tuple[str, str]]:
    """Text a student sees before answering a part that prints that part's answer (or a later one's).

    What a student has seen by part k: the stem, the prompts of parts up to k, and the prose of the
    parts before k (a part's ``solution``; the template's closing ``solution`` belongs to the last
    part, so it may name every answer).  A placeholder naming an asked symbol in any of these prints
    the answer before it is asked: ``{C.value}`` in the prompt that asks for C, ``{occ}`` in the
    stem, part (a)'s prose naming (b)'s answer.  Returns (check, message) pairs.
    """
    from psyq.template import PLACEHOLDER

    asked = {p.ask: k for k, p in enumerate(template.parts)}

    def named(text: str | None) -> list[str]:
        if not text:
            return []
        clean = text.replace("{{", "").replace("}}", "")
        found = (m.group(1) for m in PLACEHOLDER.finditer(clean))
        return list(dict.fromkeys(n for n in found if n in asked))

    out: list[tuple[str, str]] = []

    def leak(where: str, name: str) -> None:
        part = template.parts[asked[name]]
        out.append((f"{where} answer leak", f"{where} prints {{{name}}}, the answer of part "
                                            f"({part.id}), before the student answers it"))

    for name in named(template.text):
        leak("text", name)
    for k, part in enumerate(template.parts):
        for name in named(part.prompt):
            if asked[name] >= k:
                leak(f"part {part.id} prompt", name)
        for name in named(part.solution):
            if asked[name] > k:
                leak(f"part {part.id} solution", name)
    return out
