"""What a loader is: a content sniffer and a reader that yields neutral records.

Loaders parse one source format into `kg.record.Trial` objects and know nothing of RDF. A new
format is one new module in this package that defines `FORMAT = Format(...)`; the registry in
`loaders/__init__.py` finds it by itself.
"""

from __future__ import annotations

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
