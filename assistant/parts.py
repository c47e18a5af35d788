"""The parts an ``Assistant`` is assembled from, each a small typed interface.

The shipped assistant uses the defaults. Eval's baselines (``eval/pipelines.py``) pass other parts
(a dense-only or BM25-only retriever, a naive store's search, no follow-up rewrite, no document
references) instead of subclassing the chain, so everything they do not swap is the shipped code.
Parts that depend on what the collection holds are factories: ``Assistant.refresh`` builds them
again over the new keyword index and catalog after an ingest or upload.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from assistant.llm import Generator, make_generator
from assistant.references import CatalogReferences, ReferenceResolver
from assistant.retriever import HybridRetriever, Retriever
from assistant.rewrite import Rewriter, rewrite_followup
from ingest.embedder import Embedder
from ingest.index import ChunkIndex
from ingest.keyword_index import KeywordIndex
from ingest.types import DocumentMeta
from settings import RetrievalSettings, Settings

# Search over the index and its keyword index (``HybridRetriever`` itself is one).
RetrieverFactory = Callable[[Embedder, ChunkIndex, KeywordIndex, RetrievalSettings], Retriever]
# Resolution of the documents a question names, against the catalog (``CatalogReferences``).
ReferencesFactory = Callable[[Sequence[DocumentMeta]], ReferenceResolver]
# The generator and, when it is unavailable, the bilingual reason why (``make_generator``).
GeneratorFactory = Callable[[Settings], tuple[Generator | None, str]]


@dataclass(frozen=True)
class Parts:
    """What the chain is assembled from; the generator factory is called once, on first use."""

    retriever: RetrieverFactory = HybridRetriever
    rewriter: Rewriter = rewrite_followup
    references: ReferencesFactory = CatalogReferences
    generator: GeneratorFactory = make_generator


SHIPPED = Parts()
