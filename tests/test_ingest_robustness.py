"""Issue 11 items 5-9: bad files refused, limits, every file accounted for, duplicates, NFC, prune.

Cheap by design: loader checks need no model, and the ingest cases reuse the session's TINY index
so only a handful of new chunks are ever embedded.
"""

from __future__ import annotations

from pathlib import Path

import pymupdf
import pytest

from ingest.loaders import DocumentLoadError, load_document
from ingest.textclean import MIN_VIETNAMESE_SHARE, vietnamese_share
from tests.conftest import CORPUS

QD_294 = "official/qd-294-2025-thi-hanh-dieu-le.pdf"


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
