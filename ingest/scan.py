"""Every entry of a collection folder accounted for: the documents to index, and the rest skipped
with a reason.

Kept apart from the pipeline because it decides *which* files a run is about, before anything is
parsed or embedded, and because its rules are about the file system and the records rather than
the text: hidden entries, unsupported types, links that leave the folder or loop, names equal after
NFC, files whose bytes another document already has, and how many documents a run may drop without
being asked. Skipped files are kept as chunkless records so ``stats`` lists each with its reason.
"""

from __future__ import annotations

import logging
import os
import unicodedata
from collections.abc import Mapping
from pathlib import Path, PurePosixPath

from ingest.faults import checkpoint
from ingest.index import ChunkIndex, DocumentRecord
from ingest.loaders import SUPPORTED_SUFFIXES, unsupported_reason
from ingest.types import DocumentMeta, FileFailure, IngestReport

logger = logging.getLogger(__name__)

NOT_DOCUMENTS = frozenset({"README.md", "MANIFEST.tsv"})  # the collection's own descriptions
OFFICIAL = "official"  # the manifest's kind, and the folder, of regulations, guidances, conclusions


class PruneRefusedError(RuntimeError):
    """The run would remove more documents than it may without being asked."""


def bilingual(vi: str, en: str) -> str:
    """A user-facing ingest message: Vietnamese first, then English."""
    return f"{vi} / {en}"


def source_of(path: Path, root: Path) -> str:
    """A document's identity: its path under ``root``, POSIX separators, NFC.

    A name written in NFD (macOS, some zip tools) would otherwise keep an id that misses its NFC
    MANIFEST row and that no citation typed by a user matches.
    """
    return unicodedata.normalize("NFC", path.relative_to(root).as_posix())


def indexing_order(paths: Mapping[str, Path], manifest: Mapping[str, Mapping[str, str]]) -> dict[str, Path]:
    """``paths`` in the order a run indexes them: official documents (``kind`` official in the
    manifest, or under ``official/``) before articles, each group in the manifest's own order (its
    curator lists what matters first, QĐ 294 at the head), files it does not list after, by path.
    While ``serve`` indexes in the background, what staff ask about most is answerable first."""
    rank = {source: position for position, source in enumerate(manifest)}

    def key(source: str) -> tuple[bool, int, str]:
        official = manifest.get(source, {}).get("kind") == OFFICIAL or source.startswith(f"{OFFICIAL}/")
        return not official, rank.get(source, len(rank)), source

    return {source: paths[source] for source in sorted(paths, key=key)}


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
                reason = bilingual(
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


def _folder_skip_reason(folder: Path, real_root: Path) -> str | None:
    if folder.is_symlink():
        return _link_reason(folder, real_root) or bilingual(
            "liên kết tới thư mục đã có trong bộ văn bản; tệp được nạp tại đường dẫn gốc",
            "link to a folder already in the collection; its files are indexed at their own paths",
        )
    if folder.name.startswith("."):
        return bilingual("thư mục ẩn, không đọc", "hidden folder, not read")
    return None


def _file_skip_reason(path: Path, root: Path, real_root: Path) -> str | None:
    if path.name.startswith("."):
        return bilingual("tệp ẩn", "hidden file")
    if path.is_symlink() and (reason := _link_reason(path, real_root)):
        return reason
    if path.parent == root and path.name in NOT_DOCUMENTS:
        return bilingual("tệp mô tả của bộ văn bản", "the collection's own description")
    if path.suffix.lower() not in SUPPORTED_SUFFIXES:
        return bilingual(*unsupported_reason(path.suffix.lower()))
    return None


def _link_reason(link: Path, real_root: Path) -> str | None:
    """Why a link must not be followed; None for a link to a file inside the collection."""
    try:
        target = link.resolve(strict=True)
    except RuntimeError:  # Python 3.11 reports a link cycle this way
        return bilingual("vòng lặp liên kết tượng trưng", "symlink loop")
    except OSError:
        return bilingual("liên kết hỏng: đích không tồn tại", "broken link: its target does not exist")
    if not target.is_relative_to(real_root):
        return bilingual(
            "liên kết trỏ ra ngoài thư mục bộ văn bản, không theo", "link leaves the collection folder, not followed"
        )
    if target.is_dir() and link.parent.resolve().is_relative_to(target):
        return bilingual("vòng lặp liên kết tượng trưng", "symlink loop")
    return None


def check_removals(root: Path, gone: list[DocumentRecord], allowed: int, prune: bool) -> None:
    """Refuse, before any write, a run that would drop more than ``allowed`` documents nobody asked
    to drop: ingesting the wrong folder must not silently empty the index."""
    if prune or len(gone) <= allowed:
        return
    names = ", ".join(r.meta.source for r in gone[:10]) + (f", … (+{len(gone) - 10})" if len(gone) > 10 else "")
    logger.warning("ingest of %s refused: it would remove %d documents (%s)", root, len(gone), names)
    raise PruneRefusedError(
        bilingual(
            f"Dừng lại, chưa thay đổi gì: nạp {root} sẽ xóa {len(gone)} văn bản khỏi chỉ mục vì tệp của "
            f"chúng không có trong thư mục đó ({names}). Nếu đúng là muốn xóa, chạy lại với --prune.",
            f"Stopped, nothing changed: ingesting {root} would remove {len(gone)} documents from the index "
            "because their files are not in that folder (listed above). If that is intended, run again with "
            "--prune.",
        )
    )


def duplicates(
    paths: dict[str, Path], hashes: dict[str, str], records: dict[str, DocumentRecord], gone: set[str]
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
    found = []
    for source in sorted(paths):
        if not hashes[source] or paths[source].stat().st_size == 0:
            continue
        original = first.setdefault(hashes[source], source)
        if original != source:
            found.append(
                FileFailure(
                    source,
                    bilingual(
                        f"nội dung trùng với '{original}', không nạp hai lần",
                        f"duplicate of '{original}', not indexed twice",
                    ),
                )
            )
    return found


def record_skipped(
    index: ChunkIndex,
    skipped: list[FileFailure],
    records: dict[str, DocumentRecord],
    origin: str,
    fingerprint: str,
    report: IngestReport,
) -> None:
    """Keep each skipped file in the index as a chunkless record, so ``stats`` accounts for it."""
    for item in skipped:
        report.skipped.append(item)
        old = records.get(item.source)
        if old and old.status == "skipped" and old.error == item.reason:
            continue
        logger.info("skipped %s: %s", item.source, item.reason)
        record = DocumentRecord(
            meta=DocumentMeta(source=item.source, title=PurePosixPath(item.source).name),
            sha256="",
            pipeline=fingerprint,
            status="skipped",
            error=item.reason,
            origin=origin,
            headings=[],
        )
        index.put_record(record, "")
        checkpoint("skipped file recorded")
        if old and old.chunk_ids:  # e.g. a document that has become a duplicate
            report.chunks_deleted += len(old.chunk_ids)
            index.delete_chunks(old.chunk_ids)
            checkpoint("chunks of a now skipped file deleted")
