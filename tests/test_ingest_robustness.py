"""Issue 11 items 5-9: bad files refused, limits, every file accounted for, duplicates, NFC, prune.

Cheap by design: loader checks need no model, and the ingest cases reuse the session's TINY index
so only a handful of new chunks are ever embedded.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import unicodedata
from pathlib import Path

import pymupdf
import pytest

from ingest.embedder import Embedder
from ingest.keyword_index import remove_stale_temp_dirs
from ingest.loaders import DocumentLoadError, load_document
from ingest.metadata import read_manifest
from ingest.pipeline import Ingestor, PruneRefusedError
from ingest.scan import scan_collection, source_of
from ingest.service import collection_stats, open_index
from ingest.textclean import MIN_VIETNAMESE_SHARE, vietnamese_share
from settings import Settings
from tests.conftest import CORPUS, TINY

QD_294 = "official/qd-294-2025-thi-hanh-dieu-le.pdf"
OTHER_TEXT = "seeds/003_bd0d43a6b8ead280.txt"  # a real document that TINY does not hold
REPO = Path(__file__).resolve().parent.parent


def _ingestor(settings: Settings, embedder: Embedder) -> Ingestor:
    return Ingestor(settings, *open_index(settings, embedder))


def _with_ingest(settings: Settings, **changes: object) -> Settings:
    return settings.model_copy(update={"ingest": settings.ingest.model_copy(update=changes)})


def test_truncated_pdf_is_refused_as_damaged_not_indexed_as_mojibake(tmp_path: Path) -> None:
    broken = tmp_path / "qd-294-cut.pdf"
    broken.write_bytes((CORPUS / QD_294).read_bytes()[:60_000])  # what a broken download leaves

    with pytest.raises(DocumentLoadError, match="file damaged or unreadable") as caught:
        load_document(broken, tmp_path)
    assert "tệp bị hỏng" in str(caught.value) and caught.value.source == "qd-294-cut.pdf"
    # The complete file reads as real Vietnamese, far above the bar.
    full = load_document(CORPUS / QD_294, CORPUS)
    assert (vietnamese_share(full.text) or 0) > 0.95 > MIN_VIETNAMESE_SHARE


def test_mojibake_scores_low_and_plain_english_is_not_judged() -> None:
    mojibake = vietnamese_share("BAN CHҨP H NH TRUN ĈҦNG CӜNG SҦN VIӊT Sӕ 294 " * 5)
    assert mojibake is not None and mojibake < MIN_VIETNAMESE_SHARE
    assert vietnamese_share("The Central Committee issued Regulation 294 on the Party Charter. " * 20) is None


def test_password_protected_pdf_says_so(tmp_path: Path) -> None:
    source = pymupdf.open(CORPUS / QD_294)
    locked = tmp_path / "khoa.pdf"
    source.save(locked, encryption=pymupdf.PDF_ENCRYPT_AES_256, user_pw="mat-khau", owner_pw="chu-so-huu")

    with pytest.raises(DocumentLoadError, match="protected by a password") as caught:
        load_document(locked, tmp_path)
    assert "mật khẩu" in str(caught.value) and "corrupt" not in str(caught.value)


# --- item 7: every file is accounted for ------------------------------------------------------


def test_scan_reports_every_file_it_does_not_index(tmp_path: Path) -> None:
    root = tmp_path / "bo-van-ban"
    (root / "seeds").mkdir(parents=True)
    outside = tmp_path / "ngoai"
    outside.mkdir()
    (outside / "bi-mat.txt").write_text("Văn bản nằm ngoài thư mục.", encoding="utf-8")
    (root / "seeds" / "a.txt").write_text("Nội dung.", encoding="utf-8")
    (root / "ghi-chu.rtf").write_text("{\\rtf1 x}", encoding="utf-8")
    (root / "du-lieu.xyz").write_text("x", encoding="utf-8")
    (root / ".an.txt").write_text("x", encoding="utf-8")
    (root / "vong-a.txt").symlink_to("vong-b.txt")
    (root / "vong-b.txt").symlink_to("vong-a.txt")
    (root / "ra-ngoai.txt").symlink_to(outside / "bi-mat.txt")
    (root / "thu-muc-ngoai").symlink_to(outside, target_is_directory=True)
    (root / "seeds" / "cha").symlink_to(root, target_is_directory=True)
    (root / "ban-lien-ket.txt").symlink_to(root / "seeds" / "a.txt")  # inside: read, then deduplicated
    (root / "MANIFEST.tsv").write_text("path\ttitle\n", encoding="utf-8")

    files, skipped = scan_collection(root)

    assert [source_of(p, root) for p in files] == ["ban-lien-ket.txt", "seeds/a.txt"]
    reasons = {s.source: s.reason for s in skipped}
    assert set(reasons) == {
        "ghi-chu.rtf", "du-lieu.xyz", ".an.txt", "vong-a.txt", "vong-b.txt", "ra-ngoai.txt", "thu-muc-ngoai",
        "seeds/cha", "MANIFEST.tsv",
    }  # fmt: skip
    assert "unsupported file type '.rtf'" in reasons["ghi-chu.rtf"] and "'.xyz'" in reasons["du-lieu.xyz"]
    assert reasons["vong-a.txt"] == reasons["seeds/cha"] == "vòng lặp liên kết tượng trưng / symlink loop"
    assert "link leaves the collection folder" in reasons["ra-ngoai.txt"] == reasons["thu-muc-ngoai"]
    assert all(" / " in reason for reason in reasons.values())


def test_names_are_nfc_so_an_nfd_file_finds_its_manifest_row(tmp_path: Path) -> None:
    nfc = "seeds/Hội nghị cán bộ.txt"
    (tmp_path / "seeds").mkdir()
    (tmp_path / unicodedata.normalize("NFD", nfc)).write_text(
        (CORPUS / TINY[1]).read_text(encoding="utf-8"), encoding="utf-8"
    )
    (tmp_path / "MANIFEST.tsv").write_text(f"path\ttitle\n{nfc}\tTiêu đề trong MANIFEST\n", encoding="utf-8")
    # The same name in the other normal form would be the same document twice.
    (tmp_path / nfc).write_text("Bản khác.", encoding="utf-8")

    files, skipped = scan_collection(tmp_path)

    assert len(files) == 1 and source_of(files[0], tmp_path) == nfc
    assert [s.source for s in skipped if "NFC" in s.reason] == [nfc]
    doc = load_document(files[0], tmp_path, read_manifest(tmp_path))
    assert doc.meta.source == nfc and doc.meta.title == "Tiêu đề trong MANIFEST"


def test_skipped_and_duplicate_files_are_listed_by_stats_and_not_indexed(
    tiny_index: Settings, embedder: Embedder, tmp_path: Path
) -> None:
    root = tiny_index.collection_path
    outside = tmp_path / "ngoai.md"
    outside.write_text((CORPUS / OTHER_TEXT).read_text(encoding="utf-8"), encoding="utf-8")
    (root / "ra-ngoai.md").symlink_to(outside)
    (root / "ghi-chu.rtf").write_text("{\\rtf1 x}", encoding="utf-8")
    (root / "vong").symlink_to("vong")
    shutil.copyfile(root / TINY[1], root / "seeds" / "ban-sao.txt")  # the same file under a second name

    report = _ingestor(tiny_index, embedder).ingest_folder(root)

    assert report.chunks_embedded == 0 and report.files_unchanged == 2 and not report.failures
    stats = collection_stats(tiny_index, open_index(tiny_index, embedder)[1], sections=False)
    skipped = {s["source"]: s["reason"] for s in stats["skipped"]}
    assert {"ra-ngoai.md", "ghi-chu.rtf", "vong", "seeds/ban-sao.txt", "MANIFEST.tsv"} == set(skipped)
    assert skipped["seeds/ban-sao.txt"] == (
        f"nội dung trùng với '{TINY[1]}', không nạp hai lần / duplicate of '{TINY[1]}', not indexed twice"
    )
    assert {d["source"] for d in stats["documents"]} == set(TINY)
    chunks = open_index(tiny_index, embedder)[1].all_chunks(include=("documents",))
    assert len(set(chunks["documents"])) == len(chunks["documents"]), "no passage may be stored twice"
    assert stats["total_chunks"] == sum(d["chunks"] for d in stats["documents"])


# --- item 6: a size limit -----------------------------------------------------------------------


def test_file_over_the_size_limit_is_refused_naming_the_setting(tiny_index: Settings, embedder: Embedder) -> None:
    settings = _with_ingest(tiny_index, max_file_mb=0.5)
    paragraph = (CORPUS / OTHER_TEXT).read_text(encoding="utf-8")
    big = settings.collection_path / "rat-lon.txt"
    big.write_text(paragraph * (600_000 // len(paragraph.encode()) + 1), encoding="utf-8")  # ~0.6 MB of real text

    report = _ingestor(settings, embedder).ingest_folder(settings.collection_path)

    assert report.chunks_embedded == 0 and report.files_unchanged == 2
    [failure] = report.failures
    assert failure.source == "rat-lon.txt"
    assert "file too large (0.604 MB, limit 0.5 MB" in failure.reason and "ingest.max_file_mb" in failure.reason
    assert "tệp quá lớn" in failure.reason
    # The refusal is remembered: the next run reports it without reading the file again.
    again = _ingestor(settings, embedder).ingest_folder(settings.collection_path)
    assert again.files_unchanged == 3 and [f.source for f in again.failures] == ["rat-lon.txt"]


# --- item 9: destructive runs ask first -----------------------------------------------------------


def test_ingesting_another_folder_refuses_to_empty_the_index(
    tiny_index: Settings, embedder: Embedder, tmp_path: Path
) -> None:
    settings = _with_ingest(tiny_index, max_unasked_removals=1)
    other = tmp_path / "thu-muc-khac"
    other.mkdir()
    (other / "ghi-chu.rtf").write_text("{\\rtf1 x}", encoding="utf-8")
    before = open_index(settings, embedder)[1].records()

    with pytest.raises(PruneRefusedError) as refused:
        _ingestor(settings, embedder).ingest_folder(other)
    message = str(refused.value)
    assert all(source in message for source in TINY) and "--prune" in message and "would remove 2" in message
    index = open_index(settings, embedder)[1]
    assert index.records() == before, "nothing may change before the user agrees"

    report = _ingestor(settings, embedder).ingest_folder(other, prune=True)
    assert report.files_removed == 2 and index.count() == 0


def test_cli_ingest_without_prune_says_what_would_be_removed(tiny_index: Settings, tmp_path: Path) -> None:
    other = tmp_path / "thu-muc-khac"
    other.mkdir()
    shutil.copyfile(CORPUS / OTHER_TEXT, other / "bai-viet.txt")  # 6.5 kB: over the 0.001 MB limit below
    env = {
        **os.environ,
        "PARTYDOCS_DATA_DIR": str(tiny_index.data_dir),
        "PARTYDOCS_COLLECTION_PATH": str(tiny_index.collection_path),
        "PARTYDOCS_INGEST__MAX_UNASKED_REMOVALS": "1",
    }
    command = [sys.executable, "app.py", "ingest", str(other)]
    refused = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert refused.returncode == 2, refused.stderr
    assert TINY[0] in refused.stderr and "--prune" in refused.stderr

    pruned = subprocess.run(
        [*command, "--prune", "--max-file-mb", "0.001"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert pruned.returncode == 0, pruned.stderr
    assert "xóa / removed 2" in pruned.stdout
    assert "bai-viet.txt" in pruned.stderr and "file too large (0.00649 MB, limit 0.001 MB" in pruned.stderr


# --- item 4: self-healing beyond the fault-injection test -----------------------------------------


def test_a_document_missing_chunks_is_reingested(tiny_index: Settings, embedder: Embedder) -> None:
    ingestor = _ingestor(tiny_index, embedder)
    record = ingestor.index.records()[TINY[1]]
    ingestor.index.delete_chunks(record.chunk_ids[:1])  # as if a crash or a hand edit lost one

    report = ingestor.ingest_folder(tiny_index.collection_path)

    assert report.files_updated == 1 and report.chunks_embedded == 1
    assert ingestor.index.existing_ids(record.chunk_ids) == set(record.chunk_ids)


def test_keyword_temp_folders_of_dead_processes_are_removed(tmp_path: Path) -> None:
    target = tmp_path / "keyword"
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    pid = dead.stdout.strip()
    stale = [tmp_path / f".keyword.tmp-{pid}-x1", tmp_path / f".keyword.old-{pid}-x", tmp_path / ".keyword.ab"]
    live = tmp_path / f".keyword.tmp-{os.getpid()}-x2"  # a save under way in a running process
    for folder in [*stale, live]:
        folder.mkdir()

    assert sorted(remove_stale_temp_dirs(target)) == sorted(stale)
    assert live.is_dir() and not any(folder.exists() for folder in stale)


def test_upload_path_still_adds_files_and_a_collection_sync_keeps_them(
    tiny_index: Settings, embedder: Embedder
) -> None:
    uploads = tiny_index.uploads_path
    uploads.mkdir(parents=True)
    target = uploads / "phieu-tin-nhiem.txt"
    text = (CORPUS / OTHER_TEXT).read_text(encoding="utf-8")
    target.write_text(text[: text.index("\n\n", 600)] + "\n", encoding="utf-8")
    done: list[float] = []

    report = _ingestor(tiny_index, embedder).ingest_files(
        uploads, [target], origin="upload", progress=lambda _, share: done.append(share)
    )

    assert report.files_updated == 1 and report.chunks_embedded > 0 and done[-1] == 1.0
    again = _ingestor(tiny_index, embedder).ingest_folder(tiny_index.collection_path)
    assert again.files_removed == 0 and again.chunks_embedded == 0
    record = open_index(tiny_index, embedder)[1].records()["phieu-tin-nhiem.txt"]
    assert record.origin == "upload" and record.status == "ok"
