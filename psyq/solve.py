"""Solving a template's relations, and evaluating the solved chain.

A template's relations are solved for every symbol that is not drawn as a given.  The chain is
found by repeatedly taking a relation with exactly one unknown left (so a worked solution can show
one step per relation); coupled relations are solved together.

Solving needs sympy, and costs more than everything else a command does; so it is done once per
template content, ahead of time: :mod:`psyq.compiler` turns the chain into plain data (psyq's own
expression trees, as text, and the printed forms of each step), :mod:`psyq.compiled` stores and
validates that data (shipped inside the package for the built-in bank, cached on disk for user
templates).  At run time :func:`compile_template` returns the chain from there, and
:func:`evaluate_steps` evaluates it with :func:`psyq.expr.evaluate_checked_array` over arrays: no
sympy, no generated code.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from dataclasses import dataclass
from typing import Any

from psyq import expr as E
from psyq.errors import TemplateError
from psyq.template import Template

SOLVE_SECONDS = 3  # CPU seconds: a template whose relations sympy cannot solve in this time is refused
# (real templates solve in milliseconds; a hostile system of coupled polynomials can run for ever)


@dataclass(frozen=True)
class Step:
    """One step of the solution: ``unknown`` from ``relation`` (as the author wrote it)."""

    unknown: str
    relation: str  # the relation(s) used, as the author wrote them
    inputs: tuple[str, ...]  # the names the candidates use, sorted
    rearranged: bool  # True when the relation had to be solved for the unknown
    candidates: tuple[E.Node, ...]  # the solved expression for each root (usually one)
    solved: str  # printed: "C = -Ki·occ/(occ - 1)"
    substituted: str  # the same with a {name} slot for each input
    latex: str  # the solved form in LaTeX
    box: tuple | None  # the solved expression as a psyq.export.mathfmt box tree


@dataclass
class Compiled:
    template: Template
    known: frozenset[str]  # the names given (drawn, pinned, or a figure's x axis)
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


def compile_template(template: Template, known: frozenset[str] | None = None) -> Compiled:
    """The solved chain for every symbol not in ``known`` (default: the drawn givens), from the
    compiled bank or the user cache (solved with sympy only when neither has it).  A different
    ``known`` set serves figures (e.g. occupancy against concentration when the problem asked for
    the concentration)."""
    key = (template.id, template.content_hash, known)
    cached = _CACHE.get(key)
    if cached is not None:
        return cached
    from psyq import compiled as C

    result = C.compiled_chain(template, frozenset(template.givens) if known is None else known)
    _CACHE[key] = result
    return result


def evaluate_steps(compiled: Compiled, values: dict[str, Any]) -> dict[str, Any]:
    """Fill in every unknown in ``values`` (arrays or scalars, in symbol units) along the chain.

    Each candidate is evaluated with :func:`psyq.expr.evaluate_checked_array` (the C library's
    exp, log and pow element by element, so an answer does not depend on numpy's SIMD code).  A
    row where an input has no value (nan) has none for the step either.  Where a relation has
    several roots, the first root that is finite and inside the symbol's declared range is taken,
    element by element.
    """
    import numpy as np

    out = dict(values)
    n = max([np.size(v) for v in values.values()], default=1)
    for step in compiled.steps:
        sym = compiled.template.symbols[step.unknown]
        missing = np.zeros(n, dtype=bool)
        for name in step.inputs:
            missing |= np.isnan(np.broadcast_to(np.asarray(out[name], dtype=np.float64), (n,)))
        chosen = None
        for node in step.candidates:
            val, ok = E.evaluate_checked_array(node, out, n)
            ok &= ~missing
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


# ------------------------------------------------------------------------------------------------
# Solving with sympy (the compile step: psyq.compiler calls this; nothing at run time does)

@dataclass
class Solved:
    """A step as sympy solved it: candidate sympy expressions for ``unknown``."""

    unknown: str
    relation: str
    solutions: list[Any]  # sympy expressions
    inputs: list[str]  # their free symbols, sorted
    rearranged: bool
    symbols: dict[str, Any]  # name -> sympy Symbol (with the template's assumptions)


class _OutOfTime(BaseException):
    """The solve budget ran out.  A BaseException, so that sympy's ``except Exception`` handlers
    cannot swallow it (one did, on Python 3.10, and the solve then ran for ever)."""


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
        raise _OutOfTime

    old = signal.signal(signal.SIGPROF, on_expiry)
    # Re-armed every 50 ms of CPU after the first expiry: a library that catches and drops the
    # exception (sympy has broad handlers) is interrupted again, so the limit cannot be lost.
    signal.setitimer(signal.ITIMER_PROF, seconds, 0.05)
    try:
        yield
    except _OutOfTime:
        signal.setitimer(signal.ITIMER_PROF, 0)  # before anything else: no second interruption
        raise TemplateError(f"solving {what} took longer than {seconds:g} s", file=file, key="relations",
                            hint="simplify the relations or solve them in fewer steps") from None
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.signal(signal.SIGPROF, old)


def solve_relations(t: Template, known_names: frozenset[str] | None = None) -> list[Solved]:
    """The solve chain with sympy: one :class:`Solved` per unknown, in the order they are found.
    (The caller bounds it with :func:`_time_limit`.)"""
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
    steps: list[Solved] = []

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
            steps.append(_solved(u, text, sols, rearranged, syms, t))
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
            steps.append(_solved(n, text, candidates, True, syms, t))
        known.update(remaining)
        remaining = []
        used = [True] * len(equations)
    return steps


def _solve(sp, equations, unknowns, text: str, t: Template, **kw):
    """sympy.solve, with its failures turned into a template error that names the relation."""
    try:
        return sp.solve(equations, unknowns, **kw)
    except TemplateError:
        raise
    except Exception as exc:  # noqa: BLE001 - sympy raises many kinds (NotImplementedError, …)
        raise TemplateError(f"sympy cannot solve '{text}' for {unknowns}: {type(exc).__name__}",
                            file=t.path, key="relations",
                            hint="rewrite the relation so the unknown can be isolated") from None


def _solved(u: str, text: str, sols: list, rearranged: bool, syms: dict, t: Template) -> Solved:
    inputs = sorted({s.name for sol in sols for s in sol.free_symbols})
    unknown_inputs = [n for n in inputs if n not in syms]
    if unknown_inputs:
        raise TemplateError(f"solution for {u} uses unknown names {unknown_inputs}", file=t.path, key="relations")
    return Solved(u, text, list(sols), inputs, rearranged, syms)
