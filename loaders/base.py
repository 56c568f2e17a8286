"""What a loader is: a content sniffer and a reader that yields neutral records.

Loaders parse one source format into `kg.record.Trial` objects and know nothing of RDF. A new
format is one new module in this package that defines `FORMAT = Format(...)`; the registry in
`loaders/__init__.py` finds it by itself.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from kg.record import RecordError, Trial

Item = Trial | RecordError


class LoaderError(ValueError):
    """The input is not what the format promises; the message says what is wrong."""


@dataclass(frozen=True)
class Format:
    name: str  # short id, stored as the document's tg:sourceFormat
    version: str  # bumped when the loader's output changes, so documents reload
    description: str
    sniff: Callable[[str], bool]  # the document's head (first 64 KiB, decoded) -> is it mine?
    read: Callable[[Path], Iterator[Item]]  # every record of the document, errors in line
    priority: int = 50  # lower sniffs first: specific formats before generic ones


def read_text(path: Path) -> str:
    """A saved page as text: UTF-8 (BOM tolerated), CRLF folded."""
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252", errors="replace")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def page_format(name: str, version: str, description: str, sniff: Callable[[str], bool],
                parse: Callable[[str], Trial], priority: int = 50) -> Format:
    """A format whose documents are single saved pages, one trial a page."""

    def read(path: Path) -> Iterator[Item]:
        try:
            yield parse(read_text(path))
        except LoaderError as exc:
            yield RecordError(record=path.name, message=str(exc))

    return Format(name, version, description, sniff, read, priority)


def until_broken_xml(records: Iterator[Item], after: Callable[[int], str]) -> Iterator[Item]:
    """The records of an iterparse stream, up to a syntax error, then one error for the rest.

    Why: a truncated or corrupted export still holds thousands of good records before the break;
    they load, and the break is reported once (`after(n)` names the place: "after study #n"), so
    nothing is silently lost. A document broken before its first record is not of the format at
    all, which the caller's LoaderError says."""
    count = 0
    try:
        for item in records:
            count += 1
            yield item
    except ET.ParseError as exc:
        if count == 0:
            raise LoaderError(f"not well-formed XML: {exc}") from exc
        yield RecordError(record=after(count), message=f"broken XML, the rest of the file is unreadable: {exc}")
