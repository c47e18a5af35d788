"""The question-answering chain, composed with LangChain's LCEL.

prepare (language, follow-up rewrite, document references, glossary terms: ``assistant.prepare``)
  | retrieve (hybrid search, restricted to referenced documents when they exist: ``assistant.retrieval``)
  | answer (refusal on weak evidence, else extractive or generative; streams events: ``assistant.answering``)

Each stage is a plain function over one ``Turn``, so the CLI, the UI and eval all run exactly the
same chain. ``Assistant`` opens the models and indexes once per process and assembles the chain
from ``Parts`` (``assistant.parts``): eval's baselines pass other parts, never override a stage.
Opening it only reads: a stale keyword index is rebuilt in memory, never saved from here.

What depends on the collection (keyword index, retriever, catalog, references, answerer) is rebuilt
by ``refresh`` whenever the index's change marker (``ChunkIndex.generation``) moves, which
``stream`` checks on every question with one read by id: an upload through another server sharing
the Chroma server, or this server's background indexing, is answerable from the next question on.
While that indexing runs (``indexing``), every answer opens with a note, in both languages, that it
comes from a partial index.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Mapping, Sequence

from langchain_core.runnables import Runnable, RunnableGenerator, RunnableLambda

from assistant.answering import Answerer
from assistant.exam import ExamItem, exam_item, parse_exam_item
from assistant.exam_answer import ExamVerdict, decide, exam_answer
from assistant.exam_model import settle_tie
from assistant.glossary import detect_language, load_glossary
from assistant.llm import Generator
from assistant.parts import SHIPPED, Parts
from assistant.prepare import prepare
from assistant.questions import check_history, check_question
from assistant.retrieval import retrieve
from assistant.retriever import SearchRequest
from assistant.support import SupportChecker, checker_for
from assistant.turn import AnswerEvent, Turn, elapsed_ms
from assistant.types import AnswerResult, Filters, Mode, Passage
from ingest.embedder import Embedder
from ingest.keyword_sync import KeywordReader
from ingest.progress import IngestProgress
from ingest.service import open_index
from settings import Settings


class Assistant:
    """Opens the models and indexes once; answers questions through the LCEL chain.

    Public: the methods below, ``settings``, ``catalog`` (documents searchable now), ``index`` (the
    store it reads, where the UI and course building read whole documents), ``keyword`` (its IDF
    weighs words) and ``glossary``. The swappable parts (``retriever``, ``references``) are its own.
    """

    def __init__(
        self,
        settings: Settings,
        embedder: Embedder | None = None,
        *,
        parts: Parts = SHIPPED,
        indexing: IngestProgress | None = None,
    ) -> None:
        """``parts``: what the chain is assembled from (the shipped ones unless eval swaps some);
        ``indexing``: the background run filling the index, while answers must say it is partial."""
        self.settings = settings
        self.parts = parts
        self.indexing = indexing
        self.embedder, self.index = open_index(settings, embedder)
        self.glossary = load_glossary()
        self._generator: Generator | None = None
        self._keyword_reader = KeywordReader(settings, self.index)
        self._refreshing = threading.Lock()
        self.generation = ""  # the change marker the parts below were built at
        self.refresh()
        self.chain: Runnable[Turn, AnswerEvent] = (
            RunnableLambda(self._prepare) | RunnableLambda(self._retrieve) | RunnableGenerator(self._answer)
        )

    def refresh(self) -> None:
        """Rebuild the keyword index, retriever, catalog and references from the index as it is now,
        reading only. Built first and then swapped in, so a question answered meanwhile (the UI
        answers two at once) never meets a part half built."""
        with self._refreshing:
            self._rebuild()

    def refresh_if_changed(self) -> bool:
        """Refresh when the change marker moved since the last refresh; one read by id otherwise."""
        if self.index.generation() == self.generation:
            return False
        with self._refreshing:  # another thread may have refreshed while this one waited
            if self.index.generation() == self.generation:
                return False
            self._rebuild()
        return True

    def _rebuild(self) -> None:
        generation = self.index.generation()  # read first: a write after it moves it again
        # The keyword index also weighs the words of a question (IDF), whichever retriever runs.
        keyword = self._keyword_reader.current()
        retriever = self.parts.retriever(self.embedder, self.index, keyword, self.settings.retrieval)
        catalog = [r.meta for r in self.index.records().values() if r.status == "ok"]
        references = self.parts.references(catalog)
        answerer = Answerer(self.settings, self.glossary, keyword.idf, self.embedder, self.generator)
        self.keyword, self.retriever, self.catalog, self.references, self.answerer = (
            keyword,
            retriever,
            catalog,
            references,
            answerer,
        )
        self.generation = generation

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
        question, history = check_question(question, limit), check_history(history, limit)
        self.refresh_if_changed()
        turn = Turn(
            question=question,
            history=history,
            mode=mode,
            filters=filters or Filters(),
        )
        # An exam item (pasted with its options, "… đúng hay sai?", or options given apart) is
        # answered with a choice, not with quotes about its topic.
        item = exam_item(turn.question, options) if options else parse_exam_item(turn.question)
        if item is not None:
            yield AnswerEvent(result=self._exam(turn, item))
            return
        yield from self.chain.stream(turn)

    def retrieve(self, text: str, filters: Filters | None = None) -> list[Passage]:
        """The passages ``text`` retrieves as a question, without answering it."""
        turn = Turn(question=text, history=[], mode="extractive", filters=filters or Filters())
        return self._retrieve(self._prepare(turn)).passages

    def search(self, request: SearchRequest) -> list[Passage]:
        """The passages one search request finds with this assistant's retriever, for callers that
        word their own queries and terms (course building), skipping the chain's prepare stage."""
        return self.retriever.search(request)

    def support_checker(self) -> SupportChecker:
        """The support judge over this assistant's embedder (one per process, with its cache)."""
        return checker_for(self.embedder)

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

    def generator(self) -> tuple[Generator | None, str]:
        """The generator, loaded on first use (a 1 GB model chat may never need) and then shared by
        chat and course building; when it is unavailable, None and the bilingual reason why."""
        if self._generator is None:
            self._generator, reason = self.parts.generator(self.settings)
            if self._generator is None:
                return None, reason
        return self._generator, ""

    # --- chain stages -----------------------------------------------------------------------
    def _prepare(self, turn: Turn) -> Turn:
        turn = prepare(turn, self.parts.rewriter, self.references, self.glossary)
        turn.notes = [*self._indexing_note(), *turn.notes]
        return turn

    def _indexing_note(self) -> list[str]:
        """The partial-index note while the background indexing runs, else nothing."""
        note = self.indexing.snapshot().note() if self.indexing is not None else None
        return [note] if note else []

    def _retrieve(self, turn: Turn) -> Turn:
        return retrieve(turn, self.retriever, self.index, self.settings.retrieval)

    def _answer(self, turns: Iterator[Turn]) -> Iterator[AnswerEvent]:
        yield from self.answerer.stream(turns)

    def decide(
        self,
        item: ExamItem,
        filters: Filters | None = None,
        seen: list[Passage] | None = None,
        mode: Mode = "extractive",
    ) -> ExamVerdict:
        """The option or verdict the collection settles for ``item``, or a decline; the passages
        searched are appended to ``seen``. Chat, eval and the course's quiz check all decide here.
        In generative mode the model may pick among options the evidence leaves tied (``settle_tie``)."""

        def search(text: str) -> list[Passage]:
            passages = self.retrieve(text, filters)
            if seen is not None:
                seen.extend(passages)
            return passages

        verdict = decide(item, search, self.keyword.idf, self.glossary.expand, self.settings.exam)
        generator = self.generator()[0] if mode == "generative" and verdict.declined else None
        if generator is None:
            return verdict
        language = "en" if detect_language(item.stem) == "en" else "vi"
        return settle_tie(item, verdict, generator, self.settings.exam, language)

    def _exam(self, turn: Turn, item: ExamItem) -> AnswerResult:
        """Decide an exam item by the evidence (assistant.exam_answer), in either mode: the choice
        must rest on a cited sentence, which the extractive decision gives or declines for."""
        started = time.perf_counter()
        language = "en" if detect_language(item.stem) == "en" else "vi"
        searched: list[Passage] = []
        verdict = self.decide(item, turn.filters, searched, turn.mode)
        answer = exam_answer(item, verdict, language)
        notes = self._indexing_note()
        claims = [f"{c} [{p.citation}]" for p in answer.parts for c in p.claims]
        result = AnswerResult(
            question=turn.question,
            rewritten_query=item.stem,
            answer="\n".join([*notes, answer.lead, *claims]),
            notes=notes,
            refused=verdict.declined,
            language=language,
            mode="generative" if verdict.by_model else "extractive",
            citations=answer.citations,
            retrieved=list({p.id: p for p in searched}.values()),
            lead=answer.lead,
            parts=answer.parts,
            choice=verdict.choice,
            choice_support=verdict.support,
        )
        result.timings_ms = {"exam": elapsed_ms(started), "total": elapsed_ms(started)}
        return result
