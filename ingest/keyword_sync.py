"""Keeps the persisted BM25 index in step with Chroma, and reads it without writing.

The keyword index is derived data: chunk tokens are stored in Chroma's metadata at ingest time, so
the index needs no re-segmentation. Its fingerprint covers the chunk ids and the tokenizer version;
when it differs from Chroma's (another process ingested, a Chroma server was changed elsewhere, or
the tokenizer changed), the index is brought up to date rather than trusted.

Bringing it up to date is an update, not a rebuild (``KeywordIndex.updated``): the chunks Chroma no
longer has are dropped and only the chunks it lacks have their tokens read, so re-ingesting one file
into 100k chunks reads that file's chunks, not all 100k. The starting point must be an index this
tokenizer built over exactly the ids it lists, which its own fingerprint proves (it was computed
with the tokenizer of its day, so an older tokenizer's index no longer matches it); otherwise, or
when the saved file is missing, torn or inconsistent (``KeywordIndex.load``), it starts from empty,
which is the full rebuild. Chunk ids are content hashes of their text, so one id always has the
same tokens under one tokenizer, and the ids are all an update needs to know what changed.

Two entry points, because only ingest may write:

- ``sync_keyword_index`` (ingest, or an explicit call): updates and saves a stale index. A tokenizer
  change does not re-add chunks: tokens stored by an older tokenizer are re-segmented from the
  chunk text and stored back, so each chunk is re-segmented once.
- ``load_keyword_index`` (every reader: the assistant, benchmarks): a stale index is updated in
  memory only, with older tokens re-segmented in memory. Opening the assistant must not write the
  data dir: another process may be ingesting into it, and a reader may not own it.

A reader that stays up (a serving ``Assistant``) holds a ``KeywordReader``, which keeps what it
built: after a change elsewhere (another server's upload into a shared Chroma server, this process's
background indexing) it takes the saved file if that matches Chroma again, else updates whichever of
the held index and the saved file is closer to Chroma, in memory; when the chunk ids are what it
holds already it does neither. So every process's BM25 covers exactly the chunks Chroma has,
whichever process wrote them and whichever data dir's file is out of date; the file is only a
start-up cache and the base of the next update, written by whoever ingests into that data dir.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Collection, Iterable

from ingest.index import ChunkIndex
from ingest.keyword_index import KeywordIndex
from ingest.vitokens import TOKENIZER_VERSION, segment_many
from settings import Settings

logger = logging.getLogger(__name__)

Fingerprinted = tuple[KeywordIndex, str]  # an index and the fingerprint it was saved or built with


def ids_fingerprint(ids: Iterable[str]) -> str:
    digest = hashlib.sha256(TOKENIZER_VERSION.encode())
    for chunk_id in sorted(ids):
        digest.update(chunk_id.encode())
    return digest.hexdigest()[:32]


def load_keyword_index(settings: Settings, index: ChunkIndex) -> KeywordIndex:
    """The saved keyword index if it matches Chroma, else one updated in memory; never writes."""
    return KeywordReader(settings, index).current()


class KeywordReader:
    """One reader's keyword index, kept in step with the chunks in Chroma without writing anything."""

    def __init__(self, settings: Settings, index: ChunkIndex) -> None:
        self.settings = settings
        self.index = index
        self._held: Fingerprinted | None = None

    def current(self) -> KeywordIndex:
        """The index over Chroma's chunks now: the one held if the ids did not change, else the saved
        file if it matches, else the closer of the two updated in memory (the ids are read once)."""
        ids = self.index.ids()
        fingerprint = ids_fingerprint(ids)
        if self._held is not None and self._held[1] == fingerprint:
            return self._held[0]
        loaded = KeywordIndex.load(self.settings.keyword_path)
        if loaded and loaded[1] == fingerprint:
            self._held = loaded
        else:
            logger.info("keyword index at %s is stale or missing: updated in memory", self.settings.keyword_path)
            keyword = _brought_up_to(ids, [self._held, loaded], self.index, store_tokens=False)
            # Its own fingerprint: a chunk deleted since the ids were read is not in it.
            self._held = keyword, ids_fingerprint(keyword.ids)
        return self._held[0]


def sync_keyword_index(settings: Settings, index: ChunkIndex) -> KeywordIndex:
    """Load the keyword index if it matches Chroma, otherwise update and save it (a writer's call).

    Runs after every ingest, so the check reads ids only; token metadata is read just for the
    chunks the saved index lacks.
    """
    ids = index.ids()
    loaded = KeywordIndex.load(settings.keyword_path)
    if loaded and loaded[1] == ids_fingerprint(ids):
        return loaded[0]
    keyword = _brought_up_to(ids, [loaded], index, store_tokens=True)
    keyword.save(settings.keyword_path, ids_fingerprint(keyword.ids))
    return keyword


def _brought_up_to(
    ids: Collection[str], candidates: Iterable[Fingerprinted | None], index: ChunkIndex, store_tokens: bool
) -> KeywordIndex:
    """The index over ``ids``, updated from the usable candidate that differs from them least (from
    empty when none is usable). Chunks deleted from Chroma since ``ids`` were read are left out."""
    wanted = set(ids)
    usable = [keyword for keyword, saved in filter(None, candidates) if ids_fingerprint(keyword.ids) == saved]
    empty = KeywordIndex.build([], [])
    base = min(usable, key=lambda keyword: len(wanted.symmetric_difference(keyword.ids)), default=empty)
    have = set(base.ids)
    tokens = _tokens(index, sorted(wanted - have), store_tokens)
    return base.updated(have - wanted, list(tokens), list(tokens.values()))


def _tokens(index: ChunkIndex, ids: list[str], store_tokens: bool) -> dict[str, list[str]]:
    """The stored tokens of chunks ``ids``; tokens an older tokenizer stored are re-segmented from
    the chunk text, and ``store_tokens`` also writes them back to Chroma. A chunk deleted meanwhile
    is left out."""
    stored = index.stored_tokens(ids)
    tokens = {chunk_id: words for chunk_id, words in stored.items() if words is not None}
    stale = [chunk_id for chunk_id, words in stored.items() if words is None]
    if stale and store_tokens:
        tokens.update(index.resegment(stale))
    elif stale:
        chunks = index.get(stale)
        tokens.update(zip([c.id for c in chunks], segment_many([c.text for c in chunks]), strict=True))
    return tokens
