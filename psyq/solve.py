"""Symbolic solving, done once per template: relations → an ordered chain of solved expressions.

A template's relations are solved with sympy for every symbol that is not drawn as a given.  The
chain is found by repeatedly taking a relation with exactly one unknown left (so a worked solution
can show one step per relation); coupled relations are solved together.  Each solved expression is
compiled to a numpy function, so evaluating a hundred thousand instances costs array arithmetic,
not symbolic work.  Results are cached per template content.
"""

from __future__ import annotations

import contextlib
import functools
import math
import signal
import threading
from dataclasses import dataclass
from typing import Any

from psyq import expr as E
from psyq.errors import TemplateError
from psyq.template import Template

SOLVE_SECONDS = 3  # CPU seconds: a template whose relations sympy cannot solve in this time is refused
# (real templates solve in milliseconds; a hostile system of coupled polynomials can run for ever)


@dataclass
class Step:
    """One step of the solution: ``unknown`` from ``relation`` (as written), solved as ``solved``."""

    unknown: str
    relation: str  # the relation(s) used, as the author wrote them
    solved: list[Any]  # candidate sympy expressions for the unknown (usually one)
    functions: list[Any]  # numpy functions of ``inputs`` for each candidate
    inputs: list[str]  # the names each function takes, in order
    rearranged: bool  # True when the relation had to be solved for the unknown


@dataclass
class Compiled:
    template: Template
    symbols: dict[str, Any]  # name -> sympy Symbol
    steps: list[Step]

    def step_for(self, name: str) -> Step:
        for s in self.steps:
            if s.unknown == name:
                return s
        raise KeyError(name)

    def chain_for(self, name: str) -> list[Step]:
        """The steps needed to reach ``name``, in order."""
        needed = {name}
        chain: list[Step] = []
        for step in reversed(self.steps):
            if step.unknown in needed:
                chain.append(step)
                needed |= set(step.inputs)
        return list(reversed(chain))


_CACHE: dict[tuple[str, str, frozenset | None], Compiled] = {}


@contextlib.contextmanager
def _time_limit(seconds: float, what: str, file: str):
    """Interrupt runaway symbolic work after ``seconds`` of this process's CPU time.

    CPU time, not wall time: the verdict on a template must not depend on how busy the machine is
    (with six psyq processes on two cores, a 1.6 s solve took over 3 s of wall time).  ITIMER_PROF
    counts user and system time of the process and delivers SIGPROF, which only the main thread
    can receive on POSIX; elsewhere the work runs unbounded (as before).
    """
    usable = hasattr(signal, "SIGPROF") and threading.current_thread() is threading.main_thread()
    if not usable:
        yield
        return

    def on_expiry(signum, frame):
        raise TimeoutError

    old = signal.signal(signal.SIGPROF, on_expiry)
    signal.setitimer(signal.ITIMER_PROF, seconds)
    try:
        yield
    except TimeoutError:
        raise TemplateError(f"solving {what} took longer than {seconds:g} s", file=file, key="relations",
                            hint="simplify the relations or solve them in fewer steps") from None
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.signal(signal.SIGPROF, old)


def compile_template(template: Template, known: frozenset[str] | None = None) -> Compiled:
    """Solve the template's relations once for every symbol not in ``known`` (default: the drawn
    givens).  A different ``known`` set serves figures (e.g. occupancy against concentration when
    the problem asked for the concentration)."""
    key = (template.id, template.content_hash, known)
    cached = _CACHE.get(key)
    if cached is not None:
        return cached
    compiled = _compile(template, known)
    _CACHE[key] = compiled
    return compiled


def _compile(t: Template, known_names: frozenset[str] | None = None) -> Compiled:
    import sympy as sp

    syms = {}
    for name, s in t.symbols.items():
        syms[name] = sp.Symbol(name, positive=True) if s.positive else sp.Symbol(name, real=True)
    # Numeric helper params (hidden ratios etc.) may appear in misconceptions but never in relations.
    equations = []
    for lhs, rhs, text in t.relations:
        equations.append((sp.Eq(E.to_sympy(lhs, syms), E.to_sympy(rhs, syms), evaluate=False), text,
                          E.free_symbols(lhs) | E.free_symbols(rhs), lhs))
    known = set(t.givens) if known_names is None else set(known_names)
    remaining = [n for n in t.symbols if n not in known]
    used = [False] * len(equations)
    steps: list[Step] = []

    with _time_limit(SOLVE_SECONDS, f"template {t.id}", t.path):
        while remaining:
            progress = False
            for i, (eq, text, names, lhs) in enumerate(equations):
                if used[i]:
                    continue
                unknown = [n for n in names if n not in known]
                if len(unknown) == 0:
                    used[i] = True  # over-determined: a consistency relation; lint checks it
                    continue
                if len(unknown) != 1:
                    continue
                u = unknown[0]
                rearranged = not (isinstance(lhs, E.Sym) and lhs.name == u)
                if rearranged:
                    sols = _solve(sp, eq, syms[u], text, t)
                else:
                    sols = [eq.rhs]
                if not sols:
                    raise TemplateError(f"relation '{text}' has no solution for {u}", file=t.path,
                                        key="relations", hint="check the relation and the symbol's sign")
                steps.append(_make_step(u, text, sols, rearranged, syms, t))
                known.add(u)
                remaining.remove(u)
                used[i] = True
                progress = True
            if progress:
                continue
            # Coupled relations: solve what is left jointly.
            open_eqs = [(eq, text) for (eq, text, names, _), done in zip(equations, used) if not done
                        and any(n in remaining for n in names)]
            if not open_eqs:
                raise TemplateError("no relation determines " + ", ".join(remaining), file=t.path,
                                    key="relations",
                                    hint="add a relation for each unknown, or draw it under params")
            sol = _solve(sp, [e for e, _ in open_eqs], [syms[n] for n in remaining],
                         "; ".join(tx for _, tx in open_eqs), t, dict=True)
            if not sol:
                raise TemplateError("the relations cannot be solved for " + ", ".join(remaining),
                                    file=t.path, key="relations")
            text = "; ".join(tx for _, tx in open_eqs)
            for n in list(remaining):
                candidates = [s[syms[n]] for s in sol if syms[n] in s]
                if not candidates:
                    raise TemplateError(f"the relations do not determine {n}", file=t.path, key="relations")
                steps.append(_make_step(n, text, candidates, True, syms, t))
            known.update(remaining)
            remaining = []
            used = [True] * len(equations)
    return Compiled(t, syms, steps)


def _solve(sp, equations, unknowns, text: str, t: Template, **kw):
    """sympy.solve, with its failures turned into a template error that names the relation."""
    try:
        return sp.solve(equations, unknowns, **kw)
    except TemplateError:
        raise
    except TimeoutError:
        raise
    except Exception as exc:  # noqa: BLE001 - sympy raises many kinds (NotImplementedError, …)
        raise TemplateError(f"sympy cannot solve '{text}' for {unknowns}: {type(exc).__name__}",
                            file=t.path, key="relations",
                            hint="rewrite the relation so the unknown can be isolated") from None


def _make_step(u: str, text: str, sols: list, rearranged: bool, syms: dict, t: Template) -> Step:
    import sympy as sp

    inputs = sorted({s.name for sol in sols for s in sol.free_symbols})
    unknown_inputs = [n for n in inputs if n not in syms]
    if unknown_inputs:
        raise TemplateError(f"solution for {u} uses unknown names {unknown_inputs}", file=t.path, key="relations")
    args = [syms[n] for n in inputs]
    functions = [sp.lambdify(args, _libm_powers(sol), modules=[_libm_namespace(), "numpy"])
                 for sol in sols]
    return Step(u, text, list(sols), functions, inputs, rearranged)


# numpy's exp, log and power use SIMD code whose last bit differs between numpy versions and CPUs
# (as psyq.draws notes for log-uniform draws); answers are printed to 12 significant figures, so a
# last-bit difference can flip a printed digit.  Solved expressions therefore evaluate these
# functions with the C library's, element by element (math.exp, math.log, math.pow), as the draws do.

def _libm_ufunc(name: str, fn, fallback):
    import numpy as np

    def safe(*xs):
        try:
            return fn(*xs)
        except (ValueError, ZeroDivisionError):
            return math.nan
        except OverflowError:
            return math.inf

    loop = np.frompyfunc(safe, fallback.nin, 1)

    def call(*xs):
        arrays = [np.asarray(x) for x in xs]
        if any(np.iscomplexobj(a) for a in arrays):
            return fallback(*arrays)
        with np.errstate(all="ignore"):
            out = np.asarray(loop(*(a.astype(np.float64) for a in arrays)), dtype=np.float64)
        return out if out.ndim else float(out)

    call.__name__ = name
    return call


@functools.lru_cache(maxsize=1)
def _libm_namespace() -> dict:
    import numpy as np

    def log(x):
        return 0.0 if x == 1 else (-math.inf if x == 0 else math.log(x))

    return {"exp": _libm_ufunc("exp", math.exp, np.exp),
            "log": _libm_ufunc("log", log, np.log),
            "libm_pow": _libm_ufunc("libm_pow", math.pow, np.power)}


def _libm_powers(expr):
    """Route powers other than squares, square roots and reciprocals through math.pow."""
    import sympy as sp

    exact = (sp.Integer(2), sp.Integer(-1), sp.Rational(1, 2), sp.Rational(-1, 2), sp.Integer(-2))
    libm_pow = sp.Function("libm_pow")
    return expr.replace(lambda e: e.is_Pow and e.exp not in exact,
                        lambda e: libm_pow(e.base, e.exp))


def evaluate_steps(compiled: Compiled, values: dict[str, Any]) -> dict[str, Any]:
    """Fill in every unknown in ``values`` (arrays or scalars, in symbol units) along the chain.

    Where a relation has several roots, the first root that is finite, real and inside the symbol's
    declared range is taken, element by element.
    """
    import numpy as np

    out = dict(values)
    for step in compiled.steps:
        args = [out[n] for n in step.inputs]
        sym = compiled.template.symbols[step.unknown]
        chosen = None
        for fn in step.functions:
            with np.errstate(all="ignore"):
                val = fn(*args)
            val = np.asarray(val)
            if np.iscomplexobj(val):
                ok_imag = np.abs(val.imag) <= 1e-12 * np.maximum(1.0, np.abs(val.real))
                val = np.where(ok_imag, val.real, np.nan)
            val = val.astype(np.float64)
            ok = np.isfinite(val)
            if sym.positive:
                ok &= val >= 0
            if sym.min is not None:
                ok &= val >= sym.min - 1e-12 * max(1.0, abs(sym.min))
            if sym.max is not None:
                ok &= val <= sym.max + 1e-12 * max(1.0, abs(sym.max))
            cand = np.where(ok, val, np.nan)
            chosen = cand if chosen is None else np.where(np.isnan(chosen), cand, chosen)
        out[step.unknown] = chosen
    return out
