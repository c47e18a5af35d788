"""Which of several options one sentence gives for the case an exam stem asks about.

A rule often lists one amount or body per case in a single sentence: "chậm nhất là 30 ngày làm
việc đối với tổ chức cơ sở đảng và đảng viên, 60 ngày làm việc đối với … cấp tỉnh, 90 ngày làm việc
đối với cấp Trung ương". Such a sentence holds every option equally, so holding an option says
nothing: what counts is which option the stem's case is bound to.

The sentence is cut at the options' places. Each option owns the stretch on one side of it, up to
the next option; which side is read from the sentence itself: the side whose stretches open (or
close) the same way ("đối với …" after each amount, or "… không quá" before each) is the one that
carries the cases. The stem's case is then the longest run of its words that one stretch says in
order ("đối với cấp ủy cơ sở"): the option owning the heaviest such run is the one the sentence
gives, when it clearly outweighs the others; otherwise nothing is bound, and the item may be declined.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from difflib import SequenceMatcher


def places(words: Sequence[str], option: Sequence[str]) -> list[int]:
    """Where ``option``'s syllables occur in ``words``, run for run."""
    n = len(option)
    return [i for i in range(len(words) - n + 1) if n and tuple(words[i : i + n]) == tuple(option)]


def bound_option(
    words: Sequence[str],
    options: Mapping[str, Sequence[str]],
    stem: Sequence[str],
    weight: Mapping[str, float],
    lead: float,
) -> str | None:
    """The letter whose stretch of ``words`` says the stem's case, or None when the sentence does not
    say it apart: an option placed more than once, no side read, or no run ``lead`` times heavier."""
    found = {letter: places(words, option) for letter, option in options.items()}
    if len(found) < 2 or any(len(at) != 1 for at in found.values()):
        return None
    order = sorted(found, key=lambda letter: found[letter][0])
    starts = [found[letter][0] for letter in order]
    ends = [start + len(options[letter]) for start, letter in zip(starts, order, strict=True)]
    right = [tuple(words[end : (starts[k + 1] if k + 1 < len(order) else len(words))]) for k, end in enumerate(ends)]
    left = [tuple(words[(ends[k - 1] if k else 0) : start]) for k, start in enumerate(starts)]
    opening, closing = _common_prefix(right), _common_prefix([s[::-1] for s in left])
    if opening == closing:
        return None
    if opening > closing:  # the case follows each option: "30 ngày đối với …, 60 ngày đối với …"
        longest = max(len(s) for s in right[:-1])
        right[-1] = right[-1][:longest]  # then comes what holds for every case ("nếu sửa chữa tốt …")
        stretches, shared = right, [range(opening)] * len(right)
    else:  # the case comes before each option: "… đối với X không quá 10%, … đối với Y không quá 20%"
        longest = max(len(s) for s in left[1:])
        left[0] = left[0][max(0, len(left[0]) - longest) :]  # before it, what the sentence says of every case
        stretches, shared = left, [range(len(s) - closing, len(s)) for s in left]
    runs = {
        letter: _runs_said(stem, stretch, alike, weight)
        for letter, stretch, alike in zip(order, stretches, shared, strict=True)
    }
    ranked = sorted(runs, key=lambda letter: runs[letter], reverse=True)
    if runs[ranked[0]] > 0 and runs[ranked[0]] >= lead * runs[ranked[1]]:
        return ranked[0]
    return None


def _common_prefix(stretches: Sequence[tuple[str, ...]]) -> int:
    """How many syllables every stretch opens with alike."""
    n = 0
    for column in zip(*stretches, strict=False):
        if len(set(column)) != 1:
            break
        n += 1
    return n if len(stretches) > 1 and all(stretches) else 0


def _runs_said(stem: Sequence[str], stretch: Sequence[str], alike: range, weight: Mapping[str, float]) -> float:
    """How much of the stem's case the stretch says in order. A run weighs its words times its
    length: "đối với cấp ủy cơ sở" said at once outweighs "đối với cấp ủy" here and "cơ sở" there
    ("tổ chức cơ sở đảng"). Words every stretch opens (or closes) with (``alike``: "đối với") name
    no case, so they weigh nothing, but still lengthen the run they belong to."""
    blocks = SequenceMatcher(None, stem, stretch, autojunk=False).get_matching_blocks()
    return sum(
        b.size * sum(weight.get(stretch[j], 0.0) for j in range(b.b, b.b + b.size) if j not in alike) for b in blocks
    )
