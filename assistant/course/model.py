"""What a course is made of: the outline, key points, glossary entries and quiz questions a trainer
receives, and the ``Course`` that holds them with their numbered citations.

These types are shared by every step that builds a course and by ``assistant.course_export``, which
writes one out; they carry no logic beyond reading themselves, so a reader can learn the shape of a
course here without the retrieval or scoring behind it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from assistant.types import Citation, Mode
from ingest.types import DocumentMeta

OPTIONS = "ABCD"
BLANK = "……"


@dataclass(frozen=True)
class OutlineSection:
    """One heading of a document, in document order; ``path`` is its heading path."""

    source: str
    path: tuple[str, ...]
    heading: str
    start: int
    end: int
    title_end: int = 0  # offset in the node where its heading line ends; 0 when it opens with a rule

    @property
    def depth(self) -> int:
        return max(len(self.path), 1)


@dataclass
class KeyPoint:
    """A short statement to teach, under its outline section, citing the sentence it restates."""

    text: str
    section: int  # index into Course.outline
    citation: int = 0  # number in Course.citations, assigned once the material is final
    rewritten: bool = False


@dataclass
class GlossaryEntry:
    """A term as the documents write it, shown in a sentence of the material that uses it."""

    term: str
    english: str  # from glossary.tsv; "" for terms found recurring in the material
    sentence: str
    citation: int = 0


@dataclass
class QuizQuestion:
    """Fill in the blank: the cited sentence settles it, the wrong options are facts the same
    documents state elsewhere, never in the cited passage."""

    stem: str  # a document sentence with its slot replaced by BLANK
    options: list[str]
    answer: int  # index into options
    section: int
    citation: int = 0

    @property
    def answer_letter(self) -> str:
        return OPTIONS[self.answer]

    @property
    def statement(self) -> str:
        """The stem filled with the correct option: the claim the cited passage must support."""
        return self.stem.replace(BLANK, self.options[self.answer], 1)


@dataclass
class Course:
    """Everything a trainer's draft holds; every ``citation`` field is a number in ``citations``."""

    topic: str
    mode: Mode
    documents: list[DocumentMeta]
    outline: list[OutlineSection]
    key_points: list[KeyPoint]
    glossary: list[GlossaryEntry]
    quiz: list[QuizQuestion]
    citations: list[Citation]
    notes: list[str] = field(default_factory=list)
    flagged: list[str] = field(default_factory=list)  # material dropped by the support check

    def citation(self, n: int) -> Citation:
        return self.citations[n - 1]
