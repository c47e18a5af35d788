"""Persisted BM25 index over pre-tokenized chunks (tokens come from ``ingest.vitokens``), updated in place.

The index stores only ids, words and counts, never text: Chroma holds the chunks, and fusion
joins the two rankings by chunk id.

It is updated rather than rebuilt. At 100k chunks, rebuilding it from every chunk's tokens took
about half of a one-file re-ingest (29.5 s of 58 s, bench/results/scale.md), and a profile put
most of that in reading every chunk's tokens back from Chroma, the rest in bm25s's per-chunk
Python loops. So the index keeps each chunk's term counts (postings, term by term), and
``updated`` drops the chunks that are gone and adds the new ones: only new chunks' tokens are read
and counted. BM25's statistics are global (every score depends on the chunk count, the mean chunk
length and each term's document frequency), so the scores are recomputed from the counts after
every update, vectorised over the postings. They use bm25s's Lucene variant with its float
precision, step for step, so an updated index scores every chunk exactly as one built from scratch
over the same chunks, and as bm25s would (tests compare all three on real chunks).

Equal scores are ordered by chunk id, not by position: positions differ between an updated index
and a fresh one, and the ranking must not.
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
from functools import cached_property
from pathlib import Path

import numpy as np

from ingest.faults import checkpoint
from ingest.hashing import sha256_file

logger = logging.getLogger(__name__)

_META_FILE = "keyword_meta.json"
_ARRAYS_FILE = "postings.npz"
_FORMAT = 2  # bump when the on-disk layout changes so old indexes are rebuilt rather than misread
K1, B = 1.5, 0.75  # bm25s's defaults, which the weights in settings.retrieval were fitted with
# Postings scored at a time: scoring all 9M of a 100k-chunk index at once held ~200 MB of float64
# temporaries at the first search; a block of 1M holds ~30 MB.
SCORE_BLOCK = 1 << 20


class KeywordIndex:
    """BM25 (Lucene variant, k1=1.5, b=0.75) over chunk ids, kept as postings that can be updated.

    Immutable: ``updated`` returns a new index, so a reader searching the old one is never
    disturbed. Postings are grouped by term (``indptr[t]:indptr[t + 1]`` are term t's), which is
    the layout a query reads; each posting is a chunk's row and its count of the term.
    """

    def __init__(
        self,
        ids: list[str],
        terms: list[str],
        indptr: np.ndarray,
        rows: np.ndarray,
        counts: np.ndarray,
        lengths: np.ndarray,
    ) -> None:
        self._ids = ids
        self._terms = terms
        self._vocab = {term: column for column, term in enumerate(terms)}
        self._indptr = indptr
        self._rows = rows
        self._counts = counts
        self._lengths = lengths

    @classmethod
    def build(cls, ids: Sequence[str], tokens: Sequence[Sequence[str]]) -> KeywordIndex:
        """An index over ``ids``, whose words are ``tokens``: an update of the empty index, so a
        fresh build and an update cannot drift apart."""
        empty = np.zeros(0, dtype=np.int32)
        return cls([], [], np.zeros(1, dtype=np.int64), empty, empty, empty).updated((), ids, tokens)

    def updated(self, removed: Collection[str], ids: Sequence[str], tokens: Sequence[Sequence[str]]) -> KeywordIndex:
        """This index without the chunks ``removed``, with the chunks ``ids`` (words ``tokens``) added.

        Costs a few passes over the postings in numpy, plus a dictionary look-up per added word in
        Python: a small change to a large index is cheap."""
        if len(ids) != len(tokens):
            raise ValueError(f"{len(ids)} ids but {len(tokens)} token lists")
        removed = set(removed)
        if not removed <= set(self._ids):
            raise ValueError(f"{len(removed - set(self._ids))} chunk ids to remove are not in the index")
        keep = np.fromiter((i not in removed for i in self._ids), dtype=bool, count=len(self._ids))
        kept_ids = [i for i in self._ids if i not in removed]
        all_ids = kept_ids + list(ids)
        if len(set(all_ids)) != len(all_ids):
            raise ValueError("chunk ids must be unique: fusion joins rankings by id")

        # Drop the removed chunks' postings and renumber the rows left.
        kept = keep[self._rows]
        rows = (np.cumsum(keep) - 1)[self._rows[kept]].astype(np.int32)
        counts = self._counts[kept]
        kept_before = np.concatenate(([0], np.cumsum(kept)))
        per_term = kept_before[self._indptr[1:]] - kept_before[self._indptr[:-1]]

        # Count the added chunks' words: one (word, chunk) posting per pair, grouped by word as the
        # kept ones are. A word never seen before gets a new column at the end.
        vocab = dict(self._vocab)
        added_lengths = np.fromiter((len(words) for words in tokens), dtype=np.int64, count=len(tokens))
        word_columns = np.fromiter(
            (vocab.setdefault(word, len(vocab)) for words in tokens for word in words),
            dtype=np.int64,
            count=int(added_lengths.sum()),
        )
        terms = list(vocab)
        word_rows = np.repeat(np.arange(len(kept_ids), len(all_ids), dtype=np.int64), added_lengths)
        pairs, pair_counts = np.unique(word_columns * len(all_ids) + word_rows, return_counts=True)
        columns, new_rows = np.divmod(pairs, len(all_ids))
        per_term = np.concatenate((per_term, np.zeros(len(terms) - len(per_term), dtype=per_term.dtype)))
        # Each new posting goes at the end of its word's run of kept postings, so runs stay whole.
        ends = np.concatenate(([0], np.cumsum(per_term)))[columns + 1]
        rows = np.insert(rows, ends, new_rows.astype(np.int32))
        counts = np.insert(counts, ends, pair_counts.astype(np.int32))
        per_term = per_term + np.bincount(columns, minlength=len(terms))

        # Words no chunk has any more leave the vocabulary, as they would be absent from a fresh build.
        live = per_term > 0
        terms = [term for term, alive in zip(terms, live.tolist(), strict=True) if alive]
        indptr = np.concatenate(([0], np.cumsum(per_term[live]))).astype(np.int64)
        lengths = np.concatenate((self._lengths[keep].astype(np.int64), added_lengths))
        return KeywordIndex(all_ids, terms, indptr, rows, counts, lengths)

    @cached_property
    def _scores(self) -> np.ndarray:
        """Every posting's BM25 score, computed as bm25s computes it (Lucene idf in float64 stored
        as float32, the length norm and tf part in float64, the product stored as float32), so the
        scores match a bm25s index over the same chunks bit for bit. At the first search: an index
        loaded only to be updated is never scored."""
        if not len(self._rows):  # no chunks, or none with a word: nothing to score (and no mean length)
            return np.zeros(0, dtype=np.float32)
        df = np.diff(self._indptr)
        n_docs = len(self._ids)
        idf = np.array([_idf(n_docs, d) for d in df.tolist()], dtype=np.float32)
        mean_length = float(self._lengths.sum()) / n_docs
        norm = K1 * ((1 - B) + B * self._lengths.astype(np.float64) / mean_length)
        weights = np.repeat(idf, df)
        scores = np.empty(len(self._rows), dtype=np.float32)
        for start in range(0, len(scores), SCORE_BLOCK):  # float64 temporaries one block at a time
            block = slice(start, start + SCORE_BLOCK)
            tf = self._counts[block].astype(np.float64)
            scores[block] = weights[block] * (tf / (norm[self._rows[block]] + tf))
        return scores

    @property
    def ids(self) -> list[str]:
        return list(self._ids)

    def __len__(self) -> int:
        return len(self._ids)

    def search(
        self, query_tokens: Sequence[str], k: int = 50, allowed_ids: Collection[str] | None = None
    ) -> list[tuple[str, float]]:
        """Best first. Chunks sharing no term with the query are never returned, so an empty list
        means "no keyword evidence" rather than k arbitrary chunks that would pollute fusion."""
        columns = [self._vocab[t] for t in query_tokens if t and t in self._vocab]
        if not columns or k <= 0:
            return []
        # A repeated query word counts each time, and terms are added in query order: as bm25s does.
        scores = np.zeros(len(self._ids), dtype=np.float32)
        for column in columns:
            start, end = self._indptr[column], self._indptr[column + 1]
            scores[self._rows[start:end]] += self._scores[start:end]
        if allowed_ids is not None:
            scores = np.where(self._mask(allowed_ids), scores, 0.0)
        return self._top(scores, k)

    def idf(self, tokens: Sequence[str]) -> dict[str, float]:
        """BM25's weight of each token: rare words weigh most. A syllable the collection never
        uses weighs the most of all (a question about something absent); an unseen compound
        weighs nothing, because its syllables, which the tokenizer also emits, stand for it."""
        if not self._ids:
            return dict.fromkeys(tokens, 1.0)
        n_docs = len(self._ids)
        unseen = _idf(n_docs, 0)  # a word no chunk holds
        weights: dict[str, float] = {}
        for token in tokens:
            column = self._vocab.get(token)
            if column is None:
                weights[token] = 0.0 if "_" in token else unseen
                continue
            weights[token] = _idf(n_docs, int(self._indptr[column + 1] - self._indptr[column]))
        return weights

    def _mask(self, allowed_ids: Collection[str]) -> np.ndarray:
        allowed = allowed_ids if isinstance(allowed_ids, set | frozenset) else set(allowed_ids)
        return np.fromiter((i in allowed for i in self._ids), dtype=bool, count=len(self._ids))

    def _top(self, scores: np.ndarray, k: int) -> list[tuple[str, float]]:
        candidates = np.flatnonzero(scores > 0)
        if len(candidates) > k:
            # Everything scoring at least the k-th best, so ties at the cut are settled by id below.
            kth = np.partition(scores[candidates], len(candidates) - k)[len(candidates) - k]
            candidates = candidates[scores[candidates] >= kth]
        order = sorted(candidates.tolist(), key=lambda i: (-scores[i], self._ids[i]))[:k]
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
        """The arrays, then the meta file with their digest: an update builds on the saved index,
        so a file that does not hold exactly what was written must be caught at ``load``."""
        arrays = directory / _ARRAYS_FILE
        with arrays.open("wb") as handle:
            np.savez(handle, indptr=self._indptr, rows=self._rows, counts=self._counts, lengths=self._lengths)
            handle.flush()
            os.fsync(handle.fileno())
        meta = {
            "format": _FORMAT,
            "fingerprint": fingerprint,
            "sha256": sha256_file(arrays),
            "ids": self._ids,
            "terms": self._terms,
        }
        with (directory / _META_FILE).open("w", encoding="utf-8") as handle:
            handle.write(json.dumps(meta, ensure_ascii=False))
            handle.flush()
            os.fsync(handle.fileno())

    @classmethod
    def load(cls, path: Path) -> tuple[KeywordIndex, str] | None:
        """None when absent, unreadable or inconsistent: a bad index must mean "rebuild", never a crash
        or wrong ids. The next update builds on what this returns, so everything is checked."""
        try:
            meta = json.loads((Path(path) / _META_FILE).read_text(encoding="utf-8"))
            if meta["format"] != _FORMAT:
                return None
            arrays_path = Path(path) / _ARRAYS_FILE
            if sha256_file(arrays_path) != meta["sha256"]:
                logger.warning("keyword index at %s does not match its digest; it will be rebuilt", path)
                return None
            with np.load(arrays_path, allow_pickle=False) as arrays:
                indptr, rows, counts, lengths = (arrays[k] for k in ("indptr", "rows", "counts", "lengths"))
            ids, terms = [str(i) for i in meta["ids"]], [str(t) for t in meta["terms"]]
            if not _consistent(ids, terms, indptr, rows, counts, lengths):
                logger.warning("keyword index at %s is inconsistent; it will be rebuilt", path)
                return None
        except FileNotFoundError:  # not built yet, or between the two renames of a save
            return None
        except (OSError, ValueError, KeyError, TypeError) as error:
            logger.warning("keyword index at %s is unreadable (%r); it will be rebuilt", path, error)
            return None
        return cls(ids, terms, indptr, rows, counts, lengths), str(meta["fingerprint"])


def _idf(n_docs: int, df: int) -> float:
    """Lucene's idf, as bm25s computes it: the weight of a word ``df`` of ``n_docs`` chunks hold."""
    return math.log(1 + (n_docs - df + 0.5) / (df + 0.5))


def _consistent(
    ids: list[str], terms: list[str], indptr: np.ndarray, rows: np.ndarray, counts: np.ndarray, lengths: np.ndarray
) -> bool:
    """Whether loaded arrays fit together: shapes, ranges, and each chunk's length is its counts' sum."""
    if len(set(ids)) != len(ids) or len(set(terms)) != len(terms):
        return False
    if indptr.shape != (len(terms) + 1,) or lengths.shape != (len(ids),) or rows.shape != counts.shape:
        return False
    if indptr[0] != 0 or indptr[-1] != len(rows) or np.any(np.diff(indptr) <= 0):
        return False
    if len(rows) and (rows.min() < 0 or rows.max() >= len(ids) or counts.min() <= 0):
        return False
    return bool(np.array_equal(np.bincount(rows, weights=counts, minlength=len(ids)), lengths))


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
