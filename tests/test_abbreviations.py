"""Abbreviations are read as the words they stand for, and each one is the collection's own."""

from __future__ import annotations

import re
from dataclasses import replace

from assistant.abbreviations import ABBREVIATIONS, abbreviated, spelt_out
from assistant.evidence import Focus, select_units
from ingest.loaders import load_document
from settings import Settings
from tests.test_generative import passage as make_passage


def test_spelt_out_and_abbreviated_are_inverse() -> None:
    assert spelt_out("Quyết định CNĐVCT của cấp ủy; hồ sơ KNĐV; lại CNĐVCT") == [
        "công nhận đảng viên chính thức",
        "kết nạp đảng viên",
    ]
    # Both spellings of "uỷ", any case; a longer word holding the letters is not the abbreviation.
    assert abbreviated("Thời hạn Công nhận đảng viên chính thức, uỷ ban kiểm tra") == ["CNĐVCT", "UBKT"]
    assert spelt_out("BCHTW và KNĐVX") == []


def test_a_unit_abbreviating_the_asked_words_covers_them() -> None:
    text = "Quyết định CNĐVCT của cấp ủy có thẩm quyền: Trong vòng 15 ngày làm việc kể từ ngày chi bộ có nghị quyết."
    passage = replace(make_passage(text, "hanoi.pdf"), score=0.5)
    focus = Focus({"công_nhận": 1.0, "chính_thức": 1.0, "thời_hạn": 0.5})
    selection = select_units("Thời hạn công nhận đảng viên chính thức?", focus, [passage])
    assert selection.best >= 0.8


def test_every_abbreviation_is_written_in_the_collection() -> None:
    root = Settings().collection_path
    official = sorted((root / "official").glob("*"))
    assert official, f"the collection is missing at {root}"
    plain = [*root.rglob("*.md"), *root.rglob("*.txt")]  # articles and seeds, read as they are
    text = "\n".join([*(load_document(path, root).text for path in official), *(p.read_text("utf-8") for p in plain)])
    missing = [a for a in ABBREVIATIONS if not re.search(rf"(?<!\w){a}(?!\w)", text)]
    assert not missing
