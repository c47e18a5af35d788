"""Incremental, crash-safe ingestion: only new or changed files are parsed, only unseen chunks embedded.

Three levels of saved work make a re-ingest cheap: a file whose bytes and pipeline fingerprint
match its record is not even opened; a changed file's chunks keep their content-hash ids, so
unchanged passages are not embedded again; and embedding runs over windows of many files so
batches stay full.

Every write is ordered so that a kill between any two of them (a power cut, not only a timed kill)
leaves an index the next run repairs to exactly what a clean ingest builds:

- new chunks are embedded window by window into the staging collection, which is never searched,
  so a crash in the middle of a large file keeps the windows done and queries never see half a file;
- a file is committed when its last window is in: chunks promoted to the searched collection, then
  its record switched, then its superseded chunks deleted, then its staging cleared;
- every run starts by reconciling chunks against records: chunks no record lists (promoted before
  a crash hit the record switch, superseded but not yet deleted, or of a file removed since) are
  removed, and so are the keyword index's temp folders.

One run at a time per data folder (a lock file): reconciling while another run commits would delete
that run's freshly promoted chunks. A second run waits for the first (``ingest.lock_wait_s``).

Official documents go first (``scan.indexing_order``), so while ``serve`` indexes in the background
the regulations are answerable minutes before the last news article is in; a ``tracker``
(``ingest.progress``) hears what the run plans, embeds and commits.

This module decides what a run does and in which order; the steps live beside it: ``ingest.scan``
(which files, and why the others are skipped), ``ingest.healing`` (the lock, reconcile, heading-tree
and mention backfills, leftover staging) and ``ingest.staging`` (windowed embedding and the per-file commit).
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
import unicodedata
from collections.abc import Iterator
from pathlib import Path

from tqdm import tqdm

from ingest.chunker import chunk_document, heading_tree
from ingest.embedder import Embedder
from ingest.faults import checkpoint
from ingest.hashing import sha256_file
from ingest.healing import (
    IngestLockedError,
    backfill_headings,
    backfill_mentions,
    clear_staging,
    ingest_lock,
    reconcile,
)
from ingest.index import ChunkIndex, DocumentRecord
from ingest.keyword_sync import sync_keyword_index
from ingest.loaders import DocumentLoadError, load_document
from ingest.metadata import read_manifest
from ingest.progress import IngestProgress
from ingest.scan import (
    PruneRefusedError,
    check_removals,
    duplicates,
    indexing_order,
    record_skipped,
    scan_collection,
    source_of,
)
from ingest.staging import Pending, Progress, WindowedCommit
from ingest.types import DocumentMeta, FileFailure, IngestReport
from settings import Settings

logger = logging.getLogger(__name__)

# What callers of ``Ingestor`` need, including the errors its methods raise (defined beside the steps
# that raise them).
__all__ = ["PIPELINE_VERSION", "WAITING", "IngestLockedError", "Ingestor", "PruneRefusedError", "pipeline_fingerprint"]

# Bump when loaders or the chunker change behaviour, so every file is re-chunked once
# (re-embedding stays limited to chunks whose text actually changed).
# 2: garbled text is refused and sources are NFC, so files indexed before must be looked at again.
PIPELINE_VERSION = "2"
_MB = 1_000_000
# What an upload's progress bar says while another run holds the lock.
WAITING = "đang chờ lần lập chỉ mục đang chạy xong / waiting for the running indexing to finish"

ToParse = tuple[Path, str, str, DocumentRecord | None]  # path, source, sha256, its record if any


def pipeline_fingerprint(settings: Settings) -> str:
    spec = {"v": PIPELINE_VERSION, "chunking": settings.chunking.model_dump()}
    return hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()[:16]


class Ingestor:
    """Brings the index in step with a folder of documents."""

    def __init__(self, settings: Settings, embedder: Embedder, index: ChunkIndex) -> None:
        self.settings = settings
        self.embedder = embedder
        self.index = index
        self.fingerprint = pipeline_fingerprint(settings)

    def ingest_folder(
        self,
        root: Path,
        origin: str = "collection",
        progress: Progress | None = None,
        prune: bool = False,
        tracker: IngestProgress | None = None,
    ) -> IngestReport:
        """Sync the index with ``root``: add new files, replace changed ones, drop removed ones.

        Only records of the same ``origin`` are dropped, so syncing the collection never deletes
        documents users uploaded. Dropping more than ``ingest.max_unasked_removals`` documents needs
        ``prune``: ingesting the wrong folder must not silently empty the index. ``tracker`` hears
        how far the run is (the page's progress while ``serve`` indexes in the background).
        """
        started = time.perf_counter()
        root = root.resolve()
        if not root.is_dir():
            raise FileNotFoundError(f"Không tìm thấy thư mục văn bản / Collection folder not found: {root}")
        files, skipped = scan_collection(root)
        return self._ingest(root, files, origin, started, progress, skipped=skipped, prune=prune, tracker=tracker)

    def ingest_files(
        self, root: Path, files: list[Path], origin: str, progress: Progress | None = None
    ) -> IngestReport:
        """Add or replace the given files (uploads), leaving every other document alone."""
        return self._ingest(root.resolve(), files, origin, time.perf_counter(), progress, skipped=None, prune=False)

    def _ingest(
        self,
        root: Path,
        files: list[Path],
        origin: str,
        started: float,
        progress: Progress | None,
        skipped: list[FileFailure] | None,
        prune: bool,
        tracker: IngestProgress | None = None,
    ) -> IngestReport:
        """``skipped`` is None for a list of files (nothing else is in scope); a folder run passes
        what ``scan_collection`` skipped, and may then remove and deduplicate."""
        tracker = tracker or IngestProgress()  # nobody watching: counted all the same, read by no one
        waiting = (lambda: progress(WAITING, 0.0)) if progress else None
        with ingest_lock(self.settings.data_dir, self.settings.ingest.lock_wait_s, waiting):
            report = IngestReport(files_seen=len(files))
            records = self.index.records()
            incomplete = reconcile(self.index, self.settings.keyword_path, records, report)
            manifest = {unicodedata.normalize("NFC", k): v for k, v in read_manifest(root).items()}
            paths = indexing_order({source_of(path, root): path for path in files}, manifest)
            # A file over the size limit is not even hashed: its failure record keeps an empty hash,
            # so it is reported from the record until the limit is raised, and then ingested.
            too_big = self.settings.ingest.max_file_mb * _MB
            hashes = {s: sha256_file(p) if p.stat().st_size <= too_big else "" for s, p in paths.items()}
            gone: list[DocumentRecord] = []
            if skipped is not None:
                in_folder = set(paths) | {s.source for s in skipped}
                gone = [r for s, r in records.items() if r.origin == origin and s not in in_folder]
                allowed = self.settings.ingest.max_unasked_removals
                check_removals(root, [r for r in gone if r.status != "skipped"], allowed, prune)
                # Only documents of this origin can be originals: an official document is never
                # skipped because someone uploaded a copy of it first.
                same_origin = {name: r for name, r in records.items() if r.origin == origin}
                skipped = skipped + duplicates(paths, hashes, same_origin, {r.meta.source for r in gone})
                record_skipped(self.index, skipped, records, origin, self.fingerprint, report)
            for record in gone:
                report.chunks_deleted += len(record.chunk_ids)
                report.files_removed += record.status != "skipped"
                self.index.delete_record(record)
                checkpoint("removed file's record and chunks deleted")
                del records[record.meta.source]
            backfill_headings(self.index, records, report)
            backfill_mentions(self.index)
            todo = self._to_parse(paths, hashes, records, incomplete, report)
            tracker.planned(report.files_unchanged + len(todo), report.files_unchanged)
            pending = list(self._parse(todo, root, manifest, origin, report, tracker))
            tracker.parsed(sum(len(p.to_embed) for p in pending))
            window = self.settings.ingest.window_chunks
            WindowedCommit(self.index, self.embedder, window, tracker).run(pending, report, progress)
            clear_staging(self.index, None if skipped is not None else set(paths))
            # Chunk ids are content hashes, so any change to the chunk set changes the fingerprint.
            sync_keyword_index(self.settings, self.index)
            report.seconds = time.perf_counter() - started
            return report

    def _to_parse(
        self,
        paths: dict[str, Path],
        hashes: dict[str, str],
        records: dict[str, DocumentRecord],
        incomplete: set[str],
        report: IngestReport,
    ) -> list[ToParse]:
        """Files not skipped whose record does not match their bytes and this pipeline; a file that
        failed before and has not changed is reported again without being read."""
        todo: list[ToParse] = []
        not_indexed = {s.source for s in report.skipped}
        for source, path in paths.items():
            if source in not_indexed:
                continue
            old = records.get(source)
            if old and old.sha256 == hashes[source] and old.pipeline == self.fingerprint:
                if old.status == "failed":
                    report.failures.append(FileFailure(source, old.error))
                if old.status != "skipped" and source not in incomplete:
                    report.files_unchanged += 1
                    continue
            todo.append((path, source, hashes[source], old))
        return todo

    def _parse(
        self,
        todo: list[ToParse],
        root: Path,
        manifest: dict[str, dict[str, str]],
        origin: str,
        report: IngestReport,
        tracker: IngestProgress,
    ) -> Iterator[Pending]:
        """Load and chunk each file; a file that fails keeps its last good chunks and text under a
        failed record, so it stays searchable and ``stats`` says why it was not updated."""
        limit = self.settings.ingest.max_file_mb
        for path, source, sha, old in tqdm(todo, desc="Đọc văn bản / parsing", unit="file", disable=not todo):
            try:
                size_mb = path.stat().st_size / _MB
                if size_mb > limit:
                    raise DocumentLoadError(
                        source,
                        f"tệp quá lớn ({size_mb:.3g} MB, giới hạn {limit:g} MB; đổi bằng ingest.max_file_mb)",
                        f"file too large ({size_mb:.3g} MB, limit {limit:g} MB; change it with ingest.max_file_mb)",
                    )
                doc = load_document(path, root, manifest)
                chunks = chunk_document(
                    doc,
                    self.embedder.count_tokens,
                    self.settings.chunking.max_tokens,
                    self.settings.chunking.min_tokens,
                )
                if not chunks:
                    raise DocumentLoadError(source, "không có nội dung để lập chỉ mục", "no indexable text")
            except DocumentLoadError as exc:
                logger.warning("ingest failed for %s: %s", source, exc)
                self._record_failure(path, source, sha, old, origin, str(exc), report, tracker)
                continue
            except Exception as exc:  # one bad file must never stop the run
                logger.exception("ingest failed for %s with an unexpected error", source)
                self._record_failure(path, source, sha, old, origin, f"{type(exc).__name__}: {exc}", report, tracker)
                continue
            chunks = list({c.id: c for c in chunks}.values())  # a repeated passage is stored once
            live = self.index.existing_ids([c.id for c in chunks])
            new = [c for c in chunks if c.id not in live]
            staged = self.index.staged_ids([c.id for c in new])
            report.chunks_reused += len(chunks) - len(new)
            report.chunks_resumed += len(staged)
            record = DocumentRecord(
                meta=doc.meta,
                sha256=sha,
                pipeline=self.fingerprint,
                chunk_ids=[c.id for c in chunks],
                origin=origin,
                fmt=doc.fmt,
                headings=heading_tree(doc),
            )
            yield Pending(record, doc.text, chunks, new, [c for c in new if c.id not in staged], old)

    def _record_failure(
        self,
        path: Path,
        source: str,
        sha: str,
        old: DocumentRecord | None,
        origin: str,
        reason: str,
        report: IngestReport,
        tracker: IngestProgress,
    ) -> None:
        report.failures.append(FileFailure(source, reason))
        tracker.committed()  # done with, if not searchable: the count of documents still moves
        failed = DocumentRecord(
            meta=old.meta if old and old.status != "skipped" else DocumentMeta(source=source, title=path.name),
            sha256=sha,
            pipeline=self.fingerprint,
            chunk_ids=old.chunk_ids if old else [],
            status="failed",
            error=reason,
            origin=origin,
            headings=old.headings if old and old.headings is not None else [],
        )
        self.index.put_record(failed, self.index.document_text(source) if old else "")
        checkpoint("failed file recorded")
