"""The exam set is a trainer's paper (choice and true/false) that answers are scored against, so every key must be real.

Each gold quote is checked against the actual collection document with the dev set's extraction; options pasted into
a stem must be the options the key refers to; and a correct option's numbers must occur in its quote, so a key typed
from memory, or a quote that drifted from its source, fails here.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections import Counter
from pathlib import Path

from assistant.exam import is_meta_option, parse_exam_item
from eval.metrics import normalize
from tests.gold_text import document_text

EXAM = Path(__file__).resolve().parent.parent / "eval" / "questions" / "exam.jsonl"
FIELDS = {"id", "lang", "category", "type", "question", "options", "answer", "gold", "expect"}
CATEGORIES = {"number", "procedure", "fact", "situation", "not_in_collection"}
LETTERS = ("A", "B", "C", "D")
VERDICTS = ("Đúng", "Sai")
TRUE_FALSE_ENDINGS = ("đúng hay sai?", "true or false?")
MAX_QUOTE = 300

# The layouts trainers paste: "A. …", "A) …", "A: …", "a. …", "a) …", one per line or inline.
_MARKER = re.compile(r"(?:^|(?<=\s))([A-Da-d])([.):])\s+", re.MULTILINE)
_NUMBER = re.compile(r"\d+")


def _questions() -> list[dict]:
    with EXAM.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def _choices() -> list[dict]:
    return [q for q in _questions() if q["type"] == "choice"]


def _embedded_options(question: str) -> tuple[list[str], str] | None:
    """The option texts pasted into a stem (read by the product's parser) and their layout."""
    item = parse_exam_item(question)
    if item is None or item.kind != "choice":
        return None
    tail = question[question.index(item.stem) + len(item.stem) :]
    first = _MARKER.search(tail)
    assert first is not None, question
    inline = "\n" not in tail.strip()
    return list(item.options), f"{first.group(1)}{first.group(2)}{' inline' if inline else ''}"


def _is_meta(option: str) -> bool:
    return is_meta_option(option)


def _strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


def test_every_line_parses_with_the_expected_fields() -> None:
    for q in _questions():
        assert set(q) == FIELDS, q["id"]
        assert q["lang"] in {"vi", "en"}, q["id"]
        assert q["category"] in CATEGORIES, q["id"]
        assert q["type"] in {"choice", "true_false"}, q["id"]
        assert q["expect"] in {"answer", "decline"}, q["id"]
        assert isinstance(q["question"], str) and q["question"].strip(), q["id"]
        assert isinstance(q["options"], list), q["id"]
        assert isinstance(q["gold"], list), q["id"]
        assert all(set(g) == {"source", "quote"} for g in q["gold"]), q["id"]


def test_ids_unique_and_set_large_enough() -> None:
    ids = [q["id"] for q in _questions()]
    assert len(ids) == len(set(ids))
    assert all(re.fullmatch(r"exam-\d{3}", i) for i in ids)
    assert len(ids) >= 80


def test_composition() -> None:
    questions = _questions()
    types = Counter(q["type"] for q in questions)
    categories = Counter(q["category"] for q in questions)
    assert types["choice"] >= 44 and types["true_false"] >= 30
    assert categories["situation"] >= 15 and categories["not_in_collection"] >= 8
    assert set(categories) == CATEGORIES
    assert Counter(q["lang"] for q in questions)["en"] >= 8
    answered = [q for q in questions if q["expect"] == "answer"]
    assert len({g["source"] for q in answered for g in q["gold"]}) >= 12


def test_text_is_nfc() -> None:
    for line in EXAM.read_text(encoding="utf-8").splitlines():
        assert unicodedata.is_normalized("NFC", line)
    for q in _questions():
        for text in _strings(q):
            assert text == unicodedata.normalize("NFC", text), q["id"]


def test_options_and_answer_fit_the_type() -> None:
    for q in _questions():
        decline = q["expect"] == "decline"
        if q["type"] == "choice":
            assert len(q["options"]) == 4, q["id"]
            assert all(isinstance(o, str) and o.strip() == o and o for o in q["options"]), q["id"]
            assert len(set(q["options"])) == 4, q["id"]
            assert q["answer"] in LETTERS or (decline and q["answer"] is None), q["id"]
        else:
            assert q["options"] == [], q["id"]
            assert q["answer"] in VERDICTS or (decline and q["answer"] is None), q["id"]
            assert q["question"].casefold().endswith(TRUE_FALSE_ENDINGS), q["id"]


def test_embedded_options_are_the_options_field() -> None:
    choices = _choices()
    layouts = Counter()
    for q in choices:
        embedded = _embedded_options(q["question"])
        if embedded is not None:
            texts, layout = embedded
            assert texts == q["options"], q["id"]
            layouts[layout] += 1
    # Roughly half paste the options, in several of the layouts trainers use.
    assert 0.3 <= sum(layouts.values()) / len(choices) <= 0.7
    assert len(layouts) >= 4, layouts
    for q in _questions():
        if q["type"] == "true_false":
            assert _embedded_options(q["question"]) is None, q["id"]


def test_meta_options_are_keyed_both_ways() -> None:
    with_meta = [q for q in _choices() if any(_is_meta(o) for o in q["options"])]
    assert len(with_meta) >= 6
    keyed = [q for q in with_meta if q["answer"] is not None]
    assert any(_is_meta(q["options"][LETTERS.index(q["answer"])]) for q in keyed)
    assert any(not _is_meta(q["options"][LETTERS.index(q["answer"])]) for q in keyed)
    for q in with_meta:
        # A meta option summarises the others, so it comes last.
        assert _is_meta(q["options"][-1]) and not any(_is_meta(o) for o in q["options"][:-1]), q["id"]


def test_keys_are_balanced() -> None:
    letters = Counter(q["answer"] for q in _choices() if q["answer"] is not None)
    assert all(letters[letter] >= 0.15 * letters.total() for letter in LETTERS), letters
    verdicts = Counter(q["answer"] for q in _questions() if q["type"] == "true_false" and q["answer"] is not None)
    assert 0.4 <= verdicts["Đúng"] / verdicts.total() <= 0.6, verdicts


def test_declines_have_no_gold_and_answers_have_gold() -> None:
    for q in _questions():
        decline = q["expect"] == "decline"
        assert decline == (q["category"] == "not_in_collection"), q["id"]
        if decline:
            assert q["gold"] == [], q["id"]
        else:
            assert q["gold"] and q["answer"] is not None, q["id"]


def test_correct_option_numbers_are_in_the_gold_quote() -> None:
    for q in _choices():
        if q["answer"] is None:
            continue
        option = q["options"][LETTERS.index(q["answer"])]
        if _is_meta(option):
            continue
        quoted = set(_NUMBER.findall(normalize(" ".join(g["quote"] for g in q["gold"]))))
        assert set(_NUMBER.findall(option)) <= quoted, (q["id"], option)


def test_every_gold_quote_is_in_its_source(collection: Path) -> None:
    missing = []
    for q in _questions():
        for gold in q["gold"]:
            assert (collection / gold["source"]).is_file(), gold["source"]
            assert 15 <= len(gold["quote"]) <= MAX_QUOTE, (q["id"], gold["quote"])
            if normalize(gold["quote"]) not in document_text(collection, gold["source"]):
                missing.append((q["id"], gold["source"], gold["quote"]))
    assert not missing, missing
