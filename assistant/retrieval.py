"""The retrieve stage: the turn's query searched, restricted to the documents it names.

Beside the ranked list (``assistant.retriever`` does the ranking) this stage owns what references
add to a search: the source filter of the documents found, and for a document the collection
lacks, the chunks that name it (boosted) and what those chunks' documents say on the point
(``related``, looked up apart so the ranking itself is unchanged).
"""

from __future__ import annotations

import time
from dataclasses import replace

from assistant.abbreviations import abbreviated
from assistant.references import DocRef, canonical_number, mention_pattern
from assistant.retriever import Retriever, SearchRequest
from assistant.turn import Turn, elapsed_ms, without_references
from assistant.types import Filters, Passage
from ingest.index import ChunkIndex
from ingest.mentions import lookup_keys
from settings import RetrievalSettings


def retrieve(turn: Turn, retriever: Retriever, index: ChunkIndex, retrieval: RetrievalSettings) -> Turn:
    """Fill in the turn's passages (and the mentions and related passages of missing documents)."""
    started = time.perf_counter()
    referenced = [m.source for r in turn.resolutions if r.status != "not_found" for m in r.matches]
    filters = turn.filters
    if referenced and not filters.sources:
        filters = Filters(sources=referenced, kinds=filters.kinds, years=filters.years)
    turn.mentions = mentions(index, [r.ref for r in turn.resolutions if r.status == "not_found"])
    request = SearchRequest(
        turn.rewritten,
        # Terms the documents abbreviate are also searched as written there ("CNĐVCT").
        (*turn.keyword_terms, *abbreviated(" ".join([turn.rewritten, *turn.keyword_terms]))),
        filters,
        retrieval.k,
        keyword_weight=retrieval.keyword_weight_en if turn.language == "en" else retrieval.keyword_weight,
        boost_ids=turn.mentions,
    )
    turn.passages = retriever.search(request)
    if not turn.passages and filters is not turn.filters:
        # Same request without the reference-derived source filter, keeping k, weights and boosts.
        turn.passages = retriever.search(replace(request, filters=turn.filters))
    turn.related = related(turn, retriever, index, retrieval.related_passages)
    turn.timings["retrieve"] = elapsed_ms(started)
    return turn


def mentions(index: ChunkIndex, refs: list[DocRef]) -> frozenset[str]:
    """Chunks that name a referenced document missing from the collection.

    Looked up among the mentions ingest stored with each chunk; an index built before it stored
    them (until the next ``app.py ingest`` backfills it) is scanned with the same references' regex.
    """
    named = [(ref, pattern) for ref in refs if (pattern := mention_pattern(ref))]
    if not named:
        return frozenset()
    # mention_pattern gave a pattern, so the ref has a kind and a number, which parsing keeps decimal.
    keys = [key for ref, _ in named for key in lookup_keys(str(ref.kind), canonical_number(str(ref.number)))]
    found = index.ids_mentioning(keys)
    if found is None:
        found = index.ids_matching("|".join(f"(?:{pattern})" for _, pattern in named))
    return frozenset(found)


def related(turn: Turn, retriever: Retriever, index: ChunkIndex, k: int) -> list[Passage]:
    """The ``k`` passages of the documents naming a missing document that hold the question's point.

    A report names Hướng dẫn 26 in one paragraph and says what it means for "số dư" in another:
    the answer needs the second, though it never names the guidance. Looked up apart from the
    ranked list, so retrieval's own ranking is unchanged.
    """
    if not turn.mentions:
        return []
    sources = sorted({str(chunk.metadata["source"]) for chunk in index.get(sorted(turn.mentions))})
    if not sources:  # unrestricted filters would mean every chunk
        return []
    within = index.ids(Filters(sources=sources)) - turn.mentions
    shown = {p.id for p in turn.passages}
    terms = [without_references(turn), *turn.keyword_terms]
    return retriever.keyword_passages(turn.rewritten, terms, within - shown, k)
