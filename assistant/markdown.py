"""Markdown from a list of blocks: the one writer for the Markdown files the project produces.

The course export (a trainer's lesson) and the eval report (committed beside its results) each
build their document as blocks, so that their second format (.docx, HTML) can never disagree with
the Markdown; both render the Markdown here, so they agree on spacing, headings and tables too.
Text is written as given: escaping document text (``assistant.display.escape_markdown``) and
inline marks (bold labels, [n] citations) are the caller's, since only the caller knows which text
is literal.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

MAX_HEADING_LEVEL = 6  # Markdown has six; deeper headings are written at the sixth

Cell = str | list[str]  # a table cell: one line, or lines shown one under another


@dataclass(frozen=True)
class Heading:
    level: int
    text: str


@dataclass(frozen=True)
class Paragraph:
    text: str


@dataclass(frozen=True)
class Item:
    """A list item; consecutive items form one list. ``marker`` "1." numbers it."""

    text: str
    marker: str = "-"


@dataclass(frozen=True)
class Table:
    headers: list[str]
    rows: list[list[Cell]]


@dataclass(frozen=True)
class Image:
    file: str  # relative to the document
    alt: str


Block = Heading | Paragraph | Item | Table | Image


def to_markdown(blocks: Sequence[Block]) -> str:
    """The document: a blank line between blocks, a line break between items of one list."""
    out: list[str] = []
    for i, block in enumerate(blocks):
        if i:
            out.append("\n" if isinstance(block, Item) and isinstance(blocks[i - 1], Item) else "\n\n")
        out.append(_block(block))
    return "".join(out) + "\n"


def _block(block: Block) -> str:
    if isinstance(block, Heading):
        return f"{'#' * min(block.level, MAX_HEADING_LEVEL)} {block.text}"
    if isinstance(block, Paragraph):
        return block.text
    if isinstance(block, Item):
        return f"{block.marker} {block.text}"
    if isinstance(block, Table):
        lines = ["| " + " | ".join(block.headers) + " |", "|" + "---|" * len(block.headers)]
        lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in block.rows]
        return "\n".join(lines)
    return f"![{block.alt}]({block.file})"


def _cell(cell: Cell) -> str:
    """One table cell on one line: its lines joined by <br>, white space folded, pipes escaped."""
    lines = cell if isinstance(cell, list) else [cell]
    return "<br>".join(" ".join(line.split()).replace("|", "\\|") for line in lines)
