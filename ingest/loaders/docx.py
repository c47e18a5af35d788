"""Word documents: body paragraphs and tables in order; Heading styles become ``#`` lines."""

from __future__ import annotations

import io
import re

import docx
from docx.table import Table
from docx.text.paragraph import Paragraph

from ingest.textclean import Line, normalize_unicode, squeeze

_HEADING_STYLE = re.compile(r"^(?:Heading|Title)\s*(\d?)", re.IGNORECASE)


def docx_lines(data: bytes) -> list[Line]:
    document = docx.Document(io.BytesIO(data))
    lines: list[Line] = []
    for item in document.iter_inner_content():
        if isinstance(item, Table):
            lines.extend(_table_lines(item))
        else:
            lines.append(_paragraph_line(item))
    return lines


def _paragraph_line(paragraph: Paragraph) -> Line:
    """Each Word paragraph is a paragraph; only its style says whether it is a heading."""
    text = squeeze(normalize_unicode(paragraph.text))
    style = _HEADING_STYLE.match(paragraph.style.name if paragraph.style is not None else "")
    if style and text:
        return Line(f"{'#' * int(style.group(1) or 1)} {text}", hard=True)
    return Line(text, ends_paragraph=True)


def _table_lines(table: Table) -> list[Line]:
    lines = []
    for row in table.rows:
        cells = dict.fromkeys(squeeze(normalize_unicode(cell.text)) for cell in row.cells)  # merged cells repeat
        lines.append(Line(" | ".join(cell for cell in cells if cell), hard=True))
    return lines
