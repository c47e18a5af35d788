"""The glossary expands English queries into the collection's own Vietnamese wording."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from assistant.glossary import Glossary, detect_language, load_glossary
from ingest.vitokens import normalize
from settings import Settings


@pytest.fixture(scope="module")
def glossary() -> Glossary:
    return load_glossary()


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("what does Guidance 26 say about surplus candidates?", ["số dư"]),
        ("How long is the probationary period?", ["thời kỳ dự bị"]),
        ("rights of a probationary member", ["đảng viên dự bị"]),
        ("CONFIDENCE VOTE procedure", ["lấy phiếu tín nhiệm", "phiếu tín nhiệm"]),
        ("Party fee for retired Party members", ["đảng phí", "đảng viên"]),
        ("transfer of Party activities", ["chuyển sinh hoạt đảng"]),
        (
            "self-criticism and quality rating",
            ["tự phê bình", "kiểm điểm", "đánh giá, xếp loại chất lượng", "đánh giá xếp loại"],
        ),
        ("when is a member expelled or removed from the list", ["đảng viên"]),
        ("expel or remove from the list", ["khai trừ", "xóa tên", "xoá tên"]),
    ],
)
def test_expand(glossary: Glossary, query: str, expected: list[str]) -> None:
    assert glossary.expand(query) == expected


def test_longest_match_wins_and_nothing_is_repeated(glossary: Glossary) -> None:
    terms = glossary.expand("Party committee member and Party committee")
    assert terms == ["cấp ủy viên", "cấp uỷ viên", "cấp ủy", "cấp uỷ", "đảng ủy", "đảng uỷ"]
    assert "đảng viên" not in glossary.expand("probationary member")


def test_vietnamese_query_expands_to_nothing(glossary: Glossary) -> None:
    assert glossary.expand("Hướng dẫn 26 nói gì về số dư?") == []


def test_size_and_both_spellings_of_uy(glossary: Glossary) -> None:
    assert 60 <= len(glossary.entries) <= 130
    variants = {v for vs in glossary.entries.values() for v in vs}
    assert {"cấp ủy", "cấp uỷ", "ủy ban kiểm tra", "uỷ ban kiểm tra"} <= variants


def test_every_vietnamese_term_occurs_in_the_collection(glossary: Glossary) -> None:
    root = Settings().collection_path
    files = [*root.rglob("*.md"), *root.rglob("*.txt")]
    assert files, f"the collection is missing at {root}"
    pdf_only = {"quy chế bầu cử", "thẩm tra lý lịch", "lý lịch của người xin vào Đảng"}  # only in PDFs
    text = re.sub(r"\s+", " ", normalize("\n".join(p.read_text(encoding="utf-8") for p in files)))
    missing = {v for vs in glossary.entries.values() for v in vs if normalize(v) not in text} - pdf_only
    assert not missing


def test_bad_files_are_rejected(tmp_path: Path) -> None:
    duplicate = tmp_path / "dup.tsv"
    duplicate.write_text("en\tvi\nParty cell\tchi bộ\nparty cells\tchi bộ\n", encoding="utf-8")
    with pytest.raises(ValueError, match="duplicate"):
        load_glossary(duplicate)
    empty = tmp_path / "empty.tsv"
    empty.write_text("en\tvi\nParty cell\t\n", encoding="utf-8")
    with pytest.raises(ValueError, match="bad"):
        load_glossary(empty)


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Hướng dẫn 26 nói gì về số dư?", "vi"),
        ("Quy định 294 quy định tuổi vào Đảng?", "vi"),
        ("what does Guidance 26 say about surplus candidates?", "en"),
        ("surplus candidates", "en"),
        ("What does the Điều lệ say about kết nạp?", "en"),
        ("Điều lệ nói gì về kết nạp đảng viên?", "vi"),
        ("294", "vi"),
    ],
)
def test_detect_language(text: str, language: str) -> None:
    assert detect_language(text) == language


def test_coverage_is_the_share_of_content_words_the_glossary_translates() -> None:
    glossary = load_glossary()
    assert glossary.coverage("What does it say about surplus candidates?") == 1.0
    long_question = "What minimum attendance does a learner at a commune centre need before the final paper?"
    assert 0 < glossary.coverage(long_question) < 0.2
    assert glossary.coverage("What does it say?") == 0.0
