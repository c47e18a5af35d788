"""Score fusion of dense and keyword search: the cosine, plus a small per-language share of BM25.

The first version fused by reciprocal rank (RRF, k=60). With k=60 the rank differences among the
top passages are tiny, so whichever list disagreed with dense search decided the order: English
questions, whose BM25 ranking is nearly noise, ranked their evidence lower than dense search alone
(dev MRR@10 0.544 against 0.672), and Vietnamese ones gained less than they could. Scores keep how
*much* better a passage is. The cosine is comparable across queries; BM25 is not, so it is divided
by the query's best BM25 score, which makes the keyword term a bounded bonus in [0, weight] that
lifts exact-term matches among passages of similar meaning. The weights per question language
were chosen by cross-validation on the dev set (``eval/fusion.py``, ``eval/reports/fusion/``).

Passages of official documents (any kind but "article") get a small prior as well: news articles
and explainers often quote a rule word for word ("Chi bộ có chín đảng viên chính thức trở lên…"),
and their copy, wrapped in a question-like heading, tends to sit a hair closer to the question than
the rule itself. The prior makes the document that lays down the rule settle it. It was the one
term of issue 16's lever 1 that won out of fold on dev (``eval/reports/retrieval-levers/``); per-query
weights from exact terms and list agreement, min-max scaling and length normalization did not.

Passages of a local body's documents (the Hanoi city committee's guidances) lose a little when the
question names no document or place. Such a guidance restates the central rules at length, under
section paths as vague as "PHẦN THỨ HAI … > II.", and a question about the Party's rules ("Người vào
Đảng phải bao nhiêu tuổi?") is settled by the central text (QĐ 294's "đủ 18 tuổi đến đủ 60 tuổi"),
not by one city's restatement ("đủ 18 tuổi trở lên"). A question that names the place ("ở Hà Nội")
is searched within that place's documents (``assistant.retrieval``) and is not penalised.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

from settings import get_settings


def fuse_scores(
    cosines: Mapping[str, float],
    keyword: Mapping[str, float],
    keyword_weight: float,
    boost_ids: Collection[str] = (),
    boost: float | None = None,
    official: Collection[str] = (),
    official_prior: float = 0.0,
    local: Collection[str] = (),
    local_penalty: float = 0.0,
) -> list[tuple[str, float]]:
    """Best first: ``cosine + keyword_weight * bm25 / max(bm25) (+ official_prior if official)
    (- local_penalty if local) (+ boost if boosted)``.

    ``boost`` (``retrieval.boost``, the process's when None) sits above any cosine plus keyword
    bonus, so a passage naming the asked-for document outranks any other.

    ``cosines`` must hold every candidate (the union of both searches and the boosted ids), so no
    passage is scored by a guess; a candidate without keyword evidence gets no keyword bonus. Equal
    scores keep the order of ``cosines``, which makes the output reproducible.
    """
    if keyword_weight < 0:
        raise ValueError("keyword_weight must be >= 0")
    boost = get_settings().retrieval.boost if boost is None else boost
    top = max(keyword.values(), default=0.0)
    scale = keyword_weight / top if top > 0 else 0.0
    scores = {
        chunk_id: cosine
        + scale * keyword.get(chunk_id, 0.0)
        + (official_prior if chunk_id in official else 0.0)
        - (local_penalty if chunk_id in local else 0.0)
        + (boost if chunk_id in boost_ids else 0.0)
        for chunk_id, cosine in cosines.items()
    }
    first_seen = {chunk_id: position for position, chunk_id in enumerate(scores)}
    return sorted(scores.items(), key=lambda item: (-item[1], first_seen[item[0]]))
