"""The one sentence rule, in its two readings: ingest's on source lines, the assistant's on answers."""

from __future__ import annotations

from ingest.sentences import ends_sentence, sentence_spans, split_sentences
from ingest.textclean import Line, unwrap

LINE = 'Chi bộ họp tại TP. Hồ Chí Minh. 2 đảng viên vắng. "Đúng hạn." - Ý kiến khác… sau đó (b) Kết luận.'


def texts(text: str, spans: list[tuple[int, int]]) -> list[str]:
    return [text[start:end] for start, end in spans]


def test_layout_cuts_before_any_visible_opener_and_knows_no_abbreviations() -> None:
    assert texts(LINE, sentence_spans(LINE, layout=True)) == [
        "Chi bộ họp tại TP.",
        "Hồ Chí Minh.",
        "2 đảng viên vắng.",
        '"Đúng hạn."',
        "- Ý kiến khác… sau đó (b) Kết luận.",
    ]


def test_reading_keeps_abbreviations_and_cuts_before_any_word_but_a_lowercase_one() -> None:
    assert split_sentences(LINE) == [
        "Chi bộ họp tại TP. Hồ Chí Minh.",
        "2 đảng viên vắng.",
        '"Đúng hạn."',
        "- Ý kiến khác… sau đó (b) Kết luận.",
    ]


def test_spans_of_a_slice_are_offsets_into_the_whole_text() -> None:
    text = "Tiêu đề\nMột câu. Hai câu.\nCuối."
    start = text.index("Một")
    end = text.index("\nCuối")
    assert texts(text, sentence_spans(text, start, end, layout=True)) == ["Một câu.", "Hai câu."]


def test_a_line_ends_a_sentence_only_at_a_stop_before_an_opener() -> None:
    assert ends_sentence("đúng quy định.”", "Chi bộ họp.", layout=True)
    assert ends_sentence("như sau.", "2 đảng viên", layout=True)
    assert not ends_sentence("điều kiện:", "Có sức khoẻ", layout=True)
    assert not ends_sentence("theo quy định.", "của Điều lệ", layout=True)
    assert not ends_sentence("tăng theo thời gian.[4]", "Một số", layout=True)  # a web page's footnote mark


def test_unwrap_joins_a_line_wrapped_mid_sentence_and_keeps_a_sentence_end() -> None:
    lines = [Line("Đảng viên phải chấp hành"), Line("nghị quyết của Đảng."), Line("Chi bộ họp thường lệ.")]
    assert unwrap(lines) == ["Đảng viên phải chấp hành nghị quyết của Đảng.", "Chi bộ họp thường lệ."]
