"""The answer stage: refuse on weak evidence, else answer from the selected units, quoted or generated.

Both answer modes answer from one selection of evidence units (``assistant.evidence``), so whether
a question is answered never depends on the mode. The generator is a part: it is asked for when a
generative answer needs it (a 1 GB model chat may never need), and when it fails mid-answer or
writes nothing the passages support, the answer falls back to the quotes with a note saying why.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Sequence

import numpy as np

from assistant.evidence import Focus, IdfLookup, Selection, answer_each, question_focus, select_units, split_clauses
from assistant.extractive import ExtractiveAnswer, extractive_answer
from assistant.generative import GenerationEvent, generate_answer
from assistant.glossary import Glossary
from assistant.llm import Generator, GeneratorError
from assistant.support import SIMILARITY_PROMPT
from assistant.turn import AnswerEvent, Turn, elapsed_ms, without_references
from assistant.types import AnswerResult, Passage
from ingest.embedder import Embedder
from prompts.answer import REFUSAL_WITH_CLOSEST as REFUSAL
from settings import Settings

logger = logging.getLogger(__name__)

# The generator failed mid-answer (its process may have died): the user still gets the quoted answer.
GENERATOR_FALLBACK = {
    "vi": "⚠ Mô hình sinh gặp lỗi nên đây là câu trả lời trích dẫn nguyên văn. Lý do: {reason}",
    "en": "⚠ The generator failed, so this is the extractive (verbatim) answer. Reason: {reason}",
}
GENERATOR_UNSUPPORTED = {
    "vi": "Mô hình sinh không viết được câu nào có căn cứ trong các đoạn đã chọn; dưới đây là trích dẫn nguyên văn.",
    "en": "The generator wrote no sentence the selected passages support; here are the verbatim quotes.",
}
# The generator, loaded on first use: (generator or None, the bilingual reason it is unavailable).
GeneratorSource = Callable[[], tuple[Generator | None, str]]
# The chain's stages, timed apart; the generator's own timings (``generate_*``) fall within "answer".
STAGES = ("prepare", "retrieve", "answer")


class Answerer:
    """Answers turns that went through prepare and retrieve; built over one keyword index's IDF."""

    def __init__(
        self, settings: Settings, glossary: Glossary, idf: IdfLookup, embedder: Embedder, generator: GeneratorSource
    ) -> None:
        self.settings = settings
        self.glossary = glossary
        self.idf = idf
        self.embedder = embedder
        self.generator = generator

    def stream(self, turns: Iterator[Turn]) -> Iterator[AnswerEvent]:
        for turn in turns:
            started = time.perf_counter()
            result = AnswerResult(
                question=turn.question,
                rewritten_query=turn.rewritten,
                answer="",
                refused=False,
                language="en" if turn.language == "en" else "vi",
                mode=turn.mode,
                retrieved=turn.passages,
                notes=turn.notes,
                timings_ms=turn.timings,
            )
            # A passage naming the document the user asked about is evidence of what the collection
            # says about it, even when an English question makes its cosine low.
            retrieval = self.settings.retrieval
            bar = retrieval.refuse_below_en if turn.language == "en" else retrieval.refuse_below
            evidence = [p for p in turn.passages if p.score >= bar or p.id in turn.mentions]
            if not evidence:
                result.refused = True
                result.answer = "\n".join([*turn.notes, REFUSAL[result.language]])
            else:
                selection = self.select(turn, evidence)
                result.answerability = {
                    "best": round(selection.best, 3),
                    "coverage": round(selection.coverage, 3),
                    "quantity_found": selection.quantity_found,
                }
                if not selection.answers(retrieval.min_focus):
                    # On topic but without the point asked: say so (after any note that the document
                    # asked about is missing), then show what is closest.
                    closest = extract(result, selection)
                    result.refused = True
                    result.answer = "\n".join([*turn.notes, REFUSAL[result.language], *closest.body])
                elif turn.mode == "generative":
                    yield from self._generate(turn, result, selection)
                else:
                    extract(result, selection)
            result.timings_ms["answer"] = elapsed_ms(started)
            result.timings_ms["total"] = sum(result.timings_ms.get(stage, 0.0) for stage in STAGES)
            yield AnswerEvent(result=result)

    def select(self, turn: Turn, evidence: list[Passage]) -> Selection:
        """The units an answer is built from; both modes answer from the same selection."""
        asked = without_references(turn)
        trust = self.glossary.coverage(asked) if turn.language == "en" else 1.0
        focus = question_focus(asked, turn.keyword_terms, self.idf, turn.language, trust)

        def stressing(clause: str) -> Focus:
            clause_focus = question_focus(clause, self.glossary.expand(clause), self.idf, turn.language, trust)
            return focus.stressing(clause_focus)

        if turn.rewritten != turn.question:
            # A follow-up's rewrite carries the history's words; the turn's own say what is asked
            # now ("And which of them apply to probationary members?").
            focus = stressing(turn.question)
        # What the question names, in its order: a document, or a place's documents as one group.
        named = [tuple(m.source for m in r.matches) for r in turn.resolutions if r.status == "found"]
        documents = list(dict.fromkeys(named))
        # A comparison draws on every retrieved passage of the documents named.
        reach = evidence if len(documents) > 1 else evidence[: self.settings.retrieval.answer_passages]
        reach = [*reach, *turn.related]
        similarity = self._similarity() if turn.language == "en" else None
        # The turn itself says what kind of answer it wants ("thế còn trình độ học vấn?" asks no age,
        # though its rewrite carries "bao nhiêu tuổi" from the history).
        tuning = self.settings.answer
        selection = select_units(turn.question, focus, reach, documents, similarity=similarity, tuning=tuning)
        clauses = split_clauses(asked) if len(documents) < 2 else []  # a comparison has its parts
        if len(clauses) < 2:
            return selection
        parts = [
            select_units(clause, stressing(clause), reach, similarity=similarity, max_units=1, tuning=tuning)
            for clause in clauses
        ]
        return answer_each(selection, parts, tuning.max_units)

    def _similarity(self) -> Callable[[str, Sequence[str]], list[float]]:
        """Cosine of each text to a question (the support check's symmetric prompt), embedding each
        text once for all the clauses of one turn."""
        vectors: dict[str, np.ndarray] = {}

        def similarity(question: str, texts: Sequence[str]) -> list[float]:
            if not texts:
                return []
            new = [t for t in dict.fromkeys(texts) if t not in vectors]
            embedded = self.embedder.embed_queries([question, *new], prompt=SIMILARITY_PROMPT)
            vectors.update(zip(new, embedded[1:], strict=True))
            return [float(vectors[t] @ embedded[0]) for t in texts]

        return similarity

    def _generate(self, turn: Turn, result: AnswerResult, selection: Selection) -> Iterator[AnswerEvent]:
        """Stream the model's draft, then keep only sentences the cited passages support.

        A generator that fails mid-answer (its process killed, its server gone), or whose draft
        keeps no supported sentence, does not fail the question: the answer falls back to the
        extractive one, with a note saying why.
        """
        generator, reason = self.generator()
        if generator is None:
            raise RuntimeError(reason)
        passages = selection.passages
        # The model never sees the history, so it gets the standalone query.
        events = generate_answer(
            turn.rewritten, passages, result.language, generator, self.embedder, self.settings, selection
        )
        try:
            yield from _checked(events, turn, result)
        except GeneratorError as exc:
            logger.warning("generator failed mid-answer, answering with quotes: %s", exc)
            result.mode = "extractive"
            result.notes = [*turn.notes, GENERATOR_FALLBACK[result.language].format(reason=exc)]
            extract(result, selection)
            return
        if result.refused:
            # The evidence passed the answerability check before the model ran; a model that says
            # "not found", or writes nothing the passages support, does not make the rule absent.
            result.mode, result.refused = "extractive", False
            result.notes = [*turn.notes, GENERATOR_UNSUPPORTED[result.language]]
            extract(result, selection)


def extract(result: AnswerResult, selection: Selection) -> ExtractiveAnswer:
    """Fill ``result`` with the quoted answer of ``selection`` (after the result's notes)."""
    answer = extractive_answer(selection, result.language)
    result.lead, result.parts, result.citations = answer.lead, answer.parts, answer.citations
    result.answer = "\n".join([*result.notes, answer.lead, *answer.body])
    return answer


def _checked(events: Iterator[GenerationEvent], turn: Turn, result: AnswerResult) -> Iterator[AnswerEvent]:
    """Stream the draft's deltas, then copy the checked answer into ``result``."""
    for event in events:
        if event.result is None:
            yield AnswerEvent(delta=event.delta)
            continue
        checked = event.result
        result.answer = "\n".join([*turn.notes, checked.answer])
        result.refused = checked.refused
        result.citations = checked.citations
        result.flagged = checked.flagged
        result.notes = [*turn.notes, *checked.notes]
        result.timings_ms.update({f"generate_{k}": v for k, v in checked.timings_ms.items()})
