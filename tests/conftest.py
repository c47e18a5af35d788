"""Shared fixtures: real models, real Chroma on disk, small real subsets of the collection.

Indexing the whole collection takes minutes on 2 cores, so tests copy a few real documents into
a temporary collection: the ones the acceptance questions need (QĐ 294, the seed articles that
mention Hướng dẫn 26 and số dư) plus small articles for the incremental-ingest cases.
"""

from __future__ import annotations

import csv
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

import ingest  # noqa: F401  - offline mode before any model library loads
from assistant.chain import Assistant
from assistant.support import SupportChecker, checker_for
from ingest.embedder import Embedder
from ingest.types import IngestReport
from settings import Settings

CORPUS = Settings().collection_path

# The subset the retrieval and UI tests index once per session.
SUBSET = (
    "official/qd-294-2025-thi-hanh-dieu-le.pdf",
    "official/kl-221-tw-2025-bo-may-he-thong-chinh-tri-chinh-quyen-2-cap.md",
    "seeds/001_08361227f022f5cb.txt",
    "seeds/002_8c93615bc56bc492.txt",
    "seeds/003_bd0d43a6b8ead280.txt",
    "articles/truong-ban-to-chuc-trung-uong-dang-cong-san-viet-nam.md",
)
# Two small real documents for tests that re-ingest many times.
TINY = (
    "official/hd-37-btgdvtw-2025-ban-tin-sinh-hoat-chi-bo.md",
    "seeds/001_08361227f022f5cb.txt",
)


def make_collection(dest: Path, sources: tuple[str, ...]) -> Path:
    """Copy real documents (writable copies) and their MANIFEST rows into ``dest``."""
    dest.mkdir(parents=True, exist_ok=True)
    for rel in sources:
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(CORPUS / rel, target)
    with (CORPUS / "MANIFEST.tsv").open(encoding="utf-8", newline="") as handle:
        rows = [row for row in csv.DictReader(handle, delimiter="\t") if row["path"] in sources]
    with (dest / "MANIFEST.tsv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), delimiter="\t")
        writer.writeheader()
        writer.writerows(rows)
    return dest


def make_settings(tmp: Path, collection: Path, **overrides: object) -> Settings:
    return Settings(collection_path=collection, data_dir=tmp / "data", **overrides)


def copy_of_index(index_of: Settings, tmp: Path, sources: tuple[str, ...]) -> Settings:
    """Settings over fresh copies of ``sources`` and a private copy of ``index_of``'s index.

    The copy (Chroma store and keyword index) lets a test start from an index the session already
    embedded; the next ingest then embeds only what ``sources`` add and prunes what they drop.
    """
    settings = make_settings(tmp, make_collection(tmp / "corpus", sources))
    shutil.copytree(index_of.data_dir, settings.data_dir)
    return settings


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    """One real EmbeddingGemma for the whole session (loading costs ~10 s)."""
    return Embedder(Settings())


@pytest.fixture(scope="session")
def checker(embedder: Embedder) -> SupportChecker:
    """The support judge production uses with this embedder (one per process, with its cache)."""
    return checker_for(embedder)


@pytest.fixture
def tiny_settings(tmp_path: Path) -> Settings:
    """TINY with an empty index, for tests that ingest from scratch."""
    return make_settings(tmp_path, make_collection(tmp_path / "corpus", TINY))


@dataclass(frozen=True)
class Ingested:
    settings: Settings
    report: IngestReport


@pytest.fixture(scope="session")
def tiny_ingested(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> Ingested:
    """TINY, ingested from scratch once per session. Read it only; ``tiny_index`` is the writable copy."""
    from ingest.service import ingest_collection

    tmp = tmp_path_factory.mktemp("tiny")
    settings = make_settings(tmp, make_collection(tmp / "corpus", TINY))
    return Ingested(settings, ingest_collection(settings, embedder=embedder))


@pytest.fixture
def tiny_index(tmp_path: Path, tiny_ingested: Ingested) -> Settings:
    """A test's own copy of the ingested TINY index, over its own writable copies of the documents."""
    return copy_of_index(tiny_ingested.settings, tmp_path, TINY)


@pytest.fixture(scope="session")
def subset_settings(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> Iterator[Settings]:
    """The subset, ingested once for every test that only reads the index."""
    from ingest.service import ingest_collection

    tmp = tmp_path_factory.mktemp("subset")
    settings = make_settings(tmp, make_collection(tmp / "corpus", SUBSET))
    report = ingest_collection(settings, embedder=embedder)
    assert not report.failures, report.failures
    yield settings


@pytest.fixture(scope="module")
def assistant(subset_settings: Settings, embedder: Embedder) -> Assistant:
    """The real chain over the subset index, one per test module (modules may change its state)."""
    return Assistant(subset_settings, embedder)


@pytest.fixture(scope="session")
def collection() -> Path:
    """The default collection, read in place (``../shared/corpus``): question sets quote it."""
    path = Settings().collection_path
    assert path.is_dir(), f"the collection is missing at {path}"
    return path


def free_port() -> int:
    """A loopback port nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, what: str, seconds: float = 120, process: subprocess.Popen[bytes] | None = None) -> None:
    """Until something accepts connections on the loopback ``port``; fails if ``process`` dies first."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            assert process is None or process.poll() is None, f"{what} exited with {process.returncode}"
            assert time.monotonic() < deadline, f"{what} did not start"
            time.sleep(0.3)


@pytest.fixture
def chroma_server(tmp_path: Path) -> Iterator[str]:
    """A real ``chroma run`` server (the CLI the chromadb package ships) on a free loopback port."""
    port = free_port()
    chroma = Path(sys.executable).parent / "chroma"
    server = subprocess.Popen(
        [str(chroma), "run", "--path", str(tmp_path / "chroma-server"), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port, "chroma server", 60, server)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(timeout=30)
