"""Exam items asked like any question (CLI, chat, question files) get a cited choice, or a decline.

Real chain over the session's real subset index (QĐ 294 among it), real embedder and tokenizer.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.chain import Assistant
from ingest.embedder import Embedder
from settings import Settings, get_settings

QD294 = "official/qd-294-2025-thi-hanh-dieu-le.pdf"
REPO = Path(__file__).resolve().parent.parent
AGE = "Theo Quy định 294-QĐ/TW, tại thời điểm chi bộ xét kết nạp, người vào Đảng phải có tuổi đời như thế nào?"
AGES = (
    "Đủ 18 tuổi đến đủ 60 tuổi",
    "Đủ 18 tuổi đến đủ 55 tuổi",
    "Đủ 16 tuổi đến đủ 60 tuổi",
    "Đủ 20 tuổi đến đủ 60 tuổi",
)


def test_a_pasted_item_gets_its_option_and_the_sentence_that_settles_it(assistant: Assistant) -> None:
    pasted = "\n".join([AGE, *(f"{letter}. {option}" for letter, option in zip("ABCD", AGES, strict=True))])
    result = assistant.ask(pasted)
    assert result.choice == "A" and not result.refused
    assert result.lead == f"Đáp án: A. {AGES[0]}"
    [citation] = result.citations
    assert citation.passage.source == QD294 and "18 tuổi đến đủ 60 tuổi" in citation.quote
    assert result.parts[0].claims == [citation.quote]  # the deciding sentence, quoted as it stands
    assert result.to_json()["choice"] == "A"


def test_options_given_apart_are_the_same_item(assistant: Assistant) -> None:
    assert assistant.ask(AGE, options=list(AGES)).choice == "A"
    assert assistant.ask(AGE, options=dict(zip("ABCD", AGES, strict=True))).choice == "A"


def test_an_ordinary_question_with_a_list_goes_through_the_answer_chain(assistant: Assistant) -> None:
    result = assistant.ask("Người vào Đảng phải bao nhiêu tuổi: a) 16, b) 18 hay c) 20 tuổi, đúng không?")
    assert result.choice is None and "retrieve" in result.timings_ms and "exam" not in result.timings_ms


def test_an_item_the_collection_does_not_settle_is_declined(assistant: Assistant) -> None:
    result = assistant.ask(
        "Theo quy định, đảng viên được nghỉ phép năm bao nhiêu ngày khi đi du lịch nước ngoài? Đúng hay sai?"
    )
    assert result.choice is None and result.refused
    assert "không đủ căn cứ" in result.answer and not result.citations


def test_the_exam_margin_of_the_config_file_and_the_environment_reaches_the_apps_assistant(
    subset_settings: Settings, embedder: Embedder, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``exam.margin`` in partydocs.toml, then PARTYDOCS_EXAM__MARGIN over it, decide how the
    assistant the app builds (``Assistant(get_settings())``) answers the item the default settles."""
    config = tmp_path / "partydocs.toml"
    config.write_text("[exam]\nmargin = 1.0\n", encoding="utf-8")  # no option can lead another by 1.0
    monkeypatch.setenv("PARTYDOCS_CONFIG", str(config))
    monkeypatch.setenv("PARTYDOCS_DATA_DIR", str(subset_settings.data_dir))
    get_settings.cache_clear()
    try:
        strict = Assistant(get_settings(), embedder).ask(AGE, options=list(AGES))
        monkeypatch.setenv("PARTYDOCS_EXAM__MARGIN", "0.02")
        get_settings.cache_clear()
        relaxed = Assistant(get_settings(), embedder).ask(AGE, options=list(AGES))
    finally:
        get_settings.cache_clear()
    assert strict.choice is None and strict.refused and strict.choice_support["A"] > 0
    assert relaxed.choice == "A" and not relaxed.refused


def test_cli_options(subset_settings: Settings) -> None:
    env = {
        **os.environ,
        "PARTYDOCS_DATA_DIR": str(subset_settings.data_dir),
        "PARTYDOCS_COLLECTION_PATH": str(subset_settings.collection_path),
    }
    done = subprocess.run(
        [sys.executable, "app.py", "ask", AGE, "--json", "--options", *AGES],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout)["choice"] == "A"
