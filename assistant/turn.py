"""What flows through the answer chain: one turn's state, and the events the chain streams.

Its own module because every stage (``prepare``, ``retrieval``, ``answering``) reads and fills the
same state, and the chain that composes them (``assistant.chain``) should not be imported by them.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from assistant.references import Resolution
from assistant.types import AnswerResult, Filters, Mode, Passage


@dataclass
class AnswerEvent:
    """What the chain streams: text deltas while generating, then the final result."""

    delta: str = ""
    result: AnswerResult | None = None


@dataclass
class Turn:
    """One question on its way through the chain; each stage fills its part and times itself."""

    question: str
    history: list[str]
    mode: Mode
    filters: Filters
    language: str = "vi"
    rewritten: str = ""
    keyword_terms: list[str] = field(default_factory=list)
    resolutions: list[Resolution] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    passages: list[Passage] = field(default_factory=list)
    mentions: frozenset[str] = frozenset()  # chunks naming a referenced document the collection lacks
    related: list[Passage] = field(default_factory=list)  # other chunks of those documents, on the point
    timings: dict[str, float] = field(default_factory=dict)


def without_references(turn: Turn) -> str:
    """The question without the documents it names: they say where to look, not what to find
    ("Hướng dẫn 26 nói gì về số dư?" asks about số dư)."""
    asked = turn.rewritten
    for resolution in turn.resolutions:
        asked = asked.replace(resolution.ref.raw, " ")
    return asked


def elapsed_ms(started: float) -> float:
    """Milliseconds since ``started`` (a ``time.perf_counter()`` reading)."""
    return (time.perf_counter() - started) * 1000
