"""RRF arithmetic on hand-made rankings."""

from __future__ import annotations

import pytest

from assistant.fusion import reciprocal_rank_fusion


def test_scores_follow_the_formula() -> None:
    fused = dict(reciprocal_rank_fusion([["a", "b", "c"], ["b", "d"]], k=60))
    assert fused["a"] == pytest.approx(1 / 61)
    assert fused["b"] == pytest.approx(1 / 62 + 1 / 61)
    assert fused["c"] == pytest.approx(1 / 63)
    assert fused["d"] == pytest.approx(1 / 62)


def test_agreement_beats_a_single_first_place() -> None:
    fused = reciprocal_rank_fusion([["a", "b", "c"], ["b", "d"]])
    assert [doc for doc, _ in fused] == ["b", "a", "d", "c"]


def test_weights_scale_each_ranking() -> None:
    fused = dict(reciprocal_rank_fusion([["a"], ["b"]], k=0, weights=[1.0, 3.0]))
    assert fused == {"a": pytest.approx(1.0), "b": pytest.approx(3.0)}
    assert reciprocal_rank_fusion([["a"], ["b"]], weights=[1.0, 3.0])[0][0] == "b"


def test_duplicates_within_a_ranking_count_once() -> None:
    fused = dict(reciprocal_rank_fusion([["a", "a", "b"]], k=0))
    assert fused == {"a": pytest.approx(1.0), "b": pytest.approx(1 / 3)}


def test_ties_keep_first_seen_order() -> None:
    assert [doc for doc, _ in reciprocal_rank_fusion([["x", "y"], ["y", "x"]])] == ["x", "y"]


def test_empty_inputs() -> None:
    assert reciprocal_rank_fusion([]) == []
    assert reciprocal_rank_fusion([[], []]) == []


def test_invalid_arguments() -> None:
    with pytest.raises(ValueError):
        reciprocal_rank_fusion([["a"]], weights=[1.0, 2.0])
    with pytest.raises(ValueError):
        reciprocal_rank_fusion([["a"]], k=-1)
