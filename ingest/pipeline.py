"""Incremental ingestion: only new or changed files are parsed, only unseen chunks are embedded.

Three levels of saved work make a re-ingest cheap: a file whose bytes and pipeline fingerprint
match its record is not even opened; a changed file's chunks keep their content-hash ids, so
unchanged passages are not embedded again; and embedding runs over windows of many files so
batches stay full. A file is committed (new chunks stored, then its record switched, then its
stale chunks deleted) only when all its chunks are embedded, so a query never sees a file half
replaced, and a file that fails to parse is recorded and skipped without touching the index.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tqdm import tqdm

from ingest.chunker import chunk_document
from ingest.embedder import Embedder
from ingest.hashing import sha256_file
from ingest.index import ChunkIndex, DocumentRecord
from ingest.keyword_sync import sync_keyword_index
from ingest.loaders import SUPPORTED_SUFFIXES, DocumentLoadError, load_document
from ingest.metadata import read_manifest
from ingest.settings import Settings
from ingest.types import Chunk, DocumentMeta, FileFailure, IngestReport, LoadedDocument
from ingest.vitokens import segment_many

# Bump when loaders or the chunker change behaviour, so every file is re-chunked once
# (re-embedding stays limited to chunks whose text actually changed).
PIPELINE_VERSION = "1"
NOT_DOCUMENTS = frozenset({"README.md", "MANIFEST.tsv"})  # the collection's own descriptions
EMBED_WINDOW = 256  # chunks committed together; large enough for full, length-sorted batches
PROGRESS_SLICE = 64  # chunks per embedding call, so progress (and ETA) updates every few seconds


def pipeline_fingerprint(settings: Settings) -> str:
    spec = {"v": PIPELINE_VERSION, "chunking": settings.chunking.model_dump()}
    return hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()[:16]


def collection_files(root: Path) -> list[Path]:
    """Documents under ``root``: supported types, minus the collection's README/MANIFEST."""
    return sorted(
        p
        for p in root.rglob("*")
        if p.is_file()
        and p.suffix.lower() in SUPPORTED_SUFFIXES
        and not (p.parent == root and p.name in NOT_DOCUMENTS)
        and not any(part.startswith(".") for part in p.relative_to(root).parts)
    )


@dataclass
class _Pending:
    """A parsed file waiting for its new chunks to be embedded."""

    doc: LoadedDocument
    sha256: str  # of the file's bytes, as hashed for the fast-path check
    chunks: list[Chunk]
    new: list[Chunk]
    old: DocumentRecord | None
    origin: str


class Ingestor:
    """Brings the index in step with a folder of documents."""

    def __init__(self, settings: Settings, embedder: Embedder, index: ChunkIndex) -> None:
        self.settings = settings
        self.embedder = embedder
        self.index = index
        self.fingerprint = pipeline_fingerprint(settings)

    def ingest_folder(
        self, root: Path, origin: str = "collection", progress: Callable[[str, float], None] | None = None
    ) -> IngestReport:
        """Sync the index with ``root``: add new files, replace changed ones, drop removed ones.

        Only records of the same ``origin`` are dropped, so syncing the collection never deletes
        documents users uploaded.
        """
        started = time.perf_counter()
        root = root.resolve()
        if not root.is_dir():
            raise FileNotFoundError(f"Không tìm thấy thư mục văn bản / Collection folder not found: {root}")
        files = collection_files(root)
        return self._ingest(root, files, origin, started, progress, prune=True)

    def ingest_files(
        self, root: Path, files: list[Path], origin: str, progress: Callable[[str, float], None] | None = None
    ) -> IngestReport:
        """Add or replace the given files (uploads), leaving every other document alone."""
        return self._ingest(root.resolve(), files, origin, time.perf_counter(), progress, prune=False)

    def _ingest(
        self,
        root: Path,
        files: list[Path],
        origin: str,
        started: float,
        progress: Callable[[str, float], None] | None,
        prune: bool,
    ) -> IngestReport:
        report = IngestReport(files_seen=len(files))
        records = self.index.records()
        manifest = read_manifest(root)
        todo: list[tuple[Path, str, DocumentRecord | None]] = []
        for path in files:
            source = path.relative_to(root).as_posix()
            sha = sha256_file(path)
            old = records.get(source)
            if old and old.sha256 == sha and old.pipeline == self.fingerprint:
                report.files_unchanged += 1
                if old.status == "failed":
                    report.failures.append(FileFailure(source, old.error))
                continue
            todo.append((path, sha, old))
        if prune:
            seen = {p.relative_to(root).as_posix() for p in files}
            for source, record in records.items():
                if record.origin == origin and source not in seen:
                    report.chunks_deleted += len(record.chunk_ids)
                    self.index.delete_record(record)
                    report.files_removed += 1
        pending = list(self._parse(root, todo, manifest, origin, report))
        self._embed_and_commit(pending, report, progress)
        # Chunk ids are content hashes, so any change to the chunk set changes the fingerprint.
        sync_keyword_index(self.settings, self.index)
        report.seconds = time.perf_counter() - started
        return report

    def _parse(
        self,
        root: Path,
        todo: list[tuple[Path, str, DocumentRecord | None]],
        manifest: dict[str, dict[str, str]],
        origin: str,
        report: IngestReport,
    ) -> Iterator[_Pending]:
        for path, sha, old in tqdm(todo, desc="Đọc văn bản / parsing", unit="file", disable=not todo):
            source = path.relative_to(root).as_posix()
            try:
                doc = load_document(path, root, manifest)
                chunks = chunk_document(
                    doc,
                    self.embedder.count_tokens,
                    self.settings.chunking.max_tokens,
                    self.settings.chunking.min_tokens,
                )
                if not chunks:
                    raise DocumentLoadError(source, "không có nội dung để lập chỉ mục", "no indexable text")
            except Exception as exc:  # one bad file must never stop the run
                reason = str(exc) if isinstance(exc, DocumentLoadError) else f"{type(exc).__name__}: {exc}"
                report.failures.append(FileFailure(source, reason))
                failed = DocumentRecord(
                    meta=old.meta if old else DocumentMeta(source=source, title=path.name),
                    sha256=sha,
                    pipeline=self.fingerprint,
                    chunk_ids=old.chunk_ids if old else [],
                    status="failed",
                    error=reason,
                    origin=origin,
                )
                self.index.put_record(failed, self.index.document_text(source) if old else "")
                continue
            chunks = list({c.id: c for c in chunks}.values())  # a repeated passage is stored once
            existing = self.index.existing_ids([c.id for c in chunks])
            new = [c for c in chunks if c.id not in existing]
            report.chunks_reused += len(chunks) - len(new)
            yield _Pending(doc, sha, chunks, new, old, origin)

    def _embed_and_commit(
        self,
        pending: list[_Pending],
        report: IngestReport,
        progress: Callable[[str, float], None] | None,
    ) -> None:
        total = sum(len(p.new) for p in pending)
        bar = tqdm(total=total, desc="Nhúng / embedding", unit="chunk", disable=total == 0)
        bar.set_postfix_str(f"files 0/{len(pending)}")
        window: list[_Pending] = []
        for item in pending:
            window.append(item)
            if sum(len(p.new) for p in window) >= EMBED_WINDOW:
                self._commit_window(window, report, bar, len(pending), progress)
                window = []
        self._commit_window(window, report, bar, len(pending), progress)
        bar.close()

    def _embed(self, chunks: list[Chunk], titles: dict[str, str], bar: tqdm) -> np.ndarray:
        """Embed in length-sorted slices so similar lengths share a batch and the bar moves often."""
        order = sorted(range(len(chunks)), key=lambda i: len(chunks[i].text))
        vectors = np.zeros((len(chunks), 0), dtype=np.float32)
        for start in range(0, len(order), PROGRESS_SLICE):
            picked = order[start : start + PROGRESS_SLICE]
            part = self.embedder.embed_passages(
                [chunks[i].text for i in picked], [titles[chunks[i].source] for i in picked]
            )
            if vectors.shape[1] == 0:
                vectors = np.zeros((len(chunks), part.shape[1]), dtype=np.float32)
            vectors[picked] = part
            bar.update(len(picked))
        return vectors

    def _commit_window(
        self,
        window: list[_Pending],
        report: IngestReport,
        bar: tqdm,
        files: int,
        progress: Callable[[str, float], None] | None,
    ) -> None:
        new = [c for p in window for c in p.new]
        titles = {p.doc.meta.source: p.doc.meta.title for p in window}
        vectors = self._embed(new, titles, bar)
        tokens = [" ".join(t) for t in segment_many([c.text for c in new])]
        offset = 0
        for item in window:
            count = len(item.new)
            self.index.add_chunks(
                item.new, vectors[offset : offset + count], item.doc.meta, tokens[offset : offset + count]
            )
            offset += count
            self._switch_record(item)
            report.files_updated += 1
            report.chunks_embedded += count
        bar.set_postfix_str(f"files {report.files_updated}/{files}")
        if progress:
            progress(f"{report.chunks_embedded}/{bar.total} chunks", report.chunks_embedded / max(bar.total, 1))

    def _switch_record(self, item: _Pending) -> None:
        ids = [c.id for c in item.chunks]
        record = DocumentRecord(
            meta=item.doc.meta,
            sha256=item.sha256,
            pipeline=self.fingerprint,
            chunk_ids=ids,
            origin=item.origin,
            fmt=item.doc.fmt,
        )
        self.index.put_record(record, item.doc.text)
        if item.old:
            self.index.delete_chunks(set(item.old.chunk_ids) - set(ids))
