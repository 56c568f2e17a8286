"""What the two ClinicalTrials.gov loaders (API v2 JSON, legacy XML) share.

Both formats come as single files or as the website's `.zip` download, carry the same kinds of
secondary ids and the same "Type: name" habits; keeping these rules in one place keeps the two
loaders giving the same record for the same trial.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

from kg.record import Identifier
from kg.text import one_line
from loaders.base import LoaderError

ZIP_MAGIC = "PK\x03\x04"
NCT_ID = re.compile(r"^NCT\d{8}$")

# Registry id shapes, so a secondary id can say which registry issued it. Order matters only
# where shapes overlap (a CTIS number is also EudraCT-like; it is tested first).
_SCHEMES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("NCT", re.compile(r"^NCT\d{8}$", re.I)),
    ("CTIS", re.compile(r"^\d{4}-5\d{5}-\d{2}-\d{2}$")),
    ("EudraCT", re.compile(r"^(?:EUCTR)?\d{4}-\d{6}-\d{2}(?:-[A-Z]{2,3})?$", re.I)),
    ("ISRCTN", re.compile(r"^ISRCTN\d{8}$", re.I)),
    ("ChiCTR", re.compile(r"^ChiCTR[-\w]+$", re.I)),
    ("DRKS", re.compile(r"^DRKS\d{8}$", re.I)),
    ("JPRN", re.compile(r"^(?:JPRN-)?(?:UMIN\d{9}|jRCT\w+|JapicCTI-\d+)$", re.I)),
    ("CRIS", re.compile(r"^KCT\d{7}$", re.I)),
    ("ANZCTR", re.compile(r"^ACTRN\d{14}$", re.I)),
    ("CTRI", re.compile(r"^CTRI/\d{4}/\d+/\d+$", re.I)),
    ("NTR", re.compile(r"^(?:NTR|NL)\d{3,6}$", re.I)),
    # Shapes met in WHO ICTRP exports: ICTRP's own CTIS prefix, the Dutch register (NL-OMON) and
    # its CCMO/ABR file number, the WHO Universal Trial Number, the EU PAS register.
    ("CTIS", re.compile(r"^CTIS\d{4}-5\d{5}-\d{2}-\d{2}$", re.I)),
    ("NL-OMON", re.compile(r"^NL-OMON\d+$", re.I)),
    ("CCMO", re.compile(r"^NL\d{5}\.\d{3}\.\d{2}$", re.I)),
    ("UTN", re.compile(r"^U1111-\d{4}-\d{4}$", re.I)),
    ("EUPAS", re.compile(r"^EUPAS\d+$", re.I)),
)
# CT.gov's own secondary-id types that name a registry outright.
_TYPE_SCHEMES = {"EUDRACT_NUMBER": "EudraCT", "CTIS": "CTIS"}


def id_scheme(value: str, type_: str | None = None) -> str | None:
    """The registry an id belongs to: from CT.gov's id type when it says, else the id's shape."""
    if type_ and (scheme := _TYPE_SCHEMES.get(type_.upper())):
        return scheme
    v = value.strip()
    for scheme, pattern in _SCHEMES:
        if pattern.match(v):
            return scheme
    return None


def identifier(value: str, type_: str | None = None, issuer: str | None = None) -> Identifier:
    return Identifier(value=value, scheme=id_scheme(value, type_), type=type_, issuer=issuer)


def check_nct(value: str | None) -> str:
    """The record's NCT id, which every CT.gov study has; anything else means a broken record."""
    if not value:
        raise ValueError("the study has no NCT id")
    v = value.strip()
    if not NCT_ID.match(v):
        raise ValueError(f"NCT id {v!r} is not 'NCT' followed by 8 digits")
    return v


# --- "Drug: Aspirin" -> "Aspirin" -----------------------------------------------------------------

_TYPE_WORDS = (
    "Drug", "Device", "Biological", "Procedure", "Procedure/Surgery", "Radiation", "Behavioral",
    "Genetic", "Dietary Supplement", "Combination Product", "Diagnostic Test", "Other",
)
_TYPE_PREFIX = re.compile(r"^(?:" + "|".join(re.escape(w) for w in _TYPE_WORDS) + r")\s*:\s*", re.I)


def label_key(text: str) -> str:
    """Arm labels and intervention names compare without case or spacing differences."""
    return " ".join(text.split()).casefold()


def arm_intervention_name(name: str, known: dict[str, str]) -> str:
    """An arm's "Drug: X" entry as the intervention's own name, so the two lists join up.

    `known` maps label_key(name) -> name of the study's interventions. A name that matches as
    written wins (an intervention may really be called "Other: ..."); else the type prefix goes.
    """
    if hit := known.get(label_key(name)):
        return hit
    stripped = _TYPE_PREFIX.sub("", name, count=1)
    return known.get(label_key(stripped), stripped)


# --- masking ------------------------------------------------------------------------------------

_MASKED = re.compile(r"^\s*(Single|Double|Triple|Quadruple)\b[^(]*\((.*)\)\s*$", re.I)


def split_masking(word: str | None) -> tuple[str | None, list[str]]:
    """Legacy XML's "Double (Participant, Investigator)" -> ("Double", [who, ...])."""
    text = one_line(word)
    if not text:
        return None, []
    if m := _MASKED.match(text):
        who = [w.strip() for w in re.split(r",|\band\b", m.group(2)) if w.strip()]
        return m.group(1), who
    return text, []


# --- zip downloads ------------------------------------------------------------------------------

_ZIP_NAME = re.compile(r"[\w\-. ()/]+?\.(jsonl|ndjson|json|xml)(?![\w])", re.I)


def zip_head_suffix(head: str) -> str | None:
    """The extension of a zip's first member, read from the local header in the sniffed head.

    The sniffer sees only decoded text, so binary header bytes may have shifted; the first
    member name is searched near the start instead of at its fixed offset.
    """
    if not head.startswith(ZIP_MAGIC):
        return None
    m = _ZIP_NAME.search(head, 4, 400)
    return m.group(1).lower() if m else None


def zip_members(path: Path, suffixes: tuple[str, ...]) -> Iterator[tuple[str, Callable[[], IO[bytes]]]]:
    """(member name, opener) for each study file in a zip, in archive order."""
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile as exc:
        raise LoaderError(f"not a readable zip archive: {exc}") from exc
    with archive:
        names = [
            info.filename for info in archive.infolist()
            if not info.is_dir() and info.filename.lower().endswith(suffixes)
            and not info.filename.startswith("__MACOSX/")
            and not Path(info.filename).name.startswith(".")
        ]
        if not names:
            raise LoaderError(
                f"the zip archive holds no study files ({', '.join(suffixes)}); "
                f"members: {', '.join(archive.namelist()[:5]) or 'none'}")
        for name in names:
            yield name, (lambda n=name: archive.open(n))


# --- text and small values ------------------------------------------------------------------------

_LIST_LINE = re.compile(r"^(?:[-*\u2022\u00b7]|\d{1,3}\s*[.)]|[a-zA-Z]\s*[.)]\s)")


def unwrap(text: str | None) -> str | None:
    """Prose hard-wrapped at ~100 columns (legacy XML textblocks) as flowing paragraphs.

    Blank lines still part paragraphs; list lines and headings ("Exclusion Criteria:") keep
    their own line, so criteria still split into items and the same trial reads
    the same from the legacy XML and from the API v2 JSON (which is not wrapped).
    """
    if not text:
        return text
    paragraphs = []
    for para in re.split(r"\n\s*\n", text):
        lines: list[str] = []
        for line in para.split("\n"):
            if lines and not _LIST_LINE.match(line) and not lines[-1].endswith(":") \
                    and not line.endswith(":"):
                lines[-1] = f"{lines[-1]} {line}"
            else:
                lines.append(line)
        paragraphs.append("\n".join(lines))
    return "\n\n".join(paragraphs)


def date_kind(word: str | None) -> str | None:
    """Legacy "Anticipated"/"Estimate" and v2 "ESTIMATED" are one idea: "estimated" or "actual"."""
    if not word or not word.strip():
        return None
    w = word.strip().lower()
    return "estimated" if w in {"anticipated", "estimate", "estimated"} else w


_TRUE = {"yes", "true", "accepts healthy volunteers", "y", "1"}
_FALSE = {"no", "false", "n", "0"}


def yes_no(word: str | None) -> bool | None:
    """Legacy XML's Yes/No words (and "Accepts Healthy Volunteers") as a boolean."""
    if not word:
        return None
    w = word.strip().lower()
    return True if w in _TRUE else False if w in _FALSE else None

