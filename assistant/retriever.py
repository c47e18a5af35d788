"""Hybrid retrieval: dense search in Chroma plus Vietnamese BM25, fused by reciprocal rank.

Dense search understands paraphrase and English questions; BM25 over word-segmented text nails
exact terms, numbers and document numbers ("30 ngày", "294-QĐ/TW") that embeddings blur. RRF
fuses ranks, not scores, so the two need no calibration against each other. Every fused passage
then gets its cosine similarity to the query (from the stored vectors), because the refusal
decision needs one comparable evidence score whichever search found the passage.

Uploaded documents are searched like the collection, but where two passages score exactly the same
(a re-uploaded copy of an official text, equal BM25 scores, equal fused ranks) the collection's
passage goes first, and every passage says which of the two it comes from (``Passage.origin``).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

from assistant.fusion import reciprocal_rank_fusion
from assistant.types import Filters, Passage
from ingest.embedder import Embedder
from ingest.index import ChunkIndex
from ingest.keyword_index import KeywordIndex
from ingest.vitokens import segment

CANDIDATES = 50  # per retriever, before fusion
TIE_DECIMALS = 9  # scores equal to this many decimals are a tie (float sums differ in the last bits)


@dataclass(frozen=True)
class SearchRequest:
    """One retrieval call: the text for embeddings, extra keyword terms, and restrictions."""

    query: str
    keyword_terms: tuple[str, ...] = ()
    filters: Filters | None = None
    k: int = 10
    keyword_weight: float = 1.0  # relative to dense search, in the rank fusion
    # Passages to favour: those that mention a referenced document the collection does not hold.
    boost_ids: frozenset[str] = frozenset()


# Above dense + keyword together: a passage naming the asked-for document outranks any other.
BOOST_WEIGHT = 2.5


class HybridRetriever:
    """Dense + keyword search over one index; ``use`` selects either half for the eval baselines."""

    def __init__(
        self,
        embedder: Embedder,
        index: ChunkIndex,
        keyword: KeywordIndex,
        use: Sequence[str] = ("dense", "keyword"),
    ) -> None:
        self.embedder = embedder
        self.index = index
        self.keyword = keyword
        self.use = tuple(use)
        self._embed_query = lru_cache(maxsize=512)(self._embed_uncached)
        # Built with the retriever, which ``Assistant.refresh`` rebuilds after every upload.
        self.upload_ids = frozenset(
            chunk_id
            for record in index.records().values()
            if record.origin == "upload"
            for chunk_id in record.chunk_ids
        )

    def _embed_uncached(self, query: str) -> np.ndarray:
        return self.embedder.embed_queries([query])[0]

    def search(self, request: SearchRequest) -> list[Passage]:
        vector = self._embed_query(request.query)
        where = chroma_where(request.filters)
        rankings: list[list[str]] = []
        weights: list[float] = []
        if "dense" in self.use:
            rankings.append(self._dense(vector, where))
            weights.append(1.0)
        # Segmented once, shared by keyword search and the mention boost.
        keywords = "keyword" in self.use or request.boost_ids
        tokens = segment(" ".join((request.query, *request.keyword_terms))) if keywords else []
        if "keyword" in self.use:
            rankings.append(self._keyword(tokens, where))
            weights.append(request.keyword_weight)
        if request.boost_ids:
            rankings.append(self._boosted(tokens, request.boost_ids))
            weights.append(BOOST_WEIGHT)
        fused = self.collection_first(reciprocal_rank_fusion(rankings, weights=weights))[: request.k]
        return self._passages(fused, vector)

    def keyword_passages(self, query: str, terms: Sequence[str], within: Collection[str], k: int) -> list[Passage]:
        """The ``k`` chunks among ``within`` that best match ``terms`` by keyword, as passages scored
        against ``query`` (for looking inside documents already chosen, not for ranking them)."""
        ranked = self._keyword_ids(segment(" ".join(terms)), frozenset(within))[:k]
        return self._passages([(chunk_id, 0.0) for chunk_id in ranked], self._embed_query(query))

    def collection_first(self, scored: Iterable[tuple[str, float]]) -> list[tuple[str, float]]:
        """Best first; among equal scores the collection's chunks before uploads, else order kept."""
        return sorted(scored, key=lambda item: (-round(item[1], TIE_DECIMALS), item[0] in self.upload_ids))

    def _dense(self, vector: np.ndarray, where: dict[str, Any] | None) -> list[str]:
        got = self.index.chunks.query(
            query_embeddings=[vector], n_results=CANDIDATES, where=where, include=["distances"]
        )
        distances = got["distances"][0] if got["distances"] else []
        scored = zip(got["ids"][0], (-float(d) for d in distances), strict=True)
        return [chunk_id for chunk_id, _ in self.collection_first(scored)]

    def _keyword(self, tokens: list[str], where: dict[str, Any] | None) -> list[str]:
        allowed = self._allowed_ids(where) if where else None
        return self._keyword_ids(tokens, allowed)

    def _keyword_ids(self, tokens: list[str], allowed: set[str] | frozenset[str] | None) -> list[str]:
        scored = self.keyword.search(tokens, k=CANDIDATES, allowed_ids=allowed)
        return [chunk_id for chunk_id, _ in self.collection_first(scored)]

    def _boosted(self, tokens: list[str], boost_ids: frozenset[str]) -> list[str]:
        """The boosted passages, best keyword match first, then the rest in a stable order."""
        ranked = self._keyword_ids(tokens, boost_ids)
        return ranked + sorted(boost_ids - set(ranked))

    def _allowed_ids(self, where: dict[str, Any]) -> set[str]:
        return set(self.index.chunks.get(where=where, include=[])["ids"])

    def _passages(self, fused: list[tuple[str, float]], vector: np.ndarray) -> list[Passage]:
        if not fused:
            return []
        ids = [chunk_id for chunk_id, _ in fused]
        got = self.index.chunks.get(ids=ids, include=["metadatas", "documents", "embeddings"])
        rows = {
            chunk_id: (meta, text, emb)
            for chunk_id, meta, text, emb in zip(
                got["ids"], got["metadatas"], got["documents"], got["embeddings"], strict=True
            )
        }
        passages = []
        for chunk_id, fused_score in fused:
            meta, text, emb = rows[chunk_id]
            score = float(np.dot(np.asarray(emb, dtype=np.float32), vector))
            origin = "upload" if chunk_id in self.upload_ids else "collection"
            passages.append(Passage.from_chunk(chunk_id, meta, text, score, fused_score, origin))
        return passages


def chroma_where(filters: Filters | None) -> dict[str, Any] | None:
    """Translate user filters into a Chroma ``where`` clause (None when unrestricted)."""
    if filters is None or filters.is_empty():
        return None
    clauses: list[dict[str, Any]] = []
    if filters.sources:
        clauses.append({"source": {"$in": list(filters.sources)}})
    if filters.kinds:
        clauses.append({"kind": {"$in": list(filters.kinds)}})
    if filters.years:
        clauses.append({"year": {"$in": [int(y) for y in filters.years]}})
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}
