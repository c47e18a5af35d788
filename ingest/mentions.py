"""The documents each chunk names ("Hướng dẫn số 26-HD/BTCTW"), found once, at ingest.

A question about a document the collection lacks is answered from the passages that name it.
Finding them by a regex over every chunk's text cost a scan per such question (~40 ms at 2k
chunks, seconds at 100k), so ingest stores each chunk's mentions as keys ("hướng dẫn 26") in its
metadata and retrieval looks them up.

The keys reproduce exactly what ``assistant.references.mention_pattern`` matches, so the lookup
finds the same chunks the regex did: a kind's name or abbreviation (any case, even inside a word,
as the regex has it), optional spaces and "số", then the number; or a number standing alone on its
left, then "-" and the name ("26-HD"). Numbers are ASCII digit runs without leading zeros ("026"
is "26"), as the regex's ``0*{number}`` reads them.
"""

from __future__ import annotations

import re
from typing import Any

from ingest.types import KIND_BY_ABBREVIATION

# Chunk metadata: the mention keys (a list, left out when there are none) and the version of this
# module that found them, so a chunk stored before (or by an older version) is found and backfilled.
MENTIONS = "mentions"
MENTIONS_VERSION_KEY = "mentions_version"
MENTIONS_VERSION = 1

# Kind -> the abbreviation printed in its numbers. "QĐ" is shared by Quy định and Quyết định.
KIND_ABBREVIATIONS = {kind: abbr for abbr, kind in KIND_BY_ABBREVIATION.items()} | {"Quyết định": "QĐ"}


def mention_names(kind: str) -> tuple[str, ...]:
    """The names a passage may call a document of ``kind`` by: "hướng dẫn" and "hd"."""
    return (kind.lower(), *([KIND_ABBREVIATIONS[kind].lower()] if kind in KIND_ABBREVIATIONS else []))


# One pattern pair per name rather than one alternation, so names that could start at the same
# place ("26-QĐ" is both Quy định and Quyết định) each get their key.
_PATTERNS = tuple(
    (
        name,
        re.compile(rf"{re.escape(name)}\s*(?:số\s*)?([0-9]+)", re.IGNORECASE),
        re.compile(rf"(?<![0-9])([0-9]+)\s*-\s*{re.escape(name)}", re.IGNORECASE),
    )
    for name in sorted({name for kind in KIND_ABBREVIATIONS for name in mention_names(kind)})
)


def mention_key(name: str, number: str) -> str:
    """``number`` must already be canonical (ASCII, no leading zeros)."""
    return f"{name} {number}"


def mention_keys(text: str) -> list[str]:
    """Every document ``text`` names, as keys, sorted."""
    keys = {
        mention_key(name, match.group(1).lstrip("0") or "0")
        for name, after, before in _PATTERNS
        for pattern in (after, before)
        for match in pattern.finditer(text)
    }
    return sorted(keys)


def mention_metadata(text: str, clear: bool = False) -> dict[str, Any]:
    """The chunk metadata for ``text``'s mentions. ``clear`` (an update of stored metadata, which
    Chroma merges) sets an absent list to None so keys an older version found are removed."""
    keys = mention_keys(text)
    listed: dict[str, Any] = {MENTIONS: keys} if keys else ({MENTIONS: None} if clear else {})
    return {**listed, MENTIONS_VERSION_KEY: MENTIONS_VERSION}


def lookup_keys(kind: str, number: str) -> list[str]:
    """The keys a chunk naming document ``kind`` ``number`` (canonical) was stored under."""
    return [mention_key(name, number) for name in mention_names(kind)]
