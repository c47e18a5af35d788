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
that run's freshly promoted chunks.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import time
import unicodedata
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import numpy as np
from tqdm import tqdm

from ingest.chunker import chunk_document
from ingest.embedder import Embedder
from ingest.faults import checkpoint
from ingest.hashing import sha256_file
from ingest.index import ChunkIndex, DocumentRecord
from ingest.keyword_index import remove_stale_temp_dirs
from ingest.keyword_sync import sync_keyword_index
from ingest.loaders import SUPPORTED_SUFFIXES, DocumentLoadError, load_document, unsupported_reason
from ingest.metadata import read_manifest
from ingest.types import Chunk, DocumentMeta, FileFailure, IngestReport, LoadedDocument
from ingest.vitokens import segment_many
from settings import Settings

# Bump when loaders or the chunker change behaviour, so every file is re-chunked once
# (re-embedding stays limited to chunks whose text actually changed).
# 2: garbled text is refused and sources are NFC, so files indexed before must be looked at again.
PIPELINE_VERSION = "2"
NOT_DOCUMENTS = frozenset({"README.md", "MANIFEST.tsv"})  # the collection's own descriptions
PROGRESS_SLICE = 64  # chunks per embedding call, so progress (and ETA) updates every few seconds
LOCK_FILE = "ingest.lock"
_MB = 1_000_000


class IngestLockedError(RuntimeError):
    """Another ingest is writing this index."""


class PruneRefusedError(RuntimeError):
    """The run would remove more documents than it may without being asked."""


def pipeline_fingerprint(settings: Settings) -> str:
    spec = {"v": PIPELINE_VERSION, "chunking": settings.chunking.model_dump()}
    return hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()[:16]


def source_of(path: Path, root: Path) -> str:
    """A document's identity: its path under ``root``, POSIX separators, NFC.

    A name written in NFD (macOS, some zip tools) would otherwise keep an id that misses its NFC
    MANIFEST row and that no citation typed by a user matches.
    """
    return unicodedata.normalize("NFC", path.relative_to(root).as_posix())


def scan_collection(root: Path) -> tuple[list[Path], list[FileFailure]]:
    """Every entry under ``root``: the documents to index, and the rest with why each is skipped.

    Links are judged, never followed out of the folder: a file link is read only when its target is
    inside ``root``; a folder link is never entered (its target is either outside, or inside and so
    already walked at its own path, or an ancestor, which would loop).
    """
    files: list[Path] = []
    skipped: list[FileFailure] = []
    taken: dict[str, str] = {}  # NFC source -> the name on disk that claimed it
    real_root = root.resolve()  # link targets are resolved, so they are compared with this
    for directory, folders, names in os.walk(root):  # followlinks=False: linked folders are not entered
        here = Path(directory)
        for name in sorted(folders):
            reason = _folder_skip_reason(here / name, real_root)
            if reason:
                skipped.append(FileFailure(source_of(here / name, root), reason))
                folders.remove(name)
        for name in sorted(names):
            path = here / name
            source = source_of(path, root)
            reason = _file_skip_reason(path, root, real_root)
            if reason is None and source in taken:
                reason = _bilingual(
                    f"trùng tên với '{taken[source]}' sau chuẩn hóa Unicode (NFC)",
                    f"same name as '{taken[source]}' after Unicode (NFC) normalisation",
                )
            if reason:
                skipped.append(FileFailure(source, reason))
            else:
                taken[source] = path.relative_to(root).as_posix()
                files.append(path)
    return sorted(files), sorted(skipped, key=lambda s: s.source)


def collection_files(root: Path) -> list[Path]:
    """Documents under ``root``: supported types, minus the collection's README/MANIFEST."""
    return scan_collection(root)[0]


def _bilingual(vi: str, en: str) -> str:
    return f"{vi} / {en}"


def _folder_skip_reason(folder: Path, real_root: Path) -> str | None:
    if folder.is_symlink():
        return _link_reason(folder, real_root) or _bilingual(
            "liên kết tới thư mục đã có trong bộ văn bản; tệp được nạp tại đường dẫn gốc",
            "link to a folder already in the collection; its files are indexed at their own paths",
        )
    if folder.name.startswith("."):
        return _bilingual("thư mục ẩn, không đọc", "hidden folder, not read")
    return None


def _file_skip_reason(path: Path, root: Path, real_root: Path) -> str | None:
    if path.name.startswith("."):
        return _bilingual("tệp ẩn", "hidden file")
    if path.is_symlink() and (reason := _link_reason(path, real_root)):
        return reason
    if path.parent == root and path.name in NOT_DOCUMENTS:
        return _bilingual("tệp mô tả của bộ văn bản", "the collection's own description")
    if path.suffix.lower() not in SUPPORTED_SUFFIXES:
        return _bilingual(*unsupported_reason(path.suffix.lower()))
    return None


def _link_reason(link: Path, real_root: Path) -> str | None:
    """Why a link must not be followed; None for a link to a file inside the collection."""
    try:
        target = link.resolve(strict=True)
    except RuntimeError:  # Python 3.11 reports a link cycle this way
        return _bilingual("vòng lặp liên kết tượng trưng", "symlink loop")
    except OSError:
        return _bilingual("liên kết hỏng: đích không tồn tại", "broken link: its target does not exist")
    if not target.is_relative_to(real_root):
        return _bilingual(
            "liên kết trỏ ra ngoài thư mục bộ văn bản, không theo", "link leaves the collection folder, not followed"
        )
    if target.is_dir() and link.parent.resolve().is_relative_to(target):
        return _bilingual("vòng lặp liên kết tượng trưng", "symlink loop")
    return None


@contextmanager
def ingest_lock(data_dir: Path) -> Iterator[None]:
    """Hold the data folder's ingest lock for the run; the OS drops it if the process dies."""
    data_dir.mkdir(parents=True, exist_ok=True)
    with (data_dir / LOCK_FILE).open("w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise IngestLockedError(
                _bilingual(
                    f"một lần nạp khác đang ghi chỉ mục {data_dir}; hãy chờ nó xong",
                    f"another ingest is writing the index in {data_dir}; wait for it to finish",
                )
            ) from None
        yield


@dataclass
class _Pending:
    """A parsed file waiting for its new chunks to be embedded and committed."""

    doc: LoadedDocument
    sha256: str  # of the file's bytes, as hashed for the fast-path check
    chunks: list[Chunk]
    new: list[Chunk]  # not in the searched collection yet
    to_embed: list[Chunk]  # of ``new``, those an interrupted run did not already stage
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
        self,
        root: Path,
        origin: str = "collection",
        progress: Callable[[str, float], None] | None = None,
        prune: bool = False,
    ) -> IngestReport:
        """Sync the index with ``root``: add new files, replace changed ones, drop removed ones.

        Only records of the same ``origin`` are dropped, so syncing the collection never deletes
        documents users uploaded. Dropping more than ``ingest.max_unasked_removals`` documents needs
        ``prune``: ingesting the wrong folder must not silently empty the index.
        """
        started = time.perf_counter()
        root = root.resolve()
        if not root.is_dir():
            raise FileNotFoundError(f"Không tìm thấy thư mục văn bản / Collection folder not found: {root}")
        files, skipped = scan_collection(root)
        return self._ingest(root, files, origin, started, progress, skipped=skipped, prune=prune)

    def ingest_files(
        self, root: Path, files: list[Path], origin: str, progress: Callable[[str, float], None] | None = None
    ) -> IngestReport:
        """Add or replace the given files (uploads), leaving every other document alone."""
        return self._ingest(root.resolve(), files, origin, time.perf_counter(), progress, skipped=None, prune=False)

    def _ingest(
        self,
        root: Path,
        files: list[Path],
        origin: str,
        started: float,
        progress: Callable[[str, float], None] | None,
        skipped: list[FileFailure] | None,
        prune: bool,
    ) -> IngestReport:
        """``skipped`` is None for a list of files (nothing else is in scope); a folder run passes
        what ``scan_collection`` skipped, and may then remove and deduplicate."""
        with ingest_lock(self.settings.data_dir):
            report = IngestReport(files_seen=len(files))
            records = self.index.records()
            incomplete = self._reconcile(records, report)
            manifest = {unicodedata.normalize("NFC", k): v for k, v in read_manifest(root).items()}
            paths = {source_of(path, root): path for path in files}
            # A file over the size limit is not even hashed: its failure record keeps an empty hash,
            # so it is reported from the record until the limit is raised, and then ingested.
            too_big = self.settings.ingest.max_file_mb * _MB
            hashes = {s: sha256_file(p) if p.stat().st_size <= too_big else "" for s, p in paths.items()}
            gone: list[DocumentRecord] = []
            if skipped is not None:
                in_folder = set(paths) | {s.source for s in skipped}
                gone = [r for s, r in records.items() if r.origin == origin and s not in in_folder]
                self._check_removals(root, [r for r in gone if r.status != "skipped"], prune)
                # Only documents of this origin can be originals: an official document is never
                # skipped because someone uploaded a copy of it first.
                same_origin = {name: r for name, r in records.items() if r.origin == origin}
                skipped = skipped + self._duplicates(paths, hashes, same_origin, {r.meta.source for r in gone})
                self._record_skipped(skipped, records, origin, report)
            todo = self._to_parse(paths, hashes, records, incomplete, report)
            for record in gone:
                report.chunks_deleted += len(record.chunk_ids)
                report.files_removed += record.status != "skipped"
                self.index.delete_record(record)
                checkpoint("removed file's record and chunks deleted")
            pending = list(self._parse(todo, root, manifest, origin, report))
            self._embed_and_commit(pending, report, progress)
            self._clear_staging(None if skipped is not None else set(paths))
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
    ) -> list[tuple[Path, str, str, DocumentRecord | None]]:
        """Files not skipped whose record does not match their bytes and this pipeline; a file that
        failed before and has not changed is reported again without being read."""
        todo: list[tuple[Path, str, str, DocumentRecord | None]] = []
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

    def _reconcile(self, records: dict[str, DocumentRecord], report: IngestReport) -> set[str]:
        """Heal what a crash between two writes left: remove chunks no record lists and the keyword
        index's temp folders; return the documents whose listed chunks are not all there, which are
        then re-ingested whatever their hash says."""
        remove_stale_temp_dirs(self.settings.keyword_path)
        live = set(self.index.all_chunks(include=())["ids"])
        owned = {chunk_id for record in records.values() for chunk_id in record.chunk_ids}
        ownerless = live - owned
        if ownerless:
            self.index.delete_chunks(ownerless)
            checkpoint("ownerless chunks removed")
        report.chunks_healed = len(ownerless)
        return {s for s, r in records.items() if r.status == "ok" and not set(r.chunk_ids) <= live}

    def _check_removals(self, root: Path, gone: list[DocumentRecord], prune: bool) -> None:
        """Refuse, before any write, a run that would drop many documents nobody asked to drop."""
        if prune or len(gone) <= self.settings.ingest.max_unasked_removals:
            return
        names = ", ".join(r.meta.source for r in gone[:10]) + (f", … (+{len(gone) - 10})" if len(gone) > 10 else "")
        raise PruneRefusedError(
            _bilingual(
                f"Dừng lại, chưa thay đổi gì: nạp {root} sẽ xóa {len(gone)} văn bản khỏi chỉ mục vì tệp của "
                f"chúng không có trong thư mục đó ({names}). Nếu đúng là muốn xóa, chạy lại với --prune.",
                f"Stopped, nothing changed: ingesting {root} would remove {len(gone)} documents from the index "
                "because their files are not in that folder (listed above). If that is intended, run again with "
                "--prune.",
            )
        )

    def _duplicates(
        self, paths: dict[str, Path], hashes: dict[str, str], records: dict[str, DocumentRecord], gone: set[str]
    ) -> list[FileFailure]:
        """Files whose bytes another document already has: indexing them would cite one passage twice.

        The document already indexed keeps its place, then the first path in sorted order, so the
        choice is stable from run to run. Empty and oversized files are left to fail on their own.
        """
        first: dict[str, str] = {}
        for source, record in sorted(records.items()):
            staying = source not in gone and (source not in paths or record.sha256 == hashes[source])
            if record.status == "ok" and staying:
                first.setdefault(record.sha256, source)
        duplicates = []
        for source in sorted(paths):
            if not hashes[source] or paths[source].stat().st_size == 0:
                continue
            original = first.setdefault(hashes[source], source)
            if original != source:
                duplicates.append(
                    FileFailure(
                        source,
                        _bilingual(
                            f"nội dung trùng với '{original}', không nạp hai lần",
                            f"duplicate of '{original}', not indexed twice",
                        ),
                    )
                )
        return duplicates

    def _record_skipped(
        self, skipped: list[FileFailure], records: dict[str, DocumentRecord], origin: str, report: IngestReport
    ) -> None:
        """Keep each skipped file in the index as a chunkless record, so ``stats`` accounts for it."""
        for item in skipped:
            report.skipped.append(item)
            old = records.get(item.source)
            if old and old.status == "skipped" and old.error == item.reason:
                continue
            record = DocumentRecord(
                meta=DocumentMeta(source=item.source, title=PurePosixPath(item.source).name),
                sha256="",
                pipeline=self.fingerprint,
                status="skipped",
                error=item.reason,
                origin=origin,
            )
            self.index.put_record(record, "")
            checkpoint("skipped file recorded")
            if old and old.chunk_ids:  # e.g. a document that has become a duplicate
                report.chunks_deleted += len(old.chunk_ids)
                self.index.delete_chunks(old.chunk_ids)
                checkpoint("chunks of a now skipped file deleted")

    def _parse(
        self,
        todo: list[tuple[Path, str, str, DocumentRecord | None]],
        root: Path,
        manifest: dict[str, dict[str, str]],
        origin: str,
        report: IngestReport,
    ) -> Iterator[_Pending]:
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
            except Exception as exc:  # one bad file must never stop the run
                reason = str(exc) if isinstance(exc, DocumentLoadError) else f"{type(exc).__name__}: {exc}"
                report.failures.append(FileFailure(source, reason))
                failed = DocumentRecord(
                    meta=old.meta if old and old.status != "skipped" else DocumentMeta(source=source, title=path.name),
                    sha256=sha,
                    pipeline=self.fingerprint,
                    chunk_ids=old.chunk_ids if old else [],
                    status="failed",
                    error=reason,
                    origin=origin,
                )
                self.index.put_record(failed, self.index.document_text(source) if old else "")
                checkpoint("failed file recorded")
                continue
            chunks = list({c.id: c for c in chunks}.values())  # a repeated passage is stored once
            live = self.index.existing_ids([c.id for c in chunks])
            new = [c for c in chunks if c.id not in live]
            staged = self.index.staged_ids([c.id for c in new])
            report.chunks_reused += len(chunks) - len(new)
            report.chunks_resumed += len(staged)
            yield _Pending(doc, sha, chunks, new, [c for c in new if c.id not in staged], old, origin)

    def _embed_and_commit(
        self,
        pending: list[_Pending],
        report: IngestReport,
        progress: Callable[[str, float], None] | None,
    ) -> None:
        """Embed in windows that may split a large file; commit each file once its last window is in."""
        total = sum(len(p.to_embed) for p in pending)
        bar = tqdm(total=total, desc="Nhúng / embedding", unit="chunk", disable=total == 0)
        bar.set_postfix_str(f"files 0/{len(pending)}")
        window: list[tuple[_Pending, Chunk]] = []
        ready: list[_Pending] = []  # files whose every chunk is staged or in ``window``
        for item in pending:
            for chunk in item.to_embed:
                window.append((item, chunk))
                if len(window) >= self.settings.ingest.window_chunks:
                    self._stage_window(window, bar, progress)
                    self._commit(ready, report, bar, len(pending))
                    window, ready = [], []
            ready.append(item)
        self._stage_window(window, bar, progress)
        self._commit(ready, report, bar, len(pending))
        bar.close()

    def _stage_window(
        self,
        window: list[tuple[_Pending, Chunk]],
        bar: tqdm,
        progress: Callable[[str, float], None] | None,
    ) -> None:
        """Embed one window and keep it in staging: after this, a crash costs no embedding."""
        if not window:
            return
        checkpoint("window about to be embedded")
        chunks = [chunk for _, chunk in window]
        vectors = self._embed(chunks, [item.doc.meta.title for item, _ in window], bar)
        tokens = [" ".join(t) for t in segment_many([c.text for c in chunks])]
        by_file: dict[int, list[int]] = {}
        for position, (item, _) in enumerate(window):
            by_file.setdefault(id(item), []).append(position)
        for positions in by_file.values():
            item = window[positions[0]][0]
            self.index.stage_chunks(
                [chunks[i] for i in positions], vectors[positions], item.doc.meta, [tokens[i] for i in positions]
            )
        checkpoint("window staged")
        if progress:
            progress(f"{bar.n}/{bar.total} chunks", bar.n / max(bar.total, 1))

    def _embed(self, chunks: list[Chunk], titles: list[str], bar: tqdm) -> np.ndarray:
        """Embed in length-sorted slices so similar lengths share a batch and the bar moves often."""
        order = sorted(range(len(chunks)), key=lambda i: len(chunks[i].text))
        vectors = np.zeros((len(chunks), 0), dtype=np.float32)
        for start in range(0, len(order), PROGRESS_SLICE):
            picked = order[start : start + PROGRESS_SLICE]
            part = self.embedder.embed_passages([chunks[i].text for i in picked], [titles[i] for i in picked])
            if vectors.shape[1] == 0:
                vectors = np.zeros((len(chunks), part.shape[1]), dtype=np.float32)
            vectors[picked] = part
            bar.update(len(picked))
        return vectors

    def _commit(self, ready: list[_Pending], report: IngestReport, bar: tqdm, files: int) -> None:
        for item in ready:
            self._switch_record(item)
            report.files_updated += 1
            report.chunks_embedded += len(item.to_embed)
        bar.set_postfix_str(f"files {report.files_updated}/{files}")

    def _switch_record(self, item: _Pending) -> None:
        """Promote, switch, delete superseded, unstage: a crash after any step is healed by the next
        run's reconcile, and the staged vectors survive until the switch is complete."""
        ids = [c.id for c in item.chunks]
        self.index.promote(item.new, item.doc.meta)
        checkpoint("chunks promoted, record not yet switched")
        record = DocumentRecord(
            meta=item.doc.meta,
            sha256=item.sha256,
            pipeline=self.fingerprint,
            chunk_ids=ids,
            origin=item.origin,
            fmt=item.doc.fmt,
        )
        self.index.put_record(record, item.doc.text)
        checkpoint("record switched, superseded chunks not yet deleted")
        if item.old:
            self.index.delete_chunks(set(item.old.chunk_ids) - set(ids))
            checkpoint("superseded chunks deleted, staging not yet cleared")
        self.index.unstage([c.id for c in item.new])

    def _clear_staging(self, sources: set[str] | None) -> None:
        """Drop what is still staged after the run (``sources`` only, when given): chunks of files
        that changed again or disappeared since an interrupted run staged them."""
        staged = self.index.staged_sources()
        self.index.unstage([i for i, source in staged.items() if sources is None or source in sources])
