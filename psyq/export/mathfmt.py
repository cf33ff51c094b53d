"""Typeset math for exports: sympy expressions and displayed quantities → one small box tree →
Typst math, MathML or LaTeX.

The worked solutions come from the template's sympy solve chain (``psyq.solve``), so formulas are
built from the expressions themselves, never by parsing text.  A box is a tuple whose first item
is its kind:

``("row", [boxes])`` · ``("id", name)`` an italic identifier · ``("num", "1.5")`` ·
``("op", "+")`` · ``("text", "mg/d")`` upright text · ``("up", "occ")`` an upright identifier · ``("frac", num, den)`` ·
``("sup", base, exp)`` · ``("sub", base, sub)`` · ``("sqrt", x)`` · ``("fence", x)`` parentheses ·
``("abs", x)`` · ``("func", name, [args])`` · ``("qty", number_box, unit)`` a value with its unit ·
``("sym", name, box)`` a symbol slot that :func:`substitute` can fill with a displayed value.

Every emitter escapes what it writes: names are restricted by the template grammar, but units and
displayed values are treated as untrusted text all the same.
"""

from __future__ import annotations

import re
from typing import Any, Mapping

from psyq.typeset import GREEK  # one table of Greek names: the symbol table's

Box = tuple
_TYPST_GREEK = {v: ("lambda" if k == "lamda" else k) for k, v in GREEK.items()}
_SUPERSCRIPT = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺", "0123456789-+")
_NUMBER = re.compile(r"^[+\-−]?(\d+(\.\d*)?|\.\d+)$")
_TIMES_TEN = re.compile(r"^([+\-−]?\d+(?:\.\d*)?)\s*[×x]\s*10([⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺]+)$")
_E_NOTATION = re.compile(r"^([+\-−]?\d+(?:\.\d*)?)[eE]([+\-]?\d+)$")


# ------------------------------------------------------------------------------------------------
# Building boxes

def row(*items: Box) -> Box:
    return ("row", [b for b in items if b is not None])


def symbol_box(name: str, spellings: Mapping | None = None) -> Box:
    """A template symbol as it is typeset, from the one symbol table (:mod:`psyq.typeset`):
    ``Ki`` → K with an upright subscript i, ``ED50_SERT`` → upright ED with subscript 50,SERT,
    ``t_half`` → t with subscript ½, ``occ`` → upright occ, ``alpha`` → α."""
    from psyq import typeset

    sp = typeset.spelling(name, spellings)
    box = _piece(sp.base)
    if len(sp.subs) > 1 and not any(p.italic for p in sp.subs):
        # one upright label, K_i,SERT as it is printed (math would space the comma: K_i, SERT)
        box = ("sub", box, ("up", ",".join(p.text for p in sp.subs)))
    elif sp.subs:
        items: list[Box] = []
        for i, p in enumerate(sp.subs):
            if i:
                items.append(("op", ","))
            items.append(_piece(p))
        box = ("sub", box, items[0] if len(items) == 1 else ("row", items))
    return box


def _piece(p) -> Box:
    if p.text.isdigit():
        return ("num", p.text)
    return ("id", p.text) if p.italic else ("up", p.text)


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

def expr_box(expr: Any, spellings: Mapping | None = None) -> Box:
    """A sympy expression as a box tree (symbols become substitutable slots)."""
    import sympy as sp

    return _Builder(sp, spellings).box(expr)


def solved_box(template, solved: Any) -> Box:
    """The box of a solved expression as a worked solution prints it (computed when a template is
    compiled, with sympy): a fraction inside a fraction put over one denominator where that is
    shorter, symbols spelled from the template's symbol table."""
    import sympy as sp

    from psyq import typeset

    combined = sp.together(solved)
    if sp.count_ops(combined) < sp.count_ops(solved):
        solved = combined
    return expr_box(solved, typeset.table(template))


_STEP_BOXES: dict[tuple, tuple[Box, Box]] = {}


def step_boxes(template, unknown: str) -> tuple[Box, Box]:
    """(unknown as a box, its solved expression as a box) for one step of the template's chain,
    computed once per template content (the expression's box comes compiled with the template)."""
    key = (template.id, template.content_hash, unknown)
    hit = _STEP_BOXES.get(key)
    if hit is not None:
        return hit
    from psyq import typeset
    from psyq.solve import compile_template

    step = compile_template(template).step_for(unknown)
    result = (symbol_box(unknown, typeset.table(template)), step.box)
    _STEP_BOXES[key] = result
    return result


class _Builder:
    """sympy → boxes, written the way a teacher writes them: positive terms first (1 − Q, not
    −Q + 1) and a minus sign taken out of a fraction by turning its denominator round
    (1/(1 − Q), not −1/(Q − 1))."""

    def __init__(self, sp, spellings: Mapping | None = None):
        self.sp = sp
        self.spellings = spellings

    def box(self, e) -> Box:
        sp = self.sp
        if isinstance(e, sp.Symbol):
            return ("sym", e.name, symbol_box(e.name, self.spellings))
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
        terms = e.as_ordered_terms()
        terms = [t for t in terms if not t.could_extract_minus_sign()] + \
            [t for t in terms if t.could_extract_minus_sign()]
        for i, term in enumerate(terms):
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
        num, den = sp.fraction(e, exact=True)
        if den != 1:
            num, den = min(((self._fold(num), self._fold(den)), (self._fold(-num), self._fold(-den))),
                           key=lambda nd: self._untidiness(*nd))  # stable: the first wins a tie
            if self._negative(num):
                flipped = self._log_flip(-num)
                if flipped is not None:
                    return ("frac", self.product(flipped), self.product(den))
                return row(("op", "−"), ("frac", self.product(self._fold(-num)), self.product(den)))
            return ("frac", self.product(num), self.product(den))
        if e.could_extract_minus_sign():
            inner = -e
            flipped = self._log_flip(inner)
            if flipped is not None:
                return self.product(flipped)
            b = self.box(inner)
            if isinstance(inner, sp.Add):
                b = ("fence", b)
            return row(("op", "−"), b)
        return self.product(e)

    def _log_flip(self, x):
        """x with the minus sign of −x taken into its one logarithm (−t½·ln(X) → t½·ln(1/X)),
        as an unevaluated product; None when x has no single logarithm to take it."""
        sp = self.sp
        factors = list(sp.Mul.make_args(x))
        logs = [i for i, f in enumerate(factors) if isinstance(f, sp.log)]
        if len(logs) != 1:
            return None
        arg = factors[logs[0]].args[0]
        factors[logs[0]] = sp.log(sp.Pow(arg, -1), evaluate=False)
        return factors[0] if len(factors) == 1 else sp.Mul(*factors, evaluate=False)

    def _negative(self, x) -> bool:
        """Written with a minus sign in front (a sum only when every term is negative)."""
        if isinstance(x, self.sp.Add):
            return all(a.could_extract_minus_sign() for a in x.args)
        return x.could_extract_minus_sign()

    def _fold(self, x):
        """A product with a negative coefficient and a sum among its factors, the sign taken into
        the sum: −(X − 1)·t → (1 − X)·t."""
        sp = self.sp
        if not isinstance(x, sp.Mul):
            return x
        c, rest = x.as_coeff_Mul()
        if not c.is_negative:
            return x
        factors = list(sp.Mul.make_args(rest))
        for i, f in enumerate(factors):
            if isinstance(f, sp.Add):
                factors[i] = sp.Add(*[-a for a in f.args])
                if -c != 1:
                    factors.insert(0, -c)
                return factors[0] if len(factors) == 1 else sp.Mul(*factors, evaluate=False)
        return x

    def _untidiness(self, num, den) -> int:
        """How far num/den is from the way a teacher writes it: a minus sign in front of the
        numerator or the denominator, and sums that subtract a bare number (Q − 1, not 1 − Q)."""
        sp = self.sp
        score = 2 * (self._negative(num) + self._negative(den))
        for x in (num, den):
            for f in sp.Mul.make_args(x):
                if isinstance(f, sp.Add):
                    score += sum(1 for a in f.args if a.is_number and a.is_negative)
        return score

    def _factor_rank(self, f) -> int:
        """A teacher's order of factors: a number, then symbols, then sums, then powers and
        functions ((1 − A0)·2^(−t/t½), not 2^(−t/t½)·(1 − A0))."""
        sp = self.sp
        if isinstance(f, sp.Number):
            return 0
        if isinstance(f, sp.Symbol) or (isinstance(f, sp.Pow) and isinstance(f.base, sp.Symbol)):
            return 1
        if isinstance(f, sp.Add):
            return 2
        return 3

    def product(self, e) -> Box:
        sp = self.sp
        if not isinstance(e, sp.Mul):
            return self.box(e)
        factors = sorted(e.as_ordered_factors(), key=self._factor_rank)  # stable within a rank
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
# Template expressions as written (relations, misconceptions) → boxes, without sympy

_PREC = {"+": 1, "-": 1, "*": 2, "/": 3, "^": 4}


def node_box(node: Any, spellings: Mapping | None = None) -> Box:
    """A :mod:`psyq.expr` tree as the author wrote it ('X = 1 - (1 - A0)*2^(-t/t_half)' keeps
    its form), symbols spelled from the symbol table.  Nothing is evaluated."""
    from psyq import expr as E

    def prec(n) -> int:
        if isinstance(n, E.BinOp):
            return _PREC[n.op]
        if isinstance(n, E.Neg):
            return 1
        return 9

    def fenced(n, at_least: int) -> Box:
        b = conv(n)
        return ("fence", b) if prec(n) < at_least else b

    def conv(n) -> Box:
        if isinstance(n, E.Num):
            return ("id", "π") if n.text == "pi" else number_box(n.text.replace("_", ""))
        if isinstance(n, E.Sym):
            return ("sym", n.name, symbol_box(n.name, spellings))
        if isinstance(n, E.Neg):
            return row(("op", "−"), fenced(n.operand, 2))
        if isinstance(n, E.BinOp):
            if n.op == "+":
                if isinstance(n.right, E.Neg):
                    return row(conv(n.left), ("op", "−"), fenced(n.right.operand, 2))
                return row(conv(n.left), ("op", "+"), conv(n.right))
            if n.op == "-":
                return row(conv(n.left), ("op", "−"), fenced(n.right, 2))
            if n.op == "*":
                return row(fenced(n.left, 2), ("op", "·"), fenced(n.right, 3))
            if n.op == "/":
                if isinstance(n.left, E.Neg):  # −t/t½ as a minus before the fraction
                    return row(("op", "−"), ("frac", conv(n.left.operand), conv(n.right)))
                return ("frac", conv(n.left), conv(n.right))
            return ("sup", fenced(n.left, 5), conv(n.right))
        if isinstance(n, E.Call):
            args = [conv(a) for a in n.args]
            if n.func == "exp":
                return ("sup", ("id", "e"), args[0])
            if n.func == "sqrt":
                return ("sqrt", args[0])
            if n.func == "abs":
                return ("abs", args[0])
            return ("func", n.func, args)
        if isinstance(n, E.Compare):
            op = {"<=": "≤", ">=": "≥", "==": "=", "!=": "≠"}.get(n.op, n.op)
            return row(conv(n.left), ("op", op), conv(n.right))
        return ("text", E.to_text(n))

    return conv(node)


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
_LOG_BASES = {"log2": "2", "log10": "10"}
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
    if kind == "up":
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
        if name in _LOG_BASES:
            head = f"log_{_LOG_BASES[name]}"
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
    if box[0] in ("id", "up", "num", "fence", "sym", "sub", "sup"):
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
    if kind == "up":
        return f'<mi mathvariant="normal">{_esc(box[1])}</mi>'
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
        head = f"<mi>{_esc(box[1])}</mi>"
        if box[1] in _LOG_BASES:
            head = f"<msub><mi>log</mi><mn>{_LOG_BASES[box[1]]}</mn></msub>"
        return (f"<mrow>{head}<mo>&#x2061;</mo>"
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
    if kind == "up":
        return r"\mathrm{" + latex_text(box[1]).replace("½", "1/2") + "}" if box[1] != "½" else "1/2"
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
        if box[1] in _LOG_BASES:
            return r"\log_{" + _LOG_BASES[box[1]] + r"}\left(" + args + r"\right)"
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
        for i, b in enumerate(box[1]):
            piece = to_text(b)
            if b[0] == "op" and b[1] not in ("·", ","):
                out += piece if i == 0 else f" {piece} "  # a leading sign is unary: −t, not " − t"
            elif b[0] == "op" and b[1] == ",":
                out += ","
            else:
                out += piece
        return out.replace("  ", " ")
    if kind in ("id", "num", "text", "op", "up"):
        return box[1]
    if kind == "frac":
        return f"{_text_group(box[1])}/{_text_group(box[2])}"
    if kind == "sup":
        return f"{_text_group(box[1])}^{_text_group(box[2])}"
    if kind == "sub":  # as psyq.typeset.Spelling.text writes a symbol: A₀, t½, K_i
        sub = to_text(box[2])
        if sub.isdigit():
            return to_text(box[1]) + sub.translate(_SUBSCRIPT_DIGITS)
        return to_text(box[1]) + (sub if sub == "½" else "_" + sub)
    if kind == "sqrt":
        return f"√({to_text(box[1])})"
    if kind == "fence":
        return f"({to_text(box[1])})"
    if kind == "abs":
        return f"|{to_text(box[1])}|"
    if kind == "func":
        name = {"log2": "log₂", "log10": "log₁₀"}.get(box[1], box[1])
        return f"{name}(" + ", ".join(to_text(a) for a in box[2]) + ")"
    if kind == "qty":  # a number and its unit stay on one line
        return f"{to_text(box[1])}\u00a0{box[2]}"
    if kind == "sym":
        return to_text(box[2])
    raise ValueError(f"unknown box kind {kind!r}")


_SUBSCRIPT_DIGITS = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")


def _text_group(box: Box) -> str:
    text = to_text(box)
    if box[0] in ("row", "qty", "frac") and len(text) > 1:
        return f"({text})"
    return text

