"""Fusion's official prior on a real small index: the rule's own text settles the question.

The Điều lệ Đảng and a news article that quotes its Điều 5 word for word under a question-like
heading, embedded by the real EmbeddingGemma into a real Chroma store. Without the prior the
article's copy ranks first (it did on the dev set, dev-003); with the default prior the Điều lệ's
article does, and the article's copy stays in the list.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.chain import Assistant
from assistant.retriever import SearchRequest
from ingest.embedder import Embedder
from settings import Settings
from tests.conftest import make_collection, make_settings

CHARTER = "official/dieu-le-dang-2011.md"
QUOTING_ARTICLE = "articles/toan-van-quyet-dinh-2676-qd-bgddt-2025-ve-phe-duyet-tai-lieu-huong-dan-to-chuc-cong-tac.md"
QUESTION = "How long is the probationary period for a newly admitted party member?"
RULE = "thời kỳ dự bị mười hai tháng"


@pytest.fixture(scope="module")
def charter_index(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> Settings:
    from ingest.service import ingest_collection

    tmp: Path = tmp_path_factory.mktemp("official-prior")
    settings = make_settings(tmp, make_collection(tmp / "corpus", (CHARTER, QUOTING_ARTICLE)))
    report = ingest_collection(settings, embedder=embedder)
    assert not report.failures, report.failures
    return settings


def _first_sources(settings: Settings, embedder: Embedder, prior: float) -> list[tuple[str, str]]:
    retrieval = settings.retrieval.model_copy(update={"official_prior": prior})
    assistant = Assistant(settings.model_copy(update={"retrieval": retrieval}), embedder)
    request = SearchRequest(QUESTION, k=5, keyword_weight=retrieval.keyword_weight_en)
    return [(p.source, p.text) for p in assistant.retriever.search(request)]


def test_the_charter_settles_the_question_with_the_prior(charter_index: Settings, embedder: Embedder) -> None:
    source, text = _first_sources(charter_index, embedder, charter_index.retrieval.official_prior)[0]
    assert source == CHARTER
    assert RULE in text


def test_without_the_prior_the_quoting_article_ranks_first(charter_index: Settings, embedder: Embedder) -> None:
    ranked = _first_sources(charter_index, embedder, 0.0)
    assert ranked[0][0] == QUOTING_ARTICLE
    assert any(source == CHARTER and RULE in text for source, text in ranked)
