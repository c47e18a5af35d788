"""ALQAC conversion: exact behaviour on a small sample (real ALQAC 2022 articles 12-13 of the Penal Code
among hand-made ones, true/false and multiple-choice items in the ALQAC format), article-level
scoring through the real chunker, exam items through the real answerer, and sanity of the real
benchmark."""

from __future__ import annotations

import importlib.util
import json
import re
import unicodedata
from collections.abc import Sequence
from pathlib import Path

import pytest

from assistant.types import Passage
from eval.alqac import article_quote, convert, exam_fields, law_filename, law_to_markdown, quote_level
from eval.metrics import gold_hit_rank, normalize
from ingest.chunker import chunk_document
from ingest.loaders import load_document
from ingest.vitokens import segment

SAMPLE = Path(__file__).resolve().parent / "data" / "alqac"
REAL = Path(__file__).resolve().parent.parent.parent / "shared" / "bench" / "alqac2022"
HEADING = re.compile(r"^## Điều \d+\. ", re.MULTILINE)
BASE_FIELDS = {"id", "lang", "category", "question", "history", "gold", "answer_keys", "expect"}
EXAM_FIELDS = {"type", "options", "answer"}


def _load(directory: Path) -> tuple[list, list]:
    laws = json.loads((directory / "law.json").read_text(encoding="utf-8"))
    questions = json.loads((directory / "question.json").read_text(encoding="utf-8"))
    return laws, questions


def _bench_cli():
    # bench/ is a folder of scripts, not a package; load the CLI the way `python bench/alqac.py` runs.
    path = Path(__file__).resolve().parent.parent / "bench" / "alqac.py"
    spec = importlib.util.spec_from_file_location("bench_alqac", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_file_names_are_slugs_and_never_collide() -> None:
    taken: set[str] = set()
    assert law_filename("91/2015/QH13", taken) == "91-2015-qh13.md"
    assert law_filename("91-2015-QH13", taken) == "91-2015-qh13-2.md"
    assert law_filename("01/VBHN-VPQH", taken) == "01-vbhn-vpqh.md"


def test_markdown_keeps_dieu_headings_and_bodies_verbatim() -> None:
    laws, _ = _load(SAMPLE)
    markdown = law_to_markdown(laws[0], "Bộ luật mẫu")
    assert markdown.startswith("# Bộ luật mẫu\n")
    assert HEADING.findall(markdown) == ["## Điều 1. ", "## Điều 2. ", "## Điều 3. ", "## Điều 4. "]
    assert "## Điều 4. Mục đích của hình phạt\n" in markdown
    assert "Bộ luật này quy định về tội phạm và hình phạt." in markdown
    assert law_to_markdown(laws[1]).startswith("# 01/VBHN-VPQH\n")


def _passages(tmp_path: Path, files: dict[str, str]) -> list[Passage]:
    """The converted laws through the real loader and chunker (words as tokens, a small budget so
    that an article spans several chunks), as retrieved passages."""
    passages = []
    for name, markdown in files.items():
        (tmp_path / name).write_text(markdown, encoding="utf-8")
        doc = load_document(tmp_path / name, tmp_path)
        for c in chunk_document(doc, lambda text: len(text.split()), max_tokens=100):
            passages.append(Passage(c.id, c.source, doc.meta.title, "", "", "", c.section, c.text, c.start, c.end, 0.5))
    return passages


def _retrieved(passage: Passage) -> dict:
    return {"source": passage.source, "section": passage.section, "text": passage.text}


def test_sample_conversion() -> None:
    laws, questions = _load(SAMPLE)
    files, records = convert(laws, questions)
    assert sorted(files) == ["01-vbhn-vpqh.md", "100-2015-qh13.md"]
    assert [r["id"] for r in records] == [f"q-{n}" for n in range(1, 9)]
    for record in records:
        assert set(record) in (BASE_FIELDS, BASE_FIELDS | EXAM_FIELDS)
        assert (record["lang"], record["expect"], record["answer_keys"], record["history"]) == ("vi", "answer", [], [])
        for gold in record["gold"]:
            assert set(gold) == {"source", "section", "quote"}
            assert f"## {gold['section']}. " in files[gold["source"]]
            # Verbatim: a plain substring of the written Markdown, not only after normalization.
            assert gold["quote"] in files[gold["source"]]
            assert normalize(files[gold["source"]]).count(normalize(gold["quote"])) == 1
    categories = [r["category"] for r in records]
    assert categories == ["alqac", "alqac", "number", "alqac", "alqac", "Đúng/Sai", "Trắc nghiệm", "Đúng/Sai"]
    assert records[2]["gold"] == [
        {
            "source": "01-vbhn-vpqh.md",
            "section": "Điều 12",
            "quote": "1. Người từ đủ 16 tuổi trở lên phải chịu trách nhiệm hình sự về mọi tội phạm, trừ những tội "
            "phạm mà Bộ luật này có quy",
        }
    ]
    # Articles 2 and 3 open with the same 159 characters: both quotes grow past that to stay unique.
    q1, q2 = records[0]["gold"][0]["quote"], records[1]["gold"][0]["quote"]
    assert len(q1) > 159 and len(q2) > 159 and q1 != q2
    # A title-only article is quoted by its heading.
    assert records[3]["gold"][0] == {
        "source": "100-2015-qh13.md",
        "section": "Điều 4",
        "quote": "Điều 4. Mục đích của hình phạt",
    }


def test_exam_questions_keep_their_type_choices_and_key() -> None:
    laws, questions = _load(SAMPLE)
    _, records = convert(laws, questions)
    by_id = {r["id"]: r for r in records}
    assert not EXAM_FIELDS & set(by_id["q-3"])  # question_type "number": a free-form answer
    assert {k: by_id["q-6"][k] for k in EXAM_FIELDS} == {"type": "true_false", "options": [], "answer": "Đúng"}
    assert {k: by_id["q-8"][k] for k in EXAM_FIELDS} == {"type": "true_false", "options": [], "answer": "Sai"}
    assert {k: by_id["q-7"][k] for k in EXAM_FIELDS} == {
        "type": "choice",
        "options": [
            "Thuốc chữa bệnh theo đơn của bác sĩ",
            "Rượu, bia hoặc chất kích thích mạnh khác",
            "Nước uống đóng chai",
            "Thực phẩm chức năng",
        ],
        "answer": "B",
    }


def test_exam_fields_read_keys_strictly() -> None:
    choices = {"A": "14 tuổi", "B": "16 tuổi", "C": "18 tuổi"}
    base = {"id": "q-x", "question_type": "Trắc nghiệm", "choices": choices}
    assert exam_fields({**base, "answer": "c."})["answer"] == "C"
    assert exam_fields({**base, "answer": "16 tuổi"})["answer"] == "B"  # a key given as the option's text
    assert exam_fields({**base, "choices": list(choices.values()), "answer": "A"})["options"] == list(choices.values())
    assert exam_fields({"id": "q-x", "question_type": "đúng / sai", "answer": "sai"})["answer"] == "Sai"
    assert exam_fields({"id": "q-x", "question_type": "Tự luận", "answer": "16 tuổi"}) == {}
    assert exam_fields({"id": "q-x", "answer": "16 tuổi"}) == {}
    for bad in (
        {**base, "answer": "D"},
        {**base, "choices": {"A": "x", "C": "y"}, "answer": "A"},
        {**base, "choices": {}, "answer": "A"},
        {"id": "q-x", "question_type": "Đúng/Sai", "answer": "Có"},
    ):
        with pytest.raises(ValueError, match="q-x"):
            exam_fields(bad)


def test_article_level_gold_credits_every_chunk_of_the_article_and_nothing_else(tmp_path: Path) -> None:
    laws, questions = _load(SAMPLE)
    files, records = convert(laws, questions)
    # q-5 (ALQAC 2022 q-47) is answered by clause 2 of Điều 12, the gold; the quote is clause 1's opening.
    record = next(r for r in records if r["id"] == "q-5")
    article, opening = record["gold"], quote_level([record])[0]["gold"]
    assert opening == [{k: v for k, v in article[0].items() if k != "section"}]
    passages = [p for p in _passages(tmp_path, files) if p.source == "01-vbhn-vpqh.md"]
    in_article = [p for p in passages if p.section.startswith("Điều 12.")]
    assert len(in_article) >= 3  # the article spans several chunks
    first, later = in_article[0], in_article[1:]
    assert gold_hit_rank([_retrieved(first)], article) == 1 and gold_hit_rank([_retrieved(first)], opening) == 1
    clause_2 = next(p for p in later if p.text.startswith("2. Người từ đủ 14 tuổi"))
    for passage in later:  # inside the article, not its opening: counted by article only
        assert gold_hit_rank([_retrieved(passage)], article) == 1, passage.section
        assert gold_hit_rank([_retrieved(passage)], opening) is None, passage.section
    next_article = [p for p in passages if p.section.startswith("Điều 13.")]
    assert next_article and all(gold_hit_rank([_retrieved(p)], article) is None for p in next_article)
    title = [p for p in passages if p not in in_article and p not in next_article]
    assert all(gold_hit_rank([_retrieved(p)], article) is None for p in title)
    ranked = [_retrieved(p) for p in (*next_article, clause_2)]
    assert gold_hit_rank(ranked, article) == len(next_article) + 1
    assert gold_hit_rank(ranked, opening) is None


def test_converted_exam_items_are_decided_by_the_exam_answerer(tmp_path: Path) -> None:
    from assistant.exam_answer import decide
    from eval.exam import exam_row, item_of  # loads the assistant's modules (no model)

    laws, questions = _load(SAMPLE)
    files, records = convert(laws, questions)
    passages = _passages(tmp_path, files)

    def search(text: str) -> list[Passage]:  # word overlap stands in for the index
        words = set(segment(text))
        return sorted(passages, key=lambda p: -len(words & set(segment(p.text))))

    def flat(tokens: Sequence[str]) -> dict[str, float]:  # every word weighs the same
        return dict.fromkeys(tokens, 1.0)

    rows = [exam_row(r, decide(item_of(r), search, flat)) for r in records if r.get("type")]
    assert [(r["id"], r["type"], r["answer"], r["choice"]) for r in rows] == [
        ("q-6", "true_false", "Đúng", "Đúng"),
        ("q-7", "choice", "B", "B"),
        ("q-8", "true_false", "Sai", "Sai"),
    ]
    table = _bench_cli().exam_table(rows)
    assert "| choice | 1 | 1.000 (1/1) | 0.000 | – |" in table
    assert "| true_false | 2 | 1.000 (2/2) | 0.000 | – |" in table
    assert "| all | 3 | 1.000 (3/3) | 0.000 | – |" in table
    assert _bench_cli().exam_table([]) == [_bench_cli().NO_EXAM_ITEMS]


def test_summary_scores_by_article_and_by_opening_quote() -> None:
    laws, questions = _load(SAMPLE)
    _, records = convert(laws, questions)
    asked = [r for r in records if r["id"] in ("q-3", "q-5")]
    inside = {"source": "01-vbhn-vpqh.md", "section": "Điều 12. Tuổi chịu trách nhiệm hình sự > 2.", "text": "2. …"}
    other = {"source": "01-vbhn-vpqh.md", "section": "Điều 13. Phạm tội do dùng rượu", "text": "Người phạm tội …"}
    opening = {**inside, "section": "Điều 12. Tuổi chịu trách nhiệm hình sự > 1.", "text": asked[0]["gold"][0]["quote"]}
    results = {"ours": [{"id": "q-3", "retrieved": [opening]}, {"id": "q-5", "retrieved": [other, inside]}]}
    table = _bench_cli().retrieval_table(results, asked)
    assert table[2] == "| ours | article | 2 | 0.500 | 1.000 | 1.000 | 1.000 | 0.750 |"
    assert table[3] == "| ours | opening quote | 2 | 0.500 | 0.500 | 0.500 | 0.500 | 0.500 |"


def test_short_quote_is_cut_at_a_word_boundary() -> None:
    article = {"id": "9", "text": "Tiêu đề\n\n" + " ".join(["từngữ"] * 60)}
    quote = article_quote(article, normalize("khác hẳn"))
    assert len(quote) <= 120 and quote.endswith("từngữ")


def test_unknown_article_reference_is_an_error() -> None:
    laws, _ = _load(SAMPLE)
    bad = [{"id": "q-x", "text": "?", "relevant_articles": [{"law_id": "100/2015/QH13", "article_id": "99"}]}]
    with pytest.raises(ValueError, match="q-x"):
        convert(laws, bad)


def test_cli_writes_collection_and_questions(tmp_path: Path) -> None:
    assert _bench_cli().main(["convert", "--src", str(SAMPLE), "--out", str(tmp_path)]) == 0
    assert sorted(p.name for p in (tmp_path / "collection").iterdir()) == ["01-vbhn-vpqh.md", "100-2015-qh13.md"]
    lines = (tmp_path / "questions.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 8 and json.loads(lines[0])["id"] == "q-1"


def test_real_alqac_2022_conversion(tmp_path: Path) -> None:
    n_docs, n_questions = _bench_cli().run_convert(REAL / "law.json", REAL / "question.json", tmp_path)
    assert (n_docs, n_questions) == (4, 520)
    texts = {p.name: p.read_text(encoding="utf-8") for p in (tmp_path / "collection").iterdir()}
    assert len(texts) == 4
    assert sum(len(HEADING.findall(t)) for t in texts.values()) == 1377
    normalized = {name: normalize(text) for name, text in texts.items()}
    records = [json.loads(line) for line in (tmp_path / "questions.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(records) == 520 and len({r["id"] for r in records}) == 520
    for record in records:
        assert unicodedata.is_normalized("NFC", record["question"])
        assert len(record["gold"]) >= 1
        # ALQAC 2022 has no question_type: free-form answers only, no exam items.
        assert set(record) == BASE_FIELDS, record["id"]
        for gold in record["gold"]:
            assert normalize(gold["quote"]) in normalized[gold["source"]], record["id"]
            assert re.fullmatch(r"Điều \d+", gold["section"]) and f"## {gold['section']}. " in texts[gold["source"]]
