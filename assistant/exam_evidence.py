"""How well one evidence unit holds an exam claim, and where it says something else.

An exam claim (a true/false statement, or a stem with one option) is usually a rule of the
collection, quoted or lightly reworded; a wrong one is the same rule with one slot changed: a number
("30 ngày" for "45 ngày"), a body ("chi bộ" for "cấp có thẩm quyền"), a side ("bên phải" for "bên
trái"), or a negation added or dropped ("thực hiện đầy đủ quyền" for "trừ quyền"). A bag of words
cannot see a changed slot when the changed word also occurs elsewhere in the sentence (a rule that
gives 45 days for one step and 30 for the next holds both numbers), so the claim is aligned with
the unit in order, syllable by syllable (``difflib``), and a slot is changed when, between two
stretches that agree, the claim says one thing and the unit another.

Units are the sentences of the retrieved passages, their clauses (a ";" often separates two rules
of one sentence), and each pair of adjacent sentences, also across two retrieved chunks that follow
each other (a claim may join two facts the document states one after the other). A pair is not
aligned in order, since the claim may join its facts either way round; only a negation on one side
is read there.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from functools import cached_property
from itertools import pairwise
from typing import Literal

from assistant.references import parse_references
from assistant.types import Passage
from assistant.units import strip_marker
from ingest.sentences import split_sentences
from ingest.vitokens import STOPWORDS, normalize, segment
from settings import ExamSettings

IdfLookup = Callable[[Sequence[str]], Mapping[str, float]]

NUMBER = re.compile(r"\d+(?:[.,/]\d+)*")
_YEAR_IN_PARENTHESES = re.compile(r"\((?:năm\s+)?\d{4}\)")
# Spelt numbers count as numbers where they are amounts or ranks: "sáu tháng", "năm thứ hai".
# ("năm" alone is also "year", so it is read as five only before a unit, and never after a number:
# "70 năm tuổi Đảng" is seventy years.)
_DIGITS = ["", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín", "mười"]
_NUMERALS = {word: str(n) for n, word in enumerate(_DIGITS)}
_NUMERALS |= {"mốt": "1", "tư": "4", "nhất": "1"}
_UNITS = r"(?:ngày|tháng|năm|tuần|quý|lần|tuổi|người|đảng viên|đồng chí|nhiệm kỳ|kỳ)"
_SPELT = re.compile(
    rf"(?i)(?<!\w)(?<!\d\s)(thứ\s+)?(một|hai|ba|bốn|năm|sáu|bảy|tám|chín|mười|mốt|tư|nhất)(?!\w)"
    rf"(?(1)|(?=\s+{_UNITS}\b))()"
)
# Words that turn a rule around. "trừ" (except) counts: "ở nơi sinh hoạt tạm thời thì trừ quyền
# biểu quyết" says the opposite of "được thực hiện đầy đủ quyền biểu quyết".
NEGATIONS = frozenset({"không", "chưa", "chẳng", "cấm", "trừ", "not", "no", "never", "except"})
# A story's people are not part of the rule it tests: "Đồng chí Quang", "chị Hoa", "anh Nguyễn Văn A".
_PERSON = re.compile(
    r"(?<!\w)(?:[Đđ]ồng chí|[Aa]nh|[Cc]hị|[Ôô]ng|[Bb]à|[Ee]m|[Cc]ô|[Cc]hú|[Mm]r\.?|[Mm]s\.?|[Mm]rs\.?)"
    r"((?:\s+[A-ZĐÀ-Ỹ][\wÀ-ỹ]*)+)"
)
# "Theo Quy định 294-QĐ/TW," / "Under Regulation 294," names the source: retrieval uses it, the
# claim to check is what follows.
_KINDS = (
    r"quy định|hướng dẫn|điều lệ|quyết định|kết luận|chỉ thị|nghị quyết|quy chế|thông báo|công văn"
    r"|regulation|guidance|guide|statute|decision|conclusion|directive|resolution|rules|charter"
)
_FRAMING = re.compile(
    rf"(?i)(?:^|(?<=[.?!:]\s))(?:theo|căn cứ|according to|under|in)\s+(?:the\s+)?(?:{_KINDS})[^,.;?]{{0,160}},"
)
# A year in a story ("trong năm 2025") dates the story, not the rule.
_STORY_YEAR = re.compile(r"(?i)(?<!\w)(năm|in)\s+(?:19|20)\d{2}(?!\w)")


def numeric_text(text: str) -> str:
    """``text`` with the numbers naming documents removed and spelt amounts written as digits."""
    for ref in parse_references(text):
        text = text.replace(ref.raw, " ")
    text = _YEAR_IN_PARENTHESES.sub(" ", text)
    return _SPELT.sub(lambda m: f"{m.group(1) or ''}{_NUMERALS[m.group(2).casefold()]}{m.group(3) or ''}", text)


def numbers_of(text: str) -> frozenset[str]:
    """The amounts a claim states, as written without leading zeros ("03 cán bộ" is "3 cán bộ"):
    not the numbers naming the documents it cites ("Theo Hướng dẫn 45-HD/BTCTW", "Điều lệ (2011)")."""
    return frozenset(_unpadded(number) for number in NUMBER.findall(numeric_text(text)))


def _unpadded(number: str) -> str:
    return re.sub(r"(?<![\d.,/])0+(?=\d)", "", number)


def words_of(text: str) -> tuple[str, ...]:
    """The syllables of ``text`` in order, folded as the keyword index folds them, with amounts as digits."""
    return tuple(_unpadded(word) for word in re.findall(r"\w+|%", normalize(numeric_text(text))))


def claim_text(text: str) -> str:
    """A claim without what names its source ("Theo Quy định 294-QĐ/TW,") or only tells the story
    (people's names, the story's year)."""
    return _STORY_YEAR.sub(" ", _PERSON.sub(" ", _FRAMING.sub(" ", text)))


def story_and_claim(text: str) -> tuple[str, str]:
    """A scenario's story (every sentence but the last) and the claim it asks about (the last)."""
    sentences = split_sentences(text)
    return " ".join(sentences[:-1]), sentences[-1] if sentences else ""


def clauses_of(sentence: str) -> list[str]:
    """A sentence's clauses: a ";" often separates two rules of one sentence."""
    return [clause.strip() for clause in sentence.split(";") if clause.strip()]


def is_number(word: str) -> bool:
    return word[:1].isdigit()


@dataclass(frozen=True)
class Unit:
    """A sentence, clause or pair of adjacent sentences of a retrieved passage."""

    passage: Passage
    sentence: str
    words: tuple[str, ...]
    kind: Literal["sentence", "clause", "pair"] = "sentence"

    @property
    def whole(self) -> bool:
        """One clause: its words sit next to each other in the document."""
        return self.kind == "clause" or (self.kind == "sentence" and len(clauses_of(self.sentence)) == 1)

    @cached_property
    def bag(self) -> frozenset[str]:
        return frozenset(self.words)

    @cached_property
    def terms(self) -> frozenset[str]:
        """Its keyword-index tokens: compounds ("chi_bộ") as well as syllables."""
        return frozenset(segment(strip_marker(self.sentence)))

    @cached_property
    def numbers(self) -> frozenset[str]:
        return numbers_of(strip_marker(self.sentence))


def units_of(passages: Iterable[Passage]) -> list[Unit]:
    """Every sentence of the passages (each passage once), each clause of a sentence cut at ";",
    and each pair of adjacent sentences, across line breaks ("3.5.3. Chỉ kết nạp lại một lần." /
    "3.5.4. Những đảng viên được kết nạp lại phải trải qua thời gian dự bị.") and across the
    boundary of two retrieved chunks that follow each other in one document."""
    seen: dict[str, Passage] = {}
    units: list[Unit] = []
    for passage in passages:
        if passage.id in seen:
            continue
        seen[passage.id] = passage
        sentences = _sentences(passage)
        for i, sentence in enumerate(sentences):
            clauses = clauses_of(sentence)
            units.append(Unit(passage, sentence, words_of(strip_marker(sentence)), "sentence"))
            if len(clauses) > 1:
                units += [Unit(passage, clause, words_of(strip_marker(clause)), "clause") for clause in clauses]
            if i + 1 < len(sentences):
                units.append(_pair(passage, sentence, sentences[i + 1]))
    ordered = sorted(seen.values(), key=lambda p: (p.source, p.start))
    for first, then in pairwise(ordered):
        if first.source == then.source and 0 <= then.start - first.end <= _CHUNK_GAP:
            last, opening = _sentences(first)[-1:], _sentences(then)[:1]
            if last and opening:
                units.append(_pair(first, last[0], opening[0]))
    return units


_CHUNK_GAP = 2  # characters between two chunks that follow each other (a line break)


def _sentences(passage: Passage) -> list[str]:
    return [s.strip() for line in passage.text.splitlines() for s in split_sentences(line) if s.strip()]


def _pair(passage: Passage, sentence: str, following: str) -> Unit:
    pair = f"{sentence} {following}"
    return Unit(passage, pair, words_of(strip_marker(pair)), "pair")


@dataclass(frozen=True)
class NumberReading:
    """Which amount the evidence puts where the claim puts one, and how well the places agree."""

    number: str
    agreement: float  # weighted share of the claim's words around the number found around the evidence's
    stated: frozenset[str]  # the amounts the evidence gives there ("70, 75, 80 năm" gives three)
    unit: Unit

    @property
    def agrees(self) -> bool:
        return self.number in self.stated


def read_number(claim: Claim, position: int, units: Iterable[Unit], tuning: ExamSettings) -> NumberReading | None:
    """The place in the evidence whose surroundings best match the surroundings of the claim's
    amount at ``position``: only single clauses, so one rule's amount is not read against the next
    rule's words ("45 ngày … kết nạp; 30 ngày … công nhận chính thức"). A word on the same side
    of the amount in both counts fully, on the other side half ("90 ngày đối với cấp Trung ương"
    answers "cấp Trung ương trả lời trong bao nhiêu ngày"). The claim's other amounts are context
    too: "Huy hiệu 70 năm … 12 tháng" places 12 in the sentence on the 70-year badge. Surroundings
    reach ``tuning.reach`` syllables; a word on the other side weighs ``tuning.other_side``."""
    reach, other_side = tuning.reach, tuning.other_side
    amount = claim.words[position]
    before = set(claim.words[max(0, position - reach) : position]) - {amount}
    after = set(claim.words[position + 1 : position + 1 + reach]) - {amount}
    total = sum(claim.weight[w] for w in before | after)
    best: NumberReading | None = None
    if not total:
        return None
    for unit in units:
        if not unit.whole:
            continue
        for start, end in _number_runs(unit.words):
            left = set(unit.words[max(0, start - reach) : start])
            right = set(unit.words[end : end + reach])
            held = sum(claim.weight[w] * _side(w in left, w in right, other_side) for w in before)
            held += sum(claim.weight[w] * _side(w in right, w in left, other_side) for w in after)
            reading = NumberReading(amount, held / total, frozenset(unit.words[start:end]), unit)
            # On a tie the place that holds the claim's amount wins: "sáu tháng một lần" puts two
            # amounts in one place, and each must not be read as the other.
            if best is None or (reading.agreement, reading.agrees) > (best.agreement, best.agrees):
                best = reading
    return best


def _side(same: bool, other: bool, other_side: float) -> float:
    return 1.0 if same else other_side if other else 0.0


def _number_runs(words: Sequence[str]) -> Iterable[tuple[int, int]]:
    """Start and end of each run of amounts ("70 75 80 85 90" is one run: one place, several values)."""
    start = None
    for i, word in enumerate([*words, ""]):
        if is_number(word):
            start = i if start is None else start
        elif start is not None:
            yield start, i
            start = None


@dataclass
class Claim:
    """A statement to check, with each syllable's weight (rare words weigh most)."""

    words: tuple[str, ...]
    weight: dict[str, float]

    @classmethod
    def of(cls, text: str, idf: IdfLookup, story_weight: float) -> Claim:
        """The claim's words weighted by rarity; a scenario's story words weigh ``story_weight`` (half):
        the rule a document states does not repeat the story's details ("học sinh lớp 12", "nhà trường")."""
        story, asked = story_and_claim(claim_text(text))
        words = words_of(f"{story} {asked}")
        found = idf(sorted(set(words)))
        told = frozenset(words_of(story)) - frozenset(words_of(asked))
        weight = {
            w: 0.0 if w in STOPWORDS else float(found.get(w, 0.0)) * (story_weight if w in told else 1.0) for w in words
        }
        for word in words:  # an amount is what an exam item turns on most often
            if is_number(word):
                weight[word] = max(weight[word], max(found.values(), default=1.0))
        return cls(words, weight)

    @cached_property
    def total(self) -> float:
        return sum(self.weight[w] for w in set(self.words))

    def covered(self, bag: frozenset[str], only: frozenset[str] | None = None) -> float:
        """Weighted share of the claim's words (or of ``only`` among them) that ``bag`` holds."""
        words = set(self.words) if only is None else set(self.words) & only
        total = sum(self.weight[w] for w in words)
        return sum(self.weight[w] for w in words if w in bag) / total if total else 0.0


@dataclass
class Reading:
    """How one unit reads against one claim: its coverage and the slots where it says otherwise."""

    unit: Unit
    coverage: float
    changed: list[tuple[tuple[str, ...], tuple[str, ...]]] = field(default_factory=list)

    @property
    def conflicts(self) -> bool:
        return bool(self.changed)


def read(claim: Claim, unit: Unit, tuning: ExamSettings) -> Reading:
    """Align ``claim`` with ``unit`` in order and list the slots the unit fills differently."""
    reading = Reading(unit, claim.covered(unit.bag))
    claim_bag = frozenset(claim.words)
    if unit.kind == "pair":
        # Two sentences: the claim may join them in any order, so only what needs no order is
        # read: a negation on one side only ("mà không cần xử lý kỷ luật" against "phải xử lý").
        negated = (NEGATIONS & claim_bag) - unit.bag, (NEGATIONS & unit.bag) - claim_bag
        if any(negated):
            reading.changed.append((tuple(sorted(negated[0])), tuple(sorted(negated[1]))))
        return reading
    opcodes = SequenceMatcher(None, claim.words, unit.words, autojunk=False).get_opcodes()
    anchored = [i for i, op in enumerate(opcodes) if op[0] == "equal" and _weight(claim, claim.words[op[1] : op[2]])]
    if not anchored:
        return reading
    for tag, i1, i2, j1, j2 in opcodes[anchored[0] + 1 : anchored[-1]]:
        said, stated = claim.words[i1:i2], unit.words[j1:j2]
        if tag == "equal":
            continue
        if _changed(claim, said, stated, claim_bag, unit.bag, tuning):
            reading.changed.append((said, stated))
    return reading


def _weight(claim: Claim, words: Iterable[str]) -> float:
    return sum(claim.weight.get(w, 0.0) for w in words)


def _changed(
    claim: Claim,
    said: Sequence[str],
    stated: Sequence[str],
    claim_bag: frozenset[str],
    unit_bag: frozenset[str],
    tuning: ExamSettings,
) -> bool:
    """Whether, between two agreeing stretches, the claim's ``said`` and the unit's ``stated`` differ
    in substance: a negation on one side only, or rare words each side lacks (amounts are read
    apart, by ``read_number``)."""
    if len(stated) > tuning.swap_length * len(said) + tuning.swap_slack:
        return False  # the unit says more here (a condition, a list), not something else
    if (NEGATIONS & set(said)) - unit_bag or (NEGATIONS & set(stated)) - claim_bag:
        return True
    own = [w for w in said if w not in unit_bag and not is_number(w)]
    other = [w for w in stated if w not in claim_bag and w not in STOPWORDS and not is_number(w)]
    return bool(other) and _weight(claim, own) >= tuning.substitution_bar
