"""The support check a course faces before it is numbered and exported: every key point and every quiz
answer must be supported by the passage it cites (``assistant.support``), or it is dropped and
reported in ``Course.flagged``.

Its own step, run once over the finished material in one batch, so the rule "nothing unsupported
reaches a trainer" can be read in one place rather than inferred from each step that made material.
A quiz item must also be answered back: the exam answerer, given the item as a trainee would see
it, must pick the key from the passage the item cites, so a quiz never holds an item the assistant
itself would get wrong or settle from elsewhere.
"""

from __future__ import annotations

from collections.abc import Callable

from assistant.course.material import Sentence
from assistant.course.model import KeyPoint, QuizQuestion
from assistant.exam import ExamItem
from assistant.exam_answer import ExamVerdict
from assistant.support import SupportChecker

Decide = Callable[[ExamItem], ExamVerdict]


def verified(
    key_points: list[tuple[KeyPoint, Sentence]], quiz: list[tuple[QuizQuestion, Sentence]], checker: SupportChecker
) -> tuple[list[tuple[KeyPoint, Sentence]], list[tuple[QuizQuestion, Sentence]], list[str]]:
    """Keep only key points and quiz answers their cited passage supports (one batched check)."""
    claims = [(point.text, [sentence.passage.text]) for point, sentence in key_points]
    claims += [(question.statement, [sentence.passage.text]) for question, sentence in quiz]
    verdicts = [v.supported for v in checker.check_many(claims)]
    kept_points = [pair for pair, ok in zip(key_points, verdicts[: len(key_points)], strict=True) if ok]
    kept_quiz = [pair for pair, ok in zip(quiz, verdicts[len(key_points) :], strict=True) if ok]
    dropped = [claim for (claim, _), ok in zip(claims, verdicts, strict=True) if not ok]
    return kept_points, kept_quiz, dropped


def answered_back(decide: Decide) -> Callable[[QuizQuestion, Sentence], bool]:
    """Whether the exam answerer, given a quiz item as a trainee sees it, picks its key from the
    passage it cites: the quiz takes only such items (``quiz_questions(keep=...)``)."""

    def settles(question: QuizQuestion, sentence: Sentence) -> bool:
        verdict = decide(ExamItem(question.stem, tuple(question.options)))
        same = verdict.evidence is not None and verdict.evidence.passage.id == sentence.passage.id
        return verdict.choice == question.answer_letter and same

    return settles
