"""Pure evaluation metrics: no model, no index, no I/O.

The runner (``ask --json`` over a question file) produces one record per question; everything here
scores those records against the gold data in ``eval/questions/*.jsonl``. Keeping the maths free of
the pipeline means a metric can be unit-tested with hand-made records and re-run on saved results
without loading a model.

Text comparison always goes through :func:`normalize`, applied to *both* sides, so a gold quote
copied from the raw document still matches a chunk after the loader has re-flowed PDF lines,
dropped Markdown emphasis or written "ủy" where the source wrote "uỷ".

A gold may also name the section its quote belongs to (a heading path such as "Điều 12"): then
any chunk under that heading counts, not only the one holding the quote. That is how a benchmark
that labels whole articles (ALQAC) is scored at the level it defines.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import PurePosixPath
from typing import Any, NotRequired, TypedDict

# A retrieved chunk spanning the boundary of a quote only counts when the pieces it shares with the
# quote cover this share of the quote's normalized characters (see gold_hit_rank).
SPAN_COVERAGE = 0.6
# Shorter shared pieces are coincidence ("đảng viên" occurs everywhere), not evidence.
MIN_PIECE_CHARS = 12
# Between the headings of a chunk's section path, as ingest.chunker.PATH_SEPARATOR writes them.
SECTION_SEPARATOR = " > "

_TONES = "\u0300\u0301\u0303\u0309\u0323"  # grave, acute, tilde, hook above, dot below
# Old-style tone placement ("hoà", "thuỷ") vs new style ("hòa", "thủy"): both appear in the corpus
# (the 2011 Statute and QĐ 294 use the old style). In NFD the tone follows the second vowel in the
# old style; moving it onto the first vowel makes both spellings identical. The lookahead keeps
# vowels that carry a second mark ("hoặc": a + dot below + breve) untouched.
_OLD_TONE = re.compile(rf"([oO])([aAeE])([{_TONES}])(?![\u0300-\u036f])|([uU])([yY])([{_TONES}])(?![\u0300-\u036f])")
# A PDF line that wraps right after a hyphen ("06-\nHD/TW") must read as "06-HD/TW", not "06- HD/TW".
_WRAPPED_HYPHEN = re.compile(r"(?<=\w)-[ \t]*\r?\n\s*(?=\w)")
_INVISIBLE = dict.fromkeys(map(ord, "\u00ad\u200b\u200c\u200d\ufeff"))
_EMPHASIS = re.compile(r"\*+")
_SPACE = re.compile(r"\s+")


def _move_tone(match: re.Match[str]) -> str:
    groups = [g for g in match.groups() if g is not None]
    first, second, tone = groups
    return first + tone + second


def normalize(text: str) -> str:
    """Canonical form for comparing quotes, chunks and answers.

    NFC, tone marks in one placement style, PDF hyphen wraps joined, invisible characters and
    Markdown emphasis asterisks dropped, whitespace collapsed, casefolded. Diacritics are never
    removed: "đảng" and "dang" stay different words.
    """
    text = unicodedata.normalize("NFD", text).translate(_INVISIBLE)
    text = _OLD_TONE.sub(_move_tone, text)
    text = unicodedata.normalize("NFC", text)
    text = _WRAPPED_HYPHEN.sub("-", text)
    text = _EMPHASIS.sub("", text)
    return _SPACE.sub(" ", text).strip().casefold()


def normalize_source(source: str) -> str:
    """Collection-relative path in one spelling, so "./official/x.pdf" equals "official/x.pdf"."""
    path = unicodedata.normalize("NFC", source.strip().replace("\\", "/"))
    return str(PurePosixPath(path)).lstrip("/")


class Gold(TypedDict):
    """One piece of evidence: a verbatim quote from a collection document, and optionally the
    section (heading path) whose every chunk counts as the evidence."""

    source: str
    quote: str
    section: NotRequired[str]


def _heading_matches(wanted: str, heading: str) -> bool:
    # "điều 12" names "điều 12. tuổi chịu …" (a title the chunker may have clipped) but not "điều 120".
    if not wanted or not heading.startswith(wanted):
        return False
    return len(heading) == len(wanted) or not heading[len(wanted)].isalnum()


def section_contains(section: str, path: str) -> bool:
    """Whether a chunk's heading ``path`` lies inside the gold ``section``, both "A > B" paths.

    The gold's headings must match the first headings of the path, one by one, after
    :func:`normalize`. A gold heading may be given in full or by its opening words up to a word
    boundary, typically its marker: "Điều 12" matches "Điều 12. Tuổi chịu trách nhiệm hình sự"
    and "Điều 12. … > 2.", never "Điều 120. …" or "Chương I > Điều 12".
    """
    wanted = [normalize(h) for h in section.split(SECTION_SEPARATOR)]
    headings = [normalize(h) for h in path.split(SECTION_SEPARATOR)]
    if len(headings) < len(wanted):
        return False
    return all(_heading_matches(w, h) for w, h in zip(wanted, headings, strict=False))


def chunk_matches_gold(chunk: Mapping[str, Any], gold: Mapping[str, Any]) -> bool:
    """True when the chunk comes from the gold document and contains the whole quote, or lies
    inside the gold's section when it names one (:func:`section_contains`)."""
    if normalize_source(chunk["source"]) != normalize_source(gold["source"]):
        return False
    if gold.get("section") and section_contains(gold["section"], chunk.get("section") or ""):
        return True
    quote = normalize(gold["quote"])
    return bool(quote) and quote in normalize(chunk["text"])


def _longest_prefix_in(quote: str, text: str) -> int:
    # Containment of prefixes is monotonic (a prefix of a contained prefix is contained), so the
    # longest one can be found by bisection.
    lo, hi = 0, len(quote)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if quote[:mid] in text:
            lo = mid
        else:
            hi = mid - 1
    return lo


def _longest_suffix_in(quote: str, text: str) -> int:
    lo, hi = 0, len(quote)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if quote[len(quote) - mid :] in text:
            lo = mid
        else:
            hi = mid - 1
    return lo


def quote_coverage(quote: str, texts: Iterable[str]) -> float:
    """Share of a quote covered by its longest prefix and longest suffix found in the given texts.

    This is how a quote cut by a chunk boundary is recognised: one chunk holds its opening, the
    next its ending. Both arguments are normalized here. Pieces shorter than ``MIN_PIECE_CHARS``
    are ignored; a text containing the whole quote gives 1.0.
    """
    q = normalize(quote)
    if not q:
        return 0.0
    covered = [False] * len(q)
    for text in texts:
        t = normalize(text)
        if q in t:
            return 1.0
        prefix = _longest_prefix_in(q, t)
        if prefix >= MIN_PIECE_CHARS:
            covered[:prefix] = [True] * prefix
        suffix = _longest_suffix_in(q, t)
        if suffix >= MIN_PIECE_CHARS:
            covered[len(q) - suffix :] = [True] * suffix
    return sum(covered) / len(q)


def gold_hit_rank(retrieved: Sequence[Mapping[str, Any]], gold: Sequence[Mapping[str, Any]], k: int = 10) -> int | None:
    """1-based rank at which the gold evidence is first found in the top ``k``, else None.

    A chunk matching a gold (:func:`chunk_matches_gold`: it holds the whole quote, or lies in the
    gold's section) is found at its own rank. A quote split across chunks is found at the first
    rank ``r`` where the chunks of its source among ranks 1..r together cover at least
    ``SPAN_COVERAGE`` of it (:func:`quote_coverage`): the reader then has most of the evidence even
    though no single chunk holds it all.
    """
    if not gold:
        return None
    seen: dict[str, list[str]] = {}
    for rank, chunk in enumerate(retrieved[:k], start=1):
        if any(chunk_matches_gold(chunk, g) for g in gold):
            return rank
        source = normalize_source(chunk["source"])
        seen.setdefault(source, []).append(chunk["text"])
        for g in gold:
            texts = seen.get(normalize_source(g["source"]))
            if texts and quote_coverage(g["quote"], texts) >= SPAN_COVERAGE:
                return rank
    return None


def hit_at_k(ranks: Sequence[int | None], k: int = 10) -> float | None:
    """Share of questions whose gold was found within rank ``k``; None for an empty set."""
    if not ranks:
        return None
    return sum(1 for r in ranks if r is not None and r <= k) / len(ranks)


def mrr_at_k(ranks: Sequence[int | None], k: int = 10) -> float | None:
    """Mean reciprocal rank, counting ranks beyond ``k`` (and misses) as 0; None for an empty set."""
    if not ranks:
        return None
    return sum(1 / r for r in ranks if r is not None and r <= k) / len(ranks)


class CitedSentence(TypedDict):
    """One answer sentence and the texts of the passages it cites."""

    sentence: str
    passages: list[str]


SupportFn = Callable[[str, Sequence[str]], bool]


def citation_precision_recall(
    sentences: Sequence[CitedSentence], support_fn: SupportFn
) -> tuple[float | None, float | None]:
    """Citation (precision, recall) as defined by ALCE (Gao et al., 2023).

    Recall: share of sentences whose cited passages jointly support them (uncited sentences are
    unsupported). Precision: share of citations that are relevant; a citation is irrelevant when
    it alone does not support its sentence and removing it leaves the sentence's support by the
    remaining citations unchanged. As in ALCE, every citation of a sentence that is not jointly
    supported counts as irrelevant. ``support_fn`` is the entailment judge, injected so this stays
    pure. Either value is None when undefined (no sentences / no citations).
    """
    if not sentences:
        return None, None
    supported = 0
    relevant = 0
    n_citations = 0
    for item in sentences:
        sentence, passages = item["sentence"], list(item["passages"])
        n_citations += len(passages)
        if not passages or not support_fn(sentence, passages):
            continue
        supported += 1
        if len(passages) == 1:
            relevant += 1
            continue
        for i, passage in enumerate(passages):
            rest = passages[:i] + passages[i + 1 :]
            if support_fn(sentence, [passage]) or not support_fn(sentence, rest):
                relevant += 1
    precision = relevant / n_citations if n_citations else None
    return precision, supported / len(sentences)


_CITE_MARK = re.compile(r"\[(\d+)\]")
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+|\n+")


def cited_sentences(answer: str, citations: Sequence[Mapping[str, Any]]) -> list[CitedSentence]:
    """Split an answer into sentences and resolve its "[n]" markers to citation texts.

    A marker standing alone after a sentence end (". [2]") belongs to the previous sentence, which
    is how generators commonly place it. Unknown numbers are ignored, not guessed.
    """
    by_n = {int(c["n"]): c.get("text", "") for c in citations}
    pieces = [p.strip() for p in _SENTENCE_END.split(answer) if p.strip()]
    result: list[CitedSentence] = []
    for piece in pieces:
        numbers = [int(n) for n in _CITE_MARK.findall(piece)]
        text = _CITE_MARK.sub("", piece).strip()
        passages = [by_n[n] for n in dict.fromkeys(numbers) if n in by_n]
        if not text.strip(" .,;:") and result:
            result[-1]["passages"].extend(p for p in passages if p not in result[-1]["passages"])
            continue
        result.append({"sentence": text, "passages": passages})
    return result


def answer_key_coverage(answer: str, keys: Sequence[str]) -> float | None:
    """Share of answer keys found (normalized substring) in the answer; None when there are no keys."""
    if not keys:
        return None
    text = normalize(answer)
    return sum(1 for key in keys if normalize(key) in text) / len(keys)


def refusal_precision_recall(
    expected_refuse: Sequence[bool], refused: Sequence[bool]
) -> tuple[float | None, float | None]:
    """Precision and recall of refusing, with "refuse" as the positive class.

    Precision says how often a refusal was right (low: the system hides answers it has); recall how
    many unanswerable questions were refused (low: it makes things up). None when undefined.
    """
    if len(expected_refuse) != len(refused):
        raise ValueError("expected_refuse and refused must have the same length")
    tp = sum(1 for e, r in zip(expected_refuse, refused, strict=True) if e and r)
    predicted = sum(1 for r in refused if r)
    actual = sum(1 for e in expected_refuse if e)
    return (tp / predicted if predicted else None, tp / actual if actual else None)


def percentile(values: Sequence[float], q: float) -> float | None:
    """The q-th percentile (0..100) with linear interpolation, numpy's default; None if empty."""
    if not values:
        return None
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q / 100
    lo, hi = math.floor(pos), math.ceil(pos)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def record_latency_ms(record: Mapping[str, Any]) -> float | None:
    """End-to-end latency of one record: ``timings_ms["total"]`` if present, else the stage sum."""
    timings = record.get("timings_ms") or {}
    if "total" in timings:
        return float(timings["total"])
    values = [float(v) for v in timings.values() if isinstance(v, int | float)]
    return sum(values) if values else None


def latency_summary(records: Iterable[Mapping[str, Any]]) -> dict[str, float | None]:
    """p50/p95 end-to-end latency in milliseconds over the records that report timings."""
    values = [v for v in map(record_latency_ms, records) if v is not None]
    return {"p50_ms": percentile(values, 50), "p95_ms": percentile(values, 95)}


def _mean(values: Iterable[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return sum(present) / len(present) if present else None


def aggregate(
    records: Sequence[Mapping[str, Any]],
    questions: Sequence[Mapping[str, Any]],
    by: str = "category",
    k: int = 10,
    support_fn: SupportFn | None = None,
    hits_at: Sequence[int] = (),
) -> list[dict[str, Any]]:
    """One metrics row per value of the question field ``by`` (e.g. category, lang), then "all".

    ``hits_at`` adds hit@j columns for smaller j from the same top-``k`` ranks: the first rank at
    which gold is found never depends on the passages ranked after it.

    Records are joined to questions on ``id``; questions without a record are counted as missing
    rather than silently dropped. Retrieval metrics use only questions with gold evidence, answer
    keys only questions that have keys, citation metrics only non-refused answers (and only when a
    ``support_fn`` is given), refusal metrics every answered question.
    """
    by_id = {r["id"]: r for r in records}
    groups: dict[str, list[Mapping[str, Any]]] = {}
    for question in questions:
        groups.setdefault(str(question.get(by, "")), []).append(question)
    rows = [_row(name, qs, by_id, k, support_fn, hits_at) for name, qs in sorted(groups.items())]
    rows.append(_row("all", list(questions), by_id, k, support_fn, hits_at))
    for row in rows:
        row[by] = row.pop("group")
    return rows


def _row(
    name: str,
    questions: Sequence[Mapping[str, Any]],
    by_id: Mapping[str, Mapping[str, Any]],
    k: int,
    support_fn: SupportFn | None,
    hits_at: Sequence[int],
) -> dict[str, Any]:
    pairs = [(q, by_id[q["id"]]) for q in questions if q["id"] in by_id]
    ranks = [gold_hit_rank(r.get("retrieved", []), q["gold"], k) for q, r in pairs if q.get("gold")]
    refusal_p, refusal_r = refusal_precision_recall(
        [q.get("expect") == "refuse" for q, _ in pairs], [bool(r.get("refused")) for _, r in pairs]
    )
    row: dict[str, Any] = {
        "group": name,
        "n": len(questions),
        "missing": len(questions) - len(pairs),
        "n_retrieval": len(ranks),
        **{f"hit@{j}": hit_at_k(ranks, j) for j in (*hits_at, k)},
        f"mrr@{k}": mrr_at_k(ranks, k),
        "answer_key_coverage": _mean(
            answer_key_coverage(r.get("answer", ""), q.get("answer_keys", []))
            for q, r in pairs
            if q.get("expect") == "answer" and not r.get("refused")
        ),
        "refusal_precision": refusal_p,
        "refusal_recall": refusal_r,
        **latency_summary(r for _, r in pairs),
    }
    if support_fn is not None:
        scores = [
            citation_precision_recall(cited_sentences(r.get("answer", ""), r.get("citations", [])), support_fn)
            for _, r in pairs
            if not r.get("refused")
        ]
        row["citation_precision"] = _mean(p for p, _ in scores)
        row["citation_recall"] = _mean(rc for _, rc in scores)
    return row
