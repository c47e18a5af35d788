"""ALQAC benchmark tooling: convert the data to our format, and run the standard eval on it.

Usage:  python bench/alqac.py convert --src ../shared/bench/alqac2022 --out DIR
        python bench/alqac.py run --src ../shared/bench/alqac2022 [--work DIR] [--out eval/reports/alqac2022]

``convert`` writes ``DIR/collection/<law>.md`` (one Markdown file per law, to be indexed as a
collection) and ``DIR/questions.jsonl`` (our question format, gold as source + quote). ``run``
converts into a work directory (default: under the data dir), indexes that collection in a data
dir of its own (incrementally: a rerun embeds nothing), evaluates ``ours`` with ``dense`` and
``bm25`` for context, writes the report and prints hit@k and MRR@10 beside published figures. The
data stays outside the repository: ALQAC has no licence for redistribution.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import ingest  # noqa: F401  - offline mode before any model library loads
from eval.alqac import ALQAC_2022_TITLES, convert
from ingest.settings import get_settings

RUN_PIPELINES = ("ours", "dense", "bm25")
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


def run_benchmark(laws: Path, questions: Path, work: Path, out: Path, pipelines: Sequence[str]) -> str:
    """Convert, evaluate and return the summary table (pipelines, then the published anchors)."""
    from eval.runner import run_eval  # loads the models: keep ``convert`` light

    run_convert(laws, questions, work)
    rows = run_eval(
        get_settings(),
        work / "questions.jsonl",
        out=out,
        pipelines=pipelines,
        collection=work / "collection",
        notes=[ANCHOR_NOTE],
    )
    lines = [f"{'':<72} {'hit@1':>6} {'hit@3':>6} {'hit@5':>6} {'hit@10':>6} {'MRR@10':>6}"]
    for name, pipeline_rows in rows.items():
        overall = pipeline_rows[-1]
        hits = " ".join(f"{overall[f'hit@{k}']:6.3f}" for k in (1, 3, 5, 10))
        lines.append(f"{name:<72} {hits} {overall['mrr@10']:6.3f}")
    lines.append("published (different query sets; Recall@10 in the hit@10 column):")
    lines += [f"{name:<72} {'':>6} {'':>6} {'':>6} {recall:6.3f} {mrr:6.3f}" for name, recall, mrr in ANCHORS]
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
