"""Plain text: paragraphs are separated by blank lines; single line breaks may be wrapping."""

from __future__ import annotations

from ingest.textclean import Line, normalize_unicode


def text_lines(data: bytes) -> list[Line]:
    return [Line(line) for line in normalize_unicode(data.decode("utf-8-sig")).split("\n")]
