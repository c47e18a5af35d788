"""Keeps the persisted BM25 index in step with Chroma, and reads it without writing.

The keyword index is derived data: chunk tokens are stored in Chroma's metadata at ingest time,
so rebuilding BM25 needs no re-segmentation and takes seconds. Its fingerprint covers the chunk
ids and the tokenizer version; when it differs from Chroma's (another process ingested, a Chroma
server was changed elsewhere, or the tokenizer changed), the index is rebuilt rather than trusted.

Two entry points, because only ingest may write:

- ``sync_keyword_index`` (ingest, or an explicit call): rebuilds and saves a stale index. Chunk ids
  are content hashes, so a tokenizer change does not re-add chunks: tokens stored by an older
  tokenizer are re-segmented from the chunk text and stored back, so each chunk is re-segmented once.
- ``load_keyword_index`` (every reader: the assistant, benchmarks): a stale index is rebuilt in
  memory only, with older tokens re-segmented in memory. Opening the assistant must not write the
  data dir: another process may be ingesting into it, and a reader may not own it.

A reader that stays up (a serving ``Assistant``) holds a ``KeywordReader``, which keeps what it
built: after a change elsewhere (another server's upload into a shared Chroma server, this process's
background indexing) it reloads the saved file if that matches Chroma again, else rebuilds in
memory, and when the chunk ids are what it holds already it does neither. So every process's BM25
covers exactly the chunks Chroma has, whichever process wrote them and whichever data dir's file
is out of date; the file is only a start-up cache, written by whoever ingests into that data dir.
"""

from __future__ import annotations

import hashlib
import logging

from ingest.index import ChunkIndex
from ingest.keyword_index import KeywordIndex
from ingest.vitokens import TOKENIZER_VERSION, segment_many
from settings import Settings

logger = logging.getLogger(__name__)


def ids_fingerprint(ids: list[str]) -> str:
    digest = hashlib.sha256(TOKENIZER_VERSION.encode())
    for chunk_id in sorted(ids):
        digest.update(chunk_id.encode())
    return digest.hexdigest()[:32]


def load_keyword_index(settings: Settings, index: ChunkIndex) -> KeywordIndex:
    """The saved keyword index if it matches Chroma, else one built in memory; never writes."""
    return KeywordReader(settings, index).current()


class KeywordReader:
    """One reader's keyword index, kept in step with the chunks in Chroma without writing anything."""

    def __init__(self, settings: Settings, index: ChunkIndex) -> None:
        self.settings = settings
        self.index = index
        self._held: tuple[KeywordIndex, str] | None = None  # the index and the fingerprint it covers

    def current(self) -> KeywordIndex:
        """The index over Chroma's chunks now: the one held if the ids did not change, else the saved
        file if it matches, else one built in memory (the ids are read once either way)."""
        fingerprint = ids_fingerprint(self.index.all_chunks(include=())["ids"])
        if self._held is not None and self._held[1] == fingerprint:
            return self._held[0]
        loaded = KeywordIndex.load(self.settings.keyword_path)
        if loaded and loaded[1] == fingerprint:
            self._held = loaded
        else:
            logger.info("keyword index at %s is stale or missing: rebuilt in memory", self.settings.keyword_path)
            # The build's own fingerprint: chunks written since the ids were read are in it.
            self._held = _build(self.index, store_tokens=False)
        return self._held[0]


def sync_keyword_index(settings: Settings, index: ChunkIndex) -> KeywordIndex:
    """Load the keyword index if it matches Chroma, otherwise rebuild and save it (a writer's call).

    Runs after every ingest, so the check reads ids only; the per-chunk token metadata is fetched
    just when a rebuild is needed.
    """
    saved = _saved(settings, index)
    if saved is not None:
        return saved
    keyword, fingerprint = _build(index, store_tokens=True)
    keyword.save(settings.keyword_path, fingerprint)
    return keyword


def _saved(settings: Settings, index: ChunkIndex) -> KeywordIndex | None:
    """The saved index when its fingerprint matches the chunks in Chroma."""
    loaded = KeywordIndex.load(settings.keyword_path)
    if loaded and loaded[1] == ids_fingerprint(index.all_chunks(include=())["ids"]):
        return loaded[0]
    return None


def _build(index: ChunkIndex, store_tokens: bool) -> tuple[KeywordIndex, str]:
    """BM25 over every chunk's stored tokens, and its fingerprint. Tokens an older tokenizer stored
    are re-segmented from the chunk text; ``store_tokens`` also writes them back to Chroma."""
    got = index.all_chunks(include=("metadatas",))
    ids: list[str] = got["ids"]
    tokens = [str(meta.get("tokens", "")).split() for meta in got["metadatas"]]
    stale = [i for i, meta in enumerate(got["metadatas"]) if meta.get("tokenizer") != TOKENIZER_VERSION]
    if stale:
        stale_ids = [ids[i] for i in stale]
        if store_tokens:
            resegmented = index.resegment(stale_ids)
        else:
            chunks = index.get(stale_ids)
            resegmented = dict(zip([c.id for c in chunks], segment_many([c.text for c in chunks]), strict=True))
        for i in stale:
            tokens[i] = resegmented[ids[i]]
    return KeywordIndex.build(ids, tokens), ids_fingerprint(ids)
