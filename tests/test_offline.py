"""Proof that ingestion and a query open no network connection.

Every outgoing ``connect`` on an IP socket is recorded and refused for the duration of the test;
Unix sockets (used by nothing here, but legitimate) are let through. The model is loaded inside
the guard, so a library that phones home on load would be caught too.
"""

from __future__ import annotations

import socket

import pytest

from ingest.embedder import Embedder
from ingest.pipeline import Ingestor
from ingest.service import open_index
from settings import Settings


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    attempts: list[object] = []
    real_connect = socket.socket.connect

    def guarded(self: socket.socket, address: object) -> None:
        if self.family in (socket.AF_INET, socket.AF_INET6):
            attempts.append(address)
            raise OSError(f"network access attempted: {address}")
        real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)
    monkeypatch.setattr(socket.socket, "connect_ex", lambda self, address: guarded(self, address) or 0)
    monkeypatch.setattr(socket, "getaddrinfo", lambda *a, **k: attempts.append(a) or [])
    return attempts


def test_ingest_and_query_open_no_connection(tiny_settings: Settings, no_network: list[object]) -> None:
    embedder = Embedder(tiny_settings)  # fresh: the model loads under the guard
    embedder, index = open_index(tiny_settings, embedder)
    report = Ingestor(tiny_settings, embedder, index).ingest_folder(tiny_settings.collection_path)
    hits = index.query(embedder.embed_queries(["số dư cấp ủy"])[0], 2)

    assert report.chunks_embedded > 0 and hits
    assert no_network == [], f"connections attempted: {no_network}"


def test_guard_really_catches_a_connection(no_network: list[object]) -> None:
    """Without this, a guard that silently failed to patch would make the test above vacuous."""
    with pytest.raises(OSError), socket.socket() as sock:
        sock.connect(("127.0.0.1", 9))
    assert no_network == [("127.0.0.1", 9)]
