"""BM25 over Vietnamese-segmented text: ranking, filtering and persistence."""

from __future__ import annotations

from pathlib import Path

import pytest

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


def test_load_returns_none_when_absent_or_corrupt(index: KeywordIndex, tmp_path: Path) -> None:
    assert KeywordIndex.load(tmp_path / "missing") is None
    path = tmp_path / "keyword"
    index.save(path, "fp")
    (path / "keyword_meta.json").write_text("{not json", encoding="utf-8")
    assert KeywordIndex.load(path) is None
    index.save(path, "fp")
    for npy in (path / "bm25").glob("*.npy"):
        npy.write_bytes(b"garbage")
    assert KeywordIndex.load(path) is None


def test_real_statute_paragraph_found() -> None:
    statute = Settings().collection_path / "official" / "dieu-le-dang-2011.md"
    lines = [line for line in statute.read_text(encoding="utf-8").splitlines() if len(line) > 40]
    index = KeywordIndex.build([str(i) for i in range(len(lines))], segment_many(lines))
    best = lines[int(index.search(segment("thời kỳ dự bị của đảng viên mới kết nạp là bao lâu"))[0][0])]
    assert "thời kỳ dự bị mười hai tháng" in best
