"""Reading a claim against evidence in order: amounts in their place, negations and swapped slots.

The passages are sentences of the collection (QĐ 294, HD 06, Điều lệ), given here as text so each
mechanism is checked alone; every word weighs the same, so no collection statistics are involved.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pytest

from assistant.exam import ExamItem
from assistant.exam_answer import decide
from assistant.exam_evidence import claim_text, numbers_of, units_of, words_of
from assistant.types import Passage

HUY_HIEU = (
    "Đảng viên bị bệnh nặng được xét tặng Huy hiệu 30, 40, 45, 50, 55, 60, 65 năm tuổi Đảng sớm, nhưng thời gian "
    "xét tặng sớm không được quá 12 tháng so với thời gian quy định. Đảng viên bị bệnh nặng được xét tặng Huy hiệu "
    "70, 75, 80, 85, 90 năm tuổi Đảng sớm, nhưng thời gian xét tặng sớm không được quá 24 tháng so với thời gian "
    "quy định."
)
TAM_THOI = (
    "b) Đảng viên sinh hoạt đảng tạm thời có nhiệm vụ và quyền hạn: Ở nơi sinh hoạt chính thức thì thực hiện đầy "
    "đủ nhiệm vụ và quyền theo quy định tại Điều 2 và Điều 3 Điều lệ Đảng; ở nơi sinh hoạt tạm thời thì trừ quyền "
    "biểu quyết, ứng cử và bầu cử."
)
TUOI_DANG = (
    "4.5.1. Đảng viên được công nhận chính thức thì tuổi đảng của đảng viên được tính từ ngày cấp có thẩm quyền "
    "ra quyết định kết nạp, trừ thời gian không tham gia sinh hoạt đảng."
)
PHE_BINH = (
    "Khi nhận được ý kiến phê bình, chất vấn, tổ chức đảng và đảng viên có trách nhiệm phải trả lời chậm nhất là "
    "30 ngày làm việc đối với tổ chức cơ sở đảng và đảng viên."
)


def _passage(text: str, n: int = 1) -> Passage:
    return Passage(f"p{n}", "official/test.md", "", "", "", "", "", text, 0, len(text), 0.5)


def _flat(tokens: Sequence[str]) -> Mapping[str, float]:
    return dict.fromkeys(tokens, 1.0)


def _decide(statement: str, *texts: str, options: Sequence[str] = ()) -> str | None:
    passages = [_passage(text, n) for n, text in enumerate(texts)]
    return decide(ExamItem(statement, tuple(options)), lambda _: passages, _flat).choice


def test_a_statement_the_evidence_states_is_true() -> None:
    statement = "Đảng viên bị bệnh nặng được xét tặng Huy hiệu 70 năm tuổi Đảng sớm, nhưng không được quá 24 tháng"
    assert _decide(statement, HUY_HIEU) == "Đúng"


def test_an_amount_read_where_the_evidence_puts_another_is_false() -> None:
    """The first sentence holds 12 months, but for the 30-65-year badges: 70 years gets 24."""
    statement = "Đảng viên bị bệnh nặng được xét tặng Huy hiệu 70 năm tuổi Đảng sớm, nhưng không được quá 12 tháng"
    assert _decide(statement, HUY_HIEU) == "Sai"


def test_a_right_the_evidence_excepts_is_false() -> None:
    statement = "Ở nơi sinh hoạt tạm thời, đảng viên được thực hiện đầy đủ quyền biểu quyết, ứng cử và bầu cử"
    assert _decide(statement, TAM_THOI) == "Sai"


def test_a_swapped_body_is_false() -> None:
    statement = "Tuổi đảng được tính từ ngày chi bộ tổ chức lễ kết nạp, trừ thời gian không tham gia sinh hoạt đảng"
    assert _decide(statement, TUOI_DANG) == "Sai"
    same = "Tuổi đảng được tính từ ngày cấp có thẩm quyền ra quyết định kết nạp, trừ thời gian không sinh hoạt đảng"
    assert _decide(same, TUOI_DANG) == "Đúng"


def test_nothing_about_the_statement_is_declined() -> None:
    assert _decide("Đảng viên phải nộp bản kê khai tài sản hằng năm trước ngày 31 tháng 12", TUOI_DANG) is None


def test_the_option_the_evidence_states_is_chosen() -> None:
    stem = "Tổ chức cơ sở đảng phải trả lời ý kiến phê bình của đảng viên chậm nhất trong bao nhiêu ngày làm việc?"
    options = ("60 ngày làm việc", "30 ngày làm việc", "90 ngày làm việc", "15 ngày làm việc")
    assert _decide(stem, PHE_BINH, options=options) == "B"


def test_the_source_people_and_year_of_a_story_are_not_part_of_the_claim() -> None:
    text = (
        "Đồng chí Quang không đóng đảng phí ba tháng trong năm 2025. Theo Quy định 294-QĐ/TW, chi bộ đề nghị xóa tên."
    )
    kept = claim_text(text)
    assert "Quang" not in kept and "2025" not in kept and "294" not in kept
    assert "ba tháng" in kept and "chi bộ đề nghị xóa tên" in kept
    assert numbers_of(text) == {"3", "2025"}  # "294" names a document; "ba tháng" is an amount


def test_units_are_sentences_clauses_and_adjacent_pairs() -> None:
    text = "3.5.3. Chỉ kết nạp lại một lần.\n3.5.4. Những đảng viên được kết nạp lại phải trải qua thời gian dự bị."
    units = units_of([_passage(text)])
    kinds = [unit.kind for unit in units]
    assert kinds.count("sentence") == 2 and kinds.count("pair") == 1
    pair = next(unit for unit in units if unit.kind == "pair")
    assert set(words_of("chỉ kết nạp lại một lần dự bị")) <= pair.bag  # "một lần" read as "1 lần"
    clauses = [unit for unit in units_of([_passage(TAM_THOI)]) if unit.kind == "clause"]
    assert len(clauses) == 2 and "trừ" in clauses[1].bag


# One sentence, one amount per case (QĐ 294): every option is in it, so what decides is which
# amount the stem's case is bound to.
TRA_LOI = (
    "Khi nhận được ý kiến phê bình, chất vấn, báo cáo, kiến nghị, tổ chức đảng và đảng viên có trách nhiệm phải "
    "trả lời theo thẩm quyền, chậm nhất là 30 ngày làm việc đối với tổ chức cơ sở đảng và đảng viên, 60 ngày làm "
    "việc đối với cấp ủy cấp trên trực tiếp của tổ chức cơ sở đảng và cấp tỉnh, 90 ngày làm việc đối với cấp "
    "Trung ương."
)
CHI_DINH = (
    "So với số lượng cấp ủy viên mà đại hội đã quyết định, số lượng cấp ủy viên chỉ định tăng thêm không được quá "
    "10% đối với cấp ủy cấp trên trực tiếp của tổ chức cơ sở đảng trở lên, không quá 20% đối với cấp ủy cơ sở."
)
HUY_HIEU_KY_LUAT = (
    "c) Tại thời điểm xét tặng Huy hiệu Đảng, đảng viên bị kỷ luật về Đảng thì chưa được xét tặng; sau 6 tháng "
    "(đối với kỷ luật khiển trách), 9 tháng (đối với kỷ luật cảnh cáo), 1 năm (đối với kỷ luật cách chức), nếu "
    "sửa chữa tốt khuyết điểm, được chi bộ công nhận sẽ được xét tặng Huy hiệu Đảng."
)
WORKING_DAYS = ("30 ngày làm việc", "60 ngày làm việc", "120 ngày làm việc", "90 ngày làm việc")


@pytest.mark.parametrize(
    ("stem", "options", "texts", "key"),
    [
        (
            "Cấp Trung ương phải trả lời ý kiến phê bình, chất vấn của đảng viên chậm nhất trong bao nhiêu ngày?",
            WORKING_DAYS,
            (TRA_LOI,),
            "D",
        ),
        (
            "Cấp tỉnh phải trả lời ý kiến phê bình, chất vấn chậm nhất trong bao nhiêu ngày làm việc?",
            WORKING_DAYS,
            (TRA_LOI,),
            "B",
        ),
        (
            "Số cấp ủy viên được chỉ định tăng thêm đối với cấp ủy cơ sở không được quá bao nhiêu?",
            ("5%", "10%", "20%", "30%"),
            (CHI_DINH,),
            "C",
        ),
        (
            "Đảng viên đang chịu kỷ luật khiển trách thì sau bao lâu, nếu sửa chữa tốt khuyết điểm, được xét tặng "
            "Huy hiệu Đảng?",
            ("3 tháng", "6 tháng", "9 tháng", "1 năm"),
            (HUY_HIEU_KY_LUAT,),
            "B",
        ),
        (
            "Đảng viên đang chịu kỷ luật cách chức thì sau bao lâu được xét tặng Huy hiệu Đảng?",
            ("3 tháng", "6 tháng", "9 tháng", "1 năm"),
            (HUY_HIEU_KY_LUAT,),
            "D",
        ),
    ],
)
def test_one_sentence_with_an_amount_per_case_gives_the_case_asked(
    stem: str, options: Sequence[str], texts: Sequence[str], key: str
) -> None:
    assert _decide(stem, *texts, options=options) == key


def test_a_sentence_that_names_the_case_nowhere_binds_no_option() -> None:
    """ "cấp huyện" is none of the cases the sentence lists: no amount is taken from it."""
    stem = "Cấp huyện phải trả lời ý kiến phê bình, chất vấn chậm nhất trong bao nhiêu ngày?"
    assert _decide(stem, TRA_LOI, options=WORKING_DAYS) is None


def test_options_held_in_one_sentence_still_count_for_a_meta_option() -> None:
    """Bound to no single case, both contents are still stated: "A và B đúng" is the answer."""
    rule = (
        "15.1. Phiên trù bị thực hiện các nội dung: Bầu đoàn chủ tịch, đoàn thư ký, ban thẩm tra tư cách đại "
        "biểu, thông qua nội quy, chương trình làm việc của đại hội, quy chế bầu cử."
    )
    options = (
        "Bầu đoàn chủ tịch, đoàn thư ký, ban thẩm tra tư cách đại biểu",
        "Thông qua nội quy, chương trình làm việc của đại hội, quy chế bầu cử",
        "Bầu ban chấp hành đảng bộ khóa mới",
        "A và B đúng",
    )
    assert _decide("Phiên trù bị của đại hội đảng bộ thực hiện nội dung nào sau đây?", rule, options=options) == "D"


def test_an_option_whose_words_lie_apart_in_the_sentence_is_not_held() -> None:
    """The sentence names "Bộ Chính trị"; "Ban Chấp hành … Trung ương" only as scattered words."""
    rule = (
        "19.1. Khi có trên một nửa số ủy viên ban chấp hành đảng bộ đồng ý bằng phiếu kín và được ban thường vụ "
        "cấp ủy cấp trên đồng ý mới triệu tập đại hội bất thường; đối với đảng bộ trực thuộc Trung ương phải được "
        "Bộ Chính trị đồng ý."
    )
    options = ("Bộ Chính trị", "Ban Bí thư", "Ban Tổ chức Trung ương", "Ban Chấp hành Trung ương")
    stem = "Đối với đảng bộ trực thuộc Trung ương, việc triệu tập đại hội bất thường phải được cơ quan nào đồng ý?"
    assert _decide(stem, rule, options=options) == "A"


def test_a_claim_joining_the_last_sentence_of_a_chunk_and_the_first_of_the_next_is_true() -> None:
    """QĐ 294 3.5.3 and 3.5.4 are two chunks; the statement joins them."""
    first, then = (
        "3.5.3. Chỉ kết nạp lại một lần.",
        "3.5.4. Những đảng viên được kết nạp lại phải trải qua thời gian dự bị.",
    )
    chunks = [
        Passage("c1", "official/test.md", "", "", "", "", "", first, 100, 100 + len(first), 0.5),
        Passage(
            "c2", "official/test.md", "", "", "", "", "", then, 101 + len(first), 101 + len(first) + len(then), 0.5
        ),
    ]
    statement = "Một đảng viên chỉ được kết nạp lại một lần và phải trải qua thời gian dự bị. Đúng hay sai?"
    verdict = decide(ExamItem(statement, ()), lambda _: chunks, _flat)
    assert verdict.choice == "Đúng" and verdict.evidence is not None and verdict.evidence.kind == "pair"


def test_a_negation_on_one_side_of_two_joined_sentences_makes_the_claim_false() -> None:
    """HD 06: the statement joins the two sentences; only "không cần" turns it around."""
    rule = (
        "Nếu vi phạm tư cách đảng viên thì phải xử lý kỷ luật về Đảng, sau đó mới xét cho ra khỏi Đảng.\n"
        "- Đảng viên xin ra khỏi Đảng phải làm đơn, nói rõ lý do xin ra khỏi Đảng, báo cáo chi bộ."
    )
    statement = (
        "Đồng chí Hà đang vi phạm tư cách đảng viên và làm đơn xin ra khỏi Đảng. Chi bộ có thể xem xét cho đồng chí "
        "Hà ra khỏi Đảng {when}. Đúng hay sai?"
    )
    passages = [_passage(rule)]
    for when, verdict in (("ngay mà không cần xử lý kỷ luật", "Sai"), ("sau khi xử lý kỷ luật", "Đúng")):
        decided = decide(ExamItem(statement.format(when=when), ()), lambda _: passages, _flat)
        assert decided.choice == verdict and decided.evidence is not None and decided.evidence.kind == "pair"
