"""Generation latency: time to first token and total time for cited answers on the real model.

Usage:  python bench/generate.py [--max-tokens N] [--rounds N]

Five questions (Vietnamese and English, one unanswerable) with fixed passages cut from the real
QĐ 294 PDF, run through ``generate_answer`` exactly as the app does (evidence selection,
neutralising, context fitting, streaming, support check), through the generator the app uses (the
local model starts and is primed before the timed answers, as a running app has it). Every case
runs twice per round, interleaved in alternating order: once shown the selected units (what the app
does) and once shown the whole passages (what it did before), so the ratio of the two medians is
measured in one run on one machine. Word weights come from the configured index (uniform when it
is empty). To compare with another checkout, run its copy of this file back to back. Results
are appended to ``bench/results/generate.md`` with the machine, the build,
the load average and the date: on a shared 2-core box the load changes the figures several-fold,
so a number without them means nothing.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import time
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import ingest  # noqa: F401  - offline mode first
from assistant.evidence import IdfLookup, question_focus, select_units
from assistant.generative import GenerationResult, generate_answer
from assistant.glossary import load_glossary
from assistant.llm import Generator, make_generator
from assistant.local_llm import LocalServerGenerator
from assistant.types import Passage
from bench import machine
from ingest.embedder import Embedder
from ingest.keyword_sync import load_keyword_index
from ingest.service import open_index
from prompts.answer import Language
from settings import Settings

RESULTS = Path(__file__).resolve().parent / "results" / "generate.md"
SOURCE = "official/qd-294-2025-thi-hanh-dieu-le.pdf"


@dataclass(frozen=True)
class Case:
    name: str
    language: Language
    question: str
    spans: tuple[tuple[str, str, str], ...]  # (start anchor, end anchor, section) of each QĐ 294 passage


CASES = (
    Case("tuoi-doi", "vi", "Người vào Đảng phải bao nhiêu tuổi?", (("1.1. Về tuổi đời.", "2. Điều 3:", "1.1"),)),
    Case(
        "le-ket-nap",
        "vi",
        "Thời hạn tổ chức lễ kết nạp đảng viên là bao lâu?",
        (("4.1. (Khoản 1)", "4.2.2.", "4.1"), ("3.5.3.", "4. Điều 5", "3.5")),
    ),
    Case(
        "chuyen-sinh-hoat",
        "en",
        "Within how many working days must a transferred party member present the transfer letter?",
        (("c) Trong vòng 30 ngày", "đ) Trường hợp", "6.3.1"),),
    ),
    Case("dang-phi", "vi", "Đảng phí của đảng viên là bao nhiêu phần trăm?", (("31.1. Đảng phí", "31.2.2.", "31.1"),)),
    Case(
        "phe-binh",
        "en",
        "Within how long must a party organisation reply to a member's criticism?",
        (("2.3. (Khoản 3)", "2.4. Đảng viên được", "2.3"),),
    ),
)


def document_text(settings: Settings) -> str:
    """QĐ 294 as pymupdf extracts it, NFC, whitespace collapsed (PDF line wraps are not sentence ends)."""
    import pymupdf

    with pymupdf.open(settings.collection_path / SOURCE) as pdf:
        raw = unicodedata.normalize("NFC", "\n".join(page.get_text() for page in pdf))
    return re.sub(r"\s+", " ", raw)


def passages_for(case: Case, text: str) -> list[Passage]:
    result = []
    for start_anchor, end_anchor, section in case.spans:
        start = text.index(start_anchor)
        end = text.index(end_anchor, start)
        body = text[start:end].strip()
        result.append(
            Passage(
                id=f"{case.name}-{len(result) + 1}",
                source=SOURCE,
                title="Quy định thi hành Điều lệ Đảng",
                number="294-QĐ/TW",
                date="2025-05-26",
                kind="Quy định",
                section=section,
                text=body,
                start=start,
                end=end,
                score=0.0,
            )
        )
    return result


def run_case(
    case: Case,
    passages: list[Passage],
    generator: Generator,
    embedder: Embedder,
    settings: Settings,
    max_tokens: int,
    idf: IdfLookup | None,
) -> tuple[GenerationResult, float]:
    """One answer; ``idf`` given: shown the selected units, as the app does; None: whole passages."""
    started = time.perf_counter()
    selection = None
    if idf is not None:
        terms = load_glossary().expand(case.question)
        selection = select_units(case.question, question_focus(case.question, terms, idf, case.language), passages)
    result = None
    for event in generate_answer(
        case.question, passages, case.language, generator, embedder, settings, selection, max_tokens
    ):
        result = event.result or result
    assert result is not None
    return result, time.perf_counter() - started


def run_all(
    generator: Generator, embedder: Embedder, settings: Settings, max_tokens: int, rounds: int, idf: IdfLookup
) -> tuple[list[str], dict[str, list[float]]]:
    """Every case ``rounds`` times in both arms (cases interleaved, as users' questions are, and the
    arms' order alternating): table rows and first-token times per arm."""
    text = document_text(settings)
    rows: list[str] = []
    firsts: dict[str, list[float]] = {"selected": [], "whole": []}
    for round_no in range(rounds):
        for i, case in enumerate(CASES):
            passages = passages_for(case, text)
            arms = ("selected", "whole") if (round_no + i) % 2 == 0 else ("whole", "selected")
            for arm in arms:
                result, total_s = run_case(
                    case, passages, generator, embedder, settings, max_tokens, idf if arm == "selected" else None
                )
                tokens = generator.count_tokens(result.draft)
                first_s = result.timings_ms.get("first_token", float("nan")) / 1000
                decode_s = result.timings_ms.get("generate", 0.0) / 1000 - first_s
                firsts[arm].append(first_s)
                rows.append(
                    f"| {case.name} | {arm} | {case.language} | {sum(len(p.text) for p in passages)} | {first_s:.2f} | "
                    f"{total_s:.1f} | {tokens} | {tokens / decode_s if decode_s > 0 else float('nan'):.1f} | "
                    f"{result.timings_ms.get('check', 0.0):.0f} | {'yes' if result.refused else 'no'} | "
                    f"{len(result.flagged)} | {result.answer[:80].replace('|', '/')} |"
                )
                print(rows[-1], flush=True)
    return rows, firsts


def llama_build() -> str:
    """The CMake flags the installed llama-cpp-python was built with (the Makefile records them)."""
    flags = Path(sys.prefix, ".llama-cmake-args")
    return flags.read_text().strip() if flags.is_file() else "unknown build"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-tokens", type=int, default=None, help="default: settings.generator.max_new_tokens")
    parser.add_argument("--rounds", type=int, default=1, help="times each case runs (default 1)")
    args = parser.parse_args()
    settings = Settings()
    max_tokens = args.max_tokens or settings.generator.max_new_tokens
    machine_line = machine()
    embedder = Embedder(settings)
    embedder.model  # noqa: B018 - load outside the timed answers, as the running app has it loaded

    started = time.perf_counter()
    generator, reason = make_generator(settings)
    if generator is None:
        print(reason, file=sys.stderr)
        return 1
    if isinstance(generator, LocalServerGenerator):
        generator.ensure_running()  # start and prime the child outside the timed answers
    load_s = time.perf_counter() - started
    _, index = open_index(settings, embedder)
    rows, firsts = run_all(
        generator, embedder, settings, max_tokens, args.rounds, load_keyword_index(settings, index).idf
    )
    # An answer refused before the model ran (nothing selected) has no first token: both arms'
    # medians are over the cases where both generated, and the others are counted apart.
    both = [i for i, (a, b) in enumerate(zip(firsts["selected"], firsts["whole"], strict=True)) if a == a and b == b]
    selected = statistics.median(firsts["selected"][i] for i in both)
    whole = statistics.median(firsts["whole"][i] for i in both)
    unrun = {arm: sum(1 for t in times if t != t) for arm, times in firsts.items()}
    header = (
        f"\n## {datetime.now(UTC):%Y-%m-%d %H:%M} UTC\n\n"
        f"Machine: {machine_line}, {os.getloadavg()[0]:.1f} at the end. llama-cpp-python build: `{llama_build()}`. "
        f"{settings.generator.threads} threads, n_ctx {settings.generator.context_tokens}, max_tokens {max_tokens}, "
        f"temperature {settings.generator.temperature}, "
        f"{args.rounds} round(s). {generator.name} start {load_s:.1f} s.\n\n"
        f"**Median first token: selected units {selected:.2f} s, whole passages {whole:.2f} s "
        f"({(selected / whole - 1) * 100:+.0f}%), over the {len(both)} of {len(firsts['selected'])} answers per arm "
        f"where both arms ran the model (refused without running it: selected {unrun['selected']}, "
        f"whole {unrun['whole']}).**\n\n"
        "| case | shown | lang | passage chars | first token s | total s | draft tokens | decode tok/s | check ms "
        "| refused | flagged | answer (start) |\n|---|---|---|---|---|---|---|---|---|---|---|---|\n"
    )
    print(header)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    with RESULTS.open("a", encoding="utf-8") as handle:
        if handle.tell() == 0:
            handle.write("# Generation latency (bench/generate.py)\n")
        handle.write(header + "\n".join(rows) + "\n")
    print(f"-> {RESULTS}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
