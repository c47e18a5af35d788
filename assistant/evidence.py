"""Evidence units: the part of the retrieved passages that answers the question, in the document's shape.

Retrieval usually puts the right passage first, but a passage is a whole section: the answer is one
sentence of it (a deadline, who decides) or one list in it (the steps of a ceremony, the papers of a
dossier, the cases of a rule). A fixed number of top-scoring sentences cuts such lists to their
first items and, scoring by overall word overlap, prefers a sentence that repeats the question's
common words to the one holding its point. So:

- a passage is read as its own structure: numbered headings, "a)" points, "-" items, "Bước n:" steps.
  A line that opens a list (a heading, or a line ending in ":") owns the deeper lines after it;
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
from dataclasses import dataclass, field, replace

from assistant.abbreviations import spelt_out
from assistant.injection import is_instruction
from assistant.support import split_sentences
from assistant.types import Passage
from ingest.vitokens import segment

# A line's list marker and the depth it implies: lower opens, higher belongs.
_MARKERS: tuple[tuple[re.Pattern[str], Callable[[re.Match[str]], int]], ...] = (
    (re.compile(r"^(?:PHẦN|Phần|Chương|CHƯƠNG)\s+\w+"), lambda m: 0),
    (re.compile(r"^[IVXLC]+[.\-]\s"), lambda m: 1),
    (re.compile(r"^Điều\s+\d+"), lambda m: 2),
    (re.compile(r"^(\d{1,2}(?:\.\d{1,2})*)\.?\s"), lambda m: 2 + m.group(1).count(".") + 1),
    (re.compile(r"^[a-zđ]\)\s"), lambda m: 8),
    (re.compile(r"^\((?:\d{1,2}|[a-zđ])\)\s"), lambda m: 8),  # "(1) Điều lệ Đảng, …" in articles
    (re.compile(r"^Bước\s+\d+", re.IGNORECASE), lambda m: 8),
    (re.compile(r"^[-–•*]\s*"), lambda m: 9),
    (re.compile(r"^\+\s*"), lambda m: 10),
)
_NUMBERED_PARAGRAPH = re.compile(r"^\d{3,}")  # "2025 ..." is a year, not an item number
MIN_WORDS = 4  # shorter lines are labels, not rules
# Numbered lines with no number or listed verb after the marker, in the default collection: up to
# ~24 words they are still headings ("Về thời hạn tổ chức lễ kết nạp đảng viên, xét công nhận …",
# 23); beyond, rules whose verbs the short predicate list lacks (700 such lines, sampled by band).
HEADING_MAX_WORDS = 25
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
# A numbered heading ("4.1. (Khoản 1): Thời hạn tổ chức lễ kết nạp.") shares the question's words
# but states no rule, so it is never quoted as an answer.
_MARKER = re.compile(
    r"^\s*(?:(?:\d+\.)+\d*|[IVXLC]+[.\-]|Điều\s+\d+[.:]?|Chương\s+[IVXLC\d]+|Mục\s+\d+|Phần\s+\w+|[a-zđ]\))"
    r"\s*(?:\((?:Khoản|Điểm)\s+\w+\)\s*)?:?\s*(?:Điều\s+\d+\s*:?)?",
    re.IGNORECASE,
)
# Headings are noun phrases ("Thời hạn, thẩm quyền quyết định kết nạp …"); a rule has a predicate.
_PREDICATE = re.compile(r"\b(?:phải|được|không|là|có|do|thì|sẽ|cần|chỉ|gồm|must|shall|may)\b", re.IGNORECASE)
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
QUANTITY_BONUS = 0.3
LIST_BONUS = 0.25
ITEMS_WEIGHT = 0.2
CONTEXT_WEIGHT = 0.35  # a unit's section heading tells what it is about, but is not the rule
MAX_LIST_ITEMS = 12
MAX_LIST_CHARS = 1600
MAX_UNITS = 3
ON_POINT = 0.75
# Units of the first passages compared by meaning when the question's words cannot be (English):
# ~20 ms a unit on 2 cores, so only the passages most likely to hold the answer.
SEMANTIC_PASSAGES = 5
SEMANTIC_WEIGHT = 1.0
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
class Line:
    text: str
    level: int | None  # None: a plain paragraph line


@dataclass
class Unit:
    """What an answer quotes from one passage: a sentence, or a list under its opening line."""

    passage_rank: int
    lead: str
    items: list[str] = field(default_factory=list)  # list items in document order, nested ones indented
    more: int = 0  # items of the list left out by the length budget
    score: float = 0.0
    tokens: frozenset[str] = frozenset()  # of the whole unit (a list: its opening line and every item)
    lead_tokens: frozenset[str] = frozenset()  # of the lead alone (a sentence: the same as ``tokens``)

    @property
    def is_list(self) -> bool:
        return bool(self.items)

    def claims(self) -> list[str]:
        return [self.lead, *(item.strip() for item in self.items)]

    def text(self) -> str:
        return "\n".join([self.lead, *self.items])


def parse_lines(text: str) -> list[Line]:
    """The passage's lines with the depth their list markers imply."""
    return [Line(raw.strip(), _level(raw.strip())) for raw in text.splitlines() if raw.strip()]


def _level(line: str) -> int | None:
    marked = _list_marker(line)
    return marked[1](marked[0]) if marked else None


def _list_marker(line: str) -> tuple[re.Match[str], Callable[[re.Match[str]], int]] | None:
    if _NUMBERED_PARAGRAPH.match(line):
        return None
    for pattern, depth in _MARKERS:
        match = pattern.match(line)
        if match:
            return match, depth
    return None


def strip_marker(line: str) -> str:
    """The line without its list marker ("3.5.4.", "a)", "(2)", "-"): a point's numbering is
    not a number the rule states."""
    marked = _list_marker(line)
    return line[marked[0].end() :] if marked else line


def _opens_list(line: Line) -> bool:
    return line.text.rstrip().endswith(":") or (line.level is not None and is_heading(line.text))


def list_blocks(lines: Sequence[Line]) -> list[tuple[int, list[tuple[int, int]]]]:
    """(opening line, [(first, last) line of each top-level item]) for every list in the passage.

    An opening line owns the following lines that are deeper than it (a plain opening line: the
    following marked lines); the shallowest of those are the items, the deeper ones their details.
    """
    blocks = []
    for i, line in enumerate(lines):
        if not _opens_list(line):
            continue
        end = i + 1
        while end < len(lines) and _belongs(lines[end], line, lines[end - 1]):
            end += 1
        marked = [lines[j].level for j in range(i + 1, end) if lines[j].level is not None]
        if len(marked) < 2 and end - i - 1 < 2:
            continue
        top = min(marked) if marked else None
        starts = [j for j in range(i + 1, end) if lines[j].level == top]
        if len(starts) < 2:
            continue
        items = [(s, (starts[k + 1] if k + 1 < len(starts) else end) - 1) for k, s in enumerate(starts)]
        blocks.append((i, items))
    return blocks


def _belongs(line: Line, opener: Line, previous: Line) -> bool:
    if opener.level is None:  # "... như sau:" owns the marked lines after it
        return line.level is not None
    if line.level is None:  # a plain line continues the item above it
        return previous.level is not None and previous.level > opener.level
    return line.level > opener.level


def _tokens(text: str) -> frozenset[str]:
    """The words of ``text``, with the words its abbreviations stand for ("CNĐVCT": công nhận …)."""
    return frozenset(segment(" ".join([text, *spelt_out(text)])))


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
    max_units: int = MAX_UNITS,
    similarity: Similarity | None = None,
) -> Selection:
    """Best unit first, whole lists where a list answers, then units that add uncovered focus.

    ``documents``: the groups of sources the question names, in its order (a document, or a
    place's documents); with two or more, the answer is one unit from each group (a comparison),
    and ``passages`` should reach far enough to hold them.
    ``similarity`` (question, texts) -> cosines: for a question whose words the documents do not
    use (English), the meaning of each unit of the first passages stands in for word overlap.
    """
    wants_number = bool(ASKS_QUANTITY.search(question))
    wants_list = bool(_ASKS_LIST.search(question))
    # Word overlap counts as far as the focus words stand for the question; where they stand for
    # little (an English question the glossary barely covers), the meaning of each unit decides.
    lexical = 1.0 if similarity is None else focus.trust
    candidates: list[Unit] = []
    everything: set[str] = set()
    for rank, passage in enumerate(passages):
        prior = 0.5 * max(passage.score, 0.0) + 0.3 / (rank + 1)
        context = _tokens(passage.section)
        units = _units(rank, passage.text)
        for unit in units:
            everything |= unit.tokens
            # A list is found by its opening line ("c) Chương trình buổi lễ kết nạp"); its items
            # count for less, or the section holding every list would beat the list asked for.
            lead = unit.lead_tokens
            own = lexical * focus.covered(lead)
            near = lexical * focus.covered(lead | context)
            unit.score = own + CONTEXT_WEIGHT * near + prior
            if unit.is_list:
                unit.score += ITEMS_WEIGHT * lexical * focus.covered(unit.tokens)
                unit.score += LIST_BONUS if wants_list else -LIST_BONUS
            elif wants_number and _states_quantity(unit.lead):
                unit.score += QUANTITY_BONUS
            candidates.append(unit)
        everything |= context
    if similarity is not None:
        # The first passages of each part of a comparison, as of a single answer.
        first = _first_passages(passages, documents, SEMANTIC_PASSAGES)
        near = [u for u in candidates if u.passage_rank in first]
        for unit, cosine in zip(near, similarity(question, [u.text()[:400] for u in near]), strict=True):
            unit.score += SEMANTIC_WEIGHT * float(cosine)
    ranked = sorted(candidates, key=lambda u: u.score, reverse=True)
    if len(documents) > 1:  # "theo Điều lệ và theo QĐ 294": one part per document, in the order asked
        chosen = [
            unit
            for group in documents
            for unit in _choose([u for u in ranked if passages[u.passage_rank].source in group], focus, 1)
        ]
    else:
        chosen = _choose(ranked, focus, max_units)
    quantity = _quantity_found(question, focus, candidates)
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


def answer_each(selection: Selection, parts: Sequence[Selection], max_units: int = MAX_UNITS) -> Selection:
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
    return bool(_STATES_QUANTITY.search(_NAMING_NUMBER.sub(" ", _MARKER.sub("", lead, count=1))))


def _quantity_found(question: str, focus: Focus, candidates: Sequence[Unit]) -> bool | None:
    """Whether a sentence about the question's point states the kind of quantity it asks for.

    "On the point" means covering at least ``ON_POINT`` of the focus share the best sentence covers:
    the collection states many day counts, but "nghỉ phép bao nhiêu ngày" is answered only by
    one next to the words of the question.
    """
    wanted = [answer for asked, answer in _QUANTITY_KINDS if asked.search(question)]
    if not wanted:
        return None
    # Sentences only: a list's text holds many quantities, most of them beside other points.
    shares = [(focus.covered(u.tokens) if focus.total else 1.0, u) for u in candidates if not u.is_list]
    best = max((share for share, _ in shares), default=0.0)
    return any(share >= ON_POINT * best and any(w.search(u.text()) for w in wanted) for share, u in shares)


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


def _units(rank: int, text: str) -> list[Unit]:
    """Every sentence of the passage that states something, and every list with its opening line.

    Each line is segmented once (segmentation is most of the selection's time): a one-sentence
    line and a list's opening line reuse its tokens, a list's tokens are the union of its lines'.
    """
    lines = parse_lines(text)
    line_tokens = [_tokens(line.text) for line in lines]
    units: list[Unit] = []
    for line, tokens in zip(lines, line_tokens, strict=True):
        sentences = split_sentences(line.text)
        for sentence in sentences:
            # A question ("… phải trải qua thời kỳ dự bị bao lâu?", an article's heading) asks, it
            # does not state: quoting it as evidence would answer a question with itself.
            if (
                len(sentence.split()) >= MIN_WORDS
                and not is_heading(sentence)
                and not sentence.endswith("?")
                and not _BASIS.match(sentence)
                and not _is_letterhead(sentence)
            ):
                own = tokens if len(sentences) == 1 else _tokens(sentence)
                units.append(Unit(rank, sentence, tokens=own, lead_tokens=own))
    for opener, items in list_blocks(lines):
        rendered: list[str] = []
        chars = 0
        for first, last in items:
            body = [lines[first].text, *(f"  {lines[j].text}" for j in range(first + 1, last + 1))]
            size = sum(len(b) for b in body)
            if rendered and (len(rendered) >= MAX_LIST_ITEMS or chars + size > MAX_LIST_CHARS):
                break
            rendered.append("\n".join(body))
            chars += size
        whole = line_tokens[opener].union(*(line_tokens[j] for f, la in items for j in range(f, la + 1)))
        more = len(items) - len(rendered)
        units.append(Unit(rank, lines[opener].text, rendered, more, tokens=whole, lead_tokens=line_tokens[opener]))
    return units


# A document's preamble gives its legal basis ("Căn cứ Điều lệ Đảng", "Xét Tờ trình của Bộ Chính trị",
# "Thực hiện Quy định số 02-QĐ/TU"): it names other documents, it states no rule of its own.
_BASIS = re.compile(
    r"\s*[-–•]?\s*(?:căn\s+cứ\b|xét\s+(?:tờ\s+trình|đề\s+nghị|báo\s+cáo)\b|thực\s+hiện\s+"
    r"(?:quy\s+định|quyết\s+định|nghị\s+quyết|chỉ\s+thị|kết\s+luận|hướng\s+dẫn|công\s+văn)\s+số\b)",
    re.IGNORECASE,
)


# The place and date a document was signed ("Hà Nội, ngày 26 tháng 5 năm 2025").
_SIGNED_ON = re.compile(r"^[^\W\d_][\w\s]*,\s*ngày\s+\d{1,2}\s+tháng\s+\d{1,2}\s+năm\s+\d{4}\s*$", re.IGNORECASE)


def _is_letterhead(sentence: str) -> bool:
    """A title or issuer line in capitals ("BAN CHẤP HÀNH TRUNG ƯƠNG"), or the place and date of
    signing: the letterhead of a document, which names it and states nothing."""
    letters = [ch for ch in sentence if ch.isalpha()]
    return (bool(letters) and all(ch.isupper() for ch in letters)) or bool(_SIGNED_ON.match(sentence.strip()))


def is_heading(sentence: str) -> bool:
    """A numbered line that names a topic instead of stating a rule: short, no number, no predicate.

    Length matters because the predicate list is short: "31.1. Đảng phí: Đảng viên đóng đảng phí
    trên cơ sở tiền lương …" (36 words) has none of its verbs, yet is the rule itself.
    """
    if sentence.lstrip().startswith("#"):  # a Markdown heading is a title, whatever it contains
        return True
    marker = _MARKER.match(sentence)
    if not marker:
        return False
    rest = sentence[marker.end() :]
    short = len(rest.split()) <= HEADING_MAX_WORDS
    return short and not any(ch.isdigit() for ch in rest) and not _PREDICATE.search(rest)
