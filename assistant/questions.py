"""Checking a question before it reaches the chain: the one gate for the CLI, the UI and eval.

Whatever a user types or pastes must end in an answer or a clear bilingual message, never in a
traceback from somewhere deep in retrieval. So a question is cleaned here (NFC, so Vietnamese typed
decomposed matches the index; control and zero-width characters out, since they split or glue
words invisibly; whitespace collapsed) and refused when it is empty, longer than
``retrieval.max_question_chars``, or has no letter or digit at all ("???"), which no passage can
answer. ``Assistant.stream`` applies it, so every caller gets the same rule and the same words.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

# Control characters become spaces (a tab or newline separates words); format characters
# (zero-width space, BOM, bidi overrides, soft hyphen) and lone surrogates are dropped.
_AS_SPACE = frozenset({"Cc"})
_DROPPED = frozenset({"Cf", "Cs"})
# Raw input longer than this many times the limit is refused before cleaning, which walks every
# character; cleaning shrinks text by far less (NFD Vietnamese is ~1.3x its NFC form).
_RAW_FACTOR = 4


class QuestionError(ValueError):
    """A question the assistant will not search for; the message is bilingual and shown as is."""


def clean_text(text: str) -> str:
    """NFC text without control or invisible characters, whitespace collapsed to single spaces."""
    text = unicodedata.normalize("NFC", text)
    if not text.isprintable():  # any control, format or surrogate character (fast check in C)
        text = "".join(map(_visible, text))
    return " ".join(text.split())


def _visible(ch: str) -> str:
    category = unicodedata.category(ch)
    return " " if category in _AS_SPACE else "" if category in _DROPPED else ch


def has_words(text: str) -> bool:
    return any(ch.isalnum() for ch in text)


def check_question(question: str, max_chars: int) -> str:
    """The cleaned question, or ``QuestionError`` saying (in Vietnamese and English) what is wrong."""
    if len(question) > _RAW_FACTOR * max_chars:
        raise _too_long(len(question), max_chars)
    text = clean_text(question)
    if not text:
        raise QuestionError("Câu hỏi trống / The question is empty.")
    if len(text) > max_chars:
        raise _too_long(len(text), max_chars)
    if not has_words(text):
        raise QuestionError(
            "Câu hỏi chỉ có dấu câu hoặc ký hiệu, không có chữ hay số nào / "
            "The question has only punctuation or symbols, no letters or digits."
        )
    return text


def check_history(turns: Sequence[str], max_chars: int) -> list[str]:
    """Earlier turns cleaned like questions; turns without words are dropped, over-long ones refused.

    A follow-up is rewritten with an earlier turn, so an unbounded turn would make an unbounded query.
    """
    cleaned: list[str] = []
    for number, turn in enumerate(turns, start=1):
        text = clean_text(turn) if len(turn) <= _RAW_FACTOR * max_chars else turn
        if len(text) > max_chars:
            raise QuestionError(
                f"Lượt hỏi trước thứ {number} quá dài ({len(text)} ký tự, tối đa {max_chars}) / "
                f"Earlier turn {number} is too long ({len(text)} characters, at most {max_chars})."
            )
        if has_words(text):
            cleaned.append(text)
    return cleaned


def _too_long(length: int, max_chars: int) -> QuestionError:
    return QuestionError(
        f"Câu hỏi quá dài ({length} ký tự, tối đa {max_chars}); hãy rút gọn câu hỏi / "
        f"The question is too long ({length} characters, at most {max_chars}); please shorten it."
    )
