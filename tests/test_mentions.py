"""Document mentions stored at ingest find exactly the chunks the regex scan found (issue 15).

The real subset index (conftest) is the reference: every kind and every number its chunks name,
plus numbers nobody names, is looked up and scanned, and both must give the same chunk ids.
An index stored before mentions were kept is simulated by removing them from a copy's chunks.
"""

from __future__ import annotations

import pytest

from assistant.references import DocRef, canonical_number, mention_pattern, parse_references
from assistant.retrieval import mentions
from ingest.embedder import Embedder
from ingest.index import CHUNKS, ChunkIndex, make_client
from ingest.mentions import KIND_ABBREVIATIONS, MENTIONS, MENTIONS_VERSION_KEY, lookup_keys, mention_keys
from ingest.service import ingest_collection
from settings import Settings


def _ref(kind: str, number: str) -> DocRef:
    return DocRef(kind, number, None, None, f"{kind} {number}", (0, 0))


def _refs_to_check(index: ChunkIndex) -> list[DocRef]:
    """Every kind with every number the chunks name (as the keys saw them) and a few nobody names,
    written with and without leading zeros."""
    texts = [chunk.text for chunk in index.get(sorted(index.ids()))]
    numbers = {key.rsplit(" ", 1)[1] for text in texts for key in mention_keys(text)}
    numbers |= {"0", "007", "99", "4242"}
    return [_ref(kind, number) for kind in KIND_ABBREVIATIONS for number in sorted(numbers)]


def _strip_mentions(settings: Settings) -> None:
    """Make the store look as if ingest had never kept mentions (what an older index holds)."""
    chunks = make_client(settings).get_collection(f"{settings.collection_name}_{CHUNKS}")
    ids = chunks.get(include=[])["ids"]
    chunks.update(ids=ids, metadatas=[{MENTIONS: None, MENTIONS_VERSION_KEY: None}] * len(ids))


def test_lookup_finds_the_chunks_the_regex_finds(subset_settings: Settings, embedder: Embedder) -> None:
    index = ChunkIndex(subset_settings, embedder.model_id)
    assert index.without_mentions() == []
    refs = _refs_to_check(index)
    named = 0
    for ref in refs:
        pattern = mention_pattern(ref)
        assert pattern is not None
        looked_up = index.ids_mentioning(lookup_keys(str(ref.kind), canonical_number(str(ref.number))))
        assert looked_up == index.ids_matching(pattern), ref
        named += bool(looked_up)
    assert named >= 5  # the subset names QĐ 294, Hướng dẫn 26 and others: the check is not vacuous


def test_missing_document_mentions_are_found_by_lookup(subset_settings: Settings, embedder: Embedder) -> None:
    """The acceptance case: seed articles name Hướng dẫn 26, which the collection lacks."""
    index = ChunkIndex(subset_settings, embedder.model_id)
    refs = parse_references("Hướng dẫn 26 nói gì về số dư?")
    found = mentions(index, refs)
    assert found
    assert found == index.ids_matching(str(mention_pattern(refs[0])))
    assert all("26" in chunk.text for chunk in index.get(sorted(found)))


def test_an_index_without_mentions_still_answers_and_ingest_backfills_it(
    tiny_index: Settings, embedder: Embedder
) -> None:
    _strip_mentions(tiny_index)
    old = ChunkIndex(tiny_index, embedder.model_id)
    stored = set(old.ids())
    assert set(old.without_mentions()) == stored
    refs = [_ref("Quy định", "294"), _ref("Hướng dẫn", "26"), _ref("Hướng dẫn", "37"), _ref("Chỉ thị", "99")]
    scanned = {ref: old.ids_matching(str(mention_pattern(ref))) for ref in refs}
    assert any(scanned.values())
    # Reading an old index falls back to the scan and writes nothing.
    assert old.ids_mentioning(["hướng dẫn 26"]) is None
    assert all(mentions(old, [ref]) == scanned[ref] for ref in refs)
    assert set(old.without_mentions()) == stored

    report = ingest_collection(tiny_index, embedder=embedder)
    assert report.chunks_embedded == 0  # backfilled from stored text, nothing embedded again
    healed = ChunkIndex(tiny_index, embedder.model_id)
    assert healed.without_mentions() == []
    for ref in refs:
        keys = lookup_keys(str(ref.kind), canonical_number(str(ref.number)))
        assert healed.ids_mentioning(keys) == scanned[ref]
        assert mentions(healed, [ref]) == scanned[ref]
    # The reader opened before the backfill switches to the lookup once every chunk has mentions.
    assert old.ids_mentioning(["hướng dẫn 26"]) == scanned[refs[1]]


@pytest.mark.parametrize(
    ("text", "keys"),
    [
        ("theo Hướng dẫn số 26-HD/BTCTW", ["hd 26", "hướng dẫn 26"]),
        ("QUY ĐỊNH 0294 của Bộ Chính trị", ["quy định 294"]),
        ("Quyết định 12-QĐ/TW", ["qđ 12", "quyết định 12"]),
        ("Điều 26, khoản 2; 26 ngày", []),
        ("126-HD và hd126", ["hd 126"]),
    ],
)
def test_mention_keys_read_kind_and_number_as_the_pattern_does(text: str, keys: list[str]) -> None:
    assert mention_keys(text) == sorted(keys)
