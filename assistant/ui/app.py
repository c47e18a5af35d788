"""The Gradio page: chat with cited answers beside a citation panel, and the document library.

The callbacks are a thin shell: answering is ``Assistant.stream``, uploading is
``ingest_uploads``, the library is ``collection_stats``, and everything shown is built by the pure
functions in ``render``. What lives here is only what a web page adds: per-browser conversation
state (bounded: ``ui.max_turns``), the language switch, the progress line polled while ``serve``
indexes in the background, and the check that an upload really arrived through Gradio's upload
route before the upload service sees it. Unexpected failures are
logged and shown as one bilingual line (``errors.reported``).
"""

from __future__ import annotations

import logging
import os
import threading
import unicodedata
import uuid
from collections import OrderedDict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import gradio as gr
from gradio.utils import get_upload_folder, is_in_or_equal

from assistant.chain import Assistant
from assistant.llm import generator_status
from assistant.questions import QuestionError, check_question
from assistant.types import AnswerResult, Filters, Mode
from assistant.ui import render
from assistant.ui.conversation import Conversation
from assistant.ui.course_tab import build_course_tab
from assistant.ui.errors import reported
from assistant.ui.labels import bilingual, t
from ingest.loaders import SUPPORTED_SUFFIXES
from ingest.service import collection_stats
from ingest.uploads import ingest_uploads
from settings import Settings

logger = logging.getLogger(__name__)

INDEXING_POLL_S = 2.0  # how often an open page asks how far the background indexing is


class Callbacks:
    """What the page's events call; one instance per app, shared by every browser session."""

    def __init__(self, assistant: Assistant, settings: Settings) -> None:
        self.assistant = assistant
        self.settings = settings
        # Each conversation's latest answer by its token, for the export route; the least recently
        # answered go first, so the map never outgrows the sessions the server keeps anyway.
        self.latest: OrderedDict[str, AnswerResult] = OrderedDict()
        self.latest_lock = threading.Lock()
        # Paths Gradio's upload route wrote (``Blocks.upload_file_set``, set by ``build_app``).
        self.received: set[str] = set()

    # --- chat -----------------------------------------------------------------------------------
    @reported
    def answer(
        self,
        question: str,
        conversation: Conversation,
        mode: Mode,
        sources: list[str] | None,
        kinds: list[str] | None,
        years: list[int] | None,
        language: str,
    ) -> Iterator[tuple[Any, ...]]:
        """Stream one answer into the chat; the citation panel and export follow the final result.

        Outputs that do not change are sent again as they are, never as ``gr.skip()``: Gradio turns
        every update (a skip included) into a new component with a new id, and stores the next
        value that output gets under that id in the session, so each answer left one more copy of
        the citation panel in server memory for as long as the session lived (issue 11; see
        bench/results/load.md). Resending is cheap: after an answer's first message Gradio
        streams only what changed.
        """
        panel, export = (
            render.citation_panel(conversation.panels, language),
            render.export_link(conversation.token, language),
        )
        question = unicodedata.normalize("NFC", question or "").strip()
        if not question:
            chat = render.chat_messages(conversation.results, language, conversation.first_turn)
            yield chat, panel, "", conversation, export
            return
        try:  # before anything is shown, so a refused question leaves the chat as it was
            question = check_question(question, self.settings.retrieval.max_question_chars)
        except QuestionError as error:
            raise gr.Error(str(error)) from error
        filters = Filters(sources=list(sources or []), kinds=list(kinds or []), years=[int(y) for y in years or []])
        done = render.chat_messages(conversation.results, language)
        asked = {"role": "user", "content": render.escape_markdown(question)}
        pending = {"role": "assistant", "content": render.streaming_markdown("", language)}
        yield [*done, asked, pending], panel, "", conversation, export
        text = ""
        for event in self.assistant.stream(question, conversation.questions(), mode, filters):
            if event.result is None:
                text += event.delta
                pending = {"role": "assistant", "content": render.streaming_markdown(text, language)}
                yield [*done, asked, pending], panel, "", conversation, export
                continue
            turn = render.turn_panel(
                event.result, conversation.next_turn(), self.assistant.index.document_text, language
            )
            conversation.add(event.result, turn, self.settings.ui.max_turns)
            conversation.token = conversation.token or uuid.uuid4().hex
            self.remember(conversation.token, event.result)
            yield (
                render.chat_messages(conversation.results, language, conversation.first_turn),
                render.citation_panel(conversation.panels, language),
                "",
                conversation,
                render.export_link(conversation.token, language),
            )

    def remember(self, token: str, result: AnswerResult) -> None:
        """Keep ``result`` for the export route, within the same bound as the sessions themselves."""
        with self.latest_lock:
            self.latest[token] = result
            self.latest.move_to_end(token)
            while len(self.latest) > self.settings.ui.max_sessions:
                self.latest.popitem(last=False)

    def exported(self, token: str) -> AnswerResult | None:
        """The answer behind an export link, or None once its conversation has been dropped."""
        with self.latest_lock:
            return self.latest.get(token)

    def new_conversation(self, language: str) -> tuple[Any, ...]:
        return [], render.citation_panel([], language), "", Conversation(), render.export_link("", language)

    # --- background indexing -----------------------------------------------------------------
    @reported
    def indexing(self, language: str) -> tuple[Any, ...]:
        """The progress line, polled by the page while the background indexing runs (the timer stops
        when it is done); each poll also moves this server's retrieval onto what is indexed now."""
        self.assistant.refresh_if_changed()
        progress = self.assistant.indexing.snapshot() if self.assistant.indexing is not None else None
        running = progress is not None and progress.running
        return render.indexing_status(progress, language), gr.Timer(active=running)

    # --- library ----------------------------------------------------------------------------------
    @reported
    def library(self, language: str) -> tuple[Any, ...]:
        """Library table and filter choices, read fresh so every session sees others' uploads (through
        this server or another one sharing its Chroma server)."""
        self.assistant.refresh_if_changed()
        stats = collection_stats(self.settings, self.assistant.index, sections=False)
        catalog = self.assistant.catalog
        return (
            render.library_summary(stats, language),
            gr.update(value=render.library_rows(stats, language), headers=render.library_headers(language)),
            gr.update(choices=render.document_choices(catalog, language)),
            gr.update(choices=render.kind_choices(catalog, language)),
            gr.update(choices=render.year_choices(catalog)),
        )

    @reported
    def upload(
        self,
        files: list[str] | None,
        language: str,
        progress: gr.Progress = gr.Progress(),  # noqa: B008 - Gradio finds its progress bar by this default
    ) -> tuple[Any, ...]:
        """Ingest what this page's upload route wrote through the upload service; refuse anything else."""
        if not files:
            return (t(language, "upload_none"), None, *self.library(language))
        messages: list[str] = []
        received: list[Path] = []
        for name in files:
            path = Path(name)
            if self.was_uploaded(path):
                received.append(path)
            else:
                logger.warning("upload refused: %s was not written by the upload route", name)
                messages.append(f"✗ {bilingual('not_uploaded', name=unicodedata.normalize('NFC', path.name))}")
        if received:
            progress(0.0, desc=t(language, "upload_button"))
            report = ingest_uploads(
                self.settings,
                received,
                self.assistant.embedder,
                self.assistant.index,
                progress=lambda desc, done: progress(done, desc=desc),
            )
            self.assistant.refresh_if_changed()
            messages += [
                f"✓ {t(language, 'upload_done', name=o.name, chunks=o.chunks)}" if o.accepted else f"✗ {o.reason}"
                for o in report.outcomes
            ]
        return ("\n\n".join(messages), None, *self.library(language))

    def was_uploaded(self, path: Path) -> bool:
        """Whether ``path`` is a file Gradio's upload route wrote, not a server path someone posted.

        Gradio checks this too (``has_launched``, set by ``create_server``); this is the second
        lock, in our own code, so the rule survives a Gradio upgrade that changes theirs. A real
        upload is a regular file inside Gradio's upload folder and in this app's upload set. Only
        such files reach ``ingest_uploads``, which would ingest any path it is given.
        """
        absolute = os.path.abspath(path)
        return (
            absolute in self.received
            and is_in_or_equal(os.path.realpath(path), os.path.realpath(get_upload_folder()))
            and path.is_file()
            and not path.is_symlink()
        )

    # --- language -----------------------------------------------------------------------------
    @reported
    def relabel(self, language: str, conversation: Conversation) -> tuple[Any, ...]:
        """Every visible word in the chosen language, chat and citation panels included."""
        conversation.panels = [
            render.turn_panel(result, turn, self.assistant.index.document_text, language)
            for turn, result in enumerate(conversation.results, start=conversation.first_turn)
        ]
        return (
            header_html(language),
            gr.update(label=t(language, "tab_chat")),
            gr.update(label=t(language, "tab_library")),
            gr.update(
                value=render.chat_messages(conversation.results, language, conversation.first_turn),
                label=t(language, "chat_label"),
                placeholder=t(language, "chat_placeholder"),
            ),
            gr.update(placeholder=t(language, "question_placeholder")),
            gr.update(value=t(language, "send")),
            gr.update(value=t(language, "new_chat")),
            render.export_link(conversation.token, language),
            gr.update(label=t(language, "options")),
            gr.update(**mode_props(language, *generator_status(self.settings))),
            gr.update(label=t(language, "filter_documents")),
            gr.update(label=t(language, "filter_kinds")),
            gr.update(label=t(language, "filter_years")),
            render.citation_panel(conversation.panels, language),
            conversation,
            gr.update(label=t(language, "upload", mb=f"{self.settings.ingest.max_file_mb:g}")),
            gr.update(value=t(language, "upload_button")),
        )


def header_html(language: str) -> str:
    return f"<h1>{t(language, 'title')}</h1><p>{t(language, 'subtitle')}</p>"


def mode_props(language: str, available: bool, reason: str) -> dict[str, Any]:
    """Mode choices; generative is greyed out, with the reason, when no generator can run."""
    return {
        "choices": [(t(language, "mode_extractive"), "extractive"), (t(language, "mode_generative"), "generative")],
        "label": t(language, "mode"),
        "info": t(language, "mode_ready") if available else t(language, "mode_unavailable", reason=reason),
        "interactive": available,
    }


def build_app(assistant: Assistant, settings: Settings, calls: Callbacks | None = None) -> gr.Blocks:
    """The whole page; theme, CSS and the citation script are applied where it is served (server.py).

    ``calls`` is passed in when the server needs the same instance (the export route reads it).
    Nothing about the documents is built into the page: the config and API schema Gradio sends
    before sign-in would carry it. Library, filters and choices are filled on load, after sign-in.
    """
    calls = calls or Callbacks(assistant, settings)
    lang = settings.ui.language
    generator = generator_status(settings)  # one check for both tabs (a server check is an HTTP call)
    with gr.Blocks(title=t(lang, "title")) as demo:
        conversation = gr.State(Conversation())
        with gr.Row(elem_id="app-header"):
            header = gr.HTML(header_html(lang))
            language = gr.Radio(
                [("Tiếng Việt", "vi"), ("English", "en")],
                value=lang,
                label=t(lang, "language"),
                scale=0,
                min_width=260,
                elem_id="language",
            )
        indexing = gr.Markdown(elem_id="indexing-status")
        poll = gr.Timer(INDEXING_POLL_S, active=assistant.indexing is not None)
        with gr.Tabs():
            with gr.Tab(t(lang, "tab_chat"), id="chat") as chat_tab, gr.Row(equal_height=False):
                with gr.Column(scale=3, min_width=420):
                    chatbot = gr.Chatbot(
                        label=t(lang, "chat_label"),
                        elem_id="chatbot",
                        height="62vh",
                        placeholder=t(lang, "chat_placeholder"),
                        latex_delimiters=[],
                        feedback_options=None,
                        buttons=["copy"],
                    )
                    with gr.Row():
                        question = gr.Textbox(
                            show_label=False,
                            placeholder=t(lang, "question_placeholder"),
                            elem_id="question",
                            scale=6,
                            autofocus=True,
                        )
                        send = gr.Button(t(lang, "send"), variant="primary", scale=1, min_width=90, elem_id="send")
                    with gr.Row():
                        new_chat = gr.Button(t(lang, "new_chat"), size="sm", elem_id="new-chat")
                        export = gr.HTML(render.export_link("", lang), elem_id="export", padding=False)
                    with gr.Accordion(t(lang, "options"), open=False) as options:
                        mode = gr.Radio(value="extractive", **mode_props(lang, *generator))
                        with gr.Row():
                            documents = gr.Dropdown(label=t(lang, "filter_documents"), multiselect=True, scale=2)
                            kinds = gr.Dropdown(label=t(lang, "filter_kinds"), multiselect=True)
                            years = gr.Dropdown(label=t(lang, "filter_years"), multiselect=True)
                with gr.Column(scale=2, min_width=360, elem_id="citation-column"):
                    panel = gr.HTML(render.citation_panel([], lang), elem_id="citation-panel")
            with gr.Tab(t(lang, "tab_library"), id="library") as library_tab:
                with gr.Row(equal_height=False):
                    files = gr.File(
                        label=t(lang, "upload", mb=f"{settings.ingest.max_file_mb:g}"),
                        file_count="multiple",
                        file_types=sorted(SUPPORTED_SUFFIXES),
                        height=150,
                        scale=3,
                        elem_id="upload",
                    )
                    with gr.Column(scale=2):
                        ingest_button = gr.Button(t(lang, "upload_button"), variant="primary", elem_id="ingest")
                        upload_status = gr.Markdown(elem_id="upload-status")
                summary = gr.Markdown(elem_id="library-summary")
                table = gr.Dataframe(
                    headers=render.library_headers(lang),
                    interactive=False,
                    wrap=True,
                    column_widths=["32%", "11%", "9%", "9%", "8%", "9%", "22%"],
                    elem_id="library-table",
                )
            # The course tab has bilingual labels of its own; the language switch does not re-label it.
            build_course_tab(assistant, settings, generator)

        library_outputs = [summary, table, documents, kinds, years]
        demo.load(calls.library, inputs=[language], outputs=library_outputs)
        # Off the queue: a poll must not wait behind answers, nor hold an answer's place.
        for trigger in (demo.load, poll.tick):
            trigger(calls.indexing, inputs=[language], outputs=[indexing, poll], queue=False, show_progress="hidden")
        chat_outputs = [chatbot, panel, question, conversation, export]
        for trigger in (question.submit, send.click):
            trigger(
                calls.answer,
                inputs=[question, conversation, mode, documents, kinds, years, language],
                outputs=chat_outputs,
                show_progress="hidden",
            )
        new_chat.click(calls.new_conversation, inputs=[language], outputs=chat_outputs, queue=False)
        ingest_button.click(
            calls.upload,
            inputs=[files, language],
            outputs=[upload_status, files, *library_outputs],
            concurrency_limit=1,
            concurrency_id="ingest",
        )
        language.change(
            calls.relabel,
            inputs=[language, conversation],
            outputs=[
                header,
                chat_tab,
                library_tab,
                chatbot,
                question,
                send,
                new_chat,
                export,
                options,
                mode,
                documents,
                kinds,
                years,
                panel,
                conversation,
                files,
                ingest_button,
            ],
        ).then(calls.library, inputs=[language], outputs=library_outputs)
    demo.queue(default_concurrency_limit=settings.ui.concurrency)
    calls.received = demo.upload_file_set
    return demo
