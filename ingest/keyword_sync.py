"""Keeps the persisted BM25 index in step with Chroma.

The keyword index is derived data: chunk tokens are stored in Chroma's metadata at ingest time,
so rebuilding BM25 needs no re-segmentation and takes seconds. Its fingerprint covers the chunk
ids and the tokenizer version; when it differs from Chroma's (another process ingested, a Chroma
server was changed elsewhere, or the tokenizer changed), the index is rebuilt rather than trusted.
Chunk ids are content hashes, so a tokenizer change does not re-add chunks: tokens stored by an
older tokenizer are re-segmented from the chunk text here instead.
"""

from __future__ import annotations

import hashlib

from ingest.index import ChunkIndex
from ingest.keyword_index import KeywordIndex
from ingest.settings import Settings
from ingest.vitokens import TOKENIZER_VERSION, segment_many


def ids_fingerprint(ids: list[str]) -> str:
    digest = hashlib.sha256(TOKENIZER_VERSION.encode())
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
    stale = [i for i, meta in enumerate(got["metadatas"]) if meta.get("tokenizer") != TOKENIZER_VERSION]
    if stale:
        texts = index.chunks.get(ids=[got["ids"][i] for i in stale], include=["documents"])
        by_id = dict(zip(texts["ids"], segment_many(texts["documents"] or []), strict=True))
        for i in stale:
            tokens[i] = by_id[got["ids"][i]]
    keyword = KeywordIndex.build(got["ids"], tokens)
    keyword.save(settings.keyword_path, fingerprint)
    return keyword
