"""The systems eval compares, behind one interface: ``answer(question, history) -> ask --json dict``.

Every pipeline is the real ``Assistant`` with parts switched off or swapped, never a re-implementation,
so a difference in the scores can only come from the part that differs:

- ``ours``: the Assistant as shipped (structure-aware chunks, hybrid dense + BM25, follow-up
  rewrite, document references restricting the search).
- ``dense`` / ``bm25``: our chunks and chain with one retriever only and no reference restriction;
  they show what each half of the hybrid (and the references) contributes.
- ``ours-no-prior`` / ``ours-no-stems``: ours with one shipped lever of issue 16 switched off
  (``LEVERS_OFF``), so the ablation rows of ``eval/reports/retrieval-levers/`` can be rerun on any
  question set.
- ``naive``: what a LangChain newcomer builds over the same files and the same embedding model:
  our loaders for the text, ``RecursiveCharacterTextSplitter(1000, 200)``, ``langchain_chroma.Chroma``,
  the top 4 chunks for the raw question (no follow-up rewrite, no references, no BM25).

All four answer with the Assistant's answer stage (extractive or generative) and its refusal rule
(top cosine below ``retrieval.refuse_below``). For ``naive`` that is a deliberate choice: a
newcomer's chain never refuses (its refusal recall would be 0 by construction), whereas applying the
same threshold to its own passages makes its refusal scores measure what its retrieval finds.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Collection, Mapping, Sequence
from functools import partial
from pathlib import Path
from typing import Any, Protocol

from langchain_chroma import Chroma
from langchain_core.documents import Document
from langchain_text_splitters import RecursiveCharacterTextSplitter
from tqdm import tqdm

from assistant.chain import Assistant
from assistant.parts import SHIPPED, Parts
from assistant.references import ReferenceResolver
from assistant.retriever import HybridRetriever, SearchRequest
from assistant.types import Mode, Passage
from ingest.embedder import Embedder
from ingest.hashing import sha256_file
from ingest.loaders import DocumentLoadError, load_document
from ingest.metadata import read_manifest
from ingest.scan import collection_files
from ingest.types import DocumentMeta
from settings import Settings

# Shipped retrieval levers, each switched off by a settings change: ``ours`` without that lever.
LEVERS_OFF: dict[str, dict[str, float | bool]] = {
    "ours-no-prior": {"official_prior": 0.0},
    "ours-no-stems": {"scenario_stems": False},
    "ours-no-local": {"local_penalty": 0.0},
}
PIPELINES = ("naive", "dense", "bm25", "ours", *LEVERS_OFF)
NAIVE_CHUNK_SIZE = 1000
NAIVE_CHUNK_OVERLAP = 200
NAIVE_K = 4
_NAIVE_COLLECTION = "naive"
_NAIVE_MARKER = "built.json"
_NAIVE_BATCH = 256  # chunks per add: large enough for the embedder's length-sorted batches


class Pipeline(Protocol):
    """What the runner needs from a system under test."""

    name: str

    def answer(
        self, question: str, history: Sequence[str], options: Sequence[str] | Mapping[str, str] | None = None
    ) -> dict[str, Any]:
        """The ``ask --json`` object for one question (an exam item when ``options`` are given)."""
        ...


class AssistantPipeline:
    """Adapter from an Assistant to the Pipeline interface; the mode is fixed per run."""

    def __init__(self, name: str, assistant: Assistant, mode: Mode) -> None:
        self.name = name
        self.assistant = assistant
        self.mode = mode

    def answer(
        self, question: str, history: Sequence[str], options: Sequence[str] | Mapping[str, str] | None = None
    ) -> dict[str, Any]:
        return self.assistant.ask(question, history, mode=self.mode, options=options).to_json()


def no_rewrite(question: str, history: Sequence[str]) -> str:
    """The naive baseline's rewriter: the question as asked, whatever came before."""
    return question


def no_references(catalog: Sequence[DocumentMeta]) -> ReferenceResolver:
    """The baselines' resolver: no question names a document, so no search is restricted."""
    return lambda query: []


def pipeline_parts(name: str, settings: Settings, embedder: Embedder) -> Parts:
    """The parts ``name`` swaps: only prepare's references (and rewrite) and the retriever differ;
    retrieval stage, answering, refusal and timings stay the shipped code."""
    if name == "ours" or name in LEVERS_OFF:
        return SHIPPED
    if name == "dense":
        return Parts(retriever=partial(HybridRetriever, use=("dense",)), references=no_references)
    if name == "bm25":
        return Parts(retriever=partial(HybridRetriever, use=("keyword",)), references=no_references)
    if name == "naive":
        naive = NaiveRetriever(open_naive_store(settings, embedder))
        return Parts(retriever=lambda *_: naive, rewriter=no_rewrite, references=no_references)
    raise ValueError(f"unknown pipeline {name!r}; choose from {', '.join(PIPELINES)}")


def make_pipeline(name: str, settings: Settings, embedder: Embedder, mode: Mode) -> Pipeline:
    """Build one of ``PIPELINES`` over the index described by ``settings``."""
    if name in LEVERS_OFF:
        retrieval = settings.retrieval.model_copy(update=LEVERS_OFF[name])
        settings = settings.model_copy(update={"retrieval": retrieval})
    return AssistantPipeline(name, Assistant(settings, embedder, parts=pipeline_parts(name, settings, embedder)), mode)


class NaiveRetriever:
    """Top-k cosine search in the naive Chroma store, returning the Assistant's Passage type.

    Filters are ignored: the naive pipeline has no references that could produce them.
    """

    def __init__(self, store: Chroma, k: int = NAIVE_K) -> None:
        self.store = store
        self.k = k

    def search(self, request: SearchRequest) -> list[Passage]:
        hits = self.store.similarity_search_with_score(request.query, k=self.k)
        return [_passage(doc, distance) for doc, distance in hits]

    def keyword_passages(self, query: str, terms: Sequence[str], within: Collection[str], k: int) -> list[Passage]:
        """None: the naive pipeline has no keyword index to look inside documents with."""
        return []


def _passage(doc: Document, distance: float) -> Passage:
    meta = doc.metadata
    start = int(meta.get("start_index", 0))
    return Passage(
        id=str(doc.id),
        source=str(meta["source"]),
        title=str(meta.get("title", "")),
        number=str(meta.get("number", "")),
        date=str(meta.get("date", "")),
        kind=str(meta.get("kind", "")),
        section="",  # the splitter knows no structure
        text=doc.page_content,
        start=start,
        end=start + len(doc.page_content),
        score=1.0 - float(distance),  # the store uses cosine distance
    )


def naive_store_path(settings: Settings) -> Path:
    """Beside the collection's own index, so each collection gets its naive twin."""
    return settings.data_dir / "naive"


def open_naive_store(settings: Settings, embedder: Embedder) -> Chroma:
    """The persisted naive store, (re)built only when the files, model or splitter changed.

    A marker holding the build fingerprint is written after the last chunk is added, so an
    interrupted build is detected and redone rather than silently searched half-full.
    """
    root = settings.collection_path.resolve()
    files = collection_files(root)
    fingerprint = _naive_fingerprint(root, files, embedder)
    path = naive_store_path(settings)
    marker = path / _NAIVE_MARKER
    if marker.is_file() and json.loads(marker.read_text(encoding="utf-8")).get("fingerprint") == fingerprint:
        return _chroma(path, embedder)
    shutil.rmtree(path, ignore_errors=True)
    store = _chroma(path, embedder)
    chunks = naive_chunks(root, files)
    for start in tqdm(range(0, len(chunks), _NAIVE_BATCH), desc="naive: embedding", unit="batch"):
        batch = chunks[start : start + _NAIVE_BATCH]
        store.add_documents(batch, ids=[_chunk_id(doc) for doc in batch])
    marker.write_text(json.dumps({"fingerprint": fingerprint, "chunks": len(chunks)}), encoding="utf-8")
    return store


def naive_chunks(root: Path, files: Sequence[Path]) -> list[Document]:
    """Each loadable file's whole text split by characters, with the metadata a citation needs."""
    manifest = read_manifest(root)
    splitter = RecursiveCharacterTextSplitter(
        chunk_size=NAIVE_CHUNK_SIZE, chunk_overlap=NAIVE_CHUNK_OVERLAP, add_start_index=True
    )
    documents = []
    for path in files:
        try:
            loaded = load_document(path, root, manifest)
        except DocumentLoadError:
            continue  # the real ingest records these; the baseline simply does without them
        meta = loaded.meta
        documents.append(
            Document(
                page_content=loaded.text,
                metadata={
                    "source": meta.source,
                    "title": meta.title,
                    "number": meta.number,
                    "date": meta.date,
                    "kind": meta.kind,
                },
            )
        )
    return splitter.split_documents(documents)


def _chroma(path: Path, embedder: Embedder) -> Chroma:
    return Chroma(
        collection_name=_NAIVE_COLLECTION,
        embedding_function=embedder,
        persist_directory=str(path),
        collection_metadata={"hnsw:space": "cosine"},
    )


def _chunk_id(doc: Document) -> str:
    key = f"{doc.metadata['source']}\0{doc.metadata['start_index']}\0{doc.page_content}"
    return hashlib.sha256(key.encode()).hexdigest()[:24]


def _naive_fingerprint(root: Path, files: Sequence[Path], embedder: Embedder) -> str:
    spec = {
        "model": embedder.model_id,
        "splitter": [NAIVE_CHUNK_SIZE, NAIVE_CHUNK_OVERLAP],
        "files": [(p.relative_to(root).as_posix(), sha256_file(p)) for p in files],
    }
    return hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()[:16]
