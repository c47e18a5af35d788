"""Cleaning shared by every loader, so all formats reach the chunker in one shape.

The shape is: NFC text, one paragraph (or heading, list item, table row) per line, no blank lines,
single spaces. Chunk offsets point into this text, so every loader must finish with
``finish_text`` and nothing may touch the text afterwards.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ingest.sentences import ends_sentence

# A line that opens a unit of the document's own hierarchy. Wrapped lines are never joined onto
# the previous line when they start like this, because the chunker needs them at line starts.
STRUCTURAL_LINE_RE = re.compile(
    r"""^(?:
        \#{1,6}\s                                   # kept markdown heading
      | PHẦN\b | Phần\s+(?:thứ\s|[IVXLC\d])           # Phần
      | Chương\s+[IVXLC\d]                            # Chương
      | Mục\s+\d                                      # Mục
      | Điều\s+\d+\s*[.:]                             # Điều
      | [IVXLC]{1,6}\s*[.\-–]\s                       # Roman-numeral section
      | \d{1,3}(?:\.\d{1,3})*\.\s                     # 1. / 1.1. / 1.1.1.
      | \d{1,3}(?:\.\d{1,3})+\s                       # 1.1 without the final dot
      | [a-zđ]\)\s                                    # a) b) đ)
      | [-–+•*]\s                                     # bullet
      | Nơi\s+nhận                                    # distribution list ends the body
      | T/?M\.?\s                                     # signature block
    )""",
    re.VERBOSE,
)

_INVISIBLE = dict.fromkeys(map(ord, "\u00ad\u200b\u200c\u200d\u2060\ufeff"), None)
_SPACES = re.compile(r"\s+")  # Unicode-aware: also NBSP, thin spaces and stray newlines
_SPACE_BEFORE_MARK = re.compile(r"(?<=[\w\u0300-\u036f])\s+(?=[\u0300-\u036f])")
_STRAY_MARK = re.compile(r"(?<![\w\u0300-\u036f])[\u0300-\u036f]+")


def normalize_unicode(text: str) -> str:
    """NFC with repairs for what PDF extraction and copy-paste do to Vietnamese diacritics.

    A combining tone mark separated from its letter by a space is re-attached (the PDF placed the
    mark as its own glyph); a mark with no letter to sit on carries no meaning and is dropped.
    Invisible characters are removed so identical words compare equal in the keyword index.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n").translate(_INVISIBLE)
    text = unicodedata.normalize("NFD", text)
    text = _SPACE_BEFORE_MARK.sub("", text)
    text = _STRAY_MARK.sub("", text)
    return unicodedata.normalize("NFC", text)


def squeeze(line: str) -> str:
    """One space between words: PDF justification and HTML indentation leave runs of spaces."""
    return _SPACES.sub(" ", line).strip()


@dataclass(frozen=True)
class Line:
    """A physical line plus whether the writer ended the paragraph there.

    ``ends_paragraph`` is the loader's format-specific knowledge (a short PDF line, a blank line
    after it in Markdown); ``hard`` marks lines that must stay alone (headings, table rows).
    """

    text: str
    ends_paragraph: bool = False
    hard: bool = False


def _starts_new_paragraph(previous: str, current: str) -> bool:
    if STRUCTURAL_LINE_RE.match(current) or _is_caps(previous) != _is_caps(current):
        return True  # a switch between capitals and running text is a heading boundary
    return ends_sentence(previous, current, layout=True)


def _is_caps(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    return len(letters) >= 2 and all(c.isupper() for c in letters)


def unwrap(lines: Iterable[Line]) -> list[str]:
    """Join lines wrapped mid-sentence back into paragraphs.

    Sources wrap at a fixed width (PDF layout, HTML-to-Markdown converters), which would otherwise
    make the chunker see sentence fragments. A line break is kept where the writer meant one: a
    structural marker, the end of a sentence followed by a capital, or the loader's own signal.
    The loader's signal is only a guess for PDFs, so a line starting in lower case (Vietnamese
    paragraphs start with a capital) is still joined; a blank line or hard line never is.
    """
    paragraphs: list[str] = []
    state = "closed"  # "open": joinable; "soft": joinable only by a lower-case continuation
    for line in lines:
        text = squeeze(line.text)
        if not any(c.isalnum() for c in text):  # empty, or a rule such as "-----" or "* * *"
            state = "closed"
            continue
        continuation = not line.hard and not _starts_new_paragraph(paragraphs[-1], text) if paragraphs else False
        if continuation and (state == "open" or (state == "soft" and text[0].islower())):
            paragraphs[-1] = f"{paragraphs[-1]} {text}"
        else:
            paragraphs.append(text)
        state = "closed" if line.hard else "soft" if line.ends_paragraph else "open"
    return paragraphs


def _page_key(line: str) -> str:
    return re.sub(r"\d+", "#", squeeze(line)).casefold()


_PAGE_NUMBER = re.compile(r"^(?:[-–—]\s*)?(?:trang\s+|page\s+)?\d{1,4}(?:\s*/\s*\d{1,4})?(?:\s*[-–—])?$", re.I)


def body_line_indices(pages: Sequence[Sequence[str]], edge: int = 2) -> list[list[int]]:
    """Indices of the lines of each page that are not page numbers or running headers/footers.

    Only the first and last ``edge`` lines of a page are candidates, and a header must recur on at
    least half of the pages (and on 3 or more): body lines legitimately repeat ("1.1. Căn cứ"), so
    repetition alone is not enough evidence. Indices (not texts) are returned so the caller keeps
    whatever layout data it holds per line.
    """
    edge_keys: Counter[str] = Counter()
    for page in pages:
        edge_keys.update({_page_key(line) for line in _edges(page, edge)})
    threshold = max(3, (len(pages) + 1) // 2)
    running = {key for key, count in edge_keys.items() if count >= threshold and key}
    kept: list[list[int]] = []
    for page in pages:
        edges = set(range(min(edge, len(page)))) | set(range(max(0, len(page) - edge), len(page)))
        kept.append(
            [
                i
                for i, line in enumerate(page)
                if i not in edges or not (_PAGE_NUMBER.match(squeeze(line)) or _page_key(line) in running)
            ]
        )
    return kept


def _edges(page: Sequence[str], edge: int) -> list[str]:
    lines = [line for line in page if squeeze(line)]
    return lines[:edge] + lines[-edge:]


# Crawled-site furniture, matched against whole cleaned lines.
_BOILERPLATE_LINE = re.compile(
    r"""^(?:
        xem\s+thêm\b.{0,80} | tin\s+liên\s+quan | bài\s+viết\s+liên\s+quan | tin\s+cùng\s+chuyên\s+mục
      | chia\s+sẻ(?:\s+bài\s+viết)?:? | share | facebook | twitter | zalo | in\s+bài | bản\s+in | lưu\s+bài
      | quý\s+khách\s+cần\s+hỏi\s+thêm\s+thông\s+tin.* | tải\s+về | nội\s+dung\s+chính
      | \*?dưới\s+đây\s+là\s+(?:thông\s+tin|nội\s+dung).{0,300}
      | \*?trên\s+đây\s+là\s+(?:thông\s+tin|nội\s+dung).{0,300}
      | .{0,300}\(hình\s+từ\s+internet\)\*? | (?:.{0,300}\s[-–]\s*)?ảnh\s*:.{0,60}
      | link\s+bài\s+viết\s+gốc.* | ngày\s+giờ\s+đăng\s+bài\s+viết\s+gốc.*
      | .{0,40}chấp\s+nhận\s+cookie.* | .*sử\s+dụng\s+cookie.* | cookie.{0,80}
      | đăng\s+nhập | đăng\s+ký | trang\s+chủ | về\s+đầu\s+trang | top
      | [\W_]{1,12}
    )$""",
    re.IGNORECASE | re.VERBOSE,
)
_INLINE_BOILERPLATE = re.compile(r"\[\s*sửa\s*\|\s*sửa\s+mã\s+nguồn\s*\]|\[\s*sửa\s*\]|\[\d{1,3}\]")

# Everything after these lines is references, related links or site footer, never body text.
_TAIL_START = re.compile(
    r"""^(?:
        \#{1,6}\s*(?:chú\s+thích|tham\s+khảo|liên\s+kết\s+ngoài|xem\s+thêm|đọc\s+thêm
                    |văn\s+bản\s+liên\s+quan|ghi\s+chú|nguồn)\s*$
      | văn\s+bản\s+này\s+chưa\s+cập\s+nhật\s+nội\s+dung\s+tiếng\s+anh
      | tin\s+liên\s+quan\s*$ | tin\s+cùng\s+chuyên\s+mục\s*$ | bài\s+viết\s+liên\s+quan\s*$
    )""",
    re.IGNORECASE | re.VERBOSE,
)
# Everything up to and including this line is a site header (thuvienphapluat document pages).
_HEAD_END = re.compile(r"^đang\s+tải\s+văn\s+bản", re.IGNORECASE)
_TVPL_FIELD = re.compile(
    r"^(?:số\s+hiệu|loại\s+văn\s+bản|nơi\s+ban\s+hành|người\s+ký|ngày\s+ban\s+hành|ngày\s+hiệu\s+lực"
    r"|ngày\s+công\s+báo|số\s+công\s+báo|tình\s+trạng)\s*:",
    re.IGNORECASE,
)


def remove_boilerplate(paragraphs: list[str]) -> list[str]:
    """Remove crawled-site furniture that would only waste embedding time and pollute retrieval.

    Works on unwrapped paragraphs, so a pattern never has to guess at wrapping. Only patterns that
    cannot be document text are used; a consecutive duplicate paragraph (the explainer sites repeat
    their headline) is dropped too.
    """
    paragraphs = _cut_head_and_tail(paragraphs)
    kept: list[str] = []
    for paragraph in paragraphs:
        text = squeeze(_INLINE_BOILERPLATE.sub("", paragraph))
        bare = text.lstrip("#").strip()
        if not bare or _BOILERPLATE_LINE.match(bare):
            continue
        if kept and bare == kept[-1].lstrip("#").strip():
            continue
        kept.append(text)
    return kept


def _cut_head_and_tail(paragraphs: list[str]) -> list[str]:
    head = next((i for i, p in enumerate(paragraphs) if _HEAD_END.match(p)), None)
    if head is not None:
        paragraphs = _skip_field_block(paragraphs[head + 1 :])
    tail = next((i for i, p in enumerate(paragraphs) if _TAIL_START.match(p)), len(paragraphs))
    return paragraphs[:tail]


def _skip_field_block(paragraphs: list[str]) -> list[str]:
    """Drop the "Số hiệu: … Tình trạng: …" card that precedes a thuvienphapluat document."""
    last_field = max((i for i, p in enumerate(paragraphs[:40]) if _TVPL_FIELD.match(p)), default=-1)
    if last_field < 0:
        return paragraphs
    value_apart = paragraphs[last_field].endswith(":")  # the value may be its own paragraph
    return paragraphs[last_field + 1 + value_apart :]


def finish_text(paragraphs: Iterable[str]) -> str:
    """The single exit point of every loader: one NFC paragraph per line, nothing empty."""
    return "\n".join(p for p in (squeeze(normalize_unicode(p)) for p in paragraphs) if p)


# Tone marks (grave, acute, tilde, hook above, dot below); vowel-quality marks (ă â ê ô ơ ư) stay.
_TONE_MARKS = dict.fromkeys(map(ord, "\u0300\u0301\u0303\u0309\u0323"), None)
# A Vietnamese syllable without its tone: optional initial, a vowel cluster, optional final.
_SYLLABLE = re.compile(
    r"(?:ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|[bcdđghklmnpqrstvx])?[aăâeêioôơuưy]{1,3}(?:ng|nh|ch|[cmnpt])?"
)
_WORD = re.compile(r"[^\W\d_]+")
# Below this many accented words a text is not (mostly) Vietnamese, and the share says nothing.
_MIN_ACCENTED_WORDS = 20
# Real text scores 0.98+, mojibake about 0.25 (see ``vietnamese_share``): a wide margin both ways.
MIN_VIETNAMESE_SHARE = 0.8


def vietnamese_share(text: str) -> float | None:
    """Share of the accented words that are valid Vietnamese syllables; None when too few to judge.

    A PDF whose font has lost its Unicode map (a truncated file, a legacy TCVN3/VNI font) comes out
    as look-alike letters from other scripts ("BAN CHҨP H NH TRUN"); such text is not worth
    indexing. Only accented words are scored: ASCII words are as likely English or an abbreviation
    as Vietnamese, and mojibake keeps plenty of them. Calibrated on the collection: every file scores
    0.98 or more; the first 60 kB of QĐ 294 and HD 06 score 0.24 and 0.25.
    """
    accented = [word for word in _WORD.findall(text) if not word.isascii()]
    if len(accented) < _MIN_ACCENTED_WORDS:
        return None
    valid = 0
    for word in accented:
        decomposed = unicodedata.normalize("NFD", word.lower())
        toneless = unicodedata.normalize("NFC", decomposed.translate(_TONE_MARKS))
        tones = len(decomposed) - len(decomposed.translate(_TONE_MARKS))
        valid += tones <= 1 and _SYLLABLE.fullmatch(toneless) is not None
    return valid / len(accented)
