"""One symbol table for typesetting: how a template symbol is written (K_i, O_max, ED_50,SERT, t_½).

Every renderer asks this module how to write a symbol — the PDF (Typst), HTML (MathML), Markdown
and Moodle (LaTeX), the plain-text LMS formats and the terminal — so a symbol is written the same
way everywhere.  A template may declare the spelling of a symbol (``typeset: "f_u,M"``); without
a declaration it is derived from the name by the rule below, which follows the usual
pharmacology notation (IUPHAR; ISO 80000-2: a descriptive subscript is upright, a multi-letter
name is upright and never an italic product of letters):

* ``_`` starts subscripts: ``occ_SERT`` → occ with subscript SERT, ``t_half_A`` → t_½,A;
* conventional heads are split: ``Ki`` → K_i, ``Kd_M`` → K_d,M, ``Omax`` → O_max, ``fu`` → f_u,
  ``nH`` → n_H, ``ED50_SERT`` → ED_50,SERT (also EC, IC, ID, LD, TD), ``pKi`` → pK_i;
* trailing digits are a subscript: ``A0`` → A_0, ``T90`` → T_90, ``dose1`` → dose_1;
* a one-letter base is italic, a longer one upright (occ, dose, MW, NNH, ED);
* a subscript is upright (a label), except one that is itself a one-letter symbol of the same
  template (``t_X`` → t with an italic X); ``half`` is written ½.

This module imports nothing heavy (the terminal and ``psyq --help`` paths use it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable, Mapping

GREEK = {
    "alpha": "α", "beta": "β", "gamma": "γ", "delta": "δ", "epsilon": "ε", "zeta": "ζ", "eta": "η",
    "theta": "θ", "iota": "ι", "kappa": "κ", "lambda": "λ", "lamda": "λ", "mu": "μ", "nu": "ν",
    "xi": "ξ", "omicron": "ο", "pi": "π", "rho": "ρ", "sigma": "σ", "tau": "τ", "upsilon": "υ",
    "phi": "φ", "chi": "χ", "psi": "ψ", "omega": "ω",
    "Gamma": "Γ", "Delta": "Δ", "Theta": "Θ", "Lambda": "Λ", "Xi": "Ξ", "Pi": "Π", "Sigma": "Σ",
    "Upsilon": "Υ", "Phi": "Φ", "Psi": "Ψ", "Omega": "Ω",
}
HALF = "½"
MAX_DECLARED = 40  # characters of a declared spelling

# Conventional heads: (pattern on the part before the first '_', base, subscript group numbers).
_HEADS: tuple[tuple[re.Pattern, str], ...] = (
    (re.compile(r"^(ED|EC|IC|ID|LD|TD)(\d+)([A-Z]*)$"), "abbrev"),  # ED50, IC50, ED50S
    (re.compile(r"^(pK)([a-z])$"), "head"),  # pKi
    (re.compile(r"^(K)([a-z]|\d+)$"), "head"),  # Ki, Kd, Km, K50
    (re.compile(r"^([A-Za-z])(max|min|ss|tot)$"), "head"),  # Omax, Emax, Bmax, Cmax
    (re.compile(r"^(f)(u)$"), "head"),  # fu: unbound fraction
    (re.compile(r"^(n)(H)$"), "head"),  # nH: Hill coefficient
    (re.compile(r"^([A-Za-z]+?)(\d+)$"), "head"),  # A0, T90, dose1
)
_DECLARED = re.compile(r"^[A-Za-z0-9αβγδεζηθικλμνξοπρστυφχψωΓΔΘΛΞΠΣΥΦΨΩ½]+"
                       r"(_[A-Za-z0-9αβγδεζηθικλμνξοπρστυφχψωΓΔΘΛΞΠΣΥΦΨΩ½]+(,[A-Za-z0-9½]+)*)?$")


@dataclass(frozen=True)
class Piece:
    """A run of characters, italic (a one-letter variable) or upright (a word, a label, digits)."""

    text: str
    italic: bool


@dataclass(frozen=True)
class Spelling:
    """How a symbol is written: a base with subscripts (each subscript a piece, comma-separated)."""

    name: str
    base: Piece
    subs: tuple[Piece, ...] = ()

    def text(self) -> str:
        """Plain Unicode for places without math (terminal, plain-text LMS fields): subscript
        digits and ½ as Unicode (A₀, IC₅₀, t½), other subscripts after '_' (K_i, O_max,
        ED_50,SERT) — Unicode's subscript letters are too few and too small to read."""
        if not self.subs:
            return self.base.text
        if len(self.subs) == 1 and self.subs[0].text == HALF:
            return self.base.text + HALF
        joined = ",".join(p.text for p in self.subs)
        if joined.isdigit():
            return self.base.text + joined.translate(_SUB_TABLE)
        return f"{self.base.text}_{joined}"


_SUB_TABLE = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")


def _word(text: str) -> Piece:
    if text in GREEK:
        return Piece(GREEK[text], True)
    return Piece(text, len(text) == 1 and text.isalpha())


def _sub(text: str, others: Iterable[str]) -> Piece:
    if text == "half":
        return Piece(HALF, False)
    if text in GREEK:
        return Piece(GREEK[text], True)
    # a one-letter symbol of the same template used as a label (t_X: the time to reach X)
    return Piece(text, len(text) == 1 and text.isalpha() and text in others)


def derive(name: str, others: Iterable[str] = ()) -> Spelling:
    """The default spelling of a symbol name (see the module docstring for the rule)."""
    others = frozenset(others)
    head, *rest = name.split("_")
    rest = [r for r in rest if r]
    base = _word(head)
    subs: list[Piece] = []
    if head not in GREEK:
        for pattern, kind in _HEADS:
            m = pattern.match(head)
            if not m:
                continue
            if kind == "abbrev":
                base = Piece(m.group(1), False)
                subs = [Piece(m.group(2), False)] + ([Piece(m.group(3), False)] if m.group(3) else [])
            else:
                stem = m.group(1)
                base = Piece(stem, len(stem) == 1)
                subs = [_sub(m.group(2), ())]
            break
    subs += [_sub(r, others) for r in rest]
    return Spelling(name, base, tuple(subs))


def parse_declared(text: str, name: str = "") -> Spelling:
    """A template's declared spelling: ``base`` or ``base_sub1,sub2`` (``half`` or ``½`` for ½).
    A one-letter piece is italic, a longer one upright.  Raises ValueError when malformed."""
    text = text.strip()
    if not text or len(text) > MAX_DECLARED or not _DECLARED.match(text):
        raise ValueError("a spelling is 'base' or 'base_sub1,sub2' in letters and digits (e.g. K_i, ED_50,SERT)")
    head, _, tail = text.partition("_")
    subs = tuple(Piece(HALF, False) if s in ("half", HALF) else Piece(s, False) for s in tail.split(",")) \
        if tail else ()
    return Spelling(name or text, _word(head), subs)


def table(template) -> dict[str, Spelling]:
    """Every symbol of a template (and every helper value it draws) → its spelling, computed once
    per template content."""
    key = (getattr(template, "id", ""), getattr(template, "content_hash", ""))
    hit = _TABLES.get(key)
    if hit is not None:
        return hit
    symbols = getattr(template, "symbols", {}) or {}
    names = set(symbols) | set(getattr(template, "params", {}) or {})
    out: dict[str, Spelling] = {}
    for n in sorted(names):
        declared = getattr(symbols.get(n), "typeset", None)
        out[n] = parse_declared(declared, n) if declared else derive(n, names)
    _TABLES[key] = out
    return out


_TABLES: dict[tuple, dict[str, Spelling]] = {}


def spelling(name: str, spellings: Mapping[str, Spelling] | None = None) -> Spelling:
    if spellings is not None:
        hit = spellings.get(name)
        if hit is not None:
            return hit
    return derive(name)


def text(name: str, spellings: Mapping[str, Spelling] | None = None) -> str:
    """A symbol in plain Unicode (terminal and plain-text fields)."""
    return spelling(name, spellings).text()


# ------------------------------------------------------------------------------------------------
# Symbols inside prose (stems, prompts, feedback)

_WORD = re.compile(r"[A-Za-z][A-Za-z0-9_]*")




def prose(text: str, spellings: Mapping[str, Spelling]) -> list[str | Spelling]:
    """Split prose into plain strings and symbols: a symbol name written as a word in the text
    ('Ki = 0.13 nM', 'the Ki from (a)') comes back as its Spelling.  A name that could be an
    ordinary word or a variable letter (C, dose) counts only when an '=' follows it."""
    out: list[str | Spelling] = []
    pos = 0
    for m in _WORD.finditer(text):
        word = m.group(0)
        sp = spellings.get(word)
        if sp is None:
            continue
        # a subscripted name (Ki, A0, IC50, t_half) is not an English word; a plain word (dose,
        # occ) or a single letter (C) is a symbol only where it is given a value
        if not sp.subs and not re.match(r"\s*=(?!=)", text[m.end():]):
            continue
        if not sp.subs and sp.base.text == word and not sp.base.italic:
            continue  # written as it stands anyway (MW, NNH)
        if m.start() > pos:
            out.append(text[pos:m.start()])
        out.append(sp)
        pos = m.end()
    if pos < len(text):
        out.append(text[pos:])
    return out


def prose_text(text: str, spellings: Mapping[str, Spelling]) -> str:
    """Prose with its symbols written in plain Unicode (Kᵢ, t½)."""
    return "".join(p if isinstance(p, str) else p.text() for p in prose(text, spellings))


# ------------------------------------------------------------------------------------------------
# Numbers and units kept on one line

NBSP = "\u00a0"
_UNITS = frozenset("""% ‰ nM µM μM mM M pM fM mg g kg µg μg ng mL L dL µL h d wk min s ms y yr mo
mg/d mg/day mg/kg ng/mL µg/mL mg/L g/mol mol fold days weeks hours months years d⁻¹ h⁻¹""".split())
_NUMBER_SPACE = re.compile(r"(\d) (?=([^\s,;:)\]]+))")


def keep_units(text: str) -> str:
    """'93.6 %' → '93.6\u00a0%', '0.13 nM' → '0.13\u00a0nM': a number and its unit never break
    across lines.  Only a space between a digit and a known unit is replaced."""
    def repl(m: re.Match) -> str:
        word = m.group(2).rstrip(".")
        return m.group(1) + NBSP if word in _UNITS else m.group(0)

    return _NUMBER_SPACE.sub(repl, text)
