"""The dev question set is data other work is scored against, so its gold must be provably real.

Every gold quote is checked against the actual collection document; a quote that drifted from its
source would silently turn a retrieval hit into a miss.
"""

from __future__ import annotations

import json
import unicodedata
from collections import Counter
from pathlib import Path

from eval.metrics import normalize
from tests.gold_text import document_text

DEV = Path(__file__).resolve().parent.parent / "eval" / "questions" / "dev.jsonl"
CATEGORIES = {
    "fact",
    "number",
    "procedure",
    "situation",
    "reference",
    "cross_document",
    "not_in_collection",
    "followup",
}
FIELDS = {"id", "lang", "category", "question", "history", "gold", "answer_keys", "expect"}


def _questions() -> list[dict]:
    with DEV.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def test_every_line_parses_with_the_expected_fields() -> None:
    for question in _questions():
        assert set(question) == FIELDS, question["id"]
        assert question["lang"] in {"vi", "en"}
        assert question["category"] in CATEGORIES
        assert question["expect"] in {"answer", "refuse"}
        assert isinstance(question["history"], list)
        assert all(isinstance(turn, str) and turn for turn in question["history"])
        assert all(set(g) == {"source", "quote"} for g in question["gold"])


def test_ids_unique_and_set_large_enough() -> None:
    ids = [q["id"] for q in _questions()]
    assert len(ids) == len(set(ids))
    assert len(ids) >= 90


def test_language_and_category_mix() -> None:
    questions = _questions()
    langs = Counter(q["lang"] for q in questions)
    assert langs["en"] / len(questions) >= 0.30
    assert langs["vi"] / len(questions) >= 0.50
    assert {q["category"] for q in questions} == CATEGORIES


def test_text_is_nfc() -> None:
    for line in DEV.read_text(encoding="utf-8").splitlines():
        assert unicodedata.is_normalized("NFC", line)


def test_refusals_have_no_gold_and_answers_have_gold() -> None:
    for question in _questions():
        refuse = question["expect"] == "refuse"
        assert refuse == (question["category"] == "not_in_collection"), question["id"]
        if refuse:
            assert question["gold"] == [] and question["answer_keys"] == [], question["id"]
        else:
            assert question["gold"], question["id"]
            assert 1 <= len(question["answer_keys"]) <= 3, question["id"]


def test_category_specific_shape() -> None:
    for question in _questions():
        if question["category"] == "followup":
            assert question["history"], question["id"]
        if question["category"] == "cross_document":
            assert len({g["source"] for g in question["gold"]}) >= 2, question["id"]


def test_every_gold_quote_is_in_its_source(collection: Path) -> None:
    missing = []
    for question in _questions():
        for gold in question["gold"]:
            assert (collection / gold["source"]).is_file(), gold["source"]
            assert 20 <= len(gold["quote"]) <= 200, (question["id"], gold["quote"])
            if normalize(gold["quote"]) not in document_text(collection, gold["source"]):
                missing.append((question["id"], gold["source"], gold["quote"]))
    assert not missing, missing
