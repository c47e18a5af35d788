"""Uploads as a service: vet files, store them in ``<data_dir>/uploads``, ingest them, undo failures.

The UI and ``app.py ingest FILE…`` both call ``ingest_uploads``, so a file is judged by the same
rules wherever it comes from: a supported type, within ``ingest.max_file_mb``, not a copy of an
indexed document or of another file in the batch, not named like a collection document, and
parseable. Refused files are never copied. An accepted file that the pipeline then rejects (or
that an unexpected error leaves unindexed) is rolled back: its copy and its failed record are
removed, and an earlier upload it was replacing gets its file and record back, so a bad upload
changes nothing. Every outcome goes to the log (``assistant.logs``): refusals and rollbacks at
INFO, since the caller shows them to the user anyway, and an unexpected error with its traceback.

What a caller must check first is where a file came from: this service ingests any path it is
given. The UI passes only files its upload route wrote (``Callbacks.was_uploaded``); the CLI
passes what its user named, who can read those files anyway.
"""

from __future__ import annotations

import logging
import shutil
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ingest.embedder import Embedder
from ingest.hashing import sha256_file
from ingest.index import ChunkIndex, DocumentRecord
from ingest.loaders import SUPPORTED_SUFFIXES, DocumentLoadError, load_document
from ingest.pipeline import IngestLockedError, Ingestor
from ingest.service import open_index
from ingest.types import IngestReport
from settings import Settings

logger = logging.getLogger(__name__)

ORIGIN = "upload"

# Why a file is refused: (Vietnamese, English), always shown together, because the same words go
# to the log and to whoever administers the collection, whatever language the page is in.
REFUSALS: dict[str, tuple[str, str]] = {
    "missing": (
        "{name}: không phải tệp hoặc không tồn tại",
        "{name}: not a file, or it does not exist",
    ),
    "unsupported": (
        "{name}: định dạng không được hỗ trợ (chỉ nhận {suffixes})",
        "{name}: unsupported file type (accepted: {suffixes})",
    ),
    "too_large": (
        "{name}: tệp {size:.1f} MB vượt giới hạn {limit:g} MB",
        "{name}: file of {size:.1f} MB exceeds the {limit:g} MB limit",
    ),
    "duplicate": (
        "{name}: trùng nội dung với văn bản đã có “{existing}”, không nạp lại",
        "{name}: same content as the indexed document “{existing}”, not ingested again",
    ),
    "same_name": (
        "{name}: một tệp khác cùng tên đã có trong lần nạp này",
        "{name}: another file of this batch has the same name",
    ),
    "name_taken": (
        "{name}: tên tệp trùng với một văn bản của bộ văn bản gốc; hãy đổi tên tệp",
        "{name}: a collection document already has this name; rename the file",
    ),
    "failed": (
        "{name}: không nạp được, bộ văn bản giữ nguyên",
        "{name}: could not be ingested, the collection is unchanged",
    ),
    "unexpected": (
        "lỗi không mong đợi, chi tiết trong nhật ký",
        "unexpected error, details in the log",
    ),
}


def refusal(key: str, **fields: object) -> str:
    """A refusal in both languages, Vietnamese first."""
    vi, en = REFUSALS[key]
    return f"{vi.format(**fields)} / {en.format(**fields)}"


@dataclass(frozen=True)
class UploadOutcome:
    """One file's fate. ``name`` is the NFC file name, which is the document's source once indexed."""

    name: str
    accepted: bool
    reason: str = ""  # bilingual and naming the file, when refused
    chunks: int = 0  # passages indexed, when accepted


@dataclass
class UploadReport:
    """Every file's outcome in the order given, and the pipeline's report (None if no file got there)."""

    outcomes: list[UploadOutcome] = field(default_factory=list)
    ingest: IngestReport | None = None

    @property
    def accepted(self) -> list[UploadOutcome]:
        return [o for o in self.outcomes if o.accepted]

    @property
    def refused(self) -> list[UploadOutcome]:
        return [o for o in self.outcomes if not o.accepted]


def ingest_uploads(
    settings: Settings,
    files: Sequence[Path],
    embedder: Embedder | None = None,
    index: ChunkIndex | None = None,
    progress: Callable[[str, float], None] | None = None,
) -> UploadReport:
    """Vet ``files``, copy the accepted ones into the uploads area and index them as uploads.

    Pass ``embedder`` and ``index`` together to use the caller's (the UI's, whose searches must see
    the result); otherwise they are opened here. ``progress`` gets the pipeline's embedding
    progress (a label and the fraction done).
    """
    if not files:
        return UploadReport()
    if embedder is None or index is None:
        embedder, index = open_index(settings, embedder)
    outcomes: dict[int, UploadOutcome] = {}
    accepted: dict[int, Path] = {}
    vetting = _Vetting(settings, index.records())
    for position, path in enumerate(files):
        name = unicodedata.normalize("NFC", path.name)
        problem = vetting.problem(path, name)
        if problem:
            logger.info("upload refused: %s", problem)
            outcomes[position] = UploadOutcome(name, False, problem)
        else:
            accepted[position] = path
    report = None
    if accepted:
        report, stored = _store_and_ingest(settings, embedder, index, list(accepted.values()), progress)
        outcomes.update(zip(accepted, stored, strict=True))
    return UploadReport([outcomes[position] for position in range(len(files))], report)


class _Vetting:
    """The checks a file passes before anything is copied; remembers the batch for its duplicates."""

    def __init__(self, settings: Settings, records: dict[str, DocumentRecord]) -> None:
        self.limit_mb = settings.ingest.max_file_mb  # one limit for uploads and ingest: over it, ingest would fail
        self.records = records
        self.indexed = {r.sha256: r for r in records.values() if r.status == "ok"}
        self.batch_hashes: dict[str, str] = {}  # sha256 -> name of the accepted file that has it
        self.batch_names: set[str] = set()

    def problem(self, path: Path, name: str) -> str | None:
        """Why ``path`` must not be ingested (bilingual), or None; parses it so broken files stop here."""
        if not path.is_file():
            return refusal("missing", name=name)
        if path.suffix.lower() not in SUPPORTED_SUFFIXES:
            return refusal("unsupported", name=name, suffixes=", ".join(sorted(SUPPORTED_SUFFIXES)))
        size_mb = path.stat().st_size / 1_000_000
        if size_mb > self.limit_mb:
            return refusal("too_large", name=name, size=size_mb, limit=self.limit_mb)
        sha = sha256_file(path)
        if sha in self.batch_hashes:
            return refusal("duplicate", name=name, existing=self.batch_hashes[sha])
        if sha in self.indexed:
            same = self.indexed[sha].meta
            return refusal("duplicate", name=name, existing=same.title or same.source)
        if name in self.batch_names:
            return refusal("same_name", name=name)
        if name in self.records and self.records[name].origin != ORIGIN:
            return refusal("name_taken", name=name)
        try:
            load_document(path, path.parent)
        except DocumentLoadError as error:
            return str(error)
        self.batch_hashes[sha] = name
        self.batch_names.add(name)
        return None


def _store_and_ingest(
    settings: Settings,
    embedder: Embedder,
    index: ChunkIndex,
    files: list[Path],
    progress: Callable[[str, float], None] | None,
) -> tuple[IngestReport | None, list[UploadOutcome]]:
    """Copy vetted files into the uploads area and index them; roll back every file not indexed."""
    root = settings.uploads_path
    root.mkdir(parents=True, exist_ok=True)
    targets = [root / unicodedata.normalize("NFC", f.name) for f in files]
    before = index.records()
    # An upload may replace an earlier one of the same name; keep that one's bytes to put back.
    replaced = {t.name: t.read_bytes() for t in targets if _is_good_upload(before.get(t.name)) and t.is_file()}
    for source, target in zip(files, targets, strict=True):
        shutil.copyfile(source, target)
    names = [t.name for t in targets]
    report: IngestReport | None = None
    reasons: dict[str, str] = {}
    try:
        report = Ingestor(settings, embedder, index).ingest_files(root, targets, origin=ORIGIN, progress=progress)
        reasons = {f.source: f"{refusal('failed', name=f.source)} ({f.reason})" for f in report.failures}
    except IngestLockedError as error:  # another run wrote for longer than ingest.lock_wait_s: nothing written here
        reasons = {name: f"{refusal('failed', name=name)} ({error})" for name in names}
    except Exception:  # e.g. out of memory mid-way: what was committed stays, the rest is undone
        logger.exception("upload of %s failed", ", ".join(names))
        unexpected = refusal("unexpected")
        reasons = {name: f"{refusal('failed', name=name)} ({unexpected})" for name in names}
    after = index.records()
    outcomes: list[UploadOutcome] = []
    for name in names:
        if _is_new(after.get(name), before.get(name)):
            logger.info("upload ingested: %s (%d chunks)", name, len(after[name].chunk_ids))
            outcomes.append(UploadOutcome(name, True, chunks=len(after[name].chunk_ids)))
            continue
        reason = reasons.get(name, refusal("failed", name=name))
        logger.info("upload rolled back: %s", reason)
        _roll_back(settings, index, name, before.get(name), after.get(name), replaced.get(name))
        outcomes.append(UploadOutcome(name, False, reason))
    return report, outcomes


def _is_good_upload(record: DocumentRecord | None) -> bool:
    return record is not None and record.status == "ok" and record.origin == ORIGIN


def _is_new(record: DocumentRecord | None, old: DocumentRecord | None) -> bool:
    """Whether ``record`` is a version this run committed: indexed, and not the one there before."""
    return record is not None and record.status == "ok" and record != old


def _roll_back(
    settings: Settings,
    index: ChunkIndex,
    name: str,
    old: DocumentRecord | None,
    now: DocumentRecord | None,
    previous_bytes: bytes | None,
) -> None:
    """Leave ``name`` as it was before this upload: the earlier upload back, or nothing at all.

    A failed parse records the failure but keeps the earlier version's chunks and text, so putting
    its record back restores it whole.
    """
    target = settings.uploads_path / name
    if _is_good_upload(old):
        if previous_bytes is not None:
            target.write_bytes(previous_bytes)
        if now is not None and now != old:  # the failed record kept the earlier version's text and chunks
            index.put_record(old, index.document_text(name))
        return
    target.unlink(missing_ok=True)
    if now is not None and now.status == "failed":
        index.delete_record(now)
