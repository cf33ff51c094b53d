"""A whitelisting parser for arithmetic typed by students and written in templates.

Nothing here executes text.  Python's ``ast`` module is used as a *parser only*: the tree it returns
is checked node by node against an allow-list and rebuilt into psyq's own small expression tree
(:class:`Num`, :class:`Sym`, :class:`BinOp`, :class:`Neg`, :class:`Call`, :class:`Compare`,
:class:`BoolOp`).  That tree can then be evaluated numerically with bounds on every operation, or
turned into a sympy expression (for the template solver) by constructing sympy objects directly, never
through ``sympify``.

Limits (length, node count, depth, exponent and magnitude) keep hostile text such as ``9**9**9`` or
``((((…))))`` from hanging or crashing anything; every rejection is an :class:`InputError` that points
at the offending token.
"""

from __future__ import annotations

import ast
import math
import re
import warnings
from dataclasses import dataclass
from typing import Callable, Mapping, Union

from psyq.errors import InputError

MAX_LENGTH = 400  # characters of one expression
MAX_NODES = 200  # nodes of one expression tree
MAX_DEPTH = 30  # nesting of the tree (parentheses, operators)
MAX_EXPONENT = 400.0  # |b| in a**b; also the largest decimal exponent written in a literal
MAX_MAGNITUDE = 1e300  # any intermediate value beyond this is refused as overflow
MAX_ARTIFACT_LENGTH = 20_000  # characters of a solved expression read back from a compiled template
# (fully parenthesised by to_source, so longer than what a person types; MAX_NODES still bounds it)

# Functions a person may call.  ``log`` is refused on purpose: students mean log10, sympy means ln.
FUNCTIONS: dict[str, tuple[int, int]] = {  # name -> (min args, max args)
    "ln": (1, 1),
    "log10": (1, 1),
    "log2": (1, 1),
    "exp": (1, 1),
    "sqrt": (1, 1),
    "abs": (1, 1),
    "min": (2, 4),
    "max": (2, 4),
}
CONSTANTS = {"pi": math.pi}

# Typographic forms people paste, mapped to what Python's tokenizer reads.  Same length where it
# matters, so that error positions still point into the original text.
_TRANSLATE = str.maketrans({
    "×": "*", "·": "*", "⋅": "*", "∙": "*", "−": "-", "–": "-", "÷": "/", "π": "π",
})


@dataclass(frozen=True)
class Num:
    value: float
    text: str  # the literal as written (kept for significant-figure counting and exact sympy)


@dataclass(frozen=True)
class Sym:
    name: str


@dataclass(frozen=True)
class Neg:
    operand: "Node"


@dataclass(frozen=True)
class BinOp:
    op: str  # one of + - * / ^
    left: "Node"
    right: "Node"


@dataclass(frozen=True)
class Call:
    func: str
    args: tuple["Node", ...]


@dataclass(frozen=True)
class Compare:
    op: str  # one of < <= > >= == !=
    left: "Node"
    right: "Node"


@dataclass(frozen=True)
class BoolOp:
    op: str  # and | or
    values: tuple["Node", ...]


Node = Union[Num, Sym, Neg, BinOp, Call, Compare, BoolOp]

_BINOPS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "^"}
_CMPOPS = {ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=", ast.Eq: "==", ast.NotEq: "!="}


def _fail(message: str, text: str, position: int | None, hint: str | None = None) -> InputError:
    return InputError(message, text=text, position=position, hint=hint)


def _char_offset(py: str, byte_col: int | None) -> int | None:
    """Character offset in ``py`` of an ast column (ast gives UTF-8 byte columns on line 1)."""
    if byte_col is None:
        return None
    return len(py.encode("utf-8")[:byte_col].decode("utf-8", errors="ignore"))


def _check_characters(text: str) -> None:
    for i, ch in enumerate(text):
        if ch in "\t ":
            continue
        if ch.isascii():
            if ch.isprintable():
                continue
            raise _fail("control character in expression", text, i)
        if ch == "π":
            continue
        raise _fail(f"unexpected character {ch!r} (U+{ord(ch):04X})", text, i,
                    hint="use plain ASCII letters, digits and + - * / ^ ( )")


def parse(text: str, *, symbols: Mapping[str, object] | frozenset[str] | set[str] = frozenset(),
          allow_compare: bool = False, max_length: int = MAX_LENGTH) -> Node:
    """Parse ``text`` into an expression tree, refusing anything outside the allow-list.

    ``symbols`` are the names the expression may use (template symbols); ``pi`` is always known.
    ``allow_compare`` admits comparisons and ``and``/``or`` (template constraints).

    >>> parse("ln(2)*14")
    BinOp(op='*', left=Call(func='ln', args=(Num(value=2.0, text='2'),)), right=Num(value=14.0, text='14'))
    """
    if not isinstance(text, str):
        raise _fail("expression must be text", "", None)
    if len(text) > max_length:
        raise _fail(f"expression is too long ({len(text)} characters; at most {max_length})",
                    text[:60] + "…", None)
    source = text.translate(_TRANSLATE)
    _check_characters(source)
    stripped = source.strip()
    if not stripped:
        raise _fail("empty expression", text, 0)
    # A plain number (most typed answers): the tree the ast route would build, without the ast.
    # Anything the checks below might refuse goes the long way, so errors stay exactly the same.
    plain = _PLAIN_NUMBER.fullmatch(stripped)
    if plain is not None:
        num = _plain_number(plain.group(2))
        if num is not None:
            return Neg(num) if plain.group(1) == "-" else num
    # '^' is the power operator for people; Python reads '**'.  Keep offsets by mapping positions.
    py = source.replace("**", "^^").replace("^", "\x00").replace("\x00\x00", "**").replace("\x00", "**")
    py = py.replace("π", "pi")
    # Leading/trailing spaces are harmless; a leading space would be an indentation error.
    lead = len(py) - len(py.lstrip())
    py = py.strip()
    try:
        with warnings.catch_warnings():  # "1or 2" makes Python warn on stderr; the error says it
            warnings.simplefilter("ignore")
            tree = ast.parse(py, mode="eval")
    except SyntaxError as exc:
        pos = None
        if exc.offset is not None:
            pos = _map_position(text, source, (exc.offset - 1) + lead)
        raise _fail("cannot read this expression", text, pos,
                    hint="write a number or arithmetic such as 0.8, 80 %, 3/4, 1.2e-3, ln(2)*14") from None
    except (RecursionError, MemoryError, ValueError, OverflowError):
        raise _fail("expression is nested too deeply", text, None) from None
    builder = _Builder(text, source, py, lead, symbols, allow_compare)
    return builder.build(tree.body, 0)


# A Python decimal literal (no underscores, no leading zeros) with an optional sign.
_PLAIN_NUMBER = re.compile(r"([+-]?)((?:0|[1-9][0-9]*)(?:\.[0-9]*)?(?:[eE][+-]?[0-9]+)?"
                           r"|\.[0-9]+(?:[eE][+-]?[0-9]+)?)")


def _plain_number(literal: str) -> Num | None:
    """The Num that _Builder.constant makes of ``literal``, or None where it would refuse it."""
    _, _, exp = literal.lower().partition("e")
    if exp and abs(int(exp)) > MAX_EXPONENT:
        return None
    f = float(literal)
    if not math.isfinite(f) or abs(f) > MAX_MAGNITUDE or (f == 0 and _nonzero_digits(literal)):
        return None
    return Num(f, literal)


def _nonzero_digits(literal: str) -> bool:
    """Whether the mantissa of a numeric literal has a digit other than 0 (1e-400 does, 0e5 not)."""
    mantissa = literal.lower().partition("e")[0]
    return any(ch in "123456789" for ch in mantissa)


def _map_position(text: str, source: str, py_pos: int) -> int:
    """Map an offset in the '^'→'**' rewritten string back to ``text``."""
    # Each '^' that became '**' shifts later offsets by one.
    orig = 0
    shifted = 0
    while orig < len(source) and shifted < py_pos:
        if source[orig] == "^" and not (orig + 1 < len(source) and source[orig + 1] == "^"):
            shifted += 2
        else:
            shifted += 1
        orig += 1
    return min(orig, len(text))


class _Builder:
    def __init__(self, text: str, source: str, py: str, lead: int, symbols, allow_compare: bool):
        self.text = text
        self.source = source
        self.py = py
        self.lead = lead
        self.symbols = symbols
        self.allow_compare = allow_compare
        self.count = 0

    def pos(self, node: ast.AST) -> int | None:
        off = _char_offset(self.py, getattr(node, "col_offset", None))
        return None if off is None else _map_position(self.text, self.source, off + self.lead)

    def build(self, node: ast.AST, depth: int) -> Node:
        self.count += 1
        if self.count > MAX_NODES:
            raise _fail(f"expression is too long (more than {MAX_NODES} parts)", self.text, None)
        if depth > MAX_DEPTH:
            raise _fail("expression is nested too deeply", self.text, self.pos(node))
        if isinstance(node, ast.Constant):
            return self.constant(node)
        if isinstance(node, ast.Name):
            return self.name(node)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            operand = self.build(node.operand, depth + 1)
            if isinstance(node.op, ast.UAdd):
                return operand
            return Neg(operand)
        if isinstance(node, ast.BinOp) and type(node.op) in _BINOPS:
            return BinOp(_BINOPS[type(node.op)], self.build(node.left, depth + 1),
                         self.build(node.right, depth + 1))
        if isinstance(node, ast.Call):
            return self.call(node, depth)
        if self.allow_compare and isinstance(node, ast.Compare):
            return self.compare(node, depth)
        if self.allow_compare and isinstance(node, ast.BoolOp):
            op = "and" if isinstance(node.op, ast.And) else "or"
            return BoolOp(op, tuple(self.build(v, depth + 1) for v in node.values))
        what = {
            ast.Attribute: "attribute access ('.')", ast.Subscript: "indexing ('[ ]')",
            ast.Lambda: "lambda", ast.BinOp: "this operator", ast.Compare: "a comparison",
            ast.BoolOp: "and/or", ast.List: "a list", ast.Tuple: "a list of values (',')",
            ast.Dict: "a dictionary", ast.Set: "a set", ast.JoinedStr: "a string",
            ast.IfExp: "if/else", ast.NamedExpr: "':='", ast.Starred: "'*'",
        }.get(type(node), type(node).__name__)
        raise _fail(f"{what} is not allowed here", self.text, self.pos(node),
                    hint="only numbers, + - * / ^, parentheses and ln, log10, log2, exp, sqrt")

    def constant(self, node: ast.Constant) -> Num:
        value = node.value
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise _fail("only numbers are allowed here", self.text, self.pos(node))
        pos = self.pos(node)
        literal = self.literal_text(node)
        if "e" in literal.lower():
            mant, _, exp = literal.lower().partition("e")
            try:
                if abs(int(exp)) > MAX_EXPONENT:
                    raise _fail("number is out of range", self.text, pos)
            except ValueError:
                pass
        try:
            f = float(value)
        except OverflowError:
            raise _fail("number is out of range", self.text, pos) from None
        if not math.isfinite(f) or abs(f) > MAX_MAGNITUDE or (f == 0 and _nonzero_digits(literal)):
            raise _fail("number is out of range", self.text, pos)  # overflow, or underflow to 0
        return Num(f, literal)

    def literal_text(self, node: ast.Constant) -> str:
        end = getattr(node, "end_col_offset", None)
        start = getattr(node, "col_offset", None)
        if start is not None and end is not None:
            raw = self.py.encode("utf-8")[start:end].decode("utf-8", errors="ignore")
            if raw:
                return raw
        return repr(node.value)

    def name(self, node: ast.Name) -> Node:
        ident = node.id
        if ident.startswith("_"):
            raise _fail(f"name '{ident}' is not allowed", self.text, self.pos(node))
        if ident in self.symbols:
            return Sym(ident)
        if ident in CONSTANTS:
            return Num(CONSTANTS[ident], ident)
        if ident in FUNCTIONS or ident == "log":
            raise _fail(f"'{ident}' is a function: write {ident}(…)", self.text, self.pos(node))
        known = ", ".join(sorted(self.symbols)) if self.symbols else ""
        hint = f"known names: {known}" if known else "an answer is a number, optionally with a unit"
        raise _fail(f"unknown name '{ident}'", self.text, self.pos(node), hint=hint)

    def call(self, node: ast.Call, depth: int) -> Call:
        if not isinstance(node.func, ast.Name):
            raise _fail("this call is not allowed", self.text, self.pos(node),
                        hint="only ln, log10, log2, exp, sqrt, abs, min, max may be called")
        func = node.func.id
        if func == "log":
            raise _fail("'log' is ambiguous", self.text, self.pos(node),
                        hint="write ln(…) for the natural log or log10(…) for base 10")
        if func not in FUNCTIONS:
            raise _fail(f"function '{func}' is not allowed", self.text, self.pos(node),
                        hint="allowed: " + ", ".join(FUNCTIONS))
        if node.keywords:
            raise _fail("keyword arguments are not allowed", self.text, self.pos(node))
        lo, hi = FUNCTIONS[func]
        if not lo <= len(node.args) <= hi:
            raise _fail(f"{func}() takes {lo if lo == hi else f'{lo}–{hi}'} argument(s)",
                        self.text, self.pos(node))
        return Call(func, tuple(self.build(a, depth + 1) for a in node.args))

    def compare(self, node: ast.Compare, depth: int) -> Node:
        left = self.build(node.left, depth + 1)
        parts: list[Node] = []
        for op, comparator in zip(node.ops, node.comparators):
            if type(op) not in _CMPOPS:
                raise _fail("only < <= > >= == != comparisons are allowed", self.text, self.pos(node))
            right = self.build(comparator, depth + 1)
            parts.append(Compare(_CMPOPS[type(op)], left, right))
            left = right
        return parts[0] if len(parts) == 1 else BoolOp("and", tuple(parts))


# ---------------------------------------------------------------------------------------------
# Inspection

def free_symbols(node: Node) -> set[str]:
    """The template symbols an expression uses."""
    if isinstance(node, Sym):
        return {node.name}
    if isinstance(node, Num):
        return set()
    if isinstance(node, Neg):
        return free_symbols(node.operand)
    if isinstance(node, (BinOp, Compare)):
        return free_symbols(node.left) | free_symbols(node.right)
    if isinstance(node, Call):
        return set().union(*(free_symbols(a) for a in node.args))
    if isinstance(node, BoolOp):
        return set().union(*(free_symbols(v) for v in node.values))
    raise TypeError(node)


def single_literal(node: Node) -> str | None:
    """The number as written when the expression is one literal (with an optional sign or a
    ``m*10^e`` scale), else None.  Significant-figure rules need the written digits."""
    if isinstance(node, Num) and node.text != "pi":
        return node.text
    if isinstance(node, Neg):
        inner = single_literal(node.operand)
        return None if inner is None else "-" + inner
    if (isinstance(node, BinOp) and node.op == "*" and isinstance(node.left, Num)
            and isinstance(node.right, BinOp) and node.right.op == "^"
            and isinstance(node.right.left, Num) and node.right.left.text == "10"):
        exp = node.right.right
        sign = ""
        if isinstance(exp, Neg):
            sign, exp = "-", exp.operand
        if isinstance(exp, Num) and exp.text.isdigit():
            return f"{node.left.text}e{sign}{exp.text}"
    return None


# ---------------------------------------------------------------------------------------------
# Numeric evaluation (bounded)

def _bounded(x: float, text: str = "") -> float:
    if isinstance(x, complex) or not math.isfinite(x) or abs(x) > MAX_MAGNITUDE:
        raise InputError("the value is out of range or undefined", text=text)
    return x


def _pow(a: float, b: float, text: str) -> float:
    if abs(b) > MAX_EXPONENT:
        raise InputError(f"exponent {b:g} is too large (at most {MAX_EXPONENT:g})", text=text)
    if a == 0 and b < 0:
        raise InputError("division by zero", text=text)
    if a < 0 and not float(b).is_integer():
        raise InputError("a negative number to a fractional power is undefined", text=text)
    try:
        return math.pow(a, b)
    except (OverflowError, ValueError):
        raise InputError("the value is out of range", text=text) from None


def _func(name: str, args: list[float], text: str) -> float:
    x = args[0]
    try:
        if name == "ln":
            return math.log(x)
        if name == "log10":
            return math.log10(x)
        if name == "log2":
            return math.log2(x)
        if name == "exp":
            if x > 690:
                raise InputError("exp() argument is too large", text=text)
            return math.exp(x)
        if name == "sqrt":
            return math.sqrt(x)
        if name == "abs":
            return abs(x)
        if name == "min":
            return min(args)
        if name == "max":
            return max(args)
    except ValueError:
        raise InputError(f"{name}() of {x:g} is undefined", text=text) from None
    raise InputError(f"unknown function {name}", text=text)


def evaluate(node: Node, env: Mapping[str, float] | None = None, *, text: str = "") -> float:
    """Evaluate with Python floats, refusing overflow, division by zero and huge exponents."""
    env = env or {}
    if isinstance(node, Num):
        return node.value
    if isinstance(node, Sym):
        try:
            return float(env[node.name])
        except KeyError:
            raise InputError(f"no value for '{node.name}'", text=text) from None
    if isinstance(node, Neg):
        return -evaluate(node.operand, env, text=text)
    if isinstance(node, BinOp):
        a = evaluate(node.left, env, text=text)
        b = evaluate(node.right, env, text=text)
        if node.op == "+":
            r = a + b
        elif node.op == "-":
            r = a - b
        elif node.op == "*":
            r = a * b
        elif node.op == "/":
            if b == 0:
                raise InputError("division by zero", text=text)
            r = a / b
        else:
            r = _pow(a, b, text)
        return _bounded(r, text)
    if isinstance(node, Call):
        return _bounded(_func(node.func, [evaluate(a, env, text=text) for a in node.args], text), text)
    if isinstance(node, Compare):
        a, b = evaluate(node.left, env, text=text), evaluate(node.right, env, text=text)
        return float({"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b, "==": a == b,
                      "!=": a != b}[node.op])
    if isinstance(node, BoolOp):
        vals = [bool(evaluate(v, env, text=text)) for v in node.values]
        return float(all(vals) if node.op == "and" else any(vals))
    raise TypeError(node)


def compile_scalar(node: Node) -> Callable[..., float]:
    """``evaluate`` compiled once into nested closures: ``compile_scalar(n)(env, text="")`` returns
    exactly what ``evaluate(n, env, text=text)`` returns (same float operations, same bounds, same
    errors), without walking the tree on every call.  Used where one expression is evaluated for
    many instances (misconception values)."""
    if isinstance(node, Num):
        value = node.value
        return lambda env, text="": value
    if isinstance(node, Sym):
        name = node.name

        def sym(env, text=""):
            try:
                return float(env[name])
            except KeyError:
                raise InputError(f"no value for '{name}'", text=text) from None
        return sym
    if isinstance(node, Neg):
        inner = compile_scalar(node.operand)
        return lambda env, text="": -inner(env, text)
    if isinstance(node, BinOp):
        left, right, op = compile_scalar(node.left), compile_scalar(node.right), node.op
        lim = MAX_MAGNITUDE
        # ``-lim <= r <= lim`` is False for nan and ±inf: the same test as _bounded for floats.
        if op == "+":
            def binop(env, text=""):
                r = left(env, text) + right(env, text)
                if -lim <= r <= lim:
                    return r
                return _bounded(r, text)
        elif op == "-":
            def binop(env, text=""):
                r = left(env, text) - right(env, text)
                if -lim <= r <= lim:
                    return r
                return _bounded(r, text)
        elif op == "*":
            def binop(env, text=""):
                r = left(env, text) * right(env, text)
                if -lim <= r <= lim:
                    return r
                return _bounded(r, text)
        elif op == "/":
            def binop(env, text=""):
                a = left(env, text)
                b = right(env, text)
                if b == 0:
                    raise InputError("division by zero", text=text)
                r = a / b
                if -lim <= r <= lim:
                    return r
                return _bounded(r, text)
        else:
            def binop(env, text=""):
                a = left(env, text)
                b = right(env, text)
                return _bounded(_pow(a, b, text), text)
        return binop
    if isinstance(node, Call):
        args, func = [compile_scalar(a) for a in node.args], node.func
        return lambda env, text="": _bounded(_func(func, [a(env, text) for a in args], text), text)
    if isinstance(node, Compare):
        left, right, cop = compile_scalar(node.left), compile_scalar(node.right), node.op

        def compare(env, text=""):
            a, b = left(env, text), right(env, text)
            return float({"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b, "==": a == b,
                          "!=": a != b}[cop])
        return compare
    if isinstance(node, BoolOp):
        values, bop = [compile_scalar(v) for v in node.values], node.op

        def boolop(env, text=""):
            vals = [bool(v(env, text)) for v in values]
            return float(all(vals) if bop == "and" else any(vals))
        return boolop
    raise TypeError(node)


# ---------------------------------------------------------------------------------------------
# Vectorised evaluation (numpy) — for constraints and derived parameters over many seeds

def evaluate_array(node: Node, env: Mapping[str, object]):
    """Evaluate over numpy arrays (template-authored expressions only; values are bounded by lint):
    derived parameters, constraints and ``unattainable_if`` over many seeds.

    numpy's semantics (nan and ±inf where a value is undefined or overflows, no exception, float
    warnings silenced), with the C library's values: ``^`` and ``exp``/``ln``/``log10``/``log2``
    call ``math.pow``/``math.*`` per element (:func:`pow_like_numpy` and its siblings give numpy's
    nan/±inf where those raise), because numpy's SIMD versions may differ from libm in the last bit,
    and differently from one CPU or numpy build to another: at an exact tie a constraint's verdict,
    or a derived given, would then depend on the machine.  Everything IEEE 754 rounds exactly
    (``+ − × /``, ``sqrt``, comparisons, ``abs``, ``min``/``max``) stays vectorised in numpy.
    Operands numpy computes in another type (a comparison's boolean used as a number, an integer
    to an integer power; no template draws one) keep numpy's own ufunc.
    """
    import numpy as np

    def ev(n: Node):
        if isinstance(n, Num):
            return n.value
        if isinstance(n, Sym):
            return env[n.name]
        if isinstance(n, Neg):
            return -ev(n.operand)
        if isinstance(n, BinOp):
            a, b = ev(n.left), ev(n.right)
            with np.errstate(all="ignore"):
                return {"+": lambda: a + b, "-": lambda: a - b, "*": lambda: a * b,
                        "/": lambda: np.divide(a, b), "^": lambda: _libm_array(np, "^", a, b)}[n.op]()
        if isinstance(n, Call):
            args = [ev(a) for a in n.args]
            if n.func in _LIKE_NUMPY:
                return _libm_array(np, n.func, args[0])
            with np.errstate(all="ignore"):
                f: Callable = {"sqrt": np.sqrt, "abs": np.abs}.get(n.func)  # type: ignore[assignment]
                if f is not None:
                    return f(args[0])
                red = np.minimum if n.func == "min" else np.maximum
                out = args[0]
                for a in args[1:]:
                    out = red(out, a)
                return out
        if isinstance(n, Compare):
            a, b = ev(n.left), ev(n.right)
            return {"<": np.less, "<=": np.less_equal, ">": np.greater, ">=": np.greater_equal,
                    "==": np.equal, "!=": np.not_equal}[n.op](a, b)
        if isinstance(n, BoolOp):
            vals = [np.asarray(ev(v), dtype=bool) for v in n.values]
            out = vals[0]
            for v in vals[1:]:
                out = (out & v) if n.op == "and" else (out | v)
            return out
        raise TypeError(n)

    return ev(node)


def _odd_integer(b: float) -> bool:
    return b.is_integer() and math.fmod(b, 2.0) != 0


def pow_like_numpy(a: float, b: float) -> float:
    """``math.pow(a, b)``, and numpy's float64 ``power`` where that raises (C99's pow): 0 to a
    negative power is inf (−inf for −0.0 to an odd one), a negative base to a fractional power
    nan, an overflow ±inf."""
    try:
        return math.pow(a, b)
    except ValueError:
        if a == 0:
            return math.copysign(math.inf, a) if _odd_integer(b) else math.inf
        return math.nan
    except OverflowError:
        return -math.inf if a < 0 and _odd_integer(b) else math.inf


def exp_like_numpy(x: float) -> float:
    """``math.exp(x)``, inf where it overflows (as numpy's ``exp``)."""
    try:
        return math.exp(x)
    except OverflowError:
        return math.inf


def _log_like_numpy(f: Callable[[float], float]) -> Callable[[float], float]:
    def log(x: float) -> float:
        """``math`` log, and numpy's where it raises: −inf at ±0, nan below 0."""
        try:
            return f(x)
        except ValueError:
            return -math.inf if x == 0 else math.nan
    log.__name__ = f"{f.__name__}_like_numpy"
    return log


# evaluate_array's transcendental operations: (the libm function mapped over a whole column,
# the same with numpy's value where it raises: mapped instead when the first raises somewhere).
# psyq.single computes one row with the second, so both paths give the same bits.
_LIKE_NUMPY: dict[str, tuple[Callable[..., float], Callable[..., float]]] = {
    "^": (math.pow, pow_like_numpy),
    "exp": (math.exp, exp_like_numpy),
    "ln": (math.log, _log_like_numpy(math.log)),
    "log10": (math.log10, _log_like_numpy(math.log10)),
    "log2": (math.log2, _log_like_numpy(math.log2)),
}
LIKE_NUMPY: dict[str, Callable[..., float]] = {k: v[1] for k, v in _LIKE_NUMPY.items()}


def _libm_array(np, op: str, *args):
    """numpy's ``power``/``exp``/``log*`` of ``args`` (arrays or scalars, broadcast), with each
    element computed by libm (see :func:`evaluate_array`)."""
    args = tuple(x if isinstance(x, (float, int, np.ndarray, np.generic)) else np.asarray(x) for x in args)
    dtype = np.result_type(*args)
    # numpy computes in float64 (its "d" loop) for float64, and for exp/logs of 32/64-bit integers
    if dtype != np.float64 and not (len(args) == 1 and dtype.kind in "iu" and dtype.itemsize >= 4):
        # booleans and small integers: numpy's own loops (in float16/float32), as always
        with np.errstate(all="ignore"):
            ufunc = {"^": np.power, "exp": np.exp, "ln": np.log, "log10": np.log10, "log2": np.log2}[op]
            return ufunc(*args)
    f, like_numpy = _LIKE_NUMPY[op]
    shape = np.broadcast_shapes(*(np.shape(x) for x in args))
    if not shape:  # scalars in, a numpy scalar out (what the ufunc returns)
        return np.float64(like_numpy(*(float(x) for x in args)))
    flat = [x if np.ndim(x) == 0 else np.broadcast_to(np.asarray(x, dtype=np.float64), shape).ravel()
            for x in args]
    size = math.prod(shape)
    return _per_element(np, f, like_numpy, flat, size).reshape(shape)


def _per_element(np, f: Callable[..., float], fallback: Callable[..., float], args, n: int, rows=None):
    """``f(*element)`` by Python/libm for the ``n`` elements of ``args`` (float64 arrays of ``n``, or
    scalars) as a float64 array; with ``rows`` (a bool mask) only for those elements, nan elsewhere.
    ``f`` runs over the whole column at once; if it raises ValueError/OverflowError anywhere (rare),
    the column is mapped again with ``fallback`` (``f`` where ``f`` does not raise)."""
    import itertools

    every = rows is None or bool(rows.all())
    if not every and not rows.any():
        return np.full(n, np.nan)
    count = n if every else int(np.count_nonzero(rows))
    lists = [itertools.repeat(float(x)) if np.ndim(x) == 0 else (x if every else x[rows]).tolist()
             for x in args]
    try:
        got = np.fromiter(map(f, *lists), np.float64, count)
    except (ValueError, OverflowError):
        got = np.fromiter(map(fallback, *lists), np.float64, count)
    if every:
        return got
    out = np.full(n, np.nan)
    out[rows] = got
    return out


def evaluate_checked_array(node: Node, env: Mapping[str, object], n: int):
    """:func:`compile_scalar` over ``n`` rows at once: returns (values, ok), float64 and bool arrays.

    Row ``i`` has ``ok[i]`` False exactly where ``compile_scalar(node)`` raises :class:`InputError`
    for that row's values (``env[name][i]``, or ``env[name]`` for a scalar), and otherwise
    ``values[i]`` is the very float it returns (bit for bit, sign of zero included); rows that are
    not ok hold nan.  Used for misconception values over many instances.

    How it stays exact while being vectorised:

    * A row raises in the scalar code as soon as any node of the tree refuses it, and the checks
      at a node only see correct values in rows no node has refused yet, so one "refused" mask is
      accumulated over the whole tree (each node's checks are evaluated on every row; rows already
      refused may hold garbage, but they are refused whatever happens next).
    * ``+ - * /``, negation, comparisons, ``sqrt`` (correctly rounded by IEEE 754), ``abs`` and
      ``min``/``max`` (selections, written with Python's "replace when strictly smaller/larger"
      rule, so nan and -0.0/0.0 pick the same argument) run in numpy: IEEE-identical to Python.
    * ``^`` and ``exp``/``ln``/``log10``/``log2`` call ``math.pow``/``math.*`` per element on the
      rows not yet refused (numpy's versions may differ from libm in the last bit; even
      ``math.pow(x, 2.0)`` differs from ``x*x`` for some x, so no exponent is special-cased).
      Their domain checks (the ones ``_pow``/``_func`` make) are vectorised first.
    * Subtrees without symbols are evaluated once by ``compile_scalar`` itself.
    * Trees the parser never builds (a call without arguments, an unknown comparison, a literal
      that is not a float) go through the element-by-element loop, which is exact by definition.
    """
    import numpy as np

    fn = compile_scalar(node)  # raises TypeError for a foreign node, as it always has
    names = sorted(free_symbols(node))
    cols = {k: np.broadcast_to(np.asarray(env[k], dtype=np.float64), (n,)) for k in names if k in env}
    if not _array_safe(node):
        return _checked_array_loop(fn, cols, n)
    if len(cols) < len(names) or n == 0:  # a name without a value: every row raises
        return np.full(n, np.nan), np.zeros(n, dtype=bool)
    bad = np.zeros(n, dtype=bool)
    with np.errstate(all="ignore"):
        result = _CheckedArray(np, cols, bad, n).ev(node)
    values = np.array(np.broadcast_to(np.asarray(result, dtype=np.float64), (n,)))  # a fresh copy
    values[bad] = np.nan
    return values, ~bad


def _checked_array_loop(fn: Callable[..., float], cols: Mapping[str, object], n: int):
    """The reference form of :func:`evaluate_checked_array`: ``fn`` (a compiled expression) row by row."""
    import numpy as np

    lists = {k: c.tolist() for k, c in cols.items()}
    values = np.full(n, np.nan)
    ok = np.zeros(n, dtype=bool)
    for i in range(n):
        row = {k: c[i] for k, c in lists.items()}
        try:
            values[i] = fn(row)
            ok[i] = True
        except InputError:
            pass
    return values, ok


_CMP_UFUNCS = {"<": "less", "<=": "less_equal", ">": "greater", ">=": "greater_equal", "==": "equal",
               "!=": "not_equal"}
_MATH_LOGS = {"ln": math.log, "log10": math.log10, "log2": math.log2}


def _array_safe(node: Node) -> bool:
    """Whether :class:`_CheckedArray` reproduces ``compile_scalar`` for this tree: everything the
    parser builds; not hand-made oddities whose scalar form raises something other than InputError
    (a call without arguments, an unknown comparison) or computes with ints."""
    if isinstance(node, Num):
        return isinstance(node.value, float)
    if isinstance(node, Sym):
        return True
    if isinstance(node, Neg):
        return _array_safe(node.operand)
    if isinstance(node, BinOp):
        return _array_safe(node.left) and _array_safe(node.right)
    if isinstance(node, Compare):
        return node.op in _CMP_UFUNCS and _array_safe(node.left) and _array_safe(node.right)
    if isinstance(node, Call):
        return bool(node.args) and all(_array_safe(a) for a in node.args)
    if isinstance(node, BoolOp):
        return all(_array_safe(v) for v in node.values)
    return False


def _quiet(f: Callable[..., float]) -> Callable[..., float]:
    """``f`` returning nan where it raises ValueError/OverflowError (nan is then refused as unbounded)."""
    def g(*xs):
        try:
            return f(*xs)
        except (ValueError, OverflowError):
            return math.nan
    return g


class _CheckedArray:
    """One evaluation of :func:`evaluate_checked_array`: ``ev`` returns a node's values (a float64
    array of ``n``, or a Python float for a subtree without symbols) and marks in ``bad`` (in place)
    every row where ``compile_scalar`` would raise at that node."""

    def __init__(self, np, cols, bad, n: int):
        self.np, self.cols, self.bad, self.n = np, cols, bad, n

    def refuse_unless(self, good) -> None:
        np = self.np
        np.logical_or(self.bad, np.logical_not(good), out=self.bad)

    def bounded(self, r):
        """``_bounded`` as a mask: nan, ±inf and |r| > MAX_MAGNITUDE are refused."""
        self.refuse_unless(self.np.abs(r) <= MAX_MAGNITUDE)
        return r

    def per_element(self, f: Callable[..., float], *args):
        """``f(*row)`` by Python/libm on the rows not refused yet; nan elsewhere and where it raises."""
        return _per_element(self.np, f, _quiet(f), args, self.n, self.np.logical_not(self.bad))

    def ev(self, node: Node):
        np = self.np
        if not free_symbols(node):  # constant: the scalar code's own value (or refusal), once
            try:
                return compile_scalar(node)({})
            except InputError:
                self.bad[:] = True
                return math.nan
        if isinstance(node, Sym):
            return self.cols[node.name]
        if isinstance(node, Neg):
            return np.negative(self.ev(node.operand))
        if isinstance(node, BinOp):
            a, b = self.ev(node.left), self.ev(node.right)
            if node.op == "+":
                return self.bounded(np.add(a, b))
            if node.op == "-":
                return self.bounded(np.subtract(a, b))
            if node.op == "*":
                return self.bounded(np.multiply(a, b))
            if node.op == "/":
                self.refuse_unless(np.not_equal(b, 0))
                return self.bounded(np.divide(a, b))
            return self.bounded(self.pow(a, b))  # compile_scalar treats any other op as '^'
        if isinstance(node, Call):
            args = [self.ev(a) for a in node.args]  # every argument, as the scalar code does
            return self.bounded(self.call(node.func, args))
        if isinstance(node, Compare):
            a, b = self.ev(node.left), self.ev(node.right)
            return getattr(np, _CMP_UFUNCS[node.op])(a, b).astype(np.float64)
        if isinstance(node, BoolOp):
            vals = [np.not_equal(self.ev(v), 0) for v in node.values]  # bool(x): x != 0 (nan is true)
            if node.op == "and":
                out = np.ones(self.n, dtype=bool)
                for v in vals:
                    out &= v
            else:
                out = np.zeros(self.n, dtype=bool)
                for v in vals:
                    out |= v
            return out.astype(np.float64)
        raise TypeError(node)

    def pow(self, a, b):
        """``_pow``: its three refusals as masks, then ``math.pow`` on the rows left (an overflow or
        domain error there becomes nan, refused by the caller's bound check)."""
        np = self.np
        integral = np.isfinite(b) & np.equal(np.floor(b), b)  # float(b).is_integer()
        self.refuse_unless(np.logical_not(np.abs(b) > MAX_EXPONENT))
        self.refuse_unless(np.logical_not(np.equal(a, 0) & np.less(b, 0)))
        self.refuse_unless(np.logical_not(np.less(a, 0) & np.logical_not(integral)))
        return self.per_element(math.pow, a, b)

    def call(self, func: str, args: list):
        """``_func`` (before its result's bound check)."""
        np = self.np
        x = args[0]
        if func in _MATH_LOGS:
            self.refuse_unless(np.greater(x, 0))  # math.log & co. raise ValueError at <= 0; nan too
            return self.per_element(_MATH_LOGS[func], x)
        if func == "exp":
            self.refuse_unless(np.less_equal(x, 690))  # '> 690' is refused; nan gives nan, refused
            return self.per_element(math.exp, x)
        if func == "sqrt":
            self.refuse_unless(np.greater_equal(x, 0))  # sqrt(-0.0) is -0.0 in both
            return np.sqrt(x)
        if func == "abs":
            return np.abs(x)
        if func in ("min", "max"):
            # Python's min/max keep the first argument and replace it only by one strictly
            # smaller/larger, so nan and the sign of a zero follow the argument order.
            better = np.less if func == "min" else np.greater
            out = x
            for y in args[1:]:
                out = np.where(better(y, out), y, out)
            return out
        self.bad[:] = True  # unknown function: _func raises for every row
        return np.full(self.n, np.nan)


# ---------------------------------------------------------------------------------------------
# sympy construction (template solver).  Objects are built directly: no string reaches sympy.

def to_sympy(node: Node, symbols: Mapping[str, object]):
    import sympy as sp

    def conv(n: Node):
        if isinstance(n, Num):
            if n.text == "pi":
                return sp.pi
            try:
                return sp.Rational(n.text) if _is_plain_decimal(n.text) else sp.Float(n.value)
            except (TypeError, ValueError):
                return sp.Float(n.value)
        if isinstance(n, Sym):
            return symbols[n.name]
        if isinstance(n, Neg):
            return -conv(n.operand)
        if isinstance(n, BinOp):
            a, b = conv(n.left), conv(n.right)
            if n.op == "+":
                return a + b
            if n.op == "-":
                return a - b
            if n.op == "*":
                return a * b
            if n.op == "/":
                return a / b
            return a ** b
        if isinstance(n, Call):
            args = [conv(a) for a in n.args]
            if n.func == "ln":
                return sp.log(args[0])
            if n.func == "log10":
                return sp.log(args[0], 10)
            if n.func == "log2":
                return sp.log(args[0], 2)
            if n.func == "exp":
                return sp.exp(args[0])
            if n.func == "sqrt":
                return sp.sqrt(args[0])
            if n.func == "abs":
                return sp.Abs(args[0])
            if n.func == "min":
                return sp.Min(*args)
            if n.func == "max":
                return sp.Max(*args)
        raise TypeError(f"cannot convert {n!r} to sympy")

    return conv(node)


def _is_plain_decimal(text: str) -> bool:
    t = text.lower().replace("_", "")
    mant, _, exp = t.partition("e")
    if exp and not exp.lstrip("+-").isdigit():
        return False
    return mant.replace(".", "", 1).isdigit()


def to_source(node: Node) -> str:
    """The tree as text that :func:`parse` reads back as the very same tree (every operation
    parenthesised, every literal as written).  The compiled-template format stores expressions so."""
    if isinstance(node, Num):
        return node.text
    if isinstance(node, Sym):
        return node.name
    if isinstance(node, Neg):
        return f"(-{to_source(node.operand)})"
    if isinstance(node, BinOp):
        return f"({to_source(node.left)} {node.op} {to_source(node.right)})"
    if isinstance(node, Call):
        return f"{node.func}({', '.join(to_source(a) for a in node.args)})"
    if isinstance(node, Compare):
        return f"({to_source(node.left)} {node.op} {to_source(node.right)})"
    if isinstance(node, BoolOp):
        return "(" + f" {node.op} ".join(to_source(v) for v in node.values) + ")"
    raise TypeError(node)


def to_text(node: Node) -> str:
    """Render an expression tree back to readable text (for messages and worked solutions)."""
    prec = {"+": 1, "-": 1, "*": 2, "/": 2, "^": 4}

    def r(n: Node, parent: int = 0, right: bool = False) -> str:
        if isinstance(n, Num):
            return n.text
        if isinstance(n, Sym):
            return n.name
        if isinstance(n, Neg):
            s = "-" + r(n.operand, 3)
            return f"({s})" if parent >= 3 else s
        if isinstance(n, BinOp):
            p = prec[n.op]
            s = f"{r(n.left, p)} {n.op} {r(n.right, p + (0 if n.op == '^' else 1), True)}"
            if n.op == "^":
                s = f"{r(n.left, p + 1)}^{r(n.right, p)}"
            return f"({s})" if p < parent or (right and p == parent and n.op in "-/") else s
        if isinstance(n, Call):
            return f"{n.func}({', '.join(r(a) for a in n.args)})"
        if isinstance(n, Compare):
            return f"{r(n.left)} {n.op} {r(n.right)}"
        if isinstance(n, BoolOp):
            return f" {n.op} ".join(r(v) for v in n.values)
        raise TypeError(n)

    return r(node)
