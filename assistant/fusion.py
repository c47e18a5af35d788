"""Reciprocal rank fusion of the dense and keyword rankings.

RRF uses ranks only, so BM25 scores and cosine similarities, which live on unrelated scales, never
have to be calibrated against each other (Cormack, Clarke & Büttcher, SIGIR 2009; k=60 is their
value and works without tuning).
"""

from __future__ import annotations

from collections.abc import Sequence


def reciprocal_rank_fusion(
    rankings: Sequence[Sequence[str]], k: int = 60, weights: Sequence[float] | None = None
) -> list[tuple[str, float]]:
    """Fuse best-first id lists: score(d) = sum_i weights[i] / (k + rank_i(d)), ranks from 1.

    An id repeated within one ranking counts once, at its best rank, so a retriever returning
    several hits for the same id cannot outvote the others. Equal scores keep the order in which
    ids were first seen (earlier rankings first), which makes the output reproducible.
    """
    if k < 0:
        raise ValueError("k must be >= 0")
    if weights is None:
        weights = [1.0] * len(rankings)
    if len(weights) != len(rankings):
        raise ValueError(f"{len(weights)} weights for {len(rankings)} rankings")
    scores: dict[str, float] = {}
    for ranking, weight in zip(rankings, weights, strict=True):
        seen: set[str] = set()
        for rank, doc_id in enumerate(ranking, start=1):
            if doc_id in seen:
                continue
            seen.add(doc_id)
            scores[doc_id] = scores.get(doc_id, 0.0) + weight / (k + rank)
    first_seen = {doc_id: position for position, doc_id in enumerate(scores)}
    return sorted(scores.items(), key=lambda item: (-item[1], first_seen[item[0]]))
