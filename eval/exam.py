"""Answer accuracy on exam items: which option the assistant picks, by the evidence alone.

Usage:  python -m eval.exam [eval/questions/exam.jsonl] [--mode extractive|generative] [--out DIR]

Each item is read as a trainer pastes it (options inside the question are parsed; otherwise the
``options`` field is used) and decided by ``Assistant.decide`` over the real index, in either mode.
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
from assistant.exam import ExamItem, exam_item, parse_exam_item
from assistant.exam_answer import ExamVerdict
from assistant.types import Mode
from eval.records import load_questions, write_report
from settings import Settings


def item_of(question: Mapping[str, Any]) -> ExamItem:
    """The item as pasted, or built from the ``options`` field when the stem carries none."""
    pasted = parse_exam_item(question["question"])
    if pasted is not None and (pasted.options or not question.get("options")):
        return pasted
    return exam_item(question["question"], question.get("options") or [])


def exam_row(question: Mapping[str, Any], verdict: ExamVerdict) -> dict[str, Any]:
    """The ``results.jsonl`` row of one decided item, with its key."""
    piece = verdict.evidence
    return {
        "id": question["id"],
        "type": question["type"],
        "category": question["category"],
        "lang": question["lang"],
        "expect": question["expect"],
        "answer": question["answer"],
        "choice": verdict.choice,
        "by_model": verdict.by_model,
        "support": {key: round(value, 3) for key, value in verdict.support.items()},
        "source": piece.passage.source if piece else None,
        "sentence": piece.sentence if piece else None,
    }


def answer_items(
    questions: Sequence[Mapping[str, Any]], assistant: Assistant, mode: Mode = "extractive"
) -> list[dict[str, Any]]:
    """Every item decided over the assistant's index, retrieving as for a user's question."""
    return [exam_row(q, assistant.decide(item_of(q), mode=mode)) for q in questions]


_MODES = {
    "extractive": "extractive, no LLM",
    "generative": "generative: the model picks only among options the evidence leaves tied",
}


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
    parser.add_argument("--out", help="report directory (default eval/reports/exam, or exam-generative)")
    parser.add_argument("--mode", choices=["extractive", "generative"], default="extractive")
    args = parser.parse_args()
    out = args.out or ("eval/reports/exam" if args.mode == "extractive" else "eval/reports/exam-generative")
    assistant = Assistant(Settings())
    if args.mode == "generative" and assistant.generator()[0] is None:
        parser.error(f"generative mode needs the generator: {assistant.generator()[1]}")
    rows = answer_items(load_questions(Path(args.questions)), assistant, args.mode)
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        groups[f"type {row['type']}"].append(row)
        groups[f"category {row['category']}"].append(row)
        groups[f"lang {row['lang']}"].append(row)
    lines = [
        f"# Exam items: {Path(args.questions).name} ({_MODES[args.mode]})",
        "",
        f"Written by `python -m eval.exam {args.questions} --mode {args.mode}`. Accuracy: right choices among "
        "items whose rule is in the collection (a decline counts as not right). Declines: share of those items "
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
    if args.mode == "generative":
        picked = [r for r in rows if r["by_model"]]
        right = sum(1 for r in picked if r["choice"] == r["answer"])
        lines[2:2] = [f"The model picked among tied options for {len(picked)} items, {right} of them right.", ""]
    write_report(Path(out), lines, "results.jsonl", rows)
    print("\n".join(lines[:40]))


if __name__ == "__main__":
    main()
