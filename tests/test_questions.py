"""Bad questions and history files end in a clear bilingual message, never in a traceback.

The checks run where the CLI and the UI both pass (``Assistant.stream``); the CLI also runs them
before loading any model, and the UI before showing the question in the chat.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import unicodedata
from pathlib import Path

import gradio as gr
import pytest

from app import read_history
from assistant.chain import Assistant
from assistant.questions import QuestionError, check_history, check_question, clean_text
from assistant.ui.app import Callbacks, Conversation
from ingest.embedder import Embedder
from settings import RetrievalSettings, Settings
from tests.conftest import TINY, Ingested, copy_of_index

REPO = Path(__file__).resolve().parent.parent
LIMIT = RetrievalSettings().max_question_chars
HUGE_NUMBER = "Quy định " + "9" * 5000 + " nói gì về kết nạp?"


def _bilingual(error: BaseException, vi: str, en: str) -> None:
    message = str(error)
    assert vi in message and en in message and " / " in message, message


# --- the one check ----------------------------------------------------------------------------
@pytest.mark.parametrize("question", ["", "   ", "\t\n", "\x00\x01 \u200b", "\ufeff"])
def test_empty_questions_are_refused(question: str) -> None:
    with pytest.raises(QuestionError) as error:
        check_question(question, LIMIT)
    _bilingual(error.value, "Câu hỏi trống", "The question is empty")


@pytest.mark.parametrize("question", ["?", "??? !!!", "...", "…", "-- // **", "😀🙏"])
def test_punctuation_only_questions_are_refused(question: str) -> None:
    with pytest.raises(QuestionError) as error:
        check_question(question, LIMIT)
    _bilingual(error.value, "không có chữ hay số", "no letters or digits")


def test_too_long_questions_are_refused_with_the_configured_limit() -> None:
    assert check_question("a" * LIMIT, LIMIT) == "a" * LIMIT
    with pytest.raises(QuestionError) as error:
        check_question("a" * (LIMIT + 1), LIMIT)
    _bilingual(error.value, f"Câu hỏi quá dài ({LIMIT + 1} ký tự, tối đa {LIMIT})", f"at most {LIMIT}")
    with pytest.raises(QuestionError):
        check_question(HUGE_NUMBER, LIMIT)
    assert check_question(HUGE_NUMBER, 6000) == HUGE_NUMBER


def test_a_pasted_book_is_refused_without_walking_it() -> None:
    started = time.perf_counter()
    with pytest.raises(QuestionError) as error:
        check_question("Đảng viên\x00 " * 1_000_000, LIMIT)
    assert time.perf_counter() - started < 0.5
    _bilingual(error.value, "Câu hỏi quá dài", "The question is too long")


def test_control_and_invisible_characters_are_cleaned_and_text_is_nfc() -> None:
    assert clean_text(unicodedata.normalize("NFD", "Tuổi vào Đảng")) == "Tuổi vào Đảng"
    question = "  Tuổi\x00 vào\tĐảng\u200b\u202e là\x1b[31m bao\r\nnhiêu?\ud800 "
    assert check_question(question, LIMIT) == "Tuổi vào Đảng là [31m bao nhiêu?"


def test_history_turns_are_cleaned_wordless_ones_dropped_and_long_ones_refused() -> None:
    assert check_history(["  Tuổi\tvào Đảng? ", "???", "", "\u200b"], LIMIT) == ["Tuổi vào Đảng?"]
    with pytest.raises(QuestionError) as error:
        check_history(["Tuổi vào Đảng?", "x" * (LIMIT + 1)], LIMIT)
    _bilingual(error.value, "Lượt hỏi trước thứ 2 quá dài", "Earlier turn 2 is too long")


# --- history files ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    "content",
    ["[1, 2, 3]", '[["a", "b"]]', "[null]", '[{"role": "user", "content": ["x"]}]', '["ok", 5]'],
)
def test_history_items_of_the_wrong_shape_are_refused(tmp_path: Path, content: str) -> None:
    path = tmp_path / "history.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ValueError) as error:
        read_history(str(path))
    _bilingual(error.value, "của lịch sử phải là chuỗi", "must be a string or a {role, content} message")


def test_history_that_is_not_a_list_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "history.json"
    path.write_text('{"role": "user", "content": "x"}', encoding="utf-8")
    with pytest.raises(ValueError) as error:
        read_history(str(path))
    _bilingual(error.value, "lịch sử phải là danh sách JSON", "history must be a JSON list")


def test_unreadable_history_files_are_refused(tmp_path: Path) -> None:
    latin = tmp_path / "latin1.txt"
    latin.write_bytes("Tuổi vào Đảng?".encode("utf-16"))
    cases = [
        (tmp_path, "là thư mục", "is a directory"),
        (tmp_path / "missing.json", "không tìm thấy tệp lịch sử", "history file not found"),
        (latin, "không phải văn bản UTF-8", "is not UTF-8 text"),
    ]
    for path, vi, en in cases:
        with pytest.raises(ValueError) as error:
            read_history(str(path))
        _bilingual(error.value, vi, en)
        assert str(path) in str(error.value)


def test_valid_history_files_still_read(tmp_path: Path) -> None:
    path = tmp_path / "history.json"
    messages = [
        {"role": "user", "content": "Tuổi vào Đảng?"},
        {"role": "assistant", "content": "18 tuổi"},
        {"content": "Còn thời hạn dự bị?"},
        "Và kết nạp lại?",
    ]
    path.write_text(json.dumps(messages, ensure_ascii=False), encoding="utf-8")
    assert read_history(str(path)) == ["Tuổi vào Đảng?", "Còn thời hạn dự bị?", "Và kết nạp lại?"]
    path.write_text("294\n\nQuy định 294 nói gì?\n", encoding="utf-8")
    assert read_history(str(path)) == ["294", "Quy định 294 nói gì?"]


# --- the CLI: one line on stderr, exit code 2, before any model loads ----------------------------
def _ask(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "app.py", "ask", *args],
        capture_output=True,
        text=True,
        cwd=REPO,
        env={**os.environ, "PYTHONIOENCODING": "utf-8"},
        timeout=120,
    )


@pytest.mark.parametrize(
    ("args", "vi", "en"),
    [
        ((HUGE_NUMBER,), "Câu hỏi quá dài", "The question is too long"),
        (("?!",), "không có chữ hay số", "no letters or digits"),
        (("Tuổi vào Đảng?", "--history-file", "."), "là thư mục", "is a directory"),
    ],
)
def test_cli_reports_bad_input_in_both_languages(args: tuple[str, ...], vi: str, en: str) -> None:
    out = _ask(*args)
    assert out.returncode == 2, out.stderr
    assert "Traceback" not in out.stderr
    assert out.stderr.startswith("Lỗi / Error: ") and vi in out.stderr and en in out.stderr, out.stderr


# --- the chain and the UI -----------------------------------------------------------------------
@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory, tiny_ingested: Ingested) -> Settings:
    """A private copy of the session's TINY index (the shared one is read-only)."""
    return copy_of_index(tiny_ingested.settings, tmp_path_factory.mktemp("questions"), TINY)


@pytest.fixture(scope="module")
def assistant(tiny: Settings, embedder: Embedder) -> Assistant:
    return Assistant(tiny, embedder)


def test_the_chain_refuses_bad_questions_and_history(assistant: Assistant) -> None:
    with pytest.raises(QuestionError):
        assistant.ask("?!")
    with pytest.raises(QuestionError):
        assistant.ask("a" * (LIMIT + 1))
    with pytest.raises(QuestionError):
        assistant.ask("còn đảng viên dự bị thì sao?", history=["x" * (LIMIT + 1)])
    result = assistant.ask("  Bản tin\x00 sinh hoạt\tchi bộ\u200b là gì? ")
    assert result.question == "Bản tin sinh hoạt chi bộ là gì?"


def test_a_huge_document_number_under_a_raised_limit_is_just_not_in_the_collection(
    tiny: Settings, embedder: Embedder
) -> None:
    retrieval = tiny.retrieval.model_copy(update={"max_question_chars": 6000})
    roomy = tiny.model_copy(update={"retrieval": retrieval})
    result = Assistant(roomy, embedder).ask(HUGE_NUMBER)
    assert any("không có trong bộ văn bản" in note for note in result.notes), result.notes


def test_the_ui_refuses_bad_questions_before_showing_them(assistant: Assistant) -> None:
    calls = Callbacks(assistant, assistant.settings)
    conversation = Conversation()
    for question, vi, en in [
        (HUGE_NUMBER, "Câu hỏi quá dài", "The question is too long"),
        ("?!", "không có chữ hay số", "no letters or digits"),
    ]:
        with pytest.raises(gr.Error) as error:
            next(calls.answer(question, conversation, "extractive", None, None, None, "vi"))
        _bilingual(error.value, vi, en)
    assert conversation.results == []
