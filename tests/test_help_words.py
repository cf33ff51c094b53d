"""CLI manners: every --help names values with words, a short option means one thing in every
command, a mistyped template id gets "did you mean", and formats never share a default file."""

from __future__ import annotations

import re
from collections import defaultdict

import pytest
import typer
from typer.testing import CliRunner

from psyq.cli import app

runner = CliRunner()
# typer's type names (<list[str]>, <int range>, <path>) and its braces around arguments ({ITEMS...}...)
RAW = re.compile(r"<(?:list\[|int|str|float|path|bool|text|integer|choice)[^>]*>|\{[A-Z][A-Z.]*\}(?:\.\.\.)?")


def _commands(group, prefix=()):
    for name, cmd in group.commands.items():
        if getattr(cmd, "commands", None):
            yield from _commands(cmd, (*prefix, name))
        else:
            yield (*prefix, name), cmd


COMMANDS = sorted(_commands(typer.main.get_command(app)), key=lambda c: c[0])


@pytest.mark.parametrize("command", [c for c, _ in COMMANDS], ids=" ".join)
def test_help_names_values_with_words(command):
    res = runner.invoke(app, [*command, "--help"], terminal_width=100)
    assert res.exit_code == 0, res.output
    assert not RAW.findall(res.output), res.output
    # every option that takes a value shows a word after it
    for line in res.output.splitlines():
        m = re.match(r"^\s+((?:-\w, )?--[\w-]+)(?: / --[\w-]+)? ?(\S*)", line)
        if m and m.group(2):
            assert re.fullmatch(r"[A-Z0-9_=\-\[\],|a-z.]+", m.group(2)), line


def test_known_metavars_read_as_words():
    out = runner.invoke(app, ["export", "--help"], terminal_width=100).output
    assert "Usage: psyq export [OPTIONS] ITEMS..." in out
    assert "-n, --versions N " in out and "-T, --templates DIR " in out and "-F, --format FORMAT" in out
    out = runner.invoke(app, ["practice", "--help"], terminal_width=100).output
    assert "-t, --template TEMPLATE" in out and "-f, --family FAMILY" in out and "-n, --count N" in out
    assert "Usage: psyq show [OPTIONS] TEMPLATE" in runner.invoke(app, ["show", "--help"]).output


def test_a_short_option_means_one_thing_across_commands():
    meaning: dict[str, set[str]] = defaultdict(set)
    where: dict[str, set[str]] = defaultdict(set)
    for command, cmd in COMMANDS:
        for p in cmd.params:
            opts = [o for o in getattr(p, "opts", []) if o.startswith("-")]
            long = max(opts, key=len) if opts else None
            for o in opts:
                if len(o) == 2:
                    meaning[o].add(long)
                    where[o].add(" ".join(command))
    # -n is "how many" everywhere: problems in practice and generate, versions in export
    assert meaning.pop("-n") <= {"--count", "--versions"}
    clashes = {o: sorted(m) for o, m in meaning.items() if len(m) > 1}
    assert clashes == {}, {o: (m, sorted(where[o])) for o, m in clashes.items()}
    assert meaning["-f"] == {"--family"} and meaning["-F"] == {"--format"}


@pytest.mark.parametrize("args", [
    ["practice", "-t", "occupancy-from-k"],
    ["export", "occupancy-from-k", "--lint"],
    ["show", "occupancy-from-k"],
    ["answer", "occupancy-from-k", "-s", "1", "80 %"],
    ["generate", "occupancy-from-k"],
])
def test_a_mistyped_template_id_gets_did_you_mean(args, tmp_path):
    res = runner.invoke(app, args + (["--home", str(tmp_path)] if args[0] == "practice" else []))
    assert res.exit_code == 2
    assert "did you mean: occupancy-from-ki" in res.output


def test_formats_never_share_a_default_file_name():
    from psyq import export as E
    from psyq.commands.export import default_out

    names = {f: default_out(f) for f in E.FORMATS}
    assert len(set(names.values())) == len(names), names
    assert names["qti"] == "exam-qti.zip" and names["canvas"] == "exam-canvas.zip"
    assert names["pdf"] == "exam.pdf"
