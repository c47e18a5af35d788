"""Optional LLM judge of answer correctness, over saved results, through an OpenAI-compatible server.

Answer-key coverage only sees whether key phrases occur; a judge can tell whether the answer
actually answers. It is off unless a URL is given (``--url`` or ``PARTYDOCS_JUDGE_URL``), so eval
never touches the network by default, and it runs on results.jsonl after the fact, so judging
never slows or changes the run it judges.

Usage:  python -m eval.judge RESULTS.jsonl --questions QUESTIONS.jsonl --url http://HOST:PORT/v1
Writes ``judged.jsonl`` (id, verdict) beside the results and prints accuracy per category.
"""

from __future__ import annotations

import argparse
import json
import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from assistant.llm import Generator, OpenAICompatibleGenerator
from eval.records import load_questions, read_results

URL_ENV = "PARTYDOCS_JUDGE_URL"
MODEL_ENV = "PARTYDOCS_JUDGE_MODEL"
SYSTEM = (
    "You grade answers of a document assistant. Reply with exactly one word: CORRECT if the answer "
    "states what the reference evidence says in reply to the question (extra true detail is fine), "
    "INCORRECT if it is wrong, misses the point or refuses. For a question marked unanswerable, a "
    "refusal is CORRECT and any substantive answer is INCORRECT."
)
_VERDICT = re.compile(r"\b(INCORRECT|CORRECT)\b")


def judge_prompt(question: Mapping[str, Any], record: Mapping[str, Any]) -> list[dict[str, str]]:
    """Chat messages asking for one verdict; the gold quotes and keys are the reference."""
    if question.get("expect") == "refuse":
        reference = "(unanswerable from the collection: the assistant should refuse)"
    else:
        quotes = [f"- {g['quote']}" for g in question.get("gold", [])]
        keys = ", ".join(question.get("answer_keys", []))
        reference = "\n".join([*quotes, f"Key facts: {keys}" if keys else ""]).strip()
    user = f"Question: {question['question']}\n\nReference evidence:\n{reference}\n\nAnswer:\n{record['answer']}"
    return [{"role": "system", "content": SYSTEM}, {"role": "user", "content": user}]


def parse_verdict(reply: str) -> bool | None:
    """True/False from the first verdict word; None when the model said neither."""
    match = _VERDICT.search(reply.upper())
    return None if match is None else match.group(1) == "CORRECT"


def judge(
    records: Sequence[Mapping[str, Any]], questions: Sequence[Mapping[str, Any]], generator: Generator
) -> dict[str, bool | None]:
    """Verdict per question id (deterministic sampling: temperature 0)."""
    by_id = {q["id"]: q for q in questions}
    return {
        r["id"]: parse_verdict("".join(generator.stream(judge_prompt(by_id[r["id"]], r), 8, 0.0)))
        for r in records
        if r["id"] in by_id
    }


def accuracy_by(verdicts: Mapping[str, bool | None], questions: Sequence[Mapping[str, Any]]) -> dict[str, float]:
    """Share judged correct per category and "all"; unparsable verdicts count as incorrect."""
    groups: dict[str, list[bool]] = {}
    for q in questions:
        if q["id"] in verdicts:
            correct = bool(verdicts[q["id"]])
            groups.setdefault(str(q.get("category", "")), []).append(correct)
            groups.setdefault("all", []).append(correct)
    return {name: sum(values) / len(values) for name, values in groups.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("results", type=Path, help="results.jsonl written by eval")
    parser.add_argument("--questions", type=Path, required=True, help="the question file that was run")
    parser.add_argument("--url", default=os.environ.get(URL_ENV), help=f"OpenAI-compatible URL (or ${URL_ENV})")
    parser.add_argument("--model", default=os.environ.get(MODEL_ENV, "local"), help="model name sent to the server")
    args = parser.parse_args(argv)
    if not args.url:
        parser.error(f"the judge is off: pass --url or set {URL_ENV}")
    questions = load_questions(args.questions)
    verdicts = judge(read_results(args.results), questions, OpenAICompatibleGenerator(args.url, args.model))
    with (args.results.parent / "judged.jsonl").open("w", encoding="utf-8") as handle:
        for qid, verdict in verdicts.items():
            handle.write(json.dumps({"id": qid, "correct": verdict}) + "\n")
    for name, value in sorted(accuracy_by(verdicts, questions).items()):
        print(f"{name:<20} {value:.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
