"""Heading trees stored at ingest: what the course builder reads instead of chunking again, and the
backfill that gives an index built before trees were stored its trees without embedding anything."""

from __future__ import annotations

from dataclasses import replace

import pytest

from assistant.course.material import load_document
from ingest.chunker import PATH_SEPARATOR, heading_tree
from ingest.embedder import Embedder
from ingest.index import DocumentRecord
from ingest.pipeline import Ingestor
from ingest.service import open_index
from ingest.types import LoadedDocument
from settings import Settings
from tests.conftest import TINY, Ingested


def test_ingest_stores_each_documents_tree_in_the_numbering_of_its_chunks(
    tiny_ingested: Ingested, embedder: Embedder
) -> None:
    index = open_index(tiny_ingested.settings, embedder)[1]
    for source in TINY:
        tree = index.document_headings(source)
        text = index.document_text(source)
        assert tree, source
        assert tree == heading_tree(LoadedDocument(index.records()[source].meta, text, ""))
        assert all(0 <= node.start < node.end <= len(text) for node in tree)
        assert [node.start for node in tree] == sorted(node.start for node in tree)
        paths = {node.path for node in tree}
        for chunk in index.document_chunks(source):
            section = tuple(str(chunk.metadata["section"]).split(PATH_SEPARATOR))
            # A chunk is cited by a node's path, or by the parent of the merged siblings it holds.
            assert any(path[: len(section)] == section for path in paths), (source, section)


def test_a_record_stored_before_trees_reads_as_having_none() -> None:
    stored = DocumentRecord.from_metadata({"source": "a.txt", "chunk_ids": "[]"})  # no "headings" key
    assert stored.headings is None
    assert DocumentRecord.from_metadata(stored.to_metadata()).headings is None
    empty = replace(stored, headings=[])
    assert DocumentRecord.from_metadata(empty.to_metadata()).headings == []


def test_next_ingest_backfills_missing_trees_without_embedding_and_course_says_to_run_it(
    tiny_index: Settings, embedder: Embedder
) -> None:
    _, index = open_index(tiny_index, embedder)
    records = index.records()
    expected = {source: records[source].headings for source in TINY}
    for source, record in records.items():  # as every record of an index built before this change
        index.put_record(replace(record, headings=None), index.document_text(source))
    assert all(index.document_headings(source) is None for source in TINY)

    with pytest.raises(ValueError, match=r"run `app\.py ingest`"):  # the read path refuses; it never writes
        load_document(index, records[TINY[0]].meta)
    assert index.document_headings(TINY[0]) is None

    report = Ingestor(tiny_index, embedder, index).ingest_folder(tiny_index.collection_path)

    assert report.headings_backfilled == len(TINY)
    assert report.files_unchanged == len(TINY) and report.files_updated == 0 and report.chunks_embedded == 0
    assert {source: index.document_headings(source) for source in TINY} == expected
    document = load_document(index, records[TINY[0]].meta)
    assert document.headings == expected[TINY[0]]
    again = Ingestor(tiny_index, embedder, index).ingest_folder(tiny_index.collection_path)
    assert again.headings_backfilled == 0
