"""The keyword index is updated, not rebuilt, and still covers exactly Chroma's chunks.

Real Chroma on disk, the real embedding model and tokenizer, real documents of the collection:
after an ingest that adds, changes and removes documents, the saved index reads only the new
chunks' tokens and scores every chunk exactly as a full rebuild from the tokens in Chroma does.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from ingest.embedder import Embedder
from ingest.index import ChunkIndex
from ingest.keyword_index import KeywordIndex
from ingest.keyword_sync import KeywordReader, ids_fingerprint, sync_keyword_index
from ingest.service import ingest_collection, open_index
from settings import Settings
from tests.conftest import TINY, make_collection

# A small real article none of TINY's documents is about.
NEW = "articles/dai-hoi-dai-bieu-dang-bo-tp-ho-chi-minh-nhiem-ky-2025-2030-khong-nhan-qua-tang-hoa-chuc.md"


def _full_rebuild(index: ChunkIndex) -> KeywordIndex:
    """BM25 from scratch over every chunk's tokens as Chroma stores them: what the update must equal."""
    got = index.all_chunks(include=("metadatas",))
    return KeywordIndex.build(got["ids"], [str(meta["tokens"]).split() for meta in got["metadatas"]])


def _assert_same_results(keyword: KeywordIndex, expected: KeywordIndex, index: ChunkIndex) -> None:
    """Same chunks; for every chunk's opening words as a query, the same hits with the same scores."""
    assert sorted(keyword.ids) == sorted(expected.ids) == sorted(index.ids())
    got = index.all_chunks(include=("metadatas",))
    queries = [str(meta["tokens"]).split()[:12] for meta in got["metadatas"]]
    for query in queries:
        assert keyword.search(query, k=len(expected) + 1) == expected.search(query, k=len(expected) + 1), query
        assert keyword.idf(query) == expected.idf(query)


@pytest.fixture
def token_reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every chunk id whose stored tokens are read from Chroma, through the real method."""
    reads: list[str] = []
    real: Callable[[ChunkIndex, list[str]], dict[str, list[str] | None]] = ChunkIndex.stored_tokens

    def counting(self: ChunkIndex, ids: list[str]) -> dict[str, list[str] | None]:
        reads.extend(ids)
        return real(self, ids)

    monkeypatch.setattr(ChunkIndex, "stored_tokens", counting)
    return reads


def _change_collection(settings: Settings) -> None:
    """Add NEW, edit one paragraph of TINY[1], remove TINY[0]."""
    make_collection(settings.collection_path, (*TINY, NEW))
    (settings.collection_path / TINY[0]).unlink()
    changed = settings.collection_path / TINY[1]
    text = changed.read_text(encoding="utf-8")
    changed.write_text(text.replace("\n\n", "\n\nChi bộ thôn Đồng Xuân trồng cây phượng tím ven đê.\n\n", 1), "utf-8")


def test_an_ingest_updates_the_saved_index_reading_only_the_new_chunks(
    tiny_index: Settings, embedder: Embedder, token_reads: list[str]
) -> None:
    index = open_index(tiny_index, embedder)[1]
    before = index.ids()
    _change_collection(tiny_index)

    report = ingest_collection(tiny_index, embedder=embedder)

    after = index.ids()
    assert report.files_removed == 1 and report.files_updated >= 1 and report.chunks_embedded > 0
    assert before - after and after - before, "the change must remove chunks and add some"
    assert sorted(token_reads) == sorted(after - before), "only the chunks the saved index lacked are read"
    loaded = KeywordIndex.load(tiny_index.keyword_path)
    assert loaded is not None and loaded[1] == ids_fingerprint(after)
    _assert_same_results(loaded[0], _full_rebuild(index), index)


def test_a_reader_updates_what_it_holds_in_memory(
    tiny_index: Settings, embedder: Embedder, token_reads: list[str]
) -> None:
    index = open_index(tiny_index, embedder)[1]
    reader = KeywordReader(tiny_index, index)
    assert len(reader.current()) == index.count() and not token_reads, "the saved index matched: nothing read"
    before = index.ids()
    _change_collection(tiny_index)
    ingest_collection(tiny_index, embedder=embedder)
    shutil.rmtree(tiny_index.keyword_path)  # as a data dir whose file another server's ingest never wrote
    token_reads.clear()

    keyword = reader.current()

    after = index.ids()
    assert sorted(token_reads) == sorted(after - before)
    assert not tiny_index.keyword_path.exists(), "a reader must not save the keyword index"
    _assert_same_results(keyword, _full_rebuild(index), index)
    assert reader.current() is keyword, "no change since: the held index is returned as it is"


def test_an_index_whose_fingerprint_does_not_prove_its_ids_is_never_built_upon(
    tiny_index: Settings, embedder: Embedder, tmp_path: Path
) -> None:
    """A saved index from another tokenizer (its fingerprint was computed with that tokenizer's
    version) has other words for the same ids: updating it would mix two tokenizers' words."""
    index = open_index(tiny_index, embedder)[1]
    got = index.all_chunks(include=("metadatas",))
    other_words = [[word.upper() for word in str(meta["tokens"]).split()] for meta in got["metadatas"]]
    KeywordIndex.build(got["ids"], other_words).save(tiny_index.keyword_path, "fingerprint-of-tokenizer-0")
    make_collection(tiny_index.collection_path, (*TINY, NEW))
    ingest_collection(tiny_index, embedder=embedder)

    keyword = sync_keyword_index(tiny_index, index)

    _assert_same_results(keyword, _full_rebuild(index), index)
    assert not keyword.search(["ĐẢNG"]), "no word of the other tokenizer survives"
