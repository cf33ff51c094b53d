"""The installed package must carry everything: every subpackage and every bank/data file.

A green CI on an editable install can hide a file that a real ``pip install .`` would leave out,
so this test checks pyproject's package list and package-data globs against the tree.
"""

import fnmatch
import sys
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # tomllib is in the standard library from 3.11; tomli is the same parser before it
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
CONFIG = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]


def test_every_subpackage_is_listed():
    listed = set(CONFIG["packages"])
    for init in (ROOT / "psyq").rglob("__init__.py"):
        name = ".".join(init.parent.relative_to(ROOT).parts)
        assert name in listed, f"{name} is missing from [tool.setuptools] packages in pyproject.toml"
    assert "psyq.problems" in listed and CONFIG["package-dir"]["psyq.problems"] == "problems"


def _covered(package: str, base: Path, path: Path) -> bool:
    rel = path.relative_to(base).as_posix()
    globs = CONFIG["package-data"].get(package, [])
    return any(fnmatch.fnmatchcase(rel, g) and rel.count("/") == g.count("/") for g in globs)


def test_every_bank_and_data_file_ships():
    base = ROOT / "problems"
    files = [p for p in base.rglob("*") if p.is_file() and p.suffix in (".yaml", ".yml", ".md", ".json")]
    assert len(files) > 3
    missing = [str(p.relative_to(ROOT)) for p in files if not _covered("psyq.problems", base, p)]
    assert not missing, f"not in package-data for psyq.problems: {missing}"


def test_schemas_ship():
    base = ROOT / "psyq" / "schemas"
    for p in base.glob("*.json"):
        assert _covered("psyq.schemas", base, p), p


def test_compiled_bank_ships():
    base = ROOT / "psyq"
    files = sorted((base / "compiled_bank").glob("*.json"))
    assert len(files) == len(list((ROOT / "problems").rglob("*.yaml"))) - len(list((ROOT / "problems" / "data").glob("*.yaml")))
    for p in files:
        assert _covered("psyq", base, p), p
