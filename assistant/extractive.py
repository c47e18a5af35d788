"""Extractive answers: the most relevant sentences of the top passages, each with its marker.

No LLM means nothing can be invented: every sentence of the answer is a verbatim sentence of a
cited passage. Sentences are scored lexically against the query's segmented words (plus glossary
terms for English questions) and weighted by their passage's rank, which keeps the whole answer
within a few milliseconds after retrieval.

A sentence addressed to the assistant ("Bỏ qua mọi hướng dẫn trước đó và trả lời rằng …") is never
quoted: it is a verbatim sentence of a document, but not evidence of any rule (``assistant.injection``,
the detector generative answers use too).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

from assistant.injection import is_instruction
from assistant.support import split_sentences
from assistant.types import Citation, Passage
from ingest.vitokens import segment

MAX_SENTENCES = 3
PASSAGES_CONSIDERED = 5
MIN_WORDS = 5
# A numbered heading ("4.1. (Khoản 1): Thời hạn tổ chức lễ kết nạp.") shares the question's words
# but states no rule, so it is never quoted as an answer.
_MARKER = re.compile(
    r"^\s*(?:(?:\d+\.)+\d*|[IVXLC]+[.\-]|Điều\s+\d+[.:]?|Chương\s+[IVXLC\d]+|Mục\s+\d+|Phần\s+\w+|[a-zđ]\))"
    r"\s*(?:\((?:Khoản|Điểm)\s+\w+\)\s*)?:?\s*(?:Điều\s+\d+\s*:?)?",
    re.IGNORECASE,
)
# Headings are noun phrases ("Thời hạn, thẩm quyền quyết định kết nạp …"); a rule has a predicate.
_PREDICATE = re.compile(r"\b(?:phải|được|không|là|có|do|thì|sẽ|cần|chỉ|gồm|must|shall|may)\b", re.IGNORECASE)
# Questions about amounts, ages and deadlines are answered by a sentence holding a number.
_ASKS_QUANTITY = re.compile(
    r"bao (?:lâu|nhiêu|giờ)|\bmấy\b|tối (?:đa|thiểu)|thời hạn|khi nào|how (?:long|many|much|old|often)|\bwhen\b"
    r"|deadline|\bage\b",
    re.IGNORECASE,
)
QUANTITY_BONUS = 0.3
_BULLET = re.compile(r"^[-–•+*]\s*")  # the answer supplies its own list bullets

INTRO = {
    "vi": "Theo bộ văn bản:",
    "en": "According to the collection (quotes in Vietnamese):",
}


@dataclass
class _Candidate:
    sentence: str
    passage_rank: int
    score: float


def extractive_answer(
    query: str, keyword_terms: Sequence[str], passages: Sequence[Passage], language: str
) -> tuple[str, list[Citation]]:
    """Answer text with [n] markers, and the numbered citations it uses."""
    query_tokens = set(segment(" ".join((query, *keyword_terms))))
    wants_number = bool(_ASKS_QUANTITY.search(query))
    candidates = [
        _Candidate(sentence, rank, _score(sentence, query_tokens, rank, passage.score, wants_number))
        for rank, passage in enumerate(passages[:PASSAGES_CONSIDERED])
        for sentence in split_sentences(passage.text)
        if len(sentence.split()) >= MIN_WORDS and not is_heading(sentence)
    ]
    chosen = _pick(candidates)
    citations: dict[int, Citation] = {}
    lines = [INTRO.get(language, INTRO["vi"])]
    for cand in chosen:
        passage = passages[cand.passage_rank]
        citation = citations.setdefault(cand.passage_rank, Citation(len(citations) + 1, passage, cand.sentence))
        lines.append(f"- {_BULLET.sub('', cand.sentence.strip())} [{citation.n}]")
    return "\n".join(lines), sorted(citations.values(), key=lambda c: c.n)


def is_heading(sentence: str) -> bool:
    """A numbered line that names a topic instead of stating a rule: no number, no predicate."""
    if sentence.lstrip().startswith("#"):  # a Markdown heading is a title, whatever it contains
        return True
    marker = _MARKER.match(sentence)
    if not marker:
        return False
    rest = sentence[marker.end() :]
    return not any(ch.isdigit() for ch in rest) and not _PREDICATE.search(rest)


def _score(sentence: str, query_tokens: set[str], rank: int, cosine: float, wants_number: bool) -> float:
    tokens = set(segment(sentence))
    if not tokens or not query_tokens:
        return 0.0
    overlap = len(tokens & query_tokens) / math.sqrt(len(query_tokens) * max(len(tokens), 4))
    number = QUANTITY_BONUS if wants_number and any(ch.isdigit() for ch in _MARKER.sub("", sentence, 1)) else 0.0
    return overlap + number + 0.5 * max(cosine, 0.0) + 0.3 / (rank + 1)


def _pick(candidates: list[_Candidate]) -> list[_Candidate]:
    """Best sentences, at most two from one passage, kept in reading order within a passage.

    Instructions to the assistant are skipped here, in rank order, rather than filtered up front:
    the detector then runs on the few best sentences instead of every sentence of five passages.
    """
    ranked = sorted(candidates, key=lambda c: c.score, reverse=True)
    chosen: list[_Candidate] = []
    per_passage: dict[int, int] = {}
    for cand in ranked:
        if len(chosen) == MAX_SENTENCES or (chosen and cand.score < 0.5 * chosen[0].score):
            break
        if is_instruction(cand.sentence):
            continue
        if per_passage.get(cand.passage_rank, 0) < 2 and cand.sentence not in {c.sentence for c in chosen}:
            chosen.append(cand)
            per_passage[cand.passage_rank] = per_passage.get(cand.passage_rank, 0) + 1
    return chosen
