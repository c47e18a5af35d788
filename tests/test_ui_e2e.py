"""The real UI, served on 127.0.0.1 over a real index, driven by headless Chromium.

One browser session walks what staff do: ask, open a citation, ask a follow-up, open the whole
document, switch language, upload a file. Every request the page makes is recorded, and all of
them must go to the app's own origin: the product runs where there is no internet, so a single
CDN script or web font would be a broken page there.

Set ``PARTYDOCS_SCREENSHOTS=docs/screenshots`` to also refresh the screenshots in the docs.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from starlette.testclient import TestClient

from assistant.chain import Assistant
from assistant.ui.server import check_bind, create_server
from ingest.embedder import Embedder
from settings import Settings, UISettings

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
QUESTION = "Thời hạn tổ chức lễ kết nạp đảng viên là bao lâu?"
FOLLOW_UP = "còn thời hạn công nhận đảng viên chính thức thì sao?"
UPLOAD_SENTENCE = "Chi bộ thôn Đồng Xuân họp vào ngày mùng năm hằng tháng để bàn việc trồng cây phượng tím ven đê."
ANSWER_TIMEOUT_MS = 90_000


@pytest.fixture(scope="module")
def ui_settings(subset_settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """A private copy of the shared subset index: the upload below must not change other tests' index."""
    return private_index(subset_settings, tmp_path_factory)


def private_index(subset_settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    data = tmp_path_factory.mktemp("ui") / "data"
    shutil.copytree(subset_settings.data_dir, data)
    return subset_settings.model_copy(update={"data_dir": data})


@pytest.fixture(scope="module")
def assistant(ui_settings: Settings, embedder: Embedder) -> Assistant:
    return Assistant(ui_settings, embedder)


@pytest.fixture(scope="module")
def app_url(assistant: Assistant, ui_settings: Settings) -> Iterator[str]:
    yield from loopback_server(assistant, ui_settings)


def loopback_server(assistant: Assistant, ui_settings: Settings, **ui: Any) -> Iterator[str]:
    """The production ASGI app under uvicorn on a free loopback port, in this process (``ui``: login)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings = ui_settings.model_copy(update={"ui": UISettings(port=port, **ui)})
    server = uvicorn.Server(uvicorn.Config(create_server(assistant, settings), host="127.0.0.1", port=port))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        assert time.monotonic() < deadline, "the UI server did not start"
        time.sleep(0.1)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


def snap(page: Any, folder: Path | None, name: str) -> None:
    """A docs screenshot of the top of the page, when asked for (PARTYDOCS_SCREENSHOTS)."""
    if folder:
        page.evaluate("window.scrollTo(0, 0)")
        page.screenshot(path=str(folder / name))


def test_non_loopback_bind_needs_a_login() -> None:
    with pytest.raises(ValueError, match=r"PARTYDOCS_UI__USERNAME.*Refusing to serve on 0\.0\.0\.0"):
        check_bind(UISettings(host="0.0.0.0"))
    check_bind(UISettings(host="0.0.0.0", username="chi-bo", password="mật-khẩu"))
    check_bind(UISettings(host="::1"))


def test_document_route_honours_the_login(assistant: Assistant, ui_settings: Settings) -> None:
    ui = UISettings(host="0.0.0.0", username="chi-bo", password="mật-khẩu")
    client = TestClient(create_server(assistant, ui_settings.model_copy(update={"ui": ui})))
    url = "/doc/official/qd-294-2025-thi-hanh-dieu-le.pdf?start=0&end=10"
    assert client.get(url).status_code == 401
    assert client.post("/login", data={"username": "chi-bo", "password": "mật-khẩu"}).status_code == 200
    page = client.get(url)
    assert page.status_code == 200 and '<mark id="passage">' in page.text and "294" in page.text
    assert client.get("/doc/khong-co.md").status_code == 404


@pytest.mark.browser
def test_ask_cite_follow_up_and_upload_offline(app_url: str, tmp_path: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    assert CHROMIUM.exists(), "Debian chromium is missing: `make test` installs it (apt-get install chromium)"
    shots = Path(os.environ["PARTYDOCS_SCREENSHOTS"]) if os.environ.get("PARTYDOCS_SCREENSHOTS") else None
    upload = tmp_path / "thu-nghiem-phuong-tim.md"
    upload.write_text(f"# Quy chế sinh hoạt thử nghiệm\n\n{UPLOAD_SENTENCE}\n", encoding="utf-8")
    requests: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1360, "height": 900}, locale="vi-VN")
        context.on("request", lambda request: requests.append(request.url))
        page = context.new_page()
        page.goto(app_url)
        question = page.locator("#question textarea")
        chat = page.locator("#chatbot")

        # 1. A question: the answer cites QĐ 294, and [1] opens that passage in the panel.
        question.fill(QUESTION)
        question.press("Enter")
        first = chat.locator("a.cite-ref[href='#cite-0-1']").first
        expect(first).to_be_visible(timeout=ANSWER_TIMEOUT_MS)
        expect(chat).to_contain_text("30 ngày")
        first.click()
        card = page.locator("#citation-panel #cite-0-1")
        expect(card).to_have_attribute("open", "")
        expect(card).to_contain_text("294")
        expect(card).to_contain_text("lễ kết nạp")
        expect(card.locator("mark.quote")).to_be_visible()
        snap(page, shots, "chat-citation.png")

        # 2. The whole document opens at the cited passage, from the app's own route.
        with context.expect_page() as opened:
            card.locator("a.cite-open").click()
        document = opened.value
        expect(document.locator("mark#passage")).to_contain_text("lễ kết nạp")
        document.close()

        # 3. A follow-up: its standalone query is shown, and the answer is about the official status.
        question.fill(FOLLOW_UP)
        page.locator("#send").click()
        standalone = chat.locator(".standalone")
        expect(standalone).to_contain_text("công nhận đảng viên chính thức", timeout=ANSWER_TIMEOUT_MS)
        expect(standalone).to_contain_text("lễ kết nạp")
        expect(chat.locator("a.cite-ref[href='#cite-1-1']").first).to_be_visible()
        expect(page.locator("#citation-panel .cite-turn.current")).to_contain_text("chính thức")
        snap(page, shots, "follow-up.png")

        # 4. English labels on the switch; then an upload shows up in the library.
        page.get_by_label("English").check()
        expect(page.locator("#app-header")).to_contain_text("Party organisation documents assistant")
        page.get_by_role("tab", name="Document library").click()
        expect(page.locator("#library-table")).to_contain_text("294-QĐ/TW")
        page.locator("#upload input[type=file]").set_input_files(str(upload))
        page.locator("#ingest").click()
        expect(page.locator("#upload-status")).to_contain_text("thu-nghiem-phuong-tim.md", timeout=60_000)
        expect(page.locator("#upload-status")).to_contain_text("Ingested")
        expect(page.locator("#library-table")).to_contain_text("Quy chế sinh hoạt thử nghiệm")
        snap(page, shots, "library.png")
        browser.close()

    origin = f"{app_url}/"
    external = [url for url in requests if not url.startswith((origin, "data:", "blob:"))]
    assert requests and not external, f"requests left the app's origin: {external}"


@pytest.mark.browser
@pytest.mark.generator
def test_a_generator_killed_mid_answer_leaves_the_page_up_and_answering(
    app_url: str, assistant: Assistant, monkeypatch: pytest.MonkeyPatch
) -> None:
    """kill -9 of the model's process while an answer streams: a clear note, and the next question works."""
    from playwright.sync_api import expect, sync_playwright

    from assistant.local_llm import LocalServerGenerator
    from tests.test_local_llm import kill_after_first_piece

    generator, reason = assistant.generator()
    assert isinstance(generator, LocalServerGenerator), f"`make test` sets up the local generator: {reason}"
    generator.ensure_running()
    real_stream = LocalServerGenerator.stream
    monkeypatch.setattr(
        LocalServerGenerator,
        "stream",
        lambda self, *args, **kwargs: kill_after_first_piece(self, real_stream(self, *args, **kwargs)),
    )
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1360, "height": 900}, locale="vi-VN")
        page.goto(app_url)
        page.get_by_text("Chế độ trả lời và bộ lọc").click()
        page.get_by_label("Diễn đạt (mô hình sinh)").check()
        question = page.locator("#question textarea")
        chat = page.locator("#chatbot")
        question.fill(QUESTION)
        question.press("Enter")
        expect(chat).to_contain_text("Mô hình sinh gặp lỗi", timeout=ANSWER_TIMEOUT_MS)
        expect(chat).to_contain_text("SIGKILL")
        expect(chat).to_contain_text("30 ngày")  # the extractive answer, quoted and cited
        expect(chat.locator("a.cite-ref[href='#cite-0-1']").first).to_be_visible()

        monkeypatch.undo()
        question.fill(FOLLOW_UP)
        question.press("Enter")
        # The second answer is cited (its marker names whichever passage the model drew on).
        expect(chat.locator("a.cite-ref[href^='#cite-1-']").first).to_be_visible(timeout=ANSWER_TIMEOUT_MS)
        assert generator.pid is not None  # restarted by the second question
        browser.close()
