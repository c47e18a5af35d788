"""The served app's security and resource bounds, through its real HTTP API.

Each attack is made the way an outsider would make it: HTTP requests to the production ASGI app
(``create_server``) over a real copy of the subset index, with and without a login configured.
Nothing is called on the callbacks directly when the point is what the network can reach.
"""

from __future__ import annotations

import gc
import json
import os
import re
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from gradio.routes import App
from gradio.utils import get_upload_folder
from starlette.routing import Mount
from starlette.testclient import TestClient

from assistant.chain import Assistant
from assistant.ui.app import Callbacks, Conversation
from assistant.ui.downloads import DownloadDir
from assistant.ui.server import create_server
from ingest.embedder import Embedder
from settings import Settings, UISettings
from tests.test_ui_e2e import ANSWER_TIMEOUT_MS, CHROMIUM, CHROMIUM_ARGS, QUESTION, loopback_server, private_index

LOGIN = {"username": "chi-bo", "password": "mật-khẩu"}
SECRET = "Mật khẩu kho lưu trữ của văn phòng là hoa-sen-bảy-cánh-2025."


@pytest.fixture(scope="module")
def private_settings(subset_settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """A private copy of the subset index: accepted uploads here must not reach other tests."""
    return private_index(subset_settings, tmp_path_factory)


@pytest.fixture(scope="module")
def assistant(private_settings: Settings, embedder: Embedder) -> Assistant:
    return Assistant(private_settings, embedder)


def serve(assistant: Assistant, settings: Settings, **ui: Any) -> TestClient:
    """The production app with ``ui`` settings; entering the client runs its startup (the queue)."""
    return TestClient(create_server(assistant, settings.model_copy(update={"ui": UISettings(**ui)})))


@pytest.fixture
def open_client(assistant: Assistant, private_settings: Settings) -> Iterator[TestClient]:
    with serve(assistant, private_settings) as client:
        yield client


@pytest.fixture
def login_client(assistant: Assistant, private_settings: Settings) -> Iterator[TestClient]:
    with serve(assistant, private_settings, host="0.0.0.0", **LOGIN) as client:
        yield client


def call(client: TestClient, api_name: str, data: list[Any]) -> tuple[str, Any]:
    """One call through Gradio's public HTTP API: ("complete", outputs) or ("error", message)."""
    started = client.post(f"/gradio_api/call/{api_name}", json={"data": data})
    assert started.status_code == 200, started.text
    stream = client.get(f"/gradio_api/call/{api_name}/{started.json()['event_id']}").text
    event, payload = "", None
    for line in stream.splitlines():
        if line.startswith("event: "):
            event = line.removeprefix("event: ")
        elif line.startswith("data: ") and event in ("complete", "error"):
            payload = json.loads(line.removeprefix("data: "))
    return event, payload


def server_path(path: Path) -> dict[str, Any]:
    """A FileData naming a file on the server, as an attacker would post it instead of uploading."""
    return {"path": str(path), "meta": {"_type": "gradio.FileData"}}


def upload(client: TestClient, *paths: Path) -> list[dict[str, Any]]:
    """Upload files the way the page does (POST /gradio_api/upload), as FileData for a call."""
    files = [("files", (p.name, p.read_bytes())) for p in paths]
    response = client.post("/gradio_api/upload", files=files)
    assert response.status_code == 200, response.text
    return [
        {"path": path, "orig_name": p.name, "meta": {"_type": "gradio.FileData"}}
        for path, p in zip(response.json(), paths, strict=True)
    ]


def gradio_app(client: TestClient) -> App:
    return next(r.app for r in client.app.routes if isinstance(r, Mount) and isinstance(r.app, App))  # type: ignore[attr-defined]


def catalog_strings(assistant: Assistant) -> list[str]:
    """What must stay hidden before sign-in: every document's file path and title."""
    return [m.source for m in assistant.catalog] + [m.title for m in assistant.catalog if len(m.title) > 12]


# --- issue 11.1: the upload reads only what was uploaded --------------------------------------
@pytest.mark.parametrize("client_fixture", ["open_client", "login_client"])
def test_upload_refuses_a_server_path(
    client_fixture: str,
    request: pytest.FixtureRequest,
    assistant: Assistant,
    private_settings: Settings,
    tmp_path: Path,
) -> None:
    """A FileData naming a server file, posted to the API, is neither read, ingested nor served."""
    client: TestClient = request.getfixturevalue(client_fixture)
    if client_fixture == "login_client":
        assert client.post("/gradio_api/call/upload", json={"data": [[], "vi"]}).status_code == 401
        assert client.post("/login", data=LOGIN).status_code == 200
    secret = tmp_path / "ghi-chu-noi-bo.txt"
    secret.write_text(SECRET, encoding="utf-8")
    in_cache = Path(get_upload_folder()) / "partydocs-test" / secret.name  # Gradio's folder, never uploaded
    in_cache.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(secret, in_cache)
    before = assistant.index.records()
    try:
        event, payload = call(client, "upload", [[server_path(secret)], "vi"])
        assert event == "error", payload  # Gradio's own check, now on for the mounted app
        # Inside Gradio's folder passes Gradio's check (it only looks at the folder); ours refuses it.
        event, payload = call(client, "upload", [[server_path(in_cache)], "vi"])
        assert event == "complete" and "ghi-chu-noi-bo.txt: this file was not uploaded through" in payload[0]
        assert SECRET not in json.dumps(payload, ensure_ascii=False)
    finally:
        shutil.rmtree(in_cache.parent)
    assert assistant.index.records() == before
    assert not (private_settings.uploads_path / secret.name).exists()
    assert client.get(f"/doc/{secret.name}").status_code == 404


def test_callback_ingests_only_what_gradio_received(
    assistant: Assistant, private_settings: Settings, tmp_path: Path
) -> None:
    """The second lock, in our own code: a path Gradio's upload route did not write is refused."""
    secret = tmp_path / "ghi-chu-noi-bo.md"
    secret.write_text(f"# Ghi chú\n\n{SECRET}\n", encoding="utf-8")
    link = Path(get_upload_folder()) / "partydocs-test-link" / "lien-ket.md"
    link.parent.mkdir(parents=True, exist_ok=True)
    link.symlink_to(secret)
    unreceived = link.parent / "chua-tai-len.md"  # in Gradio's folder, but not from this app's upload
    shutil.copyfile(secret, unreceived)
    calls = Callbacks(assistant, private_settings)
    calls.received = {str(secret), str(link)}  # even if a path got into the set, it must be a real upload
    before = assistant.index.records()
    try:
        status, *_ = calls.upload([str(secret), str(link), str(unreceived)], "vi")
    finally:
        shutil.rmtree(link.parent)
    assert "ghi-chu-noi-bo.md: tệp không được tải lên qua trang này" in status
    assert "lien-ket.md: this file was not uploaded through this page, so it is not ingested" in status
    assert "chua-tai-len.md: tệp không được tải lên" in status
    assert SECRET not in status and assistant.index.records() == before


def test_uploads_through_the_api_are_vetted_then_ingested(
    login_client: TestClient, assistant: Assistant, private_settings: Settings, tmp_path: Path
) -> None:
    """Real uploads still work: bad files are explained and change nothing, a good one is indexed."""
    assert login_client.post("/login", data=LOGIN).status_code == 200
    program = tmp_path.parent / f"{tmp_path.name}-chuong-trinh.exe"
    program.write_bytes(b"MZ")
    event, payload = call(login_client, "upload", [upload(login_client, program), "vi"])
    assert event == "error" and "Invalid file type" in payload["error"]  # the File component's own check
    (tmp_path / "hong.pdf").write_bytes(b"%PDF-1.4 not really a pdf")
    (tmp_path / "rong.txt").write_text("  \n", encoding="utf-8")
    official = private_settings.collection_path / "official/qd-294-2025-thi-hanh-dieu-le.pdf"
    shutil.copyfile(official, tmp_path / "ban-sao.pdf")
    bad = sorted(tmp_path.iterdir())
    before = assistant.index.records()
    event, payload = call(login_client, "upload", [upload(login_client, *bad), "vi"])
    assert event == "complete", payload
    status = payload[0]
    assert "ban-sao.pdf: trùng nội dung" in status and "same content as the indexed document" in status
    assert "hong.pdf: tệp pdf bị hỏng" in status and "corrupt or unreadable pdf" in status
    assert "rong.txt: tệp rỗng / file is empty" in status
    assert assistant.index.records() == before and not any(private_settings.uploads_path.glob("*"))

    good = tmp_path / "so-tay-chi-bo.md"
    good.write_text("# Sổ tay chi bộ\n\nChi bộ họp thường kỳ mỗi tháng một lần.\n", encoding="utf-8")
    event, payload = call(login_client, "upload", [upload(login_client, good), "vi"])
    assert event == "complete" and "✓ Đã nạp: so-tay-chi-bo.md" in payload[0], payload
    assert login_client.get("/doc/so-tay-chi-bo.md").status_code == 200


# --- issue 11.2: nothing about the documents before sign-in -----------------------------------
def test_nothing_about_the_documents_before_sign_in(login_client: TestClient, assistant: Assistant) -> None:
    hidden = catalog_strings(assistant)
    assert "official/qd-294-2025-thi-hanh-dieu-le.pdf" in hidden
    for url in ("/", "/config", "/info", "/gradio_api/info", "/gradio_api/openapi.json", "/login", "/theme.css"):
        response = login_client.get(url)
        text = response.content.decode("utf-8", "replace")
        unescaped = text.encode().decode("unicode_escape", "ignore") if "\\u" in text else text
        leaked = [s for s in hidden if s in text or s in unescaped]
        assert not leaked, f"{url} ({response.status_code}) shows {leaked[:3]}"
    # After sign-in the page fills its choices on load.
    assert login_client.post("/login", data=LOGIN).status_code == 200
    event, payload = call(login_client, "library", ["vi"])
    assert event == "complete"
    assert "official/qd-294-2025-thi-hanh-dieu-le.pdf" in json.dumps(payload, ensure_ascii=False)
    event, payload = call(login_client, "documents", [])
    assert event == "complete" and "Quy định 294-QĐ/TW (2025)" in json.dumps(payload, ensure_ascii=False)


# --- issue 11.12: bounded state, exports on demand --------------------------------------------
def answer(calls: Callbacks, conversation: Conversation, question: str) -> tuple[Any, ...]:
    *_, last = calls.answer(question, conversation, "extractive", [], [], [], "vi")
    return last


def test_a_conversation_keeps_its_latest_answers(assistant: Assistant, private_settings: Settings) -> None:
    settings = private_settings.model_copy(update={"ui": UISettings(max_turns=2, max_sessions=1)})
    calls = Callbacks(assistant, settings)
    conversation = Conversation()
    questions = [QUESTION, "còn thời hạn công nhận đảng viên chính thức thì sao?", "Đảng viên dự bị là gì?"]
    for question in questions:
        chat, panel, _, conversation, export = answer(calls, conversation, question)
    assert [r.question for r in conversation.results] == questions[1:]
    assert len(conversation.panels) == 2 and conversation.first_turn == 1
    assert "giữ 2 câu trả lời gần nhất" in chat[0]["content"]  # says why the first answer is gone
    assert len(chat) == 1 + 2 * 2
    assert 'id="cite-0-' not in panel and 'id="cite-2-' in panel  # ids keep their turn numbers
    assert re.search(r'href="#cite-2-\d"', chat[-1]["content"])
    first_token = conversation.token
    assert calls.exported(first_token) is conversation.results[-1] and first_token in export
    other = Conversation()
    answer(calls, other, QUESTION)
    assert other.token != first_token and calls.exported(other.token) is not None
    assert calls.exported(first_token) is None and len(calls.latest) == 1  # max_sessions bounds the exports


def test_exports_are_rendered_on_click_behind_the_login(
    login_client: TestClient, assistant: Assistant, tmp_path: Path
) -> None:
    """An answer writes no file; its link serves the Markdown to a signed-in user only."""
    watched = [Path(get_upload_folder()), Path(os.environ.get("TMPDIR", "/tmp"))]
    before = {p for root in watched if root.exists() for p in root.rglob("partydocs-2*.md")}
    assert login_client.post("/login", data=LOGIN).status_code == 200
    event, payload = call(login_client, "answer", [QUESTION, "extractive", [], [], [], "vi"])
    assert event == "complete", payload
    link = next(v for v in payload if isinstance(v, str) and "export/" in v)
    href = re.search(r'href="(export/[^"]+)"', link).group(1).replace("&amp;", "&")  # type: ignore[union-attr]
    after = {p for root in watched if root.exists() for p in root.rglob("partydocs-2*.md")}
    assert after == before  # nothing written for the answer
    download = login_client.get(f"/{href}")
    assert download.status_code == 200 and "attachment" in download.headers["content-disposition"]
    assert QUESTION in download.text and "Quy định 294-QĐ/TW" in download.text
    assert login_client.get("/export/khong-co?lang=vi").status_code == 404
    assert "ask again" in login_client.get("/export/khong-co").text
    login_client.cookies.clear()
    assert login_client.get(f"/{href}").status_code == 401


def test_sessions_beyond_the_limit_are_dropped(assistant: Assistant, private_settings: Settings) -> None:
    """Gradio keeps one state per browser session; the server keeps at most ``max_sessions``."""
    with serve(assistant, private_settings, max_sessions=2) as client:
        for _ in range(4):  # each API call is a new session
            event, _ = call(client, "answer", [QUESTION, "extractive", [], [], [], "vi"])
            assert event == "complete"
        app = gradio_app(client)
        assert len(app.state_holder.session_data) <= 2
        assert app.get_blocks().delete_cache == (900, 3600)


def test_download_folder_is_pruned_by_count_and_age_and_removed() -> None:
    by_count = DownloadDir("partydocs-test-", keep=2, max_age_s=3600)
    first, second, third = by_count.new_folder(), by_count.new_folder(), by_count.new_folder()
    assert not first.exists() and sorted(by_count.root.iterdir()) == sorted([second, third])
    by_age = DownloadDir("partydocs-test-", keep=10, max_age_s=3600)
    old, recent = by_age.new_folder(), by_age.new_folder()
    os.utime(old, (time.time() - 7200, time.time() - 7200))
    newest = by_age.new_folder()
    assert not old.exists() and recent.exists() and newest.exists()
    for downloads in (by_count, by_age):
        downloads.cleanup()
        assert not downloads.root.exists()
    kept = DownloadDir("partydocs-test-", keep=2, max_age_s=3600).new_folder()
    gc.collect()
    assert kept.exists()  # a file handed to the browser outlives the object that wrote it


# --- a real browser, signed in ----------------------------------------------------------------
@pytest.fixture
def login_url(assistant: Assistant, private_settings: Settings) -> Iterator[str]:
    yield from loopback_server(assistant, private_settings, **LOGIN)


@pytest.mark.browser
def test_signed_in_page_answers_exports_and_lists_documents(login_url: str, tmp_path: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(accept_downloads=True)
        page.goto(login_url)
        expect(page.locator("body")).not_to_contain_text("294-QĐ/TW")
        page.locator("input[type=text]").first.fill(LOGIN["username"])
        page.locator("input[type=password]").fill(LOGIN["password"])
        page.locator("button[type=submit], button:has-text('Login')").first.click()
        question = page.locator("#question textarea")
        question.fill(QUESTION)
        question.press("Enter")
        expect(page.locator("#chatbot a.cite-ref").first).to_be_visible(timeout=ANSWER_TIMEOUT_MS)
        with page.expect_download() as download:
            page.locator("#export a.export-link").click()
        saved = tmp_path / download.value.suggested_filename
        download.value.save_as(saved)
        assert QUESTION in saved.read_text(encoding="utf-8")
        page.get_by_role("tab", name="Soạn bài giảng / Course builder").click()
        page.locator("#course-documents input").click()
        expect(page.get_by_role("option", name="Quy định 294-QĐ/TW (2025)")).to_be_visible()
        browser.close()
