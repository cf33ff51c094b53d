"""No sympy on the hot path (issue 12): every everyday command, on built-in templates, runs from
the compiled bank.  Each command runs in a fresh process; what it imported is checked at exit."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

COURSE = Path(__file__).parent / "data" / "course"
PROBE = ("import sys, atexit, json\n"
         "atexit.register(lambda: sys.stderr.write('\\nIMPORTED ' + json.dumps("
         "[m for m in ('sympy', 'pint', 'matplotlib') if m in sys.modules]) + '\\n'))\n"
         "from psyq.cli import main\n"
         "sys.argv = ['psyq', *sys.argv[1:]]\n"
         "main()\n")


def imported(args: list[str], cwd: Path, stdin: str = "") -> tuple[list[str], subprocess.CompletedProcess]:
    env = {**os.environ, "PSYQ_HOME": str(cwd / "home"), "PSYQ_SECRET": "sample-course-secret",
           "COLUMNS": "100", "PSYQ_CACHE_DIR": str(cwd / "cache")}
    env.pop("PSYQ_TEMPLATES", None)
    proc = subprocess.run([sys.executable, "-c", PROBE, *args], cwd=cwd, input=stdin, text=True,
                          capture_output=True, env=env)
    line = [x for x in proc.stderr.splitlines() if x.startswith("IMPORTED ")]
    assert line, proc.stderr
    return json.loads(line[-1].split(" ", 1)[1]), proc


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    dest = tmp_path_factory.mktemp("hot") / "course"
    shutil.copytree(COURSE, dest)
    return dest


COMMANDS = {
    "list": (["list"], "", 0),
    "show": (["show", "occupancy-from-ki", "--seed", "1", "--key"], "", 0),
    "answer": (["answer", "occupancy-from-ki", "--seed", "1", "89.4 %"], "", 0),
    "generate": (["generate", "mao-recovery", "--count", "50", "--format", "jsonl"], "", 0),
    "practice": (["practice", "--template", "occupancy-from-ki", "--seed", "1", "--count", "1",
                  "--no-plots"], "89.4 %\n", 0),
    "stats": (["stats"], "", 0),
    "export": (["export", "occupancy", "--format", "md", "--versions", "3", "--key", "--out", "exam.md"], "", 0),
    "homework": (["homework", "key", "assignment.yaml", "--student", "alice", "--format", "json"], "", 0),
    "grade": (["grade", "assignment.yaml", "answers.yaml", "--json", "-"], "", 1),
}


@pytest.mark.parametrize("name", list(COMMANDS))
def test_everyday_commands_import_no_sympy(name, course):
    args, stdin, code = COMMANDS[name]
    if name == "grade":
        (course / "answers.yaml").write_text("student: alice\nassignment: hw3-occupancy\nanswers:\n",
                                             encoding="utf-8")
    modules, proc = imported(args, course, stdin)
    assert proc.returncode == code, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert "sympy" not in modules, f"psyq {name} imported sympy"
    assert "psyq: warning" not in proc.stderr  # the shipped bank was used, not a rebuilt one
    assert not (course / "cache" / "compiled").exists(), "a built-in template was compiled instead of read"
