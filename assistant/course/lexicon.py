"""The words of party rules that course building looks for: the bodies a rule assigns work to, amounts
with their units, obligations, voting shares and deadlines, and how a term is matched in folded text.

Key points, the glossary and the quiz all read the same vocabulary (a key point is telling because it
names a body and an amount; the glossary lists the bodies a lesson keeps naming; a quiz blanks out a
body or an amount), so it lives once here rather than in whichever step first needed it.
"""

from __future__ import annotations

import re

from ingest.vitokens import normalize

# Party bodies a rule assigns work to: the most telling words of a procedure, and quiz slots. One
# tuple is one body under its names ("đảng ủy cơ sở" is a "cấp ủy cơ sở"), so a wrong option is never
# another name for the right one; the first name is how an option shows it.
_BODY_NAMES = (
    ("chi bộ", "chi bộ cơ sở"), ("chi ủy",), ("bí thư chi bộ",), ("đảng ủy cơ sở", "cấp ủy cơ sở"),
    ("đảng ủy bộ phận",), ("ban thường vụ", "ban thường vụ cấp ủy"), ("cấp ủy cấp trên trực tiếp",),
    ("ủy ban kiểm tra",), ("Ban Bí thư",), ("Bộ Chính trị",),
)  # fmt: skip
# Names that can mean several of those bodies: they make a rule informative, but an option naming
# one could be right whatever the blank, so they are never quiz answers or options.
_GENERIC_BODIES = ("cấp ủy có thẩm quyền", "cấp ủy", "đảng ủy")
# Folded name -> the folded first name of its body; "" for the generic names.
BODY_KEY = {normalize(name): normalize(names[0]) for names in _BODY_NAMES for name in names}
BODY_KEY |= {normalize(name): "" for name in _GENERIC_BODIES}
BODY_DISPLAY = {normalize(names[0]): names[0] for names in _BODY_NAMES}  # body key -> how it is shown
BODY_ALIASES = {normalize(names[0]): tuple(map(normalize, names)) for names in _BODY_NAMES}  # key -> names
BODY = re.compile(r"(?<!\w)(?:" + "|".join(map(re.escape, sorted(BODY_KEY, key=len, reverse=True))) + r")(?!\w)")
# Amounts with their unit; groups say which units are interchangeable as distractors.
UNIT_GROUPS = {"ngày làm việc": "time", "ngày": "time", "tháng": "time", "năm": "time", "tuổi": "age"}
UNIT_GROUPS |= {"đảng viên": "count", "người": "count", "lần": "count"}
QUANTITY = re.compile(r"(?<![\w.,/])(\d+)\s+(" + "|".join(map(normalize, UNIT_GROUPS)) + r")(?!\w)")
# "không phải" lifts a duty ("không phải lấy ý kiến"): an exception, not the rule to teach first.
_OBLIGATION = re.compile(r"(?<!\w)(?:(?<!không )phải|không được|có trách nhiệm|chịu trách nhiệm|nghiêm cấm)(?!\w)")
# Voting shares decide admissions ("hai phần ba số đảng viên chính thức"): as telling as an amount.
_SHARE = re.compile(r"(?<!\w)(?:hai phần ba|một phần ba|ba phần tư|quá nửa|một nửa)(?!\w)")
_DEADLINE = re.compile(r"(?<!\w)(?:thời hạn|chậm nhất|kể từ ngày)(?!\w)")


def informativeness(folded: str) -> float:
    """What makes a rule worth teaching: amounts and deadlines, the bodies acting, obligations."""
    quantities = len(QUANTITY.findall(folded)) + len(_SHARE.findall(folded))
    bodies = len(set(BODY.findall(folded)))
    return (
        min(quantities, 2)
        + 0.5 * min(bodies, 2)
        + (1.0 if _OBLIGATION.search(folded) else 0.0)
        + (0.5 if _DEADLINE.search(folded) else 0.0)
    )


def term_pattern(term: str) -> re.Pattern[str]:
    """``term`` as a whole word or phrase, never inside a longer word."""
    return re.compile(rf"(?<!\w){re.escape(term)}(?!\w)")


def contains(folded: str, term: str) -> bool:
    return term_pattern(term).search(folded) is not None


def match_case(option: str, answer: str) -> str:
    """Options start like the answer, so capitalisation never gives the answer away; names with
    capitals inside ("Ban Bí thư") keep them."""
    if answer[:1].isupper():
        return option[:1].upper() + option[1:]
    return option if any(ch.isupper() for ch in option[1:]) else option[:1].lower() + option[1:]
