"""Exam items: recognise a pasted multiple-choice or true/false question and take it apart.

Trainers paste items as they appear on paper: a stem, then options "A. …" "B) …" "c: …" on their
own lines or run together on one line, or a statement ending "đúng hay sai?" / "true or false?".
A question that merely contains a list ("Quy trình gồm: a) … b) … c) …, đúng không?") is not an
item: options must start at A, run in order without gaps, share one marker style and close the
text, and the stem must say something before them.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

LETTERS = ("A", "B", "C", "D", "E")
VERDICTS = ("Đúng", "Sai")
MIN_OPTIONS = 3
MAX_OPTION_CHARS = 400

# One option marker: a letter, then ".", ")" or ":", at a line start or after a space.
_MARKER = re.compile(r"(?:^|(?<=\s))([A-Ea-e])([.):])\s+", re.MULTILINE)
_TRUE_FALSE = re.compile(r"(?:đúng\s*(?:hay|hoặc|/)\s*sai|true\s*(?:or|/)\s*false)\s*\??\s*$", re.IGNORECASE)


# Options about the other options: "Cả 3 đáp án trên đều đúng", "Tất cả các ý trên", "Không có đáp
# án nào đúng", "A và B đúng", "All of the above".
_META = re.compile(
    r"^(?:cả\b|tất cả\b|không có\b.*\bnào\b|[a-e] và [a-e]\b|all of the above|none of the above)", re.IGNORECASE
)


def is_meta_option(option: str) -> bool:
    """Whether an option speaks of the other options rather than of the rule."""
    return bool(_META.match(unicodedata.normalize("NFC", option).strip()))


@dataclass(frozen=True)
class ExamItem:
    """A stem and its options in A–E order; no options for a true/false statement."""

    stem: str
    options: tuple[str, ...] = ()

    @property
    def kind(self) -> Literal["choice", "true_false"]:
        return "choice" if self.options else "true_false"

    @property
    def letters(self) -> tuple[str, ...]:
        return LETTERS[: len(self.options)]


def parse_exam_item(text: str) -> ExamItem | None:
    """The exam item in ``text``, or None for an ordinary question."""
    text = unicodedata.normalize("NFC", text).strip()
    choice = _pasted_options(text)
    if choice is not None:
        return choice
    if _TRUE_FALSE.search(text):
        stem = _TRUE_FALSE.sub("", text).rstrip(" .,:;-–")
        return ExamItem(stem) if stem else None
    return None


def exam_item(stem: str, options: Sequence[str] | Mapping[str, str]) -> ExamItem:
    """An item given as fields (``ask --options``, a question file's ``options``): a list in A–E
    order, or an object keyed by letter. Empty options make a true/false item."""
    if isinstance(options, Mapping):
        keys = [key.strip().upper() for key in options]
        if keys != list(LETTERS[: len(keys)]):
            raise ValueError(f"options must be keyed A, B, C… in order, got {', '.join(options)}")
        options = list(options.values())
    cleaned = tuple(unicodedata.normalize("NFC", str(option)).strip() for option in options)
    if cleaned and not MIN_OPTIONS - 1 <= len(cleaned) <= len(LETTERS):
        raise ValueError(f"an item has 2 to {len(LETTERS)} options, got {len(cleaned)}")
    if any(not option for option in cleaned):
        raise ValueError("an option is empty")
    return ExamItem(unicodedata.normalize("NFC", stem).strip(), cleaned)


def _pasted_options(text: str) -> ExamItem | None:
    """Options pasted after the stem: the last run of markers A, B, C… in one style."""
    marks = list(_MARKER.finditer(text))
    for start in range(len(marks)):
        first = marks[start]
        if first.group(1) not in "Aa":
            continue
        run = [first]
        for mark in marks[start + 1 :]:
            expected = LETTERS[len(run)] if first.group(1) == "A" else LETTERS[len(run)].lower()
            # Another letter, or the same in another style, is text inside an option ("điểm a. …").
            if mark.group(1) == expected and mark.group(2) == first.group(2):
                run.append(mark)
                if len(run) == len(LETTERS):
                    break
        if len(run) < MIN_OPTIONS:
            continue
        ends = [m.start() for m in run[1:]] + [len(text)]
        options = tuple(text[m.end() : end].strip().rstrip(";") for m, end in zip(run, ends, strict=True))
        stem = text[: first.start()].strip()
        # A list followed by its question ("… c) Cấp trên quyết định, đúng không?") is asked about
        # as a whole: the last "option" would be carrying the question.
        if stem and not options[-1].endswith("?") and all(0 < len(o) <= MAX_OPTION_CHARS for o in options):
            return ExamItem(stem, options)
    return None
