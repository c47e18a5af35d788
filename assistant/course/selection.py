"""Which documents and top-level sections a topic is about: the first step of a course.

A lesson follows the regulation, not a relevance ranking: the admission steps are HD 06's points
3.1 … 3.10 in that order, and a step that ranks low for the topic is still a step. So retrieval here
only decides *which* whole sections to teach (``Group``); ``outline`` then lists every heading under
them in document order. The topic's wording is widened first (glossary variants, synonyms of
"quy trình"), because a topic worded one way must still find sections worded another.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import replace

from assistant.course.lexicon import contains
from assistant.course.material import Document, group_key, load_document
from assistant.glossary import Glossary, detect_language
from assistant.retriever import SearchRequest
from assistant.support import lexical_score
from assistant.types import Filters, Passage
from ingest.chunker import PATH_SEPARATOR
from ingest.index import ChunkIndex
from ingest.vitokens import normalize
from settings import CourseSettings

# Phrasings of one idea: a topic worded one way must still find headings worded the other
# ("quy trình kết nạp" vs HD 06's "Thủ tục xem xét kết nạp đảng viên").
_PROCEDURE = ("quy trình", "thủ tục", "các bước")
_SYNONYMS = (_PROCEDURE, ("kết nạp đảng viên", "kết nạp người vào đảng"))

Group = tuple[str, tuple[str, ...]]  # (source, heading path of a section taught whole)


def topic_terms(topic: str, glossary: Glossary) -> list[str]:
    """Keyword terms: the glossary's Vietnamese for English words, and every spelling variant of
    the glossary terms the topic already uses ("cấp ủy" also finds "đảng ủy")."""
    terms = glossary.expand(topic)
    folded = normalize(topic)
    for variants in glossary.entries.values():
        if any(contains(folded, normalize(v)) for v in variants):
            terms.extend(v for v in variants if v not in terms)
    return terms


def topic_queries(topic: str, terms: Sequence[str]) -> list[str]:
    """The topic, its synonym rewordings, and for English topics the Vietnamese terms as a query."""
    folded = normalize(topic)
    queries = [topic]
    for group in _SYNONYMS:
        for word in (w for w in group if contains(folded, normalize(w))):
            queries += [folded.replace(normalize(word), normalize(other)) for other in group if other != word]
    if detect_language(topic) == "en" and terms:
        queries.append(" ".join(terms))
    return list(dict.fromkeys(queries))


def retrieve(
    search: Callable[[SearchRequest], list[Passage]],
    queries: Sequence[str],
    terms: Sequence[str],
    sources: Sequence[str],
    k: int,
) -> list[Passage]:
    """Passages for the topic and its variants (``k`` per query), ``fused`` summed over queries
    (rank agreement).

    ``search``: the assistant's (``Assistant.search``), so a lesson finds what chat would.
    """
    filters = Filters(sources=list(sources))
    best: dict[str, Passage] = {}
    weight: Counter[str] = Counter()
    for query in queries:
        for passage in search(SearchRequest(query, tuple(terms), filters, k)):
            weight[passage.id] += passage.fused
            if passage.id not in best or passage.score > best[passage.id].score:
                best[passage.id] = passage
    return [replace(passage, fused=weight[chunk_id]) for chunk_id, passage in best.items()]


def chosen_groups(
    hits: Sequence[Passage], queries: Sequence[str], index: ChunkIndex, tuning: CourseSettings
) -> tuple[dict[str, Document], list[Group]]:
    """The documents and (source, top-level heading) groups the topic is about, best first.

    Whole top-level sections rather than single chunks: a procedure is taught step by step, and a
    section is where a document keeps its steps together. A group's score is its share of the
    retrieval evidence (summed over its passages, relative to the best group) plus how well its own
    heading matches the topic: evidence alone favours long sections, and QĐ 294's short "Điều 4:
    Giới thiệu và kết nạp người vào Đảng" ranks low by passages yet is plainly on topic. Both bars
    (``tuning.heading_match``, ``tuning.keep_score``) must be met: retrieval evidence alone keeps
    off-topic sections whose passages merely mention the topic ("Khen thưởng…" for "đảng phí").
    """
    evidence: Counter[Group] = Counter()
    for passage in hits:
        evidence[(passage.source, group_key(passage.section.split(PATH_SEPARATOR)))] += passage.fused
    candidates = evidence.most_common(tuning.candidate_groups)
    best = candidates[0][1]
    records = index.records()
    documents: dict[str, Document] = {}
    scored: list[tuple[float, float, Group]] = []
    for (source, top), weight in candidates:
        if source not in documents:
            documents[source] = load_document(index, records[source].meta)
        title = documents[source].group_titles.get(top, top[-1])
        match = max(lexical_score(_subject(query), title) for query in queries)
        scored.append((weight / best, match, (source, top)))
    ranked = sorted(scored, key=lambda item: -(item[0] + item[1]))
    chosen = [
        group for share, match, group in ranked if match >= tuning.heading_match and share + match >= tuning.keep_score
    ]
    # Lessons are taught from the regulations: an explainer article only when none covers the topic.
    official = [group for group in chosen if documents[group[0]].meta.kind != "article"]
    chosen = _within_budget(official or chosen, documents, tuning.max_headings) or [candidates[0][0]]
    kept = dict.fromkeys(source for source, _ in chosen)
    return {source: documents[source] for source in kept}, chosen


def _subject(query: str) -> str:
    """What a heading must name: the topic without "quy trình"/"thủ tục" words, which every
    procedure heading shares ("Quy trình, thủ tục đưa đảng viên ra khỏi Đảng" is not admission)."""
    subject = query
    for word in _PROCEDURE:
        subject = re.sub(rf"(?<!\w){re.escape(word)}(?!\w)", " ", subject, flags=re.IGNORECASE)
    return " ".join(subject.split()) or query


def _within_budget(groups: Sequence[Group], documents: dict[str, Document], max_headings: int) -> list[Group]:
    """Best groups first while the outline stays within ``max_headings``; a section that does not fit
    is skipped whole (never cut: a half procedure misleads) and smaller ones may still fit."""
    kept: list[Group] = []
    total = 0
    for source, key in groups:
        size = sum(1 for path, _, _ in documents[source].headings if group_key(path) == key)
        if total + size <= max_headings:
            kept.append((source, key))
            total += size
    return kept
