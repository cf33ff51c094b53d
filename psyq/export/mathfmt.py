"""Typeset math for exports: sympy expressions and displayed quantities → one small box tree →
Typst math, MathML or LaTeX.

The worked solutions come from the template's sympy solve chain (``psyq.solve``), so formulas are
built from the expressions themselves, never by parsing text.  A box is a tuple whose first item
is its kind:

``("row", [boxes])`` · ``("id", name)`` an italic identifier · ``("num", "1.5")`` ·
``("op", "+")`` · ``("text", "mg/d")`` upright text · ``("frac", num, den)`` ·
``("sup", base, exp)`` · ``("sub", base, sub)`` · ``("sqrt", x)`` · ``("fence", x)`` parentheses ·
``("abs", x)`` · ``("func", name, [args])`` · ``("qty", number_box, unit)`` a value with its unit ·
``("sym", name, box)`` a symbol slot that :func:`substitute` can fill with a displayed value.

Every emitter escapes what it writes: names are restricted by the template grammar, but units and
displayed values are treated as untrusted text all the same.
"""

from __future__ import annotations

import re
from typing import Any, Mapping

Box = tuple

GREEK = {
    "alpha": "α", "beta": "β", "gamma": "γ", "delta": "δ", "epsilon": "ε", "zeta": "ζ", "eta": "η",
    "theta": "θ", "iota": "ι", "kappa": "κ", "lambda": "λ", "lamda": "λ", "mu": "μ", "nu": "ν",
    "xi": "ξ", "omicron": "ο", "pi": "π", "rho": "ρ", "sigma": "σ", "tau": "τ", "upsilon": "υ",
    "phi": "φ", "chi": "χ", "psi": "ψ", "omega": "ω",
    "Gamma": "Γ", "Delta": "Δ", "Theta": "Θ", "Lambda": "Λ", "Xi": "Ξ", "Pi": "Π", "Sigma": "Σ",
    "Upsilon": "Υ", "Phi": "Φ", "Psi": "Ψ", "Omega": "Ω",
}
_TYPST_GREEK = {v: ("lambda" if k == "lamda" else k) for k, v in GREEK.items()}
_SUPERSCRIPT = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺", "0123456789-+")
_NUMBER = re.compile(r"^[+\-−]?(\d+(\.\d*)?|\.\d+)$")
_TIMES_TEN = re.compile(r"^([+\-−]?\d+(?:\.\d*)?)\s*[×x]\s*10([⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺]+)$")
_E_NOTATION = re.compile(r"^([+\-−]?\d+(?:\.\d*)?)[eE]([+\-]?\d+)$")


# ------------------------------------------------------------------------------------------------
# Building boxes

def row(*items: Box) -> Box:
    return ("row", [b for b in items if b is not None])


def symbol_box(name: str) -> Box:
    """A template symbol name as it is typeset: ``t_half`` → t with subscript 'half',
    ``ED50_SERT`` → ED with subscript '50,SERT', ``alpha`` → α (sympy's naming conventions)."""
    base, sups, subs = split_super_sub(name)
    box = _name_part(base, italic=True)
    if subs:
        items: list[Box] = []
        for i, s in enumerate(subs):
            if i:
                items.append(("op", ","))
            items.append(_name_part(s, italic=len(s) == 1))
        box = ("sub", box, items[0] if len(items) == 1 else ("row", items))
    if sups:
        box = ("sup", box, row(*[_name_part(s, italic=len(s) == 1) for s in sups]))
    return box


_NAME_WITH_DIGITS = re.compile(r"^([^\W\d_]+)(\d+)$", re.U)


def split_super_sub(text: str) -> tuple[str, list[str], list[str]]:
    """sympy.printing.conventions.split_super_sub, without importing sympy (exports run without
    it): 'a_x^1' → ('a', ['1'], ['x']); a name ending in digits takes them as a first subscript."""
    if not text:
        return text, [], []
    pos, name, supers, subs = 0, None, [], []
    while pos < len(text):
        start = pos + 1
        if text[pos:pos + 2] == "__":
            start += 1
        pos_hat = text.find("^", start)
        pos_usc = text.find("_", start)
        pos_next = min(pos_hat if pos_hat >= 0 else len(text), pos_usc if pos_usc >= 0 else len(text))
        part = text[pos:pos_next]
        pos = pos_next
        if name is None:
            name = part
        elif part.startswith("^"):
            supers.append(part[1:])
        elif part.startswith("__"):
            supers.append(part[2:])
        else:  # "_"
            subs.append(part[1:])
    m = _NAME_WITH_DIGITS.match(name)
    if m:
        name, sub = m.groups()
        subs.insert(0, sub)
    return name, supers, subs


def _name_part(text: str, italic: bool) -> Box:
    if text in GREEK:
        return ("id", GREEK[text])
    if text.isdigit():
        return ("num", text)
    return ("id", text) if italic else ("text", text)


def number_box(text: str) -> Box:
    """A number as psyq displays it ('0.29', '1.2×10⁻⁵', '-3') as a box."""
    text = text.strip()
    m = _TIMES_TEN.match(text)
    if m:
        exp = m.group(2).translate(_SUPERSCRIPT)
        return row(_signed_num(m.group(1)), ("op", "×"), ("sup", ("num", "10"), _signed_num(exp)))
    m = _E_NOTATION.match(text)
    if m:
        return row(_signed_num(m.group(1)), ("op", "×"),
                   ("sup", ("num", "10"), _signed_num(str(int(m.group(2))))))
    if _NUMBER.match(text):
        return _signed_num(text)
    return ("text", text)


def _signed_num(text: str) -> Box:
    if text[:1] in "-−":
        return row(("op", "−"), ("num", text[1:]))
    return ("num", text.lstrip("+"))


def quantity_box(display: str) -> Box:
    """'17.4 mg/d' → number with unit; '87 %' → 87 %; '0.8' → 0.8; anything else → text."""
    number, _, unit = display.strip().partition(" ")
    nb = number_box(number)
    if nb[0] == "text":
        return ("text", display)
    return ("qty", nb, unit.strip()) if unit.strip() else nb


# ------------------------------------------------------------------------------------------------
# sympy → boxes

def expr_box(expr: Any) -> Box:
    """A sympy expression as a box tree (symbols become substitutable slots)."""
    import sympy as sp

    return _Builder(sp).box(expr)


_STEP_BOXES: dict[tuple, tuple[Box, Box]] = {}


def step_boxes(template, unknown: str) -> tuple[Box, Box]:
    """(unknown as a box, its solved expression as a box) for one step of the template's chain,
    computed once per template content (the expression's box comes compiled with the template)."""
    key = (template.id, template.content_hash, unknown)
    hit = _STEP_BOXES.get(key)
    if hit is not None:
        return hit
    from psyq.solve import compile_template

    step = compile_template(template).step_for(unknown)
    result = (symbol_box(unknown), step.box)
    _STEP_BOXES[key] = result
    return result


class _Builder:
    def __init__(self, sp):
        self.sp = sp

    def box(self, e) -> Box:
        sp = self.sp
        if isinstance(e, sp.Symbol):
            return ("sym", e.name, symbol_box(e.name))
        if e is sp.E:
            return ("id", "e")
        if e is sp.pi:
            return ("id", "π")
        if e is sp.oo:
            return ("op", "∞")
        if isinstance(e, sp.Integer):
            return _signed_num(str(int(e)))
        if isinstance(e, sp.Rational):
            p, q = int(e.p), int(e.q)
            frac = ("frac", ("num", str(abs(p))), ("num", str(q)))
            return row(("op", "−"), frac) if p < 0 else frac
        if isinstance(e, sp.Float):
            return number_box(format(float(e), ".6g"))
        if isinstance(e, sp.core.relational.Relational):
            op = {"==": "=", "<": "<", ">": ">", "<=": "≤", ">=": "≥", "!=": "≠"}.get(e.rel_op, "=")
            return row(self.box(e.lhs), ("op", op), self.box(e.rhs))
        if isinstance(e, sp.Add):
            return self.add(e)
        if isinstance(e, sp.Mul):
            return self.mul(e)
        if isinstance(e, sp.Pow):
            return self.pow(e)
        if isinstance(e, sp.exp):
            return ("sup", ("id", "e"), self.box(e.args[0]))
        if isinstance(e, sp.log):
            return ("func", "ln", [self.box(a) for a in e.args[:1]])
        if isinstance(e, sp.Abs):
            return ("abs", self.box(e.args[0]))
        if isinstance(e, (sp.Max, sp.Min)):
            return ("func", type(e).__name__.lower(), [self.box(a) for a in e.args])
        if isinstance(e, sp.Function):
            return ("func", type(e).__name__, [self.box(a) for a in e.args])
        return ("text", sp.sstr(e))

    def add(self, e) -> Box:
        items: list[Box] = []
        for i, term in enumerate(e.as_ordered_terms()):
            if i == 0:
                items.append(self.box(term))
                continue
            if term.could_extract_minus_sign():
                items += [("op", "−"), self.box(-term)]
            else:
                items += [("op", "+"), self.box(term)]
        return ("row", items)

    def mul(self, e) -> Box:
        sp = self.sp
        if e.could_extract_minus_sign():
            inner = -e
            b = self.box(inner)
            if isinstance(inner, sp.Add):
                b = ("fence", b)
            return row(("op", "−"), b)
        num, den = sp.fraction(e, exact=True)
        if den != 1:
            return ("frac", self.product(num), self.product(den))
        return self.product(e)

    def product(self, e) -> Box:
        sp = self.sp
        if not isinstance(e, sp.Mul):
            return self.box(e)
        factors = e.as_ordered_factors()
        items: list[Box] = []
        for i, f in enumerate(factors):
            if i:
                items.append(("op", "·"))
            b = self.box(f)
            if isinstance(f, sp.Add) or (isinstance(f, sp.Number) and f < 0):
                b = ("fence", b)
            items.append(b)
        return ("row", items)

    def pow(self, e) -> Box:
        sp = self.sp
        base, exp = e.args
        if exp == sp.Rational(1, 2):
            return ("sqrt", self.box(base))
        if exp.is_number and exp.is_negative:
            return ("frac", ("num", "1"), self.box(base ** (-exp)))
        b = self.box(base)
        if isinstance(base, (sp.Add, sp.Mul, sp.Pow)) or (isinstance(base, sp.Rational) and not isinstance(base, sp.Integer)) \
                or (isinstance(base, sp.Number) and base < 0):
            b = ("fence", b)
        return ("sup", b, self.box(exp))


# ------------------------------------------------------------------------------------------------
# Substituting displayed values

def substitute(box: Box, values: Mapping[str, str]) -> Box:
    """Replace symbol slots by displayed quantities ('87 %', '69 mg/d'); others stay symbols.
    A substituted quantity inside a product or a power is fenced when it carries a sign."""
    kind = box[0]
    if kind == "sym":
        shown = values.get(box[1])
        if shown is None:
            return box
        q = quantity_box(shown)
        if shown.strip()[:1] in "-−":
            q = ("fence", q)
        return q
    if kind == "row":
        return ("row", [substitute(b, values) for b in box[1]])
    if kind in ("frac", "sup", "sub"):
        return (kind, substitute(box[1], values), substitute(box[2], values))
    if kind in ("sqrt", "fence", "abs"):
        return (kind, substitute(box[1], values))
    if kind == "func":
        return (kind, box[1], [substitute(a, values) for a in box[2]])
    return box


# ------------------------------------------------------------------------------------------------
# Typst

def to_typst(box: Box) -> str:
    """Typst math markup (without the surrounding dollars)."""
    return _typst(box).strip()


def _typst_string(text: str) -> str:
    out = ['"']
    for ch in text:
        if ch in '\\"':
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        elif ord(ch) < 32:
            out.append(f"\\u{{{ord(ch):x}}}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


_TYPST_OPS = {"+": "+", "−": "-", "-": "-", "·": "dot", "×": "times", "=": "=", ",": ",",
              "<": "<", ">": ">", "≤": "<=", "≥": ">=", "≠": "!=", "∞": "infinity"}
_TYPST_FUNCS = {"ln", "log", "exp", "max", "min", "sin", "cos", "tan", "sinh", "cosh", "tanh"}


def _typst(box: Box) -> str:
    kind = box[0]
    if kind == "row":
        return " ".join(_typst(b) for b in box[1])
    if kind == "id":
        name = box[1]
        if name in _TYPST_GREEK:
            return _TYPST_GREEK[name]
        if len(name) == 1 and name.isascii() and name.isalpha():
            return name
        if name == "π":
            return "pi"
        return f"italic({_typst_string(name)})"
    if kind == "num":
        text = box[1]
        return text if re.fullmatch(r"\d+(\.\d+)?", text) else _typst_string(text)
    if kind == "op":
        op = box[1]
        return _TYPST_OPS.get(op, _typst_string(op))
    if kind == "text":
        return f"upright({_typst_string(box[1])})"
    if kind == "frac":
        return f"frac({_typst(box[1])}, {_typst(box[2])})"
    if kind == "sup":
        return f"{_typst_group(box[1])}^({_typst(box[2])})"
    if kind == "sub":
        return f"{_typst_group(box[1])}_({_typst(box[2])})"
    if kind == "sqrt":
        return f"sqrt({_typst(box[1])})"
    if kind == "fence":
        return f"lr(( {_typst(box[1])} ))"
    if kind == "abs":
        return f"abs({_typst(box[1])})"
    if kind == "func":
        name = box[1]
        head = name if name in _TYPST_FUNCS else f"op({_typst_string(name)})"
        args = ", ".join(_typst(a) for a in box[2])
        return f"{head} lr(( {args} ))"
    if kind == "qty":
        unit = box[2]
        return f"{_typst(box[1])} thin upright({_typst_string(unit)})"
    if kind == "sym":
        return _typst(box[2])
    raise ValueError(f"unknown box kind {kind!r}")


def _typst_group(box: Box) -> str:
    """A base for ^ or _: a single token, or the expression grouped without visible brackets."""
    if box[0] in ("id", "num", "fence", "sym", "sub", "sup"):
        return _typst(box)
    return f"lr(( {_typst(box)} ))" if box[0] in ("qty", "row", "frac") else _typst(box)


# ------------------------------------------------------------------------------------------------
# MathML

def to_mathml(box: Box, display: bool = False) -> str:
    """A complete <math> element (presentation MathML, rendered by browsers without scripts)."""
    mode = ' display="block"' if display else ""
    return f'<math xmlns="http://www.w3.org/1998/Math/MathML"{mode}>{_mml(box)}</math>'


def _esc(text: str) -> str:
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;"))


def _mrow(box: Box) -> str:
    inner = _mml(box)
    return inner if box[0] in ("row",) else f"<mrow>{inner}</mrow>"


def _mml(box: Box) -> str:
    kind = box[0]
    if kind == "row":
        return "<mrow>" + "".join(_mml(b) for b in box[1]) + "</mrow>"
    if kind == "id":
        name = box[1]
        if len(name) == 1:
            return f"<mi>{_esc(name)}</mi>"
        return f'<mi mathvariant="italic">{_esc(name)}</mi>'
    if kind == "num":
        return f"<mn>{_esc(box[1])}</mn>"
    if kind == "op":
        op = {"·": "⋅", "-": "−"}.get(box[1], box[1])
        return f"<mo>{_esc(op)}</mo>"
    if kind == "text":
        return f"<mtext>{_esc(box[1])}</mtext>"
    if kind == "frac":
        return f"<mfrac>{_mrow(box[1])}{_mrow(box[2])}</mfrac>"
    if kind == "sup":
        return f"<msup>{_mrow(box[1])}{_mrow(box[2])}</msup>"
    if kind == "sub":
        return f"<msub>{_mrow(box[1])}{_mrow(box[2])}</msub>"
    if kind == "sqrt":
        return f"<msqrt>{_mml(box[1])}</msqrt>"
    if kind == "fence":
        return f"<mrow><mo>(</mo>{_mml(box[1])}<mo>)</mo></mrow>"
    if kind == "abs":
        return f"<mrow><mo>|</mo>{_mml(box[1])}<mo>|</mo></mrow>"
    if kind == "func":
        args = "<mo>,</mo>".join(_mml(a) for a in box[2])
        return (f"<mrow><mi>{_esc(box[1])}</mi><mo>&#x2061;</mo>"
                f"<mrow><mo>(</mo>{args}<mo>)</mo></mrow></mrow>")
    if kind == "qty":
        return (f'<mrow>{_mml(box[1])}<mspace width="0.17em"/>'
                f"<mtext>{_esc(box[2])}</mtext></mrow>")
    if kind == "sym":
        return _mml(box[2])
    raise ValueError(f"unknown box kind {kind!r}")


# ------------------------------------------------------------------------------------------------
# LaTeX (Markdown viewers and Moodle's MathJax filter)

_LATEX_TEXT_ESCAPES = {"\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "%": r"\%", "$": r"\$",
                       "&": r"\&", "#": r"\#", "_": r"\_", "^": r"\^{}", "~": r"\~{}"}
_LATEX_GREEK = {v: "\\" + ("lambda" if k == "lamda" else k) for k, v in GREEK.items()}
_LATEX_OPS = {"·": r"\cdot", "×": r"\times", "−": "-", "≤": r"\le", "≥": r"\ge", "≠": r"\ne",
              "∞": r"\infty"}


def latex_text(text: str) -> str:
    return "".join(_LATEX_TEXT_ESCAPES.get(ch, ch) for ch in text)


def to_latex(box: Box) -> str:
    return _latex(box).strip()


def _latex(box: Box) -> str:
    kind = box[0]
    if kind == "row":
        return " ".join(_latex(b) for b in box[1])
    if kind == "id":
        name = box[1]
        if name in _LATEX_GREEK:
            return _LATEX_GREEK[name]
        if name == "π":
            return r"\pi"
        if len(name) == 1 and name.isascii() and name.isalpha():
            return name
        return r"\mathit{" + latex_text(name) + "}"
    if kind == "num":
        return box[1] if re.fullmatch(r"\d+(\.\d+)?", box[1]) else r"\text{" + latex_text(box[1]) + "}"
    if kind == "op":
        return _LATEX_OPS.get(box[1], latex_text(box[1]))
    if kind == "text":
        return r"\text{" + latex_text(box[1]) + "}"
    if kind == "frac":
        return r"\frac{" + _latex(box[1]) + "}{" + _latex(box[2]) + "}"
    if kind == "sup":
        return "{" + _latex(box[1]) + "}^{" + _latex(box[2]) + "}"
    if kind == "sub":
        return "{" + _latex(box[1]) + "}_{" + _latex(box[2]) + "}"
    if kind == "sqrt":
        return r"\sqrt{" + _latex(box[1]) + "}"
    if kind == "fence":
        return r"\left(" + _latex(box[1]) + r"\right)"
    if kind == "abs":
        return r"\left|" + _latex(box[1]) + r"\right|"
    if kind == "func":
        args = ", ".join(_latex(a) for a in box[2])
        return r"\operatorname{" + latex_text(box[1]) + r"}\left(" + args + r"\right)"
    if kind == "qty":
        return _latex(box[1]) + r"\,\text{" + latex_text(box[2]) + "}"
    if kind == "sym":
        return _latex(box[2])
    raise ValueError(f"unknown box kind {kind!r}")


# ------------------------------------------------------------------------------------------------
# Plain Unicode (GIFT, Canvas and other places without math rendering)

def to_text(box: Box) -> str:
    kind = box[0]
    if kind == "row":
        out = ""
        for b in box[1]:
            piece = to_text(b)
            if b[0] == "op" and b[1] not in ("·", ","):
                out += f" {piece} "
            elif b[0] == "op" and b[1] == ",":
                out += ","
            else:
                out += piece
        return out.replace("  ", " ")
    if kind in ("id", "num", "text", "op"):
        return box[1]
    if kind == "frac":
        return f"{_text_group(box[1])}/{_text_group(box[2])}"
    if kind == "sup":
        return f"{_text_group(box[1])}^{_text_group(box[2])}"
    if kind == "sub":
        return f"{to_text(box[1])}_{to_text(box[2])}"
    if kind == "sqrt":
        return f"√({to_text(box[1])})"
    if kind == "fence":
        return f"({to_text(box[1])})"
    if kind == "abs":
        return f"|{to_text(box[1])}|"
    if kind == "func":
        return f"{box[1]}(" + ", ".join(to_text(a) for a in box[2]) + ")"
    if kind == "qty":
        return f"{to_text(box[1])} {box[2]}"
    if kind == "sym":
        return to_text(box[2])
    raise ValueError(f"unknown box kind {kind!r}")


def _text_group(box: Box) -> str:
    text = to_text(box)
    if box[0] in ("row", "qty", "frac") and len(text) > 1:
        return f"({text})"
    return text

