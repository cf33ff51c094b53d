"""Start-up stays light (DESIGN.md principle 7): ``psyq --help`` and ``psyq list`` import neither
sympy, numpy nor pint.

Checked three ways, each in a fresh process: importing the CLI module, running the command through
``psyq.cli.main`` with a ``sys.modules`` check at exit, and running the real console entry point under
``python -X importtime``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

HEAVY = ("sympy", "numpy", "pint")
ROOT = Path(__file__).resolve().parents[1]


def _env() -> dict:
    env = dict(os.environ)
    env.pop("PSYQ_TEMPLATES", None)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    env["COLUMNS"] = "100"
    return env


def _run(argv, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(argv, capture_output=True, text=True, timeout=120, env=_env(), **kw)


def _heavy_in(modules: list[str]) -> list[str]:
    return sorted({m.split(".")[0] for m in modules if m.split(".")[0] in HEAVY})


def test_importing_the_cli_imports_no_heavy_module():
    code = ("import sys; from psyq.cli import app; "
            "print('\\n'.join(sorted(sys.modules)))")
    proc = _run([sys.executable, "-c", code])
    assert proc.returncode == 0, proc.stderr
    assert _heavy_in(proc.stdout.split()) == []


@pytest.mark.parametrize("args", [["--help"], ["list"], ["list", "--json"], []])
def test_help_and_list_import_no_heavy_module(args):
    """Run the command through psyq.cli.main and report sys.modules when the process exits."""
    code = (
        "import atexit, sys\n"
        "def report():\n"
        "    heavy = sorted({m.split('.')[0] for m in sys.modules} & {'sympy', 'numpy', 'pint'})\n"
        "    sys.__stderr__.write('HEAVY=' + ','.join(heavy) + '\\n')\n"
        "atexit.register(report)\n"
        f"sys.argv = ['psyq'] + {args!r}\n"
        "from psyq.cli import main\n"
        "main()\n"
    )
    proc = _run([sys.executable, "-c", code])
    assert proc.returncode in (0, 2), proc.stderr  # no arguments: help, exit 0 or 2 by click version
    line = [ln for ln in proc.stderr.splitlines() if ln.startswith("HEAVY=")]
    assert line == ["HEAVY="], f"psyq {' '.join(args)} imported {line}"
    if args and args[0] == "list":
        assert "occupancy-from-ki" in proc.stdout


def _console_entry() -> list[str]:
    beside = Path(sys.executable).parent / "psyq"
    if beside.exists():
        return [str(beside)]
    found = shutil.which("psyq")
    if found:
        return [found]
    pytest.skip("the psyq console script is not installed")


@pytest.mark.parametrize("args", [["--help"], ["list"]])
def test_real_console_entry_imports_no_heavy_module(args):
    """The installed ``psyq`` script, as a shell runs it, under ``-X importtime``."""
    entry = _console_entry()
    env = _env()
    env["PYTHONPROFILEIMPORTTIME"] = "1"
    proc = subprocess.run([*entry, *args], capture_output=True, text=True, timeout=120, env=env)
    assert proc.returncode == 0, proc.stderr[-2000:]
    imported = [ln.split("|")[-1].strip() for ln in proc.stderr.splitlines()
                if ln.startswith("import time:") and "|" in ln]
    assert "psyq.cli" in imported, "the console script did not run psyq.cli"
    assert _heavy_in(imported) == []
