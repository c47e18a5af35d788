"""Serving the UI: one Assistant per process, the Gradio page, and the whole-document route.

The app is a FastAPI application with the Gradio page mounted at "/" and one route of its own,
``/doc/{source}``, which shows a document's full clean text with the cited passage marked. The
route is plain HTML rather than a Gradio page so a citation link opens instantly in a new tab
and lands on the passage through an ordinary ``#passage`` anchor.

A second route, ``/export/{token}``, renders a conversation's latest answer as a Markdown
download when it is clicked, so answering writes nothing to disk.

``serve`` answers at once: the page opens on the index as it is and the collection is indexed in
the background (``ingest.service.index_in_background``), official documents first; the page shows
how far it is and answers say they come from a partial index until it is complete.

Binding anything but loopback exposes internal documents to the network, so it is refused unless
a username and password are configured; both routes then honour Gradio's login too.

While it serves, glibc's ``malloc_trim`` runs once a minute: answering allocates and frees large
blocks (passages, panels, SSE messages) on many threads, and glibc keeps the freed pages in its
arenas. Under the load bench that held ~200 MB (trimmed in 30-100 ms) and let RSS creep after the
live memory had stopped growing (bench/results/load.md). Where the C library has no
``malloc_trim`` (macOS, Windows, musl) nothing runs.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import ipaddress
import threading
from collections.abc import Callable
from datetime import datetime

import gradio as gr
import uvicorn
from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse, Response
from gradio.routes import App
from starlette.routing import Mount

from assistant.chain import Assistant
from assistant.ui.app import Callbacks, build_app
from assistant.ui.labels import ROUTE_ERRORS, t
from assistant.ui.offline import CSS, HEAD, system_theme
from assistant.ui.render import document_page, export_markdown
from ingest.progress import IngestProgress
from ingest.service import index_in_background
from ingest.types import IngestReport
from settings import Settings, UISettings

TRIM_EVERY_S = 60.0  # a trim of the server's heap costs 30-100 ms (bench/results/load.md)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_bind(ui: UISettings) -> None:
    """Refuse to expose the app beyond this machine without a login."""
    if not is_loopback(ui.host) and not (ui.username and ui.password):
        raise ValueError(
            f"Không thể mở giao diện trên địa chỉ {ui.host} khi chưa đặt tài khoản đăng nhập: hãy đặt "
            "PARTYDOCS_UI__USERNAME và PARTYDOCS_UI__PASSWORD (hoặc [ui] username/password trong "
            "partydocs.toml), hoặc dùng 127.0.0.1. / "
            f"Refusing to serve on {ui.host} without a login: set PARTYDOCS_UI__USERNAME and "
            "PARTYDOCS_UI__PASSWORD (or [ui] username/password in partydocs.toml), or bind 127.0.0.1."
        )


def _signed_in(gradio_app: App, request: Request) -> bool:
    """Gradio's own session check (the cookie its login page sets), reused for the document route."""
    if gradio_app.auth is None:
        return True
    cookie = request.cookies.get(f"access-token-{gradio_app.cookie_id}") or request.cookies.get(
        f"access-token-unsecure-{gradio_app.cookie_id}"
    )
    return gradio_app.tokens.get(cookie) is not None


def create_server(assistant: Assistant, settings: Settings) -> FastAPI:
    """The ASGI app: the page at "/", documents at "/doc/{source}", answers at "/export/{token}"."""
    check_bind(settings.ui)
    server = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    mounted: list[App] = []
    calls = Callbacks(assistant, settings)

    @server.get("/doc/{source:path}", response_class=HTMLResponse)
    def document(source: str, request: Request, start: int = -1, end: int = -1, lang: str = "") -> HTMLResponse:
        language = lang if lang in ("vi", "en") else settings.ui.language
        if not _signed_in(mounted[0], request):
            raise HTTPException(status_code=401, detail=ROUTE_ERRORS["not_signed_in"])
        record = assistant.index.records().get(source)
        if record is None or record.status != "ok" or not (text := assistant.index.document_text(source)):
            raise HTTPException(status_code=404, detail=t(language, "document_not_found"))
        return HTMLResponse(document_page(record.meta.as_dict(), text, start, end, language))

    @server.get("/export/{token}")
    def export(token: str, request: Request, lang: str = "") -> Response:
        """The answer as a Markdown file, rendered now: nothing is written to disk for it."""
        if not _signed_in(mounted[0], request):
            raise HTTPException(status_code=401, detail=ROUTE_ERRORS["not_signed_in"])
        if (result := calls.exported(token)) is None:
            raise HTTPException(status_code=404, detail=ROUTE_ERRORS["export_gone"])
        language = lang if lang in ("vi", "en") else settings.ui.language
        name = f"partydocs-{datetime.now():%Y%m%d-%H%M%S}.md"
        return Response(
            export_markdown(result, language),
            media_type="text/markdown; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )

    ui = settings.ui
    demo = build_app(assistant, settings, calls)
    # Gradio reads these when the app is mounted: sessions kept (least recently used dropped) and
    # the sweep of its cache folder (uploads, copies of downloads), also emptied at shutdown.
    demo.state_session_capacity = ui.max_sessions
    demo.delete_cache = (max(60, ui.temp_max_age_s // 4), ui.temp_max_age_s)
    gr.mount_gradio_app(
        server,
        demo,
        path="/",
        server_name=ui.host,
        server_port=ui.port,
        auth=(ui.username, ui.password) if ui.username and ui.password else None,
        footer_links=[],
        show_error=True,
        theme=system_theme(),
        css=CSS,
        head=HEAD,
    )
    mounted += [route.app for route in server.routes if isinstance(route, Mount) and isinstance(route.app, App)]
    # Gradio refuses input files that were not uploaded (processing_utils._check_allowed) only
    # once the Blocks have "launched"; mounting never sets that, so without this line any signed-in
    # user (any local process, without a login) could have the upload callback read a server path.
    demo.has_launched = True
    return server


def malloc_trimmer() -> Callable[[], object] | None:
    """glibc's ``malloc_trim(0)`` (hand freed heap pages back to the system), or None without glibc."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c"))
        trim = libc.malloc_trim
    except (OSError, AttributeError, TypeError):  # no C library by that name, or no malloc_trim in it
        return None
    trim.argtypes, trim.restype = [ctypes.c_size_t], ctypes.c_int
    return lambda: trim(0)


def trim_memory_every(seconds: float, trim: Callable[[], object] | None) -> threading.Event | None:
    """Call ``trim`` every ``seconds`` on a daemon thread until the returned event is set.

    Nothing starts (None) when there is nothing to call or no positive period.
    """
    if trim is None or seconds <= 0:
        return None
    stop = threading.Event()

    def run() -> None:
        while not stop.wait(seconds):
            trim()

    threading.Thread(target=run, name="malloc-trim", daemon=True).start()
    return stop


def serve(settings: Settings) -> None:
    """Open the index as it is, start indexing the collection in the background (``ui.index_on_start``),
    print where the app is, and serve until interrupted: the page is up before the index is complete."""
    check_bind(settings.ui)  # before loading models: a refused bind should fail in a second
    indexing = IngestProgress() if settings.ui.index_on_start else None
    assistant = Assistant(settings, indexing=indexing)
    server = create_server(assistant, settings)
    trim_memory_every(TRIM_EVERY_S, malloc_trimmer())
    if indexing is not None:
        index_in_background(settings, assistant.embedder, indexing, done=_indexing_done)
    host = f"[{settings.ui.host}]" if ":" in settings.ui.host else settings.ui.host
    print(f"Giao diện đang chạy tại / UI running at: http://{host}:{settings.ui.port}/", flush=True)
    # log_config=None: uvicorn's warnings and request errors go where ours go (``assistant.logs``),
    # the log file included, instead of to handlers of its own on the terminal only.
    uvicorn.run(server, host=settings.ui.host, port=settings.ui.port, log_level="warning", log_config=None)


def _indexing_done(report: IngestReport | None) -> None:
    """One console line when the background indexing ends (``bench/first_answer.py`` times it)."""
    if report is None:
        print("Lập chỉ mục bị lỗi, xem nhật ký / indexing failed, see the log", flush=True)
        return
    print(
        f"Lập chỉ mục xong / indexing complete: {report.files_seen} tệp / files, "
        f"{report.chunks_embedded} đoạn mới / new chunks, {report.seconds:.1f} s",
        flush=True,
    )
