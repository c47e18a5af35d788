"""Every word the UI shows, Vietnamese first, in one table per language.

Staff read Vietnamese; English is a switch for visitors and reviewers. Keeping the wording out of
the layout code lets the language switch re-label the page with a single lookup, and a test can
check that both languages define exactly the same keys, so a missing translation shows up in CI
rather than as a blank button.

Error messages about uploads are always bilingual (``bilingual`` here, ``ingest.uploads.refusal``
for the upload service's), whatever the switch says, because they are also written to the log
(``<data_dir>/logs/partydocs.log``) and read by whoever administers the collection.
"""

from __future__ import annotations

from typing import Literal

Language = Literal["vi", "en"]

LABELS: dict[Language, dict[str, str]] = {
    "vi": {
        "title": "Trợ lý tra cứu văn bản công tác tổ chức, xây dựng Đảng",
        "subtitle": "Trả lời dựa trên bộ văn bản đã nạp, mỗi ý đều dẫn nguồn. Chạy hoàn toàn ngoại tuyến.",
        "language": "Ngôn ngữ / Language",
        "tab_chat": "Hỏi đáp",
        "tab_library": "Thư viện văn bản",
        "chat_label": "Hội thoại",
        "chat_placeholder": "Đặt câu hỏi về điều lệ, quy định, hướng dẫn… Ví dụ: "
        "“Thời hạn tổ chức lễ kết nạp đảng viên là bao lâu?”",
        "question": "Câu hỏi",
        "question_placeholder": "Nhập câu hỏi rồi nhấn Enter",
        "send": "Gửi",
        "new_chat": "Cuộc hỏi đáp mới",
        "export": "Tải câu trả lời (Markdown)",
        "turns_dropped": "Các câu trả lời cũ hơn đã được lược bớt; cuộc hỏi đáp giữ {kept} câu trả lời gần nhất.",
        "options": "Chế độ trả lời và bộ lọc",
        "mode": "Chế độ trả lời",
        "mode_extractive": "Trích nguyên văn",
        "mode_generative": "Diễn đạt (mô hình sinh)",
        "mode_ready": "Trích nguyên văn: chỉ các câu có trong văn bản. "
        "Diễn đạt: mô hình cục bộ viết lại, vẫn dẫn nguồn.",
        "mode_unavailable": "Chế độ diễn đạt chưa dùng được: {reason}",
        "filter_documents": "Chỉ tìm trong văn bản",
        "filter_kinds": "Loại văn bản",
        "filter_years": "Năm ban hành",
        "panel_empty": "Nhấn vào số [n] trong câu trả lời để xem đoạn văn bản gốc, "
        "mục và văn bản chứa nó, cùng câu làm căn cứ được tô sáng.",
        "citations": "Trích dẫn của câu trả lời",
        "closest": "Không tìm thấy câu trả lời. Các đoạn gần nhất để anh/chị tự kiểm tra:",
        "standalone": "Câu hỏi đầy đủ đã dùng để tìm",
        "searching": "Đang tìm trong bộ văn bản…",
        "section": "Mục",
        "source": "Tệp",
        "score": "độ tương đồng",
        "open_document": "Mở toàn văn tại vị trí này",
        "document_not_found": "Không tìm thấy văn bản này trong chỉ mục.",
        "library_summary": "{documents} văn bản, {chunks} đoạn đã lập chỉ mục",
        "library_failures": "Tệp không nạp được",
        "col_title": "Tiêu đề",
        "col_number": "Số hiệu",
        "col_kind": "Loại",
        "col_date": "Ngày",
        "col_chunks": "Số đoạn",
        "col_origin": "Nguồn",
        "col_source": "Tệp",
        "origin_collection": "Bộ văn bản",
        "origin_upload": "Tải lên",
        "upload_badge": "tài liệu tải lên",
        "upload": "Thêm văn bản (PDF, DOCX, Markdown, văn bản thuần, HTML; tối đa {mb} MB mỗi tệp)",
        "upload_button": "Nạp vào bộ văn bản",
        "upload_none": "Chưa chọn tệp nào.",
        "upload_done": "Đã nạp: {name} ({chunks} đoạn)",
        "indexing": "⏳ Đang lập chỉ mục bộ văn bản: {documents}/{documents_total} văn bản, {chunks}/{chunks_total} "
        "đoạn, {left}. Câu trả lời lúc này chỉ dựa trên phần đã lập chỉ mục; văn bản chính thức được lập chỉ mục "
        "trước.",
        "indexing_starting": "⏳ Đang chuẩn bị lập chỉ mục bộ văn bản (đọc và tách văn bản)…",
        "indexing_left": "còn khoảng {minutes} phút",
        "indexing_estimating": "đang ước tính thời gian còn lại",
        "indexing_failed": "⚠ Lập chỉ mục bị dừng vì lỗi: {error}. Câu trả lời dựa trên phần đã lập chỉ mục; "
        "chạy `app.py ingest` để tiếp tục.",
        "export_title": "Câu trả lời của trợ lý tra cứu văn bản",
        "exported_at": "Xuất lúc",
        "mode_used": "Chế độ",
        "answer": "Trả lời",
        "passage": "Đoạn văn",
    },
    "en": {
        "title": "Party organisation documents assistant",
        "subtitle": "Answers come from the indexed documents, every point with its source. Runs fully offline.",
        "language": "Ngôn ngữ / Language",
        "tab_chat": "Ask",
        "tab_library": "Document library",
        "chat_label": "Conversation",
        "chat_placeholder": "Ask about the Party statute, regulations, guidelines… For example: "
        "“Thời hạn tổ chức lễ kết nạp đảng viên là bao lâu?”",
        "question": "Question",
        "question_placeholder": "Type a question and press Enter",
        "send": "Send",
        "new_chat": "New conversation",
        "export": "Download answer (Markdown)",
        "turns_dropped": "Earlier answers were dropped; a conversation keeps its {kept} latest answers.",
        "options": "Answer mode and filters",
        "mode": "Answer mode",
        "mode_extractive": "Verbatim quotes",
        "mode_generative": "Generated (local model)",
        "mode_ready": "Verbatim: only sentences found in the documents. Generated: a local model rephrases, "
        "still citing sources.",
        "mode_unavailable": "Generated answers are not available: {reason}",
        "filter_documents": "Only search in documents",
        "filter_kinds": "Document kind",
        "filter_years": "Year issued",
        "panel_empty": "Click a marker [n] in an answer to see the original passage, its section and document, "
        "with the supporting sentence highlighted.",
        "citations": "Citations of the answer",
        "closest": "No answer found. The closest passages, for you to check:",
        "standalone": "Standalone query used for the search",
        "searching": "Searching the documents…",
        "section": "Section",
        "source": "File",
        "score": "similarity",
        "open_document": "Open the full document at this place",
        "document_not_found": "This document is not in the index.",
        "library_summary": "{documents} documents, {chunks} indexed passages",
        "library_failures": "Files that could not be ingested",
        "col_title": "Title",
        "col_number": "Number",
        "col_kind": "Kind",
        "col_date": "Date",
        "col_chunks": "Passages",
        "col_origin": "Origin",
        "col_source": "File",
        "origin_collection": "Collection",
        "origin_upload": "Uploaded",
        "upload_badge": "uploaded",
        "upload": "Add documents (PDF, DOCX, Markdown, plain text, HTML; at most {mb} MB per file)",
        "upload_button": "Ingest into the collection",
        "upload_none": "No file selected.",
        "upload_done": "Ingested: {name} ({chunks} passages)",
        "indexing": "⏳ Indexing the collection: {documents} of {documents_total} documents, {chunks} of "
        "{chunks_total} passages, {left}. Answers come from what is indexed so far; official documents go first.",
        "indexing_starting": "⏳ Getting ready to index the collection (reading and splitting the documents)…",
        "indexing_left": "about {minutes} min left",
        "indexing_estimating": "estimating the time left",
        "indexing_failed": "⚠ Indexing stopped with an error: {error}. Answers come from what was indexed; run "
        "`app.py ingest` to continue.",
        "export_title": "Answer from the documents assistant",
        "exported_at": "Exported at",
        "mode_used": "Mode",
        "answer": "Answer",
        "passage": "Passage",
    },
}

# Kinds as the metadata names them (Vietnamese document types), shown in English on the switch.
KIND_LABELS: dict[Language, dict[str, str]] = {
    "vi": {"article": "Bài viết"},
    "en": {
        "Quy định": "Regulation",
        "Hướng dẫn": "Guideline",
        "Chỉ thị": "Directive",
        "Kết luận": "Conclusion",
        "Nghị quyết": "Resolution",
        "Quyết định": "Decision",
        "Điều lệ": "Statute",
        "Quy chế": "Rules",
        "Thông báo": "Notice",
        "article": "Article",
    },
}

# Upload problems the page itself finds, (Vietnamese, English), always shown together; the upload
# service's own refusals (type, size, duplicates...) come already worded (``ingest.uploads``).
UPLOAD_ERRORS: dict[str, tuple[str, str]] = {
    "not_uploaded": (
        "{name}: tệp không được tải lên qua trang này nên không được nạp",
        "{name}: this file was not uploaded through this page, so it is not ingested",
    ),
}

# Refusals of the server's own routes, in both languages whatever the switch says.
ROUTE_ERRORS: dict[str, str] = {
    "not_signed_in": "Chưa đăng nhập / Not signed in",
    "export_gone": "Câu trả lời này không còn trên máy chủ (phiên đã hết hạn); hãy hỏi lại rồi tải về. / "
    "This answer is no longer on the server (the session expired); ask again, then download.",
}


def t(language: str, key: str, **fields: object) -> str:
    """The label in ``language`` (Vietnamese for anything unknown), with ``fields`` filled in."""
    table = LABELS["en"] if language == "en" else LABELS["vi"]
    text = table[key]
    return text.format(**fields) if fields else text


def kind_label(kind: str, language: str) -> str:
    """Document kinds keep their Vietnamese legal names unless English is chosen."""
    table = KIND_LABELS["en"] if language == "en" else KIND_LABELS["vi"]
    return table.get(kind, kind)


def bilingual(key: str, **fields: object) -> str:
    """An upload problem in both languages, Vietnamese first."""
    vi, en = UPLOAD_ERRORS[key]
    return f"{vi.format(**fields)} / {en.format(**fields)}"
