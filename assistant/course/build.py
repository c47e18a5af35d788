"""Course material for trainers: an outline, key points, a glossary and a quiz from the documents.

A lesson follows the regulation, not a relevance ranking: the admission steps are HD 06's points
3.1 … 3.10 in that order, and a step that ranks low for the topic is still a step. So retrieval only
decides *which* documents and top-level sections the topic is about; the outline is then every
heading under those sections, read from the document's own heading tree in document order, and
each piece of material cites the stored chunk that contains it.

Everything is extractive first: key points, glossary entries and quiz stems are sentences of the
documents, and every key point and quiz answer must pass the answers' support check
(``assistant.support``) against the passage it cites, or it is dropped. Generative mode only
rewrites a key point into a shorter statement, and the rewrite faces the same check as a generated
answer (``check_cited_text``); a rewrite that fails leaves the verbatim sentence in place.
"""

from __future__ import annotations

import bisect
import hashlib
import math
import random
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import TYPE_CHECKING

from assistant.generative import check_cited_text, neutralise
from assistant.glossary import Glossary, detect_language
from assistant.injection import is_instruction
from assistant.llm import Generator, GeneratorError
from assistant.retriever import SearchRequest
from assistant.support import (
    SupportChecker,
    checker_for,
    lexical_score,
    passage_numbers,
    sentence_spans,
    strip_citations,
)
from assistant.types import Citation, Filters, Mode, Passage
from ingest.chunker import PATH_SEPARATOR, chunk_document
from ingest.index import ChunkIndex
from ingest.types import DocumentMeta, LoadedDocument
from ingest.vitokens import normalize
from prompts.answer import document_block
from prompts.course import rewrite_messages

if TYPE_CHECKING:
    from assistant.chain import Assistant

RETRIEVE_K = 50  # passages per query: enough to see which sections a topic lives in
CANDIDATE_GROUPS = 30  # top-level sections, by retrieval evidence, considered for the lesson
# A section is taught when its heading shares at least HEADING_MATCH of the topic's wording and its
# evidence share plus heading match reaches KEEP_SCORE (calibrated on the admission, party dues,
# official-membership and transfer topics over HD 06 + QĐ 294). Retrieval evidence alone keeps
# off-topic sections whose passages merely mention the topic ("Khen thưởng…" for "đảng phí").
HEADING_MATCH = 0.5
KEEP_SCORE = 0.75
MAX_HEADINGS = 80  # outline size: a lesson, not the whole collection; sections are added whole
MIN_WORDS = 6  # shorter sentences are headings or fragments, not teachable statements
TITLE_WORDS = 12  # a node's first line this short is its title, not a rule
LONG_WORDS = 45  # key points longer than this are penalised: trainers want short statements
QUIZ_MAX_WORDS = 60  # a longer stem is a reading test, not a question
GLOSSARY_TSV_MAX = 12
RECURRING_MIN_SECTIONS = 3  # "recurring": used under at least this many outline headings
OPTIONS = "ABCD"
BLANK = "……"
REWRITE_TOKENS = 80
# Generative mode shortens only sentences longer than this: shorter ones already are the short
# statement wanted, and each rewrite costs seconds of a 1.5B model on 2 cores.
REWRITE_ABOVE_WORDS = 25

# Phrasings of one idea: a topic worded one way must still find headings worded the other
# ("quy trình kết nạp" vs HD 06's "Thủ tục xem xét kết nạp đảng viên").
_PROCEDURE = ("quy trình", "thủ tục", "các bước")
_SYNONYMS = (_PROCEDURE, ("kết nạp đảng viên", "kết nạp người vào đảng"))

# Party bodies a rule assigns work to: the most telling words of a procedure, and quiz slots. One
# tuple is one body under its names ("đảng ủy cơ sở" is a "cấp ủy cơ sở"), so a wrong option is never
# another name for the right one; the first name is how an option shows it.
_BODY_NAMES = (
    ("chi bộ", "chi bộ cơ sở"), ("chi ủy",), ("bí thư chi bộ",), ("đảng ủy cơ sở", "cấp ủy cơ sở"),
    ("đảng ủy bộ phận",), ("ban thường vụ", "ban thường vụ cấp ủy"), ("cấp ủy cấp trên trực tiếp",),
    ("ủy ban kiểm tra",), ("Ban Bí thư",), ("Bộ Chính trị",),
)  # fmt: skip
# Names that can mean several of those bodies: they make a rule informative, but an option naming
# one could be right whatever the blank, so they are never quiz answers or options.
_GENERIC_BODIES = ("cấp ủy có thẩm quyền", "cấp ủy", "đảng ủy")
_BODY_KEY = {normalize(name): normalize(names[0]) for names in _BODY_NAMES for name in names}
_BODY_KEY |= {normalize(name): "" for name in _GENERIC_BODIES}
_BODY_DISPLAY = {normalize(names[0]): names[0] for names in _BODY_NAMES}
_BODY_ALIASES = {normalize(names[0]): tuple(map(normalize, names)) for names in _BODY_NAMES}
_BODY = re.compile(r"(?<!\w)(?:" + "|".join(map(re.escape, sorted(_BODY_KEY, key=len, reverse=True))) + r")(?!\w)")
# Amounts with their unit; groups say which units are interchangeable as distractors.
_UNIT_GROUPS = {"ngày làm việc": "time", "ngày": "time", "tháng": "time", "năm": "time", "tuổi": "age"}
_UNIT_GROUPS |= {"đảng viên": "count", "người": "count", "lần": "count"}
_QUANTITY = re.compile(r"(?<![\w.,/])(\d+)\s+(" + "|".join(map(normalize, _UNIT_GROUPS)) + r")(?!\w)")
# "không phải" lifts a duty ("không phải lấy ý kiến"): an exception, not the rule to teach first.
_OBLIGATION = re.compile(r"(?<!\w)(?:(?<!không )phải|không được|có trách nhiệm|chịu trách nhiệm|nghiêm cấm)(?!\w)")
# Voting shares decide admissions ("hai phần ba số đảng viên chính thức"): as telling as an amount.
_SHARE = re.compile(r"(?<!\w)(?:hai phần ba|một phần ba|ba phần tư|quá nửa|một nửa)(?!\w)")
_DEADLINE = re.compile(r"(?<!\w)(?:thời hạn|chậm nhất|kể từ ngày)(?!\w)")
_DEFINITION = r"\s*(?:là|gồm|bao gồm|được hiểu là|được tính)(?!\w)"
_STATEMENT_ENDS = (".", ";", "!", "?", "…", ")", "”", '"')
_CONTAINER = re.compile(r"(?:phần|chương|mục)\b", re.IGNORECASE)
_CLAUSE_LABEL = re.compile(r"^\((?:khoản|điểm)[^)]*\)\s*:?\s*", re.IGNORECASE)


@dataclass(frozen=True)
class OutlineSection:
    """One heading of a document, in document order; ``path`` is its heading path."""

    source: str
    path: tuple[str, ...]
    heading: str
    start: int
    end: int
    title_end: int = 0  # offset in the node where its heading line ends; 0 when it opens with a rule

    @property
    def depth(self) -> int:
        return max(len(self.path), 1)


@dataclass
class KeyPoint:
    """A short statement to teach, under its outline section, citing the sentence it restates."""

    text: str
    section: int  # index into Course.outline
    citation: int = 0  # number in Course.citations, assigned once the material is final
    rewritten: bool = False


@dataclass
class GlossaryEntry:
    """A term as the documents write it, shown in a sentence of the material that uses it."""

    term: str
    english: str  # from glossary.tsv; "" for terms found recurring in the material
    sentence: str
    citation: int = 0


@dataclass
class QuizQuestion:
    """Fill in the blank: the cited sentence settles it, the wrong options are facts the same
    documents state elsewhere, never in the cited passage."""

    stem: str  # a document sentence with its slot replaced by BLANK
    options: list[str]
    answer: int  # index into options
    section: int
    citation: int = 0

    @property
    def answer_letter(self) -> str:
        return OPTIONS[self.answer]

    @property
    def statement(self) -> str:
        """The stem filled with the correct option: the claim the cited passage must support."""
        return self.stem.replace(BLANK, self.options[self.answer], 1)


@dataclass
class Course:
    """Everything a trainer's draft holds; every ``citation`` field is a number in ``citations``."""

    topic: str
    mode: Mode
    documents: list[DocumentMeta]
    outline: list[OutlineSection]
    key_points: list[KeyPoint]
    glossary: list[GlossaryEntry]
    quiz: list[QuizQuestion]
    citations: list[Citation]
    notes: list[str] = field(default_factory=list)
    flagged: list[str] = field(default_factory=list)  # material dropped by the support check

    def citation(self, n: int) -> Citation:
        return self.citations[n - 1]


# --- collecting the material ---------------------------------------------------------------------
_Group = tuple[str, tuple[str, ...]]  # (source, heading path of a section taught whole)


@dataclass
class _Document:
    """A chosen document: its text, its stored chunks (citable passages) and its heading tree."""

    meta: DocumentMeta
    text: str
    chunks: list[Passage]  # sorted by start
    _starts: list[int] = field(init=False)

    def __post_init__(self) -> None:
        self._starts = [c.start for c in self.chunks]

    def passage_for(self, start: int, end: int) -> Passage | None:
        """The stored chunk containing ``[start, end)`` whole; a citation must quote one chunk."""
        i = bisect.bisect_right(self._starts, start) - 1
        return self.chunks[i] if i >= 0 and self.chunks[i].end >= end else None

    @cached_property
    def headings(self) -> list[tuple[tuple[str, ...], int, int]]:
        """(path, start, end) of every heading node, from the chunker itself so outline and
        citations agree on the numbering: with no token budget it yields one chunk per node."""
        loaded = LoadedDocument(self.meta, self.text, fmt="")
        nodes = chunk_document(loaded, lambda _: 0, max_tokens=1, min_tokens=0)
        return [(tuple(n.section.split(PATH_SEPARATOR)), n.start, n.end) for n in nodes]

    @cached_property
    def group_titles(self) -> dict[tuple[str, ...], str]:
        """Group key -> its heading's full first line ("3. Điều 4: Giới thiệu và kết nạp…")."""
        titles: dict[tuple[str, ...], str] = {}
        for path, start, end in self.headings:
            titles.setdefault(group_key(path), self.text[start:end].strip().split("\n", 1)[0])
        return titles


@dataclass(frozen=True)
class _Sentence:
    """A document sentence the course may use, with the outline section and chunk it belongs to."""

    text: str  # cleaned: no list marker or "(Khoản n):" label
    folded: str  # normalize(text), same length, for matching terms and slots
    section: int
    start: int  # offset in the document
    passage: Passage
    title_line: bool  # the node's first line when it is a heading, not a rule

    @property
    def words(self) -> int:
        return len(self.text.split())

    @property
    def statement(self) -> bool:
        """A complete rule: not a heading, not a fragment or sub-title (no closing punctuation), not
        a list intro ending in ":"."""
        return self.words >= MIN_WORDS and not self.title_line and self.text.endswith(_STATEMENT_ENDS)


class _Citations:
    """Numbered citations in order of first use, one per (passage, quote)."""

    def __init__(self) -> None:
        self.items: list[Citation] = []
        self._numbers: dict[tuple[str, str], int] = {}

    def add(self, passage: Passage, quote: str) -> int:
        key = (passage.id, quote)
        if key not in self._numbers:
            self.items.append(Citation(len(self.items) + 1, passage, quote))
            self._numbers[key] = len(self.items)
        return self._numbers[key]


def build_course(
    assistant: Assistant,
    topic: str,
    sources: Sequence[str] = (),
    questions: int = 10,
    mode: Mode = "extractive",
    generator: Generator | None = None,
) -> Course:
    """Course material on ``topic``, optionally restricted to ``sources``.

    ``generator`` overrides the configured one (tests pass a fake); without either, generative
    mode falls back to verbatim key points and says so in ``notes``.
    """
    topic = unicodedata.normalize("NFC", topic).strip()
    if not topic:
        raise ValueError("Chủ đề trống / The topic is empty.")
    terms = topic_terms(topic, assistant.glossary)
    queries = topic_queries(topic, terms)
    hits = _retrieve(assistant, queries, terms, sources)
    if not hits or max(p.score for p in hits) < assistant.settings.retrieval.refuse_below:
        raise ValueError(f"Không tìm thấy tài liệu về “{topic}” / Nothing in the collection about “{topic}”.")
    documents, groups = _chosen_groups(hits, queries, assistant.index)
    outline = _outline(documents, groups)
    material = _sentences(outline, documents)
    checker = checker_for(assistant.embedder)
    notes: list[str] = []
    rewriter = _rewriter(assistant, mode, generator, checker, notes)
    key_points = _key_points(topic, outline, material, rewriter)
    glossary = _glossary(material, assistant.glossary)
    quiz = _quiz(topic, material, documents, questions)
    key_points, quiz, dropped = _verified(key_points, quiz, checker)
    citations = _Citations()
    for item, sentence in [*key_points, *glossary, *quiz]:
        item.citation = citations.add(sentence.passage, sentence.text)
    if len(quiz) < questions:
        notes.append(
            f"Chỉ soạn được {len(quiz)}/{questions} câu hỏi có căn cứ / "
            f"only {len(quiz)} of {questions} questions could be grounded in the material."
        )
    return Course(
        topic=topic,
        mode=mode,
        documents=[d.meta for d in documents.values()],
        outline=outline,
        key_points=[point for point, _ in key_points],
        glossary=[entry for entry, _ in glossary],
        quiz=[question for question, _ in quiz],
        citations=citations.items,
        notes=notes,
        flagged=(rewriter.flagged if rewriter else []) + dropped,
    )


def _retrieve(
    assistant: Assistant, queries: Sequence[str], terms: Sequence[str], sources: Sequence[str]
) -> list[Passage]:
    """Passages for the topic and its variants, ``fused`` summed over queries (rank agreement)."""
    filters = Filters(sources=list(sources))
    best: dict[str, Passage] = {}
    weight: Counter[str] = Counter()
    for query in queries:
        for passage in assistant.retriever.search(SearchRequest(query, tuple(terms), filters, RETRIEVE_K)):
            weight[passage.id] += passage.fused
            if passage.id not in best or passage.score > best[passage.id].score:
                best[passage.id] = passage
    return [replace(passage, fused=weight[chunk_id]) for chunk_id, passage in best.items()]


def topic_terms(topic: str, glossary: Glossary) -> list[str]:
    """Keyword terms: the glossary's Vietnamese for English words, and every spelling variant of
    the glossary terms the topic already uses ("cấp ủy" also finds "đảng ủy")."""
    terms = glossary.expand(topic)
    folded = normalize(topic)
    for variants in glossary.entries.values():
        if any(_contains(folded, normalize(v)) for v in variants):
            terms.extend(v for v in variants if v not in terms)
    return terms


def topic_queries(topic: str, terms: Sequence[str]) -> list[str]:
    """The topic, its synonym rewordings, and for English topics the Vietnamese terms as a query."""
    folded = normalize(topic)
    queries = [topic]
    for group in _SYNONYMS:
        for word in (w for w in group if _contains(folded, normalize(w))):
            queries += [folded.replace(normalize(word), normalize(other)) for other in group if other != word]
    if detect_language(topic) == "en" and terms:
        queries.append(" ".join(terms))
    return list(dict.fromkeys(queries))


def _contains(folded: str, term: str) -> bool:
    return _term_pattern(term).search(folded) is not None


def group_key(path: Sequence[str]) -> tuple[str, ...]:
    """The heading path of the section a lesson takes whole: the top-level point, but below any
    "Phần"/"Chương"/"Mục" containers (a whole chapter of the Statute is a course, not a lesson)."""
    depth = next((i for i, label in enumerate(path) if not _CONTAINER.match(label)), len(path) - 1)
    return tuple(path[: depth + 1])


def _chosen_groups(
    hits: Sequence[Passage], queries: Sequence[str], index: ChunkIndex
) -> tuple[dict[str, _Document], list[_Group]]:
    """The documents and (source, top-level heading) groups the topic is about, best first.

    Whole top-level sections rather than single chunks: a procedure is taught step by step, and a
    section is where a document keeps its steps together. A group's score is its share of the
    retrieval evidence (summed over its passages, relative to the best group) plus how well its own
    heading matches the topic: evidence alone favours long sections, and QĐ 294's short "Điều 4:
    Giới thiệu và kết nạp người vào Đảng" ranks low by passages yet is plainly on topic.
    """
    evidence: Counter[_Group] = Counter()
    for passage in hits:
        evidence[(passage.source, group_key(passage.section.split(PATH_SEPARATOR)))] += passage.fused
    candidates = evidence.most_common(CANDIDATE_GROUPS)
    best = candidates[0][1]
    records = index.records()
    documents: dict[str, _Document] = {}
    scored: list[tuple[float, float, _Group]] = []
    for (source, top), weight in candidates:
        if source not in documents:
            documents[source] = _load(index, records[source].meta)
        title = documents[source].group_titles.get(top, top[-1])
        match = max(lexical_score(_subject(query), title) for query in queries)
        scored.append((weight / best, match, (source, top)))
    ranked = sorted(scored, key=lambda item: -(item[0] + item[1]))
    chosen = [group for share, match, group in ranked if match >= HEADING_MATCH and share + match >= KEEP_SCORE]
    # Lessons are taught from the regulations: an explainer article only when none covers the topic.
    official = [group for group in chosen if documents[group[0]].meta.kind != "article"]
    chosen = _within_budget(official or chosen, documents) or [candidates[0][0]]
    kept = dict.fromkeys(source for source, _ in chosen)
    return {source: documents[source] for source in kept}, chosen


def _subject(query: str) -> str:
    """What a heading must name: the topic without "quy trình"/"thủ tục" words, which every
    procedure heading shares ("Quy trình, thủ tục đưa đảng viên ra khỏi Đảng" is not admission)."""
    subject = query
    for word in _PROCEDURE:
        subject = re.sub(rf"(?<!\w){re.escape(word)}(?!\w)", " ", subject, flags=re.IGNORECASE)
    return " ".join(subject.split()) or query


def _within_budget(groups: Sequence[_Group], documents: dict[str, _Document]) -> list[_Group]:
    """Best groups first while the outline stays within MAX_HEADINGS; a section that does not fit
    is skipped whole (never cut: a half procedure misleads) and smaller ones may still fit."""
    kept: list[_Group] = []
    total = 0
    for source, key in groups:
        size = sum(1 for path, _, _ in documents[source].headings if group_key(path) == key)
        if total + size <= MAX_HEADINGS:
            kept.append((source, key))
            total += size
    return kept


def _outline(documents: dict[str, _Document], groups: Sequence[_Group]) -> list[OutlineSection]:
    """Per document (best first), the chosen groups' headings in document order."""
    nodes = [
        (source, path, start, end)
        for source, document in documents.items()
        for path, start, end in document.headings
        if (source, group_key(path)) in groups
    ]
    outline = []
    for i, (source, path, start, end) in enumerate(nodes):
        title = _title_line(
            documents[source].text[start:end], has_children=i + 1 < len(nodes) and _is_under(nodes[i + 1][1], path)
        )
        outline.append(OutlineSection(source, path, _heading(path, title), start, end, len(title)))
    return outline


def _is_under(path: tuple[str, ...], parent: tuple[str, ...]) -> bool:
    return len(path) > len(parent) and path[: len(parent)] == parent


def _title_line(node: str, has_children: bool) -> str:
    """The node's first line when it is a heading rather than a rule, else "".

    A lone line over sub-points is a heading even when it is a sentence ("3.5. Về kết nạp lại người
    vào Đảng."); a first line followed by a body is one when it is short or lacks a full stop.
    """
    first, newline, _ = node.partition("\n")
    if not newline:
        return first if has_children else ""
    return first if len(first.split()) < TITLE_WORDS or not first.rstrip().endswith(".") else ""


def _load(index: ChunkIndex, meta: DocumentMeta) -> _Document:
    """All stored chunks of a document in order, straight from the index, so no step depends on ranking."""
    chunks = [Passage.from_chunk(c.id, c.metadata, c.text) for c in index.document_chunks(meta.source)]
    return _Document(meta, index.document_text(meta.source), chunks)


def _heading(path: tuple[str, ...], title: str) -> str:
    """The chunker's label when it names the point ("3.3. Lý lịch của người vào Đảng"); else the
    title line, since a bare "3.5." tells a trainer nothing; a node opening with a rule keeps its
    label ("3.2.1."), the rule itself being the key point right under it."""
    label = path[-1]
    named = label.partition(" ")[2]
    if (len(named.split()) >= 3 and not named.startswith("(")) or not title:
        return label
    return title if len(title) <= 140 else title[:140].rsplit(" ", 1)[0] + "…"


def _sentences(outline: Sequence[OutlineSection], documents: dict[str, _Document]) -> list[_Sentence]:
    """Every citable sentence under the outline, in outline order; instructions planted for an AI
    (see ``assistant.injection``) are not rules of the Party, so they never become key points."""
    found: list[_Sentence] = []
    for i, section in enumerate(outline):
        document = documents[section.source]
        node = document.text[section.start : section.end]
        for start, end in sentence_spans(node):
            passage = document.passage_for(section.start + start, section.start + end)
            text = _clean(node[start:end])
            folded = normalize(text)
            if passage is None or not text or len(folded) != len(text) or is_instruction(text):
                continue
            found.append(_Sentence(text, folded, i, section.start + start, passage, end <= section.title_end))
    return found


def _clean(sentence: str) -> str:
    """A statement without its list marker or "(Khoản 1):" label: those number, they do not say."""
    return _CLAUSE_LABEL.sub("", strip_citations(sentence)).strip()


# --- key points ------------------------------------------------------------------------------------
def informativeness(folded: str) -> float:
    """What makes a rule worth teaching: amounts and deadlines, the bodies acting, obligations."""
    quantities = len(_QUANTITY.findall(folded)) + len(_SHARE.findall(folded))
    bodies = len(set(_BODY.findall(folded)))
    return (
        min(quantities, 2)
        + 0.5 * min(bodies, 2)
        + (1.0 if _OBLIGATION.search(folded) else 0.0)
        + (0.5 if _DEADLINE.search(folded) else 0.0)
    )


def _key_point_score(topic: str, sentence: _Sentence) -> float:
    length_penalty = max(0, sentence.words - LONG_WORDS) / 30
    return informativeness(sentence.folded) + lexical_score(topic, sentence.text) - length_penalty


def _key_points(
    topic: str,
    outline: Sequence[OutlineSection],
    material: Sequence[_Sentence],
    rewriter: _Rewriter | None,
) -> list[tuple[KeyPoint, _Sentence]]:
    """The most informative sentence of each outline section (none for a bare heading)."""
    by_section: dict[int, list[_Sentence]] = defaultdict(list)
    for sentence in material:
        if sentence.statement:
            by_section[sentence.section].append(sentence)
    points: list[tuple[KeyPoint, _Sentence]] = []
    for i in range(len(outline)):
        if not by_section[i]:
            continue
        best = max(by_section[i], key=lambda s: (_key_point_score(topic, s), -s.start))
        point = KeyPoint(best.text, i)
        if rewriter is not None and best.words > REWRITE_ABOVE_WORDS:
            rewriter.shorten(point, best)
        points.append((point, best))
    return points


@dataclass
class _Rewriter:
    """Generative mode: a short statement per key point, kept only if the check supports it."""

    generator: Generator
    checker: SupportChecker
    temperature: float
    notes: list[str]  # the course's notes: a generator failure is reported there, once
    flagged: list[str] = field(default_factory=list)  # rejected rewrites, for the trainer to see

    def shorten(self, point: KeyPoint, sentence: _Sentence) -> None:
        """Replace ``point.text`` by a supported rewrite; otherwise keep the verbatim sentence."""
        shown, _ = neutralise(sentence.text)
        if not shown:
            return
        passage = sentence.passage
        messages = rewrite_messages(document_block(1, passage.number or passage.title, shown))
        try:
            draft = "".join(self.generator.stream(messages, REWRITE_TOKENS, self.temperature))
        except GeneratorError as exc:  # e.g. its process died: this point stays verbatim, the course goes on
            note = f"Mô hình sinh gặp lỗi, giữ câu trích nguyên văn / generator failed, verbatim: {exc}"
            if note not in self.notes:
                self.notes.append(note)
            return
        checked = check_cited_text(draft, [passage], {1: shown}, self.checker)
        self.flagged += checked.flagged
        text = " ".join(strip_citations(s) for s in checked.sentences)
        # The course's final check is against the passage text alone (not the source line the model
        # saw), so a rewrite must pass it here too, or the whole point would be dropped later.
        if text and self.checker.check(text, [passage.text]).supported:
            point.text, point.rewritten = text, True


def _rewriter(
    assistant: Assistant,
    mode: Mode,
    generator: Generator | None,
    checker: SupportChecker,
    notes: list[str],
) -> _Rewriter | None:
    """The rewriter for generative mode; the generator loads once per process, shared with chat."""
    if mode != "generative":
        return None
    if generator is None:
        generator, reason = assistant.generator()
        if generator is None:
            notes.append(f"Không có mô hình sinh, giữ câu trích nguyên văn / no generator, verbatim: {reason}")
            return None
    return _Rewriter(generator, checker, assistant.settings.generator.temperature, notes)


# --- glossary --------------------------------------------------------------------------------------
def _glossary(material: Sequence[_Sentence], glossary: Glossary) -> list[tuple[GlossaryEntry, _Sentence]]:
    """Reviewed glossary terms the material uses, then the party bodies it keeps naming; each with
    the sentence that best defines or uses it, in the order the lesson meets them."""
    chosen = _glossary_terms(material, glossary)
    chosen += _recurring_bodies(material, {term for term, _ in chosen})
    entries: list[tuple[GlossaryEntry, _Sentence]] = []
    used: set[int] = set()
    for term, english in chosen:
        sentence = _defining_sentence(term, material, used)
        if sentence is not None:
            used.add(sentence.start)
            entries.append((GlossaryEntry(_surface(term, sentence), english, sentence.text), sentence))
    return sorted(entries, key=lambda e: (e[1].section, e[1].start))


def _glossary_terms(material: Sequence[_Sentence], glossary: Glossary) -> list[tuple[str, str]]:
    """(folded term, English) for the glossary.tsv entries the material uses most.

    Longer terms are counted first and their matches blanked, so "đảng viên" counts only where it
    is not part of "đảng viên dự bị"; each English entry contributes its most used variant.
    """
    text = "\n".join(s.folded for s in material)
    uses: dict[str, int] = {}
    for term in sorted({normalize(v) for vs in glossary.entries.values() for v in vs}, key=len, reverse=True):
        text, uses[term] = _term_pattern(term).subn("\x00", text)
    entries = [(tuple(map(normalize, variants)), " ".join(key)) for key, variants in glossary.entries.items()]
    entries.sort(key=lambda entry: -max(uses[v] for v in entry[0]))
    chosen: list[tuple[str, str]] = []
    taken: set[str] = set()
    for variants, english in entries:
        term = max(variants, key=uses.__getitem__)
        # One entry per Vietnamese term: "admission" and "admit" both mean "kết nạp".
        if uses[term] and taken.isdisjoint(variants) and len(chosen) < GLOSSARY_TSV_MAX:
            chosen.append((term, english))
            taken.update(variants)
    return chosen


def _recurring_bodies(material: Sequence[_Sentence], taken: set[str]) -> list[tuple[str, str]]:
    """Party bodies named under at least RECURRING_MIN_SECTIONS outline headings, most used first."""
    sections: dict[str, set[int]] = defaultdict(set)
    for sentence in material:
        for name in _BODY.findall(sentence.folded):
            if _BODY_KEY[name]:
                sections[_BODY_KEY[name]].add(sentence.section)
    ranked = sorted(sections.items(), key=lambda item: (-len(item[1]), item[0]))
    return [(key, "") for key, used in ranked if len(used) >= RECURRING_MIN_SECTIONS and key not in taken]


def _term_pattern(term: str) -> re.Pattern[str]:
    return re.compile(rf"(?<!\w){re.escape(term)}(?!\w)")


def _defining_sentence(term: str, material: Sequence[_Sentence], used: set[int]) -> _Sentence | None:
    """A sentence saying what the term is ("… là", "… gồm"), else one where it is the subject, and
    one not already quoted for another term; then the one nearest 20 words."""
    using = _term_pattern(term)
    defining = re.compile(rf"(?<!\w){re.escape(term)}{_DEFINITION}")
    candidates = [s for s in material if s.statement and using.search(s.folded)]
    if not candidates:
        return None
    return min(
        candidates,
        key=lambda s: (
            defining.search(s.folded) is None,
            not s.folded.startswith(term),
            s.start in used,
            abs(s.words - 20),
            s.start,
        ),
    )


def _surface(folded_term: str, sentence: _Sentence) -> str:
    """The term as the document writes it (case, tone placement), lower-cased at a sentence start."""
    at = _term_pattern(folded_term).search(sentence.folded)
    if at is None:
        return folded_term
    surface = sentence.text[at.start() : at.end()]
    return _match_case(surface, "a") if at.start() == 0 else surface


# --- quiz ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Slot:
    """The part of a sentence a question blanks out; ``key`` identifies the fact across wordings."""

    start: int
    end: int
    kind: str  # "time" | "age" | "count" | "body"
    key: str  # folded amount ("30 ngày làm việc") or the body's first name, folded
    value: int = 0  # for amounts


def _slots(folded: str) -> list[_Slot]:
    """Amounts first (the facts most worth testing), then specific bodies."""
    amounts = [
        _Slot(m.start(), m.end(), _UNIT_GROUPS[_unit(m.group(2))], f"{int(m.group(1))} {m.group(2)}", int(m.group(1)))
        for m in _QUANTITY.finditer(folded)
    ]
    bodies = [_Slot(m.start(), m.end(), "body", _BODY_KEY[m.group()]) for m in _BODY.finditer(folded)]
    return amounts + [slot for slot in bodies if slot.key]


def _unit(folded_unit: str) -> str:
    return next(unit for unit in _UNIT_GROUPS if normalize(unit) == folded_unit)


@dataclass
class _Pool:
    """Candidate wrong options: every amount and body the chosen documents mention, with how often
    (a body the documents name often is a plausible wrong answer; "Bộ Chính trị" for a cell's
    task is not)."""

    kinds: dict[str, str] = field(default_factory=dict)  # key -> slot kind
    counts: Counter[str] = field(default_factory=Counter)

    @classmethod
    def of(cls, documents: Iterable[_Document]) -> _Pool:
        pool = cls()
        for chunk in (c for document in documents for c in document.chunks):
            for slot in _slots(normalize(chunk.text)):
                pool.add(slot)
        return pool

    def add(self, slot: _Slot) -> None:
        self.kinds[slot.key] = slot.kind
        self.counts[slot.key] += 1

    def options(self, slot: _Slot) -> list[str]:
        """Keys of the slot's kind, plus made-up amounts near the answer's."""
        found = [key for key, kind in self.kinds.items() if kind == slot.kind]
        return found if slot.kind == "body" else found + _made_up_amounts(slot)


def _quiz(
    topic: str, material: Sequence[_Sentence], documents: dict[str, _Document], count: int
) -> list[tuple[QuizQuestion, _Sentence]]:
    """Fill-in-the-blank questions spread over the outline: each section's best before any
    section's second; sentences with an amount before those with only a body."""
    pool = _Pool.of(documents.values())
    by_section: dict[int, list[tuple[QuizQuestion, _Sentence]]] = defaultdict(list)
    for sentence in sorted(material, key=_quiz_priority):
        if sentence.statement and sentence.words <= QUIZ_MAX_WORDS:
            question = _question(sentence, pool)
            if question is not None:
                by_section[sentence.section].append((question, sentence))
    ordered: list[tuple[QuizQuestion, _Sentence]] = []
    for round_ in range(max((len(q) for q in by_section.values()), default=0)):
        ordered += [questions[round_] for questions in by_section.values() if len(questions) > round_]
    chosen = sorted(_varied(ordered, count), key=lambda pair: (pair[1].section, pair[1].start))
    return _arranged(chosen, topic)


def _varied(ordered: list[tuple[QuizQuestion, _Sentence]], count: int) -> list[tuple[QuizQuestion, _Sentence]]:
    """The first ``count`` questions, preferring ones whose answer no earlier question has: five
    questions all answered "12 tháng" teach one fact."""
    answers: set[str] = set()
    fresh, repeated = [], []
    for pair in ordered:
        answer = normalize(pair[0].options[pair[0].answer])
        (repeated if answer in answers else fresh).append(pair)
        answers.add(answer)
    return (fresh + repeated)[:count]


def _quiz_priority(sentence: _Sentence) -> float:
    return -informativeness(sentence.folded)


def _question(sentence: _Sentence, pool: _Pool) -> QuizQuestion | None:
    """A question on the sentence's first slot with three admissible wrong options (answer first)."""
    passage = normalize(sentence.passage.text)
    numbers = passage_numbers(sentence.passage.text)
    for slot in _slots(sentence.folded):
        answer = sentence.text[slot.start : slot.end]
        wrong = [key for key in pool.options(slot) if key != slot.key and not _stated(key, passage, numbers)]
        wrong = sorted(dict.fromkeys(wrong), key=_plausibility(slot, pool))[: len(OPTIONS) - 1]
        options = [answer, *(_styled(_BODY_DISPLAY.get(key, key), answer) for key in wrong)]
        if len({normalize(option) for option in options}) == len(OPTIONS):
            stem = sentence.text[: slot.start] + BLANK + sentence.text[slot.end :]
            return QuizQuestion(stem, options, 0, sentence.section)
    return None


def _arranged(questions: list[tuple[QuizQuestion, _Sentence]], topic: str) -> list[tuple[QuizQuestion, _Sentence]]:
    """Shuffle options so each letter is the answer about equally often (a quiz answered "B" six
    times teaches guessing), seeded by the content rather than Python's per-process hash, so the
    same topic gives the same quiz on every run."""
    rng = random.Random(int(hashlib.sha256(topic.encode()).hexdigest()[:16], 16))
    positions = [i % len(OPTIONS) for i in range(len(questions))]
    rng.shuffle(positions)
    for (question, _), position in zip(questions, positions, strict=True):
        answer, wrong = (
            question.options[question.answer],
            [o for i, o in enumerate(question.options) if i != question.answer],
        )
        rng.shuffle(wrong)
        question.options = [*wrong[:position], answer, *wrong[position:]]
        question.answer = position
    return questions


def _stated(key: str, passage: str, numbers: frozenset[str]) -> bool:
    """Whether the passage states the option anywhere, so it might also be right: a body under any
    of its names, an amount as written or with its number spelled out ("ba tháng")."""
    if key in _BODY_ALIASES:
        return any(_contains(passage, name) for name in _BODY_ALIASES[key])
    number, unit = key.split(" ", 1)
    return _contains(passage, key) or (number in numbers and _contains(passage, unit))


def _made_up_amounts(slot: _Slot) -> list[str]:
    """Neighbours of an amount (half, double, one and a half) for when the documents hold too few;
    same unit, so the option still reads naturally."""
    unit = slot.key.split(" ", 1)[1]
    values = {slot.value // 2, slot.value * 2, slot.value + max(slot.value // 2, 1)} - {0, slot.value}
    return [f"{v} {unit}" for v in sorted(values)]


def _plausibility(slot: _Slot, pool: _Pool) -> Callable[[str], tuple[bool, float, int, str]]:
    """Sort key: amounts in the answer's unit and nearest in size first; then what the documents
    mention most; the key last, so ties never depend on dict order."""
    unit = slot.key.split(" ", 1)[1] if slot.kind != "body" else ""

    def key(option: str) -> tuple[bool, float, int, str]:
        if slot.kind == "body":
            return (False, 0.0, -pool.counts[option], option)
        number, option_unit = option.split(" ", 1)
        distance = abs(math.log(int(number) or 1) - math.log(slot.value or 1))
        return (option_unit != unit, distance, -pool.counts[option], option)

    return key


def _styled(option: str, answer: str) -> str:
    """A wrong option written like the answer: same initial case, and amounts zero-padded when the
    document pads the answer ("05 ngày"), so neither gives the answer away."""
    digits = re.match(r"0\d+", answer)
    number, space, unit = option.partition(" ")
    if digits and number.isdigit():
        option = f"{number.zfill(len(digits.group()))}{space}{unit}"
    return _match_case(option, answer)


def _match_case(option: str, answer: str) -> str:
    """Options start like the answer, so capitalisation never gives the answer away; names with
    capitals inside ("Ban Bí thư") keep them."""
    if answer[:1].isupper():
        return option[:1].upper() + option[1:]
    return option if any(ch.isupper() for ch in option[1:]) else option[:1].lower() + option[1:]


# --- the support check ------------------------------------------------------------------------------
def _verified(
    key_points: list[tuple[KeyPoint, _Sentence]], quiz: list[tuple[QuizQuestion, _Sentence]], checker: SupportChecker
) -> tuple[list[tuple[KeyPoint, _Sentence]], list[tuple[QuizQuestion, _Sentence]], list[str]]:
    """Keep only key points and quiz answers their cited passage supports (one batched check)."""
    claims = [(point.text, [sentence.passage.text]) for point, sentence in key_points]
    claims += [(question.statement, [sentence.passage.text]) for question, sentence in quiz]
    verdicts = [v.supported for v in checker.check_many(claims)]
    kept_points = [pair for pair, ok in zip(key_points, verdicts[: len(key_points)], strict=True) if ok]
    kept_quiz = [pair for pair, ok in zip(quiz, verdicts[len(key_points) :], strict=True) if ok]
    dropped = [claim for (claim, _), ok in zip(claims, verdicts, strict=True) if not ok]
    return kept_points, kept_quiz, dropped
