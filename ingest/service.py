"""Ingestion and statistics as plain functions, so the CLI and the UI stay thin shells."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

from chromadb.api import ClientAPI

from ingest.embedder import Embedder, with_dtype
from ingest.index import ChunkIndex, make_client, recorded_model
from ingest.pipeline import Ingestor
from ingest.progress import IngestProgress
from ingest.types import IngestReport
from settings import Settings

logger = logging.getLogger(__name__)


def embedder_for(settings: Settings, client: ClientAPI | None = None) -> Embedder:
    """The embedder for ``settings``' index. With ``embedding.dtype = "auto"`` an existing index keeps
    the precision it was built in: the CPU under a data dir can change (an index built on a host with
    bf16 instructions, opened on one without), and its vectors must not be refused or mixed; only a
    new index takes the precision this CPU runs fastest. ``client``: the one the index is opened with."""
    auto = settings.embedding.dtype == "auto"
    built_with = recorded_model(settings, client or make_client(settings)) if auto else None
    return Embedder(with_dtype(settings, Embedder.dtype_of(built_with)) if built_with else settings)


def open_index(settings: Settings, embedder: Embedder | None = None) -> tuple[Embedder, ChunkIndex]:
    """The embedder (model loaded lazily) and the index it guards, over one Chroma client."""
    client = make_client(settings)
    embedder = embedder or embedder_for(settings, client)
    return embedder, ChunkIndex(settings, embedder.model_id, client)


def ingest_collection(
    settings: Settings,
    path: Path | None = None,
    embedder: Embedder | None = None,
    prune: bool = False,
    tracker: IngestProgress | None = None,
) -> IngestReport:
    """Sync the index with a folder; ``prune`` allows dropping more than a few documents whose files
    are gone (see ``Ingestor.ingest_folder``); ``tracker`` hears how far the run is."""
    embedder, index = open_index(settings, embedder)
    folder = path or settings.collection_path
    return Ingestor(settings, embedder, index).ingest_folder(folder, prune=prune, tracker=tracker)


def index_in_background(
    settings: Settings,
    embedder: Embedder,
    tracker: IngestProgress,
    done: Callable[[IngestReport | None], None] | None = None,
) -> threading.Thread:
    """Sync the index with the collection on a daemon thread, so ``serve`` can answer meanwhile.

    Every committed file moves the index's change marker, so the serving ``Assistant`` answers from
    what is in so far and switches to the complete index by itself. Uploads and other runs wait for
    this one (the data dir's lock). A crash or an exit mid-way loses nothing the next run cannot
    resume. ``done`` gets the report, or None when the run failed (the tracker has the reason).
    """
    tracker.start()

    def run() -> None:
        try:
            report = ingest_collection(settings, embedder=embedder, tracker=tracker)
        except Exception as error:  # shown on the page and logged; the server keeps answering
            logger.exception("background indexing of %s failed", settings.collection_path)
            tracker.finish(error=f"{type(error).__name__}: {error}")
            report = None
        else:
            tracker.finish()
        if done is not None:
            done(report)

    thread = threading.Thread(target=run, name="background-ingest", daemon=True)
    thread.start()
    return thread


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
