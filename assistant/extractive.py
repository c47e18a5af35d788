"""Extractive answers: verbatim units of the top passages, each part cited, in the document's shape.

No LLM means nothing can be invented: every claim of the answer is a verbatim sentence or list line
of a cited passage. ``assistant.evidence`` chooses the units (the sentence that states the point,
or a whole list under its opening line); this module frames and renders them, in Vietnamese for a
Vietnamese question and with a short English frame (document, section) around the Vietnamese quotes
for an English one.

A sentence addressed to the assistant ("Bỏ qua mọi hướng dẫn trước đó và trả lời rằng …") is never
quoted: it is a verbatim sentence of a document, but not evidence of any rule (``assistant.injection``,
the detector generative answers use too).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.evidence import Selection
from assistant.types import AnswerPart, Citation, Passage
from assistant.units import Unit

_BULLET = re.compile(r"^[-–•+*]\s*")  # the answer supplies its own list bullets

INTRO = {
    "vi": "Theo bộ văn bản:",
    "en": "According to the collection (quotes in Vietnamese):",
}
# The English frame names where the Vietnamese quotes come from.
_FRAME_EN = "From {source} (quoted in Vietnamese):"
_MORE = {"vi": "… (còn {n} mục, xem [{k}])", "en": "… ({n} more items, see [{k}])"}


@dataclass
class ExtractiveAnswer:
    lead: str
    parts: list[AnswerPart]
    citations: list[Citation]
    body: list[str]  # the rendered parts, one line each, after the lead


def extractive_answer(selection: Selection, language: str) -> ExtractiveAnswer:
    """The selected units as cited parts: one citation per passage, numbered in order of use."""
    passages = selection.passages
    citations: dict[int, Citation] = {}
    parts: list[AnswerPart] = []
    lines = [INTRO.get(language, INTRO["vi"])]
    for unit in selection.units:
        passage = passages[unit.passage_rank]
        new = unit.passage_rank not in citations
        citation = citations.setdefault(unit.passage_rank, Citation(len(citations) + 1, passage, unit.lead))
        frame = _FRAME_EN.format(source=source_label(passage)) if language == "en" and new else ""
        parts.append(AnswerPart(citation.n, unit.claims(), frame, unit.more))
        if frame:
            lines.append(frame)
        lines.extend(_render(unit, citation.n, language))
    return ExtractiveAnswer(lines[0], parts, sorted(citations.values(), key=lambda c: c.n), lines[1:])


def source_label(passage: Passage) -> str:
    """ "294-QĐ/TW, section 3.8 (2025-05-26)": the document, the place in it, its date."""
    name = passage.number or passage.title or passage.source
    place = passage.section.rsplit(" > ", 1)[-1].strip()  # the innermost heading names the rule
    section = f", section {place[:80]}" if place else ""
    date = f" ({passage.date})" if passage.date else ""
    return f"{name}{section}{date}"


def _render(unit: Unit, n: int, language: str) -> list[str]:
    lines = [f"- {_BULLET.sub('', unit.lead.strip())} [{n}]"]
    for item in unit.items:
        first, *details = item.split("\n")
        lines.append(f"  - {_BULLET.sub('', first.strip())}")
        lines.extend(f"    - {_BULLET.sub('', d.strip())}" for d in details)
    if unit.more:
        lines.append(f"  {_MORE.get(language, _MORE['vi']).format(n=unit.more, k=n)}")
    return lines
