"""Incremental ingestion, bad files, model identity and the Chroma server path, on real data."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from ingest.embedder import Embedder
from ingest.index import ChunkIndex, IndexMismatchError
from ingest.pipeline import Ingestor
from ingest.service import collection_stats, open_index
from settings import Settings
from tests.conftest import TINY, Ingested


def _ingestor(settings: Settings, embedder: Embedder) -> Ingestor:
    return Ingestor(settings, *open_index(settings, embedder))


def test_reingest_of_unchanged_collection_embeds_nothing(
    tiny_ingested: Ingested, tiny_index: Settings, embedder: Embedder
) -> None:
    first = tiny_ingested.report  # the session's from-scratch ingest that tiny_index copies
    assert first.files_updated == 2 and first.chunks_embedded > 0 and not first.failures

    again = _ingestor(tiny_index, embedder).ingest_folder(tiny_index.collection_path)
    assert again.files_unchanged == 2
    assert again.chunks_embedded == 0 and again.files_updated == 0
    assert again.seconds < 5


def test_changed_file_replaces_only_what_changed(tiny_index: Settings, embedder: Embedder) -> None:
    ingestor = _ingestor(tiny_index, embedder)
    before = ingestor.index.records()[TINY[1]]

    path = tiny_index.collection_path / TINY[1]
    path.write_text(path.read_text(encoding="utf-8") + "\n\nĐoạn mới về số dư cấp ủy viên khi bầu cử.\n", "utf-8")
    report = ingestor.ingest_folder(tiny_index.collection_path)

    after = ingestor.index.records()[TINY[1]]
    assert report.files_updated == 1 and report.files_unchanged == 1
    # Unchanged passages keep their ids and are not embedded again.
    assert 0 < report.chunks_embedded < len(after.chunk_ids)
    assert report.chunks_reused >= len(set(before.chunk_ids) & set(after.chunk_ids)) > 0
    stored = {chunk.id for chunk in ingestor.index.document_chunks(TINY[1])}
    assert stored == set(after.chunk_ids), "stale chunks of the old version must be gone"


def test_removed_file_loses_its_chunks(tiny_index: Settings, embedder: Embedder) -> None:
    ingestor = _ingestor(tiny_index, embedder)
    assert ingestor.index.document_chunks(TINY[0])
    (tiny_index.collection_path / TINY[0]).unlink()

    report = ingestor.ingest_folder(tiny_index.collection_path)

    assert report.files_removed == 1 and report.chunks_deleted > 0
    assert ingestor.index.document_chunks(TINY[0]) == []
    assert TINY[0] not in ingestor.index.records()


def test_bad_file_is_reported_and_skipped(
    tiny_index: Settings, embedder: Embedder, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="ingest.pipeline")
    (tiny_index.collection_path / "official" / "hong.pdf").write_bytes(b"%PDF-1.7 this is not a pdf")
    (tiny_index.collection_path / "rong.txt").write_text("   \n", "utf-8")

    report = _ingestor(tiny_index, embedder).ingest_folder(tiny_index.collection_path)

    failed = {f.source: f.reason for f in report.failures}
    assert set(failed) == {"official/hong.pdf", "rong.txt"}
    assert all(reason for reason in failed.values())
    logged = [r.getMessage() for r in caplog.records if r.name == "ingest.pipeline"]
    assert all(any(source in m and reason in m for m in logged) for source, reason in failed.items()), logged
    assert report.files_unchanged == 2 and report.chunks_embedded == 0  # the good files were already indexed
    stats = collection_stats(tiny_index, open_index(tiny_index, embedder)[1])
    assert {d["source"] for d in stats["documents"]} == set(TINY)
    assert {f["source"] for f in stats["failures"]} == set(failed)
    # A second run does not retry an unchanged bad file but still reports it.
    again = _ingestor(tiny_index, embedder).ingest_folder(tiny_index.collection_path)
    assert again.files_unchanged == 4 and {f.source for f in again.failures} == set(failed)


def test_index_built_by_another_model_is_refused(tiny_settings: Settings, embedder: Embedder) -> None:
    ChunkIndex(tiny_settings, embedder.model_id)
    with pytest.raises(IndexMismatchError, match="another-model"):
        ChunkIndex(tiny_settings, "another-model:0000")


def test_stats_lists_metadata_and_chunk_counts(tiny_ingested: Ingested, embedder: Embedder) -> None:
    settings = tiny_ingested.settings  # stats only read the index, so the shared one will do
    stats = collection_stats(settings, open_index(settings, embedder)[1])
    docs = {d["source"]: d for d in stats["documents"]}
    hd37 = docs[TINY[0]]
    assert hd37["number"] == "37-HD/BTGDVTW" and hd37["kind"] == "Hướng dẫn" and hd37["date"] == "2025-11-19"
    assert stats["total_chunks"] == sum(d["chunks"] for d in stats["documents"]) > 0
    assert len(hd37["sections"]) == hd37["chunks"] and all(hd37["sections"])
    assert stats["embedding_model"] == embedder.model_id and stats["failures"] == []


def test_same_code_works_against_a_chroma_server(
    tmp_path: Path, tiny_settings: Settings, embedder: Embedder, chroma_server: str
) -> None:
    settings = tiny_settings.model_copy(update={"chroma_url": chroma_server})
    first = _ingestor(settings, embedder).ingest_folder(settings.collection_path)
    again = _ingestor(settings, embedder).ingest_folder(settings.collection_path)
    index = open_index(settings, embedder)[1]
    nearest = list(index.query(embedder.embed_queries(["Bản tin sinh hoạt chi bộ"])[0], 3))
    hits = index.get(nearest)
    assert first.chunks_embedded > 0 and again.chunks_embedded == 0
    assert not (tiny_settings.chroma_path / "chroma.sqlite3").exists(), "server mode must not write locally"
    assert hits[0].metadata["source"] == TINY[0]


def test_keyword_index_resegments_tokens_from_an_older_tokenizer(tiny_index: Settings, embedder: Embedder) -> None:
    import shutil

    from ingest.keyword_sync import sync_keyword_index
    from ingest.vitokens import TOKENIZER_VERSION, segment

    ingestor = _ingestor(tiny_index, embedder)
    chunk = ingestor.index.document_chunks(TINY[0])[0]
    chunk_id, text = chunk.id, chunk.text
    ingestor.index.store_tokens({chunk_id: []}, tokenizer="0-old")

    shutil.rmtree(tiny_index.keyword_path)  # as after a tokenizer upgrade: the saved index no longer matches
    keyword = sync_keyword_index(tiny_index, ingestor.index)

    assert chunk_id in [hit for hit, _ in keyword.search(segment(text), k=3)]
    stored = ingestor.index.get([chunk_id])[0].metadata
    assert stored["tokenizer"] == TOKENIZER_VERSION and stored["tokens"].split() == segment(text)
