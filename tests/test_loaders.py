"""Loaders, cleaning and metadata on small real files and on the real collection."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest

from ingest.loaders import SUPPORTED_SUFFIXES, DocumentLoadError, load_document
from ingest.metadata import extract_metadata, read_manifest
from ingest.textclean import normalize_unicode
from settings import Settings

DATA = Path(__file__).parent / "data" / "loaders"
CORPUS = Settings().collection_path
QD_294 = "official/qd-294-2025-thi-hanh-dieu-le.pdf"
HD_06 = "official/hd-06-2025-thi-hanh-dieu-le.pdf"
DIEU_LE = "official/dieu-le-dang-2011.md"
TVPL_ARTICLE = "articles/mau-03-hd-kd-dg-quyet-dinh-danh-gia-xep-loai-lai-dang-vien-to-chuc-dang-nam-2025-theo.md"


@pytest.fixture(scope="module")
def manifest() -> dict[str, dict[str, str]]:
    return read_manifest(CORPUS)


def load_sample(name: str):
    return load_document(DATA / name, DATA)


def test_pdf_loader_unwraps_lines_and_drops_page_furniture() -> None:
    doc = load_sample("sample.pdf")
    lines = doc.text.split("\n")
    assert doc.fmt == "pdf" and doc.meta.source == "sample.pdf"
    # The justified 4.3.1 paragraph spans several PDF lines; it comes back as one line.
    assert any(
        line.startswith("4.3.1. Trong thời hạn 45 ngày") and line.endswith("15 ngày làm việc.") for line in lines
    )
    # "a) …: Do tập thể …" was wrapped after the colon: joined, while a) stays at a line start.
    assert "a) Đảng ủy cơ sở được ủy quyền kết nạp đảng viên: Do tập thể đảng ủy cơ sở xem xét, quyết định." in lines
    assert "QUY ĐỊNH THI HÀNH ĐIỀU LỆ ĐẢNG (trích)" not in doc.text  # running header on every page
    assert not any(line.strip().isdigit() for line in lines)  # page numbers


def test_markdown_loader_keeps_headings_and_strips_markup() -> None:
    doc = load_sample("sample.md")
    assert doc.text.split("\n") == [
        "# Quy trình kết nạp đảng viên",
        "Theo Quy định 294-QĐ/TW, người vào Đảng phải đủ 18 tuổi đến đủ 60 tuổi (tính theo tháng).",
        "## Học vấn",
        "Người vào Đảng phải có bằng tốt nghiệp trung học cơ sở trở lên.",
    ]  # image, link target, emphasis, <br>, site footer line and the references section are gone
    assert doc.meta.title == "Quy trình kết nạp đảng viên"


def test_html_loader_drops_menus_cookie_banner_and_footer() -> None:
    doc = load_sample("sample.html")
    assert doc.fmt == "html"
    assert doc.text.split("\n") == [
        "# Thời hạn xét kết nạp đảng viên",
        "Theo Quy định 294-QĐ/TW, trong thời hạn 45 ngày làm việc kể từ ngày chi bộ có nghị quyết đề nghị "
        "kết nạp, cấp ủy có thẩm quyền phải xem xét, quyết định.",
        "## Trường hợp đặc biệt",
        "- Có thể gia hạn tối đa 15 ngày làm việc.",
        "- Phải thông báo kết quả cho chi bộ.",
    ]


def test_docx_loader_reads_heading_styles_and_tables() -> None:
    doc = load_sample("sample.docx")
    assert doc.fmt == "docx"
    assert doc.text.split("\n") == [
        "# Hướng dẫn thử nghiệm",
        "## 1. Về tuổi đời",
        "Chỉ xem xét kết nạp vào Đảng những người trên 60 tuổi khi đủ các điều kiện: Có sức khoẻ và uy tín.",
        "Đối tượng | Thẩm quyền",
        "Đảng viên dự bị | Chi bộ",
    ]


def test_text_loader_joins_wrapped_paragraph_and_drops_related_links() -> None:
    doc = load_sample("sample.txt")
    assert doc.fmt == "text"
    assert doc.text.endswith("chuẩn bị tốt nhân sự Đại hội Đảng bộ các cấp và Đại hội XIII của Đảng.")
    assert "Tin liên quan" not in doc.text
    assert doc.meta.date == "2019-10-30"


def test_the_re_ingest_hash_is_of_the_file_bytes() -> None:
    import hashlib

    from ingest.hashing import sha256_file

    assert sha256_file(DATA / "sample.md") == hashlib.sha256((DATA / "sample.md").read_bytes()).hexdigest()


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("notes.rtf", "unsupported file type '.rtf'"),
        ("corrupt.pdf", "corrupt or unreadable pdf"),
        ("empty.txt", "empty"),
    ],
)
def test_bad_files_raise_a_bilingual_error_naming_the_file(name: str, reason: str) -> None:
    with pytest.raises(DocumentLoadError) as caught:
        load_sample(name)
    message = str(caught.value)
    assert message.startswith(f"{name}: ") and reason in message and " / " in message
    assert caught.value.source == name


def test_missing_file_raises_document_load_error() -> None:
    with pytest.raises(DocumentLoadError, match="cannot read file"):
        load_document(DATA / "khong-co.pdf", DATA)


def test_normalize_unicode_repairs_decomposed_and_detached_marks() -> None:
    decomposed = unicodedata.normalize("NFD", "Điều lệ Đảng")
    assert normalize_unicode(decomposed) == "Điều lệ Đảng"
    assert normalize_unicode("kê \u0301t na\u0323p") == "kết nạp"  # mark split from its letter by a space
    assert normalize_unicode("\u0301Đảng\u200b viên") == "Đảng viên"  # stray mark, zero-width space


def test_every_collection_file_loads_as_clean_nfc(manifest: dict[str, dict[str, str]]) -> None:
    paths = [p for p in CORPUS.rglob("*") if p.suffix in SUPPORTED_SUFFIXES and p.name != "README.md"]
    assert len(paths) == len(manifest) == 123
    for path in paths:
        doc = load_document(path, CORPUS, manifest)
        assert doc.meta.source in manifest
        assert unicodedata.is_normalized("NFC", doc.text)
        assert "\n\n" not in doc.text and doc.text == doc.text.strip()


def test_qd_294_pdf_text_and_metadata(manifest: dict[str, dict[str, str]]) -> None:
    doc = load_document(CORPUS / QD_294, CORPUS, manifest)
    assert "\n4.3.1. Trong thời hạn 45 ngày làm việc kể từ ngày chi bộ có nghị quyết đề nghị kết nạp; trong" in doc.text
    assert doc.meta.kind == "Quy định" and doc.meta.number == "294-QĐ/TW"
    assert doc.meta.date == "2025-05-26" and doc.meta.issuer == "Ban Chấp hành Trung ương"
    # Without the manifest the text alone gives the same citation data.
    assert extract_metadata(doc.text, QD_294, None).number == "294-QĐ/TW"
    assert extract_metadata(doc.text, QD_294, None).date == "2025-05-26"


def test_hd_06_metadata_from_text_names_the_signing_body() -> None:
    doc = load_document(CORPUS / HD_06, CORPUS)  # no manifest: text only
    assert (doc.meta.kind, doc.meta.number, doc.meta.date) == ("Hướng dẫn", "06-HD/TW", "2025-06-09")
    assert doc.meta.issuer == "Ban Bí thư"  # "T/M BAN BÍ THƯ", not the header's "BAN CHẤP HÀNH TRUNG ƯƠNG"


def test_dieu_le_metadata(manifest: dict[str, dict[str, str]]) -> None:
    meta = load_document(CORPUS / DIEU_LE, CORPUS, manifest).meta
    assert meta.kind == "Điều lệ" and meta.date == "2011-01-19"
    assert meta.title == "Điều lệ Đảng Cộng sản Việt Nam"
    assert extract_metadata(load_document(CORPUS / DIEU_LE, CORPUS).text, DIEU_LE, None).kind == "Điều lệ"


def test_article_metadata_and_boilerplate(manifest: dict[str, dict[str, str]]) -> None:
    doc = load_document(CORPUS / TVPL_ARTICLE, CORPUS, manifest)
    assert doc.meta.kind == "article" and doc.meta.number == ""
    assert doc.meta.title == manifest[TVPL_ARTICLE]["title"]
    assert "Quý khách cần hỏi thêm" not in doc.text and "(Hình từ Internet)" not in doc.text
    assert doc.text.count("Mẫu 03 HD KĐ ĐG Quyết định đánh giá xếp loại lại đảng viên, tổ chức đảng năm 2025") == 1


def test_manifest_overrides_text_and_maps_kinds() -> None:
    text = "BAN BÍ THƯ\nSố 12-QĐ/TW\nHà Nội, ngày 2 tháng 3 năm 2024\nQUYẾT ĐỊNH\nVỀ VIỆC THỬ"
    row = {"kind": "official", "doc_number": "", "issued": "", "issuer": "", "title": "Quyết định về việc thử"}
    meta = extract_metadata(text, "x.md", row)
    assert (meta.kind, meta.number, meta.date, meta.title) == ("Quyết định", "12-QĐ/TW", "2024-03-02", row["title"])
    assert extract_metadata(text, "x.md", {**row, "kind": "seed"}).kind == "article"
    assert (
        extract_metadata("KẾT LUẬN\nSố 5-KL/TW", "y.md", {"kind": "official", "title": "Kết luận"}).kind == "Kết luận"
    )


def test_thuvienphapluat_site_header_and_footer_removed(manifest: dict[str, dict[str, str]]) -> None:
    text = load_document(
        CORPUS / "official/kl-221-tw-2025-bo-may-he-thong-chinh-tri-chinh-quyen-2-cap.md", CORPUS, manifest
    ).text
    assert text.startswith("BAN CHẤP HÀNH TRUNG ƯƠNG\n")
    for furniture in ("THƯ VIỆN PHÁP LUẬT", "Đang tải văn bản", "Đăng xuất", "Số hiệu:"):
        assert furniture not in text
    assert "T/M BỘ CHÍNH TRỊ" in text
