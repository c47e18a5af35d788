"""Turn a file of any supported format into a ``LoadedDocument``.

Every format goes through the same pipeline (format lines -> unwrap -> boilerplate removal ->
NFC text), so the chunker and the citations see one text shape whatever the source was.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Mapping
from pathlib import Path

from ingest.loaders.docx import docx_lines
from ingest.loaders.html import html_lines
from ingest.loaders.markdown import markdown_lines
from ingest.loaders.pdf import PasswordProtectedError, pdf_lines
from ingest.loaders.text import text_lines
from ingest.metadata import extract_metadata
from ingest.textclean import MIN_VIETNAMESE_SHARE, Line, finish_text, remove_boilerplate, unwrap, vietnamese_share
from ingest.types import LoadedDocument

_FORMATS: dict[str, tuple[str, Callable[[bytes], list[Line]]]] = {
    ".pdf": ("pdf", pdf_lines),
    ".md": ("markdown", markdown_lines),
    ".markdown": ("markdown", markdown_lines),
    ".txt": ("text", text_lines),
    ".html": ("html", html_lines),
    ".htm": ("html", html_lines),
    ".docx": ("docx", docx_lines),
}
SUPPORTED_SUFFIXES: frozenset[str] = frozenset(_FORMATS)


class DocumentLoadError(Exception):
    """A file that cannot be ingested; the message is shown to users as is, so it is bilingual."""

    def __init__(self, source: str, vi: str, en: str) -> None:
        super().__init__(f"{source}: {vi} / {en}")
        self.source = source


def unsupported_reason(suffix: str) -> tuple[str, str]:
    """(Vietnamese, English) reason for a file type no loader reads; ingest reports such files too."""
    supported = ", ".join(sorted(SUPPORTED_SUFFIXES))
    return (
        f"định dạng tệp '{suffix or '(không có)'}' không được hỗ trợ (hỗ trợ: {supported})",
        f"unsupported file type '{suffix or '(none)'}' (supported: {supported})",
    )


def load_document(path: Path, root: Path, manifest: Mapping[str, Mapping[str, str]] | None = None) -> LoadedDocument:
    """Parse ``path`` into clean NFC text plus metadata; ``root`` fixes the document's identity."""
    source = _source(path, root)
    suffix = path.suffix.lower()
    if suffix not in _FORMATS:
        raise DocumentLoadError(source, *unsupported_reason(suffix))
    try:
        data = path.read_bytes()
    except OSError as error:
        raise DocumentLoadError(source, f"không đọc được tệp ({error})", f"cannot read file ({error})") from error
    if not data.strip():
        raise DocumentLoadError(source, "tệp rỗng", "file is empty")
    fmt, read_lines = _FORMATS[suffix]
    try:
        text = finish_text(remove_boilerplate(unwrap(read_lines(data))))
    except PasswordProtectedError as error:
        raise DocumentLoadError(
            source,
            f"tệp {fmt} được bảo vệ bằng mật khẩu; hãy gỡ mật khẩu rồi nạp lại",
            f"the {fmt} file is protected by a password; remove the password and ingest it again",
        ) from error
    except Exception as error:  # parsers raise many unrelated types for one cause: a damaged file
        raise DocumentLoadError(
            source,
            f"tệp {fmt} bị hỏng hoặc không đọc được ({type(error).__name__}: {error})",
            f"corrupt or unreadable {fmt} file ({type(error).__name__}: {error})",
        ) from error
    if not text:
        raise DocumentLoadError(
            source,
            "không trích xuất được văn bản nào (tệp quét ảnh cần OCR?)",
            "no text could be extracted (a scanned file needing OCR?)",
        )
    share = vietnamese_share(text)
    if share is not None and share < MIN_VIETNAMESE_SHARE:
        raise DocumentLoadError(
            source,
            f"tệp bị hỏng hoặc không đọc được: văn bản trích ra là ký tự lỗi ({share:.0%} âm tiết tiếng Việt hợp lệ)",
            f"file damaged or unreadable: the extracted text is garbled ({share:.0%} valid Vietnamese syllables)",
        )
    meta = extract_metadata(text, source, (manifest or {}).get(source))
    return LoadedDocument(meta=meta, text=text, fmt=fmt)


def _source(path: Path, root: Path) -> str:
    """Path relative to the collection root, in NFC; a file outside it keeps its name rather than failing.

    The file itself is not resolved: a link inside the collection is a document at the link's path.
    NFC, because a name written in NFD (macOS, some zip tools) would otherwise miss its MANIFEST row.
    """
    try:
        relative = (path.absolute().parent.resolve() / path.name).relative_to(root.resolve()).as_posix()
    except ValueError:
        relative = path.name
    return unicodedata.normalize("NFC", relative)
