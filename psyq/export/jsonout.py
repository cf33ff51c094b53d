"""JSON: the exam with every version's instances in the instance contract (DESIGN.md), so that
other tools can build on exactly what was printed."""

from __future__ import annotations

import json

FORMAT = "json"
EXTENSION = ".json"


def render(exam, findings=None) -> bytes:
    return (json.dumps(exam.to_json(), ensure_ascii=False, indent=2) + "\n").encode("utf-8")
