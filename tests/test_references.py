"""Parsing and resolving document references, including the look-alikes that must not parse."""

from __future__ import annotations

import unicodedata

import pytest

from assistant.references import DocRef, issuer_places, mention_pattern, parse_references, resolve
from ingest.types import DocumentMeta

CATALOG = [
    DocumentMeta("official/qd-294.pdf", "Quy định", "294-QĐ/TW", "Ban Chấp hành Trung ương", "2025-05-26"),
    DocumentMeta("official/hd-06.pdf", "Hướng dẫn", "06-HD/TW", "Ban Bí thư", "2025-06-09"),
    DocumentMeta("official/hd-45.md", "Hướng dẫn", "45-HD/BTCTW", "Ban Tổ chức Trung ương", "2025-11-21"),
    DocumentMeta("official/hd-261.md", "Hướng dẫn", "261-HD/BTCTW", "Ban Tổ chức Trung ương", "2024-01-02"),
    DocumentMeta("official/qd-1147.md", "Quyết định", "1147-QĐ/BTGDVTW", "Ban Tuyên giáo", "2025-12-01"),
    DocumentMeta("official/kl-221.md", "Kết luận", "221-KL/TW", "Bộ Chính trị", "2025-11-28"),
    DocumentMeta("official/kl-155.md", "Kết luận", "155-KL/TW", "Bộ Chính trị", ""),
    DocumentMeta("official/ct-35-2019.md", "Chỉ thị", "35-CT/TW", "Bộ Chính trị", "2019-06-14"),
    DocumentMeta("official/ct-35-2024.md", "Chỉ thị", "35-CT/TW", "Bộ Chính trị", "2024-06-14"),
    DocumentMeta("official/dieu-le-2011.md", "Điều lệ", "", "Đại hội XI", "2011-01-19"),
    DocumentMeta("articles/dieu-le-wiki.md", "article", "", "Wikipedia", "", "Điều lệ Đảng Cộng sản Việt Nam"),
]


@pytest.mark.parametrize(
    ("query", "kind", "number", "suffix", "year"),
    [
        ("Hướng dẫn 26", "Hướng dẫn", "26", None, None),
        ("HD 26", "Hướng dẫn", "26", None, None),
        ("HD26", "Hướng dẫn", "26", None, None),
        ("26-HD/BTCTW", "Hướng dẫn", "26", "HD/BTCTW", None),
        ("Guidance 26", "Hướng dẫn", "26", None, None),
        ("Quy định 294", "Quy định", "294", None, None),
        ("QĐ 294", "Quy định", "294", None, None),
        ("Qđ 294-QĐ/TW", "Quy định", "294", "QĐ/TW", None),
        ("Regulation 294", "Quy định", "294", None, None),
        ("Decision 1147", "Quyết định", "1147", None, None),
        ("Điều lệ", "Điều lệ", None, None, None),
        ("Điều lệ Đảng", "Điều lệ", None, None, None),
        ("Charter", "Điều lệ", None, None, None),
        ("Party Charter", "Điều lệ", None, None, None),
        ("Statute", "Điều lệ", None, None, None),
        ("Chỉ thị 35", "Chỉ thị", "35", None, None),
        ("Directive 35", "Chỉ thị", "35", None, None),
        ("Chỉ thị số 35-CT/TW ngày 14/6/2019", "Chỉ thị", "35", "CT/TW", 2019),
        ("Chỉ thị 35 năm 2024", "Chỉ thị", "35", None, 2024),
        ("Directive 35 of 2019", "Chỉ thị", "35", None, 2019),
        ("Kết luận 221", "Kết luận", "221", None, None),
        ("Conclusion 221", "Kết luận", "221", None, None),
        ("KL 221", "Kết luận", "221", None, None),
        ("Nghị quyết 18", "Nghị quyết", "18", None, None),
        ("Resolution 18", "Nghị quyết", "18", None, None),
        ("quy định 294 quy định tuổi vào đảng?", "Quy định", "294", None, None),
        ("hướng dẫn 26 nói gì về số dư?", "Hướng dẫn", "26", None, None),
    ],
)
def test_reference_forms(query: str, kind: str, number: str | None, suffix: str | None, year: int | None) -> None:
    for form in (query, query.lower(), unicodedata.normalize("NFD", query)):
        refs = parse_references(form)
        assert len(refs) == 1, form
        ref = refs[0]
        assert (ref.kind, ref.number, ref.suffix, ref.year) == (kind, number, suffix, year)


def test_span_and_raw_point_into_the_nfc_query() -> None:
    query = unicodedata.normalize("NFD", "Theo Quy định 294, tuổi vào Đảng?")
    (ref,) = parse_references(query)
    nfc = unicodedata.normalize("NFC", query)
    assert nfc[ref.span[0] : ref.span[1]] == ref.raw == "Quy định 294"


@pytest.mark.parametrize(
    "query",
    ["Điều 4 quy định gì?", "khoản 2", "đảng viên 18 tuổi", "trong 30 ngày", "theo quy định 30 ngày", "năm 2025"],
)
def test_look_alikes_are_not_references(query: str) -> None:
    assert parse_references(query) == []


def test_charter_named_as_subject_of_another_document_is_not_a_reference() -> None:
    refs = parse_references("Quy định 294 thi hành Điều lệ Đảng về kết nạp")
    assert [(r.kind, r.number) for r in refs] == [("Quy định", "294")]


def test_several_references_in_reading_order() -> None:
    refs = parse_references("So sánh Điều lệ Đảng với Quy định 294-QĐ/TW và HD 06")
    assert [(r.kind, r.number) for r in refs] == [("Điều lệ", None), ("Quy định", "294"), ("Hướng dẫn", "06")]


def _resolve(query: str, catalog: list[DocumentMeta] = CATALOG):
    (ref,) = parse_references(query)
    return resolve(ref, catalog)


@pytest.mark.parametrize(
    ("query", "source"),
    [
        ("Quy định 294", "official/qd-294.pdf"),
        ("QĐ 294", "official/qd-294.pdf"),
        ("294-qđ/tw", "official/qd-294.pdf"),
        ("Regulation 294", "official/qd-294.pdf"),
        ("HD 6", "official/hd-06.pdf"),
        ("Hướng dẫn 06-HD/TW", "official/hd-06.pdf"),
        ("Decision 1147", "official/qd-1147.md"),
        ("QĐ 1147", "official/qd-1147.md"),  # QĐ is shared by Quy định and Quyết định
        ("KL 155 năm 2025", "official/kl-155.md"),  # undated document cannot be excluded by year
        ("Chỉ thị 35 năm 2024", "official/ct-35-2024.md"),
        ("Chỉ thị số 35-CT/TW ngày 14/6/2019", "official/ct-35-2019.md"),
        ("Party Charter", "official/dieu-le-2011.md"),
    ],
)
def test_found(query: str, source: str) -> None:
    resolution = _resolve(query)
    assert resolution.status == "found"
    assert [doc.source for doc in resolution.matches] == [source]


def test_same_number_without_year_is_ambiguous() -> None:
    resolution = _resolve("Directive 35")
    assert resolution.status == "ambiguous"
    assert {doc.source for doc in resolution.matches} == {"official/ct-35-2019.md", "official/ct-35-2024.md"}


@pytest.mark.parametrize(
    "query",
    ["Hướng dẫn 26", "Guidance 26", "26-HD/BTCTW", "Chỉ thị 35 năm 2020", "Nghị quyết 18", "294-QĐ/BTCTW"],
)
def test_not_found(query: str) -> None:
    resolution = _resolve(query)
    assert resolution.status == "not_found" and resolution.matches == []


def test_number_prefix_does_not_match_longer_numbers() -> None:
    # "26" must not find "261-HD/BTCTW"; "4" must not find "45-HD/BTCTW".
    assert _resolve("HD 26").status == "not_found"
    assert _resolve("HD 4").status == "not_found"
    assert _resolve("HD 261").matches[0].number == "261-HD/BTCTW"


def test_hand_built_ref_without_kind_matches_any_kind() -> None:
    ref = DocRef(kind=None, number="221", suffix=None, year=None, raw="221", span=(0, 3))
    assert [doc.source for doc in resolve(ref, CATALOG).matches] == ["official/kl-221.md"]


def test_a_number_of_any_length_parses_and_resolves_without_int_conversion() -> None:
    # 5,000 digits exceed Python's int-conversion limit (4,300), which used to crash every question.
    huge = "9" * 5000
    (ref,) = parse_references(f"Quy định {huge} nói gì?")
    assert (ref.kind, ref.number) == ("Quy định", huge)
    assert resolve(ref, CATALOG).status == "not_found"
    pattern = mention_pattern(ref)
    assert pattern is not None and huge in pattern
    # An upload whose metadata holds such a number must not break other questions either.
    odd = DocumentMeta("uploads/x.md", "Quy định", f"{huge}-QĐ/TW", "", "2025-01-01")
    assert _resolve("Quy định 294", [*CATALOG, odd]).matches[0].source == "official/qd-294.pdf"
    assert _resolve(f"Quy định {huge}", [*CATALOG, odd]).matches == [odd]


def test_numbers_compare_without_leading_zeros_in_any_digit_script() -> None:
    assert _resolve("HD 006").matches[0].source == "official/hd-06.pdf"
    assert _resolve("HD ٠٦").matches[0].source == "official/hd-06.pdf"  # Arabic-Indic digits
    (ref,) = parse_references("QĐ 0294")
    assert mention_pattern(ref) is not None and "0*294" in str(mention_pattern(ref))


HANOI = [
    DocumentMeta("official/hanoi-a.pdf", "Hướng dẫn", "", "Ban Tổ chức Thành ủy Hà Nội", "2025-11"),
    DocumentMeta("official/hanoi-b.pdf", "Hướng dẫn", "", "Ban Tổ chức Thành uỷ Hà Nội", "2025-08"),
    DocumentMeta("seeds/an-giang.txt", "article", "", "Cổng thông tin điện tử tỉnh An Giang"),
]


@pytest.mark.parametrize(
    "query", ["ở Hà Nội thì sao?", "in Hanoi, who appraises?", "the Hanoi guidance", "HÀ NỘI", "ha noi"]
)
def test_a_place_names_its_official_documents_as_one_group(query: str) -> None:
    catalog = [*CATALOG, *HANOI]
    places = issuer_places(catalog)
    assert set(places.values()) == {"Hà Nội"}  # an article's issuer names no document group
    refs = parse_references(unicodedata.normalize("NFD", query), places)
    assert [ref.place for ref in refs] == ["Hà Nội"]
    resolution = resolve(refs[0], catalog)
    assert resolution.status == "found"
    assert [m.source for m in resolution.matches] == ["official/hanoi-a.pdf", "official/hanoi-b.pdf"]


def test_places_beside_document_references_and_look_alikes() -> None:
    places = issuer_places(HANOI)
    refs = parse_references("Under Regulation 294, and in Hanoi who decides?", places)
    assert [(r.number, r.place) for r in refs] == [("294", None), (None, "Hà Nội")]
    assert parse_references("An Giang và Hà Nộii", places) == []
    assert parse_references("ở Hà Nội thì sao?") == []  # no catalog places given
