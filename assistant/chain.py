"""The question-answering chain, composed with LangChain's LCEL.

prepare (language, follow-up rewrite, document references, glossary terms)
  | retrieve (hybrid search, restricted to referenced documents when they exist)
  | answer (refusal on weak evidence, else extractive or generative; streams events)

Each stage is a plain function over a state dict, so the CLI, the UI and eval all run exactly
the same chain; ``Assistant`` owns the loaded models and indexes so they load once per process.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
from langchain_core.runnables import Runnable, RunnableGenerator, RunnableLambda

from assistant.abbreviations import abbreviated
from assistant.evidence import Focus, Selection, answer_each, question_focus, select_units, split_clauses
from assistant.exam import ExamItem, exam_item, parse_exam_item
from assistant.exam_answer import decide, exam_answer
from assistant.extractive import ExtractiveAnswer, extractive_answer
from assistant.generative import GenerationEvent, generate_answer
from assistant.glossary import detect_language, load_glossary
from assistant.llm import Generator, GeneratorError, make_generator
from assistant.questions import check_history, check_question
from assistant.references import DocRef, Resolution, issuer_places, mention_pattern, parse_references, resolve
from assistant.retriever import HybridRetriever, SearchRequest
from assistant.rewrite import rewrite_followup
from assistant.support import SIMILARITY_PROMPT
from assistant.types import AnswerResult, Filters, Mode, Passage
from ingest.embedder import Embedder
from ingest.keyword_sync import sync_keyword_index
from ingest.service import open_index
from prompts.answer import REFUSAL_WITH_CLOSEST as REFUSAL
from settings import Settings

# Passages looked up inside the documents that name a missing document (``Assistant._related``).
RELATED_PASSAGES = 2
# The generator failed mid-answer (its process may have died): the user still gets the quoted answer.
GENERATOR_FALLBACK = {
    "vi": "⚠ Mô hình sinh gặp lỗi nên đây là câu trả lời trích dẫn nguyên văn. Lý do: {reason}",
    "en": "⚠ The generator failed, so this is the extractive (verbatim) answer. Reason: {reason}",
}
GENERATOR_UNSUPPORTED = {
    "vi": "Mô hình sinh không viết được câu nào có căn cứ trong các đoạn đã chọn; dưới đây là trích dẫn nguyên văn.",
    "en": "The generator wrote no sentence the selected passages support; here are the verbatim quotes.",
}


@dataclass
class AnswerEvent:
    """What the chain streams: text deltas while generating, then the final result."""

    delta: str = ""
    result: AnswerResult | None = None


@dataclass
class _State:
    question: str
    history: list[str]
    mode: Mode
    filters: Filters
    language: str = "vi"
    rewritten: str = ""
    keyword_terms: list[str] = field(default_factory=list)
    resolutions: list[Resolution] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    passages: list[Passage] = field(default_factory=list)
    mentions: frozenset[str] = frozenset()  # chunks naming a referenced document the collection lacks
    related: list[Passage] = field(default_factory=list)  # other chunks of those documents, on the point
    timings: dict[str, float] = field(default_factory=dict)


class Assistant:
    """Loads the models and indexes once; answers questions through the LCEL chain."""

    def __init__(
        self, settings: Settings, embedder: Embedder | None = None, generator: Generator | None = None
    ) -> None:
        """``generator``: a language model to answer with in generative mode, instead of the one
        the settings name (loaded on first use)."""
        self.settings = settings
        self.embedder, self.index = open_index(settings, embedder)
        self.glossary = load_glossary()
        self._generator: Generator | None = generator
        self.refresh()
        self.chain: Runnable[_State, AnswerEvent] = (
            RunnableLambda(self._prepare) | RunnableLambda(self._retrieve) | RunnableGenerator(self._answer)
        )

    def refresh(self, use: Sequence[str] = ("dense", "keyword")) -> None:
        """Reload the keyword index and document catalog (after an ingest or upload)."""
        # The keyword index also weighs the words of a question (IDF), whichever retriever runs.
        self.keyword = sync_keyword_index(self.settings, self.index)
        self.retriever = HybridRetriever(self.embedder, self.index, self.keyword, use=use)
        self.catalog = [r.meta for r in self.index.records().values() if r.status == "ok"]
        self.places = issuer_places(self.catalog)

    # --- public API -------------------------------------------------------------------------
    def stream(
        self,
        question: str,
        history: Sequence[str] = (),
        mode: Mode = "extractive",
        filters: Filters | None = None,
        options: Sequence[str] | Mapping[str, str] | None = None,
    ) -> Iterator[AnswerEvent]:
        limit = self.settings.retrieval.max_question_chars  # QuestionError (bilingual) on a bad question
        state = _State(
            question=check_question(question, limit),
            history=check_history(history, limit),
            mode=mode,
            filters=filters or Filters(),
        )
        # An exam item (pasted with its options, "… đúng hay sai?", or options given apart) is
        # answered with a choice, not with quotes about its topic.
        item = exam_item(state.question, options) if options else parse_exam_item(state.question)
        if item is not None:
            yield AnswerEvent(result=self._exam(state, item))
            return
        yield from self.chain.stream(state)

    def retrieve(self, text: str, filters: Filters | None = None) -> list[Passage]:
        """The passages ``text`` retrieves as a question, without answering it."""
        state = _State(question=text, history=[], mode="extractive", filters=filters or Filters())
        return self._retrieve(self._prepare(state)).passages

    def ask(
        self,
        question: str,
        history: Sequence[str] = (),
        mode: Mode = "extractive",
        filters: Filters | None = None,
        options: Sequence[str] | Mapping[str, str] | None = None,
    ) -> AnswerResult:
        for event in self.stream(question, history, mode, filters, options):
            if event.result is not None:
                return event.result
        raise RuntimeError("the answer chain ended without a result")

    # --- chain stages -----------------------------------------------------------------------
    def _prepare(self, state: _State) -> _State:
        started = time.perf_counter()
        state.language = detect_language(state.question)
        state.rewritten = rewrite_followup(state.question, state.history)
        state.keyword_terms = self.glossary.expand(state.rewritten)
        state.resolutions = [resolve(ref, self.catalog) for ref in parse_references(state.rewritten, self.places)]
        state.notes = [reference_note(r, state.language) for r in state.resolutions if r.status != "found"]
        state.timings["prepare"] = _ms(started)
        return state

    def _retrieve(self, state: _State) -> _State:
        started = time.perf_counter()
        referenced = [m.source for r in state.resolutions if r.status != "not_found" for m in r.matches]
        filters = state.filters
        if referenced and not filters.sources:
            filters = Filters(sources=referenced, kinds=filters.kinds, years=filters.years)
        state.mentions = self._mentions([r.ref for r in state.resolutions if r.status == "not_found"])
        retrieval = self.settings.retrieval
        request = SearchRequest(
            state.rewritten,
            # Terms the documents abbreviate are also searched as written there ("CNĐVCT").
            (*state.keyword_terms, *abbreviated(" ".join([state.rewritten, *state.keyword_terms]))),
            filters,
            retrieval.k,
            keyword_weight=retrieval.keyword_weight_en if state.language == "en" else retrieval.keyword_weight,
            boost_ids=state.mentions,
        )
        state.passages = self.retriever.search(request)
        if not state.passages and filters is not state.filters:
            # Same request without the reference-derived source filter, keeping k, weights and boosts.
            state.passages = self.retriever.search(replace(request, filters=state.filters))
        state.related = self._related(state)
        state.timings["retrieve"] = _ms(started)
        return state

    def _exam(self, state: _State, item: ExamItem) -> AnswerResult:
        """Decide an exam item by the evidence (assistant.exam_answer), in either mode: the choice
        must rest on a cited sentence, which the extractive decision gives or declines for."""
        started = time.perf_counter()
        language = "en" if detect_language(item.stem) == "en" else "vi"
        searched: list[Passage] = []

        def search(text: str) -> list[Passage]:
            passages = self.retrieve(text, state.filters)
            searched.extend(passages)
            return passages

        verdict = decide(item, search, self.keyword.idf, self.glossary.expand)
        answer = exam_answer(item, verdict, language)
        result = AnswerResult(
            question=state.question,
            rewritten_query=item.stem,
            answer="\n".join([answer.lead, *(f"{c} [{p.citation}]" for p in answer.parts for c in p.claims)]),
            refused=verdict.declined,
            language=language,
            mode="extractive",
            citations=answer.citations,
            retrieved=list({p.id: p for p in searched}.values()),
            lead=answer.lead,
            parts=answer.parts,
            choice=verdict.choice,
            choice_support=verdict.support,
        )
        result.timings_ms = {"exam": _ms(started), "total": _ms(started)}
        return result

    def _mentions(self, refs: list[DocRef]) -> frozenset[str]:
        """Chunks that name a referenced document missing from the collection."""
        patterns = [p for p in map(mention_pattern, refs) if p]
        if not patterns:
            return frozenset()
        return frozenset(self.index.ids_matching("|".join(f"(?:{p})" for p in patterns)))

    def _related(self, state: _State) -> list[Passage]:
        """The passages of the documents naming a missing document that hold the question's point.

        A report names Hướng dẫn 26 in one paragraph and says what it means for "số dư" in another:
        the answer needs the second, though it never names the guidance. Looked up apart from the
        ranked list, so retrieval's own ranking is unchanged.
        """
        if not state.mentions:
            return []
        sources = sorted({str(chunk.metadata["source"]) for chunk in self.index.get(sorted(state.mentions))})
        if not sources:  # unrestricted filters would mean every chunk
            return []
        within = self.index.ids(Filters(sources=sources)) - state.mentions
        shown = {p.id for p in state.passages}
        terms = [_without_references(state), *state.keyword_terms]
        return self.retriever.keyword_passages(state.rewritten, terms, within - shown, RELATED_PASSAGES)

    def _answer(self, states: Iterator[_State]) -> Iterator[AnswerEvent]:
        for state in states:
            started = time.perf_counter()
            result = AnswerResult(
                question=state.question,
                rewritten_query=state.rewritten,
                answer="",
                refused=False,
                language="en" if state.language == "en" else "vi",
                mode=state.mode,
                retrieved=state.passages,
                notes=state.notes,
                timings_ms=state.timings,
            )
            # A passage naming the document the user asked about is evidence of what the collection
            # says about it, even when an English question makes its cosine low.
            retrieval = self.settings.retrieval
            bar = retrieval.refuse_below_en if state.language == "en" else retrieval.refuse_below
            evidence = [p for p in state.passages if p.score >= bar or p.id in state.mentions]
            if not evidence:
                result.refused = True
                result.answer = "\n".join([*state.notes, REFUSAL[result.language]])
            else:
                selection = self._select(state, evidence)
                result.answerability = {
                    "best": round(selection.best, 3),
                    "coverage": round(selection.coverage, 3),
                    "quantity_found": selection.quantity_found,
                }
                if not selection.answers(retrieval.min_focus):
                    # On topic but without the point asked: say so (after any note that the document
                    # asked about is missing), then show what is closest.
                    closest = self._extract(result, selection)
                    result.refused = True
                    result.answer = "\n".join([*state.notes, REFUSAL[result.language], *closest.body])
                elif state.mode == "generative":
                    yield from self._generate(state, result, selection)
                else:
                    self._extract(result, selection)
            result.timings_ms["answer"] = _ms(started)
            result.timings_ms["total"] = sum(v for k, v in result.timings_ms.items() if k != "total")
            yield AnswerEvent(result=result)

    def _select(self, state: _State, evidence: list[Passage]) -> Selection:
        """The units an answer is built from; both modes answer from the same selection."""
        asked = _without_references(state)
        trust = self.glossary.coverage(asked) if state.language == "en" else 1.0
        focus = question_focus(asked, state.keyword_terms, self.keyword.idf, state.language, trust)

        def stressing(clause: str) -> Focus:
            clause_focus = question_focus(clause, self.glossary.expand(clause), self.keyword.idf, state.language, trust)
            return focus.stressing(clause_focus)

        if state.rewritten != state.question:
            # A follow-up's rewrite carries the history's words; the turn's own say what is asked
            # now ("And which of them apply to probationary members?").
            focus = stressing(state.question)
        # What the question names, in its order: a document, or a place's documents as one group.
        named = [tuple(m.source for m in r.matches) for r in state.resolutions if r.status == "found"]
        documents = list(dict.fromkeys(named))
        # A comparison draws on every retrieved passage of the documents named.
        reach = evidence if len(documents) > 1 else evidence[: self.settings.retrieval.answer_passages]
        reach = [*reach, *state.related]
        similarity = self._similarity() if state.language == "en" else None
        # The turn itself says what kind of answer it wants ("thế còn trình độ học vấn?" asks no age,
        # though its rewrite carries "bao nhiêu tuổi" from the history).
        selection = select_units(state.question, focus, reach, documents, similarity=similarity)
        clauses = split_clauses(asked) if len(documents) < 2 else []  # a comparison has its parts
        if len(clauses) < 2:
            return selection
        parts = [
            select_units(clause, stressing(clause), reach, similarity=similarity, max_units=1) for clause in clauses
        ]
        return answer_each(selection, parts)

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

    def _extract(self, result: AnswerResult, selection: Selection) -> ExtractiveAnswer:
        answer = extractive_answer(selection, result.language)
        result.lead, result.parts, result.citations = answer.lead, answer.parts, answer.citations
        result.answer = "\n".join([*result.notes, answer.lead, *answer.body])
        return answer

    def generator(self) -> tuple[Generator | None, str]:
        """The generator, loaded on first use (a 1 GB model chat may never need) and then shared by
        chat and course building; when it is unavailable, None and the bilingual reason why."""
        if self._generator is None:
            self._generator, reason = make_generator(self.settings)
            if self._generator is None:
                return None, reason
        return self._generator, ""

    def _generate(self, state: _State, result: AnswerResult, selection: Selection) -> Iterator[AnswerEvent]:
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
            state.rewritten, passages, result.language, generator, self.embedder, self.settings, selection
        )
        try:
            yield from self._checked(events, state, result)
        except GeneratorError as exc:
            result.mode = "extractive"
            result.notes = [*state.notes, GENERATOR_FALLBACK[result.language].format(reason=exc)]
            self._extract(result, selection)
            return
        if result.refused:
            # The evidence passed the answerability check before the model ran; a model that says
            # "not found", or writes nothing the passages support, does not make the rule absent.
            result.mode, result.refused = "extractive", False
            result.notes = [*state.notes, GENERATOR_UNSUPPORTED[result.language]]
            self._extract(result, selection)

    def _checked(self, events: Iterator[GenerationEvent], state: _State, result: AnswerResult) -> Iterator[AnswerEvent]:
        for event in events:
            if event.result is None:
                yield AnswerEvent(delta=event.delta)
                continue
            checked = event.result
            result.answer = "\n".join([*state.notes, checked.answer])
            result.refused = checked.refused
            result.citations = checked.citations
            result.flagged = checked.flagged
            result.notes = [*state.notes, *checked.notes]
            result.timings_ms.update({f"generate_{k}": v for k, v in checked.timings_ms.items()})


def _without_references(state: _State) -> str:
    """The question without the documents it names: they say where to look, not what to find
    ("Hướng dẫn 26 nói gì về số dư?" asks about số dư)."""
    asked = state.rewritten
    for resolution in state.resolutions:
        asked = asked.replace(resolution.ref.raw, " ")
    return asked


def reference_note(resolution: Resolution, language: str) -> str:
    """Say plainly when a referenced document is missing or ambiguous."""
    ref = resolution.ref.raw
    if resolution.status == "not_found":
        if language == "en":
            return f"“{ref}” is not in the collection; here is what the collection says about it."
        return f"“{ref}” không có trong bộ văn bản; dưới đây là những gì bộ văn bản nói về văn bản này."
    listed = "; ".join(f"{m.number or m.title} ({m.date or '?'})" for m in resolution.matches)
    if language == "en":
        return f"“{ref}” matches several documents: {listed}. Add the year to choose one."
    return f"“{ref}” khớp với nhiều văn bản: {listed}. Hãy nêu năm ban hành để chọn đúng văn bản."


def _ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000
