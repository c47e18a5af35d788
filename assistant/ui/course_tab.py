"""The "Soạn bài giảng / Course builder" tab: a topic in, a reviewed-ready lesson draft out.

A thin shell over ``build_course`` and ``course_export``: the preview is the exact Markdown the
.md download holds, so what a trainer reads on screen is what they take away. Labels are bilingual
in one string because the tab is mounted into a page whose language switch it does not own.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path
from typing import Any

import gradio as gr

from assistant.chain import Assistant
from assistant.course import CourseTopicError, build_course
from assistant.course_export import course_markdown, write_course
from assistant.types import Mode
from assistant.ui.downloads import DownloadDir
from assistant.ui.errors import reported
from assistant.ui.render import document_choices
from settings import Settings

LABELS = {
    "tab": "Soạn bài giảng / Course builder",
    "topic": "Chủ đề / Topic",
    "topic_placeholder": "Ví dụ: quy trình kết nạp đảng viên",
    "documents": "Chỉ dùng các văn bản (để trống: cả bộ văn bản) / Only these documents (empty: all)",
    "questions": "Số câu hỏi trắc nghiệm / Quiz questions",
    "mode": "Cách viết ý chính / Key points",
    "extractive": "Trích nguyên văn / Verbatim",
    "generative": "Diễn đạt ngắn gọn (mô hình sinh) / Rewritten (generator)",
    "build": "Soạn / Build",
    "download_md": "Tải Markdown (.md)",
    "download_docx": "Tải Word (.docx)",
    "empty_topic": "Hãy nhập chủ đề / Enter a topic.",
    "done": "Đã soạn {points} ý chính, {terms} thuật ngữ, {questions} câu hỏi từ {documents} văn bản. "
    "/ Built {points} key points, {terms} terms, {questions} questions from {documents} documents.",
}
MAX_QUESTIONS = 30


class CourseCallbacks:
    """What the tab's events call; one instance per app, files in one bounded temporary folder."""

    def __init__(self, assistant: Assistant, settings: Settings) -> None:
        self.assistant = assistant
        self.settings = settings
        self.downloads = DownloadDir("partydocs-course-", settings.ui.max_downloads, settings.ui.temp_max_age_s)

    @reported
    def build(self, topic: str, sources: list[str] | None, questions: float, mode: Mode) -> tuple[Any, ...]:
        """Status, preview and both downloads; a topic the collection lacks is a message, not a crash."""
        topic = unicodedata.normalize("NFC", topic or "").strip()
        if not topic:
            return LABELS["empty_topic"], "", *_downloads(None, None)
        try:
            course = build_course(self.assistant, topic, sources=sources or [], questions=int(questions), mode=mode)
        except CourseTopicError as error:  # the topic, not our code: said in the status line
            return f"⚠️ {error}", "", *_downloads(None, None)
        folder = self.downloads.new_folder()  # one folder per build: names never collide
        name = f"bai-giang-{file_slug(topic)}"
        markdown = write_course(course, folder / f"{name}.md")
        docx = write_course(course, folder / f"{name}.docx")
        status = LABELS["done"].format(
            points=len(course.key_points),
            terms=len(course.glossary),
            questions=len(course.quiz),
            documents=len(course.documents),
        )
        return status, course_markdown(course), *_downloads(markdown, docx)

    @reported
    def documents(self) -> Any:
        """Fresh choices each time the tab opens, so uploads made meanwhile are listed.

        This is also the only place the choices are set: built into the page, they would be in
        the config and API schema that Gradio sends before anyone has signed in.
        """
        return gr.update(choices=document_choices(self.assistant.catalog, "vi"))


def _downloads(markdown: Path | None, docx: Path | None) -> tuple[Any, Any]:
    return (
        gr.update(value=str(markdown) if markdown else None, interactive=markdown is not None),
        gr.update(value=str(docx) if docx else None, interactive=docx is not None),
    )


def file_slug(topic: str, limit: int = 60) -> str:
    """ASCII file name part: browsers and Windows mangle Vietnamese names in downloads."""
    folded = unicodedata.normalize("NFD", topic.replace("đ", "d").replace("Đ", "D"))
    ascii_text = "".join(ch for ch in folded if not unicodedata.combining(ch)).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:limit] or "chu-de"


def build_course_tab(assistant: Assistant, settings: Settings, generator: tuple[bool, str]) -> None:
    """Add the tab to the enclosing ``gr.Tabs`` (call inside ``with gr.Tabs():``); ``generator`` is
    ``generator_status``, checked once by the page that builds both tabs."""
    calls = CourseCallbacks(assistant, settings)
    available, reason = generator
    with gr.Tab(LABELS["tab"], id="course") as tab:
        with gr.Row():
            topic = gr.Textbox(
                label=LABELS["topic"], placeholder=LABELS["topic_placeholder"], scale=5, elem_id="course-topic"
            )
            build = gr.Button(LABELS["build"], variant="primary", scale=1, min_width=90, elem_id="course-build")
        with gr.Row():
            documents = gr.Dropdown(
                label=LABELS["documents"],
                choices=[],  # filled when the tab opens (``CourseCallbacks.documents``), after sign-in
                multiselect=True,
                scale=3,
                elem_id="course-documents",
            )
            questions = gr.Slider(1, MAX_QUESTIONS, value=10, step=1, label=LABELS["questions"], scale=1)
            mode = gr.Radio(
                [(LABELS["extractive"], "extractive"), (LABELS["generative"], "generative")],
                value="extractive",
                label=LABELS["mode"],
                info=None if available else reason,
                interactive=available,
                scale=2,
            )
        status = gr.Markdown(elem_id="course-status")
        with gr.Row():
            download_md = gr.DownloadButton(LABELS["download_md"], interactive=False, size="sm")
            download_docx = gr.DownloadButton(LABELS["download_docx"], interactive=False, size="sm")
        preview = gr.Markdown(elem_id="course-preview", latex_delimiters=[])
    outputs = [status, preview, download_md, download_docx]
    for trigger in (build.click, topic.submit):
        trigger(
            calls.build,
            inputs=[topic, documents, questions, mode],
            outputs=outputs,
            concurrency_limit=1,  # a course runs many searches; two at once only halve each on 2 cores
            concurrency_id="course",
        )
    tab.select(calls.documents, outputs=[documents], queue=False)
