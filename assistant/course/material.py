"""The material a course is cut from: a chosen document with its stored chunks and heading tree, and
the citable sentences under the lesson's outline.

Every later step quotes these sentences and cites the stored chunk each one lies in, so the mapping
from document offsets to chunks, headings and sentences is kept in one place: selection and the
outline read a ``Document``; key points, the glossary and the quiz read ``Sentence`` objects.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property

from assistant.course.model import OutlineSection
from assistant.injection import is_instruction
from assistant.support import sentence_spans, strip_citations
from assistant.types import Passage
from ingest.index import ChunkIndex
from ingest.types import DocumentMeta, HeadingNode
from ingest.vitokens import normalize

_STATEMENT_ENDS = (".", ";", "!", "?", "…", ")", "”", '"')
_CONTAINER = re.compile(r"(?:phần|chương|mục)\b", re.IGNORECASE)
_CLAUSE_LABEL = re.compile(r"^\((?:khoản|điểm)[^)]*\)\s*:?\s*", re.IGNORECASE)


def group_key(path: Sequence[str]) -> tuple[str, ...]:
    """The heading path of the section a lesson takes whole: the top-level point, but below any
    "Phần"/"Chương"/"Mục" containers (a whole chapter of the Statute is a course, not a lesson)."""
    depth = next((i for i, label in enumerate(path) if not _CONTAINER.match(label)), len(path) - 1)
    return tuple(path[: depth + 1])


@dataclass
class Document:
    """A chosen document: its text, its stored chunks (citable passages) and its heading tree."""

    meta: DocumentMeta
    text: str
    chunks: list[Passage]  # sorted by start
    # Every heading node in document order, as ingest stored it, so the outline and the citations
    # agree on the numbering (the chunker's paths).
    headings: list[HeadingNode]
    _starts: list[int] = field(init=False)

    def __post_init__(self) -> None:
        self._starts = [c.start for c in self.chunks]

    def passage_for(self, start: int, end: int) -> Passage | None:
        """The stored chunk containing ``[start, end)`` whole; a citation must quote one chunk."""
        i = bisect.bisect_right(self._starts, start) - 1
        return self.chunks[i] if i >= 0 and self.chunks[i].end >= end else None

    @cached_property
    def group_titles(self) -> dict[tuple[str, ...], str]:
        """Group key -> its heading's full first line ("3. Điều 4: Giới thiệu và kết nạp…")."""
        titles: dict[tuple[str, ...], str] = {}
        for path, start, end in self.headings:
            titles.setdefault(group_key(path), self.text[start:end].strip().split("\n", 1)[0])
        return titles


def load_document(index: ChunkIndex, meta: DocumentMeta) -> Document:
    """All stored chunks of a document in order, straight from the index, so no step depends on ranking.

    An index stored before ingest kept heading trees is refused with what to run rather than
    repaired here: building a course only reads the index.
    """
    headings = index.document_headings(meta.source)
    if headings is None:
        raise ValueError(
            f"Chỉ mục chưa lưu cấu trúc đề mục của “{meta.source}”: hãy chạy `app.py ingest` (không cần nhúng lại) "
            f"/ The index has no heading tree for “{meta.source}” yet: run `app.py ingest` (nothing is re-embedded)."
        )
    chunks = [Passage.from_chunk(c.id, c.metadata, c.text) for c in index.document_chunks(meta.source)]
    return Document(meta, index.document_text(meta.source), chunks, headings)


@dataclass(frozen=True)
class Sentence:
    """A document sentence the course may use, with the outline section and chunk it belongs to."""

    text: str  # cleaned: no list marker or "(Khoản n):" label
    folded: str  # normalize(text), same length, for matching terms and slots
    section: int
    start: int  # offset in the document
    passage: Passage
    # A complete rule: not a heading, not a fragment or sub-title (no closing punctuation), not a
    # list intro ending in ":" (``sentences_under`` decides, with the course's ``min_words``).
    statement: bool

    @property
    def words(self) -> int:
        return len(self.text.split())


def sentences_under(
    outline: Sequence[OutlineSection], documents: dict[str, Document], min_words: int
) -> list[Sentence]:
    """Every citable sentence under the outline, in outline order; instructions planted for an AI
    (see ``assistant.injection``) are not rules of the Party, so they never become key points.
    Shorter than ``min_words``, a sentence is a heading or fragment, not a teachable statement."""
    found: list[Sentence] = []
    for i, section in enumerate(outline):
        document = documents[section.source]
        node = document.text[section.start : section.end]
        for start, end in sentence_spans(node):
            passage = document.passage_for(section.start + start, section.start + end)
            text = _clean(node[start:end])
            folded = normalize(text)
            if passage is None or not text or len(folded) != len(text) or is_instruction(text):
                continue
            title_line = end <= section.title_end
            statement = len(text.split()) >= min_words and not title_line and text.endswith(_STATEMENT_ENDS)
            found.append(Sentence(text, folded, i, section.start + start, passage, statement))
    return found


def _clean(sentence: str) -> str:
    """A statement without its list marker or "(Khoản 1):" label: those number, they do not say."""
    return _CLAUSE_LABEL.sub("", strip_citations(sentence)).strip()
