"""Query results -> bytes in the format a client asked for (CLI `--format` and HTTP `Accept`).

One table of formats serves both the CLI and the endpoint, so `trialgraph query --format csv` and
`Accept: text/csv` give the same bytes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

import pyoxigraph as ox

from kg.vocab import PREFIXES


@dataclass(frozen=True)
class Format:
    name: str
    media_type: str
    for_solutions: bool  # SELECT / ASK
    for_triples: bool  # CONSTRUCT / DESCRIBE


FORMATS: dict[str, Format] = {
    f.name: f
    for f in (
        Format("json", "application/sparql-results+json", True, False),
        Format("xml", "application/sparql-results+xml", True, False),
        Format("csv", "text/csv", True, False),
        Format("tsv", "text/tab-separated-values", True, False),
        Format("table", "text/plain", True, False),
        Format("turtle", "text/turtle", False, True),
        Format("ntriples", "application/n-triples", False, True),
        Format("jsonld", "application/ld+json", False, True),
        Format("rdfxml", "application/rdf+xml", False, True),
        Format("nquads", "application/n-quads", False, True),
        Format("trig", "application/trig", False, True),
    )
}
_RESULT_FORMATS = {
    "json": ox.QueryResultsFormat.JSON,
    "xml": ox.QueryResultsFormat.XML,
    "csv": ox.QueryResultsFormat.CSV,
    "tsv": ox.QueryResultsFormat.TSV,
}
_RDF_FORMATS = {
    "turtle": ox.RdfFormat.TURTLE,
    "ntriples": ox.RdfFormat.N_TRIPLES,
    "jsonld": ox.RdfFormat.JSON_LD,
    "rdfxml": ox.RdfFormat.RDF_XML,
    "nquads": ox.RdfFormat.N_QUADS,
    "trig": ox.RdfFormat.TRIG,
}
# Media types clients send, including the common aliases, -> format name.
MEDIA_TYPES: dict[str, str] = {f.media_type: f.name for f in FORMATS.values()}
MEDIA_TYPES.update({
    "application/json": "json",
    "application/xml": "xml",
    "text/xml": "xml",
    "application/x-turtle": "turtle",
    "text/n3": "turtle",
    "text/plain": "ntriples",
    "application/json+ld": "jsonld",
})

Result = ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples


def kind(result: Result) -> str:
    """"solutions", "boolean" or "triples"."""
    if isinstance(result, ox.QueryTriples):
        return "triples"
    if isinstance(result, ox.QueryBoolean):
        return "boolean"
    return "solutions"


def default_format(result: Result) -> str:
    return "turtle" if kind(result) == "triples" else "json"


def check_format(result: Result, name: str) -> None:
    fmt = FORMATS.get(name)
    if fmt is None:
        raise ValueError(f"unknown format {name!r}; known: {', '.join(FORMATS)}")
    if kind(result) == "triples" and not fmt.for_triples:
        raise ValueError(f"format {name!r} is for SELECT/ASK results; CONSTRUCT/DESCRIBE gives RDF "
                         f"(turtle, ntriples, jsonld, rdfxml)")
    if kind(result) != "triples" and not fmt.for_solutions:
        raise ValueError(f"format {name!r} is for RDF graphs; SELECT/ASK gives json, xml, csv, tsv, table")


def serialize(result: Result, name: str) -> bytes:
    """The result in format `name`; ValueError if the format does not fit the result kind."""
    check_format(result, name)
    if name == "table":
        return table(result).encode()
    if kind(result) == "triples":
        return serialize_rdf(list(result), name)  # type: ignore[arg-type]
    return result.serialize(format=_RESULT_FORMATS[name])  # type: ignore[union-attr]


def used_prefixes(terms: Iterable[ox.Triple | ox.Quad]) -> dict[str, str]:
    """Only the prefixes the data uses, so a Turtle file declares nothing it does not need."""
    used: dict[str, str] = {}
    for t in terms:
        for term in (t.subject, t.predicate, t.object):
            if isinstance(term, ox.Literal):
                term = term.datatype
            if isinstance(term, ox.NamedNode):
                for prefix, ns in PREFIXES.items():
                    if prefix not in used and term.value.startswith(ns):
                        used[prefix] = ns
    return dict(sorted(used.items()))


def serialize_rdf(statements: list[ox.Triple] | list[ox.Quad], name: str) -> bytes:
    """Triples or quads, sorted so the same data always gives the same bytes."""
    if name not in _RDF_FORMATS:
        raise ValueError(f"unknown RDF format {name!r}; known: {', '.join(_RDF_FORMATS)}")
    data = sorted(statements, key=str)
    prefixes = used_prefixes(data) if name in ("turtle", "trig", "rdfxml") else None
    out = ox.serialize(data, format=_RDF_FORMATS[name], prefixes=prefixes)
    if name in ("turtle", "trig") and prefixes:
        out = _drop_unused_prefixes(out, prefixes)
    return out


def _drop_unused_prefixes(text: bytes, prefixes: dict[str, str]) -> bytes:
    """The writer may abbreviate away a declared prefix (`a`, bare numbers): drop its line."""
    head, body = [], []
    for line in text.split(b"\n"):
        (head if line.startswith(b"@prefix ") and not body else body).append(line)
    joined = b"\n".join(body)
    kept = [h for h in head if re.search(rb"(?<![\w:/#])" + h.split()[1].rstrip(b":") + rb":", joined)]
    return b"\n".join(kept + body)


def _show(term: object) -> str:
    if term is None:
        return ""
    if isinstance(term, ox.NamedNode):
        for prefix, ns in PREFIXES.items():
            if term.value.startswith(ns):
                return f"{prefix}:{term.value[len(ns):]}"
        return term.value
    if isinstance(term, ox.Literal):
        return term.value
    return str(term)


def table(result: Result, width: int = 60) -> str:
    """A plain-text table for people at a terminal (values cut at `width` characters)."""
    if isinstance(result, ox.QueryBoolean):
        return ("yes" if bool(result) else "no") + "\n"
    assert isinstance(result, ox.QuerySolutions)
    names = [v.value for v in result.variables]
    rows = [[_show(sol[n]) for n in names] for sol in result]
    cut = [[c if len(c) <= width else c[: width - 1] + "…" for c in r] for r in rows]
    widths = [max([len(n)] + [len(r[i]) for r in cut]) for i, n in enumerate(names)]
    line = "  ".join(n.ljust(w) for n, w in zip(names, widths))
    out = [line, "  ".join("-" * w for w in widths)]
    out += ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in cut]
    out.append(f"({len(rows)} row{'s' if len(rows) != 1 else ''})")
    return "\n".join(out) + "\n"
