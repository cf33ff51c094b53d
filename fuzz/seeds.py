"""Write the starting corpora for the atheris harnesses into a folder.

    python fuzz/seeds.py WORKDIR      # creates WORKDIR/corpus-answers and WORKDIR/corpus-templates

Answers: typical typed answers plus every case of tests/hostile/answers.txt and units.txt.
Templates: every bank template, the hostile templates and YAML files of tests/hostile.
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import _harness

TYPICAL = ["80", "80 %", "80.1%", "0.801", "1.16 nM", "0.00116 µM", "1.2e-3 M", "1.2×10^-3",
           "1.2 x 10^-3", "10⁻³", "3/4", "ln(2)*14 d", "0,8", "not attainable", "14 d", "2 wk",
           "35 mg/day", "1.2 ng/mL", "(1/2)^3", "exp(-0.1*7)"]


def _write(folder: Path, blobs: list[bytes]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for blob in blobs:
        (folder / hashlib.sha1(blob).hexdigest()).write_bytes(blob)


def main(argv: list[str]) -> int:
    work = Path(argv[1] if len(argv) > 1 else "fuzz-work")
    hostile = _harness.ROOT / "tests" / "hostile"
    answers = [t.encode() for t in TYPICAL]
    for name in ("answers.txt", "units.txt"):
        for line in (hostile / name).read_text(encoding="utf-8").splitlines():
            if line.strip() and not line.startswith("# "):
                answers.append(b"\x00" + (("1 " + line) if name == "units.txt" else line).encode())
    _write(work / "corpus-answers", answers)
    templates = [p.read_bytes() for p in sorted((_harness.ROOT / "problems").rglob("*.yaml"))
                 if p.parent.name != "data"]
    templates += [p.read_bytes() for p in sorted(hostile.glob("*/*.yaml"))]
    _write(work / "corpus-templates", templates)
    print(f"seeds: {len(answers)} answers, {len(templates)} templates in {work}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
