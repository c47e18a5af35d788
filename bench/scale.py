"""Scale benchmark: query latency, memory, start-up and incremental ingest as the index grows.

Usage:  python -m bench.scale [--sizes 10000,50000,100000] [--work /tmp/partydocs-scale/run] [--keep]

Embedding 100k chunks would take hours on this machine, so the indexes are grown from the default
one (read from a copy, never opened in place): each replica of its documents is a copy of every
file under ``rNN/`` with its own bytes (a trailer line), its own document numbers (so references
still resolve to one document) and its chunks' vectors nudged by small noise, renormalised. Chunks
are written in large batches with the metadata ingest writes (``BulkWriter``). Each size then gets
a fresh process that times ``Assistant`` start-up, extractive answers per stage with and without a
reference to a missing document, its memory, and an incremental ingest of one changed file, with
the keyword index's update inside it timed apart. "keyword index build" is the keyword sync after
the bulk write: a full build from every chunk's stored tokens for the first size of a run, an
update adding the grown chunks for the next ones.
Results are appended to ``bench/results/scale.md``; the plot goes to ``bench/results/scale.png``.
Every phase runs in its own process, so the figures are per process
and the builder never holds the store open while another process reads it.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from unittest.mock import patch

import numpy as np

import ingest  # noqa: F401  - offline mode first
from bench import machine
from settings import Settings

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
NOISE = 0.01  # per-dimension noise on unit vectors of 768 dims: cosine to the original stays ~0.96
QUESTIONS = (
    "Đảng viên có những nhiệm vụ gì?",
    "Chi bộ sinh hoạt định kỳ mấy lần một tháng?",
    "Điều kiện kết nạp lại người vào Đảng là gì?",
    "Tổ chức cơ sở đảng có nhiệm vụ gì?",
    "Đảng phí được sử dụng như thế nào?",
    "Thời hạn xem xét kỷ luật đảng viên là bao lâu?",
)
# Documents the collection (and every replica) lacks, so each question goes through ``mentions``.
MISSING = (
    "Hướng dẫn 99-HD/TW nói gì về đảng phí?",
    "Quy định 512 quy định gì về kỷ luật đảng viên?",
    "Chỉ thị 88 yêu cầu gì về sinh hoạt chi bộ?",
    "Kết luận 777 nói gì về tinh gọn bộ máy?",
    "Nghị quyết 999-NQ/TW về phát triển đảng viên như thế nào?",
    "Hướng dẫn 26 nói gì về số dư?",
)
# Appended to one file before the incremental ingest; the chunk count makes it new at every size (a
# repeated passage is stored once, so the same note twice would change no chunk).
CHANGED_FILE_NOTE = "\n\nGhi chú kiểm thử quy mô ({chunks} đoạn): thêm để đo thời gian nạp lại một tệp đã đổi.\n"


@dataclass(frozen=True)
class Paths:
    """The benchmark's folders: a copy of the default index (the source) and the scale index."""

    work: Path

    @property
    def source(self) -> Settings:
        return Settings(data_dir=self.work / "source")

    @property
    def scale(self) -> Settings:
        return Settings(data_dir=self.work / "data", collection_path=self.work / "corpus")


def replica_number(number: str, replica: int) -> str:
    """A document number of its own per replica: "294-QĐ/TW" -> "294003-QĐ/TW" for replica 3.

    At least four digits, so no replica number is one a benchmark question names as missing."""
    if replica == 0:
        return number
    digits = len(number) - len(number.lstrip("0123456789"))
    return f"{number[:digits]}{replica:03d}{number[digits:]}" if digits else number


def replica_bytes(data: bytes, source: str, replica: int) -> bytes:
    """The file's bytes with a trailer, so no two replicas share a hash (ingest skips duplicates)."""
    if replica == 0:
        return data
    trailer = f"%replica {replica}\n" if source.endswith(".pdf") else f"<!-- replica {replica} -->\n"
    return data + b"\n" + trailer.encode()


class BulkWriter:
    """Writes replicas straight into the store in large batches.

    Each Chroma write costs ~0.2 s here whatever its size, so ingest's per-file commit (stage,
    promote, record, unstage) would take an hour for 100k chunks. The rows are still exactly what
    ingest writes: metadata from ``chunk_metadata`` and ``DocumentRecord.to_metadata``, chunks
    before the records that list them.
    """

    BATCH = 2000

    def __init__(self, settings: Settings, model_id: str) -> None:
        from ingest.index import CHUNKS, DOCUMENTS, ChunkIndex, make_client

        client = make_client(settings)
        self.index = ChunkIndex(settings, model_id, client)  # creates the collections as ingest does
        self.chunks = client.get_collection(f"{settings.collection_name}_{CHUNKS}")
        self.documents = client.get_collection(f"{settings.collection_name}_{DOCUMENTS}")
        self.pending: list[tuple[Any, np.ndarray, dict[str, Any]]] = []
        self.records: list[tuple[Any, str]] = []

    def add(self, record: Any, text: str, chunks: list[Any], vectors: np.ndarray, tokens: list[str]) -> None:
        from ingest.index import chunk_metadata

        for chunk, vector, words in zip(chunks, vectors, tokens, strict=True):
            self.pending.append((chunk, vector, chunk_metadata(chunk, record.meta, words)))
        self.records.append((record, text))
        if len(self.pending) >= self.BATCH:
            self.flush()

    def flush(self) -> None:
        if self.pending:
            self.chunks.add(
                ids=[c.id for c, _, _ in self.pending],
                embeddings=np.stack([v for _, v, _ in self.pending]),
                documents=[c.text for c, _, _ in self.pending],
                metadatas=[m for _, _, m in self.pending],
            )
        if self.records:
            self.documents.add(
                ids=[r.meta.source for r, _ in self.records],
                embeddings=[[1.0]] * len(self.records),
                documents=[t for _, t in self.records],
                metadatas=[r.to_metadata() for r, _ in self.records],
            )
        self.pending, self.records = [], []


def build(paths: Paths, size: int) -> dict[str, Any]:
    """Grow the scale index to at least ``size`` chunks (child process; returns what it did)."""
    from ingest.embedder import Embedder
    from ingest.index import ChunkIndex, DocumentRecord
    from ingest.keyword_sync import sync_keyword_index
    from ingest.metadata import read_manifest
    from ingest.pipeline import pipeline_fingerprint
    from ingest.types import Chunk, DocumentMeta

    started = time.perf_counter()
    model_id = Embedder(paths.scale).model_id
    source = ChunkIndex(paths.source, model_id)
    writer = BulkWriter(paths.scale, model_id)
    stored = {c.id: c for c in source.get(source.all_chunks(include=())["ids"], with_vectors=True)}
    records = sorted((r for r in source.records().values() if r.status == "ok"), key=lambda r: r.meta.source)
    corpus = Settings().collection_path
    manifest = read_manifest(corpus)
    fingerprint = pipeline_fingerprint(paths.scale)
    have = set(writer.index.records())
    count = writer.index.count()
    rng = np.random.default_rng(size)
    rows: list[dict[str, str]] = []
    replica = 0
    while count < size:
        for record in records:
            if count >= size:
                break
            name = f"r{replica:03d}/{record.meta.source}"
            number = replica_number(record.meta.number, replica)
            meta = DocumentMeta(**{**record.meta.as_dict(), "source": name, "number": number})
            row = manifest.get(record.meta.source)
            rows.append({**row, "path": name, "doc_number": number} if row else {"path": name})
            if name in have:  # built for a smaller size: already counted
                continue
            data = replica_bytes((corpus / record.meta.source).read_bytes(), record.meta.source, replica)
            path = paths.scale.collection_path / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
            olds = [stored[i] for i in record.chunk_ids]
            chunks = [
                Chunk(
                    old.id if replica == 0 else hashlib.md5(f"{old.id}:{replica}".encode()).hexdigest(),
                    name,
                    str(old.metadata["section"]),
                    old.text,
                    int(old.metadata["start"]),
                    int(old.metadata["end"]),
                    ordinal,
                )
                for ordinal, old in enumerate(olds)
            ]
            vectors = np.stack([old.vector for old in olds])
            if replica:
                vectors = vectors + rng.normal(0.0, NOISE, vectors.shape).astype(np.float32)
                vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
            new_record = DocumentRecord(
                meta=meta,
                sha256=hashlib.sha256(data).hexdigest(),
                pipeline=fingerprint,
                chunk_ids=[c.id for c in chunks],
                fmt=record.fmt,
                headings=record.headings,
            )
            tokens = [str(old.metadata.get("tokens", "")) for old in olds]
            writer.add(new_record, source.document_text(record.meta.source), chunks, vectors, tokens)
            count += len(chunks)
        replica += 1
    writer.flush()
    _write_manifest(paths.scale.collection_path, manifest, rows)
    built = time.perf_counter() - started
    started = time.perf_counter()
    sync_keyword_index(paths.scale, writer.index)
    return {"chunks": writer.index.count(), "build_s": built, "keyword_build_s": time.perf_counter() - started}


def _write_manifest(root: Path, manifest: dict[str, dict[str, str]], rows: list[dict[str, str]]) -> None:
    import csv

    fields = list(next(iter(manifest.values())).keys()) if manifest else ["path"]
    fields = ["path", *[f for f in fields if f != "path"]]
    with (root / "MANIFEST.tsv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields, delimiter="\t", extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)


def _memory_mb() -> dict[str, float]:
    """Resident memory now and at its peak (VmRSS, VmHWM), in MB."""
    status = Path("/proc/self/status").read_text().splitlines()
    values = {line.split(":")[0]: int(line.split()[1]) / 1024 for line in status if line.startswith(("VmRSS", "VmHWM"))}
    return {"rss_mb": values.get("VmRSS", 0.0), "peak_rss_mb": values.get("VmHWM", 0.0)}


def _ask_all(assistant: Any, questions: tuple[str, ...], repeat: int) -> dict[str, list[float]]:
    """Per-stage timings of every question, each as the process has not seen it before."""
    timings: dict[str, list[float]] = {}
    for _ in range(repeat):
        for question in questions:
            assistant.retriever.forget_queries()
            result = assistant.ask(question)
            for stage in ("prepare", "retrieve", "answer", "total"):
                timings.setdefault(stage, []).append(result.timings_ms.get(stage, 0.0))
    return timings


def measure(paths: Paths, repeat: int) -> dict[str, Any]:
    """Start-up, per-stage latency with and without a missing reference, memory, one-file ingest."""
    from assistant.chain import Assistant
    from ingest import pipeline
    from ingest.embedder import Embedder
    from ingest.index import ChunkIndex
    from ingest.service import ingest_collection

    settings = paths.scale
    started = time.perf_counter()
    embedder = Embedder(settings)
    embedder.embed_query("khởi động")  # the model itself loads lazily: count it in start-up
    model_s = time.perf_counter() - started
    started = time.perf_counter()
    assistant = Assistant(settings, embedder)
    startup_s = time.perf_counter() - started
    memory_idle = _memory_mb()
    assistant.ask("Người vào Đảng phải bao nhiêu tuổi?")  # warm-up, as bench.ask does
    stages = {
        label: _ask_all(assistant, questions, repeat)
        for label, questions in (("plain", QUESTIONS), ("missing", MISSING))
    }
    # What an index stored before mentions were kept does (and what every index did before): the scan.
    with patch.object(ChunkIndex, "ids_mentioning", return_value=None):
        stages["missing, regex scan"] = _ask_all(assistant, MISSING, repeat)
    memory = _memory_mb()
    changed = next(p for p in sorted((settings.collection_path / "r000").rglob("*.md")))
    note = CHANGED_FILE_NOTE.format(chunks=assistant.index.count())
    changed.write_text(changed.read_text(encoding="utf-8") + note, encoding="utf-8")
    keyword_s: list[float] = []  # the keyword index's update inside that ingest, timed apart
    with patch.object(pipeline, "sync_keyword_index", _timed(pipeline.sync_keyword_index, keyword_s)):
        started = time.perf_counter()
        report = ingest_collection(settings, embedder=embedder)
        ingest_s = time.perf_counter() - started
    return {
        "chunks": assistant.index.count(),
        "model_s": model_s,
        "startup_s": startup_s,
        "idle": memory_idle,
        "after_queries": memory,
        "stages": stages,
        "ingest_s": ingest_s,
        "keyword_update_s": sum(keyword_s),
        "ingest": {"files_updated": report.files_updated, "chunks_embedded": report.chunks_embedded},
    }


def _timed(function: Callable[..., Any], seconds: list[float]) -> Callable[..., Any]:
    """``function``, appending each call's duration to ``seconds``."""

    def timed(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            seconds.append(time.perf_counter() - started)

    return timed


def _child(args: list[str]) -> dict[str, Any]:
    """Run one phase in a fresh process at low priority; its last stdout line is the JSON result."""
    command = ["nice", "-n", "15", sys.executable, "-m", "bench.scale", *args]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def run(sizes: list[int], work: Path, repeat: int, keep: bool) -> list[dict[str, Any]]:
    """Every size in increasing order over one growing index; the work folder is removed after."""
    paths = Paths(work)
    if work.exists():
        shutil.rmtree(work)
    # Chroma may write to a store it opens, and the default index is read-only here: open a copy.
    shutil.copytree(Settings().chroma_path, paths.source.chroma_path)
    rows = []
    try:
        for size in sorted(sizes):
            built = _child(["--build", str(size), "--work", str(work)])
            print(f"built {built}", flush=True)
            measured = _child(["--measure", "--work", str(work), "--repeat", str(repeat)])
            rows.append({**built, **measured, "size": size})
            print(json.dumps(rows[-1]), flush=True)
    finally:
        if not keep:
            shutil.rmtree(work, ignore_errors=True)
    return rows


def _p(values: list[float], q: float) -> float:
    return float(np.percentile(values, q))


def write_results(rows: list[dict[str, Any]], machine_line: str, path: Path) -> None:
    """Append the table to ``scale.md`` and draw ``scale.png`` beside it."""
    lines = [
        f"\n## {datetime.now(UTC):%Y-%m-%d %H:%M} UTC — {machine_line}; {os.getloadavg()[0]:.1f} at end\n",
        "| chunks | questions | prepare p50/p95 | retrieve p50/p95 | answer p50/p95 | total p50/p95 (ms) |",
        "|---|---|---|---|---|---|",
    ]
    for row in rows:
        for label, timings in row["stages"].items():
            cells = " | ".join(
                f"{_p(timings[s], 50):.0f} / {_p(timings[s], 95):.0f}"
                for s in ("prepare", "retrieve", "answer", "total")
            )
            lines.append(f"| {row['chunks']} | {label} ({len(timings['total'])}) | {cells} |")
    lines += [
        "",
        "| chunks | model load s | Assistant start-up s | RSS idle MB | RSS after questions MB | peak RSS MB | "
        "one changed file ingest s | keyword update in it s | keyword index build s |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        lines.append(
            f"| {row['chunks']} | {row['model_s']:.1f} | {row['startup_s']:.1f} | {row['idle']['rss_mb']:.0f} | "
            f"{row['after_queries']['rss_mb']:.0f} | {row['after_queries']['peak_rss_mb']:.0f} | "
            f"{row['ingest_s']:.1f} | {row['keyword_update_s']:.1f} | {row['keyword_build_s']:.1f} |"
        )
    with path.open("a", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")
    plot(rows, path.with_suffix(".png"))


def plot(rows: list[dict[str, Any]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    chunks = [row["chunks"] / 1000 for row in rows]
    fig, (latency, other) = plt.subplots(1, 2, figsize=(10, 4))
    for colour, label in enumerate(("plain", "missing", "missing, regex scan")):
        for q, style in ((50, "-"), (95, "--")):
            latency.plot(chunks, [_p(r["stages"][label]["total"], q) for r in rows], style, marker="o",
                         color=f"C{colour}", label=f"{label} p{q}")  # fmt: skip
    latency.axhline(300, color="grey", linewidth=0.8, label="p50 target 300 ms")
    latency.set(xlabel="chunks (thousands)", ylabel="extractive answer ms", title="Latency")
    latency.legend(fontsize=8)
    other.plot(chunks, [r["startup_s"] for r in rows], marker="o", label="Assistant start-up s")
    other.plot(chunks, [r["ingest_s"] for r in rows], marker="o", label="one changed file ingest s")
    other.set(xlabel="chunks (thousands)", ylabel="seconds", title="Start-up and ingest")
    memory = other.twinx()
    memory.plot(chunks, [r["after_queries"]["rss_mb"] for r in rows], color="tab:red", marker="s", label="RSS MB")
    memory.set_ylabel("RSS MB")
    other.legend(loc="upper left", fontsize=8)
    memory.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=100)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10000,50000,100000")
    parser.add_argument("--work", default="/tmp/partydocs-scale/run", help="emptied first, removed after")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--keep", action="store_true", help="keep the scale index (for a look afterwards)")
    parser.add_argument("--results", default=str(RESULTS / "scale.md"))
    parser.add_argument("--build", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    paths = Paths(Path(args.work))
    if args.build:
        print(json.dumps(build(paths, args.build)))
    elif args.measure:
        print(json.dumps(measure(paths, args.repeat)))
    else:
        machine_line = machine()
        rows = run([int(s) for s in args.sizes.split(",")], paths.work, args.repeat, args.keep)
        write_results(rows, machine_line, Path(args.results))


if __name__ == "__main__":
    main()
