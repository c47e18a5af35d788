"""ALQAC benchmark tooling: convert the data to our format, and run the standard eval on it.

Usage:  python bench/alqac.py convert --src ../shared/bench/alqac2022 --out DIR
        python bench/alqac.py run --src ../shared/bench/alqac2022 [--work DIR] [--out eval/reports/alqac2022]

``convert`` writes ``DIR/collection/<law>.md`` (one Markdown file per law, to be indexed as a
collection) and ``DIR/questions.jsonl`` (our question format, gold as the article: source, section
"Điều N" and the quote of its opening; exam fields for true/false and multiple-choice questions).
``run`` converts into a work directory (default: under the data dir), indexes that collection in a
data dir of its own (incrementally: a rerun embeds nothing), evaluates ``ours`` with ``dense`` and
``bm25`` for context and writes the standard report, scored by article. It then writes
``summary.md``: hit@k and MRR@10 by article and, beside them, by the article's opening quote (the
scoring before), the published figures, and the answer accuracy of exam items decided by the
extractive exam answerer over the same index; it prints the same. The data stays outside the
repository: ALQAC has no licence for redistribution.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import ingest  # noqa: F401  - offline mode before any model library loads
from eval.alqac import ALQAC_2022_TITLES, convert, quote_level
from eval.metrics import aggregate
from eval.records import load_questions, read_results
from settings import get_settings

RUN_PIPELINES = ("ours", "dense", "bm25")
SUMMARY = "summary.md"
EXAM_RESULTS = "exam_results.jsonl"
K_VALUES = (1, 3, 5, 10)
REPORT_DIR = Path(__file__).resolve().parent.parent / "eval" / "reports" / "alqac2022"
# Published retrieval figures on *other* Vietnamese legal query sets: context for the scale of the
# numbers, not a like-for-like comparison (different queries, corpora and relevance labels).
ANCHORS = (
    ("Vietnamese legal RAG, bge-m3 + BM25 fused by RRF, its own 128 queries", 0.955, 0.688),
    ("bge-m3 on the Zalo legal text retrieval task", 0.918, 0.700),
)
ANCHOR_NOTE = (
    "Published anchors, for context only: "
    + "; ".join(f"{name}: Recall@10 {recall:.3f}, MRR@10 {mrr:.3f}" for name, recall, mrr in ANCHORS)
    + ". These were measured on different query sets and corpora, so they are not a like-for-like comparison. "
    "Most ALQAC questions have one relevant article, for which Recall@10 equals our hit@10."
)
SCORING_NOTE = (
    "Gold is the article, ALQAC's own unit of relevance: a retrieved passage counts when its heading path "
    "lies in the gold article (under 'Điều N' of the gold law), or when it holds the article's opening "
    "(a short article merged into its neighbour's passage is cited by the neighbour's heading). "
    "'opening quote' is the scoring used before, kept for continuity: only the passage holding the "
    "article's opening counts, so a question answered by a later clause of the right article was a miss."
)
NO_EXAM_ITEMS = (
    "No exam items: no question of this set is true/false ('Đúng/Sai') or multiple-choice ('Trắc nghiệm'). "
    "ALQAC 2022's question.json has no question_type; its answers are free-form phrases, which the "
    "extractive exam answerer does not decide."
)


def run_convert(law_path: Path, question_path: Path, out: Path) -> tuple[int, int]:
    """Convert one ALQAC-format pair of files; returns (documents, questions) written."""
    laws = json.loads(law_path.read_text(encoding="utf-8"))
    questions = json.loads(question_path.read_text(encoding="utf-8"))
    files, records = convert(laws, questions, ALQAC_2022_TITLES)
    collection = out / "collection"
    collection.mkdir(parents=True, exist_ok=True)
    for name, markdown in files.items():
        (collection / name).write_text(markdown, encoding="utf-8")
    with (out / "questions.jsonl").open("w", encoding="utf-8") as f:
        for record in records:
            f.write(json.dumps(record, ensure_ascii=False) + "\n")
    return len(files), len(records)


def retrieval_table(
    results: Mapping[str, Sequence[Mapping[str, Any]]], questions: Sequence[Mapping[str, Any]]
) -> list[str]:
    """Markdown rows: every pipeline scored by article, then by the article's opening quote."""
    lines = [
        "| pipeline | scoring | n | " + " | ".join(f"hit@{k}" for k in K_VALUES) + " | MRR@10 |",
        "|---|---|---|" + "---|" * (len(K_VALUES) + 1),
    ]
    for name, records in results.items():
        for scoring, scored in (("article", questions), ("opening quote", quote_level(questions))):
            row = aggregate(records, scored, k=K_VALUES[-1], hits_at=K_VALUES[:-1])[-1]
            hits = " | ".join(f"{row[f'hit@{k}']:.3f}" for k in K_VALUES)
            lines.append(f"| {name} | {scoring} | {row['n_retrieval']} | {hits} | {row['mrr@10']:.3f} |")
    return lines


def exam_table(rows: Sequence[Mapping[str, Any]]) -> list[str]:
    """Answer accuracy per item type and overall (``eval.exam.rate``), or why there is none."""
    if not rows:
        return [NO_EXAM_ITEMS]
    from eval.exam import rate

    types = sorted({str(r["type"]) for r in rows})
    return [
        "Accuracy: right choices among the items (a decline counts as not right); declines: share of the "
        "items declined. Decided by assistant/exam_answer.py over the same index (pipeline 'ours').",
        "",
        "| type | n | accuracy | declines | absent declined |",
        "|---|---|---|---|---|",
        *(
            f"| {t} | {sum(r['type'] == t for r in rows)} | {rate([r for r in rows if r['type'] == t])} |"
            for t in types
        ),
        f"| all | {len(rows)} | {rate(rows)} |",
    ]


def summary(
    results: Mapping[str, Sequence[Mapping[str, Any]]],
    questions: Sequence[Mapping[str, Any]],
    exam_rows: Sequence[Mapping[str, Any]],
    name: str,
) -> list[str]:
    """``summary.md``: retrieval by article and by opening quote, the anchors, exam answer accuracy."""
    return [
        f"# {name}: retrieval by article, and exam answers",
        "",
        f"Written by `python bench/alqac.py run`; {len(questions)} questions. The full report of each pipeline "
        "(per category, answers, failures) is report.md, scored by article.",
        "",
        "## Retrieval",
        "",
        SCORING_NOTE,
        "",
        *retrieval_table(results, questions),
        "",
        ANCHOR_NOTE,
        "",
        "## Exam answers",
        "",
        *exam_table(exam_rows),
    ]


def run_benchmark(laws: Path, questions: Path, work: Path, out: Path, pipelines: Sequence[str]) -> str:
    """Convert, evaluate, decide the exam items; write the report and the summary, return the summary."""
    # These load the models: keep ``convert`` light.
    from assistant.chain import Assistant
    from eval.exam import answer_items
    from eval.runner import collection_settings, results_path, run_eval
    from ingest.embedder import Embedder

    run_convert(laws, questions, work)
    settings = collection_settings(get_settings(), work / "collection")
    embedder = Embedder(settings)
    run_eval(
        get_settings(),
        work / "questions.jsonl",
        out=out,
        pipelines=pipelines,
        collection=work / "collection",
        embedder=embedder,
        notes=[f"{SCORING_NOTE} {SUMMARY} gives both scorings side by side, with exam answer accuracy.", ANCHOR_NOTE],
    )
    asked = load_questions(work / "questions.jsonl")
    results = {name: read_results(results_path(out, name, len(pipelines) > 1)) for name in pipelines}
    items = [q for q in asked if q.get("type")]
    exam_rows = answer_items(items, Assistant(settings, embedder)) if items else []
    if exam_rows:
        with (out / EXAM_RESULTS).open("w", encoding="utf-8") as handle:
            handle.writelines(json.dumps(row, ensure_ascii=False) + "\n" for row in exam_rows)
    lines = summary(results, asked, exam_rows, f"ALQAC ({questions.parent.name or questions.name})")
    (out / SUMMARY).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return "\n".join(lines)


def _sources(parser: argparse.ArgumentParser, args: argparse.Namespace) -> tuple[Path, Path]:
    if args.src is None and (args.laws is None or args.questions is None):
        parser.error("give --src, or both --laws and --questions")
    return args.laws or args.src / "law.json", args.questions or args.src / "question.json"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    conv = commands.add_parser("convert", help="ALQAC law.json + question.json -> collection + JSONL")
    conv.add_argument("--out", type=Path, required=True, help="output directory")
    run = commands.add_parser("run", help="convert, index and evaluate; write the report")
    run.add_argument("--work", type=Path, help="converted data (default: DATA_DIR/bench/alqac2022)")
    run.add_argument("--out", type=Path, default=REPORT_DIR, help="report directory")
    run.add_argument("--pipelines", default=",".join(RUN_PIPELINES), help="comma-separated pipelines")
    for sub in (conv, run):
        sub.add_argument("--src", type=Path, help="directory holding law.json and question.json")
        sub.add_argument("--laws", type=Path, help="law file (default: SRC/law.json)")
        sub.add_argument("--questions", type=Path, help="question file (default: SRC/question.json)")
    args = parser.parse_args(argv)

    laws, questions = _sources(parser, args)
    if args.command == "convert":
        n_docs, n_questions = run_convert(laws, questions, args.out)
        print(f"{n_docs} documents and {n_questions} questions written to {args.out}")
    else:
        work = args.work or get_settings().data_dir / "bench" / "alqac2022"
        print(run_benchmark(laws, questions, work, args.out, args.pipelines.split(",")))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
