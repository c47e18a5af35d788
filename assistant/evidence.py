"""Evidence units: the part of the retrieved passages that answers the question, in the document's shape.

Retrieval usually puts the right passage first, but a passage is a whole section: the answer is one
sentence of it (a deadline, who decides) or one list in it (the steps of a ceremony, the papers of a
dossier, the cases of a rule). A fixed number of top-scoring sentences cuts such lists to their
first items and, scoring by overall word overlap, prefers a sentence that repeats the question's
common words to the one holding its point. So:

- a passage is read as its own structure: numbered headings, "a)" points, "-" items, "Bước n:" steps,
  each list owned by the line that opens it (``assistant.units``, which also cuts the units);
- the question's *focus* is its words weighted by rarity in the collection (BM25's IDF), so "số dư"
  outweighs "hướng dẫn" and "đảng viên"; English questions bring their glossary terms;
- a unit (a sentence, or a list with its opening line) is scored by the share of focus weight it
  covers, with its section heading as context, plus the passage's retrieval evidence;
- the answer leads with the best unit, a whole list in document order when that is what answers,
  then adds only sentences that cover focus the lead left uncovered.

Both answer modes use the selection: extractive answers quote the units, and the generator is
shown them instead of whole passages (fewer prompt tokens, and the lists it must cover).
``coverage`` is the answerability signal (``assistant.answerability``): how much of the focus the
evidence holds at all.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, replace

from assistant.injection import is_instruction
from assistant.types import Passage
from assistant.units import POINT_MARKER, Unit, passage_units, unit_tokens
from assistant.units import strip_marker as strip_marker  # imported from here by assistant.exam_answer
from ingest.vitokens import segment
from settings import AnswerSettings, get_settings

# Questions whose answer is an enumeration: steps, papers, cases, members, conditions.
_ASKS_LIST = re.compile(
    r"gồm(?: những| các)?|những (?:gì|bước|trường hợp|việc|ai|điều kiện|nội dung|loại)|các bước|quy trình|"
    r"thủ tục|trình tự|hồ sơ|chương trình|điều kiện|tiêu chuẩn|nhiệm vụ|quyền|thành phần|"
    r"\bsteps?\b|\bprocedure|\bprocess\b|documents?\b|papers?\b|\bcases?\b|conditions?|criteria|\bwhich\b|"
    r"\bwhat are\b|\blist\b|requirements?|duties|rights|dossier|\bprogram",
    re.IGNORECASE,
)
# Questions about amounts, ages and deadlines: the lead sentence should hold a number.
ASKS_QUANTITY = re.compile(
    r"bao (?:lâu|nhiêu|giờ)|\bmấy\b|tối (?:đa|thiểu)|thời hạn|khi nào|how (?:long|many|much|old|often)|\bwhen\b"
    r"|deadline|\bage\b|percent|%",
    re.IGNORECASE,
)
_NUMERAL = r"(?:\d[\d.,/]*|một|hai|ba|bốn|năm|sáu|bảy|tám|chín|mười|mươi|trăm|nửa)"
# What a quantity question asks for, and what a unit answering it must then contain: a question
# about a percentage is not answered by a sentence holding only a day count.
_QUANTITY_KINDS: tuple[tuple[re.Pattern[str], re.Pattern[str]], ...] = tuple(
    (re.compile(asked, re.IGNORECASE), re.compile(answer, re.IGNORECASE))
    for asked, answer in (
        (r"phần trăm|tỷ lệ|tỉ lệ|percent", r"\d\s*%|phần trăm"),
        (r"bao nhiêu tiền|mấy tiền|how much money|amount of money|\bvnd\b", rf"{_NUMERAL}\s*(?:đồng|vnđ|triệu|nghìn)"),
        (r"(?:bao nhiêu|mấy) ngày|how many (?:working )?days", rf"{_NUMERAL}\s*ngày"),
        (r"(?:bao nhiêu|mấy) tháng|how many months", rf"{_NUMERAL}\s*tháng"),
        (r"(?:bao nhiêu|mấy) năm|how many years", rf"{_NUMERAL}\s*năm"),
        (r"(?:bao nhiêu|mấy) tuổi|how old|what age", rf"{_NUMERAL}\s*tuổi"),
        (r"(?:bao nhiêu|mấy) lần|how many times|how often", rf"{_NUMERAL}\s*lần|hằng (?:tháng|năm|quý)|mỗi"),
    )
)
# A quantity stated in a rule: digits, or a numeral with its unit ("một tháng", "mười hai tháng").
# The point's own number ("9. Trong khi chờ …") is not one: the marker is removed first.
_STATES_QUANTITY = re.compile(
    rf"\d|\b{_NUMERAL}\s+(?:ngày|tháng|năm|tuổi|lần|quý|tuần|giờ|phút|đồng|người|đảng viên)\b", re.IGNORECASE
)
# Numbers that name a document, not an amount: "Chỉ thị số 45", "45-CT/TW". Dates stay: a date
# answers "khi nào" and "deadline".
_NAMING_NUMBER = re.compile(r"\bsố\s+\d+|\d+[-/][A-ZĐ][\w/-]*")
_ASCII_WORD = re.compile(r"^[a-z]+$")
Similarity = Callable[[str, Sequence[str]], Sequence[float]]
IdfLookup = Callable[[Sequence[str]], Mapping[str, float]]  # word -> weight (``KeywordIndex.idf``)


@dataclass(frozen=True)
class Focus:
    """The question's words with their weights (rarer in the collection: heavier)."""

    weights: Mapping[str, float]
    # How much of the question these words stand for: 1 for a Vietnamese question; for an English
    # one, the share of its content words the glossary translated (``Glossary.coverage``).
    trust: float = 1.0

    @property
    def total(self) -> float:
        return sum(self.weights.values())

    def covered(self, tokens: set[str] | frozenset[str]) -> float:
        """Share of the focus weight that ``tokens`` hold (0 when the question has no focus)."""
        total = self.total
        return sum(w for t, w in self.weights.items() if t in tokens) / total if total else 0.0

    def stressing(self, clause: Focus) -> Focus:
        """This focus with one clause's words counted twice: the clause read in the context of the
        whole question ("cần những điều kiện gì" is about whoever the question's subject is)."""
        return Focus({**self.weights, **{t: 2 * w for t, w in clause.weights.items()}}, self.trust)


def question_focus(
    question: str, keyword_terms: Sequence[str], idf: IdfLookup, language: str, trust: float = 1.0
) -> Focus:
    """Weighted focus words. English words are dropped for English questions (the documents are
    Vietnamese; the glossary terms stand in for them, with ``trust`` the share of the question
    they cover); a compound the index never saw adds nothing (its syllables, also emitted, carry
    it), a syllable it never saw weighs the most."""
    # The kind of quantity asked ("bao nhiêu phần trăm") is checked by ``_quantity_found``, not
    # matched as words: "1% tiền lương" answers it without the words "phần trăm".
    for asked, _ in _QUANTITY_KINDS:
        question = asked.sub(" ", question)
    tokens = list(dict.fromkeys(segment(" ".join((question, *keyword_terms)))))
    if language == "en":
        glossary = set(segment(" ".join(keyword_terms)))
        tokens = [t for t in tokens if t in glossary or not _ASCII_WORD.match(t)]
    weights = idf(tokens)
    return Focus({t: weights.get(t, 0.0) for t in tokens if weights.get(t, 0.0) > 0}, trust)


@dataclass
class Selection:
    """The units an answer is built from, best first, and how much of the focus the evidence holds."""

    units: list[Unit]
    focus: Focus
    passages: list[Passage]  # what the units' ``passage_rank`` index into
    coverage: float  # focus share found anywhere in the top passages
    best: float  # focus share of the best single unit
    # A quantity question ("bao nhiêu phần trăm"): does a unit on the point hold that kind of
    # quantity? None when the question asks for none.
    quantity_found: bool | None = None

    def answers(self, min_focus: float) -> bool:
        """Whether the evidence answers: enough of the focus in one unit, and the quantity asked."""
        return self.best >= min_focus and self.quantity_found is not False


def select_units(
    question: str,
    focus: Focus,
    passages: Sequence[Passage],
    documents: Sequence[Collection[str]] = (),
    max_units: int | None = None,
    similarity: Similarity | None = None,
    tuning: AnswerSettings | None = None,
) -> Selection:
    """Best unit first, whole lists where a list answers, then units that add uncovered focus.

    ``documents``: the groups of sources the question names, in its order (a document, or a
    place's documents); with two or more, the answer is one unit from each group (a comparison),
    and ``passages`` should reach far enough to hold them.
    ``similarity`` (question, texts) -> cosines: for a question whose words the documents do not
    use (English), the meaning of each unit of the first passages stands in for word overlap.
    ``tuning``: the ``answer`` settings (the process's when None: bench and eval call this directly).
    ``max_units``: at most this many units (``tuning.max_units`` when None).
    """
    tuning = get_settings().answer if tuning is None else tuning
    wants_number = bool(ASKS_QUANTITY.search(question))
    wants_list = bool(_ASKS_LIST.search(question))
    # Word overlap counts as far as the focus words stand for the question; where they stand for
    # little (an English question the glossary barely covers), the meaning of each unit decides.
    lexical = 1.0 if similarity is None else focus.trust
    candidates: list[Unit] = []
    everything: set[str] = set()
    for rank, passage in enumerate(passages):
        prior = 0.5 * max(passage.score, 0.0) + 0.3 / (rank + 1)
        context = unit_tokens(passage.section)
        units = passage_units(rank, passage.text)
        for unit in units:
            everything |= unit.tokens
            # A list is found by its opening line ("c) Chương trình buổi lễ kết nạp"); its items
            # count for less, or the section holding every list would beat the list asked for.
            lead = unit.lead_tokens
            own = lexical * focus.covered(lead)
            near = lexical * focus.covered(lead | context)
            unit.score = own + tuning.context_weight * near + prior
            if unit.is_list:
                unit.score += tuning.items_weight * lexical * focus.covered(unit.tokens)
                unit.score += tuning.list_bonus if wants_list else -tuning.list_bonus
            elif wants_number and _states_quantity(unit.lead):
                unit.score += tuning.quantity_bonus
            candidates.append(unit)
        everything |= context
    if similarity is not None:
        # The first passages of each part of a comparison, as of a single answer.
        first = _first_passages(passages, documents, tuning.semantic_passages)
        near = [u for u in candidates if u.passage_rank in first]
        for unit, cosine in zip(near, similarity(question, [u.text()[:400] for u in near]), strict=True):
            unit.score += tuning.semantic_weight * float(cosine)
    ranked = sorted(candidates, key=lambda u: u.score, reverse=True)
    if len(documents) > 1:  # "theo Điều lệ và theo QĐ 294": one part per document, in the order asked
        chosen = [
            unit
            for group in documents
            for unit in _choose([u for u in ranked if passages[u.passage_rank].source in group], focus, 1)
        ]
    else:
        chosen = _choose(ranked, focus, tuning.max_units if max_units is None else max_units)
    quantity = _quantity_found(question, focus, candidates, tuning.on_point)
    if not focus.total:  # no word to weigh (an English question the glossary does not cover): no verdict
        return Selection(chosen, focus, list(passages), 1.0, 1.0, quantity)
    best = max((focus.covered(u.tokens) for u in candidates), default=0.0)
    if len(documents) > 1:  # a comparison is answered by its parts together, not by one of them
        best = max(best, focus.covered(frozenset().union(*(u.tokens for u in chosen))))
    return Selection(chosen, focus, list(passages), focus.covered(frozenset(everything)), best, quantity)


# Words that ask: a clause holding one is a question of its own ("… in general, and what is the
# minimum for …"); a clause without one belongs to the question next to it ("Khi chi bộ họp, ai …").
_ASKS = re.compile(
    r"\b(?:ai|gì|nào|bao\s+nhiêu|bao\s+lâu|mấy|thế\s+nào|ra\s+sao|đâu|"
    r"what|which|who|whom|how|when|where|why|whether)\b",
    re.IGNORECASE,
)
_CLAUSE_BREAK = re.compile(r"\s*[,;]\s*(?:(?:and|but|và|còn|nhưng)\s+)?|\s+(?:and|và|còn)\s+", re.IGNORECASE)


def split_clauses(question: str) -> list[str]:
    """The questions one turn asks, in its order: "… do ai quyết định và cần những điều kiện gì?"
    asks two, each answered by its own rule. A turn asking one thing is returned whole."""
    clauses: list[str] = []
    pending = ""
    for piece in _CLAUSE_BREAK.split(question.strip().rstrip("?").strip()):
        pending = f"{pending} {piece}".strip()
        if _ASKS.search(piece):
            clauses.append(pending)
            pending = ""
    if pending and clauses:
        clauses[-1] = f"{clauses[-1]} {pending}"
    return clauses if len(clauses) > 1 else [question]


def answer_each(selection: Selection, parts: Sequence[Selection], max_units: int) -> Selection:
    """The best unit for each clause asked, in the order asked, then the whole question's units.

    Chosen for the whole question, units drift to its dominant clause: "how long must someone
    wait, and what papers does the dossier need" got three lines of the dossier and no wait.
    """
    chosen: list[Unit] = []
    for unit in [*(part.units[0] for part in parts if part.units), *selection.units]:
        if any(unit.lead in c.text() for c in chosen):
            continue  # already quoted, inside a chosen list
        inside = [i for i, c in enumerate(chosen) if c.lead in unit.text()]
        if inside:  # a list around a chosen sentence: quote the whole list in its place
            chosen[inside[0]] = unit
            chosen = [c for i, c in enumerate(chosen) if i not in inside[1:]]
        elif len(chosen) < max_units:
            chosen.append(unit)
    return replace(selection, units=chosen)


def _first_passages(passages: Sequence[Passage], documents: Sequence[Collection[str]], n: int) -> set[int]:
    """Ranks of the first ``n`` passages overall, and of each named group's first ``n``."""
    ranks = set(range(min(n, len(passages))))
    for group in documents:
        ranks |= set([rank for rank, p in enumerate(passages) if p.source in group][:n])
    return ranks


def _states_quantity(lead: str) -> bool:
    """Whether a sentence states an amount or a date: not its point's number, nor a document's."""
    return bool(_STATES_QUANTITY.search(_NAMING_NUMBER.sub(" ", POINT_MARKER.sub("", lead, count=1))))


def _quantity_found(question: str, focus: Focus, candidates: Sequence[Unit], on_point: float) -> bool | None:
    """Whether a sentence about the question's point states the kind of quantity it asks for.

    "On the point" means covering at least ``on_point`` of the focus share the best sentence covers:
    the collection states many day counts, but "nghỉ phép bao nhiêu ngày" is answered only by
    one next to the words of the question.
    """
    wanted = [answer for asked, answer in _QUANTITY_KINDS if asked.search(question)]
    if not wanted:
        return None
    # Sentences only: a list's text holds many quantities, most of them beside other points.
    shares = [(focus.covered(u.tokens) if focus.total else 1.0, u) for u in candidates if not u.is_list]
    best = max((share for share, _ in shares), default=0.0)
    return any(share >= on_point * best and any(w.search(u.text()) for w in wanted) for share, u in shares)


def _choose(ranked: Sequence[Unit], focus: Focus, max_units: int) -> list[Unit]:
    """The best unit, then units that still add focus or score near the best; two per passage."""
    chosen: list[Unit] = []
    covered: set[str] = set()
    per_passage: dict[int, int] = {}
    for unit in ranked:
        if len(chosen) == max_units or (chosen and unit.score < 0.5 * chosen[0].score):
            break
        if chosen and chosen[0].is_list and unit.is_list:
            continue  # one list answers; a second would bury it
        if any(unit.lead in c.text() or c.lead in unit.text() for c in chosen) or is_instruction(unit.lead):
            continue  # already quoted (a sentence inside a chosen list, or a list around a chosen sentence)
        gain = focus.covered(frozenset(covered | unit.tokens)) - focus.covered(frozenset(covered))
        if chosen and gain <= 0 and unit.score < 0.8 * chosen[0].score:
            continue
        if per_passage.get(unit.passage_rank, 0) == 2:
            continue
        chosen.append(unit)
        covered |= unit.tokens
        per_passage[unit.passage_rank] = per_passage.get(unit.passage_rank, 0) + 1
    return chosen
