"""Keeps the persisted BM25 index in step with Chroma.

The keyword index is derived data: chunk tokens are stored in Chroma's metadata at ingest time,
so rebuilding BM25 needs no re-segmentation and takes seconds. Its fingerprint covers the chunk
ids and the tokenizer version; when it differs from Chroma's (another process ingested, a Chroma
server was changed elsewhere, or the tokenizer changed), the index is rebuilt rather than trusted.
Chunk ids are content hashes, so a tokenizer change does not re-add chunks: tokens stored by an
older tokenizer are re-segmented from the chunk text here instead, and stored back, so each
chunk is re-segmented once.
"""

from __future__ import annotations

import hashlib

from ingest.index import ChunkIndex
from ingest.keyword_index import KeywordIndex
from ingest.vitokens import TOKENIZER_VERSION
from settings import Settings


def ids_fingerprint(ids: list[str]) -> str:
    digest = hashlib.sha256(TOKENIZER_VERSION.encode())
    for chunk_id in sorted(ids):
        digest.update(chunk_id.encode())
    return digest.hexdigest()[:32]


def sync_keyword_index(settings: Settings, index: ChunkIndex) -> KeywordIndex:
    """Load the keyword index if it matches Chroma, otherwise rebuild and save it.

    Runs at every start and after every ingest, so the check reads ids only; the per-chunk token
    metadata is fetched just when a rebuild is needed.
    """
    loaded = KeywordIndex.load(settings.keyword_path)
    if loaded and loaded[1] == ids_fingerprint(index.all_chunks(include=())["ids"]):
        return loaded[0]
    got = index.all_chunks(include=("metadatas",))
    tokens = [str(meta.get("tokens", "")).split() for meta in got["metadatas"]]
    stale = [i for i, meta in enumerate(got["metadatas"]) if meta.get("tokenizer") != TOKENIZER_VERSION]
    if stale:
        resegmented = index.resegment([got["ids"][i] for i in stale])
        for i in stale:
            tokens[i] = resegmented[got["ids"][i]]
    keyword = KeywordIndex.build(got["ids"], tokens)
    keyword.save(settings.keyword_path, ids_fingerprint(got["ids"]))
    return keyword
