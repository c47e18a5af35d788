"""Data passed between retrieval, answering and the shells (CLI, UI, eval).

``AnswerResult.to_json`` is the public shape of ``ask --json`` and of eval's results.jsonl, so
evaluators can re-score runs with nothing but these files.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

Mode = Literal["extractive", "generative"]


@dataclass
class Passage:
    """A retrieved chunk with what a citation shows."""

    id: str
    source: str  # path relative to the collection root
    title: str
    number: str
    date: str
    kind: str
    section: str
    text: str
    start: int
    end: int
    score: float  # cosine similarity to the query (0 when only keyword search found it)
    fused: float = 0.0  # fused score that ordered the list (assistant.fusion)
    # "upload" for a document a user added: a citation must not pass it off as the official collection.
    origin: str = "collection"

    @classmethod
    def from_chunk(
        cls,
        chunk_id: str,
        meta: Mapping[str, Any],
        text: str,
        score: float = 0.0,
        fused: float = 0.0,
        origin: str = "collection",
    ) -> Passage:
        """A passage from a chunk as Chroma stores it (``ingest.index.chunk_metadata``)."""
        return cls(
            id=chunk_id,
            source=str(meta["source"]),
            title=str(meta.get("title", "")),
            number=str(meta.get("number", "")),
            date=str(meta.get("date", "")),
            kind=str(meta.get("kind", "")),
            section=str(meta.get("section", "")),
            text=text,
            start=int(meta.get("start", 0)),
            end=int(meta.get("end", 0)),
            score=score,
            fused=fused,
            origin=origin,
        )

    def citation_fields(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "title": self.title,
            "number": self.number,
            "date": self.date,
            "section": self.section,
            "text": self.text,
            "score": round(self.score, 4),
            "origin": self.origin,
        }


@dataclass
class Citation:
    """A numbered passage the answer refers to with [n]; ``quote`` is the supporting sentence."""

    n: int
    passage: Passage
    quote: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"n": self.n, **self.passage.citation_fields(), "quote": self.quote}


@dataclass
class AnswerPart:
    """One block of an answer: verbatim claims from one passage, cited as [citation].

    ``frame`` says where the claims come from ("From 294-QĐ/TW, section 3.8 …"); it is presentation,
    not a claim. ``more`` counts list items left out for length.
    """

    citation: int
    claims: list[str]
    frame: str = ""
    more: int = 0

    def to_json(self) -> dict[str, Any]:
        return {"citation": self.citation, "frame": self.frame, "claims": self.claims, "more": self.more}


@dataclass
class Filters:
    """Optional restrictions chosen by the user (UI filters, CLI flags)."""

    sources: list[str] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)
    years: list[int] = field(default_factory=list)

    def is_empty(self) -> bool:
        return not (self.sources or self.kinds or self.years)


@dataclass
class AnswerResult:
    question: str
    rewritten_query: str
    answer: str
    refused: bool
    language: Literal["vi", "en"]
    mode: Mode
    citations: list[Citation] = field(default_factory=list)
    retrieved: list[Passage] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # e.g. "Hướng dẫn 26 is not in the collection"
    flagged: list[str] = field(default_factory=list)  # generated sentences dropped by the support check
    # The answer as structure: a lead line, then parts; ``answer`` is its rendering (plus notes).
    lead: str = ""
    parts: list[AnswerPart] = field(default_factory=list)
    # How much of the question's focus the evidence holds (assistant.evidence): "best" unit, "coverage" of all.
    answerability: dict[str, float | bool | None] = field(default_factory=dict)
    # An exam item's choice (a letter, or Đúng/Sai), None when declined or not an exam item, and
    # how well the evidence supports each option.
    choice: str | None = None
    choice_support: dict[str, float] = field(default_factory=dict)
    timings_ms: dict[str, float] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "rewritten_query": self.rewritten_query,
            "answer": self.answer,
            "refused": self.refused,
            "language": self.language,
            "mode": self.mode,
            "notes": self.notes,
            "flagged": self.flagged,
            "lead": self.lead,
            "parts": [part.to_json() for part in self.parts],
            "answerability": self.answerability,
            "choice": self.choice,
            "choice_support": {k: round(v, 3) for k, v in self.choice_support.items()},
            "citations": [c.to_json() for c in self.citations],
            "retrieved": [p.citation_fields() for p in self.retrieved[:10]],
            "timings_ms": {k: round(v, 1) for k, v in self.timings_ms.items()},
        }
