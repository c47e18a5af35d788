"""Tokenization must treat index text and queries identically; these tests pin the cases that differ."""

from __future__ import annotations

import unicodedata

import pytest
from pyvi import ViTokenizer

from ingest.vitokens import TOKENIZER_VERSION, normalize, pyvi_words, segment, segment_many


def test_compounds_are_single_tokens_plus_their_syllables() -> None:
    tokens = segment("Đảng viên dự bị được kết nạp")
    for compound in ("đảng_viên", "dự_bị", "kết_nạp"):
        assert compound in tokens
    assert {"đảng", "viên", "kết", "nạp"} <= set(tokens)


def test_case_is_folded_but_diacritics_are_kept() -> None:
    assert segment("ĐẢNG VIÊN") == segment("đảng viên")
    assert "đảng" in segment("Đảng")
    assert "dang" not in segment("Đảng")


def test_nfd_input_tokenizes_like_nfc() -> None:
    text = "Quy định về đảng viên dự bị và cấp ủy"
    assert segment(unicodedata.normalize("NFD", text)) == segment(text)
    assert all(unicodedata.is_normalized("NFC", token) for token in segment(text))


@pytest.mark.parametrize(
    ("new_style", "old_style"),
    [("cấp ủy", "cấp uỷ"), ("hòa bình", "hoà bình"), ("thủy lợi", "thuỷ lợi"), ("ủy ban", "uỷ ban")],
)
def test_both_tone_placements_give_the_same_tokens(new_style: str, old_style: str) -> None:
    assert segment(new_style) == segment(old_style)
    assert any("_" in token for token in segment(new_style)), "pyvi's lexicon should see the compound"


def test_tone_placement_is_left_alone_inside_a_syllable() -> None:
    # "hoàn", "quý", "khuya" are already standard; only syllable-final oa/oe/uy are ambiguous.
    assert normalize("hoàn thành quý") == "hoàn thành quý"
    assert normalize("Hòa") == "hoà"


def test_punctuation_and_stopwords_are_dropped() -> None:
    tokens = segment("Hướng dẫn 26 nói gì về số dư?")
    assert tokens == ["hướng_dẫn", "hướng", "dẫn", "26", "số_dư", "số", "dư"]


@pytest.mark.parametrize("query", ["294", "QĐ 294", "294-qđ/tw", "Quy định 294-QĐ/TW", "QĐ294"])
def test_document_numbers_match_however_they_are_typed(query: str) -> None:
    document = set(segment("Căn cứ Quy định số 294-QĐ/TW ngày 26/5/2025 của Ban Chấp hành Trung ương"))
    assert set(segment(query)) & document >= {"294"}
    assert "294-qđ/tw" in document


def test_full_document_number_is_one_token_for_exact_matches() -> None:
    assert segment("45-HD/BTCTW") == ["45-hd/btctw", "45", "hd", "btctw"]


def test_dates_do_not_leak_bare_numbers() -> None:
    tokens = segment("ngày 26/5/2025")
    assert "26" not in tokens
    assert tokens == ["ngày", "26/5/2025", "2025"]


def test_same_segmentation_as_pyvi_itself() -> None:
    line = normalize("Chi bộ xét công nhận đảng viên chính thức từng người một và biểu quyết như khi xét kết nạp.")
    assert pyvi_words(line) == ViTokenizer.tokenize(line).split()


def test_deterministic_and_batch_equals_single() -> None:
    texts = ["Ban Thường vụ Tỉnh ủy", "", "Quy định 294-QĐ/TW", "Điều lệ Đảng"]
    assert segment_many(texts) == [segment(t) for t in texts]
    assert segment_many(texts) == segment_many(texts)
    assert segment("") == [] and segment(" ?! ") == []


def test_version_names_pyvi() -> None:
    assert "pyvi0.1.1" in TOKENIZER_VERSION
