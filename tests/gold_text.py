"""The raw text of a collection document, for tests that check a gold quote against its source.

The production loader may clean text differently; the raw text, normalized, is the contract a
question set's quotes are held to. Shared by the dev-set and exam-set tests (the ``collection``
fixture is in conftest).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from eval.metrics import normalize


@cache
def document_text(collection: Path, source: str) -> str:
    path = collection / source
    if path.suffix == ".pdf":
        import pymupdf

        with pymupdf.open(path) as doc:
            return normalize("\n".join(page.get_text() for page in doc))
    return normalize(path.read_text(encoding="utf-8"))
