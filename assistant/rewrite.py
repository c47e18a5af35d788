"""Turning a follow-up into a standalone query, by rules first.

Retrieval sees one query, so "còn đảng viên dự bị thì sao?" must carry what the conversation is
about. Rules cover the common shapes (an opener such as "còn"/"vậy"/"and"/"what about", a
pronoun pointing back, a very short question) and cost nothing. The rewrite is shown to the
user, so it stays readable: the new question first, then the earlier question it depends on.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence

from settings import get_settings

_OPENERS = re.compile(
    r"^\s*(?:còn|thế còn|vậy còn|vậy thì|vậy|thế thì|thế|và|nếu vậy|trường hợp đó|"
    r"and|but|so|what about|how about|and what about|then)\b[\s,]*",
    re.IGNORECASE,
)
_TRAILERS = re.compile(r"\s*(?:thì sao|thế nào|ra sao|nữa|thì thế nào)?\s*[?？.!]*\s*$", re.IGNORECASE)
_BACK_REFERENCES = re.compile(
    r"\b(?:đó|này|ấy|trên|nói trên|việc đó|trường hợp này|họ|người đó|"
    r"that|this|it|those|they|them|he|she|who decides that|the same)\b",
    re.IGNORECASE,
)
# A person of the story named after their role ("đồng chí Nguyễn Văn A", "anh B"): the role stays.
_STORY_NAME = re.compile(
    r"\b((?i:đồng chí|anh|chị|ông|bà|em|cô|chú|bác|comrade|mr\.?|ms\.?|mrs\.?))\s+(?:[A-ZĐ][\wÀ-ỹ]*\s*){1,4}",
)
_STORY_NUMBER = re.compile(r"\b\d+(?:[.,/]\d+)*\b")
# (question, earlier turns) -> the standalone query: ``rewrite_followup``, or a baseline's own.
Rewriter = Callable[[str, Sequence[str]], str]


def needs_context(question: str) -> bool:
    """A question that cannot stand alone: opener, back-reference, or too short to say much."""
    text = unicodedata.normalize("NFC", question)
    # Read per call: a rewriter part takes no settings (``assistant.parts``).
    short = get_settings().retrieval.short_question_words
    return bool(_OPENERS.match(text) or _BACK_REFERENCES.search(text) or len(text.split()) <= short)


def rewrite_followup(question: str, history: Sequence[str]) -> str:
    """The standalone query used for retrieval; the question itself when it stands alone."""
    question = unicodedata.normalize("NFC", question).strip()
    earlier = [unicodedata.normalize("NFC", turn).strip() for turn in history if turn.strip()]
    if not earlier or not needs_context(question):
        return question
    core = _TRAILERS.sub("", _OPENERS.sub("", question)).strip() or question
    anchor = _standalone_anchor(earlier)
    return f"{core} ({anchor})" if core.casefold() not in anchor.casefold() else anchor


def _standalone_anchor(earlier: list[str]) -> str:
    """The most recent earlier turn that stands alone (itself possibly rewritten by the chain)."""
    for turn in reversed(earlier):
        if not needs_context(turn):
            return turn.rstrip("?？ ")
    return earlier[-1].rstrip("?？ ")


def scenario_stem(question: str) -> str:
    """A scenario stem without its story: names and numbers go, roles, durations' units and actions stay.

    "đảng viên chính thức được 6 tháng, cùng công tác 02 năm" retrieves passages sharing its numbers
    rather than the rule it tests; searched beside the stem, the stripped text can find the rule.
    """
    text = unicodedata.normalize("NFC", question)
    text = _STORY_NAME.sub(lambda m: m.group(1) + " ", text)
    text = _STORY_NUMBER.sub(" ", text)
    return re.sub(r"\s+", " ", text).strip()
