"""Server memory per conversation stays bounded however long the chat runs (issue 11).

The load bench (``bench/load.py``) found the served app growing by ~0.27 MB per answer. The cause
was Gradio's session state: every update an event returns (``gr.skip()`` included) becomes a new
component with a fresh id, and the next *value* that output receives is stored in the session under
that fresh id, beside the old entries. The chat yielded ``gr.skip()`` for the citation panel and
the export link while an answer was pending, so every answer left one more copy of the whole
citation panel in the session. These tests hold a long conversation in one session through the
real HTTP API and check that the session keeps one entry per component of the page.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from gradio.routes import App
from gradio.utils import is_prop_update
from starlette.routing import Mount
from starlette.testclient import TestClient

from assistant.chain import Assistant
from assistant.ui.app import Callbacks, Conversation
from assistant.ui.server import create_server
from ingest.embedder import Embedder
from ingest.settings import Settings, UISettings

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
