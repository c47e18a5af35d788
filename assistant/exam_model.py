"""Generative mode for exam items: the model settles what the evidence leaves tied, and nothing else.

The extractive decision (``assistant.exam_answer``) declines a four-option item when two or more
options are each stated by a retrieved sentence and none leads: typically one sentence per case
whose case the wording does not tie to the stem. Only then is the model asked, shown the sentences
that state those options and only those options; its letter is taken when it names one of them, so
the choice is still backed by the cited sentence that states it. A reply naming anything else, a
true/false item, or an item no sentence is about stays declined: the model is never the evidence.
"""

from __future__ import annotations

import re

from assistant.exam import ExamItem
from assistant.exam_answer import ExamVerdict
from assistant.llm import Generator, GeneratorError
from prompts.answer import Language, document_block, exam_messages
from settings import ExamSettings

_LETTER = re.compile(r"\b([A-E])\b")


def settle_tie(
    item: ExamItem, verdict: ExamVerdict, generator: Generator, tuning: ExamSettings, language: Language
) -> ExamVerdict:
    """``verdict``, or, when it is a tie between stated options, the one the model picks among them."""
    tied = [letter for letter, unit in verdict.held.items() if verdict.support.get(letter, 0.0) >= tuning.support_bar]
    if verdict.choice is not None or item.kind != "choice" or len(tied) < 2:
        return verdict
    units = list({verdict.held[letter].passage.id: verdict.held[letter] for letter in tied}.values())
    documents = [document_block(n, unit.passage.source, unit.passage.text) for n, unit in enumerate(units, 1)]
    options = dict(zip(item.letters, item.options, strict=True))
    messages = exam_messages(item.stem, {letter: options[letter] for letter in sorted(tied)}, documents, language)
    try:
        reply = "".join(generator.stream(messages, max_tokens=tuning.model_tokens, temperature=0.0))
    except GeneratorError:
        return verdict  # the generator down is a decline, never a guess
    found = _LETTER.search(reply.upper())
    if found is None or found.group(1) not in tied:
        return verdict
    letter = found.group(1)
    return ExamVerdict(letter, verdict.support, verdict.held[letter], verdict.held, by_model=True)
