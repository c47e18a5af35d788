"""Run a question set through one or more pipelines and write results.jsonl plus the report.

One process loads the embedding model once and runs every question of every pipeline through it:
spawning ``ask --json`` per question would reload the model for each of them. The results files
hold exactly the ``ask --json`` objects (plus ``id``), so any metric can be recomputed from them
later without a model (``eval.metrics``).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, cast

from tqdm import tqdm

from assistant.support import support_fn
from assistant.types import Mode
from eval.pipelines import Pipeline, make_pipeline
from eval.records import load_questions
from eval.report import write_report
from ingest.embedder import Embedder
from ingest.service import embedder_for, ingest_collection
from settings import Settings

RESULTS = "results.jsonl"


def collection_settings(settings: Settings, collection: Path) -> Settings:
    """Settings whose index lives in a data dir of its own, keyed by the collection's resolved path.

    A benchmark collection must never be mixed into the default index, and keying by path lets a
    rerun find its index again (and embed nothing).
    """
    resolved = collection.resolve()
    key = hashlib.sha256(str(resolved).encode()).hexdigest()[:12]
    return settings.model_copy(update={"collection_path": resolved, "data_dir": settings.data_dir / "eval" / key})


def run_questions(pipeline: Pipeline, questions: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The ask --json object of every question, with its ``id`` first."""
    return [
        {"id": q["id"], **pipeline.answer(q["question"], q.get("history", []), q.get("options"))}
        for q in tqdm(questions, desc=pipeline.name, unit="question")
    ]


def results_path(out: Path, pipeline: str, several: bool) -> Path:
    """``DIR/results.jsonl`` for one pipeline, ``DIR/<pipeline>/results.jsonl`` when comparing."""
    return (out / pipeline if several else out) / RESULTS


def write_results(path: Path, records: Sequence[Mapping[str, Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as handle:
        for record in records:
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")


def run_eval(
    settings: Settings,
    questions: Path,
    out: Path,
    mode: str = "extractive",
    pipelines: Sequence[str] = ("ours",),
    collection: Path | None = None,
    embedder: Embedder | None = None,
    notes: Sequence[str] = (),
) -> dict[str, list[dict[str, Any]]]:
    """Answer ``questions`` with each pipeline, write the results and the report; return the metric rows.

    With ``collection``, its index lives in its own data dir and is brought up to date first
    (incrementally: a rerun on unchanged files embeds nothing). Without it, the configured index is
    used as it is: evaluating must not silently re-index the user's collection. ``notes`` are
    paragraphs placed under the report title (e.g. a benchmark's published reference figures).
    """
    if not pipelines:
        raise ValueError("no pipeline to evaluate")
    if collection is not None:
        settings = collection_settings(settings, collection)
    embedder = embedder or embedder_for(settings)
    if collection is not None:
        report = ingest_collection(settings, embedder=embedder)
        if report.failures:
            failed = ", ".join(f.source for f in report.failures)
            print(f"Không đọc được / could not ingest: {failed}")
    asked = load_questions(questions)
    several = len(pipelines) > 1
    results: dict[str, list[dict[str, Any]]] = {}
    for name in pipelines:
        pipeline = make_pipeline(name, settings, embedder, cast(Mode, mode))
        results[name] = run_questions(pipeline, asked)
        write_results(results_path(out, name, several), results[name])
    return write_report(out, results, asked, support_fn(embedder), f"{questions.name} ({mode})", notes)
