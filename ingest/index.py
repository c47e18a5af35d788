"""The Chroma index: one collection of chunk vectors, one of document records.

Document records (a tiny 1-d placeholder vector each, never searched) hold what incremental
ingestion needs — the file's sha256, the pipeline fingerprint, the ids of its current chunks,
its failure reason if any — the document's clean text, so the UI can show a passage in context,
and its heading tree, so a course outline reads the structure ingest found instead of chunking
again. Keeping that state inside Chroma rather than in a side file means a Chroma server
deployment (``chroma_url``) behaves exactly like the embedded ``PersistentClient`` one.

A third collection, staging, holds embedded chunks of files not yet committed. It is never
searched, so a file's new chunks can be stored window by window (a crash keeps that work) while
queries see only whole documents; ``promote`` copies them into the searched collection when the
file's last window is in.

A fourth, state, holds one record: the change marker (``generation``), a fresh random stamp written
by every write that changes what search or the catalog sees (created by the first such write, so
opening a store never writes). Every process serving from this store (a second ``app.py serve`` on
the same Chroma server, or this one's background indexing) compares it with the stamp it last read,
one read by id, to know when to refresh.

This module is the only code that speaks Chroma: callers get named operations (``query``, ``ids``,
``document_chunks``, ``ids_mentioning``, ``ids_matching``, ``get``) with plain results, and the
translation of search restrictions into ``where`` clauses lives here. The collections themselves are private, so the
embedded store and a Chroma server stay interchangeable behind one seam. That seam is why this stays
one module (~400 lines): split, Chroma would be spoken in two places; what it stores without
speaking Chroma (document records, chunk mentions) lives in ``ingest.records`` and ``ingest.mentions``.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlparse

import chromadb
import numpy as np
from chromadb.api import ClientAPI
from chromadb.api.models.Collection import Collection
from chromadb.api.types import Where
from chromadb.config import Settings as ChromaSettings
from chromadb.errors import NotFoundError

from ingest.faults import checkpoint
from ingest.mentions import MENTIONS, MENTIONS_VERSION, MENTIONS_VERSION_KEY, mention_metadata
from ingest.records import DocumentRecord, headings_json
from ingest.types import Chunk, DocumentMeta, HeadingNode, year_of
from ingest.vitokens import TOKENIZER_VERSION, segment_many
from settings import Settings

CHUNKS = "chunks"
DOCUMENTS = "documents"
STAGING = "staging"
STATE = "state"
_GENERATION = "generation"  # the one record of the state collection
_BATCH = 500  # Chroma's add/get limits are far higher; this keeps memory and request sizes modest.


class IndexMismatchError(RuntimeError):
    """The index was built by another embedding model: its vectors are not comparable."""


class ChunkFilters(Protocol):
    """Restrictions on which chunks a search may return; ``assistant.types.Filters`` is one.

    A protocol rather than an import, so ingestion never depends on the assistant. An empty list
    means "any"; the lists of one restriction are alternatives, restrictions are combined with AND.
    """

    @property
    def sources(self) -> Sequence[str]: ...

    @property
    def kinds(self) -> Sequence[str]: ...

    @property
    def years(self) -> Sequence[int]: ...


@dataclass(frozen=True)
class StoredChunk:
    """A chunk as the index holds it: its text, its flat metadata (``chunk_metadata``) and, when
    asked for, its vector (float32, unit length, so a dot product with a query vector is the cosine)."""

    id: str
    text: str
    metadata: Mapping[str, Any]
    vector: np.ndarray | None = None


def make_client(settings: Settings) -> ClientAPI:
    """Embedded store by default; a Chroma server when ``chroma_url`` is set."""
    chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    if settings.chroma_url:
        url = urlparse(settings.chroma_url)
        return chromadb.HttpClient(
            host=url.hostname or "127.0.0.1",
            port=url.port or 8000,
            ssl=url.scheme == "https",
            settings=chroma_settings,
        )
    settings.chroma_path.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(settings.chroma_path), settings=chroma_settings)


def recorded_model(settings: Settings, client: ClientAPI) -> str | None:
    """The embedding model id an existing index records; None before the first ingest."""
    try:
        chunks = client.get_collection(f"{settings.collection_name}_{CHUNKS}", embedding_function=None)
    except NotFoundError:
        return None
    return (chunks.metadata or {}).get("embedding_model")


class ChunkIndex:
    """Chunk vectors plus document records, guarded by the embedding model's identity."""

    def __init__(self, settings: Settings, model_id: str, client: ClientAPI | None = None) -> None:
        self.model_id = model_id
        self._client = client or make_client(settings)
        prefix = settings.collection_name
        # embedding_function=None: we always pass vectors, so Chroma never embeds anything itself.
        # Private: every use of a collection goes through a method of this class.
        self._chunks: Collection = self._client.get_or_create_collection(
            f"{prefix}_{CHUNKS}",
            metadata={"embedding_model": model_id, "hnsw:space": "cosine"},
            embedding_function=None,
        )
        self._documents: Collection = self._client.get_or_create_collection(
            f"{prefix}_{DOCUMENTS}", embedding_function=None
        )
        self._staging: Collection = self._client.get_or_create_collection(
            f"{prefix}_{STAGING}",
            metadata={"embedding_model": model_id, "hnsw:space": "cosine"},
            embedding_function=None,
        )
        self._state_name = f"{prefix}_{STATE}"
        self._state: Collection | None = None  # created by the first write, so opening never writes
        self._mentions_complete = False  # once True, stays so: every chunk written since has its mentions
        built_with = (self._chunks.metadata or {}).get("embedding_model")
        if built_with != model_id:
            raise IndexMismatchError(
                f"Chỉ mục được tạo bằng mô hình {built_with}, không phải {model_id}. "
                f"/ The index was built with embedding model {built_with}, not {model_id}. "
                f"Dùng thư mục dữ liệu khác hoặc xóa chỉ mục rồi nạp lại / Use another data_dir, or "
                f"delete the index ({prefix}) and ingest again."
            )

    # --- change marker ----------------------------------------------------------------------
    def generation(self) -> str:
        """The change marker: equal to an earlier reading when nothing searchable changed since
        ("" for a store no ingest has written to). Random stamps, not a counter: two writers never
        need to read before they write, so no bump can be lost between processes."""
        if self._state is None:
            try:
                self._state = self._client.get_collection(self._state_name, embedding_function=None)
            except NotFoundError:
                return ""
        metas = self._state.get(ids=[_GENERATION], include=["metadatas"])["metadatas"] or []
        return str(metas[0].get("stamp", "")) if metas else ""

    def _changed(self) -> None:
        if self._state is None:
            self._state = self._client.get_or_create_collection(self._state_name, embedding_function=None)
        self._state.upsert(ids=[_GENERATION], embeddings=[[1.0]], metadatas=[{"stamp": uuid.uuid4().hex}])

    # --- document records -------------------------------------------------------------------
    def records(self, origin: str | None = None, official: bool = False) -> dict[str, DocumentRecord]:
        """Every document's record, or only those of one ``origin`` ("upload") or only official ones
        (any kind but "article"): the retriever, rebuilt on every refresh, needs the few uploads and
        the issuers of official documents, not thousands of records with their trees."""
        clauses: list[Where] = [{"origin": origin}] if origin else []
        clauses += [{"kind": {"$ne": "article"}}] if official else []
        where: Where | None = clauses[0] if len(clauses) == 1 else {"$and": clauses} if clauses else None
        got = self._documents.get(where=where, include=["metadatas"])
        return {str(meta["source"]): DocumentRecord.from_metadata(dict(meta)) for meta in got["metadatas"] or []}

    def document_text(self, source: str) -> str:
        got = self._documents.get(ids=[source], include=["documents"])
        docs = got["documents"] or []
        return docs[0] if docs else ""

    def document_headings(self, source: str) -> list[HeadingNode] | None:
        """``source``'s heading tree as ingest stored it; None when its record predates stored trees
        (or there is no record), which ``app.py ingest`` repairs without embedding anything."""
        got = self._documents.get(ids=[source], include=["metadatas"])
        metas = got["metadatas"] or []
        return DocumentRecord.from_metadata(dict(metas[0])).headings if metas else None

    def store_headings(self, source: str, headings: list[HeadingNode]) -> None:
        """Give an existing record its heading tree, leaving its text and everything else alone."""
        self._documents.update(ids=[source], metadatas=[{"headings": headings_json(headings)}])

    def put_record(self, record: DocumentRecord, text: str) -> None:
        self._documents.upsert(
            ids=[record.meta.source],
            embeddings=[[1.0]],
            metadatas=[record.to_metadata()],
            documents=[text],
        )
        self._changed()

    def delete_record(self, record: DocumentRecord) -> None:
        """Record first: a crash in between leaves ownerless chunks, which the next ingest removes,
        never a record whose chunks are gone."""
        self._documents.delete(ids=[record.meta.source])
        self._changed()
        checkpoint("record deleted, chunks not yet")
        self.delete_chunks(record.chunk_ids)

    # --- chunks -------------------------------------------------------------------------------
    def existing_ids(self, ids: Sequence[str]) -> set[str]:
        return _existing(self._chunks, ids)

    def stage_chunks(
        self,
        chunks: Sequence[Chunk],
        vectors: np.ndarray,
        meta: DocumentMeta,
        tokens: Sequence[str],
    ) -> None:
        """Keep embedded chunks out of search until their whole file is in (see ``promote``)."""
        _upsert(
            self._staging, chunks, vectors, [chunk_metadata(c, meta, t) for c, t in zip(chunks, tokens, strict=True)]
        )

    def staged_ids(self, ids: Sequence[str]) -> set[str]:
        return _existing(self._staging, ids)

    def promote(self, chunks: Sequence[Chunk], meta: DocumentMeta) -> None:
        """Copy staged chunks into the searched collection, with metadata from ``meta`` as it is now.

        Vectors and tokens are reused; metadata is rebuilt because the manifest may have changed
        since an interrupted run staged them.
        """
        for start in range(0, len(chunks), _BATCH):
            part = chunks[start : start + _BATCH]
            got = self._staging.get(ids=[c.id for c in part], include=["embeddings", "metadatas"])
            staged = dict(zip(got["ids"], zip(got["embeddings"], got["metadatas"], strict=True), strict=True))
            missing = [c.id for c in part if c.id not in staged]
            if missing:
                raise RuntimeError(f"chunks not staged before promotion: {missing[:3]}")
            _upsert(
                self._chunks,
                part,
                np.asarray([staged[c.id][0] for c in part], dtype=np.float32),
                [chunk_metadata(c, meta, str(staged[c.id][1].get("tokens", ""))) for c in part],
            )

    def unstage(self, ids: Iterable[str]) -> None:
        for batch in _batches(list(ids)):
            self._staging.delete(ids=batch)

    def staged_sources(self) -> dict[str, str]:
        """Staged chunk id -> source, to clear what an interrupted run left for files now gone."""
        got = self._staging.get(include=["metadatas"])
        return {i: str(m.get("source", "")) for i, m in zip(got["ids"], got["metadatas"] or [], strict=True)}

    def delete_chunks(self, ids: Iterable[str]) -> None:
        batches = list(_batches(list(ids)))
        for batch in batches:
            self._chunks.delete(ids=batch)
        if batches:
            self._changed()

    def count(self) -> int:
        return self._chunks.count()

    # --- search and lookup ----------------------------------------------------------------------
    def query(self, vector: np.ndarray, k: int, filters: ChunkFilters | None = None) -> dict[str, float]:
        """The ``k`` chunks nearest ``vector`` within ``filters``: id -> cosine, nearest first.

        Cosines, not Chroma's distances, so callers never depend on the space the collection was
        created with (cosine: distance = 1 - cosine).
        """
        got = self._chunks.query(query_embeddings=[vector], n_results=k, where=_where(filters), include=["distances"])
        distances = got["distances"][0] if got["distances"] else []
        return {chunk_id: 1.0 - float(d) for chunk_id, d in zip(got["ids"][0], distances, strict=True)}

    def ids(self, filters: ChunkFilters | None = None) -> set[str]:
        """Ids of every chunk within ``filters`` (all chunks when unrestricted), so a search that
        ranks outside Chroma (BM25) can be held to the same restrictions as the dense one."""
        return set(self._chunks.get(where=_where(filters), include=[])["ids"])

    def ids_matching(self, pattern: str) -> set[str]:
        """Ids of the chunks whose text matches ``pattern`` (Rust regex syntax), searched over every
        chunk rather than ranked ones, so a passage naming a document is found whatever its score."""
        return set(self._chunks.get(where_document={"$regex": pattern}, include=[])["ids"])

    def ids_mentioning(self, keys: Sequence[str]) -> set[str] | None:
        """Ids of the chunks that name any of ``keys`` (``ingest.mentions``), looked up rather than
        scanned; None while some chunk predates stored mentions (``app.py ingest`` backfills them,
        this read path never writes), and the caller must use ``ids_matching``."""
        if not self._mentions_complete:
            self._mentions_complete = not self.without_mentions(limit=1)
            if not self._mentions_complete:
                return None
        clauses: list[dict[str, Any]] = [{MENTIONS: {"$contains": key}} for key in dict.fromkeys(keys)]
        if not clauses:
            return set()
        where = clauses[0] if len(clauses) == 1 else {"$or": clauses}
        return set(self._chunks.get(where=where, include=[])["ids"])

    def without_mentions(self, limit: int | None = None) -> list[str]:
        """Chunks whose mentions this version of ``ingest.mentions`` has not stored yet."""
        where = {MENTIONS_VERSION_KEY: {"$ne": MENTIONS_VERSION}}
        return list(self._chunks.get(where=where, limit=limit, include=[])["ids"])

    def store_mentions(self, ids: Sequence[str]) -> None:
        """Find the mentions of chunks ``ids`` in their stored text and store them, nothing else."""
        for batch in _batches(list(ids)):
            got = self._chunks.get(ids=batch, include=["documents"])
            texts = got["documents"] or []
            self._chunks.update(ids=got["ids"], metadatas=[mention_metadata(t, clear=True) for t in texts])

    def document_chunks(self, source: str) -> list[StoredChunk]:
        """Every stored chunk of ``source`` in document order (by start offset), for work that must
        see a whole document rather than what a query ranks (course outlines)."""
        got = self._chunks.get(where={"source": source}, include=["metadatas", "documents"])
        chunks = [
            StoredChunk(chunk_id, text, meta)
            for chunk_id, meta, text in zip(got["ids"], got["metadatas"] or [], got["documents"] or [], strict=True)
        ]
        return sorted(chunks, key=lambda c: int(c.metadata.get("start", 0)))

    def get(self, ids: Sequence[str], with_vectors: bool = False) -> list[StoredChunk]:
        """The chunks ``ids`` name, in that order; ids not in the index are left out.

        ``with_vectors`` also returns each stored vector, so a candidate found only by keyword can be
        scored against the query without embedding its text again.
        """
        include: list[Any] = ["metadatas", "documents", *(["embeddings"] if with_vectors else [])]
        found: dict[str, StoredChunk] = {}
        for batch in _batches(list(dict.fromkeys(ids))):
            got = self._chunks.get(ids=batch, include=include)
            vectors = got["embeddings"] if with_vectors else [None] * len(got["ids"])
            for chunk_id, meta, text, vector in zip(
                got["ids"], got["metadatas"] or [], got["documents"] or [], vectors, strict=True
            ):
                array = None if vector is None else np.asarray(vector, dtype=np.float32)
                found[chunk_id] = StoredChunk(chunk_id, text, meta, array)
        return [found[chunk_id] for chunk_id in ids if chunk_id in found]

    # --- keyword tokens -------------------------------------------------------------------------
    def resegment(self, ids: Sequence[str]) -> dict[str, list[str]]:
        """Re-tokenize chunks stored by an older tokenizer and store the new tokens with them."""
        result: dict[str, list[str]] = {}
        for batch in _batches(list(ids)):
            got = self._chunks.get(ids=batch, include=["documents"])
            tokens = dict(zip(got["ids"], segment_many(got["documents"] or []), strict=True))
            self.store_tokens(tokens)
            result.update(tokens)
        return result

    def store_tokens(self, tokens: Mapping[str, Sequence[str]], tokenizer: str = TOKENIZER_VERSION) -> None:
        """Store chunks' segmented words with the tokenizer version that produced them, which is how
        the keyword index tells tokens it can use from ones an older tokenizer left."""
        ids = list(tokens)
        for batch in _batches(ids):
            self._chunks.update(
                ids=batch, metadatas=[{"tokens": " ".join(tokens[i]), "tokenizer": tokenizer} for i in batch]
            )

    def stored_tokens(self, ids: Sequence[str]) -> dict[str, list[str] | None]:
        """The words ingest stored with chunks ``ids``, or None for a chunk whose words an older
        tokenizer stored (``resegment`` replaces them); ids not in the index are left out. Metadata
        only, by id: the keyword index reads just the chunks it lacks, not every chunk's words."""
        found: dict[str, list[str] | None] = {}
        for batch in _batches(list(ids)):
            got = self._chunks.get(ids=batch, include=["metadatas"])
            for chunk_id, meta in zip(got["ids"], got["metadatas"] or [], strict=True):
                current = meta.get("tokenizer") == TOKENIZER_VERSION
                found[chunk_id] = str(meta.get("tokens", "")).split() if current else None
        return found

    def all_chunks(self, include: Sequence[str] = ("metadatas",)) -> dict[str, Any]:
        """Every chunk, paged: for tests and benchmarks that look at the whole index."""
        total = self._chunks.count()
        merged: dict[str, list[Any]] = {"ids": [], **{key: [] for key in include}}
        for offset in range(0, total, 2000):
            got = self._chunks.get(limit=2000, offset=offset, include=list(include))
            merged["ids"].extend(got["ids"])
            for key in include:
                merged[key].extend(got[key] or [])
        return merged


def chunk_metadata(chunk: Chunk, meta: DocumentMeta, tokens: str) -> dict[str, Any]:
    return {
        "source": chunk.source,
        "section": chunk.section,
        "start": chunk.start,
        "end": chunk.end,
        "ordinal": chunk.ordinal,
        "title": meta.title,
        "number": meta.number,
        "kind": meta.kind,
        "date": meta.date,
        "year": year_of(meta.date),
        "tokens": tokens,
        "tokenizer": TOKENIZER_VERSION,
        **mention_metadata(chunk.text),
    }


def _where(filters: ChunkFilters | None) -> dict[str, Any] | None:
    """Restrictions as a Chroma ``where`` clause (None when unrestricted).

    Years are compared as ints because ``chunk_metadata`` stores them so.
    """
    if filters is None:
        return None
    clauses: list[dict[str, Any]] = []
    if filters.sources:
        clauses.append({"source": {"$in": list(filters.sources)}})
    if filters.kinds:
        clauses.append({"kind": {"$in": list(filters.kinds)}})
    if filters.years:
        clauses.append({"year": {"$in": [int(y) for y in filters.years]}})
    if not clauses:
        return None
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}


def _upsert(collection: Collection, chunks: Sequence[Chunk], vectors: np.ndarray, metadatas: list[Any]) -> None:
    for start in range(0, len(chunks), _BATCH):
        part = chunks[start : start + _BATCH]
        collection.upsert(
            ids=[c.id for c in part],
            embeddings=vectors[start : start + _BATCH],
            documents=[c.text for c in part],
            metadatas=metadatas[start : start + _BATCH],
        )


def _existing(collection: Collection, ids: Sequence[str]) -> set[str]:
    found: set[str] = set()
    for batch in _batches(list(ids)):
        found.update(collection.get(ids=batch, include=[])["ids"])
    return found


def _batches(items: list[str], size: int = _BATCH) -> Iterable[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
