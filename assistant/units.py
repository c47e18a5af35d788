"""A passage read as its own structure, and the units an answer may quote from it.

A passage is a whole section: numbered headings, "a)" points, "-" items, "Bước n:" steps. A line
that opens a list (a heading, or a line ending in ":") owns the deeper lines after it. The units
are every sentence that states something (not a heading, a question, a legal basis or a
letterhead) and every list with its opening line. Its own module because reading a passage's
shape is independent of any question: ``assistant.evidence`` scores these units against one, and
the exam decision reads point markers with the same rules.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from assistant.abbreviations import spelt_out
from assistant.support import split_sentences
from ingest.vitokens import segment

# A line's list marker and the depth it implies: lower opens, higher belongs.
_MARKERS: tuple[tuple[re.Pattern[str], Callable[[re.Match[str]], int]], ...] = (
    (re.compile(r"^(?:PHẦN|Phần|Chương|CHƯƠNG)\s+\w+"), lambda m: 0),
    (re.compile(r"^[IVXLC]+[.\-]\s"), lambda m: 1),
    (re.compile(r"^Điều\s+\d+"), lambda m: 2),
    (re.compile(r"^(\d{1,2}(?:\.\d{1,2})*)\.?\s"), lambda m: 2 + m.group(1).count(".") + 1),
    (re.compile(r"^[a-zđ]\)\s"), lambda m: 8),
    (re.compile(r"^\((?:\d{1,2}|[a-zđ])\)\s"), lambda m: 8),  # "(1) Điều lệ Đảng, …" in articles
    (re.compile(r"^Bước\s+\d+", re.IGNORECASE), lambda m: 8),
    (re.compile(r"^[-–•*]\s*"), lambda m: 9),
    (re.compile(r"^\+\s*"), lambda m: 10),
)
_NUMBERED_PARAGRAPH = re.compile(r"^\d{3,}")  # "2025 ..." is a year, not an item number
MIN_WORDS = 4  # shorter lines are labels, not rules
# Numbered lines with no number or listed verb after the marker, in the default collection: up to
# ~24 words they are still headings ("Về thời hạn tổ chức lễ kết nạp đảng viên, xét công nhận …",
# 23); beyond, rules whose verbs the short predicate list lacks (700 such lines, sampled by band).
HEADING_MAX_WORDS = 25
# A numbered heading ("4.1. (Khoản 1): Thời hạn tổ chức lễ kết nạp.") shares the question's words
# but states no rule, so it is never quoted as an answer.
POINT_MARKER = re.compile(
    r"^\s*(?:(?:\d+\.)+\d*|[IVXLC]+[.\-]|Điều\s+\d+[.:]?|Chương\s+[IVXLC\d]+|Mục\s+\d+|Phần\s+\w+|[a-zđ]\))"
    r"\s*(?:\((?:Khoản|Điểm)\s+\w+\)\s*)?:?\s*(?:Điều\s+\d+\s*:?)?",
    re.IGNORECASE,
)
# Headings are noun phrases ("Thời hạn, thẩm quyền quyết định kết nạp …"); a rule has a predicate.
_PREDICATE = re.compile(r"\b(?:phải|được|không|là|có|do|thì|sẽ|cần|chỉ|gồm|must|shall|may)\b", re.IGNORECASE)
MAX_LIST_ITEMS = 12
MAX_LIST_CHARS = 1600


@dataclass
class Line:
    text: str
    level: int | None  # None: a plain paragraph line


@dataclass
class Unit:
    """What an answer quotes from one passage: a sentence, or a list under its opening line."""

    passage_rank: int
    lead: str
    items: list[str] = field(default_factory=list)  # list items in document order, nested ones indented
    more: int = 0  # items of the list left out by the length budget
    score: float = 0.0
    tokens: frozenset[str] = frozenset()  # of the whole unit (a list: its opening line and every item)
    lead_tokens: frozenset[str] = frozenset()  # of the lead alone (a sentence: the same as ``tokens``)

    @property
    def is_list(self) -> bool:
        return bool(self.items)

    def claims(self) -> list[str]:
        return [self.lead, *(item.strip() for item in self.items)]

    def text(self) -> str:
        return "\n".join([self.lead, *self.items])


def parse_lines(text: str) -> list[Line]:
    """The passage's lines with the depth their list markers imply."""
    return [Line(raw.strip(), _level(raw.strip())) for raw in text.splitlines() if raw.strip()]


def _level(line: str) -> int | None:
    marked = _list_marker(line)
    return marked[1](marked[0]) if marked else None


def _list_marker(line: str) -> tuple[re.Match[str], Callable[[re.Match[str]], int]] | None:
    if _NUMBERED_PARAGRAPH.match(line):
        return None
    for pattern, depth in _MARKERS:
        match = pattern.match(line)
        if match:
            return match, depth
    return None


def strip_marker(line: str) -> str:
    """The line without its list marker ("3.5.4.", "a)", "(2)", "-"): a point's numbering is
    not a number the rule states."""
    marked = _list_marker(line)
    return line[marked[0].end() :] if marked else line


def _opens_list(line: Line) -> bool:
    return line.text.rstrip().endswith(":") or (line.level is not None and is_heading(line.text))


def list_blocks(lines: Sequence[Line]) -> list[tuple[int, list[tuple[int, int]]]]:
    """(opening line, [(first, last) line of each top-level item]) for every list in the passage.

    An opening line owns the following lines that are deeper than it (a plain opening line: the
    following marked lines); the shallowest of those are the items, the deeper ones their details.
    """
    blocks = []
    for i, line in enumerate(lines):
        if not _opens_list(line):
            continue
        end = i + 1
        while end < len(lines) and _belongs(lines[end], line, lines[end - 1]):
            end += 1
        marked = [lines[j].level for j in range(i + 1, end) if lines[j].level is not None]
        if len(marked) < 2 and end - i - 1 < 2:
            continue
        top = min(marked) if marked else None
        starts = [j for j in range(i + 1, end) if lines[j].level == top]
        if len(starts) < 2:
            continue
        items = [(s, (starts[k + 1] if k + 1 < len(starts) else end) - 1) for k, s in enumerate(starts)]
        blocks.append((i, items))
    return blocks


def _belongs(line: Line, opener: Line, previous: Line) -> bool:
    if opener.level is None:  # "... như sau:" owns the marked lines after it
        return line.level is not None
    if line.level is None:  # a plain line continues the item above it
        return previous.level is not None and previous.level > opener.level
    return line.level > opener.level


def unit_tokens(text: str) -> frozenset[str]:
    """The words of ``text``, with the words its abbreviations stand for ("CNĐVCT": công nhận …)."""
    return frozenset(segment(" ".join([text, *spelt_out(text)])))


def passage_units(rank: int, text: str) -> list[Unit]:
    """Every sentence of the passage that states something, and every list with its opening line.

    Each line is segmented once (segmentation is most of the selection's time): a one-sentence
    line and a list's opening line reuse its tokens, a list's tokens are the union of its lines'.
    """
    lines = parse_lines(text)
    line_tokens = [unit_tokens(line.text) for line in lines]
    units: list[Unit] = []
    for line, tokens in zip(lines, line_tokens, strict=True):
        sentences = split_sentences(line.text)
        for sentence in sentences:
            # A question ("… phải trải qua thời kỳ dự bị bao lâu?", an article's heading) asks, it
            # does not state: quoting it as evidence would answer a question with itself.
            if (
                len(sentence.split()) >= MIN_WORDS
                and not is_heading(sentence)
                and not sentence.endswith("?")
                and not _BASIS.match(sentence)
                and not _is_letterhead(sentence)
            ):
                own = tokens if len(sentences) == 1 else unit_tokens(sentence)
                units.append(Unit(rank, sentence, tokens=own, lead_tokens=own))
    for opener, items in list_blocks(lines):
        rendered: list[str] = []
        chars = 0
        for first, last in items:
            body = [lines[first].text, *(f"  {lines[j].text}" for j in range(first + 1, last + 1))]
            size = sum(len(b) for b in body)
            if rendered and (len(rendered) >= MAX_LIST_ITEMS or chars + size > MAX_LIST_CHARS):
                break
            rendered.append("\n".join(body))
            chars += size
        whole = line_tokens[opener].union(*(line_tokens[j] for f, la in items for j in range(f, la + 1)))
        more = len(items) - len(rendered)
        units.append(Unit(rank, lines[opener].text, rendered, more, tokens=whole, lead_tokens=line_tokens[opener]))
    return units


# A document's preamble gives its legal basis ("Căn cứ Điều lệ Đảng", "Xét Tờ trình của Bộ Chính trị",
# "Thực hiện Quy định số 02-QĐ/TU"): it names other documents, it states no rule of its own.
_BASIS = re.compile(
    r"\s*[-–•]?\s*(?:căn\s+cứ\b|xét\s+(?:tờ\s+trình|đề\s+nghị|báo\s+cáo)\b|thực\s+hiện\s+"
    r"(?:quy\s+định|quyết\s+định|nghị\s+quyết|chỉ\s+thị|kết\s+luận|hướng\s+dẫn|công\s+văn)\s+số\b)",
    re.IGNORECASE,
)


# The place and date a document was signed ("Hà Nội, ngày 26 tháng 5 năm 2025").
_SIGNED_ON = re.compile(r"^[^\W\d_][\w\s]*,\s*ngày\s+\d{1,2}\s+tháng\s+\d{1,2}\s+năm\s+\d{4}\s*$", re.IGNORECASE)


def _is_letterhead(sentence: str) -> bool:
    """A title or issuer line in capitals ("BAN CHẤP HÀNH TRUNG ƯƠNG"), or the place and date of
    signing: the letterhead of a document, which names it and states nothing."""
    letters = [ch for ch in sentence if ch.isalpha()]
    return (bool(letters) and all(ch.isupper() for ch in letters)) or bool(_SIGNED_ON.match(sentence.strip()))


def is_heading(sentence: str) -> bool:
    """A numbered line that names a topic instead of stating a rule: short, no number, no predicate.

    Length matters because the predicate list is short: "31.1. Đảng phí: Đảng viên đóng đảng phí
    trên cơ sở tiền lương …" (36 words) has none of its verbs, yet is the rule itself.
    """
    if sentence.lstrip().startswith("#"):  # a Markdown heading is a title, whatever it contains
        return True
    marker = POINT_MARKER.match(sentence)
    if not marker:
        return False
    rest = sentence[marker.end() :]
    short = len(rest.split()) <= HEADING_MAX_WORDS
    return short and not any(ch.isdigit() for ch in rest) and not _PREDICATE.search(rest)
