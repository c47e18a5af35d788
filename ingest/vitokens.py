"""Vietnamese tokenization for keyword (BM25) search.

The same function tokenizes chunk text at ingest and user queries at search time, so every choice
here is about making the two sides agree: Unicode form, letter case, tone-mark placement and word
boundaries must not depend on how a text happened to be typed.

Pipeline: NFC -> casefold (diacritics kept) -> old-style tone placement -> protect document numbers
and dates -> pyvi word segmentation per line -> drop punctuation and stopwords -> add the syllables
of each compound.

Why the syllables of compounds are also emitted: pyvi's boundaries depend on context, so the same
words can be one token in a passage and two in a query ("sinh hoạt đảng" vs "sinh_hoạt_đảng"), and
a compound in the query then matches nothing. Emitting syllables as well keeps the compound as a
precise, high-IDF signal and recovers these misses. Measured on the collection (796 ~1,200-char
chunks): 394 short 2-4-word lowercase queries cut from a chunk, BM25 finding that chunk: MRR
0.182 -> 0.253 and recall@10 0.36 -> 0.50 with syllables added (syllables only: 0.247 / 0.48);
105 article titles as queries, finding their article: unchanged (MRR 0.694 vs 0.691).

Speed: pyvi's own ``tokenize`` builds its output by repeated string concatenation (quadratic on a
long text) and builds 14-key feature dicts in Python. We call its CRF model directly, per line,
with feature dicts that omit the boolean features that are false: python-crfsuite turns a boolean
into an attribute of value 0.0 or 1.0, and an attribute of value 0.0 adds nothing to any score, so
the labels are identical (``tests/test_vitokens.py`` checks this against ``pyvi`` itself).
"""

from __future__ import annotations

import re
import string
import unicodedata
from collections.abc import Iterator, Sequence
from importlib import metadata

from pyvi.ViTokenizer import ViTokenizer

# Part of every keyword-index fingerprint: any change to the token stream (stopwords, rules, pyvi
# version) must force a rebuild, or query and index tokens silently stop matching.
TOKENIZER_VERSION = f"1+pyvi{metadata.version('pyvi')}"

_MODEL = ViTokenizer.model
_BI_GRAMS: set[str] = ViTokenizer.bi_grams
_TRI_GRAMS: set[str] = ViTokenizer.tri_grams

# Reviewed: function words and question framing ("nói gì về", "như thế nào", "ra sao") that carry no
# topic. Kept small on purpose: BM25's IDF already discounts common words, and over-eager lists drop
# meaning-bearing words such as "không" (negation) or "có" (in "có phải").
_FUNCTION_WORDS = "và của là các những được thì mà này đó ấy với cho về theo để từ tại trong khi bị bởi vì nên rằng"
_QUESTION_FRAMING = "nào gì sao ra nói hay hoặc như thế như_thế_nào thế_nào là_gì ra_sao bao_nhiêu hay_không có_phải"
STOPWORDS = frozenset(f"{_FUNCTION_WORDS} {_QUESTION_FRAMING}".split())

# pyvi's lexicon writes tone marks on the second vowel of open "oa", "oe", "uy" ("hoà", "uỷ"),
# while much of the collection uses the newer style ("hòa", "ủy"). Normalising to pyvi's style makes
# both spellings one token *and* lets pyvi's bigram features recognise compounds such as "cấp uỷ".
_TONES = "\u0300\u0301\u0309\u0303\u0323"  # grave, acute, hook, tilde, dot below
_NEW_TO_OLD = {
    unicodedata.normalize("NFC", first + tone + second): unicodedata.normalize("NFC", first + second + tone)
    for first, second in (("o", "a"), ("o", "e"), ("u", "y"))
    for tone in _TONES
}
_NEW_STYLE_TONE = re.compile("(?:" + "|".join(_NEW_TO_OLD) + r")(?!\w)")

# Document numbers ("294-QĐ/TW", "45-HD/BTCTW", "19370-CV/VPTW"), abbreviations glued to a number
# as users type them ("HD26", "QĐ294") and dates are cut out before segmentation: numbers become
# whole tokens, and a date's "26" cannot match a query for "Hướng dẫn 26".
_PROTECTED = re.compile(
    r"(?P<docno>(?P<num>\d+)\s*[-–]\s*(?P<abbr>[^\W\d_]+)\s*/\s*(?P<issuer>[^\W\d_]+(?:[-.][^\W\d_]+)*))"
    r"|(?P<glued>\b(?P<letters>[^\W\d_]{1,6})(?P<digits>\d+)\b)"
    r"|(?P<date>\b(?P<day>\d{1,2})\s*/\s*(?P<month>\d{1,2})\s*/\s*(?P<year>\d{4})\b)"
)
_PUNCTUATION = frozenset(string.punctuation)


def normalize(text: str) -> str:
    """Fold a text to the one form both index and queries use: NFC, casefolded, old tone style.

    Casefolding happens *before* segmentation so pyvi sees identical input whether a user typed
    "Đảng viên" or "đảng viên"; otherwise its case features could cut the two differently.
    """
    folded = unicodedata.normalize("NFC", unicodedata.normalize("NFC", text).casefold())
    return _NEW_STYLE_TONE.sub(lambda m: _NEW_TO_OLD[m.group()], folded)


def segment(text: str) -> list[str]:
    """Tokens for BM25: compounds joined with "_", plus their syllables, minus punctuation/stopwords."""
    tokens: list[str] = []
    for line in normalize(text).splitlines():
        tokens.extend(_line_tokens(line))
    return tokens


def segment_many(texts: Sequence[str]) -> list[list[str]]:
    """Batch form used at ingest; one call site keeps ingestion and query tokenization identical."""
    return [segment(text) for text in texts]


def _line_tokens(line: str) -> Iterator[str]:
    position = 0
    for match in _PROTECTED.finditer(line):
        yield from _word_tokens(line[position : match.start()])
        yield from _protected_tokens(match)
        position = match.end()
    yield from _word_tokens(line[position:])


def _protected_tokens(match: re.Match[str]) -> list[str]:
    """A document number gives its full form and its parts, so "294", "qđ 294" and "294-qđ/tw" all hit."""
    if match.group("docno"):
        num, abbr, issuer = match.group("num", "abbr", "issuer")
        return [f"{num}-{abbr}/{issuer}", num, abbr, issuer]
    if match.group("glued"):
        return [match.group("glued"), *match.group("letters", "digits")]
    day, month, year = (int(part) for part in match.group("day", "month", "year"))
    return [f"{day}/{month}/{year}", str(year)]


def _word_tokens(text: str) -> Iterator[str]:
    for word in pyvi_words(text):
        if word in _PUNCTUATION or word in STOPWORDS or not any(ch.isalnum() for ch in word):
            continue
        yield word
        if "_" in word:
            yield from (syllable for syllable in word.split("_") if syllable not in STOPWORDS)


def pyvi_words(text: str) -> list[str]:
    """pyvi's segmentation (same labels, same joining rule) without its quadratic string building."""
    _, syllables = ViTokenizer.sylabelize(text)
    if not syllables:
        return []
    labels = _MODEL.predict_single(_features(syllables))
    words = [syllables[0]]
    for i in range(1, len(syllables)):
        if labels[i] == "I_W" and _joinable(syllables[i - 1], syllables[i]):
            words[-1] = f"{words[-1]}_{syllables[i]}"
        else:
            words.append(syllables[i])
    return words


def _joinable(previous: str, current: str) -> bool:
    """pyvi's rule for when an I_W label may actually glue two syllables."""
    return (
        current not in _PUNCTUATION
        and previous not in _PUNCTUATION
        and not current[0].isdigit()
        and not previous[0].isdigit()
        and not (current[0].istitle() and not previous[0].istitle())
    )


def _features(syllables: list[str]) -> list[dict[str, str | float]]:
    """pyvi's ``word2features`` for a whole sentence, computing each n-gram lookup once."""
    n = len(syllables)
    lower = [s.lower() for s in syllables]
    flags = [_case_flags(s) for s in syllables]
    bigram = [f"{lower[i]} {lower[i + 1]}" in _BI_GRAMS for i in range(n - 1)]
    trigram = [f"{lower[i]} {lower[i + 1]} {lower[i + 2]}" in _TRI_GRAMS for i in range(n - 2)]
    items: list[dict[str, str | float]] = []
    for i in range(n):
        item: dict[str, str | float] = {"bias": 1.0, "word.lower()": lower[i], **flags[i][""]}
        if i > 0:
            item["-1:word.lower()"] = lower[i - 1]
            item.update(flags[i - 1]["-1:"])
            if bigram[i - 1]:
                item["-1:word.bi_gram()"] = 1.0
            if i > 1 and trigram[i - 2]:
                item["-2:word.tri_gram()"] = 1.0
        if i < n - 1:
            item["+1:word.lower()"] = lower[i + 1]
            item.update(flags[i + 1]["+1:"])
            if bigram[i]:
                item["+1:word.bi_gram()"] = 1.0
            if i < n - 2 and trigram[i]:
                item["+2:word.tri_gram()"] = 1.0
        items.append(item)
    return items


def _case_flags(syllable: str) -> dict[str, dict[str, float]]:
    """The true case/digit features of a syllable, keyed by the prefix they are used under."""
    own = {
        "word.isupper()": syllable.isupper(),
        "word.istitle()": syllable.istitle(),
        "word.isdigit()": syllable.isdigit(),
    }
    true_own = {name: 1.0 for name, value in own.items() if value}
    neighbour = {name: 1.0 for name, value in own.items() if value and name != "word.isdigit()"}
    return {
        "": true_own,
        "-1:": {f"-1:{name}": v for name, v in neighbour.items()},
        "+1:": {f"+1:{name}": v for name, v in neighbour.items()},
    }
