"""Imports point down: nothing below the CLI imports psyq.commands (issue 12)."""

from __future__ import annotations

import ast
from pathlib import Path

import psyq

PACKAGE = Path(psyq.__file__).resolve().parent
ABOVE_THE_ENGINE = {"cli.py", "__main__.py"}  # the CLI itself, and `python -m psyq`


def _imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{a.name}" for a in node.names)
        elif isinstance(node, ast.Call) and getattr(node.func, "id", None) == "__import__":
            if node.args and isinstance(node.args[0], ast.JoinedStr | ast.Constant):
                found.add(ast.unparse(node.args[0]))
    return found


def test_nothing_below_the_cli_imports_psyq_commands():
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE)
        if rel.parts[0] == "commands" or str(rel) in ABOVE_THE_ENGINE:
            continue
        bad = sorted(m for m in _imported_modules(path) if "psyq.commands" in m or m == "commands")
        if bad:
            offenders.append(f"{rel}: {', '.join(bad)}")
    assert not offenders, "engine modules import the CLI layer:\n" + "\n".join(offenders)


def test_the_scanner_sees_a_function_level_import(tmp_path):
    sample = tmp_path / "x.py"
    sample.write_text("def f():\n    from psyq.commands._common import parse_givens\n", encoding="utf-8")
    assert "psyq.commands._common" in _imported_modules(sample)


def test_parse_givens_is_engine_code():
    from psyq.commands import _common
    from psyq.givens import parse_givens

    assert parse_givens.__module__ == "psyq.givens"
    assert _common.parse_givens is parse_givens  # the commands use the engine's, not a copy


def test_no_test_reads_the_wall_clock():
    """Speed is measured in benchmarks/, never asserted in a test: a wall-clock bound fails at
    random on a busy machine (tests/_work.py bounds CPU work where a hang must be caught)."""
    import re

    clock = re.compile(r"\btime\.(perf_counter|monotonic|time)\s*\(|\bperf_counter\s*\(|\bmonotonic\s*\(")
    tests = Path(__file__).resolve().parent
    offenders = [p.name for p in sorted(tests.rglob("*.py"))
                 if p.name != Path(__file__).name and clock.search(p.read_text(encoding="utf-8"))]
    assert not offenders, f"wall-clock reads in tests: {offenders}"


# Instance making, top to bottom (docs/architecture.md): a module may import those below it only.
INSTANCE_LAYERS = [
    ["instance"],
    ["single"],
    ["batch", "sampling"],
    ["instance_model", "textfill", "display"],
    ["intervals"],
]


def test_instance_making_imports_point_down():
    offenders = []
    for depth, layer in enumerate(INSTANCE_LAYERS):
        above_or_beside = {f"psyq.{m}" for upper in INSTANCE_LAYERS[:depth + 1] for m in upper}
        for name in layer:
            imported = _imported_modules(PACKAGE / f"{name}.py")
            bad = sorted((imported & above_or_beside) - {f"psyq.{name}"})
            if bad:
                offenders.append(f"psyq/{name}.py imports {', '.join(bad)}")
    assert not offenders, "\n".join(offenders)
