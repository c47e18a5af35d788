"""The quiz: fill-in-the-blank questions whose cited sentence settles the answer, with wrong options
taken from facts the same documents state elsewhere (never in the cited passage).

A question blanks out an amount ("30 ngày làm việc") or a specific party body; the wrong options are
chosen to be plausible (same unit, nearby size, bodies the documents name often) and written like the
answer, and the answer letters are spread evenly, seeded by the topic so a quiz is reproducible.
"""

from __future__ import annotations

import hashlib
import itertools
import math
import random
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from assistant.course.lexicon import (
    BODY,
    BODY_ALIASES,
    BODY_DISPLAY,
    BODY_KEY,
    QUANTITY,
    UNIT_GROUPS,
    contains,
    informativeness,
    match_case,
)
from assistant.course.material import Document, Sentence
from assistant.course.model import BLANK, OPTIONS, QuizQuestion
from assistant.support import passage_numbers
from ingest.vitokens import normalize


@dataclass(frozen=True)
class _Slot:
    """The part of a sentence a question blanks out; ``key`` identifies the fact across wordings."""

    start: int
    end: int
    kind: str  # "time" | "age" | "count" | "body"
    key: str  # folded amount ("30 ngày làm việc") or the body's first name, folded
    value: int = 0  # for amounts


def _slots(folded: str) -> list[_Slot]:
    """Amounts first (the facts most worth testing), then specific bodies."""
    amounts = [
        _Slot(m.start(), m.end(), UNIT_GROUPS[_unit(m.group(2))], f"{int(m.group(1))} {m.group(2)}", int(m.group(1)))
        for m in QUANTITY.finditer(folded)
    ]
    bodies = [_Slot(m.start(), m.end(), "body", BODY_KEY[m.group()]) for m in BODY.finditer(folded)]
    return amounts + [slot for slot in bodies if slot.key]


def _unit(folded_unit: str) -> str:
    return next(unit for unit in UNIT_GROUPS if normalize(unit) == folded_unit)


@dataclass
class _Pool:
    """Candidate wrong options: every amount and body the chosen documents mention, with how often
    (a body the documents name often is a plausible wrong answer; "Bộ Chính trị" for a cell's
    task is not)."""

    kinds: dict[str, str] = field(default_factory=dict)  # key -> slot kind
    counts: Counter[str] = field(default_factory=Counter)

    @classmethod
    def of(cls, documents: Iterable[Document]) -> _Pool:
        pool = cls()
        for chunk in (c for document in documents for c in document.chunks):
            for slot in _slots(normalize(chunk.text)):
                pool.add(slot)
        return pool

    def add(self, slot: _Slot) -> None:
        self.kinds[slot.key] = slot.kind
        self.counts[slot.key] += 1

    def options(self, slot: _Slot) -> list[str]:
        """Keys of the slot's kind, plus made-up amounts near the answer's."""
        found = [key for key, kind in self.kinds.items() if kind == slot.kind]
        return found if slot.kind == "body" else found + _made_up_amounts(slot)


def quiz_questions(
    topic: str,
    material: Sequence[Sentence],
    documents: dict[str, Document],
    count: int,
    max_words: int,
    keep: Callable[[QuizQuestion, Sentence], bool] | None = None,
) -> list[tuple[QuizQuestion, Sentence]]:
    """Fill-in-the-blank questions spread over the outline: each section's best before any
    section's second; sentences with an amount before those with only a body. ``keep`` vets each
    candidate before it takes a place (checked lazily, only until ``count`` are kept). A stem longer
    than ``max_words`` is a reading test, not a question."""
    pool = _Pool.of(documents.values())
    by_section: dict[int, list[tuple[QuizQuestion, Sentence]]] = defaultdict(list)
    for sentence in sorted(material, key=_quiz_priority):
        if sentence.statement and sentence.words <= max_words:
            question = _question(sentence, pool)
            if question is not None:
                by_section[sentence.section].append((question, sentence))
    ordered: list[tuple[QuizQuestion, Sentence]] = []
    for round_ in range(max((len(q) for q in by_section.values()), default=0)):
        ordered += [questions[round_] for questions in by_section.values() if len(questions) > round_]
    chosen = sorted(_varied(ordered, count, keep), key=lambda pair: (pair[1].section, pair[1].start))
    return _arranged(chosen, topic)


def _varied(
    ordered: list[tuple[QuizQuestion, Sentence]], count: int, keep: Callable[[QuizQuestion, Sentence], bool] | None
) -> list[tuple[QuizQuestion, Sentence]]:
    """The first ``count`` questions ``keep`` accepts, preferring ones whose answer no earlier
    question has: five questions all answered "12 tháng" teach one fact."""
    answers: set[str] = set()
    fresh, repeated = [], []
    for pair in ordered:
        answer = normalize(pair[0].options[pair[0].answer])
        (repeated if answer in answers else fresh).append(pair)
        answers.add(answer)
    candidates = fresh + repeated
    if keep is None:
        return candidates[:count]
    return list(itertools.islice((pair for pair in candidates if keep(*pair)), count))


def _quiz_priority(sentence: Sentence) -> float:
    return -informativeness(sentence.folded)


def _question(sentence: Sentence, pool: _Pool) -> QuizQuestion | None:
    """A question on the sentence's first slot with three admissible wrong options (answer first)."""
    passage = normalize(sentence.passage.text)
    numbers = passage_numbers(sentence.passage.text)
    for slot in _slots(sentence.folded):
        answer = sentence.text[slot.start : slot.end]
        wrong = [key for key in pool.options(slot) if key != slot.key and not _stated(key, passage, numbers)]
        wrong = sorted(dict.fromkeys(wrong), key=_plausibility(slot, pool))[: len(OPTIONS) - 1]
        options = [answer, *(_styled(BODY_DISPLAY.get(key, key), answer) for key in wrong)]
        if len({normalize(option) for option in options}) == len(OPTIONS):
            stem = sentence.text[: slot.start] + BLANK + sentence.text[slot.end :]
            return QuizQuestion(stem, options, 0, sentence.section)
    return None


def _arranged(questions: list[tuple[QuizQuestion, Sentence]], topic: str) -> list[tuple[QuizQuestion, Sentence]]:
    """Shuffle options so each letter is the answer about equally often (a quiz answered "B" six
    times teaches guessing), seeded by the content rather than Python's per-process hash, so the
    same topic gives the same quiz on every run."""
    rng = random.Random(int(hashlib.sha256(topic.encode()).hexdigest()[:16], 16))
    positions = [i % len(OPTIONS) for i in range(len(questions))]
    rng.shuffle(positions)
    for (question, _), position in zip(questions, positions, strict=True):
        answer, wrong = (
            question.options[question.answer],
            [o for i, o in enumerate(question.options) if i != question.answer],
        )
        rng.shuffle(wrong)
        question.options = [*wrong[:position], answer, *wrong[position:]]
        question.answer = position
    return questions


def _stated(key: str, passage: str, numbers: frozenset[str]) -> bool:
    """Whether the passage states the option anywhere, so it might also be right: a body under any
    of its names, an amount as written or with its number spelled out ("ba tháng")."""
    if key in BODY_ALIASES:
        return any(contains(passage, name) for name in BODY_ALIASES[key])
    number, unit = key.split(" ", 1)
    return contains(passage, key) or (number in numbers and contains(passage, unit))


def _made_up_amounts(slot: _Slot) -> list[str]:
    """Neighbours of an amount (half, double, one and a half) for when the documents hold too few;
    same unit, so the option still reads naturally."""
    unit = slot.key.split(" ", 1)[1]
    values = {slot.value // 2, slot.value * 2, slot.value + max(slot.value // 2, 1)} - {0, slot.value}
    return [f"{v} {unit}" for v in sorted(values)]


def _plausibility(slot: _Slot, pool: _Pool) -> Callable[[str], tuple[bool, float, int, str]]:
    """Sort key: amounts in the answer's unit and nearest in size first; then what the documents
    mention most; the key last, so ties never depend on dict order."""
    unit = slot.key.split(" ", 1)[1] if slot.kind != "body" else ""

    def key(option: str) -> tuple[bool, float, int, str]:
        if slot.kind == "body":
            return (False, 0.0, -pool.counts[option], option)
        number, option_unit = option.split(" ", 1)
        distance = abs(math.log(int(number) or 1) - math.log(slot.value or 1))
        return (option_unit != unit, distance, -pool.counts[option], option)

    return key


def _styled(option: str, answer: str) -> str:
    """A wrong option written like the answer: same initial case, and amounts zero-padded when the
    document pads the answer ("05 ngày"), so neither gives the answer away."""
    digits = re.match(r"0\d+", answer)
    number, space, unit = option.partition(" ")
    if digits and number.isdigit():
        option = f"{number.zfill(len(digits.group()))}{space}{unit}"
    return match_case(option, answer)
