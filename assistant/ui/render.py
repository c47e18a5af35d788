"""Pure functions from answers and documents to the Markdown and HTML the UI shows.

Nothing here touches Gradio, the index or the file system: callers pass the document text (or a
function that fetches it), so every rendering rule is unit-tested on plain strings.

Two rules run through the module. Everything that comes from a document or a user is escaped
before it is put into Markdown or HTML, because legal text is full of characters Markdown would
otherwise eat (``*``, ``_``, ``[…]``) and an uploaded HTML file must never inject markup. And a
citation is always shown where it sits in its document: the passage between its neighbouring
text, with the sentence that supports the answer highlighted, so a reader can judge it in context.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any
from urllib.parse import quote as url_quote

from assistant.display import escape_markdown, format_date
from assistant.types import AnswerResult, Citation, Passage
from assistant.ui.labels import kind_label, t
from ingest.progress import ProgressSnapshot
from ingest.types import DocumentMeta, year_of

CONTEXT_CHARS = 300  # neighbouring text shown on each side of a cited passage
CLOSEST_SHOWN = 3  # passages shown instead of an answer when the assistant refuses
MARKER = re.compile(r"\[(\d+(?:\s*[,;]\s*\d+)*)\]")


# --- small shared pieces --------------------------------------------------------------------
def document_label(passage: Passage, language: str) -> str:
    """How a document is named in one line: kind, number, date, then the title if it adds anything."""
    head = " ".join(part for part in (kind_label(passage.kind, language), passage.number) if part)
    parts = [head, format_date(passage.date, language)]
    if passage.title and passage.title not in head:
        parts.append(passage.title)
    return " · ".join(part for part in parts if part)


def section_path(section: str) -> str:
    """The heading path with a visible separator; the index stores it with " > "."""
    return " › ".join(part.strip() for part in section.split(">") if part.strip())


def document_url(passage: Passage, language: str) -> str:
    """Relative link, so the app keeps working behind a reverse proxy that adds a path prefix."""
    return f"doc/{url_quote(passage.source)}?start={passage.start}&end={passage.end}&lang={language}#passage"


def _cite_id(turn: int, n: int) -> str:
    return f"cite-{turn}-{n}"


# --- the answer in the chat -----------------------------------------------------------------
def link_markers(text: str, turn: int, known: set[int]) -> str:
    """Escape ``text`` for Markdown and turn its ``[n]`` / ``[n, m]`` markers into links to the cards.

    The link targets carry the turn as well as the number, because every earlier answer stays in
    the chat and its markers must open that answer's citations, not the latest one's. A marker
    with no citation behind it stays plain text rather than becoming a dead link.
    """
    pieces: list[str] = []
    last = 0
    for match in MARKER.finditer(text):
        numbers = [int(n) for n in re.findall(r"\d+", match.group(1))]
        pieces.append(escape_markdown(text[last : match.start()]))
        if all(n in known for n in numbers):
            pieces += [f'<a class="cite-ref" href="#{_cite_id(turn, n)}">[{n}]</a>' for n in numbers]
        else:
            pieces.append(escape_markdown(match.group(0)))
        last = match.end()
    pieces.append(escape_markdown(text[last:]))
    return "".join(pieces)


def answer_markdown(result: AnswerResult, turn: int, language: str) -> str:
    """The assistant's message: standalone query (for follow-ups), notes as call-outs, linked markers."""
    lines: list[str] = []
    if result.rewritten_query and result.rewritten_query.strip() != result.question.strip():
        query = html.escape(result.rewritten_query)
        lines.append(f'<div class="standalone">{t(language, "standalone")}: <em>{query}</em></div>\n')
    known = {c.n for c in result.citations}
    notes = set(result.notes)
    for line in result.answer.splitlines():
        if line in notes:
            lines.append(f"> ⚠ {escape_markdown(line)}\n")
            continue
        bullet = line.startswith("- ")
        body = link_markers(line[2:] if bullet else line, turn, known)
        lines.append(f"- {body}" if bullet else body)
    if result.refused and result.retrieved:
        lines.append(f"\n*{escape_markdown(t(language, 'closest'))}* →")
    return "\n".join(lines)


def streaming_markdown(text: str, language: str) -> str:
    """A partial generated answer: shown literally, markers are linked once the answer is complete."""
    return escape_markdown(text) + " ▍" if text else f"*{t(language, 'searching')}*"


# --- the citation panel ---------------------------------------------------------------------
def passage_context(document: str, passage: Passage, window: int = CONTEXT_CHARS) -> tuple[str, str, str]:
    """(text before, the passage, text after), cut at line or word boundaries.

    Offsets are trusted only when they still point at the passage; if the stored document text
    changed under them, the passage is searched for, and shown alone if it is not there.
    """
    start, end = passage.start, passage.end
    if document[start:end] != passage.text:
        found = document.find(passage.text) if passage.text else -1
        if found < 0:
            return "", passage.text, ""
        start, end = found, found + len(passage.text)
    before = document[max(0, start - window) : start]
    after = document[end : end + window]
    if start - window > 0:
        cut = before.find("\n")
        cut = cut if 0 <= cut < window // 2 else before.find(" ")
        before = "… " + before[cut + 1 :] if cut >= 0 else "… " + before
    if end + window < len(document):
        cut = after.rfind("\n")
        cut = cut if cut > window // 2 else after.rfind(" ")
        after = (after[:cut] if cut > 0 else after) + " …"
    return before, document[start:end], after


def highlight(text: str, quote: str) -> str:
    """Escaped ``text`` with ``quote`` wrapped in <mark>, tolerant to differing whitespace."""
    if not quote.strip():
        return html.escape(text)
    pattern = r"\s+".join(re.escape(word) for word in quote.split())
    match = re.search(pattern, text)
    if not match:
        return html.escape(text)
    return (
        html.escape(text[: match.start()])
        + f'<mark class="quote">{html.escape(match.group(0))}</mark>'
        + html.escape(text[match.end() :])
    )


def citation_card(
    turn: int, n: int, passage: Passage, quote: str, document: str, language: str, score: bool = False
) -> str:
    """One numbered source: document, section, the passage in context, a link to the whole text."""
    before, body, after = passage_context(document, passage)
    meta = html.escape(document_label(passage, language))
    extra = f' <span class="cite-score">{t(language, "score")} {passage.score:.2f}</span>' if score else ""
    if passage.origin == "upload":  # a user's upload must never pass for an official text
        extra = f' <span class="cite-upload">{t(language, "upload_badge")}</span>{extra}'
    section = (
        f'<div class="cite-section"><b>{t(language, "section")}:</b> {html.escape(section_path(passage.section))}</div>'
        if passage.section
        else ""
    )
    return (
        f'<details class="cite-card" id="{_cite_id(turn, n)}" data-cite="{n}"{" open" if n == 1 else ""}>'
        f'<summary><span class="cite-n">[{n}]</span> <span class="cite-doc">{meta}</span>{extra}</summary>'
        f"{section}"
        f'<div class="cite-context"><span class="ctx">{html.escape(before)}</span>'
        f'<span class="passage">{highlight(body, quote)}</span>'
        f'<span class="ctx">{html.escape(after)}</span></div>'
        f'<div class="cite-foot"><span class="cite-source">{html.escape(passage.source)}</span>'
        f'<a class="cite-open" href="{html.escape(document_url(passage, language))}" target="_blank" rel="noopener">'
        f"{t(language, 'open_document')} ↗</a></div>"
        "</details>"
    )


def turn_panel(result: AnswerResult, turn: int, document_text: Callable[[str], str], language: str) -> str:
    """The cards of one answer: its citations, or the closest passages when it refused."""
    if result.refused or not result.citations:
        heading = t(language, "closest")
        cards = [
            citation_card(turn, i, p, "", document_text(p.source), language, score=True)
            for i, p in enumerate(result.retrieved[:CLOSEST_SHOWN], start=1)
        ]
    else:
        heading = t(language, "citations")
        cards = [
            citation_card(turn, c.n, c.passage, c.quote, document_text(c.passage.source), language)
            for c in result.citations
        ]
    question = html.escape(result.question)
    return f'<div class="cite-heading">{heading}</div><div class="cite-question">“{question}”</div>{"".join(cards)}'


def citation_panel(turns: Sequence[str], language: str) -> str:
    """All answers' cards, the latest one shown; clicking an older marker switches turns in the browser."""
    if not turns:
        return f'<div class="cite-panel"><p class="cite-empty">{t(language, "panel_empty")}</p></div>'
    last = len(turns) - 1
    groups = "".join(
        f'<section class="cite-turn{" current" if i == last else ""}" data-turn="{i}">{body}</section>'
        for i, body in enumerate(turns)
    )
    return f'<div class="cite-panel">{groups}</div>'


# --- the whole document ---------------------------------------------------------------------
def document_page(meta: dict[str, Any], text: str, start: int, end: int, language: str) -> str:
    """A standalone page with the whole document and the cited passage marked at ``#passage``."""
    title = meta.get("title") or meta.get("source", "")
    facts = " · ".join(
        part
        for part in (
            kind_label(str(meta.get("kind", "")), language),
            str(meta.get("number", "")),
            format_date(str(meta.get("date", "")), language),
            str(meta.get("issuer", "")),
        )
        if part
    )
    valid = 0 <= start < end <= len(text)
    body = (
        html.escape(text[:start])
        + f'<mark id="passage">{html.escape(text[start:end])}</mark>'
        + html.escape(text[end:])
        if valid
        else html.escape(text)
    )
    return f"""<!doctype html>
<html lang="{language}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(str(title))}</title>
<style>
body {{ margin: 0; background: #f6f5f2; color: #1f2328;
  font: 17px/1.65 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "Helvetica Neue", Arial, sans-serif; }}
header {{ position: sticky; top: 0; background: #fff; border-bottom: 1px solid #ddd; padding: 12px 24px; }}
header h1 {{ font-size: 19px; margin: 0 0 2px; }}
header p {{ margin: 0; color: #555; font-size: 14px; }}
main {{ max-width: 860px; margin: 24px auto; background: #fff; padding: 28px 36px;
  white-space: pre-wrap; overflow-wrap: anywhere; box-shadow: 0 1px 3px rgba(0,0,0,.08); }}
mark#passage {{ background: #fff1b8; outline: 2px solid #f0c000; scroll-margin-top: 120px; }}
</style></head>
<body><header><h1>{html.escape(str(title))}</h1><p>{html.escape(facts)}
 — <code>{html.escape(str(meta.get("source", "")))}</code></p></header>
<main>{body}</main></body></html>
"""


# --- export -----------------------------------------------------------------------------------
def export_markdown(result: AnswerResult, language: str, now: datetime | None = None) -> str:
    """The answer and its sources as a Markdown file that stands on its own (e.g. pasted in a report)."""
    stamp = (now or datetime.now()).strftime("%Y-%m-%d %H:%M")
    mode = t(language, "mode_generative" if result.mode == "generative" else "mode_extractive")
    lines = [
        f"# {t(language, 'export_title')}",
        "",
        f"*{t(language, 'exported_at')}: {stamp} · {t(language, 'mode_used')}: {mode}*",
        "",
        f"## {t(language, 'question')}",
        "",
        result.question,
    ]
    if result.rewritten_query.strip() != result.question.strip():
        lines += ["", f"*{t(language, 'standalone')}: {result.rewritten_query}*"]
    lines += ["", f"## {t(language, 'answer')}", "", result.answer, ""]
    if result.refused or not result.citations:
        sources = [Citation(i, p) for i, p in enumerate(result.retrieved[:CLOSEST_SHOWN], start=1)]
        lines += [f"## {t(language, 'closest')}", ""]
    else:
        sources = result.citations
        lines += [f"## {t(language, 'citations')}", ""]
    for citation in sources:
        p = citation.passage
        lines.append(f"**[{citation.n}] {document_label(p, language)}**  ")
        if p.section:
            lines.append(f"{t(language, 'section')}: {section_path(p.section)}  ")
        upload = f" ({t(language, 'upload_badge')})" if p.origin == "upload" else ""
        lines.append(f"{t(language, 'source')}: `{p.source}`{upload}")
        lines.append("")
        if citation.quote:
            lines += [f"> **{citation.quote}**", ""]
        lines += [f"{t(language, 'passage')}:", "", *(f"> {line}" for line in p.text.splitlines()), ""]
    return "\n".join(lines)


def export_link(token: str, language: str) -> str:
    """The download link for a conversation's latest answer, or a greyed-out label before any answer.

    The file is rendered by the server's ``/export/{token}`` route when clicked, so an answer
    costs no file on disk; the token is random, so one browser cannot guess another's link.
    """
    label = html.escape(t(language, "export"))
    if not token:
        return f'<span class="export-link disabled">{label}</span>'
    return f'<a class="export-link" href="export/{url_quote(token)}?lang={language}" download>{label}</a>'


# --- the library ----------------------------------------------------------------------------
LIBRARY_COLUMNS = ("col_title", "col_number", "col_kind", "col_date", "col_chunks", "col_origin", "col_source")


def library_headers(language: str) -> list[str]:
    return [t(language, key) for key in LIBRARY_COLUMNS]


def library_rows(stats: dict[str, Any], language: str) -> list[list[Any]]:
    """One row per indexed document, as ``collection_stats`` reports it."""
    return [
        [
            doc.get("title") or doc["source"],
            doc.get("number", ""),
            kind_label(doc.get("kind", ""), language),
            format_date(doc.get("date", ""), language),
            doc.get("chunks", 0),
            t(language, "origin_upload" if doc.get("origin") == "upload" else "origin_collection"),
            doc["source"],
        ]
        for doc in stats["documents"]
    ]


def library_summary(stats: dict[str, Any], language: str) -> str:
    """Counts, plus the files that failed, so a bad file in the collection is not silently missing."""
    text = f"**{t(language, 'library_summary', documents=stats['total_documents'], chunks=stats['total_chunks'])}**"
    if stats["failures"]:
        failed = "\n".join(f"- `{f['source']}`: {escape_markdown(f['reason'])}" for f in stats["failures"])
        text += f"\n\n{t(language, 'library_failures')}:\n{failed}"
    return text


def indexing_status(progress: ProgressSnapshot | None, language: str) -> str:
    """The page's line about the background indexing: how far, how long still; empty once done."""
    if progress is None or not (progress.running or progress.error):
        return ""
    if progress.error:
        return t(language, "indexing_failed", error=escape_markdown(progress.error))
    if not progress.documents_total:
        return t(language, "indexing_starting")
    left = (
        t(language, "indexing_left", minutes=max(1, round(progress.seconds_left / 60)))
        if progress.seconds_left is not None
        else t(language, "indexing_estimating")
    )
    return t(
        language,
        "indexing",
        documents=progress.documents_done,
        documents_total=progress.documents_total,
        chunks=f"{progress.chunks_done:,}",
        chunks_total=f"{progress.chunks_total:,}",
        left=left,
    )


# --- chat and filters -----------------------------------------------------------------------
def chat_messages(results: Sequence[AnswerResult], language: str, first_turn: int = 0) -> list[dict[str, str]]:
    """The conversation for the Chatbot, rebuilt from the results so a language switch re-labels it.

    A conversation keeps only its latest answers; ``first_turn`` is the number of the oldest one
    kept, so markers still point at their own cards, and a note says earlier answers were dropped.
    """
    messages: list[dict[str, str]] = []
    if first_turn:
        messages.append({"role": "assistant", "content": f"*{t(language, 'turns_dropped', kept=len(results))}*"})
    for turn, result in enumerate(results, start=first_turn):
        messages.append({"role": "user", "content": escape_markdown(result.question)})
        messages.append({"role": "assistant", "content": answer_markdown(result, turn, language)})
    return messages


def document_choices(catalog: Sequence[DocumentMeta], language: str) -> list[tuple[str, str]]:
    """Filter choices named the way staff cite documents (kind and number), titles for articles."""
    named = [(f"{kind_label(m.kind, language)} {m.number}" if m.number else m.title or m.source, m) for m in catalog]
    return sorted(((f"{name} ({m.date[:4]})" if m.date else name, m.source) for name, m in named), key=str)


def kind_choices(catalog: Sequence[DocumentMeta], language: str) -> list[tuple[str, str]]:
    return [(kind_label(kind, language), kind) for kind in sorted({m.kind for m in catalog if m.kind})]


def year_choices(catalog: Sequence[DocumentMeta]) -> list[int]:
    return sorted({year_of(m.date) for m in catalog} - {0}, reverse=True)
