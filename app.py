"""partydocs: the one entry point. Each subcommand is a thin shell over a library function."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Callable
from pathlib import Path

import ingest  # noqa: F401  - switches every library to offline mode before anything else loads
from assistant.logs import SHOWN, configure_logging
from settings import Settings, get_settings

logger = logging.getLogger(__name__)


def cmd_setup(args: argparse.Namespace) -> int:
    from ingest.modelstore import ensure_embedding_model, ensure_generator_model

    settings = get_settings()
    print(f"Mô hình nhúng / embedding model: {ensure_embedding_model(settings)}")
    if args.generator:
        from assistant.local_llm import smoke_test

        print(f"Mô hình sinh / generator model: {ensure_generator_model(settings)}")
        print(f"Thử sinh / smoke generation: {smoke_test(settings)!r}")
    return 0


def cmd_ingest(args: argparse.Namespace) -> int:
    settings = get_settings()
    if args.max_file_mb is not None:
        settings = settings.model_copy(
            update={"ingest": settings.ingest.model_copy(update={"max_file_mb": args.max_file_mb})}
        )
    paths = [Path(p) for p in args.paths]
    # No argument, or one that is not a file (a folder, or a path that does not exist, which then
    # fails as a missing folder), is a folder run; anything else is a list of files.
    if not paths or (len(paths) == 1 and not paths[0].is_file()):
        return ingest_folder(settings, paths[0] if paths else None, args.prune)
    if args.prune:
        raise ValueError("--prune chỉ dùng khi nạp một thư mục / --prune applies to a folder, not to files")
    return ingest_files(settings, paths)


def ingest_folder(settings: Settings, path: Path | None, prune: bool) -> int:
    """Sync the index with a folder (the collection by default), as ``make run`` does."""
    from ingest.service import ingest_collection

    report = ingest_collection(settings, path, prune=prune)
    print(
        f"Tệp / files: {report.files_seen} (không đổi / unchanged {report.files_unchanged}, "
        f"cập nhật / updated {report.files_updated}, xóa / removed {report.files_removed}, "
        f"bỏ qua / skipped {len(report.skipped)}); "
        f"đoạn nhúng mới / chunks embedded {report.chunks_embedded}, dùng lại / reused "
        f"{report.chunks_reused}, xóa / deleted {report.chunks_deleted}; {report.seconds:.1f} s"
    )
    if report.chunks_resumed or report.chunks_healed:
        print(
            f"Sau lần nạp bị ngắt / after an interrupted run: dùng lại / resumed {report.chunks_resumed} "
            f"đoạn đã nhúng / embedded chunks, dọn / removed {report.chunks_healed} đoạn mồ côi / ownerless chunks"
        )
    for skipped in report.skipped:
        print(f"  BỎ QUA / SKIPPED {skipped.source}: {skipped.reason}")
    for failure in report.failures:
        print(f"  LỖI / FAILED {failure.source}: {failure.reason}", file=sys.stderr)
    return 0


def ingest_files(settings: Settings, paths: list[Path]) -> int:
    """Add files as uploads, through the same service (and the same checks) as the UI's upload;
    exit code 1 when any file was refused."""
    from ingest.uploads import ingest_uploads

    report = ingest_uploads(settings, paths)
    for outcome in report.outcomes:
        if outcome.accepted:
            print(f"  ✓ {outcome.name}: {outcome.chunks} đoạn / chunks")
        else:
            print(f"  ✗ {outcome.reason}", file=sys.stderr)
    print(
        f"Đã nạp / ingested {len(report.accepted)}/{len(report.outcomes)} tệp / files "
        f"vào / into {settings.uploads_path}"
    )
    return 1 if report.refused else 0


def cmd_stats(args: argparse.Namespace) -> int:
    from ingest.service import collection_stats

    stats = collection_stats(get_settings())
    if args.json:
        print(json.dumps(stats, ensure_ascii=False, indent=2))
        return 0
    print(f"Chỉ mục / index: {stats['index']}  ({stats['embedding_model']})")
    print(f"Văn bản / documents: {stats['total_documents']}, đoạn / chunks: {stats['total_chunks']}")
    for doc in stats["documents"]:
        print(f"  {doc['chunks']:5d}  {doc['kind']:<10} {doc['number']:<16} {doc['date']:<10} {doc['source']}")
    for failure in stats["failures"]:
        print(f"  LỖI / FAILED {failure['source']}: {failure['reason']}")
    for skipped in stats["skipped"]:
        print(f"  BỎ QUA / SKIPPED {skipped['source']}: {skipped['reason']}")
    return 0


# Why a history file cannot be read, most specific first (each error type is an OSError but the last).
_UNREADABLE: tuple[tuple[type[Exception], str, str], ...] = (
    (IsADirectoryError, "là thư mục, không phải tệp lịch sử", "is a directory, not a history file"),
    (FileNotFoundError, "không tìm thấy tệp lịch sử", "history file not found"),
    (UnicodeDecodeError, "tệp lịch sử không phải văn bản UTF-8", "the history file is not UTF-8 text"),
    (OSError, "không đọc được tệp lịch sử", "cannot read the history file"),
)


def read_history(path: str | None) -> list[str]:
    """Earlier user turns: a JSON list (strings, or chat messages with role/content) or one per line.

    Every way the file can be wrong ends in a bilingual ValueError naming it, which ``main`` prints
    as a one-line error; anything else would reach the user as a traceback.
    """
    if not path:
        return []
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        vi, en = next((vi, en) for kind, vi, en in _UNREADABLE if isinstance(error, kind))
        raise ValueError(f"{path}: {vi} / {en}") from error
    try:
        turns = json.loads(text)
    except json.JSONDecodeError:
        turns = None
    if turns is None or isinstance(turns, str | int | float | bool):  # "294" alone is a line, not JSON
        return [line.strip() for line in text.splitlines() if line.strip()]
    if not isinstance(turns, list):
        raise ValueError(f"{path}: lịch sử phải là danh sách JSON / history must be a JSON list")
    return [turn for number, item in enumerate(turns, start=1) if (turn := _user_turn(path, number, item)) is not None]


def _user_turn(path: str, number: int, item: object) -> str | None:
    """The text of a user turn; None for another role's message; ValueError for anything else."""
    if isinstance(item, str):
        return item
    if isinstance(item, dict) and isinstance(item.get("content", ""), str):
        return str(item.get("content", "")) if item.get("role", "user") == "user" else None
    raise ValueError(
        f"{path}: phần tử thứ {number} của lịch sử phải là chuỗi hoặc tin nhắn {{role, content}} có content là chuỗi"
        f" / history item {number} must be a string or a {{role, content}} message with string content"
    )


def cmd_ask(args: argparse.Namespace) -> int:
    from assistant.questions import check_history, check_question

    settings = get_settings()
    limit = settings.retrieval.max_question_chars
    # Checked again by Assistant.stream; here first so a bad question fails before the models load.
    question = check_question(args.question, limit)
    history = check_history(read_history(args.history_file), limit)

    from assistant.chain import Assistant

    assistant = Assistant(settings)
    result = assistant.ask(question, history, mode=args.mode, options=args.options)
    if args.json:
        print(json.dumps(result.to_json(), ensure_ascii=False, indent=2))
        return 0
    if result.rewritten_query != result.question:
        print(f"(Câu hỏi đầy đủ / standalone query: {result.rewritten_query})")
    print(result.answer)
    for citation in result.citations:
        p = citation.passage
        upload = " [tài liệu tải lên / uploaded]" if p.origin == "upload" else ""
        print(f"\n[{citation.n}] {p.title} {p.number} {p.date} — {p.section}{upload}")
        print(f"    {citation.quote or p.text[:300]}")
    if result.refused:
        for p in result.retrieved[:3]:
            print(f"\n  ~ {p.title} {p.number} — {p.section} ({p.score:.2f})\n    {p.text[:300]}")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from assistant.ui.server import serve

    settings = get_settings()
    ui = settings.ui.model_copy(update={k: v for k, v in {"host": args.host, "port": args.port}.items() if v})
    serve(settings.model_copy(update={"ui": ui}))
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    from eval.runner import run_eval

    pipelines = args.compare.split(",") if args.compare else [args.pipeline]
    run_eval(
        get_settings(),
        Path(args.questions),
        out=Path(args.out),
        mode=args.mode,
        pipelines=pipelines,
        collection=Path(args.collection) if args.collection else None,
    )
    return 0


def cmd_course(args: argparse.Namespace) -> int:
    from assistant.chain import Assistant
    from assistant.course import build_course
    from assistant.course_export import write_course

    out = Path(args.out)
    if out.suffix.lower() not in {".md", ".docx"}:
        raise ValueError(f"{out}: chỉ hỗ trợ .md hoặc .docx / only .md or .docx output is supported")
    assistant = Assistant(get_settings())
    course = build_course(assistant, args.topic, sources=args.docs or [], questions=args.questions, mode=args.mode)
    write_course(course, out)
    print(f"Đã ghi / written: {out} ({len(course.key_points)} key points, {len(course.quiz)} questions)")
    return 0


def build_parser() -> argparse.ArgumentParser:
    # --verbose is accepted before or after the subcommand; SUPPRESS keeps a subcommand's parser
    # from resetting a flag given before it.
    verbose = argparse.ArgumentParser(add_help=False)
    verbose.add_argument(
        "-v", "--verbose", action="store_true", default=argparse.SUPPRESS, help="log INFO to the console too"
    )
    common = [verbose]
    parser = argparse.ArgumentParser(prog="app.py", description=__doc__, parents=common)
    sub = parser.add_subparsers(dest="command", required=True)
    commands: dict[str, Callable[[argparse.Namespace], int]] = {}

    setup = sub.add_parser("setup", help="fetch, assemble and verify the models (once)", parents=common)
    setup.add_argument("--generator", action="store_true", help="also the local LLM (1.1 GB)")
    commands["setup"] = cmd_setup

    ing = sub.add_parser(
        "ingest",
        help="index a folder of documents (default: the collection), or add files as uploads",
        parents=common,
    )
    ing.add_argument(
        "paths",
        nargs="*",
        metavar="PATH",
        help="one collection folder (default from settings), or files to add to the uploads area as the UI does",
    )
    ing.add_argument(
        "--prune",
        action="store_true",
        help="allow removing more than ingest.max_unasked_removals documents whose files are gone",
    )
    ing.add_argument("--max-file-mb", type=float, help="size limit per file for this run (default ingest.max_file_mb)")
    commands["ingest"] = cmd_ingest

    stats = sub.add_parser("stats", help="documents, chunk counts, failures", parents=common)
    stats.add_argument("--json", action="store_true")
    commands["stats"] = cmd_stats

    ask = sub.add_parser("ask", help="answer a question with cited passages", parents=common)
    ask.add_argument("question")
    ask.add_argument("--mode", choices=["extractive", "generative"], default="extractive")
    ask.add_argument("--history-file", help="earlier user turns: JSON list or one per line")
    ask.add_argument("--json", action="store_true")
    ask.add_argument(
        "--options",
        nargs="+",
        metavar="OPTION",
        help="exam item: its options, A, B, C… in order",
    )
    commands["ask"] = cmd_ask

    serve = sub.add_parser("serve", help="start the chat UI (prints its URL)", parents=common)
    serve.add_argument("--host", help="bind address (default 127.0.0.1; others require a login)")
    serve.add_argument("--port", type=int)
    commands["serve"] = cmd_serve

    ev = sub.add_parser("eval", help="score a question set; write results.jsonl and a report", parents=common)
    ev.add_argument("questions", help="question file (JSONL, see README)")
    ev.add_argument("--mode", choices=["extractive", "generative"], default="extractive")
    ev.add_argument("--pipeline", default="ours", help="naive | dense | bm25 | ours")
    ev.add_argument("--compare", help="several pipelines side by side, e.g. naive,dense,bm25,ours")
    ev.add_argument("--collection", help="collection folder (default: the configured one)")
    ev.add_argument("--out", required=True, help="output folder")
    commands["eval"] = cmd_eval

    course = sub.add_parser(
        "course", help="course material for trainers: outline, key points, glossary, quiz", parents=common
    )
    course.add_argument("topic")
    course.add_argument("--docs", nargs="*", help="restrict to these sources (paths relative to the collection)")
    course.add_argument("--questions", type=int, default=10, help="number of quiz questions")
    course.add_argument("--mode", choices=["extractive", "generative"], default="extractive")
    course.add_argument("--out", required=True, help="FILE.md or FILE.docx")
    commands["course"] = cmd_course

    parser.set_defaults(commands=commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        # An unknown or invalid setting stops every subcommand here, before any work.
        configure_logging(get_settings(), getattr(args, "verbose", False))
        return args.commands[args.command](args)
    except (FileNotFoundError, RuntimeError, ValueError) as exc:
        print(f"Lỗi / Error: {exc}", file=sys.stderr)
        logger.warning("%s stopped: %s", args.command, exc, extra=SHOWN)
        return 2


if __name__ == "__main__":
    sys.exit(main())
