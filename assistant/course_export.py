"""Course material as Markdown or Word: what a trainer edits into a lesson and hands out.

Both formats are rendered from one list of blocks (heading, paragraph, bullet, option, numbered
item), so the Markdown preview in the UI and the .docx a trainer downloads can never disagree on
content or citation numbers; the Markdown is written by ``assistant.markdown``, as the eval report
is. The answer key sits in its own section at the very end, so the quiz pages can be printed for
learners without it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from docx import Document
from docx.shared import Pt

from assistant import markdown
from assistant.course import OPTIONS, Course, KeyPoint, OutlineSection
from assistant.display import escape_markdown, format_date
from assistant.types import Citation
from ingest.types import DocumentMeta

BlockKind = Literal["heading", "paragraph", "bullet", "option", "numbered"]

HEADINGS = {
    "documents": "Văn bản sử dụng / Documents",
    "outline": "Dàn ý và ý chính / Outline and key points",
    "glossary": "Thuật ngữ / Glossary",
    "quiz": "Câu hỏi trắc nghiệm / Quiz",
    "sources": "Nguồn trích dẫn / Sources",
    "answers": "Đáp án / Answer key",
}
_INTRO = (
    "Bản nháp soạn tự động từ bộ văn bản: mỗi ý chính và mỗi đáp án đều trích từ văn bản và dẫn nguồn [n]; "
    "người soạn bài cần đọc lại trước khi giảng. / Automatic first draft: every key point and answer is "
    "taken from the documents and cited [n]; review before teaching."
)
_MODE = {
    "extractive": "Chế độ: trích nguyên văn / Mode: verbatim",
    "generative": "Chế độ: diễn đạt lại, đã kiểm tra căn cứ / Mode: rewritten, support-checked",
}
_QUESTION = "Chọn phương án đúng điền vào chỗ trống"
_MAX_DOCX_LEVEL = 9


@dataclass(frozen=True)
class Block:
    """One paragraph of the export, as plain text; each format escapes and styles it itself."""

    kind: BlockKind
    text: str
    label: str = ""  # shown in bold before the text ("Câu 1.", "A.", a glossary term)
    level: int = 0  # heading level, 1 = the title
    cite: int = 0  # citation marker [n] after the text, 0 for none


def write_course(course: Course, path: Path | str) -> Path:
    """Write ``course`` as Markdown or Word, chosen by the file suffix."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".md":
        path.write_text(course_markdown(course), encoding="utf-8")
    elif suffix == ".docx":
        write_docx(course, path)
    else:
        raise ValueError(f"{path}: chỉ hỗ trợ .md hoặc .docx / only .md or .docx output is supported")
    return path


def course_markdown(course: Course) -> str:
    text = markdown.to_markdown([_markdown_block(block) for block in course_blocks(course)])
    # A topic or quoted text may hold blank lines of its own; the lesson never shows more than one.
    return re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"


def write_docx(course: Course, path: Path) -> None:
    document = Document()
    document.core_properties.title = f"Bài giảng: {course.topic}"
    for block in course_blocks(course):
        text = f"{block.text} [{block.cite}]" if block.cite else block.text
        if block.kind == "heading":
            document.add_heading(text, level=min(block.level - 1, _MAX_DOCX_LEVEL))
            continue
        paragraph = document.add_paragraph(style="List Bullet" if block.kind == "bullet" else None)
        if block.kind == "option":
            paragraph.paragraph_format.left_indent = Pt(24)
        if block.label:
            paragraph.add_run(f"{block.label} ").bold = True
        paragraph.add_run(text)
    document.save(str(path))


def _markdown_block(block: Block) -> markdown.Block:
    """The block for the shared Markdown writer, its text escaped and its label and citation marked."""
    text = escape_markdown(block.text, block_start=block.kind != "heading") + (f" [{block.cite}]" if block.cite else "")
    if block.kind == "heading":
        return markdown.Heading(block.level, text)
    if block.kind == "numbered":
        return markdown.Item(text, marker=block.label)
    if block.label:
        text = f"**{escape_markdown(block.label)}** {text}"
    return markdown.Item(text) if block.kind in ("bullet", "option") else markdown.Paragraph(text)


# --- the shared structure -------------------------------------------------------------------------
def course_blocks(course: Course) -> list[Block]:
    """The whole export in reading order."""
    return [
        Block("heading", f"Bài giảng: {course.topic}", level=1),
        Block("paragraph", _INTRO),
        Block("paragraph", _MODE[course.mode]),
        *(Block("paragraph", note) for note in course.notes),
        *_documents(course.documents),
        *_outline(course),
        *_glossary(course),
        *_quiz(course),
        *_sources(course.citations),
        *_answers(course),
    ]


def _documents(documents: list[DocumentMeta]) -> Iterator[Block]:
    yield Block("heading", HEADINGS["documents"], level=2)
    for meta in documents:
        yield Block("bullet", _document_name(meta))


def _outline(course: Course) -> Iterator[Block]:
    """Each document's headings in order, with the key points of a heading right under it."""
    yield Block("heading", HEADINGS["outline"], level=2)
    points: dict[int, list[KeyPoint]] = {}
    for point in course.key_points:
        points.setdefault(point.section, []).append(point)
    source = ""
    for i, section in enumerate(course.outline):
        if section.source != source:
            source = section.source
            meta = next(m for m in course.documents if m.source == source)
            yield Block("heading", _document_name(meta), level=3)
        yield Block("heading", section.heading, level=3 + section.depth)
        yield from (Block("bullet", point.text, cite=point.citation) for point in points.get(i, []))


def _glossary(course: Course) -> Iterator[Block]:
    yield Block("heading", HEADINGS["glossary"], level=2)
    for entry in course.glossary:
        term = f"{entry.term} ({entry.english})" if entry.english else entry.term
        yield Block("bullet", f"“{entry.sentence}”", label=f"{term}:", cite=entry.citation)


def _quiz(course: Course) -> Iterator[Block]:
    yield Block("heading", HEADINGS["quiz"], level=2)
    for number, question in enumerate(course.quiz, start=1):
        where = _where(course.outline[question.section], course.citation(question.citation))
        yield Block("paragraph", f"{_QUESTION} ({where}): {question.stem}", label=f"Câu {number}.")
        for letter, option in zip(OPTIONS, question.options, strict=True):
            yield Block("option", option, label=f"{letter}.")


def _sources(citations: list[Citation]) -> Iterator[Block]:
    """The numbered list every [n] marker points into: document, number, date, section, quote."""
    yield Block("heading", HEADINGS["sources"], level=2)
    for citation in citations:
        passage = citation.passage
        meta = DocumentMeta(passage.source, passage.kind, passage.number, "", passage.date, passage.title)
        text = f"{_document_name(meta)} — {passage.section}: “{citation.quote}” ({passage.source})"
        yield Block("numbered", text, label=f"{citation.n}.")


def _answers(course: Course) -> Iterator[Block]:
    yield Block("heading", HEADINGS["answers"], level=2)
    for number, question in enumerate(course.quiz, start=1):
        text = f"{question.answer_letter} — {question.options[question.answer]}"
        yield Block("numbered", text, label=f"{number}.", cite=question.citation)


def _where(section: OutlineSection, citation: Citation) -> str:
    """ "theo 06-HD/TW, mục 3.8." — the document and point a learner would look up."""
    document = citation.passage.number or citation.passage.title
    marker = section.path[-1].split(" ", 1)[0]
    return f"theo {document}, mục {marker}" if marker[:1].isdigit() else f"theo {document}"


def _document_name(meta: DocumentMeta) -> str:
    """ "Hướng dẫn một số vấn đề … (06-HD/TW, 09/06/2025)"."""
    details = ", ".join(part for part in (meta.number, format_date(meta.date, "vi")) if part)
    title = meta.title or meta.source
    return f"{title} ({details})" if details else title
