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
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from assistant.chain import Assistant
from assistant.exam import ExamItem, exam_item, parse_exam_item
from assistant.exam_answer import decide
from eval.records import load_questions, write_report
from ingest.settings import Settings


def item_of(question: dict[str, Any]) -> ExamItem:
    """The item as pasted, or built from the ``options`` field when the stem carries none."""
    pasted = parse_exam_item(question["question"])
    if pasted is not None and (pasted.options or not question.get("options")):
        return pasted
    return exam_item(question["question"], question.get("options") or [])


def _rate(rows: Sequence[dict[str, Any]]) -> str:
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
    assistant = Assistant(Settings())
    rows = []
    for question in load_questions(Path(args.questions)):
        verdict = decide(item_of(question), lambda text: assistant.ask(text).retrieved, assistant.keyword.idf)
        piece = verdict.evidence
        rows.append(
            {
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
        )
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
        f"| all | {_rate(rows)} |",
        *(f"| {name} | {_rate(group)} |" for name, group in sorted(groups.items())),
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
