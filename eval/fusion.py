"""Choose the keyword weights of score fusion by cross-validation, not by hand.

Usage:  python -m eval.fusion [QUESTIONS.jsonl] [--collection DIR] [--out eval/reports/fusion]

Every question is asked once through the real chain (rewrite, glossary terms, document
references); the retriever's observer records what fusion ranks: each candidate's cosine and BM25
score. Fusion is then replayed offline for each weight of a grid, and each ranking is scored with
the eval's own gold matching (hit@5, MRR@10). Per question language, 5-fold cross-validation picks
a weight on four folds and scores it on the fifth; the report gives the grid, the out-of-fold
MRR@10 and the weights each fold chose, repeated over three shuffles. A weight is worth setting
only when the folds agree on it. ``--collection`` runs on another collection (ALQAC 2022, as
converted by ``bench/alqac.py``) in its own data dir, so one weight can be checked on both.
"""

from __future__ import annotations

import argparse
import random
from collections.abc import Sequence
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

GRID = (0.0, 0.01, 0.02, 0.03, 0.05, 0.08, 0.1, 0.15, 0.2, 0.3, 0.5)
FOLDS = 5
SHUFFLES = (0, 1, 2)
K = 10


@dataclass(frozen=True)
class Case:
    """One question's recorded fusion input and its gold evidence."""

    id: str
    lang: str
    gold: list[dict[str, str]]
    found: Candidates
    boost_ids: frozenset[str]


def record(assistant: Assistant, questions: Sequence[dict[str, Any]]) -> list[Case]:
    """Ask every answerable question with gold once; keep the first search's candidates."""
    cases: list[Case] = []
    seen: list[tuple[SearchRequest, Candidates]] = []
    assistant.retriever.observer = lambda request, found: seen.append((request, found))
    for question in questions:
        if question["expect"] != "answer" or not question["gold"]:
            continue
        seen.clear()
        assistant.ask(question["question"], question.get("history", []))
        if seen:
            request, found = seen[0]
            cases.append(Case(question["id"], question["lang"], question["gold"], found, request.boost_ids))
    assistant.retriever.observer = None
    return cases


def rank(case: Case, weight: float, chunks: dict[str, dict[str, str]]) -> int | None:
    """Rank of the gold evidence when fusion uses ``weight``."""
    fused = fuse_scores(case.found.cosines, case.found.keyword, weight, case.boost_ids)[:K]
    return gold_hit_rank([chunks[chunk_id] for chunk_id, _ in fused], case.gold, K)


def _mrr(ranks: Sequence[int | None]) -> float:
    return mrr_at_k(ranks, K) or 0.0


def cross_validate(ranks: dict[float, list[int | None]], seed: int) -> tuple[float, list[float]]:
    """Out-of-fold MRR@10 and the weight each fold chose (ties: the smaller weight)."""
    order = list(range(len(next(iter(ranks.values())))))
    random.Random(seed).shuffle(order)
    folds = [order[i::FOLDS] for i in range(FOLDS)]
    total, chosen = 0.0, []
    for held in folds:
        train = [i for i in order if i not in held]
        best = max(ranks, key=lambda w: (_mrr([ranks[w][i] for i in train]), -w))
        chosen.append(best)
        total += _mrr([ranks[best][i] for i in held]) * len(held)
    return total / len(order), chosen


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("questions", nargs="?", default="eval/questions/dev.jsonl")
    parser.add_argument("--collection", type=Path, help="another collection, indexed in its own data dir")
    parser.add_argument("--out", default="eval/reports/fusion")
    args = parser.parse_args()
    settings = Settings()
    if args.collection:
        settings = collection_settings(settings, args.collection)
    assistant = Assistant(settings)
    every = assistant.index.all_chunks(include=("metadatas", "documents"))
    chunks = {
        chunk_id: {"source": meta["source"], "text": text}
        for chunk_id, meta, text in zip(every["ids"], every["metadatas"], every["documents"], strict=True)
    }
    cases = record(assistant, load_questions(Path(args.questions)))
    title = Path(args.questions).name
    lines = [
        f"# Score fusion: the keyword weight, {title}",
        "",
        f"Written by `python -m eval.fusion {args.questions}"
        + (f" --collection {args.collection}`" if args.collection else "`")
        + f". {len(cases)} questions with gold; the default is `retrieval.keyword_weight` "
        f"{settings.retrieval.keyword_weight} (Vietnamese) and `keyword_weight_en` "
        f"{settings.retrieval.keyword_weight_en} (English). Weight 0 is dense search alone.",
        "",
    ]
    for lang in sorted({case.lang for case in cases}):
        group = [case for case in cases if case.lang == lang]
        ranks = {w: [rank(case, w, chunks) for case in group] for w in GRID}
        lines += [f"## {lang} ({len(group)} questions)", "", "| weight | hit@5 | MRR@10 |", "|---|---|---|"]
        lines += [f"| {w} | {hit_at_k(r, 5) or 0.0:.3f} | {_mrr(r):.3f} |" for w, r in ranks.items()]
        lines += ["", "| shuffle | out-of-fold MRR@10 | weights chosen by the folds |", "|---|---|---|"]
        for seed in SHUFFLES:
            mrr, chosen = cross_validate(ranks, seed)
            lines.append(f"| {seed} | {mrr:.3f} | {', '.join(map(str, chosen))} |")
        lines.append("")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    name = "report.md" if not args.collection else f"report-{args.collection.parent.name or 'collection'}.md"
    (out / name).write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
