"""Fit the terms of score fusion by cross-validation, not by hand (issue 16, lever 1).

Usage:  python -m eval.fusion [QUESTIONS.jsonl] [--check QUESTIONS.jsonl --collection DIR] [--out DIR]

Every question is asked once through the real chain (rewrite, glossary terms, document
references); the retriever's observer records what fusion ranks: each candidate's cosine and BM25
score. Fusion is then replayed offline with the production ``fuse_scores`` plus the terms under
test, and each ranking is scored with the eval's own gold matching (hit@5, MRR@10).

Each lever is a set of terms with a grid of weights; the production ones stay here so that their
weights can be refitted when the collection or the model changes. On the fitting set (the dev
questions), 5-fold cross-validation, repeated over three shuffles, fits the weights on four folds
by coordinate ascent on MRR@10 and scores the fifth: the report gives the out-of-fold figures.
The weights fitted on the whole fitting set are then scored on the check set (ALQAC 2022 by
article, ``--check`` with its ``--collection``, indexed in its own data dir), which they never saw.
A term is worth keeping only when it wins out of fold on dev and does not lose on the check set.
"""

from __future__ import annotations

import argparse
import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.chain import Assistant
from assistant.fusion import fuse_scores
from assistant.retriever import Candidates, SearchRequest
from eval.metrics import gold_hit_rank, hit_at_k, mrr_at_k
from eval.records import load_questions
from eval.runner import collection_settings
from settings import Settings

FOLDS = 5
SHUFFLES = (0, 1, 2)
ROUNDS = 3  # coordinate-ascent sweeps over the terms
K = 10


@dataclass(frozen=True)
class Case:
    """One question's recorded fusion input, its gold evidence and what the terms need of it."""

    id: str
    lang: str
    gold: list[dict[str, str]]
    found: Candidates
    boost_ids: frozenset[str]


Chunks = Mapping[str, Mapping[str, str]]
# A term: (case, chunk id, chunks) -> the value its weight multiplies.
Term = Callable[[Case, str, Chunks], float]


def _keyword(case: Case, chunk_id: str) -> float:
    top = max(case.found.keyword.values(), default=0.0)
    return case.found.keyword.get(chunk_id, 0.0) / top if top > 0 else 0.0


TERMS: dict[str, Term] = {
    # The keyword weight per language, the official-document prior and the local-document penalty
    # (assistant.fusion). The terms that lost (per-query weights from exact terms and list agreement,
    # min-max cosine, length normalization) were removed; eval/reports/retrieval-levers/ keeps their rows.
    "keyword_vi": lambda case, c, chunks: _keyword(case, c) * (case.lang != "en"),
    "keyword_en": lambda case, c, chunks: _keyword(case, c) * (case.lang == "en"),
    "official": lambda case, c, chunks: float(chunks[c]["kind"] != "article"),
    # Subtracted, as fusion does: the retriever marks a local body's passages when nothing is named.
    "local": lambda case, c, chunks: -float(c in case.found.local),
}
GRIDS: dict[str, tuple[float, ...]] = {
    "keyword_vi": (0.0, 0.02, 0.05, 0.08, 0.12, 0.2),
    "keyword_en": (0.0, 0.02, 0.05, 0.08, 0.12),
    "official": (0.0, 0.01, 0.02, 0.03, 0.04, 0.06, 0.08, 0.12),
    "local": (0.0, 0.01, 0.02, 0.03, 0.04, 0.06, 0.08),
}
BASE = ("keyword_vi", "keyword_en")
# Reference rows, not fitted: their figures are in-sample (nothing was chosen on the questions).
FIXED: dict[str, tuple[float, ...]] = {"dense alone": (0.0, 0.0), "keyword weights before (0.05 / 0.02)": (0.05, 0.02)}
LEVERS: dict[str, tuple[str, ...]] = {
    "keyword weight per language": BASE,
    "official-document prior": (*BASE, "official"),
    "local-document penalty": (*BASE, "official", "local"),
}


def record(assistant: Assistant, questions: Sequence[dict[str, Any]]) -> list[Case]:
    """Ask every answerable question with gold once; keep the first search's candidates."""
    cases: list[Case] = []
    seen: list[tuple[SearchRequest, Candidates]] = []
    assistant.retriever.observer = lambda request, found: seen.append((request, found))
    for q in questions:
        if q["expect"] != "answer" or not q["gold"]:
            continue
        seen.clear()
        assistant.ask(q["question"], q.get("history", []))
        if seen:
            request, found = seen[0]
            cases.append(Case(q["id"], q["lang"], q["gold"], found, request.boost_ids))
    assistant.retriever.observer = None
    return cases


class Replay:
    """Ranks of one question set's recorded cases under given term weights, memoised by top 10."""

    def __init__(self, cases: Sequence[Case], chunks: Chunks, terms: Sequence[str]) -> None:
        self.cases, self.chunks, self.terms = list(cases), chunks, tuple(terms)
        self.values = [
            {c: [TERMS[t](case, c, chunks) for t in self.terms] for c in case.found.cosines} for case in cases
        ]
        self.memo: list[dict[tuple[str, ...], int | None]] = [{} for _ in self.cases]

    def rank(self, i: int, weights: Sequence[float]) -> int | None:
        case, values = self.cases[i], self.values[i]
        extra = {c: sum(w * v for w, v in zip(weights, vs, strict=True)) for c, vs in values.items()}
        # fuse_scores with weight 0 is the cosine plus the boost; every term is added on top.
        base = fuse_scores(case.found.cosines, case.found.keyword, 0.0, case.boost_ids)
        ranked = sorted(((c, s + extra[c]) for c, s in base), key=lambda item: -item[1])
        top = tuple(c for c, _ in ranked[:K])
        if top not in self.memo[i]:
            self.memo[i][top] = gold_hit_rank([self.chunks[c] for c in top], case.gold, K)
        return self.memo[i][top]

    def ranks(self, indices: Sequence[int], weights: Sequence[float]) -> list[int | None]:
        return [self.rank(i, weights) for i in indices]

    def fit(self, indices: Sequence[int]) -> list[float]:
        """Coordinate ascent on MRR@10 over each term's grid, from the values nearest 0."""
        weights = [min(GRIDS[t], key=abs) for t in self.terms]
        best = _mrr(self.ranks(indices, weights))
        for _ in range(ROUNDS):
            moved = False
            for j, term in enumerate(self.terms):
                for value in GRIDS[term]:
                    trial = [*weights[:j], value, *weights[j + 1 :]]
                    score = _mrr(self.ranks(indices, trial))
                    if score > best + 1e-9:
                        best, weights, moved = score, trial, True
            if not moved:
                break
        return weights


def _mrr(ranks: Sequence[int | None]) -> float:
    return mrr_at_k(ranks, K) or 0.0


def cross_validate(replay: Replay, seed: int) -> tuple[list[int | None], list[list[float]]]:
    """Out-of-fold ranks of every case and the weights each fold chose."""
    order = list(range(len(replay.cases)))
    random.Random(seed).shuffle(order)
    ranks: list[int | None] = [None] * len(order)
    chosen = []
    for f in range(FOLDS):
        held = set(order[f::FOLDS])
        weights = replay.fit([i for i in order if i not in held])
        chosen.append(weights)
        for i in held:
            ranks[i] = replay.rank(i, weights)
    return ranks, chosen


def load(settings: Settings, questions: Path) -> tuple[list[Case], dict[str, dict[str, str]]]:
    """Record ``questions`` over ``settings``' index; the chunks with what gold matching and terms read."""
    assistant = Assistant(settings)
    every = assistant.index.all_chunks(include=("metadatas", "documents"))
    chunks = {
        chunk_id: {
            "source": meta["source"],
            "section": meta.get("section", ""),
            "kind": meta.get("kind", ""),
            "text": text,
        }
        for chunk_id, meta, text in zip(every["ids"], every["metadatas"], every["documents"], strict=True)
    }
    return record(assistant, load_questions(questions)), chunks


def report(fit: tuple[list[Case], Chunks], check: tuple[list[Case], Chunks] | None, title: str) -> list[str]:
    """One row per lever: out-of-fold figures per shuffle, the weights chosen, the check-set figures."""
    cases, chunks = fit
    lines = [
        f"# Score fusion terms fitted by cross-validation: {title}",
        "",
        "hit@5, MRR@10 and English MRR@10 are out of fold on the fitting set (5 folds; hit@5 and English MRR "
        "averaged over the shuffles); 'weights' are those fitted on the whole fitting set, in the order of 'terms'; "
        "check: those weights on the check set, which the fit never saw. Rows above the levers are fixed weights, "
        "scored as they are.",
        "",
        "| lever | terms | weights | hit@5 | MRR@10 per shuffle | English MRR@10 | check hit@5 | check MRR@10 |",
        "|---|---|---|---|---|---|---|---|",
    ]
    rows = [(name, BASE, list(weights), False) for name, weights in FIXED.items()]
    rows += [(name, terms, None, True) for name, terms in LEVERS.items()]
    for lever, terms, fixed, fitted in rows:
        replay = Replay(cases, chunks, terms)
        runs = (
            [cross_validate(replay, seed)[0] for seed in SHUFFLES]
            if fitted
            else [replay.ranks(range(len(cases)), fixed or [])]
        )
        weights = replay.fit(range(len(cases))) if fitted else fixed or []
        english = [[r for r, case in zip(run, cases, strict=True) if case.lang == "en"] for run in runs]
        checked = "– | –"
        if check is not None:
            other = Replay(check[0], check[1], terms)
            ranks = other.ranks(range(len(other.cases)), weights)
            checked = f"{hit_at_k(ranks, 5) or 0.0:.3f} | {_mrr(ranks):.3f}"
        lines.append(
            f"| {lever} | {', '.join(terms)} | {', '.join(f'{w:g}' for w in weights)} "
            f"| {sum(hit_at_k(run, 5) or 0.0 for run in runs) / len(runs):.3f} "
            f"| {' / '.join(f'{_mrr(run):.3f}' for run in runs)} "
            f"| {sum(_mrr(e) for e in english) / len(english):.3f} | {checked} |"
        )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("questions", nargs="?", type=Path, default=Path("eval/questions/dev.jsonl"))
    parser.add_argument("--check", type=Path, help="a question set to score the fitted weights on")
    parser.add_argument("--collection", type=Path, help="the check set's collection, indexed in its own data dir")
    parser.add_argument("--out", type=Path, default=Path("eval/reports/fusion"))
    args = parser.parse_args()
    settings = Settings()
    fit = load(settings, args.questions)
    check = None
    if args.check:
        check_settings = collection_settings(settings, args.collection) if args.collection else settings
        check = load(check_settings, args.check)
    title = args.questions.name + (f", checked on {args.check}" if args.check else "")
    lines = report(fit, check, title)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "report.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
