"""Issue 16's shipped retrieval levers on a real small index: the rule's own text settles the question.

The Điều lệ Đảng and a news article that quotes its Điều 5 word for word under a question-like
heading, embedded by the real EmbeddingGemma into a real Chroma store. Without fusion's official
prior the article's copy ranks first (it did on the dev set, dev-003); with the default prior the
Điều lệ's article does. A scenario stem is also searched without its story's names and numbers.
Beside QĐ 294, the Hanoi city committee's guidance on the Party badge restates who decides: unless
the question names Hà Nội, fusion's local penalty lets the central rule settle it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.chain import Assistant
from assistant.retriever import SearchRequest
from assistant.rewrite import scenario_stem
from assistant.types import Filters
from ingest.embedder import Embedder
from settings import Settings
from tests.conftest import SUBSET, copy_of_index, make_collection, make_settings

CHARTER = "official/dieu-le-dang-2011.md"
QUOTING_ARTICLE = "articles/toan-van-quyet-dinh-2676-qd-bgddt-2025-ve-phe-duyet-tai-lieu-huong-dan-to-chuc-cong-tac.md"
QUESTION = "How long is the probationary period for a newly admitted party member?"
RULE = "thời kỳ dự bị mười hai tháng"
REGULATION_294 = "official/qd-294-2025-thi-hanh-dieu-le.pdf"
HANOI_BADGE = "official/hanoi-btctu-2025-trao-tang-huy-hieu-dang.pdf"


@pytest.fixture(scope="module")
def charter_index(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> Settings:
    from ingest.service import ingest_collection

    tmp: Path = tmp_path_factory.mktemp("official-prior")
    settings = make_settings(tmp, make_collection(tmp / "corpus", (CHARTER, QUOTING_ARTICLE)))
    report = ingest_collection(settings, embedder=embedder)
    assert not report.failures, report.failures
    return settings


@pytest.fixture(scope="module")
def badge_index(tmp_path_factory: pytest.TempPathFactory, subset_settings: Settings, embedder: Embedder) -> Settings:
    """The session's subset (QĐ 294 among it) plus the Hanoi badge guidance, whose issuer names a place."""
    from ingest.service import ingest_collection

    settings = copy_of_index(subset_settings, tmp_path_factory.mktemp("local-penalty"), (*SUBSET, HANOI_BADGE))
    report = ingest_collection(settings, embedder=embedder)
    assert not report.failures, report.failures
    return settings


def _ranked(
    settings: Settings, embedder: Embedder, question: str, filters: Filters | None = None, **tuning: object
) -> list[tuple[str, str]]:
    retrieval = settings.retrieval.model_copy(update=tuning)
    assistant = Assistant(settings.model_copy(update={"retrieval": retrieval}), embedder)
    request = SearchRequest(question, filters=filters, k=5, keyword_weight=retrieval.keyword_weight_en)
    return [(p.source, p.text) for p in assistant.retriever.search(request)]


def test_the_charter_settles_the_question_with_the_prior(charter_index: Settings, embedder: Embedder) -> None:
    source, text = _ranked(charter_index, embedder, QUESTION)[0]
    assert source == CHARTER
    assert RULE in text


def test_without_the_prior_the_quoting_article_ranks_first(charter_index: Settings, embedder: Embedder) -> None:
    ranked = _ranked(charter_index, embedder, QUESTION, official_prior=0.0)
    assert ranked[0][0] == QUOTING_ARTICLE
    assert any(source == CHARTER and RULE in text for source, text in ranked)


def test_a_scenario_stem_loses_its_story_but_keeps_roles_durations_and_actions() -> None:
    stem = "Đồng chí Nguyễn Văn A là đảng viên chính thức được 6 tháng, cùng công tác 02 năm với anh B."
    assert scenario_stem(stem) == "Đồng chí là đảng viên chính thức được tháng, cùng công tác năm với anh ."
    assert scenario_stem("Chi bộ họp mấy lần một tháng?") == "Chi bộ họp mấy lần một tháng?"


def test_a_scenario_finds_the_rule_it_tests(charter_index: Settings, embedder: Embedder) -> None:
    question = (
        "Đồng chí Nguyễn Văn A là đảng viên chính thức được 6 tháng, cùng công tác 02 năm với anh B. "
        "Đồng chí A có được giới thiệu anh B vào Đảng không?"
    )
    rule = "cùng công tác với người vào Đảng ít nhất một năm"
    ranked = _ranked(charter_index, embedder, question)
    assert ranked[0][0] == CHARTER and rule in ranked[0][1]


def test_the_central_rule_settles_a_question_that_names_no_place(badge_index: Settings, embedder: Embedder) -> None:
    question = "Who decides to award the Party badge?"
    assert _ranked(badge_index, embedder, question, local_penalty=0.0)[0][0] == HANOI_BADGE
    assert _ranked(badge_index, embedder, question)[0][0] == REGULATION_294


def test_a_local_answer_the_central_rule_lacks_still_ranks_first(badge_index: Settings, embedder: Embedder) -> None:
    """The penalty is a nudge: the badge dossier is the Hanoi guidance's own subject."""
    assert _ranked(badge_index, embedder, "Hồ sơ đề nghị tặng Huy hiệu Đảng gồm những gì?")[0][0] == HANOI_BADGE


def test_a_question_naming_the_place_is_not_penalised(badge_index: Settings, embedder: Embedder) -> None:
    """Named documents (here both, as a comparison names them) are searched as they are."""
    named = Filters(sources=[REGULATION_294, HANOI_BADGE])
    question = "Who decides to award the Party badge?"
    assert _ranked(badge_index, embedder, question, named) == _ranked(
        badge_index, embedder, question, named, local_penalty=0.0
    )
