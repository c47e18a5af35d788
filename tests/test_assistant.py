"""Retrieval and cited answers on a real indexed subset, with the real embedding model."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.chain import Assistant
from assistant.parts import Parts
from assistant.rewrite import needs_context, rewrite_followup
from assistant.types import Filters
from assistant.units import is_heading
from ingest.embedder import Embedder
from prompts.answer import REFUSAL_WITH_CLOSEST as REFUSAL
from settings import Settings

QD294 = "official/qd-294-2025-thi-hanh-dieu-le.pdf"


def test_age_question_cites_point_1_1_1_of_qd_294(assistant: Assistant) -> None:
    result = assistant.ask("Người vào Đảng phải bao nhiêu tuổi?")
    assert not result.refused
    first = result.citations[0].passage
    assert first.source == QD294 and first.number == "294-QĐ/TW"
    # The last heading of the path is the point itself; QĐ 294 also has a point 11.1.1.
    assert first.section.split(" > ")[-1] == "1.1.1.", first.section
    assert "18 tuổi" in result.answer
    assert "[1]" in result.answer


def test_admission_ceremony_deadline_is_30_working_days(assistant: Assistant) -> None:
    result = assistant.ask("Thời hạn tổ chức lễ kết nạp đảng viên là bao lâu?")
    assert not result.refused
    cited = " ".join(c.passage.text for c in result.citations)
    assert "30 ngày làm việc" in cited and "lễ kết nạp" in cited
    assert "30 ngày làm việc" in result.answer, "the rule, not its heading, must be quoted"
    assert any(c.passage.source == QD294 for c in result.citations)


def test_guidance_26_not_in_collection_says_so_and_shows_what_it_has(assistant: Assistant) -> None:
    result = assistant.ask("What does Guidance 26 say about surplus candidates?")
    assert result.language == "en"
    assert not result.refused
    assert any("not in the collection" in note for note in result.notes)
    assert "not in the collection" in result.answer
    sources = [c.passage.source for c in result.citations] + [p.source for p in result.retrieved[:5]]
    assert any(s.startswith("seeds/") for s in sources)
    seed_text = " ".join(p.text for p in result.retrieved[:5] if p.source.startswith("seeds/"))
    assert "26" in seed_text or "số dư" in seed_text


SO_DU_SENTENCE = "trình tự thực hiện quy trình nhân sự cấp ủy và số dư"


@pytest.mark.parametrize(
    ("question", "absent"),
    [
        ("Hướng dẫn 26 nói gì về số dư?", "không có trong bộ văn bản"),
        ("What does Guidance 26 say about surplus candidates?", "not in the collection"),
    ],
)
def test_guidance_26_answer_quotes_the_so_du_sentence_and_says_the_guidance_is_absent(
    assistant: Assistant, question: str, absent: str
) -> None:
    """The point asked is "số dư": of everything seed 001 says, the one sentence naming it is quoted."""
    result = assistant.ask(question)
    assert absent in result.answer
    claims = [claim for part in result.parts for claim in part.claims]
    assert any(SO_DU_SENTENCE in claim for claim in claims), claims
    part = next(p for p in result.parts if any(SO_DU_SENTENCE in c for c in p.claims))
    cited = next(c for c in result.citations if c.n == part.citation)
    assert cited.passage.source == "seeds/001_08361227f022f5cb.txt"
    assert SO_DU_SENTENCE in cited.passage.text


def test_off_topic_question_is_refused_with_closest_passages(assistant: Assistant) -> None:
    result = assistant.ask("Giá vàng hôm nay bao nhiêu?")
    assert result.refused
    assert "Không tìm thấy trong bộ văn bản" in result.answer
    assert result.citations == [] and result.retrieved


def test_two_turn_conversation(assistant: Assistant) -> None:
    first = "Thời hạn xét công nhận đảng viên chính thức là bao lâu?"
    follow = "còn thời hạn quyết định kết nạp thì sao?"
    result = assistant.ask(follow, history=[first])
    assert result.rewritten_query != follow and "kết nạp" in result.rewritten_query
    assert not result.refused
    cited = " ".join(c.passage.text for c in result.citations)
    assert "45 ngày làm việc" in cited  # QĐ 294 point 4.3.1


def test_reference_restricts_search_to_that_document(assistant: Assistant) -> None:
    result = assistant.ask("Quy định 294 nói gì về kết nạp lại?")
    assert result.retrieved and all(p.source == QD294 for p in result.retrieved)


def test_filters_restrict_results(assistant: Assistant) -> None:
    result = assistant.ask("số dư cấp ủy", filters=Filters(kinds=["article"]))
    assert result.retrieved and all(p.kind == "article" for p in result.retrieved)


def test_a_reference_outside_the_users_filters_falls_back_to_the_filters(assistant: Assistant) -> None:
    # QĐ 294 is not an article: the reference and the filter exclude each other, so the user's filter wins.
    result = assistant.ask("Quy định 294 nói gì về kết nạp lại?", filters=Filters(kinds=["article"]))
    assert result.retrieved and all(p.kind == "article" for p in result.retrieved)


@pytest.mark.parametrize(
    ("sentence", "heading"),
    [
        ("4.1. (Khoản 1): Thời hạn tổ chức lễ kết nạp.", True),
        ("4. Điều 5: Về thời hạn tổ chức lễ kết nạp đảng viên, xét công nhận đảng viên chính thức", True),
        ("1.1.1. Tuổi đời: người vào Đảng phải đủ 18 tuổi", False),
        ("3.5.3. Chỉ kết nạp lại một lần.", False),
        ("# Kết luận 118 điều chỉnh Chỉ thị 35 về đại hội đảng bộ các cấp", True),
        ("Trong thời hạn 30 ngày làm việc, chi bộ phải tổ chức lễ kết nạp cho đảng viên.", False),
    ],
)
def test_headings_are_not_quoted_as_rules(sentence: str, heading: bool) -> None:
    assert is_heading(sentence) is heading


def test_rules_rewrite_only_what_needs_context() -> None:
    assert not needs_context("Thời hạn xét công nhận đảng viên chính thức là bao lâu?")
    assert needs_context("còn đảng viên dự bị thì sao?")
    assert needs_context("and who decides that?")
    standalone = "Thời hạn xét công nhận đảng viên chính thức là bao lâu?"
    assert rewrite_followup(standalone, ["Người vào Đảng phải bao nhiêu tuổi?"]) == standalone
    rewritten = rewrite_followup("còn đảng viên dự bị thì sao?", [standalone])
    assert rewritten.startswith("đảng viên dự bị") and "công nhận đảng viên chính thức" in rewritten


def test_ask_cli_json_shape(subset_settings: Settings, tmp_path: Path) -> None:
    history = tmp_path / "history.json"
    history.write_text(json.dumps(["Thời hạn xét công nhận đảng viên chính thức là bao lâu?"]), "utf-8")
    env = {
        **os.environ,
        "PARTYDOCS_DATA_DIR": str(subset_settings.data_dir),
        "PARTYDOCS_COLLECTION_PATH": str(subset_settings.collection_path),
    }
    out = subprocess.run(
        [
            sys.executable,
            "app.py",
            "ask",
            "còn thời hạn quyết định kết nạp thì sao?",
            "--history-file",
            str(history),
            "--json",
        ],
        capture_output=True,
        text=True,
        check=True,
        env=env,
        cwd=Path(__file__).resolve().parent.parent,
    )
    data = json.loads(out.stdout)
    assert set(data) >= {"question", "rewritten_query", "answer", "refused", "citations", "retrieved", "timings_ms"}
    assert data["citations"] and set(data["citations"][0]) >= {
        "n",
        "source",
        "title",
        "number",
        "date",
        "section",
        "text",
        "score",
    }
    assert len(data["retrieved"]) == 10 and data["timings_ms"]["total"] > 0


class _DecliningGenerator:
    """A model that answers every prompt with the refusal line, as Qwen2.5-1.5B did for six
    answerable dev questions (eval of 2026-12-02)."""

    name = "declining"

    def stream(self, messages: list[dict[str, str]], max_tokens: int, temperature: float) -> Iterator[str]:
        yield REFUSAL["vi"]

    def count_tokens(self, text: str) -> int:
        return len(text) // 3


DECLINING = Parts(generator=lambda settings: (_DecliningGenerator(), ""))


def test_a_model_that_refuses_answerable_evidence_falls_back_to_the_quotes(
    subset_settings: Settings, embedder: Embedder
) -> None:
    declining = Assistant(subset_settings, embedder, parts=DECLINING)
    result = declining.ask("Người vào Đảng phải bao nhiêu tuổi?", mode="generative")
    assert not result.refused and result.mode == "extractive"
    assert any("trích dẫn nguyên văn" in note for note in result.notes)
    assert "18 tuổi" in result.answer and result.citations


def test_stage_timings_add_up_to_the_total_in_both_modes(subset_settings: Settings, embedder: Embedder) -> None:
    assistant = Assistant(subset_settings, embedder, parts=DECLINING)
    for mode in ("extractive", "generative"):
        timings = assistant.ask("Người vào Đảng phải bao nhiêu tuổi?", mode=mode).timings_ms
        stages = [timings["prepare"], timings["retrieve"], timings["answer"]]
        assert all(ms > 0 for ms in stages), timings
        assert timings["total"] == pytest.approx(sum(stages)), timings
    # The generator's own timings are parts of the answer stage, not stages of their own.
    assert 0 < timings["generate_generate"] <= timings["answer"]
