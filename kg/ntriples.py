"""N-Triples term writers: the mapper's output format.

The mapper writes N-Quads text rather than pyoxigraph `Quad` objects because handing the store
text costs about 4 us a triple against about 10 us for building objects in Python, and the whole
registry is 50-90M triples. Everything that goes into a statement passes through here, so
escaping is done once and right.
"""

from __future__ import annotations

import re
from decimal import Decimal

from kg.vocab import XSD

# Characters N-Triples forbids in an IRIREF, plus control characters.
_BAD_IRI = re.compile(r'[\x00-\x20<>"{}|^`\\]')

XSD_STRING = XSD + "string"
XSD_INTEGER = XSD + "integer"
XSD_DECIMAL = XSD + "decimal"
XSD_BOOLEAN = XSD + "boolean"
XSD_DATE = XSD + "date"
XSD_GYEARMONTH = XSD + "gYearMonth"
XSD_GYEAR = XSD + "gYear"
XSD_DATETIME = XSD + "dateTime"
XSD_DOUBLE = XSD + "double"


def iri(value: str) -> str:
    """`<value>`; raises ValueError for a string that is not a usable IRI."""
    if not value or _BAD_IRI.search(value) or ":" not in value:
        raise ValueError(f"not an IRI: {value!r}")
    return f"<{value}>"


def is_iri(value: str) -> bool:
    return bool(value) and ":" in value and not _BAD_IRI.search(value)


def _escape(value: str) -> str:
    # Chained str.replace runs in C and beats str.translate with a dict by ~10x on long texts.
    if "\\" in value:
        value = value.replace("\\", "\\\\")
    if '"' in value:
        value = value.replace('"', '\\"')
    if "\n" in value:
        value = value.replace("\n", "\\n")
    if "\r" in value:
        value = value.replace("\r", "\\r")
    return value


def string(value: str) -> str:
    return f'"{_escape(value)}"'


def typed(value: str, datatype: str) -> str:
    return f'"{_escape(value)}"^^<{datatype}>'


def integer(value: int) -> str:
    return typed(str(int(value)), XSD_INTEGER)


def decimal(value: Decimal | float | int) -> str:
    d = Decimal(str(value))
    text = format(d.normalize(), "f")
    if "." not in text:
        text += ".0"
    return typed(text, XSD_DECIMAL)


def double(value: float) -> str:
    return typed(repr(float(value)), XSD_DOUBLE)


def boolean(value: bool) -> str:
    return typed("true" if value else "false", XSD_BOOLEAN)
