"""Logging (issue 14, item 8): failures reach ``<data_dir>/logs/partydocs.log``; the console stays
quiet unless ``--verbose``; the UI logs a callback's fault and shows one bilingual line instead."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import gradio as gr
import pytest

from app import build_parser
from assistant.chain import Assistant
from assistant.generative import generate_answer
from assistant.llm import GeneratorError, OpenAICompatibleGenerator
from assistant.logs import SHOWN, configure_logging
from assistant.ui.course_tab import CourseCallbacks
from assistant.ui.errors import FAILURE, reported
from ingest.embedder import Embedder
from ingest.service import open_index
from ingest.uploads import ingest_uploads
from settings import GeneratorSettings, Settings
from tests.test_generative import QUESTION_ADMISSION, ScriptedChatServer, chat_server, passage  # noqa: F401
from tests.test_support import ADMISSION


@pytest.fixture
def restored_logging() -> Iterator[None]:
    """Put the root logger and our loggers back as they were: configure_logging changes the process."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    ours = {name: logging.getLogger(name).level for name in ("ingest", "assistant", "__main__")}
    yield
    for handler in [h for h in root.handlers if h not in handlers]:
        root.removeHandler(handler)
        handler.close()
    root.setLevel(level)
    for name, old in ours.items():
        logging.getLogger(name).setLevel(old)


def test_a_refused_upload_is_in_the_log_file_and_not_on_the_console(
    restored_logging: None,
    tiny_index: Settings,
    embedder: Embedder,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = configure_logging(tiny_index)
    broken = tmp_path / "hong.pdf"
    broken.write_bytes(b"%PDF-1.4 not really a pdf")

    (outcome,) = ingest_uploads(tiny_index, [broken], *open_index(tiny_index, embedder)).outcomes

    assert path == tiny_index.data_dir / "logs" / "partydocs.log"
    log = path.read_text(encoding="utf-8")
    assert f"INFO ingest.uploads [MainThread] upload refused: {outcome.reason}" in log
    assert "hong.pdf: tệp pdf bị hỏng" in log and "corrupt or unreadable pdf" in log
    assert capsys.readouterr().err == ""


def test_verbose_turns_the_console_up_and_library_chatter_stays_out(
    restored_logging: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    path = configure_logging(settings)
    logging.getLogger("ingest.uploads").info("quiet on the console")
    path = configure_logging(settings, verbose=True)  # again: replaces its handlers, adds none
    logging.getLogger("ingest.uploads").info("shown when verbose")
    logging.getLogger("httpx").info("HTTP Request: POST /v1/chat/completions")
    logging.getLogger("assistant.local_llm").error("generator stopped: SIGKILL")
    logging.getLogger("__main__").warning("ingest stopped: bad folder", extra=SHOWN)

    err = capsys.readouterr().err
    assert "quiet on the console" not in err
    assert err.count("INFO ingest.uploads: shown when verbose") == 1
    assert "ERROR assistant.local_llm: generator stopped: SIGKILL" in err
    assert "bad folder" not in err and "HTTP Request" not in err  # already printed; a library's INFO
    log = path.read_text(encoding="utf-8")
    assert log.count("quiet on the console") == 1 and log.count("shown when verbose") == 1
    assert "generator stopped: SIGKILL" in log and "ingest stopped: bad folder" in log
    assert "HTTP Request" not in log


@pytest.mark.parametrize("argv", [["--verbose", "stats"], ["stats", "--verbose"], ["-v", "ingest", "a.md", "b.md"]])
def test_verbose_goes_before_or_after_the_subcommand(argv: list[str]) -> None:
    assert build_parser().parse_args(argv).verbose is True


def test_without_the_flag_the_console_is_quiet() -> None:
    assert getattr(build_parser().parse_args(["stats"]), "verbose", False) is False


def test_a_callback_fault_is_logged_with_its_traceback_and_shown_as_one_line(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A programming error must not pass for the user's mistake (or show its own text)."""

    @reported
    def library(language: str) -> str:
        raise KeyError("col_origin")

    @reported
    def answer(question: str) -> Iterator[str]:
        yield "…"
        raise TypeError("'NoneType' object is not subscriptable")

    @reported
    def refused(question: str) -> str:
        raise gr.Error("Câu hỏi trống / The question is empty.")

    with pytest.raises(gr.Error) as shown:
        library("vi")
    assert shown.value.message == FAILURE
    stream = answer("?")
    assert next(stream) == "…"
    with pytest.raises(gr.Error) as streamed:
        next(stream)
    assert streamed.value.message == FAILURE
    with pytest.raises(gr.Error) as meant:
        refused("")
    assert meant.value.message == "Câu hỏi trống / The question is empty."  # meant for the user: as it is
    faults = [r for r in caplog.records if r.name == "assistant.ui.errors"]
    assert [type(r.exc_info[1]) for r in faults if r.exc_info] == [KeyError, TypeError]
    assert "library failed" in faults[0].getMessage() and "answer failed" in faults[1].getMessage()


def test_a_generation_cut_off_mid_answer_is_logged(
    chat_server: str,  # noqa: F811 - the fixture imported above: a real HTTP server that dies mid-answer
    embedder: Embedder,
    caplog: pytest.LogCaptureFixture,
) -> None:
    ScriptedChatServer.reply = "Trong thời hạn 30 ngày làm việc"
    ScriptedChatServer.cut_off = True
    settings = Settings(generator=GeneratorSettings(url=chat_server, api_model="qwen-test"))
    generator = OpenAICompatibleGenerator(chat_server, "qwen-test")
    events = generate_answer(QUESTION_ADMISSION, [passage(ADMISSION, "4.1")], "vi", generator, embedder, settings)
    with pytest.raises(GeneratorError):
        list(events)
    (logged,) = [r for r in caplog.records if r.name == "assistant.generative"]
    assert logged.levelno == logging.ERROR and "qwen-test@127.0.0.1" in logged.getMessage()
    assert "before [DONE]" in logged.getMessage()


def test_the_course_tab_tells_a_missing_topic_from_a_fault(
    assistant: Assistant, caplog: pytest.LogCaptureFixture
) -> None:
    """A topic the collection lacks is the user's answer; a bad value reaching the callback is ours."""
    calls = CourseCallbacks(assistant, assistant.settings)
    status, preview, *_ = calls.build("Giá vàng hôm nay bao nhiêu?", [], 5, "extractive")
    assert status.startswith("⚠️ Không tìm thấy tài liệu về") and "Nothing in the collection" in status
    assert preview == "" and not [r for r in caplog.records if r.name == "assistant.ui.errors"]
    with pytest.raises(gr.Error) as shown:
        calls.build("quy trình kết nạp đảng viên", [], "mười", "extractive")  # type: ignore[arg-type]
    assert shown.value.message == FAILURE  # not "⚠️ invalid literal for int()", as the broad except showed
    (logged,) = [r for r in caplog.records if r.name == "assistant.ui.errors"]
    assert "CourseCallbacks.build" in logged.getMessage() and isinstance(logged.exc_info[1], ValueError)
