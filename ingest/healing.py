"""Self-healing: what every ingest run repairs before and after its own work.

A kill can land between any two writes (see ``ingest.pipeline``), and an index can be older than
the code reading it; both leave stored state that no single write can be trusted to fix. So each
run, holding the data folder's lock, first makes the stored state consistent again: chunks no
record lists are removed, documents whose listed chunks are not all there are re-ingested, records
stored before ingest kept heading trees get their tree from their stored text, chunks stored before
ingest kept document mentions get theirs, and what an interrupted run left staged is cleared at the
end. The lock exists because this repair would delete another run's freshly promoted chunks: a
second run (an upload, ``app.py ingest``, in this process or another) waits for the one writing,
up to ``ingest.lock_wait_s``, so runs are serialized, never concurrent.
"""

from __future__ import annotations

import fcntl
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

from ingest.chunker import heading_tree
from ingest.faults import checkpoint
from ingest.index import ChunkIndex, DocumentRecord
from ingest.keyword_index import remove_stale_temp_dirs
from ingest.scan import bilingual
from ingest.types import IngestReport, LoadedDocument

logger = logging.getLogger(__name__)

LOCK_FILE = "ingest.lock"
LOCK_POLL_S = 0.25  # how often a waiting run tries the lock again


class IngestLockedError(RuntimeError):
    """Another ingest kept writing this index for longer than a run waits."""


@contextmanager
def ingest_lock(data_dir: Path, wait_s: float = 0.0, waiting: Callable[[], None] | None = None) -> Iterator[None]:
    """Hold the data folder's ingest lock for the run, waiting up to ``wait_s`` for the run holding it
    (``waiting`` is called once if so); the OS drops it if the process dies. ``flock`` locks belong to
    an open file, so two threads of one process wait for each other as two processes do."""
    data_dir.mkdir(parents=True, exist_ok=True)
    deadline, announced = time.monotonic() + wait_s, False
    with (data_dir / LOCK_FILE).open("w") as handle:
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise IngestLockedError(
                        bilingual(
                            f"một lần nạp khác vẫn đang ghi chỉ mục {data_dir} sau {wait_s:g} giây chờ; "
                            "hãy thử lại sau",
                            f"another ingest is still writing the index in {data_dir} after {wait_s:g} s of waiting; "
                            "try again later",
                        )
                    ) from None
                if not announced:
                    logger.warning("waiting up to %g s for the ingest writing %s", wait_s, data_dir)
                    if waiting is not None:
                        waiting()
                    announced = True
                time.sleep(LOCK_POLL_S)
        yield


def reconcile(
    index: ChunkIndex, keyword_path: Path, records: dict[str, DocumentRecord], report: IngestReport
) -> set[str]:
    """Heal what a crash between two writes left: remove chunks no record lists and the keyword
    index's temp folders; return the documents whose listed chunks are not all there, which are
    then re-ingested whatever their hash says."""
    for stale in remove_stale_temp_dirs(keyword_path):
        logger.info("removed %s, left by an interrupted keyword index save", stale)
    live = index.ids()
    owned = {chunk_id for record in records.values() for chunk_id in record.chunk_ids}
    ownerless = live - owned
    if ownerless:
        logger.info("removing %d chunks no document owns (left by an interrupted ingest)", len(ownerless))
        index.delete_chunks(ownerless)
        checkpoint("ownerless chunks removed")
    report.chunks_healed = len(ownerless)
    return {s for s, r in records.items() if r.status == "ok" and not set(r.chunk_ids) <= live}


def backfill_headings(index: ChunkIndex, records: dict[str, DocumentRecord], report: IngestReport) -> None:
    """Give each record stored before ingest kept heading trees its tree, in place in ``records``.

    The tree is computed from the record's stored text, the very text its chunks' offsets point
    into, so nothing is parsed or embedded again, and the course builder's read path never has to
    write. One metadata update per record: a kill between two leaves the rest for the next run.
    """
    for source, record in list(records.items()):
        if record.headings is not None or record.status == "skipped":
            continue
        tree = heading_tree(LoadedDocument(record.meta, index.document_text(source), record.fmt))
        index.store_headings(source, tree)
        checkpoint("heading tree backfilled")
        records[source] = replace(record, headings=tree)
        report.headings_backfilled += 1
    if report.headings_backfilled:
        logger.info("heading trees backfilled from stored text for %d documents", report.headings_backfilled)


def backfill_mentions(index: ChunkIndex) -> None:
    """Give chunks stored before ingest kept document mentions (or by an older ``ingest.mentions``)
    theirs, found in their stored text: nothing is embedded again, and until every chunk has them
    retrieval keeps scanning, so the read path never has to write. Batched metadata updates: a kill
    between two leaves the rest for the next run."""
    missing = index.without_mentions()
    if missing:
        index.store_mentions(missing)
        logger.info("document mentions backfilled from stored text for %d chunks", len(missing))


def clear_staging(index: ChunkIndex, sources: set[str] | None) -> None:
    """Drop what is still staged after the run (``sources`` only, when given): chunks of files that
    changed again or disappeared since an interrupted run staged them."""
    staged = index.staged_sources()
    index.unstage([i for i, source in staged.items() if sources is None or source in sources])
