"""The support check: the labelled pairs its thresholds were calibrated on, and its text handling.

The claim/passage pairs below are the calibration set named in ``assistant/support.py``: real
QĐ 294 / Điều lệ sentences, claims written by hand as a faithful paraphrase, an English
translation, or a plausible but false statement. If a threshold is moved, these say what breaks.
"""

from __future__ import annotations

import unicodedata

import pytest

from assistant.support import (
    SupportChecker,
    best_supporting_sentence,
    checker_for,
    is_supported,
    looks_vietnamese,
    numbers_in,
    passage_numbers,
    split_sentences,
    support_fn,
)
from ingest.embedder import Embedder

ADMISSION = (
    "Trong thời hạn 30 ngày làm việc, kể từ ngày nhận được quyết định kết nạp đảng viên của cấp ủy có "
    "thẩm quyền, chi bộ phải tổ chức lễ kết nạp cho đảng viên. Nếu để quá thời hạn nêu trên phải báo cáo "
    "và được cấp ủy cấp trên trực tiếp đồng ý."
)
DUES = (
    "Đảng viên đóng đảng phí trên cơ sở tiền lương, tiền công, khoản thu nhập coi như tiền lương, tiền "
    "công, sinh hoạt phí và các khoản phụ cấp theo tiền lương, tiền công, sinh hoạt phí... theo quy định "
    "của Bộ Chính trị."
)
STRIKE_OFF = (
    "Đảng viên bỏ sinh hoạt đảng hoặc không đóng đảng phí ba tháng trong năm mà không có lý do chính đáng "
    "thì chi bộ xem xét, đề nghị xoá tên trong danh sách đảng viên."
)
PROBATION = (
    "Người được kết nạp vào Đảng phải trải qua thời kỳ dự bị mười hai tháng, tính từ ngày chi bộ tổ chức lễ kết nạp."
)
SPONSOR = (
    "Là đảng viên chính thức, cùng công tác, lao động, học tập hoặc cùng sinh hoạt nơi cư trú ít nhất 12 "
    "tháng với người được giới thiệu vào Đảng trong cùng một đơn vị thuộc phạm vi lãnh đạo của đảng bộ, "
    "chi bộ cơ sở."
)
REPLY = (
    "Khi nhận được ý kiến phê bình, chất vấn, báo cáo, kiến nghị, tổ chức đảng và đảng viên có trách "
    "nhiệm phải trả lời theo thẩm quyền, chậm nhất là 30 ngày làm việc đối với tổ chức cơ sở đảng và đảng "
    "viên, 60 ngày làm việc đối với cấp ủy cấp trên trực tiếp của tổ chức cơ sở đảng và cấp tỉnh, 90 ngày "
    "làm việc đối với cấp Trung ương."
)

SUPPORTED = [
    ("Lễ kết nạp đảng viên phải được tổ chức trong vòng 30 ngày làm việc [1].", ADMISSION),
    ("Thời hạn tổ chức lễ kết nạp là 30 ngày làm việc kể từ khi nhận quyết định của cấp ủy có thẩm quyền.", ADMISSION),
    ("Nếu quá hạn thì phải báo cáo và được cấp ủy cấp trên trực tiếp đồng ý.", ADMISSION),
    (
        "The cell must hold the admission ceremony within 30 working days of receiving the admission decision.",
        ADMISSION,
    ),
    (
        "If the deadline is exceeded, it must be reported to and approved by the directly superior party committee.",
        ADMISSION,
    ),
    ("Đảng phí được đóng dựa trên tiền lương, tiền công và phụ cấp của đảng viên.", DUES),
    ("Mức đóng đảng phí theo quy định của Bộ Chính trị.", DUES),
    ("Party dues are based on a member's salary, wages and allowances, as regulated by the Politburo.", DUES),
    ("Đảng viên không đóng đảng phí 3 tháng trong năm mà không có lý do chính đáng sẽ bị xem xét xoá tên.", STRIKE_OFF),
    (
        "A member who does not pay dues for three months in a year without good reason is considered for removal.",
        STRIKE_OFF,
    ),
    ("Thời kỳ dự bị của đảng viên là 12 tháng.", PROBATION),
    ("The probationary period lasts twelve months from the admission ceremony.", PROBATION),
    (
        "Người giới thiệu phải là đảng viên chính thức và cùng công tác với người được giới thiệu ít nhất 12 tháng.",
        SPONSOR,
    ),
    ("Cấp Trung ương phải trả lời chậm nhất trong 90 ngày làm việc.", REPLY),
]

UNSUPPORTED = [
    ("Đảng phí của đảng viên là 1% tiền lương hằng tháng.", DUES),
    ("Đảng viên đóng đảng phí mỗi quý một lần tại chi bộ.", DUES),
    ("Đảng viên phải đóng đảng phí bằng tiền mặt cho bí thư chi bộ.", DUES),
    ("Party dues are paid once a year in cash.", DUES),
    ("Giá vàng hôm nay là 18.50 USD một chỉ.", DUES),
    ("Giá vàng hôm nay tăng mạnh.", ADMISSION),
    ("Lễ kết nạp phải có sự tham dự của đại diện cấp ủy cấp trên.", ADMISSION),
    ("Quyết định kết nạp do Bộ Chính trị ban hành.", ADMISSION),
    ("The admission ceremony must be attended by the provincial party secretary.", ADMISSION),
    ("Đảng viên bị khai trừ nếu vi phạm kỷ luật nghiêm trọng.", STRIKE_OFF),
    ("Người vào Đảng phải đủ 18 tuổi.", PROBATION),
    ("Đảng viên dự bị có quyền biểu quyết như đảng viên chính thức.", PROBATION),
    ("Người giới thiệu phải là cấp ủy viên.", SPONSOR),
    ("The central level must respond within 30 days.", REPLY),
    ("Tôi là hacker.", ADMISSION),
]


def test_calibration_pairs_are_judged_as_labelled(checker: SupportChecker) -> None:
    verdicts = checker.check_many([(claim, [passage]) for claim, passage in SUPPORTED + UNSUPPORTED])
    wrong = [
        (claim, verdict)
        for (claim, _), verdict, expected in zip(
            SUPPORTED + UNSUPPORTED, verdicts, [True] * len(SUPPORTED) + [False] * len(UNSUPPORTED), strict=True
        )
        if verdict.supported != expected
    ]
    assert not wrong, wrong


def test_a_number_missing_from_the_passage_makes_a_faithful_sentence_unsupported(embedder: Embedder) -> None:
    faithful = is_supported("Chi bộ phải tổ chức lễ kết nạp trong 30 ngày làm việc.", [ADMISSION], embedder)
    altered = is_supported("Chi bộ phải tổ chức lễ kết nạp trong 60 ngày làm việc.", [ADMISSION], embedder)
    percent = is_supported("Đảng viên đóng đảng phí 10% trên cơ sở tiền lương, tiền công.", [DUES], embedder)
    assert faithful.supported and faithful.passage == 0
    assert not altered.supported and altered.missing_numbers == ("60",)
    assert not percent.supported and percent.missing_numbers == ("10%",)


def test_verdict_names_the_supporting_passage_and_joint_support_counts(embedder: Embedder) -> None:
    verdict = is_supported("Cấp Trung ương phải trả lời chậm nhất 90 ngày làm việc.", [DUES, REPLY], embedder)
    assert verdict.supported and verdict.passage == 1
    # Numbers may come from different cited passages: 12 months (sponsor) and 30 days (admission).
    judge = support_fn(embedder)
    claim = "Chi bộ phải tổ chức lễ kết nạp trong thời hạn 30 ngày làm việc, người giới thiệu ít nhất 12 tháng."
    assert judge(claim, [ADMISSION, SPONSOR])
    assert not judge(claim, [ADMISSION])


def test_checks_are_deterministic_and_cached(checker: SupportChecker, embedder: Embedder) -> None:
    pairs = [(claim, [passage]) for claim, passage in SUPPORTED[:5]]
    assert checker.check_many(pairs) == checker.check_many(pairs)
    # The fixture is production's per-process checker, so is_supported shares its cache...
    assert checker is checker_for(embedder)
    # ...and cached vectors give the verdicts a checker with an empty cache computes afresh. Cosines
    # differ in the third decimal (bf16 results depend a little on what else shares the batch).
    fresh = SupportChecker(embedder).check_many(pairs)
    cached = checker.check_many(pairs)
    assert [(v.supported, v.passage, v.missing_numbers) for v in fresh] == [
        (v.supported, v.passage, v.missing_numbers) for v in cached
    ]
    assert [v.cosine for v in fresh] == pytest.approx([v.cosine for v in cached], abs=0.01)


def test_sentences_keep_their_citation_markers_and_abbreviations() -> None:
    text = (
        "Chi bộ phải tổ chức lễ kết nạp trong 30 ngày làm việc. [1] Nếu quá hạn phải báo cáo cấp trên [2]. "
        "TP. Hồ Chí Minh có nhiều đảng bộ, v.v. nhiều nơi khác!\nWithin 30 days? Yes [1][3]."
    )
    assert split_sentences(text) == [
        "Chi bộ phải tổ chức lễ kết nạp trong 30 ngày làm việc. [1]",
        "Nếu quá hạn phải báo cáo cấp trên [2].",
        "TP. Hồ Chí Minh có nhiều đảng bộ, v.v. nhiều nơi khác!",
        "Within 30 days?",
        "Yes [1][3].",
    ]


def test_numbering_and_decimals_do_not_end_sentences() -> None:
    text = "4.1. (Khoản 1): Thời hạn tổ chức lễ kết nạp. Điều 5. Giá là 18.50 USD. b) Chi bộ họp."
    assert split_sentences(text) == [
        "4.1. (Khoản 1): Thời hạn tổ chức lễ kết nạp.",
        "Điều 5. Giá là 18.50 USD.",
        "b) Chi bộ họp.",
    ]


def test_sentence_splitting_keeps_diacritics_and_nfc() -> None:
    nfd = unicodedata.normalize("NFD", "Đảng viên đóng đảng phí. Cấp ủy xem xét.")
    sentences = split_sentences(nfd)
    assert len(sentences) == 2
    assert unicodedata.normalize("NFC", sentences[0]) == "Đảng viên đóng đảng phí."


def test_numbers_are_canonical_and_passages_vouch_for_numerals_in_words() -> None:
    assert numbers_in("đảng phí 10 % theo 06-HD/TW ngày 01/7/2025, giá 18,50 USD") == {
        "10%",
        "6",
        "1",
        "7",
        "2025",
        "18.50",
    }
    assert {"3", "12"} <= passage_numbers(STRIKE_OFF + " " + PROBATION)
    assert "10" in passage_numbers("mức 10% tiền lương")
    assert "10%" not in passage_numbers("10 ngày làm việc")


def test_language_detection_separates_english_claims_quoting_vietnamese() -> None:
    assert looks_vietnamese("Thời kỳ dự bị là 12 tháng.")
    assert not looks_vietnamese('The "đảng phí" is based on the member\'s salary and allowances.')


def test_best_supporting_sentence_spans_the_matching_passage_sentence() -> None:
    start, end = best_supporting_sentence("Nếu quá hạn phải được cấp ủy cấp trên trực tiếp đồng ý [1].", ADMISSION)
    assert ADMISSION[start:end] == "Nếu để quá thời hạn nêu trên phải báo cáo và được cấp ủy cấp trên trực tiếp đồng ý."
    start, end = best_supporting_sentence("Lễ kết nạp trong 30 ngày làm việc.", ADMISSION)
    assert ADMISSION[start:end].startswith("Trong thời hạn 30 ngày làm việc")
