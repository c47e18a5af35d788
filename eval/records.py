"""Reading question sets and results files, writing calibration reports: light, so the judge and
benches need no models."""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any


def load_questions(path: Path) -> list[dict[str, Any]]:
    """Question records from JSONL, NFC-normalised so they compare equal to the indexed text."""
    questions = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        record = json.loads(unicodedata.normalize("NFC", line))
        if "id" not in record or "question" not in record:
            raise ValueError(f"{path}:{n}: a question needs 'id' and 'question'")
        questions.append(record)
    ids = [q["id"] for q in questions]
    if len(set(ids)) != len(ids):
        raise ValueError(f"{path}: question ids must be unique")
    return questions


def read_results(path: Path) -> list[dict[str, Any]]:
    """The records of a results.jsonl written by eval (one ``ask --json`` object per line)."""
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def write_report(out: Path, lines: Sequence[str], records_name: str, records: Iterable[dict[str, Any]]) -> None:
    """``out/report.md`` from ``lines`` and ``out/<records_name>`` with one JSON record per line,
    so every figure of the report can be recomputed from the records."""
    out.mkdir(parents=True, exist_ok=True)
    (out / "report.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    with (out / records_name).open("w", encoding="utf-8") as handle:
        for record in records:
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
