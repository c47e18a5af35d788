"""The chunker on the collection's real structures, measured with the real embedding tokenizer."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from itertools import pairwise
from pathlib import Path

import pytest
from transformers import AutoTokenizer

from ingest.chunker import PATH_SEPARATOR, chunk_document, chunk_id, heading_tree
from ingest.loaders import SUPPORTED_SUFFIXES, load_document
from ingest.metadata import read_manifest
from ingest.types import Chunk, LoadedDocument
from settings import Settings

SETTINGS = Settings()
CORPUS = SETTINGS.collection_path
MAX = SETTINGS.chunking.max_tokens
MIN = SETTINGS.chunking.min_tokens
DEEPEST_POINT = re.compile(r"^\d+\.\d+\.\d+\.\s", re.MULTILINE)
SENTENCE_BREAK = re.compile(r"[.!?…][\"”’)]*\s+[\"“(]?[A-ZĐÀ-Ỹ0-9]")


@pytest.fixture(scope="module")
def count_tokens() -> Callable[[str], int]:
    tokenizer = AutoTokenizer.from_pretrained(SETTINGS.embedding_model_dir)
    return lambda text: len(tokenizer(text, add_special_tokens=False)["input_ids"])


@pytest.fixture(scope="module")
def collection(count_tokens: Callable[[str], int]) -> tuple[dict[str, LoadedDocument], dict[str, list[Chunk]], float]:
    """Every document loaded and chunked once, timed end to end."""
    manifest = read_manifest(CORPUS)
    started = time.perf_counter()
    docs = {
        doc.meta.source: doc
        for doc in (
            load_document(path, CORPUS, manifest)
            for path in sorted(CORPUS.rglob("*"))
            if path.suffix in SUPPORTED_SUFFIXES and path.name != "README.md"
        )
    }
    chunks = {source: chunk_document(doc, count_tokens, MAX, MIN) for source, doc in docs.items()}
    return docs, chunks, time.perf_counter() - started


def chunks_of(collection, source: str) -> list[Chunk]:
    return collection[1][source]


def starting(chunks: list[Chunk], prefix: str) -> Chunk:
    return next(chunk for chunk in chunks if chunk.text.startswith(prefix))


def test_qd_294_point_4_3_1_is_its_own_chunk(collection) -> None:
    chunk = starting(chunks_of(collection, "official/qd-294-2025-thi-hanh-dieu-le.pdf"), "4.3.1.")
    assert chunk.section == "4. Điều 5 > 4.3. (Khoản 3) > 4.3.1."
    assert chunk.text.startswith(
        "4.3.1. Trong thời hạn 45 ngày làm việc kể từ ngày chi bộ có nghị quyết đề nghị kết nạp"
    )
    assert chunk.text.endswith("phải kiểm điểm trách nhiệm trước cấp ủy cấp trên.")  # whole point, nothing of 4.3.2


@pytest.mark.parametrize(
    "source", ["official/qd-294-2025-thi-hanh-dieu-le.pdf", "official/hd-06-2025-thi-hanh-dieu-le.pdf"]
)
def test_every_deepest_point_starts_a_chunk_and_paths_follow_numbering(collection, source: str) -> None:
    doc, chunks = collection[0][source], chunks_of(collection, source)
    starts = {chunk.start for chunk in chunks}
    points = [match.start() for match in DEEPEST_POINT.finditer(doc.text)]
    assert points and all(point in starts for point in points)
    for chunk in chunks:
        number = re.match(r"(\d+(?:\.\d+)*)\.\s", chunk.text)
        if number is None:
            continue
        numbers = number.group(1).split(".")
        markers = [e.split(" ")[0] for e in chunk.section.split(PATH_SEPARATOR)]
        # The path names the point's ancestors in order ("4. …", "4.3. …", "4.3.1."). Merged tiny
        # siblings are cited by their parent (one level up); a heading merged with its first child
        # by that child, whose own line is then in the chunk.
        expected = [".".join(numbers[: i + 1]) + "." for i in range(len(numbers))]
        siblings = markers == expected[:-1] and len(numbers) < 3
        assert siblings or markers[: len(expected)] == expected, chunk.section
        assert all(f"\n{marker} " in f"\n{chunk.text}" for marker in markers[len(expected) :])


def test_heading_tree_is_what_the_chunker_cuts_along(collection) -> None:
    """With no token budget every heading node is a chunk of its own, cited by the node's path: the
    tree ingest stores and the chunks' section paths share one numbering, which course outlines need."""
    for source, doc in collection[0].items():
        tree = heading_tree(doc)
        unbudgeted = chunk_document(doc, lambda _: 0, max_tokens=1, min_tokens=0)
        assert [(PATH_SEPARATOR.join(n.path), n.start, n.end) for n in tree] == [
            (c.section, c.start, c.end) for c in unbudgeted
        ], source
        assert all(a.end < b.start for a, b in pairwise(tree)), source
        for chunk in chunks_of(collection, source):
            section = tuple(chunk.section.split(PATH_SEPARATOR))
            covered = [n.path for n in tree if n.start < chunk.end and chunk.start < n.end]
            assert any(path[: len(section)] == section for path in covered), (source, chunk.section)


def test_hd_06_point_with_lettered_items_stays_whole(collection) -> None:
    chunk = starting(
        chunks_of(collection, "official/hd-06-2025-thi-hanh-dieu-le.pdf"), "3.3. Lý lịch của người vào Đảng"
    )
    assert chunk.section == "3. Thủ tục xem xét kết nạp đảng viên (kể cả kết nạp lại) > 3.3. Lý lịch của người vào Đảng"
    assert "\na) Người vào Đảng tự khai lý lịch" in chunk.text and "\nb) Lý lịch phải được cấp ủy cơ sở" in chunk.text


def test_tiny_siblings_merge_under_their_parent(collection) -> None:
    chunk = starting(chunks_of(collection, "official/qd-294-2025-thi-hanh-dieu-le.pdf"), "2.3. (Khoản 3)")
    assert "\n2.4. Đảng viên được tổ chức đảng bảo vệ quyền, lợi ích hợp pháp, chính đáng." in chunk.text
    assert chunk.section == "2. Điều 3"


def test_dieu_le_chunks_cite_chuong_dieu_khoan(collection) -> None:
    chunks = chunks_of(collection, "official/dieu-le-dang-2011.md")
    first = starting(chunks, "Chương I\nĐẢNG VIÊN\nĐiều 1.\n1. Đảng viên Đảng Cộng sản Việt Nam")
    assert first.section == "Chương I ĐẢNG VIÊN > Điều 1 > 1."
    khoan = starting(chunks, "2. Công dân Việt Nam từ mười tám tuổi trở lên")
    assert khoan.section == "Chương I ĐẢNG VIÊN > Điều 1 > 2."
    last = starting(chunks, "Chương XII\nCHẤP HÀNH ĐIỀU LỆ ĐẢNG\nĐiều 47.")  # two one-line Điều merged
    assert last.section == "Chương XII CHẤP HÀNH ĐIỀU LỆ ĐẢNG" and "\nĐiều 48.\n" in last.text


def test_article_chunks_follow_markdown_headings_and_questions(collection) -> None:
    wiki = chunks_of(collection, "articles/ban-bi-thu-trung-uong-dang-cong-san-viet-nam.md")
    assert wiki[0].section == "Ban Bí thư Trung ương Đảng Cộng sản Việt Nam"  # lead: the title
    assert starting(wiki, "## Lịch sử\n").section == "Lịch sử"
    assert starting(wiki, "### Trung ương\n").section == "Cán bộ thuộc diện quản lý của Ban Bí thư > Trung ương"
    explainer = chunks_of(
        collection,
        "articles/mau-03-hd-kd-dg-quyet-dinh-danh-gia-xep-loai-lai-dang-vien-to-chuc-dang-nam-2025-theo.md",
    )
    question = "Thông báo và sử dụng kết quả đánh giá xếp loại đảng viên ra sao?"
    assert starting(explainer, question).section == question


def test_offsets_ids_and_budget_hold_on_every_collection_document(collection, count_tokens) -> None:
    docs, chunks, seconds = collection
    assert len(docs) == 123
    assert seconds < 60
    for source, doc in docs.items():
        assert chunks[source], source
        assert [c.ordinal for c in chunks[source]] == list(range(len(chunks[source])))
        for chunk in chunks[source]:
            assert chunk.text == doc.text[chunk.start : chunk.end]
            assert chunk.text == chunk.text.strip() and chunk.source == source
            assert chunk.id == chunk_id(source, chunk.section, chunk.text)
            if count_tokens(chunk.text) > MAX:  # only a single over-long sentence may exceed the budget
                assert "\n" not in chunk.text and not SENTENCE_BREAK.search(chunk.text), chunk.text[:200]
    ids = [c.id for cs in chunks.values() for c in cs]
    assert len(ids) == len(set(ids))


def test_oversized_points_split_between_sentences_under_one_path(collection, count_tokens) -> None:
    doc = collection[0]["official/qd-294-2025-thi-hanh-dieu-le.pdf"]
    small = chunk_document(doc, count_tokens, max_tokens=60, min_tokens=10)
    pieces = [c for c in small if c.section == "4. Điều 5 > 4.3. (Khoản 3) > 4.3.1."]
    assert len(pieces) > 1 and pieces[0].text.startswith("4.3.1.")
    assert doc.text[pieces[0].start : pieces[-1].end].endswith("trước cấp ủy cấp trên.")
    for chunk in small:
        assert chunk.text[-1] in '.!?…:;)”"' or doc.text[chunk.end : chunk.end + 1] in ("", "\n"), chunk.text[-80:]
        if count_tokens(chunk.text) > 60:
            assert not SENTENCE_BREAK.search(chunk.text) and "\n" not in chunk.text


def test_chunk_id_is_a_stable_content_hash() -> None:
    a = chunk_id("official/x.pdf", "1. > 1.1.", "Nội dung")
    assert a == chunk_id("official/x.pdf", "1. > 1.1.", "Nội dung") and re.fullmatch(r"[0-9a-f]{32}", a)
    assert (
        a != chunk_id("official/x.pdf", "1. > 1.2.", "Nội dung") != chunk_id("official/y.pdf", "1. > 1.1.", "Nội dung")
    )


def test_sample_pdf_chunks_by_point(count_tokens) -> None:
    data = Path(__file__).parent / "data" / "loaders"
    chunks = chunk_document(load_document(data / "sample.pdf", data), count_tokens)
    assert [c.section for c in chunks] == [
        "4.3. (Khoản 3)",
        "4.3. (Khoản 3) > 4.3.1.",
        "4.3. (Khoản 3) > 4.3.2.",
        "4.4. Trường hợp kết nạp người vào Đảng sai quy định",
    ]
