"""Every command has help with a one-line summary and a pasteable example."""

import pytest
import typer
from typer.testing import CliRunner

from psyq.cli import app

runner = CliRunner()


def _commands(group, prefix=()):
    # typer vendors its own click: recognise a group by its sub-commands, not by class.
    for name, cmd in group.commands.items():
        if getattr(cmd, "commands", None):
            yield from _commands(cmd, (*prefix, name))
        else:
            yield (*prefix, name)


COMMANDS = sorted(_commands(typer.main.get_command(app)))


def test_the_command_set():
    names = {" ".join(c) for c in COMMANDS}
    assert {"list", "show", "generate", "answer", "lint", "compare", "practice", "stats", "export",
            "grade", "report", "catalog", "homework sheet", "homework key"} <= names


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_help_has_an_example(command):
    res = runner.invoke(app, [*command, "--help"])
    assert res.exit_code == 0
    assert "Example:" in res.output and f"psyq {' '.join(command)}" in res.output
