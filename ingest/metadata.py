"""Document metadata for citations: read from the text's own header, overridden by MANIFEST.tsv.

The manifest is curated and therefore wins wherever it has a value; the text is the fallback that
makes uploaded files (which have no manifest row) citable too.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Mapping
from pathlib import Path

from ingest.types import DOCUMENT_KINDS, KIND_BY_ABBREVIATION, DocumentMeta

# Official documents print their number, place/date and kind within the first few lines.
_HEADER_CHARS = 2500
_HEADER_LINES = 25
_NUMBER = re.compile(r"\bSố\s*:?\s*(\d{1,5})\s*[-–]\s*((?:[A-ZĐ]{1,8})(?:[/.][A-ZĐ0-9]{1,12})+)")
# "Hà Nội, ngày 26 tháng 5 năm 2025": the place prefix tells the issue date from dates in the body.
_PRINTED_DATE = re.compile(r",\s*ngày\s+(\d{1,2})?\s*tháng\s+(\d{1,2})\s+năm\s+(\d{4})", re.IGNORECASE)
# A news dateline ("Thứ Tư, 30/10/2019, 14:04") at a line start; dates inside titles are not it.
_NUMERIC_DATE = re.compile(
    r"^(?:(?:thứ\s+\w+|chủ\s+nhật|ngày\s+đăng|cập\s+nhật|đăng\s+ngày)\s*[,:]?\s*)?"
    r"(\d{1,2})/(\d{1,2})/((?:19|20)\d{2})\b",
    re.IGNORECASE | re.MULTILINE,
)
_SIGNATURE = re.compile(r"^T/?M\.?\s+(.+)$", re.MULTILINE)
# The signer's own title printed under "T/M <body>" is not part of the body's name.
_SIGNER_TITLE = re.compile(
    r"(?<!BAN)\s+(?:K/?T\.?\s+)?(?:TỔNG BÍ THƯ|BÍ THƯ|PHÓ BÍ THƯ|TRƯỞNG BAN|PHÓ TRƯỞNG BAN|CHỦ TỊCH)\b.*$"
)
_ISSUING_BODY = re.compile(r"^(?:BAN|BỘ|ĐẢNG\s+[ỦU]Y|THÀNH\s+[ỦU]Y|TỈNH\s+[ỦU]Y|ĐẠI\s+HỘI|[ỦU]Y\s+BAN)\b")
_OFFICIAL_KINDS = [kind for kind in DOCUMENT_KINDS if kind != "article"]
# Upper-case header phrases printed as names; the rest of a header is sentence-cased.
_PROPER = {
    "ĐẢNG CỘNG SẢN VIỆT NAM": "Đảng Cộng sản Việt Nam",
    "ĐIỀU LỆ ĐẢNG": "Điều lệ Đảng",
    "VIỆT NAM": "Việt Nam",
    "BAN CHẤP HÀNH TRUNG ƯƠNG": "Ban Chấp hành Trung ương",
    "BỘ CHÍNH TRỊ": "Bộ Chính trị",
    "BAN BÍ THƯ": "Ban Bí thư",
    "BAN TỔ CHỨC": "Ban Tổ chức",
    "TRUNG ƯƠNG": "Trung ương",
    "THÀNH ỦY": "Thành ủy",
    "THÀNH UỶ": "Thành ủy",
    "TỈNH ỦY": "Tỉnh ủy",
    "HÀ NỘI": "Hà Nội",
    "ĐẢNG": "Đảng",
    "ĐẠI HỘI": "Đại hội",
}


def read_manifest(root: Path) -> dict[str, dict[str, str]]:
    """MANIFEST.tsv rows keyed by ``path``; a collection without a manifest is valid."""
    manifest = root / "MANIFEST.tsv"
    if not manifest.is_file():
        return {}
    with manifest.open(encoding="utf-8", newline="") as handle:
        rows = csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
        return {row["path"]: {k: (v or "").strip() for k, v in row.items()} for row in rows if row.get("path")}


def extract_metadata(text: str, source: str, manifest_row: Mapping[str, str] | None) -> DocumentMeta:
    """Text-derived metadata, with every non-empty manifest field taking precedence."""
    header = text[:_HEADER_CHARS]
    lines = header.split("\n")[:_HEADER_LINES]
    number = _number(header)
    kind_line = _kind_line(lines)
    official = bool(number or kind_line is not None)
    row = manifest_row or {}
    title = row.get("title") or (_official_title(lines, kind_line) if kind_line is not None else _first_line(text))
    number = row.get("doc_number") or number
    kind = _manifest_kind(row.get("kind", ""), number, title) or _text_kind(number, lines, kind_line)
    return DocumentMeta(
        source=source,
        kind=kind,
        number=number,
        issuer=row.get("issuer") or (_issuer(text, lines) if official else ""),
        date=row.get("issued") or _date(header, official),
        title=title,
    )


def _number(header: str) -> str:
    match = _NUMBER.search(header)
    return f"{match.group(1)}-{match.group(2)}" if match else ""


def _kind_line(lines: list[str]) -> int | None:
    """Index of the upper-case line that names the document kind ("QUY ĐỊNH", "KẾT LUẬN CỦA …")."""
    for index, line in enumerate(lines):
        if line.isupper() and any(line.startswith(kind.upper()) for kind in _OFFICIAL_KINDS):
            return index
    return None


def _manifest_kind(manifest_kind: str, number: str, title: str) -> str:
    if manifest_kind in ("seed", "article"):
        return "article"
    if manifest_kind != "official":
        return ""
    return _kind_from_number(number, title) or _kind_from_title(title) or ""


def _text_kind(number: str, lines: list[str], kind_line: int | None) -> str:
    heading = lines[kind_line] if kind_line is not None else ""
    return _kind_from_number(number, heading) or _kind_from_title(heading) or "article"


def _kind_from_number(number: str, title: str) -> str:
    match = re.search(r"-([A-ZĐ]+)/", number)
    kind = KIND_BY_ABBREVIATION.get(match.group(1), "") if match else ""
    if kind == "Quy định" and title.casefold().startswith("quyết định"):
        return "Quyết định"
    return kind


def _kind_from_title(title: str) -> str:
    folded = title.casefold()
    return next((kind for kind in _OFFICIAL_KINDS if folded.startswith(kind.casefold())), "")


def _official_title(lines: list[str], kind_line: int | None) -> str:
    """The kind line plus the subject lines under it, in sentence case."""
    assert kind_line is not None
    parts = [_sentence_case(lines[kind_line])]
    for line in lines[kind_line + 1 :]:
        bare_kind = len(parts) == 1 and len(parts[0].split()) <= 2  # "HƯỚNG DẪN" over a mixed-case subject
        if not any(c.isalpha() for c in line) or line.startswith(("-", "*", "Căn cứ")) or len(parts) > 4:
            break
        if not line.isupper() and not bare_kind:
            break
        parts.append(_sentence_case(line, capitalise=False) if line.isupper() else line[:1].lower() + line[1:])
    return " ".join(parts)


def _first_line(text: str) -> str:
    return text.split("\n", 1)[0].lstrip("#").strip()[:300]


def _issuer(text: str, lines: list[str]) -> str:
    """The body that signs "T/M …" is the issuer; otherwise the body named first in the header."""
    signatures = _SIGNATURE.findall(text[-3000:])
    if signatures:
        return _sentence_case(_SIGNER_TITLE.sub("", signatures[-1].strip()))
    bodies = [line for line in lines[:4] if line.isupper() and _ISSUING_BODY.match(line)]
    if len(bodies) >= 2 and bodies[1].startswith("BAN ") and not bodies[0].startswith("BAN "):
        return _sentence_case(f"{bodies[1]} {bodies[0]}")  # "THÀNH ỦY HÀ NỘI / BAN TỔ CHỨC"
    return _sentence_case(bodies[0]) if bodies else ""


def _date(header: str, official: bool) -> str:
    """ISO date; a printed date with a blank day (unsigned drafts) still yields YYYY-MM."""
    printed = _PRINTED_DATE.search(header) if official else None
    if printed:
        day, month, year = printed.groups()
        return f"{year}-{int(month):02d}-{int(day):02d}" if day else f"{year}-{int(month):02d}"
    numeric = None if official else _NUMERIC_DATE.search(header[:600])
    if numeric and 1 <= int(numeric.group(2)) <= 12 and 1 <= int(numeric.group(1)) <= 31:
        day, month, year = numeric.groups()
        return f"{year}-{int(month):02d}-{int(day):02d}"
    return ""


def _sentence_case(text: str, capitalise: bool = True) -> str:
    """Header text is printed in capitals; keep known names capitalised, lower-case the rest."""
    if not text.isupper():
        return text
    marked = text
    for upper, proper in _PROPER.items():
        marked = re.sub(rf"\b{upper}\b", proper.replace(" ", "\x00"), marked)
    words = [word if "\x00" in word or not word.isupper() else word.lower() for word in marked.split(" ")]
    sentence = " ".join(words).replace("\x00", " ")
    return sentence[:1].upper() + sentence[1:] if capitalise else sentence
