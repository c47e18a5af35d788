"""Hand-made cases for the metric maths, so a regression shows up as a wrong number, not a vibe."""

from __future__ import annotations

import unicodedata

import pytest

from eval.metrics import (
    SECTION_SEPARATOR,
    aggregate,
    answer_key_coverage,
    chunk_matches_gold,
    citation_precision_recall,
    cited_sentences,
    gold_hit_rank,
    hit_at_k,
    latency_summary,
    mrr_at_k,
    normalize,
    percentile,
    quote_coverage,
    refusal_precision_recall,
    section_contains,
)
from ingest.chunker import PATH_SEPARATOR

SRC = "official/qd-294-2025-thi-hanh-dieu-le.pdf"
QUOTE = "người vào Đảng phải đủ 18 tuổi đến đủ 60 tuổi (tính theo tháng)"


def chunk(text: str, source: str = SRC) -> dict:
    return {"source": source, "text": text}


# ---------------------------------------------------------------- normalize


def test_normalize_nfc_whitespace_casefold() -> None:
    decomposed = unicodedata.normalize("NFD", "Người  vào\nĐẢNG")
    assert normalize(decomposed) == "người vào đảng"


def test_normalize_keeps_diacritics() -> None:
    assert normalize("đảng") != normalize("dang")
    assert normalize("tuổi") != normalize("tuôi")


def test_normalize_unifies_old_and_new_tone_placement() -> None:
    assert normalize("cấp uỷ hoà thuỷ khoá") == normalize("cấp ủy hòa thủy khóa")
    # A vowel with two marks must not be touched: "hoặc" stays "hoặc".
    assert normalize("hoặc") == "hoặc"


def test_normalize_joins_pdf_hyphen_wrap_and_drops_markdown_emphasis() -> None:
    assert normalize("Số 06-\nHD/TW") == normalize("Số 06-HD/TW")
    assert normalize("kinh tế -\nxã hội") == "kinh tế - xã hội"
    assert normalize("ban hành **trước ngày 25/6/2025.**") == "ban hành trước ngày 25/6/2025."


# ---------------------------------------------------------------- matching


def test_chunk_matches_gold_across_pdf_line_wraps() -> None:
    text = "1.1.1. Tại thời điểm chi bộ xét kết nạp, người vào Đảng phải đủ 18 tuổi đến đủ 60 tuổi (tính theo \ntháng)."
    assert chunk_matches_gold(chunk(text), {"source": SRC, "quote": QUOTE})


def test_chunk_from_other_source_never_matches() -> None:
    text = "người vào Đảng phải đủ 18 tuổi đến đủ 60 tuổi (tính theo tháng)"
    assert not chunk_matches_gold(chunk(text, "articles/x.md"), {"source": SRC, "quote": QUOTE})
    assert chunk_matches_gold(chunk(text, "./" + SRC), {"source": SRC, "quote": QUOTE})


def test_section_contains_matches_headings_from_the_root_by_word_boundary() -> None:
    assert SECTION_SEPARATOR == PATH_SEPARATOR  # the paths compared are the chunker's
    assert section_contains("Điều 12", "Điều 12. Tuổi chịu trách nhiệm hình sự")
    assert section_contains("Điều 12", "Điều 12. Tuổi chịu trách nhiệm hình sự > 2.")
    assert section_contains("điều 12. tuổi chịu", "Điều 12. Tuổi chịu trách nhiệm hình sự")
    # A title the chunker clipped still matches its marker.
    assert section_contains("Điều 345", "Điều 345. Tội vi phạm các quy định về bảo vệ… > 1.")
    assert section_contains("Chương II > Điều 4", "Chương II. Đảng viên > Điều 4. Quyền > 1.")
    assert not section_contains("Điều 12", "Điều 120. Tội mua bán người dưới 16 tuổi")
    assert not section_contains("Điều 12", "Điều 13. Phạm tội do dùng rượu")
    assert not section_contains("Điều 12", "Chương I > Điều 12. Tuổi")  # from the root, not anywhere
    assert not section_contains("Chương I > Điều 4", "Chương I")  # above the section, not inside it
    assert not section_contains("Chương I", "Chương II > Điều 4")


def test_gold_with_section_credits_every_chunk_of_it() -> None:
    gold = {"source": SRC, "section": "Điều 3", "quote": "1. Người nào trộm cắp tài sản"}
    inside = {
        "source": SRC,
        "section": "Điều 3. Tội trộm cắp > 4.",
        "text": "4. Phạm tội thuộc một trong các trường hợp",
    }
    assert chunk_matches_gold(inside, gold)
    assert not chunk_matches_gold(inside, {"source": SRC, "quote": gold["quote"]})  # quote alone: opening only
    assert not chunk_matches_gold({**inside, "source": "other.md"}, gold)
    assert not chunk_matches_gold({**inside, "section": "Điều 4. Tội cướp > 4."}, gold)
    # A short article merged into its neighbour's chunk is cited by the neighbour's path: its quote finds it.
    merged = {
        "source": SRC,
        "section": "Điều 2. Tội khác",
        "text": "## Điều 3. Tội trộm cắp\n1. Người nào trộm cắp tài sản",
    }
    assert chunk_matches_gold(merged, gold)
    retrieved = [{**inside, "section": "Điều 4. Tội cướp"}, inside]
    assert gold_hit_rank(retrieved, [gold]) == 2
    assert gold_hit_rank(retrieved, [{"source": SRC, "quote": gold["quote"]}]) is None


def test_gold_hit_rank_whole_quote() -> None:
    retrieved = [chunk("không liên quan"), chunk("xx " + QUOTE + " yy"), chunk(QUOTE)]
    assert gold_hit_rank(retrieved, [{"source": SRC, "quote": QUOTE}]) == 2
    assert gold_hit_rank(retrieved, [{"source": SRC, "quote": QUOTE}], k=1) is None
    assert gold_hit_rank(retrieved, []) is None


def test_quote_spanning_two_chunks_counts_at_the_rank_of_the_second_piece() -> None:
    head, tail = QUOTE[:30], QUOTE[30:]
    retrieved = [
        chunk("1.1.1. Tại thời điểm chi bộ xét kết nạp, " + head),
        chunk("Một đoạn khác hẳn về Huy hiệu Đảng."),
        chunk(tail + " 1.1.2. Việc kết nạp vào Đảng những người trên 60 tuổi"),
    ]
    gold = [{"source": SRC, "quote": QUOTE}]
    # The head alone is under the coverage threshold; head + tail together cover nearly all of it
    # (only the space at the cut is lost, as with real chunk boundaries).
    assert quote_coverage(QUOTE, [retrieved[0]["text"]]) < 0.6
    assert quote_coverage(QUOTE, [retrieved[0]["text"], retrieved[2]["text"]]) > 0.95
    assert gold_hit_rank(retrieved, gold) == 3
    assert gold_hit_rank(retrieved, gold, k=2) is None


def test_split_pieces_from_another_document_do_not_count() -> None:
    head, tail = QUOTE[:30], QUOTE[30:]
    retrieved = [chunk(head), chunk(tail, "articles/other.md")]
    assert gold_hit_rank(retrieved, [{"source": SRC, "quote": QUOTE}]) is None


def test_short_coincidental_overlap_is_ignored() -> None:
    assert quote_coverage(QUOTE, ["người vào"]) == 0.0


def test_hit_and_mrr_math() -> None:
    ranks = [1, 2, None, 4]
    assert hit_at_k(ranks, k=10) == pytest.approx(0.75)
    assert hit_at_k(ranks, k=1) == pytest.approx(0.25)
    assert mrr_at_k(ranks, k=10) == pytest.approx((1 + 0.5 + 0 + 0.25) / 4)
    assert mrr_at_k(ranks, k=3) == pytest.approx((1 + 0.5) / 4)
    assert hit_at_k([], 10) is None and mrr_at_k([], 10) is None


# ---------------------------------------------------------------- citations


def _support(sentence: str, passages: list[str] | tuple[str, ...]) -> bool:
    """Deterministic judge: every token after "@" in the sentence must appear in some passage."""
    needed = {w for w in sentence.split() if w.startswith("@")}
    found = {w for p in passages for w in p.split()}
    return bool(needed) and needed <= found


def test_citation_recall_and_precision_alce_rules() -> None:
    sentences = [
        # Fully supported by its single citation.
        {"sentence": "@a", "passages": ["@a"]},
        # Jointly supported; the third citation is redundant (alone no, removing it changes nothing).
        {"sentence": "@a @b", "passages": ["@a", "@b", "@zzz"]},
        # Unsupported: its citation counts as irrelevant.
        {"sentence": "@c", "passages": ["@d"]},
        # No citation at all: unsupported, contributes no citation.
        {"sentence": "@e", "passages": []},
    ]
    precision, recall = citation_precision_recall(sentences, _support)
    assert recall == pytest.approx(2 / 4)
    assert precision == pytest.approx(3 / 5)


def test_citation_needed_only_jointly_is_relevant() -> None:
    # Neither passage alone supports, but dropping either breaks support: both are relevant.
    precision, recall = citation_precision_recall([{"sentence": "@a @b", "passages": ["@a", "@b"]}], _support)
    assert (precision, recall) == (1.0, 1.0)


def test_citation_scores_undefined_when_empty() -> None:
    assert citation_precision_recall([], _support) == (None, None)
    assert citation_precision_recall([{"sentence": "@a", "passages": []}], _support) == (None, 0.0)


def test_cited_sentences_resolves_markers() -> None:
    citations = [{"n": 1, "text": "@a"}, {"n": 2, "text": "@b"}]
    parsed = cited_sentences("Câu một @a [1]. Câu hai @b [2][9].\n[1]", citations)
    assert [s["passages"] for s in parsed] == [["@a"], ["@b", "@a"]]
    assert parsed[0]["sentence"] == "Câu một @a ."


# ---------------------------------------------------------------- answers, refusals, latency


def test_answer_key_coverage() -> None:
    answer = "Người vào Đảng phải đủ 18 tuổi (tính theo tháng) đến đủ 60 tuổi."
    assert answer_key_coverage(answer, ["18 tuổi", "60 TUỔI"]) == 1.0
    assert answer_key_coverage(answer, ["18 tuổi", "30 ngày làm việc"]) == 0.5
    assert answer_key_coverage(answer, []) is None
    assert answer_key_coverage("cấp uỷ quyết định", ["cấp ủy"]) == 1.0


def test_refusal_precision_recall_positive_class_is_refuse() -> None:
    expected = [True, True, False, False]
    refused = [True, False, True, False]
    assert refusal_precision_recall(expected, refused) == (0.5, 0.5)
    assert refusal_precision_recall([False], [False]) == (None, None)
    with pytest.raises(ValueError):
        refusal_precision_recall([True], [])


def test_latency_percentiles() -> None:
    assert percentile([1, 2, 3, 4], 50) == pytest.approx(2.5)
    assert percentile([10], 95) == 10
    assert percentile([], 50) is None
    records = [{"timings_ms": {"total": 100}}, {"timings_ms": {"retrieve": 50, "generate": 250}}, {}]
    summary = latency_summary(records)
    assert summary["p50_ms"] == pytest.approx(200)
    assert summary["p95_ms"] == pytest.approx(290)


# ---------------------------------------------------------------- aggregate


def _record(qid: str, answer: str, retrieved: list[dict], refused: bool = False, total: float = 100) -> dict:
    return {
        "id": qid,
        "question": "",
        "rewritten_query": "",
        "answer": answer,
        "refused": refused,
        "citations": [{"n": 1, "source": SRC, "text": QUOTE}],
        "retrieved": retrieved,
        "timings_ms": {"total": total},
    }


def test_aggregate_per_category_with_followup_and_refusal() -> None:
    gold = [{"source": SRC, "quote": QUOTE}]
    questions = [
        {"id": "q1", "category": "number", "lang": "vi", "expect": "answer", "gold": gold, "answer_keys": ["18 tuổi"]},
        {
            "id": "q2",
            "category": "followup",
            "lang": "vi",
            "history": ["Người vào Đảng phải bao nhiêu tuổi?"],
            "expect": "answer",
            "gold": gold,
            "answer_keys": ["60 tuổi"],
        },
        {"id": "q3", "category": "not_in_collection", "lang": "en", "expect": "refuse", "gold": [], "answer_keys": []},
        {"id": "q4", "category": "number", "lang": "en", "expect": "answer", "gold": gold, "answer_keys": ["x"]},
    ]
    records = [
        _record("q1", "Đủ 18 tuổi [1].", [chunk("khác"), chunk(QUOTE)]),
        _record("q2", "Không quá 60 tuổi [1].", [chunk(QUOTE)], total=300),
        _record("q3", "Không tìm thấy trong bộ văn bản.", [chunk("khác")], refused=True),
    ]
    rows = {row["category"]: row for row in aggregate(records, questions, by="category", support_fn=_support)}
    assert set(rows) == {"followup", "not_in_collection", "number", "all"}
    assert rows["number"]["n"] == 2 and rows["number"]["missing"] == 1
    assert rows["number"]["hit@10"] == 1.0 and rows["number"]["mrr@10"] == 0.5
    assert rows["followup"]["mrr@10"] == 1.0
    assert rows["followup"]["answer_key_coverage"] == 1.0
    assert rows["not_in_collection"]["n_retrieval"] == 0 and rows["not_in_collection"]["hit@10"] is None
    assert rows["all"]["refusal_precision"] == 1.0 and rows["all"]["refusal_recall"] == 1.0
    assert rows["all"]["p50_ms"] == pytest.approx(100)
    # The judge finds no "@" tokens, so nothing is supported.
    assert rows["all"]["citation_recall"] == 0.0
    by_lang = {row["lang"]: row for row in aggregate(records, questions, by="lang")}
    assert by_lang["en"]["n"] == 2 and "citation_recall" not in by_lang["en"]
