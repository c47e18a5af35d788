"""PDF text layer to lines, using the layout to tell wrapped lines from paragraph ends."""

from __future__ import annotations

from collections import Counter

import pymupdf

from ingest.textclean import Line, body_line_indices, normalize_unicode, squeeze

# A line ending within this many average character widths of the right margin was wrapped by the
# layout engine: the next syllable (up to 7 letters plus punctuation and a space) did not fit.
_WRAP_SLACK_CHARS = 10


class PasswordProtectedError(Exception):
    """The PDF opens only with a password: not damaged, and the user can fix it by removing it."""


def pdf_lines(data: bytes) -> list[Line]:
    """Lines of all pages, with page numbers and running headers removed.

    Justified body text fills the line up to the right margin, so a line that stops short of it is
    the last line of a paragraph: a far better signal than line length in a proportional font.
    """
    with pymupdf.open(stream=data, filetype="pdf") as document:
        if document.needs_pass:  # an owner password alone (no user password) still lets us read it
            raise PasswordProtectedError
        if document.page_count == 0:  # MuPDF "repairs" garbage into an empty document
            raise ValueError("no pages")
        pages = [_page_lines(page) for page in document]
    right_margin = _right_margin([x1 for page in pages for _, x1, _ in page])
    kept = body_line_indices([[text for text, _, _ in page] for page in pages])
    return [
        Line(text, ends_paragraph=x1 + _WRAP_SLACK_CHARS * char_width < right_margin)
        for page, indices in zip(pages, kept, strict=True)
        for text, x1, char_width in (page[i] for i in indices)
    ]


def _page_lines(page: pymupdf.Page) -> list[tuple[str, float, float]]:
    """(text, right edge, average character width) per visual line, in reading order."""
    lines: list[tuple[str, float, float]] = []
    for block in page.get_text("dict", sort=False)["blocks"]:
        for line in block.get("lines", ()):
            text = squeeze(normalize_unicode("".join(span["text"] for span in line["spans"])))
            if text:
                x0, _, x1, _ = line["bbox"]
                lines.append((text, x1, (x1 - x0) / len(text)))
    return lines


def _right_margin(right_edges: list[float]) -> float:
    """The most common right edge: where justified body lines end."""
    if not right_edges:
        return 0.0
    return Counter(round(x) for x in right_edges).most_common(1)[0][0]
