"""Indexing throughput of the embedding paths side by side, with the retrieval quality of each.

Usage:  python -m bench.ingest [--sample 64] [--paths bfloat16,float32] [--quality --alqac DIR] [--full]

The sample is real chunks of the default collection (the same chunker as production), embedded by
the same ``Embedder`` code path. All paths are loaded in one process and timed in alternating
rounds, so a figure is a ratio against bf16 taken under the same load, never against a number
from another day. ``--quality`` indexes the dev collection and ALQAC 2022 with each path (in
``--work``, incrementally: a rerun embeds nothing) and scores hit@5 and MRR@10 of the ``ours``
pipeline, ALQAC by article. ``--full`` also indexes the whole collection into a fresh temporary
index with the configured path, the figure the README quotes. Results are appended to
``bench/results/ingest.md`` with the machine, its bf16 instructions and the date. A CPU without
AVX-512 is emulated with ``ATEN_CPU_CAPABILITY=avx2 ONEDNN_MAX_CPU_ISA=AVX2
MKL_ENABLE_INSTRUCTIONS=AVX2`` (torch's, oneDNN's and MKL's kernels); such a run is marked emulated.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import ingest  # noqa: F401  - offline mode first
from bench import machine
from ingest.chunker import chunk_document
from ingest.embedder import BF16_FLAGS, Embedder, cpu_flags, native_bf16, with_dtype
from ingest.loaders import load_document
from ingest.metadata import read_manifest
from ingest.scan import collection_files
from ingest.service import ingest_collection
from settings import REPO_ROOT, Settings

RESULTS = Path(__file__).resolve().parent / "results" / "ingest.md"
DEV_QUESTIONS = REPO_ROOT / "eval" / "questions" / "dev.jsonl"
REFERENCE = "bfloat16"  # today's path: every ratio and quality gap is against it
# Environment variables that make this CPU take the code paths of one without AVX-512:
# torch's own kernels, oneDNN's and MKL's. Their presence marks a result as emulated.
EMULATION = ("ATEN_CPU_CAPABILITY", "ONEDNN_MAX_CPU_ISA", "MKL_ENABLE_INSTRUCTIONS")


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


def throughput(
    settings: Settings, paths: Sequence[str], texts: list[str], titles: list[str], rounds: int
) -> dict[str, tuple[float, float]]:
    """chunks/s and tokens/s of each path, its rounds interleaved with the others' so load hits all alike."""
    embedders = {path: Embedder(with_dtype(settings, path)) for path in paths}
    for embedder in embedders.values():
        embedder.embed_passages(texts[:8], titles[:8])  # warm-up: load and first-call overhead
    some = next(iter(embedders.values()))
    tokens = sum(some.count_tokens(some.document_text(t, title)) for t, title in zip(texts, titles, strict=True))
    seconds = dict.fromkeys(paths, 0.0)
    for _ in range(rounds):
        for path, embedder in embedders.items():
            started = time.perf_counter()
            embedder.embed_passages(texts, titles)
            seconds[path] += time.perf_counter() - started
    return {path: (rounds * len(texts) / s, rounds * tokens / s) for path, s in seconds.items()}


def quality(settings: Settings, dtype: str, work: Path, alqac: Path | None) -> dict[str, tuple[float, float]]:
    """(hit@5, MRR@10) of ``ours`` on the dev set and, given its data, ALQAC 2022 by article,
    with every index built by ``dtype`` in ``work/<dtype>``."""
    from bench.alqac import run_convert
    from eval.metrics import aggregate
    from eval.records import load_questions, read_results
    from eval.runner import results_path, run_eval

    scoped = with_dtype(settings, dtype).model_copy(update={"data_dir": work / dtype})
    embedder = Embedder(scoped)
    sets = [("dev", settings.collection_path, DEV_QUESTIONS)]
    if alqac is not None:
        converted = work / "alqac2022"
        run_convert(alqac / "law.json", alqac / "question.json", converted)
        sets.append(("ALQAC 2022", converted / "collection", converted / "questions.jsonl"))
    scores = {}
    for name, collection, questions in sets:
        out = work / dtype / "reports" / name.replace(" ", "-")
        run_eval(scoped, questions, out=out, collection=collection, embedder=embedder)
        records = read_results(results_path(out, "ours", several=False))
        row = aggregate(records, load_questions(questions), k=10, hits_at=(5,))[-1]
        scores[name] = (row["hit@5"], row["mrr@10"])
    return scores


def cpu_line() -> str:
    """What decides the path on this machine, and whether the run emulated another CPU."""
    emulated = [f"{name}={os.environ[name]}" for name in EMULATION if name in os.environ]
    import torch

    return (
        f"torch kernels {torch.backends.cpu.get_cpu_capability()}, "
        f"oneDNN bf16: {bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())}, "
        f"bf16 flags: {', '.join(sorted(BF16_FLAGS & cpu_flags())) or 'none'}, "
        f"auto path: {'bfloat16' if native_bf16() else 'float32'}"
        + (f"; **emulated** ({' '.join(emulated)})" if emulated else "")
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sample", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=2, help="timed passes over the sample, per path")
    parser.add_argument("--paths", default="bfloat16,float32", help="comma-separated precisions, bf16 first")
    parser.add_argument("--quality", action="store_true", help="also index and score dev (and ALQAC) per path")
    parser.add_argument("--alqac", type=Path, help="directory holding ALQAC 2022's law.json and question.json")
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "partydocs-bench-ingest")
    parser.add_argument("--full", action="store_true", help="also index the whole collection from scratch")
    args = parser.parse_args()
    settings = Settings()
    paths = args.paths.split(",")
    lines = [f"\n## {datetime.now(UTC):%Y-%m-%d %H:%M} UTC — {machine()}\n", cpu_line(), ""]
    texts, titles = sample_chunks(settings, Embedder(settings), args.sample)
    speeds = throughput(settings, paths, texts, titles, args.rounds)
    reference = speeds.get(REFERENCE, speeds[paths[0]])[0]
    scores = {path: quality(settings, path, args.work, args.alqac) for path in paths} if args.quality else {}
    sets = list(next(iter(scores.values()), {}))
    lines += [
        "| path | sample chunks | chunks/s | tokens/s | ratio vs bf16 |"
        + "".join(f" {s} hit@5 | {s} MRR@10 |" for s in sets),
        "|---|---|---|---|---|" + "---|---|" * len(sets),
    ]
    for path in paths:
        chunks_s, tokens_s = speeds[path]
        quality_cells = "".join(f" {hit:.3f} | {mrr:.3f} |" for hit, mrr in scores.get(path, {}).values())
        lines.append(
            f"| {path} | {len(texts)} | {chunks_s:.2f} | {tokens_s:.0f} | {chunks_s / reference:.2f} |{quality_cells}"
        )
        print(lines[-1], flush=True)
    if args.full:
        with tempfile.TemporaryDirectory() as tmp:
            full = settings.model_copy(update={"data_dir": Path(tmp)})
            report = ingest_collection(full)
            again = ingest_collection(full)
        lines.append(
            f"\nFull collection ({Embedder(full).dtype}): {report.files_updated} files, "
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
