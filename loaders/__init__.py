"""The registry of source formats, found by content, not by file name.

Every module in this package that defines `FORMAT` is a loader; `detect` asks their sniffers
in priority order. Adding a format needs no edit here.
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache
from pathlib import Path

from loaders.base import Format, LoaderError, page_format, read_text

__all__ = ["Format", "LoaderError", "formats", "detect", "head_of", "page_format", "read_text"]

HEAD_BYTES = 64 * 1024


@cache
def formats() -> tuple[Format, ...]:
    found: list[Format] = []
    for mod in pkgutil.iter_modules(__path__):
        if mod.name == "base" or mod.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{mod.name}")
        fmt = getattr(module, "FORMAT", None)
        if isinstance(fmt, Format):
            found.append(fmt)
    return tuple(sorted(found, key=lambda f: (f.priority, f.name)))


def head_of(path: Path) -> str:
    with open(path, "rb") as fh:
        raw = fh.read(HEAD_BYTES)
    return raw.decode("utf-8-sig", errors="replace").replace("\r\n", "\n")


def detect(path: Path) -> Format:
    """The format of a document by its content; LoaderError if no loader claims it."""
    head = head_of(path)
    if not head.strip():
        raise LoaderError("empty file")
    for fmt in formats():
        if fmt.sniff(head):
            return fmt
    raise LoaderError("unrecognised format: no loader's sniffer matched its content")


def get(name: str) -> Format:
    for fmt in formats():
        if fmt.name == name:
            return fmt
    raise KeyError(f"no loader named {name!r}; known: {', '.join(f.name for f in formats())}")
