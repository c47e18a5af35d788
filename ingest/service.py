"""Ingestion and statistics as plain functions, so the CLI and the UI stay thin shells."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Any

from ingest.embedder import Embedder
from ingest.index import ChunkIndex
from ingest.pipeline import Ingestor
from ingest.types import IngestReport
from settings import Settings


def open_index(settings: Settings, embedder: Embedder | None = None) -> tuple[Embedder, ChunkIndex]:
    """The embedder (model loaded lazily) and the index it guards."""
    embedder = embedder or Embedder(settings)
    return embedder, ChunkIndex(settings, embedder.model_id)


def ingest_collection(
    settings: Settings, path: Path | None = None, embedder: Embedder | None = None, prune: bool = False
) -> IngestReport:
    """Sync the index with a folder; ``prune`` allows dropping more than a few documents whose files
    are gone (see ``Ingestor.ingest_folder``)."""
    embedder, index = open_index(settings, embedder)
    return Ingestor(settings, embedder, index).ingest_folder(path or settings.collection_path, prune=prune)


def collection_stats(settings: Settings, index: ChunkIndex | None = None, sections: bool = True) -> dict[str, Any]:
    """What ``stats --json`` prints: every document with metadata and chunk count, failures, and the
    files skipped on purpose (unsupported, duplicate, link leaving the folder...), each with a reason.

    ``sections`` (each document's section paths) pages every chunk's metadata; the UI's library,
    refreshed on every page load, shows none of it and passes False.
    """
    index = index or open_index(settings)[1]
    records = sorted(index.records().values(), key=lambda r: r.meta.source)
    paths = _sections_by_source(index) if sections else {}
    documents = [
        {
            **asdict(r.meta),
            "format": r.fmt,
            "origin": r.origin,
            "chunks": len(r.chunk_ids),
            "status": r.status,
            **({"sections": paths.get(r.meta.source, [])} if sections else {}),
        }
        for r in records
        if r.status == "ok"
    ]
    failures = [{"source": r.meta.source, "reason": r.error} for r in records if r.status == "failed"]
    skipped = [{"source": r.meta.source, "reason": r.error} for r in records if r.status == "skipped"]
    return {
        "collection_path": str(settings.collection_path),
        "index": settings.chroma_url or str(settings.chroma_path),
        "embedding_model": index.model_id,
        "documents": documents,
        "total_documents": len(documents),
        "total_chunks": index.count(),
        "failures": failures,
        "skipped": skipped,
    }


def _sections_by_source(index: ChunkIndex) -> dict[str, list[str]]:
    """Each document's chunk section paths in reading order: how its structure was understood."""
    got = index.all_chunks(include=("metadatas",))
    ordered = sorted(got["metadatas"], key=lambda m: (str(m["source"]), int(m.get("ordinal", 0))))
    sections: dict[str, list[str]] = {}
    for meta in ordered:
        sections.setdefault(str(meta["source"]), []).append(str(meta.get("section", "")))
    return sections
