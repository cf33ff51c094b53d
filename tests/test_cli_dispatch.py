"""psyq's entry point builds only the command the command line names (start-up CPU); everything a
user sees is what the whole app gives."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from psyq.cli import _for_argv, app


def _names(a) -> list[str]:
    return [c.name for c in a.registered_commands] + [g.name for g in a.registered_groups]


def test_one_named_command_is_built_alone_and_the_app_keeps_all():
    every = _names(app)
    assert {"list", "show", "answer", "practice", "homework"} <= set(every)
    assert _names(_for_argv(["list", "--json"])) == ["list"]
    assert _names(_for_argv(["homework", "key", "x.yaml"])) == ["homework"]
    assert _names(app) == every  # the module's app is not changed
    for argv in ([], ["--help"], ["-h"], ["--version"], ["lst"], ["List"]):
        assert _for_argv(argv) is app


def _run(*args: str, tmp_path) -> tuple[int, str]:
    env = {**os.environ, "PSYQ_HOME": str(tmp_path), "COLUMNS": "100"}
    proc = subprocess.run([sys.executable, "-c", "import sys; sys.argv[0] = 'psyq'; from psyq.cli import main; main()",
                           *args], capture_output=True, text=True, env=env)
    return proc.returncode, proc.stdout + proc.stderr


@pytest.mark.parametrize("args", [["lst"], ["list", "--bogus"], ["homework", "bogus"], ["answer", "occupancy-from-ki"],
                                  ["generate", "occupancy-from-ki", "--count", "0"]])
def test_messages_and_exit_codes_are_the_whole_apps(args, tmp_path):
    from typer.testing import CliRunner

    code, out = _run(*args, tmp_path=tmp_path)
    whole = CliRunner().invoke(app, args, prog_name="psyq")
    assert code == whole.exit_code == 2
    assert out.strip() == whole.output.strip()
