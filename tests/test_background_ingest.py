"""Serving while indexing (issue 15, item 1), with real ingest runs, a real model and real Chroma.

The background run is paused inside a real run (its tracker blocks after the first committed file,
holding the data dir's lock as any run does), so what the page and the answers show while the
index is partial, and what waits for it, can be looked at; then it is let go to completion.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from assistant.chain import Assistant
from assistant.ui.app import Callbacks
from ingest.embedder import Embedder
from ingest.healing import ingest_lock
from ingest.index import ChunkIndex
from ingest.pipeline import WAITING, IngestLockedError, Ingestor
from ingest.progress import IngestProgress
from ingest.scan import indexing_order
from ingest.service import index_in_background, open_index
from ingest.uploads import ingest_uploads
from settings import REPO_ROOT, Settings
from tests.conftest import make_collection, make_settings

KL_221 = "official/kl-221-tw-2025-bo-may-he-thong-chinh-tri-chinh-quyen-2-cap.md"  # 7 chunks
KL_155 = "official/kl-155-tw-2025-sap-xep-to-chuc-bo-may.md"  # 18 chunks
ARTICLE = "articles/dai-hoi-dai-bieu-dang-bo-tp-ho-chi-minh-nhiem-ky-2025-2030-khong-nhan-qua-tang-hoa-chuc.md"
ON_KL_221 = "Bộ Chính trị giao Đảng uỷ Chính phủ phối hợp với Bộ Tư pháp rà soát văn bản quy phạm pháp luật để làm gì?"
ON_ARTICLE = "Đại hội Đảng bộ TP.Hồ Chí Minh nhiệm kỳ 2025-2030 có nhận quà tặng, hoa chúc mừng không?"


class PausedRun(IngestProgress):
    """A tracker that holds the run still after its first committed file until ``resume``, and
    records which documents were searchable at each commit."""

    def __init__(self, index: ChunkIndex) -> None:
        super().__init__()
        self.index = index
        self.paused = threading.Event()
        self.resumed = threading.Event()
        self.seen: list[tuple[set[str], int]] = []  # documents searchable, chunks embedded, per commit

    def committed(self, documents: int = 1) -> None:
        super().committed(documents)
        ok = {source for source, record in self.index.records().items() if record.status == "ok"}
        self.seen.append((ok, self.snapshot().chunks_done))
        if not self.paused.is_set():
            self.paused.set()
            assert self.resumed.wait(120), "the test never let the run go on"


def _settings(tmp_path: Path, sources: tuple[str, ...], window: int = 8, **ingest: object) -> Settings:
    settings = make_settings(tmp_path, make_collection(tmp_path / "corpus", sources))
    return settings.model_copy(
        update={"ingest": settings.ingest.model_copy(update={"window_chunks": window, **ingest})}
    )


def _start(settings: Settings, embedder: Embedder, run: PausedRun | None = None) -> tuple[PausedRun, threading.Thread]:
    """The background indexing serve() starts, paused after its first committed file."""
    run = run or PausedRun(open_index(settings, embedder)[1])
    thread = index_in_background(settings, embedder, run)
    assert run.paused.wait(300), "the background run committed nothing"
    return run, thread


def test_official_documents_go_first_in_the_manifest_order() -> None:
    paths = {source: Path(source) for source in ("articles/a.md", "official/b.md", "official/a.md", "seeds/x.txt")}
    manifest = {"official/b.md": {"kind": "official"}, "seeds/x.txt": {"kind": "seed"}, "official/a.md": {}}
    assert list(indexing_order(paths, manifest)) == ["official/b.md", "official/a.md", "seeds/x.txt", "articles/a.md"]


def test_officials_are_searchable_before_articles_are_embedded(tmp_path: Path, embedder: Embedder) -> None:
    # By path the article would come first, and kl-155 before kl-221; the manifest lists kl-221 first.
    settings = _settings(tmp_path, (ARTICLE, KL_155, KL_221))
    run, thread = _start(settings, embedder)
    run.resumed.set()
    thread.join(300)

    order, before = [], set()
    for now, _ in run.seen:
        order += sorted(now - before)
        before = now
    assert order == [KL_221, KL_155, ARTICLE]
    chunks_total = run.snapshot().chunks_total
    assert run.seen[0][1] < chunks_total, "the first official was searchable before the rest was embedded"
    assert not run.snapshot().running and run.snapshot().documents_done == 3


def test_answers_come_from_the_partial_index_and_say_so_then_from_the_complete_one(
    tmp_path: Path, embedder: Embedder
) -> None:
    settings = _settings(tmp_path, (ARTICLE, KL_221))
    run = PausedRun(open_index(settings, embedder)[1])
    assistant = Assistant(settings, embedder, indexing=run)  # as serve() opens it: on an empty index
    assert assistant.catalog == []
    run, thread = _start(settings, embedder, run)
    try:
        partial = assistant.ask(ON_KL_221)
        elsewhere = assistant.ask(ON_ARTICLE)
        page, _ = Callbacks(assistant, settings).indexing("vi")
    finally:
        run.resumed.set()
        thread.join(300)

    note = "Đang lập chỉ mục: 1/2 văn bản; câu trả lời chỉ dựa trên phần đã lập chỉ mục. / Indexing: 1 of 2 documents"
    assert partial.answer.startswith(note) and partial.notes[0].startswith(note)
    assert not partial.refused and partial.citations[0].passage.source == KL_221
    assert elsewhere.answer.startswith(note)
    assert all(c.passage.source != ARTICLE for c in elsewhere.citations), "not indexed yet"
    assert "1/2 văn bản" in page and "đoạn" in page

    complete = assistant.ask(ON_ARTICLE)  # the same Assistant: no restart
    assert not complete.refused and complete.citations[0].passage.source == ARTICLE
    assert not complete.notes and "lập chỉ mục" not in complete.answer
    assert len(assistant.keyword) == assistant.index.count(), "BM25 covers the complete index"
    assert Callbacks(assistant, settings).indexing("en")[0] == ""


def test_an_upload_waits_for_the_background_indexing(tmp_path: Path, embedder: Embedder) -> None:
    settings = _settings(tmp_path, (ARTICLE, KL_221))
    run, thread = _start(settings, embedder)
    upload = tmp_path / "so-tay-chi-bo.md"
    upload.write_text("# Sổ tay chi bộ\n\nChi bộ họp thường kỳ mỗi tháng một lần.\n", encoding="utf-8")
    labels: list[str] = []
    finished: list[float] = []

    def upload_now() -> None:
        report = ingest_uploads(settings, [upload], embedder, progress=lambda label, _: labels.append(label))
        assert [o.name for o in report.accepted] == ["so-tay-chi-bo.md"], report.outcomes
        finished.append(time.monotonic())

    uploader = threading.Thread(target=upload_now)
    uploader.start()
    time.sleep(3)
    assert not finished and labels == [WAITING], "the upload waits while the background run holds the lock"
    run.resumed.set()
    thread.join(300)
    background_done = time.monotonic()
    uploader.join(300)

    assert finished and finished[0] >= background_done - 1.0
    records = open_index(settings, embedder)[1].records()
    assert {KL_221, ARTICLE, "so-tay-chi-bo.md"} <= {s for s, r in records.items() if r.status == "ok"}


def test_a_second_process_holding_the_lock_is_waited_for_then_given_up_on(tmp_path: Path, embedder: Embedder) -> None:
    settings = _settings(tmp_path, (KL_221,), lock_wait_s=60.0)
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(settings.data_dir), "4"],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
    started = time.monotonic()
    report = Ingestor(settings, *open_index(settings, embedder)).ingest_folder(settings.collection_path)
    waited = time.monotonic() - started
    holder.wait(30)
    assert report.files_updated == 1 and waited >= 2.5, f"the ingest ran while another process held the lock ({waited})"

    impatient = settings.model_copy(update={"ingest": settings.ingest.model_copy(update={"lock_wait_s": 0.5})})
    with ingest_lock(settings.data_dir), pytest.raises(IngestLockedError, match="still writing"):
        Ingestor(impatient, *open_index(impatient, embedder)).ingest_folder(settings.collection_path)


# Another process's run: holds the data dir's lock for argv[2] seconds.
HOLD_LOCK = """
import sys, time
from pathlib import Path
from ingest.healing import ingest_lock
with ingest_lock(Path(sys.argv[1])):
    print("locked", flush=True)
    time.sleep(float(sys.argv[2]))
"""
