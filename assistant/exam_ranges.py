"""Whether a rule's conditions admit the amounts of a scenario.

A scenario gives amounts ("được cử đi học tập trung 18 tháng", "đạt 7,5 điểm", "mới được 8 tháng")
and the rule it tests gives conditions ("từ 3 tháng trở lên", "từ 7 đến cận 8: đạt loại Khá",
"dưới 12 tháng thì tổ chức đảng nơi cư trú xem xét kết nạp"). A sentence whose conditions leave
every amount of the story out is about another case, however many of the story's words it shares;
the same number in both ("nhiệm kỳ 05 năm") is a shared parameter of the case, not a measured amount.
Years and months compare with each other; other units only with themselves.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from assistant.exam_evidence import numeric_text, story_and_claim
from ingest.vitokens import normalize

_NUMBER = r"\d+(?:[.,]\d+)?"
_UNITS = r"tháng|năm|ngày|tuổi|điểm|giờ|tuần|%"
_NUM, _UNIT = rf"({_NUMBER})", rf"({_UNITS})"
# Named where the unit may come before the number or after it.
_N, _U = rf"(?P<n>{_NUMBER})", rf"(?P<u>{_UNITS})"
_AMOUNT = re.compile(rf"(?<![\d/.,]){_NUM}\s*{_UNIT}(?!\w)")
# A range, its unit after both numbers ("từ 3 tháng đến dưới 2 năm") or first ("điểm từ 7 đến cận 8").
_TO = rf"\s+(?:đến|tới)\s+(?P<edge>dưới|cận|hết)?\s*(?P<hi>{_NUMBER})"
_RANGES = (
    re.compile(rf"từ\s+(?P<lo>{_NUMBER})\s*(?P<lu>{_UNITS})?{_TO}\s*{_U}(?!\w)"),
    re.compile(rf"{_U}\s+từ\s+(?P<lo>{_NUMBER}){_TO}(?![\d\w])"),
)
_AT_LEAST = re.compile(rf"(?:(?:ít nhất|tối thiểu)\s+(?:là\s+)?|từ\s+(?:đủ\s+)?|đủ\s+){_N}\s*{_U}\s+trở\s+lên")
_AT_LEAST_BARE = re.compile(rf"(?:ít nhất|tối thiểu)\s+(?:là\s+)?{_N}\s*{_U}(?!\w)")
_ABOVE = re.compile(rf"(?<!\w)trên\s+{_N}\s*{_U}(?!\w)")
_BELOW = re.compile(rf"(?:(?<!\w)dưới|chưa đủ)\s+{_N}\s*{_U}(?!\w)")
# The unit may come first: "điểm từ 9 trở lên", "điểm dưới 5".
_PRE_AT_LEAST = re.compile(rf"{_U}\s+từ\s+(?:đủ\s+)?{_N}\s+trở\s+lên")
_PRE_BELOW = re.compile(rf"{_U}\s+dưới\s+{_N}(?![\d\w])")
_AT_MOST = re.compile(rf"(?:không quá|tối đa|không vượt quá)\s+{_N}\s*{_U}(?!\w)")
_MONTHS = {"năm": 12.0, "tháng": 1.0}
# Days of the year, as a story dates an event ("vào ngày 15/7") and a rule bounds a period ("từ ngày
# 01/6 đến hết tháng 9"; "từ ngày 01/12 của năm trước đến hết tháng 02" wraps over the new year).
_DAY = r"ngày\s+(\d{1,2})/(\d{1,2})(?!/?\d)"
_DATE = re.compile(_DAY)
_PERIOD = re.compile(rf"từ\s+{_DAY}[^.;:]{{0,30}}?\s+đến\s+(?:hết\s+tháng\s+(\d{{1,2}})|{_DAY})")


@dataclass(frozen=True)
class Amount:
    value: float
    unit: str  # "tháng" for years and months alike (years are counted in months)


@dataclass(frozen=True)
class Condition:
    """An interval of one unit: [low, high], each end open when the rule says "dưới", "trên", "cận"."""

    low: float
    high: float
    unit: str
    low_open: bool = False
    high_open: bool = False

    def admits(self, amount: Amount) -> bool:
        v = amount.value
        if self.low > self.high:  # a period over the new year
            return v >= self.low or v <= self.high
        above = v > self.low if self.low_open else v >= self.low
        below = v < self.high if self.high_open else v <= self.high
        return above and below


def _amount(number: str, unit: str) -> Amount:
    value = float(number.replace(",", "."))
    return Amount(value * _MONTHS[unit], "tháng") if unit in _MONTHS else Amount(value, unit)


def _day(day: str, month: str) -> float:
    return (int(month) - 1) * 31.0 + int(day)


def _text(text: str) -> str:
    return normalize(numeric_text(text)).casefold()


def story_amounts(stem: str) -> list[Amount]:
    """The amounts a scenario's story gives (a stem of one sentence has no story)."""
    story, _ = story_and_claim(stem)
    text = _text(story)
    days = [Amount(_day(day, month), "ngày/tháng") for day, month in _DATE.findall(text)]
    return [_amount(number, unit) for number, unit in _AMOUNT.findall(text)] + days


def conditions(sentence: str) -> tuple[list[Condition], set[Amount]]:
    """The conditions a sentence sets, and every amount it names (shared parameters, not measures)."""
    text = _text(sentence)
    found: list[Condition] = []
    for pattern in _RANGES:
        for m in pattern.finditer(text):
            a, b = _amount(m["lo"], m.groupdict().get("lu") or m["u"]), _amount(m["hi"], m["u"])
            found.append(Condition(a.value, b.value, b.unit, high_open=m["edge"] in ("dưới", "cận")))
    for pattern, make in (
        (_AT_LEAST, lambda a: Condition(a.value, math.inf, a.unit)),
        (_PRE_AT_LEAST, lambda a: Condition(a.value, math.inf, a.unit)),
        (_AT_LEAST_BARE, lambda a: Condition(a.value, math.inf, a.unit)),
        (_ABOVE, lambda a: Condition(a.value, math.inf, a.unit, low_open=True)),
        (_BELOW, lambda a: Condition(0.0, a.value, a.unit, high_open=True)),
        (_PRE_BELOW, lambda a: Condition(0.0, a.value, a.unit, high_open=True)),
        (_AT_MOST, lambda a: Condition(0.0, a.value, a.unit)),
    ):
        found += [make(_amount(m["n"], m["u"])) for m in pattern.finditer(text)]
    for day, month, end_month, end_day, end_of in _PERIOD.findall(text):
        high = _day("31", end_month) if end_month else _day(end_day, end_of)
        found.append(Condition(_day(day, month), high, "ngày/tháng"))
    named = {_amount(number, unit) for number, unit in _AMOUNT.findall(text)}
    named |= {Amount(_day(day, month), "ngày/tháng") for day, month in _DATE.findall(text)}
    return found, named


def admits(sentence: str, story: list[Amount]) -> bool | None:
    """Whether the sentence's conditions admit an amount the story measures: None when it sets none
    on the story's units; False when it is the rule of another case."""
    found, named = conditions(sentence)
    measured = [a for a in story if a not in named]
    comparable = [(c, a) for c in found for a in measured if c.unit == a.unit]
    return any(c.admits(a) for c, a in comparable) if comparable else None
