"""The embedding precision: chosen per CPU, recorded in the index, kept by it, and interchangeable in ranking.

Real model, real Chroma on disk: the other precision re-embeds the TINY documents through the
production pipeline, and its vectors are compared chunk by chunk with the session's index.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from ingest.embedder import Embedder, cpu_flags, resolve_dtype, with_dtype
from ingest.index import ChunkIndex, IndexMismatchError
from ingest.service import ingest_collection, open_index
from settings import REPO_ROOT, Settings
from tests.conftest import TINY, Ingested, make_collection, make_settings

# Measured on 64 real chunks: fp32 against bf16 cosine min 0.996, mean 0.998 (bench/results/ingest.md).
AGREEMENT = 0.99


@pytest.fixture(scope="module")
def other(embedder: Embedder) -> Embedder:
    """The precision this CPU does not pick, so the test changes path whatever the host."""
    return Embedder(with_dtype(Settings(), "float32" if embedder.dtype == "bfloat16" else "bfloat16"))


def test_flags_come_from_cpuinfo_and_an_explicit_precision_is_kept(tmp_path: Path) -> None:
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text("processor\t: 0\nflags\t\t: fpu sse avx2 amx_bf16 avx512_bf16\n\nflags\t: other\n", "utf-8")
    assert cpu_flags(cpuinfo) == {"fpu", "sse", "avx2", "amx_bf16", "avx512_bf16"}
    assert cpu_flags(tmp_path / "absent") == frozenset()
    assert resolve_dtype("float32") == "float32" and resolve_dtype("bfloat16") == "bfloat16"


def test_a_cpu_without_avx512_gets_fp32() -> None:
    """The emulation bench/ingest.py measures with: oneDNN held to AVX2, so torch's slow bf16 fallback."""
    code = "from ingest.embedder import resolve_dtype; print(resolve_dtype('auto'))"
    env = {**os.environ, "ONEDNN_MAX_CPU_ISA": "AVX2"}
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, env=env, capture_output=True, text=True)
    assert out.stdout.strip() == "float32", out.stderr


def test_model_id_names_the_precision_except_bf16(embedder: Embedder, other: Embedder) -> None:
    bf16, fp32 = sorted((embedder, other), key=lambda e: e.dtype)
    assert bf16.dtype == "bfloat16" and ":" in bf16.model_id and not bf16.model_id.endswith("bfloat16")
    assert fp32.model_id == f"{bf16.model_id}:float32"


def test_repeated_passages_are_embedded_once_and_get_the_same_vector(embedder: Embedder) -> None:
    texts = ["Điều 12. (được bãi bỏ)", "Đảng viên phải gương mẫu.", "Điều 12. (được bãi bỏ)"]
    vectors = embedder.embed_passages(texts, ["Luật A", "Luật A", "Luật A"])
    alone = embedder.embed_passages(texts[:2], ["Luật A", "Luật A"])  # no repeat: one pass, as before
    assert vectors.shape == (3, alone.shape[1]) and np.array_equal(vectors[0], vectors[2])
    assert float(np.dot(vectors[1], alone[1])) > 0.999


def test_changed_precision_is_refused_and_a_fresh_index_is_embedded_alike(
    tiny_ingested: Ingested, tiny_index: Settings, tmp_path: Path, embedder: Embedder, other: Embedder
) -> None:
    with pytest.raises(IndexMismatchError) as refused:
        ChunkIndex(tiny_index, other.model_id)
    assert embedder.model_id in str(refused.value) and other.model_id in str(refused.value)

    fresh = make_settings(tmp_path / "fresh", make_collection(tmp_path / "fresh" / "corpus", TINY))
    report = ingest_collection(fresh, embedder=other)
    assert report.files_updated == 2 and report.chunks_embedded == tiny_ingested.report.chunks_embedded

    old, new = (open_index(s, e)[1] for s, e in ((tiny_index, embedder), (fresh, other)))
    assert new.model_id == other.model_id
    ids = sorted(c.id for source in TINY for c in old.document_chunks(source))
    first = {c.id: c.vector for c in old.get(ids, with_vectors=True)}
    second = {c.id: c.vector for c in new.get(ids, with_vectors=True)}
    assert set(first) == set(second) == set(ids)
    cosines = np.array([float(np.dot(first[i], second[i])) for i in ids])
    assert cosines.min() >= AGREEMENT, cosines.min()

    # Under "auto" (the default), each existing index opens in its own precision, whatever this CPU
    # would pick for a new one: a data dir moved between hosts still opens. An explicit other one is refused.
    assert fresh.embedding.dtype == tiny_index.embedding.dtype == "auto"
    assert open_index(fresh)[0].dtype == other.dtype and open_index(tiny_index)[0].dtype == embedder.dtype
    with pytest.raises(IndexMismatchError):
        open_index(with_dtype(fresh, embedder.dtype))
