"""Key points: the one statement per outline heading a trainer should teach, and in generative mode
its shorter rewrite.

Extractive first: a key point is the most informative sentence of its section, quoted. Generative
mode only shortens a long one, and the rewrite faces the same check as a generated answer
(``check_cited_text``) plus the course's own check against the passage alone; a rewrite that fails
leaves the verbatim sentence in place. The rewriter lives here because nothing else is rewritten.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from assistant.course.lexicon import informativeness
from assistant.course.material import Sentence
from assistant.course.model import KeyPoint, OutlineSection
from assistant.generative import check_cited_text, neutralise
from assistant.llm import Generator, GeneratorError
from assistant.support import SupportChecker, lexical_score, strip_citations
from assistant.types import Mode
from prompts.answer import document_block
from prompts.course import rewrite_messages
from settings import CourseSettings

if TYPE_CHECKING:
    from assistant.chain import Assistant


def choose_key_points(
    topic: str,
    outline: Sequence[OutlineSection],
    material: Sequence[Sentence],
    rewriter: Rewriter | None,
    tuning: CourseSettings,
) -> list[tuple[KeyPoint, Sentence]]:
    """The most informative sentence of each outline section (none for a bare heading); those
    longer than ``tuning.rewrite_above_words`` are shortened by the rewriter, if any."""
    by_section: dict[int, list[Sentence]] = defaultdict(list)
    for sentence in material:
        if sentence.statement:
            by_section[sentence.section].append(sentence)
    points: list[tuple[KeyPoint, Sentence]] = []
    for i in range(len(outline)):
        if not by_section[i]:
            continue
        best = max(by_section[i], key=lambda s: (_key_point_score(topic, s, tuning.long_words), -s.start))
        point = KeyPoint(best.text, i)
        if rewriter is not None and best.words > tuning.rewrite_above_words:
            rewriter.shorten(point, best)
        points.append((point, best))
    return points


def _key_point_score(topic: str, sentence: Sentence, long_words: int) -> float:
    """Informative and on topic; longer than ``long_words``, penalised: trainers want short statements."""
    length_penalty = max(0, sentence.words - long_words) / 30
    return informativeness(sentence.folded) + lexical_score(topic, sentence.text) - length_penalty


@dataclass
class Rewriter:
    """Generative mode: a short statement per key point, kept only if the check supports it."""

    generator: Generator
    checker: SupportChecker
    temperature: float
    max_tokens: int  # of one rewrite
    notes: list[str]  # the course's notes: a generator failure is reported there, once
    flagged: list[str] = field(default_factory=list)  # rejected rewrites, for the trainer to see

    def shorten(self, point: KeyPoint, sentence: Sentence) -> None:
        """Replace ``point.text`` by a supported rewrite; otherwise keep the verbatim sentence."""
        shown, _ = neutralise(sentence.text)
        if not shown:
            return
        passage = sentence.passage
        messages = rewrite_messages(document_block(1, passage.number or passage.title, shown))
        try:
            draft = "".join(self.generator.stream(messages, self.max_tokens, self.temperature))
        except GeneratorError as exc:  # e.g. its process died: this point stays verbatim, the course goes on
            note = f"Mô hình sinh gặp lỗi, giữ câu trích nguyên văn / generator failed, verbatim: {exc}"
            if note not in self.notes:
                self.notes.append(note)
            return
        checked = check_cited_text(draft, [passage], {1: shown}, self.checker)
        self.flagged += checked.flagged
        text = " ".join(strip_citations(s) for s in checked.sentences)
        # The course's final check is against the passage text alone (not the source line the model
        # saw), so a rewrite must pass it here too, or the whole point would be dropped later.
        if text and self.checker.check(text, [passage.text]).supported:
            point.text, point.rewritten = text, True


def make_rewriter(
    assistant: Assistant,
    mode: Mode,
    generator: Generator | None,
    checker: SupportChecker,
    notes: list[str],
) -> Rewriter | None:
    """The rewriter for generative mode; the generator loads once per process, shared with chat."""
    if mode != "generative":
        return None
    if generator is None:
        generator, reason = assistant.generator()
        if generator is None:
            notes.append(f"Không có mô hình sinh, giữ câu trích nguyên văn / no generator, verbatim: {reason}")
            return None
    settings = assistant.settings
    return Rewriter(generator, checker, settings.generator.temperature, settings.course.rewrite_tokens, notes)
