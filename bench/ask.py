"""Extractive answer latency, warm, on the default collection.

Usage:  python -m bench.ask [--questions eval/questions/dev.jsonl] [--repeat 1]

Loads the Assistant once (as the UI does), answers one warm-up question, then times every dev
question end to end through ``Assistant.ask`` (rewrite, references, embedding, hybrid search,
extractive answer). The query-embedding cache is cleared before each question so the figure is
for a question the process has not seen. Results are appended to ``bench/results/ask.md``.
"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import UTC, datetime
from pathlib import Path

import ingest  # noqa: F401  - offline mode first
from assistant.chain import Assistant
from bench import machine
from eval.metrics import percentile
from eval.records import load_questions
from settings import Settings

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "ask.md"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--questions", default=str(ROOT / "eval" / "questions" / "dev.jsonl"))
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    questions = load_questions(Path(args.questions))
    machine_line = machine()
    assistant = Assistant(Settings())
    assistant.ask("Người vào Đảng phải bao nhiêu tuổi?")  # warm-up: model load, first-call overhead
    timings: list[float] = []
    stages: dict[str, list[float]] = {}
    for _ in range(args.repeat):
        for q in questions:
            assistant.retriever.forget_queries()
            started = time.perf_counter()
            result = assistant.ask(q["question"], q.get("history", []))
            timings.append((time.perf_counter() - started) * 1000)
            for stage, ms in result.timings_ms.items():
                stages.setdefault(stage, []).append(ms)
    p50, p95 = percentile(timings, 50), percentile(timings, 95)  # the eval report's definition
    line = (
        f"| {datetime.now(UTC):%Y-%m-%d} | {len(timings)} | {p50:.0f} | {p95:.0f} | "
        + ", ".join(f"{k} {statistics.median(v):.0f}" for k, v in stages.items())
        + " |"
    )
    print(line)
    if not RESULTS.exists():
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(
            "# Extractive answer latency (warm)\n\nWritten by `python -m bench.ask`; default collection.\n\n"
            "| date | questions | p50 ms | p95 ms | median per stage (ms) |\n|---|---|---|---|---|\n",
            encoding="utf-8",
        )
    with RESULTS.open("a", encoding="utf-8") as handle:
        handle.write(line + f" <!-- {machine_line} -->\n")


if __name__ == "__main__":
    main()
