"""The prepare stage: what a turn asks, worked out before anything is searched.

Language, the standalone query of a follow-up, the glossary terms that carry an English question
into the documents' Vietnamese, and the documents the question names. The rewriter and the
reference resolver are parts the chain is assembled with (``assistant.parts``), so eval's
baselines can do without either while everything after this stage stays the shipped code.
"""

from __future__ import annotations

import time

from assistant.glossary import Glossary, detect_language
from assistant.references import ReferenceResolver, Resolution
from assistant.rewrite import Rewriter
from assistant.turn import Turn, elapsed_ms


def prepare(turn: Turn, rewriter: Rewriter, references: ReferenceResolver, glossary: Glossary) -> Turn:
    """Fill in the turn's language, standalone query, keyword terms, references and their notes."""
    started = time.perf_counter()
    turn.language = detect_language(turn.question)
    turn.rewritten = rewriter(turn.question, turn.history)
    turn.keyword_terms = glossary.expand(turn.rewritten)
    turn.resolutions = references(turn.rewritten)
    turn.notes = [reference_note(r, turn.language) for r in turn.resolutions if r.status != "found"]
    turn.timings["prepare"] = elapsed_ms(started)
    return turn


def reference_note(resolution: Resolution, language: str) -> str:
    """Say plainly when a referenced document is missing or ambiguous."""
    ref = resolution.ref.raw
    if resolution.status == "not_found":
        if language == "en":
            return f"“{ref}” is not in the collection; here is what the collection says about it."
        return f"“{ref}” không có trong bộ văn bản; dưới đây là những gì bộ văn bản nói về văn bản này."
    listed = "; ".join(f"{m.number or m.title} ({m.date or '?'})" for m in resolution.matches)
    if language == "en":
        return f"“{ref}” matches several documents: {listed}. Add the year to choose one."
    return f"“{ref}” khớp với nhiều văn bản: {listed}. Hãy nêu năm ban hành để chọn đúng văn bản."
