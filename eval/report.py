"""The eval report: metric tables per category, plots, failures, and pipelines side by side.

The report is built once as a list of blocks (heading, paragraph, table, image) and rendered to
Markdown (committed, readable on the forge; written by ``assistant.markdown``, as the course export
is) and to HTML (opened locally), so the two can never disagree. All numbers come from
``eval.metrics.aggregate`` over the saved records: the report adds presentation, never a second
definition of a metric.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # files only; never a display
import matplotlib.pyplot as plt

from assistant.extractive import INTRO
from assistant.markdown import Cell, Heading, Image, Paragraph, Table, to_markdown
from eval.metrics import SupportFn, aggregate, gold_hit_rank
from ingest.sentences import split_sentences

K_VALUES = (1, 3, 5, 10)
FAILURE_K = 5  # a question whose gold is not in the top 5 is listed: the answer draws on 5 passages
# Rows shown per pipeline: enough to see the patterns; a benchmark with hundreds of misses would
# otherwise bury the report (and copy much of its question set). The rest is in results.jsonl.
MAX_FAILURE_ROWS = 60
RETRIEVAL_COLUMNS = ("n_retrieval", "hit@1", "hit@3", "hit@5", "hit@10", "mrr@10")
ANSWER_COLUMNS = (
    "n",
    "citation_precision",
    "citation_recall",
    "answer_key_coverage",
    "refusal_precision",
    "refusal_recall",
    "p50_ms",
    "p95_ms",
)
# Side by side, the counts differ per pipeline only through refusals, so they are left out.
COMPARE_COLUMNS = RETRIEVAL_COLUMNS[1:] + ANSWER_COLUMNS[1:]
SHORT = {
    "n_retrieval": "n (gold)",
    "citation_precision": "cit. P",
    "citation_recall": "cit. R",
    "answer_key_coverage": "key cov.",
    "refusal_precision": "refusal P",
    "refusal_recall": "refusal R",
    "p50_ms": "p50 ms",
    "p95_ms": "p95 ms",
}
READING = (
    "hit@k: share of questions with gold evidence whose gold quote is found within the top k retrieved passages "
    "(a quote split over chunks counts once the chunks cover 60% of it; a gold naming a section, shown after §, "
    "is also found by any passage under that heading); MRR@10 counts a miss as 0. "
    "Citation P/R: ALCE citation precision/recall of non-refused answers, judged by the support check "
    "(assistant/support.py), no LLM; the fixed lead-in line and reference notes are not claims and are not scored. "
    "Key cov.: share of answer keys present in the answer. "
    "Refusal P/R: refusing is the positive class. Latency: end-to-end ms per question on this machine. "
    "'–' means undefined (no such question in the group). The naive pipeline retrieves 4 passages, "
    "so its hit@5 and hit@10 equal its hit@4."
)

Block = Heading | Paragraph | Table | Image  # the report writes no lists


# --- metrics ------------------------------------------------------------------------------------
_LEAD_INS = frozenset(INTRO.values())


def claims_only(record: Mapping[str, Any]) -> dict[str, Any]:
    """The record with its answer reduced to claims, each line ending in its citation marker.

    An answer with ``parts`` (extractive) is scored from them directly: the claims and the passage
    each part cites, never the frames, lead-in and notes around them. Otherwise (generative text)
    "Theo bộ văn bản:" and "“Hướng dẫn 26” is not in the collection" are stripped: presentation,
    not claims that need a citation; scored as uncited sentences they would cap every answer's
    ALCE recall. A refusal claims nothing, whatever closest passages it shows to help the reader.
    """
    if record.get("refused"):
        return {**record, "answer": ""}
    parts = record.get("parts") or []
    if parts:
        lines = [
            f"{sentence} [{part['citation']}]"
            for part in parts
            for claim in part["claims"]
            for sentence in split_sentences(claim)
        ]
        return {**record, "answer": "\n".join(lines)}
    skip = _LEAD_INS | set(record.get("notes", []))
    answer = "\n".join(line for line in str(record.get("answer", "")).splitlines() if line.strip() not in skip)
    return {**record, "answer": answer}


def metric_rows(
    records: Sequence[Mapping[str, Any]],
    questions: Sequence[Mapping[str, Any]],
    support: SupportFn | None,
    by: str = "category",
) -> list[dict[str, Any]]:
    """``aggregate`` rows per ``by`` value (last: "all"), with hit@1/3/5 beside hit@10 and MRR@10."""
    claims = [claims_only(r) for r in records]
    return aggregate(claims, questions, by=by, k=K_VALUES[-1], support_fn=support, hits_at=K_VALUES[:-1])


def fmt(value: Any, column: str = "") -> str:
    """One spelling for every number in the report (tests parse it back)."""
    if value is None:
        return "–"
    if column.endswith("_ms"):
        return f"{value:.0f}"
    if isinstance(value, float):
        return f"{value:.3f}"
    return str(value)


# --- failures -----------------------------------------------------------------------------------
def failure_rows(records: Sequence[Mapping[str, Any]], questions: Sequence[Mapping[str, Any]]) -> list[list[Cell]]:
    """Questions the pipeline got wrong: gold not in the top 5, or the wrong refusal decision."""
    by_id = {r["id"]: r for r in records}
    rows: list[list[Cell]] = []
    for question in questions:
        record = by_id.get(question["id"])
        if record is None:
            continue
        problems = _problems(question, record)
        if not problems:
            continue
        expected = [
            f"{g['source']}{' § ' + g['section'] if g.get('section') else ''}: “{_clip(g['quote'], 90)}”"
            for g in question.get("gold", [])
        ]
        retrieved = [f"{p['source']} § {p.get('section') or '–'}" for p in record.get("retrieved", [])[:3]]
        rows.append(
            [
                question["id"],
                question.get("category", ""),
                question["question"],
                "; ".join(problems),
                expected or ["(none: should refuse)"],
                retrieved or ["(nothing)"],
            ]
        )
    return rows


def _problems(question: Mapping[str, Any], record: Mapping[str, Any]) -> list[str]:
    problems = []
    expect_refuse = question.get("expect") == "refuse"
    if expect_refuse and not record.get("refused"):
        problems.append("answered, should refuse")
    if not expect_refuse and record.get("refused"):
        problems.append("refused, should answer")
    if question.get("gold"):
        rank = gold_hit_rank(record.get("retrieved", []), question["gold"], k=10)
        if rank is None:
            problems.append("gold not in top 10")
        elif rank > FAILURE_K:
            problems.append(f"gold at rank {rank}")
    return problems


def _clip(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


# --- plots --------------------------------------------------------------------------------------
def _bars(
    ax: Any,
    groups: Sequence[str],
    series: Mapping[str, Sequence[float | None]],
    ylabel: str,
    share: bool = True,
    values_on_bars: bool = False,
) -> None:
    """Grouped bars, one colour per series; undefined values leave a gap rather than a false 0.

    ``share`` fixes the axis at 0..1 with headroom, so the legend never hides a perfect score.
    """
    width = 0.8 / max(len(series), 1)
    for i, (label, values) in enumerate(series.items()):
        xs = [g + (i - (len(series) - 1) / 2) * width for g in range(len(groups))]
        bars = ax.bar(xs, [float("nan") if v is None else v for v in values], width, label=label)
        if values_on_bars:
            ax.bar_label(bars, fmt="%.2f", fontsize=7)
    if share:
        ax.set_ylim(0, 1.25)
    ax.set_xticks(range(len(groups)))
    ax.set_xticklabels(groups, rotation=30, ha="right", fontsize=8)
    ax.set_ylabel(ylabel)
    ax.legend(fontsize=7, ncol=min(len(series), 5), loc="upper left")
    ax.grid(axis="y", alpha=0.3)


def plot_pipeline(rows: Sequence[Mapping[str, Any]], path: Path, title: str) -> None:
    """Retrieval, answer quality and latency per category, in one figure."""
    groups = [str(r["category"]) for r in rows]
    fig, axes = plt.subplots(3, 1, figsize=(10, 11))
    _bars(axes[0], groups, {c: [r[c] for r in rows] for c in RETRIEVAL_COLUMNS[1:]}, "retrieval")
    quality = ANSWER_COLUMNS[1:6]
    _bars(axes[1], groups, {SHORT[c]: [r.get(c) for r in rows] for c in quality}, "answers")
    latency = {SHORT[c]: [r[c] for r in rows] for c in ("p50_ms", "p95_ms")}
    _bars(axes[2], groups, latency, "latency (ms)", share=False)
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_compare(overall: Mapping[str, Mapping[str, Any]], path: Path) -> None:
    """hit@5 and MRR@10 of every pipeline side by side."""
    fig, ax = plt.subplots(figsize=(7, 4))
    headline = {c: [row[c] for row in overall.values()] for c in ("hit@5", "mrr@10")}
    _bars(ax, list(overall), headline, "score", values_on_bars=True)
    ax.set_title("hit@5 and MRR@10 per pipeline")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


# --- document -----------------------------------------------------------------------------------
def _metric_table(rows: Sequence[Mapping[str, Any]], first: str, columns: Sequence[str]) -> Table:
    headers = [first, *(SHORT.get(c, c) for c in columns)]
    return Table(headers, [[str(r[first]), *(fmt(r.get(c), c) for c in columns)] for r in rows])


def _margins(overall: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """How far ``ours`` is ahead of each other pipeline on the two headline retrieval scores."""
    ours = overall.get("ours")
    if ours is None:
        return []
    lines = []
    for name, row in overall.items():
        if name == "ours":
            continue
        parts = [
            f"{c} {ours[c] - row[c]:+.3f} ({fmt(row[c])} → {fmt(ours[c])})"
            for c in ("hit@5", "mrr@10")
            if ours[c] is not None and row[c] is not None
        ]
        lines.append(f"ours vs {name}: " + ", ".join(parts) + ".")
    return lines


def build_blocks(
    rows_by_pipeline: Mapping[str, Sequence[Mapping[str, Any]]],
    rows_by_language: Mapping[str, Sequence[Mapping[str, Any]]],
    failures_by_pipeline: Mapping[str, list[list[Cell]]],
    title: str,
    notes: Sequence[str] = (),
) -> list[Block]:
    blocks: list[Block] = [Heading(1, f"Evaluation: {title}"), *(Paragraph(n) for n in notes), Paragraph(READING)]
    if len(rows_by_pipeline) > 1:
        overall = {name: rows[-1] for name, rows in rows_by_pipeline.items()}
        blocks += [
            Heading(2, "Pipelines compared (all questions)"),
            Table(
                ["pipeline", *(SHORT.get(c, c) for c in COMPARE_COLUMNS)],
                [[name, *(fmt(row.get(c), c) for c in COMPARE_COLUMNS)] for name, row in overall.items()],
            ),
            *(Paragraph(line) for line in _margins(overall)),
            Image("compare.png", "hit@5 and MRR@10 per pipeline"),
            Heading(3, "Retrieval by question language"),
            Table(
                ["pipeline", "lang", "n (gold)", "hit@5", "mrr@10"],
                [
                    [name, str(row["lang"]), fmt(row["n_retrieval"]), fmt(row["hit@5"]), fmt(row["mrr@10"])]
                    for name, rows in rows_by_language.items()
                    for row in rows
                ],
            ),
        ]
    for name, rows in rows_by_pipeline.items():
        failures = failures_by_pipeline[name]
        blocks += [
            Heading(2, f"Pipeline: {name}"),
            Heading(3, "Retrieval per category"),
            _metric_table(rows, "category", RETRIEVAL_COLUMNS),
            Heading(3, "Answers, refusal and latency per category"),
            _metric_table(rows, "category", ANSWER_COLUMNS),
            Heading(3, "Answers, refusal and latency per question language"),
            _metric_table(rows_by_language[name], "lang", ANSWER_COLUMNS),
            Image(f"{name}.png", f"{name}: metrics per category"),
            Heading(3, f"Failures ({len(failures)})"),
            Table(["id", "category", "question", "problem", "expected", "retrieved top 3"], failures[:MAX_FAILURE_ROWS])
            if failures
            else Paragraph("None."),
        ]
        if len(failures) > MAX_FAILURE_ROWS:
            blocks.append(Paragraph(f"… and {len(failures) - MAX_FAILURE_ROWS} more (see the results file)."))
    return blocks


def _html_cell(cell: Cell) -> str:
    lines = cell if isinstance(cell, list) else [cell]
    return "<br>".join(html.escape(line) for line in lines)


def to_html(blocks: Sequence[Block], title: str) -> str:
    out = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{html.escape(title)}</title>",
        "<style>body{font-family:sans-serif;max-width:1200px;margin:auto;padding:1em}"
        "table{border-collapse:collapse;font-size:13px;margin:1em 0}"
        "td,th{border:1px solid #ccc;padding:3px 6px;vertical-align:top}th{background:#eee}"
        "img{max-width:100%}</style></head><body>",
    ]
    for block in blocks:
        if isinstance(block, Heading):
            out.append(f"<h{block.level}>{html.escape(block.text)}</h{block.level}>")
        elif isinstance(block, Paragraph):
            out.append(f"<p>{html.escape(block.text)}</p>")
        elif isinstance(block, Table):
            head = "".join(f"<th>{html.escape(h)}</th>" for h in block.headers)
            body = "".join("<tr>" + "".join(f"<td>{_html_cell(c)}</td>" for c in row) + "</tr>" for row in block.rows)
            out.append(f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")
        else:
            out.append(f'<img src="{html.escape(block.file)}" alt="{html.escape(block.alt)}">')
    out.append("</body></html>")
    return "\n".join(out) + "\n"


def write_report(
    out: Path,
    results: Mapping[str, Sequence[Mapping[str, Any]]],
    questions: Sequence[Mapping[str, Any]],
    support: SupportFn | None,
    title: str,
    notes: Sequence[str] = (),
) -> dict[str, list[dict[str, Any]]]:
    """Write ``report.md``, ``report.html`` and the PNGs into ``out``; return the rows per pipeline."""
    out.mkdir(parents=True, exist_ok=True)
    rows_by_pipeline = {name: metric_rows(records, questions, support) for name, records in results.items()}
    by_language = {name: metric_rows(records, questions, support, by="lang") for name, records in results.items()}
    failures = {name: failure_rows(records, questions) for name, records in results.items()}
    for name, rows in rows_by_pipeline.items():
        plot_pipeline(rows, out / f"{name}.png", f"{title}: {name}")
    if len(rows_by_pipeline) > 1:
        plot_compare({name: rows[-1] for name, rows in rows_by_pipeline.items()}, out / "compare.png")
    blocks = build_blocks(rows_by_pipeline, by_language, failures, title, notes)
    (out / "report.md").write_text(to_markdown(blocks), encoding="utf-8")
    (out / "report.html").write_text(to_html(blocks, f"Evaluation: {title}"), encoding="utf-8")
    return rows_by_pipeline
