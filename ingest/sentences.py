"""Where a sentence ends: the one rule for joining wrapped lines, cutting long lines and splitting answers.

Ingest joins a source's wrapped lines back into paragraphs unless a sentence ends at the line
break (``textclean.unwrap``) and cuts an over-long paragraph between sentences (the chunker); the
assistant splits answers and passages into the sentences it checks, quotes and cites
(``assistant.support``). All three ask the same question of the same text, so they share this
module. It sits in ingest because ingest may not import the assistant.

A sentence ends at ``. ! ? …`` and any closing quotes or brackets, before a word that may open a
sentence; a line break always ends one. Two readings of "may open a sentence", for two purposes:

* ``layout=True`` (ingest, on a source's lines): only a word that visibly opens a sentence, one
  starting with a capital, a digit, an opening quote or bracket, or a dash. Bracketed numbers
  after the stop are a web page's footnote marks, which ``remove_boilerplate`` strips later, and
  end nothing. This reading decides the text and chunk boundaries of everything indexed (chunk ids
  are content hashes the index reuses), so it stays as the collection was chunked with it.
* ``layout=False`` (the assistant, on answers and passages): any word but a lower-case one (or a
  lower-case one opening a list item, "b)"); a stop after an abbreviation ("TP.", "v.v.") or a
  bare number ("2.1.", "Điều 5.") ends nothing; the ``[n]`` citation markers after the stop belong
  to the sentence they close.
"""

from __future__ import annotations

import re

_CLOSE = '"”’)\\]'  # closing quotes and brackets a stop may carry: 'đúng quy định.”'
_STOP = rf"[.!?…]+[{_CLOSE}]*"  # not ":" — "điều kiện: Có sức khoẻ" continues the sentence
_READING_STOP = rf"[.!?…]+[{_CLOSE}»]*(?:\s*\[\d+\])*"  # "… làm việc. [1]" keeps its marker
_BOUNDARY = {
    True: re.compile(rf"{_STOP}(?=\s+(?P<next>\S+))"),
    False: re.compile(rf"{_READING_STOP}(?=\s+(?P<next>\S+))"),
}
_ENDING = {True: re.compile(rf"{_STOP}\Z"), False: re.compile(rf"{_READING_STOP}\Z")}
_LINE = re.compile(r"[^\n]+")
_LAYOUT_OPENERS = '"“(-'
_LIST_ITEM = re.compile(r"^[a-zđ]\)")
_ABBREVIATIONS = frozenset(
    {"tp", "ths", "ts", "pgs", "gs", "bs", "ks", "v.v", "vv", "mr", "mrs", "ms", "dr", "st", "no", "vs", "e.g", "i.e"}
)
# "2.1." or "b)" opening a list item, "Điều 5." opening an article: the period ends no sentence.
_NUMBERING = re.compile(
    r"^(?:(?:điều|khoản|chương|mục|phần|article|section)\s+)?(?:\d+(?:\.\d+)*|[a-zđ]|[ivxlc]+)$", re.IGNORECASE
)


def split_sentences(text: str) -> list[str]:
    """Sentences of an answer or passage, each keeping the [n] markers that follow it."""
    return [text[start:end] for start, end in sentence_spans(text)]


def sentence_spans(text: str, start: int = 0, end: int | None = None, *, layout: bool = False) -> list[tuple[int, int]]:
    """(start, end) offsets of the sentences in ``text[start:end]``, stripped of surrounding whitespace."""
    spans: list[tuple[int, int]] = []
    for line in _LINE.finditer(text, start, len(text) if end is None else end):
        first = line.start()
        for boundary in _BOUNDARY[layout].finditer(text, line.start(), line.end()):
            if _opens_sentence(text[first : boundary.start()], boundary.group("next"), layout):
                spans.append(_strip_span(text, first, boundary.end()))
                first = boundary.end()
        spans.append(_strip_span(text, first, line.end()))
    return [(s, e) for s, e in spans if e > s]


def ends_sentence(text: str, following: str, *, layout: bool = False) -> bool:
    """Whether ``text`` ends a sentence when ``following`` (the next line) comes after it."""
    stop = _ENDING[layout].search(text)
    words = following.split()
    return stop is not None and bool(words) and _opens_sentence(text[: stop.start()], words[0], layout)


def _opens_sentence(before_stop: str, next_word: str, layout: bool) -> bool:
    """Whether a stop after ``before_stop`` (the sentence so far) ends it when ``next_word`` follows.

    False after "TP.", "v.v." or a bare list number ("2.1."), where a period ends no sentence, and
    before a lowercase word ("sinh hoạt phí... theo quy định"), unless it opens a list item "b)".
    """
    if layout:
        first = next_word[0]
        return first.isupper() or first.isdigit() or first in _LAYOUT_OPENERS
    words = before_stop.split()
    if not words or (next_word[0].islower() and not _LIST_ITEM.match(next_word)):
        return False
    last = words[-1].casefold().lstrip('("“')
    return last not in _ABBREVIATIONS and not _NUMBERING.match(before_stop.strip())


def _strip_span(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end
