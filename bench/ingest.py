"""Indexing throughput benchmark: chunks/s and tokens/s for fp32 and bf16, plus a full index run.

Usage:  python -m bench.ingest [--sample 160] [--full]

The sample is real chunks of the default collection (the same chunker as production), embedded
by the same ``Embedder`` code path. ``--full`` also indexes the whole collection into a fresh
temporary index, which is the figure the README quotes. Results are appended to
``bench/results/ingest.md`` with the machine and date, because a number without its machine
means nothing.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import ingest  # noqa: F401  - offline mode first
from bench import machine
from ingest.chunker import chunk_document
from ingest.embedder import Embedder
from ingest.loaders import load_document
from ingest.metadata import read_manifest
from ingest.scan import collection_files
from ingest.service import ingest_collection
from settings import Settings

RESULTS = Path(__file__).resolve().parent / "results" / "ingest.md"


def sample_chunks(settings: Settings, embedder: Embedder, size: int) -> tuple[list[str], list[str]]:
    """An evenly spread sample of real chunks across the collection's files."""
    root = settings.collection_path
    manifest = read_manifest(root)
    texts: list[str] = []
    titles: list[str] = []
    for path in collection_files(root):
        doc = load_document(path, root, manifest)
        for chunk in chunk_document(doc, embedder.count_tokens, settings.chunking.max_tokens)[::7]:
            texts.append(chunk.text)
            titles.append(doc.meta.title)
    step = max(1, len(texts) // size)
    return texts[::step][:size], titles[::step][:size]


def throughput(settings: Settings, dtype: str, texts: list[str], titles: list[str]) -> tuple[float, float]:
    embedder = Embedder(
        settings.model_copy(update={"embedding": settings.embedding.model_copy(update={"dtype": dtype})})
    )
    embedder.embed_passages(texts[:8], titles[:8])  # warm-up: load and first-call overhead
    tokens = sum(
        embedder.count_tokens(embedder.document_text(t, title)) for t, title in zip(texts, titles, strict=True)
    )
    started = time.perf_counter()
    embedder.embed_passages(texts, titles)
    seconds = time.perf_counter() - started
    return len(texts) / seconds, tokens / seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sample", type=int, default=160)
    parser.add_argument("--full", action="store_true", help="also index the whole collection from scratch")
    args = parser.parse_args()
    settings = Settings()
    machine_line = machine()
    base = Embedder(settings)
    texts, titles = sample_chunks(settings, base, args.sample)
    rows = []
    for dtype in ("float32", "bfloat16"):
        chunks_s, tokens_s = throughput(settings, dtype, texts, titles)
        rows.append(f"| {dtype} | {len(texts)} | {chunks_s:.2f} | {tokens_s:.0f} |")
        print(rows[-1], flush=True)
    lines = [
        f"\n## {datetime.now(UTC):%Y-%m-%d %H:%M} UTC — {machine_line}\n",
        "| dtype | sample chunks | chunks/s | tokens/s |",
        "|---|---|---|---|",
        *rows,
    ]
    if args.full:
        with tempfile.TemporaryDirectory() as tmp:
            full = settings.model_copy(update={"data_dir": Path(tmp)})
            report = ingest_collection(full)
            again = ingest_collection(full)
        lines.append(
            f"\nFull collection ({settings.embedding.dtype}): {report.files_updated} files, "
            f"{report.chunks_embedded} chunks embedded in {report.seconds:.0f} s "
            f"({report.chunks_embedded / report.seconds:.2f} chunks/s), {len(report.failures)} failures; "
            f"re-ingest unchanged: {again.chunks_embedded} chunks embedded in {again.seconds:.1f} s."
        )
        print(lines[-1])
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    if not RESULTS.exists():
        RESULTS.write_text("# Indexing throughput\n\nWritten by `python -m bench.ingest`.\n", encoding="utf-8")
    with RESULTS.open("a", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
