"""ALQAC conversion: exact behaviour on a hand-made sample, and sanity of the real benchmark."""

from __future__ import annotations

import importlib.util
import json
import re
import unicodedata
from pathlib import Path

import pytest

from eval.alqac import article_quote, convert, law_filename, law_to_markdown
from eval.metrics import normalize

SAMPLE = Path(__file__).resolve().parent / "data" / "alqac"
REAL = Path(__file__).resolve().parent.parent.parent / "shared" / "bench" / "alqac2022"
HEADING = re.compile(r"^## Điều \d+\. ", re.MULTILINE)


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


def test_sample_conversion() -> None:
    laws, questions = _load(SAMPLE)
    files, records = convert(laws, questions)
    assert sorted(files) == ["01-vbhn-vpqh.md", "100-2015-qh13.md"]
    assert [r["id"] for r in records] == ["q-1", "q-2", "q-3", "q-4"]
    for record in records:
        assert set(record) == {"id", "lang", "category", "question", "history", "gold", "answer_keys", "expect"}
        assert (record["lang"], record["expect"], record["answer_keys"], record["history"]) == ("vi", "answer", [], [])
        for gold in record["gold"]:
            # Verbatim: a plain substring of the written Markdown, not only after normalization.
            assert gold["quote"] in files[gold["source"]]
            assert normalize(files[gold["source"]]).count(normalize(gold["quote"])) == 1
    assert [r["category"] for r in records] == ["alqac", "alqac", "number", "alqac"]
    assert records[2]["gold"] == [
        {
            "source": "01-vbhn-vpqh.md",
            "quote": "1. Người từ đủ 16 tuổi trở lên phải chịu trách nhiệm hình sự về mọi tội phạm.\n\n"
            "2. Người từ đủ 14 tuổi đến dưới 16 tuổi",
        }
    ]
    # Articles 2 and 3 open with the same 159 characters: both quotes grow past that to stay unique.
    q1, q2 = records[0]["gold"][0]["quote"], records[1]["gold"][0]["quote"]
    assert len(q1) > 159 and len(q2) > 159 and q1 != q2
    # A title-only article is quoted by its heading.
    assert records[3]["gold"][0]["quote"] == "Điều 4. Mục đích của hình phạt"


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
    assert len(lines) == 4 and json.loads(lines[0])["id"] == "q-1"


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
        for gold in record["gold"]:
            assert normalize(gold["quote"]) in normalized[gold["source"]], record["id"]
