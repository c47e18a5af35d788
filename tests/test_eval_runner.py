"""End-to-end eval on the real subset: results files, report files, and numbers that add up.

The report is the thing people read, so the test re-derives its headline numbers from
results.jsonl with the metric primitives alone; a report that drifted from its own data fails.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from assistant.chain import Assistant
from assistant.parts import Parts
from eval.judge import accuracy_by, judge
from eval.metrics import gold_hit_rank, hit_at_k, mrr_at_k, percentile, record_latency_ms, refusal_precision_recall
from eval.pipelines import make_pipeline, no_references, no_rewrite
from eval.records import read_results
from eval.report import fmt
from eval.runner import collection_settings, run_eval
from ingest.embedder import Embedder
from settings import Settings

QD294 = "official/qd-294-2025-thi-hanh-dieu-le.pdf"
QUESTIONS = [
    {
        "id": "t-age",
        "lang": "vi",
        "category": "number",
        "question": "Người vào Đảng phải bao nhiêu tuổi?",
        "history": [],
        "gold": [{"source": QD294, "quote": "người vào Đảng phải đủ 18 tuổi đến đủ 60 tuổi (tính theo tháng)"}],
        "answer_keys": ["18 tuổi", "60 tuổi"],
        "expect": "answer",
    },
    {
        "id": "t-ceremony",
        "lang": "vi",
        "category": "number",
        "question": "Thời hạn tổ chức lễ kết nạp đảng viên là bao lâu?",
        "history": [],
        "gold": [{"source": QD294, "quote": "chi bộ phải tổ chức lễ kết nạp cho đảng viên"}],
        "answer_keys": ["30 ngày làm việc"],
        "expect": "answer",
    },
    {
        "id": "t-transfer-en",
        "lang": "en",
        "category": "procedure",
        "question": "Within how many working days must a transferred party member present the transfer letter?",
        "history": [],
        "gold": [{"source": QD294, "quote": "Trong vòng 30 ngày làm việc kể từ ngày giới thiệu chuyển đi"}],
        "answer_keys": ["30 ngày làm việc"],
        "expect": "answer",
    },
    {
        "id": "t-followup",
        "lang": "vi",
        "category": "followup",
        "question": "thế còn trình độ học vấn?",
        "history": ["Người vào Đảng phải bao nhiêu tuổi?"],
        "gold": [{"source": QD294, "quote": "Người vào Đảng phải có bằng tốt nghiệp trung học cơ sở trở lên."}],
        "answer_keys": ["trung học cơ sở"],
        "expect": "answer",
    },
    {
        "id": "t-refuse",
        "lang": "vi",
        "category": "not_in_collection",
        "question": "Giá vàng SJC hôm nay bao nhiêu một lượng?",
        "history": [],
        "gold": [],
        "answer_keys": [],
        "expect": "refuse",
    },
]
ASK_JSON_FIELDS = {
    "question",
    "rewritten_query",
    "answer",
    "refused",
    "language",
    "mode",
    "notes",
    "flagged",
    "citations",
    "retrieved",
    "timings_ms",
}
PIPELINES = ["ours", "bm25"]


def markdown_table_after(markdown: str, heading: str) -> list[dict[str, str]]:
    """The first table following ``heading``, as one dict per row keyed by the header cells."""
    lines = markdown[markdown.index(heading) :].splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("|"))
    table = []
    for line in lines[start:]:
        if not line.startswith("|"):
            break
        table.append([cell.strip() for cell in line.strip("|").split(" | ")])
    headers, rows = table[0], table[2:]
    return [dict(zip(headers, row, strict=True)) for row in rows]


def expected_overall(records: list[dict[str, Any]]) -> dict[str, str]:
    """The "all" numbers recomputed from the raw records with the metric primitives only."""
    gold = {q["id"]: q["gold"] for q in QUESTIONS}
    ranks = [gold_hit_rank(r["retrieved"], gold[r["id"]], k=10) for r in records if gold[r["id"]]]
    refusal_p, refusal_r = refusal_precision_recall(
        [q["expect"] == "refuse" for q in QUESTIONS], [r["refused"] for r in records]
    )
    latencies = [record_latency_ms(r) for r in records]
    values = {f"hit@{k}": hit_at_k(ranks, k) for k in (1, 3, 5, 10)}
    values.update(
        {
            "mrr@10": mrr_at_k(ranks, 10),
            "refusal P": refusal_p,
            "refusal R": refusal_r,
            "p50 ms": percentile(latencies, 50),
            "p95 ms": percentile(latencies, 95),
        }
    )
    return {name: fmt(value, "_ms" if name.endswith(" ms") else "") for name, value in values.items()}


@pytest.fixture(scope="module")
def eval_out(subset_settings: Settings, embedder: Embedder, tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("eval")
    questions = tmp / "questions.jsonl"
    questions.write_text("".join(json.dumps(q, ensure_ascii=False) + "\n" for q in QUESTIONS), encoding="utf-8")
    out = tmp / "out"
    run_eval(subset_settings, questions, out, mode="extractive", pipelines=PIPELINES, embedder=embedder)
    return out


def test_one_record_per_question_in_ask_json_shape(eval_out: Path) -> None:
    for pipeline in PIPELINES:
        records = read_results(eval_out / pipeline / "results.jsonl")
        assert [r["id"] for r in records] == [q["id"] for q in QUESTIONS]
        for record in records:
            assert set(record) >= ASK_JSON_FIELDS, pipeline
            assert record["timings_ms"]["total"] > 0
    followup = read_results(eval_out / "ours" / "results.jsonl")[3]
    assert followup["rewritten_query"] != followup["question"]  # the history reached the chain


def test_report_files_and_plots_exist(eval_out: Path) -> None:
    for name in ("report.md", "report.html", "compare.png", *(f"{p}.png" for p in PIPELINES)):
        path = eval_out / name
        assert path.is_file() and path.stat().st_size > 0, name
        if name.endswith(".png"):
            assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    html = (eval_out / "report.html").read_text(encoding="utf-8")
    assert 'src="compare.png"' in html and "Failures" in html


def test_report_numbers_match_results(eval_out: Path) -> None:
    markdown = (eval_out / "report.md").read_text(encoding="utf-8")
    compared = {row["pipeline"]: row for row in markdown_table_after(markdown, "## Pipelines compared")}
    assert list(compared) == PIPELINES
    for pipeline in PIPELINES:
        expected = expected_overall(read_results(eval_out / pipeline / "results.jsonl"))
        assert {name: compared[pipeline][name] for name in expected} == expected, pipeline
        per_category = markdown_table_after(markdown, f"## Pipeline: {pipeline}")
        assert per_category[-1]["category"] == "all"
        assert per_category[-1]["hit@5"] == expected["hit@5"]
        assert {row["category"] for row in per_category} == {q["category"] for q in QUESTIONS} | {"all"}


def test_each_collection_gets_its_own_data_dir(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    a = collection_settings(settings, tmp_path / "a")
    again = collection_settings(settings, tmp_path / "x" / ".." / "a")
    b = collection_settings(settings, tmp_path / "b")
    assert a.data_dir == again.data_dir != b.data_dir
    assert a.data_dir.parent == settings.data_dir / "eval"
    assert a.collection_path == (tmp_path / "a").resolve()


class _ScriptedJudge:
    """A stand-in server: the judge must work through the Generator interface alone, offline."""

    name = "scripted"

    def __init__(self, replies: list[str]) -> None:
        self.replies = replies
        self.prompts: list[list[dict[str, str]]] = []

    def stream(self, messages: list[dict[str, str]], max_tokens: int, temperature: float) -> Iterator[str]:
        self.prompts.append(messages)
        yield self.replies[len(self.prompts) - 1]

    def count_tokens(self, text: str) -> int:
        return len(text)


def test_judge_verdicts_and_accuracy() -> None:
    records = [{"id": q["id"], "answer": "…"} for q in QUESTIONS[:3]] + [{"id": "t-refuse", "answer": "Không tìm thấy"}]
    generator = _ScriptedJudge(["CORRECT", "Incorrect.", "I cannot tell", "CORRECT"])
    verdicts = judge(records, QUESTIONS, generator)
    assert verdicts == {"t-age": True, "t-ceremony": False, "t-transfer-en": None, "t-refuse": True}
    assert "18 tuổi" in generator.prompts[0][1]["content"]
    assert "unanswerable" in generator.prompts[3][1]["content"]
    accuracy = accuracy_by(verdicts, QUESTIONS)
    assert accuracy["number"] == 0.5 and accuracy["procedure"] == 0.0 and accuracy["all"] == 0.5


def test_baselines_are_the_shipped_chain_with_parts_swapped(subset_settings: Settings, embedder: Embedder) -> None:
    """``dense`` drops references (no note on a missing document, no restriction), keeps the rewrite;
    the naive baseline's rewriter leaves a follow-up as asked."""
    missing = "Hướng dẫn 99-HD/TW năm 2030 quy định gì về đảng phí?"
    ours = make_pipeline("ours", subset_settings, embedder, "extractive").answer(missing, [])
    dense = make_pipeline("dense", subset_settings, embedder, "extractive").answer(missing, [])
    assert any("99-HD/TW" in note for note in ours["notes"]) and dense["notes"] == []
    assert ours["retrieved"] and dense["retrieved"]

    follow_up, history = "thế còn trình độ học vấn?", ["Người vào Đảng phải bao nhiêu tuổi?"]
    as_asked = Assistant(subset_settings, embedder, parts=Parts(rewriter=no_rewrite, references=no_references))
    assert as_asked.ask(follow_up, history).rewritten_query == follow_up
    assert dense["rewritten_query"] == missing
    rewritten = make_pipeline("dense", subset_settings, embedder, "extractive").answer(follow_up, history)
    assert rewritten["rewritten_query"] != follow_up and "tuổi" in rewritten["rewritten_query"]
