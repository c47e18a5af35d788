"""Hybrid retrieval: dense search in Chroma plus Vietnamese BM25, fused by score.

Dense search understands paraphrase and English questions; BM25 over word-segmented text nails
exact terms, numbers and document numbers ("30 ngày", "294-QĐ/TW") that embeddings blur. Every
candidate of either search is scored by its cosine to the query (from the stored vectors) plus a
small keyword bonus (``assistant.fusion``), so the order keeps how much better a passage matches,
and the refusal decision gets one comparable evidence score whichever search found the passage.

Uploaded documents are searched like the collection, but where two passages score exactly the same
(a re-uploaded copy of an official text, equal BM25 scores, equal fused scores) the collection's
passage goes first, and every passage says which of the two it comes from (``Passage.origin``).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, replace
from functools import cached_property, lru_cache
from typing import Protocol

import numpy as np

from assistant.fusion import fuse_scores
from assistant.references import place_of
from assistant.rewrite import scenario_stem
from assistant.types import Filters, Passage
from ingest.embedder import Embedder
from ingest.index import ChunkIndex
from ingest.keyword_index import KeywordIndex
from ingest.vitokens import segment
from settings import RetrievalSettings

TIE_DECIMALS = 9  # scores equal to this many decimals are a tie (float sums differ in the last bits)


@dataclass(frozen=True)
class SearchRequest:
    """One retrieval call: the text for embeddings, extra keyword terms, and restrictions."""

    query: str
    keyword_terms: tuple[str, ...] = ()
    filters: Filters | None = None
    k: int = 10
    keyword_weight: float = 0.05  # the keyword bonus at the best BM25 match, in cosine units
    # Passages to favour: those that mention a referenced document the collection does not hold.
    boost_ids: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Candidates:
    """What fusion ranks: every candidate's cosine (in search order) and its BM25 score, if any."""

    cosines: dict[str, float]
    keyword: dict[str, float]
    keyword_weight: float
    # Candidates from official documents, which fusion's prior favours (none for the one-search baselines).
    official: frozenset[str] = frozenset()
    # Candidates from a local body's documents when the question names no document or place.
    local: frozenset[str] = frozenset()


class Retriever(Protocol):
    """What the answer chain searches with: ``HybridRetriever``, or an eval baseline's own search."""

    def search(self, request: SearchRequest) -> list[Passage]:
        """The ``request.k`` best passages, best first."""
        ...

    def keyword_passages(self, query: str, terms: Sequence[str], within: Collection[str], k: int) -> list[Passage]:
        """The ``k`` chunks among ``within`` that best match ``terms``, scored against ``query``."""
        ...


class HybridRetriever:
    """Dense + keyword search over one index; ``use`` selects either half for the eval baselines."""

    def __init__(
        self,
        embedder: Embedder,
        index: ChunkIndex,
        keyword: KeywordIndex,
        tuning: RetrievalSettings,
        use: Sequence[str] = ("dense", "keyword"),
    ) -> None:
        self.embedder = embedder
        self.index = index
        self.keyword = keyword
        self.use = tuple(use)
        self.tuning = tuning  # the assistant's own ``retrieval`` settings, so partydocs.toml applies
        # Called with every request and its candidates: eval/fusion.py records them to fit weights.
        self.observer: Callable[[SearchRequest, Candidates], None] | None = None
        self._embed_query = lru_cache(maxsize=512)(self._embed_uncached)
        # Built with the retriever, which ``Assistant.refresh`` rebuilds after every upload.
        self.upload_ids = frozenset(
            chunk_id for record in index.records(origin="upload").values() for chunk_id in record.chunk_ids
        )

    def forget_queries(self) -> None:
        """Drop the cached query vectors, so a benchmark times every embedding (bench/ask.py)."""
        self._embed_query.cache_clear()

    def _embed_uncached(self, query: str) -> np.ndarray:
        return self.embedder.embed_queries([query])[0]

    def search(self, request: SearchRequest) -> list[Passage]:
        """The best passages for the query and, when it tells a story, for its scenario stem too.

        A stem full of a story's numbers and names ("đảng viên chính thức được 6 tháng…") matches
        passages that share them; searched again without them (``scenario_stem``), it can find the
        rule it tests. Each passage keeps its better fused score of the two searches. The one-search
        baselines search the question only, as their names promise.
        """
        found = self._search(request)
        stem = scenario_stem(request.query)
        if not self.tuning.scenario_stems or len(self.use) < 2 or stem == request.query:
            return found
        best = {passage.id: passage for passage in found}
        for passage in self._search(replace(request, query=stem)):
            if passage.id not in best or passage.fused > best[passage.id].fused:
                best[passage.id] = passage
        return sorted(best.values(), key=lambda passage: -passage.fused)[: request.k]

    def _search(self, request: SearchRequest) -> list[Passage]:
        vector = self._embed_query(request.query)
        found = self.candidates(request, vector)
        if self.observer is not None:
            self.observer(request, found)
        fused = fuse_scores(
            found.cosines,
            found.keyword,
            found.keyword_weight,
            request.boost_ids,
            self.tuning.boost,
            found.official,
            self.tuning.official_prior,
            found.local,
            self.tuning.local_penalty,
        )
        return self._passages(self.collection_first(fused)[: request.k], vector)

    def candidates(self, request: SearchRequest, vector: np.ndarray) -> Candidates:
        """Both searches' candidates with everything fusion needs, so fusion can be replayed offline."""
        filters = request.filters if request.filters is not None and not request.filters.is_empty() else None
        dense = self.index.query(vector, self.tuning.candidates, filters) if "dense" in self.use else {}
        # Segmented once, shared by keyword search and the boosted passages.
        keywords = "keyword" in self.use or request.boost_ids
        tokens = segment(" ".join((request.query, *request.keyword_terms))) if keywords else []
        keyword: dict[str, float] = {}
        if "keyword" in self.use:
            keyword.update(self._keyword(tokens, filters))
        if request.boost_ids:
            # BM25 scores do not depend on the ids allowed, so both searches share one scale.
            keyword.update(self._keyword_scores(tokens, request.boost_ids))
        ids = list(dict.fromkeys([*dense, *keyword, *sorted(request.boost_ids)]))
        if "dense" not in self.use:  # the BM25-only baseline: keyword scores alone decide
            return Candidates(dict.fromkeys(ids, 0.0), keyword, 1.0)
        cosines = self._cosines(ids, vector, dense)
        if "keyword" not in self.use:  # the dense-only baseline: cosines alone decide
            return Candidates(cosines, keyword, request.keyword_weight)
        # A question that names documents or a place searches them only: no local passage is penalised there.
        local = frozenset(cosines) & self.local_ids if filters is None or not filters.sources else frozenset()
        return Candidates(cosines, keyword, request.keyword_weight, frozenset(cosines) - self.article_ids, local)

    @cached_property
    def article_ids(self) -> frozenset[str]:
        """Chunks of news articles and explainers (kind "article"), which fusion's official prior
        passes over; read at the first search, once per retriever (rebuilt whenever the index changes)."""
        return frozenset(self.index.ids(Filters(kinds=["article"])))

    @cached_property
    def local_ids(self) -> frozenset[str]:
        """Chunks of official documents whose issuer names a place ("Ban Tổ chức Thành ủy Hà Nội"),
        which fusion's local penalty applies to; read at the first search, once per retriever."""
        return frozenset(
            chunk_id
            for record in self.index.records(official=True).values()
            if place_of(record.meta.issuer)
            for chunk_id in record.chunk_ids
        )

    def keyword_passages(self, query: str, terms: Sequence[str], within: Collection[str], k: int) -> list[Passage]:
        """The ``k`` chunks among ``within`` that best match ``terms`` by keyword, as passages scored
        against ``query`` (for looking inside documents already chosen, not for ranking them)."""
        ranked = self._keyword_ids(segment(" ".join(terms)), frozenset(within))[:k]
        return self._passages([(chunk_id, 0.0) for chunk_id in ranked], self._embed_query(query))

    def collection_first(self, scored: Iterable[tuple[str, float]]) -> list[tuple[str, float]]:
        """Best first; among equal scores the collection's chunks before uploads, else order kept."""
        return sorted(scored, key=lambda item: (-round(item[1], TIE_DECIMALS), item[0] in self.upload_ids))

    def _keyword(self, tokens: list[str], filters: Filters | None) -> list[tuple[str, float]]:
        allowed = self.index.ids(filters) if filters is not None else None
        return self.keyword.search(tokens, k=self.tuning.candidates, allowed_ids=allowed)

    def _keyword_scores(self, tokens: list[str], within: frozenset[str]) -> list[tuple[str, float]]:
        return self.keyword.search(tokens, k=len(within), allowed_ids=within)

    def _keyword_ids(self, tokens: list[str], allowed: set[str] | frozenset[str] | None) -> list[str]:
        scored = self.keyword.search(tokens, k=self.tuning.candidates, allowed_ids=allowed)
        return [chunk_id for chunk_id, _ in self.collection_first(scored)]

    def _cosines(self, ids: list[str], vector: np.ndarray, known: dict[str, float]) -> dict[str, float]:
        """Every candidate's cosine, in ``ids`` order: from dense search, else from its stored vector."""
        missing = [chunk_id for chunk_id in ids if chunk_id not in known]
        found = dict(known)
        for chunk in self.index.get(missing, with_vectors=True):
            found[chunk.id] = float(np.dot(chunk.vector, vector))
        return {chunk_id: found[chunk_id] for chunk_id in ids if chunk_id in found}

    def _passages(self, fused: list[tuple[str, float]], vector: np.ndarray) -> list[Passage]:
        if not fused:
            return []
        chunks = {chunk.id: chunk for chunk in self.index.get([chunk_id for chunk_id, _ in fused], with_vectors=True)}
        passages = []
        for chunk_id, fused_score in fused:
            chunk = chunks[chunk_id]
            score = float(np.dot(chunk.vector, vector))
            origin = "upload" if chunk_id in self.upload_ids else "collection"
            passages.append(Passage.from_chunk(chunk_id, chunk.metadata, chunk.text, score, fused_score, origin))
        return passages
