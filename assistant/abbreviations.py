"""Abbreviations of Party administrative writing ("KNĐV", "CNĐVCT"), read as the words they stand for.

Guidance written for cell secretaries abbreviates its terms of art: the Hanoi guidance says
"Quyết định CNĐVCT" fourteen times and "công nhận đảng viên chính thức" almost never. A user types
the words, so neither keyword search nor the focus of an answer would find the rule. Each entry is
checked to occur in the collection (tests/test_abbreviations.py), like the glossary's terms.
"""

from __future__ import annotations

import re
import unicodedata

ABBREVIATIONS: dict[str, str] = {
    "KNĐV": "kết nạp đảng viên",
    "CNĐVCT": "công nhận đảng viên chính thức",
    "TĐV": "thẻ đảng viên",
    "TCĐ": "tổ chức đảng",
    "UBKT": "ủy ban kiểm tra",
    "UVBTV": "ủy viên ban thường vụ",
    "BCH": "ban chấp hành",
    "HĐND": "hội đồng nhân dân",
}
_ABBREVIATION = re.compile(rf"(?<!\w)(?:{'|'.join(ABBREVIATIONS)})(?!\w)")
_LONG_FORMS = {
    abbreviation: re.compile(rf"(?<!\w){re.escape(words)}(?!\w)", re.IGNORECASE)
    for abbreviation, words in ABBREVIATIONS.items()
}


def spelt_out(text: str) -> list[str]:
    """The words each abbreviation in ``text`` stands for, in order of appearance, without repeats."""
    found = _ABBREVIATION.findall(unicodedata.normalize("NFC", text))
    return [ABBREVIATIONS[a] for a in dict.fromkeys(found)]


def abbreviated(text: str) -> list[str]:
    """The abbreviations of the terms ``text`` spells out ("công nhận đảng viên chính thức" -> CNĐVCT)."""
    text = unicodedata.normalize("NFC", text).replace("uỷ", "ủy")
    return [abbreviation for abbreviation, words in _LONG_FORMS.items() if words.search(text)]
