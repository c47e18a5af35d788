"""HTML pages to lines: one line per leaf block, headings kept as Markdown-style ``#`` lines."""

from __future__ import annotations

import re

from bs4 import BeautifulSoup, Tag

from ingest.textclean import Line, normalize_unicode, squeeze

_NEVER_CONTENT = (
    "script",
    "style",
    "noscript",
    "template",
    "nav",
    "header",
    "footer",
    "aside",
    "form",
    "iframe",
    "svg",
    "button",
    "select",
    "input",
)
# class/id words that sites use for menus, share bars, cookie banners and related-link boxes.
_FURNITURE = re.compile(
    r"(?:^|[-_\s])(?:menu|nav|navbar|breadcrumbs?|footer|header|sidebar|social|share|sharing|cookies?|"
    r"consent|banner|advert|ads|related|comments?|popup|modal|subscribe|newsletter|tags)(?:$|[-_\s])",
    re.IGNORECASE,
)
_BLOCKS = (
    "p",
    "li",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "tr",
    "dt",
    "dd",
    "blockquote",
    "pre",
    "figcaption",
    "caption",
    "div",
    "section",
    "article",
    "main",
    "td",
    "th",
    "ul",
    "ol",
    "table",
)
_HEADINGS = {f"h{level}": level for level in range(1, 7)}


def html_lines(data: bytes) -> list[Line]:
    """Leaf blocks in document order; furniture subtrees are removed before reading any text."""
    soup = BeautifulSoup(data, "lxml")
    for tag in soup.find_all(_NEVER_CONTENT):
        tag.decompose()
    for tag in soup.find_all(_is_furniture):
        tag.decompose()
    root = soup.body or soup
    lines: list[Line] = []
    for block in root.find_all(_BLOCKS):
        if block.find(_BLOCKS) is None:
            lines.append(_block_line(block))
    return lines


def _is_furniture(tag: Tag) -> bool:
    names = " ".join([*tag.get("class", []), tag.get("id", ""), tag.get("role", "")])
    return bool(names.strip()) and bool(_FURNITURE.search(names))


def _block_line(block: Tag) -> Line:
    if block.name == "tr":
        cells = [squeeze(cell.get_text(" ")) for cell in block.find_all(("td", "th"))]
        return Line(" | ".join(cell for cell in cells if cell), hard=True)
    text = squeeze(normalize_unicode(block.get_text(" ")))
    level = _HEADINGS.get(block.name)
    if level:
        return Line(f"{'#' * level} {text}" if text else "", hard=True)
    return Line(f"- {text}" if block.name == "li" else text, ends_paragraph=True)
