"""Imports point down: nothing below the CLI imports psyq.commands (issue 12)."""

from __future__ import annotations

import ast
import re
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


# A clock read in a test: time.time/process_time/perf_counter/monotonic/thread_time (and _ns),
# called bare or through the time module, imported from it, timeit, or CPU times from
# os.times()/getrusage (getrusage's ru_maxrss, a size, is fine).
_CLOCKS = r"(?:time|process_time|perf_counter|monotonic|thread_time|clock_gettime)(?:_ns)?"
_CLOCK_READ = re.compile(
    rf"\btime\.{_CLOCKS}\b"
    r"|\b(?:process_time|perf_counter|monotonic|thread_time|clock_gettime)(?:_ns)?\s*\("
    rf"|\bfrom\s+time\s+import\b[^\n]*\b{_CLOCKS}\b"
    r"|\btimeit\b|\bos\.times\s*\(|\bru_[us]time\b")
# A hypothesis deadline is a wall-clock bound per example (its default, 200 ms, is switched off in
# tests/conftest.py): every explicit one must say None.
_DEADLINE = re.compile(r"\bdeadline\s*=\s*(?!None\b)")


def test_the_clock_scanner_sees_what_it_should():
    bad = ["t0 = time.perf_counter()", "time.process_time() - t0 < 5", "clock = time.thread_time",
           "from time import monotonic", "start = perf_counter_ns()", "time.time() - start",
           "import timeit", "os.times().user", "r.ru_utime + r.ru_stime",
           "settings(deadline=timedelta(seconds=2))", "settings(deadline=500)"]
    good = ["time.sleep(0.5)", "resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss",
            "settings(max_examples=10, deadline=None)", "a monotonic function", "import time",
            "subprocess.run(argv, timeout=120)", "with work_bounded(calls=2_000, what=text):"]
    assert [b for b in bad if not (_CLOCK_READ.search(b) or _DEADLINE.search(b))] == []
    assert [g for g in good if _CLOCK_READ.search(g) or _DEADLINE.search(g)] == []


def test_no_test_reads_a_clock():
    """No test asserts elapsed time, wall or CPU, nor reads a clock to bound one: on a busy or slow
    machine the same work takes several times longer, so a time bound fails at random (issue 12).
    Speed is measured in benchmarks/ (ratios within one run); where a test must catch a hang or a
    blow-up, it bounds the work (tests/_work.py counts Python and C calls) or a size.  This covers
    every file under tests/, tests/_work.py included (only this file names the clocks, above)."""
    from hypothesis import settings

    tests = Path(__file__).resolve().parent
    offenders = []
    for p in sorted(tests.rglob("*.py")):
        if p.name != Path(__file__).name:
            text = p.read_text(encoding="utf-8")
            found = _CLOCK_READ.search(text) or _DEADLINE.search(text)
            if found:
                offenders.append(f"{p.relative_to(tests)}: {found.group(0).strip()!r}")
    assert not offenders, f"clock reads or deadlines in tests: {offenders}"
    assert settings.default.deadline is None, "tests/conftest.py must turn hypothesis' deadline off"


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
