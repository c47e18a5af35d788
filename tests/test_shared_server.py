"""More than one server on one Chroma server (issue 15, item 4), with a real ``chroma run``.

Two assistants with their own data dirs (their own keyword index files) share one Chroma server:
what one ingests, the other answers from after its next refresh, which the change marker in
Chroma triggers. First in one process, where the keyword index can be looked at; then as two
real ``app.py serve`` processes, an upload through one page's HTTP API and a cited answer through
the other's.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from assistant.chain import Assistant
from ingest.embedder import Embedder
from ingest.service import ingest_collection
from ingest.uploads import ingest_uploads
from ingest.vitokens import segment
from settings import REPO_ROOT, Settings
from tests.conftest import free_port, wait_for_port
from tests.test_ui_security import call, upload

SENTENCE = "Chi bộ thôn Đồng Xuân họp vào ngày mùng năm hằng tháng để bàn việc trồng cây phượng tím ven đê."
QUESTION = "Chi bộ thôn Đồng Xuân họp vào ngày nào hằng tháng để bàn việc trồng cây phượng tím?"
NAME = "thu-nghiem-phuong-tim.md"


def _document(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / NAME
    path.write_text(f"# Quy chế sinh hoạt thử nghiệm\n\n{SENTENCE}\n", encoding="utf-8")
    return path


@pytest.fixture
def shared(tiny_settings: Settings, chroma_server: str, embedder: Embedder) -> Settings:
    """TINY ingested into the Chroma server, with the data dir of the server that ingested it."""
    settings = tiny_settings.model_copy(update={"chroma_url": chroma_server})
    assert not ingest_collection(settings, embedder=embedder).failures
    return settings


def test_an_ingest_through_one_assistant_reaches_the_other_with_its_keyword_index(
    shared: Settings, embedder: Embedder, tmp_path: Path
) -> None:
    other = shared.model_copy(update={"data_dir": tmp_path / "other-data"})
    first, second = Assistant(shared, embedder), Assistant(other, embedder)
    assert not second.refresh_if_changed(), "nothing changed: one read, no rebuild"
    assert second.ask(QUESTION).refused

    report = ingest_uploads(shared, [_document(tmp_path / "incoming")], first.embedder, first.index)
    assert [o.name for o in report.accepted] == [NAME]

    assert second.refresh_if_changed()
    uploaded = set(second.index.records()[NAME].chunk_ids)
    # The second data dir's keyword file was never written; its in-memory index has the upload.
    assert not other.keyword_path.exists()
    assert len(second.keyword) == second.index.count()
    assert second.keyword.search(segment("phượng tím ven đê"), k=1)[0][0] in uploaded
    assert NAME in {meta.source for meta in second.catalog}
    result = second.ask(QUESTION)
    assert not result.refused and result.citations[0].passage.source == NAME
    assert "mùng năm hằng tháng" in result.answer


def _serve(settings: Settings, data_dir: Path, port: int, log: Path, index_on_start: bool) -> subprocess.Popen[bytes]:
    """``app.py serve``; only one of the servers sharing a Chroma server indexes the collection."""
    env = {
        **os.environ,
        "PARTYDOCS_CHROMA_URL": str(settings.chroma_url),
        "PARTYDOCS_COLLECTION_PATH": str(settings.collection_path),
        "PARTYDOCS_DATA_DIR": str(data_dir),
        "PARTYDOCS_UI__INDEX_ON_START": str(index_on_start).lower(),
    }
    with log.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, "app.py", "serve", "--port", str(port)],
            cwd=REPO_ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


@pytest.fixture
def two_servers(shared: Settings, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """Two real ``app.py serve`` processes on their own ports and data dirs, on one Chroma server."""
    ports = free_port(), free_port()
    servers = [
        _serve(shared, tmp_path / f"serve-{n}", port, tmp_path / f"serve-{n}.log", n == 0)
        for n, port in enumerate(ports)
    ]
    try:
        for n, (port, server) in enumerate(zip(ports, servers, strict=True)):
            wait_for_port(port, f"app.py serve #{n} (log: {tmp_path / f'serve-{n}.log'})", 300, server)
        yield f"http://127.0.0.1:{ports[0]}", f"http://127.0.0.1:{ports[1]}"
    finally:
        for server in servers:
            server.terminate()
            server.wait(timeout=60)


def test_an_upload_through_one_server_is_answered_by_the_other(two_servers: tuple[str, str], tmp_path: Path) -> None:
    first_url, second_url = two_servers
    with (
        httpx.Client(base_url=first_url, timeout=120) as first,
        httpx.Client(base_url=second_url, timeout=120) as second,
    ):
        event, payload = call(second, "answer", [QUESTION, "extractive", [], [], [], "vi"])
        assert event == "complete" and SENTENCE not in json.dumps(payload, ensure_ascii=False)

        event, payload = call(first, "upload", [upload(first, _document(tmp_path / "incoming")), "vi"])
        assert event == "complete" and f"✓ Đã nạp: {NAME}" in payload[0], payload

        event, payload = call(second, "answer", [QUESTION, "extractive", [], [], [], "vi"])
        assert event == "complete", payload
        chat, panel = payload[0], payload[1]
        answer = "".join(part["text"] for part in chat[-1]["content"])  # Gradio's message parts
        assert "mùng năm hằng tháng" in answer and 'class="cite-ref"' in answer, answer
        assert NAME in panel, "the citation is the uploaded document"
        assert second.get(f"/doc/{NAME}").status_code == 200
