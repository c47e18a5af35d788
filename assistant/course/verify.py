"""The support check a course faces before it is numbered and exported: every key point and every quiz
answer must be supported by the passage it cites (``assistant.support``), or it is dropped and
reported in ``Course.flagged``.

Its own step, run once over the finished material in one batch, so the rule "nothing unsupported
reaches a trainer" can be read in one place rather than inferred from each step that made material.
"""

from __future__ import annotations

from assistant.course.material import Sentence
from assistant.course.model import KeyPoint, QuizQuestion
from assistant.support import SupportChecker


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
