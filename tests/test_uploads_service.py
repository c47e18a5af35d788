"""The upload service (``ingest.uploads``) on a real index, and ``app.py ingest FILE…`` that uses it.

Each test works on its own copy of the session's TINY index, so accepted uploads and rollbacks
never reach other tests; only a few small new documents are ever embedded.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ingest.embedder import Embedder
from ingest.healing import ingest_lock
from ingest.service import open_index
from ingest.uploads import UploadReport, ingest_uploads, refusal
from settings import Settings
from tests.conftest import CORPUS, TINY

REPO = Path(__file__).resolve().parent.parent
HANDBOOK = "# Sổ tay chi bộ\n\nChi bộ họp thường kỳ mỗi tháng một lần vào ngày đầu tháng.\n"
HANDBOOK_V2 = "# Sổ tay chi bộ\n\nChi bộ họp thường kỳ mỗi tháng một lần; chi ủy họp trước đó một tuần.\n"


def write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text, encoding="utf-8")
    return folder / name


def upload(settings: Settings, embedder: Embedder, *files: Path, **kwargs: object) -> UploadReport:
    """The service as the UI calls it: with the caller's embedder and index."""
    return ingest_uploads(settings, list(files), *open_index(settings, embedder), **kwargs)  # type: ignore[arg-type]


def stored(settings: Settings) -> dict[str, bytes]:
    """What the uploads area holds, by name."""
    root = settings.uploads_path
    return {p.name: p.read_bytes() for p in sorted(root.iterdir())} if root.is_dir() else {}


def test_the_reasons_are_in_both_languages() -> None:
    message = refusal("too_large", name="bản đồ.pdf", size=72.5, limit=50)
    assert "vượt giới hạn 50 MB" in message and "exceeds the 50 MB limit" in message and "72.5" in message


def test_refused_files_are_explained_and_change_nothing(
    tiny_index: Settings, embedder: Embedder, tmp_path: Path
) -> None:
    incoming = tmp_path / "incoming"
    (incoming / "thu-muc.md").mkdir(parents=True)
    (incoming / "chuong-trinh.exe").write_bytes(b"MZ")
    (incoming / "hong.pdf").write_bytes(b"%PDF-1.4 not really a pdf")
    write(incoming, "rong.txt", "  \n")
    shutil.copyfile(CORPUS / TINY[1], incoming / "ban-sao.txt")
    files = [incoming / n for n in ("chuong-trinh.exe", "hong.pdf", "rong.txt", "ban-sao.txt", "khong-co.md")]
    files.append(incoming / "thu-muc.md")
    index = open_index(tiny_index, embedder)[1]
    before = index.records()

    report = upload(tiny_index, embedder, *files)

    assert [o.name for o in report.outcomes] == [f.name for f in files]  # in the order given
    assert not report.accepted and report.ingest is None
    reasons = [o.reason for o in report.outcomes]
    assert "chuong-trinh.exe: định dạng không được hỗ trợ" in reasons[0] and "unsupported file type" in reasons[0]
    assert "hong.pdf: tệp pdf bị hỏng" in reasons[1] and "corrupt or unreadable pdf" in reasons[1]
    assert reasons[2] == "rong.txt: tệp rỗng / file is empty"
    assert "ban-sao.txt: trùng nội dung" in reasons[3] and "same content as the indexed document" in reasons[3]
    assert reasons[4] == refusal("missing", name="khong-co.md") and reasons[5] == refusal("missing", name="thu-muc.md")
    assert index.records() == before and stored(tiny_index) == {}


def test_the_size_limit_is_the_ingest_limit(tiny_index: Settings, embedder: Embedder, tmp_path: Path) -> None:
    small = tiny_index.model_copy(update={"ingest": tiny_index.ingest.model_copy(update={"max_file_mb": 0.00005})})
    report = upload(small, embedder, write(tmp_path, "so-tay.md", HANDBOOK))
    (outcome,) = report.outcomes
    assert not outcome.accepted and report.ingest is None
    assert "vượt giới hạn 5e-05 MB" in outcome.reason and "exceeds the 5e-05 MB limit" in outcome.reason


def test_a_batch_keeps_one_file_per_content_and_per_name(
    tiny_index: Settings, embedder: Embedder, tmp_path: Path
) -> None:
    first = write(tmp_path / "a", "so-tay.md", HANDBOOK)
    copy = write(tmp_path / "a", "ban-sao-so-tay.md", HANDBOOK)
    same_name = write(tmp_path / "b", "so-tay.md", HANDBOOK_V2)

    report = upload(tiny_index, embedder, first, copy, same_name)

    accepted, duplicate, renamed = report.outcomes
    record = open_index(tiny_index, embedder)[1].records()["so-tay.md"]
    assert accepted.accepted and record.origin == "upload" and accepted.chunks == len(record.chunk_ids) > 0
    assert duplicate.reason == refusal("duplicate", name="ban-sao-so-tay.md", existing="so-tay.md")
    assert renamed.reason == refusal("same_name", name="so-tay.md")
    assert report.ingest is not None and report.ingest.files_updated == 1
    assert stored(tiny_index) == {"so-tay.md": HANDBOOK.encode()}


def test_a_failure_mid_ingest_undoes_the_batch_and_keeps_the_earlier_upload(
    tiny_index: Settings, embedder: Embedder, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """An error mid-ingest (here the progress bar's, the UI's own callback) leaves the index and the
    uploads area as they were: the new file gone, the replaced one back with its record."""
    assert upload(tiny_index, embedder, write(tmp_path / "v1", "so-tay.md", HANDBOOK)).accepted
    index = open_index(tiny_index, embedder)[1]
    before = index.records()

    def broken_progress(desc: str, done: float) -> None:
        raise RuntimeError("progress bar gone")

    files = (write(tmp_path / "v2", "so-tay.md", HANDBOOK_V2), write(tmp_path / "v2", "moi.md", HANDBOOK + "Mới.\n"))
    report = upload(tiny_index, embedder, *files, progress=broken_progress)

    assert not report.accepted
    for outcome in report.outcomes:
        assert outcome.reason == f"{refusal('failed', name=outcome.name)} ({refusal('unexpected')})"
    assert index.records() == before and stored(tiny_index) == {"so-tay.md": HANDBOOK.encode()}
    (logged,) = [r for r in caplog.records if r.name == "ingest.uploads" and r.exc_info]
    assert "so-tay.md, moi.md" in logged.getMessage() and "progress bar gone" in str(logged.exc_info[1])


def test_an_upload_that_waited_past_lock_wait_s_is_refused_whole(
    tiny_index: Settings, embedder: Embedder, tmp_path: Path
) -> None:
    """An upload waits for the run writing (tests/test_background_ingest.py); past the wait, nothing changes."""
    index = open_index(tiny_index, embedder)[1]
    before = index.records()
    impatient = tiny_index.model_copy(update={"ingest": tiny_index.ingest.model_copy(update={"lock_wait_s": 0.5})})
    with ingest_lock(tiny_index.data_dir):
        report = upload(impatient, embedder, write(tmp_path, "so-tay.md", HANDBOOK))
    (outcome,) = report.outcomes
    assert not outcome.accepted and "another ingest is still writing the index" in outcome.reason
    assert outcome.reason.startswith(refusal("failed", name="so-tay.md"))
    assert index.records() == before and stored(tiny_index) == {}


def test_cli_ingest_of_files_uses_the_upload_service(tiny_index: Settings, tmp_path: Path) -> None:
    """``app.py ingest FILE…``: the same checks as the UI, one line per file, exit 1 if any was refused."""
    good = write(tmp_path, "so-tay.md", HANDBOOK)
    program = tmp_path / "chuong-trinh.exe"
    program.write_bytes(b"MZ")
    env = {
        **os.environ,
        "PARTYDOCS_DATA_DIR": str(tiny_index.data_dir),
        "PARTYDOCS_COLLECTION_PATH": str(tiny_index.collection_path),
        "PYTHONIOENCODING": "utf-8",
    }
    run = subprocess.run(
        [sys.executable, "app.py", "ingest", str(good), str(program)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert run.returncode == 1, run.stderr
    assert "✓ so-tay.md: " in run.stdout and "Đã nạp / ingested 1/2" in run.stdout
    refused = f"✗ {refusal('unsupported', name='chuong-trinh.exe', suffixes=_suffixes())}"
    assert refused in [line.strip() for line in run.stderr.splitlines()], run.stderr
    assert "upload refused" not in run.stderr and "INFO" not in run.stderr  # the log's lines stay in the log
    records = open_index(tiny_index)[1].records()
    assert records["so-tay.md"].origin == "upload" and records["so-tay.md"].chunk_ids
    assert all(source in records for source in TINY)  # files, not a folder: nothing else was touched
    assert stored(tiny_index) == {"so-tay.md": HANDBOOK.encode()}
    log = (tiny_index.data_dir / "logs" / "partydocs.log").read_text(encoding="utf-8")
    assert "upload ingested: so-tay.md" in log and "upload refused: chuong-trinh.exe" in log


def _suffixes() -> str:
    from ingest.loaders import SUPPORTED_SUFFIXES

    return ", ".join(sorted(SUPPORTED_SUFFIXES))
