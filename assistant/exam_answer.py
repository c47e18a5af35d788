"""Decide an exam item by the evidence, without an LLM, or decline.

Each option is read as a claim: the stem with that option. The evidence is every sentence of the
passages retrieved for the stem with all its options and for the stem with each option (a stem
like "ý kiến nào đúng?" says nothing by itself; the options carry the information). A sentence
supports an option when it is about the stem (its words, weighted by rarity) and holds what
distinguishes that option from the others: its rarer words and, above all, its numbers exactly.
A true/false statement is true when one sentence holds nearly all of it with the same numbers and
the same negation; it is false when the sentence that best matches it differs in those; when no
sentence is about it at all, the collection does not settle it and the item is declined.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from assistant.evidence import IdfLookup, strip_marker
from assistant.exam import VERDICTS, ExamItem, is_meta_option
from assistant.references import parse_references
from assistant.support import split_sentences
from assistant.types import AnswerPart, Citation, Passage
from ingest.vitokens import segment

# Tuned on eval/questions/exam.jsonl by eval/exam.py; see eval/reports/exam/.
SUPPORT_BAR = 0.4  # an option's support below this is "not stated by the collection"
MARGIN = 0.02  # the best option must lead the next by this much, or the evidence does not decide
ABOUT_BAR = 0.45  # a true/false statement with no sentence holding this share of it is declined
TRUE_BAR = 0.6  # ... and true only when one sentence holds this share of it, with the same numbers and negation
PASSAGES_PER_QUERY = 5

_NUMBER = re.compile(r"\d+(?:[.,/]\d+)*")
_BLANK = re.compile(r"…{2,}|\.{4,}|_{3,}")
_YEAR_IN_PARENTHESES = re.compile(r"\((?:năm\s+)?\d{4}\)")
# Spelt numbers count as numbers where they are amounts or ranks: "sáu tháng", "năm thứ hai".
# ("năm" alone is also "year", so it is read as five only before a unit.)
_DIGITS = ["", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín", "mười"]
_NUMERALS = {word: str(n) for n, word in enumerate(_DIGITS)}
_NUMERALS |= {"mốt": "1", "tư": "4", "nhất": "1"}
_UNITS = r"(?:ngày|tháng|năm|tuần|quý|lần|tuổi|người|đảng viên|đồng chí|nhiệm kỳ|kỳ)"
_SPELT = re.compile(
    rf"(?i)(?<!\w)(thứ\s+)?(một|hai|ba|bốn|năm|sáu|bảy|tám|chín|mười|mốt|tư|nhất)(?!\w)"
    rf"(?(1)|(?=\s+{_UNITS}\b))()"
)
_NEGATION = re.compile(r"\b(?:không|chưa|chẳng|cấm|not|no|never)\b", re.IGNORECASE)
_META_ALL = re.compile(r"^(?:cả|tất cả|all of the above)", re.IGNORECASE)
_META_NONE = re.compile(r"^(?:không có|none of the above)", re.IGNORECASE)
_META_PAIR = re.compile(r"^([A-E]) và ([A-E])\b", re.IGNORECASE)

Search = Callable[[str], Sequence[Passage]]
Expand = Callable[[str], Sequence[str]]


@dataclass
class Evidence:
    """One sentence of a retrieved passage, with its words and numbers."""

    passage: Passage
    sentence: str
    tokens: frozenset[str]
    numbers: frozenset[str]


@dataclass
class ExamVerdict:
    """The choice (a letter, Đúng/Sai) or None when declined, with what settled it."""

    choice: str | None
    support: dict[str, float] = field(default_factory=dict)  # per letter, or per verdict
    evidence: Evidence | None = None

    @property
    def declined(self) -> bool:
        return self.choice is None


def decide(item: ExamItem, search: Search, idf: IdfLookup, expand: Expand | None = None) -> ExamVerdict:
    """Choose an option or a verdict by the evidence ``search`` finds, or decline.

    ``expand`` gives the collection's Vietnamese terms for an English text (``Glossary.expand``):
    an English item is searched as asked, and weighed against the evidence in those terms.
    """
    queries = [" ".join((item.stem, *item.options))]
    queries += [f"{item.stem} {option}" for option in item.options if not is_meta_option(option)]
    evidence = _sentences(passage for query in queries for passage in search(query)[:PASSAGES_PER_QUERY])
    if expand is not None:
        item = ExamItem(_with_terms(item.stem, expand), tuple(_with_terms(o, expand) for o in item.options))
    if item.kind == "true_false":
        return _judge(item.stem, evidence, idf)
    return _choose(item, evidence, idf)


def _with_terms(text: str, expand: Expand) -> str:
    """An English text as the collection would word it: its glossary terms and its numbers (its
    English words match nothing in Vietnamese evidence, and as unseen words would weigh the most)."""
    terms = expand(text)
    return " ".join([*terms, *_NUMBER.findall(text)]) if terms else text


def _sentences(passages: Iterable[Passage]) -> list[Evidence]:
    seen: set[str] = set()
    found: list[Evidence] = []
    for passage in passages:
        if passage.id in seen:
            continue
        seen.add(passage.id)
        for line in passage.text.splitlines():
            for sentence in split_sentences(line):
                numbers = numbers_of(strip_marker(sentence.strip()))
                found.append(Evidence(passage, sentence, frozenset(segment(sentence)), numbers))
    return found


def numbers_of(text: str) -> frozenset[str]:
    """The amounts a claim states, as written without leading zeros ("03 cán bộ" is "3 cán bộ"):
    not the numbers naming the documents it cites ("Theo Hướng dẫn 45-HD/BTCTW", "Điều lệ (2011)")."""
    for ref in parse_references(text):
        text = text.replace(ref.raw, " ")
    text = _YEAR_IN_PARENTHESES.sub(" ", text)
    text = _SPELT.sub(lambda m: f"{m.group(1) or ''}{_NUMERALS[m.group(2).casefold()]}{m.group(3) or ''}", text)
    return frozenset(re.sub(r"(?<![\d.,/])0+(?=\d)", "", number) for number in _NUMBER.findall(text))


def _covered(weights: Mapping[str, float], tokens: frozenset[str]) -> float:
    total = sum(weights.values())
    return sum(w for t, w in weights.items() if t in tokens) / total if total else 0.0


def _weights(text: str, idf: IdfLookup, drop: frozenset[str] = frozenset()) -> dict[str, float]:
    tokens = [t for t in dict.fromkeys(segment(text)) if t not in drop]
    weights = idf(tokens)
    return {t: weights.get(t, 0.0) for t in tokens if weights.get(t, 0.0) > 0}


def _choose(item: ExamItem, evidence: Sequence[Evidence], idf: IdfLookup) -> ExamVerdict:
    stem = _weights(item.stem, idf)
    options = dict(zip(item.letters, item.options, strict=True))
    plain = {letter: text for letter, text in options.items() if not is_meta_option(text)}
    # Words every option shares say nothing about which one is right.
    shared = frozenset.intersection(*(frozenset(segment(text)) for text in plain.values())) if plain else frozenset()
    support: dict[str, float] = {}
    best_evidence: dict[str, Evidence] = {}
    # A blank to fill ("Lý lịch phải được …… thẩm tra") places the option in the stem's sentence, so
    # an option may name what the stem also names elsewhere ("chi bộ"): its words all count.
    said = frozenset() if _BLANK.search(item.stem) else frozenset(stem)
    for letter, text in plain.items():
        own = _weights(text, idf, shared | said)
        numbers = numbers_of(text)
        for piece in evidence:
            if numbers and not numbers <= piece.numbers:
                continue  # "90 ngày" is not supported by a sentence saying "30 ngày"
            held = _covered(own, piece.tokens) if own else (1.0 if numbers else 0.0)
            score = held * (0.5 + 0.5 * _covered(stem, piece.tokens))
            if score > support.get(letter, 0.0):
                support[letter], best_evidence[letter] = score, piece
    for letter in plain:
        support.setdefault(letter, 0.0)
    stated = {letter for letter, score in support.items() if score >= SUPPORT_BAR}
    for letter, text in options.items():
        if letter in plain:
            continue
        pair = _META_PAIR.match(text)
        others = set(plain)
        if _META_ALL.match(text) and stated == others:
            return ExamVerdict(letter, support, max(best_evidence.values(), key=lambda e: len(e.tokens), default=None))
        if _META_NONE.match(text) and not stated and evidence:
            return ExamVerdict(letter, support)
        if pair and {pair.group(1).upper(), pair.group(2).upper()} == stated:
            return ExamVerdict(letter, support, best_evidence.get(pair.group(1).upper()))
    ranked = sorted(support, key=lambda letter: support[letter], reverse=True)
    if not ranked or support[ranked[0]] < SUPPORT_BAR:
        return ExamVerdict(None, support)
    if len(ranked) > 1 and support[ranked[0]] - support[ranked[1]] < MARGIN:
        return ExamVerdict(None, support)
    return ExamVerdict(ranked[0], support, best_evidence.get(ranked[0]))


def _judge(statement: str, evidence: Sequence[Evidence], idf: IdfLookup) -> ExamVerdict:
    weights = _weights(statement, idf)
    if not weights or not evidence:
        return ExamVerdict(None)
    best = max(evidence, key=lambda piece: _covered(weights, piece.tokens))
    held = _covered(weights, best.tokens)
    if held < ABOUT_BAR:
        return ExamVerdict(None, {VERDICTS[0]: held})
    numbers = numbers_of(statement)
    same_numbers = numbers <= best.numbers or not best.numbers
    same_negation = bool(_NEGATION.search(statement)) == bool(_NEGATION.search(best.sentence))
    true = held >= TRUE_BAR and same_numbers and same_negation
    return ExamVerdict(VERDICTS[0] if true else VERDICTS[1], {VERDICTS[0]: held}, best)


# What an exam answer says around its choice, in the asker's language.
_ANSWER = {"vi": "Đáp án: {choice}", "en": "Answer: {choice}"}
_TRUTH_EN = {"Đúng": "True (Đúng)", "Sai": "False (Sai)"}
_BASIS = {"vi": "Căn cứ (câu quyết định):", "en": "Deciding sentence (quoted in Vietnamese):"}
EXAM_DECLINED = {
    "vi": "Bộ văn bản không đủ căn cứ để chọn đáp án cho câu này, nên không đoán; dưới đây là các đoạn gần nhất.",
    "en": "The collection does not settle this item, so no option is guessed; the closest passages follow.",
}


@dataclass
class ExamAnswer:
    """The rendered verdict: a lead naming the choice, and the deciding sentence as a cited part."""

    lead: str
    parts: list[AnswerPart]
    citations: list[Citation]


def exam_answer(item: ExamItem, verdict: ExamVerdict, language: str) -> ExamAnswer:
    """Name the chosen option (letter and text) or Đúng/Sai, and quote the sentence that settled it."""
    if verdict.choice is None:
        return ExamAnswer(EXAM_DECLINED[language], [], [])
    if item.kind == "choice":
        chosen = f"{verdict.choice}. {dict(zip(item.letters, item.options, strict=True))[verdict.choice]}"
    else:
        chosen = _TRUTH_EN[verdict.choice] if language == "en" else verdict.choice
    lead = _ANSWER[language].format(choice=chosen)
    piece = verdict.evidence
    if piece is None:  # a meta option ("Không có đáp án nào đúng") chosen because nothing states the others
        return ExamAnswer(lead, [], [])
    return ExamAnswer(
        lead,
        [AnswerPart(1, [piece.sentence], frame=_BASIS[language])],
        [Citation(1, piece.passage, piece.sentence)],
    )
