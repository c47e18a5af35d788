"""Calibrate the focus bar (``retrieval.min_focus``) on realistic absent facts, by the hundred.

Usage:  python -m eval.answerability [QUESTIONS.jsonl] [--out eval/reports/answerability]

A bar chosen by looking at a few unanswerable questions fits those few. Here every answerable
question of the set is asked twice with the bar off: once as it is (the answer is in the
collection: refusing it would be a false refusal), and once with its gold documents filtered out
(leave one document out: the collection, minus the fact). The second kind is a realistic absent
fact, on topic and phrased like a real question; some are still answerable from another document
(the Statute and its guidances repeat each other), so its refusal rate is a lower bound of what
the bar achieves. The set's own not-in-collection questions are reported beside them.

For each candidate bar the report gives the refusal rate of each group; the chosen bar is the
highest whose false refusals stay at or below ``--max-false`` of the answerable questions.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

from assistant.chain import Assistant
from assistant.types import Filters
from eval.metrics import normalize
from eval.records import load_questions, write_report
from settings import Settings

BARS = [round(0.05 * i, 2) for i in range(0, 13)]


def features(assistant: Assistant, question: dict, filters: Filters | None) -> dict[str, float | bool | str]:
    """The answerability signal for one question, whether it was refused with the bar off, and
    whether its retrieved passages still hold an answer key (then leaving its gold documents out
    did not remove the fact: the Statute and its guidances repeat each other)."""
    result = assistant.ask(question["question"], question.get("history", []), "extractive", filters)
    texts = [normalize(p.text) for p in result.retrieved]
    held = any(normalize(key) in text for key in question.get("answer_keys", []) for text in texts)
    best = float(result.answerability.get("best") or 0.0)
    return {"best": best, "refused": result.refused, "key_held": held, "id": question["id"], "lang": question["lang"]}


def refusal_rate(cases: Sequence[dict], bar: float) -> float:
    return sum(1 for c in cases if c["refused"] or c["best"] < bar) / len(cases) if cases else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("questions", nargs="?", default="eval/questions/dev.jsonl")
    parser.add_argument("--out", default="eval/reports/answerability")
    parser.add_argument("--max-false", type=float, default=0.03)
    args = parser.parse_args()
    settings = Settings()
    settings.retrieval.min_focus = 0.0  # observe the signal; the bar is what is being chosen
    assistant = Assistant(settings)
    sources = sorted({meta.source for meta in assistant.catalog})
    present, absent, unanswerable = [], [], []
    for question in load_questions(Path(args.questions)):
        if question["expect"] == "refuse":
            unanswerable.append(features(assistant, question, None))
            continue
        gold = {g["source"] for g in question["gold"]}
        present.append(features(assistant, question, None))
        absent.append(features(assistant, question, Filters(sources=[s for s in sources if s not in gold])))
    chosen = max((b for b in BARS if refusal_rate(present, b) <= args.max_false), default=0.0)
    lines = [
        "# Answerability: calibrating `retrieval.min_focus`",
        "",
        f"Written by `python -m eval.answerability {args.questions}`. {len(present)} answerable questions asked "
        f"as they are and with their gold documents left out; {len(unanswerable)} not-in-collection questions. "
        "Refused = refused with the bar off (the cosine bar, or no unit on the point holding the "
        "kind of quantity asked), or the best unit's focus share below the bar.",
        "",
        "| bar | false refusals (answerable) | refused, gold left out | of which no key retrieved | "
        "refused, not in collection |",
        "|---|---|---|---|---|",
    ]
    gone = [c for c in absent if not c["key_held"]]
    for bar in BARS:
        mark = " **chosen**" if bar == chosen else ""
        lines.append(
            f"| {bar:.2f}{mark} | {refusal_rate(present, bar):.3f} | {refusal_rate(absent, bar):.3f} | "
            f"{refusal_rate(gone, bar):.3f} (n={len(gone)}) | {refusal_rate(unanswerable, bar):.3f} |"
        )
    groups = (("present", present), ("absent", absent), ("not_in_collection", unanswerable))
    write_report(Path(args.out), lines, "cases.jsonl", ({"group": g, **case} for g, cases in groups for case in cases))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
