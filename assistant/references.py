"""Document references in user questions ("Hướng dẫn 26", "QĐ 294", "Directive 35 of 2019").

A reference tells retrieval which document the user means, so it can filter to that document, or
say plainly that the collection does not hold it instead of answering from a look-alike. Parsing is
table-driven (one alias table for Vietnamese names, abbreviations and English names) and works on
the NFC form of the query, so decomposed input parses the same; spans index into that NFC form.

A place counts as a reference when an official document's issuer names it ("Ban Tổ chức Thành ủy
Hà Nội"): "ở Hà Nội" or "the Hanoi guidance" means that locality's own documents, as a group.

A number only counts as a reference next to a document kind, so "18 tuổi", "Điều 4" or "khoản 2"
are never references, and a kind word followed by a quantity ("quy định 30 ngày") is not either.

Numbers are compared as digit strings without leading zeros ("06" is "6"), never through ``int``:
whatever a user types or an upload's metadata holds (a 5,000-digit "number" exceeds Python's
int-conversion limit) must parse and resolve, to "not in the collection" if nothing else.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

from ingest.mentions import KIND_ABBREVIATIONS, mention_names
from ingest.types import KIND_BY_ABBREVIATION, DocumentMeta, year_of

CHARTER = "Điều lệ"

# alias (casefolded) -> kind. Abbreviations are also accepted without "đ" ("qd"), as typed on
# keyboards without Vietnamese input.
_KIND_ALIASES: dict[str, str] = {
    **dict.fromkeys(["quy định", "qđ", "qd", "regulation"], "Quy định"),
    **dict.fromkeys(["quyết định", "decision"], "Quyết định"),
    **dict.fromkeys(["hướng dẫn", "hd", "guidance", "guideline", "instruction"], "Hướng dẫn"),
    **dict.fromkeys(["chỉ thị", "ct", "directive"], "Chỉ thị"),
    **dict.fromkeys(["kết luận", "kl", "conclusion"], "Kết luận"),
    **dict.fromkeys(["nghị quyết", "nq", "resolution"], "Nghị quyết"),
    **dict.fromkeys(["quy chế"], "Quy chế"),
    **dict.fromkeys(["thông báo", "tb"], "Thông báo"),
}


def _alternation(words: Iterable[str]) -> str:
    # Longest first so "quy định" wins over a shorter alias that prefixes it.
    return "|".join(re.escape(w).replace(r"\ ", r"\s+") for w in sorted(words, key=len, reverse=True))


_SUFFIX = r"(?P<abbr>[^\W\d_]+)\s*/\s*(?P<issuer>[^\W\d_]+(?:-[^\W\d_]+)*)"
_YEAR = (
    r"(?:\s*,?\s*(?:"
    r"ngày\s+\d{1,2}\s*[/.-]\s*\d{1,2}\s*[/.-]\s*(?P<year1>\d{4})"
    r"|ngày\s+\d{1,2}\s+tháng\s+\d{1,2}\s+năm\s+(?P<year2>\d{4})"
    r"|(?:năm|of|in|from)\s+(?P<year3>\d{4})"
    r"|\((?P<year4>\d{4})\)"
    r"))?"
)
# Quantities: a kind word followed by one of these is prose ("quy định 30 ngày"), not a reference.
_UNITS = r"(?!\s*(?:ngày|tháng|năm|tuổi|lần|người|giờ|phút|%|days?|months?|years?|times)\b)"
_NUMBERED = re.compile(
    rf"\b(?P<kind>{_alternation(_KIND_ALIASES)})\.?\s*(?:số|no\.?|number|#)?\s*(?P<num>\d+)\b"
    rf"(?:\s*[-–]\s*{_SUFFIX})?{_YEAR}{_UNITS}",
    re.IGNORECASE,
)
_BARE_NUMBER = re.compile(rf"\b(?P<num>\d+)\s*[-–]\s*{_SUFFIX}{_YEAR}", re.IGNORECASE)
# "thi hành Điều lệ" names the subject of Quy định 294 / Hướng dẫn 06, not the charter itself.
_CHARTER_NAMES = (
    "điều lệ đảng cộng sản việt nam",
    "điều lệ đảng",
    "điều lệ",
    "party charter",
    "charter",
    "party statute",
    "statute",
)
_CHARTER = re.compile(
    rf"(?<!thi hành )\b(?:the\s+)?(?:{_alternation(_CHARTER_NAMES)})\b(?:\s*(?:năm|of)?\s*(?P<year>\d{{4}})\b)?",
    re.IGNORECASE,
)


# A local body's issuer ends with its place: "Ban Tổ chức Thành ủy Hà Nội", "Tỉnh ủy Quảng Ninh".
_ISSUER_PLACE = re.compile(
    r"\b(?:(?:thành|tỉnh)\s+(?:ủy|uỷ)|thành\s+phố|tỉnh)\s+(?P<place>\w[\w\s]*?)\s*$", re.IGNORECASE
)
ARTICLE = "article"


@dataclass(frozen=True)
class DocRef:
    """One document named in a query. ``number`` is bare ("26"); ``suffix`` only when typed.

    ``place`` is set for a locality ("Hà Nội"), which names all of its official documents.
    """

    kind: str | None
    number: str | None
    suffix: str | None
    year: int | None
    raw: str
    span: tuple[int, int]
    place: str | None = None


@dataclass
class Resolution:
    ref: DocRef
    matches: list[DocumentMeta]
    status: Literal["found", "not_found", "ambiguous"]


def parse_references(query: str, places: Mapping[str, str] | None = None) -> list[DocRef]:
    """References in reading order; where patterns overlap, the earlier and longer one wins.

    ``places``: the localities the catalog's issuers name, as :func:`issuer_places` gives them.
    """
    text = unicodedata.normalize("NFC", query)
    candidates = [_numbered_ref(m) for m in _NUMBERED.finditer(text)]
    candidates += [_numbered_ref(m) for m in _BARE_NUMBER.finditer(text)]
    candidates += [_charter_ref(m) for m in _CHARTER.finditer(text)]
    if places:
        pattern = re.compile(rf"(?<!\w)(?:{_alternation(places)})(?!\w)", re.IGNORECASE)
        candidates += [
            DocRef(None, None, None, None, m.group(), m.span(), place=places[_fold(m.group())])
            for m in pattern.finditer(text)
        ]
    candidates.sort(key=lambda ref: (ref.span[0], -ref.span[1]))
    refs: list[DocRef] = []
    for ref in candidates:
        if not refs or ref.span[0] >= refs[-1].span[1]:
            refs.append(ref)
    return refs


def issuer_places(catalog: Iterable[DocumentMeta]) -> dict[str, str]:
    """Alias (casefolded) -> place, for each locality an official document's issuer names.

    Each place is known as written ("hà nội"), without diacritics ("ha noi", as typed on keyboards
    without Vietnamese input) and run together ("hanoi", as English writes it).
    """
    aliases: dict[str, str] = {}
    for doc in catalog:
        match = _ISSUER_PLACE.search(unicodedata.normalize("NFC", doc.issuer)) if doc.kind != ARTICLE else None
        if match:
            place = " ".join(match.group("place").split())
            plain = _fold(_without_diacritics(place))
            for alias in (_fold(place), plain, plain.replace(" ", "")):
                aliases[alias] = place
    return aliases


def place_of(issuer: str) -> str | None:
    match = _ISSUER_PLACE.search(unicodedata.normalize("NFC", issuer))
    return " ".join(match.group("place").split()) if match else None


def _without_diacritics(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def mention_pattern(ref: DocRef) -> str | None:
    """A regex (Rust syntax, for Chroma's ``$regex``) for passages that mention ``ref`` by name.

    When a referenced document is not in the collection, the passages that talk about it (news
    naming "Hướng dẫn số 26-HD/BTCTW") are what the user needs; plain keyword search would also
    match "Điều 26" or "26 ngày", so the kind word must stand next to the number.
    """
    if not ref.number or not ref.kind:
        return None
    number = canonical_number(ref.number) if ref.number.isdecimal() else re.escape(ref.number)
    kinds = "|".join(re.escape(name) for name in mention_names(ref.kind))
    return rf"(?i)(?:{kinds})\s*(?:số\s*)?0*{number}(?:[^0-9]|$)|(?:^|[^0-9])0*{number}\s*-\s*(?:{kinds})"


def _numbered_ref(match: re.Match[str]) -> DocRef:
    groups = match.groupdict()
    abbr = groups["abbr"].upper() if groups["abbr"] else None
    kind_text = groups.get("kind")
    kind = _KIND_ALIASES[_fold(kind_text)] if kind_text else KIND_BY_ABBREVIATION.get(abbr or "")
    year = next((groups[g] for g in ("year1", "year2", "year3", "year4") if groups[g]), None)
    return DocRef(
        kind=kind,
        number=groups["num"],
        suffix=f"{abbr}/{groups['issuer'].upper()}" if abbr else None,
        year=int(year) if year else None,
        raw=match.group(),
        span=match.span(),
    )


def _charter_ref(match: re.Match[str]) -> DocRef:
    year = match.group("year")
    return DocRef(CHARTER, None, None, int(year) if year else None, match.group(), match.span())


def _fold(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).casefold().split())


def resolve(ref: DocRef, catalog: Sequence[DocumentMeta]) -> Resolution:
    """Find the catalog documents a reference names; same-number documents are told apart by year.

    A place names a group (all of its official documents), so several matches are not ambiguous.
    """
    if ref.place is not None:
        group = [doc for doc in catalog if doc.kind != ARTICLE and place_of(doc.issuer) == ref.place]
        return Resolution(ref=ref, matches=group, status="found" if group else "not_found")
    matches = _charter_matches(catalog) if ref.kind == CHARTER else _numbered_matches(ref, catalog)
    if ref.year is not None:
        # A document whose date is unknown cannot be ruled out by year.
        matches = [doc for doc in matches if year_of(doc.date) in (0, ref.year)]
    status: Literal["found", "not_found", "ambiguous"] = (
        "not_found" if not matches else "found" if len(matches) == 1 else "ambiguous"
    )
    return Resolution(ref=ref, matches=matches, status=status)


class ReferenceResolver(Protocol):
    """The documents a question names, each resolved: what the answer chain restricts its search to."""

    def __call__(self, query: str) -> list[Resolution]: ...


class CatalogReferences:
    """References resolved against one catalog; rebuilt with the catalog after every ingest, so the
    places its issuers name are computed once per catalog rather than per question."""

    def __init__(self, catalog: Sequence[DocumentMeta]) -> None:
        self.catalog = list(catalog)
        self.places = issuer_places(self.catalog)

    def __call__(self, query: str) -> list[Resolution]:
        return [resolve(ref, self.catalog) for ref in parse_references(query, self.places)]


def _charter_matches(catalog: Sequence[DocumentMeta]) -> list[DocumentMeta]:
    return [doc for doc in catalog if doc.kind == CHARTER]


def _numbered_matches(ref: DocRef, catalog: Sequence[DocumentMeta]) -> list[DocumentMeta]:
    if ref.number is None:
        return []
    same_number = [doc for doc in catalog if _split_number(doc.number)[0] == canonical_number(ref.number)]
    if ref.suffix is not None:
        return [doc for doc in same_number if _split_number(doc.number)[1] == _fold_suffix(ref.suffix)]
    if ref.kind is None:
        return same_number
    exact = [doc for doc in same_number if doc.kind == ref.kind]
    # Users mix up kinds that share a printed abbreviation (Quy định / Quyết định, both "QĐ").
    return exact or [doc for doc in same_number if _printed_abbreviation(doc) == KIND_ABBREVIATIONS.get(ref.kind)]


_DOC_NUMBER = re.compile(r"^\s*(\d+)\s*[-–]\s*(\S.*?)\s*$")


def _split_number(number: str) -> tuple[str | None, str | None]:
    """("294-QĐ/TW") -> ("294", "QĐ/TW"): whole numbers compare, so "26" never matches "261"."""
    match = _DOC_NUMBER.match(unicodedata.normalize("NFC", number))
    return (canonical_number(match.group(1)), _fold_suffix(match.group(2))) if match else (None, None)


def canonical_number(digits: str) -> str:
    """Decimal digits (any script ``\\d`` matches) as ASCII without leading zeros: "06" -> "6"."""
    return "".join(str(unicodedata.decimal(ch)) for ch in digits).lstrip("0") or "0"


def _fold_suffix(suffix: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFC", suffix)).upper()


def _printed_abbreviation(doc: DocumentMeta) -> str | None:
    suffix = _split_number(doc.number)[1]
    return suffix.split("/")[0] if suffix else None
