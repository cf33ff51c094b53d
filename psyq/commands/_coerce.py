"""Command-line values converted without pydantic, for the value types psyq's options use.

Why: typer (0.2x with its own click) converts every option value through a pydantic TypeAdapter
built at run time; importing pydantic and building the adapters costs about 90 ms of CPU in every
command but ``--help`` (docs/performance.md (f)).  psyq's options only take text, whole numbers
(some with a min/max), numbers, flags, paths and lists of text or paths.  For those, this module
gives typer a converter that returns *the very value typer's own would* for the plain inputs
people type (a decimal whole number, a decimal number, any text, any path), and hands everything
else (``1_000``, `` 7``, ``1e3``, a number out of range, a value of another type) to typer's own
converter, built on first use, so every message and every corner case stays typer's.

Used by :class:`psyq.commands._common.PsyqCommand` before it parses its arguments.  With a typer
that converts through click's types (no pydantic), or a typer whose internals differ, nothing is
changed.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, List, get_args, get_origin

try:  # typer's run-time conversion layer (typer >= 0.2x); absent in click-based typer
    from typer._coercion import RuntimeParam, TypeDescriptor, build_runtime_param
    from typer._param_types import coerce_cli_path
except ImportError:  # pragma: no cover - an older typer: click converts, pydantic is not involved
    RuntimeParam = None  # type: ignore[assignment,misc]

# Inputs whose value is unambiguous and equal under pydantic's lax rules and Python's int()/float():
# ASCII digits, an optional minus sign, no spaces, underscores, exponents or plus signs (those go
# to pydantic).  Lengths keep clear of pydantic's own limits on long digit strings.
_INT = re.compile(r"-?[0-9]{1,18}")
_FLOAT = re.compile(r"-?[0-9]{1,15}(?:\.[0-9]{1,15})?")


def _fast_leaf(annotation: Any, info: Any):
    """A converter ``value -> (ok, result)`` for one leaf annotation, or None (typer's own then)."""
    if getattr(info, "parser", None) is not None or getattr(info, "click_type", None) is not None:
        return None
    if annotation is str:
        return lambda v: (True, v) if type(v) is str else (False, None)
    if annotation is bool:  # a flag's value is already True/False; text ("yes", "0") goes to pydantic
        return lambda v: (True, v) if type(v) is bool else (False, None)
    if annotation is int:
        if getattr(info, "clamp", False):
            return None
        lo, hi = info.min, info.max

        def conv_int(v):
            if type(v) is str and _INT.fullmatch(v):
                v = int(v)
            elif type(v) is not int:
                return False, None
            if (lo is not None and v < lo) or (hi is not None and v > hi):
                return False, None  # typer's message for an out-of-range value
            return True, v
        return conv_int if isinstance(lo, (int, type(None))) and isinstance(hi, (int, type(None))) else None
    if annotation is float:
        if info.min is not None or info.max is not None or getattr(info, "clamp", False):
            return None

        def conv_float(v):
            if type(v) is str and _FLOAT.fullmatch(v):
                return True, float(v)
            if type(v) in (int, float):
                return True, float(v)
            return False, None
        return conv_float
    if annotation is Path:
        if info.path_type is not None or info.allow_dash:
            return None

        def conv_path(v):
            if type(v) is not str:
                return False, None
            return True, Path(v)  # (pydantic's Path validator: Path(text)); checks follow
        return conv_path
    return None


def fast_runtime_param(descriptor: Any):
    """A :class:`typer._coercion.RuntimeParam` that skips pydantic for plain inputs, or None."""
    if RuntimeParam is None or not isinstance(descriptor, TypeDescriptor) or descriptor.file_annotation is not None:
        return None
    annotation, info = descriptor.annotation, descriptor.parameter_info
    if get_origin(annotation) in (list, List):
        args = get_args(annotation)
        leaf = _fast_leaf(args[0], info) if len(args) == 1 else None
        many = True
    else:
        leaf = _fast_leaf(annotation, info)
        many = False
    if leaf is None:
        return None
    return _FastParam(parameter_info=info, annotation=annotation, leaf=leaf, many=many,
                      is_path=(args[0] if many else annotation) is Path, descriptor=descriptor, slow=[])


if RuntimeParam is not None:
    from dataclasses import dataclass

    @dataclass(frozen=True)
    class _FastParam(RuntimeParam):  # type: ignore[misc,valid-type]
        leaf: Any
        many: bool
        is_path: bool
        descriptor: Any
        slow: list  # typer's own converter, built on first need

        def _fallback(self, value, param, ctx):
            if not self.slow:
                self.slow.append(build_runtime_param(self.descriptor))
            return self.slow[0]._coerce_value(value, param=param, ctx=ctx)

        def _coerce_value(self, value: Any, param: Any, ctx: Any) -> Any:
            if self.many:
                if not isinstance(value, (list, tuple)):
                    return self._fallback(value, param, ctx)
                out = []
                for item in value:
                    ok, got = self.leaf(item)
                    if not ok:
                        return self._fallback(value, param, ctx)
                    out.append(self._checked(got, param, ctx))
                return out
            ok, got = self.leaf(value)
            if not ok:
                return self._fallback(value, param, ctx)
            return self._checked(got, param, ctx)

        def _checked(self, value, param, ctx):
            if self.is_path:  # typer's existence/permission checks on the converted path
                return coerce_cli_path(value, self.parameter_info, path_type=Path, param=param, ctx=ctx)
            return value


def prime(params) -> None:
    """Give each typer parameter without a converter yet the fast one (where it applies)."""
    if RuntimeParam is None:
        return
    for p in params:
        if getattr(p, "_runtime_param", 0) is None:
            desc = getattr(p, "type_descriptor", None)
            fast = fast_runtime_param(desc) if desc is not None else None
            if fast is not None:
                p._runtime_param = fast
