"""A source file's stored state, as the documents collection of ``ingest.index`` holds it.

Apart from ``ingest.index`` so that module stays the one place that speaks Chroma without growing
past ~400 lines; ``from ingest.index import DocumentRecord`` keeps working.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from ingest.types import DocumentMeta, HeadingNode, year_of


@dataclass
class DocumentRecord:
    """The stored state of one source file."""

    meta: DocumentMeta
    sha256: str
    pipeline: str
    chunk_ids: list[str] = field(default_factory=list)
    status: str = "ok"  # "ok" | "failed"
    error: str = ""
    origin: str = "collection"  # "collection" | "upload"
    fmt: str = ""
    # None: stored before ingest kept trees; the next ingest backfills it from the stored text.
    headings: list[HeadingNode] | None = None

    def to_metadata(self) -> dict[str, Any]:
        meta = self.meta.as_dict()
        meta.update(
            sha256=self.sha256,
            pipeline=self.pipeline,
            chunk_ids=json.dumps(self.chunk_ids),
            n_chunks=len(self.chunk_ids),
            status=self.status,
            error=self.error,
            origin=self.origin,
            fmt=self.fmt,
            year=year_of(self.meta.date),
            # Always written: Chroma merges an upserted record's metadata, so an absent key would
            # keep a superseded version's tree.
            headings=headings_json(self.headings),
        )
        return meta

    @classmethod
    def from_metadata(cls, meta: dict[str, Any]) -> DocumentRecord:
        doc_meta = DocumentMeta(**{k: str(meta.get(k, "")) for k in DocumentMeta.__dataclass_fields__})
        return cls(
            meta=doc_meta,
            sha256=str(meta.get("sha256", "")),
            pipeline=str(meta.get("pipeline", "")),
            chunk_ids=json.loads(str(meta.get("chunk_ids", "[]"))),
            status=str(meta.get("status", "ok")),
            error=str(meta.get("error", "")),
            origin=str(meta.get("origin", "collection")),
            fmt=str(meta.get("fmt", "")),
            headings=headings_from_json(str(meta.get("headings", ""))),
        )


def headings_json(headings: list[HeadingNode] | None) -> str:
    """``[[path, start, end], ...]``; "" for a tree not computed yet."""
    return "" if headings is None else json.dumps([[list(p), s, e] for p, s, e in headings], ensure_ascii=False)


def headings_from_json(stored: str) -> list[HeadingNode] | None:
    return None if not stored else [HeadingNode(tuple(p), s, e) for p, s, e in json.loads(stored)]
