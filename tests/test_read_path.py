"""Opening the assistant only reads: a stale keyword index is rebuilt in memory, never saved.

Real Chroma on disk, the real embedding model and tokenizer, real documents of the collection.
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

from assistant.chain import Assistant
from ingest.embedder import Embedder
from ingest.index import ChunkIndex
from ingest.keyword_sync import load_keyword_index
from ingest.service import ingest_collection, open_index
from ingest.vitokens import segment
from settings import Settings
from tests.conftest import TINY, make_collection

# A small real article none of TINY's documents is about.
NEW = "articles/dai-hoi-dai-bieu-dang-bo-tp-ho-chi-minh-nhiem-ky-2025-2030-khong-nhan-qua-tang-hoa-chuc.md"


def _snapshot(root: Path) -> dict[str, tuple[int, str]]:
    """Every file under ``root`` with its modification time and content hash."""
    return {
        str(path.relative_to(root)): (path.stat().st_mtime_ns, hashlib.sha256(path.read_bytes()).hexdigest())
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def _stale_after_another_ingest(settings: Settings, embedder: Embedder, tmp: Path) -> None:
    """Ingest NEW, then put the keyword index saved before it back: as if another process had
    ingested and this data dir's keyword index were older than Chroma."""
    saved = tmp / "keyword-before"
    shutil.copytree(settings.keyword_path, saved)
    make_collection(settings.collection_path, (*TINY, NEW))
    report = ingest_collection(settings, embedder=embedder)
    assert report.chunks_embedded > 0 and not report.failures
    shutil.rmtree(settings.keyword_path)
    shutil.copytree(saved, settings.keyword_path)


def test_opening_on_a_stale_keyword_index_writes_nothing_and_sees_the_new_chunks(
    tiny_index: Settings, embedder: Embedder, tmp_path: Path
) -> None:
    _stale_after_another_ingest(tiny_index, embedder, tmp_path)
    before = _snapshot(tiny_index.data_dir)

    assistant = Assistant(tiny_index, embedder)
    result = assistant.ask("Đại hội Đảng bộ TP.Hồ Chí Minh nhiệm kỳ 2025-2030 có nhận quà tặng, hoa chúc mừng không?")
    assistant.refresh()

    assert _snapshot(tiny_index.data_dir) == before, "opening and asking must not write the data dir"
    new_chunks = set(assistant.index.records()[NEW].chunk_ids)
    assert len(assistant.keyword) == assistant.index.count()  # the in-memory rebuild holds every chunk
    top = assistant.keyword.search(segment("không gửi quà và tặng hoa chúc mừng Đại hội"), k=1)
    assert top[0][0] in new_chunks
    assert not result.refused and result.citations[0].passage.source == NEW


def test_a_reader_resegments_older_tokens_in_memory_only(tiny_index: Settings, embedder: Embedder) -> None:
    index: ChunkIndex = open_index(tiny_index, embedder)[1]
    chunk = index.document_chunks(TINY[0])[0]
    index.store_tokens({chunk.id: []}, tokenizer="0-old")  # as a chunk stored by an older tokenizer
    shutil.rmtree(tiny_index.keyword_path)

    keyword = load_keyword_index(tiny_index, index)

    assert chunk.id in [hit for hit, _ in keyword.search(segment(chunk.text), k=3)]
    stored = index.get([chunk.id])[0].metadata
    assert stored["tokenizer"] == "0-old" and stored["tokens"] == "", "a reader must not store tokens"
    assert not tiny_index.keyword_path.exists(), "a reader must not save the keyword index"
