"""How far an ingest run is, for whoever shows it while the run goes on.

``serve`` opens the page at once and indexes the collection in the background (``ingest.service``);
meanwhile the page shows documents and passages done and the time left, and every answer says it
comes from a partial index. The run reports here (``ingest.pipeline`` when it knows what it will do,
``ingest.staging`` per embedded slice and committed file) and readers take consistent snapshots
from other threads.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, replace


@dataclass(frozen=True)
class ProgressSnapshot:
    """One consistent reading. Documents count those already indexed before the run, so "60/123"
    is how much of the collection answers draw on; passages count only those this run embeds."""

    running: bool
    documents_done: int = 0
    documents_total: int = 0
    chunks_done: int = 0
    chunks_total: int = 0
    seconds_left: float | None = None  # None until embedding has gone on long enough to tell
    error: str = ""

    def note(self) -> str | None:
        """What an answer says while the index is partial, in both languages; None once complete."""
        if not self.running:
            return None
        done, total = self.documents_done, self.documents_total
        return (
            f"Đang lập chỉ mục: {done}/{total} văn bản; câu trả lời chỉ dựa trên phần đã lập chỉ mục. / "
            f"Indexing: {done} of {total} documents; answers come from those indexed so far."
        )


class IngestProgress:
    """A run's counters, written by the ingest thread and read by the page and the answers."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._state = ProgressSnapshot(running=False)
        self._embedding_since: float | None = None

    def start(self) -> None:
        """The run is under way, before it knows how much there is (scanning, waiting for the lock)."""
        with self._lock:
            self._state = ProgressSnapshot(running=True)
            self._embedding_since = None

    def planned(self, documents_total: int, documents_done: int) -> None:
        """The documents of the collection, and those that need nothing (unchanged, or failed before)."""
        self._update(documents_total=documents_total, documents_done=documents_done)

    def parsed(self, chunks_total: int) -> None:
        """Every file to index is parsed: ``chunks_total`` passages are to be embedded."""
        with self._lock:
            self._state = replace(self._state, chunks_total=chunks_total)
            self._embedding_since = time.monotonic()

    def embedded(self, chunks: int) -> None:
        with self._lock:
            done = self._state.chunks_done + chunks
            left = None
            if self._embedding_since is not None and done:
                rate = done / max(time.monotonic() - self._embedding_since, 1e-6)
                left = (self._state.chunks_total - done) / rate
            self._state = replace(self._state, chunks_done=done, seconds_left=left)

    def committed(self, documents: int = 1) -> None:
        """Documents searchable now (or given up on: a file that fails is done too)."""
        with self._lock:
            self._state = replace(self._state, documents_done=self._state.documents_done + documents)

    def finish(self, error: str = "") -> None:
        self._update(running=False, seconds_left=0.0 if not error else None, error=error)

    def snapshot(self) -> ProgressSnapshot:
        with self._lock:
            return self._state

    def _update(self, **fields: object) -> None:
        with self._lock:
            self._state = replace(self._state, **fields)  # type: ignore[arg-type]
