"""Answer accuracy on exam items: which option the assistant picks, by the evidence alone.

Usage:  python -m eval.exam [eval/questions/exam.jsonl] [--out eval/reports/exam]

Each item is read as a trainer pastes it (options inside the question are parsed; otherwise the
``options`` field is used) and decided by ``assistant.exam_answer.decide`` over the real index.
``results.jsonl`` rows carry ``choice`` (the letter, Đúng/Sai, or null when declined); the report
gives accuracy per item type and category, declines counted apart, and every wrong pick with the
sentence that decided it.
"""

from __future__ import annotations

import argparse
from collections import defaultdict
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from assistant.chain import Assistant
from assistant.evidence import IdfLookup
from assistant.exam import ExamItem, exam_item, parse_exam_item
from assistant.exam_answer import Expand, Search, decide
from eval.records import load_questions, write_report
from settings import Settings


def item_of(question: Mapping[str, Any]) -> ExamItem:
    """The item as pasted, or built from the ``options`` field when the stem carries none."""
    pasted = parse_exam_item(question["question"])
    if pasted is not None and (pasted.options or not question.get("options")):
        return pasted
    return exam_item(question["question"], question.get("options") or [])


def exam_row(
    question: Mapping[str, Any], search: Search, idf: IdfLookup, expand: Expand | None = None
) -> dict[str, Any]:
    """Decide one item by the evidence ``search`` finds: the ``results.jsonl`` row, with the key."""
    verdict = decide(item_of(question), search, idf, expand)
    piece = verdict.evidence
    return {
        "id": question["id"],
        "type": question["type"],
        "category": question["category"],
        "lang": question["lang"],
        "expect": question["expect"],
        "answer": question["answer"],
        "choice": verdict.choice,
        "support": {key: round(value, 3) for key, value in verdict.support.items()},
        "source": piece.passage.source if piece else None,
        "sentence": piece.sentence if piece else None,
    }


def answer_items(questions: Sequence[Mapping[str, Any]], assistant: Assistant) -> list[dict[str, Any]]:
    """Every item decided over the assistant's index, retrieving as for a user's question."""
    return [exam_row(q, assistant.retrieve, assistant.keyword.idf, assistant.glossary.expand) for q in questions]


def rate(rows: Sequence[Mapping[str, Any]]) -> str:
    """The "accuracy | declines | absent declined" cells of one group of rows (see the legend)."""
    answerable = [r for r in rows if r["expect"] == "answer"]
    absent = [r for r in rows if r["expect"] == "decline"]
    right = sum(1 for r in answerable if r["choice"] == r["answer"])
    declined = sum(1 for r in answerable if r["choice"] is None)
    absent_declined = sum(1 for r in absent if r["choice"] is None)
    accuracy = f"{right / len(answerable):.3f} ({right}/{len(answerable)})" if answerable else "–"
    declines = f"{declined / len(answerable):.3f}" if answerable else "–"
    absent_rate = f"{absent_declined / len(absent):.3f} ({absent_declined}/{len(absent)})" if absent else "–"
    return f"{accuracy} | {declines} | {absent_rate}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("questions", nargs="?", default="eval/questions/exam.jsonl")
    parser.add_argument("--out", default="eval/reports/exam")
    args = parser.parse_args()
    rows = answer_items(load_questions(Path(args.questions)), Assistant(Settings()))
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        groups[f"type {row['type']}"].append(row)
        groups[f"category {row['category']}"].append(row)
        groups[f"lang {row['lang']}"].append(row)
    lines = [
        f"# Exam items: {Path(args.questions).name} (extractive, no LLM)",
        "",
        f"Written by `python -m eval.exam {args.questions}`. Accuracy: right choices among items whose "
        "rule is in the collection (a decline counts as not right). Declines: share of those items "
        "declined. Absent declined: items whose rule is not in the collection that were declined.",
        "",
        "| group | accuracy | declines | absent declined |",
        "|---|---|---|---|",
        f"| all | {rate(rows)} |",
        *(f"| {name} | {rate(group)} |" for name, group in sorted(groups.items())),
        "",
        "## Wrong picks",
        "",
        "| id | type | key | chosen | support | deciding sentence |",
        "|---|---|---|---|---|---|",
    ]
    for row in rows:
        if row["expect"] == "answer" and row["choice"] is not None and row["choice"] != row["answer"]:
            sentence = (row["sentence"] or "").replace("|", "/")[:160]
            lines.append(
                f"| {row['id']} | {row['type']} | {row['answer']} | {row['choice']} | {row['support']} | "
                f"{row['source']}: {sentence} |"
            )
    write_report(Path(args.out), lines, "results.jsonl", rows)
    print("\n".join(lines[:40]))


if __name__ == "__main__":
    main()
