"""Data passed between the ingestion stages.

These types are the contract between loaders, the chunker and the index: a loader turns a file
into a ``LoadedDocument`` (clean NFC text plus metadata), the chunker turns that into ``Chunk``s
whose offsets point into exactly that text, and the index stores chunks. Keeping the contract in
one place lets each stage be tested without the others.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import NamedTuple

# Document kinds as users name them; "article" covers news, explainers and seed articles.
DOCUMENT_KINDS = (
    "Quy định",
    "Hướng dẫn",
    "Chỉ thị",
    "Kết luận",
    "Nghị quyết",
    "Quyết định",
    "Điều lệ",
    "Quy chế",
    "Thông báo",
    "article",
)
# The abbreviation printed in a document number ("294-QĐ/TW") -> kind. "QĐ" is shared by Quy định
# and Quyết định; the title settles which, so the table maps it to the far more common Quy định.
KIND_BY_ABBREVIATION = {"QĐ": "Quy định", "HD": "Hướng dẫn", "KL": "Kết luận", "CT": "Chỉ thị", "NQ": "Nghị quyết",
                        "QC": "Quy chế", "TB": "Thông báo"}  # fmt: skip


def year_of(date: str) -> int:
    """Year of an ISO-like date as int (Chroma ``where`` filters need one); 0 when unknown."""
    return int(date[:4]) if date[:4].isdigit() else 0


@dataclass(frozen=True)
class DocumentMeta:
    """What a citation needs to name a document.

    ``source`` is the path relative to the collection root (POSIX separators) and is the
    document's identity everywhere: in the index, in citations and in eval gold data.
    Empty strings mean "not known" so the record stays flat for Chroma metadata.
    """

    source: str
    kind: str = "article"
    number: str = ""
    issuer: str = ""
    date: str = ""  # ISO YYYY-MM-DD, or YYYY-MM / YYYY when that is all the text gives
    title: str = ""

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


@dataclass
class LoadedDocument:
    """A parsed file: clean text that every chunk offset refers to."""

    meta: DocumentMeta
    text: str
    fmt: str  # "pdf" | "markdown" | "text" | "html" | "docx"


@dataclass(frozen=True)
class Chunk:
    """A passage along the document's own structure.

    Invariant: ``text == document.text[start:end]``, so a citation can always be shown in its
    context and highlighted.
    """

    id: str  # stable content hash: same source, section and text give the same id
    source: str
    section: str  # heading path, e.g. "3. Điều 4 > 3.5. Về kết nạp lại > 3.5.1."
    text: str
    start: int
    end: int
    ordinal: int  # position of the chunk within its document


class HeadingNode(NamedTuple):
    """One node of a document's heading tree: a heading line and its body up to the next heading.

    ``path`` is the chunker's labels from the root (what a chunk's ``section`` joins), so an outline
    built from nodes and the citations of chunks agree on the numbering; ``[start, end)`` is the
    node's span in the document text. The untitled preamble's path is the document title.
    """

    path: tuple[str, ...]
    start: int
    end: int


@dataclass
class FileFailure:
    """A file that could not be ingested, with the reason shown to the user."""

    source: str
    reason: str


@dataclass
class IngestReport:
    """What one ingest run did; printed by the CLI and kept for ``stats``."""

    files_seen: int = 0
    files_unchanged: int = 0
    files_updated: int = 0
    files_removed: int = 0
    chunks_embedded: int = 0
    chunks_reused: int = 0
    chunks_deleted: int = 0
    # Work an interrupted run left behind: chunks embedded but not committed, reused here...
    chunks_resumed: int = 0
    # ...and chunks no record owns (superseded or of a file gone since), removed at the start.
    chunks_healed: int = 0
    # Records stored before ingest kept heading trees, given theirs from their stored text.
    headings_backfilled: int = 0
    seconds: float = 0.0
    failures: list[FileFailure] = field(default_factory=list)
    # Files in the folder that are not indexed on purpose (unsupported, duplicate, link leaving the
    # folder...), with the reason: every file is accounted for.
    skipped: list[FileFailure] = field(default_factory=list)
