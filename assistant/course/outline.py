"""The lesson's outline: every heading under the chosen sections, in document order, each labelled so
a trainer can tell what it covers.

Kept apart from selection because it answers a different question: selection decides *which*
sections a topic is about, by retrieval evidence; the outline reads those sections' own heading
tree and decides only how each heading is shown (its label, or its title line when the label is a
bare number).
"""

from __future__ import annotations

from collections.abc import Sequence

from assistant.course.material import Document, group_key
from assistant.course.model import OutlineSection
from assistant.course.selection import Group


def lesson_outline(documents: dict[str, Document], groups: Sequence[Group], title_words: int) -> list[OutlineSection]:
    """Per document (best first), the chosen groups' headings in document order; a node's first
    line shorter than ``title_words`` is its title."""
    nodes = [
        (source, path, start, end)
        for source, document in documents.items()
        for path, start, end in document.headings
        if (source, group_key(path)) in groups
    ]
    outline = []
    for i, (source, path, start, end) in enumerate(nodes):
        has_children = i + 1 < len(nodes) and _is_under(nodes[i + 1][1], path)
        title = _title_line(documents[source].text[start:end], has_children, title_words)
        outline.append(OutlineSection(source, path, _heading(path, title), start, end, len(title)))
    return outline


def _is_under(path: tuple[str, ...], parent: tuple[str, ...]) -> bool:
    return len(path) > len(parent) and path[: len(parent)] == parent


def _title_line(node: str, has_children: bool, title_words: int) -> str:
    """The node's first line when it is a heading rather than a rule, else "".

    A lone line over sub-points is a heading even when it is a sentence ("3.5. Về kết nạp lại người
    vào Đảng."); a first line followed by a body is one when it is short or lacks a full stop.
    """
    first, newline, _ = node.partition("\n")
    if not newline:
        return first if has_children else ""
    return first if len(first.split()) < title_words or not first.rstrip().endswith(".") else ""


def _heading(path: tuple[str, ...], title: str) -> str:
    """The chunker's label when it names the point ("3.3. Lý lịch của người vào Đảng"); else the
    title line, since a bare "3.5." tells a trainer nothing; a node opening with a rule keeps its
    label ("3.2.1."), the rule itself being the key point right under it."""
    label = path[-1]
    named = label.partition(" ")[2]
    if (len(named.split()) >= 3 and not named.startswith("(")) or not title:
        return label
    return title if len(title) <= 140 else title[:140].rsplit(" ", 1)[0] + "…"
