"""Exam items are recognised in the layouts trainers paste, and ordinary questions are left alone."""

from __future__ import annotations

import pytest

from assistant.exam import ExamItem, exam_item, is_meta_option, parse_exam_item
from assistant.exam_evidence import numbers_of

OPTIONS = ("30 ngày làm việc", "60 ngày làm việc", "90 ngày làm việc", "120 ngày làm việc")
STEM = "Chi bộ phải tổ chức lễ kết nạp trong thời hạn bao lâu?"


@pytest.mark.parametrize(
    "text",
    [
        f"{STEM}\nA. {OPTIONS[0]}\nB. {OPTIONS[1]}\nC. {OPTIONS[2]}\nD. {OPTIONS[3]}",
        f"{STEM}\nA) {OPTIONS[0]}\nB) {OPTIONS[1]}\nC) {OPTIONS[2]}\nD) {OPTIONS[3]}",
        f"{STEM}\na. {OPTIONS[0]}\nb. {OPTIONS[1]}\nc. {OPTIONS[2]}\nd. {OPTIONS[3]}",
        f"{STEM}\nA: {OPTIONS[0]}\nB: {OPTIONS[1]}\nC: {OPTIONS[2]}\nD: {OPTIONS[3]}",
        f"{STEM} A. {OPTIONS[0]} B. {OPTIONS[1]} C. {OPTIONS[2]} D. {OPTIONS[3]}",
        f"{STEM} a) {OPTIONS[0]}; b) {OPTIONS[1]}; c) {OPTIONS[2]}; d) {OPTIONS[3]}",
        f"  {STEM}\n\nA.  {OPTIONS[0]}\n\nB.  {OPTIONS[1]}\n\nC.  {OPTIONS[2]}\n\nD.  {OPTIONS[3]}  ",
    ],
    ids=["A. lines", "A) lines", "a. lines", "A: lines", "A. inline", "a) inline", "blank lines"],
)
def test_every_common_layout_gives_the_stem_and_four_options(text: str) -> None:
    assert parse_exam_item(text) == ExamItem(STEM, OPTIONS)


def test_a_letter_inside_an_option_is_not_a_marker() -> None:
    item = parse_exam_item(
        "Hình thức kỷ luật nào áp dụng?\nA. Khiển trách theo điểm a. khoản 1\nB. Cảnh cáo\nC. Cách chức\nD. Khai trừ"
    )
    assert item is not None and item.options[0] == "Khiển trách theo điểm a. khoản 1"


def test_an_english_item_with_three_options() -> None:
    item = parse_exam_item("Who decides? A. The cell B. The Politburo C. The Secretariat")
    assert item == ExamItem("Who decides?", ("The cell", "The Politburo", "The Secretariat"))
    assert item.letters == ("A", "B", "C") and item.kind == "choice"


@pytest.mark.parametrize(
    ("text", "stem"),
    [
        ("Đảng viên dự bị có quyền biểu quyết. Đúng hay sai?", "Đảng viên dự bị có quyền biểu quyết"),
        ("Đảng viên dự bị có quyền biểu quyết, đúng hoặc sai?", "Đảng viên dự bị có quyền biểu quyết"),
        ("A probationary member may vote. True or false?", "A probationary member may vote"),
        ("Chi bộ họp mỗi tháng một lần - đúng/sai", "Chi bộ họp mỗi tháng một lần"),
    ],
)
def test_true_false_statements(text: str, stem: str) -> None:
    item = parse_exam_item(text)
    assert item == ExamItem(stem) and item.kind == "true_false"


@pytest.mark.parametrize(
    "text",
    [
        "Người vào Đảng phải bao nhiêu tuổi?",
        # A list asked about as a whole: its question follows the items.
        "Quy trình gồm: a) Chi bộ xét; b) Đảng ủy cơ sở duyệt; c) Cấp ủy quyết định, đúng không?",
        # Two items only, or not starting at A: a list, not options.
        "So sánh a) Điều lệ và b) Quy định 294 về tuổi đảng",
        "Điểm b) và c) Điều 8 quy định gì?",
        "Đúng hay sai?",
    ],
)
def test_ordinary_questions_are_not_exam_items(text: str) -> None:
    assert parse_exam_item(text) is None


def test_structured_options_as_a_list_or_keyed_by_letter() -> None:
    assert exam_item(STEM, list(OPTIONS)) == ExamItem(STEM, OPTIONS)
    assert exam_item(STEM, dict(zip("ABCD", OPTIONS, strict=True))) == ExamItem(STEM, OPTIONS)
    assert exam_item(STEM, []).kind == "true_false"
    with pytest.raises(ValueError, match="keyed A, B, C"):
        exam_item(STEM, {"B": "x", "A": "y"})
    with pytest.raises(ValueError, match="empty"):
        exam_item(STEM, ["x", " ", "z"])


@pytest.mark.parametrize(
    ("option", "meta"),
    [
        ("Cả 3 đáp án trên đều đúng", True),
        ("Tất cả các ý trên", True),
        ("Không có đáp án nào đúng", True),
        ("A và B đúng", True),
        ("All of the above", True),
        ("Cấp ủy cơ sở", False),
        ("Cảnh cáo", False),
    ],
)
def test_meta_options(option: str, meta: bool) -> None:
    assert is_meta_option(option) is meta


@pytest.mark.parametrize(
    ("text", "numbers"),
    [
        ("Theo Hướng dẫn 45-HD/BTCTW, một chức danh quy hoạch không quá 03 cán bộ", {"3"}),
        ("Theo Điều lệ Đảng (2011), Ban Chấp hành Trung ương họp thường lệ sáu tháng một lần", {"6", "1"}),
        ("được thực hiện một lần vào năm thứ hai của nhiệm kỳ", {"1", "2"}),
        ("Đại hội chi bộ do chi uỷ triệu tập năm năm hai lần", {"5", "2"}),
        ("có hiệu lực từ ngày 01/7/2025", {"1/7/2025"}),
        ("năm nay chi bộ họp thường kỳ", set()),  # "năm" is a year here, not five
    ],
)
def test_numbers_a_claim_states(text: str, numbers: set[str]) -> None:
    assert numbers_of(text) == numbers
