"""Fault injection: kill ingest at every step boundary, rerun, and get exactly a clean ingest.

The scenario touches every kind of write: a changed file (new chunk promoted, record switched, a
superseded chunk deleted), a removed file (record and chunks deleted), a new file spread over two
embedding windows, and a second new file that is deleted before the rerun (its staged or promoted
chunks must not survive). ``tests/fault_driver.py`` kills a real ingest process at boundary N for
every N; each rerun (in this process, with the session's model) must leave the index equal to a
clean ingest of the same folder: chunk ids, records, per-document counts, BM25 answers, nothing
left in staging or in temp folders.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from ingest.embedder import Embedder
from ingest.faults import KILLED
from ingest.keyword_index import KeywordIndex
from ingest.service import ingest_collection, open_index
from ingest.vitokens import segment
from settings import IngestSettings, Settings
from tests.conftest import CORPUS, TINY, Ingested, make_collection

REPO = Path(__file__).resolve().parent.parent
WINDOW = 2  # chunks per window, so the new file's chunks span two windows
KEPT_NEW = "seeds/moi-003.txt"
DROPPED_NEW = "seeds/bo-000.txt"  # ingested by the crashed run, deleted before the rerun
QUERIES = ("nhân sự đại hội nhiệm kỳ", "lấy phiếu tín nhiệm", "bản tin sinh hoạt chi bộ", "Siết chặt kỷ cương")


def _first_paragraphs(source: str, chars: int) -> str:
    """The opening of a real document, cut at a paragraph end: a small real file."""
    text = (CORPUS / source).read_text(encoding="utf-8")
    return text[: text.index("\n\n", chars)] + "\n"


def _write_scenario(folder: Path) -> None:
    """From TINY: change TINY[1], remove TINY[0], add two small real documents."""
    make_collection(folder, TINY)
    (folder / TINY[0]).unlink()
    changed = folder / TINY[1]
    text = changed.read_text(encoding="utf-8")
    assert "nhiệm kỳ 2020-2025" in text
    changed.write_text(text.replace("nhiệm kỳ 2020-2025", "nhiệm kỳ 2020 - 2025", 1), encoding="utf-8")
    (folder / KEPT_NEW).write_text(_first_paragraphs("seeds/003_bd0d43a6b8ead280.txt", 1800), encoding="utf-8")
    (folder / DROPPED_NEW).write_text(_first_paragraphs("seeds/000_aae1d7fac991d19f.txt", 600), encoding="utf-8")


def _settings(collection: Path, data_dir: Path) -> Settings:
    return Settings(collection_path=collection, data_dir=data_dir, ingest=IngestSettings(window_chunks=WINDOW))


def _snapshot(settings: Settings, embedder: Embedder) -> dict[str, Any]:
    """Everything a user can observe of the index, in a form that two equal indexes share."""
    index = open_index(settings, embedder)[1]
    records = index.records()
    chunks = index.all_chunks(include=("metadatas", "documents"))
    loaded = KeywordIndex.load(settings.keyword_path)
    assert loaded is not None, "the keyword index must be in place"
    keyword = loaded[0]
    return {
        "records": sorted((source, r.to_metadata(), index.document_text(source)) for source, r in records.items()),
        "chunks": sorted(zip(chunks["ids"], chunks["documents"], strict=True)),
        "per_document": dict(Counter(str(m["source"]) for m in chunks["metadatas"])),
        "bm25": [sorted((i, round(s, 4)) for i, s in keyword.search(segment(q), k=1000)) for q in QUERIES],
        "staged": len(index.staged_sources()),
        "temp_folders": sorted(p.name for p in settings.data_dir.iterdir() if p.name.startswith(".")),
    }


def test_kill_at_every_boundary_then_rerun_equals_a_clean_ingest(
    tiny_ingested: Ingested, embedder: Embedder, tmp_path: Path
) -> None:
    crashed_folder, rerun_folder = tmp_path / "crashed", tmp_path / "rerun"
    _write_scenario(crashed_folder)
    shutil.copytree(crashed_folder, rerun_folder)
    (rerun_folder / DROPPED_NEW).unlink()

    clean = _settings(rerun_folder, tmp_path / "clean")
    shutil.copytree(tiny_ingested.settings.data_dir, clean.data_dir)
    ingest_collection(clean, embedder=embedder)
    expected = _snapshot(clean, embedder)
    records = {source: json.loads(meta["chunk_ids"]) for source, meta, _ in expected["records"]}
    assert expected["per_document"] == {s: len(ids) for s, ids in records.items() if ids}
    assert TINY[0] not in records and DROPPED_NEW not in records and len(records[KEPT_NEW]) > WINDOW

    plan = tmp_path / "plan.json"
    plan.write_text(
        json.dumps(
            {
                "collection": str(crashed_folder),
                "start_index": str(tiny_ingested.settings.data_dir),
                "work": str(tmp_path / "work"),
                "window_chunks": WINDOW,
            }
        ),
        encoding="utf-8",
    )
    single_thread = {"PARTYDOCS_EMBEDDING__THREADS": "1", "OMP_NUM_THREADS": "1", "TOKENIZERS_PARALLELISM": "false"}
    driver = subprocess.run(
        [sys.executable, "-m", "tests.fault_driver", str(plan)],
        cwd=REPO,
        env={**os.environ, **single_thread},
        capture_output=True,
        text=True,
        timeout=1200,
        check=False,
    )
    assert driver.returncode == 0, driver.stderr[-3000:]
    cases = json.loads(driver.stdout.strip().splitlines()[-1])

    labels = Counter(case["label"] for case in cases)
    print(f"{len(cases)} boundaries killed: {dict(labels)}")  # shown with -s: the figure for the README
    for boundary in (
        "record deleted, chunks not yet",
        "window staged",
        "chunks promoted, record not yet switched",
        "record switched, superseded chunks not yet deleted",
        "superseded chunks deleted, staging not yet cleared",
        "keyword index moved aside, new one not yet in place",
    ):
        assert labels[boundary] >= 1, f"the scenario no longer reaches '{boundary}': {labels}"
    assert labels["window staged"] >= 3, "the new file must span more than one window"

    resumed = healed = 0
    for case in cases:
        assert case["status"] == KILLED, f"boundary {case['n']} ({case['label']}) was not killed: {case['status']}"
        rerun = _settings(rerun_folder, Path(case["data_dir"]))
        report = ingest_collection(rerun, embedder=embedder)
        resumed += report.chunks_resumed
        healed += report.chunks_healed
        assert _snapshot(rerun, embedder) == expected, f"after a kill at {case['n']}: {case['label']}"
    assert resumed > 0, "chunks embedded before a kill must be reused, not embedded again"
    assert healed > 0, "some kill must have left ownerless or superseded chunks to heal"
