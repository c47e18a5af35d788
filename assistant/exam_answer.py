"""Decide an exam item by the evidence, without an LLM, or decline.

The evidence is every sentence (and ";" clause) of the passages retrieved for the stem with all its
options and for the stem with each option: a stem like "ý kiến nào đúng?" says nothing by itself.

- A four-option item: a unit supports an option when it is about the stem (its words, weighted by
  rarity) and says what distinguishes that option from the others, in runs of syllables rather than
  scattered words, and its amounts exactly. A unit that says several options whole, one per case
  ("30 ngày … đối với …, 90 ngày … đối với cấp Trung ương"), supports only the option it binds to the
  stem's case (``assistant.exam_binding``), or none. In a scenario, a unit whose conditions leave
  the story's amounts out ("từ đủ 12 tháng trở lên" for 8 months) supports nothing but a "no", and
  one whose condition admits them ("điểm từ 7 đến cận 8" for 7,5 điểm) is about the story's case
  (``assistant.exam_ranges``). Options held equally are declined, not guessed.
- A true/false statement is read against the unit that holds most of it, word by word in order
  (``assistant.exam_evidence``): true when that unit holds nearly all of it, every amount sits
  where the evidence puts the same amount, and no slot is filled otherwise (another body, a
  negation or "trừ" on one side only); false otherwise; declined when no unit is about it at all.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from assistant.exam import VERDICTS, ExamItem, is_meta_option
from assistant.exam_binding import bound_option
from assistant.exam_evidence import (
    NEGATIONS,
    NUMBER,
    Claim,
    IdfLookup,
    Reading,
    Unit,
    claim_text,
    is_number,
    numbers_of,
    read,
    read_number,
    units_of,
    words_of,
)
from assistant.exam_ranges import admits, story_amounts
from assistant.types import AnswerPart, Citation, Passage
from ingest.vitokens import segment
from settings import ExamSettings, get_settings

# The bars are settings (``exam``), tuned on eval/questions/exam.jsonl by eval/exam.py.
MC_KINDS = ("sentence", "clause")  # units an option is weighed against (adjacent pairs blur which option is held)
_YES_NO = re.compile(r"(?:hay|hoặc)?\s*không\s*\?\s*$", re.IGNORECASE)
_WHOLE = 0.99  # an option a unit says whole, every syllable in its runs

_BLANK = re.compile(r"…{2,}|\.{4,}|_{3,}")
_META_ALL = re.compile(r"^(?:cả|tất cả|all of the above)", re.IGNORECASE)
_META_NONE = re.compile(r"^(?:không có|none of the above)", re.IGNORECASE)
_META_PAIR = re.compile(r"^([A-E]) và ([A-E])\b", re.IGNORECASE)

Search = Callable[[str], Sequence[Passage]]
Expand = Callable[[str], Sequence[str]]


@dataclass
class ExamVerdict:
    """The choice (a letter, Đúng/Sai) or None when declined, with what settled it."""

    choice: str | None
    support: dict[str, float] = field(default_factory=dict)  # per letter, or per verdict
    evidence: Unit | None = None
    held: dict[str, Unit] = field(default_factory=dict)  # each option's best stating unit (four options)
    by_model: bool = False  # the generator picked among options the evidence left tied

    @property
    def declined(self) -> bool:
        return self.choice is None


def decide(
    item: ExamItem,
    search: Search,
    idf: IdfLookup,
    expand: Expand | None = None,
    tuning: ExamSettings | None = None,
) -> ExamVerdict:
    """Choose an option or a verdict by the evidence ``search`` finds, or decline.

    ``expand`` gives the collection's Vietnamese terms for an English text (``Glossary.expand``):
    an English item is searched as asked, and weighed against the evidence in those terms.
    ``tuning``: the ``exam`` settings (the process's when None: eval and tests call this directly).
    """
    tuning = get_settings().exam if tuning is None else tuning
    queries = [" ".join((item.stem, *item.options))]
    queries += [f"{item.stem} {option}" for option in item.options if not is_meta_option(option)]
    units = units_of(passage for query in queries for passage in search(query)[: tuning.passages_per_query])
    if expand is not None:
        item = ExamItem(_with_terms(item.stem, expand), tuple(_with_terms(o, expand) for o in item.options))
    if item.kind == "true_false":
        return _judge(item.stem, units, idf, tuning)
    return _choose(item, units, idf, tuning)


def _with_terms(text: str, expand: Expand) -> str:
    """An English text as the collection would word it: its glossary terms and its numbers (its
    English words match nothing in Vietnamese evidence, and as unseen words would weigh the most)."""
    terms = expand(text)
    return " ".join([*terms, *NUMBER.findall(text)]) if terms else text


def _readings(claim: Claim, units: Sequence[Unit], tuning: ExamSettings) -> list[Reading]:
    """The best covering units (``tuning.read_units`` of them), aligned with the claim, best first."""
    best = sorted(units, key=lambda unit: claim.covered(unit.bag), reverse=True)[: tuning.read_units]
    return [read(claim, unit, tuning) for unit in best]


def _weights(text: str, idf: IdfLookup, drop: frozenset[str] = frozenset()) -> dict[str, float]:
    tokens = [t for t in dict.fromkeys(segment(claim_text(text))) if t not in drop]
    weights = idf(tokens)
    return {t: weights.get(t, 0.0) for t in tokens if weights.get(t, 0.0) > 0}


def _covered(weights: dict[str, float], tokens: frozenset[str]) -> float:
    total = sum(weights.values())
    return sum(w for t, w in weights.items() if t in tokens) / total if total else 0.0


def _common(tokens: Iterable[Iterable[str]]) -> frozenset[str]:
    sets = [frozenset(t) for t in tokens]
    return frozenset.intersection(*sets) if sets else frozenset()


def _phrase_held(words: tuple[str, ...], weight: dict[str, float], unit: Unit, run: int) -> float:
    """Weighted share of an option's syllables that the unit says inside a run of three (or the
    whole option, when shorter), in any order of runs: "Ban Chấp hành Trung ương" is not held by a
    sentence naming "ban chấp hành đảng bộ" and "Trung ương" apart, while a long option whose two
    halves the document gives the other way round is."""
    total = sum(weight.get(w, 0.0) for w in words)
    if not total:
        return 0.0
    size = min(len(words), run)
    said = {unit.words[i : i + size] for i in range(len(unit.words) - size + 1)}
    held = {j for i in range(len(words) - size + 1) if words[i : i + size] in said for j in range(i, i + size)}
    return sum(weight.get(words[j], 0.0) for j in held) / total


def _holds(
    stem: str,
    stem_weights: dict[str, float],
    plain: dict[str, str],
    units: Sequence[Unit],
    idf: IdfLookup,
    tuning: ExamSettings,
) -> dict[str, dict[int, float]]:
    """How much of each option each unit says (by the unit's index), leaving out units that state
    other amounts: "90 ngày" is not held by a unit saying "30 ngày"."""
    # Words every option shares say nothing about which one is right.
    shared = _common(segment(text) for text in plain.values())
    shared_syllables = _common(words_of(text) for text in plain.values())
    # A blank to fill ("Lý lịch phải được …… thẩm tra") places the option in the stem's sentence, so
    # an option may name what the stem also names elsewhere ("chi bộ"): its words all count.
    said = frozenset() if _BLANK.search(stem) else frozenset(stem_weights)
    holds: dict[str, dict[int, float]] = {}
    for letter, text in plain.items():
        own = _weights(text, idf, shared | said)
        numbers = numbers_of(text)
        words = words_of(text)
        rarity = Claim.of(text, idf, 1.0).weight
        syllables = {w: rarity.get(w, 0.0) for w in words if w not in shared_syllables}
        holds[letter] = {
            i: _phrase_held(words, syllables, unit, tuning.run) if own else (1.0 if numbers else 0.0)
            for i, unit in enumerate(units)
            if not numbers or numbers <= unit.numbers
        }
    return holds


def _answers_no(stem: str, option: str) -> bool:
    """An option answering a yes/no stem with no ("… có đủ điều kiện … không?" / "Không, vì phải cùng
    công tác ít nhất 12 tháng"): a rule that leaves the story out supports it."""
    words = words_of(option)
    return bool(_YES_NO.search(stem)) and bool(words) and words[0] in NEGATIONS


def _choose(item: ExamItem, units: Sequence[Unit], idf: IdfLookup, tuning: ExamSettings) -> ExamVerdict:
    options = dict(zip(item.letters, item.options, strict=True))
    plain = {letter: text for letter, text in options.items() if not is_meta_option(text)}
    singles = [unit for unit in units if unit.kind in MC_KINDS]
    stem = _weights(item.stem, idf)
    holds = _holds(item.stem, stem, plain, singles, idf, tuning)
    asked = Claim.of(item.stem, idf, 1.0)  # the stem's syllables in order, each weighed by rarity
    story = story_amounts(item.stem)
    support: dict[str, float] = {}
    stated_by: dict[str, float] = {}  # how well each option is stated at all, bound or not
    best_evidence: dict[str, Unit] = {}
    for i, unit in enumerate(singles):
        # A unit holding several options whole ("30 ngày …, 60 ngày …, 90 ngày …") supports only the
        # one it binds to the stem's case, or none of them.
        whole = {letter: words_of(plain[letter]) for letter in plain if holds[letter].get(i, 0.0) >= _WHOLE}
        fits = admits(unit.sentence, story) if story else None
        # A sentence with a condition per case ("điểm từ 5 đến cận 7: …; từ 7 đến cận 8: …") is read
        # clause by clause against the story's amounts, not bound by wording.
        bind = len(whole) > 1 and fits is None
        owner = bound_option(unit.words, whole, asked.words, asked.weight, tuning.bind_lead) if bind else None
        # A condition that admits the story's amount makes the unit about the story's case.
        about = 1.0 if fits else 0.5 + 0.5 * _covered(stem, unit.terms)
        for letter in plain:
            if i not in holds[letter]:
                continue
            score = holds[letter][i] * about
            stated_by[letter] = max(stated_by.get(letter, 0.0), score)
            if len(whole) > 1 and letter != owner and (owner is not None or letter in whole):
                continue
            if fits is False and not _answers_no(item.stem, plain[letter]):
                continue  # the rule of another case: "từ đủ 12 tháng trở lên" for a story of 8 months
            if score > support.get(letter, 0.0):
                support[letter], best_evidence[letter] = score, unit
    for letter in plain:
        support.setdefault(letter, 0.0)
    stated = {letter for letter, score in stated_by.items() if score >= tuning.support_bar}
    for letter, text in options.items():
        if letter in plain:
            continue
        pair = _META_PAIR.match(text)
        others = set(plain)
        if _META_ALL.match(text) and stated == others:
            return ExamVerdict(letter, support, max(best_evidence.values(), key=lambda e: len(e.words), default=None))
        if _META_NONE.match(text) and not stated and units:
            return ExamVerdict(letter, support)
        if pair and {pair.group(1).upper(), pair.group(2).upper()} == stated:
            return ExamVerdict(letter, support, best_evidence.get(pair.group(1).upper()))
    ranked = sorted(support, key=lambda letter: support[letter], reverse=True)
    if not ranked or support[ranked[0]] < tuning.support_bar:
        return ExamVerdict(None, support)
    if len(ranked) > 1 and support[ranked[0]] - support[ranked[1]] < tuning.margin:
        return ExamVerdict(None, support, held=best_evidence)  # equally held: a guess would be quoted with confidence
    return ExamVerdict(ranked[0], support, best_evidence.get(ranked[0]), best_evidence)


def _judge(statement: str, units: Sequence[Unit], idf: IdfLookup, tuning: ExamSettings) -> ExamVerdict:
    """Đúng when the unit that holds most of the statement fills every slot the same way and every
    amount sits where the evidence puts it; Sai when it fills a slot otherwise or holds too little;
    declined when no unit is about the statement at all. Two adjacent sentences count as one unit
    only when together they hold clearly more than either alone (a claim that joins two facts)."""
    claim = Claim.of(statement, idf, tuning.story_weight)
    if not claim.total or not units:
        return ExamVerdict(None)
    readings = _readings(claim, [u for u in units if u.kind != "pair"], tuning)
    best = readings[0]
    joined = _readings(claim, [u for u in units if u.kind == "pair"], tuning)[:1]
    if joined and joined[0].coverage >= best.coverage + tuning.join_gain:
        best = joined[0]
    if best.coverage < tuning.about_bar:
        return ExamVerdict(None, {VERDICTS[0]: best.coverage})
    for position, word in enumerate(claim.words):
        number = read_number(claim, position, units, tuning) if is_number(word) else None
        if number is not None and number.agreement >= tuning.place_bar and not number.agrees:
            return ExamVerdict(VERDICTS[1], {VERDICTS[0]: best.coverage}, number.unit)
    true = best.coverage >= tuning.true_bar and not best.conflicts
    return ExamVerdict(VERDICTS[0] if true else VERDICTS[1], {VERDICTS[0]: best.coverage}, best.unit)


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
