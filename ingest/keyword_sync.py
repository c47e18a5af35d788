"""Keeps the persisted BM25 index in step with Chroma.

The keyword index is derived data: chunk tokens are stored in Chroma's metadata at ingest time,
so rebuilding BM25 needs no re-segmentation and takes seconds. Its fingerprint is a hash of the
chunk ids it covers; when it differs from Chroma's (another process ingested, or a Chroma server
was changed elsewhere), the index is rebuilt rather than trusted.
"""

from __future__ import annotations

import hashlib

from ingest.index import ChunkIndex
from ingest.keyword_index import KeywordIndex
from ingest.settings import Settings


def ids_fingerprint(ids: list[str]) -> str:
    digest = hashlib.sha256()
    for chunk_id in sorted(ids):
        digest.update(chunk_id.encode())
    return digest.hexdigest()[:32]


def sync_keyword_index(settings: Settings, index: ChunkIndex, force: bool = False) -> KeywordIndex:
    """Load the keyword index if it matches Chroma, otherwise rebuild and save it."""
    got = index.all_chunks(include=("metadatas",))
    fingerprint = ids_fingerprint(got["ids"])
    if not force:
        loaded = KeywordIndex.load(settings.keyword_path)
        if loaded and loaded[1] == fingerprint:
            return loaded[0]
    tokens = [str(meta.get("tokens", "")).split() for meta in got["metadatas"]]
    keyword = KeywordIndex.build(got["ids"], tokens)
    keyword.save(settings.keyword_path, fingerprint)
    return keyword
