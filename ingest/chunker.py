"""Split a document along its own hierarchy so each chunk is a citable unit with a heading path.

Party documents are cited by point ("điểm 4.3.1 Quy định 294"), so a chunk boundary falls on a
point boundary wherever possible, and each chunk carries the path of headings above it. Points are
only split when they exceed the embedding budget, and then only between sentences.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import pairwise

from ingest.sentences import sentence_spans
from ingest.types import Chunk, HeadingNode, LoadedDocument

PATH_SEPARATOR = " > "
# Heading ranks: a new heading closes every open heading of equal or greater rank.
_RANK_TITLE = 0  # "# Title" of a Markdown page: the document title, not part of the path
_RANK_MARKDOWN = 1  # "## …" .. "###### …" -> 1..5
_RANK_PART, _RANK_CHAPTER, _RANK_SECTION, _RANK_ROMAN, _RANK_ARTICLE = 10, 11, 12, 13, 14
_RANK_NUMBERED = 15  # + depth - 1
_PROTECTED_DEPTH = 3  # x.y.z. points always start their own chunk: they are what users cite
# A heading line longer than this is a rule, not a title; a line ending in a full stop reads as a
# sentence sooner ("2.4. Đảng viên được … chính đáng.") than a bare title does.
_SHORT_HEADING_WORDS = 16
_SHORT_SENTENCE_WORDS = 10
_LABEL_PREFIX_WORDS = 5  # "Điều 4: …", "(Khoản 3): …", "Bước 1: …" -> the part before the colon

_ATX = re.compile(r"^(#{1,6})\s+(.+)$")
_PART = re.compile(r"^(PHẦN|Phần)\s+((?:THỨ|thứ)\s+\S+|[IVXLC\d]+)\b\.?\s*(.*)$")
_CHAPTER = re.compile(r"^(Chương|CHƯƠNG)\s+([IVXLC\d]+)\b\.?\s*(.*)$")
_SECTION = re.compile(r"^(Mục|MỤC)\s+(\d+)\b\.?\s*(.*)$")
_ARTICLE = re.compile(r"^(Điều)\s+(\d+)\s*[.:]\s*(.*)$")
_ROMAN = re.compile(r"^([IVXLC]{1,6})\s*([.\-–])\s+(.*)$")
_NUMBERED = re.compile(r"^(\d{1,3}(?:\.\d{1,3})*)\.\s+(.*)$|^(\d{1,3}(?:\.\d{1,3})+)\s+(.*)$")
_CLOSING = re.compile(r"^Nơi\s+nhận\s*:?")


@dataclass(frozen=True)
class _Heading:
    rank: int
    label: str
    numbers: tuple[int, ...] = ()


@dataclass
class _Node:
    """A heading line plus the body lines up to the next heading."""

    start: int
    end: int
    path: tuple[str, ...]
    protected: bool


@dataclass
class _Piece:
    start: int
    end: int
    path: tuple[str, ...]
    protected: bool
    continuation: bool  # a later piece of an oversized node: it starts mid-point, so never merged
    tokens: int


@dataclass
class _Group:
    pieces: list[_Piece] = field(default_factory=list)


def chunk_id(source: str, section: str, text: str) -> str:
    """Stable across runs and machines, so re-ingest can reuse unchanged chunks' embeddings."""
    digest = hashlib.sha256("\x1f".join((source, section, text)).encode("utf-8"))
    return digest.hexdigest()[:32]


def chunk_document(
    doc: LoadedDocument, count_tokens: Callable[[str], int], max_tokens: int = 320, min_tokens: int = 40
) -> list[Chunk]:
    """Chunks along the document's headings; every chunk's text is ``doc.text[start:end]``."""
    text = doc.text
    cache: dict[tuple[int, int], int] = {}

    def tokens(start: int, end: int) -> int:
        if (start, end) not in cache:
            cache[(start, end)] = count_tokens(text[start:end])
        return cache[(start, end)]

    pieces = [piece for node in _nodes(text) for piece in _split_node(text, node, tokens, max_tokens)]
    groups = _merge(pieces, tokens, max_tokens, min_tokens)
    chunks: list[Chunk] = []
    for ordinal, group in enumerate(groups):
        start, end = group.pieces[0].start, group.pieces[-1].end
        section = PATH_SEPARATOR.join(_group_path(group)) or doc.meta.title
        body = text[start:end]
        chunks.append(
            Chunk(chunk_id(doc.meta.source, section, body), doc.meta.source, section, body, start, end, ordinal)
        )
    return chunks


def heading_tree(doc: LoadedDocument) -> list[HeadingNode]:
    """Every heading node in document order, with the same paths ``chunk_document`` cites.

    Ingest stores it with the document, so work that needs the whole structure (course outlines)
    reads it instead of chunking again; merged or split chunks no longer show where nodes begin.
    """
    return [HeadingNode(node.path or (doc.meta.title,), node.start, node.end) for node in _nodes(doc.text)]


def _lines(text: str) -> list[tuple[int, int]]:
    """(start, end) of each non-empty line; loaders guarantee one paragraph per line."""
    spans, start = [], 0
    for line in text.split("\n"):
        if line.strip():
            spans.append((start, start + len(line)))
        start += len(line) + 1
    return spans


def _nodes(text: str) -> list[_Node]:
    lines = _lines(text)
    stack: list[_Heading] = []
    nodes: list[_Node] = []
    for index, (start, end) in enumerate(lines):
        following = text[lines[index + 1][0] : lines[index + 1][1]] if index + 1 < len(lines) else ""
        heading = _classify(text[start:end], following, _numbering(stack))
        if heading is None and nodes:
            nodes[-1].end = end
            continue
        if heading is not None:
            while stack and stack[-1].rank >= heading.rank:
                stack.pop()
            stack.append(heading)
        path = tuple(h.label for h in stack if h.rank != _RANK_TITLE)
        protected = heading is not None and len(heading.numbers) >= _PROTECTED_DEPTH
        nodes.append(_Node(start, end, path, protected))
    return nodes


def _numbering(stack: list[_Heading]) -> tuple[int, ...]:
    """Number of the innermost open numbered point, e.g. (4, 3, 1)."""
    return next((h.numbers for h in reversed(stack) if h.numbers), ())


def _classify(line: str, following: str, numbering: tuple[int, ...]) -> _Heading | None:
    """The heading a line opens, or None for body text (including a)/b) items and bullets)."""
    if match := _ATX.match(line):
        level = len(match.group(1))
        rank = _RANK_TITLE if level == 1 else _RANK_MARKDOWN + level - 2
        return _Heading(rank, _clip(match.group(2)))
    if match := _NUMBERED.match(line):
        number, rest = (match.group(1), match.group(2)) if match.group(1) else (match.group(3), match.group(4))
        numbers = tuple(int(n) for n in number.split("."))
        if not _continues(numbers, numbering):
            return None  # "1. …" inside a list, or a number quoted at a line start
        return _Heading(_RANK_NUMBERED + len(numbers) - 1, _label(f"{number}.", rest), numbers)
    for pattern, rank in ((_PART, _RANK_PART), (_CHAPTER, _RANK_CHAPTER), (_SECTION, _RANK_SECTION)):
        if match := pattern.match(line):
            title = match.group(3) or (following if _is_caption(following) else "")
            return _Heading(rank, _label(f"{match.group(1)} {match.group(2)}", title))
    if match := _ARTICLE.match(line):
        return _Heading(_RANK_ARTICLE, _label(f"Điều {match.group(2)}", match.group(3)))
    if match := _ROMAN.match(line):
        return _Heading(_RANK_ROMAN, _label(f"{match.group(1)}{match.group(2)}", match.group(3)))
    if _CLOSING.match(line):
        return _Heading(_RANK_PART, "Nơi nhận")
    if _is_question_heading(line):
        return _Heading(_RANK_MARKDOWN, _clip(line))
    return None


def _continues(numbers: tuple[int, ...], current: tuple[int, ...]) -> bool:
    """Whether a point number fits the numbering so far: first child, next sibling, or an uncle.

    Body text can start with a number ("1. Lê Minh Hưng - …" in a list of names); only a number
    that continues the document's own numbering opens a point. One skipped number is tolerated.
    """
    if not current:
        return True
    depth = len(numbers)
    if depth == len(current) + 1:
        return numbers[:-1] == current and numbers[-1] <= 2
    if depth > len(current):
        return False
    return numbers[:-1] == current[: depth - 1] and current[depth - 1] < numbers[-1] <= current[depth - 1] + 2


def _label(marker: str, rest: str) -> str:
    """Marker plus the heading's short text; a point whose line is a full rule is just its number."""
    rest = rest.strip()
    head, colon, _ = rest.partition(":")
    if colon and head and len(head.split()) <= _LABEL_PREFIX_WORDS:
        return f"{marker} {head.strip()}"
    limit = _SHORT_SENTENCE_WORDS if rest.endswith(".") else _SHORT_HEADING_WORDS
    if not rest or rest.endswith((":", ";", ",")) or len(rest.split()) > limit:
        return marker
    return f"{marker} {_clip(rest.rstrip('.'))}"


def _clip(text: str, limit: int = 100) -> str:
    text = text.strip()
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0] + "…"


def _is_caption(line: str) -> bool:
    """The upper-case title printed on the line under "Chương I"."""
    return line.isupper() and len(line.split()) <= _SHORT_HEADING_WORDS


def _is_question_heading(line: str) -> bool:
    """Explainer sites head each answer with the question as its own paragraph."""
    return line.endswith("?") and len(line.split()) <= 40 and not line.startswith(("-", "+", "•"))


def _split_node(text: str, node: _Node, tokens: Callable[[int, int], int], max_tokens: int) -> list[_Piece]:
    """The node whole if it fits, else greedy runs of lines, and of sentences inside long lines."""
    total = tokens(node.start, node.end)
    if total <= max_tokens:
        return [_Piece(node.start, node.end, node.path, node.protected, False, total)]
    units: list[tuple[int, int]] = []
    for start, end in _lines(text[node.start : node.end]):
        span = (node.start + start, node.start + end)
        units.extend(sentence_spans(text, *span, layout=True) if tokens(*span) > max_tokens else [span])
    runs = _pack(units, tokens, max_tokens)
    return [
        _Piece(start, end, node.path, node.protected and i == 0, i > 0, tokens(start, end))
        for i, (start, end) in enumerate(runs)
    ]


def _pack(units: list[tuple[int, int]], tokens: Callable[[int, int], int], max_tokens: int) -> list[tuple[int, int]]:
    """Greedy runs of consecutive units up to the budget; a lone oversized unit stays whole."""
    runs: list[tuple[int, int]] = []
    for start, end in units:
        if runs and tokens(runs[-1][0], end) <= max_tokens:
            runs[-1] = (runs[-1][0], end)
        else:
            runs.append((start, end))
    return runs


def _merge(pieces: list[_Piece], tokens: Callable[[int, int], int], max_tokens: int, min_tokens: int) -> list[_Group]:
    """Merge tiny pieces into their neighbour when they share a parent (or the neighbour is their
    own heading), never across a protected point and never past the budget."""
    groups: list[_Group] = []
    for piece in pieces:
        current = groups[-1] if groups else None
        if current is not None and _mergeable(current, piece, tokens, max_tokens, min_tokens):
            current.pieces.append(piece)
        else:
            groups.append(_Group([piece]))
    return groups


def _mergeable(
    group: _Group, piece: _Piece, tokens: Callable[[int, int], int], max_tokens: int, min_tokens: int
) -> bool:
    if piece.protected or piece.continuation:
        return False
    if not all(_related(p.path, piece.path) for p in group.pieces):
        return False
    group_tokens = tokens(group.pieces[0].start, group.pieces[-1].end)
    if group_tokens >= min_tokens and piece.tokens >= min_tokens:
        return False
    return tokens(group.pieces[0].start, piece.end) <= max_tokens


def _related(earlier: tuple[str, ...], later: tuple[str, ...]) -> bool:
    """Same parent, or ``earlier`` is a heading above ``later``. The untitled preamble (empty path)
    is related to nothing: merging it would cite the preamble under the first point's path."""
    if not earlier:
        return False
    siblings = len(earlier) == len(later) and earlier[:-1] == later[:-1]
    return siblings or _is_prefix(earlier, later)


def _is_prefix(prefix: tuple[str, ...], path: tuple[str, ...]) -> bool:
    return path[: len(prefix)] == prefix


def _group_path(group: _Group) -> tuple[str, ...]:
    """A heading followed by its first child is cited by the child; siblings by their parent."""
    paths = [p.path for p in group.pieces]
    if all(_is_prefix(a, b) for a, b in pairwise(paths)):
        return paths[-1]
    common: list[str] = []
    for parts in zip(*paths, strict=False):
        if len(set(parts)) > 1:
            break
        common.append(parts[0])
    return tuple(common) or paths[0]
