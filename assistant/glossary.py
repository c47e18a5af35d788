"""Reviewed English -> Vietnamese party-building glossary, for expanding English queries.

The collection is Vietnamese, so an English question shares no words with it and BM25 finds
nothing; the dense model bridges languages only loosely for terms of art ("surplus candidates" is
"số dư", not a literal translation). Appending the glossary's Vietnamese terms to the keyword query
gives BM25 the exact wording the documents use. Entries are hand-reviewed, and every Vietnamese
variant is checked to occur in the collection (tests/test_glossary.py).

The one language detector (``detect_language``) lives here too: the glossary's English function
words are half of it, and both the answer language and the support check's judge depend on it.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

DEFAULT_PATH = Path(__file__).with_name("glossary.tsv")

_WORD = re.compile(r"[a-z0-9]+")
# Letters only Vietnamese uses; any of them marks a word as Vietnamese.
_VIETNAMESE_LETTERS = re.compile(r"[đăâêôơưàáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợùúủũụừứửữựỳýỷỹỵ]")
_FUNCTION_WORDS = "the a an of to in on for about what which who how when why does do is are was were be can should"
_ENGLISH_FUNCTION_WORDS = frozenset(f"{_FUNCTION_WORDS} must say says said with by from and or this that these".split())
# Words that carry no content of their own, for measuring how much of a question the glossary read.
_PRONOUNS_AND_FILLERS = (
    "i we you he she it they my our your his her its their me us them there then than at as if many "
    "much long often has have had will would may might any all each other whom whose after before "
    "under over into out up happen happens mean means"
)
_NOT_CONTENT = _ENGLISH_FUNCTION_WORDS | frozenset(_PRONOUNS_AND_FILLERS.split())


def _match_key(text: str) -> tuple[str, ...]:
    """Lowercase words with a crude plural strip, applied alike to entries and queries, so
    "Party members" finds "Party member" without a stemmer dependency."""
    words = _WORD.findall(unicodedata.normalize("NFC", text).casefold().replace("-", " "))
    return tuple(w[:-1] if len(w) > 3 and w.endswith("s") and not w.endswith("ss") else w for w in words)


_NOT_CONTENT_KEYS = frozenset(_match_key(" ".join(_NOT_CONTENT)))  # spelt as queries are ("does" -> "doe")


@dataclass(frozen=True)
class Glossary:
    """English phrase key -> Vietnamese variants (first is the preferred term)."""

    entries: dict[tuple[str, ...], tuple[str, ...]]

    @property
    def _longest(self) -> int:
        return max((len(key) for key in self.entries), default=0)

    def expand(self, query: str) -> list[str]:
        """Vietnamese terms for the English phrases in ``query``, in query order, without repeats.

        Longest match first: "probationary member" yields "đảng viên dự bị" and does not also fire
        "member", whose generic "đảng viên" would pull in every chunk about members.
        """
        terms: list[str] = []
        for phrase in self._phrases(_match_key(query)).values():
            terms += [term for term in self.entries[phrase] if term not in terms]
        return terms

    def coverage(self, query: str) -> float:
        """Share of the query's content words that fall inside a glossary phrase (0 to 1).

        The glossary's terms are all the Vietnamese an English question brings to word matching;
        this says how much of the question they stand for ("surplus candidates" is most of "what
        does Guidance 26 say about surplus candidates", "commune" little of a long question).
        """
        words = _match_key(query)
        matched = {i for start, phrase in self._phrases(words).items() for i in range(start, start + len(phrase))}
        content = [i for i, word in enumerate(words) if word not in _NOT_CONTENT_KEYS and not word.isdigit()]
        return sum(1 for i in content if i in matched) / len(content) if content else 0.0

    def _phrases(self, words: tuple[str, ...]) -> dict[int, tuple[str, ...]]:
        """The glossary phrases in ``words`` by start position, left to right, longest match first."""
        phrases: dict[int, tuple[str, ...]] = {}
        position = 0
        while position < len(words):
            length = self._match_length(words, position)
            if length:
                phrases[position] = words[position : position + length]
            position += length or 1
        return phrases

    def _match_length(self, words: tuple[str, ...], position: int) -> int:
        for length in range(min(self._longest, len(words) - position), 0, -1):
            if words[position : position + length] in self.entries:
                return length
        return 0


def load_glossary(path: Path | None = None) -> Glossary:
    """Read the TSV (columns ``en``, ``vi``; variants in ``vi`` separated by ``|``)."""
    entries: dict[tuple[str, ...], tuple[str, ...]] = {}
    with (path or DEFAULT_PATH).open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE):
            key = _match_key(row["en"])
            variants = tuple(unicodedata.normalize("NFC", v.strip()) for v in row["vi"].split("|") if v.strip())
            if not key or not variants:
                raise ValueError(f"bad glossary row: {row}")
            if key in entries:
                raise ValueError(f"duplicate glossary entry: {row['en']!r}")
            entries[key] = variants
    return Glossary(entries)


def detect_language(text: str, min_share: float | None = None) -> Literal["vi", "en"]:
    """Which language ``text`` is in: the one detector, for questions and for claims.

    Without ``min_share`` (a question: which language to answer in), words with Vietnamese letters
    count against English function words. Mixed queries ("what does Điều lệ say") count both; a tie
    with any Vietnamese goes to "vi". Unaccented Vietnamese ("huong dan 26") reads as "en"; the
    retrieval side does not depend on it.

    With ``min_share`` (a claim: can its words be matched with a Vietnamese passage's), "vi" when
    at least that share of the words with letters carry a non-ASCII letter. An English sentence
    quoting "đảng phí" stays English. Any non-ASCII letter counts, not only Vietnamese ones, so a
    claim in another script stays with the strict word-matching judge rather than the looser
    cross-lingual one (``assistant.support``).
    """
    words = unicodedata.normalize("NFC", text).split()
    if min_share is not None:
        lettered = [w for w in words if any(ch.isalpha() for ch in w)]
        marked = sum(1 for w in lettered if any(ord(ch) > 127 and ch.isalpha() for ch in w))
        return "vi" if lettered and marked / len(lettered) >= min_share else "en"
    folded = [w.casefold() for w in words]
    vietnamese = sum(1 for w in folded if _VIETNAMESE_LETTERS.search(w))
    english = sum(1 for w in folded if w.strip("?.,!:;\"'()") in _ENGLISH_FUNCTION_WORDS)
    if vietnamese and vietnamese >= english:
        return "vi"
    return "en" if any(ch.isalpha() for ch in text) else "vi"
