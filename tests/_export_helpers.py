"""Helpers for the export tests: running `psyq export`, building exams, reading outputs back."""

from __future__ import annotations

import functools
import io
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from psyq.cli import app

ROOT = Path(__file__).resolve().parents[1]
EXPORT_TEMPLATES = Path(__file__).resolve().parent / "data" / "export"
SCHEMAS = ROOT.parent / "shared" / "schemas"  # ../shared relative to the project root
QTI21_DIR = SCHEMAS / "qti21"
QTI12_XSD = SCHEMAS / "qti12" / "sub" / "ims_qtiasiv1p2.xsd"
IMSCP_XSD = SCHEMAS / "imscp" / "imscp_v1p1.xsd"
# imscp_v1p1.xsd imports the W3C's xml.xsd by this URL; the copy lives beside the QTI 2.1 schemas.
XML_XSD_URL = "http://www.w3.org/2001/03/xml.xsd"
XML_XSD = QTI21_DIR / "www.w3.org" / "2001" / "xml.xsd"

runner = CliRunner()


def cli(*args: str):
    return runner.invoke(app, ["export", *args])


def build(items, versions=2, seed=1, title="Test exam", templates=(str(EXPORT_TEMPLATES),), **kw):
    from psyq import exam as X

    spec = X.spec_from_items(list(items), templates, title, kw.pop("space", None))
    return X.build(spec, versions=versions, seed=seed, templates=templates)


def pdf_text(data: bytes) -> tuple[int, list[str]]:
    """(page count, text of each page) of a PDF, read back with pypdf."""
    pypdf = pytest.importorskip("pypdf")
    reader = pypdf.PdfReader(io.BytesIO(data))
    return len(reader.pages), [p.extract_text() or "" for p in reader.pages]


def count(pattern: str, texts: list[str]) -> int:
    return sum(len(re.findall(pattern, t)) for t in texts)


def _uri_mapper(base: Path):
    def mapper(url: str) -> str:
        for prefix in ("http://", "https://"):
            if url.startswith(prefix):
                local = base / url[len(prefix):]
                if local.is_file():
                    return local.as_uri()
        return url

    return mapper


@functools.lru_cache(maxsize=1)
def qti21_schema():
    """The IMS QTI 2.1 XSD, every import resolved from ../shared/schemas/qti21 (no network)."""
    xmlschema = pytest.importorskip("xmlschema")
    main = QTI21_DIR / "www.imsglobal.org" / "xsd" / "imsqti_v2p1.xsd"
    if not main.is_file():
        pytest.skip(f"QTI 2.1 schemas not found at {QTI21_DIR} (../shared/schemas/qti21 from the project root)")
    return xmlschema.XMLSchema(str(main.resolve()), uri_mapper=_uri_mapper(QTI21_DIR.resolve()))


@functools.lru_cache(maxsize=1)
def qti12_schema():
    xmlschema = pytest.importorskip("xmlschema")
    if not QTI12_XSD.is_file():
        pytest.skip(f"QTI 1.2 schema not found at {QTI12_XSD} (../shared/schemas/qti12 from the project root)")
    return xmlschema.XMLSchema(str(QTI12_XSD.resolve()))


@functools.lru_cache(maxsize=1)
def imscp_schema():
    """IMS Content Packaging 1.1.3 (imsmanifest.xml), its xml.xsd import resolved offline."""
    xmlschema = pytest.importorskip("xmlschema")
    for path in (IMSCP_XSD, XML_XSD):
        if not path.is_file():
            pytest.skip(f"IMS CP schema files not found: {path} (../shared/schemas from the project root)")
    local = {XML_XSD_URL: XML_XSD.resolve().as_uri()}
    return xmlschema.XMLSchema(str(IMSCP_XSD.resolve()), uri_mapper=lambda url: local.get(url, url))


# ------------------------------------------------------------------------------------------------
# Text boxes on PDF pages (the overlap test)

_CAP, _DESC = 0.66, 0.16  # glyph extent above / below the baseline, in ems (Libertinus, NCM Math)


def text_runs(page) -> list[dict]:
    """Runs of upright characters on one pdfplumber page: same baseline and size, adjacent. Each
    run's box spans cap height above its baseline to descender depth below it (the ink, not the
    font's whole em box, which would make touching lines look overlapped)."""
    out: list[dict] = []
    cur = None
    for ch in page.chars:
        if not ch["text"].strip() or not ch.get("upright", True):
            continue  # rotated axis labels are not lines of text
        size = ch["size"]
        base = page.height - ch["matrix"][5]
        if cur and abs(base - cur["base"]) < 0.3 and abs(size - cur["size"]) < 0.1 \
                and -1 < ch["x0"] - cur["x1"] < size * 0.6:
            cur["x1"] = max(cur["x1"], ch["x1"])
            cur["text"] += ch["text"]
            continue
        cur = {"x0": ch["x0"], "x1": ch["x1"], "top": base - _CAP * size, "bottom": base + _DESC * size,
               "base": base, "size": size, "text": ch["text"]}
        out.append(cur)
    return out


def overlapping_runs(page, tol: float = 0.3) -> list[tuple[str, str]]:
    """Pairs of text runs whose boxes overlap.  A sub- or superscript beside its base (smaller,
    shifted, touching it sideways by a kern) is not a collision: runs of different sizes must
    overlap by more than 2 pt sideways to count."""
    runs = text_runs(page)
    bad = []
    for i, a in enumerate(runs):
        for b in runs[i + 1:]:
            side = min(a["x1"], b["x1"]) - max(a["x0"], b["x0"])
            up = min(a["bottom"], b["bottom"]) - max(a["top"], b["top"])
            need = 2.0 if abs(a["size"] - b["size"]) > 0.1 else tol
            if side > need and up > tol:
                bad.append((a["text"][:30], b["text"][:30]))
    return bad
