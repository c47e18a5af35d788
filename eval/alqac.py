"""Turn the ALQAC legal-retrieval benchmark into a collection plus a question file in our format.

ALQAC (law.json + question.json) gives us a public, independently labelled retrieval benchmark in
Vietnamese. Converted to Markdown files and ``eval/questions`` JSONL, it runs through exactly the
same ingest → retrieve → score path as the party-document dev set, so retrieval changes can be
tuned on it without touching the party corpus. Everything here is pure (data in, data out); the
file handling lives in ``bench/alqac.py``.

Gold is expressed as a quote rather than an article id because our metrics match chunks by
(source, quote): the quote is the opening of the article body, extended until it is unique within
its law so that a generic opening ("1. Người nào ...") cannot be credited to the wrong article.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from typing import Any

from eval.metrics import normalize

QUOTE_CHARS = 120
# Titles of the four laws in ALQAC 2022, which only ships their numbers. Other ALQAC-format data
# falls back to the number, which is still a valid document title.
ALQAC_2022_TITLES = {
    "91/2015/QH13": "Bộ luật Dân sự 2015 (91/2015/QH13)",
    "24/2018/QH14": "Luật An ninh mạng 2018 (24/2018/QH14)",
    "45/2019/QH14": "Bộ luật Lao động 2019 (45/2019/QH14)",
    "01/VBHN-VPQH": "Bộ luật Hình sự, văn bản hợp nhất (01/VBHN-VPQH)",
}

_NOT_SLUG = re.compile(r"[^0-9a-z]+")


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def law_filename(law_id: str, taken: set[str]) -> str:
    """A stable ASCII file name for a law id ("91/2015/QH13" -> "91-2015-qh13.md"), never reused."""
    stem = _NOT_SLUG.sub("-", law_id.lower()).strip("-") or "law"
    name, n = f"{stem}.md", 2
    while name in taken:
        name, n = f"{stem}-{n}.md", n + 1
    taken.add(name)
    return name


def split_article(text: str) -> tuple[str, str]:
    """ALQAC article text is "<title>\\n\\n<body>"; some articles carry only a title."""
    title, _, body = _nfc(text).strip().partition("\n")
    return title.strip(), body.strip()


def article_heading(article: Mapping[str, Any]) -> str:
    """The heading line that keeps the "Điều N." citation users and chunkers rely on."""
    title, _ = split_article(article["text"])
    return f"Điều {article['id']}. {title}".rstrip(". ") + ("" if title else ".")


def law_to_markdown(law: Mapping[str, Any], title: str | None = None) -> str:
    """One Markdown document per law: "# title", then "## Điều N. <title>" and the body verbatim."""
    parts = [f"# {_nfc(title or law['id'])}\n"]
    for article in law["articles"]:
        _, body = split_article(article["text"])
        parts.append(f"## {article_heading(article)}\n")
        if body:
            parts.append(f"{body}\n")
    return "\n".join(parts)


def _word_ends(text: str) -> list[int]:
    return [m.end() for m in re.finditer(r"\S+", text)]


def article_quote(article: Mapping[str, Any], normalized_document: str, max_chars: int = QUOTE_CHARS) -> str:
    """Opening of the article body, cut at a word boundary, verbatim from the Markdown.

    Starts at about ``max_chars`` and grows word by word while the quote occurs more than once in
    the law document (given already normalized: laws run to 700 kB and are quoted hundreds of
    times). A title-only article is quoted by its heading line.
    """
    _, body = split_article(article["text"])
    if not body:
        return article_heading(article)
    ends = _word_ends(body)
    fitting = [e for e in ends if e <= max_chars]
    start = len(fitting) - 1 if fitting else 0
    for end in ends[start:]:
        quote = body[:end]
        if normalized_document.count(normalize(quote)) <= 1:
            return quote
    return body


def convert(
    laws: Sequence[Mapping[str, Any]],
    questions: Sequence[Mapping[str, Any]],
    titles: Mapping[str, str] | None = None,
) -> tuple[dict[str, str], list[dict[str, Any]]]:
    """Convert parsed law.json and question.json into ``({file name: markdown}, question records)``.

    Question records follow ``eval/questions`` JSONL: lang "vi", category from the question's type
    field when the data has one (else "alqac"), expect "answer", no answer keys (ALQAC answers are
    free-form and would be scored by a different metric). A reference to an unknown article is an
    error, not a silently easier benchmark.
    """
    titles = titles or {}
    taken: set[str] = set()
    files: dict[str, str] = {}
    where: dict[tuple[str, str], tuple[str, Mapping[str, Any]]] = {}
    for law in laws:
        name = law_filename(str(law["id"]), taken)
        files[name] = law_to_markdown(law, titles.get(law["id"]))
        for article in law["articles"]:
            where[(str(law["id"]), str(article["id"]))] = (name, article)

    normalized = {name: normalize(markdown) for name, markdown in files.items()}
    records = []
    for question in questions:
        gold = []
        for ref in question.get("relevant_articles", []):
            key = (str(ref["law_id"]), str(ref["article_id"]))
            if key not in where:
                raise ValueError(f"question {question['id']}: unknown article {key}")
            name, article = where[key]
            gold.append({"source": name, "quote": article_quote(article, normalized[name])})
        records.append(
            {
                "id": str(question["id"]),
                "lang": "vi",
                "category": str(question.get("question_type") or question.get("type") or "alqac"),
                "question": _nfc(question["text"]),
                "history": [],
                "gold": gold,
                "answer_keys": [],
                "expect": "answer",
            }
        )
    return files, records
