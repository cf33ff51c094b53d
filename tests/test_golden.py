"""Golden instances: every template of the bank, at fixed seeds, byte for byte.

``tests/golden/<template-id>.json`` holds the instance JSON (``Instance.to_json()``) of
:data:`SEEDS` for one template.  A template edit, a change in the draws, the solver, the rounding
or the rendering shows up here as a readable diff.  The files need only psyq's core dependencies,
so this test runs in a plain virtualenv (and under the oldest supported numpy) to prove that
instances do not depend on the machine or library versions.

Regenerating is a deliberate act, after checking that the change is intended::

    python tests/test_golden.py --regen            # every template
    python tests/test_golden.py --regen ID [ID …]  # some templates

Then review ``git diff tests/golden`` before committing.
"""

from __future__ import annotations

import difflib
import json
import sys
from pathlib import Path

import pytest

GOLDEN_DIR = Path(__file__).resolve().parent / "golden"
SEEDS = (1, 2, 3, 42)
MAX_DIFF_LINES = 80


def golden_text(template) -> str:
    """The golden file's exact content for a loaded template."""
    from psyq.instance import generate

    data = {"template": template.id, "seeds": list(SEEDS),
            "instances": [generate(template, seed).to_json() for seed in SEEDS]}
    return json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True) + "\n"


def bank_ids() -> list[str]:
    from psyq import bank

    return [e.id for e in bank.entries()]


def _path(template_id: str) -> Path:
    return GOLDEN_DIR / f"{template_id}.json"


@pytest.mark.parametrize("template_id", bank_ids())
def test_golden_instances(template_id):
    from psyq import bank

    path = _path(template_id)
    assert path.exists(), (f"no golden file for {template_id}; create it deliberately with "
                           f"'python tests/test_golden.py --regen {template_id}'")
    expected = path.read_text(encoding="utf-8")
    actual = golden_text(bank.load(template_id))
    if actual != expected:
        diff = list(difflib.unified_diff(expected.splitlines(), actual.splitlines(),
                                         f"golden/{template_id}.json", "generated now", lineterm="", n=2))
        shown = "\n".join(diff[:MAX_DIFF_LINES])
        more = f"\n… {len(diff) - MAX_DIFF_LINES} more diff lines" if len(diff) > MAX_DIFF_LINES else ""
        pytest.fail(f"instances of {template_id} differ from the golden file:\n{shown}{more}\n"
                    f"If the change is intended, regenerate with "
                    f"'python tests/test_golden.py --regen {template_id}' and review git diff.",
                    pytrace=False)


def test_no_stray_golden_files():
    ids = set(bank_ids())
    stray = sorted(p.stem for p in GOLDEN_DIR.glob("*.json") if p.stem not in ids)
    assert not stray, f"golden files without a template: {stray}; delete them"


def test_golden_files_are_canonical_json():
    for path in sorted(GOLDEN_DIR.glob("*.json")):
        text = path.read_text(encoding="utf-8")
        data = json.loads(text)
        assert text == json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True) + "\n", path.name
        assert [i["seed"] for i in data["instances"]] == list(SEEDS), path.name


def regenerate(ids: list[str]) -> None:
    from psyq import bank

    GOLDEN_DIR.mkdir(exist_ok=True)
    for template_id in ids or bank_ids():
        path = _path(template_id)
        text = golden_text(bank.load(template_id))
        old = path.read_text(encoding="utf-8") if path.exists() else None
        if old != text:
            path.write_text(text, encoding="utf-8")
            print(f"{'updated' if old is not None else 'created'} {path.relative_to(GOLDEN_DIR.parent.parent)}")


if __name__ == "__main__":
    args = sys.argv[1:]
    if not args or args[0] != "--regen":
        sys.exit("usage: python tests/test_golden.py --regen [TEMPLATE_ID ...]\n"
                 "Rewrites tests/golden/*.json from the current code: review git diff afterwards.")
    regenerate(args[1:])
