"""The course glossary: reviewed ``glossary.tsv`` terms the lesson uses, then the party bodies it keeps
naming, each shown in the sentence of the material that best defines or uses it.

Named ``terms`` rather than ``glossary`` so it is not mistaken for ``assistant.glossary``, the
reviewed English-Vietnamese term list this module reads from.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence

from assistant.course.lexicon import BODY, BODY_KEY, match_case, term_pattern
from assistant.course.material import Sentence
from assistant.course.model import GlossaryEntry
from assistant.glossary import Glossary
from ingest.vitokens import normalize
from settings import CourseSettings

_DEFINITION = r"\s*(?:là|gồm|bao gồm|được hiểu là|được tính)(?!\w)"


def glossary_entries(
    material: Sequence[Sentence], glossary: Glossary, tuning: CourseSettings
) -> list[tuple[GlossaryEntry, Sentence]]:
    """Reviewed glossary terms the material uses, then the party bodies it keeps naming; each with
    the sentence that best defines or uses it, in the order the lesson meets them."""
    chosen = _glossary_terms(material, glossary, tuning.glossary_max)
    chosen += _recurring_bodies(material, {term for term, _ in chosen}, tuning.recurring_min_sections)
    entries: list[tuple[GlossaryEntry, Sentence]] = []
    used: set[int] = set()
    for term, english in chosen:
        sentence = _defining_sentence(term, material, used)
        if sentence is not None:
            used.add(sentence.start)
            entries.append((GlossaryEntry(_surface(term, sentence), english, sentence.text), sentence))
    return sorted(entries, key=lambda e: (e[1].section, e[1].start))


def _glossary_terms(material: Sequence[Sentence], glossary: Glossary, most: int) -> list[tuple[str, str]]:
    """(folded term, English) for the ``most`` glossary.tsv entries the material uses most.

    Longer terms are counted first and their matches blanked, so "đảng viên" counts only where it
    is not part of "đảng viên dự bị"; each English entry contributes its most used variant.
    """
    text = "\n".join(s.folded for s in material)
    uses: dict[str, int] = {}
    for term in sorted({normalize(v) for vs in glossary.entries.values() for v in vs}, key=len, reverse=True):
        text, uses[term] = term_pattern(term).subn("\x00", text)
    entries = [(tuple(map(normalize, variants)), " ".join(key)) for key, variants in glossary.entries.items()]
    entries.sort(key=lambda entry: -max(uses[v] for v in entry[0]))
    chosen: list[tuple[str, str]] = []
    taken: set[str] = set()
    for variants, english in entries:
        term = max(variants, key=uses.__getitem__)
        # One entry per Vietnamese term: "admission" and "admit" both mean "kết nạp".
        if uses[term] and taken.isdisjoint(variants) and len(chosen) < most:
            chosen.append((term, english))
            taken.update(variants)
    return chosen


def _recurring_bodies(material: Sequence[Sentence], taken: set[str], min_sections: int) -> list[tuple[str, str]]:
    """Party bodies named under at least ``min_sections`` outline headings, most used first."""
    sections: dict[str, set[int]] = defaultdict(set)
    for sentence in material:
        for name in BODY.findall(sentence.folded):
            if BODY_KEY[name]:
                sections[BODY_KEY[name]].add(sentence.section)
    ranked = sorted(sections.items(), key=lambda item: (-len(item[1]), item[0]))
    return [(key, "") for key, used in ranked if len(used) >= min_sections and key not in taken]


def _defining_sentence(term: str, material: Sequence[Sentence], used: set[int]) -> Sentence | None:
    """A sentence saying what the term is ("… là", "… gồm"), else one where it is the subject, and
    one not already quoted for another term; then the one nearest 20 words."""
    using = term_pattern(term)
    defining = re.compile(rf"(?<!\w){re.escape(term)}{_DEFINITION}")
    candidates = [s for s in material if s.statement and using.search(s.folded)]
    if not candidates:
        return None
    return min(
        candidates,
        key=lambda s: (
            defining.search(s.folded) is None,
            not s.folded.startswith(term),
            s.start in used,
            abs(s.words - 20),
            s.start,
        ),
    )


def _surface(folded_term: str, sentence: Sentence) -> str:
    """The term as the document writes it (case, tone placement), lower-cased at a sentence start."""
    at = term_pattern(folded_term).search(sentence.folded)
    if at is None:
        return folded_term
    surface = sentence.text[at.start() : at.end()]
    return match_case(surface, "a") if at.start() == 0 else surface
