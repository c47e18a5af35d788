"""The embedding model, loaded once and shared by indexing, retrieval, and the support check.

EmbeddingGemma is trained with task prompts: questions get the "query" prompt and passages the
"document" prompt, whose title slot we fill with the document title so a passage carries which
regulation it belongs to. The same object is LangChain's ``Embeddings``; Chroma collections are
opened without an embedding function and given our vectors, so Chroma never falls back to its
default model, which downloads.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import cached_property
from typing import Any

import numpy as np
import torch
from langchain_core.embeddings import Embeddings
from sentence_transformers import SentenceTransformer

from ingest.modelstore import EMBEDDING, require_verified
from settings import Settings


class Embedder(Embeddings):
    """sentence-transformers on CPU, with the index's notion of model identity."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings.embedding
        self._model_dir = require_verified(settings.embedding_model_dir, EMBEDDING)
        torch.set_num_threads(self._settings.threads)
        self._workers = ThreadPoolExecutor(self._settings.workers, thread_name_prefix="embedder")

    @cached_property
    def model(self) -> SentenceTransformer:
        # Loaded lazily: ``stats`` and unchanged re-ingests must not pay the ~10 s load.
        dtype = torch.bfloat16 if self._settings.dtype == "bfloat16" else torch.float32
        return SentenceTransformer(
            str(self._model_dir),
            device="cpu",
            local_files_only=True,
            model_kwargs={"torch_dtype": dtype},
        )

    @cached_property
    def tokenizer(self) -> Any:
        # The tokenizer alone loads in about a second, so chunking need not load the model.
        from transformers import AutoTokenizer

        return AutoTokenizer.from_pretrained(str(self._model_dir), local_files_only=True)

    def _encode(self, inputs: list[str], **options: Any) -> np.ndarray:
        """Every model call runs on the embedder's own threads, whichever thread asks: memory then
        stays bounded by ``embedding.workers``, not by the caller's thread pool."""
        call = self._workers.submit(
            self.model.encode,
            inputs,
            batch_size=self._settings.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
            **options,
        )
        return call.result().astype(np.float32)

    @property
    def model_id(self) -> str:
        """Identity recorded in the index: vectors from another model are not comparable."""
        return f"{self._settings.name}:{EMBEDDING.expected['model.safetensors'][:12]}"

    def count_tokens(self, text: str) -> int:
        # The chunker measures whole sections before splitting them, so texts past the model's
        # 2,048-token limit are expected here; verbose=False keeps transformers from warning about it.
        return len(self.tokenizer(text, add_special_tokens=False, verbose=False)["input_ids"])

    def document_text(self, text: str, title: str) -> str:
        return self._settings.document_prompt.format(title=title or "none") + text

    def embed_passages(self, texts: Sequence[str], titles: Sequence[str]) -> np.ndarray:
        """Embed passages in length-sorted batches (sentence-transformers sorts; padding is waste)."""
        inputs = [self.document_text(t, title) for t, title in zip(texts, titles, strict=True)]
        return self._encode(inputs)

    def embed_queries(self, queries: Sequence[str], prompt: str | None = None) -> np.ndarray:
        """Questions with the retrieval "query" prompt, or short texts with another task's prompt
        (the support check compares sentences with the similarity one)."""
        return self._encode(list(queries), prompt=self._settings.query_prompt if prompt is None else prompt)

    # LangChain ``Embeddings`` interface (used by LangChain vector stores and the naive baseline).
    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.embed_passages(texts, [""] * len(texts)).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.embed_queries([text])[0].tolist()
