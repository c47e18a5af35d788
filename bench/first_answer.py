"""From `serve` on a fresh data dir to the first cited answer about QĐ 294 (issue 15, item 1).

Usage:  python -m bench.first_answer [--port 7871] [--timeout 1800]

Starts ``app.py serve`` (models already in place, as after ``app.py setup``) on an empty temporary
data dir over the default collection, and times from the moment it is started: the page answering
HTTP, the first answer to a question about QĐ 294 that cites QĐ 294 (asked through the page's own
HTTP API every few seconds, as a user retrying would), and the background indexing's "indexing
complete" line. The answer's partial-index note and an answer after completion are recorded too.
A row goes to ``bench/results/first_answer.md`` with the machine and its load at start and end.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

import ingest  # noqa: F401  - offline mode first
from bench import machine

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "first_answer.md"
QUESTION = "Thời hạn tổ chức lễ kết nạp đảng viên là bao lâu?"
QD_294 = "official/qd-294-2025-thi-hanh-dieu-le.pdf"
HEADER = """# From `serve` on a fresh data dir to the first cited answer

Written by `python -m bench.first_answer`: `app.py serve` on an empty data dir over the default
collection (123 documents), models already in place. Seconds from starting the process. "First
cited answer": the first answer citing QĐ 294 to the question below, asked every few seconds
through the page's HTTP API. The notes: what that answer, and one asked when the run ends (or the
bench gives up), said about the partial index ("—": nothing, the index is complete). The machine
column has the load average: on a host shared with other jobs every figure stretches with it.

Question: {question}

| date | page up s | first cited answer s | index complete s | first answer's note | last answer's note | machine |
|---|---|---|---|---|---|---|
"""


def ask(client: httpx.Client, question: str) -> tuple[str, str]:
    """One question through the page's API (Gradio's call route): the answer's text and the panel."""
    started = client.post("/gradio_api/call/answer", json={"data": [question, "extractive", [], [], [], "vi"]})
    started.raise_for_status()
    outputs: list[Any] = []
    for line in client.get(f"/gradio_api/call/answer/{started.json()['event_id']}").text.splitlines():
        if line.startswith("data: ") and line != "data: null":
            outputs = json.loads(line.removeprefix("data: ")) or outputs
    chat, panel = outputs[0], outputs[1]
    content = chat[-1]["content"]
    text = content if isinstance(content, str) else "".join(part.get("text", "") for part in content)
    return text, panel


def partial_note(answer: str) -> str:
    """The counts of an answer's partial-index note ("Đang lập chỉ mục: 1/123 văn bản / Indexing: 1 of
    123 documents"), or "—" when it has none."""
    first = answer.splitlines()[0] if answer else ""
    if "Indexing:" not in first:
        return "—"
    vi, en = first.removeprefix("> ⚠ ").split(" / ", 1)
    return f"{vi.split(';')[0]} / {en.split(';')[0]}"


class Console:
    """The server's output, line by line, with the time each line arrived."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.lines: list[tuple[float, str]] = []
        threading.Thread(target=self._read, args=(process,), daemon=True).start()

    def _read(self, process: subprocess.Popen[str]) -> None:
        assert process.stdout is not None
        for line in process.stdout:
            self.lines.append((time.monotonic(), line.rstrip()))

    def when(self, text: str) -> float | None:
        return next((at for at, line in self.lines if text in line), None)


def run(port: int, timeout: float) -> dict[str, Any]:
    data_dir = Path(tempfile.mkdtemp(prefix="partydocs-first-answer-"))
    env = {**os.environ, "PARTYDOCS_DATA_DIR": str(data_dir), "PARTYDOCS_UI__INDEX_ON_START": "true"}
    load_start = machine()
    started = time.monotonic()
    command = [sys.executable, "app.py", "serve", "--port", str(port)]
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    console = Console(process)
    result: dict[str, Any] = {"data_dir": str(data_dir)}
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=300) as client:
            while "page_up_s" not in result:
                assert process.poll() is None, "\n".join(line for _, line in console.lines)
                try:
                    if client.get("/").status_code == 200:
                        result["page_up_s"] = time.monotonic() - started
                except httpx.TransportError:
                    time.sleep(0.5)
            while "first_answer_s" not in result and time.monotonic() - started < timeout:
                text, panel = ask(client, QUESTION)
                if QD_294 in panel and "cite-ref" in text:
                    result["first_answer_s"] = time.monotonic() - started
                    result["note"] = partial_note(text)
                else:
                    time.sleep(3)
            while console.when("indexing complete") is None and time.monotonic() - started < timeout:
                assert process.poll() is None, "\n".join(line for _, line in console.lines)
                time.sleep(1)
            complete = console.when("indexing complete")
            result["complete_s"] = None if complete is None else complete - started
            result["after"] = partial_note(ask(client, QUESTION)[0])
    finally:
        process.terminate()
        process.wait(60)
    result["machine"] = f"{load_start}; {os.getloadavg()[0]:.1f} at end"
    result["console"] = [line for _, line in console.lines if "indexing" in line or "UI running" in line]
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=7871)
    parser.add_argument("--timeout", type=float, default=1800.0, help="give up after this many seconds")
    args = parser.parse_args()
    result = run(args.port, args.timeout)
    print(json.dumps(result, ensure_ascii=False, indent=2))

    def seconds(key: str) -> str:
        return f"not within {args.timeout:.0f}" if result.get(key) is None else f"{result[key]:.0f}"

    if not RESULTS.exists():
        RESULTS.write_text(HEADER.format(question=QUESTION), encoding="utf-8")
    row = (
        f"| {datetime.now(UTC):%Y-%m-%d %H:%M} UTC | {seconds('page_up_s')} | {seconds('first_answer_s')} | "
        f"{seconds('complete_s')} | {result.get('note', '—')} | {result['after']} | {result['machine']} |"
    )
    RESULTS.write_text(with_row(RESULTS.read_text(encoding="utf-8"), row), encoding="utf-8")


def with_row(page: str, row: str) -> str:
    """``page`` with ``row`` under the last row of its table, so the notes written below the table
    by hand stay below it."""
    lines = page.splitlines()
    last = max((i for i, line in enumerate(lines) if line.startswith("|")), default=len(lines) - 1)
    return "\n".join([*lines[: last + 1], row, *lines[last + 1 :]]) + "\n"


if __name__ == "__main__":
    main()
