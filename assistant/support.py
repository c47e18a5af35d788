"""Is a sentence backed by the passages it cites? The one judge for every answer path.

Extractive answers, generative answers, course material and eval's citation precision/recall
(ALCE) all ask the same question, so they share this module and its thresholds.

A sentence is supported by a set of passages when

1. every number in it (amounts, percentages, day counts, dates, document numbers) occurs in one of
   the passages: a 1.5B generator readily writes "đảng phí 10%" next to a passage that names no
   rate, and no similarity score reliably notices one wrong digit; and
2. it restates one passage sentence. A Vietnamese claim is judged mainly on how many of its
   syllables and syllable pairs that sentence contains, with the embedding cosine only deciding the
   middle band: cosine alone let topical-but-false claims through ("đóng đảng phí bằng tiền mặt cho bí
   thư chi bộ" scored 0.85 against the dues rule). An English claim about a Vietnamese passage
   shares no words with it, so it is judged on the cross-lingual cosine.

Contradictions that reuse the passage's words ("ngay trong ngày" instead of "trong 30 ngày" without
the number) can pass; catching those needs an NLI model we do not have offline.

Everything is deterministic (no sampling; embeddings are cached by text and computed in one batch,
only for the claims the lexical rule cannot settle) so the same answer is always judged the same
way, which eval reproducibility depends on.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np

from assistant.glossary import detect_language
from ingest.sentences import sentence_spans, split_sentences
from ingest.vitokens import normalize, segment
from settings import SupportSettings, get_settings

if TYPE_CHECKING:
    from ingest.embedder import Embedder

# The bars are settings (``support``), calibrated on 29 hand-labelled claim/passage pairs from QĐ 294
# and the Statute (the cases in tests/test_support.py). Vietnamese: faithful claims scored lexical
# 0.60-0.98; false claims without a number slip at most 0.43 (cosine up to 0.86, hence cosine alone
# never suffices), and those with one 0.52-0.53. The cut sits between, and the band below it needs a
# high cosine as well (no labelled pair fell in the band; it admits paraphrases with new wording).
# English about Vietnamese passages: faithful 0.655-0.79 cosine, false 0.55-0.63, so the
# cross-lingual cut sits in that gap (a thin one: the number rule does most of the work against
# invented answers).
# EmbeddingGemma's own prompt for symmetric sentence similarity; retrieval prompts are asymmetric.
SIMILARITY_PROMPT = "task: sentence similarity | query: "
_CACHE_SIZE = 4096

CITATION = re.compile(r"\s*\[(\d+)\]")
_LIST_MARKER = re.compile(r"^\s*(?:\d+(?:\.\d+)*[.)]|[a-zđ]\)|[-*•+–])\s+", re.IGNORECASE)
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*(?:\s*(?:%|phần trăm|percent\b))?")
_PERCENT = re.compile(r"\s*(?:%|phần trăm|percent)$")

# Vietnamese numerals written as words ("ba tháng", "mười hai tháng") in a passage count as the
# digits an answer would use; only before a unit, because "một"/"năm" are also ordinary words.
_DIGIT_WORDS = {
    "không": 0, "một": 1, "mốt": 1, "hai": 2, "ba": 3, "bốn": 4, "tư": 4, "năm": 5, "lăm": 5,
    "sáu": 6, "bảy": 7, "tám": 8, "chín": 9,
}  # fmt: skip
_UNITS = r"(?:tháng|năm|ngày|tuần|tuổi|người|lần|giờ|đảng viên|thành viên|phần trăm)"
_NUMERAL_WORDS = re.compile(
    rf"\b((?:(?:{'|'.join(_DIGIT_WORDS)}|mười|mươi)\s+)+){_UNITS}\b",
)


@dataclass(frozen=True)
class SupportVerdict:
    """Why a sentence was kept or dropped, so the UI and eval can show the deciding evidence."""

    supported: bool
    passage: int | None  # index (0-based) of the best supporting passage
    lexical: float  # ``lexical_score`` against the best passage sentence
    cosine: float | None  # cosine to that passage sentence; None when the lexical rule sufficed
    missing_numbers: tuple[str, ...] = ()


def strip_citations(sentence: str) -> str:
    """The claim itself: no [n] markers and no leading list bullet or number."""
    return _LIST_MARKER.sub("", CITATION.sub("", unicodedata.normalize("NFC", sentence))).strip()


@lru_cache(maxsize=_CACHE_SIZE)
def content_syllables(text: str) -> frozenset[str]:
    """Non-stopword syllables, casefolded with one tone style, numbers excluded (checked apart).

    Syllables rather than pyvi compounds: segmentation of the same words differs between a short
    claim and a long passage sentence, syllables do not.
    """
    return frozenset(t for t in segment(text) if "_" not in t and not any(ch.isdigit() for ch in t))


@lru_cache(maxsize=_CACHE_SIZE)
def numbers_in(text: str) -> frozenset[str]:
    """Canonical numbers: "06" -> "6", "18,50" -> "18.50", "10 %" -> "10%", date parts apart."""
    folded = normalize(text)
    found: set[str] = set()
    for match in _NUMBER.finditer(folded):
        value = _PERCENT.sub("", match.group())
        canonical = ".".join(part.lstrip("0") or "0" for part in re.split(r"[.,]", value))
        found.add(canonical + "%" if value != match.group() else canonical)
    return frozenset(found)


def passage_numbers(text: str) -> frozenset[str]:
    """Numbers a passage vouches for: its digits (a percentage also as a bare number) and numerals."""
    found = set(numbers_in(text))
    found |= {n.removesuffix("%") for n in found}
    for match in _NUMERAL_WORDS.finditer(normalize(text)):
        value = _read_numeral(match.group(1).split())
        if value is not None:
            found.add(str(value))
    return frozenset(found)


def _read_numeral(words: list[str]) -> int | None:
    """Value of a Vietnamese numeral below 100 ("mười hai" 12, "ba mươi" 30, "hai mươi lăm" 25)."""
    tens, units, seen_ten = 0, None, False
    for word in words:
        if word == "mười":
            tens, seen_ten = 1, True
        elif word == "mươi" and units is not None:
            tens, units, seen_ten = units, None, True
        elif word in _DIGIT_WORDS and units is None:
            units = _DIGIT_WORDS[word]
        else:
            return None
    if not seen_ten:
        return units
    return tens * 10 + (units or 0)


@lru_cache(maxsize=_CACHE_SIZE)
def syllable_bigrams(text: str) -> frozenset[tuple[str, str]]:
    """Adjacent syllable pairs: "chi bộ" and "Bộ Chính trị" share the syllable "bộ", not a pair."""
    syllables = re.findall(r"[^\W\d_]+", normalize(text))
    return frozenset(itertools.pairwise(syllables))


def lexical_score(claim: str, sentence: str) -> float:
    """Mean of the claim's content-syllable recall and syllable-pair recall in ``sentence``.

    Recall, not Jaccard: a claim restates part of a long legal sentence. Pairs keep a claim that
    reuses the passage's words in new combinations from scoring like a restatement.
    """
    wanted = content_syllables(claim)
    if not wanted:
        return 0.0
    unigram = len(wanted & content_syllables(sentence)) / len(wanted)
    pairs = syllable_bigrams(claim)
    if not pairs:
        return unigram
    return (unigram + len(pairs & syllable_bigrams(sentence)) / len(pairs)) / 2


def best_supporting_sentence(claim: str, passage_text: str) -> tuple[int, int]:
    """Span of the passage sentence that best backs ``claim``, for highlighting and quotes.

    Lexical only (no model), so the UI can call it freely: highest lexical score, then
    most claim numbers present, then the shorter sentence (more specific), then the earlier one.
    """
    spans = sentence_spans(passage_text) or [(0, len(passage_text))]
    text = strip_citations(claim)
    claim_numbers = numbers_in(text)

    def rank(span: tuple[int, int]) -> tuple[float, int, int, int]:
        sentence = passage_text[span[0] : span[1]]
        covered = len(claim_numbers & passage_numbers(sentence))
        return (lexical_score(text, sentence), covered, -(span[1] - span[0]), -span[0])

    return max(spans, key=rank)


def looks_vietnamese(text: str, share: float | None = None) -> bool:
    """True when at least ``share`` of the words (``support.vietnamese_share`` when None, 30%)
    carry Vietnamese letters or tone marks.

    An English answer quoting "đảng phí" is still English: its lexical overlap with a Vietnamese
    passage is meaningless, so it must be judged cross-lingually.
    """
    min_share = get_settings().support.vietnamese_share if share is None else share
    return detect_language(text, min_share=min_share) == "vi"


@dataclass(frozen=True)
class _Claim:
    """A claim after the cheap checks; ``needs_cosine`` says whether the embedding must decide."""

    text: str
    vietnamese: bool
    units: tuple[tuple[int, str], ...]  # (passage index, passage sentence)
    lexical: tuple[float, ...]  # per unit
    missing: tuple[str, ...]
    bars: SupportSettings

    @property
    def needs_cosine(self) -> bool:
        if self.missing or not self.units:
            return False
        if not self.vietnamese:
            return True
        return self.bars.lexical_weak <= max(self.lexical) < self.bars.lexical_strong

    def verdict(self, vectors: dict[str, np.ndarray]) -> SupportVerdict:
        if not self.units:
            return SupportVerdict(False, None, 0.0, None, self.missing)
        cosines = [float(vectors[self.text] @ vectors[u]) if self.needs_cosine else None for _, u in self.units]
        # Rank by passing, then by the evidence that applies to the claim's language; the first
        # (earliest) of equals wins, so the verdict never depends on dict or float ordering.
        keys = [
            (self._passes(lexical, cosine), lexical if self.vietnamese else 0.0, cosine or 0.0)
            for lexical, cosine in zip(self.lexical, cosines, strict=True)
        ]
        best = max(range(len(keys)), key=keys.__getitem__)
        return SupportVerdict(
            keys[best][0] and not self.missing,
            self.units[best][0],
            round(self.lexical[best], 4),
            None if cosines[best] is None else round(cosines[best], 4),
            self.missing,
        )

    def _passes(self, lexical: float, cosine: float | None) -> bool:
        if not self.vietnamese:
            return cosine is not None and cosine >= self.bars.cosine_cross_lingual
        if lexical >= self.bars.lexical_strong:
            return True
        return lexical >= self.bars.lexical_weak and cosine is not None and cosine >= self.bars.cosine_weak


def _prepare(sentence: str, passages: Sequence[str], bars: SupportSettings) -> _Claim:
    text = strip_citations(sentence)
    vouched = frozenset().union(*(passage_numbers(p) for p in passages))
    units = tuple((i, unit) for i, passage in enumerate(passages) for unit in passage_units(passage)) if text else ()
    return _Claim(
        text=text,
        vietnamese=looks_vietnamese(text, bars.vietnamese_share),
        units=units,
        lexical=tuple(lexical_score(text, unit) for _, unit in units),
        missing=tuple(sorted(numbers_in(text) - vouched)),
        bars=bars,
    )


class SupportChecker:
    """The judge bound to one embedder, with an embedding cache shared by all calls.

    Eval's ALCE precision re-checks each sentence against subsets of the same passages, and a
    generated answer is checked sentence by sentence against the same few passages, so caching
    passage-sentence vectors by text turns most repeated checks into a dot product.
    """

    def __init__(self, embedder: Embedder, bars: SupportSettings | None = None) -> None:
        """``bars``: the thresholds (the process's ``support`` settings when None: eval, course
        building and the chat share one checker per embedder, ``checker_for``)."""
        self._embedder = embedder
        self.bars = get_settings().support if bars is None else bars
        self._vectors: OrderedDict[str, np.ndarray] = OrderedDict()

    def __call__(self, sentence: str, passages: Sequence[str]) -> bool:
        """eval.metrics.SupportFn: the boolean verdict."""
        return self.check(sentence, passages).supported

    def check(self, sentence: str, passages: Sequence[str]) -> SupportVerdict:
        return self.check_many([(sentence, passages)])[0]

    def check_many(self, claims: Sequence[tuple[str, Sequence[str]]]) -> list[SupportVerdict]:
        """Verdicts for many (sentence, passages) pairs, embedding what is needed in one batch."""
        prepared = [_prepare(sentence, passages, self.bars) for sentence, passages in claims]
        undecided = [c for c in prepared if c.needs_cosine]
        vectors = self._embed([t for c in undecided for t in (c.text, *(u for _, u in c.units))])
        return [claim.verdict(vectors) for claim in prepared]

    def _embed(self, texts: Sequence[str]) -> dict[str, np.ndarray]:
        """Vectors for ``texts``, encoding only those not cached."""
        todo = list(dict.fromkeys(t for t in texts if t not in self._vectors))
        if todo:
            encoded = self._embedder.embed_queries(todo, prompt=SIMILARITY_PROMPT)
            self._vectors.update(zip(todo, encoded, strict=True))
        wanted = {text: self._vectors[text] for text in texts}
        for text in wanted:
            self._vectors.move_to_end(text)
        while len(self._vectors) > _CACHE_SIZE:
            self._vectors.popitem(last=False)
        return wanted


@lru_cache(maxsize=_CACHE_SIZE)
def passage_units(passage: str) -> tuple[str, ...]:
    """Passage sentences a claim is compared with (a claim usually restates one sentence)."""
    return tuple(unit for unit in map(strip_citations, split_sentences(passage)) if unit)


@lru_cache(maxsize=4)
def checker_for(embedder: Embedder) -> SupportChecker:
    """One checker (and embedding cache) per embedder for the process."""
    return SupportChecker(embedder)


def is_supported(sentence: str, passages: Sequence[str], embedder: Embedder) -> SupportVerdict:
    """Verdict for one sentence against the passages it cites."""
    return checker_for(embedder).check(sentence, passages)


def support_fn(embedder: Embedder) -> Callable[[str, Sequence[str]], bool]:
    """The judge in the shape eval.metrics.citation_precision_recall expects."""
    return checker_for(embedder)
