"""The UI's rendering rules on plain strings: no Gradio, no index, no browser."""

from __future__ import annotations

import unicodedata
from datetime import datetime

from assistant.types import AnswerResult, Citation, Passage
from assistant.ui import render
from assistant.ui.labels import LABELS, t
from ingest.types import DocumentMeta

DOCUMENT = (
    "QUY ĐỊNH THI HÀNH ĐIỀU LỆ ĐẢNG\n"
    "4. Điều 5: Về thời hạn tổ chức lễ kết nạp đảng viên\n"
    "4.1. (Khoản 1): Thời hạn tổ chức lễ kết nạp.\n"
    "Trong thời hạn 30 ngày làm việc, kể từ ngày nhận được quyết định kết nạp đảng viên của cấp ủy có thẩm quyền, "
    "chi bộ phải tổ chức lễ kết nạp cho đảng viên.\n"
    "4.2. (Khoản 2): Thời điểm công nhận đảng viên chính thức.\n"
)
PASSAGE_TEXT = (
    "Trong thời hạn 30 ngày làm việc, kể từ ngày nhận được quyết định kết nạp đảng viên của cấp ủy có thẩm quyền, "
    "chi bộ phải tổ chức lễ kết nạp cho đảng viên."
)
QUOTE = "chi bộ phải tổ chức lễ kết nạp cho đảng viên."


def make_passage(text: str = PASSAGE_TEXT, document: str = DOCUMENT, **fields: object) -> Passage:
    start = document.find(text)
    values: dict[str, object] = {
        "id": "c1",
        "source": "official/qd-294-2025-thi-hanh-dieu-le.pdf",
        "title": "Quy định thi hành Điều lệ Đảng",
        "number": "294-QĐ/TW",
        "date": "2025-05-26",
        "kind": "Quy định",
        "section": "4. Điều 5 > 4.1. (Khoản 1)",
        "text": text,
        "start": start,
        "end": start + len(text),
        "score": 0.71,
    }
    values.update(fields)
    return Passage(**values)  # type: ignore[arg-type]


def make_result(**fields: object) -> AnswerResult:
    passage = make_passage()
    values: dict[str, object] = {
        "question": "Thời hạn tổ chức lễ kết nạp đảng viên là bao lâu?",
        "rewritten_query": "Thời hạn tổ chức lễ kết nạp đảng viên là bao lâu?",
        "answer": f"Theo bộ văn bản:\n- {PASSAGE_TEXT} [1]",
        "refused": False,
        "language": "vi",
        "mode": "extractive",
        "citations": [Citation(1, passage, QUOTE)],
        "retrieved": [passage],
    }
    values.update(fields)
    return AnswerResult(**values)  # type: ignore[arg-type]


def test_both_languages_define_every_label() -> None:
    assert LABELS["vi"].keys() == LABELS["en"].keys()
    assert t("fr", "send") == LABELS["vi"]["send"]  # unknown language falls back to Vietnamese


def test_escape_markdown_keeps_legal_numbering_literal() -> None:
    assert render.escape_markdown("4. Điều 5: a*b [x]") == "4\\. Điều 5: a\\*b \\[x\\]"
    assert render.escape_markdown("- gạch đầu dòng") == "\\- gạch đầu dòng"
    assert render.escape_markdown("năm 2025. Hết") == "năm 2025. Hết"  # only a line start is a list


def test_markers_become_links_to_this_turns_cards() -> None:
    linked = render.link_markers("Câu một [1]. Câu hai [1, 2]. Chú thích [7].", turn=3, known={1, 2})
    assert linked.count('href="#cite-3-1"') == 2
    assert 'href="#cite-3-2"' in linked
    assert "\\[7\\]" in linked and "cite-3-7" not in linked  # no card behind it, so no dead link


def test_answer_shows_standalone_query_only_for_follow_ups() -> None:
    plain = render.answer_markdown(make_result(), 0, "vi")
    assert t("vi", "standalone") not in plain
    follow = make_result(
        question="còn thời hạn công nhận đảng viên chính thức thì sao?",
        rewritten_query="thời hạn công nhận đảng viên chính thức (Thời hạn tổ chức lễ kết nạp đảng viên)",
    )
    shown = render.answer_markdown(follow, 1, "en")
    assert t("en", "standalone") in shown and "thời hạn công nhận đảng viên chính thức (Thời hạn" in shown
    assert 'href="#cite-1-1"' in shown


def test_notes_are_call_outs_and_refusals_point_to_the_panel() -> None:
    note = "“Hướng dẫn 26” không có trong bộ văn bản; dưới đây là những gì bộ văn bản nói về văn bản này."
    result = make_result(answer=f"{note}\nKhông tìm thấy.", notes=[note], refused=True, citations=[])
    shown = render.answer_markdown(result, 0, "vi")
    assert f"> ⚠ {note}" in shown
    assert t("vi", "closest") in shown


def test_passage_context_shows_neighbours_and_trims_at_boundaries() -> None:
    passage = make_passage()
    before, body, after = render.passage_context(DOCUMENT, passage)
    assert body == PASSAGE_TEXT
    assert before.endswith("4.1. (Khoản 1): Thời hạn tổ chức lễ kết nạp.\n")
    assert after.startswith("\n4.2. (Khoản 2)")
    before, _, after = render.passage_context(DOCUMENT, passage, window=40)
    assert before == "… 1): Thời hạn tổ chức lễ kết nạp.\n"  # at a word boundary, no half words
    assert after == "\n4.2. (Khoản 2): Thời điểm công nhận …"  # at a word boundary


def test_passage_context_survives_stale_offsets() -> None:
    moved = make_passage(start=0, end=len(PASSAGE_TEXT))
    assert render.passage_context(DOCUMENT, moved)[1] == PASSAGE_TEXT
    assert render.passage_context("văn bản khác", moved) == ("", PASSAGE_TEXT, "")


def test_highlight_marks_the_quote_and_escapes_html() -> None:
    text = "Điều <b>1</b>: chi bộ  phải\ntổ chức lễ kết nạp."
    marked = render.highlight(text, "chi bộ phải tổ chức")
    assert '<mark class="quote">chi bộ  phải\ntổ chức</mark>' in marked
    assert "&lt;b&gt;1&lt;/b&gt;" in marked
    assert render.highlight(text, "") == render.highlight(text, "không có câu này")


def test_citation_card_names_the_document_and_links_to_the_place() -> None:
    card = render.citation_card(2, 1, make_passage(), QUOTE, DOCUMENT, "vi")
    assert 'id="cite-2-1"' in card and " open" in card
    assert "Quy định 294-QĐ/TW · 26/05/2025 · Quy định thi hành Điều lệ Đảng" in card
    assert "4. Điều 5 › 4.1. (Khoản 1)" in card
    assert f'<mark class="quote">{QUOTE}</mark>' in card
    assert "doc/official/qd-294-2025-thi-hanh-dieu-le.pdf?start=" in card and "&amp;lang=vi#passage" in card


def test_refused_turn_lists_closest_passages_with_scores() -> None:
    result = make_result(refused=True, citations=[], answer="Không tìm thấy trong bộ văn bản.")
    panel = render.turn_panel(result, 0, lambda source: DOCUMENT, "en")
    assert t("en", "closest") in panel and "similarity 0.71" in panel and 'id="cite-0-1"' in panel


def test_panel_keeps_every_turn_and_shows_the_latest() -> None:
    assert t("vi", "panel_empty") in render.citation_panel([], "vi")
    panel = render.citation_panel(["<p>một</p>", "<p>hai</p>"], "vi")
    assert '<section class="cite-turn" data-turn="0"><p>một</p>' in panel
    assert '<section class="cite-turn current" data-turn="1"><p>hai</p>' in panel


def test_document_page_marks_the_passage_and_escapes_the_text() -> None:
    text = DOCUMENT + "<script>alert(1)</script>"
    passage = make_passage()
    page = render.document_page(
        {"title": "Quy định thi hành", "source": "a.pdf"}, text, passage.start, passage.end, "vi"
    )
    assert f'<mark id="passage">{PASSAGE_TEXT}</mark>' in page
    assert "<script>alert" not in page and "&lt;script&gt;" in page
    assert "fonts.googleapis" not in page and "http" not in page.split("<main>")[0].replace("http-equiv", "")
    unmarked = render.document_page({"source": "a.pdf"}, text, 10, 5, "vi")
    assert "<mark" not in unmarked


def test_export_carries_answer_sources_and_diacritics() -> None:
    follow = make_result(rewritten_query="thời hạn công nhận (Thời hạn tổ chức lễ kết nạp)")
    markdown = render.export_markdown(follow, "vi", now=datetime(2025, 6, 1, 9, 30))
    assert "2025-06-01 09:30" in markdown
    assert f"*{t('vi', 'standalone')}: thời hạn công nhận (Thời hạn tổ chức lễ kết nạp)*" in markdown
    assert "**[1] Quy định 294-QĐ/TW · 26/05/2025 · Quy định thi hành Điều lệ Đảng**" in markdown
    assert f"> **{QUOTE}**" in markdown and "`official/qd-294-2025-thi-hanh-dieu-le.pdf`" in markdown
    assert unicodedata.is_normalized("NFC", markdown)


def test_library_rows_and_summary_follow_collection_stats() -> None:
    stats = {
        "documents": [
            {"source": "x.md", "title": "", "number": "", "kind": "article", "date": "2024", "chunks": 3},
            {
                "source": "up.md",
                "title": "Tải lên",
                "kind": "Hướng dẫn",
                "date": "2025-01-02",
                "chunks": 1,
                "origin": "upload",
            },
        ],
        "total_documents": 2,
        "total_chunks": 4,
        "failures": [{"source": "hong.pdf", "reason": "tệp pdf bị hỏng / corrupt pdf"}],
    }
    rows = render.library_rows(stats, "en")
    assert rows[0] == ["x.md", "", "Article", "2024", 3, "Collection", "x.md"]
    assert rows[1][2:6] == ["Guideline", "2025-01-02", 1, "Uploaded"]
    assert len(render.library_headers("vi")) == len(rows[0])
    summary = render.library_summary(stats, "vi")
    assert "2 văn bản, 4 đoạn" in summary and "`hong.pdf`" in summary


def test_filter_choices_name_documents_as_staff_cite_them() -> None:
    catalog = [
        DocumentMeta("b.pdf", "Quy định", "294-QĐ/TW", date="2025-05-26", title="Quy định thi hành"),
        DocumentMeta("a.md", "article", date="2019-10", title="Hội nghị giao ban"),
        DocumentMeta("c.md", "Kết luận", "221-KL/TW", date=""),
    ]
    assert render.document_choices(catalog, "vi") == [
        ("Hội nghị giao ban (2019)", "a.md"),
        ("Kết luận 221-KL/TW", "c.md"),
        ("Quy định 294-QĐ/TW (2025)", "b.pdf"),
    ]
    assert render.kind_choices(catalog, "en") == [
        ("Conclusion", "Kết luận"),
        ("Regulation", "Quy định"),
        ("Article", "article"),
    ]
    assert render.year_choices(catalog) == [2025, 2019]
