"""How document text and dates are shown to people, shared by the chat UI and the course export."""

from __future__ import annotations

import re

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]<>#|~])")
_LIST_START = re.compile(r"^(\s*\d*)([.)+-])")  # "4. Điều 5" must not become a numbered list


def escape_markdown(text: str, block_start: bool = True) -> str:
    """Document text as literal Markdown: legal numbering and brackets must not become markup.

    ``block_start=False`` for text that cannot open a list (a heading's, after its "#"s), so
    "3. Thủ tục …" stays readable in the file.
    """
    escaped = _MARKDOWN_SPECIAL.sub(r"\\\1", text)
    return _LIST_START.sub(r"\1\\\2", escaped, count=1) if block_start else escaped


def format_date(date: str, language: str) -> str:
    """Vietnamese readers expect day/month/year; ISO stays for English and for partial dates."""
    if language != "en" and re.fullmatch(r"\d{4}-\d{2}-\d{2}", date):
        year, month, day = date.split("-")
        return f"{day}/{month}/{year}"
    return date
