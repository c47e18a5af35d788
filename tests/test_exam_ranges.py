"""A scenario's amounts against a rule's conditions: the rule of another case decides nothing.

Sentences are the collection's (QĐ 1147, HD 06, QĐ 294, HD 45, the Hanoi Huy hiệu guidance), given
as text; every word weighs the same, so no collection statistics are involved.
"""

from __future__ import annotations

import math

import pytest

from assistant.exam_ranges import Amount, Condition, admits, conditions, story_amounts
from tests.test_exam_evidence import _decide


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("điểm từ 7 đến cận 8: đạt loại Khá", [Condition(7, 8, "điểm", high_open=True)]),
        ("điểm từ 9 trở lên: đạt loại Xuất sắc", [Condition(9, math.inf, "điểm")]),
        ("thời gian thực tế làm việc dưới 12 tháng", [Condition(0, 12, "tháng", high_open=True)]),
        ("làm hợp đồng liên tục từ đủ 12 tháng trở lên", [Condition(12, math.inf, "tháng")]),
        ("học tập trung từ 3 tháng đến 2 năm", [Condition(3, 24, "tháng")]),
        ("phải còn ít nhất là 04 năm (48 tháng)", [Condition(48, math.inf, "tháng")]),
        ("có đủ tuổi đảng từ ngày 01/6 đến hết tháng 9 trong năm", [Condition(156, 279, "ngày/tháng")]),
        ("Đại hội họp 5 năm một lần.", []),
    ],
)
def test_the_conditions_a_rule_sets(sentence: str, expected: list[Condition]) -> None:
    assert conditions(sentence)[0] == expected


def test_a_story_gives_amounts_and_dates_but_a_stem_of_one_sentence_none() -> None:
    story = "Đồng chí Yến đủ 50 năm tuổi đảng vào ngày 15/7 năm nay. Đồng chí thuộc đợt nào?"
    assert story_amounts(story) == [Amount(600, "tháng"), Amount(201, "ngày/tháng")]
    assert story_amounts("Người vào Đảng phải đủ bao nhiêu tuổi?") == []


def test_a_period_over_the_new_year_admits_january_and_december_only() -> None:
    rule = "Đợt 3/2: có đủ tuổi đảng từ ngày 01/12 của năm trước đến hết tháng 02 trong năm."
    assert admits(rule, story_amounts("Đủ tuổi đảng vào ngày 10/1. Đợt nào?")) is True
    assert admits(rule, story_amounts("Đủ tuổi đảng vào ngày 10/7. Đợt nào?")) is False


def test_an_amount_the_rule_names_itself_is_a_parameter_not_a_measure() -> None:
    """ "nhiệm kỳ 05 năm" is in both: only the 42 months left are measured against "ít nhất 48 tháng"."""
    rule = "Trường hợp đặc biệt thì phải còn ít nhất là 04 năm (48 tháng) đối với nhiệm kỳ 05 năm (60 tháng)."
    story = story_amounts("Đồng chí Minh có nhiệm kỳ 05 năm nhưng chỉ còn 42 tháng công tác. Đúng hay sai?")
    assert admits(rule, story) is False


GRADES = (
    "7. Xếp loại kết quả học tập: điểm từ 5 đến cận 7: đạt loại Trung bình; điểm từ 7 đến cận 8: đạt loại Khá; "
    "điểm từ 8 đến cận 9: đạt loại Giỏi; điểm từ 9 đến 10: đạt loại Xuất sắc."
)
AVERAGE = "Điểm đánh giá bài thu hoạch là trung bình chung điểm của 02 giảng viên."
CONTRACT = (
    "- Nếu làm hợp đồng có thời hạn, thời gian thực tế làm việc tại cơ quan, doanh nghiệp dưới 12 tháng thì tổ "
    "chức đảng nơi cư trú xem xét kết nạp; trước khi làm thủ tục xem xét kết nạp phải có nhận xét của doanh "
    "nghiệp nơi người vào Đảng đang làm việc.\n"
    "- Nếu làm hợp đồng liên tục từ đủ 12 tháng trở lên thì tổ chức đảng của doanh nghiệp nơi người đó làm việc "
    "xem xét kết nạp; nơi không có tổ chức đảng thì chưa xem xét kết nạp."
)
INTRODUCER = (
    "3.2.1. Là đảng viên chính thức, cùng công tác, lao động, học tập hoặc cùng sinh hoạt nơi cư trú ít nhất 12 "
    "tháng với người được giới thiệu vào Đảng trong thời gian đó."
)


@pytest.mark.parametrize(
    ("stem", "options", "texts", "key"),
    [
        (
            "Một học viên đạt 7,5 điểm bài thu hoạch cuối khóa. Học viên được xếp loại gì?",
            ("Khá", "Trung bình", "Giỏi", "Xuất sắc"),
            (GRADES, AVERAGE),
            "A",
        ),
        (
            "Chị Hoa làm hợp đồng có thời hạn tại một doanh nghiệp; thời gian thực tế làm việc mới được 8 tháng. Tổ "
            "chức đảng nào xem xét kết nạp chị Hoa?",
            (
                "Tổ chức đảng nơi cư trú, sau khi có nhận xét của doanh nghiệp nơi chị Hoa đang làm việc",
                "Tổ chức đảng của doanh nghiệp nơi chị Hoa làm việc",
            ),
            (CONTRACT,),
            "A",
        ),
        (
            "Đồng chí Hùng là đảng viên chính thức, cùng công tác với quần chúng Lan được 8 tháng. Đồng chí Hùng có "
            "đủ điều kiện làm người giới thiệu Lan vào Đảng không?",
            (
                "Không, vì phải cùng công tác ít nhất 12 tháng với người được giới thiệu",
                "Có, vì đồng chí Hùng là đảng viên chính thức",
            ),
            (INTRODUCER,),
            "A",
        ),
    ],
)
def test_the_option_of_the_rule_that_admits_the_story(
    stem: str, options: tuple[str, ...], texts: tuple[str, ...], key: str
) -> None:
    assert _decide(stem, *texts, options=options) == key
