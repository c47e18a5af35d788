"""ALQAC benchmark tooling. For now only the conversion step; a runner subcommand comes later.

Usage:  python bench/alqac.py convert --src ../shared/bench/alqac2022 --out DIR

Writes ``DIR/collection/<law>.md`` (one Markdown file per law, to be indexed as a collection) and
``DIR/questions.jsonl`` (our question format, gold as source + quote). The data stays outside the
repository: ALQAC has no licence for redistribution.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from eval.alqac import ALQAC_2022_TITLES, convert


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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    conv = commands.add_parser("convert", help="ALQAC law.json + question.json -> collection + JSONL")
    conv.add_argument("--src", type=Path, help="directory holding law.json and question.json")
    conv.add_argument("--laws", type=Path, help="law file (default: SRC/law.json)")
    conv.add_argument("--questions", type=Path, help="question file (default: SRC/question.json)")
    conv.add_argument("--out", type=Path, required=True, help="output directory")
    args = parser.parse_args(argv)

    if args.command == "convert":
        if args.src is None and (args.laws is None or args.questions is None):
            parser.error("give --src, or both --laws and --questions")
        laws = args.laws or args.src / "law.json"
        questions = args.questions or args.src / "question.json"
        n_docs, n_questions = run_convert(laws, questions, args.out)
        print(f"{n_docs} documents and {n_questions} questions written to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
