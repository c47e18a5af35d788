"""Generative answers: a small local model writes, the support check decides what the user sees.

A 1.5B model invents plausible specifics ("đảng phí 10%", "giá vàng 18.50 USD") when the passages
lack the answer, cites the wrong passage or none, and may obey instructions planted in a document.
So generation is only a draft:

1. passages are neutralised (instruction-like sentences removed) and quoted as numbered data;
2. the draft is streamed to the UI as it is written;
3. every sentence is then checked against the passages it cites. A sentence citing the wrong
   passage, or none, keeps its place if another passage supports it and is re-cited to that one
   (small models often drop or misplace markers); a sentence no passage supports is dropped and
   reported as flagged. With nothing left, the answer is the refusal.
"""

from __future__ import annotations

import logging
import re
import time
import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field

from assistant.evidence import Selection
from assistant.injection import is_instruction
from assistant.llm import Generator, GeneratorError
from assistant.support import (
    CITATION,
    SupportChecker,
    best_supporting_sentence,
    checker_for,
    looks_vietnamese,
    sentence_spans,
    strip_citations,
)
from assistant.types import Citation, Passage
from ingest.embedder import Embedder
from prompts.answer import QUOTE_LEAD, REFUSAL, Language, answer_messages, document_block
from settings import Settings

logger = logging.getLogger(__name__)

# Tokens kept free for the chat template and the rules repeated after the question.
_PROMPT_MARGIN_TOKENS = 48


@dataclass
class GenerationResult:
    """The checked answer; ``answer`` is what the user sees, ``draft`` what the model wrote."""

    answer: str
    refused: bool
    citations: list[Citation] = field(default_factory=list)
    flagged: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    draft: str = ""
    timings_ms: dict[str, float] = field(default_factory=dict)


@dataclass
class GenerationEvent:
    """A streamed piece of the draft (``delta``) or, last, the checked ``result``."""

    delta: str = ""
    result: GenerationResult | None = None


@dataclass
class CheckedText:
    """Sentences that survived the support check, with markers rewritten to their true sources."""

    sentences: list[str]
    citations: list[Citation]
    flagged: list[str]

    @property
    def text(self) -> str:
        return " ".join(self.sentences)


def neutralise(text: str) -> tuple[str, list[str]]:
    """The passage without instruction-like sentences, and the sentences removed.

    Removal rather than marking: a 1.5B model reads "[removed: ignore previous instructions]" as
    an instruction too. The rest of the passage stays intact, so a legitimate rule next to a planted
    sentence can still be cited.
    """
    text = unicodedata.normalize("NFC", text)
    removed: list[str] = []
    kept: list[str] = []
    position = 0
    for start, end in sentence_spans(text):
        if is_instruction(text[start:end]):
            kept.append(text[position:start])
            removed.append(text[start:end])
            position = end
    kept.append(text[position:])
    return re.sub(r"[ \t]{2,}", " ", "".join(kept)).strip(), removed


def generate_answer(
    question: str,
    passages: Sequence[Passage],
    language: Language,
    generator: Generator,
    embedder: Embedder,
    settings: Settings,
    selection: Selection | None = None,
    max_tokens: int | None = None,
) -> Iterator[GenerationEvent]:
    """Stream a cited draft, then yield the checked result as the final event.

    Markers [n] refer to ``passages[n - 1]``. With a ``selection`` the model is shown only its
    units (the sentences and whole lists that answer), not whole passages: prompt processing is
    most of the wait before the first token on a 2-core CPU, and a list shown whole is a list the
    answer can cover. Passages that do not fit the context are left out (the later ones: the list
    arrives ranked), and a marker pointing at one of them is invalid.
    """
    started = time.perf_counter()
    max_tokens = max_tokens or settings.generator.max_new_tokens
    visible, notes = _visible_passages(passages, selection)
    visible = _fit_context(question, passages, visible, language, generator, settings, max_tokens)
    if not visible:
        yield GenerationEvent(result=GenerationResult(REFUSAL[language], True, notes=notes))
        return
    messages = answer_messages(question, [_block(n, passages[n - 1], t) for n, t in visible.items()], language)
    draft: list[str] = []
    timings: dict[str, float] = {}
    try:
        for piece in generator.stream(messages, max_tokens, settings.generator.temperature):
            timings.setdefault("first_token", _ms_since(started))
            draft.append(piece)
            yield GenerationEvent(delta=piece)
    except GeneratorError as exc:  # the caller falls back to the extractive answer and says why
        logger.error("generation by %s failed after %d pieces: %s", generator.name, len(draft), exc)
        raise
    timings["generate"] = _ms_since(started)
    checked = check_cited_text("".join(draft), passages, visible, checker_for(embedder), language)
    timings["check"] = _ms_since(started) - timings["generate"]
    refused = not checked.sentences
    yield GenerationEvent(
        result=GenerationResult(
            answer=REFUSAL[language] if refused else checked.text,
            refused=refused,
            citations=checked.citations,
            flagged=checked.flagged,
            notes=notes,
            draft="".join(draft),
            timings_ms=timings,
        )
    )


def check_cited_text(
    text: str,
    passages: Sequence[Passage],
    visible: Mapping[int, str],
    checker: SupportChecker,
    language: Language = "vi",
) -> CheckedText:
    """Keep the sentences of ``text`` that the passages support, each citing what supports it.

    ``visible`` maps a marker number to the passage text the model was shown. Shared by answers
    and course material, so both obey the same rule. In an English text, a kept Vietnamese sentence
    is presented as a quotation (``QUOTE_LEAD``).
    """
    claims = [(sentence, strip_citations(sentence)) for sentence in _draft_sentences(text)]
    # The source line the model saw is evidence too: "Theo Quy định 294-QĐ/TW ..." cites a number
    # that the passage text itself never contains.
    evidence = {n: f"{_label(passages[n - 1])}\n{body}" for n, body in visible.items()}
    sources = _supporting_passages(claims, evidence, checker)
    kept = [_with_markers(_presented(claims[i][1], language), sources[i]) for i in sorted(sources)]
    flagged = [sentence for i, (sentence, _) in enumerate(claims) if i not in sources]
    return CheckedText(kept, _citations(claims, sources, passages, visible), flagged)


def _supporting_passages(
    claims: Sequence[tuple[str, str]], visible: Mapping[int, str], checker: SupportChecker
) -> dict[int, list[int]]:
    """Claim index -> passage numbers it may cite; unsupported claims are absent.

    First the passages the sentence cites (valid markers only); failing that, the one passage
    among all shown that supports it best.
    """
    cited = [[n for n in dict.fromkeys(map(int, CITATION.findall(sentence))) if n in visible] for sentence, _ in claims]
    first = checker.check_many(
        [(claim, [visible[n] for n in numbers]) for (_, claim), numbers in zip(claims, cited, strict=True)]
    )
    sources = {i: cited[i] for i, verdict in enumerate(first) if verdict.supported}
    retry = [i for i in range(len(claims)) if i not in sources]
    shown = list(visible)
    second = checker.check_many([(claims[i][1], [visible[n] for n in shown]) for i in retry])
    for i, verdict in zip(retry, second, strict=True):
        if verdict.supported and verdict.passage is not None:
            sources[i] = [shown[verdict.passage]]
    return sources


def _draft_sentences(text: str) -> list[str]:
    """Sentences with a claim; the model's own refusal line is not a claim to check."""
    refusals = {strip_citations(r).casefold().rstrip(".") for r in REFUSAL.values()}
    result = []
    for start, end in sentence_spans(text):
        claim = strip_citations(text[start:end])
        if claim.strip(" .,;:") and claim.casefold().rstrip(".") not in refusals:
            result.append(text[start:end])
    return result


def _presented(claim: str, language: Language) -> str:
    if language == "vi" or not looks_vietnamese(claim):
        return claim
    return QUOTE_LEAD[language].format(quote=claim.rstrip(".!?… ")) + "."


def _with_markers(claim: str, numbers: Sequence[int]) -> str:
    """Markers go before the final period ("... đảng viên [1]."), where readers and eval expect them."""
    markers = "".join(f"[{n}]" for n in numbers)
    body = claim.rstrip()
    end = len(body.rstrip(".!?…"))
    return f"{body[:end]} {markers}{body[end:] or '.'}"


def _citations(
    claims: Sequence[tuple[str, str]],
    sources: Mapping[int, Sequence[int]],
    passages: Sequence[Passage],
    visible: Mapping[int, str],
) -> list[Citation]:
    """One citation per cited passage, quoting its sentence that best backs the first claim citing it."""
    citations: dict[int, Citation] = {}
    for i in sorted(sources):
        for n in sources[i]:
            if n not in citations:
                start, end = best_supporting_sentence(claims[i][1], visible[n])
                citations[n] = Citation(n=n, passage=passages[n - 1], quote=visible[n][start:end])
    return sorted(citations.values(), key=lambda c: c.n)


def _visible_passages(passages: Sequence[Passage], selection: Selection | None) -> tuple[dict[int, str], list[str]]:
    visible: dict[int, str] = {}
    notes: list[str] = []
    for n, passage in enumerate(passages, start=1):
        shown = passage.text if selection is None else _selected_text(passage.text, selection, n - 1)
        if not shown:
            continue
        text, removed = neutralise(shown)
        if removed:
            notes.append(
                f"Đã lược bỏ {len(removed)} câu dạng mệnh lệnh trong đoạn [{n}] / "
                f"removed {len(removed)} instruction-like sentence(s) from passage [{n}]"
            )
        if text:
            visible[n] = text
    return visible, notes


def _selected_text(text: str, selection: Selection, rank: int) -> str:
    """The units chosen from one passage, in the order the document has them."""
    units = sorted((u for u in selection.units if u.passage_rank == rank), key=lambda u: text.find(u.lead))
    return "\n".join(u.text() for u in units)


def _fit_context(
    question: str,
    passages: Sequence[Passage],
    visible: dict[int, str],
    language: Language,
    generator: Generator,
    settings: Settings,
    max_tokens: int,
) -> dict[int, str]:
    """Passages in rank order while they fit; the first that does not is cut at a sentence end.

    Two bounds: the model's context, and ``prompt_passage_tokens``. Prompt processing is most of
    the wait before the first token on a 2-core CPU, and the passages ranked below the first few
    rarely hold what the answer needs, so the prompt carries only as many as that budget allows.
    """
    frame = answer_messages(question, [], language)
    budget = settings.generator.context_tokens - max_tokens - _PROMPT_MARGIN_TOKENS
    budget -= sum(generator.count_tokens(m["content"]) for m in frame)
    budget = min(budget, settings.generator.prompt_passage_tokens)
    fitted: dict[int, str] = {}
    for n, text in visible.items():
        cost = generator.count_tokens(_block(n, passages[n - 1], text))
        if cost <= budget:
            fitted[n], budget = text, budget - cost
            continue
        cut = _cut_to_budget(n, passages[n - 1], text, generator, budget)
        if cut:
            fitted[n] = cut
        break
    return fitted


def _cut_to_budget(n: int, passage: Passage, text: str, generator: Generator, budget: int) -> str:
    """The longest run of whole leading sentences whose block fits ``budget`` tokens ("" if none)."""
    best = ""
    for _, end in sentence_spans(text):
        if generator.count_tokens(_block(n, passage, text[:end])) > budget:
            break
        best = text[:end]
    return best


def _label(passage: Passage) -> str:
    """How the prompt names a passage's source: number (or title), section and date."""
    return ", ".join(part for part in (passage.number or passage.title, passage.section, passage.date) if part)[:160]


def _block(n: int, passage: Passage, text: str) -> str:
    return document_block(n, _label(passage), text)


def _ms_since(started: float) -> float:
    return (time.perf_counter() - started) * 1000
