"""Persisted BM25 index over pre-tokenized chunks (tokens come from ``ingest.vitokens``).

The index stores only ids and term statistics, never text: Chroma holds the chunks, and fusion
joins the two rankings by chunk id. It is rebuilt whole on every ingest that changes chunks, which
at this collection's size (a few thousand chunks) takes well under a second, so there is no
incremental update to get wrong.
"""

from __future__ import annotations

import json
import logging
import math
import os
import re
import shutil
import tempfile
from collections.abc import Collection, Sequence
from pathlib import Path

import bm25s
import numpy as np

from ingest.faults import checkpoint

logger = logging.getLogger(__name__)

_META_FILE = "keyword_meta.json"
_BM25_DIR = "bm25"
_FORMAT = 1  # bump when the on-disk layout changes so old indexes are rebuilt rather than misread


class KeywordIndex:
    """BM25 (Lucene variant, k1=1.5, b=0.75) over chunk ids."""

    def __init__(self, ids: Sequence[str], bm25: bm25s.BM25 | None) -> None:
        # ``bm25`` is None for an empty collection: bm25s cannot index zero documents.
        self._ids = list(ids)
        self._bm25 = bm25

    @classmethod
    def build(cls, ids: Sequence[str], tokens: Sequence[Sequence[str]]) -> KeywordIndex:
        if len(ids) != len(tokens):
            raise ValueError(f"{len(ids)} ids but {len(tokens)} token lists")
        if len(set(ids)) != len(ids):
            raise ValueError("chunk ids must be unique: fusion joins rankings by id")
        if not ids:
            return cls([], None)
        bm25 = bm25s.BM25()
        bm25.index([list(doc) for doc in tokens], show_progress=False)
        return cls(ids, bm25)

    def __len__(self) -> int:
        return len(self._ids)

    def search(
        self, query_tokens: Sequence[str], k: int = 50, allowed_ids: Collection[str] | None = None
    ) -> list[tuple[str, float]]:
        """Best first. Chunks sharing no term with the query are never returned, so an empty list
        means "no keyword evidence" rather than k arbitrary chunks that would pollute fusion."""
        if self._bm25 is None or k <= 0:
            return []
        token_ids = self._bm25.get_tokens_ids([t for t in query_tokens if t])
        if not token_ids:
            return []
        scores = self._bm25.get_scores_from_ids(token_ids)
        if allowed_ids is not None:
            scores = np.where(self._mask(allowed_ids), scores, 0.0)
        return self._top(scores, k)

    def idf(self, tokens: Sequence[str]) -> dict[str, float]:
        """BM25's weight of each token: rare words weigh most. A syllable the collection never
        uses weighs the most of all (a question about something absent); an unseen compound
        weighs nothing, because its syllables, which the tokenizer also emits, stand for it."""
        if self._bm25 is None:
            return dict.fromkeys(tokens, 1.0)
        n_docs = len(self._ids)
        indptr = self._bm25.scores["indptr"]
        unseen = math.log(1 + (n_docs + 0.5) / 0.5)
        weights: dict[str, float] = {}
        for token in tokens:
            index = self._bm25.vocab_dict.get(token)
            if index is None:
                weights[token] = 0.0 if "_" in token else unseen
                continue
            df = int(indptr[index + 1] - indptr[index])
            weights[token] = math.log(1 + (n_docs - df + 0.5) / (df + 0.5))
        return weights

    def _mask(self, allowed_ids: Collection[str]) -> np.ndarray:
        allowed = allowed_ids if isinstance(allowed_ids, set | frozenset) else set(allowed_ids)
        return np.fromiter((i in allowed for i in self._ids), dtype=bool, count=len(self._ids))

    def _top(self, scores: np.ndarray, k: int) -> list[tuple[str, float]]:
        candidates = np.flatnonzero(scores > 0)
        if len(candidates) > k:
            candidates = candidates[np.argpartition(-scores[candidates], k - 1)[:k]]
        # Ties break by position so equal scores come back in a stable, reproducible order.
        order = sorted(candidates, key=lambda i: (-scores[i], i))
        return [(self._ids[i], float(scores[i])) for i in order]

    def save(self, path: Path, fingerprint: str) -> None:
        """Write to a sibling temp dir, then swap it in, so a crash never leaves a half index at
        ``path``. Between the two renames ``path`` is briefly absent; ``load`` then returns None and
        the caller rebuilds, which is safe."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=_temp_prefix(path, "tmp"), dir=path.parent))
        try:
            self._write(staging, fingerprint)
            checkpoint("keyword index written, not yet swapped")
            _swap_into_place(staging, path)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise

    def _write(self, directory: Path, fingerprint: str) -> None:
        if self._bm25 is not None:
            self._bm25.save(str(directory / _BM25_DIR), show_progress=False)
        meta = {"format": _FORMAT, "fingerprint": fingerprint, "ids": self._ids}
        (directory / _META_FILE).write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> tuple[KeywordIndex, str] | None:
        """None when absent, unreadable or inconsistent: a bad index must mean "rebuild", never a crash
        or wrong ids."""
        try:
            meta = json.loads((Path(path) / _META_FILE).read_text(encoding="utf-8"))
            if meta["format"] != _FORMAT:
                return None
            ids, fingerprint = list(meta["ids"]), str(meta["fingerprint"])
            bm25 = None
            if ids:
                bm25 = bm25s.BM25.load(str(Path(path) / _BM25_DIR), show_progress=False)
                if int(bm25.scores["num_docs"]) != len(ids):
                    logger.warning("keyword index at %s is inconsistent; it will be rebuilt", path)
                    return None
        except FileNotFoundError:  # not built yet, or between the two renames of a save
            return None
        except (OSError, ValueError, KeyError, TypeError) as error:
            logger.warning("keyword index at %s is unreadable (%r); it will be rebuilt", path, error)
            return None
        return cls(ids, bm25), fingerprint


def remove_stale_temp_dirs(path: Path) -> list[Path]:
    """Delete the temp folders that a killed ``save`` left beside ``path``; return them.

    Each name carries the pid of the process that made it, so a folder of a process still running
    (a server rebuilding its index right now) is left alone. Names without a pid are from before
    pids were recorded, and are stale.
    """
    path = Path(path)
    stale: list[Path] = []
    if not path.parent.is_dir():
        return stale
    pattern = re.compile(rf"^\.{re.escape(path.name)}\.(?:(?:tmp|old)-(\d+)-)?")
    for candidate in path.parent.iterdir():
        match = pattern.match(candidate.name)
        if match and candidate.is_dir() and not _alive(int(match.group(1) or 0)):
            shutil.rmtree(candidate, ignore_errors=True)
            stale.append(candidate)
    return stale


def _alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _temp_prefix(path: Path, kind: str) -> str:
    return f".{path.name}.{kind}-{os.getpid()}-"


def _swap_into_place(staging: Path, path: Path) -> None:
    if not path.exists():
        staging.rename(path)
        return
    retired = Path(tempfile.mkdtemp(prefix=_temp_prefix(path, "old"), dir=path.parent))
    retired.rmdir()
    path.rename(retired)
    checkpoint("keyword index moved aside, new one not yet in place")
    staging.rename(path)
    checkpoint("keyword index swapped, old one not yet deleted")
    shutil.rmtree(retired, ignore_errors=True)
