"""BM25 over Vietnamese-segmented text: ranking, filtering, persistence, and updates that score as a fresh build."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import bm25s
import numpy as np
import pytest

from ingest import keyword_index
from ingest.keyword_index import KeywordIndex
from ingest.vitokens import segment, segment_many
from settings import Settings

# Passages in the style of the Điều lệ Đảng, one topic each.
PASSAGES = {
    "probation": "Người được kết nạp vào Đảng phải trải qua thời kỳ dự bị mười hai tháng, tính từ ngày "
    "chi bộ tổ chức lễ kết nạp.",
    "dues": "Đảng viên bỏ sinh hoạt chi bộ hoặc không đóng đảng phí ba tháng trong năm mà không có lý do "
    "chính đáng thì chi bộ xem xét, đề nghị xoá tên trong danh sách đảng viên.",
    "congress": "Đại hội đại biểu toàn quốc do Ban Chấp hành Trung ương triệu tập thường lệ năm năm một lần.",
    "surplus": "Số dư ứng cử viên cấp uỷ từ 10% đến 30% so với số lượng cấp uỷ viên được bầu.",
    "number": "Quy định 294-QĐ/TW ngày 26/5/2025 về thi hành Điều lệ Đảng.",
}


@pytest.fixture(scope="module")
def index() -> KeywordIndex:
    return KeywordIndex.build(list(PASSAGES), segment_many(list(PASSAGES.values())))


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("thời kỳ dự bị bao lâu?", "probation"),
        ("không đóng đảng phí thì bị xóa tên?", "dues"),  # new-style "xóa" vs the text's "xoá"
        ("số dư khi bầu cấp ủy", "surplus"),
        ("QĐ 294", "number"),
        ("đại hội toàn quốc mấy năm một lần", "congress"),
    ],
)
def test_right_passage_ranks_first(index: KeywordIndex, query: str, expected: str) -> None:
    assert index.search(segment(query))[0][0] == expected


def test_scores_descend_and_unrelated_chunks_are_left_out(index: KeywordIndex) -> None:
    hits = index.search(segment("đảng phí"))
    scores = [score for _, score in hits]
    assert scores == sorted(scores, reverse=True) and hits[0][0] == "dues"
    assert [chunk for chunk, _ in index.search(segment("bỏ sinh hoạt"))] == ["dues"]


def test_k_limits_results(index: KeywordIndex) -> None:
    assert len(index.search(segment("đảng chi bộ đại hội cấp uỷ"), k=2)) == 2
    assert index.search(segment("đảng"), k=0) == []


def test_allowed_ids_filters_before_taking_top_k(index: KeywordIndex) -> None:
    hits = index.search(segment("chi bộ kết nạp đảng viên"), k=1, allowed_ids=["dues"])
    assert [chunk for chunk, _ in hits] == ["dues"]
    assert index.search(segment("đảng phí"), allowed_ids=set()) == []


def test_unknown_or_empty_query_returns_nothing(index: KeywordIndex) -> None:
    assert index.search(["từ_không_có"]) == []
    assert index.search([]) == []


def test_build_rejects_mismatched_or_duplicate_ids() -> None:
    with pytest.raises(ValueError):
        KeywordIndex.build(["a"], [])
    with pytest.raises(ValueError):
        KeywordIndex.build(["a", "a"], [["x"], ["y"]])


def test_round_trip_keeps_results_and_fingerprint(index: KeywordIndex, tmp_path: Path) -> None:
    path = tmp_path / "keyword"
    index.save(path, "fp-1")
    loaded = KeywordIndex.load(path)
    assert loaded is not None
    restored, fingerprint = loaded
    assert fingerprint == "fp-1" and len(restored) == len(index) == len(PASSAGES)
    query = segment("số dư cấp uỷ đảng viên")
    assert restored.search(query) == index.search(query)


def test_save_replaces_an_existing_index_without_leftovers(index: KeywordIndex, tmp_path: Path) -> None:
    path = tmp_path / "keyword"
    index.save(path, "old")
    KeywordIndex.build(["only"], [["đảng"]]).save(path, "new")
    restored, fingerprint = KeywordIndex.load(path)  # type: ignore[misc]
    assert fingerprint == "new" and len(restored) == 1
    assert [p.name for p in tmp_path.iterdir()] == ["keyword"]


def test_empty_index_round_trips(tmp_path: Path) -> None:
    empty = KeywordIndex.build([], [])
    assert len(empty) == 0 and empty.search(["đảng"]) == []
    empty.save(tmp_path / "k", "fp")
    restored, fingerprint = KeywordIndex.load(tmp_path / "k")  # type: ignore[misc]
    assert len(restored) == 0 and fingerprint == "fp"


def test_load_returns_none_when_absent_torn_or_inconsistent(index: KeywordIndex, tmp_path: Path) -> None:
    """The next update builds on the saved index, so anything but exactly what was saved means a rebuild."""
    assert KeywordIndex.load(tmp_path / "missing") is None
    path = tmp_path / "keyword"
    index.save(path, "fp")
    meta, arrays = path / "keyword_meta.json", path / "postings.npz"
    saved_meta, saved_arrays = meta.read_text(encoding="utf-8"), arrays.read_bytes()

    meta.write_text("{not json", encoding="utf-8")
    assert KeywordIndex.load(path) is None
    meta.write_text(saved_meta, encoding="utf-8")
    arrays.write_bytes(saved_arrays[: len(saved_arrays) // 2])  # a torn write
    assert KeywordIndex.load(path) is None
    flipped = bytearray(saved_arrays)
    flipped[len(flipped) // 2] ^= 1  # same size, one bit off
    arrays.write_bytes(bytes(flipped))
    assert KeywordIndex.load(path) is None

    # Another index's arrays under this meta, digest and all: only the consistency check can tell.
    other = tmp_path / "other"
    KeywordIndex.build(["x", "y"], [["đảng"], ["chi_bộ", "chi_bộ"]]).save(other, "fp")
    shutil.copyfile(other / "postings.npz", arrays)
    swapped = json.loads(saved_meta)
    swapped["sha256"] = json.loads((other / "keyword_meta.json").read_text(encoding="utf-8"))["sha256"]
    meta.write_text(json.dumps(swapped, ensure_ascii=False), encoding="utf-8")
    assert KeywordIndex.load(path) is None

    meta.write_text(saved_meta, encoding="utf-8")
    arrays.write_bytes(saved_arrays)
    assert KeywordIndex.load(path) is not None


def _paragraphs(source: str) -> dict[str, str]:
    """A real document's paragraphs as chunks, with ids that name the document."""
    text = (Settings().collection_path / source).read_text(encoding="utf-8")
    paragraphs = [p.strip() for p in text.split("\n\n") if len(p.strip()) > 40]
    return {f"{source}#{n}": paragraph for n, paragraph in enumerate(paragraphs)}


# Real documents of the collection, official and news; their paragraphs are the chunks below.
DOCUMENTS = (
    "official/dieu-le-dang-2011.md",
    "official/hd-37-btgdvtw-2025-ban-tin-sinh-hoat-chi-bo.md",
    "official/kl-221-tw-2025-bo-may-he-thong-chinh-tri-chinh-quyen-2-cap.md",
    "official/qd-383-tw-2025-phong-luu-tru-dang.md",
    "seeds/001_08361227f022f5cb.txt",
    "seeds/003_bd0d43a6b8ead280.txt",
)


@pytest.fixture(scope="module")
def chunks() -> dict[str, dict[str, list[str]]]:
    """Each document's chunks: id -> the real tokenizer's tokens."""
    result: dict[str, dict[str, list[str]]] = {}
    for source in DOCUMENTS:
        paragraphs = _paragraphs(source)
        result[source] = dict(zip(paragraphs, segment_many(list(paragraphs.values())), strict=True))
    return result


def _queries(chunks: dict[str, dict[str, list[str]]]) -> list[list[str]]:
    """Every word of the documents alone, and each chunk's opening words (repeats included)."""
    words = sorted({word for doc in chunks.values() for tokens in doc.values() for word in tokens})
    return [[word] for word in words] + [tokens[:12] for doc in chunks.values() for tokens in doc.values()]


def _bm25s_scores(ids: list[str], tokens: list[list[str]], queries: list[list[str]]) -> list[dict[str, float]]:
    """bm25s itself over the same chunks: the reference the index's scores are held to."""
    reference = bm25s.BM25()
    reference.index(tokens, show_progress=False)
    results = []
    for query in queries:
        scores = reference.get_scores_from_ids(reference.get_tokens_ids(query))
        results.append({ids[i]: float(scores[i]) for i in np.flatnonzero(scores > 0)})
    return results


def test_updates_rank_and_score_exactly_as_a_fresh_build_and_bm25s(
    chunks: dict[str, dict[str, list[str]]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """BM25's statistics are global, so adding or removing a document changes every chunk's score:
    after each step the updated index must give the fresh build's results, score for score."""
    monkeypatch.setattr(keyword_index, "SCORE_BLOCK", 1000)  # scored in many blocks, as a large index is
    first, second, third, fourth, fifth, sixth = DOCUMENTS
    queries = _queries(chunks)
    steps = [  # (documents removed, documents added): each step leaves the documents listed after it
        ((), (first, second, third)),
        ((second,), (fourth, fifth)),  # first, third, fourth, fifth
        ((first, fifth), (sixth,)),  # third, fourth, sixth
        ((), (second, first)),  # back again, in another order
        ((third, fourth, sixth, second, first), ()),  # nothing left
        ((), (fifth,)),
    ]
    updated = KeywordIndex.build([], [])
    present: list[str] = []
    for removed, added in steps:
        updated = updated.updated(
            {chunk_id for source in removed for chunk_id in chunks[source]},
            [chunk_id for source in added for chunk_id in chunks[source]],
            [tokens for source in added for tokens in chunks[source].values()],
        )
        present = [source for source in present if source not in removed] + list(added)
        ids = [chunk_id for source in present for chunk_id in chunks[source]]
        tokens = [chunks[source][chunk_id] for source in present for chunk_id in chunks[source]]
        fresh = KeywordIndex.build(ids, tokens)
        assert sorted(updated.ids) == sorted(ids)
        for query in queries:
            assert updated.search(query, k=len(ids) + 1) == fresh.search(query, k=len(ids) + 1), (present, query)
            assert updated.idf(query) == fresh.idf(query)
        if ids:
            expected = _bm25s_scores(ids, tokens, queries)
            got = [dict(updated.search(query, k=len(ids) + 1)) for query in queries]
            assert got == expected, f"scores differ from bm25s with {present}"


def test_ties_are_ordered_by_id_whatever_the_order_chunks_came_in() -> None:
    """A fresh build and an update hold chunks in different orders; equal scores must not follow it."""
    words = [["chi_bộ", "họp"], ["chi_bộ", "họp"], ["chi_bộ", "họp"], ["đảng_viên"]]
    one = KeywordIndex.build(["c", "a", "b", "d"], words)
    other = KeywordIndex.build(["d"], words[3:]).updated({"d"}, ["b", "a", "c", "d"], words)
    assert [hit for hit, _ in one.search(["chi_bộ"], k=2)] == ["a", "b"]
    assert one.search(["chi_bộ"], k=2) == other.search(["chi_bộ"], k=2)
    assert one.search(["chi_bộ", "họp"]) == other.search(["chi_bộ", "họp"])


def test_update_rejects_an_unknown_removal_or_a_duplicate_id(index: KeywordIndex) -> None:
    with pytest.raises(ValueError):
        index.updated({"not-there"}, [], [])
    with pytest.raises(ValueError):
        index.updated((), ["dues"], [["đảng_phí"]])
    with pytest.raises(ValueError):
        index.updated((), ["new"], [])
    assert len(index.updated({"dues"}, ["dues"], [["đảng_phí"]])) == len(index), "replacing a chunk is fine"


def test_real_statute_paragraph_found() -> None:
    statute = Settings().collection_path / "official" / "dieu-le-dang-2011.md"
    lines = [line for line in statute.read_text(encoding="utf-8").splitlines() if len(line) > 40]
    index = KeywordIndex.build([str(i) for i in range(len(lines))], segment_many(lines))
    best = lines[int(index.search(segment("thời kỳ dự bị của đảng viên mới kết nạp là bao lâu"))[0][0])]
    assert "thời kỳ dự bị mười hai tháng" in best
