"""Kill a real ingest at each of its step boundaries, for ``tests/test_ingest_faults.py``.

Usage: ``python -m tests.fault_driver PLAN.json`` where the plan names the collection folder, the
index to start every run from, a work folder and ``window_chunks``. Prints a JSON list of
``{"n", "label", "status", "data_dir"}``, one per boundary.

Loading the model costs more than the ingest, so this process loads it once and forks one child per
boundary: the child copies the starting index, ingests, and dies at boundary N through
``os._exit(137)`` (``ingest.faults``), exactly as under ``kill -9``: no ``finally`` runs, no buffer is
flushed. A first child runs with a trace instead, to learn how many boundaries there are. Torch is
held to one thread (the caller sets the environment): forking after a thread pool has run is unsafe.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

import ingest  # noqa: F401  - offline mode before any model library loads
from ingest.embedder import Embedder
from ingest.faults import CRASH_AT, CRASH_TRACE
from ingest.service import ingest_collection
from settings import IngestSettings, Settings


def run_child(plan: dict[str, object], embedder: Embedder, data_dir: Path, env: dict[str, str]) -> int:
    """Ingest into a fresh copy of the starting index in a forked child; return its exit status."""
    shutil.copytree(str(plan["start_index"]), data_dir)
    pid = os.fork()
    if pid == 0:
        status = 0
        try:
            os.environ.update(env)
            settings = Settings(
                collection_path=Path(str(plan["collection"])),
                data_dir=data_dir,
                ingest=IngestSettings(window_chunks=int(str(plan["window_chunks"]))),
            )
            ingest_collection(settings, embedder=embedder)
        except BaseException as error:  # report, never fall back into the parent's loop
            print(f"child failed: {error!r}", file=sys.stderr)
            status = 1
        os._exit(status)
    _, wait_status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(wait_status)


def main(plan_path: str) -> None:
    plan = json.loads(Path(plan_path).read_text(encoding="utf-8"))
    work = Path(plan["work"])
    embedder = Embedder(Settings())
    embedder.tokenizer  # noqa: B018  - load once here, not in every child
    embedder.model  # noqa: B018

    trace = work / "trace.tsv"
    status = run_child(plan, embedder, work / "trace-run", {CRASH_TRACE: str(trace)})
    if status != 0:
        raise SystemExit(f"the traced run failed with status {status}")
    labels = [line.split("\t", 1)[1] for line in trace.read_text(encoding="utf-8").splitlines()]
    results = []
    for n, label in enumerate(labels, start=1):
        data_dir = work / f"crash-{n:02d}"
        status = run_child(plan, embedder, data_dir, {CRASH_AT: str(n)})
        results.append({"n": n, "label": label, "status": status, "data_dir": str(data_dir)})
    print(json.dumps(results, ensure_ascii=False))


if __name__ == "__main__":
    main(sys.argv[1])
