"""Markdown (mostly HTML converted by crawlers) to plain lines, keeping ATX headings as structure."""

from __future__ import annotations

import html
import re

from ingest.textclean import Line, normalize_unicode

_HEADING = re.compile(r"^\s{0,3}(#{1,6})\s*(.*?)\s*#*\s*$")
_RULE = re.compile(r"^\s{0,3}(?:[-*_]\s*){3,}$")
_TABLE_SEPARATOR = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(?:\|\s*:?-{3,}:?\s*)*\|?\s*$")
_LIST_STAR = re.compile(r"^(\s*)[*+]\s+")
_INLINE = [
    (re.compile(r"!\[[^\]]*\]\((?:[^()]|\([^)]*\))*\)"), ""),  # images
    (re.compile(r"\[([^\]]*)\]\((?:[^()]|\([^)]*\))*\)"), r"\1"),  # inline links
    (re.compile(r"\[([^\]]+)\]\[[^\]]*\]"), r"\1"),  # reference links
    (re.compile(r"<(?:https?://|mailto:)[^>]*>"), ""),  # autolinks
    (re.compile(r"</?[a-zA-Z][^<>]*>"), ""),  # inline HTML tags
    (re.compile(r"`+"), ""),  # code spans
    (re.compile(r"\\([\\`*_{}\[\]()#+\-.!|])"), r"\1"),  # escapes
]
# Converters drop the paragraph break before a bold numbered point ("như sau:**1. Cơ bản…"), and
# glue adjacent bold runs ("**KẾT LUẬN****CỦA BỘ…").
_GLUED_POINT = re.compile(r"(?<=\S)\*\*(?=\d{1,2}\.\s)")
_ADJACENT_BOLD = re.compile(r"\*{4,}")


def markdown_lines(data: bytes) -> list[Line]:
    """One ``Line`` per source line; blank lines, rules and lone table pipes end paragraphs."""
    text = normalize_unicode(data.decode("utf-8-sig"))
    text = _ADJACENT_BOLD.sub(" ", _GLUED_POINT.sub("\n**", text))
    return [_convert(raw) for raw in text.split("\n")]


def _convert(raw: str) -> Line:
    heading = _HEADING.match(raw)
    if heading:
        title = _plain(heading.group(2))
        return Line(f"{heading.group(1)} {title}" if title else "", hard=True)
    if _RULE.match(raw) or _TABLE_SEPARATOR.match(raw):
        return Line("")
    stripped = raw.strip()
    if stripped.startswith("|") or stripped.endswith("|"):
        cells = [_plain(cell) for cell in stripped.strip("|").split("|")]
        return Line(" | ".join(cell for cell in cells if cell), hard=True)
    emphasised_alone = len(stripped) > 2 and stripped[0] in "*_" and stripped[-1] in "*_"
    return Line(_plain(_LIST_STAR.sub(r"\1- ", raw.lstrip(">").strip())), hard=emphasised_alone)


def _plain(fragment: str) -> str:
    """Inline Markdown to the text a reader sees; emphasis carries no meaning for retrieval."""
    for pattern, replacement in _INLINE:
        fragment = pattern.sub(replacement, fragment)
    return html.unescape(fragment.replace("**", "").replace("*", "").replace("__", "")).strip()
