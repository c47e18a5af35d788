"""Windowed embedding and per-file commit: the only ingest step that costs minutes.

Embedding runs over windows of ``ingest.window_chunks`` chunks that may span many small files or
split a large one, so batches stay full and a crash loses at most one window of work: each window
is kept in the staging collection, which search never reads, and a file is committed only once its
last window is in. Committing is four writes in an order that the next run's reconcile can always
heal (``switch_record``). A file that spans windows is committed as soon as its last chunk is
staged, without waiting for the next window to fill: while ``serve`` indexes in the background, a
large regulation (QĐ 294: 258 chunks, over one window) is answerable a window sooner.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from tqdm import tqdm

from ingest.embedder import Embedder
from ingest.faults import checkpoint
from ingest.index import ChunkIndex, DocumentRecord
from ingest.progress import IngestProgress
from ingest.types import Chunk, IngestReport
from ingest.vitokens import segment_many

PROGRESS_SLICE = 64  # chunks per embedding call, so progress (and ETA) updates every few seconds

Progress = Callable[[str, float], None]


@dataclass
class Pending:
    """A parsed file waiting for its new chunks to be embedded and committed."""

    record: DocumentRecord  # what the file's record becomes once its chunks are all in
    text: str
    chunks: list[Chunk]
    new: list[Chunk]  # not in the searched collection yet
    to_embed: list[Chunk]  # of ``new``, those an interrupted run did not already stage
    old: DocumentRecord | None


class WindowedCommit:
    """Embeds pending files' chunks window by window into staging and commits each finished file."""

    def __init__(self, index: ChunkIndex, embedder: Embedder, window_chunks: int, tracker: IngestProgress) -> None:
        self.index = index
        self.embedder = embedder
        self.window_chunks = window_chunks
        self.tracker = tracker

    def run(self, pending: list[Pending], report: IngestReport, progress: Progress | None) -> None:
        """Embed in windows that may split a large file; commit each file once its last window is in."""
        total = sum(len(p.to_embed) for p in pending)
        bar = tqdm(total=total, desc="Nhúng / embedding", unit="chunk", disable=total == 0)
        bar.set_postfix_str(f"files 0/{len(pending)}")
        window: list[tuple[Pending, Chunk]] = []
        ready: list[Pending] = []  # files whose every chunk is staged or in ``window``
        for item in pending:
            split = False
            for chunk in item.to_embed:
                window.append((item, chunk))
                if len(window) >= self.window_chunks:
                    self._stage_window(window, bar, progress)
                    self._commit(ready, report, bar, len(pending))
                    window, ready, split = [], [], True
            ready.append(item)
            if split:  # its first windows are staged already: commit it now, not a window later
                self._stage_window(window, bar, progress)
                self._commit(ready, report, bar, len(pending))
                window, ready = [], []
        self._stage_window(window, bar, progress)
        self._commit(ready, report, bar, len(pending))
        bar.close()

    def _stage_window(self, window: list[tuple[Pending, Chunk]], bar: tqdm, progress: Progress | None) -> None:
        """Embed one window and keep it in staging: after this, a crash costs no embedding."""
        if not window:
            return
        checkpoint("window about to be embedded")
        chunks = [chunk for _, chunk in window]
        vectors = self._embed(chunks, [item.record.meta.title for item, _ in window], bar)
        tokens = [" ".join(t) for t in segment_many([c.text for c in chunks])]
        by_file: dict[int, list[int]] = {}
        for position, (item, _) in enumerate(window):
            by_file.setdefault(id(item), []).append(position)
        for positions in by_file.values():
            item = window[positions[0]][0]
            self.index.stage_chunks(
                [chunks[i] for i in positions], vectors[positions], item.record.meta, [tokens[i] for i in positions]
            )
        checkpoint("window staged")
        if progress:
            progress(f"{bar.n}/{bar.total} chunks", bar.n / max(bar.total, 1))

    def _embed(self, chunks: list[Chunk], titles: list[str], bar: tqdm) -> np.ndarray:
        """Embed in length-sorted slices so similar lengths share a batch and the bar moves often."""
        order = sorted(range(len(chunks)), key=lambda i: len(chunks[i].text))
        vectors = np.zeros((len(chunks), 0), dtype=np.float32)
        for start in range(0, len(order), PROGRESS_SLICE):
            picked = order[start : start + PROGRESS_SLICE]
            part = self.embedder.embed_passages([chunks[i].text for i in picked], [titles[i] for i in picked])
            if vectors.shape[1] == 0:
                vectors = np.zeros((len(chunks), part.shape[1]), dtype=np.float32)
            vectors[picked] = part
            bar.update(len(picked))
            self.tracker.embedded(len(picked))
        return vectors

    def _commit(self, ready: list[Pending], report: IngestReport, bar: tqdm, files: int) -> None:
        for item in ready:
            self._switch_record(item)
            self.tracker.committed()
            report.files_updated += 1
            report.chunks_embedded += len(item.to_embed)
        bar.set_postfix_str(f"files {report.files_updated}/{files}")

    def _switch_record(self, item: Pending) -> None:
        """Promote, switch, delete superseded, unstage: a crash after any step is healed by the next
        run's reconcile, and the staged vectors survive until the switch is complete."""
        self.index.promote(item.new, item.record.meta)
        checkpoint("chunks promoted, record not yet switched")
        self.index.put_record(item.record, item.text)
        checkpoint("record switched, superseded chunks not yet deleted")
        if item.old:
            self.index.delete_chunks(set(item.old.chunk_ids) - set(item.record.chunk_ids))
            checkpoint("superseded chunks deleted, staging not yet cleared")
        self.index.unstage([c.id for c in item.new])
