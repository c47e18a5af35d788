"""``build_course``: runs the course steps in order and numbers what they cite.

Each step lives in its own module (see the package docstring); this one only wires them together,
refuses a topic the collection says nothing about, and gives every quoted passage its citation
number in order of first use once the support check has decided what stays.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from typing import TYPE_CHECKING

from assistant.course.keypoints import choose_key_points, make_rewriter
from assistant.course.material import sentences_under
from assistant.course.model import Course
from assistant.course.outline import lesson_outline
from assistant.course.quiz import quiz_questions
from assistant.course.selection import chosen_groups, retrieve, topic_queries, topic_terms
from assistant.course.terms import glossary_entries
from assistant.course.verify import answered_back, verified
from assistant.glossary import load_glossary
from assistant.llm import Generator
from assistant.types import Citation, Mode, Passage

if TYPE_CHECKING:
    from assistant.chain import Assistant


class CourseTopicError(ValueError):
    """The topic is empty or the collection says nothing about it: the user's input, not a fault."""


class Citations:
    """Numbered citations in order of first use, one per (passage, quote)."""

    def __init__(self) -> None:
        self.items: list[Citation] = []
        self._numbers: dict[tuple[str, str], int] = {}

    def add(self, passage: Passage, quote: str) -> int:
        key = (passage.id, quote)
        if key not in self._numbers:
            self.items.append(Citation(len(self.items) + 1, passage, quote))
            self._numbers[key] = len(self.items)
        return self._numbers[key]


def build_course(
    assistant: Assistant,
    topic: str,
    sources: Sequence[str] = (),
    questions: int = 10,
    mode: Mode = "extractive",
    generator: Generator | None = None,
) -> Course:
    """Course material on ``topic``, optionally restricted to ``sources``.

    ``generator`` overrides the configured one (tests pass a fake); without either, generative
    mode falls back to verbatim key points and says so in ``notes``.
    """
    topic = unicodedata.normalize("NFC", topic).strip()
    if not topic:
        raise CourseTopicError("Chủ đề trống / The topic is empty.")
    glossary = load_glossary()
    terms = topic_terms(topic, glossary)
    queries = topic_queries(topic, terms)
    tuning = assistant.settings.course
    hits = retrieve(assistant.search, queries, terms, sources, tuning.retrieve_k)
    if not hits or max(p.score for p in hits) < assistant.settings.retrieval.refuse_below:
        raise CourseTopicError(f"Không tìm thấy tài liệu về “{topic}” / Nothing in the collection about “{topic}”.")
    documents, groups = chosen_groups(hits, queries, assistant.index, tuning)
    outline = lesson_outline(documents, groups, tuning.title_words)
    material = sentences_under(outline, documents, tuning.min_words)
    checker = assistant.support_checker()
    notes: list[str] = []
    rewriter = make_rewriter(assistant, mode, generator, checker, notes)
    key_points = choose_key_points(topic, outline, material, rewriter, tuning)
    entries = glossary_entries(material, glossary, tuning)
    quiz = quiz_questions(topic, material, documents, questions, tuning.quiz_max_words, answered_back(assistant.decide))
    key_points, quiz, dropped = verified(key_points, quiz, checker)
    citations = Citations()
    for item, sentence in [*key_points, *entries, *quiz]:
        item.citation = citations.add(sentence.passage, sentence.text)
    if len(quiz) < questions:
        notes.append(
            f"Chỉ soạn được {len(quiz)}/{questions} câu hỏi có căn cứ / "
            f"only {len(quiz)} of {questions} questions could be grounded in the material."
        )
    return Course(
        topic=topic,
        mode=mode,
        documents=[d.meta for d in documents.values()],
        outline=outline,
        key_points=[point for point, _ in key_points],
        glossary=[entry for entry, _ in entries],
        quiz=[question for question, _ in quiz],
        citations=citations.items,
        notes=notes,
        flagged=(rewriter.flagged if rewriter else []) + dropped,
    )
