"""The compile step: a template's relations, solved with sympy, turned into plain data.

This is the only place (with :mod:`psyq.solve`'s :func:`~psyq.solve.solve_relations`) that uses
sympy.  It runs when ``psyq compile`` rebuilds the shipped bank, or once per user template (the
result is cached, see :mod:`psyq.compiled`).  What it produces is JSON-ready data:

* each solved expression as psyq's own expression tree, written as text in psyq's grammar (so
  loading it goes through :func:`psyq.expr.parse`, never through eval or pickle);
* the printed forms of each step (plain text, the same with slots for the substituted values,
  LaTeX, and a :mod:`psyq.export.mathfmt` box tree).

Exact numbers: the tree is read from the very source code ``sympy.lambdify`` prints for the
expression (routing powers other than squares, square roots and reciprocals, and exp and log,
through the C library, as psyq always has), so evaluating it with psyq.expr performs the same
floating-point operations in the same order as the numpy function did: ``x**2`` becomes ``x*x``
(numpy squares), ``x**-1.0`` becomes ``1/x`` (numpy's reciprocal), ``x**0.5`` becomes ``sqrt(x)``.
"""

from __future__ import annotations

import ast
import inspect
import math

from psyq import expr as E
from psyq.errors import TemplateError
from psyq.template import Template

_PLACE = "PSYQSLOT"


def standard_known_sets(t: Template) -> list[frozenset[str]]:
    """The known sets every use of a template needs: its drawn givens, and its figure's (the x
    axis known, the plotted quantities not)."""
    sets = [frozenset(t.givens)]
    fig = t.figure
    if fig is not None:
        figure = frozenset((set(t.givens) | {fig.x}) - set(fig.y))
        if figure not in sets:
            sets.append(figure)
    return sets


def compile_chains(t: Template, known_sets: list[frozenset[str]]) -> list[dict]:
    """One chain per known set, as data (see the module docstring).  Bounded, as a whole, by
    :data:`psyq.solve.SOLVE_SECONDS` of CPU time."""
    from psyq import solve

    with solve._time_limit(solve.SOLVE_SECONDS, f"template {t.id}", t.path):
        return [{"known": sorted(known), "steps": [_step_data(s, t) for s in solve.solve_relations(t, known)]}
                for known in known_sets]


def _step_data(s, t: Template) -> dict:
    from psyq.export import mathfmt

    candidates = [E.to_source(_numeric_tree(sol, s, t)) for sol in s.solutions]
    solved, substituted, latex = _printed(s)
    return {"unknown": s.unknown, "relation": s.relation, "inputs": list(s.inputs),
            "rearranged": bool(s.rearranged), "candidates": candidates, "solved": solved,
            "substituted": substituted, "latex": latex,
            "box": mathfmt.solved_box(t, s.solutions[0])}


# ------------------------------------------------------------------------------------------------
# The numeric form: lambdify's printed source → a psyq expression tree

def _numeric_tree(sol, s, t: Template) -> E.Node:
    import sympy as sp

    args = [s.symbols[n] for n in s.inputs]
    fn = sp.lambdify(args, _libm_powers(sol), modules=[{"exp": None, "log": None, "libm_pow": None}, "numpy"])
    tree = ast.parse(inspect.getsource(fn))
    body = tree.body[0]
    if not (isinstance(body, ast.FunctionDef) and isinstance(body.body[-1], ast.Return) and len(body.body) == 1):
        raise _unsupported(s, t, "generated code is not a single expression")
    node = _Converter(set(s.inputs), s, t).conv(body.body[-1].value)
    try:  # the same limits as any expression psyq reads (nodes, depth, length)
        E.parse(E.to_source(node), symbols=set(s.inputs), max_length=E.MAX_ARTIFACT_LENGTH)
    except Exception as exc:  # noqa: BLE001 - reported as the template's problem
        raise _unsupported(s, t, f"its solved form is too large ({exc})") from None
    return node


def _unsupported(s, t: Template, why: str) -> TemplateError:
    return TemplateError(f"the solution for {s.unknown} cannot be compiled: {why}", file=t.path,
                         key="relations", hint="rewrite the relation so the unknown has a closed form")


class _Converter:
    """Python AST of lambdify's output → psyq tree, with numpy's semantics kept exactly."""

    def __init__(self, inputs: set[str], s, t: Template):
        self.inputs, self.s, self.t = inputs, s, t

    def fail(self, node: ast.AST) -> TemplateError:
        return _unsupported(self.s, self.t, f"'{ast.unparse(node)[:60]}' has no psyq equivalent")

    def conv(self, node: ast.AST) -> E.Node:
        if isinstance(node, ast.Constant) and type(node.value) in (int, float):
            v = node.value
            return E.Num(float(v), str(v) if isinstance(v, int) else repr(v))
        if isinstance(node, ast.Name):
            if node.id in self.inputs:
                return E.Sym(node.id)
            if node.id == "pi":
                return E.Num(math.pi, "pi")
            if node.id == "e":
                return E.Num(math.e, repr(math.e))
            raise self.fail(node)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            return E.Neg(self.conv(node.operand))
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.UAdd):
            return self.conv(node.operand)
        if isinstance(node, ast.BinOp):
            ops = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/"}
            if type(node.op) in ops:
                return E.BinOp(ops[type(node.op)], self.conv(node.left), self.conv(node.right))
            if isinstance(node.op, ast.Pow):
                return self.power(node)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and not node.keywords:
            name, args = node.func.id, node.args
            simple = {"exp": "exp", "log": "ln", "sqrt": "sqrt", "abs": "abs"}
            if name in simple and len(args) == 1:
                return E.Call(simple[name], (self.conv(args[0]),))
            if name == "libm_pow" and len(args) == 2:
                return E.BinOp("^", self.conv(args[0]), self.conv(args[1]))
            if (name == "reduce" and len(args) == 2 and isinstance(args[0], ast.Name)
                    and args[0].id in ("maximum", "minimum") and isinstance(args[1], ast.List)):
                func = "max" if args[0].id == "maximum" else "min"
                items = [self.conv(a) for a in args[1].elts]
                out = items[0]
                for item in items[1:]:  # numpy's reduce folds left, two at a time
                    out = E.Call(func, (out, item))
                return out
        raise self.fail(node)

    def power(self, node: ast.BinOp) -> E.Node:
        """``base ** exponent`` as numpy computes it for an array base: a square is a product, -1 a
        reciprocal, 0.5 a square root; other exponents (lambdify leaves only -2 and -0.5 here) use
        the C library's pow, as every other power does."""
        base = self.conv(node.left)
        exp = self.conv(node.right)
        k = _constant(exp)
        if k == 2:
            return E.BinOp("*", base, base)
        if k == -1:
            return E.BinOp("/", E.Num(1.0, "1"), base)
        if k == 0.5:
            return E.Call("sqrt", (base,))
        return E.BinOp("^", base, exp)


def _constant(node: E.Node) -> float | None:
    if isinstance(node, E.Num):
        return node.value
    if isinstance(node, E.Neg) and isinstance(node.operand, E.Num):
        return -node.operand.value
    return None


def _libm_powers(expr):
    """Route powers other than squares, square roots and reciprocals through ``libm_pow`` (the C
    library's pow): numpy's SIMD power differs from it in the last bit between numpy versions and
    CPUs, and answers print to 12 significant figures."""
    import sympy as sp

    exact = (sp.Integer(2), sp.Integer(-1), sp.Rational(1, 2), sp.Rational(-1, 2), sp.Integer(-2))
    libm_pow = sp.Function("libm_pow")
    return expr.replace(lambda e: e.is_Pow and e.exp not in exact,
                        lambda e: libm_pow(e.base, e.exp))


# ------------------------------------------------------------------------------------------------
# Printed forms

def _printed(s) -> tuple[str, str, str]:
    """The solved equation, the same with {name} slots for substituted values, and LaTeX."""
    import sympy as sp

    expr = s.solutions[0]
    solved = f"{s.unknown} = {_math_text(sp.sstr(expr))}"
    slots = {}
    mapping = {}
    for i, name in enumerate(s.inputs):
        slot = f"{_PLACE}{_letters(i).upper()}Z"
        slots[slot] = name
        mapping[name] = sp.Symbol(slot)
    subst = _math_text(sp.sstr(expr.xreplace({v: mapping[v.name] for v in expr.free_symbols
                                              if v.name in mapping})))
    for slot, name in slots.items():
        subst = subst.replace(slot, "{" + name + "}")
    latex = f"{sp.latex(sp.Symbol(s.unknown))} = {sp.latex(expr)}"
    return solved, subst, latex


def _math_text(text: str) -> str:
    """sympy's plain printer → how people write it: ^ for powers, · for products."""
    return text.replace("**", "^").replace("*", "·")


def _letters(i: int) -> str:
    out = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        out = chr(ord("a") + r) + out
    return out


def sympy_version() -> str:
    import sympy

    return sympy.__version__

