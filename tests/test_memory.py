"""Server memory per conversation stays bounded however long the chat runs (issue 11).

The load bench (``bench/load.py``) found the served app growing by ~0.27 MB per answer. The cause
was Gradio's session state: every update an event returns (``gr.skip()`` included) becomes a new
component with a fresh id, and the next *value* that output receives is stored in the session under
that fresh id, beside the old entries. The chat yielded ``gr.skip()`` for the citation panel and
the export link while an answer was pending, so every answer left one more copy of the whole
citation panel in the session. These tests hold a long conversation in one session through the
real HTTP API and check that the session keeps one entry per component of the page.

With that fixed, what was left was glibc keeping freed pages in its arenas; the server trims them
once a minute (``assistant.ui.server``), tested here with the real ``malloc_trim`` where there is one.
"""

from __future__ import annotations

import json
import platform
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from gradio.routes import App
from gradio.utils import is_prop_update
from starlette.routing import Mount
from starlette.testclient import TestClient

from assistant.chain import Assistant
from assistant.ui import server
from assistant.ui.app import Callbacks, Conversation
from assistant.ui.server import TRIM_EVERY_S, create_server, malloc_trimmer, trim_memory_every
from ingest.embedder import Embedder
from settings import Settings, UISettings

QUESTIONS = [
    "Thời hạn tổ chức lễ kết nạp đảng viên là bao lâu?",
    "còn thời hạn công nhận đảng viên chính thức thì sao?",
    "Đảng viên dự bị là gì?",
    "Thời hạn tổ chức lễ kết nạp đảng viên là bao lâu?",
]


@pytest.fixture(scope="module")
def assistant(subset_settings: Settings, embedder: Embedder) -> Assistant:
    return Assistant(subset_settings, embedder)


@pytest.fixture
def client(assistant: Assistant, subset_settings: Settings) -> Iterator[TestClient]:
    settings = subset_settings.model_copy(update={"ui": UISettings(max_turns=2)})
    with TestClient(create_server(assistant, settings)) as client:
        yield client


def ask(client: TestClient, session: str, question: str) -> list[Any]:
    """One answer in ``session`` through Gradio's HTTP API, as a browser tab's next question."""
    body = {"data": [question, "extractive", [], [], [], "vi"], "session_hash": session}
    started = client.post("/gradio_api/call/answer", json=body)
    assert started.status_code == 200, started.text
    stream = client.get(f"/gradio_api/call/answer/{started.json()['event_id']}").text
    event, payload = "", None
    for line in stream.splitlines():
        if line.startswith("event: "):
            event = line.removeprefix("event: ")
        elif line.startswith("data: ") and event in ("complete", "error"):
            payload = json.loads(line.removeprefix("data: "))
    assert event == "complete", payload
    return payload  # type: ignore[return-value]


def gradio_app(client: TestClient) -> App:
    return next(r.app for r in client.app.routes if isinstance(r, Mount) and isinstance(r.app, App))  # type: ignore[attr-defined]


def test_a_long_conversation_keeps_one_entry_per_component(client: TestClient) -> None:
    app = gradio_app(client)
    page = set(app.get_blocks().blocks)
    for question in QUESTIONS:
        outputs = ask(client, "one-long-chat", question)
    session = app.state_holder.session_data["one-long-chat"]
    conversation = next(v for v in session.state_data.values() if isinstance(v, Conversation))
    assert conversation.first_turn == len(QUESTIONS) - 2  # the session did hold one long chat
    assert "export/" in outputs[-1] and 'id="cite-3-' in outputs[1]
    # Before the fix each answer added two entries (panel, export link) under fresh ids.
    extra = set(session.config_values) - page
    assert not extra, f"{len(extra)} session entries for components the page does not have"
    assert set(session.blocks_config.blocks) == page


def test_the_chat_never_sends_updates(assistant: Assistant, subset_settings: Settings) -> None:
    """Every output of every step is a value, so no step makes Gradio build a new component."""
    calls = Callbacks(assistant, subset_settings)
    conversation = Conversation()
    steps = [*calls.answer(QUESTIONS[0], conversation, "extractive", [], [], [], "vi")]
    steps += [*calls.answer("   ", conversation, "extractive", [], [], [], "vi")]  # empty: nothing changes
    assert len(steps) >= 3
    assert not [value for step in steps for value in step if is_prop_update(value)]
    assert steps[-1][1] == steps[-2][1] and steps[-1][4] == steps[-2][4]  # panel and export as they were


def test_serving_trims_the_heap_periodically(
    assistant: Assistant, subset_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    started: list[tuple[float, Callable[[], object] | None]] = []
    monkeypatch.setattr(server, "Assistant", lambda settings, **parts: assistant)
    monkeypatch.setattr(server.uvicorn, "run", lambda *args, **kwargs: None)
    monkeypatch.setattr(server, "trim_memory_every", lambda seconds, trim: started.append((seconds, trim)))
    # The trim is what is tested here, not the background indexing serve also starts by default.
    server.serve(
        subset_settings.model_copy(update={"ui": subset_settings.ui.model_copy(update={"index_on_start": False})})
    )
    assert [seconds for seconds, _ in started] == [TRIM_EVERY_S]
    assert (started[0][1] is None) == (malloc_trimmer() is None)


def test_the_trim_runs_again_and_again_until_stopped() -> None:
    calls = threading.Semaphore(0)
    stop = trim_memory_every(0.01, calls.release)
    assert stop is not None
    try:
        assert calls.acquire(timeout=60) and calls.acquire(timeout=60)
    finally:
        stop.set()


def test_nothing_runs_without_a_trim_or_a_period() -> None:
    called: list[int] = []
    assert trim_memory_every(0, lambda: called.append(1)) is None
    assert trim_memory_every(60, None) is None
    assert called == []


def test_malloc_trim_is_the_c_librarys_where_it_has_one() -> None:
    trim = malloc_trimmer()
    if platform.libc_ver()[0] != "glibc":
        assert trim is None  # macOS, Windows, musl: the server serves without trimming
        return
    assert trim is not None
    assert trim() in (0, 1)  # glibc: 1 if memory was released, 0 if there was none to release
