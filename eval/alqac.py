"""Turn the ALQAC legal-retrieval benchmark into a collection plus a question file in our format.

ALQAC (law.json + question.json) gives us a public, independently labelled retrieval benchmark in
Vietnamese. Converted to Markdown files and ``eval/questions`` JSONL, it runs through exactly the
same ingest → retrieve → score path as the party-document dev set, so retrieval changes can be
tuned on it without touching the party corpus. Everything here is pure (data in, data out); the
file handling lives in ``bench/alqac.py``.

ALQAC labels whole articles, so a gold is the article: its source, its section ("Điều 12", the
marker of the "## Điều 12. …" heading every chunk of the article carries in its heading path) and
the quote of its opening. Our metrics credit any chunk under the section (article-level, the
task's own scoring) and also any chunk holding the quote (a short article merged into its
neighbour's chunk is cited by the neighbour's path). The quote is the opening of the article body,
extended until it is unique within its law so that a generic opening ("1. Người nào ...") cannot be
credited to the wrong article; :func:`quote_level` drops the sections to score by it alone, as
before.

True/false ("Đúng/Sai") and multiple-choice ("Trắc nghiệm") questions keep their key in our exam
fields (``type``, ``options``, ``answer``), so ``eval.exam`` can score the answers too.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from typing import Any

from assistant.exam import LETTERS, VERDICTS
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

# ALQAC question_type values (compared after normalize, spaces dropped) -> our exam item type.
# Other types (free-form answers) carry no exam fields.
EXAM_TYPES = {"đúng/sai": "true_false", "trắcnghiệm": "choice"}

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


def article_section(article: Mapping[str, Any]) -> str:
    """The article's marker, as it opens the heading path of every chunk of the article."""
    return f"Điều {article['id']}"


def article_heading(article: Mapping[str, Any]) -> str:
    """The heading line that keeps the "Điều N." citation users and chunkers rely on."""
    title, _ = split_article(article["text"])
    return f"{article_section(article)}. {title}".rstrip(". ") + ("" if title else ".")


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


def exam_fields(question: Mapping[str, Any]) -> dict[str, Any]:
    """``type``, ``options`` and ``answer`` in our exam format for a true/false or multiple-choice
    question, nothing for another type. A key that cannot be read is an error, not an item scored
    against nothing."""
    kind = EXAM_TYPES.get(normalize(str(question.get("question_type") or "")).replace(" ", ""))
    if kind is None:
        return {}
    answer = _nfc(str(question.get("answer") or "")).strip()
    if kind == "true_false":
        verdict = next((v for v in VERDICTS if normalize(v) == normalize(answer.rstrip("."))), None)
        if verdict is None:
            raise ValueError(f"question {question_id(question)}: true/false answer {answer!r}")
        return {"type": kind, "options": [], "answer": verdict}
    options = _options(question)
    letters = LETTERS[: len(options)]
    letter = answer.rstrip(".):").strip().upper()
    if letter not in letters:
        # A key given as the option's text rather than its letter.
        letter = next((lt for lt, o in zip(letters, options, strict=True) if normalize(o) == normalize(answer)), "")
    if not letter:
        raise ValueError(f"question {question_id(question)}: answer {answer!r} is none of {', '.join(letters)}")
    return {"type": kind, "options": options, "answer": letter}


def _options(question: Mapping[str, Any]) -> list[str]:
    choices = question.get("choices") or {}
    if isinstance(choices, Mapping):
        keys = [str(key).strip().upper() for key in choices]
        if keys != list(LETTERS[: len(keys)]):
            raise ValueError(f"question {question_id(question)}: choices keyed {keys}, not A, B, C…")
        choices = list(choices.values())
    options = [_nfc(str(option)).strip() for option in choices]
    if len(options) < 2 or not all(options):
        raise ValueError(f"question {question_id(question)}: a multiple-choice question needs its choices")
    return options


def question_id(question: Mapping[str, Any]) -> str:
    """The question's id (``id``, or ``question_id`` as some ALQAC releases name it)."""
    for key in ("id", "question_id"):
        if question.get(key) not in (None, ""):
            return str(question[key])
    raise ValueError(f"question without an id: {str(question.get('text', ''))[:80]!r}")


def quote_level(questions: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The questions with each gold reduced to source and quote: only a chunk holding the article's
    opening counts (the scoring before article-level golds, reported beside it for continuity)."""
    return [
        {**q, "gold": [{k: v for k, v in g.items() if k != "section"} for g in q.get("gold", [])]} for q in questions
    ]


def convert(
    laws: Sequence[Mapping[str, Any]],
    questions: Sequence[Mapping[str, Any]],
    titles: Mapping[str, str] | None = None,
) -> tuple[dict[str, str], list[dict[str, Any]]]:
    """Convert parsed law.json and question.json into ``({file name: markdown}, question records)``.

    Question records follow ``eval/questions`` JSONL: lang "vi", category from the question's type
    field when the data has one (else "alqac"), expect "answer", gold per relevant article (source,
    section, quote), no answer keys (free-form ALQAC answers would be scored by a different
    metric), and the exam fields of true/false and multiple-choice questions (:func:`exam_fields`).
    A reference to an unknown article is an error, not a silently easier benchmark.
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
        qid = question_id(question)
        gold = []
        for ref in question.get("relevant_articles", []):
            key = (str(ref["law_id"]), str(ref["article_id"]))
            if key not in where:
                raise ValueError(f"question {qid}: unknown article {key}")
            name, article = where[key]
            gold.append(
                {
                    "source": name,
                    "section": article_section(article),
                    "quote": article_quote(article, normalized[name]),
                }
            )
        records.append(
            {
                "id": qid,
                "lang": "vi",
                "category": str(question.get("question_type") or question.get("type") or "alqac"),
                "question": _nfc(question["text"]),
                "history": [],
                "gold": gold,
                "answer_keys": [],
                "expect": "answer",
                **exam_fields(question),
            }
        )
    return files, records
