"""Score-fusion arithmetic on hand-made scores."""

from __future__ import annotations

import pytest

from assistant.fusion import fuse_scores
from settings import RetrievalSettings


def test_scores_follow_the_formula() -> None:
    fused = dict(fuse_scores({"a": 0.6, "b": 0.5, "c": 0.4}, {"b": 10.0, "c": 5.0}, keyword_weight=0.1))
    assert fused["a"] == pytest.approx(0.6)
    assert fused["b"] == pytest.approx(0.5 + 0.1)
    assert fused["c"] == pytest.approx(0.4 + 0.05)


def test_keyword_bonus_reorders_close_cosines_but_not_distant_ones() -> None:
    close = fuse_scores({"a": 0.52, "b": 0.50}, {"b": 3.0}, keyword_weight=0.05)
    assert [chunk for chunk, _ in close] == ["b", "a"]
    distant = fuse_scores({"a": 0.70, "b": 0.50}, {"b": 3.0}, keyword_weight=0.05)
    assert [chunk for chunk, _ in distant] == ["a", "b"]


def test_bm25_is_scaled_by_the_query_best_match() -> None:
    # The same relative BM25 gives the same bonus whatever the raw scale of the query's scores.
    small = dict(fuse_scores({"a": 0.5, "b": 0.5}, {"a": 2.0, "b": 1.0}, keyword_weight=0.1))
    large = dict(fuse_scores({"a": 0.5, "b": 0.5}, {"a": 200.0, "b": 100.0}, keyword_weight=0.1))
    assert small == pytest.approx(large)


def test_boosted_passages_outrank_every_other() -> None:
    fused = fuse_scores({"a": 0.9, "b": 0.2}, {"a": 9.0}, keyword_weight=0.1, boost_ids={"b"})
    assert [chunk for chunk, _ in fused] == ["b", "a"]
    assert dict(fused)["b"] == pytest.approx(0.2 + RetrievalSettings().boost)


def test_ties_keep_the_candidate_order_and_empty_inputs_give_nothing() -> None:
    assert [chunk for chunk, _ in fuse_scores({"x": 0.5, "y": 0.5}, {}, keyword_weight=0.1)] == ["x", "y"]
    assert fuse_scores({}, {}, keyword_weight=0.1) == []
    # No keyword evidence at all: no bonus, no division by zero.
    assert dict(fuse_scores({"x": 0.5}, {"x": 0.0}, keyword_weight=0.1)) == {"x": 0.5}


def test_negative_weight_is_refused() -> None:
    with pytest.raises(ValueError):
        fuse_scores({"a": 0.5}, {}, keyword_weight=-0.1)
