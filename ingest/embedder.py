"""The embedding model, loaded once and shared by indexing, retrieval, and the support check.

EmbeddingGemma is trained with task prompts: questions get the "query" prompt and passages the
"document" prompt, whose title slot we fill with the document title so a passage carries which
regulation it belongs to. The same object is LangChain's ``Embeddings``; Chroma collections are
opened without an embedding function and given our vectors, so Chroma never falls back to its
default model, which downloads.

The precision can be chosen per CPU at run time (``embedding.dtype = "auto"``): bf16 where the
CPU computes it natively, fp32 elsewhere, because on a CPU without bf16 instructions torch's bf16
matmuls fall back to slow generic kernels (bench/results/ingest.md). Both rank alike, but the
index records which one built it, so a change of precision is never silently mixed into one index.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import torch
from langchain_core.embeddings import Embeddings
from sentence_transformers import SentenceTransformer

from ingest.modelstore import EMBEDDING, require_verified
from settings import Settings

# CPU flags (Linux /proc/cpuinfo names) of hardware bf16 dot products: AVX-512 BF16 (Cooper Lake,
# Sapphire Rapids, AMD Zen 4) and AMX tiles (Sapphire Rapids).
BF16_FLAGS = frozenset({"avx512_bf16", "amx_bf16"})
CPUINFO = Path("/proc/cpuinfo")


def cpu_flags(cpuinfo: Path = CPUINFO) -> frozenset[str]:
    """The first CPU's feature flags; empty where there is no /proc/cpuinfo (then fp32 is chosen)."""
    try:
        text = cpuinfo.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return frozenset()
    line = next((line for line in text.splitlines() if line.startswith("flags")), "")
    return frozenset(line.partition(":")[2].split())


def native_bf16() -> bool:
    """Whether bf16 runs in hardware here: torch hands bf16 matmuls to oneDNN (it does so only from
    AVX-512 up; below, its own fallback kernel ran 6x slower than fp32) and the CPU has bf16 dot
    products. ``ONEDNN_MAX_CPU_ISA=AVX2`` (how bench/ingest.py emulates a CPU without AVX-512)
    makes this False too, so the emulation takes the path such a CPU would."""
    return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported()) and bool(BF16_FLAGS & cpu_flags())


def resolve_dtype(setting: str) -> str:
    """``auto`` becomes the precision this CPU runs fastest; an explicit one is kept."""
    if setting != "auto":
        return setting
    return "bfloat16" if native_bf16() else "float32"


def with_dtype(settings: Settings, dtype: str) -> Settings:
    """``settings`` with the embedding precision forced, to put two paths side by side."""
    return settings.model_copy(update={"embedding": settings.embedding.model_copy(update={"dtype": dtype})})


class Embedder(Embeddings):
    """sentence-transformers on CPU, with the index's notion of model identity."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings.embedding
        self.dtype = resolve_dtype(self._settings.dtype)
        self._model_dir = require_verified(settings.embedding_model_dir, EMBEDDING)
        torch.set_num_threads(self._settings.threads)
        self._workers = ThreadPoolExecutor(self._settings.workers, thread_name_prefix="embedder")

    @cached_property
    def model(self) -> SentenceTransformer:
        # Loaded lazily: ``stats`` and unchanged re-ingests must not pay the ~10 s load.
        dtype = torch.bfloat16 if self.dtype == "bfloat16" else torch.float32
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
        """Identity recorded in the index: the model, and the precision unless it is bf16.

        Every index before the precision was chosen per CPU was built in bf16, so bf16 keeps the
        bare identity those indexes carry; fp32 vectors agree with them (cosine >= 0.99,
        tests/test_embedder.py) but are not mixed into a bf16 index all the same: opening one with
        the other precision is refused (``IndexMismatchError`` names both identities).
        """
        model = f"{self._settings.name}:{EMBEDDING.expected['model.safetensors'][:12]}"
        return model if self.dtype == "bfloat16" else f"{model}:{self.dtype}"

    @staticmethod
    def dtype_of(model_id: str) -> str:
        """The precision an index built by ``model_id`` (as ``model_id`` above writes it) was embedded in."""
        return "float32" if model_id.endswith(":float32") else "bfloat16"

    def count_tokens(self, text: str) -> int:
        # The chunker measures whole sections before splitting them, so texts past the model's
        # 2,048-token limit are expected here; verbose=False keeps transformers from warning about it.
        return len(self.tokenizer(text, add_special_tokens=False, verbose=False)["input_ids"])

    def document_text(self, text: str, title: str) -> str:
        return self._settings.document_prompt.format(title=title or "none") + text

    def embed_passages(self, texts: Sequence[str], titles: Sequence[str]) -> np.ndarray:
        """Embed passages in length-sorted batches (sentence-transformers sorts; padding is waste).

        Identical inputs (same title and text: a law's repeated "(bãi bỏ)" articles, boilerplate
        closing clauses) are embedded once when they meet in one call: ALQAC 2022 repeats 89 of its
        3,102 chunks, the collection none, so this saves up to 3% there and nothing here.
        """
        inputs = [self.document_text(t, title) for t, title in zip(texts, titles, strict=True)]
        unique = list(dict.fromkeys(inputs))
        if len(unique) == len(inputs):
            return self._encode(inputs)
        position = {text: i for i, text in enumerate(unique)}
        return self._encode(unique)[[position[text] for text in inputs]]

    def embed_queries(self, queries: Sequence[str], prompt: str | None = None) -> np.ndarray:
        """Questions with the retrieval "query" prompt, or short texts with another task's prompt
        (the support check compares sentences with the similarity one)."""
        return self._encode(list(queries), prompt=self._settings.query_prompt if prompt is None else prompt)

    # LangChain ``Embeddings`` interface (used by LangChain vector stores and the naive baseline).
    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.embed_passages(texts, [""] * len(texts)).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.embed_queries([text])[0].tolist()
